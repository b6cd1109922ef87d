//! `crm resource`: what `crm_resource` does to the CIB (CIB_file or the cluster):
//! target-role and friends as meta attributes, `cli-prefer-`/`cli-ban-`
//! location constraints for move/ban, status history for cleanup.

use super::attrs;
use super::error::CrmError;
use super::ids::Ids;
use super::parse::Kind;
use super::session::{info, ConfigSession};
use super::xml::Node;
use crate::cibio::CibSource;

fn open(cib: &CibSource) -> Result<ConfigSession, CrmError> {
    ConfigSession::open(cib.clone(), true)
}

fn find_rsc<'a>(n: &'a mut Node, id: &str) -> Option<&'a mut Node> {
    if n.get("id") == Some(id) && Kind::of_element(&n.name).is_some_and(Kind::is_resource) {
        return Some(n);
    }
    n.children.iter_mut().find_map(|c| find_rsc(c, id))
}

/// Runs `f` on the resource element and writes the CIB.
fn edit_rsc(
    cib: &CibSource,
    rsc: &str,
    f: impl FnOnce(&mut Node, &mut Ids) -> Result<(), CrmError>,
) -> Result<(), CrmError> {
    let mut s = open(cib)?;
    let mut ids = Ids::from_cib(&s.cib.root);
    let res = s.cib.section_mut("resources");
    let el = find_rsc(res, rsc).ok_or_else(|| CrmError::Other(format!("resource {rsc} does not exist")))?;
    f(el, &mut ids)?;
    s.write_now()
}

fn set_meta(cib: &CibSource, rsc: &str, name: &str, value: &str) -> Result<(), CrmError> {
    edit_rsc(cib, rsc, |el, ids| {
        let sid = format!("{rsc}-meta_attributes");
        attrs::set(el, ids, "meta_attributes", &sid, name, value);
        Ok(())
    })
}

/// Promoted/Unpromoted on schemas that know them (pacemaker-3.7+), else Master/Slave.
fn role_names(s: &ConfigSession) -> (&'static str, &'static str) {
    let v = s.cib.root.get("validate-with").unwrap_or("");
    let new = v
        .strip_prefix("pacemaker-")
        .and_then(|x| x.split_once('.'))
        .and_then(|(a, b)| Some((a.parse::<u32>().ok()?, b.parse::<u32>().ok()?)))
        .is_some_and(|(a, b)| a > 3 || (a == 3 && b >= 7));
    if new {
        ("Promoted", "Unpromoted")
    } else {
        ("Master", "Slave")
    }
}

fn arg<'a>(args: &'a [String], i: usize, what: &str) -> Result<&'a str, CrmError> {
    args.get(i).map(String::as_str).ok_or_else(|| CrmError::Other(format!("{}: missing {what}", args[0])))
}

