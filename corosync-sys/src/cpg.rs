//! Closed process groups: join a group, multicast to it in one total order, and
//! receive deliveries and membership changes as an async stream.

use std::ffi::c_void;
use std::fmt;
use std::os::fd::AsRawFd;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::unix::AsyncFd;
use tracing::{debug, info, warn};

use crate::error::{check, init_error, Error, Result, Service};
use crate::ffi;
use crate::source::{self, Drained, LibFd, Queue, QueueLimits};

const SVC: Service = Service::Cpg;

/// A process in a group: corosync node id and the process id on that node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address {
    pub nodeid: u32,
    pub pid: u32,
    /// Why it joined or left (`CPG_REASON_*`); 0 in member lists.
    pub reason: u32,
}

impl Address {
    fn from_c(a: &ffi::cpg_address) -> Self {
        Address { nodeid: a.nodeid, pid: a.pid, reason: a.reason }
    }

    /// The reason as text (`join`, `leave`, `nodedown`, `nodeup`, `procdown`).
    pub fn reason_name(&self) -> &'static str {
        match self.reason {
            ffi::CPG_REASON_JOIN => "join",
            ffi::CPG_REASON_LEAVE => "leave",
            ffi::CPG_REASON_NODEDOWN => "nodedown",
            ffi::CPG_REASON_NODEUP => "nodeup",
            ffi::CPG_REASON_PROCDOWN => "procdown",
            _ => "undefined",
        }
    }
}

/// Identifies one totem ring (membership instance): representative node and sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RingId {
    pub nodeid: u32,
    pub seq: u64,
}

impl fmt::Display for RingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.nodeid, self.seq)
    }
}

/// A message delivered to a group, in the group's total order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Shared with every other message of the same group (no allocation per message).
    pub group: Arc<str>,
    pub sender: Address,
    pub data: Vec<u8>,
}

/// A change of a group's membership (processes joined or left).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfChg {
    pub group: Arc<str>,
    pub members: Vec<Address>,
    pub left: Vec<Address>,
    pub joined: Vec<Address>,
}

/// A change of the totem ring: the corosync nodes that form the cluster now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotemConfChg {
    pub ring_id: RingId,
    pub members: Vec<u32>,
}

/// What a CPG connection reports, in corosync's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CpgEvent {
    Deliver(Message),
    ConfChg(ConfChg),
    TotemConfChg(TotemConfChg),
    /// The connection to corosync was lost; events may have been missed. With a
    /// [`ReconnectPolicy`] the layer now tries to reconnect.
    ConnectionLost,
    /// A new connection is up and every group joined before is joined again.
    Reconnected {
        local_nodeid: u32,
    },
}

/// How to react when corosync goes away (CS_ERR_LIBRARY).
#[derive(Debug, Clone, Copy)]
pub struct ReconnectPolicy {
    pub attempts: u32,
    pub interval_ms: u64,
}

/// Settings of a CPG connection.
#[derive(Debug, Clone)]
pub struct CpgConfig {
    /// Messages larger than this are refused before reaching corosync.
    pub max_message_bytes: usize,
    /// How long a multicast (or join/leave) retries CS_ERR_TRY_AGAIN before giving up.
    /// A membership change blocks sending for about token + consensus.
    pub busy_timeout_ms: u64,
    pub queue: QueueLimits,
    /// `None`: a lost connection ends the stream with [`Error::ConnectionLost`].
    pub reconnect: Option<ReconnectPolicy>,
}

impl Default for CpgConfig {
    fn default() -> Self {
        CpgConfig {
            max_message_bytes: 1 << 20,
            busy_timeout_ms: 60_000,
            queue: QueueLimits::default(),
            reconnect: None,
        }
    }
}

/// Lives in a Box whose address is the connection's context pointer: the callbacks
/// find their own queue through it, with no global registry or lock.
struct Shared {
    queue: Queue<CpgEvent>,
    /// Names of the groups seen so far, so that deliveries share one allocation.
    names: Mutex<Vec<Arc<str>>>,
}

impl Shared {
    /// The group's name as a shared string (callbacks: no panic, brief lock only).
    fn intern(&self, name: *const ffi::cpg_name) -> Arc<str> {
        let bytes = name_bytes(name);
        let mut names = self.names.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = names.iter().find(|n| n.as_bytes() == bytes) {
            return n.clone();
        }
        let n: Arc<str> = String::from_utf8_lossy(bytes).into();
        // bounded: a connection sees only the groups it joined (at most a few)
        if names.len() < 64 {
            names.push(n.clone());
        }
        n
    }
}

