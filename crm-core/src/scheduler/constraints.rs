//! Constraints from the configuration into the working set: location scores per
//! resource (with rules, roles, patterns, discovery), colocations and orderings
//! (plain and from resource sets). Tags and templates expand to their resources.

use cib_schema as cs;

use super::cluster::*;
use super::rules::{eval_rule, RuleContext};
use super::score::Score;
use super::unpack::is_true;

/// Node scores that apply while the resource has a role (any role: `None`).
type RoleScores = (Option<Role>, Vec<(NodeId, Score)>);

pub fn unpack_constraints(cluster: &mut Cluster, cfg: &cs::Configuration) {
    let tags: Vec<(String, Vec<String>)> = cfg
        .tags
        .iter()
        .flat_map(|t| t.tags.iter())
        .map(|t| (t.id.clone(), t.refs.iter().map(|r| r.id.clone()).collect()))
        .collect();
    let templates: Vec<(String, Vec<String>)> = template_members(cfg);
    let expand = |cluster: &Cluster, id: &str| -> Vec<RscId> {
        if let Some(r) = cluster.rsc_by_id(id) {
            return vec![r];
        }
        let ids = tags
            .iter()
            .find(|(t, _)| t == id)
            .or_else(|| templates.iter().find(|(t, _)| t == id))
            .map(|(_, ids)| ids.clone())
            .unwrap_or_default();
        ids.iter().filter_map(|i| cluster.rsc_by_id(i)).collect()
    };
    for c in cfg.constraints.iter().flat_map(|c| c.items.iter()) {
        match c {
            cs::Constraint::Location(l) => unpack_location(cluster, l, &expand),
            cs::Constraint::Colocation(c) => unpack_colocation(cluster, c, &expand),
            cs::Constraint::Order(o) => unpack_order(cluster, o, &expand),
            cs::Constraint::Ticket(t) => super::tickets::unpack_rsc_ticket(cluster, t, &expand),
        }
    }
    // A group's members are each placed with the member before them.
    for g in 0..cluster.resources.len() {
        if cluster.resources[g].variant != Variant::Group {
            continue;
        }
        let members = cluster.resources[g].children.clone();
        for w in members.windows(2) {
            new_colocation(
                cluster,
                "group:internal_colocation",
                None,
                Score::INF,
                w[1],
                w[0],
                (None, None),
                None,
            );
        }
    }
}

fn template_members(cfg: &cs::Configuration) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    let mut visit = |p: &cs::Primitive| {
        if let Some(t) = &p.template {
            match out.iter_mut().find(|(id, _)| id == t) {
                Some((_, v)) => v.push(p.id.clone()),
                None => out.push((t.clone(), vec![p.id.clone()])),
            }
        }
    };
    fn walk(r: &cs::Resource, f: &mut dyn FnMut(&cs::Primitive)) {
        match r {
            cs::Resource::Primitive(p) => f(p),
            cs::Resource::Group(g) => g.primitives.iter().for_each(&mut *f),
            cs::Resource::Clone(c) => c.child.iter().for_each(|c| walk(c, f)),
            cs::Resource::Master(c) => c.child.iter().for_each(|c| walk(c, f)),
            _ => {}
        }
    }
    for r in cfg.resources.iter().flat_map(|r| r.items.iter()) {
        walk(r, &mut visit);
    }
    out
}

pub(crate) type Expand<'a> = dyn Fn(&Cluster, &str) -> Vec<RscId> + 'a;

