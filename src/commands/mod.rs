//! The commands: thin adapters from parsed arguments to one library call and a report.

mod check;
mod doc;
mod facts;
mod input;
mod lint;
mod output;
mod promote;
mod test;

pub use check::{check, check_report};
pub use doc::doc;
pub use facts::facts;
pub use lint::lint;
pub use promote::promote;
pub use test::test;
