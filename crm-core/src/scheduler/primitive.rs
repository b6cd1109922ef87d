//! The primitive variant: one agent instance, placed on at most one node.

use super::actions::{ActionSet, EdgeFlags};
use super::cluster::*;
use super::placement;
use super::variants::{ResourceVariant, MANDATORY};

pub struct Primitive;

impl ResourceVariant for Primitive {
    fn assign(&self, cluster: &mut Cluster, r: RscId, prefer: Option<NodeId>) {
        placement::assign_primitive(cluster, r, prefer);
    }

    fn create_actions(&self, cluster: &Cluster, set: &mut ActionSet, r: RscId) {
        let rsc = cluster.rsc(r);
        let next = rsc.assigned.filter(|_| rsc.next_role.is_active());
        let multiply_active = rsc.running_on.len() > 1;

        for &c in &rsc.running_on {
            let node = cluster.node(c);
            let required = rsc.managed
                && (next != Some(c) || rsc.failed || multiply_active || rsc.digest_changed_on.contains(&c));
            let mut stop = ActionSet::new_action(Some(r), "stop", 0, Some(c));
            stop.optional = !required;
            if !rsc.managed {
                stop.runnable = false;
            } else if node.unclean {
                if cluster.options.stonith_enabled {
                    stop.pseudo = true;
                } else {
                    stop.runnable = false;
                }
            }
            if required && next.is_none() {
                stop.reason = Some(stop_reason(cluster, r));
            }
            if rsc.digest_changed_on.contains(&c) && next == Some(c) && !rsc.failed {
                stop.reason = Some("resource definition change".into());
            }
            set.add(stop);
        }

        // A start always exists, on no node when the resource cannot run; an
        // unrunnable start is what blocks resources ordered after it.
        let early =
            set.actions.iter().position(|a| a.rsc == Some(r) && a.task == "start" && a.node.is_none());
        let mut start = match early {
            Some(i) => {
                let mut a = set.actions[i].clone();
                a.node = next;
                a
            }
            None => ActionSet::new_action(Some(r), "start", 0, next),
        };
        let already = next.is_some_and(|n| rsc.running_on == [n]);
        start.optional = !rsc.managed
            || !(next.is_some()
                && (!already || rsc.failed || rsc.digest_changed_on.contains(&next.unwrap())));
        match next {
            None => start.runnable = false,
            Some(n) => {
                if !rsc.managed || !cluster.node(n).can_run_resources() {
                    start.runnable = false;
                } else if !placement::may_start(cluster) {
                    start.runnable = false;
                    start.reason = Some("no quorum".into());
                }
            }
        }
        if rsc.digest_changed_on.iter().any(|&d| Some(d) == next) && !rsc.failed {
            start.reason = Some("resource definition change".into());
        }
        let start_id = match early {
            Some(i) => {
                set.actions[i] = start;
                i
            }
            None => set.add(start),
        };

        if let Some(n) = next {
            for op in &rsc.ops {
                if op.interval_ms == 0 || op.name != "monitor" || !op.enabled {
                    continue;
                }
                if matches!(op.role, Some(Role::Stopped) | Some(Role::Promoted) | Some(Role::Unpromoted)) {
                    continue;
                }
                let active =
                    rsc.active_recurring.iter().any(|(node, _, iv)| *node == n && *iv == op.interval_ms);
                let existing = set.actions.iter().position(|a| {
                    a.rsc == Some(r)
                        && a.task == "monitor"
                        && a.interval_ms == op.interval_ms
                        && a.node == Some(n)
                });
                let mid = match existing {
                    Some(i) => i,
                    None => {
                        let mut mon = ActionSet::new_action(Some(r), "monitor", op.interval_ms, Some(n));
                        mon.optional = active;
                        set.add(mon)
                    }
                };
                set.edge(start_id, mid, MANDATORY);
            }
        }
    }

    fn internal_ordering(&self, _cluster: &Cluster, set: &mut ActionSet, r: RscId) {
        let stops = set.find(r, "stop", None);
        let starts = set.find(r, "start", None);
        for &s in &stops {
            for &t in &starts {
                let same_node = set.actions[s].node == set.actions[t].node;
                set.edge(
                    s,
                    t,
                    EdgeFlags {
                        ordered: true,
                        implies_then: false,
                        implies_first: same_node,
                        runnable_left: false,
                    },
                );
            }
        }
    }
}

/// Why a primitive is stopped without being started elsewhere.
fn stop_reason(cluster: &Cluster, r: RscId) -> String {
    let rsc = cluster.rsc(r);
    if !placement::may_start(cluster) && rsc.assigned.is_some() {
        return "no quorum".into();
    }
    "node availability".into()
}
