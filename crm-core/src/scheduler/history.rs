//! The status section's operation history, folded into each resource's current
//! role and location, failures and their consequences (`on-fail`), pending
//! operations, active recurring monitors and fail counts.

use std::collections::BTreeMap;

use cib_schema as cs;

use super::cluster::*;
use super::digest::OpParams;
use super::score::Score;

// OCF exit codes.
const OCF_OK: i32 = 0;
const OCF_NOT_RUNNING: i32 = 7;
const OCF_RUNNING_PROMOTED: i32 = 8;
const OCF_FAILED_PROMOTED: i32 = 9;
const OCF_NOT_INSTALLED: i32 = 5;
const OCF_NOT_CONFIGURED: i32 = 6;
const OCF_DEGRADED: i32 = 190;
const OCF_DEGRADED_PROMOTED: i32 = 191;

// Execution status codes.
const EXEC_PENDING: i32 = -1;
const EXEC_DONE: i32 = 0;
const EXEC_CANCELLED: i32 = 1;
const EXEC_NOT_SUPPORTED: i32 = 3;
const EXEC_ERROR: i32 = 4;
const EXEC_NOT_INSTALLED: i32 = 7;

pub fn unpack_status(cluster: &mut Cluster, cib: &cs::Cib) {
    let Some(status) = &cib.status else { return };
    PEERS.with(|p| *p.borrow_mut() = peer_table(cluster, status));
    // Remote and guest nodes' histories wait until their connections' (and
    // containers') histories, found on other nodes, show them up; so pass over
    // the node states until nothing more can be unpacked, then (with fencing)
    // unpack the rest regardless.
    let mut unpacked = vec![false; status.nodes.len()];
    let mut last_pass = false;
    loop {
        let mut progress = false;
        for (i, st) in status.nodes.iter().enumerate() {
            let Some(node) = st.id.as_deref().and_then(|id| cluster.node_by_id(id)) else { continue };
            if unpacked[i] || !(last_pass || history_ready(cluster, node)) {
                continue;
            }
            // Without fencing, offline nodes' histories are not trusted at all.
            if cluster.node(node).remote_rsc.is_none()
                && !cluster.node(node).online
                && !cluster.options.stonith_enabled
            {
                continue;
            }
            unpacked[i] = true;
            progress = true;
            if cluster.node(node).remote_rsc.is_some() {
                remote_online_status(cluster, node);
                remote_node_attrs(cluster, node);
            }
            unpack_node_lrm(cluster, node, st);
        }
        if !progress {
            if last_pass || !cluster.options.stonith_enabled {
                break;
            }
            last_pass = true;
        }
    }
    // Remote nodes without history to unpack are still up or down with their
    // connections.
    for n in 0..cluster.nodes.len() {
        let node = NodeId(n);
        let has_state = status
            .nodes
            .iter()
            .enumerate()
            .any(|(i, st)| unpacked[i] && st.id.as_deref() == Some(cluster.node(node).id.as_str()));
        if cluster.node(node).remote_rsc.is_some() && !has_state {
            remote_online_status(cluster, node);
        }
    }
    unpack_fail_counts(cluster);
    apply_multiple_active(cluster);
}

/// One operation of any node's history, as live migration needs to see it
/// from the other end.
#[derive(Clone)]
struct PeerOp {
    task: String,
    call_id: i64,
    rc: i32,
    status: i32,
    last_rc_change: Option<i64>,
    source: Option<String>,
    target: Option<String>,
}

impl PeerOp {
    /// This node's own record, to compare with the other end's.
    fn event_of(o: &OpRecord) -> PeerOp {
        PeerOp {
            task: o.task.to_string(),
            call_id: o.call_id,
            rc: o.rc,
            status: o.status,
            last_rc_change: o.op.last_rc_change(),
            source: None,
            target: None,
        }
    }
}

type PeerTable = std::collections::HashMap<(String, String), Vec<PeerOp>>;

thread_local! {
    /// Every node's history by (node name, resource history id), for this unpack.
    static PEERS: std::cell::RefCell<PeerTable> = std::cell::RefCell::new(PeerTable::new());
}

fn peer_table(cluster: &Cluster, status: &cs::Status) -> PeerTable {
    let mut table = PeerTable::new();
    fn histories(st: &cs::NodeState) -> impl Iterator<Item = &cs::LrmResource> {
        st.lrm.iter().flat_map(|l| l.resources.iter()).flat_map(|r| r.resources.iter())
    }
    // Only migrations look at the other end's history: index just the
    // resources with a migration recorded somewhere.
    let migrating: std::collections::HashSet<&str> = status
        .nodes
        .iter()
        .flat_map(histories)
        .filter(|lr| lr.ops.iter().any(|op| matches!(op.operation(), Some("migrate_to" | "migrate_from"))))
        .map(|lr| lr.id())
        .collect();
    if migrating.is_empty() {
        return table;
    }
    for st in &status.nodes {
        let Some(node) = st.id.as_deref().and_then(|id| cluster.node_by_id(id)) else { continue };
        let name = cluster.node(node).name.clone();
        for lr in histories(st).filter(|lr| migrating.contains(lr.id())) {
            let ops = lr
                .ops
                .iter()
                .map(|op| PeerOp {
                    task: op.operation().map(str::to_string).unwrap_or_default(),
                    call_id: op.call_id().unwrap_or(-1),
                    rc: op.rc_code().unwrap_or(0),
                    status: op.op_status().unwrap_or(0),
                    last_rc_change: op.last_rc_change(),
                    source: op.migrate_source().map(str::to_string),
                    target: op.migrate_target().map(str::to_string),
                })
                .collect();
            table.insert((name.clone(), lr.id().to_string()), ops);
        }
    }
    table
}

fn peer_ops(node: &str, rsc: &str) -> Option<Vec<PeerOp>> {
    PEERS.with(|p| p.borrow().get(&(node.to_string(), rsc.to_string())).cloned())
}

/// Whether `a` happened after `b` (by call id on one node, else by the time
/// the result was recorded).
fn peer_newer(a: &PeerOp, b: &PeerOp, same_node: bool) -> bool {
    if a.call_id < 0 || b.call_id < 0 {
        return false;
    }
    if same_node && a.call_id != b.call_id {
        return a.call_id > b.call_id;
    }
    match (a.last_rc_change, b.last_rc_change) {
        (Some(x), Some(y)) if x >= 0 && y >= 0 => x > y,
        _ => false,
    }
}

/// Whether `node` has state for `rsc` newer than `event`: another start, stop
/// or migration, or a monitor finding it stopped.
fn newer_state_on(node: &str, rsc: &str, event: &PeerOp, same_node: bool) -> bool {
    let Some(ops) = peer_ops(node, rsc) else { return false };
    ops.iter().any(|op| {
        let relevant = matches!(op.task.as_str(), "start" | "stop" | "migrate_to" | "migrate_from")
            || (op.task == "monitor" && op.rc == OCF_NOT_RUNNING);
        relevant
            && !(op.task == event.task && op.call_id == event.call_id && same_node)
            && peer_newer(op, event, same_node)
    })
}

/// What a live migration recorded on one end means for the other end:
/// whether `rsc` is still active on the other node.
enum MigrationEffect {
    None,
    /// Both halves succeeded: stopped here, running on the target.
    Dangling,
    /// Also (or still) active on the other node.
    AlsoOn(String),
    /// Neither end can be trusted: recover.
    Failed,
}

