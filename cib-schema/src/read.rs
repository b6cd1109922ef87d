//! Element tree -> typed model. The per-type readers are derived by `cib_element!`;
//! this module holds the shared context (element path for errors, id bookkeeping)
//! and the document-level checks (duplicate ids, dangling id-refs, resource classes).

use std::collections::HashMap;

use crate::error::{CibError, ErrorKind, Pos};
use crate::xml::Element;

/// A type that can be read from one XML element.
pub trait FromElement: Sized {
    /// Whether an element of this name is one of ours.
    fn accepts(name: &str) -> bool;
    /// Reads the element, taking its strings (the tree is consumed, not copied).
    fn from_element(el: Element, ctx: &mut ReadCtx) -> Result<Self, CibError>;
}

impl<T: FromElement> FromElement for Box<T> {
    fn accepts(name: &str) -> bool {
        T::accepts(name)
    }
    fn from_element(el: Element, ctx: &mut ReadCtx) -> Result<Self, CibError> {
        T::from_element(el, ctx).map(Box::new)
    }
}

pub fn child_matches<T: FromElement>(name: &str, filter: Option<&str>) -> bool {
    match filter {
        Some(f) => name == f,
        None => T::accepts(name),
    }
}

/// Elements whose `id` is not an XML ID: references to other elements, and node ids
/// (a remote node shares its id with the connection resource that runs it).
const REFERENCE_ELEMENTS: &[&str] = &["resource_ref", "obj_ref", "role", "node"];

/// Element names of name/value sets, which may refer to each other with `id-ref`.
pub const NVSET_TAGS: &[&str] =
    &["meta_attributes", "instance_attributes", "utilization", "cluster_property_set"];

/// The element names that may carry `id-ref`, as `'static` slices for [`IdRef`].
fn static_name(name: &str) -> &'static [&'static str] {
    const KNOWN: &[&str] = &["rule", "operations", "op", "nvpair", "expression", "date_expression"];
    match KNOWN.iter().position(|k| *k == name) {
        Some(i) => &KNOWN[i..=i],
        None => &[],
    }
}

/// Reading state: where we are, and which ids the configuration has declared.
#[derive(Default)]
pub struct ReadCtx {
    /// The element path so far, `/a/b[@id='x']`, in one buffer (errors are
    /// rare; an allocation per element is not).
    path: String,
    /// Where each entered element's part of `path` starts.
    path_starts: Vec<usize>,
    /// Depth at which `<configuration>` was entered; ids are unique only there.
    config_depth: Option<usize>,
    pub(crate) ids: HashMap<String, (Pos, String)>,
    pub(crate) refs: Vec<IdRef>,
}

/// An `id-ref` seen while reading, checked once the whole document is known.
pub(crate) struct IdRef {
    pub id: String,
    pub expected: &'static [&'static str],
    pub pos: Pos,
    pub path: String,
}

impl ReadCtx {
    pub fn path(&self) -> String {
        self.path.clone()
    }

    pub fn enter(&mut self, el: &Element) -> Result<(), CibError> {
        if el.name == "configuration" && self.config_depth.is_none() {
            self.config_depth = Some(self.path_starts.len());
        }
        if self.config_depth.is_some() && !REFERENCE_ELEMENTS.contains(&el.name.as_str()) {
            if let Some(id) = el.attr("id") {
                if let Some((first, _)) = self.ids.get(id) {
                    return Err(CibError::new(
                        ErrorKind::DuplicateId { id: id.to_string(), first: *first },
                        Some(el.pos),
                        format!("{}/{}", self.path(), el.label()),
                    ));
                }
                self.ids.insert(id.to_string(), (el.pos, el.name.clone()));
            }
        }
        if el.attr("id-ref").is_some() {
            let expected: &'static [&'static str] =
                if NVSET_TAGS.contains(&el.name.as_str()) { NVSET_TAGS } else { static_name(&el.name) };
            self.note_id_ref(el, expected);
        }
        self.path_starts.push(self.path.len());
        self.path.push('/');
        self.path.push_str(&el.name);
        if let Some(id) = el.attr("id") {
            self.path.push_str("[@id='");
            self.path.push_str(id);
            self.path.push_str("']");
        }
        Ok(())
    }

    pub fn leave(&mut self) {
        if let Some(start) = self.path_starts.pop() {
            self.path.truncate(start);
        }
        if self.config_depth == Some(self.path_starts.len()) {
            self.config_depth = None;
        }
    }

    pub fn missing(&self, el: &Element, attribute: &str) -> CibError {
        CibError::new(
            ErrorKind::MissingAttribute { element: el.name.clone(), attribute: attribute.to_string() },
            Some(el.pos),
            format!("{}/{}", self.path(), el.label()),
        )
    }

    pub fn unexpected(&self, el: &Element, expected: &str) -> CibError {
        CibError::new(
            ErrorKind::UnexpectedElement { expected: expected.to_string(), found: el.name.clone() },
            Some(el.pos),
            self.path(),
        )
    }

    /// Records an `id-ref` on `el` (if it has one) for the final dangling check.
    pub fn note_id_ref(&mut self, el: &Element, expected: &'static [&'static str]) {
        if let Some(id) = el.attr("id-ref") {
            self.refs.push(IdRef {
                id: id.to_string(),
                expected,
                pos: el.pos,
                path: format!("{}/{}", self.path(), el.label()),
            });
        }
    }

    /// Checks what can only be checked once the whole document has been read.
    pub(crate) fn finish(&self) -> Result<(), CibError> {
        for r in &self.refs {
            let ok = matches!(self.ids.get(&r.id), Some((_, name)) if r.expected.is_empty() || r.expected.contains(&name.as_str()));
            if !ok {
                return Err(CibError::new(
                    ErrorKind::DanglingIdRef { id: r.id.clone(), element: r.expected.join("|") },
                    Some(r.pos),
                    r.path.clone(),
                ));
            }
        }
        Ok(())
    }
}
