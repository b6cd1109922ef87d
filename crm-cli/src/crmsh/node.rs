//! `crm node`: node attributes as `crm_attribute` sets them (permanent ones in
//! `<nodes>`, transient ones in the status section), on CIB_file or the cluster.

use super::attrs;
use super::error::CrmError;
use super::ids::Ids;
use super::resource::{local_node, set_status_attr, status_attr};
use super::session::ConfigSession;
use super::show::q;
use super::xml::Node;
use crate::cibio::CibSource;

fn open(cib: &CibSource) -> Result<ConfigSession, CrmError> {
    ConfigSession::open(cib.clone(), true)
}

fn find_node<'a>(s: &'a mut ConfigSession, node: &str) -> Result<&'a mut Node, CrmError> {
    s.cib
        .section_mut("nodes")
        .children
        .iter_mut()
        .find(|n| n.name == "node" && (n.get("uname") == Some(node) || n.id() == node))
        .ok_or_else(|| CrmError::Other(format!("node {node} does not exist")))
}

/// Sets a permanent node attribute (`<nodes>`), like `crm_attribute --node`.
fn set_node_attr(
    cib: &CibSource,
    node: &str,
    set: &str,
    name: &str,
    value: Option<&str>,
) -> Result<(), CrmError> {
    let mut s = open(cib)?;
    let mut ids = Ids::from_cib(&s.cib.root);
    let n = find_node(&mut s, node)?;
    let prefix = if set == "utilization" { "nodes-utilization" } else { "nodes" };
    let sid = format!("{prefix}-{}", n.id());
    match value {
        Some(v) => attrs::set(n, &mut ids, set, &sid, name, v),
        None => {
            if !attrs::delete(n, set, name) {
                return Err(CrmError::Other(format!("node {node}: no attribute {name}")));
            }
        }
    }
    s.write_now()
}

fn arg<'a>(args: &'a [String], i: usize, what: &str) -> Result<&'a str, CrmError> {
    args.get(i).map(String::as_str).ok_or_else(|| CrmError::Other(format!("{}: missing {what}", args[0])))
}

pub fn run(cib: &CibSource, args: &[String]) -> Result<(), CrmError> {
    let Some(cmd) = args.first().map(String::as_str) else { return Ok(()) };
    let node_or_local = || args.get(1).cloned().unwrap_or_else(local_node);
    match cmd {
        "standby" | "online" => {
            let node = node_or_local();
            let value = if cmd == "standby" { "on" } else { "off" };
            match args.get(2).map(String::as_str) {
                Some("reboot") => {
                    let mut s = open(cib)?;
                    set_status_attr(&mut s, &node, "standby", Some(value))?;
                    s.write_now()
                }
                _ => set_node_attr(cib, &node, "instance_attributes", "standby", Some(value)),
            }
        }
        "maintenance" | "ready" => {
            let node = node_or_local();
            let on = cmd == "maintenance" && !matches!(args.get(2).map(String::as_str), Some("off"));
            set_node_attr(
                cib,
                &node,
                "instance_attributes",
                "maintenance",
                Some(if on { "on" } else { "off" }),
            )
        }
        "attribute" | "utilization" | "status-attr" => {
            let node = arg(args, 1, "node")?;
            let op = arg(args, 2, "set|delete|show")?;
            let name = arg(args, 3, "name")?;
            let set = if cmd == "utilization" { "utilization" } else { "instance_attributes" };
            match (cmd, op) {
                ("status-attr", "set") => {
                    let mut s = open(cib)?;
                    set_status_attr(&mut s, node, name, Some(arg(args, 4, "value")?))?;
                    s.write_now()
                }
                ("status-attr", "delete") => {
                    let mut s = open(cib)?;
                    set_status_attr(&mut s, node, name, None)?;
                    s.write_now()
                }
                ("status-attr", "show" | "get") => {
                    let s = open(cib)?;
                    match status_attr(&s, node, name) {
                        Some(v) => println!("scope=status  name={name} value={v}"),
                        None => return Err(CrmError::Other(format!("node {node}: no attribute {name}"))),
                    }
                    Ok(())
                }
                (_, "set") => set_node_attr(cib, node, set, name, Some(arg(args, 4, "value")?)),
                (_, "delete") => set_node_attr(cib, node, set, name, None),
                (_, "show" | "get") => {
                    let mut s = open(cib)?;
                    let n = find_node(&mut s, node)?;
                    match attrs::get(n, set, name) {
                        Some(v) => println!("scope=nodes  name={name} value={v}"),
                        None => return Err(CrmError::Other(format!("node {node}: no attribute {name}"))),
                    }
                    Ok(())
                }
                _ => Err(CrmError::Other(format!("{cmd}: unknown operation {op}"))),
            }
        }
        "list" | "show" | "status" => {
            let s = open(cib)?;
            let only = args.get(1).map(String::as_str);
            if let Some(ns) = s.cib.section("nodes") {
                for n in ns.elements().filter(|n| n.name == "node") {
                    let uname = n.get("uname").unwrap_or(n.id());
                    if only.is_some_and(|o| o != uname) {
                        continue;
                    }
                    println!("{uname}({}): {}", n.id(), n.get("type").unwrap_or("member"));
                    if cmd == "list" {
                        continue;
                    }
                    for set in n.elements() {
                        let label = if set.name == "utilization" { "utilization: " } else { "" };
                        for nv in set.elements().filter(|e| e.name == "nvpair") {
                            println!(
                                "\t{label}{}={}",
                                nv.get("name").unwrap_or(""),
                                q(nv.get("value").unwrap_or(""))
                            );
                        }
                    }
                }
            }
            Ok(())
        }
        "delete" | "clearstate" => {
            let node = arg(args, 1, "node")?.to_string();
            let mut s = open(cib)?;
            let id = find_node(&mut s, &node)?.id().to_string();
            if cmd == "delete" {
                s.cib.section_mut("nodes").children.retain(|n| n.id() != id);
            }
            if let Some(st) = s.cib.root.child_mut("status") {
                st.children.retain(|n| {
                    !(n.name == "node_state" && (n.id() == id || n.get("uname") == Some(node.as_str())))
                });
            }
            s.write_now()
        }
        "help" => {
            println!("Available commands: {}", super::interactive::NODE_COMMANDS.join(" "));
            Ok(())
        }
        _ => Err(CrmError::Other(format!("node: unknown command {cmd}"))),
    }
}
