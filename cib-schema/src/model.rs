//! The typed CIB: configuration and status, as Pacemaker 2.1 writes them
//! (schema pacemaker-3.x). Attribute values stay as the strings found in the
//! document (so nothing is reformatted on a round trip); typed views such as
//! [`LrmRscOp::rc_code`] parse them on demand.

use crate::error::{CibError, ErrorKind};
use crate::read::{FromXml, ReadCtx, NVSET_TAGS};
use crate::stream::StartTag;
use crate::write::ToElement;
use crate::xml::Element;

pub use crate::lrm_resource::{LrmAttr, LrmResource};
pub use crate::op::{LrmRscOp, OpAttr};

/// Declares an enum over element types: each variant is one kind of child.
macro_rules! cib_enum {
    ($(#[$m:meta])* $name:ident { $($var:ident($ty:ty)),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[allow(clippy::large_enum_variant)] // one per element; boxing would only add noise
        pub enum $name { $($var($ty)),* }

        impl FromXml for $name {
            fn accepts(name: &str) -> bool {
                $(<$ty as FromXml>::accepts(name))||*
            }
            fn read_xml<'a>(tag: &StartTag<'a>, ctx: &mut ReadCtx<'a>) -> Result<Self, CibError> {
                $(
                    if <$ty as FromXml>::accepts(tag.name()) {
                        return Ok($name::$var(<$ty as FromXml>::read_xml(tag, ctx)?));
                    }
                )*
                Err(ctx.unexpected(tag, stringify!($name)))
            }
        }

        impl ToElement for $name {
            fn to_element(&self) -> Element {
                match self { $($name::$var(x) => x.to_element()),* }
            }
        }
    };
}

// ---------------------------------------------------------------------------
// The document

cib_element! {
    /// The `<cib>` root: version counters and the two halves.
    Cib "cib" {
        req {}
        opt {
            admin_epoch: "admin_epoch", epoch: "epoch", num_updates: "num_updates",
            validate_with: "validate-with", crm_feature_set: "crm_feature_set",
            have_quorum: "have-quorum", dc_uuid: "dc-uuid",
            cib_last_written: "cib-last-written", update_origin: "update-origin",
            update_client: "update-client", update_user: "update-user",
            no_quorum_panic: "no-quorum-panic", execution_date: "execution-date",
        }
        many {}
        one { configuration: Configuration = "configuration", status: Status = "status" }
    }
}

/// `(admin_epoch, epoch, num_updates)`: compared in this order to find the newer CIB.
pub type CibVersion = (u64, u64, u64);

impl Cib {
    pub fn version(&self) -> CibVersion {
        let n = |v: &Option<String>| v.as_deref().and_then(|s| s.parse().ok()).unwrap_or(0);
        (n(&self.admin_epoch), n(&self.epoch), n(&self.num_updates))
    }

    pub fn set_version(&mut self, v: CibVersion) {
        self.admin_epoch = Some(v.0.to_string());
        self.epoch = Some(v.1.to_string());
        self.num_updates = Some(v.2.to_string());
    }

    /// The configuration, created empty if the document had none.
    pub fn configuration_mut(&mut self) -> &mut Configuration {
        self.configuration.get_or_insert_with(Configuration::default)
    }

    pub fn status_mut(&mut self) -> &mut Status {
        self.status.get_or_insert_with(Status::default)
    }
}

cib_element! {
    Configuration "configuration" {
        req {}
        opt {}
        many {}
        one {
            crm_config: CrmConfig = "crm_config",
            nodes: Nodes = "nodes",
            resources: Resources = "resources",
            constraints: Constraints = "constraints",
            rsc_defaults: RscDefaults = "rsc_defaults",
            op_defaults: OpDefaults = "op_defaults",
            alerts: Alerts = "alerts",
            fencing_topology: FencingTopology = "fencing-topology",
            acls: Acls = "acls",
            tags: Tags = "tags",
        }
    }
}

