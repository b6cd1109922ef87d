//! Tickets (`rsc_ticket`): resources that may run (or be promoted) only while
//! the cluster holds a ticket. A ticket is granted or not, and may be on
//! standby, as the status section's `<tickets>` says (absent: not granted).
//! Losing a ticket bans its resources (`stop`), only their promoted role
//! (`demote`) or freezes them where they run (`freeze`).

use cib_schema as cs;

use super::cluster::*;
use super::score::Score;

/// A ticket's state as the status section records it.
#[derive(Debug, Clone, Default)]
pub struct TicketState {
    pub id: String,
    pub granted: bool,
    pub standby: bool,
}

/// What happens to a resource whose ticket is lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LossPolicy {
    Stop,
    Demote,
    Fence,
    Freeze,
}

/// One resource's dependency on a ticket.
#[derive(Debug, Clone)]
pub struct RscTicket {
    pub rsc: RscId,
    pub ticket: String,
    /// The role the dependency is limited to (None: any role).
    pub role: Option<Role>,
    pub loss_policy: LossPolicy,
}

/// The `<ticket_state>` entries of the status section's `<tickets>`.
pub fn unpack_ticket_states(cib: &cs::Cib) -> Vec<TicketState> {
    let Some(status) = &cib.status else { return Vec::new() };
    let truthy = |el: &cs::Element, name: &str| el.attr(name).is_some_and(super::unpack::is_true);
    status
        .unknown
        .children()
        .iter()
        .filter(|c| c.name == "tickets")
        .flat_map(|t| t.children.iter())
        .filter(|c| c.name == "ticket_state")
        .filter_map(|c| {
            let id = c.attr("id")?.to_string();
            Some(TicketState { id, granted: truthy(c, "granted"), standby: truthy(c, "standby") })
        })
        .collect()
}

fn ticket_state<'a>(cluster: &'a Cluster, id: &str) -> Option<&'a TicketState> {
    cluster.ticket_states.iter().find(|t| t.id == id)
}

/// Whether a ticket lets its resources run as if nothing was lost.
fn ticket_held(cluster: &Cluster, id: &str) -> bool {
    ticket_state(cluster, id).is_some_and(|t| t.granted && !t.standby)
}

/// Unpacks one `rsc_ticket` (plain or with resource sets).
pub fn unpack_rsc_ticket(cluster: &mut Cluster, t: &cs::Ticket, expand: &super::constraints::Expand<'_>) {
    let mut targets: Vec<(RscId, Option<&str>)> = Vec::new();
    if t.sets.is_empty() {
        if let Some(rsc) = &t.rsc {
            targets.extend(expand(cluster, rsc).into_iter().map(|r| (r, t.rsc_role.as_deref())));
        }
    } else {
        for set in &t.sets {
            for rr in &set.resources {
                targets.extend(expand(cluster, &rr.id).into_iter().map(|r| (r, set.role.as_deref())));
            }
        }
    }
    for (rsc, role) in targets {
        let role = role.and_then(Role::parse).filter(|r| *r != Role::Started);
        let loss_policy = match t.loss_policy.as_deref().map(str::to_ascii_lowercase).as_deref() {
            Some("fence") if cluster.options.stonith_enabled => LossPolicy::Fence,
            Some("freeze") => LossPolicy::Freeze,
            Some("demote") => LossPolicy::Demote,
            Some("stop") | Some("fence") => LossPolicy::Stop,
            _ if role == Some(Role::Promoted) => LossPolicy::Demote,
            _ => LossPolicy::Stop,
        };
        cluster.rsc_tickets.push(RscTicket { rsc, ticket: t.ticket.clone(), role, loss_policy });
    }
}

/// Applies what missing tickets mean for their resources. Part of scheduling,
/// not of reading the CIB: the status display does not show its effects.
pub fn apply_missing_tickets(cluster: &mut Cluster) {
    for dep in cluster.rsc_tickets.clone() {
        if !ticket_held(cluster, &dep.ticket) {
            apply_missing_ticket(cluster, dep.rsc, &dep);
        }
    }
}

fn ban_everywhere(cluster: &mut Cluster, r: RscId, why: &str) {
    let scores = cluster.node_ids().map(|n| (n, Score::NEG_INF)).collect();
    super::unpack::add_implicit_location(cluster, r, why, scores);
}

/// What a ticket that is not held means for `r` (applied to each primitive).
fn apply_missing_ticket(cluster: &mut Cluster, r: RscId, dep: &RscTicket) {
    let children = cluster.rsc(r).children.clone();
    if !children.is_empty() {
        for c in children {
            apply_missing_ticket(cluster, c, dep);
        }
        return;
    }
    let granted = ticket_state(cluster, &dep.ticket).is_some_and(|t| t.granted);
    let running = !cluster.rsc(r).running_on.is_empty();
    let role_matches = dep.role.is_none_or(|want| want == cluster.rsc(r).role);
    if !granted && running {
        match dep.loss_policy {
            LossPolicy::Stop => ban_everywhere(cluster, r, "__loss_of_ticket__"),
            // Only the promoted role is lost: promotion is refused later.
            LossPolicy::Demote if dep.role == Some(Role::Promoted) => {}
            LossPolicy::Demote => ban_everywhere(cluster, r, "__loss_of_ticket__"),
            // Fencing the nodes is not done here; the resource is still banned.
            LossPolicy::Fence if role_matches => ban_everywhere(cluster, r, "__loss_of_ticket__"),
            LossPolicy::Fence => {}
            LossPolicy::Freeze if role_matches => {
                let rsc = cluster.rsc_mut(r);
                rsc.managed = false;
                rsc.blocked = true;
            }
            LossPolicy::Freeze => {}
        }
    } else if dep.role != Some(Role::Promoted) || dep.loss_policy == LossPolicy::Stop {
        let why = if granted { "__ticket_standby__" } else { "__no_ticket__" };
        ban_everywhere(cluster, r, why);
    }
}

/// Whether `r` may not be promoted anywhere for lack of a ticket its promoted
/// role depends on.
pub fn promotion_blocked(cluster: &Cluster, r: RscId) -> bool {
    cluster
        .rsc_tickets
        .iter()
        .any(|t| t.rsc == r && t.role == Some(Role::Promoted) && !ticket_held(cluster, &t.ticket))
}
