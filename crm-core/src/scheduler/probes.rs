//! Probes: a one-time `monitor` (interval 0) of a resource on each node where
//! its state is unknown, before anything starts it. Collections probe their
//! members; an anonymous clone probes one instance per node.

use super::actions::{ActionSet, EdgeFlags};
use super::cluster::*;

/// Creates probes, nodes outer and resources inner, as Pacemaker numbers them.
/// Returns (probe, resource whose start must wait for it).
pub fn create_probes(cluster: &Cluster, set: &mut ActionSet) -> Vec<(usize, RscId)> {
    let mut out = Vec::new();
    for n in cluster.node_ids() {
        let node = cluster.node(n);
        if !node.online || node.unclean {
            continue;
        }
        for &r in &cluster.top {
            probe(cluster, set, r, n, &mut out);
        }
    }
    out
}

/// What a Pacemaker Remote node can never run is not probed there: fencing
/// devices, remote connections, and (on a guest) the containers of guests.
fn may_run_on_remote(cluster: &Cluster, r: RscId, n: NodeId) -> bool {
    let node = cluster.node(n);
    if node.remote_rsc.is_none() {
        return true;
    }
    let rsc = cluster.rsc(r);
    if rsc.is_stonith {
        return false;
    }
    let is_connection = cluster.remote_node_of(r).is_some_and(|m| cluster.node(m).container.is_none());
    let is_container = cluster.nodes.iter().any(|m| m.container.as_deref() == Some(&rsc.id));
    !(is_connection || (node.container.is_some() && is_container))
}

fn known_anywhere_on(cluster: &Cluster, r: RscId, n: NodeId) -> bool {
    let rsc = cluster.rsc(r);
    rsc.known_on.contains(&n) || rsc.children.iter().any(|&c| known_anywhere_on(cluster, c, n))
}

fn probe(cluster: &Cluster, set: &mut ActionSet, r: RscId, n: NodeId, out: &mut Vec<(usize, RscId)>) {
    let rsc = cluster.rsc(r);
    match rsc.variant {
        Variant::Group | Variant::Bundle => {
            for &c in &rsc.children {
                probe(cluster, set, c, n, out);
            }
        }
        Variant::Clone if rsc.unique => {
            for &c in &rsc.children {
                probe(cluster, set, c, n, out);
            }
        }
        Variant::Clone => {
            let mut by_number = rsc.children.clone();
            by_number.sort_by_key(|&c| instance_number(&cluster.rsc(c).id));
            let known = by_number.iter().copied().find(|&c| known_anywhere_on(cluster, c, n));
            let planned =
                || by_number.iter().copied().find(|&c| super::clone::assigned_node(cluster, c) == Some(n));
            if let Some(inst) = known.or_else(planned).or_else(|| by_number.first().copied()) {
                probe(cluster, set, inst, n, out);
            }
        }
        Variant::Primitive => {
            if rsc.orphan || rsc.known_on.contains(&n) || rsc.discovery_never.contains(&n) {
                return;
            }
            if rsc.discovery_exclusive && !exclusive_allows(cluster, r, n) {
                return;
            }
            if !may_run_on_remote(cluster, r, n) {
                return;
            }
            let mut p = ActionSet::new_action(Some(r), "monitor", 0, Some(n));
            p.is_probe = true;
            p.optional = false;
            // A node still joining runs nothing yet, probes included.
            p.runnable = !cluster.node(n).pending;
            let id = set.add(p);
            let top = cluster.top_of(r);
            let wait = if cluster.rsc(top).variant == Variant::Clone { top } else { r };
            out.push((id, wait));
        }
    }
}

fn instance_number(id: &str) -> usize {
    id.rsplit(':').next().and_then(|n| n.parse().ok()).unwrap_or(usize::MAX)
}

fn exclusive_allows(cluster: &Cluster, r: RscId, n: NodeId) -> bool {
    let mut cur = Some(r);
    while let Some(x) = cur {
        let rsc = cluster.rsc(x);
        if rsc
            .locations
            .iter()
            .any(|l| l.discovery == Discovery::Exclusive && l.scores.iter().any(|(nn, _)| *nn == n))
        {
            return true;
        }
        cur = rsc.parent;
    }
    false
}

/// Orders each probe before the start of its resource (or its clone). A probe
/// that cannot run keeps a resource that runs nowhere from starting, but does
/// not stop one already active.
pub fn order_probes(cluster: &Cluster, set: &mut ActionSet, probes: &[(usize, RscId)]) {
    for &(p, r) in probes {
        let probed = set.actions[p].rsc.expect("probes are of resources");
        let blocks = !set.actions[p].runnable && cluster.rsc(probed).running_on.is_empty();
        for s in set.find(r, "start", None) {
            set.edge(p, s, EdgeFlags { runnable_left: blocks, ..EdgeFlags::ORDER });
        }
    }
}
