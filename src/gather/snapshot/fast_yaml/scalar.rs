//! Scalars of the fast reader: plain (typed by [`super::typing`]), single- and
//! double-quoted, and `|`/`>` block scalars, folded as YAML folds them.

use serde_json::{Number, Value};

use super::block::{give_up, Parser};
use super::typing::{resolve, Plain};
use super::Fast;

/// Characters that start something other than a plain scalar (or might).
pub(super) fn is_indicator(c: u8) -> bool {
    matches!(
        c,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
    )
}

/// Gives up on text holding a tab, a carriage return, a control character, or a character some
/// YAML readers take for a line break, a space or a byte-order mark.
pub(super) fn check_characters(text: &str) -> Fast<()> {
    let b = text.as_bytes();
    let bad = |c: u8| (c < 0x20 && c != b'\n') || c == 0x7f;
    for (k, chunk) in b.chunks(64).enumerate() {
        // No early exit inside a chunk, so the check vectorises.
        if chunk.iter().fold(false, |acc, &c| acc | bad(c)) {
            let i = chunk.iter().position(|&c| bad(c)).unwrap_or(0);
            return Err(give_up(
                "a tab, carriage return or control character",
                k * 64 + i,
            ));
        }
    }
    if !text.is_ascii() {
        if let Some((i, _)) = text.char_indices().find(|(_, c)| {
            matches!(
                c,
                '\u{80}'
                    ..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
            )
        }) {
            return Err(give_up(
                "a control, line-break or byte-order-mark character",
                i,
            ));
        }
    }
    Ok(())
}

/// The closing quote of a quoted scalar opened at `at`, if it closes before `end`.
pub(super) fn quote_end_on_line(b: &[u8], at: usize, end: usize, q: u8) -> Option<usize> {
    let mut i = at + 1;
    while i < end {
        let c = b[i];
        if q == b'"' && c == b'\\' {
            i += 2;
            continue;
        }
        if c == q {
            if q == b'\'' && i + 1 < end && b[i + 1] == b'\'' {
                i += 2;
                continue;
            }
            return Some(i);
        }
        i += 1;
    }
    None
}

fn typed(s: &str, at: usize) -> Fast<Value> {
    Ok(match resolve(s) {
        Plain::Null => Value::Null,
        Plain::Bool(v) => Value::Bool(v),
        Plain::I64(v) => Value::from(v),
        Plain::U64(v) => Value::from(v),
        Plain::F64(v) => Number::from_f64(v).map_or(Value::Null, Value::Number),
        Plain::Str => Value::String(s.to_string()),
        Plain::Refused => return Err(give_up("a non-finite float", at)),
    })
}

/// The decoded character of the escape after a backslash at `k`, and the bytes it took.
fn escape(b: &[u8], k: usize) -> Fast<(char, usize)> {
    let hex = |w: usize| -> Option<char> {
        let digits = b.get(k + 1..k + 1 + w)?;
        let s = std::str::from_utf8(digits).ok()?;
        if !s.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        char::from_u32(u32::from_str_radix(s, 16).ok()?)
    };
    let simple = match b.get(k) {
        Some(b'0') => '\0',
        Some(b'a') => '\x07',
        Some(b'b') => '\x08',
        Some(b't') => '\t',
        Some(b'n') => '\n',
        Some(b'v') => '\x0b',
        Some(b'f') => '\x0c',
        Some(b'r') => '\r',
        Some(b'e') => '\x1b',
        Some(b' ') => ' ',
        Some(b'"') => '"',
        Some(b'/') => '/',
        Some(b'\\') => '\\',
        Some(b'N') => '\u{85}',
        Some(b'_') => '\u{a0}',
        Some(b'L') => '\u{2028}',
        Some(b'P') => '\u{2029}',
        Some(&c @ (b'x' | b'u' | b'U')) => {
            let w = match c {
                b'x' => 2,
                b'u' => 4,
                _ => 8,
            };
            return hex(w)
                .map(|ch| (ch, 1 + w))
                .ok_or_else(|| give_up("an unusual escape", k));
        }
        _ => return Err(give_up("an unusual escape", k)),
    };
    Ok((simple, 1))
}

impl<'a> Parser<'a> {
    /// A plain scalar starting at `at` on a line ending at `end`, in a collection at
    /// indentation `n` (continued on more-indented lines), typed.
    pub fn plain_value(&mut self, at: usize, end: usize, n: usize) -> Fast<Value> {
        let (first, mut comment) = self.plain_line(at, end)?;
        self.pos = self.next(end);
        let mut folded: Option<String> = None;
        let len = self.b.len();
        while self.pos < len {
            let (mut p, mut breaks) = (self.pos, 0);
            let l = loop {
                let l = self.line(p);
                if l.content == l.end && l.end < len {
                    breaks += 1;
                    p = l.end + 1;
                } else {
                    break l;
                }
            };
            if l.content == l.end || l.indent <= n {
                break;
            }
            if comment {
                return Err(give_up(
                    "a plain scalar continued after a comment",
                    l.content,
                ));
            }
            // `-x` continues a scalar as it may start one; other indicators are not worth
            // the doubt.
            let c = self.b[l.content];
            if is_indicator(c)
                && !(c == b'-' && l.content + 1 < l.end && self.b[l.content + 1] != b' ')
            {
                return Err(give_up(
                    "a continuation line starting with an indicator",
                    l.content,
                ));
            }
            let (more, c) = self.plain_line(l.content, l.end)?;
            comment = c;
            let s = folded.get_or_insert_with(|| first.to_string());
            if breaks == 0 {
                s.push(' ');
            } else {
                s.extend(std::iter::repeat_n('\n', breaks));
            }
            s.push_str(more);
            self.pos = self.next(l.end);
        }
        typed(folded.as_deref().unwrap_or(first), at)
    }