/// A connection to corosync's CPG service.
///
/// Not shared between tasks: methods take `&mut self`, so callbacks (which run only
/// inside this crate's dispatch calls) never race with user code. Because the C
/// callbacks only queue events, user code handling an event runs outside
/// `cpg_dispatch` and may leave, send, or drop (finalize) the connection without
/// re-entering the library or waiting on a lock held by it.
///
/// ```no_run
/// # async fn demo() -> corosync_sys::Result<()> {
/// use corosync_sys::{Cpg, CpgEvent};
/// let mut cpg = Cpg::connect()?;
/// cpg.join("crmd").await?;
/// cpg.mcast(b"hello").await?;
/// loop {
///     match cpg.next_event().await? {
///         CpgEvent::Deliver(m) => println!("{} says {:?}", m.sender.nodeid, m.data),
///         CpgEvent::ConfChg(c) => println!("members now {:?}", c.members),
///         _ => {}
///     }
/// }
/// # }
/// ```
pub struct Cpg {
    handle: ffi::cpg_handle_t,
    /// `None` while disconnected (after CS_ERR_LIBRARY, before a reconnect).
    afd: Option<AsyncFd<LibFd>>,
    shared: Box<Shared>,
    groups: Vec<String>,
    config: CpgConfig,
    local_nodeid: u32,
    /// A ConnectionLost event has been queued for the current outage.
    lost_reported: bool,
    /// `try_next_event` drained corosync to empty and is handing out that batch.
    batch_done: bool,
    /// CS_ERR_TRY_AGAIN answers seen by sends, joins and leaves (for monitoring).
    busy_retries: u64,
}

impl Cpg {
    /// Connects to CPG with default settings.
    pub fn connect() -> Result<Cpg> {
        Cpg::with_config(CpgConfig::default())
    }

    pub fn with_config(config: CpgConfig) -> Result<Cpg> {
        let shared = Box::new(Shared { queue: Queue::new(config.queue), names: Mutex::new(Vec::new()) });
        let mut cpg = Cpg {
            handle: 0,
            afd: None,
            shared,
            groups: Vec::new(),
            config,
            local_nodeid: 0,
            lost_reported: false,
            batch_done: false,
            busy_retries: 0,
        };
        cpg.open()?;
        Ok(cpg)
    }

    /// Initializes a new library handle and registers its fd.
    fn open(&mut self) -> Result<()> {
        let mut model = ffi::cpg_model_v1_data_t {
            model: ffi::CPG_MODEL_V1,
            cpg_deliver_fn: Some(on_deliver),
            cpg_confchg_fn: Some(on_confchg),
            cpg_totem_confchg_fn: Some(on_totem_confchg),
            flags: ffi::CPG_MODEL_V1_DELIVER_INITIAL_TOTEM_CONF,
        };
        let ctx: *const Shared = &*self.shared;
        let mut handle: ffi::cpg_handle_t = 0;
        // SAFETY: `model` is a valid V1 model struct (the library copies it); the
        // context points into a Box that outlives the handle (finalized in `close`
        // before the Box is dropped or reused).
        let rc = unsafe {
            ffi::cpg_model_initialize(
                &mut handle,
                ffi::CPG_MODEL_V1,
                (&mut model as *mut ffi::cpg_model_v1_data_t).cast(),
                ctx as *mut c_void,
            )
        };
        if rc != ffi::CS_OK {
            return Err(init_error(SVC, rc, std::io::Error::last_os_error()));
        }
        self.handle = handle;
        let setup = || -> Result<(AsyncFd<LibFd>, u32)> {
            let mut fd = -1;
            // SAFETY: valid handle and out-pointer.
            check(SVC, "fd_get", unsafe { ffi::cpg_fd_get(handle, &mut fd) })?;
            let mut nodeid = 0;
            // SAFETY: valid handle and out-pointer.
            check(SVC, "local_get", unsafe { ffi::cpg_local_get(handle, &mut nodeid) })?;
            Ok((source::register(SVC, fd)?, nodeid))
        };
        match setup() {
            Ok((afd, nodeid)) => {
                self.afd = Some(afd);
                self.local_nodeid = nodeid;
                debug!(handle, nodeid, "cpg connected");
                Ok(())
            }
            Err(e) => {
                self.close();
                Err(e)
            }
        }
    }

