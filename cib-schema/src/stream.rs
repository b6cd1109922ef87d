//! A pull reader over an XML document held in memory: start tags whose name and
//! attributes borrow from the input, text, end tags, each with its line:column,
//! and the path of the open elements for error messages. The typed readers consume
//! it directly, so no generic tree is built for what the model knows; only
//! unknown elements become [`crate::Element`]s.

use std::borrow::Cow;

use quick_xml::events::{BytesText, Event};
use quick_xml::Reader;

use crate::error::{CibError, ErrorKind, Pos};

/// Limit that keeps a hostile document from exhausting the stack.
pub const MAX_DEPTH: usize = 256;

/// One start tag (or empty-element tag), borrowed from the document.
#[derive(Debug, Clone)]
pub struct StartTag<'a> {
    /// The tag's text between `<` and `>` (or `/>`): its name, then attributes.
    raw: &'a str,
    name_len: usize,
    /// `<x/>`: there are no children and no end tag to read.
    pub empty: bool,
    pub pos: Pos,
}

/// What [`Stream::next_item`] found.
pub enum Item<'a> {
    Start(StartTag<'a>),
    Text(BytesText<'a>),
    CData(Vec<u8>),
    End,
    Eof,
}

/// `part` as a slice of `whole` when it lies inside it (quick-xml borrows from
/// the input for in-memory documents), so the result lives as long as the input.
fn within<'a>(whole: &'a str, part: &[u8]) -> Option<&'a str> {
    let start = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    whole.get(start..start.checked_add(part.len())?)
}

impl<'a> StartTag<'a> {
    pub fn name(&self) -> &'a str {
        &self.raw[..self.name_len]
    }

    /// The attributes in document order, values unescaped. A malformed attribute
    /// (duplicate, missing quote, bad escape) is an error naming it.
    pub fn attrs(&self) -> Attrs<'a> {
        Attrs {
            raw: self.raw,
            at: self.name_len,
            seen: [(0, 0); SEEN_INLINE],
            count: 0,
            more: Vec::new(),
            bloom: 0,
        }
    }

    /// One attribute's value; malformed attributes are skipped here (reading the
    /// element's attributes reports them).
    pub fn attr(&self, key: &str) -> Option<Cow<'a, str>> {
        self.attrs().filter_map(Result::ok).find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// `name[@id='x']`, as used in error paths.
    pub fn label(&self) -> String {
        match self.attr("id") {
            Some(id) => format!("{}[@id='{}']", self.name(), id),
            None => self.name().to_string(),
        }
    }
}

/// The attributes of a start tag, scanned from its raw text: `key="value"`
/// pairs (either quote) separated by whitespace.
pub struct Attrs<'a> {
    raw: &'a str,
    at: usize,
    /// Where the keys seen so far are (start, length), to reject duplicates:
    /// the first few inline, the rest (rare) in `more`.
    seen: [(u32, u32); SEEN_INLINE],
    count: usize,
    more: Vec<(u32, u32)>,
    /// One bit per hash of each key seen.
    bloom: u64,
}

const SEEN_INLINE: usize = 32;

/// Bytes that end an attribute name.
const KEY_END: [bool; 256] = byte_set(b"= \t\n\r\"'<>/");

