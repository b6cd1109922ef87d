//! Changes to a CIB's status section that simulate cluster events, as
//! `crm_simulate` makes them: nodes coming up, going down or failing, and
//! operation results recorded in a node's resource history. Pure functions of
//! the CIB; the caller decides what to inject.

use cib_schema as cs;
use cib_schema::Cib;

/// Finds (or creates) the `node_state` of node `uname`; the node id comes from
/// the configuration when the node is known there.
pub fn node_state<'a>(cib: &'a mut Cib, uname: &str) -> &'a mut cs::NodeState {
    let id = cib
        .configuration
        .as_ref()
        .and_then(|c| c.nodes.as_ref())
        .and_then(|n| n.nodes.iter().find(|n| n.uname.as_deref() == Some(uname) || n.id == uname))
        .map(|n| n.id.clone())
        .unwrap_or_else(|| uname.to_string());
    let status = cib.status_mut();
    let idx = match status.nodes.iter().position(|s| s.id.as_deref() == Some(id.as_str())) {
        Some(i) => i,
        None => {
            status.nodes.push(cs::NodeState {
                id: Some(id.clone()),
                uname: Some(uname.to_string()),
                ..Default::default()
            });
            status.nodes.len() - 1
        }
    };
    &mut status.nodes[idx]
}

/// Sets a node's membership as Corosync and the controller would report it.
fn set_membership<'a>(
    cib: &'a mut Cib,
    uname: &str,
    in_cluster: bool,
    expected: &str,
) -> &'a mut cs::NodeState {
    let st = node_state(cib, uname);
    st.in_ccm = Some(in_cluster.to_string());
    st.crmd = Some(if in_cluster { "online" } else { "offline" }.into());
    st.join = Some(if in_cluster { "member" } else { "down" }.into());
    st.expected = Some(expected.into());
    st.crm_debug_origin = Some("crm_simulate".into());
    st
}

/// Forgets a node's resource history (a clean stop or fencing leaves none).
fn clear_history(st: &mut cs::NodeState) {
    st.lrm = Some(cs::Lrm {
        id: st.id.clone(),
        resources: Some(cs::LrmResources::default()),
        ..Default::default()
    });
}

pub fn node_up(cib: &mut Cib, uname: &str) {
    set_membership(cib, uname, true, "member");
}

pub fn node_down(cib: &mut Cib, uname: &str) {
    let st = set_membership(cib, uname, false, "down");
    clear_history(st);
}

pub fn node_fail(cib: &mut Cib, uname: &str) {
    set_membership(cib, uname, false, "member");
}

/// Marks a node fenced: down, its history and transient attributes cleared.
pub fn node_fenced(cib: &mut Cib, uname: &str) {
    let st = set_membership(cib, uname, false, "down");
    clear_history(st);
    st.transient = None;
}

/// The resource's class/provider/type from the configuration (any depth).
fn agent_of(cib: &Cib, rsc: &str) -> Option<(String, Option<String>, String)> {
    // Clone instances are recorded under their instance name ("rsc:0").
    let base = rsc.split(':').next().unwrap_or(rsc);
    let p =
        cib.configuration.as_ref()?.resources.as_ref()?.items.iter().find_map(|r| r.find_primitive(base))?;
    Some((p.class.clone().unwrap_or_default(), p.provider.clone(), p.agent.clone().unwrap_or_default()))
}

