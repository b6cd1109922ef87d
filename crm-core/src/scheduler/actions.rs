//! Stage 4, actions: the transition's actions (start, stop, promote, demote,
//! monitor, probe, fence, shutdown, and the pseudo-actions of collections) and the
//! edges between them. An action starts optional when it only might be needed;
//! ordering propagation (`ordering.rs`) decides which become required.

use super::cluster::{NodeId, RscId};

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
}

impl EdgeFlags {
    pub const ORDER: EdgeFlags =
        EdgeFlags { ordered: true, implies_then: false, implies_first: false, runnable_left: false };
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
}

impl ActionSet {
    pub fn add(&mut self, mut a: Action) -> usize {
        a.id = self.actions.len();
        self.actions.push(a);
        self.actions.len() - 1
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
        }
    }

    pub fn edge(&mut self, first: usize, then: usize, flags: EdgeFlags) {
        if first == then {
            return;
        }
        if let Some(e) = self.edges.iter_mut().find(|e| e.first == first && e.then == then) {
            e.flags.ordered |= flags.ordered;
            e.flags.implies_then |= flags.implies_then;
            e.flags.implies_first |= flags.implies_first;
            e.flags.runnable_left |= flags.runnable_left;
            return;
        }
        self.edges.push(Edge { first, then, flags });
    }

    /// Actions of `rsc` with `task` (any interval 0), optionally on `node`.
    pub fn find(&self, rsc: RscId, task: &str, node: Option<NodeId>) -> Vec<usize> {
        self.actions
            .iter()
            .filter(|a| {
                a.rsc == Some(rsc)
                    && a.task == task
                    && a.interval_ms == 0
                    && !a.is_probe
                    && node.is_none_or(|n| a.node == Some(n))
            })
            .map(|a| a.id)
            .collect()
    }

    /// Whether the action goes into the transition graph.
    pub fn in_graph(&self, i: usize) -> bool {
        let a = &self.actions[i];
        !a.optional && a.runnable
    }
}
