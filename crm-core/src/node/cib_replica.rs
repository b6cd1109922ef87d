//! One member's copy of the CIB. Every member applies the same changes in the
//! same (delivery) order, so the copies stay equal without a leader; the
//! version counters move as Pacemaker moves them, and after a partition the
//! newest copy wins.

use std::collections::BTreeMap;

use cib_schema as cs;
use cib_schema::{Cib, CibVersion};
use thiserror::Error;

use super::message::{CibChange, OpRecord};
use crate::inject;

/// Why a change was refused; every replica refuses it alike, so nothing moves.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ChangeError {
    #[error("no resource '{0}' in the configuration")]
    UnknownResource(String),
    #[error("no node '{0}' in the configuration")]
    UnknownNode(String),
    #[error("the configuration changed since it was read (epoch {found_admin}.{found}, edited {base_admin}.{base}); read it again")]
    Conflict { base_admin: u64, base: u64, found_admin: u64, found: u64 },
    #[error("invalid configuration: {0}")]
    InvalidConfiguration(String),
}

/// Pacemaker's operation status for an operation still running.
const EXEC_PENDING: &str = "-1";
/// Pacemaker's rc for an operation still running.
const PCMK_OCF_UNKNOWN: &str = "193";

#[derive(Debug, Clone)]
pub struct CibReplica {
    cib: Cib,
}

impl CibReplica {
    pub fn new(cib: Cib) -> Self {
        CibReplica { cib }
    }

    pub fn cib(&self) -> &Cib {
        &self.cib
    }

    pub fn version(&self) -> CibVersion {
        self.cib.version()
    }

    /// Whether `other` should replace ours on a merge: the higher
    /// `(admin_epoch, epoch, num_updates)` wins. Equal versions with different
    /// content (two partitions that each recorded the same number of status
    /// updates) are ordered by their XML so that every member picks the same one.
    pub fn is_newer(other: &Cib, ours: &Cib) -> bool {
        match other.version().cmp(&ours.version()) {
            std::cmp::Ordering::Greater => true,
            std::cmp::Ordering::Less => false,
            std::cmp::Ordering::Equal => other != ours && cs::to_xml(other) > cs::to_xml(ours),
        }
    }

    pub fn adopt(&mut self, cib: Cib) {
        self.cib = cib;
    }

