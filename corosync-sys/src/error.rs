//! Errors at the library edge: Corosync's `cs_error_t` codes turned into cases a
//! caller can act on (not running, refused, connection lost, busy too long).

use std::fmt;

use crate::ffi;

/// A raw `cs_error_t` code, printed with corosync's own text (`cs_strerror`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CsCode(pub ffi::cs_error_t);

impl CsCode {
    /// The symbolic name from corotypes.h, e.g. `CS_ERR_TRY_AGAIN`.
    pub fn name(self) -> &'static str {
        match self.0 {
            ffi::CS_OK => "CS_OK",
            ffi::CS_ERR_LIBRARY => "CS_ERR_LIBRARY",
            ffi::CS_ERR_VERSION => "CS_ERR_VERSION",
            ffi::CS_ERR_INIT => "CS_ERR_INIT",
            ffi::CS_ERR_TIMEOUT => "CS_ERR_TIMEOUT",
            ffi::CS_ERR_TRY_AGAIN => "CS_ERR_TRY_AGAIN",
            ffi::CS_ERR_INVALID_PARAM => "CS_ERR_INVALID_PARAM",
            ffi::CS_ERR_NO_MEMORY => "CS_ERR_NO_MEMORY",
            ffi::CS_ERR_BAD_HANDLE => "CS_ERR_BAD_HANDLE",
            ffi::CS_ERR_BUSY => "CS_ERR_BUSY",
            ffi::CS_ERR_ACCESS => "CS_ERR_ACCESS",
            ffi::CS_ERR_NOT_EXIST => "CS_ERR_NOT_EXIST",
            ffi::CS_ERR_NAME_TOO_LONG => "CS_ERR_NAME_TOO_LONG",
            ffi::CS_ERR_EXIST => "CS_ERR_EXIST",
            ffi::CS_ERR_NO_SPACE => "CS_ERR_NO_SPACE",
            ffi::CS_ERR_INTERRUPT => "CS_ERR_INTERRUPT",
            ffi::CS_ERR_NAME_NOT_FOUND => "CS_ERR_NAME_NOT_FOUND",
            ffi::CS_ERR_NO_RESOURCES => "CS_ERR_NO_RESOURCES",
            ffi::CS_ERR_NOT_SUPPORTED => "CS_ERR_NOT_SUPPORTED",
            ffi::CS_ERR_BAD_OPERATION => "CS_ERR_BAD_OPERATION",
            ffi::CS_ERR_FAILED_OPERATION => "CS_ERR_FAILED_OPERATION",
            ffi::CS_ERR_MESSAGE_ERROR => "CS_ERR_MESSAGE_ERROR",
            ffi::CS_ERR_QUEUE_FULL => "CS_ERR_QUEUE_FULL",
            ffi::CS_ERR_QUEUE_NOT_AVAILABLE => "CS_ERR_QUEUE_NOT_AVAILABLE",
            ffi::CS_ERR_BAD_FLAGS => "CS_ERR_BAD_FLAGS",
            ffi::CS_ERR_TOO_BIG => "CS_ERR_TOO_BIG",
            ffi::CS_ERR_NO_SECTIONS => "CS_ERR_NO_SECTIONS",
            ffi::CS_ERR_CONTEXT_NOT_FOUND => "CS_ERR_CONTEXT_NOT_FOUND",
            ffi::CS_ERR_TOO_MANY_GROUPS => "CS_ERR_TOO_MANY_GROUPS",
            ffi::CS_ERR_SECURITY => "CS_ERR_SECURITY",
            _ => "CS_ERR_UNKNOWN",
        }
    }
}

impl fmt::Display for CsCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.0)
    }
}

impl fmt::Debug for CsCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Which corosync service a connection talks to (for messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Cpg,
    Quorum,
    Votequorum,
    Cmap,
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Service::Cpg => "cpg",
            Service::Quorum => "quorum",
            Service::Votequorum => "votequorum",
            Service::Cmap => "cmap",
        })
    }
}