// ---------------------------------------------------------------------------
// Name/value sets and rules

/// `meta_attributes`, `instance_attributes`, `utilization` or `cluster_property_set`:
/// a set of name/value pairs, optionally conditional on rules and ordered by score.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NvSet {
    /// Which of the set elements this is.
    pub tag: String,
    pub id: Option<String>,
    pub id_ref: Option<String>,
    pub score: Option<String>,
    pub rules: Vec<Rule>,
    pub nvpairs: Vec<NvPair>,
    /// Attributes and child elements this model does not know.
    pub unknown: crate::Unknown,
    pub pos: crate::error::At,
}

impl NvSet {
    pub fn new(tag: &str, id: impl Into<String>) -> Self {
        NvSet { tag: tag.to_string(), id: Some(id.into()), ..Default::default() }
    }

    /// The value of `name` in this set (the last pair wins, as in Pacemaker).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.nvpairs.iter().rev().find(|p| p.name.as_deref() == Some(name)).and_then(|p| p.value.as_deref())
    }
}

impl FromXml for NvSet {
    fn accepts(name: &str) -> bool {
        NVSET_TAGS.contains(&name)
    }

    fn read_xml<'a>(tag: &StartTag<'a>, ctx: &mut ReadCtx<'a>) -> Result<Self, CibError> {
        let mut out =
            NvSet { tag: tag.name().to_string(), pos: crate::error::At(tag.at), ..Default::default() };
        let mut xml_id = None;
        for attr in tag.attrs() {
            let (k, v) = attr.map_err(|why| ctx.bad_attribute(tag, why))?;
            match k {
                "id" => {
                    xml_id = Some(v.clone());
                    out.id = Some(v.into_owned());
                }
                "id-ref" => out.id_ref = Some(v.into_owned()),
                "score" => out.score = Some(v.into_owned()),
                _ => out.unknown.push_attr(k, v.into_owned()),
            }
        }
        if out.id.is_none() && out.id_ref.is_none() {
            return Err(ctx.missing(tag, "id"));
        }
        ctx.enter(tag, xml_id, out.id_ref.as_deref())?;
        while let Some(child) = ctx.next_child(tag)? {
            match child.name() {
                "nvpair" => out.nvpairs.push(NvPair::read_xml(&child, ctx)?),
                "rule" => out.rules.push(Rule::read_xml(&child, ctx)?),
                _ => out.unknown.push_child(Element::read_xml(&child, &mut ctx.stream)?),
            }
        }
        ctx.leave();
        Ok(out)
    }
}

impl ToElement for NvSet {
    fn to_element(&self) -> Element {
        let mut el = Element::new(self.tag.as_str())
            .with_opt("id", self.id.as_deref())
            .with_opt("id-ref", self.id_ref.as_deref())
            .with_opt("score", self.score.as_deref());
        el.attrs.extend(self.unknown.attrs().iter().cloned());
        el.children.extend(self.rules.iter().map(ToElement::to_element));
        el.children.extend(self.nvpairs.iter().map(ToElement::to_element));
        el.children.extend(self.unknown.children().iter().cloned());
        el
    }
}

cib_element! {
    NvPair "nvpair" {
        req {}
        opt { id: "id", id_ref: "id-ref", name: "name", value: "value" }
        many {}
        one {}
    }
}

impl NvPair {
    pub fn new(id: impl Into<String>, name: impl Into<String>, value: impl Into<String>) -> Self {
        NvPair {
            id: Some(id.into()),
            name: Some(name.into()),
            value: Some(value.into()),
            ..Default::default()
        }
    }
}

cib_element! {
    /// A rule: a boolean combination of expressions, optionally scoring a location.
    Rule "rule" {
        req {}
        opt {
            id: "id", id_ref: "id-ref", score: "score", score_attribute: "score-attribute",
            boolean_op: "boolean-op", role: "role",
        }
        many { items: RuleItem = any }
        one {}
    }
}

