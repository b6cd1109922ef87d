//! A small, order-preserving XML element tree: the lossless layer under the typed
//! model. Everything the typed model does not know stays here, so a CIB written by
//! a newer Pacemaker survives a round trip.

use std::fmt::Write as _;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::error::{CibError, ErrorKind, Pos};

/// Limits that keep a hostile document from exhausting memory or the stack.
pub const MAX_DEPTH: usize = 256;

/// One XML element with its attributes (in document order), children and text.
#[derive(Debug, Clone, Default)]
pub struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    /// Character data directly inside the element (trimmed); CIB elements rarely have any.
    pub text: Option<String>,
    /// Where the element starts in its source; not part of equality.
    pub pos: Pos,
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
        parse_document(text)
    }

    /// Serialises with Pacemaker's layout: two-space indentation, one element a line,
    /// empty elements self-closed. Deterministic: attribute and child order are kept.
    pub fn to_xml(&self) -> String {
        let mut out = String::with_capacity(4096);
        write_element(self, 0, &mut out);
        out
    }
}

fn pos_of(line_starts: &[usize], offset: usize) -> Pos {
    let line = match line_starts.binary_search(&offset) {
        Ok(i) => i,
        Err(i) => i - 1,
    };
    Pos { line: line as u32 + 1, col: (offset - line_starts[line]) as u32 + 1 }
}

fn parse_document(text: &str) -> Result<Element, CibError> {
    let mut line_starts = vec![0usize];
    line_starts.extend(text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i + 1));

    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    reader.config_mut().trim_text(false);

    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let path_of = |stack: &[Element]| -> String {
        let mut p = String::new();
        for e in stack {
            p.push('/');
            p.push_str(&e.label());
        }
        p
    };

    loop {
        let before = reader.buffer_position() as usize;
        let event = reader.read_event();
        let event = match event {
            Ok(ev) => ev,
            Err(e) => {
                let at = reader.error_position() as usize;
                return Err(CibError::new(
                    ErrorKind::Malformed(e.to_string()),
                    Some(pos_of(&line_starts, at.min(text.len()))),
                    path_of(&stack),
                ));
            }
        };
        let pos = pos_of(&line_starts, skip_ws(text, before));
        match event {
            Event::Start(start) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(CibError::new(
                        ErrorKind::Malformed(format!("nesting deeper than {MAX_DEPTH}")),
                        Some(pos),
                        path_of(&stack),
                    ));
                }
                if root.is_some() {
                    return Err(CibError::new(
                        ErrorKind::Malformed("content after the root element".into()),
                        Some(pos),
                        String::new(),
                    ));
                }
                let el = start_element(&start, pos, &stack, &line_starts)?;
                stack.push(el);
            }
            Event::Empty(start) => {
                if root.is_some() {
                    return Err(CibError::new(
                        ErrorKind::Malformed("content after the root element".into()),
                        Some(pos),
                        String::new(),
                    ));
                }
                let el = start_element(&start, pos, &stack, &line_starts)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                let el = stack.pop().expect("quick-xml checks end names");
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                let s = t.unescape().map_err(|e| {
                    CibError::new(ErrorKind::Malformed(e.to_string()), Some(pos), path_of(&stack))
                })?;
                let trimmed = s.trim();
                if !trimmed.is_empty() {
                    match stack.last_mut() {
                        Some(el) => append_text(el, trimmed),
                        None => {
                            return Err(CibError::new(
                                ErrorKind::Malformed("text outside the root element".into()),
                                Some(pos),
                                String::new(),
                            ))
                        }
                    }
                }
            }
            Event::CData(c) => {
                if let Some(el) = stack.last_mut() {
                    let s = String::from_utf8_lossy(&c.into_inner()).into_owned();
                    append_text(el, s.trim());
                }
            }
            Event::Eof => {
                if !stack.is_empty() {
                    return Err(CibError::new(
                        ErrorKind::Malformed(format!(
                            "document ends inside <{}>",
                            stack.last().map(|e| e.name.as_str()).unwrap_or("")
                        )),
                        Some(pos_of(&line_starts, text.len())),
                        path_of(&stack),
                    ));
                }
                break;
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
    root.ok_or_else(|| {
        CibError::new(
            ErrorKind::Malformed("no root element".into()),
            Some(Pos { line: 1, col: 1 }),
            String::new(),
        )
    })
}

fn skip_ws(text: &str, mut at: usize) -> usize {
    let b = text.as_bytes();
    while at < b.len() && b[at].is_ascii_whitespace() {
        at += 1;
    }
    at
}

fn append_text(el: &mut Element, s: &str) {
    match &mut el.text {
        Some(t) => t.push_str(s),
        None => el.text = Some(s.to_string()),
    }
}

fn start_element(
    start: &BytesStart<'_>,
    pos: Pos,
    stack: &[Element],
    _line_starts: &[usize],
) -> Result<Element, CibError> {
    let path = || stack.iter().map(|e| format!("/{}", e.label())).collect::<String>();
    let name = String::from_utf8(start.name().as_ref().to_vec()).map_err(|_| {
        CibError::new(ErrorKind::Malformed("element name is not UTF-8".into()), Some(pos), path())
    })?;
    let mut el = Element { name, pos, ..Default::default() };
    for attr in start.attributes().with_checks(true) {
        let attr = attr.map_err(|e| {
            CibError::new(ErrorKind::Malformed(e.to_string()), Some(pos), format!("{}/{}", path(), el.name))
        })?;
        let key = String::from_utf8(attr.key.as_ref().to_vec()).map_err(|_| {
            CibError::new(ErrorKind::Malformed("attribute name is not UTF-8".into()), Some(pos), path())
        })?;
        let value = attr
            .unescape_value()
            .map_err(|e| {
                CibError::new(
                    ErrorKind::Malformed(e.to_string()),
                    Some(pos),
                    format!("{}/{}", path(), el.name),
                )
            })?
            .into_owned();
        el.attrs.push((key, value));
    }
    Ok(el)
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
