//! The `configure` level: a working copy of the CIB that commands edit and
//! `commit` writes back, all or nothing.

use super::cib::{take_resource, Cib, RSC_REF_ATTRS};
use super::error::CrmError;
use super::ids::Ids;
use super::lexer::{self, Statement};
use super::parse::{self, Ctx, Kind, Obj, MEMBER};
use super::show;
use super::xml::Node;
use crate::cibio::CibSource;

/// Messages go to stderr with crmsh's prefixes.
pub fn info(msg: &str) {
    eprintln!("INFO: {msg}");
}
pub fn warn(msg: &str) {
    eprintln!("WARNING: {msg}");
}
pub fn error(msg: &str) {
    eprintln!("ERROR: {msg}");
}

pub struct ConfigSession {
    pub source: CibSource,
    pub cib: Cib,
    /// The CIB as it was read, to refuse committing over a concurrent change
    /// and (online) to send only what changed.
    pub original: String,
    pub dirty: bool,
    pub force: bool,
    /// Asks the user a yes/no question (interactive use); without it the
    /// answer is no, as crmsh answers when not interactive.
    pub ask: Option<fn(&str) -> bool>,
    /// Where each object of this session came from (line of the statement),
    /// so that commit errors can point at the input.
    pub origins: std::collections::BTreeMap<String, usize>,
}

fn constraint_word(name: &str) -> &str {
    match name {
        "rsc_location" => "location",
        "rsc_colocation" => "colocation",
        "rsc_order" => "order",
        "rsc_ticket" => "rsc_ticket",
        other => other,
    }
}

impl ConfigSession {
    /// Opens the CIB of `source`; a missing file starts as an empty CIB.
    pub fn open(source: CibSource, force: bool) -> Result<ConfigSession, CrmError> {
        let original = super::store::read(&source)?;
        let text = if original.is_empty() { crate::cibio::empty_cib_xml() } else { &original };
        let cib = Cib::parse(text)?;
        Ok(ConfigSession {
            source,
            cib,
            original,
            dirty: false,
            force,
            ask: None,
            origins: Default::default(),
        })
    }

    fn ctx(&self, session: bool) -> Ctx {
        Ctx { session, nodes: self.cib.node_names() }
    }

    /// One object statement typed in a session (or a one-liner).
    pub fn create(&mut self, st: &Statement) -> Result<(), CrmError> {
        let mut ids = Ids::from_cib(&self.cib.root);
        let obj = parse::parse_statement(st, &mut ids, &self.ctx(true))?;
        if obj.kind == Kind::Master {
            warn(&format!(
                "\"ms\" is deprecated. Please use \"clone {} {} meta promotable=true\"",
                obj.id,
                obj.node.elements().find(|c| c.name == MEMBER).map(Node::id).unwrap_or("")
            ));
        }
        let members: Vec<String> =
            obj.node.elements().filter(|c| c.name == MEMBER).map(|c| c.id().to_string()).collect();
        for m in &members {
            if self.cib.find_resource(m).is_none() {
                return Err(CrmError::Semantic { line: st.line, msg: format!("object {m} does not exist") });
            }
        }
        let (kind, id) = (obj.kind, obj.id.clone());
        // Only nodes and attribute sets may be given again (they merge).
        if !matches!(kind, Kind::Node | Kind::Property | Kind::RscDefaults | Kind::OpDefaults | Kind::Fencing)
        {
            if let Some((k, _)) = self.cib.objects().into_iter().find(|(_, n)| n.id() == id) {
                return Err(CrmError::Semantic {
                    line: st.line,
                    msg: format!(
                        "Cannot create {} with ID '{id}': Found existing {} with same ID.",
                        st.tokens[0],
                        kind_word(k)
                    ),
                });
            }
        }
        self.origins.insert(id.clone(), st.line);
        let mut work = Cib { root: self.cib.root.clone() };
        work.place(obj, true)?;
        work.resolve_members()?;
        work.resolve_id_refs();
        if matches!(kind, Kind::Group | Kind::Clone | Kind::Master | Kind::Bundle) {
            redirect_constraints(&mut work, &members, &id);
        }
        self.cib = work;
        self.dirty = true;
        Ok(())
    }

