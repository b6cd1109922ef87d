//! The clone variant: `clone-max` instances of one child (primitive or group),
//! at most `clone-node-max` per node, spread over the allowed nodes. Running
//! instances keep their node when they may; pseudo-actions `start`/`running`/
//! `stop`/`stopped` stand for the clone as a whole in orderings.

use super::actions::{ActionSet, EdgeFlags};
use super::cluster::*;
use super::placement::{self, node_available};
use super::score::Score;
use super::variants::ResourceVariant;

pub struct Clone;

use super::instance_order::any_failed;
pub use super::instance_order::instance_nodes;

/// Sets `n`'s score to `score` for `r` and its children (where allowed at all).
fn set_score(cluster: &mut Cluster, r: RscId, n: NodeId, score: Score) {
    for c in cluster.rsc(r).children.clone() {
        set_score(cluster, c, n, score);
    }
    if cluster.rsc(r).allowed[n.0].is_some() {
        cluster.rsc_mut(r).allowed[n.0] = Some(score);
    }
}

fn unassign(cluster: &mut Cluster, r: RscId) {
    for c in cluster.rsc(r).children.clone() {
        unassign(cluster, c);
    }
    if let Some(n) = cluster.rsc(r).assigned {
        if cluster.rsc(r).variant == Variant::Primitive {
            cluster.nodes[n.0].assigned_count = cluster.nodes[n.0].assigned_count.saturating_sub(1);
            super::utilization::release(cluster, r, n);
        }
    }
    let rsc = cluster.rsc_mut(r);
    rsc.assigned = None;
    rsc.provisional = true;
    rsc.next_role = Role::Stopped;
}

/// The clone's colocations that its instances inherit.
fn inherit_colocations(cluster: &mut Cluster, clone: RscId, inst: RscId, all: bool) {
    let this_with = cluster.rsc(clone).this_with.clone();
    for ci in this_with {
        let c = &cluster.colocations[ci];
        if all || c.score < Score::ZERO || c.score.is_inf() {
            super::constraints::insert_this_with(cluster, inst, ci);
        }
    }
    let with_this = cluster.rsc(clone).with_this.clone();
    for ci in with_this {
        let c = &cluster.colocations[ci];
        let influence = c.influence || cluster.rsc(inst).running_on.is_empty();
        if influence && (all || c.score < Score::ZERO) {
            super::constraints::insert_with_this(cluster, inst, ci);
        }
    }
}

fn assign_instance(
    cluster: &mut Cluster,
    clone: RscId,
    inst: RscId,
    prefer: Option<NodeId>,
    all_coloc: bool,
    limit: usize,
) -> Option<NodeId> {
    if !cluster.rsc(inst).provisional {
        return cluster.rsc(inst).assigned;
    }
    if cluster.rsc(inst).allocating {
        return None;
    }
    inherit_colocations(cluster, clone, inst, all_coloc);
    if let Some(p) = prefer {
        if cluster.rsc(inst).allowed[p.0].is_none_or(|s| s < Score::ZERO) {
            return None;
        }
    }
    // Nodes that cannot take another instance are closed to this one.
    for n in cluster.node_ids().collect::<Vec<_>>() {
        if cluster.rsc(inst).allowed[n.0].is_none() {
            continue;
        }
        let top = cluster.rsc(clone).allowed[n.0];
        let ok = node_available(cluster, n) && !cluster.rsc(inst).orphan;
        match top {
            _ if !ok => set_score(cluster, inst, n, Score::NEG_INF),
            None => set_score(cluster, inst, n, Score::NEG_INF),
            Some(s) if s < Score::ZERO => set_score(cluster, inst, n, s),
            Some(_) if cluster.rsc(clone).instance_count[n.0] < limit => {}
            Some(_) => set_score(cluster, inst, n, Score::NEG_INF),
        }
    }
    let backup: Vec<(RscId, Vec<Option<Score>>)> =
        subtree(cluster, inst).into_iter().map(|r| (r, cluster.rsc(r).allowed.clone())).collect();
    placement::assign_with(cluster, inst, prefer);
    let mut chosen = assigned_node(cluster, inst);
    if let (Some(c), Some(p)) = (chosen, prefer) {
        if c != p {
            for (r, a) in backup {
                cluster.rsc_mut(r).allowed = a;
            }
            unassign(cluster, inst);
            chosen = None;
        }
    }
    if let Some(n) = chosen {
        cluster.rsc_mut(clone).instance_count[n.0] += 1;
    }
    chosen
}