    /// Deregisters the fd from tokio, then lets the library close it.
    fn close(&mut self) {
        // The AsyncFd must go first: tokio deregisters the fd, which must still be open.
        self.afd = None;
        if self.handle != 0 {
            // SAFETY: the handle came from cpg_model_initialize and is finalized once.
            let rc = unsafe { ffi::cpg_finalize(self.handle) };
            if rc != ffi::CS_OK {
                debug!(rc, "cpg_finalize (connection may already be gone)");
            }
            self.handle = 0;
        }
    }

    /// How often corosync answered CS_ERR_TRY_AGAIN (flow control) so far.
    pub fn busy_retries(&self) -> u64 {
        self.busy_retries
    }

    /// This node's corosync node id.
    pub fn local_nodeid(&self) -> u32 {
        self.local_nodeid
    }

    /// Largest message corosync sends without fragmenting it.
    pub fn max_atomic_message_bytes(&self) -> Result<usize> {
        self.connected()?;
        let mut size = 0u32;
        // SAFETY: valid handle and out-pointer.
        check(SVC, "max_atomic_msgsize_get", unsafe {
            ffi::cpg_max_atomic_msgsize_get(self.handle, &mut size)
        })?;
        Ok(size as usize)
    }

    /// Whether corosync currently asks this client to stop sending (its IPC flow
    /// control); [`Cpg::mcast`] handles that by itself, this is for monitoring.
    pub fn flow_control_enabled(&self) -> Result<bool> {
        self.connected()?;
        let mut state: ffi::cpg_flow_control_state_t = 0;
        // SAFETY: valid handle and out-pointer.
        check(SVC, "flow_control_state_get", unsafe {
            ffi::cpg_flow_control_state_get(self.handle, &mut state)
        })?;
        Ok(state == ffi::CPG_FLOW_CONTROL_ENABLED)
    }

    /// Joins a group. Retries while corosync answers CS_ERR_TRY_AGAIN.
    pub async fn join(&mut self, group: &str) -> Result<()> {
        let name = group_name(group)?;
        let handle = self.handle;
        // SAFETY (closure): valid handle; `name` lives across the call.
        self.retry_busy("join", |_| unsafe { ffi::cpg_join(handle, &name) }).await?;
        if !self.groups.iter().any(|g| g == group) {
            self.groups.push(group.to_owned());
        }
        info!(group, nodeid = self.local_nodeid, "joined cpg group");
        Ok(())
    }

    /// Leaves a group.
    pub async fn leave(&mut self, group: &str) -> Result<()> {
        let name = group_name(group)?;
        let handle = self.handle;
        // SAFETY (closure): valid handle; `name` lives across the call.
        self.retry_busy("leave", |_| unsafe { ffi::cpg_leave(handle, &name) }).await?;
        self.groups.retain(|g| g != group);
        Ok(())
    }

    /// The current members of a joined group.
    pub fn members(&self, group: &str) -> Result<Vec<Address>> {
        self.connected()?;
        let mut name = group_name(group)?;
        let mut list = [ffi::cpg_address::default(); ffi::CPG_MEMBERS_MAX as usize];
        let mut n: i32 = list.len() as i32;
        // SAFETY: the list has room for CPG_MEMBERS_MAX entries, the most corosync returns.
        let rc = unsafe { ffi::cpg_membership_get(self.handle, &mut name, list.as_mut_ptr(), &mut n) };
        check(SVC, "membership_get", rc)?;
        Ok(list[..(n.max(0) as usize).min(list.len())].iter().map(Address::from_c).collect())
    }

    /// Multicasts `data` to every group joined (agreed order). When corosync applies
    /// flow control (CS_ERR_TRY_AGAIN), pending events are dispatched into the queue
    /// and the send is retried with backoff, for at most `busy_timeout_ms`.
    pub async fn mcast(&mut self, data: &[u8]) -> Result<()> {
        if data.len() > self.config.max_message_bytes {
            return Err(Error::MessageTooBig {
                size_bytes: data.len(),
                limit_bytes: self.config.max_message_bytes,
            });
        }
        let iov = ffi::iovec { iov_base: data.as_ptr() as *mut c_void, iov_len: data.len() };
        let handle = self.handle;
        // SAFETY (closure): one iovec over `data`, which outlives the call; the
        // library only reads through it.
        self.retry_busy("mcast_joined", |_| unsafe {
            ffi::cpg_mcast_joined(handle, ffi::CPG_TYPE_AGREED, &iov, 1)
        })
        .await
    }

