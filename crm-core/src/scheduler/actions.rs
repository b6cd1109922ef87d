//! Stage 4, actions: the transition's actions (start, stop, promote, demote,
//! monitor, probe, fence, shutdown, and the pseudo-actions of collections) and the
//! edges between them. An action starts optional when it only might be needed;
//! ordering propagation (`ordering.rs`) decides which become required.

use super::cluster::{Cluster, NodeId, RscId, Variant};

#[derive(Debug, Clone)]
pub struct Action {
    /// Creation sequence number; Pacemaker's graph order derives from it.
    pub id: usize,
    pub rsc: Option<RscId>,
    pub task: String,
    pub interval_ms: u64,
    pub node: Option<NodeId>,
    pub pseudo: bool,
    pub optional: bool,
    pub runnable: bool,
    /// Why the action became required or unrunnable ("node availability", ...).
    pub reason: Option<String>,
    /// For fencing: reboot, off or on.
    pub fence_type: Option<String>,
    /// For probes: the expected "not running" result.
    pub is_probe: bool,
    /// A recurring monitor for the Stopped role: it too expects "not running".
    pub stopped_role: bool,
    /// In the graph even while optional (a start already pending is shown
    /// and waited for, without requiring anything else).
    pub print_always: bool,
    /// Runnable only while at least this many of the actions ordered before
    /// it through `one_or_more` edges are (0: not such an action).
    pub required_runnable_before: usize,
}

impl Action {
    /// Pacemaker's operation key, `rsc_task_interval`.
    pub fn key(&self, rsc_id: &str) -> String {
        format!("{}_{}_{}", rsc_id, self.task, self.interval_ms)
    }
}

/// How one action constrains another.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EdgeFlags {
    /// Part of the graph: `then` waits for `first`.
    pub ordered: bool,
    /// `first` required => `then` required.
    pub implies_then: bool,
    /// `then` required => `first` required.
    pub implies_first: bool,
    /// `first` unrunnable => `then` unrunnable.
    pub runnable_left: bool,
    /// Only from an anti-colocation: the wait matters only when both actions
    /// are on the same node (or either is on none).
    pub same_node_only: bool,
    /// `first` counts toward `then`'s `required_runnable_before`.
    pub one_or_more: bool,
    /// `first` required => `then` in the graph (without being required).
    pub implies_then_printed: bool,
    /// A mandatory ordering that is not symmetrical: `first` unrunnable =>
    /// `then` required and unrunnable, unless `then` would change nothing.
    pub asymmetrical: bool,
    /// A resource's own stop before its start: a stop that is required but
    /// cannot run keeps the start from running.
    pub restart: bool,
    /// `first` (a clone's pseudo-action) counts as required when any of
    /// its instances' actions is, wherever `then` runs: the ordering was
    /// between two collections, not with a resource on one node.
    pub any_node: bool,
}

impl EdgeFlags {
    pub const ORDER: EdgeFlags = EdgeFlags {
        ordered: true,
        implies_then: false,
        implies_first: false,
        runnable_left: false,
        same_node_only: false,
        one_or_more: false,
        implies_then_printed: false,
        asymmetrical: false,
        restart: false,
        any_node: false,
    };
}

#[derive(Debug, Clone)]
pub struct Edge {
    pub first: usize,
    pub then: usize,
    pub flags: EdgeFlags,
}

/// The actions of one transition and the edges between them.
#[derive(Debug, Clone, Default)]
pub struct ActionSet {
    pub actions: Vec<Action>,
    pub edges: Vec<Edge>,
    /// Lookup indexes (never iterated for output): actions per resource in
    /// creation order, and edge position per (first, then).
    by_rsc: Vec<Vec<usize>>,
    edge_index: rustc_hash::FxHashMap<(usize, usize), usize>,
}

impl ActionSet {
    pub fn add(&mut self, mut a: Action) -> usize {
        a.id = self.actions.len();
        if let Some(r) = a.rsc {
            if self.by_rsc.len() <= r.0 {
                self.by_rsc.resize_with(r.0 + 1, Vec::new);
            }
            self.by_rsc[r.0].push(a.id);
        }
        self.actions.push(a);
        self.actions.len() - 1
    }