    /// `load update|replace FILE`: the whole file or nothing.
    pub fn load(&mut self, method: &str, text: &str) -> Result<(), Vec<CrmError>> {
        let stmts = lexer::statements(text).map_err(|e| vec![e])?;
        let mut work = Cib { root: self.cib.root.clone() };
        if method == "replace" {
            // crmsh erases every object but the nodes before a replace.
            let conf = work.configuration_mut();
            for sec in conf.children.iter_mut().filter(|s| s.name != "nodes") {
                sec.children.clear();
            }
        }
        let mut ids = Ids::from_cib(&work.root);
        let ctx = Ctx { session: false, nodes: work.node_names() };
        let mut objs: Vec<Obj> = Vec::new();
        let mut errs = Vec::new();
        // Explicit object ids first, so generated ids never take them.
        for st in &stmts {
            if let Some(id) = st.tokens.get(1) {
                if parse::valid_id(id) {
                    ids.claim(id);
                }
            }
        }
        for st in &stmts {
            match parse::parse_statement(st, &mut ids, &ctx) {
                Ok(o) => objs.push(o),
                Err(e) => errs.push(e),
            }
        }
        if !errs.is_empty() {
            return Err(errs);
        }
        let mut seen = std::collections::BTreeSet::new();
        for o in &objs {
            let key = format!("{}:{}", o.kind.section(), o.id);
            if !seen.insert(key) {
                return Err(vec![CrmError::Semantic {
                    line: o.line,
                    msg: format!("Duplicate resource: {}", o.id),
                }]);
            }
        }
        // crmsh creates objects kind by kind, constraints in input order.
        objs.sort_by_key(|o| o.kind);
        for o in objs {
            self.origins.insert(o.id.clone(), o.line);
            work.place(o, false).map_err(|e| vec![e])?;
        }
        work.resolve_members().map_err(|e| vec![e])?;
        work.resolve_id_refs();
        self.cib = work;
        self.dirty = true;
        Ok(())
    }

    /// `load xml update|replace FILE`: objects given as CIB XML (a whole CIB,
    /// a `<configuration>` or one section).
    pub fn load_xml(&mut self, method: &str, text: &str) -> Result<(), CrmError> {
        let root = super::xml::parse(text).map_err(CrmError::Other)?;
        let conf = match root.name.as_str() {
            "cib" => root.child("configuration").cloned().unwrap_or_else(|| Node::new("configuration")),
            "configuration" => root,
            _ => Node::new("configuration").with_child(root),
        };
        let mut work = Cib { root: self.cib.root.clone() };
        if method == "replace" {
            let c = work.configuration_mut();
            for sec in c.children.iter_mut().filter(|s| s.name != "nodes") {
                sec.children.clear();
            }
        }
        for sec in conf.elements() {
            let target = work.section_mut(&sec.name);
            if sec.name == "fencing-topology" {
                *target = sec.clone();
                continue;
            }
            for obj in sec.children.iter() {
                match target.children.iter_mut().find(|c| !obj.is_comment() && c.get("id") == obj.get("id")) {
                    Some(slot) => *slot = obj.clone(),
                    None => target.children.push(obj.clone()),
                }
            }
        }
        self.cib = work;
        self.dirty = true;
        Ok(())
    }

