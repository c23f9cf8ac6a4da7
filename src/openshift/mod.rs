//! Slim serde types for the OpenShift and RBAC objects the gate reads and writes.
