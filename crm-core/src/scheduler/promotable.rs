//! Promotable clones: which instances are promoted. Promotion scores come from
//! the `master-<resource>` node attributes (set by the agents through
//! `crm_attribute --promotion`), location constraints and colocations with role
//! `Promoted`; the best `promoted-max` instances (at most `promoted-node-max`
//! per node) are promoted, the other placed instances stay unpromoted.

use super::clone::assigned_node;
use super::cluster::*;
use super::placement::{self, node_available};
use super::score::{Score, INFINITY};

/// The name of the node attribute holding a resource's promotion score.
fn promotion_attr(name: &str) -> String {
    format!("master-{name}")
}

/// Whether a node's promotion score counts for `r` there: the instance is
/// active there, or the resource's state is known there (or nowhere yet).
fn score_applies(cluster: &Cluster, r: RscId, n: NodeId) -> bool {
    let rsc = cluster.rsc(r);
    let clone = cluster.top_of(r);
    let allowed = rsc.allowed[n.0].is_some_and(|s| s >= Score::ZERO);
    if !cluster.rsc(clone).unique {
        let base = rsc.base_id.clone().unwrap_or_else(|| rsc.id.clone());
        let active_here: Vec<RscId> = cluster
            .leaves(clone)
            .into_iter()
            .filter(|&l| {
                cluster.rsc(l).base_id.as_deref() == Some(base.as_str())
                    && cluster.rsc(l).running_on.contains(&n)
            })
            .collect();
        if active_here.contains(&r) {
            return allowed;
        }
        let known_here = cluster.leaves(clone).into_iter().any(|l| {
            cluster.rsc(l).base_id.as_deref() == Some(base.as_str()) && cluster.rsc(l).known_on.contains(&n)
        });
        if active_here.is_empty() && known_here {
            return allowed;
        }
    }
    if rsc.running_on.is_empty() && rsc.known_on.is_empty() {
        return allowed;
    }
    if rsc.known_on.contains(&n) || rsc.running_on.contains(&n) {
        return allowed;
    }
    false
}

/// The promotion score of `r` on `n` and whether it was only the default.
fn promotion_score(cluster: &Cluster, r: RscId, n: NodeId) -> (i64, bool) {
    let rsc = cluster.rsc(r);
    if rsc.variant != Variant::Primitive {
        let mut total = 0i64;
        let mut default = true;
        for &c in &rsc.children {
            let (s, d) = promotion_score(cluster, c, n);
            total += s;
            default &= d;
        }
        return (total, default);
    }
    if !score_applies(cluster, r, n) {
        return (0, true);
    }
    let attrs = &cluster.node(n).attrs;
    // The agent set the score under the name the history knows it by.
    let value = attrs.get(&promotion_attr(rsc.name_on(None))).or_else(|| {
        rsc.base_id
            .as_ref()
            .filter(|_| !cluster.rsc(cluster.top_of(r)).unique)
            .and_then(|b| attrs.get(&promotion_attr(b)))
    });
    match value.and_then(|v| Score::parse(v)) {
        Some(s) => (s.0, false),
        None => (0, true),
    }
}

/// Promotion scores raise an instance's preference for the nodes where it
/// would be promoted, before instances are placed.
pub fn add_promotion_scores(cluster: &mut Cluster, clone: RscId) {
    for inst in cluster.rsc(clone).children.clone() {
        for n in cluster.node_ids().collect::<Vec<_>>() {
            if cluster.rsc(inst).allowed[n.0].is_none() || !node_available(cluster, n) {
                continue;
            }
            let (score, _) = promotion_score(cluster, inst, n);
            if score > 0 {
                let cur = cluster.rsc(inst).allowed[n.0].unwrap();
                let new = cur.plus(Score(score));
                for r in subtree(cluster, inst) {
                    if cluster.rsc(r).allowed[n.0].is_some() && r == inst {
                        cluster.rsc_mut(r).allowed[n.0] = Some(new);
                    }
                }
                if cluster.rsc(inst).variant != Variant::Primitive {
                    // A grouped instance carries the score on its first member.
                    if let Some(&first) = cluster.rsc(inst).children.first() {
                        if let Some(c) = cluster.rsc(first).allowed[n.0] {
                            cluster.rsc_mut(first).allowed[n.0] = Some(c.plus(Score(score)));
                        }
                    }
                }
            }
            if score > cluster.rsc(inst).priority {
                cluster.rsc_mut(inst).priority = score;
            }
        }
    }
}

fn subtree(cluster: &Cluster, r: RscId) -> Vec<RscId> {
    let mut out = vec![r];
    for &c in &cluster.rsc(r).children {
        out.extend(subtree(cluster, c));
    }
    out
}

