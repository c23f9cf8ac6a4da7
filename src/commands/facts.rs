//! `tollgate facts`: print the facts document the rules would see, as JSON.

use crate::cli::FactsArgs;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::gate;
use crate::report;

use super::input::{facts_source, promotion};

pub fn facts(args: &FactsArgs) -> Result<ExitStatus, Error> {
    let promotion = promotion(&args.promotion, &args.source)?;
    let settings = gate::load_settings(args.config.as_deref())?;
    let facts = gate::gather(&facts_source(&args.source), &promotion, &settings)?;
    let mut text = serde_json::to_string_pretty(&facts)
        .map_err(|e| Error::Internal(format!("the facts do not serialise: {e}")))?;
    text.push('\n');
    report::print_stdout(&text)?;
    Ok(ExitStatus::Allowed)
}
