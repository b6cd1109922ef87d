//! Running one transition on the DC: the scheduler's graph turned into steps
//! (an operation on a node, fencing a node, or nothing to do), each started
//! once its inputs completed, and the bookkeeping of what is under way. An
//! unexpected result aborts the transition: nothing new starts, what runs is
//! let finish, and the DC computes a fresh one.

use crate::scheduler::cluster::Role;
use crate::scheduler::Transition;

use super::message::OpRecord;

/// What carrying out one graph action takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Pseudo actions and bookkeeping that complete as soon as their inputs do.
    Immediate,
    /// An operation on `node`; `op.rc` is the result that means success.
    Operation {
        node: String,
        op: OpRecord,
    },
    Fence {
        target: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Waiting,
    InFlight,
    Done,
    Failed,
}

#[derive(Debug, Clone)]
pub struct PlannedAction {
    pub step: Step,
    /// Indexes of the actions that must complete first.
    pub inputs: Vec<usize>,
    pub state: State,
}

#[derive(Debug, Clone)]
pub struct TransitionRun {
    pub id: u64,
    pub actions: Vec<PlannedAction>,
    pub aborted: bool,
    /// The cluster's `batch-limit`: at most this many actions under way at
    /// once (0: no limit).
    pub batch_limit: usize,
}

impl TransitionRun {
    /// The graph of `t` as steps, in synapse order.
    pub fn plan(id: u64, t: &Transition) -> TransitionRun {
        let position: std::collections::BTreeMap<usize, usize> =
            t.synapses.iter().enumerate().map(|(i, n)| (n.index(), i)).collect();
        let actions = t
            .synapses
            .iter()
            .map(|&n| {
                let inputs = t
                    .graph
                    .neighbors_directed(n, petgraph::Direction::Incoming)
                    .map(|p| position[&p.index()])
                    .collect();
                PlannedAction { step: step_of(t, t.graph[n]), inputs, state: State::Waiting }
            })
            .collect();
        let batch_limit =
            t.cluster.options.raw.get("batch-limit").and_then(|v| v.trim().parse().ok()).unwrap_or(0);
        let mut run = TransitionRun { id, actions, aborted: false, batch_limit };
        run.start_after_fencing();
        run
    }