/// Everything the safe layer can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No corosync answers on this host (or in this network namespace: its IPC sockets
    /// are abstract unix sockets, which are per network namespace).
    #[error(
        "corosync is not running (or not reachable from this network namespace): \
         {service} initialize failed with {code}: {os}"
    )]
    NotRunning { service: Service, code: CsCode, os: std::io::Error },
    /// Corosync refused the client: only root, and users or groups named in a
    /// `uidgid` entry (/etc/corosync/uidgid.d/), may connect.
    #[error(
        "corosync refused the {service} connection for uid {uid} gid {gid} ({code}): run as root or \
         allow the user/group with a uidgid entry (uidgid.uid / uidgid.gid in /etc/corosync/uidgid.d/)"
    )]
    AccessDenied { service: Service, uid: u32, gid: u32, code: CsCode },
    /// The IPC connection to corosync is gone (corosync exited or restarted).
    #[error("connection to corosync lost ({service} {call} returned {code})")]
    ConnectionLost { service: Service, call: &'static str, code: CsCode },
    /// Corosync kept answering CS_ERR_TRY_AGAIN (flow control, or a membership change
    /// in progress) for longer than the configured bound.
    #[error("{service} {call}: corosync still busy (CS_ERR_TRY_AGAIN) after {attempts} attempts in {waited_ms} ms")]
    Busy { service: Service, call: &'static str, attempts: u32, waited_ms: u64 },
    /// A message over the configured size limit was not sent.
    #[error("message of {size_bytes} bytes exceeds the limit of {limit_bytes} bytes")]
    MessageTooBig { size_bytes: usize, limit_bytes: usize },
    /// The consumer fell too far behind: the event queue hit its hard limit. Events
    /// were not dropped silently; the connection must be re-created.
    #[error("event queue overflow: {events} events / {bytes} bytes queued (hard limit {limit_events} / {limit_bytes})")]
    QueueOverflow { events: usize, bytes: usize, limit_events: usize, limit_bytes: usize },
    /// A group or key name the C API cannot carry.
    #[error("invalid name {name:?}: {why}")]
    InvalidName { name: String, why: &'static str },
    /// Any other corosync error code.
    #[error("{service} {call} failed: {code}")]
    Cs { service: Service, call: &'static str, code: CsCode },
    /// The file descriptor could not be registered with tokio.
    #[error("registering the {service} fd with tokio: {source}")]
    Io { service: Service, source: std::io::Error },
}

pub type Result<T> = std::result::Result<T, Error>;

/// Turns a return code into `Ok` or the matching [`Error`] for a call on an open
/// connection.
pub(crate) fn check(service: Service, call: &'static str, rc: ffi::cs_error_t) -> Result<()> {
    match rc {
        ffi::CS_OK => Ok(()),
        // libqb reports a dead server as ENOTCONN/EPIPE, which corosync maps to
        // CS_ERR_LIBRARY; a handle whose connection was torn down gives BAD_HANDLE.
        ffi::CS_ERR_LIBRARY | ffi::CS_ERR_BAD_HANDLE => {
            Err(Error::ConnectionLost { service, call, code: CsCode(rc) })
        }
        _ => Err(Error::Cs { service, call, code: CsCode(rc) }),
    }
}

/// Maps a failed `*_initialize` call: distinguishes "nobody listening" from "refused".
pub(crate) fn init_error(service: Service, rc: ffi::cs_error_t, os: std::io::Error) -> Error {
    let code = CsCode(rc);
    let refused = matches!(rc, ffi::CS_ERR_ACCESS | ffi::CS_ERR_SECURITY)
        || os.raw_os_error() == Some(libc::EACCES)
        || os.raw_os_error() == Some(libc::EPERM);
    if refused {
        // SAFETY: geteuid/getegid have no preconditions and cannot fail.
        let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
        return Error::AccessDenied { service, uid, gid, code };
    }
    match rc {
        ffi::CS_ERR_LIBRARY | ffi::CS_ERR_TRY_AGAIN => Error::NotRunning { service, code, os },
        _ => Error::Cs { service, call: "initialize", code },
    }
}

impl Error {
    /// True when the connection is gone and only a new one can help.
    pub fn is_connection_lost(&self) -> bool {
        matches!(self, Error::ConnectionLost { .. } | Error::NotRunning { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_names() {
        assert_eq!(CsCode(ffi::CS_ERR_TRY_AGAIN).to_string(), "CS_ERR_TRY_AGAIN (6)");
        assert_eq!(CsCode(999).name(), "CS_ERR_UNKNOWN");
    }

    #[test]
    fn init_errors_say_refused_or_not_running() {
        let refused = init_error(Service::Cpg, ffi::CS_ERR_ACCESS, std::io::Error::from_raw_os_error(0));
        assert!(matches!(refused, Error::AccessDenied { .. }));
        assert!(refused.to_string().contains("uidgid"));
        let down = init_error(
            Service::Cmap,
            ffi::CS_ERR_LIBRARY,
            std::io::Error::from_raw_os_error(libc::ECONNREFUSED),
        );
        assert!(matches!(down, Error::NotRunning { .. }));
        assert!(down.is_connection_lost());
    }

    #[test]
    fn lost_connection_is_distinguished() {
        assert!(check(Service::Cpg, "mcast_joined", ffi::CS_ERR_LIBRARY).unwrap_err().is_connection_lost());
        assert!(!check(Service::Cpg, "join", ffi::CS_ERR_EXIST).unwrap_err().is_connection_lost());
        assert!(check(Service::Cpg, "join", ffi::CS_OK).is_ok());
    }
}