    /// Writes the working copy, unless it would not validate. `force` also
    /// commits over what `crm_verify` reports.
    pub fn commit(&mut self, force: bool) -> Result<(), CrmError> {
        if !self.dirty {
            return Ok(());
        }
        self.semantic_checks();
        let verify = self.cib.verify_errors();
        for e in &verify {
            error(&format!("(unpack_resources) \terror: {e}"));
        }
        let mut schema = self.cib.schema_errors();
        // The project's own CIB model must accept what we write, too.
        if schema.is_empty() {
            if let Err(e) = cib_schema::parse(&self.cib.to_xml()) {
                schema.push(super::cib::SchemaError { object: String::new(), msg: e.to_string() });
            }
        }
        for e in &schema {
            match self.origins.get(&e.object) {
                Some(line) => error(&format!("{line}: {e}")),
                None => error(&e.to_string()),
            }
        }
        if !schema.is_empty() {
            error("(main) \terror: CIB did not pass schema validation");
        }
        if !verify.is_empty() || !schema.is_empty() {
            error("crm_verify: Errors found during check: config not valid");
            let asked =
                schema.is_empty() && self.ask.is_some_and(|ask| ask("Do you still want to commit (y/n)? "));
            if !(force || self.force || asked) {
                return Err(CrmError::Invalid(
                    "commit refused: the configuration has errors (use commit force, or crm -F)".into(),
                ));
            }
            if !asked {
                info("commit forced");
            }
        }
        if !schema.is_empty() {
            return Err(CrmError::Invalid(
                "Call failed: Update does not conform to the configured schema; nothing committed".into(),
            ));
        }
        self.store("nothing committed (reload and try again)")
    }

    /// crmsh's checks of the objects this session touched: unknown agents and
    /// parameters, short timeouts, locations naming unknown nodes. Reported,
    /// never fatal.
    fn semantic_checks(&self) {
        let mut cache = std::collections::BTreeMap::new();
        let nodes = self.cib.node_names();
        for (kind, n) in self.cib.objects() {
            if !self.origins.contains_key(n.id()) {
                continue;
            }
            match kind {
                Kind::Primitive => {
                    for (level, msg) in super::agents::check_primitive(n, &mut cache) {
                        eprintln!("{level}: {msg}");
                    }
                }
                Kind::Constraint if n.name == "rsc_location" => {
                    let mut named = Vec::new();
                    if let Some(node) = n.get("node") {
                        named.push(node.to_string());
                    }
                    n.walk(&mut |e| {
                        if e.name == "expression" && e.get("attribute") == Some("#uname") {
                            if let Some(v) = e.get("value") {
                                named.push(v.to_string());
                            }
                        }
                    });
                    named.dedup();
                    for node in named.iter().filter(|x| !nodes.contains(x)) {
                        warn(&format!("{}: referenced node {node} does not exist", n.id()));
                    }
                }
                _ => {}
            }
        }
    }

    /// Writes the working copy the way Pacemaker's command-line tools do
    /// (`crm_resource`, `crm_attribute`): schema-checked, no `crm_verify`.
    pub fn write_now(&mut self) -> Result<(), CrmError> {
        let schema = self.cib.schema_errors();
        if let Some(e) = schema.first() {
            return Err(CrmError::Invalid(format!("{e}; nothing changed")));
        }
        self.dirty = true;
        self.store("nothing changed")
    }

    /// Writes the working copy with the next epoch and continues from what was
    /// stored; `refusal` ends the message when the CIB changed meanwhile.
    fn store(&mut self, refusal: &str) -> Result<(), CrmError> {
        let mut out = Cib { root: self.cib.root.clone() };
        out.bump_epoch();
        let text = out.to_xml();
        let stored = super::store::commit(&self.source, &self.original, &text, refusal)?;
        // Online the daemon's copy is what follows (it numbered the version).
        self.cib = if stored == text { out } else { Cib::parse(&stored)? };
        self.original = stored;
        self.dirty = false;
        Ok(())
    }

    pub fn show(&self, args: &[String]) -> String {
        // `changed`: what this session created or modified.
        let expand = |a: &[String]| -> Vec<String> {
            a.iter()
                .flat_map(|x| {
                    if x == "changed" {
                        self.origins.keys().cloned().collect()
                    } else {
                        vec![x.clone()]
                    }
                })
                .collect()
        };
        match args.first().map(String::as_str) {
            Some("xml") => show::show_xml(&self.cib, &expand(&args[1..])),
            _ => show::show(&self.cib, &expand(args)),
        }
    }