    /// Applies `change` at time `now_s` and moves the version: a configuration
    /// change is a new epoch (num_updates back to 0), a status change one more
    /// update.
    pub fn apply(&mut self, change: &CibChange, now_s: i64) -> Result<(), ChangeError> {
        let cib = &mut self.cib;
        match change {
            CibChange::SetClusterProperty { name, value } => {
                let cfg = cib.configuration_mut();
                let crm_config = cfg.crm_config.get_or_insert_with(Default::default);
                if crm_config.sets.is_empty() {
                    crm_config.sets.push(cs::NvSet::new("cluster_property_set", "cib-bootstrap-options"));
                }
                set_nvpair(&mut crm_config.sets[0], "cib-bootstrap-options", name, value.as_deref());
            }
            CibChange::SetResourceMeta { rsc, name, value } => {
                let r = find_resource(cib, rsc).ok_or_else(|| ChangeError::UnknownResource(rsc.clone()))?;
                let meta = r.meta_mut();
                if meta.is_empty() {
                    meta.push(cs::NvSet::new("meta_attributes", format!("{rsc}-meta_attributes")));
                }
                set_nvpair(&mut meta[0], &format!("{rsc}-meta_attributes"), name, value.as_deref());
            }
            CibChange::RecordOp { node, op, .. } => {
                known_node(cib, node)?;
                let failed = record(cib, node, op, now_s);
                if let Some(failure) = failed {
                    count_failure(cib, node, op, &failure, now_s);
                }
            }
            CibChange::NodeHistory { node, ops, seen_up } => {
                known_node(cib, node)?;
                let configured = configured_nodes(cib);
                for seen in seen_up.iter().filter(|n| configured.contains(n)) {
                    expect_up(cib, seen);
                }
                // The node's executor is the truth about the node: replace what
                // the CIB remembered (it may come from a partition that never
                // heard of the node's latest operations).
                clear_history(cib, node);
                for op in ops {
                    record(cib, node, op, now_s);
                }
            }
            CibChange::NodeStates { members } => {
                for uname in configured_nodes(cib) {
                    if members.contains(&uname) {
                        inject::node_up(cib, &uname);
                    } else {
                        mark_lost(cib, &uname);
                    }
                    set_origin(cib, &uname);
                }
            }
            CibChange::NodeFenced { node, .. } => {
                known_node(cib, node)?;
                inject::node_fenced(cib, node);
                set_origin(cib, node);
            }
            CibChange::ClearFailures { rsc } => clear_failures(cib, rsc.as_deref()),
            CibChange::ReplaceConfiguration { xml, base } => {
                let (admin, epoch, _) = cib.version();
                if let Some((base_admin, base)) = *base {
                    if (base_admin, base) != (admin, epoch) {
                        return Err(ChangeError::Conflict {
                            base_admin,
                            base,
                            found_admin: admin,
                            found: epoch,
                        });
                    }
                }
                let new = cs::parse(xml).map_err(|e| ChangeError::InvalidConfiguration(e.to_string()))?;
                let (new_admin, _, _) = new.version();
                let configuration = new
                    .configuration
                    .ok_or_else(|| ChangeError::InvalidConfiguration("no <configuration> element".into()))?;
                cib.configuration = Some(configuration);
                // A tool may raise admin_epoch (cibadmin does on request); never lower it.
                if new_admin > admin {
                    cib.set_version((new_admin, epoch, 0));
                }
            }
            CibChange::SetNodeAttribute { node, name, value, transient } => {
                known_node(cib, node)?;
                if *transient {
                    let st = inject::node_state(cib, node);
                    let id = st.id.clone().unwrap_or_else(|| node.clone());
                    let attrs = st.transient.get_or_insert_with(|| cs::TransientAttributes {
                        id: Some(id.clone()),
                        ..Default::default()
                    });
                    if attrs.sets.is_empty() {
                        attrs.sets.push(cs::NvSet::new("instance_attributes", format!("status-{id}")));
                    }
                    set_nvpair(&mut attrs.sets[0], &format!("status-{id}"), name, value.as_deref());
                } else {
                    let n = cib
                        .configuration_mut()
                        .nodes
                        .get_or_insert_with(Default::default)
                        .nodes
                        .iter_mut()
                        .find(|n| n.uname.as_deref() == Some(node) || n.id == *node)
                        .expect("known_node found it");
                    let prefix = format!("nodes-{}", n.id);
                    if n.instance.is_empty() {
                        n.instance.push(cs::NvSet::new("instance_attributes", prefix.clone()));
                    }
                    set_nvpair(&mut n.instance[0], &prefix, name, value.as_deref());
                }
            }
        }
        let (admin, epoch, updates) = cib.version();
        cib.set_version(if change.is_configuration() {
            (admin, epoch + 1, 0)
        } else {
            (admin, epoch, updates + 1)
        });
        Ok(())
    }
}

/// Node names from the configuration, in document order.
pub fn configured_nodes(cib: &Cib) -> Vec<String> {
    cib.configuration
        .iter()
        .flat_map(|c| c.nodes.iter())
        .flat_map(|n| n.nodes.iter())
        .map(|n| n.uname.clone().unwrap_or_else(|| n.id.clone()))
        .collect()
}

/// The node name the configuration gives Corosync node `id`.
pub fn uname_of(cib: &Cib, id: u32) -> Option<String> {
    cib.configuration
        .iter()
        .flat_map(|c| c.nodes.iter())
        .flat_map(|n| n.nodes.iter())
        .find(|n| n.id == id.to_string())
        .map(|n| n.uname.clone().unwrap_or_else(|| n.id.clone()))
}

