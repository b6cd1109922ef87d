//! The XML renderer (`--output-as=xml`): Pacemaker's API result schema
//! (`api-result-2.25.rng`, crm_mon part), element and attribute names as
//! Pacemaker 2.1.5 writes them, so existing parsers read it unchanged.

use std::fmt::Write as _;

use crm_core::scheduler::cluster::{Cluster, NodeKind, Role, RscId, Variant};

use super::history::{self, printable_id};
use super::nodes::running_here;
use super::ocf::{exec_status_str, exit_str, parse_op_key};
use super::summary::{is_disabled, node_feature_set, Summary};
use super::{timefmt, Options, Status};

/// Escapes text for an attribute value.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("&#10;"),
            _ => out.push(ch),
        }
    }
    out
}

/// `<name a="v" .../>` (or an open tag when `open`), indented by `depth`.
fn tag(out: &mut String, depth: usize, name: &str, attrs: &[(&str, String)], open: bool) {
    let _ = write!(out, "{}<{name}", "  ".repeat(depth));
    for (k, v) in attrs {
        let _ = write!(out, " {k}=\"{}\"", esc(v));
    }
    out.push_str(if open { ">\n" } else { "/>\n" });
}

fn close(out: &mut String, depth: usize, name: &str) {
    let _ = writeln!(out, "{}</{name}>", "  ".repeat(depth));
}

fn b(v: bool) -> String {
    v.to_string()
}

fn summary(st: &Status, out: &mut String) {
    let s = Summary::new(st);
    let o = &st.cluster.options;
    out.push_str("  <summary>\n");
    tag(out, 2, "stack", &[("type", s.stack.clone())], false);
    match &s.dc {
        Some((name, id)) => tag(
            out,
            2,
            "current_dc",
            &[
                ("present", b(true)),
                ("version", s.dc_version.clone().unwrap_or_default()),
                ("name", name.clone()),
                ("id", id.clone()),
                ("with_quorum", b(s.with_quorum)),
                ("mixed_version", b(s.mixed_version)),
            ],
            false,
        ),
        None => tag(out, 2, "current_dc", &[("present", b(false))], false),
    }
    tag(out, 2, "last_update", &[("time", timefmt::ctime(st.now))], false);
    tag(
        out,
        2,
        "last_change",
        &[
            ("time", s.last_written.clone().unwrap_or_default()),
            ("user", s.user.clone().unwrap_or_default()),
            ("client", s.client.clone().unwrap_or_default()),
            ("origin", s.origin.clone().unwrap_or_default()),
        ],
        false,
    );
    tag(out, 2, "nodes_configured", &[("number", s.nodes.to_string())], false);
    tag(
        out,
        2,
        "resources_configured",
        &[
            ("number", s.instances.to_string()),
            ("disabled", s.disabled.to_string()),
            ("blocked", s.blocked.to_string()),
        ],
        false,
    );
    let nqp = o.raw.get("no-quorum-policy").cloned().unwrap_or_else(|| "stop".into());
    let stonith_timeout_ms = o
        .raw
        .get("stonith-timeout")
        .and_then(|v| crm_core::scheduler::rules::parse_interval_ms(v))
        .unwrap_or(60_000);
    tag(
        out,
        2,
        "cluster_options",
        &[
            ("stonith-enabled", b(o.stonith_enabled)),
            ("symmetric-cluster", b(o.symmetric_cluster)),
            ("no-quorum-policy", nqp),
            ("maintenance-mode", b(o.maintenance_mode)),
            ("stop-all-resources", b(o.stop_all_resources)),
            ("stonith-timeout-ms", stonith_timeout_ms.to_string()),
            ("priority-fencing-delay-ms", o.priority_fencing_delay_ms.to_string()),
        ],
        false,
    );
    out.push_str("  </summary>\n");
}

