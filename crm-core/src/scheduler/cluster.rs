//! The scheduler's working set: nodes and resources unpacked from the CIB into
//! arenas indexed by [`NodeId`] and [`RscId`], plus what each stage adds
//! (scores, assignments, actions). Indices follow document order, so iterating
//! them is deterministic.

use std::collections::BTreeMap;

use super::options::ClusterOptions;
use super::score::Score;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub usize);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RscId(pub usize);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Unknown,
    Stopped,
    Started,
    Unpromoted,
    Promoted,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        Some(match s.to_ascii_lowercase().as_str() {
            "stopped" => Role::Stopped,
            "started" => Role::Started,
            "slave" | "unpromoted" => Role::Unpromoted,
            "master" | "promoted" => Role::Promoted,
            "unknown" => Role::Unknown,
            _ => return None,
        })
    }

    /// The name crm_simulate prints (Pacemaker 2.1 names).
    pub fn name(self) -> &'static str {
        match self {
            Role::Unknown => "Unknown",
            Role::Stopped => "Stopped",
            Role::Started => "Started",
            Role::Unpromoted => "Unpromoted",
            Role::Promoted => "Promoted",
        }
    }

    pub fn is_active(self) -> bool {
        !matches!(self, Role::Stopped | Role::Unknown)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Member,
    Remote,
    Ping,
}

#[derive(Debug, Clone)]
pub struct Node {
    pub id: String,
    pub name: String,
    pub kind: NodeKind,
    pub online: bool,
    pub standby: bool,
    /// Standby because a resource failed with `on-fail=standby`.
    pub standby_onfail: bool,
    pub maintenance: bool,
    pub unclean: bool,
    pub shutdown: bool,
    pub pending: bool,
    pub expected_up: bool,
    /// Never seen in the status section.
    pub unseen: bool,
    /// Node attributes: `<node>` instance attributes, then transient attributes.
    pub attrs: BTreeMap<String, String>,
    pub utilization: BTreeMap<String, String>,
    /// Capacity not yet taken by the resources assigned here this run
    /// (starts as `utilization`, read as numbers).
    pub remaining: BTreeMap<String, i64>,
    /// Resources assigned here during this run (balances equal scores).
    pub assigned_count: usize,
    /// Why the node must be fenced, if it must.
    pub fence_reason: Option<String>,
    /// When it was found to need fencing, relative to other nodes (Pacemaker
    /// lists and schedules fencing in that order).
    pub fence_order: usize,
    /// For Pacemaker Remote nodes: the connection resource that creates them.
    pub remote_rsc: Option<String>,
    /// For guest nodes: the resource the node runs in (its container).
    pub container: Option<String>,
    /// A bundle replica's guest node: only that bundle's resources run there.
    pub bundle_guest: bool,
    /// For bundle guest nodes: which bundle (in configuration order) made
    /// the node. Resources configured before it never learn of the node.
    pub bundle_order: usize,
    /// The remote or guest node must be reset (fenced, or its container
    /// recovered) before it can run resources again.
    pub remote_requires_reset: bool,
    /// Where the node's `node_state` is in the status section (Pacemaker
    /// reads the history, and creates what it implies, in that order).
    pub status_order: usize,
    /// Where the node is in the configuration's `nodes` section (`usize::MAX`
    /// for Pacemaker Remote and guest nodes known only from resources).
    pub config_order: usize,
}

impl Node {
    /// Whether resources may be placed here now.
    /// Whether a resource configured after `bundles_before` bundles knows of
    /// this node (Pacemaker creates a bundle's guest nodes as it reads it).
    pub fn known_after(&self, bundles_before: usize) -> bool {
        !self.bundle_guest || self.bundle_order < bundles_before
    }

    pub fn is_guest(&self) -> bool {
        self.container.is_some()
    }

    pub fn can_run_resources(&self) -> bool {
        self.online && !self.standby && !self.unclean && !self.shutdown && !self.pending && !self.maintenance
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Primitive,
    Group,
    Clone,
    Bundle,
}

/// What to do when an operation fails (`on-fail`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum OnFail {
    Ignore,
    Demote,
    Restart,
    Block,
    Stop,
    Standby,
    Fence,
    RestartContainer,
}

impl OnFail {
    pub fn parse(s: &str) -> Option<OnFail> {
        Some(match s {
            "ignore" => OnFail::Ignore,
            "demote" => OnFail::Demote,
            "restart" => OnFail::Restart,
            "stop" => OnFail::Stop,
            "block" => OnFail::Block,
            "standby" => OnFail::Standby,
            "fence" => OnFail::Fence,
            "restart-container" => OnFail::RestartContainer,
            _ => return None,
        })
    }
}

