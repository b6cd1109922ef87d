//! A pull reader over an XML document held in memory: start tags whose name and
//! attributes borrow from the input, text, end tags, each with its line:column,
//! and the path of the open elements for error messages. The typed readers consume
//! it directly, so no generic tree is built for what the model knows; only
//! unknown elements become [`crate::Element`]s.
//!
//! The tokenizer is our own: a CIB is almost all start tags with many short
//! attributes (an operation record has twenty), and walking each tag once,
//! attribute by attribute, while noting where each name and value lies, costs
//! a fraction of finding the tag's end first and parsing its attributes after.
//! Escapes are decoded by quick-xml.

use std::borrow::Cow;

use crate::error::{CibError, ErrorKind, Pos};

/// Limit that keeps a hostile document from exhausting the stack.
pub const MAX_DEPTH: usize = 256;

/// Where one attribute's name and value lie in its tag's text.
#[derive(Debug, Clone, Copy, Default)]
struct AttrSpan {
    key: u32,
    key_len: u32,
    value: u32,
    value_len: u32,
    /// The value holds `&` escapes to decode.
    escaped: bool,
}

/// The same, packed for tags under 64 KiB (nearly all), so that a tag stays
/// small as it is handed along.
#[derive(Debug, Clone, Copy, Default)]
struct ShortSpan([u16; 4]);

/// Attribute spans of one tag: inline for the usual few, else on the heap.
#[derive(Debug, Clone)]
enum Spans {
    /// Up to [`INLINE_ATTRS`] spans; bit `i` of `escaped` marks span `i`.
    Inline {
        n: u8,
        escaped: u32,
        spans: [ShortSpan; INLINE_ATTRS],
    },
    Heap(Vec<AttrSpan>),
}

const INLINE_ATTRS: usize = 24;

impl Spans {
    fn new() -> Self {
        Spans::Inline { n: 0, escaped: 0, spans: [ShortSpan::default(); INLINE_ATTRS] }
    }

    fn len(&self) -> usize {
        match self {
            Spans::Inline { n, .. } => *n as usize,
            Spans::Heap(v) => v.len(),
        }
    }

    fn any_escaped(&self) -> bool {
        match self {
            Spans::Inline { escaped, .. } => *escaped != 0,
            Spans::Heap(v) => v.iter().any(|s| s.escaped),
        }
    }

    fn get(&self, i: usize) -> AttrSpan {
        match self {
            Spans::Inline { escaped, spans, .. } => {
                let [key, key_len, value, value_len] = spans[i].0.map(u32::from);
                AttrSpan { key, key_len, value, value_len, escaped: escaped & (1 << i) != 0 }
            }
            Spans::Heap(v) => v[i],
        }
    }

    fn push(&mut self, span: AttrSpan) {
        // The value ends last: if its end fits in 16 bits, everything does.
        let fits = span.value + span.value_len <= u32::from(u16::MAX);
        match self {
            Spans::Inline { n, escaped, spans } if (*n as usize) < INLINE_ATTRS && fits => {
                let short = |x: u32| x as u16;
                spans[*n as usize] = ShortSpan([
                    short(span.key),
                    short(span.key_len),
                    short(span.value),
                    short(span.value_len),
                ]);
                *escaped |= u32::from(span.escaped) << *n;
                *n += 1;
            }
            Spans::Inline { n, .. } => {
                let mut v: Vec<AttrSpan> = (0..*n as usize).map(|i| self.get(i)).collect();
                v.push(span);
                *self = Spans::Heap(v);
            }
            Spans::Heap(v) => v.push(span),
        }
    }
}

/// One start tag (or empty-element tag), borrowed from the document.
#[derive(Debug, Clone)]
pub struct StartTag<'a> {
    /// The tag's text after `<`: its name, then attributes.
    raw: &'a str,
    name_len: usize,
    spans: Spans,
    /// `<x/>`: there are no children and no end tag to read.
    pub empty: bool,
    /// Byte offset of the tag's `<`.
    pub at: usize,
}

