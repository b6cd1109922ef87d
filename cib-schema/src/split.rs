//! Reading a large document on two threads. Nearly all of a large CIB is its
//! status section, a run of independent `node_state` elements, so the second
//! half of them is read on another thread while this one reads everything
//! before; the result is spliced in where this thread's reading arrives.
//!
//! The split point is a guess (the first `<node_state` a third into the status
//! section) that is checked, not trusted: the other thread reads from the guess
//! exactly as this one would (same readers, positions counted from the start
//! of the text) and must end on `</status>`; its result is used only if this
//! thread, reading the status section, finds its next child starting at the
//! guessed offset. Anything else (a guess inside a comment, an element of
//! another kind, an error) and this thread reads that part itself, so results
//! and error messages are those of a plain one-pass reading.

use std::sync::mpsc;

use crate::model::NodeState;
use crate::read::{FromXml, ReadCtx};

/// Documents smaller than this are read on one thread: a thread costs more
/// than it saves.
pub const MIN_BYTES: usize = 1 << 20;

/// The other thread's reading: the node states from the split point on, and
/// the offset of `</status>`.
pub type Tail = Option<(Vec<NodeState>, usize)>;

/// Where this thread's reading may take the other thread's result.
pub struct Splice {
    /// Offset of the `<` of the first `node_state` the other thread reads.
    pub at: usize,
    pub tail: mpsc::Receiver<Tail>,
}

/// The status section's start tag and the split point, if the document has
/// a plausible one.
pub fn plan(text: &str) -> Option<(usize, usize)> {
    if text.len() < MIN_BYTES {
        return None;
    }
    let b = text.as_bytes();
    let status = memchr::memmem::find(b, b"<status")?;
    // This thread also reads everything before the status section, which
    // costs more per byte: the other takes the last two thirds of the status.
    let from = status + (text.len() - status) / 3;
    let at = from + memchr::memmem::find(&b[from..], b"<node_state")?;
    // `<node_states` or the like is not a node state.
    matches!(b.get(at + 11), Some(b' ' | b'\t' | b'\n' | b'\r' | b'>' | b'/')).then_some((status, at))
}

/// Reads the node states from `at` to the end of the status section whose start
/// tag is at `status`; `None` if that part is not simply a run of node states
/// closed by `</status>`.
pub fn read_tail(text: &str, status: usize, at: usize) -> Tail {
    let mut ctx = ReadCtx::starting_at(text, status);
    let tag = ctx.stream.root().ok()?;
    if tag.name() != "status" || tag.empty {
        return None;
    }
    ctx.stream.skip_to(at);
    let mut nodes = Vec::new();
    while let Some(child) = ctx.next_child(&tag).ok()? {
        if child.name() != "node_state" {
            return None;
        }
        nodes.push(NodeState::read_xml(&child, &mut ctx).ok()?);
    }
    // An id-ref would be checked against the whole document's ids, with
    // the whole path in a message: leave such documents to one thread.
    if ctx.has_id_refs() {
        return None;
    }
    Some((nodes, ctx.stream.last_item_start()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A document over [`MIN_BYTES`]: `nodes` node states, each with enough
    /// history to make the status section most of the text.
    fn document(nodes: usize, extra_in_node: impl Fn(usize) -> String) -> String {
        let mut s = String::from("<cib epoch=\"1\"><configuration><crm_config/><nodes/><resources/><constraints/></configuration><status>\n");
        for n in 0..nodes {
            s.push_str(&format!("<node_state id=\"{n}\" uname=\"node{n}\"><lrm id=\"{n}\"><lrm_resources>"));
            for r in 0..600 {
                s.push_str(&format!("<lrm_resource id=\"r{r}\" class=\"ocf\" provider=\"heartbeat\" type=\"Dummy\"><lrm_rsc_op id=\"r{r}_last_0\" operation_key=\"r{r}_start_0\" operation=\"start\" call-id=\"{r}\" rc-code=\"0\" op-status=\"0\" interval=\"0\" op-digest=\"0123456789abcdef0123456789abcdef\"/></lrm_resource>"));
            }
            s.push_str("</lrm_resources></lrm>");
            s.push_str(&extra_in_node(n));
            s.push_str("</node_state>\n");
        }
        s.push_str("</status></cib>");
        assert!(s.len() > MIN_BYTES);
        s
    }

    fn one_thread(text: &str) -> Result<crate::Cib, crate::CibError> {
        crate::parse_with(ReadCtx::new(text))
    }

    #[test]
    fn a_split_reading_equals_a_one_thread_reading() {
        let text = document(8, |_| String::new());
        let (_, at) = plan(&text).expect("a split point");
        assert!(read_tail(&text, text.find("<status").unwrap(), at).is_some(), "the tail was read");
        let split = crate::parse(&text).unwrap();
        assert_eq!(split, one_thread(&text).unwrap());
        assert_eq!(split.status.as_ref().unwrap().nodes.len(), 8);
        // Positions count from the start of the text on both threads.
        let last = &split.status.as_ref().unwrap().nodes[7];
        assert_eq!(last.pos.0.line, 9);
    }

    #[test]
    fn what_the_tail_reader_refuses_is_read_on_one_thread() {
        // An element of another kind late in the status section, and a
        // comment holding what looks like a split point.
        let mut text =
            document(8, |n| if n == 6 { "<transient_attributes id=\"6\"/>".into() } else { String::new() });
        text = text.replace("</status>", "<other/></status>");
        let guess = plan(&text).unwrap().1;
        text.insert_str(guess, "<!-- <node_state id=\"decoy\"> -->");
        let split = crate::parse(&text).unwrap();
        assert_eq!(split, one_thread(&text).unwrap());
        assert_eq!(split.status.as_ref().unwrap().extra_children.len(), 1);
    }

    #[test]
    fn errors_in_the_tail_read_as_on_one_thread() {
        let text = document(8, |n| if n == 7 { "<bad x=\"1\" x=\"2\"/>".into() } else { String::new() });
        let err = crate::parse(&text).unwrap_err().to_string();
        assert_eq!(err, one_thread(&text).unwrap_err().to_string());
        assert!(err.contains("duplicate attribute"), "{err}");
    }
}
