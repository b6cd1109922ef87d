//! Stage 5, ordering: order constraints become edges between actions (collections
//! contribute their pseudo-actions), and requirements propagate along the edges
//! until nothing changes: a required action may require others, an unrunnable one
//! may make others unrunnable.

use super::actions::{ActionSet, EdgeFlags};
use super::cluster::*;

/// The action that stands for "`task` of `rsc` has finished", used when `rsc` is
/// the first side of an ordering.
pub(crate) fn first_side(cluster: &Cluster, set: &ActionSet, rsc: RscId, task: &str) -> Vec<usize> {
    let r = cluster.rsc(rsc);
    match r.variant {
        Variant::Primitive => set.find(rsc, task, None),
        _ => {
            let done = match task {
                "start" => "running",
                "stop" => "stopped",
                "promote" => "promoted",
                "demote" => "demoted",
                other => other,
            };
            // A notifying clone is done once its "post" notifications are.
            if r.variant == Variant::Clone && r.notify {
                let confirmed = set.find(rsc, &format!("confirmed-post_notify_{done}"), None);
                if !confirmed.is_empty() {
                    return confirmed;
                }
            }
            set.find(rsc, done, None)
        }
    }
}

/// The action that starts `task` of `rsc`, used when `rsc` is the then side.
fn then_side(set: &ActionSet, rsc: RscId, task: &str) -> Vec<usize> {
    set.find(rsc, task, None)
}

/// Primitive actions that a requirement on a collection's action must reach:
/// its first member for start/promote, its last member for stop/demote.
fn implied_members(cluster: &Cluster, set: &ActionSet, rsc: RscId, task: &str) -> Vec<usize> {
    let r = cluster.rsc(rsc);
    match r.variant {
        Variant::Primitive => Vec::new(),
        Variant::Group => {
            if matches!(task, "stop" | "demote") {
                r.children.last().map(|&m| set.find(m, task, None)).unwrap_or_default()
            } else {
                // Pacemaker applies the ordering to every member, so each
                // carries the original reason.
                r.children.iter().flat_map(|&m| set.find(m, task, None)).collect()
            }
        }
        Variant::Clone | Variant::Bundle => {
            // A cloned group passes the ordering on to its first member (its
            // last, for stopping) as well.
            r.children
                .iter()
                .flat_map(|&c| {
                    let mut v = set.find(c, task, None);
                    let inst = cluster.rsc(c);
                    if inst.variant == Variant::Group {
                        let member = if matches!(task, "stop" | "demote") {
                            inst.children.last()
                        } else {
                            inst.children.first()
                        };
                        v.extend(member.map(|&m| set.find(m, task, None)).unwrap_or_default());
                    }
                    v
                })
                .collect()
        }
    }
}

fn invert(task: &str) -> Option<&'static str> {
    Some(match task {
        "start" => "stop",
        "stop" => "start",
        "promote" => "demote",
        "demote" => "promote",
        _ => return None,
    })
}

pub fn apply_order_constraints(cluster: &Cluster, set: &mut ActionSet) {
    for o in &cluster.orderings {
        let mandatory = o.kind == OrderKind::Mandatory;
        // The deprecated restart-type=restart makes an optional ordering
        // restart the later resource when the earlier one restarts.
        let restart_type = o.kind == OrderKind::Optional
            && cluster.rsc(o.then).meta.get("restart-type").is_some_and(|v| v == "restart");
        let forward = if restart_type {
            EdgeFlags { ordered: true, implies_then: true, ..Default::default() }
        } else if mandatory && !o.symmetrical {
            EdgeFlags { ordered: true, asymmetrical: true, ..Default::default() }
        } else {
            EdgeFlags {
                ordered: true,
                implies_then: mandatory,
                implies_first: false,
                runnable_left: mandatory && matches!(o.first_action.as_str(), "start" | "promote" | "stop"),
                ..Default::default()
            }
        };
        if o.kind == OrderKind::Serialize {
            continue;
        }
        if let Some(gate) = &o.gate {
            link_through_gate(cluster, set, o, gate, forward);
        } else if o.min_first_instances > 0 {
            link_through_minimum(cluster, set, o, forward);
        } else {
            link(cluster, set, o.first, &o.first_action, o.then, &o.then_action, forward);
        }
        if o.symmetrical {
            if let (Some(fi), Some(ti)) = (invert(&o.first_action), invert(&o.then_action)) {
                // A stop that can never happen (a blocked resource) holds back
                // the stops that must wait for it. (A clone's stop pseudo-action
                // is unrunnable merely because no instance stops: that holds
                // back nothing.)
                // Pacemaker flags the inverse "then implies first", but that
                // only ever takes effect for collections' own pseudo-actions
                // (which follow their instances anyway): a required stop of
                // the later resource does not make the earlier one stop.
                // With restart-type=restart, though, the later resource's
                // start is required by the earlier one's: it comes back.
                let inverse = EdgeFlags {
                    ordered: true,
                    implies_first: restart_type,
                    runnable_left: mandatory && ti == "stop" && cluster.rsc(o.then).variant != Variant::Clone,
                    ..Default::default()
                };
                link(cluster, set, o.then, ti, o.first, fi, inverse);
            }
        }
    }
}

