//! Stage 1, unpack: the CIB and `now` into the working set. Cluster options,
//! nodes and their state, resources with their meta/params/ops, constraints, and
//! the status section's operation history folded into each resource's current
//! role, location and failures. Nothing is decided here.

use std::collections::BTreeMap;

use cib_schema as cs;
use cib_schema::{Cib, NvSet};

use super::cluster::*;
use super::history;
use super::options::ClusterOptions;
use super::rules::{parse_interval_ms, unpack_nvsets, RuleContext};
use super::score::Score;

pub fn unpack(cib: &Cib, now: i64) -> Cluster {
    let empty = cs::Configuration::default();
    configure(cib.configuration.as_ref().unwrap_or(&empty), now).with_status(cib)
}

/// The configuration unpacked on its own: cluster options, the nodes (not yet
/// their state) and the resources. Nothing in it comes from the status
/// section or the document's root, so it can be made while the status is
/// still being read; [`Configured::with_status`] completes it.
pub struct Configured {
    cluster: Cluster,
}

/// Finds the name/value sets that others refer to by `id-ref`; the index is
/// built only if some set refers to another (rare, and costly to build).
struct SetIndex<'c> {
    cfg: &'c cs::Configuration,
    index: std::cell::OnceCell<BTreeMap<String, NvSet>>,
}

impl<'c> SetIndex<'c> {
    fn new(cfg: &'c cs::Configuration) -> Self {
        SetIndex { cfg, index: std::cell::OnceCell::new() }
    }

    fn resolve(&self, s: &NvSet) -> Option<NvSet> {
        let r = s.id_ref.as_ref()?;
        self.index.get_or_init(|| index_nvsets(self.cfg)).get(r).cloned()
    }
}

/// Stage 1a: the configuration section alone (see [`Configured`]).
pub fn configure(cfg: &cs::Configuration, now: i64) -> Configured {
    let sets = SetIndex::new(cfg);
    let resolve = |s: &NvSet| sets.resolve(s);
    let ctx = RuleContext { now, ..Default::default() };
    let crm_config: Vec<&NvSet> = cfg.crm_config.iter().flat_map(|c| c.sets.iter()).collect();
    let options =
        ClusterOptions::from_map(unpack_nvsets(&crm_config, &ctx, Some("cib-bootstrap-options"), &resolve));

    let mut cluster = Cluster {
        options,
        nodes: Vec::new(),
        resources: Vec::new(),
        top: Vec::new(),
        colocations: Vec::new(),
        orderings: Vec::new(),
        now,
        have_quorum: false,
        dc_uuid: None,
        location_order: Vec::new(),
        has_stonith_resource: false,
        rsc_index: Default::default(),
        warnings: Vec::new(),
        history_recurring: Vec::new(),
        history_recurring_seen: Default::default(),
        score_log: None,
        ticket_states: Default::default(),
        rsc_tickets: Vec::new(),
    };

    cluster.options.unfencing_enabled = unfencing_configured(cfg);
    let mut clock = super::StageClock::start();
    unpack_node_list(&mut cluster, cfg, &resolve);
    clock.lap("unpack nodes");
    let templates = cfg
        .resources
        .iter()
        .flat_map(|r| r.items.iter())
        .filter_map(|r| match r {
            cs::Resource::Template(t) => Some((t.id.clone(), t.clone())),
            _ => None,
        })
        .collect::<BTreeMap<_, _>>();
    let defaults = Defaults {
        rsc: DefaultSets::new(cfg.rsc_defaults.iter().flat_map(|d| d.sets.iter()).collect(), now),
        op: DefaultSets::new(cfg.op_defaults.iter().flat_map(|d| d.sets.iter()).collect(), now),
    };
    let mut builder = ResourceBuilder {
        cluster: &mut cluster,
        templates: &templates,
        defaults,
        resolve: &resolve,
        bundles_seen: 0,
    };
    let nodes = builder.cluster.nodes.len();
    let expected = cfg.resources.iter().flat_map(|r| r.items.iter()).map(|r| resource_count(r, nodes)).sum();
    builder.cluster.resources.reserve(expected);
    for item in cfg.resources.iter().flat_map(|r| r.items.iter()) {
        if let Some(id) = builder.add(item, None, "") {
            builder.cluster.top.push(id);
        }
    }
    // Guest nodes' connections come after the configured resources.
    for conn in remote_sources(cfg).iter().filter_map(guest_connection) {
        let id = builder.add_primitive(&conn, None, "");
        builder.cluster.top.push(id);
    }
    // A bundle's guest nodes run that bundle's primitive and nothing else.
    let bundle_guests: Vec<(NodeId, Score)> =
        cluster.node_ids().filter(|&n| cluster.node(n).bundle_guest).map(|n| (n, Score::NEG_INF)).collect();
    if !bundle_guests.is_empty() {
        for &t in &cluster.top.clone() {
            if cluster.rsc(t).variant != Variant::Bundle {
                add_implicit_location(&mut cluster, t, "bundle-guest-nodes", bundle_guests.clone());
            }
        }
    }
    clock.lap("unpack resources");
    Configured { cluster }
}

impl Configured {
    /// The `now` the configuration's rules were evaluated at.
    pub fn now(&self) -> i64 {
        self.cluster.now
    }

