//! `lrm_resource`: one resource's operation history on one node. A status
//! section holds one per resource and node (tens of thousands on a large
//! cluster), so its attributes are packed in one block ([`crate::packed`])
//! rather than kept as six strings.

use std::fmt;

use crate::error::{At, CibError};
use crate::op::LrmRscOp;
use crate::packed::{read_attrs, Packed};
use crate::read::{FromXml, ReadCtx};
use crate::stream::StartTag;
use crate::write::ToElement;
use crate::xml::Element;

/// The attributes of `lrm_resource` the model knows (besides `id`), in the
/// order they are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LrmAttr {
    Class,
    Provider,
    /// `type`: the agent.
    Agent,
    Container,
    ShutdownLock,
}

impl LrmAttr {
    pub const ALL: &'static [LrmAttr] =
        &[LrmAttr::Class, LrmAttr::Provider, LrmAttr::Agent, LrmAttr::Container, LrmAttr::ShutdownLock];

    pub fn xml_name(self) -> &'static str {
        match self {
            LrmAttr::Class => "class",
            LrmAttr::Provider => "provider",
            LrmAttr::Agent => "type",
            LrmAttr::Container => "container",
            LrmAttr::ShutdownLock => "shutdown-lock",
        }
    }

    fn from_xml_name(name: &str) -> Option<LrmAttr> {
        LrmAttr::ALL.iter().copied().find(|a| a.xml_name() == name)
    }
}

/// The slot of the `id`, after the known attributes'.
const ID: usize = LrmAttr::ALL.len();
const SLOTS: usize = ID + 1;

/// One resource's operation history on one node.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct LrmResource {
    values: Packed<SLOTS>,
    pub ops: Vec<LrmRscOp>,
    /// Attributes and child elements this model does not know.
    pub unknown: crate::Unknown,
    /// Where the element was read from; ignored by equality.
    pub pos: At,
}

impl LrmResource {
    pub fn new(id: &str) -> Self {
        LrmResource { values: Packed::default().with(ID, Some(id)), ..Default::default() }
    }

    /// The resource's id (empty if it has none).
    pub fn id(&self) -> &str {
        self.values.get(ID).unwrap_or("")
    }

    /// A known attribute's value as written.
    pub fn get(&self, a: LrmAttr) -> Option<&str> {
        self.values.get(a as usize)
    }

    /// Sets (or with `None` removes) a known attribute.
    pub fn set(&mut self, a: LrmAttr, value: Option<&str>) {
        self.values = self.values.with(a as usize, value);
    }

    /// Builder form of [`LrmResource::set`].
    pub fn with(mut self, a: LrmAttr, value: Option<&str>) -> Self {
        self.set(a, value);
        self
    }

    pub fn class(&self) -> Option<&str> {
        self.get(LrmAttr::Class)
    }

    pub fn provider(&self) -> Option<&str> {
        self.get(LrmAttr::Provider)
    }

    /// The agent (`type`).
    pub fn agent(&self) -> Option<&str> {
        self.get(LrmAttr::Agent)
    }

    pub fn container(&self) -> Option<&str> {
        self.get(LrmAttr::Container)
    }

    pub fn shutdown_lock(&self) -> Option<&str> {
        self.get(LrmAttr::ShutdownLock)
    }
}

impl fmt::Debug for LrmResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("LrmResource");
        d.field("id", &self.id());
        for &a in LrmAttr::ALL {
            if let Some(v) = self.get(a) {
                d.field(a.xml_name(), &v);
            }
        }
        d.field("ops", &self.ops).field("unknown", &self.unknown).finish()
    }
}

impl FromXml for LrmResource {
    fn accepts(name: &str) -> bool {
        name == "lrm_resource"
    }

    fn read_xml<'a>(tag: &StartTag<'a>, ctx: &mut ReadCtx<'a>) -> Result<Self, CibError> {
        let mut out = LrmResource { pos: At(tag.at), ..Default::default() };
        let slot_of = |k: &str| LrmAttr::from_xml_name(k).map(|a| a as usize);
        let attrs = read_attrs(tag, ctx, ID, slot_of, &mut out.unknown)?;
        out.values = attrs.values;
        let Some(id) = attrs.id else { return Err(ctx.missing(tag, "id")) };
        ctx.enter(tag, Some(id), attrs.id_ref.as_deref())?;
        while let Some(child) = ctx.next_child(tag)? {
            if child.name() == "lrm_rsc_op" {
                crate::read::push_item(&mut out.ops, LrmRscOp::read_xml(&child, ctx)?);
            } else {
                out.unknown.push_child(Element::read_xml(&child, &mut ctx.stream)?);
            }
        }
        ctx.leave();
        out.ops.shrink_to_fit();
        Ok(out)
    }
}

impl ToElement for LrmResource {
    fn to_element(&self) -> Element {
        let attrs = LrmAttr::ALL.iter().filter_map(|&a| Some((a.xml_name(), self.get(a)?)));
        let ops = self.ops.iter().map(ToElement::to_element);
        crate::packed::element("lrm_resource", self.id(), attrs, ops, &self.unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_read_back_and_write_in_order() {
        let text = r#"<lrm_resource id="r1" type="Dummy" class="ocf" provider="pacemaker" extra="x"><lrm_rsc_op id="r1_last_0" operation="start"/></lrm_resource>"#;
        let r: LrmResource = crate::read::from_tree(&crate::xml::Element::parse(text).unwrap()).unwrap();
        assert_eq!(
            (r.id(), r.class(), r.provider(), r.agent()),
            ("r1", Some("ocf"), Some("pacemaker"), Some("Dummy"))
        );
        assert_eq!(r.container(), None);
        assert_eq!(r.ops.len(), 1);
        assert_eq!(r.unknown.attrs(), &[("extra".to_string(), "x".to_string())]);
        let el = r.to_element();
        let names: Vec<&str> = el.attrs.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["id", "class", "provider", "type", "extra"]);
        let built = LrmResource::new("r1")
            .with(LrmAttr::Agent, Some("Dummy"))
            .with(LrmAttr::Class, Some("ocf"))
            .with(LrmAttr::Provider, Some("pacemaker"));
        assert_eq!(LrmResource { ops: r.ops.clone(), unknown: r.unknown.clone(), ..built }, r);
    }

    #[test]
    fn escaped_values_are_read_unescaped_and_an_id_is_required() {
        let text = r#"<lrm_resource id="r&amp;1" class="ocf"><lrm_rsc_op id="op1" exit-reason="&quot;down&quot;" call-id="3"/></lrm_resource>"#;
        let r: LrmResource = crate::read::from_tree(&crate::xml::Element::parse(text).unwrap()).unwrap();
        assert_eq!(r.id(), "r&1");
        assert_eq!(r.ops[0].exit_reason(), Some("\"down\""));
        assert_eq!(r.ops[0].call_id(), Some(3));
        let missing = crate::xml::Element::parse(r#"<lrm_resource class="ocf"/>"#).unwrap();
        assert!(crate::read::from_tree::<LrmResource>(&missing).is_err());
        let op_missing =
            crate::xml::Element::parse(r#"<lrm_resource id="r"><lrm_rsc_op call-id="1"/></lrm_resource>"#)
                .unwrap();
        assert!(crate::read::from_tree::<LrmResource>(&op_missing).is_err());
    }
}