/// An ordering after "enough instances of a clone": a pseudo-action that is
/// runnable while at least the minimum of the instances' first actions are,
/// and the then side after it.
fn link_through_minimum(cluster: &Cluster, set: &mut ActionSet, o: &Ordering, flags: EdgeFlags) {
    let mut met = ActionSet::new_action(None, &format!("clone-one-or-more:{}", o.id), 0, None);
    met.pseudo = true;
    met.required_runnable_before = o.min_first_instances;
    let met = set.add(met);
    let counts =
        EdgeFlags { ordered: true, one_or_more: true, implies_then_printed: true, ..Default::default() };
    for &inst in &cluster.rsc(o.first).children {
        for f in set.find(inst, &o.first_action, None) {
            set.edge(f, met, counts);
        }
    }
    let after = EdgeFlags { runnable_left: true, ..flags };
    for t in then_side(set, o.then, &o.then_action) {
        set.edge(met, t, after);
    }
    for t in implied_members(cluster, set, o.then, &o.then_action) {
        set.edge(met, t, EdgeFlags { ordered: false, implies_first: false, ..after });
    }
}

/// An ordering after "any one of a set" (`require-all=false`): every
/// member's action counts toward one pseudo-action shared by the set, which
/// is runnable while at least one of them is, and the then side waits for it.
fn link_through_gate(cluster: &Cluster, set: &mut ActionSet, o: &Ordering, gate: &str, flags: EdgeFlags) {
    let g = match set.actions.iter().position(|a| a.rsc.is_none() && a.pseudo && a.task == gate) {
        Some(g) => g,
        None => {
            let mut a = ActionSet::new_action(None, gate, 0, None);
            a.pseudo = true;
            a.required_runnable_before = 1;
            set.add(a)
        }
    };
    let counts =
        EdgeFlags { ordered: true, one_or_more: true, implies_then_printed: true, ..Default::default() };
    for f in first_side(cluster, set, o.first, &o.first_action) {
        set.edge(f, g, counts);
    }
    let after = EdgeFlags { runnable_left: true, ..flags };
    for t in then_side(set, o.then, &o.then_action) {
        set.edge(g, t, after);
    }
    for t in implied_members(cluster, set, o.then, &o.then_action) {
        set.edge(g, t, EdgeFlags { ordered: false, implies_first: false, ..after });
    }
}

/// A resource that must never share a node with another (`-INFINITY`
/// colocation) gives up its role there before the other takes its role, both
/// ways round.
pub fn apply_anti_colocation_orders(cluster: &Cluster, set: &mut ActionSet) {
    for c in &cluster.colocations {
        if c.score.0 > -super::score::INFINITY {
            continue;
        }
        order_role_handover(cluster, set, (c.dependent, c.dependent_role), (c.primary, c.primary_role));
        order_role_handover(cluster, set, (c.primary, c.primary_role), (c.dependent, c.dependent_role));
    }
}

fn order_role_handover(
    cluster: &Cluster,
    set: &mut ActionSet,
    (leaving, leaving_role): (RscId, Option<Role>),
    (taking, taking_role): (RscId, Option<Role>),
) {
    let lose: &[&str] = match leaving_role {
        Some(Role::Promoted) => &["demote"],
        Some(Role::Unpromoted) => &["stop", "promote"],
        _ => &["stop"],
    };
    let gain: &[&str] = match taking_role {
        Some(Role::Promoted) => &["promote"],
        Some(Role::Unpromoted) => &["start", "demote"],
        _ => &["start"],
    };
    let flags = EdgeFlags { ordered: true, same_node_only: true, ..Default::default() };
    for fa in lose {
        for ta in gain {
            link(cluster, set, leaving, fa, taking, ta, flags);
        }
    }
}