fn first_leaf(cluster: &Cluster, mut r: RscId) -> RscId {
    while let Some(&c) = cluster.rsc(r).children.first() {
        r = c;
    }
    r
}

fn subtree(cluster: &Cluster, r: RscId) -> Vec<RscId> {
    let mut out = vec![r];
    for &c in &cluster.rsc(r).children {
        out.extend(subtree(cluster, c));
    }
    out
}

/// Where an instance was placed (a grouped instance: where its first member is).
pub fn assigned_node(cluster: &Cluster, r: RscId) -> Option<NodeId> {
    let rsc = cluster.rsc(r);
    match rsc.variant {
        Variant::Primitive => rsc.assigned.filter(|_| rsc.next_role.is_active()),
        _ => rsc.children.first().and_then(|&c| assigned_node(cluster, c)),
    }
}

impl ResourceVariant for Clone {
    fn assign(&self, cluster: &mut Cluster, r: RscId, _prefer: Option<NodeId>) {
        cluster.rsc_mut(r).allocating = true;
        for ci in cluster.rsc(r).this_with.clone() {
            let p = cluster.colocations[ci].primary;
            placement::assign(cluster, p);
        }
        placement::fold_in_dependents_with(cluster, r, true);
        if cluster.rsc(r).promotable {
            super::promotable::add_promotion_scores(cluster, r);
        }

        let mut instances = cluster.rsc(r).children.clone();
        super::instance_order::sort_for_assignment(cluster, r, &mut instances);
        let nodes: Vec<NodeId> = cluster.node_ids().collect();
        let available = nodes.iter().filter(|&&n| node_available(cluster, n)).count();
        let max = cluster.rsc(r).clone_max;
        let per_host = cluster.rsc(r).clone_node_max;
        let all_coloc = max < available;
        let loop_max = max.checked_div(available).unwrap_or(1).max(1);
        cluster.rsc_mut(r).instance_count = vec![0; nodes.len()];
        let mut allocated = 0;

        for &inst in &instances {
            if allocated >= max {
                break;
            }
            let on = instance_nodes(cluster, inst);
            if on.is_empty() || !cluster.rsc(inst).provisional || any_failed(cluster, inst) {
                continue;
            }
            let cur = on[0];
            if !node_available(cluster, cur) {
                continue;
            }
            if cluster.rsc(r).instance_count[cur.0] >= loop_max {
                continue;
            }
            if assign_instance(cluster, r, inst, Some(cur), all_coloc, per_host).is_some() {
                allocated += 1;
            }
        }
        for &inst in &instances {
            if !cluster.rsc(inst).provisional {
                continue;
            }
            if allocated >= max {
                placement::resource_location(cluster, inst, None, Score::NEG_INF);
                placement::assign_with(cluster, inst, None);
                continue;
            }
            if assign_instance(cluster, r, inst, None, all_coloc, per_host).is_some() {
                allocated += 1;
            }
        }
        // Instances that got no node are still settled (stopped).
        for &inst in &instances {
            if cluster.rsc(inst).provisional {
                placement::assign_with(cluster, inst, None);
            }
        }
        if cluster.rsc(r).promotable {
            super::promotable::set_instance_roles(cluster, r, &instances);
        }
        let any = instances.iter().any(|&i| assigned_node(cluster, i).is_some());
        let c = cluster.rsc_mut(r);
        c.next_role = if any { Role::Started } else { Role::Stopped };
    }

