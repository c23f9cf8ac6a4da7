//! Pure helper functions offered to scripts: `is_digest`, `parse_image`, `hours_between`, `target_ref`.
//!
//! Documented for rule authors in `policies/README.md`; keep the two in step.

use rhai::{Dynamic, Engine, EvalAltResult, Map};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Registers the helpers on the policy engine.
pub(crate) fn register(engine: &mut Engine) {
    super::windows::register(engine);
    engine.register_fn("is_digest", |r: Dynamic| {
        r.into_immutable_string()
            .map(|s| is_digest(&s))
            .unwrap_or(false)
    });
    engine.register_fn("parse_image", |r: &str| -> Map {
        let p = parse_image(r);
        let mut m = Map::new();
        let opt = |v: Option<String>| v.map(Dynamic::from).unwrap_or(Dynamic::UNIT);
        m.insert("registry".into(), opt(p.registry));
        m.insert("namespace".into(), opt(p.namespace));
        m.insert("name".into(), Dynamic::from(p.name));
        m.insert("tag".into(), opt(p.tag));
        m.insert("digest".into(), opt(p.digest));
        m
    });
    engine.register_fn(
        "target_ref",
        |t: Map| -> Result<String, Box<EvalAltResult>> {
            target_ref(&t).ok_or_else(|| {
                "target_ref: expected a target (a map with kind, namespace and name)".into()
            })
        },
    );
    engine.register_fn(
        "hours_between",
        |a: Dynamic, b: Dynamic| -> Result<f64, Box<EvalAltResult>> {
            let a = time_arg(&a)?;
            let b = time_arg(&b)?;
            Ok(hours_between(a, b))
        },
    );
}

fn time_arg(v: &Dynamic) -> Result<OffsetDateTime, Box<EvalAltResult>> {
    let text = v.clone().into_immutable_string().map_err(|t| {
        format!("hours_between: expected an RFC 3339 time string, got {t} (check the fact is not `()` first)")
    })?;
    parse_time(&text).ok_or_else(|| {
        format!("hours_between: `{text}` is not an RFC 3339 time (like 2024-03-05T12:00:00Z)")
            .into()
    })
}

/// `ns/dc/name` or `ns/deployment/name`: how reports, `--target` and exceptions name a target.
fn target_ref(t: &Map) -> Option<String> {
    let field = |k: &str| {
        t.get(k)
            .and_then(|v| v.clone().into_immutable_string().ok())
    };
    let kind = match field("kind")?.as_str() {
        "DeploymentConfig" => "dc",
        _ => "deployment",
    };
    Some(format!("{}/{kind}/{}", field("namespace")?, field("name")?))
}

/// Parses an RFC 3339 time, as the facts write them.
pub fn parse_time(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

/// Hours from `a` to `b` (negative when `b` is earlier).
pub fn hours_between(a: OffsetDateTime, b: OffsetDateTime) -> f64 {
    (b - a).as_seconds_f64() / 3600.0
}

/// True for a digest (`sha256:` + 64 hex) or a pull spec that names one (`…@sha256:…`).
pub fn is_digest(r: &str) -> bool {
    let d = r.rsplit_once('@').map_or(r, |(_, d)| d);
    match d.split_once(':') {
        Some((algo, hex)) => {
            !algo.is_empty()
                && algo.bytes().all(|b| {
                    b.is_ascii_lowercase()
                        || b.is_ascii_digit()
                        || b == b'+'
                        || b == b'.'
                        || b == b'_'
                        || b == b'-'
                })
                && hex.len() >= 32
                && hex.bytes().all(|b| b.is_ascii_hexdigit())
        }
        None => false,
    }
}

/// An image reference split into parts; absent parts are `None` (Rhai `()`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageParts {
    pub registry: Option<String>,
    pub namespace: Option<String>,
    pub name: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

/// Splits `[registry/][namespace/]name[:tag][@digest]` the way container tools do: the first
/// component is a registry when it has a `.` or `:` or is `localhost`.
pub fn parse_image(r: &str) -> ImageParts {
    let (rest, digest) = match r.split_once('@') {
        Some((rest, d)) => (rest, Some(d.to_string())),
        None => (r, None),
    };
    let mut parts: Vec<&str> = rest.split('/').collect();
    let registry = if parts.len() > 1
        && (parts[0].contains('.') || parts[0].contains(':') || parts[0] == "localhost")
    {
        Some(parts.remove(0).to_string())
    } else {
        None
    };
    let last = parts.pop().unwrap_or_default();
    let (name, tag) = match last.split_once(':') {
        Some((n, t)) => (n.to_string(), Some(t.to_string())),
        None => (last.to_string(), None),
    };
    let namespace = if parts.is_empty() {
        None
    } else {
        Some(parts.join("/"))
    };
    ImageParts {
        registry,
        namespace,
        name,
        tag,
        digest,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const D: &str = "sha256:7c3e0f5a2b9d4e6f8a1c3b5d7e9f0a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f";

    #[test]
    fn digests_and_pinned_specs() {
        assert!(is_digest(D));
        assert!(is_digest(&format!("quay.io/x/app@{D}")));
        assert!(!is_digest("app:latest"));
        assert!(!is_digest("quay.io:443/x/app:1.0"));
        assert!(!is_digest("sha256:abc"));
    }

    #[test]
    fn image_parts() {
        let p = parse_image("app:latest");
        assert_eq!(
            (p.registry, p.namespace, p.name.as_str()),
            (None, None, "app")
        );
        assert_eq!(p.tag.as_deref(), Some("latest"));
        let p = parse_image("quay.io/x/app:1.0");
        assert_eq!(p.registry.as_deref(), Some("quay.io"));
        assert_eq!(p.namespace.as_deref(), Some("x"));
        assert_eq!(p.tag.as_deref(), Some("1.0"));
        let p = parse_image(&format!(
            "image-registry.openshift-image-registry.svc:5000/dev/simple-app@{D}"
        ));
        assert_eq!(
            p.registry.as_deref(),
            Some("image-registry.openshift-image-registry.svc:5000")
        );
        assert_eq!(p.namespace.as_deref(), Some("dev"));
        assert_eq!(p.name, "simple-app");
        assert_eq!(p.tag, None);
        assert_eq!(p.digest.as_deref(), Some(D));
        let p = parse_image("dev/simple-app:promote");
        assert_eq!((p.registry, p.namespace.as_deref()), (None, Some("dev")));
    }

    #[test]
    fn hours() {
        let a = parse_time("2024-03-05T09:00:00Z").unwrap();
        let b = parse_time("2024-03-05T12:30:00Z").unwrap();
        assert_eq!(hours_between(a, b), 3.5);
        assert!(parse_time("yesterday").is_none());
    }
}