fn link(
    cluster: &Cluster,
    set: &mut ActionSet,
    first: RscId,
    fa: &str,
    then: RscId,
    ta: &str,
    flags: EdgeFlags,
) {
    let firsts = first_side(cluster, set, first, fa);
    let thens = then_side(set, then, ta);
    for &f in &firsts {
        for &t in &thens {
            set.edge(f, t, flags);
        }
    }
    if super::interleave::is_interleaved(cluster, first, then, ta) {
        super::interleave::link_instances(cluster, set, (first, fa), (then, ta), flags);
        return;
    }
    // Requirements must reach the members behind a collection's pseudo-actions.
    let implication = EdgeFlags { ordered: false, ..flags };
    let clone_then = cluster.rsc(then).variant == Variant::Clone;
    for &f in &firsts {
        for t in implied_members(cluster, set, then, ta) {
            set.edge(f, t, EdgeFlags { implies_first: false, any_node: clone_then, ..implication });
        }
    }
    for f in implied_members(cluster, set, first, fa) {
        for &t in &thens {
            set.edge(f, t, EdgeFlags { implies_then: false, runnable_left: false, ..implication });
        }
    }
}

/// Propagates requirements and unrunnability until a fixed point.
pub fn propagate(cluster: &Cluster, set: &mut ActionSet) {
    let describe = |cluster: &Cluster, set: &ActionSet, i: usize| -> String {
        let a = &set.actions[i];
        match a.rsc {
            Some(r) => format!("{} {}", cluster.rsc(r).id, a.task),
            None => a.task.clone(),
        }
    };
    let by_primary = mandatory_colocations_by_primary(cluster);
    loop {
        let mut changed = false;
        for ei in 0..set.edges.len() {
            let e = set.edges[ei].clone();
            let (f, t) = (e.first, e.then);
            // A clone's action counts as required toward an action on one
            // node only if its instance's action on that node is required.
            // A group's start stands where the group is placed.
            let node_of = |set: &ActionSet, i: usize| {
                let a = &set.actions[i];
                a.node.or_else(|| {
                    let r = cluster.rsc(a.rsc?);
                    (r.variant == Variant::Group && a.task == "start")
                        .then(|| r.children.first().and_then(|&m| cluster.rsc(m).assigned))
                        .flatten()
                })
            };
            let required_for = |set: &ActionSet, i: usize, other: usize| {
                super::clone::required_on(cluster, set, i, node_of(set, other))
                    .unwrap_or(!set.actions[i].optional)
            };
            let first_required = |set: &ActionSet| {
                if e.flags.any_node {
                    !set.actions[f].optional
                } else {
                    required_for(set, f, t)
                }
            };
            if e.flags.implies_then && set.actions[t].optional && first_required(set) {
                set.actions[t].optional = false;
                if set.actions[t].reason.is_none() && set.actions[f].rsc != set.actions[t].rsc {
                    let why = format!("required {}", describe(cluster, set, f));
                    set.actions[t].reason = Some(why);
                }
                changed = true;
            }
            if e.flags.implies_first && set.actions[f].optional && required_for(set, t, f) {
                set.actions[f].optional = false;
                // Named only across a restart ordering (Pacemaker's other
                // "then implies first" orderings leave no reason).
                if e.flags.restart
                    && set.actions[f].reason.is_none()
                    && set.actions[f].rsc != set.actions[t].rsc
                {
                    set.actions[f].reason = Some(format!("required {}", describe(cluster, set, t)));
                }
                changed = true;
            }
            // Actions of resources that are merely unmanaged never run but
            // block nothing (Pacemaker leaves them runnable, only optional).
            let first_blocks = set.actions[f].rsc.is_none_or(|r| {
                let r = cluster.rsc(r);
                r.managed || r.blocked
            });
            if e.flags.asymmetrical
                && !set.actions[f].runnable
                && first_blocks
                && !already_done(cluster, set, t)
                && (set.actions[t].runnable || set.actions[t].optional)
            {
                let other = set.actions[f].rsc != set.actions[t].rsc;
                if set.actions[t].optional {
                    set.actions[t].optional = false;
                    if set.actions[t].reason.is_none() && other {
                        set.actions[t].reason = Some(format!("required {}", describe(cluster, set, f)));
                    }
                }
                set.actions[t].runnable = false;
                if set.actions[t].reason.is_none() && other {
                    set.actions[t].reason = Some(format!("unrunnable {}", describe(cluster, set, f)));
                }
                changed = true;
            }
            // Between two resources this holds only where `then` is
            // required (a group member's stop before the previous one's).
            let other = set.actions[f].rsc != set.actions[t].rsc;
            if e.flags.restart
                && !set.actions[f].optional
                && !set.actions[f].runnable
                && set.actions[t].runnable
                && (!other || !set.actions[t].optional)
                && set.actions[t].rsc.is_some_and(|r| cluster.rsc(r).managed)
            {
                set.actions[t].runnable = false;
                if other && set.actions[t].reason.is_none() {
                    set.actions[t].reason = Some(format!("unrunnable {}", describe(cluster, set, f)));
                }
                changed = true;
            }
            if e.flags.runnable_left && !set.actions[f].runnable && first_blocks && set.actions[t].runnable {
                set.actions[t].runnable = false;
                // A stop keeps why it was needed; it is only marked blocked.
                let keeps_reason = set.actions[t].task == "stop" && set.actions[t].reason.is_some();
                // Within one resource the cause is not named (a probe that
                // cannot run just blocks the start).
                let same_rsc_probe = set.actions[f].rsc == set.actions[t].rsc && set.actions[f].is_probe;
                if !keeps_reason
                    && !same_rsc_probe
                    && (set.actions[f].rsc != set.actions[t].rsc || set.actions[t].reason.is_none())
                {
                    let why = format!("unrunnable {}", describe(cluster, set, f));
                    if set.actions[t]
                        .reason
                        .as_deref()
                        .is_none_or(|r| !r.starts_with("unrunnable") && !r.starts_with("required"))
                    {
                        set.actions[t].reason = Some(why);
                    }
                }
                // As Pacemaker (its restart ordering), at once: the stop a
                // blocked start makes needed comes before what later
                // orderings imply.
                stop_for_blocked_start(cluster, set, t);
                changed = true;
            }
        }
        changed |= enforce_minimum_runnable(set);
        changed |= super::clone::require_from_instances(cluster, set);
        changed |= block_colocation_dependents(cluster, set, &by_primary);
        for r in cluster.primitives() {
            let blocked = set.matching(r, "start", None).find(|&s| !set.actions[s].runnable);
            if let Some(s) = blocked {
                changed |= stop_for_blocked_start(cluster, set, s);
            }
        }
        if !changed {
            break;
        }
    }
    // A required stop makes a reload pointless.
    for i in 0..set.actions.len() {
        if set.actions[i].task != "reload-agent" {
            continue;
        }
        let (r, n) = (set.actions[i].rsc, set.actions[i].node);
        if let Some(r) = r {
            if set.matching(r, "stop", n).any(|s| !set.actions[s].optional) {
                set.actions[i].optional = true;
            }
        }
    }
}