    fn create_actions(&self, cluster: &Cluster, set: &mut ActionSet, r: RscId) {
        let rsc = cluster.rsc(r);
        for (action, complete) in super::notify::SETS {
            if !rsc.promotable && matches!(action, "promote" | "demote") {
                continue;
            }
            for task in [action, complete] {
                let mut a = ActionSet::new_action(Some(r), task, 0, None);
                a.pseudo = true;
                set.add(a);
            }
            if rsc.notify {
                super::notify::create_pseudo(set, r, action, complete);
            }
        }
    }

    fn internal_ordering(&self, cluster: &Cluster, set: &mut ActionSet, r: RscId) {
        let pseudo = |set: &ActionSet, task: &str| set.find(r, task, None)[0];
        let (start, running, stop, stopped) =
            (pseudo(set, "start"), pseudo(set, "running"), pseudo(set, "stop"), pseudo(set, "stopped"));
        let to_child = EdgeFlags { ordered: true, implies_first: true, ..Default::default() };
        let to_parent = EdgeFlags { ordered: true, implies_then: true, ..Default::default() };
        for &inst in &cluster.rsc(r).children {
            let (starts, stops) = instance_actions(set, inst);
            for s in starts {
                set.edge(start, s, to_child);
            }
            for s in stops {
                set.edge(stop, s, to_child);
            }
            // An instance that is itself a collection is done when its own
            // completion pseudo-action is.
            let (started, ended) = instance_completions(cluster, set, inst);
            for s in started {
                set.edge(s, running, to_parent);
            }
            for s in ended {
                set.edge(s, stopped, to_parent);
            }
        }
        set.edge(stopped, start, EdgeFlags::ORDER);
        let settles = EdgeFlags { ordered: true, runnable_left: true, ..Default::default() };
        set.edge(start, running, settles);
        set.edge(stop, stopped, settles);
        if cluster.rsc(r).notify {
            super::notify::order_pseudo(cluster, set, r);
        }
        if cluster.rsc(r).promotable {
            let (promote, promoted, demote, demoted) = (
                pseudo(set, "promote"),
                pseudo(set, "promoted"),
                pseudo(set, "demote"),
                pseudo(set, "demoted"),
            );
            for &inst in &cluster.rsc(r).children {
                // An instance that is a group changes role through its own
                // pseudo-actions.
                for p in set.find(inst, "promote", None) {
                    set.edge(promote, p, to_child);
                }
                for p in instance_role_done(cluster, set, inst, "promote", "promoted") {
                    set.edge(p, promoted, to_parent);
                }
                for d in set.find(inst, "demote", None) {
                    set.edge(demote, d, to_child);
                }
                for d in instance_role_done(cluster, set, inst, "demote", "demoted") {
                    set.edge(d, demoted, to_parent);
                }
            }
            set.edge(
                running,
                promote,
                EdgeFlags { ordered: true, runnable_left: true, ..Default::default() },
            );
            set.edge(stopped, promote, EdgeFlags::ORDER);
            set.edge(demoted, stop, EdgeFlags::ORDER);
            set.edge(demoted, start, EdgeFlags::ORDER);
            set.edge(demoted, promote, EdgeFlags::ORDER);
        }
        // A clone with nothing to start cannot report itself running.
        if !cluster.rsc(r).children.iter().any(|&i| assigned_node(cluster, i).is_some()) {
            set.actions[start].runnable = false;
            set.actions[running].runnable = false;
        }
    }
}

/// The actions after which instance `inst` has done `task` (a primitive's own,
/// or a group's `done` pseudo-action).
fn instance_role_done(cluster: &Cluster, set: &ActionSet, inst: RscId, task: &str, done: &str) -> Vec<usize> {
    if cluster.rsc(inst).variant == Variant::Primitive {
        set.find(inst, task, None)
    } else {
        set.find(inst, done, None)
    }
}

/// The start and stop actions that stand for an instance: its own (primitive)
/// or its group's pseudo-actions.
fn instance_actions(set: &ActionSet, inst: RscId) -> (Vec<usize>, Vec<usize>) {
    (set.find(inst, "start", None), set.find(inst, "stop", None))
}