fn migrate_to_success(
    cluster: &Cluster,
    here: NodeId,
    lr_id: &str,
    o: &OpRecord,
    newer_here: bool,
) -> MigrationEffect {
    let (Some(source), Some(target)) = (o.op.migrate_source(), o.op.migrate_target()) else {
        return MigrationEffect::None;
    };
    if source != cluster.node(here).name {
        return MigrationEffect::None;
    }
    let event = PeerOp::event_of(o);
    let from = peer_ops(target, lr_id).and_then(|ops| {
        ops.into_iter().find(|op| op.task == "migrate_from" && op.source.as_deref() == Some(source))
    });
    if newer_here && from.is_some() {
        return MigrationEffect::None;
    }
    let target_newer = match &from {
        Some(f) => newer_state_on(target, lr_id, f, true),
        None => newer_state_on(target, lr_id, &event, false),
    };
    if newer_here && target_newer {
        return MigrationEffect::None;
    }
    let target_online = cluster.node_by_name(target).is_some_and(|n| cluster.node(n).online);
    match from {
        Some(f) if f.rc == OCF_OK && f.status == EXEC_DONE => MigrationEffect::Dangling,
        Some(f) if f.status != EXEC_PENDING => {
            if !target_newer && target_online {
                MigrationEffect::AlsoOn(target.to_string())
            } else {
                MigrationEffect::Failed
            }
        }
        _ if !target_newer && target_online => MigrationEffect::AlsoOn(target.to_string()),
        _ if !newer_here => MigrationEffect::Failed,
        _ => MigrationEffect::None,
    }
}

/// A failed migrate_to (on the source) or migrate_from (on the target): the
/// resource may still be active on the other end.
fn migration_failure(cluster: &Cluster, here: NodeId, lr_id: &str, o: &OpRecord) -> Option<String> {
    let (Some(source), Some(target)) = (o.op.migrate_source(), o.op.migrate_target()) else {
        return None;
    };
    let me = cluster.node(here).name.as_str();
    let event = PeerOp::event_of(o);
    let (other, other_task) = match o.task {
        "migrate_to" if me == source => (target, "migrate_from"),
        "migrate_from" if me == target => (source, "migrate_to"),
        _ => return None,
    };
    let ops = peer_ops(other, lr_id).filter(|ops| !ops.is_empty())?;
    let partner = ops.iter().find(|op| {
        op.task == other_task
            && op.rc == OCF_OK
            && (if other_task == "migrate_from" {
                op.source.as_deref() == Some(source)
            } else {
                op.target.as_deref() == Some(target)
            })
    });
    let newer = match partner {
        Some(p) => newer_state_on(other, lr_id, p, true),
        None => newer_state_on(other, lr_id, &event, false),
    };
    let online = cluster.node_by_name(other).is_some_and(|n| cluster.node(n).online);
    (!newer && online).then(|| other.to_string())
}

/// Whether a node's history can be unpacked in a regular pass: cluster nodes
/// always; remote nodes once their connection is started; guest nodes once
/// their container is started too.
fn history_ready(cluster: &Cluster, node: NodeId) -> bool {
    let n = cluster.node(node);
    let Some(conn) = n.remote_rsc.as_deref() else { return true };
    let started = |id: &str| cluster.rsc_by_id(id).is_some_and(|r| cluster.rsc(r).role == Role::Started);
    match n.container.as_deref() {
        Some(container) => started(conn) && started(container),
        None => started(conn) || cluster.options.shutdown_lock,
    }
}

/// A remote or guest node is up when its connection resource is started,
/// unless the connection or the container failed, or the guest's host is
/// down and unclean.
fn remote_online_status(cluster: &mut Cluster, node: NodeId) {
    let n = cluster.node(node);
    let Some(conn) = n.remote_rsc.as_deref().and_then(|id| cluster.rsc_by_id(id)) else {
        cluster.nodes[node.0].online = false;
        return;
    };
    let container = n.container.as_deref().and_then(|id| cluster.rsc_by_id(id));
    let c = cluster.rsc(conn);
    let host = container.and_then(|ct| match cluster.rsc(ct).running_on.as_slice() {
        [h] => Some(*h),
        _ => None,
    });
    let (mut online, mut reset) = (c.role == Role::Started, n.remote_requires_reset);
    let container_failed = container.is_some_and(|ct| cluster.rsc(ct).failed);
    if container_failed {
        online = false;
        reset = true;
    } else if c.failed {
        online = false;
    } else if c.role == Role::Stopped || container.is_some_and(|ct| cluster.rsc(ct).role == Role::Stopped) {
        online = false;
        reset = false;
    } else if host.is_some_and(|h| !cluster.node(h).online && cluster.node(h).unclean) {
        online = false;
        reset = true;
    }
    let n = &mut cluster.nodes[node.0];
    n.online = online;
    n.remote_requires_reset = reset;
}

/// A remote node's own state, once its history is unpacked: seen (and clean,
/// unless it must be reset), and standby, maintenance or shutting down per its
/// attributes (maintenance too when its connection is unmanaged).
fn remote_node_attrs(cluster: &mut Cluster, node: NodeId) {
    let unmanaged = cluster
        .node(node)
        .remote_rsc
        .as_deref()
        .and_then(|id| cluster.rsc_by_id(id))
        .is_some_and(|r| !cluster.rsc(r).managed);
    let n = &mut cluster.nodes[node.0];
    if !n.remote_requires_reset {
        n.unclean = false;
        n.unseen = false;
    }
    let flag = |k: &str| n.attrs.get(k).is_some_and(|v| super::unpack::is_true(v));
    let shutdown = n.attrs.get("shutdown").is_some_and(|v| !v.is_empty() && v != "0");
    let (standby, maintenance) = (flag("standby"), flag("maintenance"));
    n.shutdown |= shutdown;
    n.standby |= standby;
    n.maintenance |= maintenance || unmanaged;
}

fn unpack_node_lrm(cluster: &mut Cluster, node: NodeId, st: &cs::NodeState) {
    let Some(lrm) = st.lrm.as_ref().and_then(|l| l.resources.as_ref()) else { return };
    for lr in &lrm.resources {
        let rsc = match resolve(cluster, node, lr.id()) {
            Resolved::Found(r) => r,
            Resolved::Missing => match orphan(cluster, lr) {
                Some(r) => r,
                None => continue,
            },
        };
        // An instance known in the history under another name keeps the
        // latest such name (Pacemaker keeps one); a numbered name is dropped
        // again where the history shows the instance stopped.
        let r = cluster.rsc(rsc);
        let renamed = r.id != lr.id() && r.base_id.as_deref() == Some(base_of(lr.id()));
        if renamed && r.history_names.last().is_none_or(|(_, h)| h != lr.id()) {
            cluster.rsc_mut(rsc).history_names.push((node, lr.id().to_string()));
        }
        if cluster.options.shutdown_lock {
            unpack_shutdown_lock(cluster, rsc, node, lr);
        }
        unpack_lrm_resource(cluster, rsc, node, lr);
        let r = cluster.rsc(rsc);
        if !r.running_on.contains(&node) && r.history_names.last().is_some_and(|(_, h)| h.contains(':')) {
            cluster.rsc_mut(rsc).history_names.clear();
        }
    }
}

