//! The group variant: members placed together and started in order, stopped in
//! reverse order. Pseudo-actions `start`/`running`/`stop`/`stopped` mark the
//! group's edges for constraints that name the group.

use super::actions::{ActionSet, EdgeFlags};
use super::cluster::*;
use super::score::Score;
use super::variants::{assign_child, ResourceVariant, MANDATORY};

pub struct Group;

impl ResourceVariant for Group {
    fn assign(&self, cluster: &mut Cluster, r: RscId, prefer: Option<NodeId>) {
        let members = cluster.rsc(r).children.clone();
        if members.is_empty() {
            return;
        }
        cluster.rsc_mut(r).allocating = true;
        // "group with X" is "first member with X"; "X with group" is "X with
        // last member" (the internal colocations carry the rest).
        let this_with = std::mem::take(&mut cluster.rsc_mut(r).this_with);
        // An unmanaged member stays where it is, whatever its colocations, so
        // the members after it are held to the group's mandatory ones
        // themselves (Pacemaker 2.1.1 on).
        let mandatory: Vec<usize> =
            this_with.iter().copied().filter(|&ci| cluster.colocations[ci].score == Score::INF).collect();
        let mut any_unmanaged = !cluster.rsc(members[0]).managed;
        for &m in &members[1..] {
            if any_unmanaged {
                for &ci in &mandatory {
                    super::constraints::insert_this_with(cluster, m, ci);
                }
            } else if !cluster.rsc(m).managed {
                any_unmanaged = true;
            }
        }
        for ci in this_with {
            super::constraints::insert_this_with(cluster, members[0], ci);
        }
        let with_this = std::mem::take(&mut cluster.rsc_mut(r).with_this);
        let last = *members.last().unwrap();
        for ci in with_this {
            super::constraints::insert_with_this(cluster, last, ci);
        }
        for &m in &members {
            assign_child(cluster, m, prefer);
        }
        let first = cluster.rsc(members[0]).assigned;
        let next = cluster.rsc(members[0]).next_role;
        let g = cluster.rsc_mut(r);
        g.assigned = first;
        g.next_role = next;
    }

    fn create_actions(&self, cluster: &Cluster, set: &mut ActionSet, r: RscId) {
        let role_tasks: &[&str] =
            if in_promotable(cluster, r) { &["demote", "demoted", "promote", "promoted"] } else { &[] };
        for &task in ["start", "running", "stop", "stopped"].iter().chain(role_tasks) {
            let mut a = ActionSet::new_action(Some(r), task, 0, None);
            a.pseudo = true;
            set.add(a);
        }
    }

    fn internal_ordering(&self, cluster: &Cluster, set: &mut ActionSet, r: RscId) {
        let members = cluster.rsc(r).children.clone();
        let pseudo = |set: &ActionSet, task: &str| set.find(r, task, None)[0];
        let (start, running, stop, stopped) =
            (pseudo(set, "start"), pseudo(set, "running"), pseudo(set, "stop"), pseudo(set, "stopped"));
        let ordered_first = EdgeFlags { ordered: true, implies_first: true, ..Default::default() };
        let ordered_then = EdgeFlags { ordered: true, implies_then: true, ..Default::default() };
        for &m in &members {
            for s in set.find(m, "start", None) {
                set.edge(start, s, ordered_first);
                set.edge(s, running, EdgeFlags { runnable_left: true, ..ordered_then });
            }
            // The group is stopped only if every member's stop can run.
            for s in set.find(m, "stop", None) {
                set.edge(stop, s, ordered_first);
                set.edge(s, stopped, EdgeFlags { runnable_left: true, ..ordered_then });
            }
        }
        if in_promotable(cluster, r) {
            order_role_changes(set, r, &members);
        }
        set.edge(stopped, start, EdgeFlags::ORDER);
        let settles = EdgeFlags { ordered: true, runnable_left: true, ..Default::default() };
        set.edge(start, running, settles);
        set.edge(stop, stopped, settles);
        // Partially active groups still stop in sequence: a running member
        // stops before the previous running member, across stopped ones.
        let mut last_active: Option<RscId> = None;
        for (i, &m) in members.iter().enumerate() {
            if cluster.rsc(m).running_on.is_empty() {
                continue;
            }
            let previous_running = i > 0 && !cluster.rsc(members[i - 1]).running_on.is_empty();
            if let (Some(la), false, true) = (last_active, previous_running, i > 0) {
                for b in set.find(m, "stop", None) {
                    for a in set.find(la, "stop", None) {
                        set.edge(b, a, EdgeFlags::ORDER);
                    }
                }
            }
            last_active = Some(m);
        }
        // `ordered=false` (also inherited from a clone) leaves members to
        // start and stop independently.
        let ordered = cluster.rsc(r).meta.get("ordered").is_none_or(|v| super::unpack::is_true(v));
        for w in members.windows(2).filter(|_| ordered) {
            for a in set.find(w[0], "start", None) {
                for b in set.find(w[1], "start", None) {
                    set.edge(a, b, MANDATORY);
                }
            }
            // A member whose stop can never happen (blocked) holds back the
            // stops of the members before it; so does one whose stop is
            // required but cannot run, where theirs are required.
            for b in set.find(w[1], "stop", None) {
                for a in set.find(w[0], "stop", None) {
                    set.edge(
                        b,
                        a,
                        EdgeFlags { ordered: true, implies_first: true, restart: true, ..Default::default() },
                    );
                }
            }
        }
    }
}

/// Whether group `r` is an instance of a promotable clone: it then has role
/// pseudo-actions of its own, between the clone's and its members'.
fn in_promotable(cluster: &Cluster, r: RscId) -> bool {
    cluster
        .rsc(r)
        .parent
        .is_some_and(|p| cluster.rsc(p).variant == Variant::Clone && cluster.rsc(p).promotable)
}

/// demote group -> members demote -> group demoted; likewise for promote.
fn order_role_changes(set: &mut ActionSet, r: RscId, members: &[RscId]) {
    let pseudo = |set: &ActionSet, task: &str| set.find(r, task, None)[0];
    let (demote, demoted) = (pseudo(set, "demote"), pseudo(set, "demoted"));
    let (promote, promoted) = (pseudo(set, "promote"), pseudo(set, "promoted"));
    let to_member = EdgeFlags { ordered: true, implies_first: true, ..Default::default() };
    let to_group = EdgeFlags { ordered: true, implies_then: true, ..Default::default() };
    for &m in members {
        for d in set.find(m, "demote", None) {
            set.edge(demote, d, to_member);
            set.edge(d, demoted, to_group);
        }
        for p in set.find(m, "promote", None) {
            set.edge(promote, p, EdgeFlags { runnable_left: true, ..to_member });
            set.edge(p, promoted, EdgeFlags { runnable_left: true, ..to_group });
        }
    }
    let settles = EdgeFlags { ordered: true, runnable_left: true, ..Default::default() };
    set.edge(demote, demoted, settles);
    set.edge(promote, promoted, settles);
}