/// What [`Stream::next_item`] found.
#[allow(clippy::large_enum_variant)] // start tags are nearly every item; boxing would cost more
pub enum Item<'a> {
    Start(StartTag<'a>),
    /// Character data (not whitespace only), still escaped.
    Text(&'a str),
    CData(&'a str),
    End,
    Eof,
}

impl<'a> StartTag<'a> {
    pub fn name(&self) -> &'a str {
        &self.raw[..self.name_len]
    }

    /// The attributes in document order, values unescaped; a bad escape is an
    /// error naming the attribute (the syntax was checked when the tag was read).
    pub fn attrs(&self) -> impl Iterator<Item = Result<(&'a str, Cow<'a, str>), String>> + '_ {
        (0..self.spans.len()).map(move |i| {
            let s = self.spans.get(i);
            let key = self.span_text(s.key, s.key_len);
            let value = self.span_text(s.value, s.value_len);
            if !s.escaped {
                return Ok((key, Cow::Borrowed(value)));
            }
            quick_xml::escape::unescape(value)
                .map(|v| (key, v))
                .map_err(|e| format!("attribute '{key}': {e}"))
        })
    }

    /// The attributes in document order as written, if none has an escape
    /// to undo (nearly every tag): values borrowed, nothing to decode.
    pub fn plain_attrs(&self) -> Option<impl Iterator<Item = (&'a str, &'a str)> + '_> {
        if self.spans.any_escaped() {
            return None;
        }
        Some((0..self.spans.len()).map(move |i| {
            let s = self.spans.get(i);
            (self.span_text(s.key, s.key_len), self.span_text(s.value, s.value_len))
        }))
    }

    #[inline]
    fn span_text(&self, start: u32, len: u32) -> &'a str {
        let (start, end) = (start as usize, (start + len) as usize);
        debug_assert!(
            end <= self.raw.len() && self.raw.is_char_boundary(start) && self.raw.is_char_boundary(end)
        );
        // SAFETY: the reader made every span lie within `raw` and begin and end
        // next to the tag's ASCII delimiters (whitespace, `=`, quotes), so on
        // character boundaries.
        unsafe { self.raw.get_unchecked(start..end) }
    }

    /// One attribute's value (a bad escape reads as no value).
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

/// Duplicate attribute names: a one-word filter first, comparisons only on a hit.
#[derive(Default)]
struct NameFilter(u64);

impl NameFilter {
    /// Whether `name` may be among the names seen so far; notes it.
    #[inline]
    fn may_repeat(&mut self, name: &[u8]) -> bool {
        let bit = 1u64 << ((name.len() * 7 + name[0] as usize * 3 + name[name.len() - 1] as usize) % 64);
        let hit = self.0 & bit != 0;
        self.0 |= bit;
        hit
    }

    /// Whether `name` is among the names in `spans` (relative to `tag`); notes it.
    fn repeats(&mut self, name: &[u8], spans: &Spans, tag: &[u8]) -> bool {
        self.may_repeat(name)
            && (0..spans.len())
                .map(|j| spans.get(j))
                .any(|s| &tag[s.key as usize..][..s.key_len as usize] == name)
    }
}

