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

/// Line and column of byte `offset` of `text`. Positions are kept as byte
/// offsets while reading and counted out only for an error: counting lines
/// as a large document is read costs a few percent of the reading.
pub fn position(text: &str, offset: usize) -> Pos {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let line = memchr::memchr_iter(b'\n', before).count() as u32 + 1;
    let start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
    Pos { line, col: (before.len() - start) as u32 + 1 }
}

/// Where a model value was read from: the byte offset of its element's `<`
/// in the source ([`position`] gives line and column). It compares equal to
/// every other `At`, so a model read from a file equals the same model read
/// back after writing.
#[derive(Debug, Clone, Copy, Default)]
pub struct At(pub usize);

impl PartialEq for At {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for At {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_count_out_to_lines_and_columns() {
        let text = "<a>\n  <b/>\n\n<c/>";
        let at = |needle: &str| position(text, text.find(needle).unwrap());
        assert_eq!(at("<a>"), Pos { line: 1, col: 1 });
        assert_eq!(at("<b/>"), Pos { line: 2, col: 3 });
        assert_eq!(at("<c/>"), Pos { line: 4, col: 1 });
        // The end of the text, and past it (an error at the end).
        assert_eq!(position(text, text.len()), Pos { line: 4, col: 5 });
        assert_eq!(position(text, text.len() + 10), Pos { line: 4, col: 5 });
    }
}
