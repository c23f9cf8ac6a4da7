//! Dev-only tools for issue 9: the seed's facts through the tollgate library, realistic
//! ClusterRoleBindings to grow a snapshot, and (feature `peer`) the pack in Rego on regorus.

pub mod generate;
#[cfg(feature = "peer")]
pub mod rego;
pub mod seed;
