//! Stages 2 and 3, scores and assignment. Every resource has a table of allowed
//! nodes with scores (`None`: not allowed at all); location constraints,
//! stickiness and failures fill it; then resources are assigned in priority
//! order, each after the resources it must be placed with, taking into account
//! (attenuated) the preferences of the resources that must be placed with it.

use super::cluster::*;
use super::options::NoQuorumPolicy;
use super::score::{Score, INFINITY};
use super::variants::variant;

pub type NodeScores = Vec<Option<Score>>;

/// Whether a node can run resources at all (Pacemaker's "available").
pub fn node_available(cluster: &Cluster, n: NodeId) -> bool {
    cluster.node(n).can_run_resources()
}

fn any_available(cluster: &Cluster, scores: &NodeScores) -> bool {
    scores
        .iter()
        .enumerate()
        .any(|(i, s)| matches!(s, Some(s) if *s >= Score::ZERO) && node_available(cluster, NodeId(i)))
}

/// Adds `score` for `node` (or every node) to `r` and, recursively, its children.
pub fn resource_location(cluster: &mut Cluster, r: RscId, node: Option<NodeId>, score: Score) {
    let children = cluster.rsc(r).children.clone();
    for c in children {
        resource_location(cluster, c, node, score);
    }
    let n = cluster.nodes.len();
    let rsc = cluster.rsc_mut(r);
    let targets: Vec<usize> = match node {
        Some(x) => vec![x.0],
        None => (0..n).collect(),
    };
    for i in targets {
        rsc.allowed[i] = Some(rsc.allowed[i].unwrap_or(Score::ZERO).plus(score));
    }
}

/// Applies one location constraint's node scores to `r` (not to its children).
fn apply_location_scores(cluster: &mut Cluster, r: RscId, scores: &[(NodeId, Score)], reset: bool) {
    apply_location_scores_with(cluster, r, scores, reset, Discovery::Always);
}

fn apply_location_scores_with(
    cluster: &mut Cluster,
    r: RscId,
    scores: &[(NodeId, Score)],
    reset: bool,
    discovery: Discovery,
) {
    let rsc = cluster.rsc_mut(r);
    match discovery {
        Discovery::Never => {
            for &(node, _) in scores {
                if !rsc.discovery_never.contains(&node) {
                    rsc.discovery_never.push(node);
                }
            }
        }
        Discovery::Exclusive => rsc.discovery_exclusive = true,
        Discovery::Always => {}
    }
    for &(node, score) in scores {
        let score = if reset { Score::ZERO } else { score };
        rsc.allowed[node.0] = Some(match rsc.allowed[node.0] {
            None => score,
            Some(cur) => cur.plus(score),
        });
    }
}

/// A location constraint on `r`: groups give the scores to themselves and their
/// first member; later members only become allowed (score 0) where it applies,
/// since the first member's placement already carries them.
fn apply_location(cluster: &mut Cluster, r: RscId, loc: &RscLocation) {
    if loc.role.is_some() {
        return;
    }
    match cluster.rsc(r).variant {
        Variant::Primitive => apply_location_scores_with(cluster, r, &loc.scores, false, loc.discovery),
        Variant::Group => {
            apply_location_scores_with(cluster, r, &loc.scores, false, loc.discovery);
            let members = cluster.rsc(r).children.clone();
            for (i, m) in members.into_iter().enumerate() {
                apply_location_to_member(cluster, m, loc, i > 0);
            }
        }
        Variant::Clone | Variant::Bundle => {
            apply_location_scores_with(cluster, r, &loc.scores, false, loc.discovery);
            for c in cluster.rsc(r).children.clone() {
                apply_location(cluster, c, loc);
            }
        }
    }
}

fn apply_location_to_member(cluster: &mut Cluster, m: RscId, loc: &RscLocation, reset: bool) {
    if reset {
        let mut copy = loc.clone();
        copy.scores = copy.scores.iter().map(|&(n, _)| (n, Score::ZERO)).collect();
        apply_location(cluster, m, &copy);
    } else {
        apply_location(cluster, m, loc);
    }
}

