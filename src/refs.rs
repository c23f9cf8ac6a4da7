//! Parsing and validation of `ns/stream:tag`, `ns/stream@sha256:…` and `ns/kind/name` references.

use std::fmt;

use thiserror::Error;

/// A reference the user wrote that does not parse; the message says what form was expected.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("invalid {what} `{input}`: {why}")]
pub struct RefError {
    pub what: &'static str,
    pub input: String,
    pub why: String,
}

fn err(what: &'static str, input: &str, why: impl Into<String>) -> RefError {
    RefError {
        what,
        input: input.to_string(),
        why: why.into(),
    }
}

/// Either a tag or an exact image of a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    Tag(String),
    Digest(String),
}

/// A validated `ns/stream:tag` or `ns/stream@sha256:…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    pub namespace: String,
    pub stream: String,
    pub selector: Selector,
}

impl ImageRef {
    pub fn tag(&self) -> Option<&str> {
        match &self.selector {
            Selector::Tag(t) => Some(t),
            Selector::Digest(_) => None,
        }
    }

    pub fn digest(&self) -> Option<&str> {
        match &self.selector {
            Selector::Digest(d) => Some(d),
            Selector::Tag(_) => None,
        }
    }

    /// `stream:tag` — the name OpenShift gives the ImageStreamTag.
    pub fn istag_name(&self) -> String {
        match &self.selector {
            Selector::Tag(t) => format!("{}:{t}", self.stream),
            Selector::Digest(d) => format!("{}@{d}", self.stream),
        }
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.istag_name())
    }
}

/// DNS-1123 label: what a namespace must be.
pub fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// DNS-1123 subdomain: what an ImageStream, DeploymentConfig or Deployment name must be.
pub fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 253 && s.split('.').all(is_dns_label)
}

/// OpenShift's tag-name rule `^[\w][\w.-]{0,127}$` (oc tag).
pub fn is_tag_name(s: &str) -> bool {
    let ok = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if ok(c))
        && s.len() <= 128
        && chars.all(|c| ok(c) || c == '.' || c == '-')
}

/// Checks an image digest: `sha256:` followed by exactly 64 lowercase hex digits, the only form
/// OpenShift writes. Anything else (uppercase, another algorithm, a path such as `/../`) could
/// never match the image the gate checked, so it is refused wherever it is read. The message
/// shows the value escaped and shortened, since it may come from a crafted file.
pub fn validate_digest(s: &str) -> Result<(), String> {
    if is_digest(s) {
        return Ok(());
    }
    let shown: String = s.chars().take(80).collect();
    let more = if s.chars().count() > 80 { "…" } else { "" };
    Err(format!(
        "{shown:?}{more} is not an image digest (`sha256:` and 64 lowercase hex digits)"
    ))
}

/// `sha256:` followed by 64 lowercase hex digits.
pub fn is_digest(s: &str) -> bool {
    s.strip_prefix("sha256:").is_some_and(|h| {
        h.len() == 64
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

fn split_namespace<'a>(
    what: &'static str,
    input: &'a str,
    default_ns: Option<&'a str>,
) -> Result<(&'a str, &'a str), RefError> {
    match input.split_once('/') {
        Some((ns, rest)) => {
            if !is_dns_label(ns) {
                return Err(err(
                    what,
                    input,
                    format!("`{ns}` is not a valid namespace name"),
                ));
            }
            Ok((ns, rest))
        }
        None => match default_ns {
            Some(ns) => Ok((ns, input)),
            None => Err(err(
                what,
                input,
                "no namespace: write `ns/stream:tag`, or pass `-n NAMESPACE`",
            )),
        },
    }
}

fn check_stream(what: &'static str, input: &str, stream: &str) -> Result<(), RefError> {
    if is_dns_subdomain(stream) {
        Ok(())
    } else {
        Err(err(
            what,
            input,
            format!(
                "`{stream}` is not a valid image stream name (lowercase letters, digits, `-`, `.`)"
            ),
        ))
    }
}

/// Parses a SOURCE: `ns/stream:tag` or `ns/stream@sha256:…`.
pub fn parse_source(input: &str, default_ns: Option<&str>) -> Result<ImageRef, RefError> {
    const WHAT: &str = "SOURCE";
    const FORM: &str = "expected `ns/stream:tag` or `ns/stream@sha256:<64 hex digits>`";
    let (ns, rest) = split_namespace(WHAT, input, default_ns)?;
    if let Some((stream, digest)) = rest.split_once('@') {
        check_stream(WHAT, input, stream)?;
        if !is_digest(digest) {
            return Err(err(
                WHAT,
                input,
                format!("`{digest}` is not a sha256 digest; {FORM}"),
            ));
        }
        return Ok(ImageRef {
            namespace: ns.into(),
            stream: stream.into(),
            selector: Selector::Digest(digest.into()),
        });
    }
    parse_tagged(WHAT, input, ns, rest, FORM)
}

/// Parses a DESTINATION: `ns/stream:tag` only (a digest cannot be moved).
pub fn parse_destination(input: &str, default_ns: Option<&str>) -> Result<ImageRef, RefError> {
    const WHAT: &str = "DESTINATION";
    let (ns, rest) = split_namespace(WHAT, input, default_ns)?;
    if rest.contains('@') {
        return Err(err(
            WHAT,
            input,
            "a destination is a tag (`ns/stream:tag`), not an image digest",
        ));
    }
    parse_tagged(WHAT, input, ns, rest, "expected `ns/stream:tag`")
}

fn parse_tagged(
    what: &'static str,
    input: &str,
    ns: &str,
    rest: &str,
    form: &str,
) -> Result<ImageRef, RefError> {
    let Some((stream, tag)) = rest.split_once(':') else {
        return Err(err(what, input, format!("no tag; {form}")));
    };
    check_stream(what, input, stream)?;
    if !is_tag_name(tag) {
        return Err(err(
            what,
            input,
            format!(
                "`{tag}` is not a valid tag name (letters, digits, `_`, `.`, `-`; at most 128)"
            ),
        ));
    }
    Ok(ImageRef {
        namespace: ns.into(),
        stream: stream.into(),
        selector: Selector::Tag(tag.into()),
    })
}

/// The two kinds of workload a promotion can reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WorkloadKind {
    DeploymentConfig,
    Deployment,
}

impl WorkloadKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::DeploymentConfig => "DeploymentConfig",
            WorkloadKind::Deployment => "Deployment",
        }
    }

    /// The short form used in `ns/dc/name` references.
    pub fn short(self) -> &'static str {
        match self {
            WorkloadKind::DeploymentConfig => "dc",
            WorkloadKind::Deployment => "deployment",
        }
    }
}

