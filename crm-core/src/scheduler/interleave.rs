//! Interleaved clone orderings. When both sides of an ordering are clones and
//! the relevant one (the `then` clone, or the `first` clone when the `then`
//! action is a stop or demote) has `interleave=true`, each `then` instance
//! waits only for the `first` instance on its own node, not for the whole
//! `first` clone. A `then` instance with no `first` instance on its node may
//! not become active at all when the ordering is mandatory.

use super::actions::{ActionSet, EdgeFlags};
use super::cluster::*;
use super::placement::node_available;
use super::score::Score;

/// Whether an ordering between `first` and `then` (tasks as configured) pairs
/// instances rather than whole clones.
pub fn is_interleaved(cluster: &Cluster, first: RscId, then: RscId, then_task: &str) -> bool {
    let (f, t) = (cluster.rsc(first), cluster.rsc(then));
    if first == then || f.variant != Variant::Clone || t.variant != Variant::Clone {
        return false;
    }
    let judge = if matches!(then_task, "stop" | "demote") { f } else { t };
    judge.interleave
}

/// Whether the `first` side of an ordering stands for actions already under
/// way (a stop or demotion), so pairing is by where instances run now.
fn pairs_by_current(first_task: &str) -> bool {
    matches!(first_task, "stop" | "demote")
}

/// Where an instance is (`current`: runs now, on exactly one node) or will
/// be, counting every member of a grouped instance.
fn instance_location(cluster: &Cluster, inst: RscId, current: bool) -> Option<NodeId> {
    let mut nodes: Vec<NodeId> = Vec::new();
    collect_locations(cluster, inst, current, &mut nodes);
    match nodes.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

fn collect_locations(cluster: &Cluster, r: RscId, current: bool, out: &mut Vec<NodeId>) {
    let rsc = cluster.rsc(r);
    if !rsc.children.is_empty() {
        for &c in &rsc.children {
            collect_locations(cluster, c, current, out);
        }
        return;
    }
    let here: Vec<NodeId> = if current {
        rsc.running_on.clone()
    } else {
        rsc.assigned.filter(|_| rsc.next_role.is_active()).into_iter().collect()
    };
    for n in here {
        if !out.contains(&n) {
            out.push(n);
        }
    }
}

fn any_blocked(cluster: &Cluster, r: RscId) -> bool {
    let rsc = cluster.rsc(r);
    rsc.blocked || rsc.children.iter().any(|&c| any_blocked(cluster, c))
}

fn by_number(cluster: &Cluster, clone: RscId) -> Vec<RscId> {
    let mut instances = cluster.rsc(clone).children.clone();
    instances.sort_by_key(|&i| super::instance_order::instance_number(&cluster.rsc(i).id));
    instances
}

/// The instance of `first` that instance `then_inst` pairs with: one on the
/// same node (where `then_inst` is, else the best of its allowed nodes).
fn partner(cluster: &Cluster, then_inst: RscId, first: RscId, current: bool) -> Option<RscId> {
    let on_node = |node: NodeId| {
        by_number(cluster, first)
            .into_iter()
            .find(|&fi| !any_blocked(cluster, fi) && instance_location(cluster, fi, current) == Some(node))
    };
    if let Some(node) = instance_location(cluster, then_inst, current) {
        return on_node(node);
    }
    let rsc = cluster.rsc(then_inst);
    let score = |n: NodeId| match rsc.allowed[n.0] {
        Some(s) if node_available(cluster, n) => s,
        _ => Score::NEG_INF,
    };
    let mut nodes: Vec<NodeId> = cluster.node_ids().filter(|n| rsc.allowed[n.0].is_some()).collect();
    nodes.sort_by(|&a, &b| {
        score(b)
            .cmp(&score(a))
            .then(cluster.node(a).assigned_count.cmp(&cluster.node(b).assigned_count))
            .then_with(|| cluster.node(a).name.cmp(&cluster.node(b).name))
    });
    nodes.into_iter().find_map(on_node)
}

/// Takes an instance off the node it was placed on, remembering that node.
fn inhibit(cluster: &mut Cluster, r: RscId) {
    for c in cluster.rsc(r).children.clone() {
        inhibit(cluster, c);
    }
    let rsc = cluster.rsc_mut(r);
    if rsc.variant == Variant::Primitive && rsc.next_role.is_active() {
        rsc.inhibited_on = rsc.assigned;
    }
    rsc.assigned = None;
    rsc.next_role = Role::Stopped;
}

/// Instances of a `then` clone that have no `first` instance to pair with on
/// their node are kept from becoming active (mandatory orderings only).
pub fn inhibit_unpaired(cluster: &mut Cluster) {
    loop {
        let mut changed = false;
        for o in cluster.orderings.clone() {
            if o.kind != OrderKind::Mandatory
                || o.min_first_instances > 0
                || pairs_by_current(&o.first_action)
                || !is_interleaved(cluster, o.first, o.then, &o.then_action)
            {
                continue;
            }
            for inst in cluster.rsc(o.then).children.clone() {
                let active = instance_location(cluster, inst, false).is_some();
                if active && partner(cluster, inst, o.first, false).is_none() {
                    inhibit(cluster, inst);
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
}

/// The instance action standing for a clone's `task` as the first side of an
/// ordering: a primitive's own action, a group's completion pseudo-action.
fn instance_first_action(cluster: &Cluster, set: &ActionSet, inst: RscId, task: &str) -> Vec<usize> {
    if cluster.rsc(inst).variant == Variant::Primitive {
        return set.find(inst, task, None);
    }
    let done = match task {
        "start" => "running",
        "stop" => "stopped",
        "promote" => "promoted",
        "demote" => "demoted",
        other => other,
    };
    set.find(inst, done, None)
}

/// Orders each `then` instance's action after its partner's.
pub fn link_instances(
    cluster: &Cluster,
    set: &mut ActionSet,
    (first, first_task): (RscId, &str),
    (then, then_task): (RscId, &str),
    flags: EdgeFlags,
) {
    let current = pairs_by_current(first_task);
    for then_inst in cluster.rsc(then).children.clone() {
        let Some(first_inst) = partner(cluster, then_inst, first, current) else { continue };
        let firsts = instance_first_action(cluster, set, first_inst, first_task);
        let thens = set.find(then_inst, then_task, None);
        for &f in &firsts {
            for &t in &thens {
                set.edge(f, t, flags);
            }
        }
    }
}
