//! Document text -> typed model, in one pass over a [`Stream`]. The per-type
//! readers are derived by `cib_element!`; this module holds the shared context
//! (the stream, id bookkeeping) and the document-level checks (duplicate ids,
//! dangling id-refs).

use std::borrow::Cow;

use crate::error::{CibError, ErrorKind};
use crate::stream::{StartTag, Stream};

/// A type that can be read from one XML element.
pub trait FromXml: Sized {
    /// Whether an element of this name is one of ours.
    fn accepts(name: &str) -> bool;
    /// Reads the element whose start tag is `tag`, through its end tag.
    fn read_xml<'a>(tag: &StartTag<'a>, ctx: &mut ReadCtx<'a>) -> Result<Self, CibError>;
}

impl<T: FromXml> FromXml for Box<T> {
    fn accepts(name: &str) -> bool {
        T::accepts(name)
    }
    fn read_xml<'a>(tag: &StartTag<'a>, ctx: &mut ReadCtx<'a>) -> Result<Self, CibError> {
        T::read_xml(tag, ctx).map(Box::new)
    }
}

pub fn child_matches<T: FromXml>(name: &str, filter: Option<&str>) -> bool {
    match filter {
        Some(f) => name == f,
        None => T::accepts(name),
    }
}

/// Appends to a list of children. Most lists hold one or two items, for which
/// growth would reserve room for four and shrinking would then copy: the first
/// few are added one slot at a time, longer lists grow as usual (and are shrunk
/// once read).
pub fn push_item<T>(list: &mut Vec<T>, item: T) {
    if list.len() < 4 {
        list.reserve_exact(1);
    }
    list.push(item);
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

/// Reading state: the stream, how deep we are, and which ids the configuration
/// has declared.
pub struct ReadCtx<'a> {
    pub stream: Stream<'a>,
    /// Typed elements entered and not yet left.
    depth: usize,
    /// Depth at which `<configuration>` was entered; ids are unique only there.
    config_depth: Option<usize>,
    /// Each id's element: where it is (a byte offset) and its name.
    ids: rustc_hash::FxHashMap<Cow<'a, str>, (usize, &'a str)>,
    refs: Vec<IdRef>,
    /// Where runs of `lrm_resource` elements another thread read may be
    /// taken ([`crate::split`]).
    pub(crate) splice: Option<crate::split::Splice<'a>>,
    /// Shown the document once its configuration has been read ([`crate::parse_observed`]).
    pub(crate) observer: Option<Observer<'a>>,
}

/// A caller's look at the document read so far: its root's attributes and
/// its configuration, while the status section is still to come.
pub(crate) type Observer<'a> = Box<dyn FnOnce(&crate::Cib) + Send + 'a>;

/// An `id-ref` seen while reading, checked once the whole document is known.
struct IdRef {
    id: String,
    expected: &'static [&'static str],
    at: usize,
    path: String,
}

impl<'a> ReadCtx<'a> {
    pub fn new(text: &'a str) -> Self {
        ReadCtx {
            stream: Stream::new(text),
            depth: 0,
            config_depth: None,
            ids: Default::default(),
            refs: Vec::new(),
            splice: None,
            observer: None,
        }
    }

    pub(crate) fn has_id_refs(&self) -> bool {
        !self.refs.is_empty()
    }

    /// The `lrm_resource` elements another thread read, if the next child of
    /// the `lrm_resources` element being read is where they begin; the
    /// stream then continues after them.
    pub(crate) fn take_run(&mut self) -> Option<Vec<crate::model::LrmResource>> {
        let next = self.stream.next_tag_offset()?;
        let run = self.splice.as_mut()?.run_at(next)?;
        self.stream.skip_to(run.end);
        Some(run.resources)
    }

    /// Called by a typed reader once it has read `tag`'s attributes, among them
    /// `id` and `id-ref`.
    pub fn enter(
        &mut self,
        tag: &StartTag<'a>,
        id: Option<Cow<'a, str>>,
        id_ref: Option<&str>,
    ) -> Result<(), CibError> {
        let name = tag.name();
        if name == "configuration" && self.config_depth.is_none() {
            self.config_depth = Some(self.depth);
        }
        self.depth += 1;
        if self.config_depth.is_some() && !REFERENCE_ELEMENTS.contains(&name) {
            if let Some(id) = id {
                match self.ids.entry(id) {
                    std::collections::hash_map::Entry::Occupied(seen) => {
                        let (id, first) = (seen.key().to_string(), self.stream.pos_at(seen.get().0));
                        return Err(CibError::new(
                            ErrorKind::DuplicateId { id, first },
                            Some(self.stream.pos_at(tag.at)),
                            self.stream.path_to(tag),
                        ));
                    }
                    std::collections::hash_map::Entry::Vacant(slot) => {
                        slot.insert((tag.at, name));
                    }
                }
            }
        }
        self.note_id_ref(tag, id_ref);
        Ok(())
    }

