//! location, colocation, order, rsc_ticket and their resource sets.
//!
//! Two resources (one for tickets) give the simple form (`rsc`/`with-rsc`,
//! `first`/`then`); anything else becomes resource sets: runs of plain
//! resources with the same role/action form one sequential set, `( )` is
//! `sequential=false`, `[ ]` adds `require-all=false`.

use super::{is_score, kv, rule, score_attr, CrmError, Cursor, Kind, Obj};
use crate::crmsh::ids::Ids;
use crate::crmsh::xml::Node;

pub fn location(c: &mut Cursor, ids: &mut Ids) -> Result<Obj, CrmError> {
    let id = c.ident(false)?;
    ids.claim(&id);
    let mut l = Node::new("rsc_location").with("id", &id);
    let mut sets = Vec::new();
    let rsc = c.expect("resource")?;
    if rsc == "{" {
        let mut set = Node::new("resource_set");
        let mut refs = Vec::new();
        loop {
            let t = c.expect("}")?;
            if t == "}" {
                break;
            }
            match kv(t) {
                Some((k, v)) => set.set(k, v),
                None => refs.push(Node::new("resource_ref").with("id", t)),
            }
        }
        let sid = ids.fresh(&id);
        set.set("id", &sid);
        set.children = refs;
        sets.push(set);
    } else if let Some(p) = rsc.strip_prefix('/').and_then(|r| r.strip_suffix('/')) {
        l.set("rsc-pattern", p);
    } else {
        l.set("rsc", rsc);
    }
    while let Some((k, v)) = c.peek().and_then(kv) {
        match k {
            "role" | "$role" => l.set("role", v),
            "resource-discovery" => l.set("resource-discovery", v),
            _ => break,
        }
        c.advance();
    }
    let mut rules = Vec::new();
    match c.peek() {
        Some("rule") => {
            while c.peek() == Some("rule") {
                c.advance();
                rules.push(rule(c, ids, &id)?);
            }
        }
        Some(t) if is_score(t) => {
            c.advance();
            let (k, v) = score_attr(t);
            l.set(k, &v);
            let node = c.expect("node")?;
            l.set("node", node);
        }
        _ => return Err(c.err("Expected score or rule")),
    }
    if !c.at_end() {
        return Err(c.err("Unexpected token"));
    }
    l.children.extend(sets);
    l.children.extend(rules);
    Ok(Obj { kind: Kind::Constraint, id, node: l, line: 0 })
}

/// One element of a constraint's resource list.
#[derive(Debug)]
enum Item {
    Ref { rsc: String, sub: Option<String> },
    Open(char),
    Close,
    Opt(String, String),
}

fn items(c: &mut Cursor) -> Vec<Item> {
    let mut out = Vec::new();
    while let Some(t) = c.advance() {
        out.push(match t {
            "(" | "[" => Item::Open(t.chars().next().unwrap_or('(')),
            ")" | "]" => Item::Close,
            _ => match kv(t) {
                Some((k, v)) => Item::Opt(k.to_string(), v.to_string()),
                None => match t.split_once(':') {
                    Some((r, s)) => Item::Ref { rsc: r.to_string(), sub: Some(s.to_string()) },
                    None => Item::Ref { rsc: t.to_string(), sub: None },
                },
            },
        });
    }
    out
}

/// `name=value` options of a constraint.
type Opts = Vec<(String, String)>;
/// Resources of the simple form with their role/action.
type Refs = Vec<(String, Option<String>)>;

/// Options written after the resources that belong to the constraint itself;
/// crmsh silently drops anything else there (corpus 061).
const CONSTRAINT_OPTS: &[&str] = &["symmetrical", "node-attribute", "loss-policy", "kind", "score"];