cib_enum! {
    /// One condition inside a rule.
    RuleItem {
        Expression(Expression),
        Date(DateExpression),
        Rsc(RscExpression),
        Op(OpExpression),
        Rule(Box<Rule>),
    }
}

cib_element! {
    /// A node-attribute comparison (`#uname eq node1`, `defined pingd`, ...).
    Expression "expression" {
        req { id: "id" }
        opt {
            attribute: "attribute", operation: "operation", value: "value",
            value_type: "type", value_source: "value-source",
        }
        many {}
        one {}
    }
}

cib_element! {
    DateExpression "date_expression" {
        req { id: "id" }
        opt { operation: "operation", start: "start", end: "end" }
        many {}
        one { date_spec: DateSpec = "date_spec", duration: Duration = "duration" }
    }
}

cib_element! {
    /// A cron-like date specification; each field is a number or a range `a-b`.
    DateSpec "date_spec" {
        req { id: "id" }
        opt {
            seconds: "seconds", minutes: "minutes", hours: "hours", monthdays: "monthdays",
            weekdays: "weekdays", yeardays: "yeardays", months: "months", weeks: "weeks",
            years: "years", weekyears: "weekyears", moon: "moon",
        }
        many {}
        one {}
    }
}

cib_element! {
    Duration "duration" {
        req { id: "id" }
        opt {
            seconds: "seconds", minutes: "minutes", hours: "hours", days: "days",
            weeks: "weeks", months: "months", years: "years",
        }
        many {}
        one {}
    }
}

cib_element! {
    RscExpression "rsc_expression" {
        req { id: "id" }
        opt { class: "class", provider: "provider", agent: "type" }
        many {}
        one {}
    }
}

cib_element! {
    OpExpression "op_expression" {
        req { id: "id" }
        opt { name: "name", interval: "interval" }
        many {}
        one {}
    }
}

// ---------------------------------------------------------------------------
// Cluster options, nodes, defaults

cib_element! {
    CrmConfig "crm_config" {
        req {}
        opt {}
        many { sets: NvSet = any }
        one {}
    }
}

cib_element! {
    Nodes "nodes" {
        req {}
        opt {}
        many { nodes: Node = "node" }
        one {}
    }
}

cib_element! {
    /// A configured cluster node (`type` is member, remote or ping).
    Node "node" {
        req { id: "id" }
        opt { uname: "uname", node_type: "type", description: "description", score: "score" }
        many {
            instance: NvSet = "instance_attributes",
            utilization: NvSet = "utilization",
        }
        one {}
    }
}

cib_element! {
    RscDefaults "rsc_defaults" {
        req {}
        opt {}
        many { sets: NvSet = any }
        one {}
    }
}

cib_element! {
    OpDefaults "op_defaults" {
        req {}
        opt {}
        many { sets: NvSet = any }
        one {}
    }
}

// ---------------------------------------------------------------------------
// Resources

cib_element! {
    Resources "resources" {
        req {}
        opt {}
        many { items: Resource = any }
        one {}
    }
}

cib_enum! {
    /// Anything under `<resources>`, in document order.
    Resource {
        Primitive(Primitive),
        Template(Template),
        Group(Group),
        Clone(Clone),
        Master(Master),
        Bundle(Bundle),
    }
}

impl Resource {
    /// The primitive with `id` in this resource or nested in it.
    pub fn find_primitive(&self, id: &str) -> Option<&Primitive> {
        let prim = |p: &'_ Primitive| p.id == id;
        match self {
            Resource::Primitive(p) => Some(p).filter(|p| prim(p)),
            Resource::Group(g) => g.primitives.iter().find(|p| prim(p)),
            Resource::Clone(c) => c.child.as_deref().and_then(|c| c.find_primitive(id)),
            Resource::Master(c) => c.child.as_deref().and_then(|c| c.find_primitive(id)),
            Resource::Bundle(b) => b.primitive.as_ref().filter(|p| prim(p)),
            Resource::Template(_) => None,
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Resource::Primitive(r) => &r.id,
            Resource::Template(r) => &r.id,
            Resource::Group(r) => &r.id,
            Resource::Clone(r) => &r.id,
            Resource::Master(r) => &r.id,
            Resource::Bundle(r) => &r.id,
        }
    }