    /// `delete ID...`: also drops or shrinks the constraints that referred to it.
    pub fn delete(&mut self, ids: &[String]) -> Result<(), CrmError> {
        let mut work = Cib { root: self.cib.root.clone() };
        for id in ids {
            if work.find_resource(id).is_some() {
                delete_resource(&mut work, id);
                continue;
            }
            let conf = work.configuration_mut();
            let mut found = false;
            for sec in conf.children.iter_mut() {
                if let Some(i) = sec.children.iter().position(|c| c.get("id") == Some(id.as_str())) {
                    sec.children.remove(i);
                    found = true;
                    break;
                }
            }
            if !found {
                return Err(CrmError::Other(format!("object {id} does not exist")));
            }
        }
        self.cib = work;
        self.dirty = true;
        Ok(())
    }

    /// `rename OLD NEW`: the id and every reference to it.
    pub fn rename(&mut self, old: &str, new: &str) -> Result<(), CrmError> {
        if !parse::valid_id(new) {
            return Err(CrmError::Other(format!("{new}: invalid id")));
        }
        if self.cib.root.find_id(new).is_some() {
            return Err(CrmError::Other(format!("id {new} is already in use")));
        }
        let mut found = false;
        let conf = self.cib.configuration_mut();
        conf.walk_mut(&mut |n| {
            if n.get("id") == Some(old) && Kind::of_element(&n.name).is_some() {
                n.set("id", new);
                found = true;
            }
        });
        if !found {
            return Err(CrmError::Other(format!("object {old} does not exist")));
        }
        rewrite_refs(&mut self.cib, old, new);
        self.dirty = true;
        Ok(())
    }

    /// `modgroup GROUP add RSC [before|after RSC2]` / `modgroup GROUP remove RSC`.
    pub fn modgroup(&mut self, args: &[String]) -> Result<(), CrmError> {
        let [group, op, rsc, rest @ ..] = args else {
            return Err(CrmError::Other("usage: modgroup GROUP add|remove RSC [before|after RSC]".into()));
        };
        let res = self.cib.section_mut("resources");
        if find_group(res, group).is_none() {
            return Err(CrmError::Other(format!("group {group} does not exist")));
        }
        match op.as_str() {
            "add" => {
                let el = take_resource(res, rsc)
                    .ok_or_else(|| CrmError::Other(format!("object {rsc} does not exist")))?;
                let g = find_group(res, group).expect("checked above");
                let at = match rest {
                    [w, other] if w == "before" || w == "after" => {
                        let i = g
                            .children
                            .iter()
                            .position(|c| c.get("id") == Some(other.as_str()))
                            .ok_or_else(|| CrmError::Other(format!("{other} is not in group {group}")))?;
                        if w == "before" {
                            i
                        } else {
                            i + 1
                        }
                    }
                    _ => g.children.len(),
                };
                g.children.insert(at, el);
            }
            "remove" => {
                let g = find_group(res, group).expect("checked above");
                let i = g
                    .children
                    .iter()
                    .position(|c| c.get("id") == Some(rsc.as_str()) && c.name == "primitive")
                    .ok_or_else(|| CrmError::Other(format!("{rsc} is not in group {group}")))?;
                let el = g.children.remove(i);
                res.children.push(el);
            }
            _ => return Err(CrmError::Other(format!("modgroup: unknown operation {op}"))),
        }
        self.dirty = true;
        Ok(())
    }

    /// `erase [nodes]`: removes all objects (but the nodes unless asked).
    pub fn erase(&mut self, nodes: bool) {
        let conf = self.cib.configuration_mut();
        for sec in conf.children.iter_mut() {
            if sec.name == "nodes" && !nodes {
                continue;
            }
            sec.children.clear();
        }
        self.dirty = true;
    }