/// The actions after which instance `inst` counts as started and as stopped.
fn instance_completions(cluster: &Cluster, set: &ActionSet, inst: RscId) -> (Vec<usize>, Vec<usize>) {
    if cluster.rsc(inst).variant == Variant::Primitive {
        instance_actions(set, inst)
    } else {
        (set.find(inst, "running", None), set.find(inst, "stopped", None))
    }
}

/// "dependent with clone": mandatory means only nodes where an instance runs;
/// optional adds the score where instances run.
pub fn apply_coloc_with_clone(cluster: &mut Cluster, c: &Colocation) {
    if cluster.rsc(c.primary).provisional {
        return;
    }
    // Only a promotable clone's instances have roles to tell apart: with
    // any other, a role in the constraint is moot.
    let promotable = cluster.rsc(c.primary).promotable;
    let in_role = |cluster: &Cluster, i: RscId| match c.primary_role {
        None => true,
        Some(_) if !promotable => true,
        Some(role) => {
            let leaf = first_leaf(cluster, i);
            cluster.rsc(leaf).next_role == role
                || (role == Role::Unpromoted && cluster.rsc(leaf).next_role == Role::Started)
        }
    };
    let instance_nodes: Vec<NodeId> = cluster
        .rsc(c.primary)
        .children
        .iter()
        .filter(|&&i| in_role(cluster, i))
        .filter_map(|&i| assigned_node(cluster, i))
        .collect();
    if c.primary_role.is_some() && cluster.rsc(c.primary).promotable {
        // Finite scores add where the primary will be in role; mandatory ones
        // exclude every other node (unless both sides are promoted roles).
        let dep = c.dependent;
        let attr_of = |cluster: &Cluster, n: NodeId| {
            if c.node_attribute == "#uname" {
                Some(cluster.node(n).name.clone())
            } else {
                cluster.node(n).attrs.get(&c.node_attribute).cloned()
            }
        };
        if !c.score.is_inf() {
            for &pn in &instance_nodes {
                let pv = attr_of(cluster, pn);
                for i in 0..cluster.nodes.len() {
                    if attr_of(cluster, NodeId(i)) == pv {
                        if let Some(s) = cluster.rsc(dep).allowed[i] {
                            cluster.rsc_mut(dep).allowed[i] = Some(s.plus(c.score));
                        }
                    }
                }
            }
        } else if c.dependent_role != Some(Role::Promoted) || c.primary_role != Some(Role::Promoted) {
            for i in 0..cluster.nodes.len() {
                if !instance_nodes.contains(&NodeId(i)) {
                    if let Some(s) = cluster.rsc(dep).allowed[i] {
                        cluster.rsc_mut(dep).allowed[i] = Some(s.plus(Score::NEG_INF));
                    }
                }
            }
        }
        return;
    }
    let dep = c.dependent;
    let n = cluster.nodes.len();
    if c.score.is_inf() {
        // A blocked instance is no place to follow.
        let blocked_somewhere =
            |cluster: &Cluster, i: RscId| subtree(cluster, i).iter().any(|&x| cluster.rsc(x).blocked);
        let instance_nodes: Vec<NodeId> = cluster
            .rsc(c.primary)
            .children
            .iter()
            .filter(|&&i| in_role(cluster, i) && !blocked_somewhere(cluster, i))
            .filter_map(|&i| assigned_node(cluster, i))
            .collect();
        for i in 0..n {
            if !instance_nodes.contains(&NodeId(i)) {
                if let Some(s) = cluster.rsc(dep).allowed[i] {
                    cluster.rsc_mut(dep).allowed[i] = Some(s.plus(Score::NEG_INF));
                }
            }
        }
        return;
    }
    for i in 0..n {
        if instance_nodes.contains(&NodeId(i)) {
            if let Some(s) = cluster.rsc(dep).allowed[i] {
                cluster.rsc_mut(dep).allowed[i] = Some(s.plus(c.score));
            }
        }
    }
}