fn unpack_location(cluster: &mut Cluster, l: &cs::Location, expand: &Expand<'_>) {
    let mut targets: Vec<(RscId, Option<Role>)> = Vec::new();
    let role = l.role.as_deref().and_then(Role::parse);
    if let Some(rsc) = &l.rsc {
        targets.extend(expand(cluster, rsc).into_iter().map(|r| (r, role)));
    } else if let Some(pattern) = &l.rsc_pattern {
        // A POSIX extended regular expression; a leading "!" inverts it.
        let (invert, pattern) = match pattern.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, pattern.as_str()),
        };
        match regex::Regex::new(pattern) {
            Ok(re) => {
                for (i, r) in cluster.resources.iter().enumerate() {
                    if r.parent.is_none() && re.is_match(&r.id) != invert {
                        targets.push((RscId(i), role));
                    }
                }
            }
            Err(_) => cluster
                .warnings
                .push(format!("Ignoring constraint '{}' because rsc-pattern '{pattern}' is not valid", l.id)),
        }
    }
    for set in &l.sets {
        let set_role = set.role.as_deref().and_then(Role::parse).or(role);
        for rr in &set.resources {
            targets.extend(expand(cluster, &rr.id).into_iter().map(|r| (r, set_role)));
        }
    }
    let discovery = match l.resource_discovery.as_deref() {
        Some("never") => Discovery::Never,
        Some("exclusive") => Discovery::Exclusive,
        _ => Discovery::Always,
    };
    for (rsc, role) in targets {
        // A node-and-score constraint takes the role of the constraint (or
        // its set); each rule is a location of its own with the rule's role.
        let mut locations: Vec<RoleScores> = Vec::new();
        if let Some(node) = &l.node {
            let score = l.score.as_deref().and_then(Score::parse).unwrap_or(Score::ZERO);
            let scores = cluster.node_by_name(node).map(|n| vec![(n, score)]).unwrap_or_default();
            locations.push((role_filter(role), scores));
        } else {
            // Parameters whose sets have rules are evaluated on each node.
            let node_params: Vec<Option<std::collections::BTreeMap<String, String>>> = cluster
                .node_ids()
                .map(|n| {
                    cluster.rsc(rsc).node_param_sets.as_ref().map(|sets| {
                        let refs: Vec<&cib_schema::NvSet> = sets.iter().collect();
                        let ctx = RuleContext {
                            node_attrs: Some(&cluster.node(n).attrs),
                            now: cluster.now,
                            ..Default::default()
                        };
                        super::rules::unpack_nvsets(&refs, &ctx, None, &|_| None)
                    })
                })
                .collect();
            for rule in &l.rules {
                let mut scores: Vec<(NodeId, Score)> = Vec::new();
                for n in cluster.node_ids().collect::<Vec<_>>() {
                    let node = cluster.node(n);
                    let r = cluster.rsc(rsc);
                    let ctx = RuleContext {
                        node_attrs: Some(&node.attrs),
                        now: cluster.now,
                        rsc_params: Some(node_params[n.0].as_ref().unwrap_or(&r.params)),
                        rsc_meta: Some(&r.meta),
                        ..Default::default()
                    };
                    if !eval_rule(rule, &ctx) {
                        continue;
                    }
                    let score = match (&rule.score, &rule.score_attribute) {
                        (Some(s), _) => Score::parse(s).unwrap_or(Score::ZERO),
                        (None, Some(attr)) => match node.attrs.get(attr).and_then(|v| Score::parse(v)) {
                            Some(s) => s,
                            None => continue,
                        },
                        _ => Score::ZERO,
                    };
                    scores.push((n, score));
                }
                locations.push((role_filter(rule.role.as_deref().and_then(Role::parse)), scores));
            }
        }
        for (role, scores) in locations {
            cluster.rsc_mut(rsc).locations.push(RscLocation { id: l.id.clone(), role, scores, discovery });
            let li = cluster.rsc(rsc).locations.len() - 1;
            cluster.location_order.push((rsc, li));
        }
    }
}

/// The role a location is limited to: the unpromoted role (like started) is
/// every instance's role before promotion, so it limits nothing.
fn role_filter(role: Option<Role>) -> Option<Role> {
    role.filter(|r| !matches!(r, Role::Started | Role::Unpromoted | Role::Unknown))
}

