//! The quorum service: is this partition quorate, and which nodes form it.

use std::ffi::c_void;

use tokio::io::unix::AsyncFd;

use crate::cpg::RingId;
use crate::error::{check, init_error, Result, Service};
use crate::ffi;
use crate::source::{self, LibFd, Queue, QueueLimits};

const SVC: Service = Service::Quorum;

/// A quorum notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuorumEvent {
    /// Quorum state of the current membership.
    Quorum { quorate: bool, ring_id: RingId, members: Vec<u32> },
    /// Membership change with the nodes that joined and left.
    NodeList { ring_id: RingId, members: Vec<u32>, joined: Vec<u32>, left: Vec<u32> },
}

/// A connection to corosync's quorum service, tracking changes from the start.
pub struct Quorum {
    handle: ffi::quorum_handle_t,
    afd: Option<AsyncFd<LibFd>>,
    /// Context of the handle; must outlive it (dropped after finalize in Drop).
    queue: Box<Queue<QuorumEvent>>,
    quorum_type: u32,
}

impl Quorum {
    /// Connects and starts tracking: the first event is the current state.
    pub fn connect() -> Result<Quorum> {
        let queue = Box::new(Queue::new(QueueLimits::default()));
        let mut model = ffi::quorum_model_v1_data_t {
            model: ffi::QUORUM_MODEL_V1,
            quorum_notify_fn: Some(on_quorum),
            nodelist_notify_fn: Some(on_nodelist),
        };
        let mut handle = 0;
        let mut quorum_type = 0;
        let ctx: *const Queue<QuorumEvent> = &*queue;
        // SAFETY: valid V1 model struct (copied by the library); the context is a
        // Box that outlives the handle.
        let rc = unsafe {
            ffi::quorum_model_initialize(
                &mut handle,
                ffi::QUORUM_MODEL_V1,
                (&mut model as *mut ffi::quorum_model_v1_data_t).cast(),
                &mut quorum_type,
                ctx as *mut c_void,
            )
        };
        if rc != ffi::CS_OK {
            return Err(init_error(SVC, rc, std::io::Error::last_os_error()));
        }
        let mut q = Quorum { handle, afd: None, queue, quorum_type };
        let mut fd = -1;
        // SAFETY: valid handle and out-pointer.
        check(SVC, "fd_get", unsafe { ffi::quorum_fd_get(handle, &mut fd) })?;
        q.afd = Some(source::register(SVC, fd)?);
        // SAFETY: valid handle.
        check(SVC, "trackstart", unsafe {
            ffi::quorum_trackstart(handle, ffi::CS_TRACK_CHANGES | ffi::CS_TRACK_CURRENT)
        })?;
        Ok(q)
    }

    /// 1 when a quorum provider (votequorum) is configured (QUORUM_SET), else 0.
    pub fn quorum_type(&self) -> u32 {
        self.quorum_type
    }

    /// Asks corosync now (not from the event stream).
    pub fn is_quorate(&self) -> Result<bool> {
        let mut quorate = 0;
        // SAFETY: valid handle and out-pointer.
        check(SVC, "getquorate", unsafe { ffi::quorum_getquorate(self.handle, &mut quorate) })?;
        Ok(quorate != 0)
    }

    /// The next notification. Cancel-safe.
    pub async fn next_event(&mut self) -> Result<QuorumEvent> {
        let handle = self.handle;
        let afd = self.afd.as_ref().expect("registered in connect");
        // SAFETY (closure): valid handle; callbacks only push to the queue.
        source::next(SVC, &self.queue, afd, |flags| unsafe { ffi::quorum_dispatch(handle, flags) }).await
    }
}

impl Drop for Quorum {
    fn drop(&mut self) {
        self.afd = None; // deregister before the library closes the fd
                         // SAFETY: finalized once; the queue box is dropped after this.
        unsafe { ffi::quorum_finalize(self.handle) };
    }
}

fn queue_of(handle: ffi::quorum_handle_t) -> Option<&'static Queue<QuorumEvent>> {
    let mut ctx: *const c_void = std::ptr::null();
    // SAFETY: called only from callbacks inside quorum_dispatch on a live handle.
    let rc = unsafe { ffi::quorum_context_get(handle, &mut ctx) };
    if rc != ffi::CS_OK || ctx.is_null() {
        return None;
    }
    // SAFETY: the context is the connection's queue box, alive until after finalize.
    Some(unsafe { &*(ctx as *const Queue<QuorumEvent>) })
}

fn ids(p: *const u32, n: u32) -> Vec<u32> {
    if p.is_null() || n == 0 {
        return Vec::new();
    }
    // SAFETY: corosync passes `n` node ids at `p` for the callback's duration.
    unsafe { std::slice::from_raw_parts(p, n as usize) }.to_vec()
}

unsafe extern "C" fn on_quorum(
    handle: ffi::quorum_handle_t,
    quorate: u32,
    ring_id: ffi::quorum_ring_id,
    member_list_entries: u32,
    member_list: *const u32,
) {
    let Some(queue) = queue_of(handle) else { return };
    queue.push(
        QuorumEvent::Quorum {
            quorate: quorate != 0,
            ring_id: RingId { nodeid: ring_id.nodeid, seq: ring_id.seq },
            members: ids(member_list, member_list_entries),
        },
        0,
    );
}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn on_nodelist(
    handle: ffi::quorum_handle_t,
    ring_id: ffi::quorum_ring_id,
    member_list_entries: u32,
    member_list: *const u32,
    joined_list_entries: u32,
    joined_list: *const u32,
    left_list_entries: u32,
    left_list: *const u32,
) {
    let Some(queue) = queue_of(handle) else { return };
    queue.push(
        QuorumEvent::NodeList {
            ring_id: RingId { nodeid: ring_id.nodeid, seq: ring_id.seq },
            members: ids(member_list, member_list_entries),
            joined: ids(joined_list, joined_list_entries),
            left: ids(left_list, left_list_entries),
        },
        0,
    );
}