/// Records the result of `task` (interval in ms) of `rsc` on node `uname`.
/// `call_id` must grow with every recorded operation.
#[allow(clippy::too_many_arguments)]
pub fn record_op(
    cib: &mut Cib,
    uname: &str,
    rsc: &str,
    task: &str,
    interval_ms: u64,
    rc: i32,
    call_id: i64,
    now: i64,
) {
    let (class, provider, agent) =
        agent_of(cib, rsc).unwrap_or_else(|| ("ocf".into(), Some("heartbeat".into()), "Dummy".into()));
    let st = node_state(cib, uname);
    let node_id = st.id.clone();
    let lrm = st.lrm.get_or_insert_with(|| cs::Lrm { id: node_id.clone(), ..Default::default() });
    let resources = lrm.resources.get_or_insert_with(cs::LrmResources::default);
    let lr = match resources.resources.iter().position(|r| r.id() == rsc) {
        Some(i) => &mut resources.resources[i],
        None => {
            resources.resources.push(
                cs::LrmResource::new(rsc)
                    .with(cs::LrmAttr::Class, Some(&class))
                    .with(cs::LrmAttr::Provider, provider.as_deref())
                    .with(cs::LrmAttr::Agent, Some(&agent)),
            );
            resources.resources.last_mut().unwrap()
        }
    };
    let key = format!("{rsc}_{task}_{interval_ms}");
    let id = if interval_ms > 0 { key.clone() } else { format!("{rsc}_last_0") };
    let target = if task == "monitor" && interval_ms == 0 { 7 } else { rc };
    use cs::OpAttr as A;
    let op = cs::LrmRscOp::new(id.clone())
        .with(A::OperationKey, key)
        .with(A::Operation, task)
        .with(A::CrmDebugOrigin, "crm_simulate")
        .with(A::CrmFeatureSet, "3.16.2")
        .with(A::TransitionKey, format!("1:0:{target}:00000000-0000-0000-0000-000000000000"))
        .with(A::TransitionMagic, format!("0:{rc};1:0:{target}:00000000-0000-0000-0000-000000000000"))
        .with(A::ExitReason, "")
        .with(A::OnNode, uname)
        .with(A::CallId, call_id.to_string())
        .with(A::RcCode, rc.to_string())
        .with(A::OpStatus, "0")
        .with(A::Interval, interval_ms.to_string())
        .with(A::LastRcChange, now.to_string())
        .with(A::ExecTime, "0")
        .with(A::QueueTime, "0");
    // A stop ends the resource's recurring operations on this node; the record
    // of a failure stays until it is cleaned up.
    if task == "stop" {
        lr.ops.retain(|o| o.interval_text().is_none_or(|i| i == "0") || o.id().ends_with("_last_failure_0"));
    }
    // The result supersedes the same operation still recorded as pending
    // (older histories keep it under its own key).
    let pending = |o: &cs::LrmRscOp| o.call_id().is_none_or(|c| c < 0) || o.op_status() == Some(-1);
    lr.ops.retain(|o| {
        !(o.id() != id && pending(o) && o.operation() == Some(task) && o.interval_ms() == interval_ms)
    });
    match lr.ops.iter().position(|o| o.id() == id) {
        Some(i) => lr.ops[i] = op,
        None => lr.ops.push(op),
    }
}

/// The largest call-id recorded anywhere, so new records sort after it.
pub fn max_call_id(cib: &Cib) -> i64 {
    cib.status
        .iter()
        .flat_map(|s| s.nodes.iter())
        .flat_map(|n| n.lrm.iter())
        .flat_map(|l| l.resources.iter())
        .flat_map(|r| r.resources.iter())
        .flat_map(|r| r.ops.iter())
        .filter_map(|o| o.call_id())
        .max()
        .unwrap_or(0)
}

/// Sets the parameters' digest on the record of `task` (interval in ms) of
/// `rsc` on node `uname`, as the controller records it, so that a later run
/// sees the definition unchanged.
pub fn set_op_digest(cib: &mut Cib, uname: &str, rsc: &str, task: &str, interval_ms: u64, digest: &str) {
    let st = node_state(cib, uname);
    let key = format!("{rsc}_{task}_{interval_ms}");
    for r in st.lrm.iter_mut().flat_map(|l| l.resources.iter_mut()).flat_map(|r| r.resources.iter_mut()) {
        if r.id() != rsc {
            continue;
        }
        for o in r.ops.iter_mut().filter(|o| o.operation_key() == Some(key.as_str())) {
            o.set(cs::OpAttr::OpDigest, Some(digest.to_string()));
        }
    }
}
