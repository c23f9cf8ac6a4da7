//! Walking an [`Objs`]: its head, then each part in order, a shared list's hidden entries
//! skipped.

use super::{Objs, Part};

/// [`Objs::iter`].
pub struct Iter<'a, T> {
    head: std::slice::Iter<'a, T>,
    tail: &'a [Part<T>],
    /// The part being walked: its items with their positions, and its hidden positions.
    part: Option<(std::iter::Enumerate<std::slice::Iter<'a, T>>, &'a [usize])>,
}

impl<'a, T> Iter<'a, T> {
    pub(super) fn new(head: &'a [T], tail: &'a [Part<T>]) -> Self {
        Iter {
            head: head.iter(),
            tail,
            part: None,
        }
    }
}

impl<'a, T> Iterator for Iter<'a, T> {
    type Item = &'a T;

    fn next(&mut self) -> Option<&'a T> {
        if let Some(o) = self.head.next() {
            return Some(o);
        }
        loop {
            if let Some((items, hidden)) = &mut self.part {
                for (i, o) in items.by_ref() {
                    // Positions come in order, and so do the hidden ones.
                    let mut rest: &'a [usize] = hidden;
                    while rest.first().is_some_and(|h| *h < i) {
                        rest = &rest[1..];
                    }
                    *hidden = rest;
                    if rest.first() == Some(&i) {
                        continue;
                    }
                    return Some(o);
                }
            }
            let (first, rest) = self.tail.split_first()?;
            self.tail = rest;
            self.part = Some(match first {
                Part::Shared { list, hidden } => (list.items.iter().enumerate(), hidden),
                Part::Own(v) => (v.iter().enumerate(), &[]),
            });
        }
    }
}

impl<'a, T> IntoIterator for &'a Objs<T> {
    type Item = &'a T;
    type IntoIter = Iter<'a, T>;

    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}
