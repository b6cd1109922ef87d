//! Placement strategies other than `default`: nodes offer capacity (their
//! `utilization`), resources use some, and a resource goes only where what it
//! and the not-yet-placed resources colocated with it need still fits.
//! `balanced` prefers the node with the most capacity left, `minimal` the
//! fewest nodes, `utilization` only enforces capacity. Resources are then
//! placed in a different order (most important first), and each move waits
//! for what leaves its new node (the `load_stopped_<node>` pseudo-actions).

use std::cmp::Ordering as Cmp;
use std::collections::BTreeMap;

use super::cluster::*;
use super::placement::{node_available, resource_location, NodeScores};
use super::score::{Score, INFINITY};

/// A utilization value as Pacemaker reads it: the leading integer, 0 if none.
pub fn value(s: &str) -> i64 {
    let t = s.trim_start();
    let end = t
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && (c == '-' || c == '+'))))
        .map(|(i, _)| i)
        .unwrap_or(t.len());
    t[..end].parse().unwrap_or(0)
}

/// Whether placement looks at utilization at all.
pub fn enabled(cluster: &Cluster) -> bool {
    !cluster.options.placement_strategy.eq_ignore_ascii_case("default")
}

fn strategy_is(cluster: &Cluster, name: &str) -> bool {
    cluster.options.placement_strategy.eq_ignore_ascii_case(name)
}

/// Which node has more capacity left: negative when `a` has more, by how many
/// attributes it wins over `b` minus those it loses.
pub fn compare_capacities(cluster: &Cluster, a: NodeId, b: NodeId) -> i32 {
    let (ra, rb) = (&cluster.node(a).remaining, &cluster.node(b).remaining);
    let mut result = 0;
    let mut tally = |x: i64, y: i64| match x.cmp(&y) {
        Cmp::Greater => result -= 1,
        Cmp::Less => result += 1,
        Cmp::Equal => {}
    };
    for (k, &x) in ra {
        tally(x, rb.get(k).copied().unwrap_or(0));
    }
    for (k, &y) in rb {
        if !ra.contains_key(k) {
            tally(0, y);
        }
    }
    result
}

/// How two candidate nodes of equal score compare under the strategy:
/// `balanced` by capacity left, then (except `minimal`) by how many resources
/// were already placed there.
/// The strategy is looked up once: candidates are compared many times.
pub fn tie_break(cluster: &Cluster) -> impl Fn(NodeId, NodeId) -> Cmp + '_ {
    let minimal = strategy_is(cluster, "minimal");
    let balanced = strategy_is(cluster, "balanced");
    move |a, b| {
        if minimal {
            return Cmp::Equal;
        }
        let by_capacity = if balanced { compare_capacities(cluster, a, b).cmp(&0) } else { Cmp::Equal };
        by_capacity.then(cluster.node(a).assigned_count.cmp(&cluster.node(b).assigned_count))
    }
}

/// Whether, under `minimal`, the node the resource runs on counts for nothing
/// when choosing among equal nodes.
pub fn ignores_current_node(cluster: &Cluster) -> bool {
    strategy_is(cluster, "minimal")
}

fn has_enough(cluster: &Cluster, n: NodeId, need: &BTreeMap<String, i64>) -> bool {
    let left = &cluster.node(n).remaining;
    need.iter().all(|(k, &v)| v <= left.get(k).copied().unwrap_or(0))
}

/// `r` now runs on `n`: its use comes off what the node has left.
pub fn consume(cluster: &mut Cluster, r: RscId, n: NodeId) {
    adjust_remaining(cluster, r, n, -1);
}

/// `r` no longer runs on `n` (a clone instance placed again).
pub fn release(cluster: &mut Cluster, r: RscId, n: NodeId) {
    adjust_remaining(cluster, r, n, 1);
}

/// Adds `sign` times `r`'s use to what `n` has left.
fn adjust_remaining(cluster: &mut Cluster, r: RscId, n: NodeId, sign: i64) {
    if !enabled(cluster) {
        return;
    }
    let used = cluster.rsc(r).utilization.clone();
    let left = &mut cluster.nodes[n.0].remaining;
    for (k, v) in used {
        *left.entry(k).or_insert(0) += sign * v;
    }
}

/// Whether a colocation would place its dependent (not merely decide its role).
fn affects_location(cluster: &Cluster, c: &Colocation) -> bool {
    let dep = cluster.rsc(c.dependent);
    let role_only = matches!(c.dependent_role, Some(Role::Unpromoted | Role::Promoted))
        && dep.parent.is_some_and(|p| cluster.rsc(p).promotable)
        && !dep.provisional;
    !role_only
}

