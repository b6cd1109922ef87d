//! Load orderings: with a placement strategy other than `default`, what
//! stops on a node frees capacity there before anything starts on it. Each node
//! gets a `load_stopped_<node>` pseudo-action between the two.

use super::actions::{ActionSet, EdgeFlags};
use super::cluster::*;

/// Orders primitive `r`'s stops before its current nodes' `load_stopped`, and
/// every allowed node's `load_stopped` before its start there.
pub fn order_by_load(cluster: &Cluster, set: &mut ActionSet, r: RscId) {
    if cluster.options.placement_strategy.eq_ignore_ascii_case("default") {
        return;
    }
    let rsc = cluster.rsc(r);
    if rsc.utilization.is_empty() {
        return;
    }
    // Only the pair on the same node waits.
    let flags = EdgeFlags { ordered: true, same_node_only: true, ..Default::default() };
    for &n in &rsc.running_on {
        let load = load_stopped(cluster, set, n);
        for s in set.find(r, "stop", Some(n)) {
            set.edge(s, load, flags);
        }
    }
    for n in cluster.node_ids().filter(|n| rsc.allowed.get(n.0).is_some_and(Option::is_some)) {
        let load = load_stopped(cluster, set, n);
        for s in set.find(r, "start", Some(n)) {
            set.edge(load, s, flags);
        }
        // A migration waits for the load leaving where it goes, not where
        // the migrate_to runs.
        if rsc.assigned == Some(n) {
            for m in set.find(r, "migrate_to", None) {
                set.edge(load, m, EdgeFlags { ordered: true, ..Default::default() });
            }
        }
    }
}

/// The node's `load_stopped` pseudo-action, created on first use.
fn load_stopped(cluster: &Cluster, set: &mut ActionSet, n: NodeId) -> usize {
    let task = format!("load_stopped_{}", cluster.node(n).name);
    if let Some(a) = set.actions.iter().position(|a| a.rsc.is_none() && a.task == task) {
        return a;
    }
    let mut a = ActionSet::new_action(None, &task, 0, Some(n));
    a.pseudo = true;
    a.optional = false;
    set.add(a)
}
