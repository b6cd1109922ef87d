//! Bounded capture of an agent's output. An agent may print gigabytes; we keep
//! the first `limit_bytes` and count the rest, but keep reading so that the
//! agent never blocks on a full pipe.

use std::fmt;

/// What was kept of one output stream.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Captured {
    /// The first bytes of the stream, at most the limit.
    pub bytes: Vec<u8>,
    /// How many bytes the agent wrote in all.
    pub total_bytes: u64,
}

impl Captured {
    /// True when the agent wrote more than was kept.
    pub fn truncated(&self) -> bool {
        self.total_bytes > self.bytes.len() as u64
    }

    /// The kept bytes as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    /// Appends `chunk`, keeping at most `limit_bytes` in all.
    pub(crate) fn push(&mut self, chunk: &[u8], limit_bytes: usize) {
        self.total_bytes += chunk.len() as u64;
        let room = limit_bytes.saturating_sub(self.bytes.len());
        self.bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
}

impl fmt::Debug for Captured {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Captured({} of {} bytes: {:?})", self.bytes.len(), self.total_bytes, self.text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_head_and_counts_all() {
        let mut c = Captured::default();
        c.push(b"hello ", 8);
        c.push(b"world", 8);
        assert_eq!(c.bytes, b"hello wo");
        assert_eq!(c.total_bytes, 11);
        assert!(c.truncated());
    }
}