/// A running primitive whose start (`s`) became unrunnable must stop; the
/// required stop requires the (unrunnable) start too, where the resource was
/// to stay. Done as soon as the start is found unrunnable, as Pacemaker does
/// (its restart ordering), so that what follows the start sees it required.
fn stop_for_blocked_start(cluster: &Cluster, set: &mut ActionSet, s: usize) -> bool {
    let Some(r) = set.actions[s].rsc else { return false };
    let rsc = cluster.rsc(r);
    if set.actions[s].task != "start"
        || rsc.variant != Variant::Primitive
        || !rsc.managed
        || rsc.running_on.is_empty()
    {
        return false;
    }
    let reason = set.actions[s].reason.clone();
    let (mut stopping, mut changed) = (false, false);
    for st in set.find(r, "stop", None) {
        stopping |= set.actions[st].runnable;
        if set.actions[st].optional {
            set.actions[st].optional = false;
            if set.actions[st].reason.is_none() {
                set.actions[st].reason = reason.clone();
            }
            changed = true;
        }
    }
    if stopping && set.actions[s].optional && set.actions[s].node.is_some() {
        set.actions[s].optional = false;
        changed = true;
    }
    changed
}

/// Whether `then` of an asymmetrical ordering would change nothing: a start
/// of a resource already running only there, or a stop of one stopped.
fn already_done(cluster: &Cluster, set: &ActionSet, t: usize) -> bool {
    let a = &set.actions[t];
    let Some(r) = a.rsc else { return false };
    let rsc = cluster.rsc(r);
    match a.task.as_str() {
        "stop" => rsc.variant == Variant::Primitive && rsc.running_on.is_empty(),
        "start" => {
            a.optional
                && a.node.is_some()
                && rsc.running_on.len() == 1
                && a.node == rsc.running_on.first().copied()
                && rsc.role >= Role::Started
        }
        _ => false,
    }
}