    /// Nothing starts anywhere while a node is waiting to be fenced. The
    /// scheduler orders only the recovery of what the status section says ran
    /// on that node; but a node that left may have been starting something its
    /// DC never got to record (the DC left with it, or the record was lost in the
    /// partition), so until the node is powered off nothing is known about it.
    /// This is Pacemaker 1.1's `stonith_complete` barrier.
    fn start_after_fencing(&mut self) {
        let fences: Vec<usize> =
            (0..self.actions.len()).filter(|&i| matches!(self.actions[i].step, Step::Fence { .. })).collect();
        if fences.is_empty() {
            return;
        }
        // Everything a fencing waits for; a start among them keeps its place
        // (adding the barrier there would be a cycle).
        let mut before_fencing = vec![false; self.actions.len()];
        let mut stack = fences.clone();
        while let Some(i) = stack.pop() {
            for &p in &self.actions[i].inputs {
                if !before_fencing[p] {
                    before_fencing[p] = true;
                    stack.push(p);
                }
            }
        }
        for (action, &fencing_waits_for_it) in self.actions.iter_mut().zip(&before_fencing) {
            let starts = matches!(&action.step,
                Step::Operation { op, .. } if matches!(op.task.as_str(), "start" | "promote" | "migrate_from"));
            if starts && !fencing_waits_for_it {
                for &f in &fences {
                    if !action.inputs.contains(&f) {
                        action.inputs.push(f);
                    }
                }
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    /// Marks every action whose inputs are complete as started and returns
    /// those that need the DC to do something (immediate ones complete here).
    pub fn start_ready(&mut self) -> Vec<usize> {
        let mut started = Vec::new();
        if self.aborted {
            return started;
        }
        let mut in_flight = self.in_flight();
        loop {
            let mut progress = false;
            for i in 0..self.actions.len() {
                if self.actions[i].state != State::Waiting {
                    continue;
                }
                let is_immediate = self.actions[i].step == Step::Immediate;
                if !is_immediate && self.batch_limit > 0 && in_flight >= self.batch_limit {
                    continue;
                }
                if !self.actions[i].inputs.iter().all(|&p| self.actions[p].state == State::Done) {
                    continue;
                }
                progress = true;
                if self.actions[i].step == Step::Immediate {
                    self.actions[i].state = State::Done;
                } else {
                    self.actions[i].state = State::InFlight;
                    in_flight += 1;
                    started.push(i);
                }
            }
            if !progress {
                return started;
            }
        }
    }

    /// Records the end of an action under way; a failure aborts the transition.
    /// Returns false if the action was not under way (a late or repeated result).
    pub fn complete(&mut self, i: usize, ok: bool) -> bool {
        match self.actions.get_mut(i) {
            Some(a) if a.state == State::InFlight => {
                a.state = if ok { State::Done } else { State::Failed };
                if !ok {
                    self.aborted = true;
                }
                true
            }
            _ => false,
        }
    }

    pub fn in_flight(&self) -> usize {
        self.actions.iter().filter(|a| a.state == State::InFlight).count()
    }

    /// Nothing runs and nothing more will start.
    pub fn is_finished(&self) -> bool {
        self.in_flight() == 0 && (self.aborted || self.actions.iter().all(|a| a.state == State::Done))
    }
}

fn step_of(t: &Transition, a: usize) -> Step {
    let c = &t.cluster;
    let a = &t.actions.actions[a];
    let Some(node) = a.node.map(|n| c.node(n).name.clone()) else { return Step::Immediate };
    if a.task == "stonith" {
        return Step::Fence { target: node };
    }
    let Some(r) = a.rsc else { return Step::Immediate };
    // Notifications, cancellations, history clean-ups and agent reloads are not
    // carried out yet: they complete at once (see docs/ARCHITECTURE.md).
    if a.pseudo || matches!(a.task.as_str(), "notify" | "cancel" | "delete" | "reload-agent") {
        return Step::Immediate;
    }
    let rsc = c.rsc(r);
    // Anonymous clone instances keep their history under the configured id.
    let anonymous = rsc.base_id.is_some() && !c.rsc(c.top_of(r)).unique;
    let id = if anonymous { rsc.base_id.clone().unwrap_or_else(|| rsc.id.clone()) } else { rsc.id.clone() };
    let rc = if a.is_probe {
        7
    } else if a.task == "monitor" && rsc.next_role == Role::Promoted {
        8
    } else {
        0
    };
    Step::Operation {
        node,
        op: OpRecord { rsc: id, task: a.task.clone(), interval_ms: a.interval_ms, rc, pending: false },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(steps: Vec<(Step, Vec<usize>)>) -> TransitionRun {
        let actions = steps
            .into_iter()
            .map(|(step, inputs)| PlannedAction { step, inputs, state: State::Waiting })
            .collect();
        TransitionRun { id: 1, actions, aborted: false, batch_limit: 0 }
    }

    fn fence(t: &str) -> Step {
        Step::Fence { target: t.into() }
    }

    #[test]
    fn actions_start_after_their_inputs_and_immediates_pass_through() {
        let mut t = run(vec![(fence("a"), vec![]), (Step::Immediate, vec![0]), (fence("b"), vec![1])]);
        assert_eq!(t.start_ready(), vec![0]);
        assert_eq!(t.start_ready(), Vec::<usize>::new());
        assert!(t.complete(0, true));
        assert_eq!(t.start_ready(), vec![2]);
        assert!(!t.complete(0, true), "a repeated result is ignored");
        assert!(t.complete(2, true));
        assert!(t.is_finished());
    }

    #[test]
    fn starts_wait_for_every_fencing() {
        let start = Step::Operation {
            node: "n1".into(),
            op: OpRecord { rsc: "a".into(), task: "start".into(), interval_ms: 0, rc: 0, pending: false },
        };
        let mut t = run(vec![(fence("n3"), vec![]), (start, vec![])]);
        t.start_after_fencing();
        assert_eq!(t.start_ready(), vec![0]);
        t.complete(0, true);
        assert_eq!(t.start_ready(), vec![1]);
    }

    #[test]
    fn batch_limit_bounds_the_actions_under_way() {
        let mut t = run(vec![(fence("a"), vec![]), (fence("b"), vec![]), (fence("c"), vec![])]);
        t.batch_limit = 2;
        assert_eq!(t.start_ready(), vec![0, 1]);
        assert_eq!(t.start_ready(), Vec::<usize>::new());
        t.complete(1, true);
        assert_eq!(t.start_ready(), vec![2]);
    }

    #[test]
    fn failure_aborts_and_lets_the_rest_finish() {
        let mut t = run(vec![(fence("a"), vec![]), (fence("b"), vec![]), (fence("c"), vec![0])]);
        assert_eq!(t.start_ready(), vec![0, 1]);
        t.complete(0, false);
        assert!(!t.is_finished(), "b still runs");
        assert_eq!(t.start_ready(), Vec::<usize>::new());
        t.complete(1, true);
        assert!(t.is_finished());
    }
}
