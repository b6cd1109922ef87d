//! The cluster status as Pacemaker 2.1 prints it in text (`crm_simulate`,
//! `crm_mon -1`): the node list and the full list of resources.

use std::cmp::Ordering;
use std::fmt::Write as _;

use crate::scheduler::cluster::*;

/// Compares names as Pacemaker sorts nodes: case-insensitive, digit runs by value.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i].is_ascii_digit() && b[j].is_ascii_digit() {
            let si = i;
            while i < a.len() && a[i].is_ascii_digit() {
                i += 1;
            }
            let sj = j;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            let na = std::str::from_utf8(&a[si..i]).unwrap().trim_start_matches('0');
            let nb = std::str::from_utf8(&b[sj..j]).unwrap().trim_start_matches('0');
            let ord = na.len().cmp(&nb.len()).then_with(|| na.cmp(nb));
            if ord != Ordering::Equal {
                return ord;
            }
        } else {
            let (x, y) = (a[i].to_ascii_lowercase(), b[j].to_ascii_lowercase());
            if x != y {
                return x.cmp(&y);
            }
            i += 1;
            j += 1;
        }
    }
    (a.len() - i).cmp(&(b.len() - j))
}

/// "  * Node List:" and its items.
pub fn node_list(cluster: &Cluster, out: &mut String) {
    let _ = writeln!(out, "  * Node List:");
    let mut online = Vec::new();
    let mut offline = Vec::new();
    let mut remote_online = Vec::new();
    let mut remote_offline = Vec::new();
    let mut guest_online = Vec::new();
    for (i, node) in cluster.nodes.iter().enumerate() {
        let id = NodeId(i);
        let remote = node.kind == NodeKind::Remote;
        let kind = if node.is_guest() {
            "Guest"
        } else if remote {
            "Remote"
        } else {
            ""
        };
        let active_here = cluster.resources.iter().any(|r| r.running_on.contains(&id));
        let state: Option<String> = if node.unclean {
            Some(if node.online { "UNCLEAN (online)".into() } else { "UNCLEAN (offline)".into() })
        } else if node.pending {
            Some("pending".into())
        } else if node.standby && node.online {
            Some(if active_here { "standby (with active resources)".into() } else { "standby".into() })
        } else if node.standby {
            Some("OFFLINE (standby)".into())
        } else if node.maintenance && node.online {
            Some("maintenance".into())
        } else if node.maintenance {
            Some("OFFLINE (maintenance)".into())
        } else {
            None
        };
        // Unhealthy nodes are listed on their own, with their health.
        let health = node_health(cluster, node);
        let state = match (state, health) {
            (None, h) if h <= 0 => Some(if node.online { "online".into() } else { "OFFLINE".into() }),
            (s, _) => s,
        };
        let state = state.map(|s| match health {
            h if h < 0 => format!("{s} (health is RED)"),
            0 => format!("{s} (health is YELLOW)"),
            _ => s,
        });
        match state {
            Some(s) => {
                let _ = writeln!(out, "    * {kind}Node {}: {}", node.name, s);
            }
            None if node.online && node.is_guest() => guest_online.push(node.name.as_str()),
            None if node.online => {
                if remote { &mut remote_online } else { &mut online }.push(node.name.as_str());
            }
            // Offline guest nodes are not listed.
            None if node.is_guest() => {}
            None => {
                if remote { &mut remote_offline } else { &mut offline }.push(node.name.as_str());
            }
        }
    }
    for (label, list) in [
        ("Online", online),
        ("OFFLINE", offline),
        ("RemoteOnline", remote_online),
        ("RemoteOFFLINE", remote_offline),
        ("GuestOnline", guest_online),
    ] {
        if !list.is_empty() {
            let _ = writeln!(out, "    * {label}: [ {} ]", list.join(" "));
        }
    }
}

