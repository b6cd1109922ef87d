//! Node-centred sections: resources grouped by node (`-n`), the inactive
//! resources that go with it, and node attributes (`-A`).

use std::fmt::Write as _;

use crm_core::display;
use crm_core::scheduler::cluster::{Cluster, NodeId, NodeKind, RscId, Variant};

use super::{Options, Status};

/// Whether all (or, with `all == false`, any) of a resource's primitives run.
pub fn is_active(c: &Cluster, r: RscId, all: bool) -> bool {
    let rsc = c.rsc(r);
    if rsc.variant == Variant::Primitive {
        // Running on a node that is down (and not to be fenced) does not
        // count for a managed resource.
        return rsc.running_on.iter().any(|&n| {
            let node = c.node(n);
            node.unclean || node.online || !rsc.managed
        });
    }
    if all {
        rsc.children.iter().all(|&k| is_active(c, k, true))
    } else {
        rsc.children.iter().any(|&k| is_active(c, k, false))
    }
}

/// A node's state in words, as the `-n` headers print it.
pub fn node_state_text(c: &Cluster, n: NodeId) -> &'static str {
    let node = c.node(n);
    let running = !running_here(c, n).is_empty();
    if node.unclean {
        if node.online {
            "UNCLEAN (online)"
        } else if node.pending {
            "UNCLEAN (pending)"
        } else {
            "UNCLEAN (offline)"
        }
    } else if node.pending {
        "pending"
    } else if node.standby_onfail && node.online {
        "standby (on-fail)"
    } else if node.standby {
        match (node.online, running) {
            (true, true) => "standby (with active resources)",
            (true, false) => "standby",
            _ => "OFFLINE (standby)",
        }
    } else if node.maintenance {
        if node.online {
            "maintenance"
        } else {
            "OFFLINE (maintenance)"
        }
    } else if node.online {
        "online"
    } else {
        "OFFLINE"
    }
}

/// The primitives active on a node, in configuration order.
pub fn running_here(c: &Cluster, n: NodeId) -> Vec<RscId> {
    c.primitives()
        .into_iter()
        .filter(|&r| c.rsc(r).running_on.contains(&n) && !is_bundle_connection(c, r))
        .collect()
}

/// A bundle replica's connection to its guest node: part of the bundle's
/// plumbing, never listed by node.
fn is_bundle_connection(c: &Cluster, r: RscId) -> bool {
    crm_core::scheduler::bundle::bundle_of(c, r)
        .and_then(|b| c.rsc(b).bundle.as_ref())
        .is_some_and(|info| info.replicas.iter().any(|rep| rep.remote == Some(r)))
}

/// Whether a history entry leaves its resource active on the node, judged by
/// its operations in call order: a successful stop or a "not running" result
/// ends activity, anything else that ran (even failing) starts or keeps it.
fn entry_active(lr: &cib_schema::LrmResource) -> bool {
    let num = |v: Option<&str>| v.and_then(|s| s.trim().parse::<i64>().ok());
    let mut ops: Vec<&cib_schema::LrmRscOp> = lr.ops.iter().collect();
    ops.sort_by_key(|o| {
        let call = num(o.call_id_text()).unwrap_or(-1);
        (call < 0, call)
    });
    let mut active = false;
    for op in ops {
        let task = op.operation().unwrap_or("");
        if matches!(task, "notify" | "meta-data" | "cancel") {
            continue;
        }
        let rc = num(op.rc_code_text()).unwrap_or(0);
        let status = num(op.op_status_text()).unwrap_or(0);
        if status == -1 || num(op.call_id_text()).unwrap_or(-1) < 0 {
            active |= matches!(task, "start" | "promote" | "migrate_from");
            continue;
        }
        if status == 1 {
            continue;
        }
        active = match task {
            "stop" => !(rc == 0 && status == 0),
            // "Not running" from a probe means inactive; from a recurring
            // monitor it is a failure of an active resource.
            "monitor" => rc != 7 || num(op.interval_text()).unwrap_or(0) > 0,
            _ => true,
        };
    }
    active
}

/// The node's running primitives in the order its status entries first show
/// them active (Pacemaker fills a node's list while reading the history).
fn running_in_history_order(st: &Status, n: NodeId) -> Vec<RscId> {
    let c = &st.cluster;
    let node_id = &c.node(n).id;
    // Connections to guest nodes (implicit, or a bundle's plumbing) are not
    // listed by node.
    let here: Vec<RscId> = running_here(c, n)
        .into_iter()
        .filter(|&r| !display::is_internal(c.rsc(r)) && !is_bundle_connection(c, r))
        .collect();
    let mut out: Vec<RscId> = Vec::new();
    let lrm = st
        .cib
        .status
        .iter()
        .flat_map(|s| s.nodes.iter())
        .find(|ns| ns.id.as_deref() == Some(node_id.as_str()))
        .and_then(|ns| ns.lrm.as_ref())
        .and_then(|l| l.resources.as_ref());
    for lr in lrm.iter().flat_map(|l| l.resources.iter()) {
        let unused = |r: &RscId| !out.contains(r);
        // A resource active here by another node's history (a migration's
        // target) keeps this entry's place even though the entry itself shows
        // no activity.
        let exact = here.iter().copied().filter(unused).find(|&r| c.rsc(r).id == lr.id());
        if exact.is_none() && !entry_active(lr) {
            continue;
        }
        if exact.is_some_and(|e| c.rsc(e).base_id.is_some()) && !entry_active(lr) {
            continue;
        }
        let base = lr.id().split(':').next().unwrap_or(lr.id());
        let found = exact.or_else(|| {
            here.iter()
                .copied()
                .filter(unused)
                .find(|&r| c.rsc(r).base_id.as_deref() == Some(base) && !c.rsc(c.top_of(r)).unique)
        });
        if let Some(r) = found {
            out.push(r);
        }
    }
    for r in here {
        if !out.contains(&r) {
            out.push(r);
        }
    }
    out
}

