//! The working CIB of a shell session: placing parsed objects, moving group
//! members, references, validation before commit.

use super::error::CrmError;
use super::parse::{Kind, Obj, MEMBER};
use super::xml::Node;

/// Sections of `<configuration>` in the order Pacemaker keeps them.
const SECTIONS: &[&str] = &[
    "crm_config",
    "nodes",
    "resources",
    "constraints",
    "rsc_defaults",
    "op_defaults",
    "fencing-topology",
    "acls",
    "tags",
    "alerts",
];

/// Attributes of constraints that name a resource.
pub const RSC_REF_ATTRS: &[&str] = &["rsc", "with-rsc", "first", "then"];

/// Cluster options the pacemaker-3.x schema refuses (old names).
const REMOVED_OPTIONS: &[&str] = &[
    "default-resource-stickiness",
    "default-resource-failure-stickiness",
    "is-managed-default",
    "default-action-timeout",
];

pub struct Cib {
    pub root: Node,
}

impl Cib {
    pub fn parse(text: &str) -> Result<Cib, CrmError> {
        let root = super::xml::parse(text).map_err(CrmError::Other)?;
        if root.name != "cib" {
            return Err(CrmError::Other(format!("not a CIB: root element is <{}>", root.name)));
        }
        Ok(Cib { root })
    }

    pub fn configuration(&self) -> Option<&Node> {
        self.root.child("configuration")
    }

    pub fn configuration_mut(&mut self) -> &mut Node {
        if self.root.child("configuration").is_none() {
            self.root.children.insert(0, Node::new("configuration"));
        }
        self.root.child_mut("configuration").expect("just ensured")
    }

    pub fn section(&self, name: &str) -> Option<&Node> {
        self.configuration()?.child(name)
    }

    /// The section, created at its canonical position when missing.
    pub fn section_mut(&mut self, name: &str) -> &mut Node {
        let conf = self.configuration_mut();
        if let Some(i) = conf.children.iter().position(|c| c.name == name) {
            return &mut conf.children[i];
        }
        let rank = |n: &str| SECTIONS.iter().position(|s| *s == n).unwrap_or(SECTIONS.len());
        let my = rank(name);
        let at = conf.children.iter().position(|c| rank(&c.name) > my).unwrap_or(conf.children.len());
        conf.children.insert(at, Node::new(name));
        &mut conf.children[at]
    }

    /// Node names (unames) defined in `<nodes>`.
    pub fn node_names(&self) -> Vec<String> {
        self.section("nodes")
            .map(|n| n.elements().filter_map(|e| e.get("uname").map(str::to_string)).collect())
            .unwrap_or_default()
    }

    /// All top-level configuration objects with their kinds.
    pub fn objects(&self) -> Vec<(Kind, &Node)> {
        let mut out = Vec::new();
        let Some(conf) = self.configuration() else { return out };
        for sec in conf.elements() {
            match sec.name.as_str() {
                "resources" => collect_resources(sec, &mut out),
                "fencing-topology" => {
                    if sec.elements().next().is_some() || sec.children.is_empty() {
                        out.push((Kind::Fencing, sec));
                    }
                }
                "rsc_defaults" | "op_defaults" => {
                    let k = if sec.name == "rsc_defaults" { Kind::RscDefaults } else { Kind::OpDefaults };
                    out.extend(sec.elements().map(|e| (k, e)));
                }
                _ => {
                    for e in sec.elements() {
                        if let Some(k) = Kind::of_element(&e.name) {
                            out.push((k, e));
                        }
                    }
                }
            }
        }
        out
    }

    /// Finds a resource element anywhere below `<resources>`.
    pub fn find_resource(&self, id: &str) -> Option<&Node> {
        self.section("resources")?.find_id(id).filter(|n| n.name != MEMBER)
    }

    /// Puts a parsed object into the CIB; an object with the same id is replaced
    /// where it is (`merge`: attribute sets of property/defaults are merged, as
    /// successive `property` commands do).
    pub fn place(&mut self, obj: Obj, merge: bool) -> Result<(), CrmError> {
        let section = obj.kind.section();
        if obj.kind == Kind::Fencing {
            let conf = self.section_mut(section);
            *conf = obj.node;
            return Ok(());
        }
        let sec = self.section_mut(section);
        if matches!(obj.kind, Kind::Property | Kind::RscDefaults | Kind::OpDefaults) {
            let default_id =
                matches!(obj.id.as_str(), "cib-bootstrap-options" | "rsc-options" | "op-options");
            let pos = sec.children.iter().position(|c| c.get("id") == Some(obj.id.as_str()));
            // A set given without an id goes into the last existing one, as
            // crmsh does, rather than starting another.
            let pos = match pos {
                None if merge && default_id => sec.children.iter().rposition(|c| c.name == obj.node.name),
                p => p,
            };
            if let Some(existing) = pos.map(|i| &mut sec.children[i]) {
                if merge {
                    merge_set(existing, obj.node);
                } else {
                    *existing = obj.node;
                }
                return Ok(());
            }
            sec.children.push(obj.node);
            return Ok(());
        }
        if let Some(slot) = find_top_mut(sec, &obj.id) {
            *slot = obj.node;
        } else {
            sec.children.push(obj.node);
        }
        Ok(())
    }

