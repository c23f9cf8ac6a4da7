//! Acting on the cluster: retag pinned to the checked digest, roll out, wait — the only code that writes.