    /// Stage 1b: the document's root and status section, on the configuration
    /// unpacked from the same document at the same `now`.
    pub fn with_status(self, cib: &Cib) -> Cluster {
        let mut cluster = self.cluster;
        let empty_cfg = cs::Configuration::default();
        let cfg = cib.configuration.as_ref().unwrap_or(&empty_cfg);
        let sets = SetIndex::new(cfg);
        let resolve = |s: &NvSet| sets.resolve(s);
        cluster.have_quorum = cib.have_quorum.as_deref().map(is_true).unwrap_or(false);
        cluster.dc_uuid = cib.dc_uuid.clone();
        cluster.ticket_states = super::tickets::unpack_ticket_states(cib);
        // Suicide needs fencing, and a cluster that has had quorum (or has been
        // told to panic without it); otherwise it means stop.
        let panic =
            cib.no_quorum_panic.as_deref().is_some_and(|v| v.trim().parse::<i64>().is_ok_and(|n| n != 0));
        if cluster.options.no_quorum_policy == super::options::NoQuorumPolicy::Suicide
            && !(cluster.options.stonith_enabled && (panic || cluster.have_quorum))
        {
            cluster.options.no_quorum_policy = super::options::NoQuorumPolicy::Stop;
        }
        let mut clock = super::StageClock::start();
        unpack_node_states(&mut cluster, cib, &resolve);
        super::health::apply_node_health(&mut cluster);
        // Pacemaker keeps top-level resources sorted by priority (stable), and lists,
        // summarises and graphs them in that order.
        let prio: Vec<i64> = cluster.top.iter().map(|&r| cluster.rsc(r).priority).collect();
        let mut order: Vec<usize> = (0..cluster.top.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(prio[i]));
        cluster.top = order.into_iter().map(|i| cluster.top[i]).collect();
        clock.lap("unpack node states");
        history::unpack_status(&mut cluster, cib);
        clock.lap("unpack status");
        // Instances of promotable clones that are merely started are unpromoted.
        for i in 0..cluster.resources.len() {
            let top = cluster.top_of(RscId(i));
            let counts = cluster.rsc(top).variant != Variant::Bundle
                || super::bundle::is_replica_child(&cluster, RscId(i));
            if cluster.rsc(top).promotable && counts && cluster.resources[i].role == Role::Started {
                cluster.resources[i].role = Role::Unpromoted;
            }
        }
        super::constraints::unpack_constraints(&mut cluster, cfg);
        clock.lap("unpack constraints");
        cluster
    }
}

/// About how many working-set resources a configured one becomes (clones
/// count an instance per node), to size the arena once.
fn resource_count(r: &cs::Resource, nodes: usize) -> usize {
    match r {
        cs::Resource::Template(_) => 0,
        cs::Resource::Primitive(_) => 1,
        cs::Resource::Group(g) => 1 + g.primitives.len(),
        cs::Resource::Clone(c) => {
            1 + nodes * c.child.as_deref().map_or(1, |child| resource_count(child, nodes))
        }
        cs::Resource::Master(c) => {
            1 + nodes * c.child.as_deref().map_or(1, |child| resource_count(child, nodes))
        }
        cs::Resource::Bundle(_) => 1 + 3 * nodes,
    }
}

/// A location the cluster itself adds, applied before the configured ones.
pub(crate) fn add_implicit_location(cluster: &mut Cluster, r: RscId, id: &str, scores: Vec<(NodeId, Score)>) {
    let rsc = cluster.rsc_mut(r);
    rsc.locations.push(RscLocation { id: id.to_string(), role: None, scores, discovery: Discovery::Always });
    let index = rsc.locations.len() - 1;
    cluster.location_order.push((r, index));
}

fn mark_orphan(cluster: &mut Cluster, r: RscId) {
    cluster.rsc_mut(r).orphan = true;
    for c in cluster.rsc(r).children.clone() {
        mark_orphan(cluster, c);
    }
}

pub(crate) fn is_true(v: &str) -> bool {
    matches!(v.to_ascii_lowercase().as_str(), "true" | "on" | "yes" | "y" | "1")
}

fn index_nvsets(cfg: &cs::Configuration) -> BTreeMap<String, NvSet> {
    // Only sets that can be the target of an id-ref: everything with an id.
    let mut out = BTreeMap::new();
    let root = cs::write::ToElement::to_element(cfg);
    fn walk(el: &cs::Element, out: &mut BTreeMap<String, NvSet>) {
        if cs::read::NVSET_TAGS.contains(&el.name.as_str()) && el.attr("id").is_some() {
            if let Ok(set) = cs::read::from_tree::<NvSet>(el) {
                out.insert(set.id.clone().unwrap_or_default(), set);
            }
        }
        for c in &el.children {
            walk(c, out);
        }
    }
    walk(&root, &mut out);
    out
}

/// The nodes the configuration names (and the Pacemaker Remote and guest
/// nodes its resources make), with their permanent attributes, sorted as
/// Pacemaker keeps them; their state comes later ([`unpack_node_states`]).
fn unpack_node_list(
    cluster: &mut Cluster,
    cfg: &cs::Configuration,
    resolve: &dyn Fn(&NvSet) -> Option<NvSet>,
) {
    let ctx = RuleContext { now: cluster.now, ..Default::default() };
    for (i, n) in cfg.nodes.iter().flat_map(|n| n.nodes.iter()).enumerate() {
        let kind = match n.node_type.as_deref() {
            Some("remote") => NodeKind::Remote,
            Some("ping") => NodeKind::Ping,
            _ => NodeKind::Member,
        };
        let name = n.uname.clone().unwrap_or_else(|| n.id.clone());
        let inst: Vec<&NvSet> = n.instance.iter().collect();
        let mut attrs = unpack_nvsets(&inst, &ctx, None, resolve);
        let util: Vec<&NvSet> = n.utilization.iter().collect();
        let utilization = unpack_nvsets(&util, &ctx, None, resolve);
        attrs.insert("#uname".into(), name.clone());
        attrs.insert("#id".into(), n.id.clone());
        attrs.insert("#kind".into(), if kind == NodeKind::Remote { "remote" } else { "cluster" }.into());
        let mut node = blank_node(&n.id, &name, kind, attrs, utilization);
        node.config_order = i;
        cluster.nodes.push(node);
    }
    // Pacemaker Remote and guest nodes come from the resources that connect them.
    for src in remote_sources(cfg) {
        let existing = cluster.nodes.iter_mut().find(|n| n.name == src.name);
        let node = match existing {
            Some(n) if n.kind != NodeKind::Remote => continue,
            Some(n) => n,
            None => {
                let mut attrs = BTreeMap::new();
                attrs.insert("#uname".into(), src.name.clone());
                attrs.insert("#id".into(), src.name.clone());
                attrs.insert("#kind".into(), "remote".into());
                cluster.nodes.push(blank_node(
                    &src.name,
                    &src.name,
                    NodeKind::Remote,
                    attrs,
                    BTreeMap::new(),
                ));
                cluster.nodes.last_mut().expect("just pushed")
            }
        };
        node.remote_rsc = Some(src.name.clone());
        node.container = src.container;
        node.bundle_guest = src.bundle_order.is_some();
        node.bundle_order = src.bundle_order.unwrap_or(0);
    }
    // Pacemaker keeps nodes sorted by name; every per-node loop follows this order.
    cluster.nodes.sort_by(|a, b| crate::display::natural_cmp(&a.name, &b.name));
}

