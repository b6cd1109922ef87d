//! One snapshot of the cluster as the live view shows it, owned so it outlives
//! the CIB it was read from (the next push replaces the CIB, and the events
//! diff needs the previous snapshot).
//!
//! Every fact comes from the one-shot renderers' helpers: the node states are
//! `crm_mon -n`'s words, the resource tree is `crm_mon -1 -r`'s listing with its
//! nesting kept, the failures are the "Failed Resource Actions" lines.

use std::collections::BTreeMap;

use crm_core::display;
use crm_core::scheduler::cluster::Role;

use crate::mon::summary::Summary;
use crate::mon::{history, nodes, timefmt, Status};

/// A node's state reduced to what decides its marker and colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeClass {
    Online,
    Standby,
    Maintenance,
    Pending,
    Offline,
    Unclean,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeRow {
    pub name: String,
    /// As `crm_mon -n` words it ("online", "OFFLINE", "standby", ...).
    pub state: String,
    pub class: NodeClass,
    pub dc: bool,
    /// The administrator's standby setting, which `s` toggles (a node can be
    /// offline and in standby at once).
    pub standby: bool,
    /// Primitives active here, for the nodes pane.
    pub running: usize,
}

/// A resource line's state, read from its text so it agrees with what is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RscClass {
    /// Group and clone headers, which only hold other lines.
    Container,
    Started,
    Promoted,
    Unpromoted,
    Stopped,
    /// Starting, stopping, promoting, ...
    Changing,
    Failed,
    /// Blocked or unmanaged: the cluster will not act on it.
    Blocked,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RscLine {
    /// Nesting level, 0 for top-level resources.
    pub depth: usize,
    pub text: String,
    /// The resource the actions apply to: the line's own id, or for a clone's
    /// "Started: [ ... ]" summary, the clone's.
    pub target: String,
    /// Whether the line opens a group or clone (the lines after it at a greater
    /// depth belong to it and fold with it).
    pub container: bool,
    pub class: RscClass,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub rsc: String,
    pub text: String,
}

/// What runs where: (resource as printed, node) -> (role, failed).
pub type Placements = BTreeMap<(String, String), (String, bool)>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// When the snapshot was taken (seconds since the epoch).
    pub at: i64,
    pub dc: Option<String>,
    pub dc_version: Option<String>,
    pub quorum: bool,
    pub stack: String,
    pub last_change: String,
    pub instances: usize,
    pub disabled: usize,
    pub blocked: usize,
    pub maintenance: bool,
    pub nodes: Vec<NodeRow>,
    pub resources: Vec<RscLine>,
    pub failures: Vec<Failure>,
    pub placements: Placements,
}

impl Snapshot {
    pub fn new(st: &Status) -> Snapshot {
        let c = &st.cluster;
        let summary = Summary::new(st);
        let dc = summary.dc.as_ref().map(|(name, _)| name.clone());
        let nodes = c
            .node_ids()
            .map(|n| {
                let node = c.node(n);
                let class = if node.unclean {
                    NodeClass::Unclean
                } else if !node.online {
                    NodeClass::Offline
                } else if node.pending {
                    NodeClass::Pending
                } else if node.standby || node.standby_onfail {
                    NodeClass::Standby
                } else if node.maintenance {
                    NodeClass::Maintenance
                } else {
                    NodeClass::Online
                };
                NodeRow {
                    name: node.name.clone(),
                    state: nodes::node_state_text(c, n).to_string(),
                    class,
                    dc: dc.as_deref() == Some(node.name.as_str()),
                    standby: node.standby,
                    running: nodes::running_here(c, n).len(),
                }
            })
            .collect();
        let mut placements = Placements::new();
        for r in c.primitives() {
            let rsc = c.rsc(r);
            let role = if rsc.role == Role::Promoted {
                "Promoted"
            } else if c.rsc(c.top_of(r)).promotable {
                "Unpromoted"
            } else {
                "Started"
            };
            for &n in &rsc.running_on {
                placements.insert(
                    (history::printable_id(c, r), c.node(n).name.clone()),
                    (role.to_string(), rsc.failed),
                );
            }
        }
        let failures = history::shown_failures(st)
            .iter()
            .map(|f| Failure {
                rsc: f.rsc_id.split(':').next().unwrap_or(&f.rsc_id).to_string(),
                text: history::failed_action_line(f),
            })
            .collect();
        let mut listing = String::new();
        display::resource_list(c, &mut listing);
        Snapshot {
            at: st.now,
            dc,
            dc_version: summary.dc_version.clone(),
            quorum: summary.with_quorum,
            stack: summary.stack.clone(),
            last_change: summary.last_change(),
            instances: summary.instances,
            disabled: summary.disabled,
            blocked: summary.blocked,
            maintenance: c.options.maintenance_mode,
            nodes,
            resources: resource_lines(&listing),
            failures,
            placements,
        }
    }