/// A node's health from its `#health*` attributes: 1 green, 0 yellow, -1 red
/// (always green without a node-health-strategy).
pub fn node_health(cluster: &Cluster, node: &Node) -> i32 {
    use crate::scheduler::score::Score;
    let o = &cluster.options;
    if o.node_health_strategy == "none" {
        return 1;
    }
    let mut health = 1;
    for (_, value) in node.attrs.iter().filter(|(k, _)| k.starts_with("#health")) {
        if value.eq_ignore_ascii_case("red") {
            return -1;
        }
        if value.eq_ignore_ascii_case("yellow") {
            health = 0;
            continue;
        }
        let score = Score::parse(value).unwrap_or(Score::ZERO);
        if score <= o.node_health_red {
            return -1;
        }
        if score <= o.node_health_yellow && o.node_health_yellow != o.node_health_green {
            health = 0;
        }
    }
    health
}

/// "  * Full List of Resources:" and every resource.
pub fn resource_list(cluster: &Cluster, out: &mut String) {
    let _ = writeln!(out, "  * Full List of Resources:");
    if cluster.top.is_empty() {
        let _ = writeln!(out, "    * No resources");
    }
    for &r in &cluster.top {
        let rsc = cluster.rsc(r);
        if rsc.orphan && rsc.running_on.is_empty() {
            continue;
        }
        resource(cluster, r, 4, out);
    }
}

fn resource(cluster: &Cluster, r: RscId, indent: usize, out: &mut String) {
    let rsc = cluster.rsc(r);
    let pad = " ".repeat(indent);
    match rsc.variant {
        // Implicit resources (guest nodes' connections) are not listed.
        Variant::Primitive if is_internal(rsc) => {}
        Variant::Primitive => {
            let _ = writeln!(out, "{pad}* {}", primitive_line(cluster, r));
        }
        Variant::Group => {
            let mut flags = Vec::new();
            if !rsc.managed {
                flags.push("unmanaged");
            }
            if configured_stopped(rsc) {
                flags.push("disabled");
            }
            let flags = if flags.is_empty() { String::new() } else { format!(" ({})", flags.join(", ")) };
            let _ = writeln!(out, "{pad}* Resource Group: {}{}:", rsc.id, flags);
            for &c in &rsc.children {
                resource(cluster, c, indent + 2, out);
            }
        }
        Variant::Clone => clone(cluster, r, indent, out),
        Variant::Bundle => bundle(cluster, r, indent, out),
    }
}

/// A bundle: a header with its image, then a line per replica named after
/// its guest node (or container) and its address, showing the wrapped
/// primitive's state (or the container's) on the container's host.
fn bundle(cluster: &Cluster, r: RscId, indent: usize, out: &mut String) {
    let rsc = cluster.rsc(r);
    let Some(info) = &rsc.bundle else { return };
    let pad = " ".repeat(indent);
    let set = if info.replicas.len() > 1 { " set" } else { "" };
    let unique = if rsc.unique { " (unique)" } else { "" };
    let unmanaged = if rsc.managed { "" } else { " (unmanaged)" };
    let _ = writeln!(out, "{pad}* Container bundle{set}: {} [{}]{unique}{unmanaged}:", rsc.id, info.image);
    for rep in &info.replicas {
        let Some(container) = rep.container else { continue };
        let named = rep.remote.unwrap_or(container);
        let mut name = cluster.rsc(named).id.clone();
        if let Some(addr) = &rep.ip_addr {
            let _ = write!(name, " ({addr})");
        }
        let shown = rep.child.unwrap_or(container);
        let host = cluster.rsc(container).running_on.first().copied();
        let _ = writeln!(out, "{pad}  * {}", primitive_line_as(cluster, shown, &name, host));
    }
}

/// Whether `r` is an instance that can be promoted (in a promotable clone, or
/// a promotable bundle's wrapped primitive).
fn promotable_instance(cluster: &Cluster, r: RscId) -> bool {
    let top = cluster.rsc(cluster.top_of(r));
    top.promotable
        && (top.variant != Variant::Bundle || crate::scheduler::bundle::is_replica_child(cluster, r))
}

/// Whether Pacemaker made the resource itself (a guest node's connection).
pub fn is_internal(rsc: &Resource) -> bool {
    rsc.meta.get("internal_rsc").is_some_and(|v| v == "true")
}

