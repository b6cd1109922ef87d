//! `crm ra`.

use super::error::CrmError;

pub fn run(args: &[String]) -> Result<(), CrmError> {
    Err(CrmError::Other(format!("ra {}: not implemented yet", args.join(" "))))
}