#[allow(clippy::too_many_arguments)]
fn new_colocation(
    cluster: &mut Cluster,
    id: &str,
    node_attribute: Option<&str>,
    score: Score,
    dependent: RscId,
    primary: RscId,
    roles: (Option<&str>, Option<&str>),
    influence: Option<&str>,
) {
    if score == Score::ZERO {
        return;
    }
    // "Started" as a role means any role.
    let role =
        |r: Option<&str>| r.and_then(Role::parse).filter(|r| *r != Role::Started && *r != Role::Unknown);
    let influence = match influence {
        Some(v) => is_true(v),
        None => cluster.rsc(dependent).critical,
    };
    cluster.colocations.push(Colocation {
        id: id.to_string(),
        dependent,
        primary,
        score,
        dependent_role: role(roles.0),
        primary_role: role(roles.1),
        node_attribute: node_attribute.unwrap_or("#uname").to_string(),
        influence,
    });
    let ci = cluster.colocations.len() - 1;
    insert_this_with(cluster, dependent, ci);
    insert_with_this(cluster, primary, ci);
}

fn variant_rank(cluster: &Cluster, r: RscId) -> (i64, u8, bool) {
    let rsc = cluster.rsc(r);
    let v = match rsc.variant {
        Variant::Primitive => 0,
        Variant::Group => 1,
        Variant::Clone => 2,
        Variant::Bundle => 3,
    };
    (rsc.priority, v, rsc.promotable)
}

/// Inserts a colocation into `r`'s "this with" list, ordered by the primary's
/// priority, variant (clones first), promotability, then id; a new entry goes
/// before equal ones.
pub fn insert_this_with(cluster: &mut Cluster, r: RscId, ci: usize) {
    let key = |cluster: &Cluster, ci: usize| {
        let p = cluster.colocations[ci].primary;
        let (pr, v, prom) = variant_rank(cluster, p);
        (std::cmp::Reverse(pr), std::cmp::Reverse(v), std::cmp::Reverse(prom), cluster.rsc(p).id.clone())
    };
    let k = key(cluster, ci);
    let list = &cluster.rsc(r).this_with;
    let pos = list.iter().position(|&x| key(cluster, x) >= k).unwrap_or(list.len());
    cluster.rsc_mut(r).this_with.insert(pos, ci);
}

/// Like [`insert_this_with`], for the "with this" list, keyed by the dependent.
pub fn insert_with_this(cluster: &mut Cluster, r: RscId, ci: usize) {
    let key = |cluster: &Cluster, ci: usize| {
        let d = cluster.colocations[ci].dependent;
        let (pr, v, prom) = variant_rank(cluster, d);
        (std::cmp::Reverse(pr), std::cmp::Reverse(v), std::cmp::Reverse(prom), cluster.rsc(d).id.clone())
    };
    let k = key(cluster, ci);
    let list = &cluster.rsc(r).with_this;
    let pos = list.iter().position(|&x| key(cluster, x) >= k).unwrap_or(list.len());
    cluster.rsc_mut(r).with_this.insert(pos, ci);
}

fn unpack_colocation(cluster: &mut Cluster, c: &cs::Colocation, expand: &Expand<'_>) {
    let score = c.score.as_deref().and_then(Score::parse).unwrap_or(Score::ZERO);
    let influence = c.influence.as_deref();
    if c.sets.is_empty() {
        let (Some(a), Some(b)) = (&c.rsc, &c.with_rsc) else { return };
        let (a_tag, b_tag) = (cluster.rsc_by_id(a).is_none(), cluster.rsc_by_id(b).is_none());
        if a_tag && b_tag && !expand(cluster, a).is_empty() && !expand(cluster, b).is_empty() {
            cluster.warnings.push(format!(
                "Ignoring constraint '{}' because two templates or tags cannot be colocated",
                c.id
            ));
            return;
        }
        if a_tag || b_tag {
            // A template or tag stands for the set of its resources (in order,
            // so each is colocated with the one before), colocated as sets are.
            let as_set = |cluster: &Cluster, id: &str, role: Option<&String>| cs::ResourceSet {
                id: Some(format!("{}-{id}", c.id)),
                role: role.cloned(),
                resources: expand(cluster, id)
                    .into_iter()
                    .map(|r| cs::ResourceRef { id: cluster.rsc(r).id.clone(), ..Default::default() })
                    .collect(),
                ..Default::default()
            };
            let sets =
                [as_set(cluster, a, c.rsc_role.as_ref()), as_set(cluster, b, c.with_rsc_role.as_ref())];
            for set in &sets {
                colocation_set(cluster, &c.id, set, score, influence, expand);
            }
            colocate_sets(cluster, &c.id, &sets[0], &sets[1], score, influence, expand);
            return;
        }
        let (Some(&dep), Some(&pri)) = (expand(cluster, a).first(), expand(cluster, b).first()) else {
            cluster
                .warnings
                .push(format!("Ignoring constraint '{}' because a resource does not exist", c.id));
            return;
        };
        new_colocation(
            cluster,
            &c.id,
            c.node_attribute.as_deref(),
            score,
            dep,
            pri,
            (c.rsc_role.as_deref(), c.with_rsc_role.as_deref()),
            influence,
        );
        return;
    }
    let mut last: Option<&cs::ResourceSet> = None;
    for set in &c.sets {
        colocation_set(cluster, &c.id, set, score, influence, expand);
        if let Some(prev) = last {
            colocate_sets(cluster, &c.id, prev, set, score, influence, expand);
        }
        last = Some(set);
    }
}