/// Location constraints, history bans, stickiness and failure thresholds.
pub fn apply_scores(cluster: &mut Cluster) {
    let n = cluster.nodes.len();
    let symmetric = cluster.options.symmetric_cluster;
    for r in cluster.resources.iter_mut() {
        let exclusive = r.locations.iter().any(|l| l.discovery == Discovery::Exclusive);
        r.allowed = vec![if symmetric && !exclusive { Some(Score::ZERO) } else { None }; n];
    }
    // History bans first (they were found while unpacking), then constraints
    // in the order they were configured.
    for ri in 0..cluster.resources.len() {
        let bans: Vec<RscLocation> =
            cluster.resources[ri].locations.iter().filter(|l| l.id.starts_with("__")).cloned().collect();
        for b in bans {
            apply_location_scores(cluster, RscId(ri), &b.scores, false);
        }
    }
    let order = cluster.location_order.clone();
    for (r, li) in order {
        let loc = cluster.rsc(r).locations[li].clone();
        apply_location(cluster, r, &loc);
    }
    for ri in 0..cluster.resources.len() {
        let rsc = &cluster.resources[ri];
        if rsc.variant != Variant::Primitive || !rsc.managed || rsc.stickiness.0 < 1 {
            continue;
        }
        if let [cur] = rsc.running_on.as_slice() {
            let cur = *cur;
            if !symmetric && rsc.allowed[cur.0].is_none() {
                continue;
            }
            let s = rsc.stickiness;
            resource_location(cluster, RscId(ri), Some(cur), s);
        }
    }
    for ri in 0..cluster.resources.len() {
        let rsc = &cluster.resources[ri];
        // Ignored failures do not count toward the threshold either.
        if rsc.variant != Variant::Primitive || rsc.migration_threshold == 0 || rsc.failure_ignored {
            continue;
        }
        // A fail count about to be cleared (found while reading the
        // history) does not force the resource away.
        let over: Vec<NodeId> = rsc
            .fail_counts
            .iter()
            .filter(|(n, &c)| c >= rsc.migration_threshold && !rsc.clear_for_params_on.contains(n))
            .map(|(&n, _)| n)
            .collect();
        // An anonymous clone instance's failures (a member's of a cloned
        // group too) ban the whole clone.
        let target =
            if cluster.in_anonymous_clone(RscId(ri)) { cluster.top_of(RscId(ri)) } else { RscId(ri) };
        for node in over {
            resource_location(cluster, target, Some(node), Score::NEG_INF);
        }
    }
    avoid_remote_nodes(cluster);
    if cluster.options.shutdown_lock {
        apply_shutdown_locks(cluster);
    }
    // Exclusive discovery: only nodes named by an exclusive location may run it.
    for ri in 0..cluster.resources.len() {
        let exclusive_nodes: Option<Vec<NodeId>> = {
            let mut cur = Some(RscId(ri));
            let mut found: Option<Vec<NodeId>> = None;
            while let Some(x) = cur {
                for l in &cluster.rsc(x).locations {
                    if l.discovery == Discovery::Exclusive {
                        found.get_or_insert_with(Vec::new).extend(l.scores.iter().map(|(n, _)| *n));
                    }
                }
                cur = cluster.rsc(x).parent;
            }
            found
        };
        if let Some(nodes) = exclusive_nodes {
            let rsc = &mut cluster.resources[ri];
            for (i, s) in rsc.allowed.iter_mut().enumerate() {
                if s.is_some() && !nodes.contains(&NodeId(i)) {
                    *s = Some(Score::NEG_INF);
                }
            }
        }
    }
}

/// With `shutdown-lock`, a resource on a node shutting down cleanly (or
/// locked there by its history) may run nowhere else until the node is back.
fn apply_shutdown_locks(cluster: &mut Cluster) {
    for r in cluster.primitives() {
        let rsc = cluster.rsc(r);
        let cloned = rsc.parent.is_some_and(|p| cluster.rsc(p).variant != Variant::Group);
        if rsc.is_stonith || cloned || is_remote_connection(cluster, r) {
            continue;
        }
        let lock = match (rsc.lock_node, rsc.running_on.as_slice()) {
            // Started elsewhere despite the lock: leave it be, forget the lock.
            (Some(l), running) if !running.is_empty() => {
                if !cluster.rsc(r).history_delete_on.contains(&l) {
                    cluster.rsc_mut(r).history_delete_on.push(l);
                }
                None
            }
            (Some(l), _) => Some(l),
            (None, [n]) if cluster.node(*n).shutdown && !cluster.node(*n).unclean => Some(*n),
            _ => None,
        };
        if let Some(l) = lock {
            for n in cluster.node_ids().filter(|&n| n != l).collect::<Vec<_>>() {
                resource_location(cluster, r, Some(n), Score::NEG_INF);
            }
        }
    }
}