    /// The actions of `rsc`, oldest first.
    pub fn of_rsc(&self, rsc: RscId) -> &[usize] {
        self.by_rsc.get(rsc.0).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn new_action(rsc: Option<RscId>, task: &str, interval_ms: u64, node: Option<NodeId>) -> Action {
        Action {
            id: 0,
            rsc,
            task: task.to_string(),
            interval_ms,
            node,
            pseudo: false,
            optional: true,
            runnable: true,
            reason: None,
            fence_type: None,
            is_probe: false,
            stopped_role: false,
            print_always: false,
            required_runnable_before: 0,
        }
    }

    pub fn edge(&mut self, first: usize, then: usize, flags: EdgeFlags) {
        if first == then {
            return;
        }
        if let Some(&i) = self.edge_index.get(&(first, then)) {
            let e = &mut self.edges[i];
            // Any other reason to wait makes the wait unconditional.
            if flags.ordered {
                e.flags.same_node_only = (e.flags.same_node_only || !e.flags.ordered) && flags.same_node_only;
            }
            e.flags.ordered |= flags.ordered;
            e.flags.implies_then |= flags.implies_then;
            e.flags.implies_first |= flags.implies_first;
            e.flags.runnable_left |= flags.runnable_left;
            e.flags.one_or_more |= flags.one_or_more;
            e.flags.implies_then_printed |= flags.implies_then_printed;
            e.flags.asymmetrical |= flags.asymmetrical;
            e.flags.restart |= flags.restart;
            e.flags.any_node |= flags.any_node;
            return;
        }
        self.edge_index.insert((first, then), self.edges.len());
        self.edges.push(Edge { first, then, flags });
    }

    /// Actions of `rsc` with `task` (any interval 0), optionally on `node`.
    pub fn find(&self, rsc: RscId, task: &str, node: Option<NodeId>) -> Vec<usize> {
        self.matching(rsc, task, node).collect()
    }

    /// The first of [`ActionSet::find`]'s answers.
    pub fn find_first(&self, rsc: RscId, task: &str, node: Option<NodeId>) -> Option<usize> {
        self.matching(rsc, task, node).next()
    }

    /// [`ActionSet::find`]'s answers, without collecting them.
    pub fn matching<'s>(
        &'s self,
        rsc: RscId,
        task: &'s str,
        node: Option<NodeId>,
    ) -> impl Iterator<Item = usize> + 's {
        self.of_rsc(rsc)
            .iter()
            .map(|&i| &self.actions[i])
            .filter(move |a| {
                a.rsc == Some(rsc)
                    && a.task == task
                    && a.interval_ms == 0
                    && !a.is_probe
                    && node.is_none_or(|n| a.node == Some(n))
            })
            .map(|a| a.id)
    }

    /// Adds `a`, or, when an earlier stage already created the same operation
    /// (resource, task, node), replaces that one in place: Pacemaker keys
    /// actions by operation, and the first creation fixes the graph position.
    pub fn put(&mut self, a: Action) -> usize {
        let existing = a.rsc.and_then(|r| {
            self.of_rsc(r).iter().copied().find(|&i| {
                let b = &self.actions[i];
                b.task == a.task && b.interval_ms == a.interval_ms && b.node == a.node && !b.is_probe
            })
        });
        match existing {
            Some(i) => {
                self.actions[i] = Action { id: i, ..a };
                i
            }
            None => self.add(a),
        }
    }

    /// The recurring `task` of `rsc` with `interval_ms` on `node`: Pacemaker
    /// keys actions by operation and node, so there is at most one.
    pub fn find_recurring(&self, rsc: RscId, task: &str, interval_ms: u64, node: NodeId) -> Option<usize> {
        self.of_rsc(rsc).iter().copied().find(|&i| {
            let a = &self.actions[i];
            a.interval_ms == interval_ms && a.node == Some(node) && (a.task == task || a.task == "cancel")
        })
    }

    /// Turns the recurring action `i` (one running per the history) into its
    /// cancellation, as Pacemaker reuses the action with the same key.
    pub fn make_cancel(&mut self, i: usize) {
        let a = &mut self.actions[i];
        a.task = "cancel".into();
        a.optional = false;
        a.runnable = true;
    }

    /// Whether the action goes into the transition graph.
    pub fn in_graph(&self, i: usize) -> bool {
        let a = &self.actions[i];
        (!a.optional || a.print_always) && a.runnable
    }
}

