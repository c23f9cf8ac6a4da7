//! `|` and `>` block scalars of the fast reader, read and folded as libyaml does.

use super::block::{give_up, Parser};
use super::Fast;

impl Parser<'_> {
    /// A `|` or `>` block scalar whose header is at `at` on a line ending at `end`, under a
    /// key or dash at column `c`. The algorithm is libyaml's (`scan_block_scalar`): content
    /// indentation from the first non-empty line, `>` folding between lines that do not start
    /// with a space, then chomping. Empty scalars, indentation indicators and lines indented
    /// between the parent and the content are left to serde-saphyr.
    pub fn block_scalar(&mut self, at: usize, end: usize, c: usize) -> Fast<String> {
        let (b, len) = (self.b, self.b.len());
        let literal = b[at] == b'|';
        let mut i = at + 1;
        let mut chomp = 0i8;
        if i < end && matches!(b[i], b'-' | b'+') {
            chomp = if b[i] == b'-' { -1 } else { 1 };
            i += 1;
        }
        if (i < end && b[i] != b' ') || !self.line_rest(i, end)? {
            return Err(give_up("an unusual block scalar header", at));
        }
        let spaces = |p: usize| b[p..].iter().take_while(|&&c| c == b' ').count();
        let line_end = |p: usize| self.text[p..].find('\n').map_or(len, |k| p + k);
        // Leading empty lines, and the indentation of the first content line.
        let (mut pos, mut trailing, mut max_blank) = (end + 1, 0usize, 0);
        let m = loop {
            if pos >= len {
                return Err(give_up("an empty block scalar", at));
            }
            let (s, e) = (spaces(pos), line_end(pos));
            if pos + s < e {
                break s;
            }
            if e >= len {
                return Err(give_up("an empty block scalar", at));
            }
            trailing += 1;
            max_blank = max_blank.max(s);
            pos = e + 1;
        };
        if m <= c || max_blank > m {
            return Err(give_up("an empty or oddly indented block scalar", pos));
        }
        let mut out = String::new();
        let (mut leading_break, mut leading_blank) = (false, false);
        loop {
            // `pos` starts a content line: at least `m` spaces, then something.
            let (start, e) = (pos + m, line_end(pos));
            let trailing_blank = b[start] == b' ';
            if !literal && leading_break && !leading_blank && !trailing_blank {
                if trailing == 0 {
                    out.push(' ');
                }
            } else if leading_break {
                out.push('\n');
            }
            out.extend(std::iter::repeat_n('\n', trailing));
            trailing = 0;
            leading_blank = trailing_blank;
            out.push_str(&self.text[start..e]);
            // serde-saphyr's reader ends the text with a line break where there is none.
            if e >= len {
                return Err(give_up(
                    "a block scalar at the end of a text without a newline",
                    e,
                ));
            }
            leading_break = true;
            pos = e + 1;
            // Empty lines, then another content line or the end of the scalar.
            let more = loop {
                if pos >= len {
                    break false;
                }
                let (s, e) = (spaces(pos), line_end(pos));
                if pos + s == e && s <= m {
                    if e >= len {
                        return Err(give_up(
                            "a block scalar at the end of a text without a newline",
                            e,
                        ));
                    }
                    trailing += 1;
                    pos = e + 1;
                    continue;
                }
                if s >= m {
                    break true;
                }
                if s > c {
                    return Err(give_up(
                        "a block scalar line indented less than its first",
                        pos,
                    ));
                }
                break false;
            };
            if !more {
                break;
            }
        }
        if chomp != -1 && leading_break {
            out.push('\n');
        }
        if chomp == 1 {
            out.extend(std::iter::repeat_n('\n', trailing));
        }
        self.pos = pos;
        Ok(out)
    }
}