/// The attributes of a tag written the way nearly every CIB tag is (names and
/// `="value"` with single spaces between, no newline between them, at most
/// [`INLINE_ATTRS`] of them, under 64 KiB), found a block of bytes at a time;
/// `None` for any other form, which [`Stream::attributes`] then reads (and
/// reports, if malformed). Arguments and result as there.
#[cfg(target_arch = "x86_64")]
fn simple_attributes(b: &[u8], start: usize, i: usize) -> Option<(Spans, usize, bool)> {
    let tag = &b[start..];
    let mut i = i - start;
    let mut spans = [ShortSpan::default(); INLINE_ATTRS];
    let mut n = 0;
    let mut escaped_bits = 0u32;
    let mut names = NameFilter::default();
    let empty = loop {
        let spaced = tag.get(i) == Some(&b' ');
        while tag.get(i) == Some(&b' ') {
            i += 1;
        }
        match *tag.get(i)? {
            b'>' => break false,
            b'/' if tag.get(i + 1) == Some(&b'>') => break true,
            b'/' => return None,
            _ if !spaced || n == INLINE_ATTRS => return None,
            _ => {}
        }
        // The name ends at the first byte that may not be in one: `=`, then
        // the opening quote.
        let key = i;
        let key_len = simd::name_stops(tag.get(key..key + 32)?).trailing_zeros() as usize;
        if key_len == 0
            || key_len == 32
            || tag[key + key_len] != b'='
            || tag.get(key + key_len + 1) != Some(&b'"')
        {
            return None;
        }
        // The value, up to the closing quote.
        let value = key + key_len + 2;
        let mut end = value;
        let mut escaped = false;
        loop {
            let stops = simd::value_stops(tag.get(end..end + 16)?);
            if stops == 0 {
                end += 16;
                continue;
            }
            let j = end + stops.trailing_zeros() as usize;
            match tag[j] {
                b'"' => {
                    end = j;
                    break;
                }
                b'&' => {
                    escaped = true;
                    end = j + 1;
                }
                _ => return None,
            }
        }
        if end > usize::from(u16::MAX) {
            return None;
        }
        let name = &tag[key..key + key_len];
        if names.may_repeat(name)
            && spans[..n].iter().any(|s| &tag[usize::from(s.0[0])..][..usize::from(s.0[1])] == name)
        {
            return None;
        }
        spans[n] = ShortSpan([key as u16, key_len as u16, value as u16, (end - value) as u16]);
        escaped_bits |= u32::from(escaped) << n;
        n += 1;
        i = end + 1;
    };
    Some((Spans::Inline { n: n as u8, escaped: escaped_bits, spans }, start + i, empty))
}

#[cfg(not(target_arch = "x86_64"))]
fn simple_attributes(_: &[u8], _: usize, _: usize) -> Option<(Spans, usize, bool)> {
    None
}

/// Byte classes of 16 or 32 bytes at once, with SSE2. SAFETY (for every
/// `unsafe` here): SSE2 is part of every x86-64 processor, and loads read
/// exactly the 16 bytes of the slice given, with no alignment requirement.
#[cfg(target_arch = "x86_64")]
mod simd {
    use std::arch::x86_64::*;

    /// Bit `i` set where byte `i` of `b` is one of `set`.
    fn any_of(b: &[u8; 16], set: &[u8]) -> u32 {
        unsafe {
            let v = _mm_loadu_si128(b.as_ptr().cast());
            let mut hits = 0;
            for &c in set {
                hits |= _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(c as i8))) as u32;
            }
            hits
        }
    }

    /// Bit `i` set where byte `i` of `b` is a space or a control byte.
    fn space_or_control(b: &[u8; 16]) -> u32 {
        unsafe {
            let v = _mm_loadu_si128(b.as_ptr().cast());
            let space = _mm_set1_epi8(0x20);
            _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(v, space), space)) as u32
        }
    }

    /// Bytes among 16 that may not be in a name: space and control bytes,
    /// quotes, `/`, and `<`, `=`, `>`, `?` (one mask for those four).
    fn name_stops16(b: &[u8; 16]) -> u32 {
        unsafe {
            let v = _mm_loadu_si128(b.as_ptr().cast());
            let angle = _mm_cmpeq_epi8(_mm_and_si128(v, _mm_set1_epi8(0xfc_u8 as i8)), _mm_set1_epi8(0x3c));
            space_or_control(b) | _mm_movemask_epi8(angle) as u32 | any_of(b, b"\"'/")
        }
    }

    /// As `name_stops16` for 32 bytes, of which names nearly always end in
    /// the first 16.
    pub fn name_stops(b: &[u8]) -> u32 {
        let first = name_stops16(b[..16].try_into().expect("16 bytes"));
        if first != 0 {
            return first;
        }
        name_stops16(b[16..32].try_into().expect("16 bytes")) << 16
    }

    /// Bytes among 16 that stop a double-quoted value: `"`, `<` and `&`.
    pub fn value_stops(b: &[u8]) -> u32 {
        any_of(b.try_into().expect("16 bytes"), b"\"<&")
    }
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