/// A resource stopped by its node's clean shutdown stays locked to that node
/// (`shutdown-lock`) until the node comes back or the lock expires; an expired
/// lock's history is erased.
fn unpack_shutdown_lock(cluster: &mut Cluster, rsc: RscId, node: NodeId, lr: &cs::LrmResource) {
    let Some(since) = lr.shutdown_lock().and_then(|v| v.trim().parse::<i64>().ok()) else { return };
    if since == 0 {
        return;
    }
    let limit = cluster.options.shutdown_lock_limit_s;
    let expired = limit > 0 && cluster.now > since + limit;
    let r = cluster.rsc_mut(rsc);
    if expired {
        if !r.history_delete_on.contains(&node) {
            r.history_delete_on.push(node);
        }
    } else {
        r.lock_node = Some(node);
    }
}

/// What a primitive active on several nodes becomes (`multiple-active`):
/// stop_only bans it everywhere, block freezes it; stop_start (the default)
/// stops every copy and starts one.
fn apply_multiple_active(cluster: &mut Cluster) {
    let nodes = cluster.nodes.len();
    let mut block_groups = Vec::new();
    for r in cluster.resources.iter_mut() {
        if r.variant != Variant::Primitive || r.running_on.len() < 2 {
            continue;
        }
        match r.meta.get("multiple-active").map(String::as_str) {
            Some("stop_only") => r.locations.push(RscLocation {
                id: "__multiple_active_stop_only__".into(),
                role: None,
                scores: (0..nodes).map(|i| (NodeId(i), Score::NEG_INF)).collect(),
                discovery: Discovery::Always,
            }),
            Some("block") => {
                r.managed = false;
                r.blocked = true;
                block_groups.extend(r.parent);
            }
            _ => {}
        }
    }
    // A group blocked for being active twice is blocked as a whole.
    for g in block_groups {
        let group = cluster.rsc(g);
        if group.variant != Variant::Group
            || group.meta.get("multiple-active").map(String::as_str) != Some("block")
        {
            continue;
        }
        for m in group.children.clone() {
            let member = cluster.rsc_mut(m);
            member.managed = false;
            member.blocked = true;
        }
    }
}

enum Resolved {
    Found(RscId),
    Missing,
}

fn base_of(id: &str) -> &str {
    id.split(':').next().unwrap_or(id)
}

fn anonymous_clone_of(cluster: &Cluster, r: RscId) -> Option<RscId> {
    let top = cluster.top_of(r);
    let t = cluster.rsc(top);
    (t.variant == Variant::Clone && !t.unique).then_some(top)
}

/// Maps a history entry's id to the resource (or clone instance) it describes.
fn resolve(cluster: &mut Cluster, node: NodeId, id: &str) -> Resolved {
    // On a bundle's guest node, the wrapped primitive's history (kept under
    // its configured name) is that replica's instance.
    if cluster.node(node).bundle_guest {
        if let Some(child) = replica_child_on(cluster, node, base_of(id)) {
            return Resolved::Found(child);
        }
    }
    let found = match cluster.rsc_by_id(id) {
        Some(r) if cluster.rsc(r).variant != Variant::Primitive => return Resolved::Missing,
        Some(r) => Some(r),
        None => None,
    };
    let anchor = found.or_else(|| cluster.rsc_by_id(&format!("{}:0", base_of(id))));
    match anchor.and_then(|a| anonymous_clone_of(cluster, a)) {
        Some(clone) => Resolved::Found(find_anonymous_instance(cluster, clone, node, base_of(id))),
        None => match found {
            Some(r) => Resolved::Found(r),
            None => Resolved::Missing,
        },
    }
}

/// The instance of primitive `base` in the bundle replica whose guest node is `node`.
fn replica_child_on(cluster: &Cluster, node: NodeId, base: &str) -> Option<RscId> {
    let name = &cluster.node(node).name;
    cluster.resources.iter().enumerate().filter(|(_, r)| r.variant == Variant::Bundle).find_map(|(b, _)| {
        let i = super::bundle::replica_on_guest(cluster, RscId(b), name)?;
        let child = cluster.rsc(RscId(b)).bundle.as_ref()?.replicas[i].child?;
        (cluster.rsc(child).base_id.as_deref() == Some(base)).then_some(child)
    })
}

/// The member of instance `inst` (or `inst` itself) configured as `base`.
fn member_named(cluster: &Cluster, inst: RscId, base: &str) -> Option<RscId> {
    let r = cluster.rsc(inst);
    if r.variant == Variant::Primitive {
        return (r.base_id.as_deref() == Some(base)).then_some(inst);
    }
    r.children.iter().find_map(|&c| member_named(cluster, c, base))
}

/// Anonymous clones record their instances under the configured name; the
/// history entry belongs to the instance already active on that node, else to
/// the first inactive instance, else to a new orphan instance.
fn find_anonymous_instance(cluster: &mut Cluster, clone: RscId, node: NodeId, base: &str) -> RscId {
    let mut inactive: Option<RscId> = None;
    let mut skip_inactive = false;
    for &inst in &cluster.rsc(clone).children.clone() {
        let nodes = super::clone::instance_nodes(cluster, inst);
        if !nodes.is_empty() {
            if nodes[0] == node {
                if let Some(m) = member_named(cluster, inst, base) {
                    if !cluster.rsc(m).running_on.is_empty() {
                        skip_inactive = true;
                    }
                }
            }
        } else if !skip_inactive && inactive.is_none() && !cluster.rsc(inst).blocked {
            inactive = member_named(cluster, inst, base);
        }
    }
    let mut found = None;
    for &inst in &cluster.rsc(clone).children.clone() {
        let nodes = super::clone::instance_nodes(cluster, inst);
        if nodes.first() == Some(&node) {
            if let Some(m) = member_named(cluster, inst, base) {
                if cluster.rsc(m).running_on.is_empty() {
                    found = Some(m);
                    break;
                }
            }
        }
    }
    let found = found.or(if skip_inactive { None } else { inactive });
    // Without fencing to rely on, history from a node that is down or
    // unclean cannot vouch for an existing instance: it gets its own orphan,
    // so that the instance number stays free for a clean node. Not where
    // there is an instance for every node anyway.
    let n = cluster.node(node);
    let universal = cluster.rsc(clone).clone_max == cluster.nodes.len();
    let untrusted = (!n.online || n.unclean) && !n.is_guest() && !universal;
    if let Some(m) = found.filter(|&m| !untrusted || cluster.rsc(m).requires_fencing) {
        return m;
    }
    let orphan = copy_instance(cluster, clone);
    member_named(cluster, orphan, base).unwrap_or(orphan)
}

/// A new, orphaned instance of a clone, shaped like its first instance.
fn copy_instance(cluster: &mut Cluster, clone: RscId) -> RscId {
    let n = cluster.rsc(clone).children.len();
    let template = cluster.rsc(clone).children[0];
    let id = copy_subtree(cluster, template, clone, &format!(":{n}"));
    cluster.rsc_mut(clone).children.push(id);
    id
}

