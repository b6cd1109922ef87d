//! Recurring monitors for the Stopped role (`<op role="Stopped">`): they watch
//! that the resource stays down on every node where it will not run, and are
//! cancelled where it is about to start.

use super::actions::{ActionSet, EdgeFlags};
use super::cluster::*;

/// Creates, before any other action, an optional action for each recurring
/// operation the history shows running on an online node; later stages find
/// them to tell a monitor already running from one to start.
pub fn create_history_actions(cluster: &Cluster, set: &mut ActionSet) {
    for (r, n, task, interval) in &cluster.history_recurring {
        if !cluster.node(*n).online || set.find_recurring(*r, task, *interval, *n).is_some() {
            continue;
        }
        let mut a = ActionSet::new_action(Some(*r), task, *interval, Some(*n));
        // A recovery step noted while reading a failure is required from the start.
        a.optional = *interval > 0;
        set.add(a);
    }
}

/// Creates the Stopped-role monitors of primitive `r`, once its stops and
/// starts exist. `next` is the node it will be active on, if any.
pub fn create_stopped_monitors(cluster: &Cluster, set: &mut ActionSet, r: RscId, next: Option<NodeId>) {
    let rsc = cluster.rsc(r);
    let maintenance = rsc.meta.get("maintenance").is_some_and(|v| super::unpack::is_true(v));
    if rsc.blocked || maintenance || cluster.options.maintenance_mode {
        return;
    }
    // Pacemaker does not support them for anonymous clone instances.
    if rsc.base_id.is_some() && !cluster.rsc(cluster.top_of(r)).unique {
        return;
    }
    for op in &rsc.ops {
        let wanted =
            op.name == "monitor" && op.interval_ms > 0 && op.enabled && op.role == Some(Role::Stopped);
        if !wanted || rsc.is_duplicate_op(op) {
            continue;
        }
        for n in cluster.node_ids() {
            let running = set.find_recurring(r, "monitor", op.interval_ms, n);
            if Some(n) == next {
                if let Some(i) = running {
                    cancel_before_start(set, r, i, rsc.next_role);
                }
                continue;
            }
            let mut mon = match running {
                Some(i) => set.actions[i].clone(),
                None => ActionSet::new_action(Some(r), "monitor", op.interval_ms, Some(n)),
            };
            mon.stopped_role = true;
            mon.optional = running.is_some();
            let node = cluster.node(n);
            mon.runnable = node.online && !node.unclean;
            let stops = set.find(r, "stop", Some(n));
            for &s in &stops {
                let stop = &set.actions[s];
                if !stop.optional && !mon.optional && !rsc.managed {
                    mon.optional = true;
                }
                if !stop.runnable {
                    mon.runnable = false;
                }
            }
            let probes: Vec<usize> = set
                .of_rsc(r)
                .iter()
                .copied()
                .filter(|&i| set.actions[i].is_probe && set.actions[i].node == Some(n))
                .collect();
            let m = match running {
                Some(i) => {
                    set.actions[i] = mon;
                    i
                }
                None => set.add(mon),
            };
            if rsc.managed {
                for p in probes {
                    set.edge(p, m, EdgeFlags { ordered: true, runnable_left: true, ..Default::default() });
                }
                for s in stops {
                    set.edge(
                        s,
                        m,
                        EdgeFlags {
                            ordered: true,
                            implies_then: true,
                            runnable_left: true,
                            ..Default::default()
                        },
                    );
                }
            }
        }
    }
}

/// A Stopped-role monitor still running where the resource will start is
/// cancelled first.
fn cancel_before_start(set: &mut ActionSet, r: RscId, c: usize, next_role: Role) {
    set.make_cancel(c);
    if matches!(next_role, Role::Started | Role::Unpromoted) {
        for s in set.find(r, "start", None) {
            set.edge(c, s, EdgeFlags { ordered: true, runnable_left: true, ..Default::default() });
        }
    }
}