    /// Runs `call` until it does not answer CS_ERR_TRY_AGAIN, dispatching in between.
    async fn retry_busy(
        &mut self,
        what: &'static str,
        mut call: impl FnMut(u32) -> ffi::cs_error_t,
    ) -> Result<()> {
        self.connected()?;
        let start = Instant::now();
        let mut attempts = 0u32;
        loop {
            let rc = call(attempts);
            attempts += 1;
            match rc {
                ffi::CS_OK => return Ok(()),
                ffi::CS_ERR_TRY_AGAIN => {
                    self.busy_retries += 1;
                    let waited = start.elapsed();
                    if waited >= Duration::from_millis(self.config.busy_timeout_ms) {
                        return Err(Error::Busy {
                            service: SVC,
                            call: what,
                            attempts,
                            waited_ms: waited.as_millis() as u64,
                        });
                    }
                    // Our own undispatched events can be what holds corosync back.
                    self.dispatch_pending(source::ALL)?;
                    // Back off 1, 2, 4 .. 64, 100 ms, but retry as soon as corosync
                    // delivers something: a delivery means the ring moved on, which
                    // is what lifts its flow control.
                    let pause_ms = (1u64 << (attempts - 1).min(6)).min(100);
                    self.wait_progress(Duration::from_millis(pause_ms)).await?;
                }
                _ => {
                    let err = check(SVC, what, rc).unwrap_err();
                    if err.is_connection_lost() {
                        self.mark_lost();
                    }
                    return Err(err);
                }
            }
        }
    }

    /// Waits until corosync has something for us (and queues it) or `pause` passed.
    async fn wait_progress(&mut self, pause: Duration) -> Result<()> {
        let Some(afd) = &self.afd else {
            tokio::time::sleep(pause).await;
            return Ok(());
        };
        let handle = self.handle;
        let r = match tokio::time::timeout(pause, afd.readable()).await {
            Err(_elapsed) => return Ok(()),
            Ok(Err(source)) => return Err(Error::Io { service: SVC, source }),
            Ok(Ok(mut guard)) => {
                // SAFETY (closure): valid handle; callbacks only touch the Shared box.
                let r =
                    source::drain(SVC, &self.shared.queue, afd.as_raw_fd(), source::ALL, |flags| unsafe {
                        ffi::cpg_dispatch(handle, flags)
                    });
                if let Ok(Drained::Empty) = r {
                    guard.clear_ready();
                }
                r
            }
        };
        match r {
            Err(e) if e.is_connection_lost() => {
                self.mark_lost();
                Err(e)
            }
            other => other.map(|_| ()),
        }
    }

    /// Moves events already waiting in corosync into the queue, without blocking.
    fn dispatch_pending(&mut self, batch: usize) -> Result<Drained> {
        let Some(afd) = &self.afd else { return Ok(Drained::Empty) };
        let handle = self.handle;
        // SAFETY (closure): valid handle; callbacks only touch the Shared box.
        let r = source::drain(SVC, &self.shared.queue, afd.as_raw_fd(), batch, |flags| unsafe {
            ffi::cpg_dispatch(handle, flags)
        });
        if let Err(e) = &r {
            if e.is_connection_lost() {
                self.mark_lost();
            }
        }
        r
    }