pub fn run(cib: &CibSource, args: &[String]) -> Result<(), CrmError> {
    let Some(cmd) = args.first().map(String::as_str) else { return Ok(()) };
    match cmd {
        "start" | "stop" => {
            for rsc in &args[1..] {
                set_meta(cib, rsc, "target-role", if cmd == "start" { "Started" } else { "Stopped" })?;
            }
            if args.len() < 2 {
                return Err(CrmError::Other(format!("{cmd}: missing resource")));
            }
            Ok(())
        }
        "restart" => {
            let rsc = arg(args, 1, "resource")?;
            info(&format!("ordering {rsc} to stop"));
            set_meta(cib, rsc, "target-role", "Stopped")?;
            info(&format!("ordering {rsc} to start"));
            set_meta(cib, rsc, "target-role", "Started")
        }
        "promote" | "demote" => {
            let rsc = arg(args, 1, "resource")?;
            let (p, u) = role_names(&open(cib)?);
            set_meta(cib, rsc, "target-role", if cmd == "promote" { p } else { u })
        }
        "manage" | "unmanage" => {
            let rsc = arg(args, 1, "resource")?;
            set_meta(cib, rsc, "is-managed", if cmd == "manage" { "true" } else { "false" })
        }
        "maintenance" => {
            let rsc = arg(args, 1, "resource")?;
            let on = !matches!(args.get(2).map(String::as_str), Some("off" | "false"));
            set_meta(cib, rsc, "maintenance", if on { "true" } else { "false" })
        }
        "move" | "migrate" | "ban" => {
            let rsc = arg(args, 1, "resource")?;
            let node = args.get(2).map(String::as_str).filter(|n| !matches!(*n, "force" | "lifetime"));
            let mut s = open(cib)?;
            if s.cib.find_resource(rsc).is_none() {
                return Err(CrmError::Other(format!("resource {rsc} does not exist")));
            }
            // Without a node, `move` moves away from where the resource runs
            // (a ban there), as crm_resource --move does; `ban` bans it here.
            let (node, ban) = match node {
                Some(n) => (n.to_string(), cmd == "ban"),
                None if cmd == "ban" => (local_node(), true),
                None => match running_on(&s, rsc).as_slice() {
                    [(n, _)] => (n.clone(), true),
                    on => {
                        return Err(CrmError::Other(format!(
                            "Resource '{rsc}' not moved: active in {} locations; give a node",
                            on.len()
                        )))
                    }
                },
            };
            let (id, score) = if ban {
                (format!("cli-ban-{rsc}-on-{node}"), "-INFINITY")
            } else {
                (format!("cli-prefer-{rsc}"), "INFINITY")
            };
            let con = s.cib.section_mut("constraints");
            con.children.retain(|c| c.get("id") != Some(id.as_str()));
            con.children.push(
                Node::new("rsc_location")
                    .with("id", &id)
                    .with("rsc", rsc)
                    .with("role", "Started")
                    .with("node", &node)
                    .with("score", score),
            );
            if ban {
                info(&format!("Resource '{rsc}' not allowed to run on '{node}' (use 'crm resource clear {rsc}' to undo)"));
            } else {
                info(&format!("Move constraint created for {rsc} to {node}"));
            }
            s.write_now()
        }
        "clear" | "unmove" | "unmigrate" | "unban" => {
            let rsc = arg(args, 1, "resource")?;
            let mut s = open(cib)?;
            let prefer = format!("cli-prefer-{rsc}");
            let ban = format!("cli-ban-{rsc}-on-");
            let con = s.cib.section_mut("constraints");
            let before = con.children.len();
            con.children.retain(|c| !(c.id() == prefer || c.id().starts_with(&ban)));
            if con.children.len() != before {
                info(&format!("Removed migration constraints for {rsc}"));
            }
            s.write_now()
        }
        "cleanup" | "refresh" => {
            let rsc = args.get(1).cloned();
            let mut s = open(cib)?;
            if let Some(status) = s.cib.root.child_mut("status") {
                for ns in status.children.iter_mut() {
                    let uname = ns.get("uname").unwrap_or("").to_string();
                    ns.walk_mut(&mut |n| {
                        if n.name == "lrm_resources" {
                            n.children.retain(|r| {
                                let hit = rsc
                                    .as_deref()
                                    .is_none_or(|x| r.id() == x || r.id().starts_with(&format!("{x}:")));
                                if hit {
                                    info(&format!("Cleaned up {} on {uname}", r.id()));
                                }
                                !hit
                            });
                        }
                        if n.name == "instance_attributes" {
                            n.children.retain(|nv| {
                                let name = nv.get("name").unwrap_or("");
                                let failure =
                                    name.starts_with("fail-count-") || name.starts_with("last-failure-");
                                !(failure && rsc.as_deref().is_none_or(|x| name.contains(x)))
                            });
                        }
                    });
                }
            }
            s.write_now()
        }
        "param" | "meta" | "utilization" => {
            let rsc = arg(args, 1, "resource")?;
            let op = arg(args, 2, "set|get|delete|show")?;
            let name = arg(args, 3, "name")?;
            let set = match cmd {
                "param" => "instance_attributes",
                "meta" => "meta_attributes",
                _ => "utilization",
            };
            match op {
                "set" => {
                    let value = arg(args, 4, "value")?;
                    edit_rsc(cib, rsc, |el, ids| {
                        attrs::set(el, ids, set, &format!("{rsc}-{set}"), name, value);
                        Ok(())
                    })
                }
                "delete" => edit_rsc(cib, rsc, |el, _| {
                    if attrs::delete(el, set, name) {
                        Ok(())
                    } else {
                        Err(CrmError::Other(format!("{rsc}: no attribute {name}")))
                    }
                }),
                "get" | "show" => {
                    let s = open(cib)?;
                    let el = s
                        .cib
                        .find_resource(rsc)
                        .ok_or_else(|| CrmError::Other(format!("resource {rsc} does not exist")))?;
                    match attrs::get(el, set, name) {
                        Some(v) => {
                            println!("{v}");
                            Ok(())
                        }
                        None => Err(CrmError::Other(format!("{rsc}: no attribute {name}"))),
                    }
                }
                _ => Err(CrmError::Other(format!("{cmd}: unknown operation {op}"))),
            }
        }
        "failcount" => {
            let rsc = arg(args, 1, "resource")?;
            let op = arg(args, 2, "set|delete|show")?;
            let node = arg(args, 3, "node")?;
            let name = format!("fail-count-{rsc}");
            let mut s = open(cib)?;
            match op {
                "show" => {
                    let v = status_attr(&s, node, &name).unwrap_or_else(|| "0".into());
                    println!("scope=status  name={name} value={v}");
                    Ok(())
                }
                "set" | "delete" => {
                    let value = if op == "set" { Some(arg(args, 4, "value")?) } else { None };
                    set_status_attr(&mut s, node, &name, value)?;
                    s.write_now()
                }
                _ => Err(CrmError::Other(format!("failcount: unknown operation {op}"))),
            }
        }
        "status" | "show" | "list" | "locate" => {
            let s = open(cib)?;
            let only = args.get(1).map(String::as_str);
            if cmd == "locate" || (cmd == "status" && only.is_some()) {
                let rsc = arg(args, 1, "resource")?;
                if s.cib.find_resource(rsc).is_none() {
                    return Err(CrmError::Other(format!("resource {rsc} does not exist")));
                }
                let nodes = running_on(&s, rsc);
                if nodes.is_empty() {
                    println!("resource {rsc} is NOT running");
                } else {
                    let list: Vec<String> = nodes
                        .iter()
                        .map(|(n, r)| if r == "Promoted" { format!("{n} Promoted") } else { n.clone() })
                        .collect();
                    println!("resource {rsc} is running on: {}", list.join(" "));
                }
                return Ok(());
            }
            if let Some(r) = s.cib.section("resources") {
                for c in r.elements() {
                    print_rsc(&s, c, 1);
                }
            }
            Ok(())
        }
        "help" => {
            println!("Available commands: {}", super::interactive::RESOURCE_COMMANDS.join(" "));
            Ok(())
        }
        _ => Err(CrmError::Other(format!("resource: unknown command {cmd}"))),
    }
}