/// Each node's state from its `node_state`: online, clean, standby and the
/// rest, and its transient attributes.
fn unpack_node_states(cluster: &mut Cluster, cib: &Cib, resolve: &dyn Fn(&NvSet) -> Option<NvSet>) {
    let states: Vec<&cs::NodeState> = cib.status.iter().flat_map(|s| s.nodes.iter()).collect();
    let ctx = RuleContext { now: cluster.now, ..Default::default() };
    let transient = |st: &cs::NodeState| {
        st.transient.as_ref().map(|t| {
            let sets: Vec<&NvSet> = t.sets.iter().collect();
            unpack_nvsets(&sets, &ctx, None, resolve)
        })
    };
    // Configured nodes in configuration order: fencing decisions are
    // numbered in the order they are taken.
    let mut configured: Vec<usize> =
        (0..cluster.nodes.len()).filter(|&i| cluster.nodes[i].config_order != usize::MAX).collect();
    configured.sort_by_key(|&i| cluster.nodes[i].config_order);
    let (have_quorum, dc_uuid) = (cluster.have_quorum, cluster.dc_uuid.clone());
    let options = cluster.options.clone();
    for i in configured {
        let node = &mut cluster.nodes[i];
        let is_dc = dc_uuid.as_deref() == Some(node.id.as_str());
        node.attrs.insert("#is_dc".into(), if is_dc { "true" } else { "false" }.into());
        let state_index = states.iter().position(|s| s.id.as_deref() == Some(node.id.as_str()));
        let state = state_index.map(|i| states[i]);
        node.status_order = state_index.unwrap_or(usize::MAX);
        node.unseen = state.is_none();
        if let Some(st) = state {
            for (k, v) in transient(st).unwrap_or_default() {
                node.attrs.insert(k, v);
            }
            determine_online(node, st, &options);
            // Without quorum, no-quorum-policy=suicide fences every member
            // (each node fences itself in a real cluster).
            if node.online
                && !have_quorum
                && options.no_quorum_policy == super::options::NoQuorumPolicy::Suicide
            {
                fence_node(node, "cluster does not have quorum");
            }
        } else if node.kind == NodeKind::Member && options.stonith_enabled && options.startup_fencing {
            node.unclean = true;
            node.fence_reason = Some("node is unclean".into());
        }
        let flag = |k: &str| node.attrs.get(k).map(|v| is_true(v)).unwrap_or(false);
        // Nodes never seen have no state to be in standby or maintenance.
        node.standby = state.is_some() && flag("standby");
        node.maintenance = state.is_some() && flag("maintenance");
        if let Some(v) = node.attrs.get("shutdown") {
            if v != "0" && !v.is_empty() {
                node.shutdown = true;
            }
        }
        if flag("terminate")
            || node.attrs.get("terminate").is_some_and(|v| v.parse::<i64>().is_ok_and(|n| n != 0))
        {
            node.unclean = node.online || node.unclean;
            node.fence_reason = Some("termination was requested".into());
        }
    }
    // Remote and guest nodes the configuration does not name have only
    // their transient attributes; all of them are unclean while unseen
    // (guests excepted: their containers tell).
    for node in cluster.nodes.iter_mut().filter(|n| n.remote_rsc.is_some()) {
        if node.config_order == usize::MAX {
            let state = states.iter().find(|s| s.id.as_deref() == Some(node.id.as_str()));
            node.unseen = state.is_none();
            if let Some(attrs) = state.and_then(|st| transient(st)) {
                node.attrs.extend(attrs);
            }
        }
        if node.container.is_some() {
            node.attrs.insert("#kind".into(), "container".into());
        } else if node.unseen && options.stonith_enabled && options.startup_fencing {
            node.unclean = true;
            node.fence_reason = Some("node is unclean".into());
        }
    }
    // Nodes never seen are fenced after those the status section condemns.
    // Among those, in node order (Pacemaker decides them as it walks the nodes).
    for (i, n) in cluster.nodes.iter_mut().filter(|n| n.unseen && n.unclean).enumerate() {
        n.fence_order += usize::MAX / 2 + i;
    }
}

fn blank_node(
    id: &str,
    name: &str,
    kind: NodeKind,
    attrs: BTreeMap<String, String>,
    utilization: BTreeMap<String, String>,
) -> Node {
    Node {
        id: id.to_string(),
        name: name.to_string(),
        kind,
        online: false,
        standby: false,
        standby_onfail: false,
        maintenance: false,
        unclean: false,
        shutdown: false,
        pending: false,
        expected_up: false,
        unseen: false,
        attrs,
        remaining: utilization.iter().map(|(k, v)| (k.clone(), super::utilization::value(v))).collect(),
        utilization,
        assigned_count: 0,
        fence_reason: None,
        fence_order: 0,
        remote_rsc: None,
        container: None,
        bundle_guest: false,
        bundle_order: 0,
        remote_requires_reset: false,
        status_order: usize::MAX,
        config_order: usize::MAX,
    }
}

