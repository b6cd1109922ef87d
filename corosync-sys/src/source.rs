//! What every callback-driven connection shares: the library's fd registered with
//! tokio, and a bounded queue that the C callbacks fill and async readers drain.
//!
//! Callbacks run only inside a `*_dispatch` call made by this crate, on the thread
//! that owns the connection. They copy their arguments into the queue and return;
//! user code never runs inside libcorosync, so it may call anything (including
//! dropping the connection) while it handles an event.

use std::collections::VecDeque;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Mutex;

use tokio::io::unix::AsyncFd;

use crate::error::{check, Error, Result, Service};
use crate::ffi;

/// A file descriptor owned by a corosync client library (it closes it on finalize).
pub(crate) struct LibFd(pub(crate) RawFd);

impl AsRawFd for LibFd {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

/// Limits of an event queue.
#[derive(Debug, Clone, Copy)]
pub struct QueueLimits {
    /// Readers fetch from corosync only when the queue is empty (so it stays short);
    /// only a multicast waiting out flow control dispatches ahead of the reader.
    /// Reaching either limit fails the connection rather than dropping events.
    pub hard_events: usize,
    pub hard_bytes: usize,
}

impl Default for QueueLimits {
    fn default() -> Self {
        QueueLimits { hard_events: 1 << 20, hard_bytes: 512 << 20 }
    }
}

struct Inner<T> {
    events: VecDeque<(T, usize)>,
    bytes: usize,
    /// Set by a push over the hard limit; the event was not queued.
    overflow: bool,
    /// Total pushes: tells a dispatch loop whether a callback ran.
    pushed: u64,
}

/// The queue between the C callbacks and async readers. The mutex is held only for
/// a push or a pop, never while user code or corosync code runs.
pub(crate) struct Queue<T> {
    inner: Mutex<Inner<T>>,
    limits: QueueLimits,
}

impl<T> Queue<T> {
    pub(crate) fn new(limits: QueueLimits) -> Self {
        Queue {
            inner: Mutex::new(Inner { events: VecDeque::new(), bytes: 0, overflow: false, pushed: 0 }),
            limits,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner<T>> {
        // A panic while holding this lock cannot leave the deque inconsistent (push and
        // pop are single calls), so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Called from C callbacks: must not panic and must not block on anything but
    /// the (briefly held) mutex.
    pub(crate) fn push(&self, event: T, bytes: usize) {
        let mut q = self.lock();
        q.pushed += 1;
        if q.events.len() >= self.limits.hard_events || q.bytes + bytes > self.limits.hard_bytes {
            q.overflow = true;
            return;
        }
        q.bytes += bytes;
        q.events.push_back((event, bytes));
    }

    pub(crate) fn pop(&self) -> Result<Option<T>> {
        let mut q = self.lock();
        if let Some((event, bytes)) = q.events.pop_front() {
            q.bytes -= bytes;
            return Ok(Some(event));
        }
        if q.overflow {
            // Surface the loss only after everything before it has been read.
            return Err(Error::QueueOverflow {
                events: q.events.len(),
                bytes: q.bytes,
                limit_events: self.limits.hard_events,
                limit_bytes: self.limits.hard_bytes,
            });
        }
        Ok(None)
    }

    pub(crate) fn pushed(&self) -> u64 {
        self.lock().pushed
    }
}

/// Result of one round of dispatching.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Drained {
    /// Corosync has nothing more for us right now.
    Empty,
    /// The batch bound was reached; more may be waiting.
    More,
}

/// Moves what corosync has for this connection into the queue, without blocking.
///
/// With `batch` = [`ALL`], one CS_DISPATCH_ALL call, which loops inside the library
/// until its IPC ring is empty: the cheapest way (one library call per wake-up, not
/// per event). It ends because callbacks only copy (far faster than corosync can
/// deliver) and the queue's hard limit bounds the memory. A smaller `batch` takes at
/// most that many events, one CS_DISPATCH_ONE_NONBLOCKING call each.
/// `dispatch` is the service's `*_dispatch` bound to its handle.
pub(crate) fn drain<T>(
    service: Service,
    queue: &Queue<T>,
    fd: RawFd,
    batch: usize,
    mut dispatch: impl FnMut(ffi::cs_dispatch_flags_t) -> ffi::cs_error_t,
) -> Result<Drained> {
    if batch == ALL {
        let rc = dispatch(ffi::CS_DISPATCH_ALL);
        return match rc {
            ffi::CS_OK | ffi::CS_ERR_TRY_AGAIN => Ok(Drained::Empty),
            _ => check(service, "dispatch", rc).map(|()| Drained::Empty),
        };
    }
    for _ in 0..batch {
        let before = queue.pushed();
        let rc = dispatch(ffi::CS_DISPATCH_ONE_NONBLOCKING);
        match rc {
            ffi::CS_ERR_TRY_AGAIN => return Ok(Drained::Empty),
            ffi::CS_OK => {
                // A message without a registered callback (or a dispatch that found
                // nothing) pushes no event; ask the socket whether anything is left.
                if queue.pushed() == before && !readable_now(fd) {
                    return Ok(Drained::Empty);
                }
            }
            _ => check(service, "dispatch", rc)?,
        }
    }
    Ok(Drained::More)
}

/// `batch` value for [`drain`]: everything available now, in one library call.
pub(crate) const ALL: usize = usize::MAX;

/// Non-blocking poll of the library's notification socket.
fn readable_now(fd: RawFd) -> bool {
    let mut pfd = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
    // SAFETY: one valid pollfd, zero timeout; the fd stays open while the connection lives.
    let n = unsafe { libc::poll(&mut pfd, 1, 0) };
    n > 0 && pfd.revents != 0
}

/// Waits until `queue` has an event, dispatching from `afd` as it becomes readable.
/// Cancel-safe: an event is either still in the queue or returned.
pub(crate) async fn next<T>(
    service: Service,
    queue: &Queue<T>,
    afd: &AsyncFd<LibFd>,
    mut dispatch: impl FnMut(ffi::cs_dispatch_flags_t) -> ffi::cs_error_t,
) -> Result<T> {
    loop {
        if let Some(ev) = queue.pop()? {
            return Ok(ev);
        }
        let mut guard = afd.readable().await.map_err(|source| Error::Io { service, source })?;
        match drain(service, queue, afd.as_raw_fd(), ALL, &mut dispatch)? {
            // Only now may tokio forget the readiness: the socket is drained.
            Drained::Empty => guard.clear_ready(),
            // Keep readiness so the next round dispatches at once, but let other
            // tasks run first: a busy ring must not starve the runtime.
            Drained::More => tokio::task::yield_now().await,
        }
    }
}

/// Registers a library-owned fd with the current tokio runtime.
pub(crate) fn register(service: Service, fd: RawFd) -> Result<AsyncFd<LibFd>> {
    if tokio::runtime::Handle::try_current().is_err() {
        let source = std::io::Error::other("no tokio runtime: connect from inside a tokio runtime");
        return Err(Error::Io { service, source });
    }
    // SAFETY: the fd is open until the library's finalize, and every connection drops
    // its AsyncFd before calling finalize, so it outlives the registration.
    unsafe { AsyncFd::register_with_interest(LibFd(fd), tokio::io::Interest::READABLE) }
        .map_err(|e| Error::Io { service, source: e.into_parts().1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_is_fifo_and_reports_overflow_after_queued_events() {
        let q = Queue::new(QueueLimits { hard_events: 2, hard_bytes: 100 });
        q.push(1, 10);
        q.push(2, 10);
        q.push(3, 10); // over the event limit: not queued, overflow flagged
        assert_eq!(q.pushed(), 3);
        assert_eq!(q.pop().unwrap(), Some(1));
        assert_eq!(q.pop().unwrap(), Some(2));
        assert!(matches!(q.pop(), Err(Error::QueueOverflow { limit_events: 2, .. })));
    }

    #[test]
    fn queue_limits_bytes() {
        let q = Queue::new(QueueLimits { hard_events: 100, hard_bytes: 15 });
        q.push("a", 10);
        q.push("b", 10);
        assert_eq!(q.pop().unwrap(), Some("a"));
        assert!(q.pop().is_err());
    }

    #[test]
    fn register_outside_a_runtime_is_an_error_not_a_panic() {
        assert!(matches!(register(Service::Cpg, 0), Err(Error::Io { .. })));
    }
}
