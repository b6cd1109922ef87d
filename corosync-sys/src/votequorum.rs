//! The votequorum service: votes, expected votes, and the two_node / wait_for_all flags.

use std::ffi::c_void;

use tokio::io::unix::AsyncFd;

use crate::cpg::RingId;
use crate::error::{check, init_error, Result, Service};
use crate::ffi;
use crate::source::{self, LibFd, Queue, QueueLimits};

const SVC: Service = Service::Votequorum;

/// A node's state as votequorum sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeState {
    Member,
    Dead,
    Leaving,
    Other(u32),
}

impl NodeState {
    fn from_c(s: u32) -> Self {
        match s {
            ffi::VOTEQUORUM_NODESTATE_MEMBER => NodeState::Member,
            ffi::VOTEQUORUM_NODESTATE_DEAD => NodeState::Dead,
            ffi::VOTEQUORUM_NODESTATE_LEAVING => NodeState::Leaving,
            other => NodeState::Other(other),
        }
    }
}

/// `votequorum_getinfo` for one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoteInfo {
    pub node_id: u32,
    pub state: NodeState,
    pub votes: u32,
    pub expected_votes: u32,
    pub highest_expected: u32,
    pub total_votes: u32,
    /// Votes needed for quorum.
    pub quorum: u32,
    /// `VOTEQUORUM_INFO_*` bits.
    pub flags: u32,
}

impl VoteInfo {
    pub fn quorate(&self) -> bool {
        self.flags & ffi::VOTEQUORUM_INFO_QUORATE != 0
    }
    pub fn two_node(&self) -> bool {
        self.flags & ffi::VOTEQUORUM_INFO_TWONODE != 0
    }
    pub fn wait_for_all(&self) -> bool {
        self.flags & ffi::VOTEQUORUM_INFO_WAIT_FOR_ALL != 0
    }
    pub fn last_man_standing(&self) -> bool {
        self.flags & ffi::VOTEQUORUM_INFO_LAST_MAN_STANDING != 0
    }
}

/// A votequorum notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoteQuorumEvent {
    Quorum { quorate: bool, nodes: Vec<(u32, NodeState)> },
    ExpectedVotes(u32),
    NodeList { ring_id: RingId, nodes: Vec<u32> },
}

/// A connection to corosync's votequorum service.
pub struct VoteQuorum {
    handle: ffi::votequorum_handle_t,
    afd: Option<AsyncFd<LibFd>>,
    /// Context of the handle; dropped after finalize.
    queue: Box<Queue<VoteQuorumEvent>>,
    tracking: bool,
}

impl VoteQuorum {
    pub fn connect() -> Result<VoteQuorum> {
        let mut callbacks = ffi::votequorum_callbacks_t {
            votequorum_quorum_notify_fn: Some(on_quorum),
            votequorum_expectedvotes_notify_fn: Some(on_expected),
            votequorum_nodelist_notify_fn: Some(on_nodelist),
        };
        let mut handle = 0;
        // SAFETY: valid callbacks struct (copied by the library) and out-pointer.
        let rc = unsafe { ffi::votequorum_initialize(&mut handle, &mut callbacks) };
        if rc != ffi::CS_OK {
            return Err(init_error(SVC, rc, std::io::Error::last_os_error()));
        }
        let queue = Box::new(Queue::new(QueueLimits::default()));
        let mut vq = VoteQuorum { handle, afd: None, queue, tracking: false };
        let ctx: *const Queue<VoteQuorumEvent> = &*vq.queue;
        // SAFETY: valid handle; the context box outlives the handle (see Drop).
        check(SVC, "context_set", unsafe { ffi::votequorum_context_set(handle, ctx as *mut c_void) })?;
        let mut fd = -1;
        // SAFETY: valid handle and out-pointer.
        check(SVC, "fd_get", unsafe { ffi::votequorum_fd_get(handle, &mut fd) })?;
        vq.afd = Some(source::register(SVC, fd)?);
        Ok(vq)
    }

