//! Probes: a one-time `monitor` (interval 0) of every resource on every node
//! where its state is unknown, before anything starts it.

use super::actions::{ActionSet, EdgeFlags};
use super::cluster::*;

/// Creates probes, nodes outer and resources inner, as Pacemaker numbers them.
pub fn create_probes(cluster: &Cluster, set: &mut ActionSet) {
    let prims = cluster.primitives();
    for n in cluster.node_ids() {
        let node = cluster.node(n);
        if !node.online || node.unclean || node.pending {
            continue;
        }
        for &r in &prims {
            let rsc = cluster.rsc(r);
            if rsc.orphan || rsc.known_on.contains(&n) || rsc.discovery_never.contains(&n) {
                continue;
            }
            if rsc.discovery_exclusive && !exclusive_allows(cluster, r, n) {
                continue;
            }
            let mut probe = ActionSet::new_action(Some(r), "monitor", 0, Some(n));
            probe.is_probe = true;
            probe.optional = false;
            set.add(probe);
        }
    }
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

/// Orders each probe before the starts of its resource.
pub fn order_probes(set: &mut ActionSet) {
    let probes: Vec<usize> = set.actions.iter().filter(|a| a.is_probe).map(|a| a.id).collect();
    for p in probes {
        let r = set.actions[p].rsc.expect("probes belong to resources");
        for s in set.find(r, "start", None) {
            set.edge(p, s, EdgeFlags::ORDER);
        }
    }
}
