//! Errors at the crate's edge. An agent that runs and fails is not an error
//! here: that is an [`crate::OpResult`] with a failing code. These are for
//! requests that cannot even be attempted or answers that cannot be read.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("invalid agent: {0}")]
    BadSpec(String),
    #[error("agent {spec} is not installed (looked for {path})")]
    NotInstalled { spec: String, path: PathBuf },
    #[error("{0}")]
    Unsupported(String),
    #[error("{spec}: meta-data failed: {reason}")]
    MetadataFailed { spec: String, reason: String },
    #[error("{spec}: meta-data is not valid XML at byte {offset}: {reason}")]
    MetadataXml { spec: String, offset: u64, reason: String },
    #[error("reading {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}
