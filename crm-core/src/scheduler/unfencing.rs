//! Unfencing: when some fencing device provides it (fabric fencing such as
//! `fence_scsi`), a node must be "fenced on" before resources that need it,
//! and the devices themselves, probe or start there. A node that has never
//! been unfenced (no `#node-unfenced` attribute) is unfenced now; one that was
//! is unfenced again only when a device's definition changed, which restarts
//! what needs unfencing there.
//!
//! The unfence operations are created in the order Pacemaker creates them
//! (definition changes, probes, stops, starts), which is the order the
//! summary lists them in, newest first.

use super::actions::{ActionSet, EdgeFlags};
use super::cluster::*;

/// The "on" fencing operation for `node`: created optional, made required by
/// [`require`].
fn unfence_op(set: &mut ActionSet, node: NodeId) -> usize {
    if let Some(i) = set
        .actions
        .iter()
        .position(|a| a.rsc.is_none() && a.task == "stonith" && a.node == Some(node) && is_unfence(a))
    {
        return i;
    }
    let mut a = ActionSet::new_action(None, "stonith", 0, Some(node));
    a.fence_type = Some("on".into());
    set.add(a)
}

pub fn is_unfence(a: &super::actions::Action) -> bool {
    a.task == "stonith" && a.fence_type.as_deref() == Some("on")
}

/// Whether `node` was ever unfenced.
fn unfenced(cluster: &Cluster, node: NodeId) -> bool {
    cluster.node(node).attrs.get("#node-unfenced").is_some_and(|v| v != "0")
}

fn can_unfence(cluster: &Cluster, node: NodeId) -> bool {
    let n = cluster.node(node);
    n.online && !n.unclean && !n.shutdown
}

/// Makes unfencing `node` required, keeping the first reason given.
fn require(cluster: &Cluster, set: &mut ActionSet, node: NodeId, reason: &str) {
    if !can_unfence(cluster, node) {
        return;
    }
    let u = unfence_op(set, node);
    let a = &mut set.actions[u];
    if a.optional {
        a.optional = false;
        if a.reason.is_none() {
            a.reason = Some(reason.to_string());
        }
    }
}

/// Whether `rsc`'s probes and starts wait for unfencing.
fn waits_for_unfencing(cluster: &Cluster, r: &Resource) -> bool {
    (r.is_stonith && cluster.options.unfencing_enabled) || r.requires_unfencing
}

pub fn create_unfencing(cluster: &Cluster, set: &mut ActionSet, probes: &[(usize, RscId)]) {
    if !cluster.options.unfencing_enabled {
        return;
    }
    // A device whose definition changed: unfence where its history was, or
    // else everywhere it may run.
    for r in cluster.resources.iter().filter(|r| r.is_stonith && r.variant == Variant::Primitive) {
        let changes = r
            .agent_changed_on
            .iter()
            .map(|&n| (n, "Device definition changed"))
            .chain(r.digest_changed_on.iter().map(|&n| (n, "Device parameters changed")))
            .chain(r.reload_on.iter().map(|&n| (n, "Device parameters changed (reload)")))
            .chain(r.reschedule.iter().map(|&(n, _)| (n, "Device parameters changed (reschedule)")));
        for (n, why) in changes {
            if can_unfence(cluster, n) {
                require(cluster, set, n, why);
            } else {
                for m in cluster.node_ids().filter(|&m| r.allowed.get(m.0).copied().flatten().is_some()) {
                    require(cluster, set, m, why);
                }
            }
        }
    }
    for &(p, r) in probes {
        let rsc = cluster.rsc(r);
        let Some(n) = set.actions[p].node else { continue };
        if !waits_for_unfencing(cluster, rsc) {
            continue;
        }
        let u = unfence_op(set, n);
        set.edge(u, p, EdgeFlags::ORDER);
        if !unfenced(cluster, n) {
            require(cluster, set, n, &format!("required by {} monitor", rsc.id));
        }
    }
    for (i, rsc) in cluster.resources.iter().enumerate() {
        if rsc.variant != Variant::Primitive || !rsc.requires_unfencing {
            continue;
        }
        let r = RscId(i);
        // Whatever needs unfencing stops before the node is unfenced again.
        for s in set.find(r, "stop", None) {
            let Some(n) = set.actions[s].node else { continue };
            let u = unfence_op(set, n);
            set.edge(s, u, EdgeFlags { ordered: true, implies_first: true, ..Default::default() });
        }
    }
    for (i, rsc) in cluster.resources.iter().enumerate() {
        if rsc.variant != Variant::Primitive || !waits_for_unfencing(cluster, rsc) {
            continue;
        }
        let r = RscId(i);
        for s in set.find(r, "start", None) {
            let Some(n) = set.actions[s].node else { continue };
            let u = unfence_op(set, n);
            set.edge(u, s, EdgeFlags { ordered: true, implies_then: true, ..Default::default() });
            if !unfenced(cluster, n) {
                require(cluster, set, n, &format!("required by {} start", rsc.id));
            }
        }
    }
}