/// A validated `ns/dc/name`, `ns/deploymentconfig/name` or `ns/deployment/name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TargetRef {
    pub namespace: String,
    pub kind: WorkloadKind,
    pub name: String,
}

impl fmt::Display for TargetRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.namespace, self.kind.short(), self.name)
    }
}

/// Parses a `--target` REF; a missing namespace (`dc/name`) takes `default_ns`.
pub fn parse_target(input: &str, default_ns: Option<&str>) -> Result<TargetRef, RefError> {
    const WHAT: &str = "target";
    let parts: Vec<&str> = input.split('/').collect();
    let (ns, kind, name) = match parts.as_slice() {
        [ns, kind, name] => (*ns, *kind, *name),
        [kind, name] => match default_ns {
            Some(ns) => (ns, *kind, *name),
            None => {
                return Err(err(
                    WHAT,
                    input,
                    "no namespace: write `ns/dc/name`, or pass `-n NAMESPACE`",
                ))
            }
        },
        _ => {
            return Err(err(
                WHAT,
                input,
                "expected `ns/dc/name`, `ns/deploymentconfig/name` or `ns/deployment/name`",
            ))
        }
    };
    if !is_dns_label(ns) {
        return Err(err(
            WHAT,
            input,
            format!("`{ns}` is not a valid namespace name"),
        ));
    }
    let kind = match kind {
        "dc" | "deploymentconfig" | "deploymentconfigs" => WorkloadKind::DeploymentConfig,
        "deploy" | "deployment" | "deployments" => WorkloadKind::Deployment,
        other => {
            return Err(err(
                WHAT,
                input,
                format!("unknown kind `{other}`: use `dc`, `deploymentconfig` or `deployment`"),
            ))
        }
    };
    if !is_dns_subdomain(name) {
        return Err(err(
            WHAT,
            input,
            format!("`{name}` is not a valid object name"),
        ));
    }
    Ok(TargetRef {
        namespace: ns.into(),
        kind,
        name: name.into(),
    })
}

/// First 19 characters of a digest (`sha256:` + 12 hex): enough to tell digests apart in a line.
pub fn short_digest(digest: &str) -> &str {
    digest.get(..19).unwrap_or(digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn parses_tag_and_digest_sources() {
        let r = parse_source("dev/simple-app:latest", None).unwrap();
        assert_eq!(r.to_string(), "dev/simple-app:latest");
        assert_eq!(r.tag(), Some("latest"));
        let r = parse_source(&format!("dev/simple-app@{D}"), None).unwrap();
        assert_eq!(r.digest(), Some(D));
        assert_eq!(
            parse_source("simple-app:latest", Some("dev"))
                .unwrap()
                .namespace,
            "dev"
        );
    }

    #[test]
    fn rejects_bad_sources_with_the_reason() {
        for (input, needle) in [
            ("simple-app:latest", "no namespace"),
            ("dev/simple-app", "no tag"),
            ("dev/simple-app@sha256:abc", "not a sha256 digest"),
            ("dev/Simple_App:latest", "not a valid image stream name"),
            ("dev/simple-app:-bad", "not a valid tag name"),
            ("DEV/simple-app:latest", "not a valid namespace"),
        ] {
            let e = parse_source(input, None).unwrap_err();
            assert!(e.to_string().contains(needle), "{input}: {e}");
        }
        assert!(parse_destination(&format!("dev/x@{D}"), None).is_err());
    }

    #[test]
    fn parses_targets_in_every_spelling() {
        for s in ["prod/dc/simple-app", "prod/deploymentconfig/simple-app"] {
            let t = parse_target(s, None).unwrap();
            assert_eq!(t.kind, WorkloadKind::DeploymentConfig);
            assert_eq!(t.to_string(), "prod/dc/simple-app");
        }
        assert_eq!(
            parse_target("deployment/x", Some("prod"))
                .unwrap()
                .to_string(),
            "prod/deployment/x"
        );
        assert!(parse_target("prod/pod/x", None)
            .unwrap_err()
            .to_string()
            .contains("unknown kind"));
        assert!(parse_target("x", None).is_err());
    }
}