/// The first byte of `b` that is `x`, `y` or `z`: eight bytes at a time
/// (values are mostly short, which a vector search's setup does not pay for).
fn find_byte_of(b: &[u8], x: u8, y: u8, z: u8) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // Bytes of `v` that are zero have their high bit set in the result; the
    // lowest such bit is exact (higher ones may be false).
    let zero_bytes = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let (mx, my, mz) = (ONES * u64::from(x), ONES * u64::from(y), ONES * u64::from(z));
    let mut chunks = b.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let v = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let hits = zero_bytes(v ^ mx) | zero_bytes(v ^ my) | zero_bytes(v ^ mz);
        if hits != 0 {
            return Some(at + (hits.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    chunks.remainder().iter().position(|&c| c == x || c == y || c == z).map(|i| at + i)
}

const fn byte_set(bytes: &[u8]) -> [bool; 256] {
    let mut set = [false; 256];
    let mut i = 0;
    while i < bytes.len() {
        set[bytes[i] as usize] = true;
        i += 1;
    }
    set
}

impl<'a> Attrs<'a> {
    fn skip_space(&mut self) {
        let b = &self.raw.as_bytes()[self.at..];
        self.at += b.iter().position(|c| !matches!(c, b' ' | b'\t' | b'\n' | b'\r')).unwrap_or(b.len());
    }

    fn scan(&mut self) -> Result<Option<(&'a str, Cow<'a, str>)>, String> {
        let raw = self.raw;
        let b = raw.as_bytes();
        let before = self.at;
        self.skip_space();
        if self.at >= b.len() {
            return Ok(None);
        }
        if self.at == before && before > 0 {
            return Err(format!("attributes must be separated by whitespace near '{}'", &raw[before..]));
        }
        let start = self.at;
        let Some(eq) = find_byte_of(&b[start..], b'=', b'=', b'=') else {
            return Err(format!("attribute without a value near '{}'", &raw[start..]));
        };
        let key = raw[start..start + eq].trim_end_matches([' ', '\t', '\n', '\r']);
        if key.is_empty() || key.bytes().any(|c| KEY_END[c as usize]) {
            return Err(format!("bad attribute name near '{}'", &raw[start..]));
        }
        self.at = start + eq + 1;
        self.skip_space();
        let quote = match b.get(self.at) {
            Some(&q @ (b'"' | b'\'')) => q,
            _ => return Err(format!("attribute '{key}': value is not quoted")),
        };
        let value_start = self.at + 1;
        // One pass finds the closing quote and notes escapes (or a stray '<').
        let mut special = false;
        let mut end = value_start;
        loop {
            match find_byte_of(&b[end..], quote, b'<', b'&') {
                None => return Err(format!("attribute '{key}': value has no closing quote")),
                Some(i) if b[end + i] == quote => {
                    end += i;
                    break;
                }
                Some(i) => {
                    special |= matches!(b[end + i], b'<' | b'&');
                    end += i + 1;
                }
            }
        }
        let value = &raw[value_start..end];
        self.at = end + 1;
        if special && value.contains('<') {
            return Err(format!("attribute '{key}': '<' in a value"));
        }
        // A cheap filter first: most keys differ in length or their ends.
        let kb = key.as_bytes();
        let bit = 1u64 << ((kb.len() * 7 + kb[0] as usize * 3 + kb[kb.len() - 1] as usize) % 64);
        if self.bloom & bit != 0 {
            let inline = &self.seen[..self.count.min(SEEN_INLINE)];
            if inline.iter().chain(&self.more).any(|&(s, l)| &raw[s as usize..(s + l) as usize] == key) {
                return Err(format!("duplicate attribute '{key}'"));
            }
        }
        self.bloom |= bit;
        let entry = (start as u32, key.len() as u32);
        match self.seen.get_mut(self.count) {
            Some(slot) => *slot = entry,
            None => self.more.push(entry),
        }
        self.count += 1;
        if !special {
            return Ok(Some((key, Cow::Borrowed(value))));
        }
        quick_xml::escape::unescape(value)
            .map(|v| Some((key, v)))
            .map_err(|e| format!("attribute '{key}': {e}"))
    }
}

impl<'a> Iterator for Attrs<'a> {
    type Item = Result<(&'a str, Cow<'a, str>), String>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.scan() {
            Ok(Some(pair)) => Some(Ok(pair)),
            Ok(None) => None,
            Err(e) => {
                // Stop after an error.
                self.at = self.raw.len();
                Some(Err(e))
            }
        }
    }
}

/// The pull reader.
pub struct Stream<'a> {
    text: &'a str,
    reader: Reader<&'a [u8]>,
    /// The open (non-empty) elements, outermost first.
    open: Vec<StartTag<'a>>,
    /// Line bookkeeping for positions, advanced as the reader moves forward.
    line: u32,
    line_start: usize,
    scanned: usize,
}