    /// Votequorum's view of `nodeid` (use this node's id for the local view; 0 is
    /// the quorum device, not "this node").
    pub fn info(&self, nodeid: u32) -> Result<VoteInfo> {
        let mut i = ffi::votequorum_info::default();
        // SAFETY: valid handle and out-pointer.
        check(SVC, "getinfo", unsafe { ffi::votequorum_getinfo(self.handle, nodeid, &mut i) })?;
        Ok(VoteInfo {
            node_id: i.node_id,
            state: NodeState::from_c(i.node_state),
            votes: i.node_votes,
            expected_votes: i.node_expected_votes,
            highest_expected: i.highest_expected,
            total_votes: i.total_votes,
            quorum: i.quorum,
            flags: i.flags,
        })
    }

    /// Starts notifications; the first one describes the current state.
    pub fn track(&mut self) -> Result<()> {
        if !self.tracking {
            // SAFETY: valid handle.
            check(SVC, "trackstart", unsafe {
                ffi::votequorum_trackstart(self.handle, 0, ffi::CS_TRACK_CHANGES | ffi::CS_TRACK_CURRENT)
            })?;
            self.tracking = true;
        }
        Ok(())
    }

    /// The next notification (call [`VoteQuorum::track`] first). Cancel-safe.
    pub async fn next_event(&mut self) -> Result<VoteQuorumEvent> {
        self.track()?;
        let handle = self.handle;
        let afd = self.afd.as_ref().expect("registered in connect");
        // SAFETY (closure): valid handle; callbacks only push to the queue.
        source::next(SVC, &self.queue, afd, |flags| unsafe { ffi::votequorum_dispatch(handle, flags) }).await
    }
}

impl Drop for VoteQuorum {
    fn drop(&mut self) {
        self.afd = None; // deregister before the library closes the fd
                         // SAFETY: finalized once; the queue box is dropped after this.
        unsafe { ffi::votequorum_finalize(self.handle) };
    }
}

fn queue_of(handle: ffi::votequorum_handle_t) -> Option<&'static Queue<VoteQuorumEvent>> {
    let mut ctx: *mut c_void = std::ptr::null_mut();
    // SAFETY: called only from callbacks inside votequorum_dispatch on a live handle.
    let rc = unsafe { ffi::votequorum_context_get(handle, &mut ctx) };
    if rc != ffi::CS_OK || ctx.is_null() {
        return None;
    }
    // SAFETY: the context is the connection's queue box, alive until after finalize.
    Some(unsafe { &*(ctx as *const Queue<VoteQuorumEvent>) })
}

unsafe extern "C" fn on_quorum(
    handle: ffi::votequorum_handle_t,
    _context: u64,
    quorate: u32,
    node_list_entries: u32,
    node_list: *mut ffi::votequorum_node_t,
) {
    let Some(queue) = queue_of(handle) else { return };
    let nodes = if node_list.is_null() || node_list_entries == 0 {
        Vec::new()
    } else {
        // SAFETY: corosync passes `node_list_entries` entries for the callback's duration.
        unsafe { std::slice::from_raw_parts(node_list, node_list_entries as usize) }
            .iter()
            .map(|n| (n.nodeid, NodeState::from_c(n.state)))
            .collect()
    };
    queue.push(VoteQuorumEvent::Quorum { quorate: quorate != 0, nodes }, 0);
}

unsafe extern "C" fn on_expected(handle: ffi::votequorum_handle_t, _context: u64, expected_votes: u32) {
    let Some(queue) = queue_of(handle) else { return };
    queue.push(VoteQuorumEvent::ExpectedVotes(expected_votes), 0);
}

unsafe extern "C" fn on_nodelist(
    handle: ffi::votequorum_handle_t,
    _context: u64,
    ring_id: ffi::votequorum_ring_id_t,
    node_list_entries: u32,
    node_list: *mut u32,
) {
    let Some(queue) = queue_of(handle) else { return };
    let nodes = if node_list.is_null() || node_list_entries == 0 {
        Vec::new()
    } else {
        // SAFETY: corosync passes `node_list_entries` ids for the callback's duration.
        unsafe { std::slice::from_raw_parts(node_list, node_list_entries as usize) }.to_vec()
    };
    queue.push(
        VoteQuorumEvent::NodeList { ring_id: RingId { nodeid: ring_id.nodeid, seq: ring_id.seq }, nodes },
        0,
    );
}