fn nodes(st: &Status, out: &mut String) {
    let c = &st.cluster;
    out.push_str("  <nodes>\n");
    for n in c.node_ids() {
        let node = c.node(n);
        let mut attrs = vec![
            ("name", node.name.clone()),
            ("id", node.id.clone()),
            ("online", b(node.online)),
            ("standby", b(node.standby)),
            ("standby_onfail", b(node.standby_onfail)),
            ("maintenance", b(node.maintenance)),
            ("pending", b(node.pending)),
            ("unclean", b(node.unclean)),
            (
                "health",
                match crm_core::display::node_health(c, node) {
                    h if h < 0 => "red",
                    0 => "yellow",
                    _ => "green",
                }
                .to_string(),
            ),
        ];
        if let Some(fs) = node_feature_set(c, n.0) {
            attrs.push(("feature_set", fs));
        }
        let is_dc = st.cib.dc_uuid.as_deref() == Some(node.id.as_str());
        attrs.extend([
            ("shutdown", b(node.shutdown)),
            ("expected_up", b(node.expected_up)),
            ("is_dc", b(is_dc)),
            ("resources_running", running_here(c, n).len().to_string()),
            (
                "type",
                match node.kind {
                    NodeKind::Member => "member",
                    NodeKind::Remote => "remote",
                    NodeKind::Ping => "ping",
                }
                .to_string(),
            ),
        ]);
        tag(out, 2, "node", &attrs, false);
    }
    out.push_str("  </nodes>\n");
}

/// The role a primitive is shown in: its pending action, or its role with
/// unpromoted instances of promotable clones named so.
fn display_role(c: &Cluster, r: RscId) -> &'static str {
    let rsc = c.rsc(r);
    let active = !rsc.running_on.is_empty();
    match (rsc.pending_task.as_deref(), active) {
        (Some("start"), _) => return "Starting",
        (Some("stop"), true) => return "Stopping",
        (Some("promote"), true) => return "Promoting",
        (Some("demote"), true) => return "Demoting",
        (Some("migrate_to" | "migrate_from"), true) => return "Migrating",
        _ => {}
    }
    if !active {
        return "Stopped";
    }
    if rsc.role == Role::Started && c.rsc(c.top_of(r)).promotable {
        return "Unpromoted";
    }
    rsc.role.name()
}

fn any_failed(c: &Cluster, r: RscId) -> bool {
    let rsc = c.rsc(r);
    if rsc.variant == Variant::Primitive {
        return rsc.failed && !rsc.running_on.is_empty();
    }
    rsc.children.iter().any(|&k| any_failed(c, k))
}

fn resource(st: &Status, r: RscId, depth: usize, out: &mut String) {
    let c = &st.cluster;
    let rsc = c.rsc(r);
    let target_role = rsc.meta.get("target-role").cloned();
    match rsc.variant {
        Variant::Primitive => {
            let mut attrs = vec![
                ("id", printable_id(c, r)),
                ("resource_agent", rsc.agent_spec()),
                ("role", display_role(c, r).to_string()),
            ];
            if let Some(t) = target_role {
                attrs.push(("target_role", t));
            }
            attrs.extend([
                ("active", b(!rsc.running_on.is_empty())),
                ("orphaned", b(rsc.orphan)),
                ("blocked", b(rsc.blocked)),
                ("managed", b(rsc.managed)),
                ("failed", b(rsc.failed && !rsc.running_on.is_empty())),
                ("failure_ignored", b(false)),
                ("nodes_running_on", rsc.running_on.len().to_string()),
            ]);
            if let Some(p) = &rsc.pending_task {
                attrs.push(("pending", p.clone()));
            }
            if rsc.running_on.is_empty() {
                tag(out, depth, "resource", &attrs, false);
                return;
            }
            tag(out, depth, "resource", &attrs, true);
            for &n in &rsc.running_on {
                let node = c.node(n);
                tag(
                    out,
                    depth + 1,
                    "node",
                    &[("name", node.name.clone()), ("id", node.id.clone()), ("cached", b(true))],
                    false,
                );
            }
            close(out, depth, "resource");
        }
        Variant::Group => {
            let attrs = [
                ("id", rsc.id.clone()),
                ("number_resources", rsc.children.len().to_string()),
                ("managed", b(rsc.managed)),
                ("disabled", b(is_disabled(c, r))),
            ];
            tag(out, depth, "group", &attrs, true);
            for &k in &rsc.children {
                resource(st, k, depth + 1, out);
            }
            close(out, depth, "group");
        }
        Variant::Clone => {
            let mut attrs = vec![
                ("id", rsc.id.clone()),
                ("multi_state", b(rsc.promotable)),
                ("unique", b(rsc.unique)),
                ("managed", b(rsc.managed)),
                ("disabled", b(is_disabled(c, r))),
                ("failed", b(any_failed(c, r))),
                ("failure_ignored", b(false)),
            ];
            if let Some(t) = target_role {
                attrs.push(("target_role", t));
            }
            tag(out, depth, "clone", &attrs, true);
            for &k in &rsc.children {
                let kid = c.rsc(k);
                // Inactive orphaned instances are history only.
                if kid.orphan && !super::nodes::is_active(c, k, false) {
                    continue;
                }
                resource(st, k, depth + 1, out);
            }
            close(out, depth, "clone");
        }
        Variant::Bundle => {
            let Some(info) = &rsc.bundle else { return };
            let attrs = [
                ("id", rsc.id.clone()),
                ("type", info.runtime.clone()),
                ("image", info.image.clone()),
                ("unique", b(rsc.unique)),
                ("managed", b(rsc.managed)),
                ("failed", b(any_failed(c, r))),
            ];
            tag(out, depth, "bundle", &attrs, true);
            for (i, rep) in info.replicas.iter().enumerate() {
                tag(out, depth + 1, "replica", &[("id", i.to_string())], true);
                for part in [rep.ip, rep.child, rep.container, rep.remote].into_iter().flatten() {
                    resource(st, part, depth + 2, out);
                }
                close(out, depth + 1, "replica");
            }
            close(out, depth, "bundle");
        }
    }
}

