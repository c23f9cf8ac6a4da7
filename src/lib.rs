//! tollgate: policy-checked image promotion for OpenShift.

pub mod config;
pub mod exit;
pub mod facts;
pub mod gather;
pub mod openshift;
pub mod plan;
pub mod policy;
pub mod policy_files;
pub mod refs;