fn any_member(cluster: &Cluster, r: RscId, f: &dyn Fn(&Resource) -> bool) -> bool {
    let rsc = cluster.rsc(r);
    if rsc.variant == Variant::Primitive {
        return f(rsc);
    }
    rsc.children.iter().any(|&c| any_member(cluster, c, f))
}

fn all_members(cluster: &Cluster, r: RscId, f: &dyn Fn(&Resource) -> bool) -> bool {
    let rsc = cluster.rsc(r);
    if rsc.variant == Variant::Primitive {
        return f(rsc);
    }
    rsc.children.iter().all(|&c| all_members(cluster, c, f))
}

/// The single node an instance is active on, if all of it is on one node.
fn instance_location(cluster: &Cluster, r: RscId) -> Option<NodeId> {
    let nodes = crate::scheduler::clone_nodes(cluster, r);
    match nodes.as_slice() {
        [n] => Some(*n),
        _ => None,
    }
}

fn instance_role(cluster: &Cluster, r: RscId) -> Role {
    let rsc = cluster.rsc(r);
    if rsc.variant == Variant::Primitive {
        return rsc.role;
    }
    rsc.children.iter().map(|&c| instance_role(cluster, c)).max().unwrap_or(Role::Stopped)
}

/// A clone as Pacemaker prints it: failed, orphaned, unmanaged or partial
/// instances in full, the rest summarised as lists of nodes per role.
fn clone(cluster: &Cluster, r: RscId, indent: usize, out: &mut String) {
    let rsc = cluster.rsc(r);
    let pad = " ".repeat(indent);
    let child_base = rsc
        .children
        .first()
        .map(|&c| cluster.rsc(c).base_id.clone().unwrap_or_else(|| cluster.rsc(c).id.clone()))
        .unwrap_or_default();
    let mut attrs = Vec::new();
    if rsc.promotable {
        attrs.push("promotable");
    }
    if rsc.unique {
        attrs.push("unique");
    }
    if !rsc.managed {
        attrs.push("unmanaged");
    }
    if configured_stopped(rsc) {
        attrs.push("disabled");
    }
    let header = if attrs.is_empty() {
        format!("{pad}* Clone Set: {} [{}]:\n", rsc.id, child_base)
    } else {
        format!("{pad}* Clone Set: {} [{}] ({}):\n", rsc.id, child_base, attrs.join(", "))
    };
    out.push_str(&header);
    let mut promoted: Vec<NodeId> = Vec::new();
    let mut started: Vec<NodeId> = Vec::new();
    for &inst in &rsc.children {
        let active = any_member(cluster, inst, &|m| !m.running_on.is_empty());
        let full = if rsc.unique {
            true
        } else if !active {
            false
        } else if any_member(cluster, inst, &|m| m.orphan && !m.running_on.is_empty())
            || !all_members(cluster, inst, &|m| m.managed)
            || any_member(cluster, inst, &|m| m.failed && !m.running_on.is_empty())
        {
            true
        } else if cluster.rsc(inst).pending_task.as_deref().is_some_and(|t| t != "monitor") {
            // An instance with an action in flight (not a probe) is shown on its own.
            true
        } else if all_members(cluster, inst, &|m| !m.running_on.is_empty()) {
            match instance_location(cluster, inst) {
                Some(n) => {
                    let node = cluster.node(n);
                    if !node.online && node.unclean {
                        true
                    } else {
                        if instance_role(cluster, inst) > Role::Unpromoted {
                            promoted.push(n);
                        } else {
                            started.push(n);
                        }
                        false
                    }
                }
                None => true,
            }
        } else {
            true
        };
        if full {
            resource(cluster, inst, indent + 2, out);
        }
    }
    let names = |list: &mut Vec<NodeId>| {
        list.sort_by(|a, b| natural_cmp(&cluster.node(*a).name, &cluster.node(*b).name));
        list.iter().map(|&n| cluster.node(n).name.as_str()).collect::<Vec<_>>().join(" ")
    };
    let active_instances = promoted.len() + started.len();
    if !promoted.is_empty() {
        let _ = writeln!(out, "{pad}  * Promoted: [ {} ]", names(&mut promoted));
    }
    if !started.is_empty() {
        let label = if rsc.promotable { "Unpromoted" } else { "Started" };
        let _ = writeln!(out, "{pad}  * {label}: [ {} ]", names(&mut started));
    }
    if !rsc.unique && rsc.clone_max > active_instances {
        let running = crate::scheduler::clone_nodes(cluster, r);
        let stopped: Vec<NodeId> = cluster
            .node_ids()
            .filter(|&n| {
                cluster.options.symmetric_cluster
                    || rsc.children.iter().any(|&i| any_member(cluster, i, &|m| m.known_on.contains(&n)))
            })
            .filter(|n| !running.contains(n) && !cluster.node(*n).bundle_guest)
            .collect();
        // Nodes grouped by state; a failed probe names why it cannot run there.
        let mut by_state: std::collections::BTreeMap<String, Vec<NodeId>> = Default::default();
        for n in stopped {
            let state = match failed_probe(cluster, r, Some(n)) {
                Some(rc) => format!("Stopped ({})", ocf_exit_str(rc)),
                None if configured_stopped(rsc) => "Stopped (disabled)".into(),
                None => "Stopped".into(),
            };
            by_state.entry(state).or_default().push(n);
        }
        for (state, mut list) in by_state {
            let _ = writeln!(out, "{pad}  * {state}: [ {} ]", names(&mut list));
        }
    }
}

