//! What `crm_simulate` does, separated from argument parsing: apply the requested
//! events to the CIB, schedule, print the sections, and simulate the transition
//! by recording each action's result in the status section and re-reading it.

use anyhow::{bail, Result};
use cib_schema::Cib;
use crm_core::scheduler::{self, cluster::Cluster, Transition};
use crm_core::{display, inject};

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub run: bool,
    pub simulate: bool,
    pub show_scores: bool,
    pub quiet: bool,
    pub node_up: Vec<String>,
    pub node_down: Vec<String>,
    pub node_fail: Vec<String>,
    pub op_inject: Vec<String>,
    pub quorum: Option<String>,
    pub now: Option<i64>,
    /// Also render the transition graph (`-G`) and its dot form (`-D`).
    pub graph: bool,
    /// The caller is a process about to end, with no further use for the
    /// CIB's status section: without simulation it is released once unpacked
    /// ([`crate::memory::release`]: on large clusters it is most of the
    /// memory; in a small process it is left to the exit).
    pub release_status: bool,
}

pub struct Output {
    pub text: String,
    /// The CIB after the simulated transition (`None` when nothing was
    /// simulated: the input is unchanged but for the requested events).
    pub after: Option<Cib>,
    pub graph_xml: String,
    pub dot: String,
    /// The transition computed (with `run`, `simulate` or `show_scores`),
    /// handed out rather than dropped here, so that a caller about to end
    /// can leave it to the exit.
    pub transition: Option<Transition>,
}

/// `rsc_task_interval@node=rc`
fn parse_opspec(spec: &str) -> Result<(String, String, u64, String, i32)> {
    let Some((key, rest)) = spec.split_once('@') else {
        bail!("invalid operation spec '{spec}': expected rsc_task_interval@node=rc")
    };
    let Some((node, rc)) = rest.rsplit_once('=') else {
        bail!("invalid operation spec '{spec}': missing =rc")
    };
    let rc: i32 = rc.parse().map_err(|_| anyhow::anyhow!("invalid return code in '{spec}'"))?;
    let mut parts = key.rsplitn(3, '_');
    let (Some(interval), Some(task), Some(rsc)) = (parts.next(), parts.next(), parts.next()) else {
        bail!("invalid operation key in '{spec}': expected rsc_task_interval");
    };
    let interval: u64 = interval.parse().map_err(|_| anyhow::anyhow!("invalid interval in '{spec}'"))?;
    Ok((rsc.to_string(), task.to_string(), interval, node.to_string(), rc))
}

fn now_of(cib: &Cib, opts: &Options, wall: i64) -> i64 {
    opts.now.or_else(|| cib.execution_date.as_deref().and_then(|d| d.parse().ok())).unwrap_or(wall)
}

/// The configuration of the document `head` begins, unpacked ahead of its
/// status section, for [`run_configured`] (see [`cib_schema::parse_observed`]).
pub fn configure(head: &Cib, opts: &Options, wall: i64) -> Option<scheduler::unpack::Configured> {
    let cfg = head.configuration.as_ref()?;
    Some(scheduler::unpack::configure(cfg, now_of(head, opts, wall)))
}

pub fn run(cib: &mut Cib, opts: &Options, wall: i64) -> Result<Output> {
    run_configured(cib, opts, wall, None)
}