/// A resource that makes a Pacemaker Remote node: an `ocf:pacemaker:remote`
/// primitive (a remote node named after it), or a primitive with the
/// `remote-node` meta attribute (a guest node running inside it, reached
/// through an implicit connection resource of that name).
struct RemoteSource {
    name: String,
    /// The guest node's container resource.
    container: Option<String>,
    /// The container's meta attributes the implicit connection takes over.
    meta: Vec<(String, String)>,
    params: Vec<(String, String)>,
    /// A bundle replica's guest node (the bundle's position among the
    /// configured bundles): the bundle makes its connection.
    bundle_order: Option<usize>,
}

fn remote_sources(cfg: &cs::Configuration) -> Vec<RemoteSource> {
    let items: Vec<&cs::Resource> = cfg.resources.iter().flat_map(|r| r.items.iter()).collect();
    let is_remote = |p: &cs::Primitive| {
        p.class.as_deref() == Some("ocf")
            && p.provider.as_deref() == Some("pacemaker")
            && p.agent.as_deref() == Some("remote")
    };
    let guest = |p: &cs::Primitive| {
        let mut name = None;
        let (mut meta, mut params) = (Vec::new(), Vec::new());
        for pair in p.meta.iter().flat_map(|s| s.nvpairs.iter()) {
            let (Some(k), Some(v)) = (pair.name.as_deref(), pair.value.as_deref()) else { continue };
            match k.to_ascii_lowercase().as_str() {
                "remote-node" => name = Some(v.to_string()),
                "remote-addr" => params.push(("addr".into(), v.to_string())),
                "remote-port" => params.push(("port".into(), v.to_string())),
                "remote-allow-migrate" => meta.push(("allow-migrate".into(), v.to_string())),
                "is-managed" => meta.push(("is-managed".into(), v.to_string())),
                _ => {}
            }
        }
        let name = name?;
        // A configured resource of that name wins.
        if items.iter().any(|r| r.find_primitive(&name).is_some()) {
            return None;
        }
        Some(RemoteSource { name, container: Some(p.id.clone()), meta, params, bundle_order: None })
    };
    let mut out: Vec<RemoteSource> = Vec::new();
    let mut bundles = 0;
    for item in &items {
        let found = match item {
            cs::Resource::Primitive(p) if is_remote(p) => Some(RemoteSource {
                name: p.id.clone(),
                container: None,
                meta: Vec::new(),
                params: Vec::new(),
                bundle_order: None,
            }),
            cs::Resource::Primitive(p) => guest(p),
            cs::Resource::Group(g) => {
                out.extend(g.primitives.iter().filter_map(guest));
                None
            }
            cs::Resource::Bundle(b) => {
                let spec = super::bundle::BundleSpec::of(b);
                if spec.has_guests() {
                    out.extend((0..spec.replicas).map(|i| RemoteSource {
                        name: spec.guest_name(i),
                        container: Some(spec.container_id(i)),
                        meta: Vec::new(),
                        params: Vec::new(),
                        bundle_order: Some(bundles),
                    }));
                }
                bundles += 1;
                None
            }
            _ => None,
        };
        out.extend(found);
    }
    out.dedup_by(|a, b| a.name == b.name);
    out
}

/// The implicit connection resource of a guest node, as Pacemaker adds it to
/// the configuration (internal: never listed).
fn guest_connection(src: &RemoteSource) -> Option<cs::Primitive> {
    if src.bundle_order.is_some() {
        return None;
    }
    let container = src.container.as_ref()?;
    let mut meta = cs::NvSet::new("meta_attributes", format!("{}-meta_attributes", src.name));
    meta.nvpairs.push(cs::NvPair::new("", "internal_rsc", "true"));
    meta.nvpairs.push(cs::NvPair::new("", "container", container.as_str()));
    for (k, v) in &src.meta {
        meta.nvpairs.push(cs::NvPair::new("", k.as_str(), v.as_str()));
    }
    let mut inst = cs::NvSet::new("instance_attributes", format!("{}-instance_attributes", src.name));
    for (k, v) in &src.params {
        inst.nvpairs.push(cs::NvPair::new("", k.as_str(), v.as_str()));
    }
    Some(cs::Primitive {
        id: src.name.clone(),
        class: Some("ocf".into()),
        provider: Some("pacemaker".into()),
        agent: Some("remote".into()),
        meta: vec![meta],
        instance: if src.params.is_empty() { Vec::new() } else { vec![inst] },
        ..Default::default()
    })
}

/// Marks a node unclean (to be fenced), keeping the first reason given.
pub(crate) fn fence_node(node: &mut Node, reason: &str) {
    if !node.unclean {
        node.unclean = true;
        node.fence_reason = Some(reason.to_string());
        node.fence_order = FENCE_SEQ.with(|c| {
            c.set(c.get() + 1);
            c.get()
        });
    }
}

