//! The shell's error type. Messages follow crmsh's wording where users (and
//! scripts grepping logs) know it: `ERROR: 2: syntax in primitive: ...`.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum CrmError {
    /// A statement that does not parse; `line` is where it starts.
    #[error("{line}: syntax{kind}: {msg} near <{token}> parsing '{text}'")]
    Syntax { line: usize, kind: String, msg: String, token: String, text: String },
    /// A statement that parses but cannot be applied (duplicate, missing reference).
    #[error("{line}: {msg}")]
    Semantic { line: usize, msg: String },
    /// The resulting CIB would not be valid; nothing is written.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Other(String),
}

impl CrmError {
    pub fn syntax(line: usize, kind: &str, msg: &str, text: &str) -> CrmError {
        CrmError::Syntax {
            line,
            kind: if kind.is_empty() { String::new() } else { format!(" in {kind}") },
            msg: msg.to_string(),
            token: String::new(),
            text: text.to_string(),
        }
    }

    pub fn with_token(mut self, tok: &str) -> CrmError {
        if let CrmError::Syntax { token, .. } = &mut self {
            *token = tok.to_string();
        }
        self
    }
}