    /// The time of day of the snapshot, "hh:mm:ss" in UTC like the one-shot output.
    pub fn clock(at: i64) -> String {
        timefmt::iso(at)[11..19].to_string()
    }
}

/// Turns the "Full List of Resources" listing into lines with their depth and
/// the resource each one stands for.
pub fn resource_lines(listing: &str) -> Vec<RscLine> {
    let mut out: Vec<RscLine> = Vec::new();
    // The targets of the open containers, by depth.
    let mut parents: Vec<String> = Vec::new();
    for line in listing.lines().skip(1) {
        let indent = line.len() - line.trim_start().len();
        let Some(body) = line.trim_start().strip_prefix("* ") else { continue };
        if body == "No resources" {
            continue;
        }
        let depth = indent.saturating_sub(4) / 2;
        parents.truncate(depth);
        let text = body.replace('\t', " ");
        let (own, container) = if let Some(rest) = body.strip_prefix("Resource Group: ") {
            (Some(id_before(rest, &[' ', ':'])), true)
        } else if let Some(rest) = body.strip_prefix("Clone Set: ") {
            (Some(id_before(rest, &[' ', ':'])), true)
        } else if is_node_summary(body) {
            (None, false)
        } else {
            (Some(id_before(body, &['\t', ' '])), false)
        };
        let target = own.or_else(|| parents.last().cloned()).unwrap_or_default();
        let class = if container { RscClass::Container } else { classify(&text) };
        if container {
            parents.push(target.clone());
        }
        out.push(RscLine { depth, text, target, container, class });
    }
    out
}

/// A clone's "Started: [ n1 n2 ]"-style line, which names nodes, not a resource.
fn is_node_summary(body: &str) -> bool {
    body.split_once(": [").is_some_and(|(label, _)| !label.contains('\t') && !label.contains('('))
}

fn id_before(s: &str, stops: &[char]) -> String {
    s.split(|ch| stops.contains(&ch)).next().unwrap_or(s).to_string()
}

fn classify(text: &str) -> RscClass {
    let has = |w: &str| text.split(|c: char| !c.is_alphanumeric()).any(|t| t == w);
    if has("FAILED") {
        RscClass::Failed
    } else if has("blocked") || has("unmanaged") {
        RscClass::Blocked
    } else if ["Starting", "Stopping", "Promoting", "Demoting", "Migrating"].iter().any(|w| has(w)) {
        RscClass::Changing
    } else if has("Promoted") {
        RscClass::Promoted
    } else if has("Unpromoted") {
        RscClass::Unpromoted
    } else if has("Stopped") {
        RscClass::Stopped
    } else {
        RscClass::Started
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LISTING: &str = "  * Full List of Resources:
    * fence\t(stonith:fence_dummy):\t Started n1
    * Resource Group: g (disabled):
      * a\t(ocf:heartbeat:Dummy):\t Stopped (disabled)
      * b\t(ocf:heartbeat:Dummy):\t FAILED n2
    * Clone Set: ms [st] (promotable):
      * Promoted: [ n1 ]
      * Unpromoted: [ n2 n3 ]
";

    #[test]
    fn listing_keeps_nesting_and_targets() {
        let lines = resource_lines(LISTING);
        let view: Vec<(usize, &str, bool, RscClass)> =
            lines.iter().map(|l| (l.depth, l.target.as_str(), l.container, l.class)).collect();
        assert_eq!(
            view,
            vec![
                (0, "fence", false, RscClass::Started),
                (0, "g", true, RscClass::Container),
                (1, "a", false, RscClass::Stopped),
                (1, "b", false, RscClass::Failed),
                (0, "ms", true, RscClass::Container),
                (1, "ms", false, RscClass::Promoted),
                (1, "ms", false, RscClass::Unpromoted),
            ]
        );
        assert_eq!(lines[0].text, "fence (stonith:fence_dummy):  Started n1");
    }
}
