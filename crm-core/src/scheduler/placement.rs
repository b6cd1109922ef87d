//! Stages 2 and 3, scores and assignment: location constraints, stickiness and
//! failures become per-node scores; resources are then assigned to nodes in
//! priority order, each after the resources it is colocated with.

use super::cluster::*;
use super::options::NoQuorumPolicy;
use super::score::Score;
use super::variants::variant;

/// Applies location constraints, stickiness and fail counts to every resource.
pub fn apply_scores(cluster: &mut Cluster) {
    let n = cluster.nodes.len();
    let symmetric = cluster.options.symmetric_cluster;
    for ri in 0..cluster.resources.len() {
        let r = &mut cluster.resources[ri];
        // Failure bans (from history) were recorded as locations; rebuild from them.
        r.allowed = vec![if symmetric { Score::ZERO } else { Score::NEG_INF }; n];
        let mut present = vec![symmetric; n];
        for loc in &r.locations {
            // Role-specific locations only affect promotion.
            if matches!(loc.role, Some(Role::Promoted) | Some(Role::Unpromoted)) {
                continue;
            }
            for &(node, score) in &loc.scores {
                if !present[node.0] {
                    present[node.0] = true;
                    r.allowed[node.0] = score;
                } else {
                    r.allowed[node.0] = r.allowed[node.0].plus(score);
                }
            }
            if loc.discovery == Discovery::Never {
                for &(node, _) in &loc.scores {
                    if !r.discovery_never.contains(&node) {
                        r.discovery_never.push(node);
                    }
                }
            }
            if loc.discovery == Discovery::Exclusive {
                r.discovery_exclusive = true;
            }
        }
        if r.variant == Variant::Primitive && r.managed {
            if let [cur] = r.running_on.as_slice() {
                let cur = *cur;
                if present[cur.0] && r.stickiness != Score::ZERO {
                    r.allowed[cur.0] = r.allowed[cur.0].plus(r.stickiness);
                }
            }
        }
        for (&node, &count) in &r.fail_counts {
            if count >= r.migration_threshold {
                r.allowed[node.0] = Score::NEG_INF;
            }
        }
    }
    // Children inherit their parents' scores (a location on a group applies to members).
    for ri in 0..cluster.resources.len() {
        if let Some(p) = cluster.resources[ri].parent {
            let parent_scores = cluster.resources[p.0].allowed.clone();
            let parent_exclusive = cluster.resources[p.0].discovery_exclusive;
            let parent_never = cluster.resources[p.0].discovery_never.clone();
            let r = &mut cluster.resources[ri];
            for (i, s) in parent_scores.into_iter().enumerate() {
                if cluster.options.symmetric_cluster || s != Score::NEG_INF {
                    r.allowed[i] = r.allowed[i].plus(s);
                } else {
                    r.allowed[i] = Score::NEG_INF;
                }
            }
            r.discovery_exclusive |= parent_exclusive;
            for nn in parent_never {
                if !r.discovery_never.contains(&nn) {
                    r.discovery_never.push(nn);
                }
            }
        }
    }
}

/// Orders top-level resources for assignment: priority, then the score on the
/// current node, then the best score on any node (stable: document order breaks ties).
pub fn assignment_order(cluster: &Cluster) -> Vec<RscId> {
    let mut order = cluster.top.clone();
    let score_on_current = |r: RscId| -> Score {
        let rsc = cluster.rsc(r);
        let prim = first_primitive(cluster, r);
        match cluster.rsc(prim).current_node() {
            Some(n) => rsc.allowed[n.0].max(cluster.rsc(prim).allowed[n.0]),
            None => Score::NEG_INF,
        }
    };
    order.sort_by(|&a, &b| {
        let (ra, rb) = (cluster.rsc(a), cluster.rsc(b));
        rb.priority.cmp(&ra.priority).then_with(|| score_on_current(b).cmp(&score_on_current(a))).then_with(
            || {
                for n in cluster.node_ids() {
                    let (sa, sb) = (ra.allowed[n.0], rb.allowed[n.0]);
                    if sa != sb {
                        return sb.cmp(&sa);
                    }
                }
                std::cmp::Ordering::Equal
            },
        )
    });
    order
}

fn first_primitive(cluster: &Cluster, mut r: RscId) -> RscId {
    while let Some(&c) = cluster.rsc(r).children.first() {
        r = c;
    }
    r
}

pub fn assign_all(cluster: &mut Cluster) {
    for r in assignment_order(cluster) {
        assign(cluster, r);
    }
}

/// Assigns one resource (and, first, what it depends on), via its variant.
pub fn assign(cluster: &mut Cluster, r: RscId) {
    if !cluster.rsc(r).provisional || cluster.rsc(r).allocating {
        return;
    }
    cluster.rsc_mut(r).allocating = true;
    variant(cluster.rsc(r).variant).assign(cluster, r);
    let rsc = cluster.rsc_mut(r);
    rsc.allocating = false;
    rsc.provisional = false;
}