    pub fn meta(&self) -> &[NvSet] {
        match self {
            Resource::Primitive(r) => &r.meta,
            Resource::Template(r) => &r.meta,
            Resource::Group(r) => &r.meta,
            Resource::Clone(r) => &r.meta,
            Resource::Master(r) => &r.meta,
            Resource::Bundle(r) => &r.meta,
        }
    }

    pub fn meta_mut(&mut self) -> &mut Vec<NvSet> {
        match self {
            Resource::Primitive(r) => &mut r.meta,
            Resource::Template(r) => &mut r.meta,
            Resource::Group(r) => &mut r.meta,
            Resource::Clone(r) => &mut r.meta,
            Resource::Master(r) => &mut r.meta,
            Resource::Bundle(r) => &mut r.meta,
        }
    }
}

cib_element! {
    /// A single resource run by one agent.
    Primitive "primitive" {
        req { id: "id" }
        opt {
            class: "class", provider: "provider", agent: "type", template: "template",
            description: "description",
        }
        many {
            meta: NvSet = "meta_attributes",
            instance: NvSet = "instance_attributes",
            utilization: NvSet = "utilization",
        }
        one { operations: Operations = "operations" }
    }
}

impl Primitive {
    /// `class:provider:type` as crm_mon prints it.
    pub fn agent_spec(&self) -> String {
        let class = self.class.as_deref().unwrap_or("");
        let agent = self.agent.as_deref().unwrap_or("");
        match &self.provider {
            Some(p) => format!("{class}:{p}:{agent}"),
            None => format!("{class}:{agent}"),
        }
    }
}

cib_element! {
    /// A resource template (`rsc_template` in crmsh) that primitives can inherit from.
    Template "template" {
        req { id: "id" }
        opt { class: "class", provider: "provider", agent: "type", description: "description" }
        many {
            meta: NvSet = "meta_attributes",
            instance: NvSet = "instance_attributes",
            utilization: NvSet = "utilization",
        }
        one { operations: Operations = "operations" }
    }
}

cib_element! {
    Operations "operations" {
        req {}
        opt { id: "id", id_ref: "id-ref" }
        many { ops: Op = "op" }
        one {}
    }
}

cib_element! {
    /// An operation definition (`op monitor interval=10s ...`).
    Op "op" {
        req { id: "id", name: "name" }
        opt {
            interval: "interval", timeout: "timeout", start_delay: "start-delay",
            interval_origin: "interval-origin", role: "role", on_fail: "on-fail",
            requires: "requires", enabled: "enabled", record_pending: "record-pending",
            description: "description",
        }
        many {
            meta: NvSet = "meta_attributes",
            instance: NvSet = "instance_attributes",
        }
        one {}
    }
}

cib_element! {
    Group "group" {
        req { id: "id" }
        opt { description: "description" }
        many {
            meta: NvSet = "meta_attributes",
            instance: NvSet = "instance_attributes",
            primitives: Primitive = "primitive",
        }
        one {}
    }
}

cib_element! {
    /// A clone; with `promotable=true` meta it is a promotable clone.
    Clone "clone" {
        req { id: "id" }
        opt { description: "description" }
        many {
            meta: NvSet = "meta_attributes",
            instance: NvSet = "instance_attributes",
        }
        one { child: Box<Resource> = any }
    }
}

cib_element! {
    /// The legacy `<master>` element: a promotable clone.
    Master "master" {
        req { id: "id" }
        opt { description: "description" }
        many {
            meta: NvSet = "meta_attributes",
            instance: NvSet = "instance_attributes",
        }
        one { child: Box<Resource> = any }
    }
}

