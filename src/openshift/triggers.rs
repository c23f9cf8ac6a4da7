//! The `image.openshift.io/triggers` annotation of Deployments, parsed leniently.
//!
//! OpenShift parses it strictly (`library-go pkg/image/trigger/annotations.go`): one type error
//! anywhere and the whole annotation is rejected, so no trigger fires. The web console wrote two
//! broken forms over the years (`"pause":"true"`, `"paused":"false"`), so we read what the author
//! meant, record what OpenShift will actually do, and say so in `problems` instead of guessing.

use serde_json::Value;

use super::meta::ObjectReference;

pub const TRIGGERS_ANNOTATION: &str = "image.openshift.io/triggers";

/// The whole annotation.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AnnotationTriggers {
    pub entries: Vec<AnnotationTrigger>,
    /// Why OpenShift rejects the annotation as a whole (then no entry fires), or `None`.
    pub rejected: Option<String>,
}

/// Which container a trigger writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContainerSelector {
    Name(String),
    Index(usize),
}

/// One entry, as far as it could be read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AnnotationTrigger {
    pub from: Option<ObjectReference>,
    pub field_path: String,
    /// `(init container?, selector)`, or `None` when the fieldPath is not one OpenShift accepts.
    pub container: Option<(bool, ContainerSelector)>,
    /// What the author asked for (a string `"true"` counts as asking for a pause).
    pub paused_requested: bool,
    /// Whether OpenShift honours this entry at all (false for an invalid fieldPath or a
    /// rejected annotation).
    pub effective: bool,
    /// Human-readable findings about this entry, in the order found.
    pub problems: Vec<String>,
}

impl AnnotationTrigger {
    /// Whether the controller will write new images for this entry.
    pub fn fires(&self) -> bool {
        self.effective && !self.paused_requested
    }
}

fn rejected(why: String) -> AnnotationTriggers {
    AnnotationTriggers {
        entries: vec![],
        rejected: Some(why),
    }
}

/// Parses the annotation value. Never fails: unreadable parts become findings.
pub fn parse_trigger_annotation(raw: &str) -> AnnotationTriggers {
    let value: Value = match serde_json::from_str(raw) {
        Ok(v) => v,
        Err(e) => return rejected(format!("the annotation is not valid JSON ({e})")),
    };
    let Value::Array(items) = value else {
        return rejected("the annotation is not a JSON list".into());
    };
    let mut out = AnnotationTriggers::default();
    let mut type_errors = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Value::Object(obj) = item else {
            type_errors.push(format!("entry {i} is not an object"));
            continue;
        };
        let mut t = AnnotationTrigger {
            effective: true,
            ..Default::default()
        };
        match obj.get("from") {
            Some(Value::Object(from)) => {
                let field = |k: &str| -> Result<Option<String>, String> {
                    match from.get(k) {
                        None | Some(Value::Null) => Ok(None),
                        Some(Value::String(s)) => Ok(Some(s.clone())),
                        Some(other) => Err(format!("entry {i}: from.{k} is {other}, not a string")),
                    }
                };
                match (field("kind"), field("name"), field("namespace")) {
                    (Ok(kind), Ok(name), Ok(namespace)) => {
                        if name.as_deref().unwrap_or("").is_empty() {
                            t.effective = false;
                            t.problems.push("it has no from.name".into());
                        }
                        t.from = Some(ObjectReference {
                            kind: kind.unwrap_or_default(),
                            name: name.unwrap_or_default(),
                            namespace,
                            extra: Default::default(),
                        });
                    }
                    (a, b, c) => type_errors.extend([a, b, c].into_iter().filter_map(|r| r.err())),
                }
            }
            None | Some(Value::Null) => {
                t.effective = false;
                t.problems.push("it has no `from`".into());
            }
            Some(other) => type_errors.push(format!("entry {i}: from is {other}, not an object")),
        }
        match obj.get("fieldPath") {
            Some(Value::String(p)) => {
                t.field_path = p.clone();
                match parse_field_path(p) {
                    Ok(sel) => t.container = Some(sel),
                    Err(why) => {
                        t.effective = false;
                        t.problems.push(why);
                    }
                }
            }
            None | Some(Value::Null) => {
                t.effective = false;
                t.problems.push("it has no fieldPath".into());
            }
            Some(other) => {
                type_errors.push(format!("entry {i}: fieldPath is {other}, not a string"))
            }
        }
        match obj.get("paused") {
            None | Some(Value::Null) => {}
            Some(Value::Bool(b)) => t.paused_requested = *b,
            Some(Value::String(s)) => {
                t.paused_requested = s.eq_ignore_ascii_case("true");
                type_errors.push(format!(
                    "entry {i}: \"paused\": \"{s}\" is a string, not a boolean (written by the web console of OpenShift 4.14/4.15)"
                ));
            }
            Some(other) => type_errors.push(format!("entry {i}: paused is {other}, not a boolean")),
        }
        if let Some(pause) = obj.get("pause") {
            let asked = matches!(pause, Value::Bool(true))
                || matches!(pause, Value::String(s) if s.eq_ignore_ascii_case("true"));
            let mut why = format!(
                "`\"pause\": {pause}` is not a key OpenShift reads (the web console of OpenShift 4.6–4.13 wrote it); write `\"paused\": true|false`"
            );
            if asked && !t.paused_requested {
                why.push_str(": this trigger is NOT paused and fires on every tag change");
            }
            t.problems.push(why);
        }
        out.entries.push(t);
    }
    let mut seen = std::collections::BTreeSet::new();
    for t in &out.entries {
        if !t.field_path.is_empty() && !seen.insert(t.field_path.as_str()) {
            type_errors.push(format!(
                "two entries write the same fieldPath `{}`",
                t.field_path
            ));
        }
    }
    if !type_errors.is_empty() {
        out.rejected = Some(format!(
            "OpenShift rejects the whole annotation, so none of its triggers fires: {}",
            type_errors.join("; ")
        ));
        for t in &mut out.entries {
            t.effective = false;
        }
    }
    out
}

