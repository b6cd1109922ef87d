//! The cluster node as a state machine: `handle(now, event) -> commands`.
//!
//! Events come from the edges (Corosync membership and delivered messages, the
//! executor, timers, local clients); commands go back to them (multicast, run an
//! operation, fence, write the CIB, reply, set a timer). Nothing here reads a
//! clock or touches the network, the disk or a process, so a simulator can run
//! many nodes in one process and replay any run exactly.
//!
//! The life of a membership view (`ring`):
//! 1. sync: every member multicasts its CIB; in delivery order each member
//!    adopts any newer one, so once all offers are in, all hold the newest;
//! 2. join: every member multicasts its own resource history (see [`history`]);
//! 3. settled: the DC ([`election`]) records who is a member, then schedules and
//!    runs transitions ([`transition`]) until nothing is left to do.
//!
//! Commands are carried out in order: a `WriteCib` is complete (fsync'd) before
//! the `Reply` after it is sent, so an acknowledged change is on disk.

pub mod cib_replica;
pub mod election;
pub mod history;
pub mod message;
pub mod transition;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use cib_schema::{Cib, CibVersion};

pub use cib_replica::{ChangeError, CibReplica};
pub use message::{ActionKey, CibChange, DecodeError, Message, NodeId, OpRecord};

use history::LocalHistory;
use transition::{State, Step, TransitionRun};

/// One call to the executor, named by the node that asked for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CallId(pub u64);

/// A local client connection (cibadmin, crm_mon, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClientId(pub u64);

/// A timer the DC set to notice an action that never reported back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimerId {
    pub transition: u64,
    pub action: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// `cibadmin --query`: this node's copy, as it is now.
    Query,
    Change(CibChange),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// The change is applied by every member and on this node's disk.
    Applied(CibVersion),
    Cib(Box<Cib>),
    Refused(RefusedReason),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefusedReason {
    /// Without quorum another partition may be changing the CIB too, and on the
    /// merge only one side's changes survive; refusing is the only way to never
    /// acknowledge a change that is later lost. (Pacemaker accepts them.)
    #[error("the partition has no quorum")]
    NoQuorum,
    #[error("too many changes waiting ({0}); retry later")]
    Busy(usize),
    #[error("{0}")]
    Invalid(#[from] ChangeError),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Corosync's membership (CPG configuration) and quorum.
    Membership {
        ring: u64,
        members: Vec<NodeId>,
        quorate: bool,
    },
    /// The partition gained or lost quorum within the same membership (the
    /// quorum service reports separately from the process group).
    Quorum {
        quorate: bool,
    },
    /// A message, in the total order Corosync delivers it to every member.
    Delivered(Message),
    /// The executor's result for `call` (again whenever a recurring one changes).
    OperationResult {
        call: CallId,
        rc: i32,
    },
    FenceResult {
        target: String,
        ok: bool,
    },
    TimerFired(TimerId),
    Client {
        client: ClientId,
        request: Request,
    },
}

/// What the executor must run: the agent, its parameters and the operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentCall {
    pub call: CallId,
    pub rsc: String,
    pub class: String,
    pub provider: Option<String>,
    pub agent: String,
    pub params: BTreeMap<String, String>,
    pub task: String,
    pub interval_ms: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Multicast(Message),
    RunOperation(AgentCall),
    CancelOperation(CallId),
    Fence {
        target: String,
    },
    /// Persist the node's CIB as it is now ([`Node::cib`]) before carrying out
    /// the next command. Every change to the node's copy is followed by one.
    WriteCib {
        version: CibVersion,
    },
    Reply {
        client: ClientId,
        reply: Reply,
    },
    SetTimer {
        timer: TimerId,
        after_ms: u64,
    },
}

/// How long the DC waits for an action before it gives up on the transition:
/// Pacemaker's default operation timeout (20 s) plus its cluster-delay (60 s).
pub const ACTION_TIMEOUT_MS: u64 = 80_000;
/// Operations queued behind others on the same resource, at most.
pub const MAX_QUEUED_OPS: usize = 1024;
/// The OCF "generic error" an operation that timed out is recorded with.
const OCF_UNKNOWN_ERROR: i32 = 1;
/// The version the DC announces as `dc-version`.
pub const DC_VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "-crmd");
/// Client changes waiting for the membership to settle, at most.
pub const MAX_WAITING_CHANGES: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// No membership yet.
    Alone,
    /// Waiting for every member's CIB.
    Syncing,
    /// Waiting for every member's resource history.
    Joining,
    Settled,
}