fn resources(st: &Status, out: &mut String) {
    let c = &st.cluster;
    out.push_str("  <resources>\n");
    for &r in &c.top {
        if c.rsc(r).orphan && !super::nodes::is_active(c, r, false) {
            continue;
        }
        resource(st, r, 2, out);
    }
    out.push_str("  </resources>\n");
}

fn node_attributes(st: &Status, out: &mut String) {
    let c = &st.cluster;
    let mut body = String::new();
    for n in c.node_ids() {
        let list = super::nodes::shown_attributes(c, n);
        if list.is_empty() {
            continue;
        }
        tag(&mut body, 2, "node", &[("name", c.node(n).name.clone())], true);
        for (name, value, expected) in list {
            let mut attrs = vec![("name", name), ("value", value)];
            if let Some(e) = expected {
                attrs.push(("expected", e.to_string()));
            }
            tag(&mut body, 3, "attribute", &attrs, false);
        }
        close(&mut body, 2, "node");
    }
    if !body.is_empty() {
        out.push_str("  <node_attributes>\n");
        out.push_str(&body);
        out.push_str("  </node_attributes>\n");
    }
}

fn node_history(st: &Status, opts: &Options, out: &mut String) {
    let c = &st.cluster;
    let hist = history::node_history(st, true);
    if hist.is_empty() {
        return;
    }
    if hist.iter().all(|nh| nh.resources.is_empty()) {
        out.push_str("  <node_history/>\n");
        return;
    }
    out.push_str("  <node_history>\n");
    for nh in &hist {
        if nh.resources.is_empty() {
            continue;
        }
        tag(out, 2, "node", &[("name", c.node(nh.node).name.clone())], true);
        for h in &nh.resources {
            let (id, threshold) = match h.rsc {
                Some(r) => (printable_id(c, r), c.rsc(r).migration_threshold),
                None => (h.lrm_id.clone(), 1_000_000),
            };
            let mut attrs =
                vec![("id", id), ("orphan", b(false)), ("migration-threshold", threshold.max(0).to_string())];
            if h.fail_count > 0 {
                attrs.push(("fail-count", h.fail_count.to_string()));
            }
            if h.last_failure > 0 {
                attrs.push(("last-failure", timefmt::ctime(h.last_failure)));
            }
            tag(out, 3, "resource_history", &attrs, true);
            for op in &h.ops {
                operation(op, opts, out);
            }
            close(out, 3, "resource_history");
        }
        close(out, 2, "node");
    }
    out.push_str("  </node_history>\n");
}