fn copy_subtree(cluster: &mut Cluster, src: RscId, parent: RscId, suffix: &str) -> RscId {
    let nodes = cluster.nodes.len();
    let s = cluster.rsc(src).clone();
    let base = s.base_id.clone().unwrap_or_else(|| s.id.clone());
    let mut r = Resource::new(&format!("{base}{suffix}"), s.variant, nodes);
    r.base_id = Some(base);
    r.parent = Some(parent);
    r.class = s.class;
    r.provider = s.provider;
    r.agent = s.agent;
    r.meta = s.meta;
    r.params = s.params;
    r.ops = s.ops;
    r.priority = s.priority;
    r.stickiness = s.stickiness;
    r.migration_threshold = s.migration_threshold;
    r.failure_timeout_s = s.failure_timeout_s;
    r.target_role = s.target_role;
    r.managed = s.managed;
    r.requires_fencing = s.requires_fencing;
    r.is_stonith = s.is_stonith;
    r.orphan = true;
    let id = cluster.add_resource(r);
    for c in s.children {
        let cid = copy_subtree(cluster, c, id, suffix);
        cluster.rsc_mut(id).children.push(cid);
    }
    id
}

/// A resource in the history but not in the configuration.
fn orphan(cluster: &mut Cluster, lr: &cs::LrmResource) -> Option<RscId> {
    // A history entry named like a group or clone is an orphan too (the
    // arena's id index keeps pointing at the configured collection).
    if let Some(i) = cluster.resources.iter().position(|r| r.orphan && r.id == lr.id()) {
        return Some(RscId(i));
    }
    if cluster.rsc_by_id(lr.id()).is_some_and(|r| cluster.rsc(r).variant == Variant::Primitive) {
        return None;
    }
    let mut r = Resource::new(lr.id(), Variant::Primitive, cluster.nodes.len());
    r.class = lr.class().unwrap_or_default().to_string();
    r.provider = lr.provider().map(str::to_string);
    r.agent = lr.agent().unwrap_or_default().to_string();
    r.orphan = true;
    // Orphans left alone (stop-orphan-resources=false) are not managed.
    r.managed = !cluster.options.maintenance_mode && cluster.options.stop_orphan_resources;
    r.is_stonith = r.class == "stonith";
    r.requires_fencing = cluster.options.stonith_enabled;
    // An orphan may only stop.
    r.locations.push(RscLocation {
        id: "__orphan_do_not_run__".into(),
        role: None,
        scores: (0..cluster.nodes.len()).map(|i| (NodeId(i), Score::NEG_INF)).collect(),
        discovery: Discovery::Always,
    });
    let id = cluster.add_resource(r);
    cluster.top.push(id);
    Some(id)
}

struct OpRecord<'a> {
    op: &'a cs::LrmRscOp,
    task: &'a str,
    call_id: i64,
    rc: i32,
    status: i32,
    interval_ms: u64,
    target_rc: Option<i32>,
}

fn target_rc(op: &cs::LrmRscOp) -> Option<i32> {
    let key = op.transition_key()?;
    key.split(':').nth(2)?.parse().ok()
}

/// What any history of `rsc` on `node` tells, whatever it shows running:
/// where the state is known, and what history must be cleaned up.
fn note_history_seen(cluster: &mut Cluster, rsc: RscId, node: NodeId, lr: &cs::LrmResource, role: Role) {
    let r = cluster.rsc(rsc);
    // An orphan's history is cleaned up wherever it has some, running or not
    // (anonymous clone instances excepted: their history names the clone).
    let orphan_cleanup = r.orphan && !r.cleanup_on.contains(&node);
    if orphan_cleanup && anonymous_clone_of(cluster, rsc).is_none() {
        cluster.rsc_mut(rsc).cleanup_on.push(node);
    }
    let r = cluster.rsc_mut(rsc);
    // Only a result tells where the state is known: a probe still pending
    // leaves it unknown (and so is repeated).
    if role != Role::Unknown && !r.known_on.contains(&node) {
        r.known_on.push(node);
    }
    // History left by a different agent (class, provider or type) is stale:
    // cleaned up, and where the resource runs, restarted.
    let agent_differs = |r: &super::cluster::Resource| {
        r.class != lr.class().unwrap_or_default()
            || r.provider.as_deref() != lr.provider()
            || r.agent != lr.agent().unwrap_or_default()
    };
    if !r.orphan && agent_differs(r) {
        if !r.cleanup_on.contains(&node) {
            r.cleanup_on.push(node);
        }
        if !r.agent_changed_on.contains(&node) {
            r.agent_changed_on.push(node);
        }
    }
    // Pacemaker checks the agent of the resource named exactly as the
    // history too (an anonymous clone's instance other than the one the
    // history was given to): where that one does not run, its stale history
    // is cleaned up as well.
    if r.id != lr.id() {
        if let Some(named) = cluster.rsc_by_id(lr.id()).filter(|&n| n != rsc) {
            let n = cluster.rsc_mut(named);
            if n.variant == Variant::Primitive
                && !n.orphan
                && !n.running_on.contains(&node)
                && agent_differs(n)
                && !n.cleanup_on.contains(&node)
            {
                n.cleanup_on.push(node);
            }
        }
    }
}

/// The history most resources have on most nodes: one completed probe that
/// found the resource stopped. It reads as "stopped here" and nothing else
/// (no failure, nothing recurring or pending), which the general reading
/// below would conclude at many times the cost.
fn only_probed_stopped(lr: &cs::LrmResource) -> bool {
    let [op] = lr.ops.as_slice() else { return false };
    op.operation() == Some("monitor")
        && op.interval_ms() == 0
        && op.op_status() == Some(EXEC_DONE)
        && op.rc_code() == Some(OCF_NOT_RUNNING)
        && op.call_id().is_some_and(|c| c >= 0)
        && !op.id().ends_with("_last_failure_0")
}