cib_element! {
    /// A bundle: a container image with an optional primitive inside. The
    /// container runtime (`docker`, `podman`, `rkt`), `network` and `storage`
    /// elements are kept as elements in `unknown`.
    Bundle "bundle" {
        req { id: "id" }
        opt { description: "description" }
        many { meta: NvSet = "meta_attributes" }
        one { primitive: Primitive = "primitive" }
    }
}

impl Bundle {
    /// The container element (`docker`, `podman` or `rkt`).
    pub fn container(&self) -> Option<&Element> {
        self.unknown.children().iter().find(|c| matches!(c.name.as_str(), "docker" | "podman" | "rkt"))
    }
}

// ---------------------------------------------------------------------------
// Constraints

cib_element! {
    Constraints "constraints" {
        req {}
        opt {}
        many { items: Constraint = any }
        one {}
    }
}

cib_enum! {
    Constraint {
        Location(Location),
        Colocation(Colocation),
        Order(Order),
        Ticket(Ticket),
    }
}

impl Constraint {
    pub fn id(&self) -> &str {
        match self {
            Constraint::Location(c) => &c.id,
            Constraint::Colocation(c) => &c.id,
            Constraint::Order(c) => &c.id,
            Constraint::Ticket(c) => &c.id,
        }
    }
}

cib_element! {
    Location "rsc_location" {
        req { id: "id" }
        opt {
            rsc: "rsc", rsc_pattern: "rsc-pattern", role: "role", score: "score",
            node: "node", resource_discovery: "resource-discovery",
        }
        many { rules: Rule = "rule", sets: ResourceSet = "resource_set" }
        one {}
    }
}

cib_element! {
    Colocation "rsc_colocation" {
        req { id: "id" }
        opt {
            score: "score", rsc: "rsc", with_rsc: "with-rsc", rsc_role: "rsc-role",
            with_rsc_role: "with-rsc-role", node_attribute: "node-attribute",
            rsc_instance: "rsc-instance", with_rsc_instance: "with-rsc-instance",
            influence: "influence",
        }
        many { sets: ResourceSet = "resource_set" }
        one {}
    }
}

cib_element! {
    Order "rsc_order" {
        req { id: "id" }
        opt {
            first: "first", then: "then", first_action: "first-action",
            then_action: "then-action", first_instance: "first-instance",
            then_instance: "then-instance", kind: "kind", score: "score",
            symmetrical: "symmetrical", require_all: "require-all",
        }
        many { sets: ResourceSet = "resource_set" }
        one {}
    }
}

cib_element! {
    Ticket "rsc_ticket" {
        req { id: "id", ticket: "ticket" }
        opt { rsc: "rsc", rsc_role: "rsc-role", loss_policy: "loss-policy" }
        many { sets: ResourceSet = "resource_set" }
        one {}
    }
}

cib_element! {
    ResourceSet "resource_set" {
        req {}
        opt {
            id: "id", id_ref: "id-ref", sequential: "sequential", require_all: "require-all",
            ordering: "ordering", action: "action", role: "role", score: "score", kind: "kind",
        }
        many { resources: ResourceRef = "resource_ref" }
        one {}
    }
}

cib_element! {
    ResourceRef "resource_ref" {
        req { id: "id" }
        opt {}
        many {}
        one {}
    }
}

// ---------------------------------------------------------------------------
// Tags, alerts, ACLs, fencing topology

cib_element! {
    Tags "tags" {
        req {}
        opt {}
        many { tags: Tag = "tag" }
        one {}
    }
}

cib_element! {
    Tag "tag" {
        req { id: "id" }
        opt {}
        many { refs: ObjRef = "obj_ref" }
        one {}
    }
}

cib_element! {
    ObjRef "obj_ref" {
        req { id: "id" }
        opt {}
        many {}
        one {}
    }
}

cib_element! {
    Alerts "alerts" {
        req {}
        opt {}
        many { alerts: Alert = "alert" }
        one {}
    }
}

