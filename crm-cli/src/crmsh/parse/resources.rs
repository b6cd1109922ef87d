//! primitive, rsc_template, group, clone, ms/master, bundle.

use super::{attr_set, kv, CrmError, Ctx, Cursor, Kind, Obj, MEMBER};
use crate::crmsh::ids::Ids;
use crate::crmsh::xml::Node;

const PRIMITIVE_KW: &[&str] = &["params", "meta", "utilization", "op", "operations", "op_params", "op_meta"];

/// Attributes that belong on `<op>` itself; everything else given on an op line
/// (OCF_CHECK_LEVEL, bare words) goes to the op's instance_attributes.
const OP_ATTRS: &[&str] = &[
    "id",
    "name",
    "interval",
    "description",
    "start-delay",
    "interval-origin",
    "timeout",
    "enabled",
    "record-pending",
    "role",
    "on-fail",
];

/// `class:provider:type`, `class:type` or `type` (= `ocf:heartbeat:type`).
pub fn agent_attrs(spec: &str) -> Vec<(&'static str, String)> {
    let parts: Vec<&str> = spec.splitn(3, ':').collect();
    match parts.as_slice() {
        [t] => vec![("class", "ocf".into()), ("provider", "heartbeat".into()), ("type", t.to_string())],
        [c, t] => vec![("class", c.to_string()), ("type", t.to_string())],
        [c, p, t] => vec![("class", c.to_string()), ("provider", p.to_string()), ("type", t.to_string())],
        _ => vec![],
    }
}

pub fn primitive(c: &mut Cursor, ids: &mut Ids, ctx: &Ctx) -> Result<Obj, CrmError> {
    let template = c.kind == "rsc_template";
    let id = c.ident(ctx.session)?;
    ids.claim(&id);
    let mut p = Node::new(if template { "template" } else { "primitive" }).with("id", &id);
    let agent = c.expect("resource agent")?;
    if let Some(t) = agent.strip_prefix('@') {
        p.set("template", t);
    } else {
        if agent.contains('=') || agent.ends_with(':') {
            c.pos -= 1;
            return Err(c.err("Expected resource agent"));
        }
        for (k, v) in agent_attrs(agent) {
            p.set(k, &v);
        }
    }
    // Position of <operations> among the children, once it exists.
    let mut ops_idx: Option<usize> = None;
    let mut ops_prefix = id.clone();
    while let Some(t) = c.advance() {
        match t {
            "params" => p.children.push(attr_set(
                c,
                ids,
                "instance_attributes",
                &format!("{id}-instance_attributes"),
                PRIMITIVE_KW,
            )?),
            "meta" => p.children.push(attr_set(
                c,
                ids,
                "meta_attributes",
                &format!("{id}-meta_attributes"),
                PRIMITIVE_KW,
            )?),
            "utilization" => {
                p.children.push(attr_set(c, ids, "utilization", &format!("{id}-utilization"), PRIMITIVE_KW)?)
            }
            "operations" => {
                let i = *ops_idx.get_or_insert_with(|| {
                    p.children.push(Node::new("operations"));
                    p.children.len() - 1
                });
                while let Some(t) = c.peek() {
                    if let Some(v) = t.strip_prefix("$id=") {
                        ids.claim(v);
                        p.children[i].set("id", v);
                        ops_prefix = v.to_string();
                    } else if let Some(v) = t.strip_prefix("$id-ref=") {
                        p.children[i].set("id-ref", v);
                    } else {
                        break;
                    }
                    c.advance();
                }
            }
            "op" => {
                let i = *ops_idx.get_or_insert_with(|| {
                    p.children.push(Node::new("operations"));
                    p.children.len() - 1
                });
                let op = op(c, ids, &ops_prefix)?;
                p.children[i].children.push(op);
            }
            "op_params" | "op_meta" => {
                let elem = if t == "op_params" { "instance_attributes" } else { "meta_attributes" };
                let last = ops_idx.and_then(|i| p.children[i].children.last_mut());
                let Some(last) = last else {
                    c.pos -= 1;
                    return Err(c.err("op_params/op_meta without an op"));
                };
                let base = format!("{}-{elem}", last.id());
                let set = attr_set(c, ids, elem, &base, PRIMITIVE_KW)?;
                last.children.push(set);
            }
            _ => match kv(t) {
                Some(("description", v)) => p.set("description", v),
                _ => {
                    c.pos -= 1;
                    return Err(c.err("Unknown keyword"));
                }
            },
        }
    }
    Ok(Obj { kind: if template { Kind::Template } else { Kind::Primitive }, id, node: p, line: 0 })
}

/// `op ACTION [name=value|word]...` after the word `op`.
fn op(c: &mut Cursor, ids: &mut Ids, prefix: &str) -> Result<Node, CrmError> {
    let action = c.expect("operation name")?;
    let mut op = Node::new("op").with("name", action);
    let mut extra: Vec<(String, Option<String>)> = Vec::new();
    while let Some(t) = c.peek() {
        if super::PRIMITIVE_STOP.contains(&t) {
            break;
        }
        c.advance();
        match kv(t) {
            Some((k, v)) if OP_ATTRS.contains(&k) => op.set(k, v),
            Some((k, v)) => extra.push((k.to_string(), Some(v.to_string()))),
            None => extra.push((t.to_string(), None)),
        }
    }
    let interval = match op.get("interval") {
        Some(i) => i.to_string(),
        None => {
            op.set("interval", "0");
            "0".to_string()
        }
    };
    let id = match op.get("id") {
        Some(id) => {
            let id = id.to_string();
            ids.claim(&id);
            op.unset("id");
            id
        }
        None => ids.fresh(&format!("{prefix}-{action}-{interval}")),
    };
    op.set("id", &id);
    if !extra.is_empty() {
        let sid = ids.fresh(&format!("{id}-instance_attributes"));
        let mut set = Node::new("instance_attributes").with("id", &sid);
        for (k, v) in extra {
            let nid = ids.fresh(&format!("{sid}-{k}"));
            let mut nv = Node::new("nvpair").with("name", &k);
            if let Some(v) = v {
                nv.set("value", &v);
            }
            nv.set("id", &nid);
            set.children.push(nv);
        }
        op.children.push(set);
    }
    Ok(op)
}

