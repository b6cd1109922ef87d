//! The local socket between the tools and `crmd`: one request, one reply, each
//! a frame (length as 4 bytes little-endian, then the payload). A subscriber
//! gets a frame with the whole CIB every time it changes, until it hangs up.
//!
//! Payloads start with a tag byte. Requests: `Q` query, `C` + an encoded
//! [`CibChange`], `S` subscribe. Replies: `X` + CIB XML, `A` + "admin.epoch.updates"
//! (the change is applied everywhere and on disk), `R` + why it was refused.
//!
//! The daemon answers only root and members of the `haclient` group (checked
//! with SO_PEERCRED), as Pacemaker's IPC does.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

use crm_core::node::CibChange;
use thiserror::Error;

/// Where `crmd` listens unless `CRMD_SOCKET` says otherwise.
pub const DEFAULT_SOCKET: &str = "/run/crmd/cib.sock";
/// A frame larger than this is refused (a CIB is far smaller).
pub const MAX_FRAME_BYTES: usize = 64 << 20;

pub fn socket_path() -> PathBuf {
    std::env::var_os("CRMD_SOCKET")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or(DEFAULT_SOCKET.into())
}

#[derive(Debug, Clone, PartialEq)]
pub enum ClientRequest {
    Query,
    Change(CibChange),
    Subscribe,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DaemonReply {
    Cib(String),
    Applied(String),
    Refused(String),
}

#[derive(Debug, Error)]
pub enum IpcError {
    // Not a `source` field: the message already says why, and error chains
    // printed with `{:#}` would say it twice.
    #[error("cannot connect to the cluster daemon at {path}: {reason} (is crmd running? or set CIB_file=FILE to work offline)")]
    Connect { path: String, reason: std::io::Error },
    #[error("talking to the cluster daemon: {0}")]
    Io(#[from] std::io::Error),
    #[error("the cluster daemon sent a malformed frame: {0}")]
    Malformed(String),
    #[error("the cluster refused the change: {0}")]
    Refused(String),
}

impl ClientRequest {
    pub fn encode(&self) -> Vec<u8> {
        match self {
            ClientRequest::Query => vec![b'Q'],
            ClientRequest::Subscribe => vec![b'S'],
            ClientRequest::Change(c) => {
                let mut v = vec![b'C'];
                v.extend(c.encode());
                v
            }
        }
    }

    pub fn decode(bytes: &[u8]) -> Result<ClientRequest, IpcError> {
        match bytes.split_first() {
            Some((b'Q', [])) => Ok(ClientRequest::Query),
            Some((b'S', [])) => Ok(ClientRequest::Subscribe),
            Some((b'C', rest)) => CibChange::decode(rest)
                .map(ClientRequest::Change)
                .map_err(|e| IpcError::Malformed(e.to_string())),
            _ => Err(IpcError::Malformed("unknown request".into())),
        }
    }
}

impl DaemonReply {
    pub fn encode(&self) -> Vec<u8> {
        let (tag, text) = match self {
            DaemonReply::Cib(x) => (b'X', x),
            DaemonReply::Applied(v) => (b'A', v),
            DaemonReply::Refused(r) => (b'R', r),
        };
        let mut v = Vec::with_capacity(text.len() + 1);
        v.push(tag);
        v.extend_from_slice(text.as_bytes());
        v
    }

    pub fn decode(bytes: &[u8]) -> Result<DaemonReply, IpcError> {
        let (tag, rest) = bytes.split_first().ok_or_else(|| IpcError::Malformed("empty reply".into()))?;
        let text =
            String::from_utf8(rest.to_vec()).map_err(|_| IpcError::Malformed("reply not UTF-8".into()))?;
        match tag {
            b'X' => Ok(DaemonReply::Cib(text)),
            b'A' => Ok(DaemonReply::Applied(text)),
            b'R' => Ok(DaemonReply::Refused(text)),
            _ => Err(IpcError::Malformed(format!("unknown reply tag {tag}"))),
        }
    }
}

/// Prefixes `payload` with its length.
pub fn frame(payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(payload.len() + 4);
    v.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    v.extend_from_slice(payload);
    v
}

/// Reads one frame; `Ok(None)` when the peer closed the connection between frames.
pub fn read_frame(r: &mut impl Read) -> Result<Option<Vec<u8>>, IpcError> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    let len = u32::from_le_bytes(len) as usize;
    if len > MAX_FRAME_BYTES {
        return Err(IpcError::Malformed(format!("frame of {len} bytes")));
    }
    let mut buf = vec![0u8; len];
    r.read_exact(&mut buf)?;
    Ok(Some(buf))
}

/// A tool's connection to its node's daemon.
pub struct DaemonClient {
    stream: UnixStream,
}

impl DaemonClient {
    pub fn connect() -> Result<DaemonClient, IpcError> {
        let path = socket_path();
        let stream = UnixStream::connect(&path)
            .map_err(|reason| IpcError::Connect { path: path.display().to_string(), reason })?;
        Ok(DaemonClient { stream })
    }