/// Remote connections and fencing devices never run on Pacemaker Remote
/// nodes, and guests are not nested in them (a bundle's may be): those nodes
/// are banned outright, whatever the constraints said.
fn avoid_remote_nodes(cluster: &mut Cluster) {
    let remote: Vec<usize> =
        cluster.nodes.iter().enumerate().filter(|(_, n)| n.remote_rsc.is_some()).map(|(i, _)| i).collect();
    if remote.is_empty() {
        return;
    }
    let mut avoiders: Vec<RscId> = Vec::new();
    for n in &cluster.nodes {
        match (&n.remote_rsc, &n.container) {
            (Some(_), Some(c)) if !n.bundle_guest => avoiders.extend(cluster.rsc_by_id(c)),
            (Some(conn), None) => avoiders.extend(cluster.rsc_by_id(conn)),
            _ => {}
        }
    }
    avoiders.extend(cluster.primitives().into_iter().filter(|&r| cluster.rsc(r).is_stonith));
    for r in avoiders {
        let rsc = cluster.rsc_mut(r);
        for &i in &remote {
            if rsc.allowed[i].is_some() {
                rsc.allowed[i] = Some(Score::NEG_INF);
            }
        }
    }
}

pub fn assign_all(cluster: &mut Cluster) {
    // Remote connections first: where they go decides whether their nodes
    // can take resources at all.
    let connections: Vec<RscId> =
        cluster.top.iter().copied().filter(|&r| is_remote_connection(cluster, r)).collect();
    for r in connections {
        assign(cluster, r);
    }
    for r in cluster.top.clone() {
        assign(cluster, r);
    }
}

/// The node a connection resource creates (remote or guest), if it is one.
fn connection_node(cluster: &Cluster, r: RscId) -> Option<NodeId> {
    let rsc = cluster.rsc(r);
    if rsc.variant != Variant::Primitive || rsc.parent.is_some() {
        return None;
    }
    cluster.remote_node_of(r)
}

fn is_remote_connection(cluster: &Cluster, r: RscId) -> bool {
    connection_node(cluster, r).is_some()
}

/// Once its connection is placed, a Pacemaker Remote node will be up (and,
/// never seen before, need no fencing: the connection will be attempted), or
/// is shutting down.
fn remote_connection_assigned(cluster: &mut Cluster, r: RscId) {
    let Some(n) = connection_node(cluster, r) else { return };
    let rsc = cluster.rsc(r);
    let up = rsc.assigned.is_some() && rsc.next_role != Role::Stopped;
    let node = &mut cluster.nodes[n.0];
    if up {
        node.online = true;
        if node.unseen {
            node.unclean = false;
        }
    } else {
        node.shutdown = true;
    }
}

/// Assigns one resource (and, first, what it depends on), via its variant.
pub fn assign(cluster: &mut Cluster, r: RscId) {
    assign_with(cluster, r, None);
}

/// Like [`assign`], preferring `prefer` when all else is equal.
pub fn assign_with(cluster: &mut Cluster, r: RscId, prefer: Option<NodeId>) {
    // A child is never assigned before its parent starts assigning.
    if let Some(p) = cluster.rsc(r).parent {
        if !cluster.rsc(p).allocating && cluster.rsc(p).provisional {
            assign_with(cluster, p, prefer);
        }
    }
    if !cluster.rsc(r).provisional || cluster.rsc(r).allocating {
        return;
    }
    variant(cluster.rsc(r).variant).assign(cluster, r, prefer);
    let rsc = cluster.rsc_mut(r);
    rsc.allocating = false;
    rsc.provisional = false;
}