thread_local! {
    /// Orders fencing decisions within one unpack (only relative order matters).
    static FENCE_SEQ: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Decides whether a node is online, clean, pending or must be fenced, from its
/// `node_state` (Pacemaker's rules differ with and without fencing).
fn determine_online(node: &mut Node, st: &cs::NodeState, options: &ClusterOptions) {
    let in_cluster = st.in_ccm.as_deref().map(is_true_or_time);
    let crmd_online =
        st.crmd.as_deref().is_some_and(|c| c == "online" || c.parse::<i64>().is_ok_and(|t| t > 0));
    let join = st.join.as_deref();
    let expected = st.expected.as_deref().unwrap_or("down");
    let shutdown = node.attrs.get("shutdown").is_some_and(|v| !v.is_empty() && v != "0");
    node.shutdown = shutdown;
    node.expected_up = !shutdown && expected == "member";
    if node.kind == NodeKind::Remote {
        // Remote nodes are online when their connection resource runs.
        node.online = false;
        return;
    }
    if node.kind == NodeKind::Ping {
        node.online = false;
        return;
    }
    let online = if !options.stonith_enabled {
        if in_cluster != Some(true) {
            false
        } else if crmd_online {
            join == Some("member")
        } else if !node.expected_up {
            false
        } else {
            fence_node(node, "peer is unexpectedly down");
            false
        }
    } else {
        let terminate = node
            .attrs
            .get("terminate")
            .is_some_and(|t| is_true(t) || t.chars().next().is_some_and(|c| c != '0' && c.is_ascii_digit()));
        let mut online = in_cluster == Some(true);
        if shutdown {
            online = crmd_online;
        } else if in_cluster.is_none() {
            fence_node(node, "peer has not been seen by the cluster");
        } else if join == Some("banned") {
            fence_node(node, "peer failed Pacemaker membership criteria");
        } else if !terminate && expected == "down" {
            if in_cluster == Some(true) || crmd_online {
                node.standby = true;
                node.pending = true;
            }
        } else if terminate && join == Some("down") && in_cluster != Some(true) && !crmd_online {
            online = false;
        } else if in_cluster != Some(true) {
            fence_node(node, "peer is no longer part of the cluster");
        } else if !crmd_online {
            fence_node(node, "peer process is no longer available");
        } else if terminate {
            fence_node(node, "termination was requested");
        } else if join == Some("member") {
        } else if matches!(join, Some("pending") | Some("down")) {
            node.standby = true;
            node.pending = true;
        } else {
            fence_node(node, "peer was in an unknown state");
        }
        online
    };
    node.online = online;
}

fn is_true_or_time(v: &str) -> bool {
    is_true(v) || v.parse::<i64>().is_ok_and(|t| t > 0)
}

struct Defaults<'a> {
    rsc: DefaultSets<'a>,
    op: DefaultSets<'a>,
}

/// `rsc_defaults` or `op_defaults`.
struct DefaultSets<'a> {
    sets: Vec<&'a NvSet>,
    /// The sets merged once, where none has a rule (or refers to another
    /// set): then they read the same for every resource and operation.
    plain: Option<BTreeMap<String, String>>,
}

impl<'a> DefaultSets<'a> {
    fn new(sets: Vec<&'a NvSet>, now: i64) -> Self {
        let plain = sets.iter().all(|s| s.rules.is_empty() && s.id_ref.is_none()).then(|| {
            let ctx = RuleContext { now, ..Default::default() };
            unpack_nvsets(&sets, &ctx, None, &|_| None)
        });
        DefaultSets { sets, plain }
    }

    /// Adds the defaults `meta` does not set.
    fn fill(
        &self,
        meta: &mut BTreeMap<String, String>,
        ctx: &RuleContext<'_>,
        resolve: &dyn Fn(&NvSet) -> Option<NvSet>,
    ) {
        match &self.plain {
            Some(defaults) => add_missing(meta, defaults),
            None => {
                for (k, v) in unpack_nvsets(&self.sets, ctx, None, resolve) {
                    meta.entry(k).or_insert(v);
                }
            }
        }
    }
}

/// Adds to `meta` the entries of `from` it does not have.
fn add_missing(meta: &mut BTreeMap<String, String>, from: &BTreeMap<String, String>) {
    for (k, v) in from {
        if !meta.contains_key(k) {
            meta.insert(k.clone(), v.clone());
        }
    }
}

struct ResourceBuilder<'a, 'b> {
    cluster: &'b mut Cluster,
    templates: &'a BTreeMap<String, cs::Template>,
    defaults: Defaults<'a>,
    resolve: &'a dyn Fn(&NvSet) -> Option<NvSet>,
    /// Bundles read so far.
    bundles_seen: usize,
}

impl ResourceBuilder<'_, '_> {
    fn push(&mut self, r: Resource) -> RscId {
        self.cluster.add_resource(r)
    }

    fn meta_of(
        &self,
        own: &[&NvSet],
        rsc_ctx: RuleContext<'_>,
        parent: Option<RscId>,
    ) -> BTreeMap<String, String> {
        let mut meta = unpack_nvsets(own, &rsc_ctx, None, self.resolve);
        // Meta attributes inherit from the parent (clone/group), then rsc_defaults.
        if let Some(p) = parent {
            add_missing(&mut meta, &self.cluster.resources[p.0].meta);
        }
        self.defaults.rsc.fill(&mut meta, &rsc_ctx, self.resolve);
        meta
    }

    /// A group's or clone's instance attributes, over those it inherits itself.
    fn collective_params(&self, own: &[NvSet], parent: Option<RscId>) -> BTreeMap<String, String> {
        let ctx = RuleContext { now: self.cluster.now, ..Default::default() };
        let mut params = unpack_nvsets(&own.iter().collect::<Vec<_>>(), &ctx, None, self.resolve);
        self.inherit_params(&mut params, parent);
        params
    }