fn print_rsc(s: &ConfigSession, n: &Node, depth: usize) {
    let pad = "  ".repeat(depth);
    match n.name.as_str() {
        "primitive" => {
            let agent = super::agents::Agent::of_primitive(n).map(|a| a.to_string()).unwrap_or_default();
            let on = running_on(s, n.id());
            let state = if on.is_empty() {
                "Stopped".to_string()
            } else {
                on.iter().map(|(node, role)| format!("{role} {node}")).collect::<Vec<_>>().join(", ")
            };
            println!("{pad}* {}\t({agent}):\t {state}", n.id());
        }
        "group" | "clone" | "master" | "bundle" => {
            let word = match n.name.as_str() {
                "group" => "Resource Group",
                "bundle" => "Container bundle",
                _ => "Clone Set",
            };
            println!("{pad}* {word}: {}:", n.id());
            for c in n.elements().filter(|c| Kind::of_element(&c.name).is_some()) {
                print_rsc(s, c, depth + 1);
            }
        }
        _ => {}
    }
}

/// Where the status section says the resource is active, with its role.
pub fn running_on(s: &ConfigSession, rsc: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Some(status) = s.cib.root.child("status") else { return out };
    for ns in status.elements().filter(|n| n.name == "node_state") {
        let node = ns.get("uname").unwrap_or(ns.id()).to_string();
        let mut last: Option<(i64, String, String)> = None;
        ns.walk(&mut |n| {
            if n.name != "lrm_resource" || !(n.id() == rsc || n.id().starts_with(&format!("{rsc}:"))) {
                return;
            }
            for op in n.elements().filter(|o| o.name == "lrm_rsc_op") {
                let call: i64 = op.get("call-id").and_then(|c| c.parse().ok()).unwrap_or(-1);
                if last.as_ref().is_none_or(|(c, _, _)| call > *c) {
                    last = Some((
                        call,
                        op.get("operation").unwrap_or("").to_string(),
                        op.get("rc-code").unwrap_or("").to_string(),
                    ));
                }
            }
        });
        if let Some((_, op, rc)) = last {
            match (op.as_str(), rc.as_str()) {
                ("stop", _) | (_, "7") => {}
                (_, "8") => out.push((node, "Promoted".into())),
                (_, "0") if op != "demote" => out.push((node, "Started".into())),
                (_, "0") => out.push((node, "Unpromoted".into())),
                _ => {}
            }
        }
    }
    out
}

