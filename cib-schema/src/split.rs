//! Reading a large document on two threads. Nearly all of a large CIB is its
//! status section, a run of independent `node_state` elements: the section is
//! cut into chunks at guessed points, and the other thread reads chunks from
//! the end backwards while this one reads the document from the start; where
//! the two meet, this thread takes the other's chunks and goes on after them.
//! Each chunk is claimed by one thread only, so the two share the work
//! whatever their speeds.
//!
//! The cut points (a `<node_state` found at fixed fractions of the section)
//! are checked, not trusted: the other thread reads a chunk exactly as this one
//! would (same readers, positions counted from the start of the text) and must
//! end exactly on the next cut point (the last chunk on `</status>`); its chunks
//! are taken only if this thread's reading arrives exactly on the cut point
//! where they begin. Anything else (a cut point inside a comment, an element of
//! another kind, an error) and this thread reads the rest itself, so results
//! and error messages are those of a plain one-pass reading.

use std::sync::{mpsc, Mutex};

use crate::model::NodeState;
use crate::read::{FromXml, ReadCtx};

/// Documents smaller than this are read on one thread: a thread costs more
/// than it saves.
pub const MIN_BYTES: usize = 1 << 20;

/// Chunks a status section is cut into (a chunk is about what the other
/// thread reads in a third of a millisecond at 8 nodes x 1,000 resources).
const CHUNKS: usize = 16;

/// Where to cut a document's status section.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Offset of `<status`.
    pub status: usize,
    /// Offsets of the `<node_state` each chunk begins with, ascending; chunk
    /// `i` ends where chunk `i + 1` begins, the last at `</status>`.
    pub cuts: Vec<usize>,
}

/// The status section's start and cut points, if the document is large and
/// has some.
pub fn plan(text: &str) -> Option<Plan> {
    if text.len() < MIN_BYTES {
        return None;
    }
    let b = text.as_bytes();
    let status = memchr::memmem::find(b, b"<status")?;
    let len = text.len() - status;
    let mut cuts: Vec<usize> = Vec::with_capacity(CHUNKS);
    // The first a tenth in: this thread has the configuration to read first.
    for i in 0..CHUNKS {
        let from = status + len / 10 + i * (len - len / 10) / CHUNKS;
        let from = from.max(cuts.last().map_or(0, |c| c + 1));
        let Some(at) = memchr::memmem::find(&b[from..], b"<node_state").map(|i| from + i) else { break };
        // `<node_states` or the like is not a node state.
        if matches!(b.get(at + 11), Some(b' ' | b'\t' | b'\n' | b'\r' | b'>' | b'/')) {
            cuts.push(at);
        }
    }
    (!cuts.is_empty()).then_some(Plan { status, cuts })
}

/// The other thread's chunks: from the first it read to the last, their node
/// states and the offset of `</status>`; `None` if one could not be used.
pub type Chunks = Option<(Vec<NodeState>, usize)>;

/// Who reads which chunk: this thread those below `mine`, the other those
/// from `theirs` on.
#[derive(Debug)]
struct Claims {
    mine: usize,
    theirs: usize,
    /// The splice was given up: the other thread stops.
    abandoned: bool,
}

/// The state the two threads share.
pub struct Shared {
    claims: Mutex<Claims>,
}

impl Shared {
    pub fn new(plan: &Plan) -> Shared {
        Shared { claims: Mutex::new(Claims { mine: 0, theirs: plan.cuts.len(), abandoned: false }) }
    }

