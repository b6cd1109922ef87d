//! `crmd`: one node of the cluster. A thin loop around `crm_core::node::Node`
//! (the state machine, which decides everything): events come in from
//! Corosync (process group deliveries and membership, quorum), the executor,
//! timers and the tools' socket; the commands the node returns are carried out
//! in order (multicast, run or cancel an agent, fence, write the CIB, reply,
//! set a timer). Nothing here decides what the cluster does.

pub mod clients;
pub mod exec;
pub mod fence;
pub mod opreq;
pub mod store;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use cib_schema::Cib;
use corosync_sys::{Cmap, Cpg, CpgConfig, CpgEvent, Quorum, QuorumEvent};
use crm_core::node::{
    CallId, CibChange, ClientId, Command, Event, Message, Node, NodeId, Reply, Request, TimerId,
};
use tokio::sync::{mpsc, oneshot};

use crate::ipc::DaemonReply;

/// The process group every node's daemon joins.
const GROUP: &str = "crmd";
/// How long a graceful stop waits for the node's resources to move away.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(90);

pub struct DaemonConfig {
    /// Where the CIB is kept (`/var/lib/pacemaker/cib`).
    pub cib_dir: PathBuf,
    pub socket: PathBuf,
}

/// What reaches the main loop from its helper tasks.
pub enum Input {
    OpResult {
        call: CallId,
        rc: i32,
    },
    FenceResult {
        target: String,
        ok: bool,
    },
    Timer(TimerId),
    Query {
        reply: oneshot::Sender<String>,
    },
    Change {
        change: CibChange,
        reply: oneshot::Sender<DaemonReply>,
    },
    Subscribe {
        updates: mpsc::UnboundedSender<String>,
    },
    /// `stonith_admin --reboot`: fence now, then record it like the DC would.
    Fence {
        target: String,
        reply: oneshot::Sender<DaemonReply>,
    },
    AdminFenceDone {
        target: String,
        ok: bool,
        reply: oneshot::Sender<DaemonReply>,
    },
    FenceHistory {
        reply: oneshot::Sender<String>,
    },
}