impl<'a> Stream<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut reader = Reader::from_str(text);
        reader.config_mut().check_end_names = true;
        reader.config_mut().trim_text(true);
        Stream { text, reader, open: Vec::new(), line: 1, line_start: 0, scanned: 0 }
    }

    /// Line and column (1-based, in bytes) of a byte offset.
    fn pos_at(&mut self, offset: usize) -> Pos {
        let offset = offset.min(self.text.len());
        if offset < self.scanned {
            let before = &self.text.as_bytes()[..offset];
            let line = memchr::memchr_iter(b'\n', before).count() as u32 + 1;
            let start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
            return Pos { line, col: (offset - start) as u32 + 1 };
        }
        for i in memchr::memchr_iter(b'\n', &self.text.as_bytes()[self.scanned..offset]) {
            self.line += 1;
            self.line_start = self.scanned + i + 1;
        }
        self.scanned = offset;
        Pos { line: self.line, col: (offset - self.line_start) as u32 + 1 }
    }

    /// The path of the open elements: `/cib/configuration/resources`.
    pub fn path(&self) -> String {
        self.open.iter().map(|t| format!("/{}", t.label())).collect()
    }

    /// The path of `tag`'s parent (`tag` being the element just returned).
    pub fn parent_path(&self, tag: &StartTag<'_>) -> String {
        let n = self.open.len() - usize::from(!tag.empty).min(self.open.len());
        self.open[..n].iter().map(|t| format!("/{}", t.label())).collect()
    }

    /// The path down to and including `tag`.
    pub fn path_to(&self, tag: &StartTag<'_>) -> String {
        format!("{}/{}", self.parent_path(tag), tag.label())
    }

    pub fn malformed(&self, why: impl Into<String>, pos: Pos) -> CibError {
        CibError::new(ErrorKind::Malformed(why.into()), Some(pos), self.path())
    }

    /// The next start tag, text, end tag or end of document.
    pub fn next_item(&mut self) -> Result<Item<'a>, CibError> {
        let before = self.reader.buffer_position() as usize;
        let event = match self.reader.read_event() {
            Ok(ev) => ev,
            Err(e) => {
                let pos = self.pos_at(self.reader.error_position() as usize);
                return Err(self.malformed(e.to_string(), pos));
            }
        };
        let bytes = self.text.as_bytes();
        let mut at = before;
        while at < bytes.len() && bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        let pos = self.pos_at(at);
        match event {
            Event::Start(start) => self.start_tag(&start, false, pos),
            Event::Empty(start) => self.start_tag(&start, true, pos),
            Event::End(_) => {
                self.open.pop();
                Ok(Item::End)
            }
            Event::Text(t) => {
                if self.open.is_empty() {
                    return Err(CibError::new(
                        ErrorKind::Malformed("text outside the root element".into()),
                        Some(pos),
                        String::new(),
                    ));
                }
                Ok(Item::Text(t))
            }
            Event::CData(c) => Ok(Item::CData(c.into_inner().into_owned())),
            Event::Eof => match self.open.last() {
                Some(inside) => {
                    let why = format!("document ends inside <{}>", inside.name());
                    let pos = self.pos_at(self.text.len());
                    Err(self.malformed(why, pos))
                }
                None => Ok(Item::Eof),
            },
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => self.next_item(),
        }
    }

    fn start_tag(&mut self, start: &[u8], empty: bool, pos: Pos) -> Result<Item<'a>, CibError> {
        let raw = within(self.text, start).ok_or_else(|| self.malformed("element name is not UTF-8", pos))?;
        let name_len = raw.find(|c: char| c.is_ascii_whitespace()).unwrap_or(raw.len());
        let tag = StartTag { raw, name_len, empty, pos };
        if !empty {
            if self.open.len() >= MAX_DEPTH {
                return Err(self.malformed(format!("nesting deeper than {MAX_DEPTH}"), pos));
            }
            self.open.push(tag.clone());
        }
        Ok(Item::Start(tag))
    }

    /// The next child element of `parent` (text is skipped), or `None` once its
    /// end tag has been read.
    pub fn next_child(&mut self, parent: &StartTag<'a>) -> Result<Option<StartTag<'a>>, CibError> {
        if parent.empty {
            return Ok(None);
        }
        loop {
            match self.next_item()? {
                Item::Start(tag) => return Ok(Some(tag)),
                Item::Text(_) | Item::CData(_) => {}
                Item::End | Item::Eof => return Ok(None),
            }
        }
    }

    /// The root element's start tag.
    pub fn root(&mut self) -> Result<StartTag<'a>, CibError> {
        loop {
            match self.next_item()? {
                Item::Start(tag) => return Ok(tag),
                Item::Eof => {
                    return Err(CibError::new(
                        ErrorKind::Malformed("no root element".into()),
                        Some(Pos { line: 1, col: 1 }),
                        String::new(),
                    ))
                }
                Item::Text(_) | Item::CData(_) | Item::End => {}
            }
        }
    }

    /// Checks that nothing but comments and processing instructions follow the root.
    pub fn finish(&mut self) -> Result<(), CibError> {
        loop {
            match self.next_item()? {
                Item::Eof => return Ok(()),
                Item::Start(tag) => {
                    return Err(CibError::new(
                        ErrorKind::Malformed("content after the root element".into()),
                        Some(tag.pos),
                        String::new(),
                    ))
                }
                Item::Text(_) | Item::CData(_) | Item::End => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs_of(tag: &str) -> Result<Vec<(String, String)>, String> {
        let mut s = Stream::new(tag);
        let Item::Start(t) = s.next_item().unwrap() else { panic!("no start tag") };
        t.attrs().map(|a| a.map(|(k, v)| (k.to_string(), v.into_owned()))).collect()
    }

    #[test]
    fn attributes_are_read_with_either_quote_and_unescaped() {
        let got = attrs_of("<a x=\"1\" y = 'two' z=\"&lt;&amp;&quot;\"/>").unwrap();
        let want = [("x", "1"), ("y", "two"), ("z", "<&\"")];
        assert_eq!(got, want.map(|(k, v)| (k.to_string(), v.to_string())));
        assert_eq!(attrs_of("<a/>").unwrap(), vec![]);
    }

    #[test]
    fn malformed_attributes_are_errors() {
        for bad in [
            "<a x=\"1\" x=\"2\"/>",
            "<a x=1/>",
            "<a x/>",
            "<a x=\"1\"y=\"2\"/>",
            "<a x=\"&bogus;\"/>",
            "<a =\"1\"/>",
        ] {
            assert!(attrs_of(bad).is_err(), "{bad} was accepted");
        }
    }
}