/// Builds the resource sets (or simple-form refs) and constraint options.
/// `sub_attr` is `role` (colocation, ticket) or `action` (order).
fn build_sets(
    c: &Cursor,
    items: Vec<Item>,
    ids: &mut Ids,
    cid: &str,
    sub_attr: &str,
) -> Result<(Vec<Node>, Opts, Refs), CrmError> {
    let has_brackets = items.iter().any(|i| matches!(i, Item::Open(_)));
    let mut opts = Vec::new();
    let mut simple = Vec::new();
    if !has_brackets {
        for i in items {
            match i {
                Item::Ref { rsc, sub } => simple.push((rsc, sub)),
                Item::Opt(k, v) => opts.push((k, v)),
                _ => {}
            }
        }
        return Ok((Vec::new(), opts, simple));
    }
    let mut sets: Vec<Node> = Vec::new();
    // The implicit set being filled: (sub, members).
    let mut run: Option<(Option<String>, Vec<String>)> = None;
    let mut open: Option<Node> = None;
    let flush = |run: &mut Option<(Option<String>, Vec<String>)>, sets: &mut Vec<Node>| {
        if let Some((sub, members)) = run.take() {
            let mut s = Node::new("resource_set");
            if let Some(sub) = sub {
                s.set(sub_attr, &sub);
            }
            s.children = members.iter().map(|m| Node::new("resource_ref").with("id", m)).collect();
            sets.push(s);
        }
    };
    for i in items {
        match i {
            Item::Open(kind) => {
                flush(&mut run, &mut sets);
                let mut s = Node::new("resource_set");
                if kind == '[' {
                    s.set("require-all", "false");
                }
                s.set("sequential", "false");
                open = Some(s);
            }
            Item::Close => match open.take() {
                Some(s) => sets.push(s),
                None => return Err(c.err("Unbalanced resource set")),
            },
            Item::Ref { rsc, sub } => match open.as_mut() {
                Some(s) => {
                    if let Some(sub) = &sub {
                        s.set(sub_attr, sub);
                    }
                    s.children.push(Node::new("resource_ref").with("id", &rsc));
                }
                None => match run.as_mut() {
                    Some((cur, members)) if *cur == sub => members.push(rsc),
                    _ => {
                        flush(&mut run, &mut sets);
                        run = Some((sub, vec![rsc]));
                    }
                },
            },
            Item::Opt(k, v) => match open.as_mut() {
                Some(s) if k == "sequential" && v == "true" => {
                    s.unset("sequential");
                }
                Some(s) => s.set(&k, &v),
                None => opts.push((k, v)),
            },
        }
    }
    if open.is_some() {
        return Err(c.err("Unbalanced resource set"));
    }
    flush(&mut run, &mut sets);
    for s in &mut sets {
        let sid = ids.fresh(cid);
        s.set("id", &sid);
        // crmsh writes the id after the set's options, before the refs.
    }
    Ok((sets, opts, Vec::new()))
}

fn to_sets(simple: Vec<(String, Option<String>)>, ids: &mut Ids, cid: &str, sub_attr: &str) -> Vec<Node> {
    let mut sets: Vec<Node> = Vec::new();
    let mut last: Option<Option<String>> = None;
    for (rsc, sub) in simple {
        if last.as_ref() != Some(&sub) {
            let mut s = Node::new("resource_set");
            if let Some(sub) = &sub {
                s.set(sub_attr, sub);
            }
            sets.push(s);
            last = Some(sub);
        }
        if let Some(s) = sets.last_mut() {
            s.children.push(Node::new("resource_ref").with("id", &rsc));
        }
    }
    for s in &mut sets {
        let sid = ids.fresh(cid);
        s.set("id", &sid);
    }
    sets
}

fn apply_opts(n: &mut Node, opts: Vec<(String, String)>) {
    for (k, v) in opts {
        if CONSTRAINT_OPTS.contains(&k.as_str()) {
            n.set(&k, &v);
        }
    }
}