/// Whether a colocation constrains placement, given the roles involved.
fn affects_location(cluster: &Cluster, c: &Colocation) -> bool {
    let (dep, pri) = (cluster.rsc(c.dependent), cluster.rsc(c.primary));
    if pri.provisional {
        return false;
    }
    if !dep.provisional {
        return false;
    }
    let role_ok = |want: Option<Role>, next: Role| want.is_none_or(|w| w == next);
    if c.score > Score::ZERO
        && (!role_ok(c.dependent_role, dep.next_role) || !role_ok(c.primary_role, pri.next_role))
    {
        return false;
    }
    if c.score < Score::ZERO
        && (c.dependent_role.is_some_and(|w| w == dep.next_role)
            || c.primary_role.is_some_and(|w| w == pri.next_role))
    {
        return false;
    }
    true
}

fn attr_value<'a>(cluster: &'a Cluster, n: NodeId, attr: &str) -> Option<&'a str> {
    if attr == "#uname" {
        return Some(cluster.node(n).name.as_str());
    }
    cluster.node(n).attrs.get(attr).map(String::as_str)
}

/// Applies "dependent with primary" to the dependent's scores once the primary
/// is placed.
fn apply_coloc_to_scores(cluster: &mut Cluster, c: &Colocation) {
    let primary_node = cluster.rsc(c.primary).assigned;
    if primary_node.is_none() && c.score < Score::ZERO {
        return;
    }
    let value = primary_node.and_then(|p| attr_value(cluster, p, &c.node_attribute)).map(str::to_string);
    let mut work = cluster.rsc(c.dependent).allowed.clone();
    for (i, slot) in work.iter_mut().enumerate() {
        let Some(cur) = *slot else { continue };
        let same =
            value.is_some() && attr_value(cluster, NodeId(i), &c.node_attribute).map(str::to_string) == value;
        if primary_node.is_none() {
            *slot = Some(cur.plus(Score(-c.score.0)));
        } else if same {
            if c.score.0 < INFINITY {
                *slot = Some(cur.plus(c.score));
            }
        } else if c.score.0 >= INFINITY {
            *slot = Some(cur.plus(Score(-c.score.0)));
        }
    }
    if c.score.is_inf() || c.score.is_neg_inf() || any_available(cluster, &work) {
        cluster.rsc_mut(c.dependent).allowed = work;
    }
}

/// Resolves the member of a group that stands for it in a colocation where the
/// group is the primary: the last member for mandatory, the first otherwise.
fn primary_member(cluster: &Cluster, primary: RscId, score: Score) -> RscId {
    let p = cluster.rsc(primary);
    if p.variant != Variant::Group || p.children.is_empty() {
        return primary;
    }
    if score.is_inf() {
        *p.children.last().unwrap()
    } else {
        p.children[0]
    }
}

/// "This with" colocations: place the primary first, then apply.
pub fn apply_this_with(cluster: &mut Cluster, r: RscId) {
    let cons = cluster.rsc(r).this_with.clone();
    for ci in cons {
        let c = cluster.colocations[ci].clone();
        let archive =
            if c.dependent_role == Some(Role::Promoted) || (c.score < Score::ZERO && !c.score.is_neg_inf()) {
                Some(cluster.rsc(r).allowed.clone())
            } else {
                None
            };
        assign(cluster, c.primary);
        let mut applied = c.clone();
        applied.dependent = r;
        applied.primary = primary_member(cluster, c.primary, c.score);
        if cluster.rsc(applied.primary).variant == Variant::Clone {
            super::clone::apply_coloc_with_clone(cluster, &applied);
        } else if affects_location(cluster, &applied) {
            apply_coloc_to_scores(cluster, &applied);
        }
        if let Some(saved) = archive {
            if !any_available(cluster, &cluster.rsc(r).allowed.clone()) {
                cluster.rsc_mut(r).allowed = saved;
            }
        }
    }
}

fn has_influence(cluster: &Cluster, c: &Colocation) -> bool {
    c.influence || cluster.rsc(c.primary).running_on.is_empty()
}