const CONTAINER_KW: &[&str] = &["params", "meta"];

fn container_tail(c: &mut Cursor, ids: &mut Ids, n: &mut Node, id: &str) -> Result<(), CrmError> {
    while let Some(t) = c.advance() {
        match t {
            "params" => n.children.push(attr_set(
                c,
                ids,
                "instance_attributes",
                &format!("{id}-instance_attributes"),
                CONTAINER_KW,
            )?),
            "meta" => n.children.push(attr_set(
                c,
                ids,
                "meta_attributes",
                &format!("{id}-meta_attributes"),
                CONTAINER_KW,
            )?),
            _ => match kv(t) {
                Some(("description", v)) => n.set("description", v),
                _ => {
                    c.pos -= 1;
                    return Err(c.err("Unknown keyword"));
                }
            },
        }
    }
    Ok(())
}

fn member(id: &str) -> Node {
    Node::new(MEMBER).with("id", id)
}

pub fn group(c: &mut Cursor, ids: &mut Ids, ctx: &Ctx) -> Result<Obj, CrmError> {
    let id = c.ident(ctx.session)?;
    ids.claim(&id);
    let mut g = Node::new("group").with("id", &id);
    let mut members = Vec::new();
    while let Some(t) = c.peek() {
        if CONTAINER_KW.contains(&t) || t.contains('=') {
            break;
        }
        if t == id {
            return Err(c.err("A group cannot contain itself"));
        }
        c.advance();
        members.push(member(t));
    }
    if members.is_empty() {
        return Err(c.err("Expected group members"));
    }
    container_tail(c, ids, &mut g, &id)?;
    g.children.extend(members);
    Ok(Obj { kind: Kind::Group, id, node: g, line: 0 })
}

pub fn clone(c: &mut Cursor, ids: &mut Ids, ctx: &Ctx) -> Result<Obj, CrmError> {
    let master = c.kind != "clone";
    let id = c.ident(ctx.session)?;
    ids.claim(&id);
    let mut n = Node::new(if master { "master" } else { "clone" }).with("id", &id);
    let child = c.expect("resource to clone")?;
    if child == id {
        c.pos -= 1;
        return Err(c.err("A clone cannot contain itself"));
    }
    container_tail(c, ids, &mut n, &id)?;
    n.children.push(member(child));
    Ok(Obj { kind: if master { Kind::Master } else { Kind::Clone }, id, node: n, line: 0 })
}

const BUNDLE_KW: &[&str] = &["docker", "rkt", "podman", "network", "storage", "primitive", "meta", "params"];

pub fn bundle(c: &mut Cursor, ids: &mut Ids, ctx: &Ctx) -> Result<Obj, CrmError> {
    let id = c.ident(ctx.session)?;
    ids.claim(&id);
    let mut b = Node::new("bundle").with("id", &id);
    while let Some(t) = c.advance() {
        match t {
            "docker" | "rkt" | "podman" => {
                let mut e = Node::new(t);
                while let Some((k, v)) = c.peek().and_then(kv) {
                    e.set(k, v);
                    c.advance();
                }
                b.children.push(e);
            }
            "network" | "storage" => {
                let mut e = Node::new(t);
                let sub_name = if t == "network" { "port-mapping" } else { "storage-mapping" };
                while let Some(w) = c.peek() {
                    if BUNDLE_KW.contains(&w) {
                        break;
                    }
                    c.advance();
                    if w == sub_name {
                        let mut sub = Node::new(sub_name);
                        while let Some((k, v)) = c.peek().and_then(kv) {
                            sub.set(k, v);
                            c.advance();
                        }
                        e.children.push(sub);
                    } else if let Some((k, v)) = kv(w) {
                        e.set(k, v);
                    } else {
                        c.pos -= 1;
                        return Err(c.err("Unknown keyword"));
                    }
                }
                b.children.push(e);
            }
            "primitive" => {
                let child = c.expect("primitive id")?;
                b.children.push(member(child));
            }
            "meta" => b.children.push(attr_set(
                c,
                ids,
                "meta_attributes",
                &format!("{id}-meta_attributes"),
                BUNDLE_KW,
            )?),
            "params" => b.children.push(attr_set(
                c,
                ids,
                "instance_attributes",
                &format!("{id}-instance_attributes"),
                BUNDLE_KW,
            )?),
            _ => match kv(t) {
                Some(("description", v)) => b.set("description", v),
                _ => {
                    c.pos -= 1;
                    return Err(c.err("Unknown keyword"));
                }
            },
        }
    }
    Ok(Obj { kind: Kind::Bundle, id, node: b, line: 0 })
}