/// Checks a fieldPath the way the controller does: the pod-spec prefix of a Deployment, then
/// `containers[?(@.name=="X")]` (double quotes only) or `containers[N]`, then `.image`.
pub fn parse_field_path(path: &str) -> Result<(bool, ContainerSelector), String> {
    const PREFIX: &str = "spec.template.spec.";
    let invalid = |why: &str| format!("fieldPath `{path}` is not accepted by OpenShift: {why}");
    let rest = path
        .strip_prefix(PREFIX)
        .ok_or_else(|| invalid("it must start with `spec.template.spec.`"))?;
    let (init, rest) = if let Some(r) = rest.strip_prefix("initContainers[") {
        (true, r)
    } else if let Some(r) = rest.strip_prefix("containers[") {
        (false, r)
    } else {
        return Err(invalid("expected `containers[…]` or `initContainers[…]`"));
    };
    let (selector, tail) = rest
        .split_once(']')
        .ok_or_else(|| invalid("unclosed `[`"))?;
    if tail != ".image" {
        return Err(invalid("it must end with `.image`"));
    }
    if let Ok(n) = selector.parse::<usize>() {
        return Ok((init, ContainerSelector::Index(n)));
    }
    let name = selector
        .strip_prefix("?(@.name==\"")
        .and_then(|s| s.strip_suffix("\")"))
        .filter(|n| !n.is_empty() && !n.contains('"'))
        .ok_or_else(|| {
            invalid("the selector must be `?(@.name==\"NAME\")` with double quotes, or an index")
        })?;
    Ok((init, ContainerSelector::Name(name.to_string())))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const FP: &str = r#"spec.template.spec.containers[?(@.name==\"simple-app\")].image"#;

    fn ann(extra: &str) -> String {
        format!(
            r#"[{{"from":{{"kind":"ImageStreamTag","name":"simple-app:promote","namespace":"dev"}},"fieldPath":"{FP}"{extra}}}]"#
        )
    }

    #[test]
    fn reads_what_oc_set_triggers_writes() {
        let a = parse_trigger_annotation(&ann(""));
        assert_eq!(a.rejected, None);
        let t = &a.entries[0];
        assert!(t.fires());
        assert_eq!(
            t.container,
            Some((false, ContainerSelector::Name("simple-app".into())))
        );
        assert_eq!(t.from.as_ref().unwrap().namespace.as_deref(), Some("dev"));
        let a = parse_trigger_annotation(&ann(r#","paused":true"#));
        assert!(!a.entries[0].fires());
        assert!(a.entries[0].problems.is_empty());
    }

    #[test]
    fn string_paused_rejects_the_whole_annotation() {
        let a = parse_trigger_annotation(&ann(r#","paused":"false""#));
        let why = a.rejected.unwrap();
        assert!(why.contains("rejects the whole annotation"), "{why}");
        assert!(why.contains("4.14/4.15"), "{why}");
        assert!(!a.entries[0].effective);
        assert!(!a.entries[0].fires());
    }

    #[test]
    fn console_pause_key_is_ignored_and_reported() {
        let a = parse_trigger_annotation(&ann(r#","pause":"true""#));
        assert_eq!(a.rejected, None);
        let t = &a.entries[0];
        assert!(t.fires(), "OpenShift ignores `pause`, so the trigger fires");
        assert!(t.problems[0].contains("NOT paused"), "{:?}", t.problems);
    }

    #[test]
    fn field_paths_follow_the_controller() {
        assert_eq!(
            parse_field_path("spec.template.spec.containers[1].image"),
            Ok((false, ContainerSelector::Index(1)))
        );
        assert!(matches!(
            parse_field_path("spec.template.spec.initContainers[?(@.name==\"x\")].image"),
            Ok((true, _))
        ));
        assert!(parse_field_path("spec.template.spec.containers[?(@.name='web')].image").is_err());
        assert!(parse_field_path("spec.containers[0].image").is_err());
        let a = parse_trigger_annotation("not json");
        assert!(a.rejected.unwrap().contains("not valid JSON"));
    }
}