fn unpack_lrm_resource(cluster: &mut Cluster, rsc: RscId, node: NodeId, lr: &cs::LrmResource) {
    if only_probed_stopped(lr) {
        note_history_seen(cluster, rsc, node, lr, Role::Stopped);
        return;
    }
    let mut ops: Vec<OpRecord> = lr
        .ops
        .iter()
        .map(|op| OpRecord {
            op,
            task: op.operation().unwrap_or(""),
            call_id: op.call_id().unwrap_or(-1),
            rc: op.rc_code().unwrap_or(0),
            status: op.op_status().unwrap_or(0),
            interval_ms: op.interval_ms(),
            target_rc: target_rc(op),
        })
        .collect();
    // Oldest first; pending operations (call-id -1) last.
    // The same call recorded twice (the last result and the last failure)
    // is ordered by when its result last changed.
    let changed = |o: &OpRecord| o.op.last_rc_change_text().and_then(|v| v.parse::<i64>().ok()).unwrap_or(-1);
    ops.sort_by_key(|o| (o.call_id < 0, o.call_id, if o.call_id >= 0 { changed(o) } else { 0 }));

    let mut role = Role::Unknown;
    let mut on_fail = OnFail::Ignore;
    let mut last_failure_key: Option<String> = None;
    let mut pending: Option<String> = None;
    let mut recurring: Vec<(String, u64)> = Vec::new();
    let mut failed_here = false;

    let mut also_on: Vec<String> = Vec::new();
    let mut migrated_started = false;
    for (oi, o) in ops.iter().enumerate() {
        if matches!(o.task, "notify" | "meta-data") {
            continue;
        }
        let key: std::borrow::Cow<str> = match o.op.operation_key() {
            Some(k) => k.into(),
            None => format!("{}_{}_{}", lr.id(), o.task, o.interval_ms).into(),
        };
        if o.status == EXEC_PENDING || o.call_id < 0 {
            // The first pending action is the one shown; pending probes never are.
            if pending.is_none() && (o.interval_ms > 0 || o.task != "monitor") {
                pending = Some(o.task.to_string());
            }
            match o.task {
                "start" | "migrate_from" => role = role.max(Role::Started),
                "promote" => role = Role::Promoted,
                "stop" | "demote" | "migrate_to" => {}
                "monitor" if o.interval_ms > 0 => {}
                _ => {}
            }
            if o.interval_ms > 0 && o.task == "monitor" {
                recurring.push((key.into_owned(), o.interval_ms));
            }
            continue;
        }
        if o.status == EXEC_CANCELLED {
            recurring.retain(|(k, _)| *k != *key);
            continue;
        }
        if o.interval_ms > 0 && o.task == "cancel" {
            continue;
        }
        let is_probe = o.task == "monitor" && o.interval_ms == 0;
        if blocking_failure(cluster, rsc, lr.id(), o) && !cluster.rsc(rsc).block_failure_on.contains(&node) {
            cluster.rsc_mut(rsc).block_failure_on.push(node);
        }
        if last_failure_params_changed(cluster, rsc, o)
            && !cluster.rsc(rsc).clear_for_params_on.contains(&node)
        {
            cluster.rsc_mut(rsc).clear_for_params_on.push(node);
        }
        let target = o.target_rc.unwrap_or(if is_probe { OCF_NOT_RUNNING } else { OCF_OK });
        let outcome = classify(o.rc, o.status, target, is_probe, o.interval_ms);
        match outcome {
            Outcome::Ok(rc) => {
                let mut clear = false;
                match rc {
                    OCF_NOT_RUNNING => {
                        role = Role::Stopped;
                        clear = true;
                    }
                    OCF_RUNNING_PROMOTED | OCF_DEGRADED_PROMOTED => role = Role::Promoted,
                    _ => match o.task {
                        "start" | "migrate_from" => {
                            role = Role::Started;
                            clear = true;
                        }
                        "stop" => {
                            role = Role::Stopped;
                            clear = true;
                        }
                        "promote" => {
                            role = Role::Promoted;
                            clear = true;
                        }
                        "demote" => {
                            if on_fail == OnFail::Demote {
                                clear = true;
                            }
                            role = Role::Unpromoted;
                        }
                        "migrate_to" => {
                            // The resource is leaving; the target's migrate_from decides.
                            let newer_here = ops[oi + 1..].iter().any(|n| {
                                n.call_id >= 0
                                    && matches!(n.task, "start" | "stop" | "migrate_to" | "migrate_from")
                            });
                            match migrate_to_success(cluster, node, lr.id(), o, newer_here) {
                                MigrationEffect::None => {}
                                MigrationEffect::Dangling => role = Role::Stopped,
                                MigrationEffect::AlsoOn(t) => {
                                    role = Role::Started;
                                    also_on.push(t);
                                    // Partly migrated: active there whatever happens here.
                                    migrated_started = true;
                                }
                                MigrationEffect::Failed => {
                                    role = Role::Started;
                                    cluster.rsc_mut(rsc).failed = true;
                                }
                            }
                        }
                        "monitor" => {
                            if last_failure_key.as_deref() == Some(&*key) {
                                clear = true;
                            }
                            if role < Role::Started {
                                role = Role::Started;
                            }
                        }
                        _ => {
                            if role < Role::Started {
                                role = Role::Started;
                            }
                        }
                    },
                }
                // A recurring monitor that succeeded is active, including one
                // for the Stopped role (whose success is "not running").
                if o.task == "monitor" && o.interval_ms > 0 {
                    if !recurring.iter().any(|(k, _)| *k == *key) {
                        recurring.push((key.to_string(), o.interval_ms));
                    }
                } else if matches!(o.task, "stop" | "start" | "promote" | "demote") || rc == OCF_NOT_RUNNING {
                    // A state change invalidates monitors recorded before it.
                    if o.task != "monitor" {
                        recurring.clear();
                    }
                }
                if clear
                    && matches!(on_fail, OnFail::Block | OnFail::Ignore | OnFail::Demote | OnFail::Restart)
                {
                    on_fail = OnFail::Ignore;
                    failed_here = false;
                }
            }
            Outcome::Failed { hard, fatal } => {
                // An expired failed probe is forgotten: the state there is
                // unknown again (and probed again).
                if is_probe && o.status != EXEC_NOT_INSTALLED && failure_expired(cluster, rsc, o) {
                    if role <= Role::Stopped {
                        role = Role::Unknown;
                    }
                    continue;
                }
                if is_probe && (o.rc == OCF_NOT_INSTALLED || o.rc == 2 || o.status == 7) {
                    // Only live failures count: on nodes up now, not expired.
                    let timeout = cluster.rsc(rsc).failure_timeout_s;
                    let changed = o.op.last_rc_change_text().and_then(|v| v.parse::<i64>().ok());
                    let expired = timeout > 0 && changed.is_some_and(|c| c > 0 && cluster.now > c + timeout);
                    if cluster.node(node).online && !expired && o.op.on_node().is_some() {
                        cluster.rsc_mut(rsc).failed_probes.push((node, o.rc));
                    }
                }
                // A failure older than failure-timeout no longer counts: the
                // operation is passed over as if it had not run.
                if !is_probe && failure_expired(cluster, rsc, o) {
                    continue;
                }
                let configured = op_on_fail(cluster, rsc, o.task, o.interval_ms);
                let default = if o.task == "stop" {
                    if cluster.options.stonith_enabled {
                        OnFail::Fence
                    } else {
                        OnFail::Block
                    }
                } else {
                    OnFail::Restart
                };
                let mut this_fail = configured.unwrap_or(default);
                // A missing agent cannot be ignored: the resource fails over
                // (the hard error bans it from this node).
                if o.status == EXEC_NOT_INSTALLED && this_fail == OnFail::Ignore {
                    this_fail = OnFail::Restart;
                }
                // A stop failing with a hard error (invalid or missing
                // configuration, agent, privileges) that fencing cannot
                // resolve leaves nothing further to try: blocked where it is.
                if o.task == "stop"
                    && matches!(o.rc, 2..=5)
                    && this_fail != OnFail::Ignore
                    && !fencing_can_recover(cluster, node)
                {
                    let r = cluster.rsc_mut(rsc);
                    r.managed = false;
                    r.blocked = true;
                }
                if this_fail == OnFail::Ignore {
                    // Failure recorded but ignored: the resource stays as it was.
                    cluster.rsc_mut(rsc).failure_ignored = true;
                    if o.task == "stop" {
                        // An ignored stop failure counts as stopped.
                        role = Role::Stopped;
                    } else if role < Role::Started {
                        role = Role::Started;
                    }
                    continue;
                }
                if matches!(o.task, "migrate_to" | "migrate_from") {
                    also_on.extend(migration_failure(cluster, node, lr.id(), o));
                }
                last_failure_key = Some(key.to_string());
                failed_here = true;
                if this_fail > on_fail {
                    on_fail = this_fail;
                }
                match o.task {
                    "stop" => {
                        ban(cluster, rsc, node);
                        role = role.max(Role::Started);
                    }
                    "promote" => role = Role::Promoted,
                    // Staying promoted after a failed demotion would loop;
                    // recovery stops it anyway (with on-fail=block it stays).
                    "demote" if this_fail == OnFail::Block => role = Role::Promoted,
                    "demote" if o.rc == OCF_NOT_RUNNING => role = Role::Stopped,
                    "demote" => role = Role::Unpromoted,
                    // A failed start keeps the resource off the node only
                    // through its fail count (set to INFINITY by the
                    // controller with start-failure-is-fatal).
                    "start" => role = role.max(Role::Started),
                    _ => {
                        if o.rc == OCF_FAILED_PROMOTED {
                            role = Role::Promoted;
                        } else if role < Role::Started {
                            role = Role::Started;
                        }
                    }
                }
                if o.rc == OCF_NOT_RUNNING && !is_probe {
                    // "Unexpectedly not running": it is failed but stopped.
                    role = role.max(Role::Started);
                }
                // Hard and fatal errors keep a whole anonymous clone away.
                let banned = if cluster.in_anonymous_clone(rsc) { cluster.top_of(rsc) } else { rsc };
                if hard {
                    ban(cluster, banned, node);
                }
                if fatal {
                    let n = cluster.nodes.len();
                    for i in 0..n {
                        ban(cluster, banned, NodeId(i));
                    }
                }
                if is_probe && o.rc == OCF_NOT_INSTALLED {
                    role = Role::Stopped;
                    failed_here = false;
                    on_fail = OnFail::Ignore;
                }
            }
        }
    }

    record_history_recurring(cluster, rsc, node, &ops);
    // Active on the other end of a migration: listed before this node.
    for t in also_on {
        if let Some(n) = cluster.node_by_name(&t) {
            let r = cluster.rsc_mut(rsc);
            if !r.running_on.contains(&n) {
                r.running_on.push(n);
            }
            if migrated_started && r.role < Role::Started {
                r.role = Role::Started;
            }
        }
    }
    let r = cluster.rsc_mut(rsc);
    for (key, interval) in recurring {
        r.active_recurring.push((node, key, interval));
    }
    if pending.is_some() && r.pending_task.is_none() {
        r.pending_task = pending.clone();
    }
    note_history_seen(cluster, rsc, node, lr, role);
    if role == Role::Unknown || role == Role::Stopped {
        return;
    }
    let r = cluster.rsc_mut(rsc);
    if !r.running_on.contains(&node) {
        r.running_on.push(node);
    }
    if role > r.role || r.role == Role::Stopped {
        r.role = role;
    }
    let orphan = r.orphan;
    let maintenance = cluster.options.maintenance_mode
        || cluster.node(node).maintenance
        || cluster.rsc(rsc).meta.get("maintenance").is_some_and(|v| super::unpack::is_true(v));
    // Definitions are compared only where they could act on the result.
    let checkable = cluster.node(node).maintenance || cluster.node(node).can_run_resources();
    if orphan {
        // Cleaned up above.
    } else if maintenance && checkable {
        // Nothing watches a resource in maintenance: its monitors are cancelled.
        let running: Vec<(NodeId, String, u64)> = cluster
            .history_recurring
            .iter()
            .filter(|(r, n, _, interval)| *r == rsc && *n == node && *interval > 0)
            .map(|(_, n, task, interval)| (*n, task.clone(), *interval))
            .collect();
        let r = cluster.rsc_mut(rsc);
        for entry in running {
            if !r.cancel.contains(&entry) {
                r.cancel.push(entry);
            }
        }
    } else if checkable {
        let r = cluster.rsc(rsc);
        let before = (r.cancel.len(), r.reschedule.len(), r.digest_changed_on.len(), r.reload_on.len());
        check_config(cluster, rsc, node, &ops);
        let r = cluster.rsc_mut(rsc);
        let after = (r.cancel.len(), r.reschedule.len(), r.digest_changed_on.len(), r.reload_on.len());
        if before != after {
            r.config_changed_on.push(node);
        }
    }
    // Nothing is done to what runs on a node in maintenance.
    if cluster.node(node).maintenance {
        cluster.rsc_mut(rsc).managed = false;
    }
    // A managed resource thought active on a node that is down: fence it.
    let managed_now = cluster.rsc(rsc).managed;
    let n = cluster.node(node);
    if !n.online && !n.maintenance && managed_now {
        let r_id = cluster.rsc(rsc).id.clone();
        if let Some(container) = n.container.as_deref().and_then(|c| cluster.rsc_by_id(c)) {
            // A guest node is "fenced" by recovering its container, with or
            // without fencing; what it ran is failed until it is back.
            cluster.rsc_mut(rsc).failed = true;
            let ct = cluster.rsc(container);
            if !ct.failed && ct.managed {
                cluster.nodes[node.0].remote_requires_reset = true;
                cluster.rsc_mut(container).failed = true;
            }
        } else if cluster.options.stonith_enabled && n.remote_rsc.is_some() {
            let conn = n.remote_rsc.as_deref().and_then(|c| cluster.rsc_by_id(c));
            let (failed, managed) =
                conn.map_or((true, true), |c| (cluster.rsc(c).failed, cluster.rsc(c).managed));
            let n = &mut cluster.nodes[node.0];
            // Fencing is revoked if the connection can be re-established elsewhere.
            n.unseen |= !failed;
            if managed {
                n.remote_requires_reset = true;
            }
            super::unpack::fence_node(n, &format!("{r_id} is thought to be active there"));
        } else if cluster.options.stonith_enabled {
            super::unpack::fence_node(
                &mut cluster.nodes[node.0],
                &format!("{r_id} is thought to be active there"),
            );
        }
    }
    // On an unclean node nothing more is needed: fencing recovers everything.
    let on_fail = if cluster.node(node).unclean || !failed_here { OnFail::Ignore } else { on_fail };
    let r = cluster.rsc_mut(rsc);
    // Any handled failure of an active resource marks it failed; only
    // failures handled by demotion leave it where it is.
    if on_fail != OnFail::Ignore {
        r.recover_by_demoting = on_fail == OnFail::Demote && (!r.failed || r.recover_by_demoting);
        r.failed = true;
    }
    match on_fail {
        OnFail::Ignore => {}
        // Recovery's first step exists from the moment the failure is read,
        // which fixes its place in the graph ahead of later actions.
        OnFail::Demote => note_unpack_action(cluster, rsc, node, "demote"),
        OnFail::Restart => note_unpack_action(cluster, rsc, node, "stop"),
        OnFail::RestartContainer => {
            let target = cluster.rsc(rsc).meta.get("container").and_then(|c| cluster.rsc_by_id(c));
            note_unpack_action(cluster, target.unwrap_or(rsc), node, "stop");
        }
        OnFail::Fence => {
            let reason = format!("{} failed there", cluster.rsc(rsc).id);
            super::unpack::fence_node(&mut cluster.nodes[node.0], &reason);
        }
        OnFail::Standby => {
            cluster.nodes[node.0].standby_onfail = true;
            cluster.nodes[node.0].standby = true;
        }
        OnFail::Block => {
            r.blocked = true;
            r.managed = false;
        }
        OnFail::Stop => {
            r.target_role = Some(Role::Stopped);
        }
    }
}