    /// Moves members of containers to where the container's placeholders are.
    pub fn resolve_members(&mut self) -> Result<(), CrmError> {
        loop {
            let res = self.section_mut("resources");
            let Some(id) = first_placeholder(res) else { return Ok(()) };
            let Some(member) = take_resource(res, &id) else {
                // Remove the placeholder so that the error is not repeated.
                replace_placeholder(res, &id, &mut None);
                return Err(CrmError::Other(format!("object {id} does not exist")));
            };
            replace_placeholder(res, &id, &mut Some(member));
        }
    }

    /// `id-ref`s of `operations` and `rule` may name the object that holds the
    /// element; crmsh resolves them to the element's own id.
    pub fn resolve_id_refs(&mut self) {
        let snapshot = self.root.clone();
        self.root.walk_mut(&mut |n| {
            if !matches!(n.name.as_str(), "operations" | "rule") {
                return;
            }
            let Some(r) = n.get("id-ref") else { return };
            let Some(target) = snapshot.find_id(r) else { return };
            if target.name == n.name {
                return;
            }
            let mut found = None;
            target.walk(&mut |d| {
                if found.is_none() && d.name == n.name && d.get("id").is_some() {
                    found = d.get("id").map(str::to_string);
                }
            });
            if let Some(f) = found {
                n.set("id-ref", &f);
            }
        });
    }

    /// What the pacemaker-3.9 schema would refuse, each with the id of the
    /// configuration object it is in; empty if fine.
    pub fn schema_errors(&self) -> Vec<SchemaError> {
        let mut ids = std::collections::BTreeSet::new();
        let mut errs = Vec::new();
        let Some(conf) = self.configuration() else { return errs };
        for_each_in_objects(conf, &mut |obj, n| {
            if n.name == MEMBER {
                return;
            }
            if let Some(id) = n.get("id") {
                // References, and node ids, which the schema does not type as
                // ID (a remote node shares its id with its resource).
                let is_ref = matches!(n.name.as_str(), "resource_ref" | "obj_ref" | "role" | "node");
                if !is_ref && !ids.insert(id.to_string()) {
                    errs.push(SchemaError::new(obj, format!("element {}: ID {id} already defined", n.name)));
                }
            }
        });
        for_each_in_objects(conf, &mut |obj, n| {
            let mut check = |attr: &str, v: &str| {
                if !ids.contains(v) {
                    errs.push(SchemaError::new(
                        obj,
                        format!("element {}: validity error : IDREF attribute {attr} references an unknown ID \"{v}\"", n.name),
                    ));
                }
            };
            if let Some(r) = n.get("id-ref") {
                check("id-ref", r);
            }
            match n.name.as_str() {
                "rsc_colocation" | "rsc_order" | "rsc_ticket" | "rsc_location" => {
                    for a in RSC_REF_ATTRS {
                        if let Some(v) = n.get(a) {
                            check(a, v);
                        }
                    }
                }
                "resource_ref" | "obj_ref" => {
                    if let Some(v) = n.get("id") {
                        check("id", v);
                    }
                }
                "node" => {
                    if let Some(t) = n.get("type").filter(|t| !matches!(*t, "member" | "ping" | "remote")) {
                        errs.push(SchemaError::new(
                            obj,
                            format!("element node: Relax-NG validity error : invalid node type \"{t}\" (expected member, ping or remote)"),
                        ));
                    }
                }
                "nvpair" if obj_is_property(conf, obj) => {
                    if let Some(name) = n.get("name").filter(|v| REMOVED_OPTIONS.contains(v)) {
                        errs.push(SchemaError::new(
                            obj,
                            format!("element nvpair: Relax-NG validity error : cluster option \"{name}\" was removed from Pacemaker"),
                        ));
                    }
                }
                _ => {}
            }
        });
        errs
    }

    /// What `crm_verify` would report as errors (the ones crmsh refuses to
    /// commit unless forced).
    pub fn verify_errors(&self) -> Vec<String> {
        let mut errs = Vec::new();
        let mut has_rsc = false;
        let mut has_stonith = false;
        if let Some(r) = self.section("resources") {
            r.walk(&mut |n| {
                if n.name == "primitive" {
                    has_rsc = true;
                    if n.get("class") == Some("stonith") {
                        has_stonith = true;
                    }
                }
            });
        }
        let stonith_enabled = self
            .section("crm_config")
            .and_then(|cc| {
                let mut v = None;
                cc.walk(&mut |n| {
                    if n.name == "nvpair" && n.get("name") == Some("stonith-enabled") {
                        v = n.get("value").map(str::to_string);
                    }
                });
                v
            })
            .map(|v| !matches!(v.to_ascii_lowercase().as_str(), "false" | "no" | "0" | "off" | "n"))
            .unwrap_or(true);
        if has_rsc && !has_stonith && stonith_enabled {
            errs.push("Resource start-up disabled since no STONITH resources have been defined".into());
            errs.push("Either configure some or disable STONITH with the stonith-enabled option".into());
            errs.push("NOTE: Clusters with shared data need STONITH to ensure data integrity".into());
        }
        errs
    }

