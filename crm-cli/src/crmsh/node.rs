//! `crm node`.

use std::path::PathBuf;

use super::error::CrmError;

pub fn run(_cib: Option<PathBuf>, args: &[String]) -> Result<(), CrmError> {
    Err(CrmError::Other(format!("node {}: not implemented yet", args.join(" "))))
}