/// "With this" colocations: fold in the dependents' preferences.
pub fn apply_with_this(cluster: &mut Cluster, r: RscId) {
    fold_in_dependents(cluster, r);
}

/// Folds the preferences of resources colocated with `r` into its scores.
pub fn fold_in_dependents(cluster: &mut Cluster, r: RscId) {
    fold_in_dependents_with(cluster, r, false);
}

/// Like [`fold_in_dependents`]; with `nonnegative` (a clone folding in its
/// dependents) a dependent's dislike never makes a node negative: a node it
/// would have made negative is left alone, or if it was favoured, kept just
/// usable (score 1).
pub fn fold_in_dependents_with(cluster: &mut Cluster, r: RscId, nonnegative: bool) {
    let cons = cluster.rsc(r).with_this.clone();
    for ci in cons {
        let c = cluster.colocations[ci].clone();
        if !has_influence(cluster, &c) {
            continue;
        }
        let factor = c.score.0 as f64 / INFINITY as f64;
        let mut merging = vec![false; cluster.resources.len()];
        let work = cluster.rsc(r).allowed.clone();
        let work = add_colocated_scores(
            cluster,
            c.dependent,
            work,
            &c.node_attribute,
            factor,
            true,
            nonnegative,
            &mut merging,
        );
        cluster.rsc_mut(r).allowed = work;
    }
}

/// `r`'s best score on an available node that shares node `i`'s value of
/// the attribute: `values` holds every node's, `None` standing for the node
/// name.
fn best_score_matching(cluster: &Cluster, r: RscId, values: Option<&[Option<&str>]>, i: usize) -> Score {
    let rsc = cluster.rsc(r);
    let Some(values) = values else {
        // Node names are unique: only node `i` itself has its name.
        return match rsc.allowed[i] {
            Some(s) if node_available(cluster, NodeId(i)) => s,
            _ => Score::NEG_INF,
        };
    };
    let mut best = Score::NEG_INF;
    for (j, s) in rsc.allowed.iter().enumerate() {
        let Some(s) = *s else { continue };
        if s > best && node_available(cluster, NodeId(j)) && values[j] == values[i] {
            best = s;
        }
    }
    best
}

/// Marks a node that a nonnegative merge found disliked although it was
/// favoured: skipped by the rest of that merge, then scored 1.
const UNUSABLE: Score = Score(-100 * INFINITY);

pub(crate) fn add_scores_matching_attr(
    cluster: &Cluster,
    r: RscId,
    work: &mut NodeScores,
    attr: &str,
    factor: f64,
    only_positive: bool,
) {
    let values: Option<Vec<Option<&str>>> =
        (attr != "#uname").then(|| (0..work.len()).map(|i| attr_value(cluster, NodeId(i), attr)).collect());
    for (i, slot) in work.iter_mut().enumerate() {
        let Some(cur) = *slot else { continue };
        let score = best_score_matching(cluster, r, values.as_deref(), i);
        if (factor < 0.0 && score < Score::ZERO) || cur == UNUSABLE {
            continue;
        }
        let f = factor * score.0 as f64;
        let mut weight = if f < 0.0 { (f - 0.5) as i64 } else { (f + 0.5) as i64 };
        if weight == 0 && score.0 != 0 {
            weight = if factor > 0.0 {
                1
            } else if factor < 0.0 {
                -1
            } else {
                0
            };
        }
        let new = Score(weight.clamp(-INFINITY, INFINITY)).plus(cur);
        if only_positive && new < Score::ZERO && cur >= Score::ZERO {
            if cur > Score::ZERO {
                *slot = Some(UNUSABLE);
            }
            continue;
        }
        *slot = Some(new);
    }
}