#[derive(Debug, Clone)]
struct View {
    ring: u64,
    members: Vec<NodeId>,
    quorate: bool,
}

/// What only the DC keeps.
#[derive(Debug, Clone, Default)]
struct Controller {
    states_sent: bool,
    properties_sent: bool,
    members_recorded: bool,
    transition: Option<TransitionRun>,
    next_transition: u64,
    /// The CIB changed since the last schedule.
    dirty: bool,
    fencing: BTreeMap<String, (u64, usize)>,
}

#[derive(Debug, Clone)]
struct RunningCall {
    op: OpRecord,
    key: Option<ActionKey>,
    reported_rc: Option<i32>,
}

#[derive(Debug, Clone)]
pub struct Node {
    id: NodeId,
    uname: String,
    replica: CibReplica,
    view: Option<View>,
    phase: Phase,
    waiting_offers: BTreeSet<NodeId>,
    waiting_histories: BTreeSet<NodeId>,
    history: LocalHistory,
    calls: BTreeMap<CallId, RunningCall>,
    /// Operations waiting for another one on the same resource to finish.
    queued_ops: VecDeque<(OpRecord, Option<ActionKey>)>,
    next_call: u64,
    /// Client changes not yet sent (membership not settled enough).
    waiting_changes: VecDeque<(ClientId, CibChange)>,
    /// Client changes sent and not yet delivered, by request number.
    sent_changes: BTreeMap<u64, (ClientId, CibChange)>,
    next_request: u64,
    /// Status changes of our own (fencing results) waiting to be sent.
    outbox: Vec<CibChange>,
    /// Nodes seen in a membership with us and not fenced since: what we
    /// tell the others on every join (see `CibChange::NodeHistory`).
    seen_up: BTreeSet<String>,
    dc: Controller,
    now_ms: u64,
}

impl Node {
    /// A node starting with `cib` (as read from its disk) and nothing running.
    pub fn new(id: NodeId, cib: Cib) -> Node {
        let uname = cib_replica::uname_of(&cib, id.0).unwrap_or_else(|| format!("node{}", id.0));
        Node {
            id,
            uname,
            replica: CibReplica::new(cib),
            view: None,
            phase: Phase::Alone,
            waiting_offers: BTreeSet::new(),
            waiting_histories: BTreeSet::new(),
            history: LocalHistory::default(),
            calls: BTreeMap::new(),
            queued_ops: VecDeque::new(),
            next_call: 1,
            waiting_changes: VecDeque::new(),
            sent_changes: BTreeMap::new(),
            next_request: 1,
            outbox: Vec::new(),
            seen_up: BTreeSet::new(),
            dc: Controller::default(),
            now_ms: 0,
        }
    }

    pub fn id(&self) -> NodeId {
        self.id
    }

    pub fn uname(&self) -> &str {
        &self.uname
    }