/// Actions that follow from history against configuration, created before
/// everything else (as Pacemaker does): cancelling recurring operations that
/// are no longer configured, cleaning up orphans' history, reloading agents.
pub fn create_config_change_actions(cluster: &Cluster, set: &mut ActionSet) -> Vec<usize> {
    let mut out = Vec::new();
    for (i, r) in cluster.resources.iter().enumerate() {
        if r.variant != Variant::Primitive {
            continue;
        }
        let rid = RscId(i);
        for (node, task, interval) in &r.cancel {
            match set.find_recurring(rid, task, *interval, *node) {
                Some(i) => {
                    set.make_cancel(i);
                    out.push(i);
                }
                None => {
                    let mut a = ActionSet::new_action(Some(rid), "cancel", *interval, Some(*node));
                    a.optional = false;
                    out.push(set.add(a));
                }
            }
        }
        // A changed definition forces a restart; the start is created now
        // (without a node), as Pacemaker does, and placed later.
        if !r.digest_changed_on.is_empty() && !r.failed {
            let mut a = ActionSet::new_action(Some(rid), "start", 0, None);
            a.optional = false;
            a.reason = Some("resource definition change".into());
            out.push(set.add(a));
        }
        // Another agent's history where the resource runs: stop it there now
        // and start it again (Pacemaker gives no reason for this restart).
        let agent_restart: Vec<NodeId> =
            r.agent_changed_on.iter().copied().filter(|n| r.running_on.contains(n)).collect();
        if !agent_restart.is_empty() && r.digest_changed_on.is_empty() && !r.failed && r.managed {
            for &n in &agent_restart {
                let mut stop = ActionSet::new_action(Some(rid), "stop", 0, Some(n));
                stop.optional = false;
                set.add(stop);
            }
            let mut a = ActionSet::new_action(Some(rid), "start", 0, None);
            a.optional = false;
            out.push(set.add(a));
        }
        for &(node, interval) in &r.reschedule {
            let i = match set.find_recurring(rid, "monitor", interval, node) {
                Some(i) => i,
                None => set.add(ActionSet::new_action(Some(rid), "monitor", interval, Some(node))),
            };
            set.actions[i].optional = false;
            out.push(i);
        }
        // Pacemaker cleans up only on nodes that can run actions, and never a
        // failed or unmanaged resource's history.
        let available = |n: NodeId| {
            let node = cluster.node(n);
            node.maintenance
                || (node.online && !node.shutdown && !node.unclean && !node.standby && !node.pending)
        };
        // Pacemaker cleans up node by node, in its node list's order, which
        // node ids follow.
        let mut cleanup: Vec<NodeId> =
            r.cleanup_on.iter().copied().filter(|&n| r.managed && !r.failed && available(n)).collect();
        cleanup.sort_unstable();
        for node in &cleanup {
            let mut a = ActionSet::new_action(Some(rid), "delete", 0, Some(*node));
            a.optional = false;
            out.push(set.add(a));
        }
        for node in &r.reload_on {
            if !r.managed || r.failed {
                continue;
            }
            if r.reload_becomes_restart(*node) {
                // The restart's stop is created now, as Pacemaker does (the
                // resource's own actions take it over later).
                let mut stop = ActionSet::new_action(Some(rid), "stop", 0, Some(*node));
                stop.optional = false;
                set.add(stop);
                continue;
            }
            if r.running_on.contains(node) {
                let mut a = ActionSet::new_action(Some(rid), "reload-agent", 0, Some(*node));
                a.optional = false;
                a.reason = Some("resource definition change".into());
                out.push(set.add(a));
            }
        }
    }
    out
}

/// Clears fail counts that expired or belong to orphans; Pacemaker creates
/// these while reading the history, so before any other action.
pub fn create_failcount_clears(cluster: &Cluster, set: &mut ActionSet) -> Vec<usize> {
    create_clears(cluster, set, false)
}

/// The fail count clears for changed definitions: Pacemaker makes them after
/// the restarts and reloads those changes call for.
pub fn create_config_change_clears(cluster: &Cluster, set: &mut ActionSet) -> Vec<usize> {
    create_clears(cluster, set, true)
}

/// Whether `r`'s fail count clear on `n` is for a definition change that a
/// reload handles, or one that cancels an operation no longer configured: it
/// comes after the reload or the cancel (a restart's clear does not wait).
fn clear_waits_for_reload(r: &super::cluster::Resource, n: NodeId) -> bool {
    r.config_changed_on.contains(&n)
        && (r.reload_on.contains(&n) || r.cancel.iter().any(|c| c.0 == n))
        && !r.orphan
}