/// An operation defined for a resource (`<op>` merged with op defaults).
#[derive(Debug, Clone)]
pub struct OpDef {
    pub id: String,
    pub name: String,
    pub interval_ms: u64,
    pub role: Option<Role>,
    pub enabled: bool,
    pub on_fail: Option<OnFail>,
    pub timeout_ms: Option<u64>,
    /// The operation's own instance attributes (they count for its digest).
    pub params: BTreeMap<String, String>,
    /// A recurring operation's parameter digest with its resource's
    /// parameters, once computed (`digest::recurring_digest`).
    pub digest: std::cell::OnceCell<String>,
}

/// A location constraint as it applies to one resource.
#[derive(Debug, Clone)]
pub struct RscLocation {
    pub id: String,
    pub role: Option<Role>,
    pub scores: Vec<(NodeId, Score)>,
    pub discovery: Discovery,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discovery {
    Always,
    Never,
    Exclusive,
}

#[derive(Debug, Clone)]
pub struct Resource {
    pub id: String,
    pub variant: Variant,
    pub parent: Option<RscId>,
    pub children: Vec<RscId>,
    pub class: String,
    pub provider: Option<String>,
    pub agent: String,
    pub meta: BTreeMap<String, String>,
    pub params: BTreeMap<String, String>,
    /// The parameter digest a start (or probe, or promote) records, once
    /// computed (`digest::start_digest`).
    pub start_digest: std::cell::OnceCell<String>,
    pub ops: Vec<OpDef>,
    pub priority: i64,
    pub stickiness: Score,
    pub migration_threshold: i64,
    pub failure_timeout_s: i64,
    pub target_role: Option<Role>,
    pub managed: bool,
    /// `requires`: quorum, fencing, unfencing or nothing.
    pub requires_fencing: bool,
    /// `requires=nothing`: may start without quorum.
    pub requires_nothing: bool,
    /// `requires=unfencing` (the default when unfencing is in use): the node
    /// is unfenced before the resource probes or starts there.
    pub requires_unfencing: bool,
    /// Nodes whose history was left by another agent (class, provider or
    /// type) while the resource ran there: restarted, and for fencing devices
    /// the node is unfenced again.
    pub agent_changed_on: Vec<NodeId>,
    pub is_stonith: bool,
    pub orphan: bool,
    pub critical: bool,
    // --- from the status section
    /// Nodes where the resource is active, in the order they were found.
    pub running_on: Vec<NodeId>,
    pub role: Role,
    pub failed: bool,
    /// Failed only in ways (`on-fail=demote`) that a demotion recovers: no
    /// stop is needed, and a promoted instance is promoted again.
    pub recover_by_demoting: bool,
    /// Kept from the node it was placed on by an interleaved ordering with
    /// no instance to pair with there: its start there stays, unrunnable.
    pub inhibited_on: Option<NodeId>,
    /// An operation failed with `on-fail=ignore`.
    pub failure_ignored: bool,
    /// Failed in a way that needs a node fenced or blocks recovery.
    pub blocked: bool,
    /// Pending operation seen in history, e.g. "Starting".
    pub pending_task: Option<String>,
    /// Probes that found the resource unable to run on a node (not installed,
    /// invalid parameters): the node and the probe's exit code.
    pub failed_probes: Vec<(NodeId, i32)>,
    /// Nodes whose recorded last failure ran with parameters since changed
    /// (its fail count is cleared), in status-section order.
    pub clear_for_params_on: Vec<NodeId>,
    /// Nodes whose history holds a failure of an operation configured with
    /// `on-fail=block`: there the failure timeout does not apply.
    pub block_failure_on: Vec<NodeId>,
    /// The node a shutdown lock (recorded in the history) holds it to.
    pub lock_node: Option<NodeId>,
    /// Nodes whose history of it is erased (`lrm_delete`): an expired lock.
    pub history_delete_on: Vec<NodeId>,
    /// Nodes where the resource's state is known (has history).
    pub known_on: Vec<NodeId>,
    /// Active recurring monitors found in the history: (node, op key).
    pub active_recurring: Vec<(NodeId, String, u64)>,
    pub fail_counts: BTreeMap<NodeId, i64>,
    /// Nodes whose fail count for this resource is to be cleared: it expired
    /// (`failure-timeout`), or the resource is orphaned.
    pub clear_failcount_on: Vec<NodeId>,
    /// Nodes where an operation's definition changed since it ran (a fail
    /// count there is cleared along with the change).
    pub config_changed_on: Vec<NodeId>,
    /// Nodes where the definition changed since the last start (needs restart).
    pub digest_changed_on: Vec<NodeId>,
    /// Nodes where only reloadable parameters changed (reload instead of restart).
    pub reload_on: Vec<NodeId>,
    /// Recurring operations whose definition changed: (node, interval) to reschedule.
    pub reschedule: Vec<(NodeId, u64)>,
    /// Recurring operations no longer configured: (node, task, interval) to cancel.
    pub cancel: Vec<(NodeId, String, u64)>,
    /// Orphaned history to clean up after stopping: nodes.
    pub cleanup_on: Vec<NodeId>,
    // --- placement
    /// Allowed nodes and their scores; `None`: not allowed at all.
    pub allowed: Vec<Option<Score>>,
    /// Colocations where this resource is the dependent ("this with"), sorted
    /// as Pacemaker sorts them (primary priority, variant, id).
    pub this_with: Vec<usize>,
    /// Colocations where this resource is the primary ("with this").
    pub with_this: Vec<usize>,
    /// Instance attribute sets whose rules may depend on the node (kept only
    /// when some set has a rule): parameters evaluated per node, as location
    /// rules with `value-source="param"` see them.
    pub node_param_sets: Option<Vec<cib_schema::NvSet>>,
    /// What the resource uses of a node's capacity (its `utilization`).
    pub utilization: BTreeMap<String, i64>,
    // --- clones
    pub unique: bool,
    pub promotable: bool,
    pub clone_max: usize,
    pub clone_node_max: usize,
    pub promoted_max: usize,
    pub promoted_node_max: usize,
    pub interleave: bool,
    pub ordered: bool,
    pub notify: bool,
    /// For clone instances: the configured id without the `:N` suffix.
    pub base_id: Option<String>,
    /// The names the history records this instance under, per node, where
    /// they differ from its id (anonymous clones record the configured name).
    pub history_names: Vec<(NodeId, String)>,
    /// Instances assigned per node (clone-node-max bookkeeping).
    pub instance_count: Vec<usize>,
    pub locations: Vec<RscLocation>,
    pub assigned: Option<NodeId>,
    pub next_role: Role,
    pub provisional: bool,
    pub allocating: bool,
    pub discovery_never: Vec<NodeId>,
    pub discovery_exclusive: bool,
    /// For bundles: the image and each replica's resources.
    pub bundle: Option<super::bundle::BundleInfo>,
    /// How many bundles precede this resource in the configuration (the
    /// guest nodes it knows of).
    pub bundles_before: usize,
}

impl Resource {
    /// Whether a changed definition (parameters or agent) forces a restart
    /// on `node`.
    pub fn restarts_on(&self, node: NodeId) -> bool {
        self.digest_changed_on.contains(&node)
            || self.agent_changed_on.contains(&node)
            || self.reload_becomes_restart(node)
    }