fn known_node(cib: &Cib, uname: &str) -> Result<(), ChangeError> {
    if configured_nodes(cib).iter().any(|n| n == uname) {
        Ok(())
    } else {
        Err(ChangeError::UnknownNode(uname.to_string()))
    }
}

fn state_mut<'a>(cib: &'a mut Cib, uname: &str) -> Option<&'a mut cs::NodeState> {
    cib.status.as_mut()?.nodes.iter_mut().find(|s| s.uname.as_deref() == Some(uname))
}

fn set_origin(cib: &mut Cib, uname: &str) {
    if let Some(st) = state_mut(cib, uname) {
        st.crm_debug_origin = Some("crmd".into());
    }
}

/// Out of the membership without saying goodbye: still expected, so the
/// scheduler sees it unclean and fences it before recovering its resources.
fn mark_lost(cib: &mut Cib, uname: &str) {
    // A node never seen keeps no node_state: the scheduler's startup-fencing
    // rules decide about it.
    let Some(st) = state_mut(cib, uname) else { return };
    st.in_ccm = Some("false".into());
    st.crmd = Some("offline".into());
    st.join = Some("down".into());
}

/// A member saw `uname` up and has not seen it fenced: unless it asked to
/// shut down, losing it is unexpected (the scheduler fences it).
fn expect_up(cib: &mut Cib, uname: &str) {
    let Some(st) = state_mut(cib, uname) else { return };
    let shutting_down = st
        .transient
        .iter()
        .flat_map(|t| t.sets.iter())
        .any(|s| s.get("shutdown").is_some_and(|v| !v.is_empty() && v != "0"));
    if !shutting_down {
        st.expected = Some("member".into());
    }
}

fn clear_history(cib: &mut Cib, uname: &str) {
    // Creates the node_state if the node has none yet.
    inject::node_up(cib, uname);
    if let Some(st) = state_mut(cib, uname) {
        st.lrm = Some(cs::Lrm {
            id: st.id.clone(),
            resources: Some(cs::LrmResources::default()),
            ..Default::default()
        });
    }
}

fn op_succeeded(o: &cs::LrmRscOp) -> bool {
    let rc = o.rc_code().unwrap_or(0);
    let task = o.operation().unwrap_or("");
    succeeded(task, o.interval_ms(), rc) || o.op_status_text() == Some(EXEC_PENDING)
}

/// Whether an operation's result is one the cluster expects in normal life.
pub fn succeeded(task: &str, interval_ms: u64, rc: i32) -> bool {
    let expected = if task == "monitor" && interval_ms == 0 { [0, 7] } else { [0, 8] };
    // A stop that reports "not running" did its job.
    expected.contains(&rc) || (task == "stop" && rc == 7)
}

/// Records one operation; returns a description of the failure if it failed.
fn record(cib: &mut Cib, uname: &str, op: &OpRecord, now_s: i64) -> Option<String> {
    let call_id = inject::max_call_id(cib) + 1;
    inject::record_op(cib, uname, &op.rsc, &op.task, op.interval_ms, op.rc, call_id, now_s);
    if op.interval_ms == 0 {
        set_digest(cib, uname, op);
    }
    if op.pending {
        mark_pending(cib, uname, op);
        return None;
    }
    let ok = succeeded(&op.task, op.interval_ms, op.rc);
    // The transition key carries the result that was expected, so that the
    // scheduler and crm_mon tell a failure from a success by comparing them.
    let expected = match (op.task.as_str(), op.interval_ms) {
        ("monitor", 0) => 7,
        _ if ok => op.rc,
        _ => 0,
    };
    for o in ops_mut(cib, uname, op) {
        set_expected(o, expected);
    }
    if ok {
        return None;
    }
    remember_failure(cib, uname, op);
    Some(format!("{}_{}_{}", op.rsc, op.task, op.interval_ms))
}