fn create_clears(cluster: &Cluster, set: &mut ActionSet, config_changes: bool) -> Vec<usize> {
    let mut out = Vec::new();
    // Anonymous clone instances share their fail count: one clear per node.
    let mut seen: std::collections::BTreeSet<(String, NodeId)> = std::collections::BTreeSet::new();
    for (i, r) in cluster.resources.iter().enumerate() {
        let for_config = |n: &NodeId| clear_waits_for_reload(r, *n);
        if config_changes {
            let mut nodes: Vec<NodeId> = r.clear_failcount_on.iter().copied().filter(for_config).collect();
            nodes.sort_by_key(|&n| std::cmp::Reverse(cluster.node(n).status_order));
            let base = cluster.anonymous_base_id(RscId(i)).to_string();
            // Not again where the first pass (for any instance) cleared it.
            let cleared_before = |n: NodeId| {
                cluster.resources.iter().enumerate().any(|(j, o)| {
                    cluster.anonymous_base_id(RscId(j)) == base
                        && (o.clear_for_params_on.contains(&n)
                            || (o.clear_failcount_on.contains(&n) && !clear_waits_for_reload(o, n)))
                })
            };
            for n in nodes {
                if cleared_before(n) || !seen.insert((base.clone(), n)) {
                    continue;
                }
                let mut a = ActionSet::new_action(Some(RscId(i)), "clear_failcount", 0, Some(n));
                a.optional = false;
                out.push(set.add(a));
            }
            continue;
        }
        // An expired shutdown lock's history is erased.
        for &n in &r.history_delete_on {
            let mut a = ActionSet::new_action(Some(RscId(i)), "lrm_delete", 0, Some(n));
            a.optional = false;
            out.push(set.add(a));
        }
        let mut nodes: Vec<NodeId> =
            r.clear_failcount_on.iter().copied().filter(|n| !for_config(n)).collect();
        // Created in reverse status-section order, they are scheduled in
        // that order (as Pacemaker's, which reads the history node by node).
        nodes.sort_by_key(|&n| std::cmp::Reverse(cluster.node(n).status_order));
        // Those for changed parameters are found while each node's history
        // is read, in order.
        for n in r.clear_for_params_on.iter().copied().chain(nodes) {
            if !seen.insert((cluster.anonymous_base_id(RscId(i)).to_string(), n)) {
                continue;
            }
            let mut a = ActionSet::new_action(Some(RscId(i)), "clear_failcount", 0, Some(n));
            a.optional = false;
            out.push(set.add(a));
        }
    }
    out
}

/// Orders cleanups after stops (and before starts), and lets a required stop
/// cancel a reload.
pub fn order_config_change_actions(cluster: &Cluster, set: &mut ActionSet, created: &[usize]) {
    for &a in created {
        let (task, rsc) = (set.actions[a].task.clone(), set.actions[a].rsc.expect("resource action"));
        match task.as_str() {
            "delete" => {
                for s in set.find(rsc, "stop", None) {
                    set.edge(s, a, EdgeFlags { ordered: true, implies_then: false, ..Default::default() });
                }
                for s in set.find(rsc, "start", None) {
                    set.edge(a, s, EdgeFlags::ORDER);
                }
            }
            // An orphan's fail count is cleared before it stops (others'
            // clears are not ordered).
            "clear_failcount" if cluster.rsc(rsc).orphan => {
                for s in set.find(rsc, "stop", None) {
                    set.edge(a, s, EdgeFlags::ORDER);
                }
            }
            "cancel" => {
                for s in set.find(rsc, "stop", None) {
                    set.edge(s, a, EdgeFlags::ORDER);
                }
            }
            "reload-agent" => {
                for s in set.find(rsc, "start", None) {
                    set.edge(a, s, EdgeFlags::ORDER);
                }
                // Recurring monitors restart after a reload.
                let mons: Vec<usize> = set
                    .actions
                    .iter()
                    .filter(|x| {
                        x.rsc == Some(rsc)
                            && x.task == "monitor"
                            && x.interval_ms > 0
                            && x.node == set.actions[a].node
                    })
                    .map(|x| x.id)
                    .collect();
                for m in mons {
                    set.actions[m].optional = false;
                    set.edge(a, m, EdgeFlags::ORDER);
                }
            }
            _ => {}
        }
    }
}
