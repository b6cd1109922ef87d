//! The "Transition Summary" that `crm_simulate` prints: one line per fenced node,
//! then one per resource that changes, in resource order, worded as Pacemaker
//! words it (Start, Stop, Move, Recover, Restart, ...) with the reason.

use std::fmt::Write as _;

use super::actions::ActionSet;
use super::cluster::*;

pub fn transition_summary(cluster: &Cluster, set: &ActionSet) -> Vec<String> {
    let mut lines = Vec::new();
    for a in &set.actions {
        if a.task == "stonith" && !a.optional {
            let node = &cluster.node(a.node.expect("fencing names a node")).name;
            let mut l = format!("  * Fence ({}) {}", a.fence_type.as_deref().unwrap_or("reboot"), node);
            if let Some(r) = &a.reason {
                let _ = write!(l, " '{r}'");
            }
            lines.push(l);
        }
    }
    let mut rows: Vec<(String, String, String, String)> = Vec::new();
    for &r in &cluster.top {
        collect(cluster, set, r, &mut rows);
    }
    let width = rows.iter().map(|(_, id, _, _)| id.len()).max().unwrap_or(0);
    let dwidth = rows.iter().map(|(_, _, d, _)| d.len()).max().unwrap_or(0);
    for (change, id, details, reason) in rows {
        let mut l = format!("  * {change:<10} {id:<width$} ( {details:>dwidth$} )");
        if !reason.is_empty() {
            let _ = write!(l, "  {reason}");
        }
        lines.push(l);
    }
    lines
}

fn collect(cluster: &Cluster, set: &ActionSet, r: RscId, rows: &mut Vec<(String, String, String, String)>) {
    let rsc = cluster.rsc(r);
    if rsc.variant != Variant::Primitive {
        for &c in &rsc.children {
            collect(cluster, set, c, rows);
        }
        return;
    }
    if let Some(row) = primitive_row(cluster, set, r) {
        rows.push(row);
    }
}

fn with_reason(a: &super::actions::Action) -> String {
    match (&a.reason, a.runnable) {
        (Some(r), false) => format!("due to {r} (blocked)"),
        (Some(r), true) => format!("due to {r}"),
        (None, false) => "blocked".into(),
        (None, true) => String::new(),
    }
}

fn primitive_row(cluster: &Cluster, set: &ActionSet, r: RscId) -> Option<(String, String, String, String)> {
    let rsc = cluster.rsc(r);
    let current = rsc.current_node();
    let next = rsc.assigned.filter(|_| rsc.next_role.is_active());
    if current.is_none() && rsc.orphan {
        return None;
    }
    if !rsc.managed || (current.is_none() && next.is_none()) {
        return None;
    }
    let name = |n: NodeId| cluster.node(n).name.clone();
    let start = set.find(r, "start", None).into_iter().next().map(|i| &set.actions[i]);
    let stops: Vec<&super::actions::Action> =
        set.find(r, "stop", None).into_iter().map(|i| &set.actions[i]).collect();
    let stop = stops.iter().find(|a| a.node == current).copied();
    let start_required = start.is_some_and(|s| !s.optional);
    let start_runnable = start.is_some_and(|s| s.runnable);
    let moving = matches!((current, next), (Some(c), Some(n)) if c != n);
    let id = rsc.id.clone();

    // Staying in the same role.
    if let (Some(_), Some(cur), false, true) = (next, current, moving, start.is_some_and(|s| s.node == next))
    {
        if !start_required {
            let reload = set
                .actions
                .iter()
                .any(|a| a.rsc == Some(r) && a.task == "reload-agent" && a.node == Some(cur) && !a.optional);
            if reload {
                return Some(("Reload".into(), id, name(cur), String::new()));
            }
            return None;
        }
        if !start_runnable {
            let src = stop.filter(|s| s.reason.is_some()).or(start).unwrap();
            let mut reason = with_reason(src);
            if stop.is_some_and(|s| s.runnable) && src.reason.is_some() {
                reason = format!("due to {}", src.reason.clone().unwrap());
            }
            return Some(("Stop".into(), id, name(cur), reason));
        }
        if rsc.failed {
            return Some(("Recover".into(), id, name(cur), stop.map(with_reason).unwrap_or_default()));
        }
        return Some(("Restart".into(), id, name(cur), start.map(with_reason).unwrap_or_default()));
    }
    if let (Some(stop), true) = (stop, next.is_none() || !start_runnable) {
        if stop.optional {
            return None;
        }
        let src = if stop.reason.is_some() { stop } else { start.unwrap_or(stop) };
        let mut reason = with_reason(src);
        if stop.runnable && src.reason.is_some() {
            reason = format!("due to {}", src.reason.clone().unwrap());
        } else if stop.runnable {
            reason = String::new();
        }
        return Some(("Stop".into(), id, name(current.unwrap()), reason));
    }
    if moving {
        let (c, n) = (current.unwrap(), next.unwrap());
        let change = if rsc.failed { "Recover" } else { "Move" };
        let reason = stop.map(with_reason).unwrap_or_default();
        return Some((change.into(), id, format!("{} -> {}", name(c), name(n)), reason));
    }
    if let (Some(s), Some(n)) = (start, next) {
        if !s.optional {
            return Some(("Start".into(), id, name(n), with_reason(s)));
        }
    }
    None
}
