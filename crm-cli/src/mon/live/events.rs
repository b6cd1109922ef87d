//! Recent events, derived by comparing consecutive snapshots: the daemon
//! pushes whole CIBs, not changes, so what happened is what differs.

use std::collections::BTreeSet;

use super::model::{NodeClass, Snapshot};

/// How an event is marked; the text alone must already say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Info,
    Warn,
    Bad,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub at: i64,
    pub text: String,
    pub severity: Severity,
}

/// What changed from `old` to `new`, in a stable order: cluster, nodes,
/// resources, failures.
pub fn diff(old: &Snapshot, new: &Snapshot) -> Vec<Event> {
    let mut out = Vec::new();
    let mut push = |severity, text: String| out.push(Event { at: new.at, text, severity });
    if old.dc != new.dc {
        match &new.dc {
            Some(dc) => push(Severity::Info, format!("{dc} is now the DC")),
            None => push(Severity::Warn, "no DC".to_string()),
        }
    }
    if old.quorum != new.quorum {
        if new.quorum {
            push(Severity::Info, "quorum regained".to_string());
        } else {
            push(Severity::Bad, "quorum LOST".to_string());
        }
    }
    for node in &new.nodes {
        let before = old.nodes.iter().find(|n| n.name == node.name);
        let Some(before) = before else {
            push(Severity::Info, format!("node {} added ({})", node.name, node.state));
            continue;
        };
        if before.class == node.class {
            continue;
        }
        let name = &node.name;
        match node.class {
            NodeClass::Online if before.class == NodeClass::Standby => {
                push(Severity::Info, format!("node {name} left standby"))
            }
            NodeClass::Online => push(Severity::Info, format!("node {name} went online")),
            NodeClass::Offline => push(Severity::Bad, format!("node {name} went OFFLINE")),
            NodeClass::Unclean => push(Severity::Bad, format!("node {name} is {}", node.state)),
            NodeClass::Standby => push(Severity::Warn, format!("node {name} is in standby")),
            NodeClass::Maintenance => push(Severity::Warn, format!("node {name} is in maintenance")),
            NodeClass::Pending => push(Severity::Warn, format!("node {name} is pending")),
        }
    }
    for node in &old.nodes {
        if !new.nodes.iter().any(|n| n.name == node.name) {
            push(Severity::Warn, format!("node {} removed", node.name));
        }
    }
    for ((rsc, node), (_, failed)) in &old.placements {
        if !new.placements.contains_key(&(rsc.clone(), node.clone())) {
            let what = if *failed { "stopped (was FAILED)" } else { "stopped" };
            push(Severity::Info, format!("{rsc} {what} on {node}"));
        }
    }
    for (key, (role, failed)) in &new.placements {
        let (rsc, node) = key;
        match old.placements.get(key) {
            None => {
                let as_role = if role == "Started" { String::new() } else { format!(" as {role}") };
                push(Severity::Info, format!("{rsc} started on {node}{as_role}"));
                if *failed {
                    push(Severity::Bad, format!("{rsc} FAILED on {node}"));
                }
            }
            Some((old_role, old_failed)) => {
                if old_role != role {
                    let verb = if role == "Promoted" { "promoted" } else { "demoted" };
                    push(Severity::Info, format!("{rsc} {verb} on {node}"));
                }
                if *failed && !old_failed {
                    push(Severity::Bad, format!("{rsc} FAILED on {node}"));
                }
            }
        }
    }
    let known: BTreeSet<&str> = old.failures.iter().map(|f| f.text.as_str()).collect();
    for f in &new.failures {
        if !known.contains(f.text.as_str()) {
            push(Severity::Bad, format!("failed action: {}", f.text));
        }
    }
    let now: BTreeSet<&str> = new.failures.iter().map(|f| f.text.as_str()).collect();
    let gone = old.failures.iter().filter(|f| !now.contains(f.text.as_str())).count();
    if gone > 0 {
        push(Severity::Info, format!("{gone} failed action(s) cleared"));
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::mon::live::model::{Failure, NodeRow, Placements};

    pub(crate) fn node(name: &str, class: NodeClass) -> NodeRow {
        let state = match class {
            NodeClass::Online => "online",
            NodeClass::Offline => "OFFLINE",
            NodeClass::Standby => "standby",
            NodeClass::Unclean => "UNCLEAN (offline)",
            NodeClass::Maintenance => "maintenance",
            NodeClass::Pending => "pending",
        };
        NodeRow {
            name: name.into(),
            state: state.into(),
            class,
            dc: name == "n1",
            standby: class == NodeClass::Standby,
            running: 0,
        }
    }

    pub(crate) fn snapshot(
        at: i64,
        nodes: Vec<NodeRow>,
        placements: &[(&str, &str, &str, bool)],
    ) -> Snapshot {
        let mut p = Placements::new();
        for (r, n, role, failed) in placements {
            p.insert((r.to_string(), n.to_string()), (role.to_string(), *failed));
        }
        Snapshot {
            at,
            dc: Some("n1".into()),
            dc_version: Some("2.1.5".into()),
            quorum: true,
            stack: "corosync".into(),
            last_change: String::new(),
            instances: p.len(),
            disabled: 0,
            blocked: 0,
            maintenance: false,
            nodes,
            resources: Vec::new(),
            failures: Vec::new(),
            placements: p,
        }
    }

    #[test]
    fn node_and_resource_changes_become_events() {
        let old = snapshot(
            100,
            vec![node("n1", NodeClass::Online), node("n2", NodeClass::Online)],
            &[("vip", "n2", "Started", false), ("ms", "n1", "Unpromoted", false)],
        );
        let mut new = snapshot(
            160,
            vec![node("n1", NodeClass::Online), node("n2", NodeClass::Offline)],
            &[("vip", "n1", "Started", false), ("ms", "n1", "Promoted", false)],
        );
        new.failures.push(Failure { rsc: "vip".into(), text: "vip start on n2 returned 'error'".into() });
        let texts: Vec<String> = diff(&old, &new).into_iter().map(|e| e.text).collect();
        assert_eq!(
            texts,
            vec![
                "node n2 went OFFLINE",
                "vip stopped on n2",
                "ms promoted on n1",
                "vip started on n1",
                "failed action: vip start on n2 returned 'error'",
            ]
        );
        assert!(diff(&new, &new).is_empty(), "no change, no event");
    }

    #[test]
    fn quorum_dc_and_failure_flags() {
        let old = snapshot(1, vec![node("n1", NodeClass::Standby)], &[("a", "n1", "Started", false)]);
        let mut new = snapshot(2, vec![node("n1", NodeClass::Online)], &[("a", "n1", "Started", true)]);
        new.quorum = false;
        new.dc = None;
        let events = diff(&old, &new);
        let texts: Vec<&str> = events.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(texts, vec!["no DC", "quorum LOST", "node n1 left standby", "a FAILED on n1"]);
        assert_eq!(events[1].severity, Severity::Bad);
        assert!(events.iter().all(|e| e.at == 2));
    }
}
