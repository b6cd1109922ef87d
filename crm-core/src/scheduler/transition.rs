//! Stage 6, output: the transition graph (a petgraph DAG of the required,
//! runnable actions), its synapse order as Pacemaker writes it, and a simulated
//! execution that applies each action's expected result to the working set.

use petgraph::graph::{DiGraph, NodeIndex};

use super::actions::ActionSet;
use super::cluster::*;

/// The transition: the working set after placement, every action considered,
/// and the graph of those that will run.
#[derive(Debug, Clone)]
pub struct Transition {
    pub cluster: Cluster,
    pub actions: ActionSet,
    pub graph: DiGraph<usize, ()>,
    /// Graph nodes in synapse order.
    pub synapses: Vec<NodeIndex>,
}

pub fn build(cluster: Cluster, actions: ActionSet) -> Transition {
    let mut graph = DiGraph::new();
    let mut index = vec![None; actions.actions.len()];
    let order = synapse_order(&cluster, &actions);
    let mut synapses = Vec::new();
    for &a in &order {
        let n = graph.add_node(a);
        index[a] = Some(n);
        synapses.push(n);
    }
    for e in &actions.edges {
        if !e.flags.ordered {
            continue;
        }
        let (first, then) = (&actions.actions[e.first], &actions.actions[e.then]);
        if e.flags.same_node_only && first.node.is_some() && then.node.is_some() && first.node != then.node {
            continue;
        }
        if let (Some(f), Some(t)) = (index[e.first], index[e.then]) {
            graph.update_edge(f, t, ());
        }
    }
    Transition { cluster, actions, graph, synapses }
}

/// Pacemaker adds each resource's actions newest first, resources in
/// configuration order (a collection's own actions before its children's), then
/// the actions that belong to no resource, newest first.
fn synapse_order(cluster: &Cluster, set: &ActionSet) -> Vec<usize> {
    let mut out = Vec::new();
    fn expand(cluster: &Cluster, set: &ActionSet, r: RscId, out: &mut Vec<usize>) {
        let mut own: Vec<usize> = set.of_rsc(r).iter().copied().filter(|&i| set.in_graph(i)).collect();
        own.sort_unstable_by(|a, b| b.cmp(a));
        // Clones add their instances' actions before their own; groups and
        // primitives their own first.
        let clone = cluster.rsc(r).variant == Variant::Clone;
        if !clone {
            out.extend(own.iter().copied());
        }
        for &c in &cluster.rsc(r).children {
            expand(cluster, set, c, out);
        }
        if clone {
            out.extend(own);
        }
    }
    for &r in &cluster.top {
        expand(cluster, set, r, &mut out);
    }
    let mut rest: Vec<usize> =
        set.actions.iter().filter(|a| a.rsc.is_none() && set.in_graph(a.id)).map(|a| a.id).collect();
    rest.sort_unstable_by(|a, b| b.cmp(a));
    out.extend(rest);
    out
}

impl Transition {
    /// Runs the graph as Pacemaker's simulator does: repeated passes over the
    /// synapses in order, firing each whose inputs are all complete; a fired
    /// action completes at once. Returns the actions in execution order.
    pub fn execution_order(&self) -> Vec<usize> {
        let n = self.graph.node_count();
        let mut done = vec![false; n];
        let mut order = Vec::with_capacity(n);
        loop {
            let mut fired = false;
            for &s in &self.synapses {
                if done[s.index()] {
                    continue;
                }
                let ready =
                    self.graph.neighbors_directed(s, petgraph::Direction::Incoming).all(|p| done[p.index()]);
                if ready {
                    done[s.index()] = true;
                    order.push(self.graph[s]);
                    fired = true;
                }
            }
            if !fired {
                break;
            }
        }
        order
    }

    /// The "Executing Cluster Transition" lines.
    pub fn execution_lines(&self) -> Vec<String> {
        self.execution_order().into_iter().map(|a| self.describe(a)).collect()
    }

    fn describe(&self, i: usize) -> String {
        let a = &self.actions.actions[i];
        let node = a.node.map(|n| self.cluster.node(n).name.clone()).unwrap_or_default();
        if a.task == "stonith" {
            return format!("  * Fencing {} ({})", node, a.fence_type.as_deref().unwrap_or("reboot"));
        }
        let Some(r) = a.rsc else {
            if a.pseudo {
                return format!("  * Pseudo action:   {}", a.task);
            }
            return format!("  * Cluster action:  {} on {}", a.task, node);
        };
        // Actions name the resource as its history does.
        let id = self.cluster.action_name(r, a.node);
        if a.task == "clear_failcount" || a.task == "lrm_delete" {
            let id = self.cluster.anonymous_base_id(r);
            return format!("  * Cluster action:  {} for {id} on {node}", a.task);
        }
        if a.pseudo {
            return format!("  * Pseudo action:   {}", a.key(id));
        }
        let task = if a.interval_ms > 0 { format!("{}={}", a.task, a.interval_ms) } else { a.task.clone() };
        format!("  * Resource action: {:<15} {} on {}", id, task, node)
    }

    /// The working set after every action in the graph succeeded.
    pub fn revised(&self) -> Cluster {
        let mut c = self.cluster.clone();
        for i in self.execution_order() {
            let a = &self.actions.actions[i];
            match (a.task.as_str(), a.rsc, a.node) {
                ("stonith", None, Some(n)) if a.fence_type.as_deref() != Some("on") => {
                    let node = &mut c.nodes[n.0];
                    node.online = false;
                    node.unclean = false;
                    node.pending = false;
                    for r in c.resources.iter_mut() {
                        r.running_on.retain(|&x| x != n);
                        if r.running_on.is_empty() {
                            r.role = Role::Stopped;
                        }
                    }
                }
                ("start", Some(r), Some(n)) => {
                    let rsc = &mut c.resources[r.0];
                    if !rsc.running_on.contains(&n) {
                        rsc.running_on.push(n);
                    }
                    rsc.role = Role::Started;
                    rsc.failed = false;
                    rsc.pending_task = None;
                }
                ("stop", Some(r), Some(n)) => {
                    let rsc = &mut c.resources[r.0];
                    rsc.running_on.retain(|&x| x != n);
                    if rsc.running_on.is_empty() {
                        rsc.role = Role::Stopped;
                        rsc.failed = false;
                    }
                    rsc.pending_task = None;
                }
                ("promote", Some(r), Some(_)) => c.resources[r.0].role = Role::Promoted,
                ("demote", Some(r), Some(_)) => c.resources[r.0].role = Role::Unpromoted,
                _ => {}
            }
        }
        c
    }
}
