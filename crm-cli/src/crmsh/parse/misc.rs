//! node, property/rsc_defaults/op_defaults, tag, fencing_topology, ACLs, alert.

use super::{attr_set, attr_set_id, is_score, kv, CrmError, Ctx, Cursor, Kind, Obj};
use crate::crmsh::ids::Ids;
use crate::crmsh::xml::Node;

const NODE_KW: &[&str] = &["attributes", "utilization"];

pub fn node(c: &mut Cursor, ids: &mut Ids) -> Result<Obj, CrmError> {
    let mut explicit_id = None;
    if let Some(v) = c.peek().and_then(|t| t.strip_prefix("$id=")) {
        c.advance();
        explicit_id = Some(v.to_string());
    } else if let Some(t) = c.peek().filter(|t| is_score(t)) {
        c.advance();
        explicit_id = Some(t[..t.len() - 1].to_string());
    }
    let t = c.expect("node name")?;
    let (uname, typ) = match t.split_once(':') {
        Some((u, ty)) => (u, Some(ty)),
        None => (t, None),
    };
    if !super::valid_id(uname) {
        c.pos -= 1;
        return Err(c.err("Expected node name"));
    }
    let id = explicit_id.unwrap_or_else(|| uname.to_string());
    ids.claim(&id);
    let mut n = Node::new("node").with("id", &id).with("uname", uname);
    if let Some(ty) = typ {
        n.set("type", ty);
    }
    while let Some(t) = c.advance() {
        match t {
            "attributes" => n.children.push(attr_set(
                c,
                ids,
                "instance_attributes",
                &format!("{uname}-instance_attributes"),
                NODE_KW,
            )?),
            "utilization" => {
                n.children.push(attr_set(c, ids, "utilization", &format!("{uname}-utilization"), NODE_KW)?)
            }
            _ => match kv(t) {
                Some(("description", v)) => n.set("description", v),
                _ => {
                    c.pos -= 1;
                    return Err(c.err("Unknown keyword"));
                }
            },
        }
    }
    Ok(Obj { kind: Kind::Node, id, node: n, line: 0 })
}

/// `property`, `rsc_defaults`, `op_defaults`: one attribute set each, with the
/// well-known default ids.
pub fn defaults(c: &mut Cursor, ids: &mut Ids) -> Result<Obj, CrmError> {
    let (kind, elem, default_id) = match c.kind.as_str() {
        "property" => (Kind::Property, "cluster_property_set", "cib-bootstrap-options"),
        "rsc_defaults" => (Kind::RscDefaults, "meta_attributes", "rsc-options"),
        _ => (Kind::OpDefaults, "meta_attributes", "op-options"),
    };
    let mut id = default_id.to_string();
    if let Some(v) = c.peek().and_then(|t| t.strip_prefix("$id=")) {
        c.advance();
        id = v.to_string();
    } else if let Some(t) = c.peek().filter(|t| is_score(t)) {
        c.advance();
        id = t[..t.len() - 1].to_string();
    }
    ids.claim(&id);
    // An empty set is allowed: `show` prints the empty sets a CIB may hold.
    let set = attr_set_id(c, ids, elem, &id, Some(&id), &[])?;
    Ok(Obj { kind, id, node: set, line: 0 })
}

pub fn tag(c: &mut Cursor, ids: &mut Ids) -> Result<Obj, CrmError> {
    let t = c.expect("tag name")?;
    let id = t.strip_suffix(':').unwrap_or(t).to_string();
    if !super::valid_id(&id) {
        c.pos -= 1;
        return Err(c.err("Expected identifier"));
    }
    ids.claim(&id);
    let mut n = Node::new("tag").with("id", &id);
    while let Some(r) = c.advance() {
        n.children.push(Node::new("obj_ref").with("id", r));
    }
    if n.children.is_empty() {
        return Err(c.err("Expected references"));
    }
    Ok(Obj { kind: Kind::Tag, id, node: n, line: 0 })
}

