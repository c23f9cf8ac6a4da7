//! Neutralising hostile text in reports: control characters, escape sequences and invisible
//! reordering characters made visible, and Markdown markup escaped.
//!
//! Any string in a report may come from a cluster object, a snapshot or a rule message. Left
//! as is, ESC sequences drive the reader's terminal (`ESC[2J` clears it), CR and LF forge
//! lines (`decision: ALLOW`), and bidi overrides show text in another order than it is.

use std::borrow::Cow;
use std::fmt::Write;

/// Characters rendered as visible escapes: C0 controls, DEL, C1 controls, bidi embedding,
/// override and isolate marks, zero-width characters and the Unicode line/paragraph separators.
/// Tab is left alone (harmless, and compile-error snippets align carets with it).
fn is_hostile(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{a}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{61c}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}'
        | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

fn push_visible(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        other => {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(other));
        }
    }
}

fn neutralise(s: &str, keep_newlines: bool) -> Cow<'_, str> {
    let hostile = |c: char| is_hostile(c) && !(keep_newlines && c == '\n');
    if !s.chars().any(hostile) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if hostile(c) {
            push_visible(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A single-line field for a terminal or a log: every hostile character, line breaks
/// included, shown as an escape (`\n`, `\r`, `\u{1b}`).
pub fn line(s: &str) -> Cow<'_, str> {
    neutralise(s, false)
}

/// A multi-line block (an error with its source snippet): line feeds kept, every other hostile
/// character shown as an escape.
pub fn block(s: &str) -> Cow<'_, str> {
    neutralise(s, true)
}

/// Prose for a Markdown table cell or list item: hostile characters visible, line breaks as
/// `<br>`, inline markup (emphasis, links, HTML, entities, pipes) and block markers at the
/// start escaped. A balanced code span (`` `oc tag …` ``) stays a code span, since its content
/// is literal in Markdown; an unmatched backtick is escaped.
pub fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '`' {
            let run = chars[i..].iter().take_while(|&&c| c == '`').count();
            if let Some(end) = closing_run(&chars, i + run, run) {
                let content: String = chars[i + run..end].iter().collect();
                out.push_str(&md_code(&content, true));
                i = end + run;
            } else {
                out.push_str(&"\\`".repeat(run));
                i += run;
            }
            continue;
        }
        let at_start = chars[..i].iter().all(|c| c.is_whitespace());
        match c {
            '\n' => out.push_str("<br>"),
            '\r' if chars.get(i + 1) == Some(&'\n') => {}
            c if is_hostile(c) => push_visible(&mut out, c),
            '\\' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '#' | '+' | '-' | '=' if at_start => {
                out.push('\\');
                out.push(c);
            }
            '.' | ')' if chars[..i].iter().all(|c| c.is_ascii_digit()) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// Where a run of exactly `len` backticks starts at or after `from`.
fn closing_run(chars: &[char], from: usize, len: usize) -> Option<usize> {
    let mut j = from;
    while j < chars.len() {
        if chars[j] == '`' {
            let run = chars[j..].iter().take_while(|&&c| c == '`').count();
            if run == len {
                return Some(j);
            }
            j += run;
        } else {
            j += 1;
        }
    }
    None
}

/// `s` as a Markdown code span: content literal, hostile characters (line breaks included)
/// visible, fenced with more backticks than it contains in a row. In a table cell, `|` is
/// escaped as GFM requires even inside code spans.
pub fn md_code(s: &str, in_table: bool) -> String {
    let mut content = line(s).into_owned();
    if in_table {
        content = content.replace('|', "\\|");
    }
    let longest = longest_backtick_run(&content);
    let fence = "`".repeat(longest + 1);
    let pad = if content.starts_with('`') || content.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{content}{pad}{fence}")
}

/// A fenced Markdown code block: line feeds kept, hostile characters visible, a fence longer
/// than any backtick run inside so the content cannot close it.
pub fn md_block(s: &str) -> String {
    let content = block(s);
    let fence = "`".repeat((longest_backtick_run(&content) + 1).max(3));
    format!("{fence}\n{}\n{fence}", content.trim_end_matches('\n'))
}

fn longest_backtick_run(s: &str) -> usize {
    s.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "a\u{1b}[2Jb\u{7}c\rd\ne\u{9b}f\u{202e}g\u{2066}h\u{200b}i";

    #[test]
    fn lines_show_every_hostile_character() {
        assert_eq!(
            line(HOSTILE),
            "a\\u{1b}[2Jb\\u{7}c\\rd\\ne\\u{9b}f\\u{202e}g\\u{2066}h\\u{200b}i"
        );
        assert!(matches!(line("plain, ünïcode\tok"), Cow::Borrowed(_)));
    }

    #[test]
    fn blocks_keep_line_feeds_only() {
        assert_eq!(block("x\ny\r\u{1b}"), "x\ny\\r\\u{1b}");
    }

    #[test]
    fn markdown_text_escapes_markup_and_keeps_balanced_code() {
        assert_eq!(
            md_text("run `oc tag a|b` <img src=x> *now* [x](y) | &#x202e;"),
            "run `oc tag a\\|b` \\<img src=x\\> \\*now\\* \\[x\\](y) \\| \\&#x202e;"
        );
        assert_eq!(md_text("a ` b"), "a \\` b");
        assert_eq!(md_text("# h\nx\r\n- y"), "\\# h<br>x<br>- y");
        assert_eq!(md_text("1. x"), "1\\. x");
        assert_eq!(md_text("\u{1b}[2J"), "\\u{1b}\\[2J");
    }

    #[test]
    fn markdown_code_cannot_be_closed_from_inside() {
        assert_eq!(md_code("a`b", false), "``a`b``");
        assert_eq!(md_code("`x", false), "`` `x ``");
        assert_eq!(md_code("a|b\nc", true), "`a\\|b\\nc`");
        assert_eq!(md_block("x\n```\ny"), "````\nx\n```\ny\n````");
    }
}