/// Whether failed operation `o` is older than the resource's failure-timeout
/// (failures that block the resource never expire by themselves).
/// Whether `o` is the recorded last failure of a start or monitor whose
/// parameters have changed since: its fail count is cleared (the failure may
/// have been the old parameters' fault).
fn last_failure_params_changed(cluster: &Cluster, rsc: RscId, o: &OpRecord) -> bool {
    if !o.op.id().ends_with("_last_failure_0") || !matches!(o.task, "start" | "monitor") {
        return false;
    }
    let Some(recorded) = o.op.op_digest() else { return false };
    if failure_expired(cluster, rsc, o) {
        return false;
    }
    let r = cluster.rsc(rsc);
    let def = r.ops.iter().find(|d| d.name == o.task && d.interval_ms == o.interval_ms);
    let no_params = BTreeMap::new();
    let params = OpParams {
        rsc: &r.params,
        op: def.map_or(&no_params, |d| &d.params),
        recurring_timeout_ms: (o.interval_ms > 0)
            .then(|| def.and_then(|d| d.timeout_ms).unwrap_or(super::digest::DEFAULT_RECURRING_TIMEOUT_MS)),
    };
    super::digest::restart_digest_changed(o.op, &params) || recorded != params.digest()
}

/// Whether `o` records a failure of an operation configured with
/// `on-fail=block` (Pacemaker's test: the resource's last-failure record of
/// that operation, or its own record with an unexpected result).
fn blocking_failure(cluster: &Cluster, rsc: RscId, base: &str, o: &OpRecord) -> bool {
    if op_on_fail(cluster, rsc, o.task, o.interval_ms) != Some(OnFail::Block) {
        return false;
    }
    let id = o.op.id();
    let Some(rest) = id.strip_prefix(base).and_then(|r| r.strip_prefix('_')) else { return false };
    if rest == "last_failure_0" {
        return true;
    }
    // Without a transition key the expected result is unknown (-1): any counts.
    rest.strip_prefix(o.task).and_then(|r| r.strip_prefix('_')) == Some(o.interval_ms.to_string().as_str())
        && o.rc != o.target_rc.unwrap_or(-1)
}