/// [`run`], starting from `configured`: the configuration of the same
/// document, unpacked already (it serves the first unpacking, if that is of
/// the document as read and at the same time).
pub fn run_configured(
    cib: &mut Cib,
    opts: &Options,
    wall: i64,
    configured: Option<scheduler::unpack::Configured>,
) -> Result<Output> {
    let now = now_of(cib, opts, wall);
    let mut configured = configured.filter(|c| c.now() == now);
    // The first unpacking starts from what was unpacked ahead, if anything.
    let unpack = |configured: &mut Option<scheduler::unpack::Configured>, cib: &Cib| match configured.take() {
        Some(c) => c.with_status(cib),
        None => scheduler::unpack::unpack(cib, now),
    };
    let mut text = String::new();
    if cib.validate_with.as_deref().is_some_and(|v| v.eq_ignore_ascii_case("none")) {
        eprintln!(
            "Schema validation of configuration is disabled (enabling is encouraged and prevents common misconfigurations)"
        );
    }

    let original_date = match (opts.now, cib.execution_date.as_deref().and_then(|d| d.parse::<i64>().ok())) {
        (None, Some(d)) => Some(format_date(d)),
        _ => None,
    };
    if let Some(d) = &original_date {
        text.push_str(&format!("Using the original execution date of: {d}\n"));
    }
    let mut unpacked = None;
    if !opts.quiet {
        let before = unpack(&mut configured, cib);
        let mut printed = false;
        if before.options.maintenance_mode {
            text.push_str("\n              *** Resource management is DISABLED ***\n");
            text.push_str("  The cluster will not attempt to start, stop or recover services\n");
            printed = true;
        }
        let (total, disabled, blocked) = instance_counts(&before);
        if disabled > 0 || blocked > 0 {
            if printed {
                text.push('\n');
            }
            text.push_str(&format!(
                "{disabled} of {total} resource instances DISABLED and {blocked} BLOCKED from further action due to failure\n"
            ));
            printed = true;
        }
        if printed {
            text.push('\n');
        }
        text.push_str("Current cluster status:\n");
        text.push_str(&display::cluster_status(&before));
        text.push('\n');
        unpacked = Some(before);
    }

    let modifications = apply_modifications(cib, opts, now)?;
    if !modifications.is_empty() {
        unpacked = None;
        // What was unpacked ahead is of the document before the changes.
        configured = None;
    }
    if !modifications.is_empty() && !opts.quiet {
        text.push_str("Performing Requested Modifications:\n");
        for m in &modifications {
            text.push_str(&format!("  * {m}\n"));
        }
        text.push('\n');
    }

    let mut after = None;
    let mut computed = None;
    let mut graph_xml = String::new();
    let mut dot = String::new();
    if opts.run || opts.simulate || opts.show_scores {
        let started = std::time::Instant::now();
        let cluster = unpacked.take().unwrap_or_else(|| unpack(&mut configured, cib));
        if opts.release_status && !opts.simulate {
            crate::memory::release(cib.status.take());
        }
        tracing::debug!("unpacked ({})", crate::memory::usage());
        let transition = scheduler::schedule_cluster(cluster, opts.show_scores);
        tracing::debug!("scheduled in {:?} ({})", started.elapsed(), crate::memory::usage());
        if let Some(log) = transition.cluster.score_log.as_ref().filter(|_| opts.show_scores) {
            text.push_str("Allocation scores:\n");
            for l in log {
                text.push_str(l);
                text.push('\n');
            }
            text.push('\n');
        }
        if opts.run || opts.simulate {
            text.push_str("Transition Summary:\n");
            for l in scheduler::summary::transition_summary(&transition.cluster, &transition.actions) {
                text.push_str(&l);
                text.push('\n');
            }
        }
        if opts.graph {
            graph_xml = graph_xml_of(&transition);
            dot = dot_of(&transition);
        }
        if opts.simulate {
            text.push_str("\nExecuting Cluster Transition:\n");
            for l in transition.execution_lines() {
                text.push_str(&l);
                text.push('\n');
            }
            if let Some(d) = &original_date {
                text.push_str(&format!("Using the original execution date of: {d}\n"));
            }
            let mut simulated = cib.clone();
            record_results(&mut simulated, &transition, now);
            let mut revised = scheduler::unpack::unpack(&simulated, now);
            // Pacemaker shows the revised status without pending actions
            // (a start still in flight shows as the role it leads to).
            for r in revised.resources.iter_mut() {
                r.pending_task = None;
            }
            after = Some(simulated);
            if !opts.quiet {
                text.push_str("\nRevised Cluster Status:\n");
                text.push_str(&display::cluster_status(&revised));
            }
        }
        computed = Some(transition);
    }
    Ok(Output { text, after, graph_xml, dot, transition: computed })
}