/// A fencing level's target attributes (`target`, or `target-attribute` and
/// `target-value`, or `target-pattern`).
type Target = Vec<(&'static str, String)>;

/// `fencing_topology [TARGET: dev[,dev]...]...`; without targets every level
/// applies to each node already in the CIB.
pub fn fencing(c: &mut Cursor, ids: &mut Ids, ctx: &Ctx) -> Result<Obj, CrmError> {
    let mut ft = Node::new("fencing-topology");
    let mut target: Option<Target> = None;
    let mut index = 0;
    let mut untargeted = Vec::new();
    let mut levels: Vec<(Target, usize, String)> = Vec::new();
    while let Some(t) = c.advance() {
        if let Some(rest) = t.strip_prefix("attr:") {
            let (k, v) = kv(rest).ok_or_else(|| c.err("Expected attr:NAME=VALUE"))?;
            target = Some(vec![("target-attribute", k.to_string()), ("target-value", v.to_string())]);
            index = 0;
        } else if let Some(rest) = t.strip_prefix("pattern:") {
            target = Some(vec![("target-pattern", rest.to_string())]);
            index = 0;
        } else if let Some(node) = t.strip_suffix(':') {
            target = Some(vec![("target", node.to_string())]);
            index = 0;
        } else {
            match &target {
                Some(tg) => {
                    index += 1;
                    levels.push((tg.clone(), index, t.to_string()));
                }
                None => untargeted.push(t.to_string()),
            }
        }
    }
    for node in &ctx.nodes {
        for (i, devs) in untargeted.iter().enumerate() {
            levels.push((vec![("target", node.clone())], i + 1, devs.clone()));
        }
    }
    for (tg, idx, devs) in levels {
        let mut l = Node::new("fencing-level");
        let plain = tg.len() == 1 && tg[0].0 == "target";
        if plain {
            l.set("target", &tg[0].1);
        }
        l.set("index", &idx.to_string());
        l.set("devices", &devs);
        if !plain {
            for (k, v) in &tg {
                l.set(k, v);
            }
        }
        let id = ids.fresh("fencing");
        l.set("id", &id);
        ft.children.push(l);
    }
    Ok(Obj { kind: Kind::Fencing, id: "fencing-topology".into(), node: ft, line: 0 })
}

/// crmsh's ACL shortcuts: `NAME:arg:arg` -> an xpath built from fragments.
fn acl_shortcut(spec: &str) -> Option<String> {
    let mut parts = spec.split(':');
    let name = parts.next()?;
    let args: Vec<&str> = parts.collect();
    let frags: &[&str] = match name {
        "status" => &["/cib/status"],
        "cib" => &["/cib"],
        "property" => &["//crm_config/cluster_property_set", "[@id='@@']"],
        "meta" => &["//primitive[@id='@@']/meta_attributes", "/nvpair[@name='@@']"],
        "params" => &["//primitive[@id='@@']/instance_attributes", "/nvpair[@name='@@']"],
        "utilization" => &["//primitive[@id='@@']/utilization"],
        "location" => &["//rsc_location[@id='cli-prefer-@@' and @rsc='@@']"],
        "nodeattr" => &["//nodes/node/instance_attributes", "/nvpair[@name='@@']"],
        "nodeutil" => &["//nodes/node/utilization", "[@id='@@']"],
        "node" => &["//nodes/node", "[@uname='@@']"],
        _ => return None,
    };
    let mut out = String::new();
    let mut args = args.into_iter();
    for (i, f) in frags.iter().enumerate() {
        if f.contains("@@") {
            if i > 0 && args.len() == 0 {
                break;
            }
            let mut s = f.to_string();
            while s.contains("@@") {
                let a = args.next().unwrap_or("");
                s = s.replacen("@@", a, 1);
            }
            out.push_str(&s);
        } else {
            out.push_str(f);
        }
    }
    Some(out)
}

pub fn role(c: &mut Cursor, ids: &mut Ids) -> Result<Obj, CrmError> {
    let id = c.ident(false)?;
    ids.claim(&id);
    let mut r = Node::new("acl_role").with("id", &id);
    let mut cur: Option<Node> = None;
    while let Some(t) = c.advance() {
        match t {
            "read" | "write" | "deny" => {
                if let Some(p) = cur.take() {
                    r.children.push(p);
                }
                cur = Some(Node::new("acl_permission").with("kind", t));
            }
            _ if cur.is_none() && t.starts_with("description=") => r.set("description", &t[12..]),
            _ => {
                let Some(p) = cur.as_mut() else {
                    c.pos -= 1;
                    return Err(c.err("Expected read, write or deny"));
                };
                if let Some(v) = t.strip_prefix("xpath:") {
                    p.set("xpath", v);
                } else if let Some(v) = t.strip_prefix("ref:") {
                    p.set("reference", v);
                } else if let Some(v) = t.strip_prefix("tag:").or_else(|| t.strip_prefix("type:")) {
                    p.set("object-type", v);
                } else if let Some(v) = t.strip_prefix("attr:").or_else(|| t.strip_prefix("attribute:")) {
                    p.set("attribute", v);
                } else if let Some(x) = acl_shortcut(t) {
                    p.set("xpath", &x);
                } else {
                    c.pos -= 1;
                    return Err(c.err("Unknown ACL specification"));
                }
            }
        }
    }
    if let Some(p) = cur.take() {
        r.children.push(p);
    }
    for p in &mut r.children {
        let pid = ids.fresh(&id);
        p.set("id", &pid);
    }
    Ok(Obj { kind: Kind::Role, id, node: r, line: 0 })
}

pub fn acl_target(c: &mut Cursor, ids: &mut Ids) -> Result<Obj, CrmError> {
    let elem = if c.kind == "acl_group" { "acl_group" } else { "acl_target" };
    let id = c.ident(false)?;
    ids.claim(&id);
    let mut n = Node::new(elem).with("id", &id);
    while let Some(t) = c.advance() {
        let role = t.strip_prefix("role:").unwrap_or(t);
        n.children.push(Node::new("role").with("id", role));
    }
    Ok(Obj { kind: Kind::AclTarget, id, node: n, line: 0 })
}

const ALERT_KW: &[&str] = &["attributes", "meta", "select", "to", "}"];

pub fn alert(c: &mut Cursor, ids: &mut Ids) -> Result<Obj, CrmError> {
    let id = c.ident(false)?;
    ids.claim(&id);
    let path = c.expect("alert path")?;
    let mut a = Node::new("alert").with("id", &id).with("path", path);
    let mut recipients = 0;
    while let Some(t) = c.advance() {
        match t {
            "attributes" => a.children.push(attr_set(
                c,
                ids,
                "instance_attributes",
                &format!("{id}-instance_attributes"),
                ALERT_KW,
            )?),
            "meta" => a.children.push(attr_set(
                c,
                ids,
                "meta_attributes",
                &format!("{id}-meta_attributes"),
                ALERT_KW,
            )?),
            "select" => {
                let mut sel = Node::new("select");
                while let Some(w) = c.peek() {
                    match w {
                        "fencing" | "nodes" | "resources" => {
                            sel.children.push(Node::new(&format!("select_{w}")))
                        }
                        "attributes" => {
                            let mut sa = Node::new("select_attributes");
                            if c.peek_at(1) == Some("{") {
                                c.advance();
                                while let Some(n) = c.peek_at(1) {
                                    c.advance();
                                    if n == "}" {
                                        break;
                                    }
                                    let aid = ids.fresh(&id);
                                    sa.children.push(Node::new("attribute").with("name", n).with("id", &aid));
                                }
                            }
                            sel.children.push(sa);
                        }
                        _ => break,
                    }
                    c.advance();
                }
                a.children.push(sel);
            }
            "to" => {
                let braced = c.peek() == Some("{");
                if braced {
                    c.advance();
                }
                let value = c.expect("recipient")?;
                recipients += 1;
                let rid = ids.fresh(&format!("{id}-recipient-{recipients}"));
                let mut r = Node::new("recipient").with("id", &rid).with("value", value);
                while let Some(w) = c.peek() {
                    match w {
                        "attributes" => {
                            c.advance();
                            r.children.push(attr_set(
                                c,
                                ids,
                                "instance_attributes",
                                &format!("{rid}-instance_attributes"),
                                ALERT_KW,
                            )?);
                        }
                        "meta" => {
                            c.advance();
                            r.children.push(attr_set(
                                c,
                                ids,
                                "meta_attributes",
                                &format!("{rid}-meta_attributes"),
                                ALERT_KW,
                            )?);
                        }
                        "}" if braced => {
                            c.advance();
                            break;
                        }
                        _ => break,
                    }
                }
                a.children.push(r);
            }
            _ => match kv(t) {
                Some(("description", v)) => a.set("description", v),
                _ => {
                    c.pos -= 1;
                    return Err(c.err("Unknown keyword"));
                }
            },
        }
    }
    Ok(Obj { kind: Kind::Alert, id, node: a, line: 0 })
}