    pub fn cib(&self) -> &Cib {
        self.replica.cib()
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The DC of our membership, once it is settled.
    pub fn dc(&self) -> Option<NodeId> {
        (self.phase == Phase::Settled)
            .then(|| self.view.as_ref().and_then(|v| election::elect(&v.members)))
            .flatten()
    }

    /// Whether our partition has quorum, as Corosync last said.
    pub fn has_quorum(&self) -> bool {
        self.quorate()
    }

    pub fn is_dc(&self) -> bool {
        self.dc() == Some(self.id)
    }

    /// The DC has nothing running and nothing new to schedule.
    pub fn is_idle(&self) -> bool {
        !self.is_dc() || (self.dc.members_recorded && self.dc.transition.is_none() && !self.dc.dirty)
    }

    /// Operations this node's executor is running (recurring ones included).
    pub fn calls_running(&self) -> usize {
        self.calls.len()
    }

    pub fn handle(&mut self, now_ms: u64, event: Event) -> Vec<Command> {
        self.now_ms = self.now_ms.max(now_ms);
        let mut out = Vec::new();
        match event {
            Event::Membership { ring, members, quorate } => {
                self.on_membership(ring, members, quorate, &mut out)
            }
            Event::Quorum { quorate } => {
                if let Some(v) = self.view.as_mut() {
                    if v.quorate != quorate {
                        v.quorate = quorate;
                        // no-quorum-policy decides anew.
                        self.dc.dirty = true;
                    }
                }
            }
            Event::Delivered(msg) => self.on_message(msg, &mut out),
            Event::OperationResult { call, rc } => self.on_result(call, rc, &mut out),
            Event::FenceResult { target, ok } => self.on_fenced(target, ok, &mut out),
            Event::TimerFired(timer) => self.on_timer(timer, &mut out),
            Event::Client { client, request } => self.on_client(client, request, &mut out),
        }
        self.drive_dc(&mut out);
        out
    }

    fn now_s(&self) -> i64 {
        (self.now_ms / 1000) as i64
    }

    fn ring(&self) -> Option<u64> {
        self.view.as_ref().map(|v| v.ring)
    }

    fn quorate(&self) -> bool {
        self.view.as_ref().is_some_and(|v| v.quorate)
    }

    fn can_send_changes(&self) -> bool {
        self.phase >= Phase::Joining
    }

    fn send_change(&mut self, request: Option<u64>, change: CibChange, out: &mut Vec<Command>) {
        let ring = self.ring().expect("changes are sent only within a membership");
        out.push(Command::Multicast(Message::Change { ring, from: self.id, request, change }));
    }

    fn on_membership(&mut self, ring: u64, members: Vec<NodeId>, quorate: bool, out: &mut Vec<Command>) {
        if !members.contains(&self.id) {
            return;
        }
        let mut members = members;
        members.sort_unstable();
        members.dedup();
        self.waiting_offers = members.iter().copied().collect();
        self.waiting_histories = self.waiting_offers.clone();
        self.view = Some(View { ring, members, quorate });
        self.phase = Phase::Syncing;
        // Whatever was in flight was not delivered in the old view: the new
        // view starts from a synced CIB and fresh histories, the DC from scratch.
        self.dc = Controller { next_transition: self.dc.next_transition, dirty: true, ..Default::default() };
        let unsent = std::mem::take(&mut self.sent_changes);
        for c in unsent.into_values().rev() {
            self.waiting_changes.push_front(c);
        }
        for call in self.calls.values_mut() {
            // Results still coming belong to no transition of the new DC.
            call.key = None;
        }
        // Operations not begun were asked by a DC of the old view: the new DC
        // decides afresh (running them could start a resource it places elsewhere).
        self.queued_ops.clear();
        out.push(Command::Multicast(Message::SyncOffer {
            ring,
            from: self.id,
            cib: std::sync::Arc::new(self.replica.cib().clone()),
        }));
    }

    fn on_message(&mut self, msg: Message, out: &mut Vec<Command>) {
        if Some(msg.ring()) != self.ring() {
            tracing::debug!(node = %self.id, "message from an older membership ignored");
            return;
        }
        match msg {
            Message::SyncOffer { from, cib, .. } => self.on_offer(from, cib, out),
            Message::Change { from, request, change, .. } => self.on_change(from, request, change, out),
            Message::Execute { target, key, op, .. } => {
                let dc = self.view.as_ref().and_then(|v| election::elect(&v.members));
                if target == self.id && dc == Some(key.dc) && self.phase >= Phase::Joining {
                    self.start_operation(op, Some(key), out);
                }
            }
        }
    }

    fn on_offer(&mut self, from: NodeId, cib: std::sync::Arc<Cib>, out: &mut Vec<Command>) {
        if self.phase != Phase::Syncing || !self.waiting_offers.remove(&from) {
            return;
        }
        if CibReplica::is_newer(&cib, self.replica.cib()) {
            self.replica.adopt(std::sync::Arc::unwrap_or_clone(cib));
            out.push(Command::WriteCib { version: self.replica.version() });
        }
        if !self.waiting_offers.is_empty() {
            return;
        }
        // Every member now holds the same, newest CIB.
        self.phase = Phase::Joining;
        let members: Vec<NodeId> = self.view.as_ref().map(|v| v.members.clone()).unwrap_or_default();
        for m in members {
            if let Some(uname) = cib_replica::uname_of(self.replica.cib(), m.0) {
                self.seen_up.insert(uname);
            }
        }
        let history = CibChange::NodeHistory {
            node: self.uname.clone(),
            ops: self.history.ops(),
            seen_up: self.seen_up.iter().cloned().collect(),
        };
        self.send_change(None, history, out);
        for change in std::mem::take(&mut self.outbox) {
            self.send_change(None, change, out);
        }
        while let Some((client, change)) = self.waiting_changes.pop_front() {
            self.submit(client, change, out);
        }
    }

    fn submit(&mut self, client: ClientId, change: CibChange, out: &mut Vec<Command>) {
        if !self.quorate() {
            out.push(Command::Reply { client, reply: Reply::Refused(RefusedReason::NoQuorum) });
            return;
        }
        let request = self.next_request;
        self.next_request += 1;
        self.sent_changes.insert(request, (client, change.clone()));
        self.send_change(Some(request), change, out);
    }

    fn on_change(&mut self, from: NodeId, request: Option<u64>, change: CibChange, out: &mut Vec<Command>) {
        if self.phase < Phase::Joining {
            // The sender finished syncing before sending, and so (total order)
            // did we: this cannot happen on a bus that keeps its promises.
            tracing::warn!(node = %self.id, %from, "change delivered before the CIB sync ended; ignored");
            return;
        }
        let result = self.replica.apply(&change, self.now_s());
        if result.is_ok() {
            out.push(Command::WriteCib { version: self.replica.version() });
            self.dc.dirty = true;
        }
        if from == self.id {
            if let Some((client, _)) = request.and_then(|r| self.sent_changes.remove(&r)) {
                let reply = match &result {
                    Ok(()) => Reply::Applied(self.replica.version()),
                    Err(e) => Reply::Refused(RefusedReason::Invalid(e.clone())),
                };
                out.push(Command::Reply { client, reply });
            }
        }
        match &change {
            CibChange::ClearFailures { rsc } if result.is_ok() => {
                self.history.forget_failures(rsc.as_deref())
            }
            CibChange::NodeFenced { node, .. } if result.is_ok() => {
                self.seen_up.remove(node);
            }
            CibChange::NodeHistory { .. } => {
                self.waiting_histories.remove(&from);
                if self.waiting_histories.is_empty() && self.phase == Phase::Joining {
                    self.phase = Phase::Settled;
                }
            }
            CibChange::NodeStates { .. } if self.is_dc() && from == self.id => {
                self.dc.members_recorded = true
            }
            _ => {}
        }
        if self.is_dc() {
            self.note_result(&change);
        }
    }

    /// The DC matches a recorded result with the action that asked for it; any
    /// other change means the world moved and the transition is aborted.
    fn note_result(&mut self, change: &CibChange) {
        let Some(run) = self.dc.transition.as_mut() else { return };
        let me = self.id;
        let matching = |key: &Option<ActionKey>| key.filter(|k| k.dc == me && k.transition == run.id);
        match change {
            CibChange::RecordOp { op, action, .. } => {
                if let Some(k) = matching(action) {
                    let i = k.action as usize;
                    let expected = match run.actions.get(i).map(|a| &a.step) {
                        Some(Step::Operation { op: want, .. }) => want.rc,
                        _ => 0,
                    };
                    run.complete(i, op.rc == expected);
                } else {
                    run.aborted = true;
                }
            }
            CibChange::NodeFenced { action, .. } => match matching(action) {
                Some(k) => {
                    run.complete(k.action as usize, true);
                }
                None => run.aborted = true,
            },
            _ => run.aborted = true,
        }
    }

    fn on_client(&mut self, client: ClientId, request: Request, out: &mut Vec<Command>) {
        match request {
            Request::Query => {
                out.push(Command::Reply { client, reply: Reply::Cib(Box::new(self.replica.cib().clone())) })
            }
            Request::Change(change) => {
                if self.can_send_changes() {
                    self.submit(client, change, out);
                } else if self.waiting_changes.len() >= MAX_WAITING_CHANGES {
                    let reply = Reply::Refused(RefusedReason::Busy(self.waiting_changes.len()));
                    out.push(Command::Reply { client, reply });
                } else {
                    self.waiting_changes.push_back((client, change));
                }
            }
        }
    }

    /// Runs an operation, or queues it behind the one already running on the
    /// same resource: an agent is never asked to start while it still stops.
    fn start_operation(&mut self, op: OpRecord, key: Option<ActionKey>, out: &mut Vec<Command>) {
        let busy = self.calls.values().any(|c| c.op.rsc == op.rsc && c.op.interval_ms == 0);
        if busy {
            assert!(self.queued_ops.len() < MAX_QUEUED_OPS, "executor queue over its limit");
            self.queued_ops.push_back((op, key));
            return;
        }
        let call = CallId(self.next_call);
        self.next_call += 1;
        if op.task == "stop" || op.task == "start" {
            // A stopped resource has no monitor running; a started one gets new ones.
            let recurring: Vec<CallId> = self
                .calls
                .iter()
                .filter(|(_, c)| c.op.rsc == op.rsc && c.op.interval_ms > 0)
                .map(|(&id, _)| id)
                .collect();
            for id in recurring {
                self.calls.remove(&id);
                out.push(Command::CancelOperation(id));
            }
        }
        self.history.begin(&op);
        let (class, provider, agent, params) = cib_replica::agent_of(self.replica.cib(), &op.rsc);
        out.push(Command::RunOperation(AgentCall {
            call,
            rsc: op.rsc.clone(),
            class,
            provider,
            agent,
            params,
            task: op.task.clone(),
            interval_ms: op.interval_ms,
        }));
        self.calls.insert(call, RunningCall { op, key, reported_rc: None });
    }

    fn on_result(&mut self, call: CallId, rc: i32, out: &mut Vec<Command>) {
        let Some(running) = self.calls.get_mut(&call) else { return };
        if running.reported_rc == Some(rc) {
            // A recurring operation reports only changes.
            return;
        }
        running.reported_rc = Some(rc);
        let op = OpRecord { rc, pending: false, ..running.op.clone() };
        let key = running.key.take();
        if op.interval_ms == 0 {
            self.calls.remove(&call);
        }
        self.history.record(&op);
        let rsc = op.rsc.clone();
        // Before the join the history we send carries the result instead.
        if self.can_send_changes() {
            self.send_change(None, CibChange::RecordOp { node: self.uname.clone(), op, action: key }, out);
        }
        if let Some(pos) = self.queued_ops.iter().position(|(o, _)| o.rsc == rsc) {
            let (op, key) = self.queued_ops.remove(pos).expect("position is in range");
            self.start_operation(op, key, out);
        }
    }

    fn on_fenced(&mut self, target: String, ok: bool, out: &mut Vec<Command>) {
        let entry = self.dc.fencing.remove(&target);
        let run = self.dc.transition.as_mut();
        let key = match (entry, run) {
            (Some((t, i)), Some(run)) if run.id == t => {
                if !ok {
                    run.complete(i, false);
                }
                Some(ActionKey { dc: self.id, transition: t, action: i as u32 })
            }
            _ => None,
        };
        if !ok {
            return;
        }
        // A fencing is a fact whatever became of the transition: record it.
        let change = CibChange::NodeFenced { node: target, action: key };
        if self.can_send_changes() {
            self.send_change(None, change, out);
        } else {
            self.outbox.push(change);
        }
    }

    fn on_timer(&mut self, timer: TimerId, out: &mut Vec<Command>) {
        let Some(run) = self.dc.transition.as_mut() else { return };
        let i = timer.action as usize;
        let in_flight =
            run.id == timer.transition && run.actions.get(i).is_some_and(|a| a.state == State::InFlight);
        if !in_flight {
            return;
        }
        match run.actions[i].step.clone() {
            // As Pacemaker's DC does: an operation that never reported back
            // failed, and is recorded so, so that the scheduler stops the
            // resource there (or fences the node) before starting it elsewhere.
            Step::Operation { node, op } if self.phase >= Phase::Joining => {
                let key = ActionKey { dc: self.id, transition: run.id, action: timer.action };
                let failed = OpRecord { rc: OCF_UNKNOWN_ERROR, pending: false, ..op };
                self.send_change(None, CibChange::RecordOp { node, op: failed, action: Some(key) }, out);
            }
            _ => {
                run.complete(i, false);
            }
        }
    }

    /// The DC's loop: record the membership once, then schedule whenever the
    /// CIB changed and no transition runs, and start every action that is ready.
    fn drive_dc(&mut self, out: &mut Vec<Command>) {
        if !self.is_dc() {
            return;
        }
        if !self.dc.states_sent {
            self.dc.states_sent = true;
            let members = self.view.as_ref().map(|v| v.members.clone()).unwrap_or_default();
            let cib = self.replica.cib();
            let members = members
                .iter()
                .map(|m| cib_replica::uname_of(cib, m.0).unwrap_or_else(|| format!("node{m}")))
                .collect();
            self.send_change(None, CibChange::NodeStates { members }, out);
        }
        // A configuration change bumps the epoch, and on a merge the higher
        // epoch wins: made without quorum it could outrank (and so undo) changes
        // acknowledged by the quorate side.
        if !self.dc.properties_sent && self.quorate() {
            self.dc.properties_sent = true;
            self.announce_dc_properties(out);
        }
        if !self.dc.members_recorded {
            return;
        }
        loop {
            if self.dc.transition.as_ref().is_some_and(|t| t.is_finished()) {
                if let Some(t) = self.dc.transition.take() {
                    tracing::info!(transition = t.id, aborted = t.aborted, "transition finished");
                }
            }
            if self.dc.transition.is_none() {
                if !self.dc.dirty {
                    return;
                }
                self.dc.dirty = false;
                let id = self.dc.next_transition;
                self.dc.next_transition += 1;
                let mut input = self.replica.cib().clone();
                input.have_quorum = Some(if self.quorate() { "1" } else { "0" }.into());
                input.dc_uuid = Some(self.id.to_string());
                let t = crate::scheduler::schedule(&input, self.now_s());
                let run = TransitionRun::plan(id, &t);
                if run.is_empty() {
                    return;
                }
                tracing::info!(transition = id, actions = run.actions.len(), "transition started");
                self.dc.transition = Some(run);
            }
            let started = self.dc.transition.as_mut().map(|t| t.start_ready()).unwrap_or_default();
            for i in started {
                self.dispatch(i, out);
            }
            // Loop again only if the transition finished without waiting on anyone.
            if !self.dc.transition.as_ref().is_some_and(|t| t.is_finished()) {
                return;
            }
        }
    }

    /// What Pacemaker's DC writes into `cib-bootstrap-options` (and `crm_mon`
    /// shows as "Stack" and the DC's version), sent only when it differs.
    fn announce_dc_properties(&mut self, out: &mut Vec<Command>) {
        let current = |cib: &Cib, name: &str| {
            cib.configuration
                .iter()
                .flat_map(|c| c.crm_config.iter())
                .flat_map(|c| c.sets.iter())
                .find_map(|s| s.get(name))
                .map(str::to_string)
        };
        for (name, value) in [("dc-version", DC_VERSION), ("cluster-infrastructure", "corosync")] {
            if current(self.replica.cib(), name).as_deref() != Some(value) {
                let change = CibChange::SetClusterProperty { name: name.into(), value: Some(value.into()) };
                self.send_change(None, change, out);
            }
        }
    }

    fn dispatch(&mut self, i: usize, out: &mut Vec<Command>) {
        let Some(run) = self.dc.transition.as_ref() else { return };
        let key = ActionKey { dc: self.id, transition: run.id, action: i as u32 };
        match run.actions[i].step.clone() {
            Step::Immediate => {}
            Step::Fence { target } => {
                self.dc.fencing.insert(target.clone(), (run.id, i));
                out.push(Command::Fence { target });
            }
            Step::Operation { node, op } => {
                let op = OpRecord { rc: 0, ..op };
                if node == self.uname {
                    self.start_operation(op, Some(key), out);
                } else if let Some(target) = node_id_of(self.replica.cib(), &node) {
                    let ring = self.ring().expect("the DC has a membership");
                    out.push(Command::Multicast(Message::Execute { ring, target, key, op }));
                }
            }
        }
        out.push(Command::SetTimer {
            timer: TimerId { transition: key.transition, action: key.action },
            after_ms: ACTION_TIMEOUT_MS,
        });
    }
}

fn node_id_of(cib: &Cib, uname: &str) -> Option<NodeId> {
    cib.configuration
        .iter()
        .flat_map(|c| c.nodes.iter())
        .flat_map(|n| n.nodes.iter())
        .find(|n| n.uname.as_deref() == Some(uname) || n.id == uname)
        .and_then(|n| n.id.parse().ok())
        .map(NodeId)
}