fn current_role(cluster: &Cluster, r: RscId) -> Role {
    cluster.leaves(r).into_iter().map(|l| cluster.rsc(l).role).max().unwrap_or(Role::Stopped)
}

fn set_next_role(cluster: &mut Cluster, r: RscId, role: Role) {
    for l in subtree(cluster, r) {
        cluster.rsc_mut(l).next_role = role;
    }
}

/// Chooses the promoted instances of a placed promotable clone.
///
/// `assignment_order` is the instances in the order they were assigned;
/// instances of equal promotion priority keep it.
pub fn set_instance_roles(cluster: &mut Cluster, clone: RscId, assignment_order: &[RscId]) {
    let instances = cluster.rsc(clone).children.clone();
    let n_nodes = cluster.nodes.len();
    let mut sort_index: Vec<(RscId, i64)> = Vec::new();
    let mut priorities: Vec<i64> = Vec::new();
    for &inst in &instances {
        let chosen = assigned_node(cluster, inst);
        let Some(node) = chosen else {
            sort_index.push((inst, 0));
            priorities.push(cluster.rsc(inst).priority);
            continue;
        };
        let wants_unpromoted = cluster
            .leaves(inst)
            .into_iter()
            .any(|l| matches!(cluster.rsc(l).target_role, Some(Role::Unpromoted) | Some(Role::Stopped)));
        let mut priority = if wants_unpromoted {
            -INFINITY
        } else {
            let (s, default) = promotion_score(cluster, inst, node);
            if default {
                -1
            } else {
                s
            }
        };
        // Location constraints for the promoted role.
        for r in [inst, clone] {
            for loc in &cluster.rsc(r).locations {
                if loc.role == Some(Role::Promoted) {
                    for &(n, s) in &loc.scores {
                        if n == node {
                            priority = Score(priority).plus(s).0;
                        }
                    }
                }
            }
        }
        // Colocations of this instance in a role.
        for ci in cluster.rsc(inst).this_with.clone() {
            let c = cluster.colocations[ci].clone();
            if !matches!(c.dependent_role, Some(Role::Promoted) | Some(Role::Unpromoted)) {
                continue;
            }
            priority = coloc_priority(cluster, node, &c, priority);
        }
        sort_index.push((inst, priority));
        priorities.push(priority);
    }

    // Fold instance priorities and role colocations into the clone's node scores.
    let mut clone_scores = cluster.rsc(clone).allowed.clone();
    for &(inst, idx) in &sort_index {
        if idx < 0 {
            continue;
        }
        if let Some(n) = assigned_node(cluster, inst) {
            if let Some(s) = clone_scores[n.0] {
                clone_scores[n.0] = Some(s.plus(Score(idx)));
            }
        }
    }
    for ci in cluster.rsc(clone).this_with.clone() {
        let c = cluster.colocations[ci].clone();
        if c.dependent_role != Some(Role::Promoted) {
            continue;
        }
        let factor = c.score.0 as f64 / INFINITY as f64;
        clone_scores = placement::colocated_scores(
            cluster,
            c.primary,
            clone_scores,
            &c.node_attribute,
            factor,
            !c.score.is_inf(),
        );
    }
    for ci in cluster.rsc(clone).with_this.clone() {
        let c = cluster.colocations[ci].clone();
        if c.primary_role != Some(Role::Promoted)
            || !(c.influence || cluster.rsc(c.primary).running_on.is_empty())
        {
            continue;
        }
        let factor = c.score.0 as f64 / INFINITY as f64;
        clone_scores = placement::colocated_scores_with(
            cluster,
            c.dependent,
            clone_scores,
            &c.node_attribute,
            factor,
            true,
            true,
        );
    }
    // Without a ticket its promoted role needs, the clone is promoted nowhere.
    if super::tickets::promotion_blocked(cluster, clone) {
        for s in clone_scores.iter_mut().flatten() {
            *s = Score::NEG_INF;
        }
    }
    for (inst, idx) in sort_index.iter_mut() {
        let unmanaged_promoted =
            !cluster.rsc(*inst).managed && current_role(cluster, *inst) == Role::Promoted;
        if unmanaged_promoted {
            *idx = INFINITY;
        } else if *idx >= 0 {
            if let Some(n) = assigned_node(cluster, *inst) {
                *idx = clone_scores[n.0].map(|s| s.0).unwrap_or(*idx);
            }
        }
    }
    // Highest sort index first, then higher current role, then as instances
    // are ordered for assignment (with promotion priorities as priorities).
    let position = |r: RscId| instances.iter().position(|&i| i == r).unwrap_or(0);
    let mut order: Vec<usize> = assignment_order.iter().map(|&r| position(r)).collect();
    let promotion_priority = |r: RscId| priorities[position(r)];
    let scores = super::instance_order::ColocationScores::new(cluster);
    super::instance_order::list_sort(&mut order, &|&a, &b| {
        let (ia, sa) = sort_index[a];
        let (ib, sb) = sort_index[b];
        sb.cmp(&sa).then(current_role(cluster, ib).cmp(&current_role(cluster, ia))).then_with(|| {
            super::instance_order::compare(cluster, clone, ia, ib, &promotion_priority, &scores)
        })
    });

    // Without quorum under no-quorum-policy=demote, nothing stays promoted.
    let demote_all = !cluster.have_quorum
        && cluster.options.no_quorum_policy == super::options::NoQuorumPolicy::Demote
        && !cluster.rsc(clone).requires_nothing;
    let promoted_max = if demote_all { 0 } else { cluster.rsc(clone).promoted_max };
    let per_node_max = cluster.rsc(clone).promoted_node_max;
    let mut per_node = vec![0usize; n_nodes];
    let mut promoted = 0usize;
    for i in order {
        let (inst, idx) = sort_index[i];
        let node = assigned_node(cluster, inst);
        let mut chosen = None;
        if idx >= 0 && (promoted < promoted_max || !cluster.rsc(clone).managed) {
            // A grouped instance is promoted only if every member is placed.
            let all_placed = cluster.leaves(inst).iter().all(|&l| cluster.rsc(l).assigned.is_some());
            chosen = node.filter(|&n| {
                let managed = cluster.rsc(inst).managed;
                // An unmanaged promoted instance stays promoted where it is,
                // and counts.
                if !managed && current_role(cluster, inst) == Role::Promoted {
                    return true;
                }
                all_placed
                    && (managed || current_role(cluster, inst) == Role::Promoted)
                    && (!managed || priorities[i] >= 0 || idx >= INFINITY)
                    && node_available(cluster, n)
                    && cluster.rsc(clone).allowed[n.0].is_some()
                    && (per_node[n.0] < per_node_max || !managed)
            });
        }
        if let Some(n) = chosen {
            if !cluster.have_quorum
                && cluster.options.no_quorum_policy == super::options::NoQuorumPolicy::Freeze
                && current_role(cluster, inst) < Role::Promoted
            {
                set_next_role(cluster, inst, Role::Unpromoted);
                continue;
            }
            per_node[n.0] += 1;
            promoted += 1;
            set_next_role(cluster, inst, Role::Promoted);
        } else if node.is_some() {
            set_next_role(cluster, inst, Role::Unpromoted);
        } else {
            set_next_role(cluster, inst, Role::Stopped);
        }
    }
}