    /// One line of a plain scalar: its text (trailing spaces dropped), and whether a comment
    /// ended it.
    fn plain_line(&mut self, at: usize, end: usize) -> Fast<(&'a str, bool)> {
        let (b, text) = (self.b, self.text);
        let mut i = at;
        while i < end {
            match b[i] {
                b':' if i + 1 == end || b[i + 1] == b' ' => {
                    return Err(give_up("`: ` inside a plain scalar", i));
                }
                b'#' if i > at && b[i - 1] == b' ' => {
                    self.comment(i, end)?;
                    return Ok((text[at..i].trim_end_matches(' '), true));
                }
                _ => i += 1,
            }
        }
        Ok((text[at..end].trim_end_matches(' '), false))
    }

    /// Folds the line break at `i` inside a quoted scalar (and any empty lines after it) into
    /// `out`, whose raw trailing spaces from `keep` on are dropped; returns where the text
    /// goes on. Continuation lines must be indented more than `n`.
    fn fold_quoted(&self, i: usize, n: usize, out: &mut String, keep: usize) -> Fast<usize> {
        let b = self.b;
        out.truncate(keep);
        let (mut j, mut breaks) = (i + 1, 0);
        let s = loop {
            let s = b[j..].iter().take_while(|&&c| c == b' ').count();
            if j + s < b.len() && b[j + s] == b'\n' {
                breaks += 1;
                j += s + 1;
            } else {
                break s;
            }
        };
        if j + s >= b.len() {
            return Err(give_up("an unclosed quoted scalar", i));
        }
        if s <= n {
            return Err(give_up("a quoted scalar's line not indented", j));
        }
        if breaks == 0 {
            out.push(' ');
        } else {
            out.extend(std::iter::repeat_n('\n', breaks));
        }
        Ok(j + s)
    }

    /// Appends `text[start..i]` to `out`, moving `keep` past its last non-space.
    fn push_segment(&self, start: usize, i: usize, out: &mut String, keep: &mut usize) {
        if i > start {
            let seg = &self.text[start..i];
            out.push_str(seg);
            let kept = seg.trim_end_matches(' ').len();
            if kept > 0 {
                *keep = out.len() - (seg.len() - kept);
            }
        }
    }

    /// A double-quoted scalar opened at `at` (inside a collection at indentation `n`): its
    /// value, the offset after its closing quote, and whether it spanned lines.
    pub fn double_quoted(&mut self, at: usize, n: usize) -> Fast<(String, usize, bool)> {
        let b = self.b;
        let (mut out, mut keep, mut i, mut multi) = (String::new(), 0, at + 1, false);
        loop {
            let start = i;
            while i < b.len() && !matches!(b[i], b'"' | b'\\' | b'\n') {
                i += 1;
            }
            self.push_segment(start, i, &mut out, &mut keep);
            match b.get(i) {
                None => return Err(give_up("an unclosed quoted scalar", at)),
                Some(b'"') => return Ok((out, i + 1, multi)),
                Some(b'\\') if b.get(i + 1) == Some(&b'\n') => {
                    // An escaped line break joins the lines with nothing between them.
                    let j = i + 2;
                    let s = b[j..].iter().take_while(|&&c| c == b' ').count();
                    if j + s >= b.len() || b[j + s] == b'\n' {
                        return Err(give_up("an escaped line break before an empty line", i));
                    }
                    if s <= n {
                        return Err(give_up("a quoted scalar's line not indented", j));
                    }
                    keep = out.len();
                    i = j + s;
                    multi = true;
                }
                Some(b'\\') => {
                    let (c, used) = escape(b, i + 1)?;
                    out.push(c);
                    keep = out.len();
                    i += 1 + used;
                }
                Some(_) => {
                    i = self.fold_quoted(i, n, &mut out, keep)?;
                    keep = out.len();
                    multi = true;
                }
            }
        }
    }

    /// A single-quoted scalar, as [`Self::double_quoted`].
    pub fn single_quoted(&mut self, at: usize, n: usize) -> Fast<(String, usize, bool)> {
        let b = self.b;
        let (mut out, mut keep, mut i, mut multi) = (String::new(), 0, at + 1, false);
        loop {
            let start = i;
            while i < b.len() && !matches!(b[i], b'\'' | b'\n') {
                i += 1;
            }
            self.push_segment(start, i, &mut out, &mut keep);
            match b.get(i) {
                None => return Err(give_up("an unclosed quoted scalar", at)),
                Some(b'\'') if b.get(i + 1) == Some(&b'\'') => {
                    out.push('\'');
                    keep = out.len();
                    i += 2;
                }
                Some(b'\'') => return Ok((out, i + 1, multi)),
                Some(_) => {
                    i = self.fold_quoted(i, n, &mut out, keep)?;
                    keep = out.len();
                    multi = true;
                }
            }
        }
    }
}