    /// A group's or clone's instance attributes are its members' too (where
    /// they set none of the same name): agents get them, and the digests in
    /// the history cover them.
    fn inherit_params(&self, params: &mut BTreeMap<String, String>, parent: Option<RscId>) {
        let Some(parent) = parent else { return };
        let p = &self.cluster.resources[parent.0];
        if matches!(p.variant, Variant::Group | Variant::Clone) {
            for (k, v) in &p.params {
                params.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }

    fn add(&mut self, item: &cs::Resource, parent: Option<RscId>, suffix: &str) -> Option<RscId> {
        let nodes = self.cluster.nodes.len();
        match item {
            cs::Resource::Template(_) => None,
            cs::Resource::Primitive(p) => Some(self.add_primitive(p, parent, suffix)),
            cs::Resource::Group(g) => {
                let mut r = Resource::new(&format!("{}{suffix}", g.id), Variant::Group, nodes);
                if !suffix.is_empty() {
                    r.base_id = Some(g.id.clone());
                }
                r.parent = parent;
                let ctx = RuleContext { now: self.cluster.now, ..Default::default() };
                r.meta = self.meta_of(&g.meta.iter().collect::<Vec<_>>(), ctx, parent);
                r.params = self.collective_params(&g.instance, parent);
                apply_common_meta(&mut r, &self.cluster.options);
                let id = self.push(r);
                for p in &g.primitives {
                    let c = self.add_primitive(p, Some(id), suffix);
                    self.cluster.resources[id.0].children.push(c);
                }
                Some(id)
            }
            cs::Resource::Clone(cs::Clone { id, meta, instance, child, .. })
            | cs::Resource::Master(cs::Master { id, meta, instance, child, .. }) => {
                let mut r = Resource::new(id, Variant::Clone, nodes);
                r.parent = parent;
                let ctx = RuleContext { now: self.cluster.now, ..Default::default() };
                r.meta = self.meta_of(&meta.iter().collect::<Vec<_>>(), ctx, parent);
                r.params = self.collective_params(instance, parent);
                if matches!(item, cs::Resource::Master(_)) {
                    r.meta.entry("promotable".into()).or_insert_with(|| "true".into());
                }
                // Clones stick to where they run unless told otherwise.
                r.meta.entry("resource-stickiness".into()).or_insert_with(|| "1".into());
                apply_common_meta(&mut r, &self.cluster.options);
                // Clones count only the nodes known when they are read.
                let seen = self.bundles_seen;
                r.bundles_before = seen;
                let hosts = self.cluster.nodes.iter().filter(|n| n.known_after(seen)).count();
                apply_clone_meta(&mut r, hosts);
                if r.unique && child.as_deref().is_some_and(|c| self.has_anonymous_only_agent(c)) {
                    // Only OCF and fencing agents can tell unique instances
                    // apart: anything else is cloned anonymously, at most one
                    // instance per node.
                    tracing::warn!(
                        "Ignoring globally-unique for {}: its agents can only be anonymous clones",
                        r.id
                    );
                    r.unique = false;
                    r.meta.insert("globally-unique".into(), "false".into());
                    r.clone_node_max = 1;
                    r.clone_max = r.clone_max.min(self.cluster.nodes.len());
                }
                let max = r.clone_max;
                let cid = self.push(r);
                if let Some(child) = child {
                    // With clone-max=0 the one instance made is an orphan from
                    // the start: history of the clone's resource still belongs
                    // to the clone.
                    for i in 0..max.max(1) {
                        if let Some(c) = self.add(child, Some(cid), &format!(":{i}")) {
                            if max == 0 {
                                mark_orphan(self.cluster, c);
                            }
                            self.cluster.resources[cid.0].children.push(c);
                        }
                    }
                }
                Some(cid)
            }
            cs::Resource::Bundle(b) => Some(self.add_bundle(b, parent)),
        }
    }

    /// A bundle and, replica by replica, its address, container, guest
    /// connection and the wrapped primitive's instance (allowed only on the
    /// replica's guest node).
    fn add_bundle(&mut self, b: &cs::Bundle, parent: Option<RscId>) -> RscId {
        let nodes = self.cluster.nodes.len();
        let spec = super::bundle::BundleSpec::of(b);
        let mut r = Resource::new(&b.id, Variant::Bundle, nodes);
        r.parent = parent;
        let ctx = RuleContext { now: self.cluster.now, ..Default::default() };
        r.meta = self.meta_of(&b.meta.iter().collect::<Vec<_>>(), ctx, parent);
        apply_common_meta(&mut r, &self.cluster.options);
        r.promotable = spec.promoted_max > 0;
        r.promoted_max = spec.promoted_max;
        let id = self.push(r);
        let mut info = super::bundle::BundleInfo {
            runtime: spec.runtime.clone(),
            image: spec.image.clone(),
            replicas: Vec::new(),
        };
        for i in 0..spec.replicas {
            let mut rep = super::bundle::Replica { ip_addr: spec.ip_of(i), ..Default::default() };
            if let Some(addr) = rep.ip_addr.clone() {
                rep.ip = Some(self.add_primitive(&spec.ip_primitive(&addr), Some(id), ""));
            }
            rep.container = Some(self.add_primitive(&spec.container_primitive(i), Some(id), ""));
            if spec.has_guests() {
                rep.remote = Some(self.add_primitive(&spec.remote_primitive(i), Some(id), ""));
                if let Some(child) = &spec.child {
                    let c = self.add_primitive(child, Some(id), &format!(":{i}"));
                    let guest = self.cluster.node_by_name(&spec.guest_name(i));
                    let elsewhere: Vec<(NodeId, Score)> = (0..nodes)
                        .map(NodeId)
                        .filter(|&n| Some(n) != guest)
                        .map(|n| (n, Score::NEG_INF))
                        .collect();
                    add_implicit_location(self.cluster, c, &format!("{}-child-{i}", spec.id), elsewhere);
                    rep.child = Some(c);
                }
            }
            for part in [rep.ip, rep.container, rep.remote, rep.child].into_iter().flatten() {
                self.cluster.resources[id.0].children.push(part);
            }
            info.replicas.push(rep);
        }
        self.cluster.resources[id.0].bundle = Some(info);
        self.bundles_seen += 1;
        id
    }

    /// Whether a clone's child holds a primitive whose agent standard has no
    /// notion of unique instances (anything but OCF and stonith).
    fn has_anonymous_only_agent(&self, child: &cs::Resource) -> bool {
        let anonymous_only = |p: &cs::Primitive| {
            let tmpl = p.template.as_ref().and_then(|t| self.templates.get(t));
            let class = p.class.as_deref().or_else(|| tmpl.and_then(|t| t.class.as_deref())).unwrap_or("");
            !matches!(class, "ocf" | "stonith")
        };
        match child {
            cs::Resource::Primitive(p) => anonymous_only(p),
            cs::Resource::Group(g) => g.primitives.iter().any(anonymous_only),
            _ => false,
        }
    }

    fn add_primitive(&mut self, p: &cs::Primitive, parent: Option<RscId>, suffix: &str) -> RscId {
        let nodes = self.cluster.nodes.len();
        let tmpl = p.template.as_ref().and_then(|t| self.templates.get(t));
        let class = p.class.as_deref().or_else(|| tmpl.and_then(|t| t.class.as_deref())).unwrap_or_default();
        let provider = p.provider.as_deref().or_else(|| tmpl.and_then(|t| t.provider.as_deref()));
        let agent = p.agent.as_deref().or_else(|| tmpl.and_then(|t| t.agent.as_deref())).unwrap_or_default();
        let id = if suffix.is_empty() { p.id.clone() } else { format!("{}{suffix}", p.id) };
        let mut r = Resource::new(&id, Variant::Primitive, nodes);
        if !suffix.is_empty() {
            r.base_id = Some(p.id.clone());
        }
        r.parent = parent;
        r.class = class.to_string();
        r.provider = provider.map(str::to_string);
        r.agent = agent.to_string();
        let rsc_ctx =
            RuleContext { now: self.cluster.now, rsc: Some((class, provider, agent)), ..Default::default() };
        let mut own_meta: Vec<&NvSet> = p.meta.iter().collect();
        if let Some(t) = tmpl {
            own_meta.extend(t.meta.iter());
        }
        r.meta = self.meta_of(&own_meta, rsc_ctx, parent);
        let mut inst: Vec<&NvSet> = p.instance.iter().collect();
        if let Some(t) = tmpl {
            inst.extend(t.instance.iter());
        }
        r.params = unpack_nvsets(&inst, &rsc_ctx, None, self.resolve);
        self.inherit_params(&mut r.params, parent);
        if inst.iter().any(|s| !s.rules.is_empty()) {
            r.node_param_sets = Some(super::rules::resolve_nvsets(&inst, self.resolve));
        }
        let mut util: Vec<&NvSet> = p.utilization.iter().collect();
        if let Some(t) = tmpl {
            util.extend(t.utilization.iter());
        }
        r.utilization = unpack_nvsets(&util, &rsc_ctx, None, self.resolve)
            .into_iter()
            .map(|(k, v)| (k, super::utilization::value(&v)))
            .collect();
        r.is_stonith = r.class == "stonith";
        if r.is_stonith {
            self.cluster.has_stonith_resource = true;
        }
        apply_common_meta(&mut r, &self.cluster.options);

        let mut op_defs: Vec<&cs::Op> = p.operations.iter().flat_map(|o| o.ops.iter()).collect();
        if let Some(t) = tmpl {
            // A primitive's own op replaces the template's of the same name and
            // role (Started and Unpromoted count as no role).
            let role_key = |o: &cs::Op| {
                let role = o.role.as_deref().unwrap_or("");
                let plain =
                    ["", "Started", "Unpromoted", "Slave"].iter().any(|r| r.eq_ignore_ascii_case(role));
                (o.name.clone(), if plain { String::new() } else { role.to_ascii_lowercase() })
            };
            for op in t.operations.iter().flat_map(|o| o.ops.iter()) {
                if !op_defs.iter().any(|o| role_key(o) == role_key(op)) {
                    op_defs.push(op);
                }
            }
        }
        for op in op_defs {
            let interval_ms = op.interval.as_deref().and_then(parse_interval_ms).unwrap_or(0);
            let op_ctx = RuleContext { op: Some((op.name.as_str(), interval_ms)), ..rsc_ctx };
            let op_meta_sets: Vec<&NvSet> = op.meta.iter().collect();
            let mut meta = unpack_nvsets(&op_meta_sets, &op_ctx, None, self.resolve);
            // Three values are read from it: plain defaults are looked up
            // rather than copied into every operation's map.
            let plain = self.defaults.op.plain.as_ref();
            if plain.is_none() {
                self.defaults.op.fill(&mut meta, &op_ctx, self.resolve);
            }
            let get = |k: &str| meta.get(k).or_else(|| plain.and_then(|d| d.get(k))).map(String::as_str);
            let op_inst: Vec<&NvSet> = op.instance.iter().collect();
            let params = unpack_nvsets(&op_inst, &op_ctx, None, self.resolve);
            let on_fail = op.on_fail.as_deref().or(get("on-fail")).and_then(OnFail::parse);
            let enabled = op.enabled.as_deref().or(get("enabled")).map(is_true).unwrap_or(true);
            let timeout_ms = op.timeout.as_deref().or(get("timeout")).and_then(parse_interval_ms);
            r.ops.push(OpDef {
                id: op.id.clone(),
                name: op.name.clone(),
                interval_ms,
                role: op.role.as_deref().and_then(Role::parse),
                enabled,
                on_fail,
                timeout_ms,
                params,
                digest: Default::default(),
            });
        }
        super::digest::compute_ahead(&r);
        self.push(r)
    }
}

/// Meta attributes every resource variant understands.
fn apply_common_meta(r: &mut Resource, options: &ClusterOptions) {
    let meta = &r.meta;
    let get = |k: &str| meta.get(k).map(String::as_str);
    let priority = get("priority").and_then(Score::parse).map(|s| s.0).unwrap_or(0);
    let stickiness = get("resource-stickiness")
        .or_else(|| get("stickiness"))
        .and_then(Score::parse)
        .unwrap_or(options.default_stickiness);
    let migration_threshold =
        get("migration-threshold").and_then(Score::parse).map(|s| s.0).unwrap_or(1_000_000);
    let failure_timeout_s =
        get("failure-timeout").and_then(parse_interval_ms).map(|ms| (ms / 1000) as i64).unwrap_or(0);
    let target_role = get("target-role").and_then(Role::parse);
    let managed = get("is-managed").map(is_true).unwrap_or(true)
        && !get("maintenance").map(is_true).unwrap_or(false)
        && !options.maintenance_mode;
    let critical = get("critical").map(is_true).unwrap_or(true);
    let device = r.is_stonith || r.class == "stonith";
    let requires = match get("requires") {
        // Fencing devices cannot require unfencing, nor can anything when
        // fencing is disabled.
        Some("unfencing") if device || !options.stonith_enabled => "quorum",
        Some(v @ ("nothing" | "quorum" | "fencing" | "unfencing")) => v,
        _ if device => "quorum",
        _ if options.unfencing_enabled => "unfencing",
        _ if options.stonith_enabled => "fencing",
        _ if options.no_quorum_policy == super::options::NoQuorumPolicy::Ignore => "nothing",
        _ => "quorum",
    };
    r.requires_fencing = matches!(requires, "fencing" | "unfencing");
    r.requires_nothing = requires == "nothing";
    r.requires_unfencing = requires == "unfencing";
    r.priority = priority;
    r.stickiness = stickiness;
    r.migration_threshold = migration_threshold;
    r.failure_timeout_s = failure_timeout_s;
    r.target_role = target_role;
    r.managed = managed;
    r.critical = critical;
}

/// Clone meta attributes: instance counts and behaviour flags.
fn apply_clone_meta(r: &mut Resource, nodes: usize) {
    let num = |k: &[&str], d: usize| -> usize {
        k.iter()
            .find_map(|k| r.meta.get(*k))
            .and_then(|v| v.trim().parse::<i64>().ok())
            .map(|v| v.max(0) as usize)
            .unwrap_or(d)
    };
    let flag = |k: &str| r.meta.get(k).is_some_and(|v| is_true(v));
    r.clone_max = num(&["clone-max"], nodes);
    r.clone_node_max = num(&["clone-node-max"], 1);
    r.promoted_max = num(&["promoted-max", "master-max"], 1);
    r.promoted_node_max = num(&["promoted-node-max", "master-node-max"], 1);
    r.unique = flag("globally-unique");
    r.promotable = flag("promotable");
    r.interleave = flag("interleave");
    r.ordered = flag("ordered");
    r.notify = flag("notify");
}

/// Whether any resource (or the resource defaults) provides or requires
/// unfencing, whatever rules the sets carry, as Pacemaker decides it.
fn unfencing_configured(cfg: &cs::Configuration) -> bool {
    fn says_unfencing(sets: &[NvSet]) -> bool {
        sets.iter().flat_map(|s| s.nvpairs.iter()).any(|p| {
            matches!(p.name.as_deref(), Some("provides" | "requires"))
                && p.value.as_deref() == Some("unfencing")
        })
    }
    fn in_resource(r: &cs::Resource) -> bool {
        says_unfencing(r.meta())
            || match r {
                cs::Resource::Group(g) => g.primitives.iter().any(|p| says_unfencing(&p.meta)),
                cs::Resource::Clone(c) => c.child.as_deref().is_some_and(in_resource),
                cs::Resource::Master(c) => c.child.as_deref().is_some_and(in_resource),
                cs::Resource::Bundle(b) => b.primitive.as_ref().is_some_and(|p| says_unfencing(&p.meta)),
                _ => false,
            }
    }
    cfg.resources.iter().flat_map(|r| r.items.iter()).any(in_resource)
        || cfg.rsc_defaults.iter().any(|d| says_unfencing(&d.sets))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A clone's and a group's instance attributes reach their members, under
    /// the members' own; the start digest then is the one Pacemaker recorded
    /// for this configuration (the scheduler suite's probe-2, `fs_www:0`).
    #[test]
    fn members_inherit_a_collectives_instance_attributes() {
        let cib = cib_schema::parse(
            r#"<cib><configuration><crm_config/><nodes/><resources>
              <clone id="c"><instance_attributes id="c-ia">
                  <nvpair id="c1" name="clone-max" value="2"/><nvpair id="c2" name="clone-node-max" value="1"/>
                  <nvpair id="c3" name="target-role" value="Started"/></instance_attributes>
                <group id="g"><instance_attributes id="g-ia"><nvpair id="g1" name="fstype" value="ext4"/></instance_attributes>
                  <primitive class="ocf" id="fs" provider="heartbeat" type="Filesystem">
                    <instance_attributes id="fs-ia"><nvpair id="f1" name="device" value="wcnfs:/share/drbd_www/data/"/>
                      <nvpair id="f2" name="directory" value="/data/www"/><nvpair id="f3" name="fstype" value="nfs"/>
                    </instance_attributes></primitive></group></clone>
              <primitive class="ocf" id="alone" provider="heartbeat" type="Dummy"/>
            </resources><constraints/></configuration></cib>"#,
        )
        .unwrap();
        let cluster = configure(cib.configuration.as_ref().unwrap(), 0).cluster;
        let fs = cluster.rsc(cluster.rsc_by_id("fs:0").expect("an instance"));
        let param = |k: &str| fs.params.get(k).map(String::as_str);
        assert_eq!(param("fstype"), Some("nfs"), "the member's own value wins");
        assert_eq!((param("clone-max"), param("target-role")), (Some("2"), Some("Started")));
        assert_eq!(super::super::digest::start_digest(fs), "0257f9c18aebf3a4f5c134893f38b146");
        let group = cluster.rsc(fs.parent.unwrap());
        assert_eq!(group.params.get("fstype").map(String::as_str), Some("ext4"));
        assert!(cluster.rsc(cluster.rsc_by_id("alone").unwrap()).params.is_empty());
    }
}
