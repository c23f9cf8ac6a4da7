//! The commands: thin adapters from parsed arguments to one library call and a report.

mod backtest;
mod batch;
mod check;
mod doc;
mod facts;
mod input;
mod lint;
mod output;
mod promote;
mod serve;
mod test;

pub use backtest::backtest;
pub use batch::batch_report;
pub use check::{check, check_report};
pub use doc::doc;
pub use facts::facts;
pub use lint::lint;
pub use promote::promote;
pub use serve::{options as serve_options, serve};
pub use test::test;
