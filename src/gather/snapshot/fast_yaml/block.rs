//! The block structure of the fast reader: lines, indentation, mappings and sequences.

use serde_json::{Map, Value};

use super::scalar;
use super::{Fast, GiveUp, MAX_DEPTH};

pub(super) fn give_up(reason: &'static str, at: usize) -> GiveUp {
    GiveUp { reason, at }
}

/// Comments are kept by serde-saphyr (up to 64 MiB); a file with more than this is its to read.
const MAX_COMMENT_BYTES: usize = 1 << 20;

/// One line: `start + indent == content`; `end` is its `\n` or the end of the text.
#[derive(Clone, Copy, Debug)]
pub(super) struct Line {
    pub indent: usize,
    pub content: usize,
    pub end: usize,
}

/// The next line that means something (blank and comment lines skipped).
enum Peek {
    Eof,
    /// `---` at column 0; the offset is the end of its line.
    Marker(usize),
    Line(Line),
}

/// What follows `key:`.
pub(super) enum Nested {
    /// Nothing: the value is null.
    Empty,
    /// A value on the key's line, at this offset.
    Inline(usize),
    /// A block sequence whose dashes are at this indentation.
    Sequence(usize),
    /// A block mapping at this indentation, its first key at this offset, its line ending here.
    Mapping(usize, usize, usize),
}