fn set_expected(o: &mut cs::LrmRscOp, expected: i32) {
    let rc = o.rc_code().unwrap_or(0);
    if let Some(key) = o.transition_key() {
        let parts: Vec<&str> = key.splitn(4, ':').collect();
        if let [action, transition, _, uuid] = parts[..] {
            let key = format!("{action}:{transition}:{expected}:{uuid}");
            o.set(cs::OpAttr::TransitionMagic, Some(format!("0:{rc};{key}")));
            o.set(cs::OpAttr::TransitionKey, Some(key));
        }
    }
}

/// A copy of the failed operation under `<rsc>_last_failure_0`, as Pacemaker's
/// controller keeps it: it outlives the recovery (the recurring monitor's own
/// record is overwritten by the next result) until the failure is cleaned up.
fn remember_failure(cib: &mut Cib, uname: &str, op: &OpRecord) {
    let Some(failed) = ops_mut(cib, uname, op).next().cloned() else { return };
    let id = format!("{}_last_failure_0", op.rsc);
    let Some(st) = state_mut(cib, uname) else { return };
    let resources =
        st.lrm.iter_mut().flat_map(|l| l.resources.iter_mut()).flat_map(|r| r.resources.iter_mut());
    if let Some(r) = resources.into_iter().find(|r| r.id() == op.rsc) {
        r.ops.retain(|o| o.id() != id);
        let mut copy = failed;
        copy.set_id(&id);
        r.ops.push(copy);
    }
}

/// The parameters' digest, as the controller records it, so that the
/// scheduler sees the resource's definition unchanged. (Operation-level
/// parameters are not included yet.)
fn set_digest(cib: &mut Cib, uname: &str, op: &OpRecord) {
    use crate::scheduler::digest;
    let (_, _, _, params) = agent_of(cib, &op.rsc);
    let d = digest::OpParams { rsc: &params, op: &BTreeMap::new(), recurring_timeout_ms: None }.digest();
    for o in ops_mut(cib, uname, op) {
        o.set(cs::OpAttr::OpDigest, Some(d.clone()));
    }
}

/// The records of `op`'s operation key on `uname`.
fn ops_mut<'a>(cib: &'a mut Cib, uname: &str, op: &OpRecord) -> impl Iterator<Item = &'a mut cs::LrmRscOp> {
    let key = format!("{}_{}_{}", op.rsc, op.task, op.interval_ms);
    let rsc = op.rsc.clone();
    state_mut(cib, uname)
        .into_iter()
        .flat_map(|st| st.lrm.iter_mut())
        .flat_map(|l| l.resources.iter_mut())
        .flat_map(|r| r.resources.iter_mut())
        .filter(move |r| r.id() == rsc)
        .flat_map(|r| r.ops.iter_mut())
        .filter(move |o| o.operation_key() == Some(key.as_str()))
}

fn mark_pending(cib: &mut Cib, uname: &str, op: &OpRecord) {
    for o in ops_mut(cib, uname, op) {
        o.set(cs::OpAttr::CallId, Some("-1".into()));
        o.set(cs::OpAttr::OpStatus, Some(EXEC_PENDING.into()));
        o.set(cs::OpAttr::RcCode, Some(PCMK_OCF_UNKNOWN.into()));
    }
}

/// What the controller does on a failed operation: raise the resource's fail
/// count on that node (to INFINITY for a failed start, as
/// `start-failure-is-fatal` defaults) and remember when.
fn count_failure(cib: &mut Cib, uname: &str, op: &OpRecord, key: &str, now_s: i64) {
    let rsc_key = key.strip_prefix(op.rsc.as_str()).unwrap_or(key).trim_start_matches('_');
    let fc_name = format!("fail-count-{}#{}", op.rsc, rsc_key);
    let lf_name = format!("last-failure-{}#{}", op.rsc, rsc_key);
    let Some(st) = state_mut(cib, uname) else { return };
    let node_id = st.id.clone().unwrap_or_default();
    let transient = st
        .transient
        .get_or_insert_with(|| cs::TransientAttributes { id: Some(node_id.clone()), ..Default::default() });
    if transient.sets.is_empty() {
        transient.sets.push(cs::NvSet::new("instance_attributes", format!("status-{node_id}")));
    }
    let set = &mut transient.sets[0];
    let prefix = format!("status-{node_id}");
    let old = set.get(&fc_name).map(str::to_string);
    let new = if op.task == "start" {
        "INFINITY".to_string()
    } else {
        match old.as_deref() {
            Some("INFINITY") => "INFINITY".to_string(),
            Some(v) => (v.parse::<i64>().unwrap_or(0) + 1).to_string(),
            None => "1".to_string(),
        }
    };
    set_nvpair(set, &prefix, &fc_name, Some(&new));
    set_nvpair(set, &prefix, &lf_name, Some(&now_s.to_string()));
}