/// `YYYY-MM-DD HH:MM:SSZ`, as Pacemaker prints times.
fn format_date(ts: i64) -> String {
    let (y, mo, d, h, mi, s) = crm_core::scheduler::rules::civil_from_ts(ts);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}Z")
}

/// (instances, disabled, blocked) over every primitive instance, as the
/// "N of M resource instances DISABLED" line counts them.
fn instance_counts(c: &Cluster) -> (usize, usize, usize) {
    use crm_core::scheduler::cluster::{Role, Variant};
    let mut out = (0, 0, 0);
    for (i, r) in c.resources.iter().enumerate() {
        if r.variant != Variant::Primitive || (r.orphan && r.running_on.is_empty()) {
            continue;
        }
        out.0 += 1;
        let promotable = c.rsc(c.top_of(crm_core::scheduler::cluster::RscId(i))).promotable;
        // Disabled by configuration (target-role), not by the scheduler's own
        // decisions such as on-fail=stop.
        let configured = r.meta.get("target-role").and_then(|v| Role::parse(v));
        if configured == Some(Role::Stopped) || (promotable && configured == Some(Role::Unpromoted)) {
            out.1 += 1;
        }
        if r.blocked {
            out.2 += 1;
        }
    }
    out
}

fn apply_modifications(cib: &mut Cib, opts: &Options, now: i64) -> Result<Vec<String>> {
    let mut done = Vec::new();
    if let Some(q) = &opts.quorum {
        let yes = matches!(q.as_str(), "1" | "true" | "yes");
        cib.have_quorum = Some(if yes { "1" } else { "0" }.into());
        done.push(format!("Setting quorum: {q}"));
    }
    for n in &opts.node_up {
        inject::node_up(cib, n);
        done.push(format!("Bringing node {n} online"));
    }
    for n in &opts.node_down {
        inject::node_down(cib, n);
        done.push(format!("Taking node {n} offline"));
    }
    for n in &opts.node_fail {
        inject::node_fail(cib, n);
        done.push(format!("Failing node {n}"));
    }
    // (Finding the highest call id reads every recorded operation: only when needed.)
    let mut call = if opts.op_inject.is_empty() { 0 } else { inject::max_call_id(cib) };
    for spec in &opts.op_inject {
        let (rsc, task, interval, node, rc) = parse_opspec(spec)?;
        call += 1;
        inject::record_op(cib, &node, &rsc, &task, interval, rc, call, now);
        done.push(format!("Injecting {rsc}_{task}_{interval} on {node}"));
    }
    Ok(done)
}

/// Records every executed action's expected result, as the simulator's
/// "executor" would report it.
fn record_results(cib: &mut Cib, t: &Transition, now: i64) {
    let mut call = inject::max_call_id(cib);
    let c: &Cluster = &t.cluster;
    for i in t.execution_order() {
        let a = &t.actions.actions[i];
        let Some(n) = a.node else { continue };
        let node = c.node(n).name.clone();
        if a.task == "stonith" {
            // Unfencing ("on") leaves the node as it is.
            if a.fence_type.as_deref() != Some("on") {
                inject::node_fenced(cib, &node);
            }
            continue;
        }
        let Some(r) = a.rsc else { continue };
        if a.pseudo {
            continue;
        }
        let rsc = c.rsc(r);
        // Anonymous clone instances are recorded under their configured name.
        let hist_id = c.action_name(r, Some(n)).to_string();
        match a.task.as_str() {
            // As Pacemaker's simulation: a clean-up is shown, not applied to
            // the history; a cancelled monitor gets a record of the cancel
            // beside its own (which stays).
            "delete" | "lrm_delete" => continue,
            // Notification results are not recorded in the history.
            "reload-agent" | "notify" | "clear_failcount" => continue,
            _ => {}
        }
        let rc = if a.is_probe || a.stopped_role {
            7
        } else if a.task == "monitor" && rsc.next_role == crm_core::scheduler::cluster::Role::Promoted {
            8
        } else {
            0
        };
        call += 1;
        inject::record_op(cib, &node, &hist_id, &a.task, a.interval_ms, rc, call, now);
        if let Some(d) = op_digest(rsc, &a.task, a.interval_ms) {
            inject::set_op_digest(cib, &node, &hist_id, &a.task, a.interval_ms, &d);
        }
    }
}