/// Pacemaker's "colocated node scores": `r`'s preferences (and, recursively,
/// those of resources colocated with it) folded into `work` at `factor`.
/// `rollback`: if nothing could run afterwards, keep `work` unchanged.
#[allow(clippy::too_many_arguments)]
fn add_colocated_scores(
    cluster: &Cluster,
    r: RscId,
    work: NodeScores,
    attr: &str,
    factor: f64,
    rollback: bool,
    nonnegative: bool,
    merging: &mut Vec<bool>,
) -> NodeScores {
    if merging[r.0] {
        return work;
    }
    merging[r.0] = true;
    let rsc = cluster.rsc(r);
    let new_work = if rsc.variant == Variant::Group {
        match rsc.children.first() {
            Some(&first) => add_colocated_scores(
                cluster,
                first,
                work.clone(),
                attr,
                factor,
                rollback,
                nonnegative,
                merging,
            ),
            None => {
                merging[r.0] = false;
                return work;
            }
        }
    } else {
        let mut w = work.clone();
        add_scores_matching_attr(cluster, r, &mut w, attr, factor, nonnegative);
        w
    };
    let result = if any_available(cluster, &new_work) {
        let multiplier = if factor < 0.0 { -1.0 } else { 1.0 };
        let source = if rsc.variant == Variant::Group { *rsc.children.last().unwrap() } else { r };
        let mut acc = new_work;
        for &ci in &cluster.rsc(source).with_this {
            let c = &cluster.colocations[ci];
            if !has_influence(cluster, c) {
                continue;
            }
            let f = multiplier * c.score.0 as f64 / INFINITY as f64;
            acc = add_colocated_scores(
                cluster,
                c.dependent,
                acc,
                &c.node_attribute,
                f,
                true,
                nonnegative,
                merging,
            );
        }
        acc
    } else if rollback {
        merging[r.0] = false;
        return work;
    } else {
        new_work
    };
    merging[r.0] = false;
    let mut result = result;
    if nonnegative {
        for s in result.iter_mut().flatten() {
            if *s == UNUSABLE {
                *s = Score(1);
            }
        }
    }
    result
}

/// Folds `r`'s (and its dependents') preferences into `work` at `factor`;
/// with `rollback`, leaves `work` unchanged if nothing could run afterwards.
pub fn colocated_scores(
    cluster: &Cluster,
    r: RscId,
    work: NodeScores,
    attr: &str,
    factor: f64,
    rollback: bool,
) -> NodeScores {
    colocated_scores_with(cluster, r, work, attr, factor, rollback, false)
}

/// Like [`colocated_scores`]; `nonnegative` as in [`fold_in_dependents_with`].
pub fn colocated_scores_with(
    cluster: &Cluster,
    r: RscId,
    work: NodeScores,
    attr: &str,
    factor: f64,
    rollback: bool,
    nonnegative: bool,
) -> NodeScores {
    let mut merging = vec![false; cluster.resources.len()];
    add_colocated_scores(cluster, r, work, attr, factor, rollback, nonnegative, &mut merging)
}

/// Why `r` may not start or be promoted now for lack of quorum, if it may not.
pub fn quorum_blocks(cluster: &Cluster, r: RscId) -> Option<&'static str> {
    let rsc = cluster.rsc(r);
    if cluster.have_quorum || rsc.requires_nothing {
        return None;
    }
    match cluster.options.no_quorum_policy {
        NoQuorumPolicy::Ignore => None,
        NoQuorumPolicy::Freeze => {
            if rsc.running_on.is_empty() || rsc.next_role > rsc.role {
                Some("quorum freeze")
            } else {
                None
            }
        }
        NoQuorumPolicy::Demote if rsc.role >= Role::Unpromoted => None,
        _ => Some("no quorum"),
    }
}

/// Whether the cluster may start anything: quorum, or a policy that ignores it.
pub fn may_start(cluster: &Cluster) -> bool {
    cluster.have_quorum || cluster.options.no_quorum_policy == NoQuorumPolicy::Ignore
}

