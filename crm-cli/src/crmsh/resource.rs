//! `crm resource`.

use std::path::PathBuf;

use super::error::CrmError;

pub fn run(_cib: Option<PathBuf>, args: &[String]) -> Result<(), CrmError> {
    Err(CrmError::Other(format!("resource {}: not implemented yet", args.join(" "))))
}
