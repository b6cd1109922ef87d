//! What crm_mon shows from the status section's operation history: the
//! per-node operation lists (`-o`), fail counts (`-f`) and failed actions.
//! Read straight from the CIB: the scheduler folds history into current state
//! and keeps no per-operation record.

use std::fmt::Write as _;

use cib_schema as cs;
use crm_core::scheduler::cluster::{Cluster, NodeId, OnFail, RscId, Variant};

use super::ocf::{exec_status_str, exit_str, parse_op_key, readable_interval};
use super::{timefmt, Options, Status};

const EXEC_PENDING: i32 = -1;
const EXEC_DONE: i32 = 0;
const EXEC_CANCELLED: i32 = 1;
const EXEC_NOT_SUPPORTED: i32 = 3;
const EXEC_ERROR: i32 = 4;
const EXEC_NOT_INSTALLED: i32 = 7;

/// The `lrm_resource` entries of a node's status, in document order.
fn lrm_resources(st: &cs::NodeState) -> &[cs::LrmResource] {
    st.lrm.as_ref().and_then(|l| l.resources.as_ref()).map(|r| r.resources.as_slice()).unwrap_or(&[])
}

/// Online nodes with their status entries, in the status section's order.
fn online_states<'c>(stt: &Status<'c>) -> Vec<(NodeId, &'c cs::NodeState)> {
    let c = &stt.cluster;
    stt.cib
        .status
        .iter()
        .flat_map(|s| s.nodes.iter())
        .filter_map(|ns| {
            let n = c.node_by_id(ns.id.as_deref()?)?;
            c.node(n).online.then_some((n, ns))
        })
        .collect()
}

fn num<T: std::str::FromStr>(v: Option<&str>) -> Option<T> {
    v.and_then(|s| s.trim().parse().ok())
}

/// Operations oldest first by call id, as Pacemaker lists them; pending
/// operations (call id -1) keep their place at the end.
fn sorted_ops(lr: &cs::LrmResource) -> Vec<&cs::LrmRscOp> {
    let mut ops: Vec<&cs::LrmRscOp> = lr.ops.iter().collect();
    ops.sort_by_key(|o| {
        let call: i64 = num(o.call_id_text()).unwrap_or(-1);
        (call < 0, call)
    });
    ops
}

fn is_probe(op: &cs::LrmRscOp) -> bool {
    op.operation() == Some("monitor") && num::<u64>(op.interval_text()).unwrap_or(0) == 0
}

/// The resource a history entry belongs to: the resource of that id, else
/// the anonymous clone instance it was matched to.
pub fn find_rsc(c: &Cluster, id: &str) -> Option<RscId> {
    if let Some(r) = c.rsc_by_id(id) {
        if c.rsc(r).variant == Variant::Primitive {
            return Some(r);
        }
    }
    // Anonymous instances are recorded under the base id or any instance
    // number; they are all the same resource to the history.
    let base = id.split(':').next().unwrap_or(id);
    c.resources
        .iter()
        .position(|r| r.variant == Variant::Primitive && r.base_id.as_deref() == Some(base))
        .map(RscId)
        .filter(|&r| id == base || !c.rsc(c.top_of(r)).unique)
}

/// The id Pacemaker prints for a resource: anonymous clone instances go by
/// their configured id.
pub fn printable_id(c: &Cluster, r: RscId) -> String {
    let rsc = c.rsc(r);
    let top = c.rsc(c.top_of(r));
    // Anonymous clone instances and bundles' wrapped primitives are known by
    // their configured name.
    if !matches!(top.variant, Variant::Clone | Variant::Bundle) || top.unique {
        return rsc.id.clone();
    }
    match &rsc.base_id {
        Some(base) => base.clone(),
        None => rsc.id.split(':').next().unwrap_or(&rsc.id).to_string(),
    }
}