cib_element! {
    Alert "alert" {
        req { id: "id" }
        opt { path: "path", description: "description" }
        many {
            meta: NvSet = "meta_attributes",
            instance: NvSet = "instance_attributes",
            recipients: Recipient = "recipient",
        }
        one {}
    }
}

cib_element! {
    Recipient "recipient" {
        req { id: "id" }
        opt { value: "value", description: "description" }
        many {
            meta: NvSet = "meta_attributes",
            instance: NvSet = "instance_attributes",
        }
        one {}
    }
}

cib_element! {
    Acls "acls" {
        req {}
        opt {}
        many {
            targets: AclTarget = "acl_target",
            groups: AclGroup = "acl_group",
            roles: AclRole = "acl_role",
        }
        one {}
    }
}

cib_element! {
    AclTarget "acl_target" {
        req { id: "id" }
        opt { name: "name" }
        many { roles: AclRoleRef = "role" }
        one {}
    }
}

cib_element! {
    AclGroup "acl_group" {
        req { id: "id" }
        opt { name: "name" }
        many { roles: AclRoleRef = "role" }
        one {}
    }
}

cib_element! {
    AclRoleRef "role" {
        req { id: "id" }
        opt {}
        many {}
        one {}
    }
}

cib_element! {
    AclRole "acl_role" {
        req { id: "id" }
        opt { description: "description" }
        many { permissions: AclPermission = "acl_permission" }
        one {}
    }
}

cib_element! {
    AclPermission "acl_permission" {
        req { id: "id", kind: "kind" }
        opt {
            xpath: "xpath", reference: "reference", object_type: "object-type",
            attribute: "attribute", description: "description",
        }
        many {}
        one {}
    }
}

cib_element! {
    FencingTopology "fencing-topology" {
        req {}
        opt {}
        many { levels: FencingLevel = "fencing-level" }
        one {}
    }
}

cib_element! {
    FencingLevel "fencing-level" {
        req { id: "id", index: "index", devices: "devices" }
        opt {
            target: "target", target_pattern: "target-pattern",
            target_attribute: "target-attribute", target_value: "target-value",
        }
        many {}
        one {}
    }
}

// ---------------------------------------------------------------------------
// Status

cib_element! {
    /// `<status>`: one `node_state` per node.
    Status "status" {
        req {}
        opt {}
        many { nodes: NodeState = "node_state" }
        one {}
    }
}

cib_element! {
    /// What the cluster knows of one node: membership, join state, transient
    /// attributes and the resource operation history.
    NodeState "node_state" {
        req {}
        opt {
            id: "id", uname: "uname", in_ccm: "in_ccm", crmd: "crmd", crm_debug_origin: "crm-debug-origin",
            join: "join", expected: "expected", remote_node: "remote_node",
            remote_was_fenced: "node_fenced", shutdown: "shutdown",
        }
        many {}
        one { transient: TransientAttributes = "transient_attributes", lrm: Lrm = "lrm" }
    }
}

cib_element! {
    TransientAttributes "transient_attributes" {
        req {}
        opt { id: "id" }
        many { sets: NvSet = any }
        one {}
    }
}

cib_element! {
    Lrm "lrm" {
        req {}
        opt { id: "id" }
        many {}
        one { resources: LrmResources = "lrm_resources" }
    }
}

/// `<lrm_resources>`: a node's operation history, one `lrm_resource` per
/// resource. Read by hand rather than by `cib_element!` for one reason: on
/// large documents, runs of its `lrm_resource` elements are read on another
/// thread ([`crate::split`]) and spliced in here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LrmResources {
    pub resources: Vec<LrmResource>,
    /// Attributes and child elements this model does not know.
    pub unknown: crate::Unknown,
    /// Where the element was read from; ignored by equality.
    pub pos: crate::error::At,
}

impl FromXml for LrmResources {
    fn accepts(name: &str) -> bool {
        name == "lrm_resources"
    }

