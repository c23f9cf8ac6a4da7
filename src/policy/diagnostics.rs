//! Script errors → `file:line:col: message` with the source line and a caret, plus hints
//! ("did you mean `digest`?") for mistyped fact keys and variables.

use rhai::{EvalAltResult, ParseError, ParseErrorType, Position};

use super::engine::{MAX_CALL_LEVELS, MAX_MODULES, MAX_OPERATIONS};
use super::ScriptError;

/// Builds a [`ScriptError`] at a 1-based line/column (0 = unknown) of `text`.
pub(crate) fn script_error(
    file: &str,
    text: &str,
    line: usize,
    col: usize,
    message: String,
) -> ScriptError {
    let mut rendered = if line == 0 {
        format!("{file}: {message}\n")
    } else {
        format!("{file}:{line}:{col}: {message}\n")
    };
    if let Some(src) = text.lines().nth(line.wrapping_sub(1)) {
        let num = line.to_string();
        let pad = " ".repeat(num.len());
        // Keep tabs so the caret lines up in any terminal.
        let lead: String = src
            .chars()
            .take(col.saturating_sub(1))
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        rendered.push_str(&format!("{pad} |\n{num} | {src}\n{pad} | {lead}^\n"));
    }
    ScriptError {
        file: file.to_string(),
        line,
        col,
        message,
        rendered,
    }
}

fn line_col(pos: Position) -> (usize, usize) {
    (pos.line().unwrap_or(0), pos.position().unwrap_or(1))
}

/// A compile error.
pub(crate) fn from_parse_error(file: &str, text: &str, err: &ParseError) -> ScriptError {
    let (line, col) = line_col(err.position());
    let message = match err.err_type() {
        ParseErrorType::VariableUndefined(name) => {
            let mut m = format!("unknown variable `{name}`");
            if let Some(s) = nearest(name, super::rule::INJECTED_NAMES.iter().copied()) {
                m.push_str(&format!("; did you mean `{s}`?"));
            }
            m
        }
        other => other.to_string(),
    };
    script_error(file, text, line, col, message)
}

/// A runtime error. `suggest_key(chain, key)` proposes a known key for a missing property,
/// given the dotted path written before it (`["image"]` for `image.digset`).
pub(crate) fn from_eval_error(
    file: &str,
    text: &str,
    err: &EvalAltResult,
    suggest_key: &dyn Fn(&[String], &str) -> Option<String>,
) -> ScriptError {
    // Errors inside script functions are wrapped once per call level: report the innermost
    // position (where it went wrong) and say which function it was in.
    let mut inner = err;
    let mut in_fn: Option<String> = None;
    while let EvalAltResult::ErrorInFunctionCall(name, _, e, _) = inner {
        in_fn.get_or_insert_with(|| name.clone());
        inner = e;
    }
    let (line, col) = line_col(inner.position());
    let mut message = match inner {
        EvalAltResult::ErrorPropertyNotFound(prop, pos) => {
            let chain = chain_before(text, *pos);
            let path = if chain.is_empty() {
                String::new()
            } else {
                format!(" in `{}`", chain.join("."))
            };
            let mut m = format!("unknown key `{prop}`{path}");
            if let Some(s) = suggest_key(&chain, prop) {
                m.push_str(&format!("; did you mean `{s}`?"));
            }
            m
        }
        EvalAltResult::ErrorFunctionNotFound(sig, _) => {
            format!("unknown function `{sig}` (no such function for these argument types)")
        }
        EvalAltResult::ErrorTooManyOperations(_) => format!(
            "stopped after {MAX_OPERATIONS} operations (an endless loop?): rules are limited to keep the gate fast"
        ),
        EvalAltResult::ErrorStackOverflow(_) => format!(
            "too many nested function calls (limit {MAX_CALL_LEVELS}): runaway recursion?"
        ),
        EvalAltResult::ErrorRuntime(value, _) => format!("rule threw: {value}"),
        // Raised only by the gate's own limits (deadline, message caps), with their message.
        EvalAltResult::ErrorTerminated(why, _) => why.to_string(),
        EvalAltResult::ErrorAssignmentToConstant(name, _) => {
            format!("`{name}` is read-only: facts and params cannot be changed (copy first: `let x = {name};`)")
        }
        EvalAltResult::ErrorNonPureMethodCallOnConstant(f, _) => format!(
            "`{f}` would change a read-only fact or param: copy it first (`let x = targets;`)"
        ),
        EvalAltResult::ErrorModuleNotFound(name, _) => {
            format!("cannot import `{name}`: rules import only their policy directory's `lib/` modules, by name")
        }
        EvalAltResult::ErrorTooManyModules(_) => {
            format!("too many imports (limit {MAX_MODULES})")
        }
        other => {
            // Display appends " (line L, position C)"; the rendering shows it already.
            let s = other.to_string();
            match s.rfind(" (line ") {
                Some(i) if s.ends_with(')') => s[..i].to_string(),
                _ => s,
            }
        }
    };
    if let Some(f) = in_fn {
        message.push_str(&format!(" (in function `{f}`)"));
    }
    script_error(file, text, line, col, message)
}