/// A clone's pseudo-action is required as soon as the corresponding action
/// of any instance is, runnable or not (Pacemaker derives a clone action's
/// flags from its instances'): a restart blocked on one instance still
/// restarts what waits for the clone. Returns whether anything changed.
pub fn require_from_instances(cluster: &Cluster, set: &mut ActionSet) -> bool {
    const TASKS: [(&str, &str); 8] = [
        ("start", "start"),
        ("running", "start"),
        ("stop", "stop"),
        ("stopped", "stop"),
        ("promote", "promote"),
        ("promoted", "promote"),
        ("demote", "demote"),
        ("demoted", "demote"),
    ];
    let mut changed = false;
    for (i, rsc) in cluster.resources.iter().enumerate() {
        if rsc.variant != Variant::Clone {
            continue;
        }
        for (pseudo, task) in TASKS {
            let Some(&a) = set.find(RscId(i), pseudo, None).first() else { continue };
            // A collection instance reports its own completion pseudo-action;
            // a primitive has only the action itself.
            let of_instances: Vec<usize> = rsc
                .children
                .iter()
                .filter_map(|&c| {
                    let t = if cluster.rsc(c).variant == Variant::Primitive { task } else { pseudo };
                    set.find_first(c, t, None)
                })
                .collect();
            // An instance stopping for good has, in Pacemaker, a start when an
            // ordering counts the clone's instances (clone-min); its stop
            // requires it (though it cannot run), so the clone's start and
            // running are in the graph too.
            let counted = cluster.orderings.iter().any(|o| o.first == RscId(i) && o.min_first_instances > 0);
            let stops_for_good = matches!(task, "start")
                && counted
                && rsc.children.iter().any(|&c| {
                    let i = cluster.rsc(c);
                    i.variant == Variant::Primitive
                        && i.assigned.is_none()
                        && i.managed
                        && set
                            .find(c, "stop", None)
                            .iter()
                            .any(|&s| !set.actions[s].optional && set.actions[s].runnable)
                });
            if set.actions[a].optional
                && (stops_for_good || of_instances.iter().any(|&x| !set.actions[x].optional))
            {
                set.actions[a].optional = false;
                changed = true;
            }
            if set.actions[a].runnable && !of_instances.iter().any(|&x| set.actions[x].runnable) {
                set.actions[a].runnable = false;
                changed = true;
            }
        }
    }
    changed
}

/// The instance task a clone's pseudo-action stands for (notifications: the
/// task notified about).
fn instance_task(pseudo: &str) -> Option<&'static str> {
    let done = pseudo.rsplit("notify_").next().unwrap_or(pseudo);
    Some(match done {
        "start" | "running" => "start",
        "stop" | "stopped" => "stop",
        "promote" | "promoted" => "promote",
        "demote" | "demoted" => "demote",
        _ => return None,
    })
}

/// Whether clone pseudo-action `a`, seen from an action on `node`, is
/// required: when its instances are primitives, only the instance action on
/// that node counts. `None` when `a` is not such an action (or no node).
pub fn required_on(cluster: &Cluster, set: &ActionSet, a: usize, node: Option<NodeId>) -> Option<bool> {
    let node = node?;
    let action = &set.actions[a];
    let r = action.rsc?;
    let rsc = cluster.rsc(r);
    if rsc.variant != Variant::Clone || action.node.is_some() {
        return None;
    }
    let task = instance_task(&action.task)?;
    // A collection instance counts through its members' actions there.
    fn required_there(cluster: &Cluster, set: &ActionSet, c: RscId, task: &str, node: NodeId) -> bool {
        let inst = cluster.rsc(c);
        if inst.variant == Variant::Primitive {
            set.find_first(c, task, Some(node)).is_some_and(|x| !set.actions[x].optional)
        } else {
            inst.children.iter().any(|&m| required_there(cluster, set, m, task, node))
        }
    }
    Some(rsc.children.iter().any(|&c| required_there(cluster, set, c, task, node)))
}