    /// A reload is not attempted while the start is still pending: the
    /// resource restarts instead.
    pub fn reload_becomes_restart(&self, node: NodeId) -> bool {
        self.pending_task.as_deref() == Some("start")
            && self.reload_on.contains(&node)
            && self.managed
            && !self.failed
    }

    pub fn new(id: &str, variant: Variant, nodes: usize) -> Self {
        Resource {
            id: id.to_string(),
            variant,
            parent: None,
            children: Vec::new(),
            class: String::new(),
            provider: None,
            agent: String::new(),
            meta: BTreeMap::new(),
            params: BTreeMap::new(),
            start_digest: std::cell::OnceCell::new(),
            utilization: BTreeMap::new(),
            node_param_sets: None,
            ops: Vec::new(),
            priority: 0,
            stickiness: Score::ZERO,
            migration_threshold: 1_000_000,
            failure_timeout_s: 0,
            target_role: None,
            managed: true,
            requires_fencing: true,
            requires_nothing: false,
            requires_unfencing: false,
            agent_changed_on: Vec::new(),
            is_stonith: false,
            orphan: false,
            critical: true,
            running_on: Vec::new(),
            role: Role::Stopped,
            failed: false,
            recover_by_demoting: false,
            inhibited_on: None,
            failure_ignored: false,
            blocked: false,
            pending_task: None,
            failed_probes: Vec::new(),
            clear_for_params_on: Vec::new(),
            block_failure_on: Vec::new(),
            lock_node: None,
            history_delete_on: Vec::new(),
            known_on: Vec::new(),
            active_recurring: Vec::new(),
            fail_counts: BTreeMap::new(),
            clear_failcount_on: Vec::new(),
            config_changed_on: Vec::new(),
            digest_changed_on: Vec::new(),
            reload_on: Vec::new(),
            reschedule: Vec::new(),
            cancel: Vec::new(),
            cleanup_on: Vec::new(),
            allowed: vec![Some(Score::ZERO); nodes],
            this_with: Vec::new(),
            with_this: Vec::new(),
            unique: false,
            promotable: false,
            clone_max: 0,
            clone_node_max: 1,
            promoted_max: 1,
            promoted_node_max: 1,
            interleave: false,
            ordered: false,
            notify: false,
            base_id: None,
            history_names: Vec::new(),
            instance_count: vec![0; nodes],
            locations: Vec::new(),
            assigned: None,
            next_role: Role::Stopped,
            provisional: true,
            allocating: false,
            discovery_never: Vec::new(),
            discovery_exclusive: false,
            bundle: None,
            bundles_before: 0,
        }
    }

