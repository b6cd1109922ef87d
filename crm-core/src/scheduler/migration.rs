//! Live migration: a resource with `allow-migrate=true` that moves between two
//! healthy nodes is moved by `migrate_to` on its current node and
//! `migrate_from` on the next one, instead of a stop and a start. The stop on
//! the old node still happens (after `migrate_from`), and the start becomes a
//! pseudo-action that marks the resource as started for what waits on it.
//!
//! If the start turns out not to be runnable (something it needs cannot
//! happen), the migration is abandoned after propagation and the resource is
//! stopped as any other.

use super::actions::{ActionSet, EdgeFlags};
use super::cluster::*;
use super::unpack::is_true;

/// Where `r` would migrate from and to, if it may migrate now.
pub fn migration_of(cluster: &Cluster, r: RscId) -> Option<(NodeId, NodeId)> {
    let rsc = cluster.rsc(r);
    if rsc.variant != Variant::Primitive || !rsc.meta.get("allow-migrate").is_some_and(|v| is_true(v)) {
        return None;
    }
    if !rsc.managed || rsc.failed || rsc.pending_task.as_deref() == Some("start") || rsc.running_on.len() != 1
    {
        return None;
    }
    let current = rsc.running_on[0];
    let next = rsc.assigned.filter(|_| rsc.next_role.is_active())?;
    if current == next || cluster.node(current).unclean || cluster.node(next).unclean {
        return None;
    }
    Some((current, next))
}

/// Creates `migrate_to` and `migrate_from` for a migrating resource whose
/// stop and start already exist, and turns the start into a pseudo-action.
pub fn create_migration_actions(cluster: &Cluster, set: &mut ActionSet, r: RscId) {
    let Some((from, to)) = migration_of(cluster, r) else { return };
    let Some(&start) = set.find(r, "start", Some(to)).first() else { return };
    let mut migrate_to = ActionSet::new_action(Some(r), "migrate_to", 0, Some(from));
    migrate_to.optional = false;
    set.add(migrate_to);
    let mut migrate_from = ActionSet::new_action(Some(r), "migrate_from", 0, Some(to));
    migrate_from.optional = false;
    set.add(migrate_from);
    set.actions[start].pseudo = true;
}

/// Probes, then `migrate_to`, then `migrate_from`, then the stop and the
/// (pseudo) start.
pub fn order_migration(set: &mut ActionSet, r: RscId) {
    let (Some(&to), Some(&from)) =
        (set.find(r, "migrate_to", None).first(), set.find(r, "migrate_from", None).first())
    else {
        return;
    };
    let probes: Vec<usize> = set.of_rsc(r).iter().copied().filter(|&p| set.actions[p].is_probe).collect();
    for p in probes {
        set.edge(p, to, EdgeFlags::ORDER);
    }
    let needs = EdgeFlags { ordered: true, runnable_left: true, ..Default::default() };
    set.edge(to, from, needs);
    for s in set.find(r, "stop", None).into_iter().chain(set.find(r, "start", None)) {
        set.edge(from, s, EdgeFlags::ORDER);
    }
}

/// Orderings on a migrating resource's start or stop also hold its
/// `migrate_to`: "A start then B start" waits for A's start (or A's
/// `migrate_from` when A migrates too), "A stop then B stop" for A's stop
/// unless A migrates, "A promote then B start" for the promotion. A group's
/// members are ordered so among themselves.
pub fn order_migration_equivalents(cluster: &Cluster, set: &mut ActionSet) {
    let invert = |t: &str| match t {
        "start" => Some("stop"),
        "stop" => Some("start"),
        "promote" => Some("demote"),
        "demote" => Some("promote"),
        _ => None,
    };
    let mut pairs: Vec<(RscId, &str, RscId, &str)> = Vec::new();
    for o in &cluster.orderings {
        pairs.push((o.first, o.first_action.as_str(), o.then, o.then_action.as_str()));
        if o.symmetrical {
            if let (Some(fi), Some(ti)) = (invert(&o.first_action), invert(&o.then_action)) {
                pairs.push((o.then, ti, o.first, fi));
            }
        }
    }
    for g in cluster.resources.iter().filter(|g| g.variant == Variant::Group) {
        for w in g.children.windows(2) {
            pairs.push((w[0], "start", w[1], "start"));
            pairs.push((w[1], "stop", w[0], "stop"));
        }
    }
    for (first, first_action, then, then_action) in pairs {
        if first == then {
            continue;
        }
        let Some(&then_to) = set.find(then, "migrate_to", None).first() else { continue };
        let first_from = set.find(first, "migrate_from", None);
        let firsts: Vec<usize> = match (first_action, then_action) {
            ("start", "start") if first_from.is_empty() => {
                super::ordering::first_side(cluster, set, first, "start")
            }
            ("start", "start") => first_from,
            ("stop", "stop") if first_from.is_empty() => {
                super::ordering::first_side(cluster, set, first, "stop")
            }
            ("promote", "start") => super::ordering::first_side(cluster, set, first, "promote"),
            ("demote", "stop") => super::ordering::first_side(cluster, set, first, "demote"),
            _ => continue,
        };
        for f in firsts {
            set.edge(f, then_to, EdgeFlags::ORDER);
        }
    }
}

/// Abandons migrations whose start cannot run, or whose migration steps
/// cannot: the resource is then stopped (and started elsewhere if it can).
pub fn settle_migrations(set: &mut ActionSet, r: RscId) {
    let steps: Vec<usize> =
        set.find(r, "migrate_to", None).into_iter().chain(set.find(r, "migrate_from", None)).collect();
    if steps.is_empty() {
        return;
    }
    let starts = set.find(r, "start", None);
    let viable = steps.iter().chain(starts.iter()).all(|&a| set.actions[a].runnable);
    if viable {
        // A merely optional wait for the old copy's stop does not hold up
        // others: the resource is already running on its new node.
        for s in set.find(r, "stop", None) {
            for e in set.edges.iter_mut() {
                let f = e.flags;
                let only_orders = !(f.implies_then
                    || f.implies_first
                    || f.runnable_left
                    || f.asymmetrical
                    || f.one_or_more
                    || f.same_node_only);
                if e.first == s && only_orders && set.actions[e.then].rsc != Some(r) {
                    e.flags.ordered = false;
                }
            }
        }
        return;
    }
    for a in steps {
        set.actions[a].runnable = false;
        set.actions[a].optional = true;
    }
    for s in starts {
        set.actions[s].pseudo = false;
    }
}

/// Whether `r` migrates in this transition.
pub fn migrates(set: &ActionSet, r: RscId) -> bool {
    set.find(r, "migrate_to", None)
        .first()
        .is_some_and(|&a| set.actions[a].runnable && !set.actions[a].optional)
}