/// The dotted path written just before the property at `pos`: for `t.env.nmae` at `nmae`,
/// `["t", "env"]`. Index expressions become `[]` segments.
fn chain_before(text: &str, pos: Position) -> Vec<String> {
    let (line, col) = line_col(pos);
    let Some(src) = text.lines().nth(line.wrapping_sub(1)) else {
        return vec![];
    };
    let chars: Vec<char> = src.chars().collect();
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    // The position may point at the dot or at the property name; find the dot.
    let mut i = col.saturating_sub(1).min(chars.len());
    if chars.get(i) != Some(&'.') {
        while i > 0 && is_ident(chars[i - 1]) {
            i -= 1;
        }
        if i == 0 || chars[i - 1] != '.' {
            return vec![];
        }
        i -= 1;
    }
    let mut segs = Vec::new();
    let mut end = i; // exclusive end of the expression before the dot
    loop {
        let mut j = end;
        if j > 0 && chars[j - 1] == ']' {
            let mut depth = 0usize;
            while j > 0 {
                j -= 1;
                match chars[j] {
                    ']' => depth += 1,
                    '[' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
            }
            segs.push("[]".to_string());
            end = j;
            continue;
        }
        while j > 0 && is_ident(chars[j - 1]) {
            j -= 1;
        }
        if j == end {
            break;
        }
        segs.push(chars[j..end].iter().collect());
        if j > 0 && chars[j - 1] == '.' {
            end = j - 1;
        } else {
            break;
        }
    }
    segs.reverse();
    segs
}

/// Levenshtein distance over characters.
pub fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The candidate closest to `word`, if it is close enough to be a plausible typo.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let limit = (word.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .filter(|c| *c != word)
        .map(|c| (levenshtein(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(levenshtein("digset", "digest"), 2);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(
            nearest("digset", ["digest", "created", "labels"]),
            Some("digest".into())
        );
        assert_eq!(nearest("zzzzzz", ["digest"]), None);
    }

    #[test]
    fn chains() {
        let text = "let x = image.digset;\nfor t in targets { t.triggers[0].frm }";
        assert_eq!(chain_before(text, Position::new(1, 14)), vec!["image"]);
        assert_eq!(chain_before(text, Position::new(1, 15)), vec!["image"]);
        assert_eq!(
            chain_before(text, Position::new(2, 33)),
            vec!["t", "triggers", "[]"]
        );
    }

    #[test]
    fn caret_under_column() {
        let e = script_error("p.rhai", "a\n  bad;\n", 2, 3, "oops".into());
        assert_eq!(e.rendered, "p.rhai:2:3: oops\n  |\n2 |   bad;\n  |   ^\n");
    }
}