/// `id\t(class:provider:type):\t state node (flags)` for one primitive.
pub fn primitive_line(cluster: &Cluster, r: RscId) -> String {
    primitive_line_with(cluster, r, true)
}

/// One top-level resource (with its members) at `indent` spaces, as the full
/// list prints it (crm_mon's "Inactive Resources" lists single resources).
pub fn resource_item(cluster: &Cluster, r: RscId, indent: usize, out: &mut String) {
    resource(cluster, r, indent, out);
}

/// A primitive's line without its node(s): crm_mon `-n` lists resources under
/// the node they run on.
pub fn primitive_line_rsc_only(cluster: &Cluster, r: RscId) -> String {
    primitive_line_with(cluster, r, false)
}

fn primitive_line_with(cluster: &Cluster, r: RscId, show_node: bool) -> String {
    let rsc = cluster.rsc(r);
    let anonymous = rsc.base_id.is_some() && !cluster.rsc(cluster.top_of(r)).unique;
    let id = if anonymous { rsc.base_id.as_deref().unwrap() } else { rsc.id.as_str() };
    let single = if rsc.running_on.len() == 1 && show_node { rsc.running_on.first().copied() } else { None };
    // A stopped resource locked to a node (shutdown-lock) names that node.
    let single = single.or(if rsc.running_on.is_empty() && show_node { rsc.lock_node } else { None });
    line_for(cluster, r, id, single, show_node)
}

/// `r`'s state under another name, on node `at` (a bundle replica shows its
/// primitive's state on the host its container runs on).
fn primitive_line_as(cluster: &Cluster, r: RscId, name: &str, at: Option<NodeId>) -> String {
    line_for(cluster, r, name, at, false)
}