fn operation(op: &cib_schema::LrmRscOp, opts: &Options, out: &mut String) {
    let rc: i32 = op.rc_code_text().and_then(|v| v.trim().parse().ok()).unwrap_or(0).max(0);
    let interval = op.interval_text().unwrap_or("0");
    let task = if op.operation() == Some("monitor") && interval == "0" {
        "probe".to_string()
    } else {
        op.operation().map(str::to_string).unwrap_or_default()
    };
    let mut attrs = vec![
        ("call", op.call_id_text().map(str::to_string).unwrap_or_default()),
        ("task", task),
        ("rc", rc.to_string()),
        ("rc_text", exit_str(rc).to_string()),
    ];
    if interval != "0" {
        attrs.push(("interval", format!("{interval}ms")));
    }
    if opts.timing {
        if let Some(t) =
            op.last_rc_change_text().and_then(|v| v.trim().parse::<i64>().ok()).filter(|t| *t > 0)
        {
            attrs.push(("last-rc-change", timefmt::ctime(t)));
        }
        if let Some(v) = op.exec_time_text() {
            attrs.push(("exec-time", format!("{v}ms")));
        }
        if let Some(v) = op.queue_time_text() {
            attrs.push(("queue-time", format!("{v}ms")));
        }
    }
    tag(out, 4, "operation_history", &attrs, false);
}

fn failures(st: &Status, out: &mut String) {
    let failed = history::shown_failures(st);
    if failed.is_empty() {
        return;
    }
    out.push_str("  <failures>\n");
    for f in &failed {
        let op = f.op;
        let num = |v: Option<&str>| v.and_then(|s| s.trim().parse::<i64>().ok());
        let rc = num(op.rc_code_text()).unwrap_or(0);
        let status = num(op.op_status_text()).unwrap_or(0);
        let mut attrs = match op.operation_key() {
            Some(k) => vec![("op_key", k.to_string())],
            None => vec![("id", op.id().to_string())],
        };
        attrs.extend([
            ("node", f.node.clone()),
            ("exitstatus", exit_str(rc as i32).to_string()),
            (
                "exitreason",
                op.exit_reason()
                    .map(str::to_string)
                    .filter(|r| !r.is_empty())
                    .unwrap_or_else(|| "none".into()),
            ),
            ("exitcode", rc.max(0).to_string()),
            ("call", num(op.call_id_text()).unwrap_or(-1).to_string()),
            ("status", exec_status_str(status as i32).to_string()),
        ]);
        if let Some(t) = num(op.last_rc_change_text()) {
            let key = op.operation_key().unwrap_or(op.id());
            let (task, interval) = parse_op_key(key).map(|(_, t, i)| (t, i)).unwrap_or_default();
            attrs.extend([
                ("last-rc-change", timefmt::iso(t)),
                ("queued", num(op.queue_time_text()).unwrap_or(0).max(0).to_string()),
                ("exec", num(op.exec_time_text()).unwrap_or(0).max(0).to_string()),
                ("interval", interval.to_string()),
                ("task", task),
            ]);
        }
        tag(out, 2, "failure", &attrs, false);
    }
    out.push_str("  </failures>\n");
}

/// Negative location preferences ("bans"), in configuration order.
fn bans(st: &Status, out: &mut String) {
    let c = &st.cluster;
    let mut body = String::new();
    for &(r, i) in &c.location_order {
        let loc = &c.rsc(r).locations[i];
        for (n, score) in &loc.scores {
            if score.0 >= 0 {
                continue;
            }
            let promoted = loc.role == Some(Role::Promoted);
            tag(
                &mut body,
                2,
                "ban",
                &[
                    ("id", loc.id.clone()),
                    ("resource", c.rsc(r).id.clone()),
                    ("node", c.node(*n).name.clone()),
                    ("weight", score.0.max(-1_000_000).to_string()),
                    ("promoted-only", b(promoted)),
                    ("master_only", b(promoted)),
                ],
                false,
            );
        }
    }
    if !body.is_empty() {
        out.push_str("  <bans>\n");
        out.push_str(&body);
        out.push_str("  </bans>\n");
    }
}

/// The whole XML result.
pub fn render(st: &Status, opts: &Options, request: &str) -> String {
    let mut out = String::new();
    tag(
        &mut out,
        0,
        "pacemaker-result",
        &[("api-version", "2.25".into()), ("request", request.to_string())],
        true,
    );
    summary(st, &mut out);
    nodes(st, &mut out);
    resources(st, &mut out);
    node_attributes(st, &mut out);
    node_history(st, opts, &mut out);
    failures(st, &mut out);
    bans(st, &mut out);
    tag(&mut out, 1, "status", &[("code", "0".into()), ("message", "OK".into())], false);
    close(&mut out, 0, "pacemaker-result");
    out
}
