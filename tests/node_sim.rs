//! Deterministic simulation of a cluster of `crm_core::node::Node` state
//! machines: one process, a seeded random network that delivers every multicast
//! in one total order to the members of the sender's partition (as Corosync
//! does), a simulated executor and fencing device, a simulated clock, and
//! faults (partitions, crashes, restarts, failing starts, dying resources)
//! drawn from the seed. After every step it checks the invariants; at the end it
//! heals everything and checks that the cluster converges.
//!
//! `SEED=1234 cargo test --release -p crm-tests --test node_sim -- --nocapture`
//! replays one seed (with a trace: `TRACE=1`); `SEEDS=n` runs n seeds from
//! `FIRST_SEED` (default 0).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Instant;

use cib_schema::Cib;
use crm_core::node::{
    CibChange, ClientId, Command, Event, Message, Node, NodeId, Phase, Reply, Request, TimerId,
};

/// SplitMix64: small, fast, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// The bus's latency bound while a membership holds.
const MAX_DELIVERY_MS: u64 = 5;

/// Resources that must never be active on two nodes at once.
const PRIMITIVES: [&str; 4] = ["fencing", "A", "B", "C"];
/// The clone's primitive, expected on every node.
const CLONED: &str = "D";

fn cib_for(nodes: usize) -> Cib {
    let mut node_xml = String::new();
    for i in 1..=nodes {
        node_xml.push_str(&format!(r#"<node id="{i}" uname="node{i}"/>"#));
    }
    let dummy = |id: &str| {
        format!(
            r#"<primitive id="{id}" class="ocf" provider="pacemaker" type="Dummy"><operations><op id="{id}-monitor-10s" name="monitor" interval="10s"/></operations></primitive>"#
        )
    };
    let xml = format!(
        r#"<cib admin_epoch="0" epoch="1" num_updates="0" validate-with="pacemaker-3.9" crm_feature_set="3.16.2">
  <configuration>
    <crm_config><cluster_property_set id="cib-bootstrap-options"><nvpair id="opt-stonith" name="stonith-enabled" value="true"/></cluster_property_set></crm_config>
    <nodes>{node_xml}</nodes>
    <resources>
      <primitive id="fencing" class="stonith" type="fence_sim"/>
      {a}{b}{c}
      <clone id="D-clone">{d}</clone>
    </resources>
    <constraints><rsc_location id="A-prefers-node1" rsc="A" node="node1" score="100"/></constraints>
  </configuration>
  <status/>
</cib>"#,
        a = dummy("A"),
        b = dummy("B"),
        c = dummy("C"),
        d = dummy(CLONED),
    );
    cib_schema::parse(&xml).expect("simulation CIB parses")
}

#[derive(Debug, Clone)]
struct SimCall {
    rsc: String,
    task: String,
    interval_ms: u64,
}

struct SimNode {
    node: Option<Node>,
    /// The last CIB the node wrote (kept when it crashes): what it comes back with.
    disk: Cib,
    /// Partition side: alive nodes on the same side see each other.
    side: u8,
    incarnation: u64,
    /// What the simulated executor really runs here (the truth).
    running: BTreeSet<String>,
    calls: BTreeMap<u64, SimCall>,
}

#[derive(Debug, Clone)]
enum Timed {
    ExecDone { node: usize, inc: u64, call: u64 },
    Timer { node: usize, inc: u64, timer: TimerId },
    FenceDone { node: usize, inc: u64, target: String },
    Restart { node: usize },
}

struct Group {
    members: Vec<usize>,
    ring: u64,
    queue: VecDeque<Message>,
}

struct Sim {
    rng: Rng,
    now_ms: u64,
    nodes: Vec<SimNode>,
    groups: Vec<Group>,
    next_ring: u64,
    timed: BTreeMap<(u64, u64), Timed>,
    seq: u64,
    faults: bool,
    /// Client requests awaiting a reply: the property they set, if any.
    clients: BTreeMap<ClientId, Option<String>>,
    next_client: u64,
    /// Properties whose change was acknowledged: they must never be lost.
    acked: BTreeSet<String>,
    next_change: u64,
    trace: bool,
    steps: u64,
}

type Check = Result<(), String>;

impl Sim {
    fn new(seed: u64, trace: bool) -> Sim {
        let mut rng = Rng(seed);
        let n = 3 + rng.below(3) as usize;
        let cib = cib_for(n);
        let nodes = (1..=n)
            .map(|i| SimNode {
                node: Some(Node::new(NodeId(i as u32), cib.clone())),
                disk: cib.clone(),
                side: 0,
                incarnation: 0,
                running: BTreeSet::new(),
                calls: BTreeMap::new(),
            })
            .collect();
        Sim {
            rng,
            now_ms: 1_700_000_000_000,
            nodes,
            groups: Vec::new(),
            next_ring: 1,
            timed: BTreeMap::new(),
            seq: 0,
            faults: true,
            clients: BTreeMap::new(),
            next_client: 1,
            acked: BTreeSet::new(),
            next_change: 1,
            trace,
            steps: 0,
        }
    }

    fn log(&self, what: impl FnOnce() -> String) {
        if self.trace {
            eprintln!("[{} t={}] {}", self.steps, self.now_ms % 10_000_000, what());
        }
    }

    fn at(&mut self, delay_ms: u64, t: Timed) {
        self.seq += 1;
        self.timed.insert((self.now_ms + delay_ms, self.seq), t);
    }

    fn quorate(&self, members: usize) -> bool {
        members * 2 > self.nodes.len()
    }

    /// Recomputes the partitions from who is alive and on which side; every
    /// group whose membership changed gets a new ring and a membership event.
    /// Messages not yet delivered in a changed group are lost.
    fn regroup(&mut self) {
        let mut wanted: BTreeMap<u8, Vec<usize>> = BTreeMap::new();
        for (i, n) in self.nodes.iter().enumerate() {
            if n.node.is_some() {
                wanted.entry(n.side).or_default().push(i);
            }
        }
        let mut old = std::mem::take(&mut self.groups);
        let mut changed = Vec::new();
        for members in wanted.into_values() {
            if let Some(pos) = old.iter().position(|g| g.members == members) {
                self.groups.push(old.swap_remove(pos));
            } else {
                let ring = self.next_ring;
                self.next_ring += 1;
                self.groups.push(Group { members: members.clone(), ring, queue: VecDeque::new() });
                changed.push(self.groups.len() - 1);
            }
        }
        for g in changed {
            let (ring, members) = (self.groups[g].ring, self.groups[g].members.clone());
            let quorate = self.quorate(members.len());
            let ids: Vec<NodeId> = members.iter().map(|&i| NodeId(i as u32 + 1)).collect();
            self.log(|| format!("membership ring {ring}: {ids:?} quorate={quorate}"));
            for &i in &members {
                let ev = Event::Membership { ring, members: ids.clone(), quorate };
                self.deliver(i, ev);
            }
        }
    }

    fn group_of(&self, i: usize) -> Option<usize> {
        self.groups.iter().position(|g| g.members.contains(&i))
    }

    fn deliver(&mut self, i: usize, ev: Event) {
        let Some(node) = self.nodes[i].node.as_mut() else { return };
        let cmds = node.handle(self.now_ms, ev);
        self.carry_out(i, cmds);
    }

    fn carry_out(&mut self, i: usize, cmds: Vec<Command>) {
        for c in cmds {
            match c {
                Command::Multicast(msg) => {
                    if let Message::Change { change, .. } = &msg {
                        self.log(|| format!("node{} sends {change:?}", i + 1));
                    }
                    if let Message::Execute { target, key, op, .. } = &msg {
                        self.log(|| {
                            format!("node{} asks node{target} {} {} ({key:?})", i + 1, op.rsc, op.task)
                        });
                    }
                    // The wire format is part of what is tested.
                    let msg = if matches!(msg, Message::SyncOffer { .. }) {
                        msg
                    } else {
                        Message::decode(&msg.encode()).expect("a message decodes as encoded")
                    };
                    if let Some(g) = self.group_of(i) {
                        self.groups[g].queue.push_back(msg);
                    }
                }
                Command::RunOperation(call) => {
                    let node = &mut self.nodes[i];
                    if call.task == "start" {
                        // Active from the moment the agent begins.
                        node.running.insert(call.rsc.clone());
                    }
                    self.log(|| {
                        format!("node{} begins {} {} {}", i + 1, call.rsc, call.task, call.interval_ms)
                    });
                    let node = &mut self.nodes[i];
                    node.calls.insert(
                        call.call.0,
                        SimCall {
                            rsc: call.rsc.clone(),
                            task: call.task.clone(),
                            interval_ms: call.interval_ms,
                        },
                    );
                    let inc = node.incarnation;
                    let delay = 1 + self.rng.below(if call.task == "monitor" { 200 } else { 3000 });
                    self.at(delay, Timed::ExecDone { node: i, inc, call: call.call.0 });
                }
                Command::CancelOperation(call) => {
                    self.nodes[i].calls.remove(&call.0);
                }
                Command::Fence { target } => {
                    let inc = self.nodes[i].incarnation;
                    let delay = 100 + self.rng.below(2000);
                    self.log(|| format!("node{} fences {target}", i + 1));
                    self.at(delay, Timed::FenceDone { node: i, inc, target });
                }
                // Writes are synchronous here, and every change to a node's
                // copy is followed by one: the disk is the node's copy, taken
                // when the node crashes (cloning on every write would
                // dominate the run time).
                Command::WriteCib { version } => {
                    debug_assert_eq!(self.nodes[i].node.as_ref().map(|n| n.cib().version()), Some(version));
                }
                Command::Reply { client, reply } => {
                    if let Some(prop) = self.clients.remove(&client) {
                        if let (Reply::Applied(_), Some(p)) = (&reply, prop) {
                            self.log(|| format!("node{} acknowledged {p}", i + 1));
                            self.acked.insert(p);
                        }
                    }
                }
                Command::SetTimer { timer, after_ms } => {
                    let inc = self.nodes[i].incarnation;
                    self.at(after_ms, Timed::Timer { node: i, inc, timer });
                }
            }
        }
    }

    fn crash(&mut self, i: usize) {
        let n = &mut self.nodes[i];
        if n.node.is_none() {
            return;
        }
        self.log(|| format!("node{} crashes", i + 1));
        let n = &mut self.nodes[i];
        n.disk = n.node.take().expect("alive").cib().clone();
        n.running.clear();
        n.calls.clear();
        n.incarnation += 1;
        // A fenced or crashed node reboots; once faults stop, quickly.
        let delay = if self.faults { 2_000 + self.rng.below(30_000) } else { 1_000 + self.rng.below(3_000) };
        self.at(delay, Timed::Restart { node: i });
        self.regroup();
    }

    fn restart(&mut self, i: usize) {
        if self.nodes[i].node.is_some() {
            return;
        }
        self.log(|| format!("node{} restarts", i + 1));
        let n = &mut self.nodes[i];
        n.node = Some(Node::new(NodeId(i as u32 + 1), n.disk.clone()));
        self.regroup();
    }

    fn fire(&mut self, t: Timed) {
        match t {
            Timed::ExecDone { node, inc, call } => {
                if self.nodes[node].incarnation != inc {
                    return;
                }
                let Some(c) = self.nodes[node].calls.get(&call).cloned() else { return };
                let fail_start = self.faults && c.task == "start" && self.rng.chance(5);
                let n = &mut self.nodes[node];
                let rc = match c.task.as_str() {
                    "start" if fail_start => {
                        n.running.remove(&c.rsc);
                        1
                    }
                    "stop" => {
                        n.running.remove(&c.rsc);
                        0
                    }
                    "monitor" => {
                        if n.running.contains(&c.rsc) {
                            0
                        } else {
                            7
                        }
                    }
                    _ => 0,
                };
                if c.interval_ms == 0 {
                    n.calls.remove(&call);
                }
                self.log(|| format!("node{} {} {} -> rc {rc}", node + 1, c.rsc, c.task));
                self.deliver(node, Event::OperationResult { call: crm_core::node::CallId(call), rc });
            }
            Timed::Timer { node, inc, timer } => {
                if self.nodes[node].incarnation == inc {
                    self.deliver(node, Event::TimerFired(timer));
                }
            }
            Timed::FenceDone { node, inc, target } => {
                // The device powers the target off whatever the requester's fate.
                if let Some(t) =
                    self.nodes.iter().position(|n| n.node.as_ref().is_some_and(|n| n.uname() == target))
                {
                    self.crash(t);
                }
                if self.nodes[node].incarnation == inc {
                    self.deliver(node, Event::FenceResult { target, ok: true });
                }
            }
            Timed::Restart { node } => self.restart(node),
        }
    }

    fn client_change(&mut self, i: usize, change: CibChange, prop: Option<String>) {
        let client = ClientId(self.next_client);
        self.next_client += 1;
        self.clients.insert(client, prop);
        self.log(|| format!("client asks node{}: {change:?}", i + 1));
        self.deliver(i, Event::Client { client, request: Request::Change(change) });
    }

    fn alive(&self) -> Vec<usize> {
        (0..self.nodes.len()).filter(|&i| self.nodes[i].node.is_some()).collect()
    }

    fn inject_fault(&mut self) {
        let alive = self.alive();
        match self.rng.below(100) {
            0..=39 => {
                if alive.is_empty() {
                    return;
                }
                let i = alive[self.rng.below(alive.len() as u64) as usize];
                let roll = self.rng.below(100);
                if roll < 55 {
                    let name = format!("sim-change-{}", self.next_change);
                    self.next_change += 1;
                    let change =
                        CibChange::SetClusterProperty { name: name.clone(), value: Some("1".into()) };
                    self.client_change(i, change, Some(name));
                } else if roll < 70 {
                    // A tool's whole-configuration edit (crm configure commit), based
                    // on what this node holds now: refused if another edit won the race.
                    let name = format!("sim-change-{}", self.next_change);
                    self.next_change += 1;
                    let mut cib = self.nodes[i].node.as_ref().expect("alive").cib().clone();
                    let (admin, epoch, _) = cib.version();
                    let cfg = cib.configuration_mut().crm_config.get_or_insert_with(Default::default);
                    if cfg.sets.is_empty() {
                        cfg.sets
                            .push(cib_schema::NvSet::new("cluster_property_set", "cib-bootstrap-options"));
                    }
                    cfg.sets[0].nvpairs.push(cib_schema::NvPair::new(format!("o-{name}"), name.clone(), "1"));
                    cib.status = None;
                    let change = CibChange::ReplaceConfiguration {
                        xml: cib_schema::to_xml(&cib),
                        base: Some((admin, epoch)),
                    };
                    self.client_change(i, change, Some(name));
                } else if roll < 80 {
                    let node = format!("node{}", 1 + self.rng.below(self.nodes.len() as u64));
                    let transient = self.rng.chance(50);
                    let change = CibChange::SetNodeAttribute {
                        node,
                        name: "sim-attr".into(),
                        value: Some(self.next_change.to_string()),
                        transient,
                    };
                    self.next_change += 1;
                    self.client_change(i, change, None);
                } else {
                    let value = if self.rng.chance(50) { "Stopped" } else { "Started" };
                    let change = CibChange::SetResourceMeta {
                        rsc: "B".into(),
                        name: "target-role".into(),
                        value: Some(value.into()),
                    };
                    self.client_change(i, change, None);
                }
            }
            40..=59 => {
                let sides = 1 + self.rng.below(3) as u8;
                for i in 0..self.nodes.len() {
                    self.nodes[i].side = self.rng.below(sides as u64) as u8;
                }
                self.log(|| {
                    format!("partition: {:?}", self.nodes.iter().map(|n| n.side).collect::<Vec<_>>())
                });
                self.regroup();
            }
            60..=74 => {
                self.log(|| "heal".to_string());
                self.nodes.iter_mut().for_each(|n| n.side = 0);
                self.regroup();
            }
            75..=84 => {
                if alive.len() > 1 {
                    let i = alive[self.rng.below(alive.len() as u64) as usize];
                    self.crash(i);
                }
            }
            _ => {
                // A resource dies under its agent; its recurring monitor notices.
                // (One without a monitor would die unnoticed, in Pacemaker too.)
                let mut watched: Vec<(usize, u64, String)> = Vec::new();
                for i in alive {
                    for (&call, c) in &self.nodes[i].calls {
                        if c.interval_ms > 0 && self.nodes[i].running.contains(&c.rsc) {
                            watched.push((i, call, c.rsc.clone()));
                        }
                    }
                }
                if watched.is_empty() {
                    return;
                }
                let (i, _, rsc) = watched[self.rng.below(watched.len() as u64) as usize].clone();
                self.log(|| format!("{rsc} dies on node{}", i + 1));
                self.nodes[i].running.remove(&rsc);
                let inc = self.nodes[i].incarnation;
                let monitors: Vec<u64> = watched
                    .iter()
                    .filter(|(n, _, r)| *n == i && *r == rsc)
                    .map(|(_, call, _)| *call)
                    .collect();
                for call in monitors {
                    let delay = 1 + self.rng.below(10_000);
                    self.at(delay, Timed::ExecDone { node: i, inc, call });
                }
            }
        }
    }

    /// One step: deliver a message, let time pass to the next event, or (while
    /// faults are on) inject a fault or a client request.
    fn step(&mut self) -> bool {
        self.steps += 1;
        let busy: Vec<usize> = (0..self.groups.len()).filter(|&g| !self.groups[g].queue.is_empty()).collect();
        let roll = self.rng.below(100);
        if self.faults && roll < 8 {
            self.inject_fault();
            return true;
        }
        // Corosync delivers within milliseconds or declares a new membership:
        // time does not run ahead of a queued message by more than that.
        let next_due = self.timed.keys().next().map(|&(t, _)| t);
        let must_deliver = next_due.is_none_or(|t| t > self.now_ms + MAX_DELIVERY_MS);
        if !busy.is_empty() && (roll < 70 || must_deliver) {
            let g = busy[self.rng.below(busy.len() as u64) as usize];
            let msg = self.groups[g].queue.pop_front().expect("busy group has a message");
            self.now_ms += 1;
            for i in self.groups[g].members.clone() {
                self.deliver(i, Event::Delivered(msg.clone()));
            }
            return true;
        }
        let Some((&(t, seq), _)) = self.timed.iter().next() else { return false };
        let ev = self.timed.remove(&(t, seq)).expect("present");
        self.now_ms = self.now_ms.max(t);
        self.fire(ev);
        true
    }

    fn check(&self) -> Check {
        for g in &self.groups {
            let dcs: Vec<NodeId> = g
                .members
                .iter()
                .filter_map(|&i| self.nodes[i].node.as_ref())
                .filter(|n| n.is_dc())
                .map(|n| n.id())
                .collect();
            if self.quorate(g.members.len()) && dcs.len() > 1 {
                return Err(format!("two DCs in one quorate partition: {dcs:?}"));
            }
            let settled = g
                .members
                .iter()
                .all(|&i| self.nodes[i].node.as_ref().is_some_and(|n| n.phase() == Phase::Settled));
            if self.quorate(g.members.len()) && settled {
                for &i in &g.members {
                    let cib = self.nodes[i].node.as_ref().expect("member is alive").cib();
                    let props = properties(cib);
                    if let Some(lost) = self.acked.iter().find(|p| !props.contains(*p)) {
                        return Err(format!("acknowledged change {lost} lost on node{}", i + 1));
                    }
                }
            }
        }
        for rsc in PRIMITIVES {
            let on: Vec<usize> =
                self.alive().into_iter().filter(|&i| self.nodes[i].running.contains(rsc)).collect();
            if on.len() > 1 {
                return Err(format!(
                    "{rsc} active on nodes {:?} at once",
                    on.iter().map(|i| i + 1).collect::<Vec<_>>()
                ));
            }
        }
        Ok(())
    }

    fn quiet(&self) -> bool {
        self.groups.iter().all(|g| g.queue.is_empty())
            && !self.timed.values().any(|t| !matches!(t, Timed::Timer { .. }))
            && self
                .nodes
                .iter()
                .all(|n| n.node.as_ref().is_some_and(|n| n.phase() == Phase::Settled && n.is_idle()))
    }

    /// Faults stop, partitions heal, crashed nodes come back, failures are
    /// cleaned up; then the cluster must settle with everything placed.
    fn converge(&mut self) -> Check {
        self.faults = false;
        self.log(|| "faults stop".to_string());
        self.nodes.iter_mut().for_each(|n| n.side = 0);
        self.timed.retain(|_, t| !matches!(t, Timed::Restart { .. }));
        for i in 0..self.nodes.len() {
            self.restart(i);
        }
        self.regroup();
        let limit = self.steps + 50_000;
        // The cleanup is asked once the membership settled: a cleanup racing a
        // join may be undone by a history sent before it (as in Pacemaker).
        let settled =
            |s: &Sim| s.nodes.iter().all(|n| n.node.as_ref().is_some_and(|n| n.phase() == Phase::Settled));
        while !settled(self) {
            if self.steps > limit || !self.step() {
                return Err(format!("membership never settled: {}", self.describe()));
            }
            self.check()?;
        }
        self.client_change(0, CibChange::ClearFailures { rsc: None }, None);
        while !self.quiet() {
            if self.steps > limit || !self.step() {
                self.dump();
                return Err(format!("no convergence after {} steps: {}", self.steps, self.describe()));
            }
            self.check()?;
        }
        let first = self.nodes[0].node.as_ref().expect("all alive").cib();
        for (i, n) in self.nodes.iter().enumerate() {
            let cib = n.node.as_ref().expect("all alive").cib();
            if cib != first {
                return Err(format!(
                    "node{} CIB {:?} differs from node1's {:?}",
                    i + 1,
                    cib.version(),
                    first.version()
                ));
            }
        }
        let props = properties(first);
        if let Some(lost) = self.acked.iter().find(|p| !props.contains(*p)) {
            return Err(format!("acknowledged change {lost} lost after the cluster re-formed"));
        }
        let b_stopped = cib_schema::to_xml(first).contains(r#"name="target-role" value="Stopped""#);
        for rsc in PRIMITIVES {
            let on = self.nodes.iter().filter(|n| n.running.contains(rsc)).count();
            let want = if rsc == "B" && b_stopped { 0 } else { 1 };
            if on != want {
                return Err(format!("{rsc} active on {on} nodes after convergence, expected {want}"));
            }
        }
        let on = self.nodes.iter().filter(|n| n.running.contains(CLONED)).count();
        if on != self.nodes.len() {
            return Err(format!("{CLONED} active on {on} of {} nodes after convergence", self.nodes.len()));
        }
        Ok(())
    }

    /// With DUMP_CIB=dir, writes every live node's CIB there (node<N>.xml).
    fn dump(&self) {
        let Ok(dir) = std::env::var("DUMP_CIB") else { return };
        for n in self.nodes.iter().filter_map(|n| n.node.as_ref()) {
            let path = format!("{dir}/{}.xml", n.uname());
            std::fs::write(path, cib_schema::to_xml(n.cib())).expect("dump written");
        }
    }

    fn describe(&self) -> String {
        let nodes: Vec<String> = self
            .nodes
            .iter()
            .map(|n| match &n.node {
                None => "down".to_string(),
                Some(x) => format!(
                    "{}:{:?} dc={} idle={} v={:?} runs={:?}",
                    x.uname(),
                    x.phase(),
                    x.is_dc(),
                    x.is_idle(),
                    x.cib().version(),
                    n.running
                ),
            })
            .collect();
        format!(
            "{nodes:?}, {} timed, queues {:?}",
            self.timed.len(),
            self.groups.iter().map(|g| g.queue.len()).collect::<Vec<_>>()
        )
    }
}

/// Cluster property names in a CIB.
fn properties(cib: &Cib) -> BTreeSet<String> {
    cib.configuration
        .iter()
        .flat_map(|c| c.crm_config.iter())
        .flat_map(|c| c.sets.iter())
        .flat_map(|s| s.nvpairs.iter())
        .filter_map(|p| p.name.clone())
        .collect()
}

/// Runs one seed: a fault phase, then convergence. Returns the steps taken
/// and the converged CIB.
fn run_seed(seed: u64, trace: bool) -> Result<(u64, String), String> {
    let mut sim = Sim::new(seed, trace);
    sim.regroup();
    let fault_steps = 300 + sim.rng.below(300);
    for _ in 0..fault_steps {
        sim.step();
        if let Err(e) = sim.check() {
            sim.dump();
            return Err(format!("step {}: {e}", sim.steps));
        }
    }
    if let Err(e) = sim.converge() {
        sim.dump();
        return Err(format!("step {}: {e}", sim.steps));
    }
    let cib = sim.nodes[0].node.as_ref().map(|n| cib_schema::to_xml(n.cib())).unwrap_or_default();
    Ok((sim.steps, cib))
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

#[test]
fn cluster_survives_seeded_faults() {
    let trace = std::env::var_os("TRACE").is_some();
    if let Some(seed) = env_u64("SEED") {
        match run_seed(seed, trace) {
            Ok((steps, _)) => eprintln!("seed {seed}: ok in {steps} steps"),
            Err(e) => panic!("seed {seed} failed: {e}\nreplay: SEED={seed} TRACE=1 cargo test --release -p crm-tests --test node_sim -- --nocapture"),
        }
        return;
    }
    let first = env_u64("FIRST_SEED").unwrap_or(0);
    let count = env_u64("SEEDS").unwrap_or(3000);
    let started = Instant::now();
    let mut steps = 0;
    let mut failures = Vec::new();
    for seed in first..first + count {
        match run_seed(seed, false) {
            Ok((s, _)) => steps += s,
            Err(e) => {
                eprintln!("seed {seed} failed: {e}");
                failures.push(seed);
                if failures.len() >= 10 {
                    break;
                }
            }
        }
    }
    eprintln!("{count} seeds from {first}: {steps} steps in {:.1?}", started.elapsed());
    assert!(
        failures.is_empty(),
        "failing seeds {failures:?}; replay one with SEED=<seed> TRACE=1 cargo test --release -p crm-tests --test node_sim -- --nocapture"
    );
}

#[test]
fn a_seed_replays_exactly() {
    let first = run_seed(7, false).expect("seed 7 passes");
    let second = run_seed(7, false).expect("seed 7 passes");
    assert_eq!(first, second);
}

/// Debug aid: `PLAN_CIB=file` prints the DC's plan for that CIB.
#[test]
fn print_plan() {
    let Ok(path) = std::env::var("PLAN_CIB") else { return };
    let mut cib = cib_schema::parse(&std::fs::read_to_string(path).unwrap()).unwrap();
    cib.have_quorum = Some("1".into());
    let t = crm_core::scheduler::schedule(&cib, 1_700_000_408);
    let run = crm_core::node::transition::TransitionRun::plan(1, &t);
    for (i, a) in run.actions.iter().enumerate() {
        eprintln!("{i}: {:?} <- {:?}", a.step, a.inputs);
    }
}