fn set_members(cluster: &Cluster, set: &cs::ResourceSet, expand: &Expand<'_>) -> Vec<RscId> {
    set.resources.iter().flat_map(|r| expand(cluster, &r.id)).collect()
}

fn colocation_set(
    cluster: &mut Cluster,
    id: &str,
    set: &cs::ResourceSet,
    score: Score,
    influence: Option<&str>,
    expand: &Expand<'_>,
) {
    let score = set.score.as_deref().and_then(Score::parse).unwrap_or(score);
    if score == Score::ZERO || set.sequential.as_deref().is_some_and(|v| !is_true(v)) {
        return;
    }
    let set_id = set.id.clone().unwrap_or_else(|| id.to_string());
    let role = set.role.as_deref();
    let members = set_members(cluster, set, expand);
    let group_ordering = set.ordering.as_deref().is_none_or(|o| o.eq_ignore_ascii_case("group"));
    if score > Score::ZERO {
        for w in members.windows(2) {
            // "group" ordering: each member with the one before it; otherwise reversed.
            let (dep, pri) = if group_ordering { (w[1], w[0]) } else { (w[0], w[1]) };
            new_colocation(cluster, &set_id, None, score, dep, pri, (role, role), influence);
        }
    } else {
        for (i, &r) in members.iter().enumerate() {
            for &with in &members[..i] {
                new_colocation(cluster, &set_id, None, score, r, with, (role, role), influence);
            }
        }
    }
}

fn colocate_sets(
    cluster: &mut Cluster,
    id: &str,
    set1: &cs::ResourceSet,
    set2: &cs::ResourceSet,
    score: Score,
    influence: Option<&str>,
    expand: &Expand<'_>,
) {
    if score == Score::ZERO {
        return;
    }
    let seq = |s: &cs::ResourceSet| s.sequential.as_deref().is_none_or(is_true);
    let m1 = set_members(cluster, set1, expand);
    let m2 = set_members(cluster, set2, expand);
    let roles = (set1.role.as_deref(), set2.role.as_deref());
    let r1 = if seq(set1) { m1.first().copied() } else { None };
    let r2 = if seq(set2) { m2.last().copied() } else { None };
    match (r1, r2) {
        (Some(a), Some(b)) => new_colocation(cluster, id, None, score, a, b, roles, influence),
        (Some(a), None) => {
            for &b in &m2 {
                new_colocation(cluster, id, None, score, a, b, roles, influence);
            }
        }
        (None, Some(b)) => {
            for &a in &m1 {
                new_colocation(cluster, id, None, score, a, b, roles, influence);
            }
        }
        (None, None) => {
            for &a in &m1 {
                for &b in &m2 {
                    new_colocation(cluster, id, None, score, a, b, roles, influence);
                }
            }
        }
    }
}