    fn read_xml<'a>(tag: &StartTag<'a>, ctx: &mut ReadCtx<'a>) -> Result<Self, CibError> {
        let mut out = LrmResources { pos: crate::error::At(tag.at), ..Default::default() };
        let mut id = None;
        let mut id_ref = None;
        for attr in tag.attrs() {
            let (k, v) = attr.map_err(|why| ctx.bad_attribute(tag, why))?;
            match k {
                "id" => id = Some(v.clone()),
                "id-ref" => id_ref = Some(v.clone()),
                _ => {}
            }
            out.unknown.push_attr(k, v.into_owned());
        }
        ctx.enter(tag, id, id_ref.as_deref())?;
        // Runs taken from the other thread, between stretches read here: put
        // together once at the end (growing one list through them would
        // leave a trail of ever larger freed copies).
        let mut parts: Vec<Vec<LrmResource>> = Vec::new();
        loop {
            if let Some(run) = ctx.take_run() {
                parts.push(std::mem::take(&mut out.resources));
                parts.push(run);
                continue;
            }
            let Some(child) = ctx.next_child(tag)? else { break };
            if child.name() == "lrm_resource" {
                let resource = LrmResource::read_xml(&child, ctx)?;
                crate::read::push_item(&mut out.resources, resource);
            } else {
                out.unknown.push_child(Element::read_xml(&child, &mut ctx.stream)?);
            }
        }
        ctx.leave();
        if !parts.is_empty() {
            parts.push(std::mem::take(&mut out.resources));
            out.resources = Vec::with_capacity(parts.iter().map(Vec::len).sum());
            parts.into_iter().for_each(|part| out.resources.extend(part));
        }
        out.resources.shrink_to_fit();
        Ok(out)
    }
}

impl ToElement for LrmResources {
    fn to_element(&self) -> Element {
        let mut el = Element::new("lrm_resources");
        el.attrs.extend(self.unknown.attrs().iter().cloned());
        el.children.extend(self.resources.iter().map(ToElement::to_element));
        el.children.extend(self.unknown.children().iter().cloned());
        el
    }
}

// ---------------------------------------------------------------------------
// Whole-document checks

/// Resource classes Pacemaker knows.
pub const KNOWN_CLASSES: &[&str] =
    &["ocf", "lsb", "service", "systemd", "stonith", "upstart", "nagios", "heartbeat", "alert"];

impl Cib {
    /// Structural checks beyond what reading already enforced (`text`: the
    /// source, for the position of an error).
    pub(crate) fn check_classes(&self, text: &str) -> Result<(), CibError> {
        let Some(res) = self.configuration.as_ref().and_then(|c| c.resources.as_ref()) else {
            return Ok(());
        };
        fn check(text: &str, class: &Option<String>, id: &str, at: crate::error::At) -> Result<(), CibError> {
            match class {
                Some(c) if !KNOWN_CLASSES.contains(&c.as_str()) => Err(CibError::new(
                    ErrorKind::UnknownClass(c.clone()),
                    Some(crate::error::position(text, at.0)),
                    format!("/cib/configuration/resources//primitive[@id='{id}']"),
                )),
                _ => Ok(()),
            }
        }
        fn visit(text: &str, r: &Resource) -> Result<(), CibError> {
            match r {
                Resource::Primitive(p) => check(text, &p.class, &p.id, p.pos),
                Resource::Template(t) => check(text, &t.class, &t.id, t.pos),
                Resource::Group(g) => {
                    g.primitives.iter().try_for_each(|p| check(text, &p.class, &p.id, p.pos))
                }
                Resource::Clone(c) => c.child.as_deref().map_or(Ok(()), |r| visit(text, r)),
                Resource::Master(c) => c.child.as_deref().map_or(Ok(()), |r| visit(text, r)),
                Resource::Bundle(b) => {
                    b.primitive.as_ref().map_or(Ok(()), |p| check(text, &p.class, &p.id, p.pos))
                }
            }
        }
        res.items.iter().try_for_each(|r| visit(text, r))
    }
}