/// Called with each mapping entry: the parser, the key, the offset after its `:`, and the end
/// of the key's line; it reads the value (consuming its lines).
pub(super) type EntryFn<'f, 'a> = dyn FnMut(&mut Parser<'a>, String, usize, usize) -> Fast<()> + 'f;
/// Called with each sequence item and the offset it started at.
pub(super) type ItemFn<'f, 'a> = dyn FnMut(&mut Parser<'a>, Value, usize) -> Fast<()> + 'f;

pub(super) struct Parser<'a> {
    pub text: &'a str,
    pub b: &'a [u8],
    /// The start of the first line not consumed yet.
    pub pos: usize,
    /// The last line looked at, by its start: lines are peeked more than once.
    cached: (usize, Line),
    nodes: usize,
    max_nodes: usize,
    comment_bytes: usize,
}

impl<'a> Parser<'a> {
    pub fn new(text: &'a str) -> Fast<Self> {
        scalar::check_characters(text)?;
        Ok(Parser {
            text,
            b: text.as_bytes(),
            pos: 0,
            cached: (
                usize::MAX,
                Line {
                    indent: 0,
                    content: 0,
                    end: 0,
                },
            ),
            nodes: 0,
            // Half of serde-saphyr's node budget (`parse::yaml_options`): a file near it is its
            // to judge.
            max_nodes: text.len().max(250_000) / 2,
            comment_bytes: 0,
        })
    }

    /// Reads every document: each must be a block mapping at column 0 (read by `doc`, given
    /// the offset of its first key and the end of that line) or empty (dropped).
    pub fn stream<T>(
        mut self,
        mut doc: impl FnMut(&mut Self, usize, usize) -> Fast<T>,
    ) -> Fast<Vec<T>> {
        let mut out = Vec::new();
        let mut markers = 0usize;
        loop {
            match self.peek()? {
                Peek::Eof => return Ok(out),
                Peek::Marker(end) => {
                    self.pos = self.next(end);
                    markers += 1;
                    // serde-saphyr's budget is a document per 4 bytes (at least 1024).
                    if markers > 512 && markers > self.b.len() / 8 {
                        return Err(give_up("too many documents", end));
                    }
                }
                Peek::Line(l) => {
                    if l.indent != 0 {
                        return Err(give_up(
                            "a document that does not start at column 0",
                            l.content,
                        ));
                    }
                    if self.key_at(l.content, l.end)?.is_none() {
                        return Err(give_up("a document that is not a mapping", l.content));
                    }
                    out.push(doc(&mut self, l.content, l.end)?);
                    if let Peek::Line(l) = self.peek()? {
                        return Err(give_up("more after a document's mapping", l.content));
                    }
                }
            }
        }
    }

    /// The line starting at `start`.
    pub fn line(&mut self, start: usize) -> Line {
        if self.cached.0 == start {
            return self.cached.1;
        }
        let end = self.text[start..]
            .find('\n')
            .map_or(self.b.len(), |i| start + i);
        let indent = self.b[start..end]
            .iter()
            .take_while(|&&c| c == b' ')
            .count();
        let l = Line {
            indent,
            content: start + indent,
            end,
        };
        self.cached = (start, l);
        l
    }

    /// The start of the line after the one ending at `end`.
    pub fn next(&self, end: usize) -> usize {
        (end + 1).min(self.b.len())
    }

    fn peek(&mut self) -> Fast<Peek> {
        loop {
            if self.pos >= self.b.len() {
                return Ok(Peek::Eof);
            }
            let l = self.line(self.pos);
            if l.content == l.end {
                self.pos = self.next(l.end);
                continue;
            }
            if self.b[l.content] == b'#' {
                self.comment(l.content, l.end)?;
                self.pos = self.next(l.end);
                continue;
            }
            let s = &self.b[l.content..l.end];
            if l.indent == 0 && (s.starts_with(b"---") || s.starts_with(b"...")) {
                if s.starts_with(b"---") && s[3..].iter().all(|&c| c == b' ') {
                    return Ok(Peek::Marker(l.end));
                }
                return Err(give_up(
                    "a document marker with more on its line",
                    l.content,
                ));
            }
            return Ok(Peek::Line(l));
        }
    }

    pub fn comment(&mut self, at: usize, end: usize) -> Fast<()> {
        self.comment_bytes += end - at;
        if self.comment_bytes > MAX_COMMENT_BYTES {
            return Err(give_up("many comments", at));
        }
        Ok(())
    }

    /// Counts a node against the budget.
    pub fn node(&mut self, at: usize) -> Fast<()> {
        self.nodes += 1;
        if self.nodes > self.max_nodes {
            return Err(give_up("near the node budget", at));
        }
        Ok(())
    }

    /// Whether `at..end` holds only spaces and perhaps a comment (after at least one space).
    pub fn line_rest(&mut self, at: usize, end: usize) -> Fast<bool> {
        let j = at + self.b[at..end].iter().take_while(|&&c| c == b' ').count();
        if j == end {
            return Ok(true);
        }
        if self.b[j] == b'#' {
            if j == at {
                return Err(give_up("a `#` right after a value", j));
            }
            self.comment(j, end)?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Requires the rest of a value's line to be blank, and moves to the next line.
    pub fn end_line(&mut self, at: usize, end: usize) -> Fast<()> {
        if !self.line_rest(at, end)? {
            return Err(give_up("more on the line after a value", at));
        }
        self.pos = self.next(end);
        Ok(())
    }

    pub fn is_dash(&self, at: usize, end: usize) -> bool {
        self.b[at] == b'-' && (at + 1 == end || self.b[at + 1] == b' ')
    }

    /// Reads a block mapping at indentation `n` whose first key is at `first` on a line ending
    /// at `end`, handing each entry to `entry`.
    pub fn mapping_with(
        &mut self,
        n: usize,
        first: usize,
        end: usize,
        depth: usize,
        entry: &mut EntryFn<'_, 'a>,
    ) -> Fast<()> {
        if depth > MAX_DEPTH {
            return Err(give_up("deep nesting", first));
        }
        self.node(first)?;
        let (mut at, mut end) = (first, end);
        loop {
            let Some((key, after)) = self.key_at(at, end)? else {
                return Err(give_up("a line in a mapping that is not `key: value`", at));
            };
            self.node(at)?;
            entry(self, key.into_owned(), after, end)?;
            match self.peek()? {
                Peek::Line(l) if l.indent == n => (at, end) = (l.content, l.end),
                Peek::Line(l) if l.indent > n => {
                    return Err(give_up("unexpected indentation", l.content));
                }
                _ => return Ok(()),
            }
        }
    }

    /// [`Self::mapping_with`] into `map`, duplicate keys refused.
    pub fn mapping_into(
        &mut self,
        n: usize,
        first: usize,
        end: usize,
        depth: usize,
        map: &mut Map<String, Value>,
    ) -> Fast<()> {
        self.mapping_with(n, first, end, depth, &mut |p, key, after, end| {
            let v = p.value(after, end, n, depth)?;
            match map.insert(key, v) {
                None => Ok(()),
                Some(_) => Err(give_up("duplicate key", after)),
            }
        })
    }

    /// What follows a key of a mapping at indentation `n` (its colon ends at `after`).
    pub fn nested_after_key(&mut self, after: usize, end: usize, n: usize) -> Fast<Nested> {
        if !self.line_rest(after, end)? {
            // `key_at` saw a space after the colon.
            let at = after
                + self.b[after..end]
                    .iter()
                    .take_while(|&&c| c == b' ')
                    .count();
            return Ok(Nested::Inline(at));
        }
        self.pos = self.next(end);
        match self.peek()? {
            Peek::Line(l) if l.indent > n => {
                if self.is_dash(l.content, l.end) {
                    Ok(Nested::Sequence(l.indent))
                } else if self.key_at(l.content, l.end)?.is_some() {
                    Ok(Nested::Mapping(l.indent, l.content, l.end))
                } else {
                    Err(give_up("a scalar on the line after its key", l.content))
                }
            }
            // `oc` writes a mapping's sequences at the mapping's own indentation.
            Peek::Line(l) if l.indent == n && self.is_dash(l.content, l.end) => {
                Ok(Nested::Sequence(n))
            }
            _ => Ok(Nested::Empty),
        }
    }

    /// The value of a key of a mapping at indentation `n`.
    pub fn value(&mut self, after: usize, end: usize, n: usize, depth: usize) -> Fast<Value> {
        match self.nested_after_key(after, end, n)? {
            Nested::Empty => {
                self.node(after)?;
                Ok(Value::Null)
            }
            Nested::Inline(at) => self.inline(at, end, n),
            Nested::Sequence(m) => {
                let mut items = Vec::new();
                self.sequence(m, depth + 1, &mut |_, v, _| {
                    items.push(v);
                    Ok(())
                })?;
                Ok(Value::Array(items))
            }
            Nested::Mapping(m, at, end) => {
                let mut map = Map::new();
                self.mapping_into(m, at, end, depth + 1, &mut map)?;
                Ok(Value::Object(map))
            }
        }
    }

    /// Reads a block sequence whose dashes are at indentation `n`, handing each item to `item`.
    pub fn sequence(&mut self, n: usize, depth: usize, item: &mut ItemFn<'_, 'a>) -> Fast<()> {
        if depth > MAX_DEPTH {
            return Err(give_up("deep nesting", self.pos));
        }
        self.node(self.pos)?;
        loop {
            let l = match self.peek()? {
                Peek::Line(l) if l.indent == n => l,
                Peek::Line(l) if l.indent > n => {
                    return Err(give_up("unexpected indentation", l.content));
                }
                _ => return Ok(()),
            };
            if !self.is_dash(l.content, l.end) {
                return Ok(());
            }
            let at = l.content
                + 1
                + self.b[l.content + 1..l.end]
                    .iter()
                    .take_while(|&&c| c == b' ')
                    .count();
            if at == l.end || self.b[at] == b'#' {
                return Err(give_up("an empty sequence item", l.content));
            }
            if self.is_dash(at, l.end) {
                return Err(give_up("a sequence in a sequence", at));
            }
            let v = if self.key_at(at, l.end)?.is_some() {
                // A mapping starting on the dash's line, its keys at the first key's column.
                let column = at - (l.content - l.indent);
                let mut map = Map::new();
                self.mapping_into(column, at, l.end, depth + 1, &mut map)?;
                Value::Object(map)
            } else {
                self.inline(at, l.end, n)?
            };
            item(self, v, at)?;
        }
    }

    /// A value starting at `at` on its key's or dash's line (ending at `end`), inside a
    /// collection at indentation `n`: a scalar or an empty flow collection.
    pub fn inline(&mut self, at: usize, end: usize, n: usize) -> Fast<Value> {
        self.node(at)?;
        let b = self.b;
        match b[at] {
            b'"' | b'\'' => {
                let (s, after, _) = if b[at] == b'"' {
                    self.double_quoted(at, n)?
                } else {
                    self.single_quoted(at, n)?
                };
                let end = self.text[after..].find('\n').map_or(b.len(), |i| after + i);
                self.end_line(after, end)?;
                Ok(Value::String(s))
            }
            b'|' | b'>' => Ok(Value::String(self.block_scalar(at, end, n)?)),
            open @ (b'{' | b'[') => {
                let close = if open == b'{' { b'}' } else { b']' };
                if at + 1 < end && b[at + 1] == close {
                    self.end_line(at + 2, end)?;
                    Ok(if open == b'{' {
                        Value::Object(Map::new())
                    } else {
                        Value::Array(Vec::new())
                    })
                } else {
                    Err(give_up("a flow collection with content", at))
                }
            }
            // `-x` is a plain scalar; `- ` would be a sequence, which YAML does not allow here.
            c if scalar::is_indicator(c) && (c != b'-' || self.is_dash(at, end)) => {
                Err(give_up("a value starting with an indicator", at))
            }
            _ => self.plain_value(at, end, n),
        }
    }
}