/// This node's name (the executor's, else the host name), as crm_attribute finds it.
pub fn local_node() -> String {
    crate::nodeattr::local_node_name()
}

fn node_state<'a>(status: &'a mut Node, node: &str) -> Option<&'a mut Node> {
    status
        .children
        .iter_mut()
        .find(|n| n.name == "node_state" && (n.get("uname") == Some(node) || n.id() == node))
}

pub fn status_attr(s: &ConfigSession, node: &str, name: &str) -> Option<String> {
    let status = s.cib.root.child("status")?;
    let ns = status
        .elements()
        .find(|n| n.name == "node_state" && (n.get("uname") == Some(node) || n.id() == node))?;
    let ta = ns.child("transient_attributes")?;
    attrs::get(ta, "instance_attributes", name).map(str::to_string)
}

/// Sets (or with `None` deletes) a transient node attribute in the status section.
pub fn set_status_attr(
    s: &mut ConfigSession,
    node: &str,
    name: &str,
    value: Option<&str>,
) -> Result<(), CrmError> {
    let node_id = s
        .cib
        .section("nodes")
        .and_then(|ns| ns.elements().find(|n| n.get("uname") == Some(node) || n.id() == node))
        .map(|n| n.id().to_string())
        .ok_or_else(|| CrmError::Other(format!("node {node} does not exist")))?;
    let mut ids = Ids::from_cib(&s.cib.root);
    if s.cib.root.child("status").is_none() {
        s.cib.root.children.push(Node::new("status"));
    }
    let status = s.cib.root.child_mut("status").expect("just ensured");
    if node_state(status, node).is_none() {
        status.children.push(Node::new("node_state").with("id", &node_id).with("uname", node));
    }
    let ns = node_state(status, node).expect("just ensured");
    if ns.child("transient_attributes").is_none() {
        ns.children.push(Node::new("transient_attributes").with("id", &node_id));
    }
    let ta = ns.child_mut("transient_attributes").expect("just ensured");
    match value {
        Some(v) => attrs::set(ta, &mut ids, "instance_attributes", &format!("status-{node_id}"), name, v),
        None => {
            attrs::delete(ta, "instance_attributes", name);
        }
    }
    Ok(())
}