/// One fencing action this node carried out, for `stonith_admin --history`.
struct FenceEvent {
    target: String,
    by: &'static str,
    ok: bool,
    at_s: u64,
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// The same number on every member for the same process-group membership, so
/// that a message sent in an older one is recognised (and dropped) everywhere.
fn ring_of(members: &[corosync_sys::Address]) -> u64 {
    let mut m: Vec<(u32, u32)> = members.iter().map(|a| (a.nodeid, a.pid)).collect();
    m.sort_unstable();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (id, pid) in m {
        for b in id.to_le_bytes().into_iter().chain(pid.to_le_bytes()) {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// A CIB for a node that has never had one: the nodes of corosync.conf and
/// nothing else. Every new node makes the same one, so a new cluster agrees.
fn fresh_cib(cmap: &Cmap) -> Result<Cib> {
    let mut cib = cib_schema::parse(crate::cibio::empty_cib_xml()).expect("the empty CIB parses");
    cib.set_version((0, 0, 0));
    let nodes = cib.configuration_mut().nodes.get_or_insert_with(Default::default);
    for n in cmap.nodelist().context("reading corosync's nodelist")? {
        let Some(id) = n.nodeid else { continue };
        let uname =
            n.name.clone().or_else(|| n.addrs.first().cloned()).unwrap_or_else(|| format!("node{id}"));
        nodes.nodes.push(cib_schema::model::Node {
            id: id.to_string(),
            uname: Some(uname),
            ..Default::default()
        });
    }
    Ok(cib)
}

struct Daemon {
    node: Node,
    store: store::CibStore,
    calls: exec::Calls,
    inbox: mpsc::UnboundedSender<Input>,
    pending: BTreeMap<ClientId, oneshot::Sender<DaemonReply>>,
    next_client: u64,
    subscribers: Vec<mpsc::UnboundedSender<String>>,
    pushed: Option<(u64, u64, u64, Option<NodeId>, bool)>,
    fence_history: Vec<FenceEvent>,
}

impl Daemon {
    /// The CIB as tools see it: the node's copy with the DC and quorum.
    fn cib_for_clients(&self) -> String {
        let mut cib = self.node.cib().clone();
        cib.dc_uuid = self.node.dc().map(|d| d.0.to_string());
        cib.have_quorum = Some(if self.node.has_quorum() { "1" } else { "0" }.into());
        cib_schema::to_xml(&cib)
    }

    async fn handle(&mut self, cpg: &mut Cpg, event: Event) -> Result<()> {
        let commands = self.node.handle(now_ms(), event);
        for c in commands {
            self.carry_out(cpg, c).await?;
        }
        self.push_updates();
        Ok(())
    }

    async fn carry_out(&mut self, cpg: &mut Cpg, command: Command) -> Result<()> {
        match command {
            Command::Multicast(m) => {
                if let Err(e) = cpg.mcast(&m.encode()).await {
                    if e.is_connection_lost() {
                        bail!("lost the connection to corosync: {e}");
                    }
                    // The membership is changing; the new view resends what matters.
                    tracing::warn!(error = %e, "multicast failed");
                }
            }
            Command::RunOperation(call) => match opreq::op_request(self.node.cib(), &call) {
                Ok(req) => self.calls.start(call.call, req, self.inbox.clone()),
                Err(e) => {
                    tracing::error!(error = %e, "cannot run operation");
                    // OCF "not configured": the scheduler will not retry it here.
                    let _ = self.inbox.send(Input::OpResult { call: call.call, rc: 6 });
                }
            },
            Command::CancelOperation(call) => self.calls.cancel(call),
            Command::Fence { target } => {
                let (executor, cib, inbox) =
                    (self.calls.executor().clone(), self.node.cib().clone(), self.inbox.clone());
                let delay = fence::priority_delay(&cib, &target, (now_ms() / 1000) as i64);
                tokio::spawn(async move {
                    let ok = fence::fence(executor, cib, target.clone(), delay).await;
                    let _ = inbox.send(Input::FenceResult { target, ok });
                });
            }
            Command::WriteCib { .. } => {
                // An acknowledged change must be on disk: failing to write it is fatal.
                self.store.write(self.node.cib()).context("writing the CIB")?;
            }
            Command::Reply { client, reply } => {
                let Some(tx) = self.pending.remove(&client) else { return Ok(()) };
                let reply = match reply {
                    Reply::Applied((a, e, u)) => DaemonReply::Applied(format!("{a}.{e}.{u}")),
                    Reply::Cib(_) => DaemonReply::Cib(self.cib_for_clients()),
                    Reply::Refused(why) => DaemonReply::Refused(why.to_string()),
                };
                let _ = tx.send(reply);
            }
            Command::SetTimer { timer, after_ms } => {
                let inbox = self.inbox.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(after_ms)).await;
                    let _ = inbox.send(Input::Timer(timer));
                });
            }
        }
        Ok(())
    }

    /// Subscribers (live `crm_mon`) get the CIB whenever what they show moved.
    fn push_updates(&mut self) {
        if self.subscribers.is_empty() {
            return;
        }
        let (a, e, u) = self.node.cib().version();
        let now = Some((a, e, u, self.node.dc(), self.node.has_quorum()));
        if self.pushed == now {
            return;
        }
        self.pushed = now;
        let xml = self.cib_for_clients();
        self.subscribers.retain(|s| s.send(xml.clone()).is_ok());
    }

    async fn on_input(&mut self, cpg: &mut Cpg, input: Input) -> Result<()> {
        let event = match input {
            Input::OpResult { call, rc } => Event::OperationResult { call, rc },
            Input::FenceResult { target, ok } => {
                self.note_fencing(&target, "the cluster", ok);
                Event::FenceResult { target, ok }
            }
            Input::Fence { target, reply } => {
                if !crm_core::node::cib_replica::configured_nodes(self.node.cib()).contains(&target) {
                    let _ =
                        reply.send(DaemonReply::Refused(format!("no node '{target}' in the configuration")));
                    return Ok(());
                }
                let (executor, cib, inbox) =
                    (self.calls.executor().clone(), self.node.cib().clone(), self.inbox.clone());
                tokio::spawn(async move {
                    let ok = fence::fence(executor, cib, target.clone(), Duration::ZERO).await;
                    let _ = inbox.send(Input::AdminFenceDone { target, ok, reply });
                });
                return Ok(());
            }
            Input::AdminFenceDone { target, ok, reply } => {
                self.note_fencing(&target, "stonith_admin", ok);
                if !ok {
                    let why = format!("no stonith device could fence {target} (see the daemon's log)");
                    let _ = reply.send(DaemonReply::Refused(why));
                    return Ok(());
                }
                let client = ClientId(self.next_client);
                self.next_client += 1;
                self.pending.insert(client, reply);
                let change = CibChange::NodeFenced { node: target, action: None };
                Event::Client { client, request: Request::Change(change) }
            }
            Input::FenceHistory { reply } => {
                let _ = reply.send(self.fence_history_text());
                return Ok(());
            }
            Input::Timer(t) => Event::TimerFired(t),
            Input::Query { reply } => {
                let _ = reply.send(self.cib_for_clients());
                return Ok(());
            }
            Input::Subscribe { updates } => {
                let _ = updates.send(self.cib_for_clients());
                self.subscribers.push(updates);
                return Ok(());
            }
            Input::Change { change, reply } => {
                let client = ClientId(self.next_client);
                self.next_client += 1;
                self.pending.insert(client, reply);
                Event::Client { client, request: Request::Change(change) }
            }
        };
        self.handle(cpg, event).await
    }

    fn note_fencing(&mut self, target: &str, by: &'static str, ok: bool) {
        self.fence_history.push(FenceEvent { target: target.to_string(), by, ok, at_s: now_ms() / 1000 });
    }

    /// One line per action, oldest first: `when target result requested-by`.
    fn fence_history_text(&self) -> String {
        self.fence_history
            .iter()
            .map(|e| {
                let state = if e.ok { "successful" } else { "failed" };
                format!("{} {} {} {}\n", e.at_s, e.target, state, e.by)
            })
            .collect()
    }

    /// Whether this node still runs anything, by its history in the CIB.
    fn runs_resources(&self) -> bool {
        let uname = self.node.uname();
        let cib = self.node.cib();
        let st = cib.status.iter().flat_map(|s| s.nodes.iter()).find(|s| s.uname.as_deref() == Some(uname));
        let resources = st.into_iter().flat_map(|s| s.lrm.iter()).flat_map(|l| l.resources.iter());
        resources.flat_map(|r| r.resources.iter()).any(|r| {
            let last = r.ops.iter().filter(|o| o.interval_ms() == 0).max_by_key(|o| o.call_id());
            last.is_some_and(|o| {
                let task = o.operation().unwrap_or("");
                let rc = o.rc_code().unwrap_or(0);
                !((task == "stop" && rc == 0)
                    || (task == "monitor" && rc == 7)
                    || (task == "start" && rc != 0))
            })
        })
    }
}

pub async fn run(cfg: DaemonConfig) -> Result<()> {
    let cmap = Cmap::connect().context("connecting to corosync (cmap); is corosync running?")?;
    let mut cpg = Cpg::with_config(CpgConfig::default()).context("connecting to corosync (cpg)")?;
    let mut quorum = Quorum::connect().context("connecting to corosync (quorum)")?;
    let me = NodeId(cpg.local_nodeid());
    let mut store = store::CibStore::new(&cfg.cib_dir);
    let cib = match store.load()? {
        Some(cib) => cib,
        None => fresh_cib(&cmap)?,
    };
    drop(cmap);
    let node = Node::new(me, cib);
    tracing::info!(node = %node.uname(), id = %me, "crmd starting");
    let (inbox, mut rx) = mpsc::unbounded_channel();
    let listener = clients::listen(&cfg.socket)?;
    tokio::spawn(clients::accept_loop(listener, inbox.clone()));
    let executor = crm_agents::Executor::new(crm_agents::ExecutorConfig::default());
    let mut d = Daemon {
        node,
        store,
        calls: exec::Calls::new(executor),
        inbox: inbox.clone(),
        pending: BTreeMap::new(),
        next_client: 1,
        subscribers: Vec::new(),
        pushed: None,
        fence_history: Vec::new(),
    };
    cpg.join(GROUP).await.context("joining the crmd process group")?;
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut sigint = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    let mut stopping: Option<Instant> = None;
    loop {
        if let Some(since) = stopping {
            if !d.runs_resources() {
                tracing::info!("stopping: nothing runs here any more");
                break;
            }
            if since.elapsed() > SHUTDOWN_WAIT {
                tracing::warn!("stopping with resources still active here: they did not stop in time");
                break;
            }
        }
        tokio::select! {
            ev = cpg.next_event() => {
                let event = match ev.context("reading from corosync")? {
                    CpgEvent::Deliver(m) => match Message::decode(&m.data) {
                        Ok(msg) => Event::Delivered(msg),
                        Err(e) => {
                            tracing::error!(sender = m.sender.nodeid, error = %e, "undecodable message dropped");
                            continue;
                        }
                    },
                    CpgEvent::ConfChg(c) => {
                        let members: Vec<NodeId> = c.members.iter().map(|a| NodeId(a.nodeid)).collect();
                        let quorate = quorum.is_quorate().unwrap_or(false);
                        tracing::info!(?members, quorate, left = ?c.left.iter().map(|a| a.nodeid).collect::<Vec<_>>(), "membership");
                        Event::Membership { ring: ring_of(&c.members), members, quorate }
                    }
                    CpgEvent::TotemConfChg(_) => continue,
                    CpgEvent::ConnectionLost | CpgEvent::Reconnected { .. } => bail!("lost the connection to corosync"),
                };
                d.handle(&mut cpg, event).await?;
            }
            q = quorum.next_event() => {
                if let QuorumEvent::Quorum { quorate, .. } = q.context("reading quorum")? {
                    tracing::info!(quorate, "quorum");
                    d.handle(&mut cpg, Event::Quorum { quorate }).await?;
                }
            }
            Some(input) = rx.recv() => d.on_input(&mut cpg, input).await?,
            _ = sigterm.recv() => begin_stop(&mut d, &mut cpg, &mut stopping).await?,
            _ = sigint.recv() => begin_stop(&mut d, &mut cpg, &mut stopping).await?,
            _ = tokio::time::sleep(Duration::from_millis(500)), if stopping.is_some() => {}
        }
    }
    let _ = cpg.leave(GROUP).await;
    let _ = std::fs::remove_file(&cfg.socket);
    Ok(())
}

/// A graceful stop, as Pacemaker's: ask the cluster to move this node's
/// resources away (the `shutdown` node attribute), and leave once they stopped.
async fn begin_stop(d: &mut Daemon, cpg: &mut Cpg, stopping: &mut Option<Instant>) -> Result<()> {
    if stopping.is_some() {
        tracing::warn!("second stop signal: leaving at once");
        *stopping = Some(Instant::now() - SHUTDOWN_WAIT * 2);
        return Ok(());
    }
    tracing::info!("stop requested: moving resources away first");
    *stopping = Some(Instant::now());
    let (tx, _rx) = oneshot::channel();
    let change = CibChange::SetNodeAttribute {
        node: d.node.uname().to_string(),
        name: "shutdown".into(),
        value: Some((now_ms() / 1000).to_string()),
        transient: true,
    };
    d.on_input(cpg, Input::Change { change, reply: tx }).await
}