/// `r` and every resource tied to it by mandatory colocations, transitively
/// (a clone's non-clone dependents excepted: where they go is not certain).
fn colocated_resources(cluster: &Cluster, r: RscId, orig: RscId, list: &mut Vec<RscId>) {
    let rsc = cluster.rsc(r);
    if rsc.variant == Variant::Group && !list.contains(&r) {
        let all = members_together(cluster, r);
        let members: Vec<RscId> =
            if all { rsc.children.clone() } else { rsc.children.first().copied().into_iter().collect() };
        for m in members {
            colocated_resources(cluster, m, orig, list);
        }
    }
    if list.contains(&r) {
        return;
    }
    list.push(r);
    for &ci in &rsc.this_with {
        let c = &cluster.colocations[ci];
        if c.primary != orig && c.score.0 == INFINITY && affects_location(cluster, c) {
            colocated_resources(cluster, c.primary, orig, list);
        }
    }
    let is_clone = rsc.variant == Variant::Clone;
    for &ci in &rsc.with_this {
        let c = &cluster.colocations[ci];
        if c.dependent == orig || (is_clone && cluster.rsc(c.dependent).variant != Variant::Clone) {
            continue;
        }
        if c.score.0 == INFINITY && affects_location(cluster, c) {
            colocated_resources(cluster, c.dependent, orig, list);
        }
    }
}

/// Whether a group's members all go to one node: it is collocated (the
/// default) or cloned.
fn members_together(cluster: &Cluster, g: RscId) -> bool {
    let rsc = cluster.rsc(g);
    rsc.meta.get("collocated").is_none_or(|v| super::unpack::is_true(v))
        || rsc.parent.is_some_and(|p| cluster.rsc(p).variant == Variant::Clone)
}

/// Adds what `r` will use, if not placed yet, to `sum` (a group: all its
/// members when they go together, else the first; a clone: one instance).
fn add_utilization(cluster: &Cluster, r: RscId, all: &[RscId], sum: &mut BTreeMap<String, i64>) {
    let rsc = cluster.rsc(r);
    if !rsc.provisional {
        return;
    }
    match rsc.variant {
        Variant::Primitive => {
            for (k, v) in &rsc.utilization {
                *sum.entry(k.clone()).or_insert(0) += v;
            }
        }
        Variant::Group => {
            let together = members_together(cluster, r);
            let members: Vec<RscId> = if together {
                rsc.children.clone()
            } else {
                rsc.children.first().copied().into_iter().collect()
            };
            for m in members {
                if cluster.rsc(m).provisional && !all.contains(&m) {
                    add_utilization(cluster, m, all, sum);
                }
            }
        }
        Variant::Clone => {
            let mut existing = false;
            for &c in &rsc.children {
                if all.contains(&c) {
                    existing = true;
                } else if cluster.rsc(c).children.iter().any(|m| all.contains(m)) {
                    add_utilization(cluster, c, all, sum);
                    existing = true;
                }
            }
            if !existing {
                if let Some(&c) = rsc.children.first() {
                    add_utilization(cluster, c, all, sum);
                }
            }
        }
        Variant::Bundle => {}
    }
}

/// Bans `r` from the nodes that cannot take it together with what must be
/// placed with it (or, if no node can, from those that cannot take it alone).
/// Returns the node with the most capacity left when none can take them all.
pub fn ban_insufficient_capacity(cluster: &mut Cluster, r: RscId) -> Option<NodeId> {
    if !enabled(cluster) {
        return None;
    }
    let mut group = Vec::new();
    colocated_resources(cluster, r, r, &mut group);
    if !group.contains(&r) {
        group.push(r);
    }
    let mut need = BTreeMap::new();
    for &x in &group {
        add_utilization(cluster, x, &group, &mut need);
    }
    let candidates: Vec<NodeId> = cluster
        .node_ids()
        .filter(|&n| {
            matches!(cluster.rsc(r).allowed[n.0], Some(s) if s >= Score::ZERO) && node_available(cluster, n)
        })
        .collect();
    let mut any_capable = false;
    let mut most_free: Option<NodeId> = None;
    for &n in &candidates {
        any_capable |= has_enough(cluster, n, &need);
        if most_free.is_none_or(|m| compare_capacities(cluster, n, m) < 0) {
            most_free = Some(n);
        }
    }
    let own = cluster.rsc(r).utilization.clone();
    let check = if any_capable { &need } else { &own };
    let short: Vec<NodeId> = candidates.into_iter().filter(|&n| !has_enough(cluster, n, check)).collect();
    for n in short {
        resource_location(cluster, r, Some(n), Score::NEG_INF);
    }
    if any_capable {
        None
    } else {
        most_free
    }
}