    /// `monitor RSC[:ROLE] INTERVAL[:TIMEOUT]`: adds a monitor op.
    pub fn monitor(&mut self, rsc: &str, spec: &str) -> Result<(), CrmError> {
        let (rsc, role) = match rsc.split_once(':') {
            Some((r, ro)) => (r, Some(ro)),
            None => (rsc, None),
        };
        let (interval, timeout) = match spec.split_once(':') {
            Some((i, t)) => (i, Some(t)),
            None => (spec, None),
        };
        let mut ids = Ids::from_cib(&self.cib.root);
        let res = self.cib.section_mut("resources");
        let p = find_primitive(res, rsc)
            .ok_or_else(|| CrmError::Other(format!("primitive {rsc} does not exist")))?;
        let prefix = p.child("operations").and_then(|o| o.get("id")).unwrap_or(rsc).to_string();
        let mut op = Node::new("op").with("name", "monitor");
        if let Some(r) = role {
            op.set("role", r);
        }
        op.set("interval", interval);
        if let Some(t) = timeout {
            op.set("timeout", t);
        }
        let id = ids.fresh(&format!("{prefix}-monitor-{interval}"));
        op.set("id", &id);
        p.child_or_insert("operations").children.push(op);
        self.dirty = true;
        Ok(())
    }

    /// `set RSC.NAME VALUE`: an attribute of the element or a parameter.
    pub fn set(&mut self, path: &str, value: &str) -> Result<(), CrmError> {
        let (id, name) =
            path.split_once('.').ok_or_else(|| CrmError::Other(format!("{path}: expected ID.NAME")))?;
        let mut ids = Ids::from_cib(&self.cib.root);
        let conf = self.cib.configuration_mut();
        let mut done = false;
        conf.walk_mut(&mut |n| {
            if done || n.get("id") != Some(id) || Kind::of_element(&n.name).is_none() {
                return;
            }
            done = true;
            if n.get(name).is_some() {
                n.set(name, value);
                return;
            }
            for set in ["instance_attributes", "meta_attributes", "utilization"] {
                if let Some(s) = n.child_mut(set) {
                    if let Some(nv) =
                        s.children.iter_mut().find(|c| c.name == "nvpair" && c.get("name") == Some(name))
                    {
                        nv.set("value", value);
                        return;
                    }
                }
            }
            let sid = n.child("instance_attributes").map(|s| s.id().to_string());
            let sid = sid.unwrap_or_else(|| ids.fresh(&format!("{id}-instance_attributes")));
            let s = n.child_or_insert("instance_attributes");
            s.set("id", &sid);
            let nid = ids.fresh(&format!("{sid}-{name}"));
            s.children.push(Node::new("nvpair").with("name", name).with("value", value).with("id", &nid));
        });
        if !done {
            return Err(CrmError::Other(format!("object {id} does not exist")));
        }
        self.dirty = true;
        Ok(())
    }
}

fn find_group<'a>(n: &'a mut Node, id: &str) -> Option<&'a mut Node> {
    if n.name == "group" && n.get("id") == Some(id) {
        return Some(n);
    }
    n.children.iter_mut().find_map(|c| find_group(c, id))
}

fn find_primitive<'a>(n: &'a mut Node, id: &str) -> Option<&'a mut Node> {
    if n.name == "primitive" && n.get("id") == Some(id) {
        return Some(n);
    }
    n.children.iter_mut().find_map(|c| find_primitive(c, id))
}

/// Rewrites every reference to `old` (constraints, sets, tags) to `new`.
fn rewrite_refs(cib: &mut Cib, old: &str, new: &str) {
    let conf = cib.configuration_mut();
    for sec in conf.children.iter_mut() {
        for obj in sec.children.iter_mut().filter(|c| !c.is_comment()) {
            if sec.name == "constraints" {
                if rename_in_constraint(obj, old, new) {
                    info(&format!(
                        "modified {}:{} from {old} to {new}",
                        constraint_word(&obj.name),
                        obj.id()
                    ));
                }
                continue;
            }
            obj.walk_mut(&mut |n| {
                if n.name == "obj_ref" && n.get("id") == Some(old) {
                    n.set("id", new);
                }
            });
        }
    }
}

/// Creating a container in a session moves the constraints on its members to
/// the container; constraints that then tie the container to itself go.
fn redirect_constraints(cib: &mut Cib, members: &[String], container: &str) {
    let Some(cons) = cib.configuration_mut().child_mut("constraints") else { return };
    for obj in cons.children.iter_mut().filter(|c| !c.is_comment()) {
        for m in members {
            if rename_in_constraint(obj, m, container) {
                info(&format!(
                    "modified {}:{} from {m} to {container}",
                    constraint_word(&obj.name),
                    obj.id()
                ));
            }
        }
    }
    cons.children.retain(|c| c.is_comment() || !silly(c, container));
}

