//! Keys of the fast reader: `key:` lines, plain or quoted, and which of them it reads.

use std::borrow::Cow;

use super::block::{give_up, Parser};
use super::scalar;
use super::typing::{resolve, Plain};
use super::Fast;

/// Longer keys are left to serde-saphyr, which looks at most 1024 characters ahead for a key.
const MAX_KEY_BYTES: usize = 512;

impl<'a> Parser<'a> {
    /// The key of a `key: …` line starting at `at`, and the offset after its colon; `None`
    /// when the line is not one (it may still be a scalar, e.g. a sequence item).
    pub fn key_at(&mut self, at: usize, end: usize) -> Fast<Option<(Cow<'a, str>, usize)>> {
        let b = self.b;
        let close = match b[at] {
            q @ (b'"' | b'\'') => {
                let Some(close) = scalar::quote_end_on_line(b, at, end, q) else {
                    return Ok(None);
                };
                close
            }
            c if scalar::is_indicator(c) => return Ok(None),
            _ => {
                let mut i = at;
                while i < end {
                    match b[i] {
                        b':' if i + 1 == end || b[i + 1] == b' ' => break,
                        b'#' if b[i - 1] == b' ' => return Ok(None),
                        _ => i += 1,
                    }
                }
                if i == end {
                    return Ok(None);
                }
                let key = &self.text[at..i];
                if key.ends_with(' ') {
                    return Err(give_up("a space before a key's colon", i));
                }
                if key.len() > MAX_KEY_BYTES
                    || key
                        .bytes()
                        .any(|c| matches!(c, b'[' | b']' | b'{' | b'}' | b',' | b'"' | b'\''))
                    || key == "<<"
                    || !matches!(resolve(key), Plain::Str)
                {
                    return Err(give_up("an unusual key", at));
                }
                return Ok(Some((Cow::Borrowed(key), i + 1)));
            }
        };
        // A quoted key: `"…": ` on one line.
        if !(close + 1 < end && b[close + 1] == b':' && (close + 2 == end || b[close + 2] == b' '))
        {
            return Ok(None);
        }
        if close - at > MAX_KEY_BYTES {
            return Err(give_up("an unusual key", at));
        }
        let (key, after, _) = if b[at] == b'"' {
            self.double_quoted(at, 0)?
        } else {
            self.single_quoted(at, 0)?
        };
        if after != close + 1 || key.is_empty() {
            return Err(give_up("an unusual key", at));
        }
        Ok(Some((Cow::Owned(key), close + 2)))
    }
}
