//! Fencing and shutdown: unclean nodes are fenced (when stonith is enabled)
//! before anything that ran there is recovered; nodes shutting down stop their
//! resources first.

use super::actions::{ActionSet, EdgeFlags};
use super::cluster::*;

/// Whether unclean nodes can be fenced: fencing enabled, quorum (or a policy
/// that ignores it) and something to protect. Otherwise what ran there cannot
/// be assumed stopped.
pub fn can_fence(cluster: &Cluster) -> bool {
    let any_managed = cluster.resources.iter().any(|r| r.managed);
    cluster.options.stonith_enabled && super::placement::may_start(cluster) && any_managed
}

/// Whether `node` can be fenced: as [`can_fence`], except that without
/// quorum a node still in our membership (online) can be.
pub fn can_fence_node(cluster: &Cluster, node: NodeId) -> bool {
    let any_managed = cluster.resources.iter().any(|r| r.managed);
    cluster.options.stonith_enabled
        && any_managed
        && (super::placement::may_start(cluster) || cluster.node(node).online)
}

pub fn create_fencing(cluster: &Cluster, set: &mut ActionSet) {
    let mut unclean: Vec<NodeId> =
        cluster.node_ids().filter(|&n| cluster.node(n).unclean && can_fence_node(cluster, n)).collect();
    unclean.sort_by_key(|&n| cluster.node(n).fence_order);
    for n in unclean {
        let node = cluster.node(n);
        let mut fence = ActionSet::new_action(None, "stonith", 0, Some(n));
        fence.optional = false;
        fence.fence_type = Some(cluster.options.stonith_action.clone());
        fence.reason = node.fence_reason.clone();
        let f = set.add(fence);
        order_implied_stops(cluster, set, f, n);
        // Starts and promotions that need fencing wait for it; those that need
        // only quorum wait if the resource might still be active on the target.
        for (i, r) in cluster.resources.iter().enumerate() {
            if r.variant != Variant::Primitive {
                continue;
            }
            let rid = RscId(i);
            for task in ["start", "promote"] {
                for a in set.find(rid, task, None) {
                    if r.requires_fencing {
                        set.edge(f, a, EdgeFlags::ORDER);
                    } else if !r.requires_nothing
                        && task == "start"
                        && r.allowed.get(n.0).copied().flatten().is_some()
                        && !r.known_on.contains(&n)
                    {
                        set.edge(
                            f,
                            a,
                            EdgeFlags { ordered: true, runnable_left: true, ..Default::default() },
                        );
                    }
                }
            }
        }
    }
}

/// Stops (and demotes) on the fenced node are implied by the fencing. Those of
/// resources that require fencing, or on a guest node (whose "fencing" is a
/// container stop), happen after it, as does the first stop of the collection
/// they belong to. A fencing device's own stop there does not wait: the device
/// may be what the fencing needs.
fn order_implied_stops(cluster: &Cluster, set: &mut ActionSet, f: usize, n: NodeId) {
    let guest = cluster.node(n).is_guest();
    for (i, r) in cluster.resources.iter().enumerate() {
        if r.variant != Variant::Primitive || !(r.requires_fencing || guest) {
            continue;
        }
        let rid = RscId(i);
        let stops: Vec<usize> =
            set.find(rid, "stop", Some(n)).into_iter().filter(|&s| set.actions[s].pseudo).collect();
        if !stops.is_empty() {
            let top = cluster.top_of(rid);
            let parent_stop = set.find_first(top, "stop", None);
            for s in stops.into_iter().chain(parent_stop) {
                set.edge(f, s, EdgeFlags::ORDER);
            }
        }
        let node = cluster.node(n);
        if !node.online || node.unclean || r.failed {
            for d in set.find(rid, "demote", Some(n)) {
                if set.actions[d].pseudo {
                    set.edge(f, d, EdgeFlags::ORDER);
                }
            }
        }
    }
}

pub fn create_shutdowns(cluster: &Cluster, set: &mut ActionSet) {
    for n in cluster.node_ids() {
        let node = cluster.node(n);
        // Remote nodes are never sent a shutdown (they go with their
        // connection).
        if !node.shutdown || !node.online || node.unclean || node.remote_rsc.is_some() {
            continue;
        }
        let mut down = ActionSet::new_action(None, "do_shutdown", 0, Some(n));
        down.optional = false;
        let d = set.add(down);
        if node.maintenance {
            continue;
        }
        // Every stop there must happen first, and one that cannot run holds
        // the shutdown back; resources in maintenance or merely unmanaged
        // are left alone (a blocked one is not: it needs attention).
        let stops: Vec<usize> = set
            .actions
            .iter()
            .filter(|a| a.task == "stop" && a.node == Some(n) && a.interval_ms == 0)
            .filter(|a| {
                let r = cluster.rsc(a.rsc.expect("stops are of resources"));
                let maintenance = cluster.options.maintenance_mode
                    || r.meta.get("maintenance").is_some_and(|v| super::unpack::is_true(v));
                !maintenance && (r.managed || r.blocked)
            })
            .map(|a| a.id)
            .collect();
        for s in stops {
            set.actions[s].optional = false;
            set.edge(s, d, EdgeFlags { runnable_left: true, ..EdgeFlags::ORDER });
        }
    }
}

/// Orders fencing and shutdowns among themselves. The DC goes last (fencing
/// or shutting it down first would only force another election), and without
/// `concurrent-fencing` the other nodes are fenced one after the other, in
/// node order.
pub fn order_fencing_and_shutdowns(cluster: &Cluster, set: &mut ActionSet) {
    fn find(set: &ActionSet, task: &str, n: NodeId) -> Option<usize> {
        set.actions.iter().position(|a| {
            a.rsc.is_none()
                && a.task == task
                && a.node == Some(n)
                && !a.optional
                && !super::unfencing::is_unfence(a)
        })
    }
    let mut dc_down = None;
    let mut fences: Vec<usize> = Vec::new();
    let mut shutdowns: Vec<usize> = Vec::new();
    for n in cluster.node_ids() {
        let is_dc = cluster.dc_uuid.as_deref() == Some(cluster.node(n).id.as_str());
        let (action, fencing) = match (find(set, "stonith", n), find(set, "do_shutdown", n)) {
            (Some(f), _) => (f, true),
            (None, Some(s)) => (s, false),
            (None, None) => continue,
        };
        if is_dc {
            dc_down = Some((action, fencing));
        } else if fencing {
            if let (false, Some(&last)) = (cluster.options.concurrent_fencing, fences.last()) {
                set.edge(last, action, EdgeFlags::ORDER);
            }
            fences.push(action);
        } else {
            shutdowns.push(action);
        }
    }
    let Some((dc, dc_fenced)) = dc_down else { return };
    // Other nodes' shutdowns wait for a DC fencing only if that cannot loop
    // through a clone stop both need; so only a DC shutdown waits for them.
    if !dc_fenced {
        for &s in &shutdowns {
            set.edge(s, dc, EdgeFlags::ORDER);
        }
    }
    if cluster.options.concurrent_fencing {
        for &f in &fences {
            set.edge(f, dc, EdgeFlags::ORDER);
        }
    } else if let Some(&last) = fences.last() {
        set.edge(last, dc, EdgeFlags::ORDER);
    }
}
