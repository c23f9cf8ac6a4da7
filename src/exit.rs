//! The process exit status: the table of docs/design/CLI.md, which CI pipelines depend on.

/// How a run ended.
///
/// | code | meaning |
/// |---|---|
/// | 0 | allowed (and, for `promote` without `--dry-run`, done) |
/// | 1 | denied by policy (or tests failed): nothing was changed |
/// | 2 | could not decide: bad arguments, configuration, snapshot or rule script, a rule error, or the cluster could not be read; nothing was changed |
/// | 3 | partly done: the tag moved but a rollout or the wait failed |
///
/// An error outranks a denial.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExitStatus {
    Allowed = 0,
    Denied = 1,
    Error = 2,
    Partial = 3,
}

impl ExitStatus {
    pub fn code(self) -> i32 {
        self as i32
    }
}
