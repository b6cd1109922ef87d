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
        let mut s = String::new();
        display::resource_list(&st.cluster, &mut s);
        sections.push(outdent(&s));
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
