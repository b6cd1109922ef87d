//! The "Transition Summary" that `crm_simulate` prints: one line per fenced node,
//! then one per resource that changes, in resource order, worded as Pacemaker
//! words it (Start, Stop, Move, Recover, Restart, ...) with the reason.

use std::fmt::Write as _;

use super::actions::{Action, ActionSet};
use super::cluster::*;

pub fn transition_summary(cluster: &Cluster, set: &ActionSet) -> Vec<String> {
    let mut lines = Vec::new();
    let mut fences: Vec<&Action> = set
        .actions
        .iter()
        .filter(|a| a.task == "stonith" && !a.optional && !super::unfencing::is_unfence(a))
        .collect();
    // Newest decision first, as Pacemaker lists them; unfencing is decided
    // before the fencing of unclean nodes.
    fences
        .sort_by_key(|a| std::cmp::Reverse(cluster.node(a.node.expect("fencing names a node")).fence_order));
    fences.extend(set.actions.iter().rev().filter(|a| !a.optional && super::unfencing::is_unfence(a)));
    for a in fences {
        {
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
    // Pacemaker's column widths only ever grow: an id longer than the width
    // sets it to that length plus two, a longer detail to its length. The
    // scheduler has already logged every row once in the same process, so the
    // printed rows all use the widths that pass ended with.
    let (mut width, mut dwidth) = (5, 5);
    for (_, id, details, _) in &rows {
        if id.len() > width {
            width = id.len() + 2;
        }
        dwidth = dwidth.max(details.len());
    }
    for (change, id, details, reason) in rows {
        let mut l = format!("  * {change:<8}   {id:<width$}   ( {details:>dwidth$} )");
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
    rows.extend(primitive_rows(cluster, set, r));
}

type Row = (String, String, String, String);

/// The "due to ..." part: the reason of `source` (or of `action`), "blocked"
/// when the action cannot run.
fn reason_text(action: &Action, source: Option<&Action>) -> String {
    let source = source.unwrap_or(action);
    match (&source.reason, action.runnable) {
        (Some(r), false) => format!("due to {r} (blocked)"),
        (Some(r), true) => format!("due to {r}"),
        (None, false) => "blocked".into(),
        (None, true) => String::new(),
    }
}

/// The parenthesised details: nodes, and roles where promotion is involved.
fn details(cluster: &Cluster, r: RscId, origin: Option<NodeId>, dest: Option<NodeId>) -> String {
    let rsc = cluster.rsc(r);
    let (role, next) = (display_role(cluster, r, rsc.role), display_role(cluster, r, rsc.next_role));
    let need_role = role > Role::Started || next > Role::Unpromoted;
    let name = |n: NodeId| cluster.node(n).name.clone();
    let same_host = origin.is_some() && origin == dest;
    let same_role = role == next;
    match (origin, dest) {
        (None, Some(d)) if need_role => format!("{} -> {} {}", role.name(), next.name(), name(d)),
        (None, Some(d)) => name(d),
        (Some(o), None) if need_role => format!("{} {}", role.name(), name(o)),
        (Some(o), None) => name(o),
        (Some(o), Some(_)) if need_role && same_role && same_host => format!("{} {}", role.name(), name(o)),
        (Some(o), Some(_)) if same_role && same_host => name(o),
        (Some(o), Some(d)) if need_role && same_role => format!("{} -> {} {}", name(o), name(d), role.name()),
        (Some(o), Some(d)) if same_role => format!("{} -> {}", name(o), name(d)),
        (Some(o), Some(_)) if same_host => format!("{} -> {} {}", role.name(), next.name(), name(o)),
        (Some(o), Some(d)) => format!("{} {} -> {} {}", role.name(), name(o), next.name(), name(d)),
        (None, None) => String::new(),
    }
}

/// Roles as printed: an instance of a promotable clone that is merely started
/// is "Unpromoted".
fn display_role(cluster: &Cluster, r: RscId, role: Role) -> Role {
    let promotable = cluster.rsc(cluster.top_of(r)).promotable;
    if promotable && role == Role::Started {
        Role::Unpromoted
    } else {
        role
    }
}

fn first_action<'a>(set: &'a ActionSet, r: RscId, task: &str, node: Option<NodeId>) -> Option<&'a Action> {
    set.of_rsc(r).iter().map(|&i| &set.actions[i]).find(|a| {
        a.rsc == Some(r)
            && a.task == task
            && a.interval_ms == 0
            && !a.is_probe
            && (node.is_none() || a.node == node)
    })
}

/// One resource's summary lines, chosen as Pacemaker chooses them.
fn primitive_rows(cluster: &Cluster, set: &ActionSet, r: RscId) -> Vec<Row> {
    let rsc = cluster.rsc(r);
    let current = rsc.current_node();
    let next = rsc.assigned.filter(|_| rsc.next_role.is_active());
    if current.is_none() && rsc.orphan {
        return Vec::new();
    }
    if !rsc.managed || (current.is_none() && next.is_none()) {
        return Vec::new();
    }
    let mut role = display_role(cluster, r, rsc.role);
    if current.is_some() && role == Role::Stopped {
        role = Role::Started;
    }
    let next_role = if next.is_some() { display_role(cluster, r, rsc.next_role) } else { Role::Stopped };
    let id = rsc.id.clone();
    let row = |change: &str, o: Option<NodeId>, d: Option<NodeId>, reason: String| -> Row {
        (change.to_string(), id.clone(), details(cluster, r, o, d), reason)
    };
    let moving = matches!((current, next), (Some(c), Some(n)) if c != n);
    let start = next
        .and_then(|n| first_action(set, r, "start", Some(n)))
        .or_else(|| first_action(set, r, "start", None));
    let start_runnable = start.is_some_and(|s| s.runnable);
    let start_node = if start_runnable { current } else { None };
    let stop = first_action(set, r, "stop", start_node);
    let promote = first_action(set, r, "promote", next);
    let demote = first_action(set, r, "demote", next);
    let reload =
        set.of_rsc(r).iter().any(|&i| set.actions[i].task == "reload-agent" && !set.actions[i].optional);
    let required = |a: Option<&Action>| a.is_some_and(|a| !a.optional);

    if role == next_role {
        if next.is_none() {
            return Vec::new();
        }
        if reload {
            return vec![row("Reload", current, next, String::new())];
        }
        // A running resource whose start became unrunnable (an order on
        // something that cannot start) is stopped, even though its start was
        // only optional.
        if let Some(s) = start.filter(|s| s.optional && !s.runnable && required(stop)) {
            let stop = stop.unwrap();
            let src = if stop.reason.is_some() { stop } else { s };
            return vec![row("Stop", current, None, reason_text(stop, Some(src)))];
        }
        if start.is_none_or(|s| s.optional) {
            if required(demote) && required(promote) {
                let p = promote.unwrap();
                return vec![row("Re-promote", current, next, reason_text(p, demote))];
            }
            return Vec::new();
        }
        let start = start.unwrap();
        if !start.runnable {
            let src = stop.filter(|s| s.reason.is_some()).unwrap_or(start);
            let act = stop.unwrap_or(start);
            return vec![row("Stop", current, None, reason_text(act, Some(src)))];
        }
        if moving && current.is_some() {
            let change = if rsc.failed {
                "Recover"
            } else if super::migration::migrates(set, r) {
                "Migrate"
            } else {
                "Move"
            };
            let act = stop.unwrap_or(start);
            return vec![row(change, current, next, reason_text(act, None))];
        }
        if rsc.failed {
            // Staying where it runs (multiple-active=stop_unexpected), its
            // recovery is the stops elsewhere.
            let act = stop.or_else(|| first_action(set, r, "stop", None)).unwrap_or(start);
            return vec![row("Recover", current, None, reason_text(act, None))];
        }
        return vec![row("Restart", current, next, reason_text(start, None))];
    }

    if stop.is_some() && (next_role == Role::Stopped || start.is_some_and(|s| !s.runnable)) {
        let mut rows = Vec::new();
        for &node in &rsc.running_on {
            let stop_op = first_action(set, r, "stop", Some(node));
            let src = match stop_op {
                Some(s) if s.reason.is_some() => Some(s),
                _ => start,
            };
            if let Some(act) = stop_op.or(start) {
                rows.push(row("Stop", Some(node), None, reason_text(act, src)));
            }
        }
        return rows;
    }
    if let Some(stop) = stop {
        if rsc.failed && !stop.optional {
            return vec![row("Recover", current, next, reason_text(stop, start))];
        }
    }
    if moving {
        let act = stop.or(start).unwrap();
        return vec![row("Move", current, next, reason_text(act, None))];
    }
    if reload {
        return vec![row("Reload", current, next, String::new())];
    }
    if let Some(stop) = stop.filter(|s| !s.optional) {
        let act = start.unwrap_or(stop);
        return vec![row("Restart", current, next, reason_text(act, None))];
    }
    if role == Role::Promoted {
        if let Some(d) = demote.or_else(|| first_action(set, r, "demote", current)) {
            return vec![row("Demote", current, next, reason_text(d, None))];
        }
    }
    if next_role == Role::Promoted {
        if let Some(p) = promote {
            return vec![row("Promote", current, next, reason_text(p, None))];
        }
    }
    if role == Role::Stopped && next_role > Role::Stopped {
        if let Some(s) = start {
            return vec![row("Start", current, next, reason_text(s, None))];
        }
    }
    Vec::new()
}
