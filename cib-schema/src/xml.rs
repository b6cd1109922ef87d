//! A small, order-preserving XML element tree: the lossless layer under the typed
//! model. Everything the typed model does not know stays here, so a CIB written by
//! a newer Pacemaker survives a round trip.

use std::fmt::Write as _;

use crate::error::{CibError, ErrorKind};
pub use crate::stream::MAX_DEPTH;
use crate::stream::{Item, StartTag, Stream};

/// One XML element with its attributes (in document order), children and text.
#[derive(Debug, Clone, Default)]
pub struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    /// Character data directly inside the element (trimmed); CIB elements rarely have any.
    pub text: Option<String>,
    /// Where the element starts in its source (a byte offset, see
    /// [`crate::error::position`]); not part of equality.
    pub at: usize,
}

impl PartialEq for Element {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.attrs == other.attrs
            && self.children == other.children
            && self.text == other.text
    }
}
impl Eq for Element {}

impl Element {
    pub fn new(name: impl Into<String>) -> Self {
        Element { name: name.into(), ..Default::default() }
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Sets (or replaces, keeping its position) an attribute.
    pub fn set_attr(&mut self, name: &str, value: impl Into<String>) {
        let value = value.into();
        match self.attrs.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = value,
            None => self.attrs.push((name.to_string(), value)),
        }
    }

    pub fn remove_attr(&mut self, name: &str) -> Option<String> {
        let idx = self.attrs.iter().position(|(k, _)| k == name)?;
        Some(self.attrs.remove(idx).1)
    }

    /// Builder form of [`Element::set_attr`] that skips `None`.
    pub fn with_opt(mut self, name: &str, value: Option<&str>) -> Self {
        if let Some(v) = value {
            self.attrs.push((name.to_string(), v.to_string()));
        }
        self
    }

    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// A short human description used in error paths: `primitive[@id='x']`.
    pub fn label(&self) -> String {
        match self.attr("id") {
            Some(id) => format!("{}[@id='{}']", self.name, id),
            None => self.name.clone(),
        }
    }

    /// Parses a whole document and returns its root element.
    pub fn parse(text: &str) -> Result<Element, CibError> {
        let mut stream = Stream::new(text);
        let root = stream.root()?;
        let el = Element::read_xml(&root, &mut stream)?;
        stream.finish()?;
        Ok(el)
    }

    /// Reads the element whose start tag is `tag`, with everything under it.
    pub fn read_xml<'a>(tag: &StartTag<'a>, stream: &mut Stream<'a>) -> Result<Element, CibError> {
        let mut el = Element { name: tag.name().to_string(), at: tag.at, ..Default::default() };
        for attr in tag.attrs() {
            let (k, v) = attr.map_err(|why| {
                CibError::new(ErrorKind::Malformed(why), Some(stream.pos_at(tag.at)), stream.path_to(tag))
            })?;
            el.attrs.push((k.to_string(), v.into_owned()));
        }
        if tag.empty {
            return Ok(el);
        }
        loop {
            match stream.next_item()? {
                Item::Start(child) => el.children.push(Element::read_xml(&child, stream)?),
                Item::Text(t) => {
                    let s = quick_xml::escape::unescape(t)
                        .map_err(|e| stream.malformed(e.to_string(), stream.pos_at(tag.at)))?;
                    let trimmed = s.trim();
                    if !trimmed.is_empty() {
                        append_text(&mut el, trimmed);
                    }
                }
                Item::CData(c) => append_text(&mut el, c.trim()),
                Item::End | Item::Eof => return Ok(el),
            }
        }
    }

    /// Serialises with Pacemaker's layout: two-space indentation, one element a line,
    /// empty elements self-closed. Deterministic: attribute and child order are kept.
    pub fn to_xml(&self) -> String {
        let mut out = String::with_capacity(4096);
        write_element(self, 0, &mut out);
        out
    }
}

fn append_text(el: &mut Element, s: &str) {
    match &mut el.text {
        Some(t) => t.push_str(s),
        None => el.text = Some(s.to_string()),
    }
}

fn escape_into(out: &mut String, s: &str, attr: bool) {
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attr => out.push_str("&quot;"),
            '\n' if attr => out.push_str("&#10;"),
            '\r' if attr => out.push_str("&#13;"),
            '\t' if attr => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
}

fn write_element(el: &Element, depth: usize, out: &mut String) {
    for _ in 0..depth {
        out.push_str("  ");
    }
    out.push('<');
    out.push_str(&el.name);
    for (k, v) in &el.attrs {
        let _ = write!(out, " {k}=\"");
        escape_into(out, v, true);
        out.push('"');
    }
    if el.children.is_empty() && el.text.is_none() {
        out.push_str("/>\n");
        return;
    }
    out.push('>');
    if let Some(t) = &el.text {
        escape_into(out, t, false);
    }
    if !el.children.is_empty() {
        out.push('\n');
        for c in &el.children {
            write_element(c, depth + 1, out);
        }
        for _ in 0..depth {
            out.push_str("  ");
        }
    }
    out.push_str("</");
    out.push_str(&el.name);
    out.push_str(">\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_attributes_children_and_text() {
        let src = "<a x=\"1\" y=\"&quot;q&amp;\"><b/><c>hi &lt;there&gt;</c></a>";
        let el = Element::parse(src).unwrap();
        assert_eq!(el.attr("y"), Some("\"q&"));
        assert_eq!(el.children[1].text.as_deref(), Some("hi <there>"));
        let again = Element::parse(&el.to_xml()).unwrap();
        assert_eq!(el, again);
    }

    #[test]
    fn reports_line_and_column_of_a_mismatched_end() {
        let err = Element::parse("<a>\n  <b>\n  </c>\n</a>").unwrap_err();
        assert_eq!(err.pos.unwrap().line, 3, "{err}");
        assert!(err.path.contains("/a/b"), "{err}");
    }

    #[test]
    fn truncated_document_is_an_error() {
        let err = Element::parse("<cib><configuration>").unwrap_err();
        assert!(matches!(err.kind, ErrorKind::Malformed(_)));
    }
}