pub fn colocation(c: &mut Cursor, ids: &mut Ids) -> Result<Obj, CrmError> {
    let id = c.ident(false)?;
    ids.claim(&id);
    let score = c.expect("score")?;
    if !is_score(score) {
        c.pos -= 1;
        return Err(c.err("Expected score"));
    }
    let (sk, sv) = score_attr(score);
    let mut n = Node::new("rsc_colocation").with("id", &id).with(sk, &sv);
    let its = items(c);
    let (mut sets, opts, simple) = build_sets(c, its, ids, &id, "role")?;
    if sets.is_empty() {
        if simple.len() == 2 {
            let (r, rr) = &simple[0];
            let (w, wr) = &simple[1];
            n.set("rsc", r);
            if let Some(rr) = rr {
                n.set("rsc-role", rr);
            }
            n.set("with-rsc", w);
            if let Some(wr) = wr {
                n.set("with-rsc-role", wr);
            }
        } else if simple.len() < 2 {
            return Err(c.err("Expected at least two resources"));
        } else {
            sets = to_sets(simple, ids, &id, "role");
        }
    }
    apply_opts(&mut n, opts);
    n.children = sets;
    Ok(Obj { kind: Kind::Constraint, id, node: n, line: 0 })
}

pub fn order(c: &mut Cursor, ids: &mut Ids) -> Result<Obj, CrmError> {
    let id = c.ident(false)?;
    ids.claim(&id);
    let mut n = Node::new("rsc_order").with("id", &id);
    if let Some(t) = c.peek().filter(|t| is_score(t)) {
        c.advance();
        let s = &t[..t.len() - 1];
        let kind = match s {
            "Mandatory" | "Optional" | "Serialize" => s.to_string(),
            _ => {
                let (k, v) = score_attr(s);
                if k != "score" {
                    c.pos -= 1;
                    return Err(c.err("Expected kind or score"));
                }
                let zero = v.trim_start_matches(['+', '-']).trim_start_matches('0').is_empty();
                if zero || v.starts_with('-') { "Optional" } else { "Mandatory" }.to_string()
            }
        };
        n.set("kind", &kind);
    }
    let its = items(c);
    let (mut sets, opts, simple) = build_sets(c, its, ids, &id, "action")?;
    // Options first: crmsh writes symmetrical before first/then.
    let mut tail = Node::new("x");
    apply_opts(&mut tail, opts);
    n.attrs.extend(tail.attrs);
    if sets.is_empty() {
        if simple.len() == 2 {
            let (f, fa) = &simple[0];
            let (t, ta) = &simple[1];
            n.set("first", f);
            if let Some(fa) = fa {
                n.set("first-action", fa);
            }
            n.set("then", t);
            if let Some(ta) = ta {
                n.set("then-action", ta);
            }
        } else if simple.len() < 2 {
            return Err(c.err("Expected at least two resources"));
        } else {
            sets = to_sets(simple, ids, &id, "action");
        }
    }
    n.children = sets;
    Ok(Obj { kind: Kind::Constraint, id, node: n, line: 0 })
}

pub fn ticket(c: &mut Cursor, ids: &mut Ids) -> Result<Obj, CrmError> {
    let id = c.ident(false)?;
    ids.claim(&id);
    let t = c.expect("ticket")?;
    let Some(ticket) = t.strip_suffix(':') else {
        c.pos -= 1;
        return Err(c.err("Expected ticket"));
    };
    let mut n = Node::new("rsc_ticket").with("id", &id).with("ticket", ticket);
    let its = items(c);
    let (mut sets, opts, simple) = build_sets(c, its, ids, &id, "role")?;
    if sets.is_empty() {
        if simple.len() == 1 {
            n.set("rsc", &simple[0].0);
            if let Some(r) = &simple[0].1 {
                n.set("rsc-role", r);
            }
        } else if simple.is_empty() {
            return Err(c.err("Expected resources"));
        } else {
            sets = to_sets(simple, ids, &id, "role");
        }
    }
    apply_opts(&mut n, opts);
    n.children = sets;
    Ok(Obj { kind: Kind::Ticket, id, node: n, line: 0 })
}
