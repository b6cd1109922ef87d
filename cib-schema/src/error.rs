//! Typed errors for reading a CIB: what was wrong, where (line:column) and in which
//! element (an XPath-like path with ids).

use std::fmt;

/// A position in the source document, 1-based. `0:0` means "not from a file".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    #[error("malformed XML: {0}")]
    Malformed(String),
    #[error("expected <{expected}> but found <{found}>")]
    UnexpectedElement { expected: String, found: String },
    #[error("<{element}> has no '{attribute}' attribute")]
    MissingAttribute { element: String, attribute: String },
    #[error("attribute '{attribute}' has invalid value '{value}': {why}")]
    InvalidValue { attribute: String, value: String, why: String },
    #[error("id '{id}' is used twice (first at {first})")]
    DuplicateId { id: String, first: Pos },
    #[error("id-ref '{id}' names no <{element}> element")]
    DanglingIdRef { id: String, element: String },
    #[error("unknown resource class '{0}' (expected ocf, lsb, service, systemd, stonith, upstart, nagios)")]
    UnknownClass(String),
}

/// An error in a CIB document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct CibError {
    pub kind: ErrorKind,
    /// Where in the source; `None` when the model was not read from text.
    pub pos: Option<Pos>,
    /// Element path, e.g. `/cib/configuration/resources/primitive[@id='vip']`.
    pub path: String,
}

impl CibError {
    pub fn new(kind: ErrorKind, pos: Option<Pos>, path: String) -> Self {
        CibError { kind, pos, path }
    }
}

impl fmt::Display for CibError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.pos {
            Some(p) if p.line > 0 => write!(f, "{p}: ")?,
            _ => {}
        }
        write!(f, "{}", self.kind)?;
        if !self.path.is_empty() {
            write!(f, " (in {})", self.path)?;
        }
        Ok(())
    }
}

/// A source position carried by model values. It compares equal to every other
/// `At`, so a model read from a file equals the same model read back after writing.
#[derive(Debug, Clone, Copy, Default)]
pub struct At(pub Pos);

impl PartialEq for At {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for At {}