    /// `class:provider:type` as crm_mon prints it.
    pub fn agent_spec(&self) -> String {
        match &self.provider {
            Some(p) => format!("{}:{}:{}", self.class, p, self.agent),
            None => format!("{}:{}", self.class, self.agent),
        }
    }

    /// The name this resource's actions use: the name the history last
    /// knew it by (on any node, as Pacemaker keeps one such name), else its id.
    pub fn name_on(&self, _node: Option<NodeId>) -> &str {
        self.history_names.last().map(|(_, h)| h.as_str()).unwrap_or(&self.id)
    }

    /// Whether another operation has the same name and interval: Pacemaker
    /// schedules neither of such a pair.
    pub fn is_duplicate_op(&self, op: &OpDef) -> bool {
        self.ops.iter().filter(|o| o.name == op.name && o.interval_ms == op.interval_ms).count() > 1
    }

    pub fn current_node(&self) -> Option<NodeId> {
        self.running_on.first().copied()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColocationKind {
    Mandatory,
    Optional,
}

/// `dependent` is placed relative to `primary` (crm: `colocation c score: dependent primary`).
#[derive(Debug, Clone)]
pub struct Colocation {
    pub id: String,
    pub dependent: RscId,
    pub primary: RscId,
    pub score: Score,
    pub dependent_role: Option<Role>,
    pub primary_role: Option<Role>,
    pub node_attribute: String,
    pub influence: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderKind {
    Mandatory,
    Optional,
    Serialize,
}

#[derive(Debug, Clone)]
pub struct Ordering {
    pub id: String,
    pub first: RscId,
    pub first_action: String,
    pub then: RscId,
    pub then_action: String,
    pub kind: OrderKind,
    pub symmetrical: bool,
    /// With a clone first (`clone-min`, or `require-all=false`): how many of
    /// its instances must be able to do the first action (0: all of it).
    pub min_first_instances: usize,
    /// From a resource set with `require-all=false`: the then side waits for
    /// any one of the set's members, through the pseudo-action of this name
    /// (`one-or-more:<set id>`), shared by the set's orderings.
    pub gate: Option<String>,
}

/// The whole working set handed from stage to stage.
#[derive(Debug, Clone)]
pub struct Cluster {
    pub options: ClusterOptions,
    pub nodes: Vec<Node>,
    pub resources: Vec<Resource>,
    /// Top-level resources in document order.
    pub top: Vec<RscId>,
    pub colocations: Vec<Colocation>,
    pub orderings: Vec<Ordering>,
    pub now: i64,
    pub have_quorum: bool,
    pub dc_uuid: Option<String>,
    /// Location constraints in configuration order: (resource, index into its `locations`).
    pub location_order: Vec<(RscId, usize)>,
    /// Whether any fencing device is configured (without one, with
    /// stonith-enabled, nothing is managed).
    pub has_stonith_resource: bool,
    /// Resource id -> arena index; only looked up, never iterated.
    pub rsc_index: rustc_hash::FxHashMap<String, RscId>,
    /// Warnings and configuration errors found while unpacking.
    pub warnings: Vec<String>,
    /// Recurring operations the history shows as running since the last
    /// start (or stop), in the order the history was read: (resource, node,
    /// task, interval). Pacemaker creates these as optional actions before
    /// any other, which fixes their place in the graph.
    pub history_recurring: Vec<(RscId, NodeId, String, u64)>,
    /// The same entries, to look them up.
    pub history_recurring_seen: rustc_hash::FxHashSet<(RscId, NodeId, String, u64)>,
    /// When asked for (`crm_simulate -s`): the node scores each primitive
    /// was placed with, as Pacemaker prints them.
    pub score_log: Option<Vec<String>>,
    /// Tickets as the status section records them.
    pub ticket_states: Vec<super::tickets::TicketState>,
    /// Resources' dependencies on tickets, in configuration order.
    pub rsc_tickets: Vec<super::tickets::RscTicket>,
}

impl Cluster {
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.0]
    }
    pub fn rsc(&self, id: RscId) -> &Resource {
        &self.resources[id.0]
    }
    pub fn rsc_mut(&mut self, id: RscId) -> &mut Resource {
        &mut self.resources[id.0]
    }
    pub fn node_by_name(&self, name: &str) -> Option<NodeId> {
        self.nodes.iter().position(|n| n.name == name).map(NodeId)
    }
    pub fn node_by_id(&self, id: &str) -> Option<NodeId> {
        self.nodes.iter().position(|n| n.id == id).map(NodeId)
    }
    /// The remote or guest node that resource `r` is the connection of.
    pub fn remote_node_of(&self, r: RscId) -> Option<NodeId> {
        let id = self.rsc(r).id.as_str();
        self.node_ids().find(|&n| self.node(n).remote_rsc.as_deref() == Some(id))
    }

    pub fn rsc_by_id(&self, id: &str) -> Option<RscId> {
        self.rsc_index.get(id).copied()
    }

    /// Adds a resource to the arena (and the id index).
    pub fn add_resource(&mut self, r: Resource) -> RscId {
        let id = RscId(self.resources.len());
        self.rsc_index.entry(r.id.clone()).or_insert(id);
        self.resources.push(r);
        id
    }
    pub fn node_ids(&self) -> impl Iterator<Item = NodeId> {
        (0..self.nodes.len()).map(NodeId)
    }
    /// All primitives, parents before children, in document order.
    pub fn primitives(&self) -> Vec<RscId> {
        (0..self.resources.len())
            .map(RscId)
            .filter(|r| self.resources[r.0].variant == Variant::Primitive)
            .collect()
    }
    /// The name an action of `rsc` on `node` goes by in the simulated
    /// execution. Pacemaker's graph names an anonymous clone instance by its
    /// configured id, and the simulator keeps that name whenever some instance
    /// is known under it (any node's history records the suffix-free name);
    /// otherwise it falls back to the instance id.
    pub fn action_name(&self, rsc: RscId, node: Option<NodeId>) -> &str {
        let r = self.rsc(rsc);
        let own = r.name_on(node);
        let Some(base) = r.base_id.as_deref() else { return own };
        if r.orphan || own == base {
            return own;
        }
        let top = self.top_of(rsc);
        if self.rsc(top).unique {
            return own;
        }
        let known = self
            .resources
            .iter()
            .any(|o| o.base_id.as_deref() == Some(base) && o.history_names.iter().any(|(_, h)| h == base));
        if known {
            base
        } else {
            own
        }
    }

    /// The top-level resource that contains `rsc`.
    /// Whether `rsc` is (inside) an instance of an anonymous clone, whose
    /// instances share one name in the history.
    pub fn in_anonymous_clone(&self, rsc: RscId) -> bool {
        let mut p = self.resources[rsc.0].parent;
        while let Some(x) = p {
            let r = &self.resources[x.0];
            if r.variant == Variant::Clone && !r.unique {
                return true;
            }
            p = r.parent;
        }
        false
    }

    /// `rsc`'s id without its instance number when it is an anonymous clone
    /// instance (`pingd:1` is `pingd`).
    pub fn anonymous_base_id(&self, rsc: RscId) -> &str {
        let id = self.resources[rsc.0].id.as_str();
        if self.in_anonymous_clone(rsc) {
            id.rsplit_once(':').map_or(id, |(b, _)| b)
        } else {
            id
        }
    }

    pub fn top_of(&self, mut rsc: RscId) -> RscId {
        while let Some(p) = self.resources[rsc.0].parent {
            rsc = p;
        }
        rsc
    }

    /// The primitives in `r`'s subtree (`r` itself if it is one), in order.
    pub fn leaves(&self, r: RscId) -> Vec<RscId> {
        fn collect(cluster: &Cluster, r: RscId, out: &mut Vec<RscId>) {
            let rsc = cluster.rsc(r);
            if rsc.variant == Variant::Primitive {
                out.push(r);
            } else {
                rsc.children.iter().for_each(|&c| collect(cluster, c, out));
            }
        }
        let mut out = Vec::new();
        collect(self, r, &mut out);
        out
    }
}