/// A constraint from a resource to itself, or with too few resources.
fn silly(c: &Node, rsc: &str) -> bool {
    let location_like = matches!(c.name.as_str(), "rsc_location" | "rsc_ticket");
    let mut refs = 0;
    c.walk(&mut |n| {
        if n.name == "resource_ref" {
            refs += 1;
        }
    });
    if refs > 0 {
        return if location_like { refs < 1 } else { refs <= 1 };
    }
    let present: Vec<&str> = RSC_REF_ATTRS.iter().filter_map(|a| c.get(a)).collect();
    if location_like {
        return present.is_empty() && c.get("rsc-pattern").is_none();
    }
    present.len() < 2 || present.iter().filter(|v| **v == rsc).count() == 2
}

/// Renames a resource in one constraint (attributes and set members); sets
/// that end up naming two resources become the simple form. True if changed.
fn rename_in_constraint(c: &mut Node, old: &str, new: &str) -> bool {
    let mut changed = false;
    for a in RSC_REF_ATTRS {
        if c.get(a) == Some(old) {
            c.set(a, new);
            changed = true;
        }
    }
    if c.child("resource_set").is_none() {
        return changed;
    }
    let mut count: std::collections::BTreeMap<String, usize> = Default::default();
    for s in c.children.iter_mut().filter(|s| s.name == "resource_set") {
        for r in s.children.iter_mut().filter(|r| r.name == "resource_ref") {
            if r.get("id") == Some(old) {
                r.set("id", new);
                changed = true;
            }
            *count.entry(r.id().to_string()).or_default() += 1;
        }
    }
    // A resource named twice is kept once: its last mention, like crmsh.
    for s in c.children.iter_mut().filter(|s| s.name == "resource_set") {
        s.children.retain(|r| {
            if r.name != "resource_ref" {
                return true;
            }
            let n = count.get_mut(r.id()).expect("counted above");
            if *n > 1 {
                *n -= 1;
                return false;
            }
            true
        });
    }
    c.children.retain(|s| s.name != "resource_set" || s.elements().next().is_some());
    if changed {
        simplify(c);
    }
    changed
}

/// The container holding resource `id`, and how many resources it holds.
fn parent_of(n: &Node, id: &str) -> Option<(String, usize)> {
    for c in n.elements() {
        if c.get("id") == Some(id) && Kind::of_element(&c.name).is_some() {
            if Kind::of_element(&n.name).is_some() {
                let count = n.elements().filter(|e| Kind::of_element(&e.name).is_some()).count();
                return Some((n.id().to_string(), count));
            }
            return None;
        }
        if let Some(p) = parent_of(c, id) {
            return Some(p);
        }
    }
    None
}

/// Deletes a resource as crmsh does: a container left empty goes first; the
/// members of a deleted container move to the top level and inherit its
/// simple constraints; constraints left naming fewer than two resources go.
fn delete_resource(cib: &mut Cib, id: &str) {
    let res = cib.section_mut("resources");
    if let Some((parent, 1)) = parent_of(res, id) {
        delete_resource(cib, &parent);
    }
    let res = cib.section_mut("resources");
    let Some(el) = take_resource(res, id) else { return };
    let children: Vec<Node> =
        el.children.into_iter().filter(|c| Kind::of_element(&c.name).is_some()).collect();
    let first_child = children.first().map(|c| c.id().to_string());
    res.children.extend(children);
    let conf = cib.configuration_mut();
    if let Some(tags) = conf.child_mut("tags") {
        let mut keep = Vec::new();
        for mut t in std::mem::take(&mut tags.children) {
            t.children.retain(|r| !(r.name == "obj_ref" && r.id() == id));
            if t.is_comment() || t.elements().next().is_some() {
                keep.push(t);
            } else {
                info(&format!("hanging tag:{} deleted", t.id()));
            }
        }
        tags.children = keep;
    }
    let Some(cons) = conf.child_mut("constraints") else { return };
    let mut keep = Vec::new();
    for mut c in std::mem::take(&mut cons.children) {
        if c.is_comment() || !mentions(&c, id) {
            keep.push(c);
            continue;
        }
        let word = constraint_word(&c.name).to_string();
        if let Some(first) = &first_child {
            if c.child("resource_set").is_none() && rename_in_constraint(&mut c, id, first) {
                info(&format!("modified {word}:{} from {id} to {first}", c.id()));
            }
        }
        let deleted = delete_ref(&mut c, id);
        if silly(&c, id) {
            info(&format!("hanging {word}:{} deleted", c.id()));
            continue;
        }
        if deleted {
            info(&format!("constraint {word}:{} updated", c.id()));
        }
        keep.push(c);
    }
    cons.children = keep;
}