/// Pacemaker's colocated node scores of `r` for ordering resources: its own
/// scores with those of the resources it is placed with folded in.
fn sort_scores(
    cluster: &Cluster,
    r: RscId,
    work: Option<NodeScores>,
    attr: &str,
    factor: f64,
    active: bool,
    merging: &mut Vec<bool>,
) -> Option<NodeScores> {
    if merging[r.0] {
        return work;
    }
    merging[r.0] = true;
    let rsc = cluster.rsc(r);
    let new = if rsc.variant == Variant::Group {
        let member = if work.is_none() { rsc.children.last() } else { rsc.children.first() };
        match member {
            Some(&m) => sort_scores(cluster, m, work.clone(), attr, factor, active, merging),
            None => {
                merging[r.0] = false;
                return work;
            }
        }
    } else {
        match &work {
            None => Some(rsc.allowed.clone()),
            Some(w) => {
                let mut w = w.clone();
                super::placement::add_scores_matching_attr(cluster, r, &mut w, attr, factor, false);
                Some(w)
            }
        }
    };
    let Some(mut new) = new else {
        merging[r.0] = false;
        return work;
    };
    let available = new
        .iter()
        .enumerate()
        .any(|(i, s)| matches!(s, Some(s) if *s >= Score::ZERO) && node_available(cluster, NodeId(i)));
    if available {
        let multiplier = if factor < 0.0 { -1.0 } else { 1.0 };
        for &ci in &rsc.this_with {
            let c = &cluster.colocations[ci];
            let f = multiplier * c.score.0 as f64 / INFINITY as f64;
            if let Some(w) =
                sort_scores(cluster, c.primary, Some(new.clone()), &c.node_attribute, f, true, merging)
            {
                new = w;
            }
        }
    } else if active {
        merging[r.0] = false;
        return work;
    }
    merging[r.0] = false;
    Some(new)
}

/// Orders the top-level resources for placement as Pacemaker does under a
/// non-default strategy: priority, then score where each runs now, then the
/// best score on the nodes taken in order of preference.
pub fn sort_for_assignment(cluster: &mut Cluster) {
    if !enabled(cluster) {
        return;
    }
    let mut nodes: Vec<NodeId> = cluster.node_ids().collect();
    {
        let tie_break = tie_break(cluster);
        nodes.sort_by(|&a, &b| {
            let w = |n: NodeId| if node_available(cluster, n) { 0 } else { -INFINITY };
            w(b).cmp(&w(a))
                .then_with(|| tie_break(a, b))
                .then_with(|| cluster.node(a).name.cmp(&cluster.node(b).name))
        });
    }
    let top = cluster.top.clone();
    let keys: Vec<(i64, Score, Vec<Score>)> = top
        .iter()
        .map(|&r| {
            let mut merging = vec![false; cluster.resources.len()];
            let scores =
                sort_scores(cluster, r, None, "#uname", 1.0, false, &mut merging).unwrap_or_default();
            let at = |n: NodeId| scores.get(n.0).copied().flatten().unwrap_or(Score::NEG_INF);
            let current = current_node(cluster, r).map(at).unwrap_or(Score::NEG_INF);
            (cluster.rsc(r).priority, current, nodes.iter().map(|&n| at(n)).collect())
        })
        .collect();
    let mut order: Vec<usize> = (0..top.len()).collect();
    order.sort_by(|&a, &b| {
        let (ka, kb) = (&keys[a], &keys[b]);
        kb.0.cmp(&ka.0).then(kb.1.cmp(&ka.1)).then_with(|| kb.2.cmp(&ka.2))
    });
    cluster.top = order.into_iter().map(|i| top[i]).collect();
}

/// The first node a resource (or any of its instances) runs on.
fn current_node(cluster: &Cluster, r: RscId) -> Option<NodeId> {
    let rsc = cluster.rsc(r);
    rsc.running_on.first().copied().or_else(|| rsc.children.iter().find_map(|&c| current_node(cluster, c)))
}