/// Picks a node as Pacemaker does: best score among available nodes, then fewer
/// assigned resources, then the current node, then the name; a running resource
/// stays where it is when its node scores as well as the best.
pub fn choose_node(cluster: &Cluster, r: RscId, prefer: Option<NodeId>) -> Option<NodeId> {
    let rsc = cluster.rsc(r);
    let current = rsc.current_node();
    // Each candidate's score counting availability, worked out once: sorting
    // compares them many times.
    let effective: Vec<Score> = cluster
        .node_ids()
        .map(|n| match rsc.allowed[n.0] {
            Some(s) if node_available(cluster, n) => s,
            _ => Score::NEG_INF,
        })
        .collect();
    let eff = |n: NodeId| effective[n.0];
    let mut nodes: Vec<NodeId> = cluster.node_ids().filter(|n| rsc.allowed[n.0].is_some()).collect();
    let minimal = super::utilization::ignores_current_node(cluster);
    let tie_break = super::utilization::tie_break(cluster);
    nodes.sort_by(|&a, &b| {
        eff(b)
            .cmp(&eff(a))
            .then_with(|| tie_break(a, b))
            .then_with(|| match current {
                _ if minimal => std::cmp::Ordering::Equal,
                Some(c) if c == a => std::cmp::Ordering::Less,
                Some(c) if c == b => std::cmp::Ordering::Greater,
                _ => std::cmp::Ordering::Equal,
            })
            .then_with(|| cluster.node(a).name.cmp(&cluster.node(b).name))
    });
    let best = *nodes.first()?;
    let mut chosen = None;
    if let Some(p) = prefer {
        if rsc.allowed[p.0].is_some()
            && eff(p) >= eff(best)
            && eff(p) >= Score::ZERO
            && node_available(cluster, p)
        {
            chosen = Some(p);
        }
    }
    let mut chosen = chosen.unwrap_or(best);
    let unique_instance =
        rsc.parent.is_some_and(|p| cluster.rsc(p).variant == Variant::Clone && cluster.rsc(p).unique);
    if !unique_instance && eff(chosen) > Score::ZERO && node_available(cluster, chosen) {
        if let Some(cur) = current {
            if node_available(cluster, cur) {
                for &n in nodes.iter().skip(1) {
                    if eff(n) != eff(chosen) {
                        break;
                    }
                    if n == cur {
                        chosen = n;
                    }
                }
            }
        }
    }
    if eff(chosen) < Score::ZERO || !node_available(cluster, chosen) {
        return None;
    }
    Some(chosen)
}

/// The placement of a primitive once its scores are final.
pub fn assign_primitive(cluster: &mut Cluster, r: RscId, prefer: Option<NodeId>) {
    cluster.rsc_mut(r).allocating = true;
    apply_this_with(cluster, r);
    apply_with_this(cluster, r);
    if cluster.rsc(r).target_role == Some(Role::Stopped) {
        resource_location(cluster, r, None, Score::NEG_INF);
    }
    if cluster.options.stonith_enabled && !cluster.has_stonith_resource {
        cluster.rsc_mut(r).managed = false;
    }
    if cluster.score_log.is_some() {
        log_scores(cluster, r);
    }
    let most_free =
        if cluster.rsc(r).managed { super::utilization::ban_insufficient_capacity(cluster, r) } else { None };
    let prefer = prefer.or(most_free);
    let rsc = cluster.rsc(r);
    let chosen = if !rsc.managed {
        rsc.current_node()
    } else if cluster.options.stop_all_resources {
        None
    } else {
        choose_node(cluster, r, prefer)
    };
    let rsc = cluster.rsc_mut(r);
    rsc.assigned = chosen;
    rsc.next_role = match chosen {
        Some(_) if !rsc.managed => rsc.role,
        Some(_) => match rsc.target_role {
            Some(Role::Stopped) => Role::Stopped,
            _ => Role::Started,
        },
        None => Role::Stopped,
    };
    if let Some(n) = chosen {
        cluster.nodes[n.0].assigned_count += 1;
        super::utilization::consume(cluster, r, n);
    }
    remote_connection_assigned(cluster, r);
}

/// Records `r`'s node scores as it is placed, in node order.
fn log_scores(cluster: &mut Cluster, r: RscId) {
    let rsc = cluster.rsc(r);
    let lines: Vec<String> = cluster
        .node_ids()
        .filter_map(|n| {
            let s = rsc.allowed[n.0]?;
            let s = if node_available(cluster, n) { s } else { Score::NEG_INF };
            Some(format!(
                "pcmk__primitive_assign: {} allocation score on {}: {s}",
                rsc.id,
                cluster.node(n).name
            ))
        })
        .collect();
    if let Some(log) = cluster.score_log.as_mut() {
        log.extend(lines);
    }
}