/// Applies colocations in which `r` depends on another resource, assigning
/// that resource first.
pub fn apply_dependent_colocations(cluster: &mut Cluster, r: RscId) {
    let cons: Vec<Colocation> = cluster.colocations.iter().filter(|c| c.dependent == r).cloned().collect();
    let mut cons = cons;
    // Mandatory constraints and higher-priority primaries first.
    cons.sort_by(|a, b| {
        cluster.rsc(b.primary).priority.cmp(&cluster.rsc(a.primary).priority).then(b.score.cmp(&a.score))
    });
    for c in cons {
        assign(cluster, c.primary);
        apply_colocation(cluster, &c);
    }
}

pub fn apply_colocation(cluster: &mut Cluster, c: &Colocation) {
    if c.score == Score::ZERO {
        return;
    }
    let primary_node = cluster.rsc(c.primary).assigned;
    let attr = c.node_attribute.clone();
    let value_of = |cluster: &Cluster, n: NodeId| cluster.node(n).attrs.get(&attr).cloned();
    let primary_value = primary_node.and_then(|p| value_of(cluster, p));
    let n = cluster.nodes.len();
    for i in 0..n {
        let same = primary_value.is_some() && value_of(cluster, NodeId(i)) == primary_value;
        let cur = cluster.rsc(c.dependent).allowed[i];
        let new = if c.score.is_inf() {
            if same {
                cur
            } else {
                Score::NEG_INF
            }
        } else if c.score.is_neg_inf() {
            if same {
                Score::NEG_INF
            } else {
                cur
            }
        } else if same {
            cur.plus(c.score)
        } else {
            cur
        };
        cluster.rsc_mut(c.dependent).allowed[i] = new;
    }
}

/// Adds the preferences of resources that are colocated with `r` (and not yet
/// placed) to `r`'s scores, scaled by the colocation score, so that `r` is placed
/// where its dependents can follow.
pub fn apply_influence(cluster: &mut Cluster, r: RscId) {
    let deps: Vec<Colocation> = cluster
        .colocations
        .iter()
        .filter(|c| c.primary == r && c.influence && cluster.rsc(c.dependent).provisional)
        .cloned()
        .collect();
    for c in deps {
        if c.score.is_neg_inf() || c.score.is_inf() {
            continue;
        }
        let dep = cluster.rsc(c.dependent).allowed.clone();
        let factor = c.score.0 as f64 / super::score::INFINITY as f64;
        for (i, s) in dep.into_iter().enumerate() {
            if s.is_neg_inf() || s.is_inf() || s == Score::ZERO {
                continue;
            }
            let add = Score((s.0 as f64 * factor) as i64);
            let cur = cluster.rsc(r).allowed[i];
            cluster.rsc_mut(r).allowed[i] = cur.plus(add);
        }
    }
}

/// Picks the best node for a primitive, preferring its current node on a tie.
pub fn choose_node(cluster: &Cluster, r: RscId) -> Option<NodeId> {
    let rsc = cluster.rsc(r);
    let mut candidates: Vec<NodeId> = cluster
        .node_ids()
        .filter(|&n| cluster.node(n).can_run_resources() && rsc.allowed[n.0] >= Score::ZERO)
        .collect();
    candidates.sort_by(|&a, &b| {
        rsc.allowed[b.0]
            .cmp(&rsc.allowed[a.0])
            .then(cluster.node(a).assigned_count.cmp(&cluster.node(b).assigned_count))
    });
    let best = *candidates.first()?;
    if let Some(cur) = rsc.current_node() {
        if candidates.contains(&cur) && rsc.allowed[cur.0] == rsc.allowed[best.0] {
            return Some(cur);
        }
    }
    Some(best)
}

/// Whether the cluster may start anything: quorum, or a policy that ignores it.
pub fn may_start(cluster: &Cluster) -> bool {
    cluster.have_quorum || cluster.options.no_quorum_policy == NoQuorumPolicy::Ignore
}

/// The placement of a primitive once its scores are final.
pub fn assign_primitive(cluster: &mut Cluster, r: RscId) {
    apply_dependent_colocations(cluster, r);
    apply_influence(cluster, r);
    let rsc = cluster.rsc(r);
    let chosen = if !rsc.managed {
        rsc.current_node()
    } else if rsc.target_role == Some(Role::Stopped)
        || cluster.options.stop_all_resources
        || (!may_start(cluster) && cluster.options.no_quorum_policy != NoQuorumPolicy::Freeze)
    {
        None
    } else if !may_start(cluster) {
        // freeze: keep what runs where it runs, start nothing new
        rsc.current_node().filter(|n| cluster.node(*n).can_run_resources())
    } else {
        choose_node(cluster, r)
    };
    let rsc = cluster.rsc_mut(r);
    rsc.assigned = chosen;
    rsc.next_role = match chosen {
        Some(_) if !rsc.managed => rsc.role,
        Some(_) => match rsc.target_role {
            Some(Role::Unpromoted)
            | Some(Role::Promoted)
            | None
            | Some(Role::Started)
            | Some(Role::Unknown) => Role::Started,
            Some(Role::Stopped) => Role::Stopped,
        },
        None => Role::Stopped,
    };
    if let Some(n) = chosen {
        cluster.nodes[n.0].assigned_count += 1;
    }
}