/// A resource's fail count and last failure on a node, from the node's
/// `fail-count-*` / `last-failure-*` attributes (any operation, any instance
/// of an anonymous clone).
pub fn fail_count(c: &Cluster, node: NodeId, r: RscId) -> (i64, i64) {
    let id = printable_id(c, r);
    let anonymous = c.rsc(r).base_id.is_some() && !c.rsc(c.top_of(r)).unique;
    let matches = |key: &str, prefix: &str| -> bool {
        let Some(rest) = key.strip_prefix(prefix) else { return false };
        let Some(rest) = rest.strip_prefix(id.as_str()) else { return false };
        let rest = if anonymous {
            match rest.strip_prefix(':') {
                Some(r) => r.trim_start_matches(|ch: char| ch.is_ascii_digit()),
                None => rest,
            }
        } else {
            rest
        };
        rest.is_empty() || rest.starts_with('#')
    };
    let (mut count, mut last) = (0i64, 0i64);
    for (k, v) in &c.node(node).attrs {
        if matches(k, "fail-count-") {
            let add = match v.trim().to_ascii_lowercase().as_str() {
                "infinity" | "+infinity" => 1_000_000,
                "-infinity" => -1_000_000,
                s => s.parse().unwrap_or(0),
            };
            count = (count + add).clamp(-1_000_000, 1_000_000);
        } else if matches(k, "last-failure-") {
            last = last.max(v.trim().parse().unwrap_or(0));
        }
    }
    (count, if count > 0 { last } else { 0 })
}

/// One resource's part of a node's history.
pub struct RscHistory<'c> {
    pub lrm_id: String,
    pub rsc: Option<RscId>,
    pub fail_count: i64,
    pub last_failure: i64,
    pub ops: Vec<&'c cs::LrmRscOp>,
}

pub struct NodeHistory<'c> {
    pub node: NodeId,
    pub resources: Vec<RscHistory<'c>>,
}

/// Operations worth listing: not notifications, not probes that found nothing.
fn listed_ops(lr: &cs::LrmResource) -> Vec<&cs::LrmRscOp> {
    sorted_ops(lr)
        .into_iter()
        .filter(|o| o.operation() != Some("notify"))
        .filter(|o| !(is_probe(o) && num::<i32>(o.rc_code_text()).unwrap_or(0) == 7))
        .collect()
}

/// Per online node, the resources with history worth showing: with `ops`, those
/// with listed operations; otherwise those with a fail count.
pub fn node_history<'c>(stt: &Status<'c>, ops: bool) -> Vec<NodeHistory<'c>> {
    let c = &stt.cluster;
    let mut out = Vec::new();
    for (node, ns) in online_states(stt) {
        let mut resources = Vec::new();
        for lr in lrm_resources(ns) {
            let rsc = find_rsc(c, lr.id());
            let (fail_count, last_failure) = rsc.map(|r| fail_count(c, node, r)).unwrap_or((0, 0));
            let listed = if ops { listed_ops(lr) } else { Vec::new() };
            if (ops && listed.is_empty()) || (!ops && fail_count <= 0) {
                continue;
            }
            resources.push(RscHistory {
                lrm_id: lr.id().to_string(),
                rsc,
                fail_count,
                last_failure,
                ops: listed,
            });
        }
        out.push(NodeHistory { node, resources });
    }
    out
}

/// "RSC: migration-threshold=N fail-count=N last-failure='...'", or
/// "RSC: orphan" for history of a resource that no longer exists.
fn resource_history_line(c: &Cluster, h: &RscHistory, all: bool) -> String {
    // History of a resource the scheduler did not keep (Pacemaker keeps such
    // orphans as resources with the default threshold).
    let (id, threshold) = match h.rsc {
        Some(r) => (if all { printable_id(c, r) } else { h.lrm_id.clone() }, c.rsc(r).migration_threshold),
        None => (h.lrm_id.clone(), 1_000_000),
    };
    if !all && h.fail_count <= 0 && h.last_failure <= 0 {
        return format!("{id}:");
    }
    let mut s = format!("{id}: migration-threshold={threshold}");
    if h.fail_count > 0 {
        let _ = write!(s, " fail-count={}", h.fail_count);
    }
    if h.last_failure > 0 {
        let _ = write!(s, " last-failure='{}'", timefmt::ctime(h.last_failure));
    }
    s
}

