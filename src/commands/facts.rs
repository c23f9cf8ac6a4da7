//! `tollgate facts`: print the facts document the rules would see, as JSON.

use crate::cli::FactsArgs;
use crate::error::Error;
use crate::exit::ExitStatus;
use crate::report;

use super::{default_namespace, gather_facts, load_settings, parse_request};

pub fn facts(args: &FactsArgs) -> Result<ExitStatus, Error> {
    let ns = default_namespace(&args.source);
    let req = parse_request(&args.promotion, ns.as_deref())?;
    let settings = load_settings(args.config.as_deref())?;
    let facts = gather_facts(&req, &args.promotion, &args.source, &settings)?;
    let mut text =
        serde_json::to_string_pretty(&facts).map_err(|e| Error::Usage(format!("facts: {e}")))?;
    text.push('\n');
    report::print_stdout(&text)?;
    Ok(ExitStatus::Allowed)
}
