//! The order in which a clone's instances are considered, for assignment and
//! (after promotion priorities) for promotion. Pacemaker sorts the instance
//! list in place with a stable merge sort, so instances it finds equal keep
//! the order they already had; ours does the same.

use std::cmp::Ordering;

use super::cluster::*;
use super::placement::{self, node_available};
use super::score::{Score, INFINITY};

/// Nodes where an instance (or any member of a grouped instance) is active.
pub fn instance_nodes(cluster: &Cluster, inst: RscId) -> Vec<NodeId> {
    let r = cluster.rsc(inst);
    let mut out: Vec<NodeId> = r.running_on.clone();
    for &c in &r.children {
        for n in instance_nodes(cluster, c) {
            if !out.contains(&n) {
                out.push(n);
            }
        }
    }
    out
}

/// Whether an instance or any member of it failed.
pub fn any_failed(cluster: &Cluster, r: RscId) -> bool {
    let rsc = cluster.rsc(r);
    rsc.failed || rsc.children.iter().any(|&c| any_failed(cluster, c))
}

/// The number after the last `:` of an instance id.
pub fn instance_number(id: &str) -> usize {
    id.rsplit(':').next().and_then(|n| n.parse().ok()).unwrap_or(usize::MAX)
}

/// The score the clone's own colocations give an instance's current node:
/// between two otherwise equal active instances, the one whose node the
/// clone's colocations favour more goes first.
fn colocation_score_on(cluster: &Cluster, inst: RscId, node: NodeId) -> Score {
    let Some(clone) = cluster.rsc(inst).parent else { return Score::ZERO };
    let mut work: placement::NodeScores = vec![None; cluster.nodes.len()];
    work[node.0] = Some(Score::ZERO);
    for &ci in &cluster.rsc(clone).this_with {
        let c = &cluster.colocations[ci];
        let factor = c.score.0 as f64 / INFINITY as f64;
        work = placement::colocated_scores(cluster, c.primary, work, &c.node_attribute, factor, false);
    }
    for &ci in &cluster.rsc(clone).with_this {
        let c = &cluster.colocations[ci];
        if !(c.influence || cluster.rsc(inst).running_on.is_empty()) {
            continue;
        }
        let factor = c.score.0 as f64 / INFINITY as f64;
        work = placement::colocated_scores_with(
            cluster,
            c.dependent,
            work,
            &c.node_attribute,
            factor,
            false,
            true,
        );
    }
    work[node.0].unwrap_or(Score::ZERO)
}

/// [`colocation_score_on`] for one sort: each instance's score is computed
/// once, not at every comparison (it follows colocation chains, which on
/// large configurations are long).
pub struct ColocationScores<'c> {
    cluster: &'c Cluster,
    known: std::cell::RefCell<Vec<(RscId, NodeId, Score)>>,
}

impl<'c> ColocationScores<'c> {
    pub fn new(cluster: &'c Cluster) -> Self {
        ColocationScores { cluster, known: Default::default() }
    }

    fn get(&self, inst: RscId, node: NodeId) -> Score {
        if let Some(&(_, _, s)) = self.known.borrow().iter().find(|(i, n, _)| *i == inst && *n == node) {
            return s;
        }
        let s = colocation_score_on(self.cluster, inst, node);
        self.known.borrow_mut().push((inst, node, s));
        s
    }
}

/// Compares two instances of `clone` for assignment order (Less: `a` first):
/// less multiply active, not active where no longer allowed, higher
/// `priority`, active, on a node that can run resources, on a node the clone
/// is allowed on, not failed, favoured by the clone's colocations, lower
/// number. Two inactive instances of equal priority compare equal.
pub fn compare(
    cluster: &Cluster,
    clone: RscId,
    a: RscId,
    b: RscId,
    priority: &dyn Fn(RscId) -> i64,
    scores: &ColocationScores<'_>,
) -> Ordering {
    let (on_a, on_b) = (instance_nodes(cluster, a), instance_nodes(cluster, b));
    if !on_a.is_empty() && !on_b.is_empty() && on_a.len() != on_b.len() {
        return on_a.len().cmp(&on_b.len());
    }
    // An instance's current node, unless the instance may no longer run there.
    let allowed_node = |inst: RscId, on: &[NodeId]| -> (bool, Option<NodeId>) {
        match on.first() {
            None => (true, None),
            Some(&n) if cluster.rsc(inst).allowed[n.0].is_some_and(|s| s >= Score::ZERO) => (true, Some(n)),
            Some(_) => (false, None),
        }
    };
    let ((can_a, node_a), (can_b, node_b)) = (allowed_node(a, &on_a), allowed_node(b, &on_b));
    if can_a != can_b {
        return can_b.cmp(&can_a);
    }
    let by_priority = priority(b).cmp(&priority(a));
    if by_priority != Ordering::Equal {
        return by_priority;
    }
    let (na, nb) = match (node_a, node_b) {
        (None, None) => return Ordering::Equal,
        (None, Some(_)) => return Ordering::Greater,
        (Some(_), None) => return Ordering::Less,
        (Some(x), Some(y)) => (x, y),
    };
    let (up_a, up_b) = (node_available(cluster, na), node_available(cluster, nb));
    if up_a != up_b {
        return up_b.cmp(&up_a);
    }
    let clone_allows = |n: NodeId| cluster.rsc(clone).allowed[n.0].is_some();
    match (clone_allows(na), clone_allows(nb)) {
        (false, false) => return Ordering::Equal,
        (false, true) => return Ordering::Greater,
        (true, false) => return Ordering::Less,
        (true, true) => {}
    }
    let failed = any_failed(cluster, a).cmp(&any_failed(cluster, b));
    if failed != Ordering::Equal {
        return failed;
    }
    let by_colocation = scores.get(b, nb).cmp(&scores.get(a, na));
    if by_colocation != Ordering::Equal {
        return by_colocation;
    }
    instance_number(&cluster.rsc(a).id).cmp(&instance_number(&cluster.rsc(b).id))
}

/// Sorts instances (stably) into assignment order by their configured
/// priority (which promotion scores may have raised).
pub fn sort_for_assignment(cluster: &Cluster, clone: RscId, instances: &mut Vec<RscId>) {
    let scores = ColocationScores::new(cluster);
    list_sort(instances, &|&a, &b| compare(cluster, clone, a, b, &|r| cluster.rsc(r).priority, &scores));
}

/// A stable merge sort that splits and merges exactly as GLib's list sort
/// does, so that comparisons that are not a strict order (instances compared
/// on some keys only) come out as Pacemaker's do, and never panic.
pub fn list_sort<T: Copy>(items: &mut Vec<T>, cmp: &dyn Fn(&T, &T) -> Ordering) {
    if items.len() < 2 {
        return;
    }
    let mut right = items.split_off(items.len() / 2);
    list_sort(items, cmp);
    list_sort(&mut right, cmp);
    let left = std::mem::take(items);
    let (mut i, mut j) = (0, 0);
    while i < left.len() && j < right.len() {
        if cmp(&left[i], &right[j]) != Ordering::Greater {
            items.push(left[i]);
            i += 1;
        } else {
            items.push(right[j]);
            j += 1;
        }
    }
    items.extend_from_slice(&left[i..]);
    items.extend_from_slice(&right[j..]);
}