/// Bytes that end a name (of an element or attribute).
const NAME_END: [bool; 256] = {
    let mut set = [false; 256];
    let stops = b"= \t\n\r\"'<>/";
    let mut i = 0;
    while i < stops.len() {
        set[stops[i] as usize] = true;
        i += 1;
    }
    set
};

/// The pull reader.
pub struct Stream<'a> {
    text: &'a str,
    /// Offset of the next byte to read.
    at: usize,
    /// The open (non-empty) elements, outermost first.
    open: Vec<StartTag<'a>>,
    /// Offset of the `<` of the last start or end tag read.
    last_tag: usize,
}

impl<'a> Stream<'a> {
    pub fn new(text: &'a str) -> Self {
        let at = if text.starts_with('\u{feff}') { 3 } else { 0 };
        Stream { text, at, open: Vec::new(), last_tag: 0 }
    }

    /// The document being read.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// Offset of the next byte to read.
    pub(crate) fn offset(&self) -> usize {
        self.at
    }

    /// Continues reading at byte `offset` (for readings split between
    /// threads: the bytes skipped are read elsewhere).
    pub(crate) fn skip_to(&mut self, offset: usize) {
        self.at = offset;
    }

    /// Offset of the next `<`, if only whitespace comes before it.
    pub(crate) fn next_tag_offset(&self) -> Option<usize> {
        let b = self.text.as_bytes();
        let lt = self.at + memchr::memchr(b'<', &b[self.at..])?;
        b[self.at..lt].iter().all(|&c| is_space(c)).then_some(lt)
    }

    /// Line and column (1-based, in bytes) of a byte offset, for an error.
    pub fn pos_at(&self, offset: usize) -> Pos {
        crate::error::position(self.text, offset)
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

    /// An error at byte offset `at`.
    fn malformed_at(&self, why: impl Into<String>, at: usize) -> CibError {
        let pos = self.pos_at(at);
        self.malformed(why, pos)
    }

    /// Skips past `end` (searched from `from`), or fails with `what` unclosed.
    fn skip_past(&mut self, from: usize, end: &[u8], what: &str, started: usize) -> Result<(), CibError> {
        match memchr::memmem::find(&self.text.as_bytes()[from..], end) {
            Some(i) => {
                self.at = from + i + end.len();
                Ok(())
            }
            None => Err(self.malformed_at(format!("unclosed {what}"), started)),
        }
    }

    /// The next start tag, text, end tag or end of document.
    pub fn next_item(&mut self) -> Result<Item<'a>, CibError> {
        let text = self.text;
        let b = text.as_bytes();
        loop {
            let from = self.at;
            // Tags often follow one another directly (a resource's operations).
            let lt = if b.get(from) == Some(&b'<') {
                from
            } else {
                memchr::memchr(b'<', &b[from..]).map_or(b.len(), |i| from + i)
            };
            let run = &text[from..lt];
            if !run.bytes().all(is_space) {
                if self.open.is_empty() {
                    let first = from + run.bytes().position(|c| !is_space(c)).unwrap_or(0);
                    let pos = self.pos_at(first);
                    return Err(CibError::new(
                        ErrorKind::Malformed("text outside the root element".into()),
                        Some(pos),
                        String::new(),
                    ));
                }
                if run.contains("]]>") {
                    return Err(self.malformed_at("']]>' in text", from));
                }
                self.at = lt;
                return Ok(Item::Text(run));
            }
            if lt == b.len() {
                self.at = lt;
                return match self.open.last() {
                    Some(inside) => {
                        let why = format!("document ends inside <{}>", inside.name());
                        Err(self.malformed_at(why, lt))
                    }
                    None => Ok(Item::Eof),
                };
            }
            let rest = &b[lt..];
            if rest.starts_with(b"<?") {
                self.skip_past(lt + 2, b"?>", "processing instruction", lt)?;
            } else if rest.starts_with(b"<!--") {
                self.skip_past(lt + 4, b"-->", "comment", lt)?;
            } else if rest.starts_with(b"<![CDATA[") {
                self.skip_past(lt + 9, b"]]>", "CDATA section", lt)?;
                if self.open.is_empty() {
                    return Err(self.malformed_at("CDATA outside the root element", lt));
                }
                return Ok(Item::CData(&text[lt + 9..self.at - 3]));
            } else if rest.starts_with(b"<!") {
                self.skip_declaration(lt)?;
            } else if rest.starts_with(b"</") {
                self.last_tag = lt;
                return self.end_tag(lt);
            } else {
                self.last_tag = lt;
                return self.start_tag(lt);
            }
        }
    }

