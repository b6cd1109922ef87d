//! Errors of the agent-facing tools, carrying the exit code Pacemaker's tools
//! use for the same failure (agents test `$?`; galera, for one, reads 105 as
//! "attribute not set").

use std::fmt;

/// Pacemaker's `crm_exit_t` values that these tools return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    Error = 1,
    Usage = 64,
    /// The object (node, resource, attribute) does not exist.
    NoSuch = 105,
    /// No CIB to talk to (no daemon, no `CIB_file`).
    NotConnected = 102,
    /// `crm_resource --wait` ran out of time (CRM_EX_TIMEOUT).
    Timeout = 124,
}

/// A failure with its exit code and the message the user sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolError {
    pub code: ExitCode,
    pub message: String,
}

impl ToolError {
    pub fn new(code: ExitCode, message: impl Into<String>) -> Self {
        ToolError { code, message: message.into() }
    }

    pub fn no_such(message: impl Into<String>) -> Self {
        Self::new(ExitCode::NoSuch, message)
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(ExitCode::Usage, message)
    }
}

impl fmt::Display for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ToolError {}

/// Prints `err` as `<tool>: <message>` and exits with its code (or 1 for any
/// other error). For the tools' `main`s.
pub fn exit_with(tool: &str, err: anyhow::Error) -> ! {
    match err.downcast_ref::<ToolError>() {
        Some(t) => {
            eprintln!("{tool}: {}", t.message);
            std::process::exit(t.code as i32)
        }
        None => {
            eprintln!("{tool}: {err:#}");
            std::process::exit(ExitCode::Error as i32)
        }
    }
}