/// Actions that need a minimum of runnable actions before them become
/// unrunnable when fewer remain; required ones mark those in the graph.
fn enforce_minimum_runnable(set: &mut ActionSet) -> bool {
    let mut changed = false;
    for i in 0..set.edges.len() {
        let (first, then, printed) =
            (set.edges[i].first, set.edges[i].then, set.edges[i].flags.implies_then_printed);
        let first = &set.actions[first];
        if printed && !first.optional && first.runnable && !set.actions[then].print_always {
            set.actions[then].print_always = true;
            changed = true;
        }
    }
    for i in 0..set.actions.len() {
        let need = set.actions[i].required_runnable_before;
        if need == 0 || !set.actions[i].runnable {
            continue;
        }
        let runnable = set
            .edges
            .iter()
            .filter(|e| e.then == i && e.flags.one_or_more && set.actions[e.first].runnable)
            .count();
        if runnable < need {
            set.actions[i].runnable = false;
            changed = true;
        }
    }
    changed
}

/// Mandatory colocations by their primary (indexes into the cluster's
/// colocations). Only looked up, never iterated: order cannot leak.
type ByPrimary = std::collections::HashMap<RscId, Vec<usize>>;

fn mandatory_colocations_by_primary(cluster: &Cluster) -> ByPrimary {
    let mut by_primary = ByPrimary::new();
    for (i, c) in cluster.colocations.iter().enumerate() {
        if c.score.is_inf() {
            by_primary.entry(c.primary).or_default().push(i);
        }
    }
    by_primary
}

/// An unrunnable start (or promote) of a primary blocks the same action of
/// resources mandatorily colocated with it (all instances, for a collective).
fn block_colocation_dependents(cluster: &Cluster, set: &mut ActionSet, by_primary: &ByPrimary) -> bool {
    let mut changed = false;
    for i in 0..set.actions.len() {
        let a = &set.actions[i];
        if a.runnable || a.pseudo || !matches!(a.task.as_str(), "start" | "promote") {
            continue;
        }
        let Some(arsc) = a.rsc else { continue };
        // An instance kept from starting by an interleaved ordering neither
        // blocks nor counts as blocked: Pacemaker takes it off its node while
        // ordering, past the point where unrunnable starts block dependents.
        let inhibited = |r: RscId| cluster.rsc(r).inhibited_on.is_some();
        if inhibited(arsc) {
            continue;
        }
        let task = a.task.clone();
        let is_start = task == "start";
        let top = cluster.top_of(arsc);
        let trsc = cluster.rsc(top);
        if trsc.variant != Variant::Primitive {
            let any_runnable = cluster.leaves(top).into_iter().any(|leaf| {
                inhibited(leaf) || set.matching(leaf, &task, None).any(|x| set.actions[x].runnable)
            });
            if any_runnable {
                continue;
            }
        }
        let mut cons: Vec<&Colocation> =
            by_primary.get(&top).into_iter().flatten().map(|&i| &cluster.colocations[i]).collect();
        if arsc != top {
            cons.extend(by_primary.get(&arsc).into_iter().flatten().map(|&i| &cluster.colocations[i]));
        }
        for c in cons {
            if !is_start && c.primary_role != Some(Role::Promoted) {
                continue;
            }
            let dep_task = if c.dependent_role == Some(Role::Promoted) { "promote" } else { "start" };
            let reason = format!("colocation with {}", cluster.rsc(arsc).id);
            for leaf in cluster.leaves(c.dependent) {
                for x in set.find(leaf, dep_task, None) {
                    if set.actions[x].runnable {
                        set.actions[x].runnable = false;
                        set.actions[x].reason = Some(reason.clone());
                        changed = true;
                    }
                }
            }
        }
    }
    changed
}