/// "(CALL) TASK[: interval="Nms"]", with `-t` the timing details.
fn op_line(op: &cs::LrmRscOp, timing: bool) -> String {
    let call = op.call_id_text().unwrap_or("");
    let task = if is_probe(op) { "probe" } else { op.operation().unwrap_or("") };
    let interval = op.interval_text().filter(|i| *i != "0").map(|i| format!(" interval=\"{i}ms\""));
    if !timing {
        return format!(
            "({call}) {task}{}{}",
            if interval.is_some() { ":" } else { "" },
            interval.unwrap_or_default()
        );
    }
    let mut s = format!("({call}) {task}:{}", interval.unwrap_or_default());
    if let Some(t) = num::<i64>(op.last_rc_change_text()).filter(|t| *t > 0) {
        let _ = write!(s, " last-rc-change=\"{}\"", timefmt::ctime(t));
    }
    if let Some(v) = op.exec_time_text() {
        let _ = write!(s, " exec-time=\"{v}ms\"");
    }
    if let Some(v) = op.queue_time_text() {
        let _ = write!(s, " queue-time=\"{v}ms\"");
    }
    let rc = num::<i32>(op.rc_code_text()).unwrap_or(0).max(0); // Pacemaker reads result codes as non-negative
    let _ = write!(s, " rc={rc} ({})", exit_str(rc));
    s
}

/// The "Operations" (`-o`) or "Migration Summary" (`-f`) section.
pub fn node_summary(stt: &Status, opts: &Options) -> Option<String> {
    let c = &stt.cluster;
    let hist = node_history(stt, opts.operations);
    if hist.is_empty() {
        return None;
    }
    let mut s = String::from(if opts.operations { "Operations:\n" } else { "Migration Summary:\n" });
    for nh in &hist {
        if nh.resources.is_empty() {
            continue;
        }
        let _ = writeln!(s, "  * Node: {}:", c.node(nh.node).name);
        for h in &nh.resources {
            if opts.operations {
                let _ = writeln!(s, "    * {}:", resource_history_line(c, h, true));
                for op in &h.ops {
                    let _ = writeln!(s, "      * {}", op_line(op, opts.timing));
                }
            } else {
                let _ = writeln!(s, "    * {}", resource_history_line(c, h, false));
            }
        }
    }
    Some(s)
}

/// A failed operation as recorded while reading the history.
pub struct FailedOp<'c> {
    pub op: &'c cs::LrmRscOp,
    pub node: String,
    pub rsc_id: String,
}

/// Whether a probe's failure only means the resource cannot run there.
fn masked_probe_failure(op: &cs::LrmRscOp) -> bool {
    let rc = num::<i32>(op.rc_code_text()).unwrap_or(0);
    let status = num::<i32>(op.op_status_text()).unwrap_or(0);
    is_probe(op) && (rc == 5 || rc == 2 || status == EXEC_NOT_INSTALLED)
}

/// Whether an operation's result is a failure, judged against the result the
/// cluster expected (the transition key's third field).
fn op_failed(op: &cs::LrmRscOp) -> bool {
    let rc = num::<i32>(op.rc_code_text()).unwrap_or(0);
    let status = num::<i32>(op.op_status_text()).unwrap_or(0);
    if status == EXEC_PENDING || status == EXEC_CANCELLED || num::<i64>(op.call_id_text()).unwrap_or(-1) < 0 {
        return false;
    }
    let interval_ms = num::<u64>(op.interval_text()).unwrap_or(0);
    // A recurring action the agent does not implement is not a failure.
    if interval_ms > 0 && (status == EXEC_NOT_SUPPORTED || (rc == 3 && status == EXEC_ERROR)) {
        return false;
    }
    if status != EXEC_DONE && status != EXEC_ERROR {
        return true;
    }
    let probe = is_probe(op);
    let target = op
        .transition_key()
        .and_then(|k| k.split(':').nth(2))
        .and_then(|t| t.parse::<i32>().ok())
        .unwrap_or(if probe { 7 } else { 0 });
    let rc = match rc {
        190 => 0,
        191 => 8,
        r => r,
    };
    if rc == target {
        return false;
    }
    // Probes find resources running, stopped or promoted: none is a failure.
    !(probe && matches!(rc, 0 | 7 | 8))
}