/// "Node List:" with each node's active resources under it (`-n`).
pub fn by_node(st: &Status, _opts: &Options) -> String {
    let c = &st.cluster;
    let mut s = String::from("Node List:\n");
    for n in c.node_ids() {
        let node = c.node(n);
        let kind = match node.kind {
            NodeKind::Remote if node.is_guest() => "GuestNode",
            NodeKind::Remote => "RemoteNode",
            _ => "Node",
        };
        let health = match display::node_health(c, node) {
            h if h < 0 => " (health is RED)",
            0 => " (health is YELLOW)",
            _ => "",
        };
        let _ = writeln!(s, "  * {kind} {}: {}{health}:", node.name, node_state_text(c, n));
        s.push_str("    * Resources:\n");
        for r in running_in_history_order(st, n) {
            let mut line = display::primitive_line_rsc_only(c, r);
            if let Some(desc) = description(st, r) {
                line.push(' ');
                line.push_str(&desc);
            }
            let _ = writeln!(s, "      * {line}");
        }
    }
    s
}

/// A primitive's configured description (shown after its state when it is
/// listed without its node).
fn description(st: &Status, r: RscId) -> Option<String> {
    let rsc = st.cluster.rsc(r);
    let id = rsc.base_id.as_deref().unwrap_or(&rsc.id);
    let cfg = st.cib.configuration.as_ref()?;
    let mut found = None;
    for item in cfg.resources.iter().flat_map(|r| r.items.iter()) {
        visit_primitives(item, &mut |p| {
            if p.id == id {
                found = p.description.clone();
            }
        });
    }
    found
}

fn visit_primitives(item: &cib_schema::Resource, f: &mut dyn FnMut(&cib_schema::Primitive)) {
    use cib_schema::Resource as R;
    match item {
        R::Primitive(p) => f(p),
        R::Group(g) => g.primitives.iter().for_each(&mut *f),
        R::Clone(cib_schema::Clone { child: Some(child), .. })
        | R::Master(cib_schema::Master { child: Some(child), .. }) => visit_primitives(child, f),
        _ => {}
    }
}

/// "Inactive Resources:" (with `-n -r`): resources not entirely active.
pub fn inactive_resources(st: &Status) -> String {
    let c = &st.cluster;
    let mut s = String::from("Inactive Resources:\n");
    let mut any = false;
    for &r in &c.top {
        let active = is_active(c, r, true);
        // Active ones were listed by node; inactive orphans are history only.
        if active || c.rsc(r).orphan {
            continue;
        }
        let before = s.len();
        display::resource_item(c, r, 2, &mut s);
        // Implicit resources print nothing.
        any |= s.len() > before;
    }
    if !any {
        s.push_str("  * No inactive resources\n");
    }
    s
}

/// Attributes that crm_mon never shows: fail counts, internal ones.
fn hidden_attribute(name: &str) -> bool {
    ["fail-count-", "last-failure-", "shutdown", "terminate", "standby", "#"]
        .iter()
        .any(|p| name.starts_with(p))
}

/// For a ping resource's attribute on a node: how many hosts it pings times its
/// multiplier, the score that means full connectivity.
fn ping_expectation(c: &Cluster, n: NodeId, attr: &str) -> Option<i64> {
    for r in running_here(c, n) {
        let rsc = c.rsc(r);
        if !matches!(rsc.agent.as_str(), "ping" | "pingd") {
            continue;
        }
        let name = rsc.params.get("name").map(String::as_str).unwrap_or("pingd");
        if !name.eq_ignore_ascii_case(attr) {
            continue;
        }
        let hosts = rsc.params.get("host_list").map(|h| h.split(' ').count() as i64).unwrap_or(0);
        let mult = rsc.params.get("multiplier").and_then(|m| m.trim().parse().ok()).unwrap_or(1);
        return Some(hosts * mult);
    }
    None
}

/// A node's attributes as crm_mon shows them, sorted by name: (name, value,
/// the expected value for a ping attribute).
pub fn shown_attributes(c: &Cluster, n: NodeId) -> Vec<(String, String, Option<i64>)> {
    let node = c.node(n);
    if !node.online {
        return Vec::new();
    }
    let mut names: Vec<&String> = node.attrs.keys().filter(|k| !hidden_attribute(k)).collect();
    names.sort();
    names.into_iter().map(|k| (k.clone(), node.attrs[k].clone(), ping_expectation(c, n, k))).collect()
}

/// The "Node Attributes" section (`-A`), if any online node has one to show.
pub fn attributes(st: &Status) -> Option<String> {
    let c = &st.cluster;
    let mut s = String::new();
    for n in c.node_ids() {
        let list = shown_attributes(c, n);
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(s, "  * Node: {}:", c.node(n).name);
        for (name, value, expected) in list {
            let mut line = format!("    * {name:<32}\t: {value:<10}");
            if let Some(expected) = expected {
                let v: i64 = value.trim().parse().unwrap_or(0);
                if v <= 0 {
                    line.push_str("\t: Connectivity is lost");
                } else if v < expected {
                    let _ = write!(line, "\t: Connectivity is degraded (Expected={expected})");
                }
            }
            s.push_str(&line);
            s.push('\n');
        }
    }
    (!s.is_empty()).then(|| format!("Node Attributes:\n{s}"))
}
