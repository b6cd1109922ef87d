//! The CIB as crmsh sees it: a plain, order-preserving element tree that also
//! keeps XML comments, because crmsh stores `# comment` lines of its input as
//! comments inside the object they precede and prints them back in `show`.
//! (The lossless reader of `cib-schema` drops comments, so the shell has its own.)

use std::fmt::Write as _;

use quick_xml::events::Event;
use quick_xml::Reader;

/// Name given to comment pseudo-elements; the comment text is in `text`.
pub const COMMENT: &str = "#comment";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
    /// Comment text for [`COMMENT`] nodes; character data of elements.
    pub text: String,
}

impl Node {
    pub fn new(name: &str) -> Node {
        Node { name: name.to_string(), ..Default::default() }
    }

    pub fn comment(text: &str) -> Node {
        Node { name: COMMENT.to_string(), text: text.to_string(), ..Default::default() }
    }

    pub fn is_comment(&self) -> bool {
        self.name == COMMENT
    }

    pub fn with(mut self, name: &str, value: &str) -> Node {
        self.set(name, value);
        self
    }

    pub fn with_child(mut self, child: Node) -> Node {
        self.children.push(child);
        self
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn id(&self) -> &str {
        self.get("id").unwrap_or("")
    }

    /// Sets an attribute, keeping its position when it already exists.
    pub fn set(&mut self, name: &str, value: &str) {
        match self.attrs.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = value.to_string(),
            None => self.attrs.push((name.to_string(), value.to_string())),
        }
    }

    pub fn unset(&mut self, name: &str) -> Option<String> {
        let i = self.attrs.iter().position(|(k, _)| k == name)?;
        Some(self.attrs.remove(i).1)
    }

    pub fn elements(&self) -> impl Iterator<Item = &Node> {
        self.children.iter().filter(|c| !c.is_comment())
    }

    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn child_mut(&mut self, name: &str) -> Option<&mut Node> {
        self.children.iter_mut().find(|c| c.name == name)
    }

    /// The child named `name`, created (at the end) when missing.
    pub fn child_or_insert(&mut self, name: &str) -> &mut Node {
        let i = match self.children.iter().position(|c| c.name == name) {
            Some(i) => i,
            None => {
                self.children.push(Node::new(name));
                self.children.len() - 1
            }
        };
        &mut self.children[i]
    }

    pub fn comments(&self) -> impl Iterator<Item = &str> {
        self.children.iter().filter(|c| c.is_comment()).map(|c| c.text.as_str())
    }

    /// Depth-first visit of every element (comments excluded).
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Node)) {
        if self.is_comment() {
            return;
        }
        f(self);
        for c in &self.children {
            c.walk(f);
        }
    }

    pub fn walk_mut(&mut self, f: &mut dyn FnMut(&mut Node)) {
        if self.is_comment() {
            return;
        }
        f(self);
        for c in &mut self.children {
            c.walk_mut(f);
        }
    }

    /// Finds the first element (depth-first) with this id.
    pub fn find_id(&self, id: &str) -> Option<&Node> {
        if self.get("id") == Some(id) {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find_id(id))
    }

    /// Serialises with Pacemaker's layout (two-space indentation).
    pub fn to_xml(&self) -> String {
        let mut out = String::new();
        write_node(self, 0, &mut out);
        out
    }
}

fn escape(s: &str, out: &mut String) {
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
}

fn write_node(n: &Node, depth: usize, out: &mut String) {
    for _ in 0..depth {
        out.push_str("  ");
    }
    if n.is_comment() {
        let _ = writeln!(out, "<!--{}-->", n.text);
        return;
    }
    out.push('<');
    out.push_str(&n.name);
    for (k, v) in &n.attrs {
        out.push(' ');
        out.push_str(k);
        out.push_str("=\"");
        escape(v, out);
        out.push('"');
    }
    if n.children.is_empty() && n.text.is_empty() {
        out.push_str("/>\n");
        return;
    }
    if n.children.is_empty() {
        out.push('>');
        let mut t = String::new();
        escape(&n.text, &mut t);
        out.push_str(&t.replace("&#10;", "\n").replace("&#9;", "\t"));
        let _ = writeln!(out, "</{}>", n.name);
        return;
    }
    out.push_str(">\n");
    for c in &n.children {
        write_node(c, depth + 1, out);
    }
    for _ in 0..depth {
        out.push_str("  ");
    }
    let _ = writeln!(out, "</{}>", n.name);
}

/// Parses a whole document; the error is a readable message with the position.
pub fn parse(text: &str) -> Result<Node, String> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    let attrs_of = |e: &quick_xml::events::BytesStart| -> Result<Node, String> {
        let mut n = Node::new(&String::from_utf8_lossy(e.name().as_ref()));
        for a in e.attributes() {
            let a = a.map_err(|e| e.to_string())?;
            let v = a.unescape_value().map_err(|e| e.to_string())?;
            n.attrs.push((String::from_utf8_lossy(a.key.as_ref()).into_owned(), v.into_owned()));
        }
        Ok(n)
    };
    loop {
        let ev =
            reader.read_event().map_err(|e| format!("XML error at byte {}: {e}", reader.error_position()))?;
        match ev {
            Event::Start(e) => stack.push(attrs_of(&e)?),
            Event::Empty(e) => {
                let n = attrs_of(&e)?;
                match stack.last_mut() {
                    Some(p) => p.children.push(n),
                    None => root = Some(n),
                }
            }
            Event::End(_) => {
                let n = stack.pop().ok_or("unbalanced end tag")?;
                match stack.last_mut() {
                    Some(p) => p.children.push(n),
                    None => root = Some(n),
                }
            }
            Event::Text(t) => {
                if let Some(p) = stack.last_mut() {
                    let t = t.unescape().map_err(|e| e.to_string())?;
                    if !t.trim().is_empty() {
                        p.text.push_str(&t);
                    }
                }
            }
            Event::CData(c) => {
                if let Some(p) = stack.last_mut() {
                    p.text.push_str(&String::from_utf8_lossy(&c));
                }
            }
            Event::Comment(c) => {
                if let Some(p) = stack.last_mut() {
                    p.children.push(Node::comment(&String::from_utf8_lossy(&c)));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err("unexpected end of document".into());
    }
    root.ok_or_else(|| "empty document".to_string())
}
