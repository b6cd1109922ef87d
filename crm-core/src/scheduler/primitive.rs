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
        // Only copies on healthy nodes make a resource multiply active (those
        // on nodes about to be fenced go with the node).
        let healthy = |n: &&NodeId| cluster.node(**n).online && !cluster.node(**n).unclean;
        let multiply_active = rsc.running_on.iter().filter(healthy).count() > 1;
        let next_role = if next.is_some() { rsc.next_role } else { Role::Stopped };
        let current = if rsc.requires_fencing {
            rsc.current_node()
        } else {
            rsc.running_on.iter().find(healthy).copied().or(rsc.current_node())
        };
        // A failure recovered by demotion needs no stop.
        let failed_stop = rsc.failed && !rsc.recover_by_demoting;

        // multiple-active=stop_unexpected: only the copies where the
        // resource is not meant to be are stopped; it stays where it goes
        // (its start there is a formality).
        let stop_unexpected = multiply_active
            && next.is_some()
            && rsc.managed
            && rsc.meta.get("multiple-active").is_some_and(|v| v == "stop_unexpected");

        // Demote before anything takes a promoted instance down or away:
        // wherever it runs (a primitive promoted on several nodes is demoted
        // on each, but where it is meant to stay), or where it counts as
        // running.
        if rsc.role == Role::Promoted {
            let demote_on: Vec<NodeId> = if multiply_active {
                rsc.running_on.iter().copied().filter(|&c| !(stop_unexpected && next == Some(c))).collect()
            } else {
                current.into_iter().collect()
            };
            for c in demote_on {
                let leaving = next != Some(c) || rsc.failed || multiply_active || rsc.restarts_on(c);
                let mut demote = ActionSet::new_action(Some(r), "demote", 0, Some(c));
                demote.optional = !rsc.managed || (!leaving && next_role == Role::Promoted);
                if !rsc.managed {
                    demote.runnable = false;
                } else if cluster.node(c).unclean {
                    if super::fencing::can_fence_node(cluster, c) {
                        demote.pseudo = true;
                    } else {
                        demote.runnable = false;
                    }
                }
                set.put(demote);
            }
        }

        // A copy on a node about to be fenced, besides the one that counts,
        // goes with the node: no stop of its own.
        let goes_with_node = |c: NodeId| {
            !rsc.requires_fencing && !multiply_active && current != Some(c) && cluster.node(c).unclean
        };
        for &c in &rsc.running_on {
            if stop_unexpected && next == Some(c) {
                continue;
            }
            let node = cluster.node(c);
            let required = rsc.managed
                && !goes_with_node(c)
                && (next != Some(c) || failed_stop || multiply_active || rsc.restarts_on(c));
            let mut stop = ActionSet::new_action(Some(r), "stop", 0, Some(c));
            stop.optional = !required;
            if !rsc.managed {
                stop.runnable = false;
            } else if node.unclean {
                if super::fencing::can_fence_node(cluster, c) {
                    stop.pseudo = true;
                } else {
                    stop.runnable = false;
                }
            }
            if required && next.is_none() && rsc.inhibited_on.is_none() {
                stop.reason = Some(stop_reason(cluster, r));
            }
            if rsc.digest_changed_on.contains(&c) && next == Some(c) && !rsc.failed {
                stop.reason = Some("resource definition change".into());
            }
            if stop_unexpected {
                stop.reason = Some("being multiply active".into());
            }
            set.put(stop);
        }

        // A start always exists, on no node when the resource cannot run; an
        // unrunnable start is what blocks resources ordered after it.
        let early = set
            .of_rsc(r)
            .iter()
            .copied()
            .find(|&i| set.actions[i].task == "start" && set.actions[i].node.is_none());
        let mut start = match early {
            Some(i) => {
                let mut a = set.actions[i].clone();
                a.node = next;
                a
            }
            None => ActionSet::new_action(Some(r), "start", 0, next),
        };
        // Running on `next` besides copies that go with their node is running
        // there alone.
        let already = next.is_some_and(|n| {
            rsc.running_on.contains(&n) && rsc.running_on.iter().all(|&c| c == n || goes_with_node(c))
        });
        start.optional =
            !rsc.managed || !(next.is_some() && (!already || failed_stop || rsc.restarts_on(next.unwrap())));
        // The start a changed definition required (created while reading the
        // history) stays required where the resource can no longer be
        // placed: unrunnable, on no node.
        if next.is_none() && early.is_some() && !rsc.digest_changed_on.is_empty() && !rsc.failed {
            start.optional = false;
        }
        if let Some(n) = rsc.inhibited_on {
            // Placed, then kept from starting by an interleaved ordering.
            start.node = Some(n);
            start.optional = false;
        }
        match next {
            None => start.runnable = false,
            Some(n) => {
                if !rsc.managed || !cluster.node(n).can_run_resources() {
                    start.runnable = false;
                } else if let Some(why) = placement::quorum_blocks(cluster, r) {
                    start.runnable = false;
                    start.reason = Some(why.into());
                }
                // A start that cannot run where it is placed stays optional
                // (so requires nothing of its group's or clone's start);
                // only orderings may make it required later.
                if !start.runnable {
                    start.optional = true;
                }
            }
        }
        if rsc.digest_changed_on.iter().any(|&d| Some(d) == next) && !rsc.failed {
            start.reason = Some("resource definition change".into());
        }
        start.print_always = rsc.pending_task.as_deref() == Some("start");
        if stop_unexpected && next.is_some_and(|n| rsc.running_on.contains(&n)) {
            start.pseudo = true;
            start.optional = false;
        }
        let start_id = match early {
            Some(i) => {
                set.actions[i] = start;
                i
            }
            None => set.add(start),
        };

        let mut promote_id = None;
        if next_role == Role::Promoted {
            if let Some(n) = next {
                let restarting = !set.actions[start_id].optional;
                let mut promote = ActionSet::new_action(Some(r), "promote", 0, Some(n));
                let repromote = rsc.recover_by_demoting && rsc.failed;
                promote.optional = !rsc.managed || (rsc.role == Role::Promoted && !restarting && !repromote);
                promote.runnable =
                    set.actions[start_id].runnable || (rsc.role >= Role::Unpromoted && current == Some(n));
                if rsc.role != Role::Promoted {
                    if let Some(why) = placement::quorum_blocks(cluster, r) {
                        promote.runnable = false;
                        // From stopped, the start is what quorum blocks (and
                        // says so); the promotion is merely blocked.
                        if rsc.role >= Role::Unpromoted {
                            promote.reason = Some(why.into());
                        }
                    }
                }
                promote_id = Some(set.add(promote));
            }
        }

        // A recurring monitor rescheduled because its definition changed only
        // matters where the resource stays: elsewhere the
        // stop ends it.
        for &i in set.of_rsc(r).to_vec().iter() {
            let a = &set.actions[i];
            if a.task == "monitor" && a.interval_ms > 0 && a.node != next {
                set.actions[i].optional = true;
            }
        }

        // Nothing new watches a blocked resource or one in maintenance.
        let in_maintenance = |n: NodeId| {
            cluster.options.maintenance_mode
                || cluster.node(n).maintenance
                || rsc.meta.get("maintenance").is_some_and(|v| super::unpack::is_true(v))
        };
        if let Some(n) = next.filter(|&n| !rsc.blocked && !in_maintenance(n)) {
            for op in &rsc.ops {
                if op.interval_ms == 0 || op.name != "monitor" || !op.enabled || rsc.is_duplicate_op(op) {
                    continue;
                }
                let wanted = match op.role {
                    Some(Role::Stopped) => false,
                    Some(Role::Promoted) => next_role == Role::Promoted,
                    Some(Role::Unpromoted) => next_role == Role::Unpromoted,
                    // `Started` is that role only: not a promotable instance's
                    // unpromoted one (Pacemaker 2.1.5 compares roles as named).
                    Some(Role::Started) => next_role == Role::Started,
                    // Without a role, a monitor is for the started/unpromoted state.
                    _ => next_role != Role::Promoted,
                };
                let running = set
                    .find_recurring(r, "monitor", op.interval_ms, n)
                    .filter(|&i| set.actions[i].task == "monitor");
                let start_optional = set.actions[start_id].optional;
                if !wanted {
                    // A monitor for the role being left is cancelled first.
                    if let (Some(i), true) = (running, start_optional && op.role != Some(Role::Stopped)) {
                        cancel_role_monitor(set, r, i, n, rsc.role, next_role);
                    }
                    continue;
                }
                let role_changes = rsc.role != next_role && current == Some(n);
                let mid = match running {
                    Some(i) => {
                        // Running already: only needed again after a (re)start
                        // or a role change, or when rescheduled.
                        let keep = set.actions[i].optional && start_optional && !role_changes;
                        set.actions[i].optional = keep;
                        i
                    }
                    None => {
                        let mut mon = ActionSet::new_action(Some(r), "monitor", op.interval_ms, Some(n));
                        mon.optional = false;
                        set.add(mon)
                    }
                };
                // An unmanaged resource is still watched where it is: its
                // start never runs, but does not hold the monitor back.
                let after_start = if rsc.managed { MANDATORY } else { EdgeFlags::ORDER };
                set.edge(start_id, mid, after_start);
                if let Some(p) = promote_id {
                    set.edge(p, mid, MANDATORY);
                } else if rsc.role == Role::Promoted {
                    // The monitor for the role left to is set up after the demotion.
                    for d in set.find(r, "demote", None) {
                        set.edge(
                            d,
                            mid,
                            EdgeFlags { ordered: true, runnable_left: true, ..Default::default() },
                        );
                    }
                }
            }
        }
        super::recurring::create_stopped_monitors(cluster, set, r, next);
        super::migration::create_migration_actions(cluster, set, r);
    }

    fn internal_ordering(&self, cluster: &Cluster, set: &mut ActionSet, r: RscId) {
        let stops = set.find(r, "stop", None);
        let starts = set.find(r, "start", None);
        let promotes = set.find(r, "promote", None);
        let demotes = set.find(r, "demote", None);
        for &d in &demotes {
            for &s in &stops {
                set.edge(d, s, EdgeFlags { ordered: true, implies_first: true, ..Default::default() });
            }
            for &p in &promotes {
                set.edge(d, p, EdgeFlags::ORDER);
            }
        }
        for &s in &starts {
            for &p in &promotes {
                set.edge(s, p, MANDATORY);
            }
        }
        // Pacemaker has a start for a resource going nowhere only when an
        // ordering asks for one (this resource's start first); that start is
        // then required by the stop, and requires what is ordered after it
        // (whose reason is then "required", not "unrunnable").
        let start_exists = |set: &ActionSet, t: usize| {
            set.actions[t].node.is_none()
                && cluster.rsc(r).parent.is_none()
                && cluster.orderings.iter().any(|o| o.first == r && o.first_action == "start")
        };
        for &s in &stops {
            for &t in &starts {
                let same_node = set.actions[s].node == set.actions[t].node;
                let implies_then = start_exists(set, t);
                set.edge(
                    s,
                    t,
                    EdgeFlags {
                        ordered: true,
                        // A required stop requires the start (unrunnable when
                        // the resource goes nowhere), which is what requires
                        // the starts ordered after it.
                        implies_then,
                        implies_first: same_node,
                        runnable_left: false,
                        restart: true,
                        ..Default::default()
                    },
                );
            }
        }
        super::load::order_by_load(cluster, set, r);
        super::migration::order_migration(set, r);
    }
}

/// Cancels the running monitor `mon` on `node` whose role the resource
/// leaves, before the action that changes the role.
fn cancel_role_monitor(set: &mut ActionSet, r: RscId, mon: usize, node: NodeId, role: Role, next: Role) {
    set.make_cancel(mon);
    let before = match (role, next) {
        (Role::Unpromoted | Role::Started, Role::Promoted) => "promote",
        (Role::Unpromoted | Role::Started, Role::Stopped) => "stop",
        (Role::Promoted, _) => "demote",
        _ => return,
    };
    for a in set.find(r, before, Some(node)) {
        set.edge(mon, a, EdgeFlags { ordered: true, runnable_left: true, ..Default::default() });
    }
}

/// Why a primitive is stopped without being started elsewhere: it was
/// assigned no node.
fn stop_reason(_cluster: &Cluster, _r: RscId) -> String {
    "node availability".into()
}
