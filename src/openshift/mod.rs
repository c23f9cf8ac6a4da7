//! Slim serde types for the OpenShift and RBAC objects the gate reads and writes.
//!
//! Lenient on purpose: unknown fields are kept in `extra` maps (so a later PUT never drops
//! them), Go's `null` lists and maps read as empty, unquoted YAML scalars read as strings. Both
//! the 3.x `apiVersion: v1` and the 4.x grouped forms have the same shape, so one type serves both.

mod apps;
mod image;
mod lenient;
mod meta;
mod rbac;
mod replicaset;
mod triggers;

pub use apps::{
    Condition, Container, Deployment, DeploymentConfig, DeploymentConfigSpec,
    DeploymentConfigStatus, DeploymentSpec, DeploymentStatus, DeploymentTriggerPolicy,
    ImageChangeParams, PodSpec, PodTemplateSpec, ReplicationController, DEPLOYMENT_CONFIG_NAME,
    DEPLOYMENT_PHASE_ANNOTATION,
};
pub use image::{
    DockerConfig, DockerImageMetadata, Image, ImageSignature, ImageStream, ImageStreamImage,
    ImageStreamSpec, ImageStreamStatus, ImageStreamTag, NamedTagEventList, SignatureParty,
    TagEvent, TagReference, TagReferencePolicy,
};
pub(crate) use lenient::scalar_to_string;
pub use meta::{ObjectMeta, ObjectReference};
pub use rbac::{ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, RoleRef, Subject};
pub use replicaset::ReplicaSet;
pub use triggers::{
    parse_field_path, parse_trigger_annotation, AnnotationTrigger, AnnotationTriggers,
    ContainerSelector, TRIGGERS_ANNOTATION,
};

#[cfg(test)]
mod tests;
