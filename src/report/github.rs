//! GitHub Actions workflow commands (`::error file=…,title=…::message`): annotations on the
//! rule files in the run's summary and pull request.

use super::escape::line;
use super::{exception_notes, render_summary_line, waiver_line, Report};
use crate::verdict::Outcome;

/// Escapes a message as the runner decodes it: `%`, CR and LF. Other control characters and
/// bidi overrides are the callers' to neutralise ([`line`]), since a message may keep the line
/// breaks the report itself puts in (`fix:` on its own line).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value: as data, plus `:` and `,`, which delimit properties.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command(kind: &str, props: &[(&str, String)], message: &str) -> String {
    let props: Vec<String> = props
        .iter()
        .map(|(k, v)| format!("{k}={}", escape_property(&line(v))))
        .collect();
    if props.is_empty() {
        format!("::{kind}::{}\n", escape_data(message))
    } else {
        format!("::{kind} {}::{}\n", props.join(","), escape_data(message))
    }
}

/// One workflow command per finding, then the decision as a notice (or error).
pub fn render_github(r: &Report) -> String {
    let mut out = String::new();
    for v in &r.rules {
        let kind = match v.outcome {
            Outcome::Deny | Outcome::Error => "error",
            Outcome::Warn => "warning",
            Outcome::Waived => "notice",
            Outcome::Skip | Outcome::Pass => continue,
        };
        let mut props = vec![("file", v.file.replace('\\', "/"))];
        if let Some((line, col)) = v.position {
            props.push(("line", line.to_string()));
            props.push(("col", col.to_string()));
        }
        let title = match v.outcome {
            Outcome::Error => format!("{} (rule error)", v.id),
            Outcome::Waived => format!("{} (waived)", v.id),
            _ => format!("{}: {}", v.id, v.title),
        };
        props.push(("title", title));
        for m in &v.messages {
            // The message is one line whatever the rule put in it; the report adds the rest.
            let mut message = line(m).into_owned();
            if let Some(w) = waiver_line(v) {
                message.push_str(&format!("\n{}", line(&w)));
            } else if let Some(fix) = v.fix.as_ref().filter(|_| v.outcome != Outcome::Error) {
                message.push_str(&format!("\nfix: {}", super::escape::block(fix)));
            }
            out.push_str(&command(kind, &props, &message));
        }
    }
    for (level, note) in exception_notes(r) {
        out.push_str(&command(
            level,
            &[("title", "tollgate exception".into())],
            &line(&note),
        ));
    }
    for w in &r.warnings {
        out.push_str(&command(
            "warning",
            &[("title", "tollgate".into())],
            &line(w),
        ));
    }
    if let Some(e) = &r.error {
        out.push_str(&command(
            "error",
            &[("title", "tollgate: could not decide".into())],
            &super::escape::block(e),
        ));
    }
    let kind = match r.decision {
        crate::verdict::Decision::Allow => "notice",
        _ => "error",
    };
    out.push_str(&command(
        kind,
        &[("title", "tollgate".into())],
        &render_summary_line(r),
    ));
    out
}