fn clear_failures(cib: &mut Cib, rsc: Option<&str>) {
    let matches = |name: &str| match rsc {
        None => name.starts_with("fail-count-") || name.starts_with("last-failure-"),
        Some(r) => {
            let rest = name.strip_prefix("fail-count-").or_else(|| name.strip_prefix("last-failure-"));
            rest.is_some_and(|rest| rest == r || rest.starts_with(&format!("{r}#")))
        }
    };
    for st in cib.status.iter_mut().flat_map(|s| s.nodes.iter_mut()) {
        for set in st.transient.iter_mut().flat_map(|t| t.sets.iter_mut()) {
            set.nvpairs.retain(|p| !p.name.as_deref().is_some_and(matches));
        }
        // Like `crm_resource --cleanup`: the failed resource's history goes
        // too, so the scheduler probes it afresh instead of trusting a failure
        // nobody counts any more.
        for res in st.lrm.iter_mut().flat_map(|l| l.resources.iter_mut()) {
            res.resources.retain(|r| {
                let selected = rsc.is_none_or(|id| r.id() == id);
                !(selected && r.ops.iter().any(|o| !op_succeeded(o)))
            });
        }
    }
}

fn set_nvpair(set: &mut cs::NvSet, id_prefix: &str, name: &str, value: Option<&str>) {
    match value {
        None => set.nvpairs.retain(|p| p.name.as_deref() != Some(name)),
        Some(v) => match set.nvpairs.iter_mut().find(|p| p.name.as_deref() == Some(name)) {
            Some(p) => p.value = Some(v.to_string()),
            None => set.nvpairs.push(cs::NvPair {
                id: Some(format!("{id_prefix}-{name}")),
                name: Some(name.to_string()),
                value: Some(v.to_string()),
                ..Default::default()
            }),
        },
    }
}

fn find_resource<'a>(cib: &'a mut Cib, id: &str) -> Option<&'a mut cs::Resource> {
    fn walk<'a>(r: &'a mut cs::Resource, id: &str) -> Option<&'a mut cs::Resource> {
        if r.id() == id {
            return Some(r);
        }
        match r {
            cs::Resource::Clone(c) => c.child.as_deref_mut().and_then(|c| walk(c, id)),
            cs::Resource::Master(c) => c.child.as_deref_mut().and_then(|c| walk(c, id)),
            _ => None,
        }
    }
    cib.configuration.as_mut()?.resources.as_mut()?.items.iter_mut().find_map(|r| walk(r, id))
}