/// The digest the controller would record for this operation: the resource's
/// parameters with the start operation's own (or, for a recurring monitor, its
/// own parameters and timeout).
fn op_digest(rsc: &crm_core::scheduler::cluster::Resource, task: &str, interval_ms: u64) -> Option<String> {
    use crm_core::scheduler::digest;
    if interval_ms > 0 {
        let def = rsc.ops.iter().find(|o| o.name == task && o.interval_ms == interval_ms)?;
        return Some(digest::recurring_digest(rsc, def).to_string());
    }
    if !matches!(task, "start" | "monitor" | "promote" | "migrate_from") {
        return None;
    }
    Some(digest::start_digest(rsc).to_string())
}

/// The transition graph in Pacemaker's XML form (synapses with their inputs).
fn graph_xml_of(t: &Transition) -> String {
    let mut s = String::from("<transition_graph cluster-delay=\"60s\" stonith-timeout=\"60s\" failed-stop-offset=\"INFINITY\" failed-start-offset=\"INFINITY\" transition_id=\"0\">\n");
    for (sid, &n) in t.synapses.iter().enumerate() {
        let a = t.graph[n];
        s.push_str(&format!(
            "  <synapse id=\"{sid}\">\n    <action_set>\n      {}\n    </action_set>\n",
            action_xml(t, a)
        ));
        let inputs: Vec<_> =
            t.graph.neighbors_directed(n, petgraph::Direction::Incoming).map(|p| t.graph[p]).collect();
        if inputs.is_empty() {
            s.push_str("    <inputs/>\n");
        } else {
            s.push_str("    <inputs>\n");
            let mut inputs = inputs;
            inputs.sort_unstable();
            for i in inputs {
                s.push_str(&format!("      <trigger>\n        {}\n      </trigger>\n", action_xml(t, i)));
            }
            s.push_str("    </inputs>\n");
        }
        s.push_str("  </synapse>\n");
    }
    s.push_str("</transition_graph>\n");
    s
}

fn action_xml(t: &Transition, i: usize) -> String {
    let a = &t.actions.actions[i];
    let node = a.node.map(|n| t.cluster.node(n).name.clone()).unwrap_or_default();
    let key = a.rsc.map(|r| a.key(&t.cluster.rsc(r).id)).unwrap_or_else(|| a.task.clone());
    let elem = if a.task == "stonith" || a.task == "do_shutdown" {
        "crm_event"
    } else if a.pseudo {
        "pseudo_event"
    } else {
        "rsc_op"
    };
    format!(
        "<{elem} id=\"{}\" operation=\"{}\" operation_key=\"{}\" on_node=\"{}\"/>",
        a.id, a.task, key, node
    )
}

fn dot_of(t: &Transition) -> String {
    let label = |i: usize| {
        let a = &t.actions.actions[i];
        let node = a.node.map(|n| t.cluster.node(n).name.clone()).unwrap_or_default();
        let key = a.rsc.map(|r| a.key(&t.cluster.rsc(r).id)).unwrap_or_else(|| a.task.clone());
        if node.is_empty() {
            key
        } else {
            format!("{key} {node}")
        }
    };
    let mut s = String::from(" digraph \"g\" {\n");
    for &n in &t.synapses {
        s.push_str(&format!("\"{}\" [ style=bold color=\"green\" fontcolor=\"black\"]\n", label(t.graph[n])));
    }
    for e in t.graph.edge_indices() {
        let (f, to) = t.graph.edge_endpoints(e).unwrap();
        s.push_str(&format!("\"{}\" -> \"{}\" [ style = bold]\n", label(t.graph[f]), label(t.graph[to])));
    }
    s.push_str("}\n");
    s
}