    /// `<!DOCTYPE ...>` and the like, with an internal subset in brackets.
    fn skip_declaration(&mut self, lt: usize) -> Result<(), CibError> {
        let b = self.text.as_bytes();
        let (mut i, mut depth, mut quote) = (lt + 2, 0usize, None);
        while i < b.len() {
            let c = b[i];
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None => match c {
                    b'"' | b'\'' => quote = Some(c),
                    b'[' => depth += 1,
                    b']' => depth = depth.saturating_sub(1),
                    b'>' if depth == 0 => {
                        self.at = i + 1;
                        return Ok(());
                    }
                    _ => {}
                },
            }
            i += 1;
        }
        Err(self.malformed_at("unclosed declaration", lt))
    }

    fn end_tag(&mut self, lt: usize) -> Result<Item<'a>, CibError> {
        let b = self.text.as_bytes();
        let Some(gt) = memchr::memchr(b'>', &b[lt..]).map(|i| lt + i) else {
            return Err(self.malformed_at("unclosed end tag", lt));
        };
        let name = self.text[lt + 2..gt].trim_end_matches([' ', '\t', '\n', '\r']);
        self.at = gt + 1;
        match self.open.last() {
            Some(top) if top.name() == name => {}
            Some(top) => {
                let why = format!("expected </{}> but found </{name}>", top.name());
                return Err(self.malformed_at(why, lt));
            }
            None => return Err(self.malformed_at(format!("unmatched </{name}>"), lt)),
        }
        self.open.pop();
        Ok(Item::End)
    }

    /// The attributes of the tag whose name ends at `i` (`start` is just after
    /// its `<`): each checked for syntax and against the names before it, up to
    /// `>` or `/>`. Returns the spans, the offset of that `>` or `/`, and
    /// whether the element is empty.
    fn attributes(
        &mut self,
        lt: usize,
        start: usize,
        mut i: usize,
    ) -> Result<(Spans, usize, bool), CibError> {
        let text = self.text;
        let b = text.as_bytes();
        let mut spans = Spans::new();
        let mut names = NameFilter::default();
        let empty = loop {
            let spaced = i < b.len() && is_space(b[i]);
            while i < b.len() && is_space(b[i]) {
                i += 1;
            }
            match b.get(i) {
                None => return Err(self.malformed_at("unclosed tag", lt)),
                Some(b'>') => break false,
                Some(b'/') if b.get(i + 1) == Some(&b'>') => break true,
                Some(_) if !spaced => {
                    return Err(self.malformed_at("attributes must be separated by whitespace", i))
                }
                Some(_) => {}
            }
            let key = i;
            let key_len = b[key..].iter().position(|&c| NAME_END[c as usize]).unwrap_or(b.len() - key);
            let name = &text[key..key + key_len];
            if key_len == 0 {
                return Err(self.malformed_at("attribute without a name", key));
            }
            i = key + key_len;
            while i < b.len() && is_space(b[i]) {
                i += 1;
            }
            if b.get(i) != Some(&b'=') {
                return Err(self.malformed_at(format!("attribute '{name}' has no value"), key));
            }
            i += 1;
            while i < b.len() && is_space(b[i]) {
                i += 1;
            }
            let quote = match b.get(i) {
                Some(&q @ (b'"' | b'\'')) => q,
                _ => return Err(self.malformed_at(format!("attribute '{name}': value is not quoted"), key)),
            };
            let value = i + 1;
            let mut escaped = false;
            let mut end = value;
            loop {
                match find_byte_of(&b[end..], quote, b'<', b'&') {
                    None => {
                        return Err(
                            self.malformed_at(format!("attribute '{name}': value has no closing quote"), key)
                        )
                    }
                    Some(j) if b[end + j] == quote => {
                        end += j;
                        break;
                    }
                    Some(j) if b[end + j] == b'<' => {
                        return Err(self.malformed_at(format!("attribute '{name}': '<' in a value"), key))
                    }
                    Some(j) => {
                        escaped = true;
                        end += j + 1;
                    }
                }
            }
            i = end + 1;
            if names.repeats(name.as_bytes(), &spans, &b[start..]) {
                return Err(self.malformed_at(format!("duplicate attribute '{name}'"), key));
            }
            let rel = |x: usize| (x - start) as u32;
            spans.push(AttrSpan {
                key: rel(key),
                key_len: key_len as u32,
                value: rel(value),
                value_len: (end - value) as u32,
                escaped,
            });
        };
        Ok((spans, i, empty))
    }

    /// Reads a start tag from `<` at `lt`: its name, then each attribute
    /// (checking the syntax and that no name repeats), up to `>` or `/>`.
    fn start_tag(&mut self, lt: usize) -> Result<Item<'a>, CibError> {
        let text = self.text;
        let b = text.as_bytes();
        let start = lt + 1;
        let name_len = b[start..].iter().position(|&c| NAME_END[c as usize]).unwrap_or(b.len() - start);
        if name_len == 0 {
            return Err(self.malformed_at("a tag without a name", lt));
        }
        let (spans, i, empty) = match simple_attributes(b, start, start + name_len) {
            Some(done) => done,
            None => self.attributes(lt, start, start + name_len)?,
        };
        let raw = &text[start..i];
        self.at = i + if empty { 2 } else { 1 };
        let tag = StartTag { raw, name_len, spans, empty, at: lt };
        if !empty {
            if self.open.len() >= MAX_DEPTH {
                return Err(self.malformed_at(format!("nesting deeper than {MAX_DEPTH}"), lt));
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
                        Some(self.pos_at(tag.at)),
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
        let t = match s.next_item() {
            Ok(Item::Start(t)) => t,
            Ok(_) => panic!("no start tag"),
            Err(e) => return Err(e.to_string()),
        };
        t.attrs().map(|a| a.map(|(k, v)| (k.to_string(), v.into_owned()))).collect()
    }

    #[test]
    fn attributes_are_read_with_either_quote_and_unescaped() {
        let got = attrs_of("<a x=\"1\" y = 'two' z=\"&lt;&amp;&quot;\" w='a>b'/>").unwrap();
        let want = [("x", "1"), ("y", "two"), ("z", "<&\""), ("w", "a>b")];
        assert_eq!(got, want.map(|(k, v)| (k.to_string(), v.to_string())));
        assert_eq!(attrs_of("<a/>").unwrap(), vec![]);
        assert_eq!(attrs_of("<a >").unwrap(), vec![]);
    }

    #[test]
    fn many_attributes_and_long_values_are_kept() {
        let many: String = (0..40).map(|i| format!(" k{i}=\"{i}&amp;\"")).collect();
        let got = attrs_of(&format!("<a{many}/>")).unwrap();
        assert_eq!(got.len(), 40);
        assert_eq!(got[39], ("k39".to_string(), "39&".to_string()));
        let long = "x".repeat(70_000);
        let got = attrs_of(&format!("<a p=\"1\" q=\"{long}\" r=\"&lt;\"/>")).unwrap();
        assert_eq!(got[1].1.len(), 70_000);
        assert_eq!(got[2], ("r".to_string(), "<".to_string()));
    }

    fn spans_of(s: &Spans) -> Vec<(u32, u32, u32, u32, bool)> {
        (0..s.len()).map(|i| s.get(i)).map(|a| (a.key, a.key_len, a.value, a.value_len, a.escaped)).collect()
    }

    /// Reads every start tag of `doc` with the general attribute reader and,
    /// wherever the simple form was taken, checks that both agree. Returns how
    /// many tags took the simple form.
    fn simple_form_agrees(doc: &str) -> usize {
        let b = doc.as_bytes();
        let mut simple = 0;
        for lt in memchr::memchr_iter(b'<', b) {
            let start = lt + 1;
            let name_len = b[start..].iter().position(|&c| NAME_END[c as usize]).unwrap_or(b.len() - start);
            if name_len == 0 || matches!(b[start], b'/' | b'!' | b'?') {
                continue;
            }
            let Some((spans, end, empty)) = simple_attributes(b, start, start + name_len) else { continue };
            simple += 1;
            let general = Stream::new(doc).attributes(lt, start, start + name_len);
            let (g_spans, g_end, g_empty) = general
                .unwrap_or_else(|e| panic!("simple form accepted what is an error ({e}): {}", &doc[lt..]));
            assert_eq!(
                (spans_of(&spans), end, empty),
                (spans_of(&g_spans), g_end, g_empty),
                "{}",
                &doc[lt..]
            );
        }
        simple
    }

    #[test]
    fn the_simple_attribute_form_reads_as_the_general_one() {
        let base = "<lrm_rsc_op id=\"r_last_0\" operation_key=\"r_start_0\" operation=\"start\" crm-debug-origin=\"do_update_resource\" transition-magic=\"0:0;1:1:0:abc\" exit-reason=\"\" call-id=\"11\" op-digest=\"0123456789abcdef0123456789abcdef\"/>\n<x a=\"1\">t</x>\n";
        // (The simple form needs some bytes after a tag: a document's last
        // tags go the general way.)
        assert_eq!(simple_form_agrees(&(base.repeat(3) + &" ".repeat(32))), 6);
        // Seeded mutations around the forms the simple reader must refuse.
        const EDITS: &[&str] = &[
            " ",
            "  ",
            "\t",
            "\n",
            "\"",
            "'",
            "=",
            "<",
            ">",
            "/",
            "/>",
            "&amp;",
            "&",
            "?",
            "é",
            "id=\"2\" ",
            "a_name_longer_than_thirty_two_bytes_in_all=\"v\" ",
            "x=\"0123456789abcdef0123456789abcdef0123\" ",
        ];
        let mut seed = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let mut simple = 0;
        for _ in 0..3000 {
            let mut doc = base.to_string();
            for _ in 0..1 + next(3) {
                let mut at = next(doc.len());
                while !doc.is_char_boundary(at) {
                    at -= 1;
                }
                doc.insert_str(at, EDITS[next(EDITS.len())]);
            }
            simple += simple_form_agrees(&doc.repeat(2));
        }
        assert!(simple > 3000, "the mutants hardly ever took the simple form ({simple})");
        // And every CIB of the shared regression suite, where it is at hand.
        let suite = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/scheduler-suite/xml");
        for entry in std::fs::read_dir(suite).into_iter().flatten().flatten() {
            if let Ok(doc) = std::fs::read_to_string(entry.path()) {
                simple_form_agrees(&doc);
            }
        }
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
            "<a x=\"<\"/>",
            "<a x=\"1",
        ] {
            assert!(attrs_of(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn comments_declarations_and_cdata_are_handled() {
        let doc = "\u{feff}<?xml version=\"1.0\"?>\n<!DOCTYPE a [<!ENTITY e \"x>\">]>\n<!-- c > -->\n<a><![CDATA[<raw>]]>t&amp;</a>";
        let mut s = Stream::new(doc);
        let root = s.root().unwrap();
        assert_eq!(root.name(), "a");
        assert_eq!(s.pos_at(root.at).line, 4);
        assert!(matches!(s.next_item(), Ok(Item::CData("<raw>"))));
        assert!(matches!(s.next_item(), Ok(Item::Text("t&amp;"))));
        assert!(matches!(s.next_item(), Ok(Item::End)));
        assert!(s.finish().is_ok());
    }

    #[test]
    fn mismatched_and_unclosed_structure_is_reported_where() {
        let mut s = Stream::new("<a>\n  <b>\n  </c>\n</a>");
        s.root().unwrap();
        s.next_item().unwrap();
        let err = s.next_item().err().unwrap();
        assert_eq!(err.pos.unwrap().line, 3, "{err}");
        let mut s = Stream::new("<a><!-- never closed");
        s.root().unwrap();
        assert!(s.next_item().is_err());
    }
}