/// Failed operations on online nodes, once per (operation key, node), in the
/// order the history is read; expired failures are left out.
pub fn failed_ops<'c>(stt: &Status<'c>) -> Vec<FailedOp<'c>> {
    let c = &stt.cluster;
    let mut out: Vec<FailedOp> = Vec::new();
    for (node, ns) in online_states(stt) {
        let name = c.node(node).name.clone();
        for lr in lrm_resources(ns) {
            let rsc = find_rsc(c, lr.id());
            for op in sorted_ops(lr) {
                let degraded = op.operation() == Some("monitor")
                    && matches!(num::<i32>(op.rc_code_text()), Some(190 | 191));
                if !(degraded || op_failed(op)) {
                    continue;
                }
                if !degraded && expired(stt, rsc, op) {
                    continue;
                }
                // Pacemaker compares the operation_key attributes as found, so
                // entries without one count as the same operation.
                let key = op.operation_key();
                let same = |f: &FailedOp| {
                    f.node.eq_ignore_ascii_case(&name)
                        && match (f.op.operation_key(), key) {
                            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                            (a, b) => a == b,
                        }
                };
                if out.iter().any(same) {
                    continue;
                }
                out.push(FailedOp { op, node: name.clone(), rsc_id: lr.id().to_string() });
            }
        }
    }
    out
}

/// Whether a failure is older than the resource's failure-timeout (which
/// on-fail=block for that operation disables).
fn expired(stt: &Status, rsc: Option<RscId>, op: &cs::LrmRscOp) -> bool {
    let Some(r) = rsc else { return false };
    let rsc = stt.cluster.rsc(r);
    if rsc.failure_timeout_s <= 0 {
        return false;
    }
    let task = op.operation().unwrap_or("");
    let interval_ms = num::<u64>(op.interval_text()).unwrap_or(0);
    let blocks = rsc
        .ops
        .iter()
        .any(|d| d.name == task && d.interval_ms == interval_ms && d.on_fail == Some(OnFail::Block));
    if blocks {
        return false;
    }
    let changed = num::<i64>(op.last_rc_change_text()).unwrap_or(0);
    changed > 0 && stt.now > changed + rsc.failure_timeout_s
}

/// One failed action in words.
pub fn failed_action_line(f: &FailedOp) -> String {
    let op = f.op;
    let key = op.operation_key().filter(|k| !k.is_empty()).unwrap_or(op.id());
    let (rsc, task, interval) =
        parse_op_key(key).unwrap_or_else(|| ("unknown resource".into(), "unknown action".into(), 0));
    let mut s = format!("{rsc} ");
    if interval != 0 {
        let _ = write!(s, "{}-interval ", readable_interval(interval));
    }
    let task = if task == "monitor" && interval == 0 { "probe" } else { task.as_str() };
    let _ = write!(s, "{task} on {}", f.node);
    let rc = num::<i32>(op.rc_code_text()).unwrap_or(0);
    let status = num::<i32>(op.op_status_text()).unwrap_or(0);
    let reason = op.exit_reason().filter(|r| !r.is_empty());
    if status == EXEC_DONE {
        let _ = write!(s, " returned '{}'", exit_str(rc));
        if let Some(r) = reason {
            let _ = write!(s, " ({r})");
        }
    } else {
        let _ = write!(s, " could not be executed ({}", exec_status_str(status));
        if let Some(r) = reason {
            let _ = write!(s, ": {r}");
        }
        s.push(')');
    }
    if let Some(t) = op.last_rc_change_text().and_then(|v| v.trim().parse::<i64>().ok()) {
        let _ = write!(s, " at {}", timefmt::ctime(t));
    }
    if let Some(ms) = num::<i64>(op.exec_time_text()).filter(|ms| *ms > 0) {
        let _ = write!(s, " after {}", readable_interval(ms as u64));
    }
    s
}

/// The failures crm_mon lists: all but probes that only found the resource
/// cannot run on the node.
pub fn shown_failures<'c>(stt: &Status<'c>) -> Vec<FailedOp<'c>> {
    failed_ops(stt).into_iter().filter(|f| !masked_probe_failure(f.op)).collect()
}

/// The "Failed Resource Actions" section, if anything failed.
pub fn failed_actions(stt: &Status) -> Option<String> {
    let failed = shown_failures(stt);
    if failed.is_empty() {
        return None;
    }
    let mut s = String::from("Failed Resource Actions:\n");
    for f in &failed {
        let _ = writeln!(s, "  * {}", failed_action_line(f));
    }
    Some(s)
}