fn failure_expired(cluster: &Cluster, rsc: RscId, o: &OpRecord) -> bool {
    let timeout = cluster.rsc(rsc).failure_timeout_s;
    let changed = o.op.last_rc_change_text().and_then(|v| v.parse::<i64>().ok());
    let blocks = op_on_fail(cluster, rsc, o.task, o.interval_ms) == Some(OnFail::Block);
    !blocks && timeout > 0 && changed.is_some_and(|c| c > 0 && cluster.now >= c + timeout)
}

/// Notes an action that reading the history itself calls for (`task` with
/// interval 0), in the order Pacemaker creates such actions while unpacking.
fn note_unpack_action(cluster: &mut Cluster, rsc: RscId, node: NodeId, task: &str) {
    note_history_action(cluster, (rsc, node, task.to_string(), 0));
}

fn note_history_action(cluster: &mut Cluster, entry: (RscId, NodeId, String, u64)) {
    if cluster.history_recurring_seen.insert(entry.clone()) {
        cluster.history_recurring.push(entry);
    }
}

/// Notes the recurring operations recorded since the resource last started
/// here (or, when it was stopped last, since that stop), skipping pending ones.
fn record_history_recurring(cluster: &mut Cluster, rsc: RscId, node: NodeId, ops: &[OpRecord]) {
    let (mut start, mut stop, mut implied_monitor, mut implied_clone) = (None, None, None, None);
    for (i, o) in ops.iter().enumerate() {
        match o.task {
            "stop" if o.status == EXEC_DONE => stop = Some(i),
            "start" | "migrate_from" => start = Some(i),
            "monitor" if implied_monitor <= stop && (o.rc == OCF_OK || o.rc == OCF_RUNNING_PROMOTED) => {
                implied_monitor = Some(i)
            }
            "promote" | "demote" => implied_clone = Some(i),
            _ => {}
        }
    }
    let start = start.or(implied_clone).or(implied_monitor);
    for (i, o) in ops.iter().enumerate() {
        let stopped_since = start < stop && Some(i) <= stop;
        if stopped_since || Some(i) < start || o.interval_ms == 0 || o.status == EXEC_PENDING {
            continue;
        }
        // A monitor whose failure expired is rescheduled, not running.
        let failed = o.status != EXEC_DONE || o.target_rc.is_some_and(|t| t != o.rc);
        if failed && failure_expired(cluster, rsc, o) {
            continue;
        }
        note_history_action(cluster, (rsc, node, o.task.to_string(), o.interval_ms));
    }
}

/// Compares what ran since the last start with the configuration: recurring
/// operations no longer configured are cancelled, changed ones rescheduled; a
/// changed definition means a restart (or a reload, where the agent can).
fn check_config(cluster: &mut Cluster, rsc: RscId, node: NodeId, ops: &[OpRecord]) {
    let mut start_index = None;
    let mut stop_index = None;
    let mut implied = None;
    for (i, o) in ops.iter().enumerate() {
        match o.task {
            "stop" if o.status == EXEC_DONE && o.rc == OCF_OK => stop_index = Some(i),
            "start" | "migrate_from" => start_index = Some(i),
            "monitor" | "promote"
                if (o.rc == OCF_OK || o.rc == OCF_RUNNING_PROMOTED)
                    && implied.is_none_or(|x| stop_index.is_some_and(|s| x <= s)) =>
            {
                implied = Some(i);
            }
            _ => {}
        }
    }
    let start = start_index.or(implied).unwrap_or(0);
    if stop_index.is_some_and(|s| s > start) {
        return;
    }
    for o in &ops[start..] {
        // Pending operations are compared too: a definition changed while a
        // start is pending restarts the resource.
        let r = cluster.rsc(rsc);
        if o.interval_ms > 0 {
            let config =
                r.ops.iter().find(|d| d.name == o.task && d.interval_ms == o.interval_ms && d.enabled);
            match config {
                None => {
                    if cluster.options.stop_orphan_actions {
                        let entry = (node, o.task.to_string(), o.interval_ms);
                        if !cluster.rsc(rsc).cancel.contains(&entry) {
                            cluster.rsc_mut(rsc).cancel.push(entry);
                        }
                    }
                }
                Some(d) => {
                    let params = super::digest::recurring_params(r, d);
                    let recorded = o.op.op_digest();
                    if recorded.is_some_and(|rec| rec != super::digest::recurring_digest(r, d))
                        && !super::digest::only_sanitized_changed(o.op, &params, r.is_stonith)
                    {
                        cluster.rsc_mut(rsc).reschedule.push((node, o.interval_ms));
                    }
                }
            }
            continue;
        }
        if !matches!(o.task, "start" | "monitor" | "promote" | "migrate_from") {
            continue;
        }
        let params = super::digest::start_params(r);
        let all_digest = super::digest::start_digest(r);
        let restart_needed = super::digest::restart_digest_changed(o.op, &params);
        let supports_reload = o.op.op_restart_digest().is_some();
        let changed = match o.op.op_digest() {
            None => true,
            Some(d) => d != all_digest,
        };
        // crm_report masks passwords in the CIBs it collects: when only the
        // masked parameters differ, nothing changed.
        if (restart_needed || changed) && super::digest::only_sanitized_changed(o.op, &params, r.is_stonith) {
            continue;
        }
        let extra_empty = params.op.is_empty();
        // History of another agent restarts the resource anyway (without a
        // reason); its parameters are not compared.
        let agent_changed = cluster.rsc(rsc).agent_changed_on.contains(&node);
        if !agent_changed && (restart_needed || (changed && (!supports_reload || !extra_empty))) {
            if !cluster.rsc(rsc).digest_changed_on.contains(&node) {
                cluster.rsc_mut(rsc).digest_changed_on.push(node);
            }
        } else if changed && !cluster.rsc(rsc).reload_on.contains(&node) {
            cluster.rsc_mut(rsc).reload_on.push(node);
        }
    }
}