/// The line for `r` named `id`, naming node `single`; `show_node` also
/// lists multiple active nodes and looks up failed probes by node.
fn line_for(cluster: &Cluster, r: RscId, id: &str, single: Option<NodeId>, show_node: bool) -> String {
    let rsc = cluster.rsc(r);
    let mut s = format!("{}\t({}):\t", id, rsc.agent_spec());
    if rsc.orphan {
        s.push_str(" ORPHANED");
    }
    let active = !rsc.running_on.is_empty();
    if rsc.failed && active {
        s.push_str(" FAILED");
        if rsc.role == Role::Promoted {
            s.push_str(" Promoted");
        }
    } else {
        let state = match (&rsc.pending_task, active) {
            (Some(t), _) if t == "start" => "Starting",
            (Some(t), true) if t == "stop" => "Stopping",
            (Some(t), true) if t == "promote" => "Promoting",
            (Some(t), true) if t == "demote" => "Demoting",
            (Some(t), true) if t == "migrate_to" || t == "migrate_from" => "Migrating",
            // Instances of promotable clones that are not promoted show as Unpromoted.
            _ if active && rsc.role == Role::Started && promotable_instance(cluster, r) => "Unpromoted",
            _ if active => rsc.role.name(),
            _ => "Stopped",
        };
        s.push(' ');
        s.push_str(state);
    }
    if let Some(n) = single {
        s.push(' ');
        s.push_str(&cluster.node(n).name);
    }
    if !active {
        let node = if show_node { rsc.running_on.first().copied() } else { None };
        if let Some(rc) = failed_probe(cluster, r, node) {
            let _ = write!(s, " ({}) ", ocf_exit_str(rc));
        }
    }
    let mut flags: Vec<&str> = Vec::new();
    if let Some(n) = single {
        let node = cluster.node(n);
        if !node.online && node.unclean {
            flags.push("UNCLEAN");
        }
    }
    if single.is_some() && single == rsc.lock_node {
        flags.push("LOCKED");
    }
    // A recurring monitor in flight (pending probes are not shown).
    if rsc.pending_task.as_deref() == Some("monitor") {
        flags.push("Monitoring");
    }
    if configured_stopped(rsc) {
        flags.push("disabled");
    }
    if rsc.blocked {
        flags.push("blocked");
    } else if !rsc.managed {
        flags.push("unmanaged");
    }
    if rsc.failure_ignored {
        flags.push("failure ignored");
    }
    if !flags.is_empty() {
        let _ = write!(s, " ({})", flags.join(", "));
    }
    if rsc.running_on.len() > 1 && show_node {
        let names: Vec<&str> = rsc.running_on.iter().map(|&n| cluster.node(n).name.as_str()).collect();
        let _ = write!(s, " [ {} ]", names.join(" "));
    }
    s
}

/// The node list, a blank line and the resource list.
pub fn cluster_status(cluster: &Cluster) -> String {
    let mut out = String::new();
    node_list(cluster, &mut out);
    out.push('\n');
    resource_list(cluster, &mut out);
    out
}

/// The exit code of a probe that found `r` unable to run (on `node`, or
/// anywhere). Clone instances share their clone's probes, by configured name.
fn failed_probe(cluster: &Cluster, r: RscId, node: Option<NodeId>) -> Option<i32> {
    fn walk(cluster: &Cluster, r: RscId, node: Option<NodeId>) -> Option<i32> {
        let rsc = cluster.rsc(r);
        match rsc.variant {
            Variant::Primitive => {
                rsc.failed_probes.iter().find(|&&(n, _)| node.is_none_or(|x| x == n)).map(|p| p.1)
            }
            // A clone of groups is looked up by the group's name: no probe has it.
            Variant::Group | Variant::Bundle => None,
            Variant::Clone => rsc.children.iter().find_map(|&c| walk(cluster, c, node)),
        }
    }
    let top = cluster.top_of(r);
    let in_group = cluster.rsc(r).parent.is_some_and(|p| cluster.rsc(p).variant == Variant::Group);
    if cluster.rsc(top).variant == Variant::Clone && !in_group {
        walk(cluster, top, node)
    } else {
        walk(cluster, r, node)
    }
}

/// An OCF exit code's name as Pacemaker prints it ("not installed", ...).
pub fn ocf_exit_str(rc: i32) -> &'static str {
    match rc {
        0 => "ok",
        1 => "error",
        2 => "invalid parameter",
        3 => "unimplemented feature",
        4 => "insufficient privileges",
        5 => "not installed",
        6 => "not configured",
        7 => "not running",
        8 => "promoted",
        9 => "promoted (failed)",
        190 => "OCF_DEGRADED",
        191 => "promoted (degraded)",
        _ => "unknown",
    }
}

/// Whether the configuration's target-role stops the resource ("disabled").
/// The scheduler may lower `target_role` itself (on-fail=stop); the display
/// shows what the administrator configured.
fn configured_stopped(rsc: &Resource) -> bool {
    rsc.meta.get("target-role").and_then(|v| Role::parse(v)) == Some(Role::Stopped)
}