fn mentions(c: &Node, id: &str) -> bool {
    let mut hit = RSC_REF_ATTRS.iter().any(|a| c.get(a) == Some(id));
    c.walk(&mut |n| hit |= n.name == "resource_ref" && n.get("id") == Some(id));
    hit
}

/// Drops every reference to `id` from a constraint; sets left empty go, and
/// two remaining resources become the simple form. True if changed.
fn delete_ref(c: &mut Node, id: &str) -> bool {
    let mut changed = false;
    for a in RSC_REF_ATTRS {
        if c.get(a) == Some(id) {
            c.unset(a);
            changed = true;
        }
    }
    if c.child("resource_set").is_none() {
        return changed;
    }
    for s in c.children.iter_mut().filter(|s| s.name == "resource_set") {
        let before = s.children.len();
        s.children.retain(|r| !(r.name == "resource_ref" && r.id() == id));
        changed |= s.children.len() != before;
    }
    c.children.retain(|s| s.name != "resource_set" || s.elements().next().is_some());
    simplify(c);
    changed
}

/// Sets that name exactly two resources, none in a non-sequential set with
/// others, become the simple form (crmsh does this after deletes and renames).
fn simplify(c: &mut Node) {
    let (sub_attr, a, b) = match c.name.as_str() {
        "rsc_colocation" => ("role", ("rsc", "rsc-role"), ("with-rsc", "with-rsc-role")),
        "rsc_order" => ("action", ("first", "first-action"), ("then", "then-action")),
        _ => return,
    };
    let sets: Vec<&Node> = c.elements().filter(|s| s.name == "resource_set").collect();
    let mut members: Vec<(String, Option<String>)> = Vec::new();
    for s in &sets {
        let refs: Vec<&Node> = s.elements().filter(|r| r.name == "resource_ref").collect();
        if s.get("sequential") == Some("false") && refs.len() > 1 {
            return;
        }
        for r in refs {
            members.push((r.id().to_string(), s.get(sub_attr).map(str::to_string)));
        }
    }
    if members.len() != 2 {
        return;
    }
    // In one sequential colocation set each member follows the previous one,
    // so `rsc` is the second.
    if sets.len() == 1 && c.name == "rsc_colocation" {
        members.swap(0, 1);
    }
    c.children.retain(|s| s.name != "resource_set");
    for ((rsc, sub), (ra, sa)) in members.into_iter().zip([a, b]) {
        c.set(ra, &rsc);
        if let Some(sub) = sub {
            c.set(sa, &sub);
        }
    }
}

fn kind_word(k: Kind) -> &'static str {
    match k {
        Kind::Node => "node",
        Kind::Template => "rsc_template",
        Kind::Primitive => "primitive",
        Kind::Bundle => "bundle",
        Kind::Group => "group",
        Kind::Master => "ms",
        Kind::Clone => "clone",
        Kind::Tag => "tag",
        Kind::Constraint => "constraint",
        Kind::Ticket => "rsc_ticket",
        Kind::Fencing => "fencing_topology",
        Kind::Property => "property",
        Kind::RscDefaults => "rsc_defaults",
        Kind::OpDefaults => "op_defaults",
        Kind::Role => "role",
        Kind::AclTarget => "acl_target",
        Kind::Alert => "alert",
    }
}
