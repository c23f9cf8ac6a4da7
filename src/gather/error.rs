//! Why facts could not be built: each message says what is missing and how to supply it.

use thiserror::Error;

#[derive(Debug, Error, PartialEq)]
pub enum GatherError {
    #[error("image stream {stream} is not {place} ({known}); export it with `oc get is {name} -n {ns} -o yaml`")]
    SourceStreamNotFound {
        stream: String,
        name: String,
        ns: String,
        place: String,
        /// `image streams there: a, b` or `no image streams there`.
        known: String,
    },
    #[error("{source_ref} is not currently pointing to an image, cannot use it as the source of a promotion{hint}")]
    SourceTagEmpty { source_ref: String, hint: String },
    #[error("{digest} is not in the history of image stream {stream} {place}: only an image the stream has held can be promoted from it (see `oc describe is {name} -n {ns}`)")]
    DigestNotInStream {
        digest: String,
        stream: String,
        name: String,
        ns: String,
        place: String,
    },
    #[error("target {target} is not {place}: {known}")]
    TargetNotFound {
        target: String,
        place: String,
        /// `DeploymentConfigs there: prod/simple-app` or `there are no DeploymentConfigs there`.
        known: String,
    },
    #[error("image stream {stream} {place}: field `{field}`: {message}")]
    BadDigest {
        stream: String,
        place: String,
        field: String,
        message: String,
    },
    #[error("cannot format the promotion time: {0}")]
    Time(String),
}
