//! The text renderer: `crm_mon -1` section by section, each section separated
//! from the previous one by a blank line, as Pacemaker's text formatter does.

use std::fmt::Write as _;

use crm_core::display;

use super::summary::Summary;
use super::{history, nodes, timefmt, Options, Status};

/// Re-indents a section printed by `crm_core::display` (which nests it under
/// crm_simulate's "Current cluster status:") to crm_mon's top level.
fn outdent(s: &str) -> String {
    let mut lines = s.lines();
    let head = lines.next().unwrap_or_default();
    let mut out = format!("{}\n", head.trim_start().trim_start_matches("* "));
    for l in lines {
        out.push_str(l.strip_prefix("  ").unwrap_or(l));
        out.push('\n');
    }
    out
}

fn summary(st: &Status, out: &mut String) {
    let s = Summary::new(st);
    out.push_str("Cluster Summary:\n");
    let _ = writeln!(out, "  * Stack: {}", s.stack);
    match &s.dc {
        Some((name, _)) => {
            let _ = writeln!(
                out,
                "  * Current DC: {} (version {}) - {}partition {} quorum",
                name,
                s.dc_version.as_deref().unwrap_or("unknown"),
                if s.mixed_version { "MIXED-VERSION " } else { "" },
                if s.with_quorum { "with" } else { "WITHOUT" }
            );
        }
        None => out.push_str("  * Current DC: NONE\n"),
    }
    let _ = writeln!(out, "  * Last updated: {}", timefmt::ctime(st.now));
    let _ = writeln!(out, "  * Last change:  {}", s.last_change());
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let _ = writeln!(out, "  * {} node{} configured", s.nodes, plural(s.nodes));
    let mut counts = format!("  * {} resource instance{} configured", s.instances, plural(s.instances));
    match (s.disabled, s.blocked) {
        (0, 0) => {}
        (d, 0) => {
            let _ = write!(counts, " ({d} DISABLED)");
        }
        (0, b) => {
            let _ = write!(counts, " ({b} BLOCKED from further action due to failure)");
        }
        (d, b) => {
            let _ = write!(counts, " ({d} DISABLED, {b} BLOCKED from further action due to failure)");
        }
    }
    out.push_str(&counts);
    out.push('\n');
    let opts = &st.cluster.options;
    if opts.maintenance_mode {
        out.push_str("\n              *** Resource management is DISABLED ***\n");
        out.push_str("  The cluster will not attempt to start, stop or recover services\n");
    } else if opts.stop_all_resources {
        out.push_str("\n    *** Resource management is DISABLED ***\n");
        out.push_str("  The cluster will keep all resources stopped\n");
    }
}

/// "Active Resources:" (without `-r`): resources at least partly active, and
/// clones without their list of stopped instances.
fn active_resources(st: &Status) -> String {
    let c = &st.cluster;
    let mut out = String::from("Active Resources:\n");
    let mut any = false;
    for &r in &c.top {
        if !nodes::is_active(c, r, false) {
            continue;
        }
        let mut item = String::new();
        display::resource_item(c, r, 2, &mut item);
        out.push_str(&hide_inactive(&item));
        any = true;
    }
    if !any {
        out.push_str("  * No active resources\n");
    }
    out
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// Drops what only `-r` shows from a resource's full listing: clones' lists of
/// stopped instances and groups' stopped members, which the group's header
/// counts instead ("(2 members inactive)").
fn hide_inactive(item: &str) -> String {
    let lines: Vec<&str> = item.lines().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let t = line.trim_start();
        i += 1;
        if t.starts_with("* Stopped") && t.ends_with(" ]") && !t.contains('\t') {
            continue;
        }
        let Some(head) = t.strip_prefix("* Resource Group: ") else {
            out.push_str(line);
            out.push('\n');
            continue;
        };
        let depth = indent_of(line);
        let mut members = Vec::new();
        while i < lines.len() && indent_of(lines[i]) > depth {
            members.push(lines[i]);
            i += 1;
        }
        let stopped = |m: &str| m.contains(":\t Stopped") || m.contains(":\t ORPHANED Stopped");
        let inactive = members.iter().filter(|m| stopped(m)).count();
        let head = head.strip_suffix(':').unwrap_or(head);
        let (id, flags) = match head.split_once(" (") {
            Some((id, f)) => (id, f.strip_suffix(')').unwrap_or(f).split(", ").collect::<Vec<_>>()),
            None => (head, Vec::new()),
        };
        let count = format!("{inactive} member{} inactive", if inactive == 1 { "" } else { "s" });
        let mut all: Vec<&str> = Vec::new();
        if inactive > 0 {
            all.push(&count);
        }
        all.extend(flags);
        let flags = if all.is_empty() { String::new() } else { format!(" ({})", all.join(", ")) };
        out.push_str(&format!("{}* Resource Group: {id}{flags}:\n", &line[..depth]));
        for m in members {
            if !stopped(m) {
                out.push_str(m);
                out.push('\n');
            }
        }
    }
    out
}

/// The whole one-shot text output.
pub fn render(st: &Status, opts: &Options) -> String {
    let mut sections: Vec<String> = Vec::new();
    let mut head = String::new();
    summary(st, &mut head);
    sections.push(head);
    if opts.group_by_node {
        sections.push(nodes::by_node(st, opts));
        if opts.inactive {
            sections.push(nodes::inactive_resources(st));
        }
    } else {
        let mut s = String::new();
        display::node_list(&st.cluster, &mut s);
        sections.push(outdent(&s));
        if opts.inactive {
            let mut s = String::new();
            display::resource_list(&st.cluster, &mut s);
            sections.push(outdent(&s));
        } else {
            sections.push(active_resources(st));
        }
    }
    if opts.attributes {
        sections.extend(nodes::attributes(st));
    }
    if opts.operations || opts.failcounts {
        sections.extend(history::node_summary(st, opts));
    }
    sections.extend(history::failed_actions(st));
    sections.join("\n")
}
