//! Clone notifications (`notify=true`): around each clone-wide start, stop,
//! promote and demote, "pre" and "post" notify pseudo-actions, and a `notify`
//! action on every instance that is (pre) or will be (post) active, so agents
//! such as drbd learn what their peers are doing.

use super::actions::{ActionSet, EdgeFlags};
use super::cluster::*;

/// The four notification sets of a clone, in Pacemaker's creation order.
pub const SETS: [(&str, &str); 4] =
    [("start", "running"), ("stop", "stopped"), ("promote", "promoted"), ("demote", "demoted")];

/// Creates a clone's notification pseudo-actions right after the clone action
/// pair they surround (so they are numbered as Pacemaker numbers them).
pub fn create_pseudo(set: &mut ActionSet, r: RscId, action: &str, complete: &str) {
    for (kind, task) in
        [("pre", action), ("confirmed-pre", action), ("post", complete), ("confirmed-post", complete)]
    {
        let mut a = ActionSet::new_action(Some(r), &format!("{kind}_notify_{task}"), 0, None);
        a.pseudo = true;
        set.add(a);
    }
}

fn pseudo(set: &ActionSet, r: RscId, kind: &str, task: &str) -> Option<usize> {
    set.find_first(r, &format!("{kind}_notify_{task}"), None)
}

/// The (pre, confirmed-pre, post, confirmed-post) pseudo-actions of one set.
fn pseudo_set(
    set: &ActionSet,
    r: RscId,
    action: &str,
    complete: &str,
) -> Option<(usize, usize, usize, usize)> {
    Some((
        pseudo(set, r, "pre", action)?,
        pseudo(set, r, "confirmed-pre", action)?,
        pseudo(set, r, "post", complete)?,
        pseudo(set, r, "confirmed-post", complete)?,
    ))
}

/// One notification set of a clone: its clone action pair and the four
/// pseudo-actions around it.
struct NotifySet {
    action: &'static str,
    act: usize,
    done: usize,
    pre: usize,
    pre_done: usize,
    post: usize,
    post_done: usize,
}

/// The notification sets this clone has (promote/demote only if promotable).
fn notify_sets(cluster: &Cluster, set: &ActionSet, r: RscId) -> Vec<NotifySet> {
    let promotable = cluster.rsc(r).promotable;
    SETS.iter()
        .filter(|(action, _)| promotable || !matches!(*action, "promote" | "demote"))
        .filter_map(|&(action, complete)| {
            let (pre, pre_done, post, post_done) = pseudo_set(set, r, action, complete)?;
            let act = *set.find(r, action, None).first()?;
            let done = *set.find(r, complete, None).first()?;
            Some(NotifySet { action, act, done, pre, pre_done, post, post_done })
        })
        .collect()
}

/// Orders the pseudo-actions around the clone actions and between sets.
pub fn order_pseudo(cluster: &Cluster, set: &mut ActionSet, r: RscId) {
    let promotable = cluster.rsc(r).promotable;
    for NotifySet { act, done, pre, pre_done, post, post_done, .. } in notify_sets(cluster, set, r) {
        set.edge(pre, pre_done, EdgeFlags::ORDER);
        set.edge(pre_done, act, EdgeFlags::ORDER);
        let implies = EdgeFlags { ordered: true, implies_then: true, ..Default::default() };
        set.edge(done, post, implies);
        set.edge(post, post_done, implies);
        set.edge(pre_done, post, EdgeFlags::ORDER);
    }
    // "After this set's post notifications, that set's pre notifications."
    let link = |set: &mut ActionSet, done: &str, to: &str| {
        if let (Some(a), Some(b)) = (pseudo(set, r, "confirmed-post", done), pseudo(set, r, "pre", to)) {
            set.edge(a, b, EdgeFlags::ORDER);
        }
    };
    link(set, "stopped", "start");
    if promotable {
        link(set, "stopped", "promote");
        link(set, "running", "promote");
        link(set, "demoted", "promote");
        link(set, "demoted", "start");
        link(set, "demoted", "stop");
    }
}

/// After requirements are settled: the pseudo-actions take the clone actions'
/// requiredness, and each instance gets its notify actions.
pub fn create_notifications(cluster: &Cluster, set: &mut ActionSet, r: RscId) {
    for NotifySet { action, act, done, pre, pre_done, post, post_done } in notify_sets(cluster, set, r) {
        let (act_optional, done_optional, done_runnable) =
            (set.actions[act].optional, set.actions[done].optional, set.actions[done].runnable);
        // The pre notifications can run only if some instance's action can
        // (Pacemaker sums them up from the instances' actions).
        let instances = cluster.leaves(r);
        let any_runnable =
            instances.iter().any(|&l| set.find(l, action, None).into_iter().any(|x| set.actions[x].runnable));
        for i in [pre, pre_done] {
            set.actions[i].optional = act_optional;
            set.actions[i].runnable = any_runnable;
        }
        for i in [post, post_done] {
            set.actions[i].optional = done_optional;
            set.actions[i].runnable = done_runnable;
        }

        // Is any instance actually doing this?
        let doing = |set: &ActionSet, task: &str| {
            instances.iter().any(|&l| {
                set.find(l, task, None)
                    .into_iter()
                    .any(|x| !set.actions[x].optional && set.actions[x].runnable)
            })
        };
        if matches!(action, "start" | "promote" | "demote") && !doing(set, action) {
            continue;
        }
        for &leaf in &instances {
            let rsc = cluster.rsc(leaf);
            if matches!(action, "stop" | "demote") && rsc.role != Role::Stopped {
                let stop = set.find_first(leaf, "stop", None);
                for &node in &rsc.running_on {
                    let implied = stop.is_some_and(|s| set.actions[s].pseudo) && cluster.node(node).unclean;
                    if implied {
                        continue;
                    }
                    notify_action(cluster, set, leaf, node, pre, pre_done);
                    if action == "demote" || stop.is_none_or(|s| set.actions[s].optional) {
                        post_notify(cluster, set, leaf, node, post, post_done);
                    }
                }
            }
            let next = rsc.assigned.filter(|_| rsc.next_role.is_active());
            if matches!(action, "start" | "promote") {
                let Some(node) = next else { continue };
                let start = set.find_first(leaf, "start", None);
                if action != "start" || start.is_none_or(|s| set.actions[s].optional) {
                    notify_action(cluster, set, leaf, node, pre, pre_done);
                }
                post_notify(cluster, set, leaf, node, post, post_done);
            }
        }
    }
}

fn notify_action(
    cluster: &Cluster,
    set: &mut ActionSet,
    leaf: RscId,
    node: NodeId,
    op: usize,
    done: usize,
) -> Option<usize> {
    if !cluster.node(node).online || !set.actions[op].runnable {
        return None;
    }
    let mut a = ActionSet::new_action(Some(leaf), "notify", 0, Some(node));
    a.optional = set.actions[op].optional;
    let id = set.add(a);
    set.edge(op, id, EdgeFlags::ORDER);
    set.edge(id, done, EdgeFlags::ORDER);
    Some(id)
}

fn post_notify(
    cluster: &Cluster,
    set: &mut ActionSet,
    leaf: RscId,
    node: NodeId,
    post: usize,
    post_done: usize,
) {
    notify_action(cluster, set, leaf, node, post, post_done);
    let monitors: Vec<usize> = set
        .actions
        .iter()
        .filter(|a| a.rsc == Some(leaf) && a.task == "monitor" && a.interval_ms > 0)
        .map(|a| a.id)
        .collect();
    for m in monitors {
        set.edge(post_done, m, EdgeFlags::ORDER);
    }
}