    /// The next event. Cancel-safe.
    ///
    /// When the connection is lost this yields [`CpgEvent::ConnectionLost`] once; then,
    /// with a [`ReconnectPolicy`], it reconnects, rejoins, and yields
    /// [`CpgEvent::Reconnected`], else it fails with [`Error::ConnectionLost`].
    pub async fn next_event(&mut self) -> Result<CpgEvent> {
        loop {
            if let Some(ev) = self.shared.queue.pop()? {
                return Ok(ev);
            }
            if self.afd.is_none() {
                self.reconnect().await?;
                continue;
            }
            let handle = self.handle;
            let afd = self.afd.as_ref().expect("checked above");
            // SAFETY (closure): valid handle; callbacks only touch the Shared box.
            let r = source::next(SVC, &self.shared.queue, afd, |flags| unsafe {
                ffi::cpg_dispatch(handle, flags)
            })
            .await;
            match r {
                Ok(ev) => return Ok(ev),
                Err(e) if e.is_connection_lost() => {
                    warn!(error = %e, "cpg connection lost");
                    self.mark_lost();
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The next event if one is queued or already waiting in corosync; never waits.
    /// Lets a sender interleave reading without an await point per message.
    ///
    /// Once the events fetched by one look at corosync are used up, it returns `None`
    /// once before looking again: a `while let Some(ev) = cpg.try_next_event()?` loop
    /// then costs one empty dispatch per batch, not one per event.
    pub fn try_next_event(&mut self) -> Result<Option<CpgEvent>> {
        if let Some(ev) = self.shared.queue.pop()? {
            return Ok(Some(ev));
        }
        if std::mem::take(&mut self.batch_done) {
            return Ok(None);
        }
        match self.dispatch_pending(source::ALL) {
            // mark_lost queued ConnectionLost; it is returned below
            Err(e) if e.is_connection_lost() => {}
            Err(e) => return Err(e),
            Ok(drained) => self.batch_done = drained == Drained::Empty,
        }
        let ev = self.shared.queue.pop()?;
        if ev.is_none() {
            self.batch_done = false; // looked, found nothing: the next call looks again
        }
        Ok(ev)
    }

    /// Finalizes the dead handle and queues ConnectionLost (once per outage).
    fn mark_lost(&mut self) {
        self.close();
        if !self.lost_reported {
            self.lost_reported = true;
            self.shared.queue.push(CpgEvent::ConnectionLost, 0);
        }
    }

    async fn reconnect(&mut self) -> Result<()> {
        let Some(policy) = self.config.reconnect else {
            return Err(Error::ConnectionLost {
                service: SVC,
                call: "dispatch",
                code: crate::error::CsCode(ffi::CS_ERR_LIBRARY),
            });
        };
        let mut last = None;
        for attempt in 1..=policy.attempts.max(1) {
            tokio::time::sleep(Duration::from_millis(policy.interval_ms)).await;
            match self.open() {
                Ok(()) => {
                    let groups = self.groups.clone();
                    let mut rejoined = Ok(());
                    for g in &groups {
                        rejoined = self.join(g).await;
                        if rejoined.is_err() {
                            break;
                        }
                    }
                    match rejoined {
                        Ok(()) => {
                            info!(attempt, nodeid = self.local_nodeid, "cpg reconnected");
                            self.lost_reported = false;
                            self.shared
                                .queue
                                .push(CpgEvent::Reconnected { local_nodeid: self.local_nodeid }, 0);
                            return Ok(());
                        }
                        Err(e) => {
                            self.close();
                            last = Some(e);
                        }
                    }
                }
                Err(e) => {
                    debug!(attempt, error = %e, "cpg reconnect failed");
                    last = Some(e);
                }
            }
        }
        Err(last.expect("at least one attempt"))
    }

    fn connected(&self) -> Result<()> {
        if self.afd.is_some() {
            Ok(())
        } else {
            Err(Error::ConnectionLost {
                service: SVC,
                call: "(disconnected)",
                code: crate::error::CsCode(ffi::CS_ERR_LIBRARY),
            })
        }
    }

    /// Leaves nothing behind: same as drop, but reports the finalize result.
    pub fn finalize(mut self) -> Result<()> {
        self.afd = None;
        let handle = std::mem::take(&mut self.handle);
        if handle == 0 {
            return Ok(());
        }
        // SAFETY: the handle is valid and finalized once (zeroed above so Drop skips it).
        check(SVC, "finalize", unsafe { ffi::cpg_finalize(handle) })
    }
}

impl Drop for Cpg {
    fn drop(&mut self) {
        self.close();
    }
}

fn group_name(group: &str) -> Result<ffi::cpg_name> {
    let bytes = group.as_bytes();
    if bytes.is_empty() || bytes.len() > ffi::CPG_MAX_NAME_LENGTH as usize {
        return Err(Error::InvalidName { name: group.to_owned(), why: "must be 1 to 128 bytes" });
    }
    let mut name =
        ffi::cpg_name { length: bytes.len() as u32, value: [0; ffi::CPG_MAX_NAME_LENGTH as usize] };
    for (dst, src) in name.value.iter_mut().zip(bytes) {
        *dst = *src as std::os::raw::c_char;
    }
    Ok(name)
}

/// The bytes of a C group name (empty for a null pointer).
fn name_bytes<'a>(name: *const ffi::cpg_name) -> &'a [u8] {
    if name.is_null() {
        return &[];
    }
    // SAFETY: corosync passes a valid cpg_name for the duration of the callback, and
    // the slice is used only within it; c_char and u8 have the same layout.
    let name = unsafe { &*name };
    let len = (name.length as usize).min(name.value.len());
    unsafe { std::slice::from_raw_parts(name.value.as_ptr().cast::<u8>(), len) }
}

/// Finds the connection's queue through the context pointer set at initialize.
fn shared_of(handle: ffi::cpg_handle_t) -> Option<&'static Shared> {
    let mut ctx: *mut c_void = std::ptr::null_mut();
    // SAFETY: called only from callbacks, i.e. inside cpg_dispatch on a live handle.
    let rc = unsafe { ffi::cpg_context_get(handle, &mut ctx) };
    if rc != ffi::CS_OK || ctx.is_null() {
        return None;
    }
    // SAFETY: the context is the address of the connection's Shared box, which lives
    // until after cpg_finalize; callbacks run only during dispatch, before that.
    // ('static is a lie confined to this callback's body.)
    Some(unsafe { &*(ctx as *const Shared) })
}

/// Copies `n` C structs into a Vec (`p` may be null when `n` is 0).
fn copy_list<C, R>(p: *const C, n: usize, f: impl Fn(&C) -> R) -> Vec<R> {
    if p.is_null() || n == 0 {
        return Vec::new();
    }
    // SAFETY: corosync passes `n` valid entries at `p` for the callback's duration.
    unsafe { std::slice::from_raw_parts(p, n) }.iter().map(f).collect()
}

unsafe extern "C" fn on_deliver(
    handle: ffi::cpg_handle_t,
    group_name: *const ffi::cpg_name,
    nodeid: u32,
    pid: u32,
    msg: *mut c_void,
    msg_len: usize,
) {
    let Some(shared) = shared_of(handle) else { return };
    let data = if msg.is_null() || msg_len == 0 {
        Vec::new()
    } else {
        // SAFETY: corosync passes `msg_len` readable bytes at `msg` for the callback.
        unsafe { std::slice::from_raw_parts(msg as *const u8, msg_len) }.to_vec()
    };
    let ev = CpgEvent::Deliver(Message {
        group: shared.intern(group_name),
        sender: Address { nodeid, pid, reason: 0 },
        data,
    });
    shared.queue.push(ev, msg_len);
}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn on_confchg(
    handle: ffi::cpg_handle_t,
    group_name: *const ffi::cpg_name,
    member_list: *const ffi::cpg_address,
    member_list_entries: usize,
    left_list: *const ffi::cpg_address,
    left_list_entries: usize,
    joined_list: *const ffi::cpg_address,
    joined_list_entries: usize,
) {
    let Some(shared) = shared_of(handle) else { return };
    let ev = CpgEvent::ConfChg(ConfChg {
        group: shared.intern(group_name),
        members: copy_list(member_list, member_list_entries, Address::from_c),
        left: copy_list(left_list, left_list_entries, Address::from_c),
        joined: copy_list(joined_list, joined_list_entries, Address::from_c),
    });
    shared.queue.push(ev, 0);
}

unsafe extern "C" fn on_totem_confchg(
    handle: ffi::cpg_handle_t,
    ring_id: ffi::cpg_ring_id,
    member_list_entries: u32,
    member_list: *const u32,
) {
    let Some(shared) = shared_of(handle) else { return };
    let ev = CpgEvent::TotemConfChg(TotemConfChg {
        ring_id: RingId { nodeid: ring_id.nodeid, seq: ring_id.seq },
        members: copy_list(member_list, member_list_entries as usize, |&n| n),
    });
    shared.queue.push(ev, 0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_are_checked_and_round_trip() {
        assert!(group_name("").is_err());
        assert!(group_name(&"x".repeat(129)).is_err());
        let n = group_name("crmd").unwrap();
        assert_eq!(n.length, 4);
        assert_eq!(name_bytes(&n), b"crmd");
        assert_eq!(name_bytes(std::ptr::null()), b"");
        let shared = Shared { queue: Queue::new(QueueLimits::default()), names: Mutex::new(Vec::new()) };
        let (a, b) = (shared.intern(&n), shared.intern(&n));
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(&*a, "crmd");
    }

    #[test]
    fn copies_c_lists() {
        let raw = [ffi::cpg_address { nodeid: 2, pid: 7, reason: ffi::CPG_REASON_JOIN }];
        let v = copy_list(raw.as_ptr(), 1, Address::from_c);
        assert_eq!(v, vec![Address { nodeid: 2, pid: 7, reason: 1 }]);
        assert_eq!(v[0].reason_name(), "join");
        assert!(copy_list::<ffi::cpg_address, Address>(std::ptr::null(), 3, Address::from_c).is_empty());
    }
}