/// How many instances of a clone ordered first must be able to act before
/// the then side may: the clone's `clone-min`, else 1 with the deprecated
/// `require-all=false`, else 0 (the whole clone).
fn min_first_instances(cluster: &Cluster, first: RscId, require_all: Option<&str>) -> usize {
    let rsc = cluster.rsc(first);
    if rsc.variant != Variant::Clone {
        return 0;
    }
    if let Some(v) = rsc.meta.get("clone-min") {
        return v.trim().parse::<i64>().map(|n| n.max(0) as usize).unwrap_or(0);
    }
    match require_all {
        Some(v) if !is_true(v) => 1,
        _ => 0,
    }
}

fn unpack_order(cluster: &mut Cluster, o: &cs::Order, expand: &Expand<'_>) {
    let kind = order_kind(o.kind.as_deref(), o.score.as_deref());
    let symmetrical = o.symmetrical.as_deref().map(is_true).unwrap_or(kind != OrderKind::Serialize);
    if let (Some(first), Some(then)) = (&o.first, &o.then) {
        let first_action = o.first_action.clone().unwrap_or_else(|| "start".into());
        let then_action = o.then_action.clone().unwrap_or_else(|| first_action.clone());
        for f in expand(cluster, first) {
            let min_first_instances = min_first_instances(cluster, f, o.require_all.as_deref());
            for t in expand(cluster, then) {
                cluster.orderings.push(Ordering {
                    id: o.id.clone(),
                    first: f,
                    first_action: first_action.clone(),
                    then: t,
                    then_action: then_action.clone(),
                    kind,
                    symmetrical,
                    min_first_instances,
                    gate: None,
                });
            }
        }
        return;
    }
    // (members, sequential, action, gate when require-all=false)
    type SetOrder = (Vec<RscId>, bool, String, Option<String>);
    let sets: Vec<SetOrder> = o
        .sets
        .iter()
        .map(|s| {
            let members = s.resources.iter().flat_map(|r| expand(cluster, &r.id)).collect();
            let sequential = s.sequential.as_deref().map(is_true).unwrap_or(true);
            let any_one = s.require_all.as_deref().is_some_and(|v| !is_true(v));
            let gate = any_one.then(|| format!("one-or-more:{}", s.id.as_deref().unwrap_or(&o.id)));
            (members, sequential && !any_one, s.action.clone().unwrap_or_else(|| "start".into()), gate)
        })
        .collect();
    let push = |cluster: &mut Cluster, f: RscId, fa: &str, t: RscId, ta: &str, gate: Option<String>| {
        cluster.orderings.push(Ordering {
            id: o.id.clone(),
            first: f,
            first_action: fa.to_string(),
            then: t,
            then_action: ta.to_string(),
            kind,
            symmetrical,
            min_first_instances: 0,
            gate,
        });
    };
    for (members, sequential, action, _) in &sets {
        if *sequential {
            for w in members.windows(2) {
                push(cluster, w[0], action, w[1], action, None);
            }
        }
    }
    for pair in sets.windows(2) {
        let (prev, next) = (&pair[0], &pair[1]);
        let firsts: Vec<RscId> =
            if prev.1 { prev.0.last().copied().into_iter().collect() } else { prev.0.clone() };
        let thens: Vec<RscId> =
            if next.1 { next.0.first().copied().into_iter().collect() } else { next.0.clone() };
        for &f in &firsts {
            for &t in &thens {
                push(cluster, f, &prev.2, t, &next.2, prev.3.clone());
            }
        }
    }
}

fn order_kind(kind: Option<&str>, score: Option<&str>) -> OrderKind {
    match kind.map(|k| k.to_ascii_lowercase()) {
        Some(k) if k == "optional" => OrderKind::Optional,
        Some(k) if k == "serialize" => OrderKind::Serialize,
        Some(_) => OrderKind::Mandatory,
        None => match score.and_then(Score::parse) {
            Some(s) if s.0 == 0 => OrderKind::Optional,
            _ => OrderKind::Mandatory,
        },
    }
}