fn ban(cluster: &mut Cluster, rsc: RscId, node: NodeId) {
    let r = cluster.rsc_mut(rsc);
    if !r.locations.iter().any(|l| l.id == "__failure__" && l.scores.iter().any(|(n, _)| *n == node)) {
        r.locations.push(RscLocation {
            id: "__failure__".into(),
            role: None,
            scores: vec![(node, Score::NEG_INF)],
            discovery: Discovery::Always,
        });
    }
}

fn op_on_fail(cluster: &Cluster, rsc: RscId, task: &str, interval_ms: u64) -> Option<OnFail> {
    cluster
        .rsc(rsc)
        .ops
        .iter()
        .find(|o| o.name == task && o.interval_ms == interval_ms)
        .and_then(|o| o.on_fail)
}

enum Outcome {
    Ok(i32),
    Failed { hard: bool, fatal: bool },
}

fn classify(rc: i32, status: i32, target: i32, is_probe: bool, interval_ms: u64) -> Outcome {
    // An "error" status is judged again by its result code (Pacemaker does):
    // the expected code means the operation did what was asked.
    if status != EXEC_DONE && status != EXEC_ERROR {
        // Final statuses as the executor reported them: only hard and fatal
        // errors (and a missing agent) keep the resource off the node.
        match status {
            5 | 7 | 10 | 11 => return Outcome::Failed { hard: true, fatal: false },
            6 => return Outcome::Failed { hard: false, fatal: true },
            EXEC_NOT_SUPPORTED => return Outcome::Failed { hard: false, fatal: false },
            _ => {}
        }
        // Timed out, error, not installed...: an ordinary failure unless the rc says more.
        return match rc {
            OCF_NOT_INSTALLED => Outcome::Failed { hard: true, fatal: false },
            OCF_NOT_CONFIGURED => Outcome::Failed { hard: false, fatal: true },
            _ => Outcome::Failed { hard: false, fatal: false },
        };
    }
    match rc {
        r if r == target => Outcome::Ok(r),
        OCF_OK | OCF_DEGRADED if is_probe => Outcome::Ok(OCF_OK),
        OCF_NOT_RUNNING if is_probe => Outcome::Ok(OCF_NOT_RUNNING),
        OCF_RUNNING_PROMOTED if is_probe => Outcome::Ok(OCF_RUNNING_PROMOTED),
        OCF_DEGRADED if target == OCF_OK => Outcome::Ok(OCF_OK),
        OCF_DEGRADED_PROMOTED if target == OCF_RUNNING_PROMOTED => Outcome::Ok(OCF_RUNNING_PROMOTED),
        OCF_NOT_RUNNING if target == OCF_OK && interval_ms == 0 => {
            Outcome::Failed { hard: false, fatal: false }
        }
        // "Unimplemented" from a recurring operation is only unsupported.
        3 if interval_ms > 0 => Outcome::Failed { hard: false, fatal: false },
        2 | 3 | 4 | OCF_NOT_INSTALLED => Outcome::Failed { hard: true, fatal: false },
        OCF_NOT_CONFIGURED => Outcome::Failed { hard: false, fatal: true },
        _ => Outcome::Failed { hard: false, fatal: false },
    }
}

/// Fail counts from node attributes: `fail-count-<rsc>#<op>_<interval>` (summed)
/// or the older `fail-count-<rsc>`; expired by `failure-timeout`.
fn unpack_fail_counts(cluster: &mut Cluster) {
    let now = cluster.now;
    // Each node's failure attributes, gathered once (sorted, as the node's
    // attributes are): most nodes have none, and each resource looks here.
    let failure_attrs: Vec<Vec<(String, String)>> = cluster
        .nodes
        .iter()
        .map(|n| {
            let from = |p: &'static str| {
                n.attrs
                    .range::<str, _>((std::ops::Bound::Included(p), std::ops::Bound::Unbounded))
                    .take_while(move |(k, _)| k.starts_with(p))
            };
            from("fail-count-").chain(from("last-failure-")).map(|(k, v)| (k.clone(), v.clone())).collect()
        })
        .collect();
    // Without any, no resource has a fail count (the usual case).
    if failure_attrs.iter().all(Vec::is_empty) {
        return;
    }
    let (mut prefix, mut lf_prefix) = (String::new(), String::new());
    for ri in 0..cluster.resources.len() {
        if cluster.resources[ri].variant != Variant::Primitive {
            continue;
        }
        // An anonymous clone's instances share their fail counts, whatever
        // instance number the attribute was recorded under.
        let anonymous = cluster.in_anonymous_clone(RscId(ri));
        let base = cluster.anonymous_base_id(RscId(ri));
        for (p, kind) in [(&mut prefix, "fail-count-"), (&mut lf_prefix, "last-failure-")] {
            p.clear();
            p.push_str(kind);
            p.push_str(base);
        }
        let matches = |rest: &str| {
            let rest = if anonymous {
                match rest.strip_prefix(':') {
                    Some(r) => r.trim_start_matches(|c: char| c.is_ascii_digit()),
                    None => rest,
                }
            } else {
                rest
            };
            rest.is_empty() || rest.starts_with('#')
        };
        let timeout = cluster.resources[ri].failure_timeout_s;
        for (ni, attrs) in failure_attrs.iter().enumerate() {
            fn with_prefix<'a>(
                attrs: &'a [(String, String)],
                p: &'a str,
            ) -> impl Iterator<Item = (&'a str, &'a str)> {
                let from = attrs.partition_point(|(k, _)| k.as_str() < p);
                attrs[from..]
                    .iter()
                    .take_while(move |(k, _)| k.starts_with(p))
                    .map(move |(k, v)| (&k[p.len()..], v.as_str()))
            }
            let mut total = Score::ZERO;
            let mut last_failure = 0i64;
            for (rest, v) in with_prefix(attrs, &prefix) {
                if matches(rest) {
                    total = total.plus(Score::parse(v).unwrap_or(Score::ZERO));
                }
            }
            for (rest, v) in with_prefix(attrs, &lf_prefix) {
                if matches(rest) {
                    last_failure = last_failure.max(v.parse().unwrap_or(0));
                }
            }
            if total.0 > 0 {
                let r = &mut cluster.resources[ri];
                // A failure that blocks (on-fail=block) does not expire.
                let blocking = r.block_failure_on.contains(&NodeId(ni));
                if timeout > 0 && last_failure > 0 && now >= last_failure + timeout && !blocking {
                    // A blocked resource's failure does not expire by itself.
                    if !r.blocked {
                        r.clear_failcount_on.push(NodeId(ni));
                    }
                    continue;
                }
                r.fail_counts.insert(NodeId(ni), total.0);
                let online = cluster.nodes[ni].online;
                let r = &mut cluster.resources[ri];
                // (An orphan found stopped everywhere has nothing to clear.)
                let active_orphan = r.orphan && !r.running_on.is_empty();
                if (active_orphan && online) || r.config_changed_on.contains(&NodeId(ni)) {
                    r.clear_failcount_on.push(NodeId(ni));
                }
            }
        }
    }
}

/// Whether `node` could be fenced to recover a failed stop there (Pacemaker's
/// `pe_can_fence`): fencing enabled with a device configured, and quorum (or
/// a policy that ignores it) or the node still in our membership.
fn fencing_can_recover(cluster: &Cluster, node: NodeId) -> bool {
    cluster.options.stonith_enabled
        && cluster.has_stonith_resource
        && (super::placement::may_start(cluster) || cluster.node(node).online)
}