    /// Called by a typed reader after it has read one of its single children
    /// (`one` in `cib_element!`): the document's observer, if any, sees the
    /// document once its configuration is in.
    #[inline]
    pub fn single_child_read<T: 'static>(&mut self, parent: &mut T) {
        if self.observer.is_some() {
            self.observe(parent);
        }
    }

    #[cold]
    fn observe(&mut self, parent: &mut dyn std::any::Any) {
        let Some(cib) = parent.downcast_mut::<crate::Cib>() else { return };
        let Some(configuration) = cib.configuration.as_mut() else { return };
        let Some(observer) = self.observer.take() else { return };
        match self.splice.as_mut() {
            // The other thread shows it the head (the configuration is back
            // before the reading ends: `restore_configuration`); an empty
            // one holds its place, so that a second is read as it would be.
            Some(splice) => {
                let configuration = std::mem::take(configuration);
                let mut head = cib.clone();
                head.configuration = Some(configuration);
                splice.hand_over(head, observer);
            }
            None => observer(cib),
        }
    }

    /// Puts back the configuration handed to the other thread with the
    /// observer, once that has seen it.
    pub(crate) fn restore_configuration(&mut self, cib: &mut crate::Cib) {
        if let Some(head) = self.splice.as_mut().and_then(|s| s.take_back()) {
            cib.configuration = head.configuration;
        }
    }

    /// Called by a typed reader after its element's end tag.
    pub fn leave(&mut self) {
        self.depth -= 1;
        if self.config_depth == Some(self.depth) {
            self.config_depth = None;
        }
    }

    /// The next child element of `parent`, `None` after its end tag.
    pub fn next_child(&mut self, parent: &StartTag<'a>) -> Result<Option<StartTag<'a>>, CibError> {
        self.stream.next_child(parent)
    }

    pub fn missing(&self, tag: &StartTag<'_>, attribute: &str) -> CibError {
        CibError::new(
            ErrorKind::MissingAttribute { element: tag.name().to_string(), attribute: attribute.to_string() },
            Some(self.stream.pos_at(tag.at)),
            self.stream.path_to(tag),
        )
    }

    pub fn unexpected(&self, tag: &StartTag<'_>, expected: &str) -> CibError {
        CibError::new(
            ErrorKind::UnexpectedElement { expected: expected.to_string(), found: tag.name().to_string() },
            Some(self.stream.pos_at(tag.at)),
            self.stream.parent_path(tag),
        )
    }

    /// A malformed attribute on `tag`.
    pub fn bad_attribute(&self, tag: &StartTag<'_>, why: String) -> CibError {
        CibError::new(ErrorKind::Malformed(why), Some(self.stream.pos_at(tag.at)), self.stream.path_to(tag))
    }

    /// Records an `id-ref` on `tag` (if it has one) for the final dangling check.
    fn note_id_ref(&mut self, tag: &StartTag<'a>, id_ref: Option<&str>) {
        let Some(id) = id_ref else { return };
        let name = tag.name();
        let expected = if NVSET_TAGS.contains(&name) { NVSET_TAGS } else { static_name(name) };
        self.refs.push(IdRef { id: id.to_string(), expected, at: tag.at, path: self.stream.path_to(tag) });
    }

    /// Checks what can only be checked once the whole document has been read.
    pub(crate) fn finish(&mut self) -> Result<(), CibError> {
        self.stream.finish()?;
        for r in &self.refs {
            let ok = matches!(self.ids.get(r.id.as_str()), Some((_, name)) if r.expected.is_empty() || r.expected.contains(name));
            if !ok {
                return Err(CibError::new(
                    ErrorKind::DanglingIdRef { id: r.id.clone(), element: r.expected.join("|") },
                    Some(self.stream.pos_at(r.at)),
                    r.path.clone(),
                ));
            }
        }
        Ok(())
    }
}

/// Reads one typed element from a generic tree (by writing it out and reading it
/// back; for the rare callers that hold a tree rather than text).
pub fn from_tree<T: FromXml>(el: &crate::xml::Element) -> Result<T, CibError> {
    let text = el.to_xml();
    let mut ctx = ReadCtx::new(&text);
    let root = ctx.stream.root()?;
    if !T::accepts(root.name()) {
        return Err(ctx.unexpected(&root, root.name()));
    }
    T::read_xml(&root, &mut ctx)
}