    /// Bumps `epoch` as every committed change does.
    pub fn bump_epoch(&mut self) {
        let e = self.root.get("epoch").and_then(|e| e.parse::<u64>().ok()).unwrap_or(0);
        self.root.set("epoch", &(e + 1).to_string());
        self.root.set("num_updates", "0");
    }

    pub fn to_xml(&self) -> String {
        self.root.to_xml()
    }
}

/// One reason the schema would refuse the CIB, and the object it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError {
    pub object: String,
    pub msg: String,
}

impl SchemaError {
    fn new(object: &str, msg: String) -> SchemaError {
        SchemaError { object: object.to_string(), msg }
    }
}

impl std::fmt::Display for SchemaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.object.is_empty() {
            return write!(f, "{}", self.msg);
        }
        write!(f, "{}: {}", self.object, self.msg)
    }
}

/// Visits every element below the configuration's objects with the id of the
/// innermost object (primitive, constraint, node, property set, ...) holding it.
fn for_each_in_objects<'a>(conf: &'a Node, f: &mut dyn FnMut(&str, &'a Node)) {
    fn go<'a>(obj: &str, n: &'a Node, f: &mut dyn FnMut(&str, &'a Node)) {
        if n.is_comment() {
            return;
        }
        let is_obj = Kind::of_element(&n.name).is_some() || (n.name == "meta_attributes" && obj.is_empty());
        let here = if is_obj { n.id().to_string() } else { obj.to_string() };
        f(&here, n);
        for c in &n.children {
            go(&here, c, f);
        }
    }
    for sec in conf.elements() {
        for c in &sec.children {
            go("", c, f);
        }
    }
}

fn obj_is_property(conf: &Node, obj: &str) -> bool {
    conf.child("crm_config").is_some_and(|cc| cc.elements().any(|s| s.id() == obj))
}

fn collect_resources<'a>(n: &'a Node, out: &mut Vec<(Kind, &'a Node)>) {
    for e in n.elements() {
        if let Some(k) = Kind::of_element(&e.name) {
            if k.is_resource() {
                out.push((k, e));
                if matches!(k, Kind::Group | Kind::Clone | Kind::Master | Kind::Bundle) {
                    collect_resources(e, out);
                }
            }
        }
    }
}

/// Merges the nvpairs (and rules) of `new` into an existing attribute set.
fn merge_set(existing: &mut Node, new: Node) {
    for c in new.children {
        if c.name == "nvpair" {
            if let Some(name) = c.get("name") {
                if let Some(old) =
                    existing.children.iter_mut().find(|o| o.name == "nvpair" && o.get("name") == Some(name))
                {
                    match c.get("value") {
                        Some(v) => old.set("value", v),
                        None => {
                            old.unset("value");
                        }
                    }
                    continue;
                }
            }
        }
        existing.children.push(c);
    }
}

/// The element with this id among the section's objects (descending into
/// containers), for replacing it in place.
fn find_top_mut<'a>(n: &'a mut Node, id: &str) -> Option<&'a mut Node> {
    for c in n.children.iter_mut() {
        if c.is_comment() || c.name == MEMBER {
            continue;
        }
        if c.get("id") == Some(id) && Kind::of_element(&c.name).is_some() {
            return Some(c);
        }
        if matches!(c.name.as_str(), "group" | "clone" | "master" | "bundle") {
            if let Some(f) = find_top_mut(c, id) {
                return Some(f);
            }
        }
    }
    None
}

fn first_placeholder(n: &Node) -> Option<String> {
    for c in &n.children {
        if c.name == MEMBER {
            return c.get("id").map(str::to_string);
        }
        if let Some(f) = first_placeholder(c) {
            return Some(f);
        }
    }
    None
}

/// Detaches the resource element with this id (not a placeholder).
pub fn take_resource(n: &mut Node, id: &str) -> Option<Node> {
    if let Some(i) = n
        .children
        .iter()
        .position(|c| c.get("id") == Some(id) && c.name != MEMBER && Kind::of_element(&c.name).is_some())
    {
        return Some(n.children.remove(i));
    }
    n.children.iter_mut().find_map(|c| take_resource(c, id))
}

fn replace_placeholder(n: &mut Node, id: &str, with: &mut Option<Node>) -> bool {
    if let Some(i) = n.children.iter().position(|c| c.name == MEMBER && c.get("id") == Some(id)) {
        match with.take() {
            Some(m) => n.children[i] = m,
            None => {
                n.children.remove(i);
            }
        }
        return true;
    }
    n.children.iter_mut().any(|c| replace_placeholder(c, id, with))
}
