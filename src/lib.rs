//! tollgate: policy-checked image promotion for OpenShift.
//!
//! The pipeline is gather → evaluate → decide → act → report; each stage is a module.

pub mod config;
pub mod exit;
pub mod facts;
pub mod refs;
pub mod gather;
pub mod openshift;
pub mod policy;
pub mod policy_files;