    fn claims(&self) -> std::sync::MutexGuard<'_, Claims> {
        self.claims.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What this thread's reading of the status section does at a cut point.
pub enum AtCut {
    /// Read the chunk here as usual.
    ReadOn,
    /// The other thread has read everything from here: these node states,
    /// then continue at `</status>` (this offset).
    Take(Vec<NodeState>, usize),
}

/// Where this thread's reading of the status section stands with the other's.
pub struct Splice {
    pub plan: Plan,
    pub shared: std::sync::Arc<Shared>,
    pub chunks: mpsc::Receiver<Chunks>,
}

impl Splice {
    /// Called before each child of the status section, whose `<` is at
    /// `next` (`None`: something else comes first). `None` when the splice
    /// is over (taken or given up).
    pub fn at(&mut self, next: Option<usize>) -> Option<AtCut> {
        let mut claims = self.shared.claims();
        let cut = self.plan.cuts[claims.mine];
        match next {
            Some(at) if at == cut => {}
            // Not there yet.
            Some(at) if at < cut => return Some(AtCut::ReadOn),
            None => return Some(AtCut::ReadOn),
            // Passed a cut point without landing on it.
            Some(_) => {
                claims.abandoned = true;
                return None;
            }
        }
        if !claims.abandoned && claims.mine < claims.theirs {
            claims.mine += 1;
            return if claims.mine == self.plan.cuts.len() { None } else { Some(AtCut::ReadOn) };
        }
        drop(claims);
        let (nodes, end) = self.chunks.recv().ok().flatten()?;
        Some(AtCut::Take(nodes, end))
    }
}

/// The other thread's part: claims chunks from the last backwards while this
/// thread has not reached them, and reads them.
pub fn read_chunks(text: &str, plan: &Plan, shared: &Shared) -> Chunks {
    let lines = line_starts(text, plan);
    let mut read: Vec<Vec<NodeState>> = Vec::new();
    let mut end = None;
    loop {
        let chunk = {
            let mut claims = shared.claims();
            if claims.abandoned || claims.theirs <= claims.mine {
                break;
            }
            claims.theirs -= 1;
            claims.theirs
        };
        let until = plan.cuts.get(chunk + 1).copied();
        let Some((nodes, last)) = read_chunk(text, plan, &lines, chunk, until) else {
            shared.claims().abandoned = true;
            return None;
        };
        if until.is_none() {
            end = Some(last);
        }
        read.push(nodes);
    }
    let end = end?;
    Some((read.into_iter().rev().flatten().collect(), end))
}

/// Line number and line start of the status section's start and of each cut
/// point (index 0 and `1 + chunk`).
fn line_starts(text: &str, plan: &Plan) -> Vec<(u32, usize)> {
    let b = text.as_bytes();
    let mut line = 1u32;
    let mut from = 0;
    std::iter::once(plan.status)
        .chain(plan.cuts.iter().copied())
        .map(|at| {
            line += memchr::memchr_iter(b'\n', &b[from..at]).count() as u32;
            from = at;
            (line, memchr::memrchr(b'\n', &b[..at]).map_or(0, |i| i + 1))
        })
        .collect()
}

/// Reads chunk `chunk`: the node states from its cut point to `until` (the
/// next cut point) or, for the last, to `</status>`; with the offset of the
/// last tag read.
fn read_chunk(
    text: &str,
    plan: &Plan,
    lines: &[(u32, usize)],
    chunk: usize,
    until: Option<usize>,
) -> Option<(Vec<NodeState>, usize)> {
    let mut ctx = ReadCtx::new(text);
    ctx.stream.jump_to(plan.status, lines[0].0, lines[0].1);
    let tag = ctx.stream.root().ok()?;
    if tag.name() != "status" || tag.empty {
        return None;
    }
    let (line, line_start) = lines[1 + chunk];
    ctx.stream.jump_to(plan.cuts[chunk], line, line_start);
    let mut nodes = Vec::new();
    loop {
        if let Some(until) = until {
            match ctx.stream.next_tag_offset() {
                Some(at) if at == until => break,
                Some(at) if at > until => return None,
                _ => {}
            }
        }
        let Some(child) = ctx.next_child(&tag).ok()? else {
            // `</status>` before the next cut point.
            if until.is_some() {
                return None;
            }
            break;
        };
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
            s.push_str(&format!(
                "<node_state id=\"{n}\" uname=\"node{n}\"><lrm id=\"{n}\"><lrm_resources>\n"
            ));
            for r in 0..600 {
                s.push_str(&format!("<lrm_resource id=\"r{r}\" class=\"ocf\" provider=\"heartbeat\" type=\"Dummy\"><lrm_rsc_op id=\"r{r}_last_0\" operation_key=\"r{r}_start_0\" operation=\"start\" call-id=\"{r}\" rc-code=\"0\" op-status=\"0\" interval=\"0\" op-digest=\"0123456789abcdef0123456789abcdef\"/></lrm_resource>\n"));
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

    /// The other thread's reading alone, as if this one arrived at the first
    /// cut point at once: all chunks are the other's.
    fn theirs(text: &str) -> Chunks {
        let plan = plan(text).expect("cut points");
        read_chunks(text, &plan, &Shared::new(&plan))
    }

    #[test]
    fn a_split_reading_equals_a_one_thread_reading() {
        // Many node states (each chunk has some) and few (chunks of one).
        for nodes in [40, 8] {
            let text = document(nodes, |_| String::new());
            let plan = plan(&text).expect("cut points");
            assert!(plan.cuts.len() > 1 && plan.cuts.windows(2).all(|w| w[0] < w[1]), "{plan:?}");
            let (read, end) = theirs(&text).expect("the chunks were read");
            assert_eq!(&text[end..end + 9], "</status>");
            let whole = one_thread(&text).unwrap();
            let all = &whole.status.as_ref().unwrap().nodes;
            assert_eq!(read[..], all[all.len() - read.len()..], "{nodes} nodes");
            let split = crate::parse(&text).unwrap();
            assert_eq!(split, whole);
            assert_eq!(split.status.as_ref().unwrap().nodes.len(), nodes);
            // Positions count from the start of the text on both threads.
            let positions = |c: &crate::Cib| -> Vec<_> {
                c.status
                    .as_ref()
                    .unwrap()
                    .nodes
                    .iter()
                    .map(|n| (n.pos.0, n.lrm.as_ref().unwrap().pos.0))
                    .collect()
            };
            assert_eq!(positions(&split), positions(&whole));
            let last = split.status.as_ref().unwrap().nodes.last().unwrap();
            assert_eq!(last.pos.0.line as usize, 2 + (nodes - 1) * 602);
        }
    }

    #[test]
    fn what_the_chunk_reader_refuses_is_read_on_one_thread() {
        // An element of another kind late in the status section, and a
        // comment holding what looks like a cut point.
        let mut text =
            document(8, |n| if n == 6 { "<transient_attributes id=\"6\"/>".into() } else { String::new() });
        text = text.replace("</status>", "<other/></status>");
        assert!(theirs(&text).is_none());
        let cut = plan(&text).unwrap().cuts[3];
        text.insert_str(cut, "<!-- <node_state id=\"decoy\"> -->");
        let split = crate::parse(&text).unwrap();
        assert_eq!(split, one_thread(&text).unwrap());
        assert_eq!(split.status.as_ref().unwrap().extra_children.len(), 1);
    }

    #[test]
    fn errors_in_a_chunk_read_as_on_one_thread() {
        for at in [2, 7] {
            let text = document(8, |n| if n == at { "<bad x=\"1\" x=\"2\"/>".into() } else { String::new() });
            let err = crate::parse(&text).unwrap_err().to_string();
            assert_eq!(err, one_thread(&text).unwrap_err().to_string());
            assert!(err.contains("duplicate attribute"), "{err}");
        }
    }
}