/// The agent and its parameters (the first instance attribute set; rules are
/// not evaluated yet) for resource `rsc`, found at any depth.
pub fn agent_of(cib: &Cib, rsc: &str) -> (String, Option<String>, String, BTreeMap<String, String>) {
    let found = cib
        .configuration
        .as_ref()
        .and_then(|c| c.resources.as_ref())
        .and_then(|rs| rs.items.iter().find_map(|r| r.find_primitive(rsc)));
    match found {
        Some(p) => {
            let params = p
                .instance
                .first()
                .map(|set| {
                    set.nvpairs
                        .iter()
                        .filter_map(|nv| Some((nv.name.clone()?, nv.value.clone().unwrap_or_default())))
                        .collect()
                })
                .unwrap_or_default();
            (
                p.class.clone().unwrap_or_default(),
                p.provider.clone(),
                p.agent.clone().unwrap_or_default(),
                params,
            )
        }
        None => (String::new(), None, String::new(), BTreeMap::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CIB: &str = r#"<cib admin_epoch="0" epoch="5" num_updates="3">
  <configuration>
    <crm_config/>
    <nodes><node id="1" uname="node1"/><node id="2" uname="node2"/></nodes>
    <resources><primitive id="vip" class="ocf" provider="heartbeat" type="IPaddr2"/></resources>
    <constraints/>
  </configuration>
  <status/>
</cib>"#;

    fn replica() -> CibReplica {
        CibReplica::new(cs::parse(CIB).unwrap())
    }

    #[test]
    fn configuration_change_is_a_new_epoch_and_status_change_an_update() {
        let mut r = replica();
        let prop =
            CibChange::SetClusterProperty { name: "stonith-enabled".into(), value: Some("false".into()) };
        r.apply(&prop, 0).unwrap();
        assert_eq!(r.version(), (0, 6, 0));
        let op = OpRecord { rsc: "vip".into(), task: "start".into(), interval_ms: 0, rc: 0, pending: false };
        r.apply(&CibChange::RecordOp { node: "node1".into(), op, action: None }, 0).unwrap();
        assert_eq!(r.version(), (0, 6, 1));
    }

    #[test]
    fn refused_change_moves_nothing() {
        let mut r = replica();
        let before = r.cib().clone();
        let c = CibChange::SetResourceMeta { rsc: "nope".into(), name: "target-role".into(), value: None };
        assert_eq!(r.apply(&c, 0), Err(ChangeError::UnknownResource("nope".into())));
        assert_eq!(r.cib(), &before);
    }

    #[test]
    fn failed_start_is_fatal_for_that_node() {
        let mut r = replica();
        let op = OpRecord { rsc: "vip".into(), task: "start".into(), interval_ms: 0, rc: 1, pending: false };
        r.apply(&CibChange::RecordOp { node: "node2".into(), op, action: None }, 100).unwrap();
        let xml = cs::to_xml(r.cib());
        assert!(xml.contains(r#"name="fail-count-vip#start_0" value="INFINITY""#), "{xml}");
        r.apply(&CibChange::ClearFailures { rsc: Some("vip".into()) }, 0).unwrap();
        assert!(!cs::to_xml(r.cib()).contains("fail-count-vip"));
    }

    #[test]
    fn a_failure_is_remembered_past_the_recovery_until_cleanup() {
        let mut r = replica();
        let op = |task: &str, interval_ms, rc| OpRecord {
            rsc: "vip".into(),
            task: task.into(),
            interval_ms,
            rc,
            pending: false,
        };
        for (task, interval, rc) in [("start", 0, 0), ("monitor", 10_000, 7), ("stop", 0, 0), ("start", 0, 0)]
        {
            r.apply(
                &CibChange::RecordOp { node: "node1".into(), op: op(task, interval, rc), action: None },
                5,
            )
            .unwrap();
        }
        let xml = cs::to_xml(r.cib());
        assert!(xml.contains(r#"id="vip_last_failure_0""#), "{xml}");
        assert!(xml.contains(r#"transition-magic="0:7;1:0:0:"#), "the expected rc is 0: {xml}");
        r.apply(&CibChange::ClearFailures { rsc: Some("vip".into()) }, 6).unwrap();
        assert!(!cs::to_xml(r.cib()).contains("vip_last_failure_0"));
    }

    #[test]
    fn newest_wins_and_ties_are_broken_the_same_everywhere() {
        let a = replica();
        let mut b = replica();
        b.apply(&CibChange::NodeStates { members: vec!["node1".into()] }, 0).unwrap();
        assert!(CibReplica::is_newer(b.cib(), a.cib()));
        assert!(!CibReplica::is_newer(a.cib(), b.cib()));
        let mut c = replica();
        c.apply(&CibChange::NodeStates { members: vec!["node2".into()] }, 0).unwrap();
        assert_ne!(CibReplica::is_newer(b.cib(), c.cib()), CibReplica::is_newer(c.cib(), b.cib()));
    }
}