    /// Whether a daemon answers on the socket (without asking anything).
    pub fn available() -> bool {
        UnixStream::connect(socket_path()).is_ok()
    }

    fn call(&mut self, req: &ClientRequest, timeout: Option<Duration>) -> Result<DaemonReply, IpcError> {
        self.stream.set_read_timeout(timeout)?;
        self.stream.write_all(&frame(&req.encode()))?;
        let bytes = read_frame(&mut self.stream)?
            .ok_or_else(|| IpcError::Malformed("the daemon closed the connection".into()))?;
        DaemonReply::decode(&bytes)
    }

    /// The node's copy of the CIB, with the DC and quorum filled in.
    pub fn query(&mut self) -> Result<String, IpcError> {
        match self.call(&ClientRequest::Query, Some(Duration::from_secs(30)))? {
            DaemonReply::Cib(x) => Ok(x),
            DaemonReply::Refused(r) => Err(IpcError::Refused(r)),
            DaemonReply::Applied(_) => Err(IpcError::Malformed("a version where a CIB was expected".into())),
        }
    }

    /// Sends `change` and waits until every member applied it and this node
    /// wrote it to disk; returns the new version ("admin.epoch.updates").
    pub fn change(&mut self, change: CibChange) -> Result<String, IpcError> {
        match self.call(&ClientRequest::Change(change), Some(Duration::from_secs(120)))? {
            DaemonReply::Applied(v) => Ok(v),
            DaemonReply::Refused(r) => Err(IpcError::Refused(r)),
            DaemonReply::Cib(_) => Err(IpcError::Malformed("a CIB where a version was expected".into())),
        }
    }

    /// Asks for the CIB every time it changes; the first arrives at once.
    pub fn subscribe(mut self) -> Result<Subscription, IpcError> {
        self.stream.write_all(&frame(&ClientRequest::Subscribe.encode()))?;
        Ok(Subscription { stream: self.stream })
    }
}

pub struct Subscription {
    stream: UnixStream,
}

impl Subscription {
    /// The next CIB; `Ok(None)` when the daemon went away.
    pub fn next_cib(&mut self) -> Result<Option<String>, IpcError> {
        match read_frame(&mut self.stream)? {
            None => Ok(None),
            Some(bytes) => match DaemonReply::decode(&bytes)? {
                DaemonReply::Cib(x) => Ok(Some(x)),
                other => Err(IpcError::Malformed(format!("unexpected {other:?}"))),
            },
        }
    }

    pub fn stream(&self) -> &UnixStream {
        &self.stream
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_replies_round_trip() {
        for r in [
            ClientRequest::Query,
            ClientRequest::Subscribe,
            ClientRequest::Change(CibChange::ClearFailures { rsc: Some("vip".into()) }),
        ] {
            assert_eq!(ClientRequest::decode(&r.encode()).unwrap(), r);
        }
        for r in [
            DaemonReply::Cib("<cib/>".into()),
            DaemonReply::Applied("0.3.1".into()),
            DaemonReply::Refused("no".into()),
        ] {
            assert_eq!(DaemonReply::decode(&r.encode()).unwrap(), r);
        }
        assert!(ClientRequest::decode(b"Z").is_err());
        assert!(ClientRequest::decode(b"Cgarbage").is_err());
    }

    #[test]
    fn frames_are_length_prefixed_and_bounded() {
        let mut bytes = frame(b"hello");
        bytes.extend(frame(b""));
        let mut r = &bytes[..];
        assert_eq!(read_frame(&mut r).unwrap().unwrap(), b"hello");
        assert_eq!(read_frame(&mut r).unwrap().unwrap(), b"");
        assert!(read_frame(&mut r).unwrap().is_none());
        let huge = (MAX_FRAME_BYTES as u32 + 1).to_le_bytes();
        assert!(read_frame(&mut &huge[..]).is_err());
    }
}