/// A role colocation's effect on an instance's promotion priority.
fn coloc_priority(cluster: &Cluster, node: NodeId, c: &Colocation, priority: i64) -> i64 {
    let primary = cluster.rsc(c.primary);
    let primary_node = if primary.variant == Variant::Clone {
        // With a promotable primary, count the nodes where it will be in role.
        primary
            .children
            .iter()
            .filter(|&&i| {
                c.primary_role
                    .is_none_or(|r| cluster.leaves(i).iter().any(|&l| cluster.rsc(l).next_role == r))
            })
            .filter_map(|&i| assigned_node(cluster, i))
            .find(|&n| n == node)
    } else {
        primary.assigned
    };
    let Some(pn) = primary_node else {
        if c.score.is_inf() && c.dependent_role == Some(Role::Promoted) && primary.variant != Variant::Clone {
            return -INFINITY;
        }
        if primary.variant == Variant::Clone && c.score.is_inf() {
            return -INFINITY;
        }
        return priority;
    };
    let attr = |n: NodeId| -> Option<String> {
        if c.node_attribute == "#uname" {
            Some(cluster.node(n).name.clone())
        } else {
            cluster.node(n).attrs.get(&c.node_attribute).cloned()
        }
    };
    if attr(pn) != attr(node) {
        if c.score.is_inf() && c.dependent_role == Some(Role::Promoted) {
            return -INFINITY;
        }
        return priority;
    }
    if primary.variant != Variant::Clone {
        if let Some(r) = c.primary_role {
            if r != primary.next_role {
                return priority;
            }
        }
    }
    let mult = if c.dependent_role == Some(Role::Unpromoted) { -1 } else { 1 };
    Score(priority).plus(Score(mult * c.score.0)).0
}
