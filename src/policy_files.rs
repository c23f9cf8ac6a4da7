//! Reads rule files from policy directories (the I/O edge of the policy stage).
