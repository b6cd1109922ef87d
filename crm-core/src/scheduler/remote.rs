//! Actions on Pacemaker Remote nodes run over the node's connection: they
//! wait for the connection to start, and what stops there finishes before
//! the connection goes away. (Guest nodes, whose connection lives in a
//! container, are ordered with their containers elsewhere.)

use super::actions::{ActionSet, EdgeFlags};
use super::cluster::*;

/// What the connection of a remote node will be doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ConnectionState {
    /// Up now and staying up.
    Alive,
    /// Down for good (cleanly).
    Stopped,
    /// Down for good after a failure it cannot recover from.
    Failed,
    /// Not running anywhere yet, but it will start.
    Unknown,
    /// Running on a node that is gone (or migrating): wait for its start.
    Resting,
}

fn connection_state(cluster: &Cluster, conn: RscId) -> ConnectionState {
    let c = cluster.rsc(conn);
    let host = c.current_node();
    if c.next_role == Role::Stopped || c.assigned.is_none() {
        if host.is_some_and(|h| cluster.node(h).unclean) {
            return ConnectionState::Failed;
        }
        return if c.failed { ConnectionState::Failed } else { ConnectionState::Stopped };
    }
    match host {
        None => ConnectionState::Unknown,
        Some(h) if cluster.node(h).unclean || !cluster.node(h).online => ConnectionState::Resting,
        Some(_) => ConnectionState::Alive,
    }
}

/// Orders every real resource action on a remote node against its
/// connection's start or stop, as Pacemaker does.
pub fn order_remote_connection_actions(cluster: &Cluster, set: &mut ActionSet) {
    let conn_of: Vec<Option<RscId>> = cluster
        .nodes
        .iter()
        .map(|n| match (&n.remote_rsc, &n.container) {
            (Some(id), None) if !n.bundle_guest => cluster.rsc_by_id(id),
            _ => None,
        })
        .collect();
    if conn_of.iter().all(Option::is_none) {
        return;
    }
    let after_start = |extra: EdgeFlags| EdgeFlags { ordered: true, runnable_left: true, ..extra };
    for i in 0..set.actions.len() {
        let a = &set.actions[i];
        let (Some(r), Some(n)) = (a.rsc, a.node) else { continue };
        let Some(conn) = conn_of[n.0] else { continue };
        if a.pseudo || r == conn || a.task == "stonith" {
            continue;
        }
        let state = connection_state(cluster, conn);
        let start = set.find(conn, "start", None);
        let stop = set.find(conn, "stop", None);
        let task =
            if matches!(a.task.as_str(), "migrate_to" | "migrate_from") { "stop" } else { a.task.as_str() };
        let recurring = a.interval_ms > 0;
        let mut before_start: Option<EdgeFlags> = None;
        let mut before_stop: Option<EdgeFlags> = None;
        match task {
            "start" | "promote" => {
                let implies = state == ConnectionState::Failed;
                before_start = Some(after_start(EdgeFlags { implies_then: implies, ..Default::default() }));
            }
            "stop" => {
                if state == ConnectionState::Alive || cluster.rsc(conn).next_role == Role::Stopped {
                    if state != ConnectionState::Failed {
                        before_stop = Some(EdgeFlags { ordered: true, ..Default::default() });
                    }
                } else {
                    before_start = Some(after_start(EdgeFlags::default()));
                }
            }
            "demote" => {
                if matches!(state, ConnectionState::Resting | ConnectionState::Unknown) {
                    before_start = Some(after_start(EdgeFlags::default()));
                }
            }
            _ => {
                if recurring {
                    before_start = Some(after_start(EdgeFlags { implies_then: true, ..Default::default() }));
                } else if cluster.rsc(conn).current_node().is_some() && state == ConnectionState::Stopped {
                    before_stop =
                        Some(EdgeFlags { ordered: true, runnable_left: true, ..Default::default() });
                } else {
                    before_start = Some(after_start(EdgeFlags::default()));
                }
            }
        }
        if let Some(flags) = before_start {
            for &s in &start {
                set.edge(s, i, flags);
            }
        }
        if let Some(flags) = before_stop {
            for &s in &stop {
                set.edge(i, s, flags);
            }
        }
    }
}
