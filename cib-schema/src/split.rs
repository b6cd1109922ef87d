//! Reading a large document on two threads. Nearly all of a large CIB is its
//! status section, and nearly all of that is `lrm_resource` elements, one
//! per resource and node, each independent of the others. Cut points are
//! guessed along the status section (an `<lrm_resource` found at fixed
//! fractions of it); the other thread reads runs of `lrm_resource` elements
//! from the cut points, last cut first and backwards, while this thread reads
//! the document from the start. Where this thread arrives at a cut point the
//! other has claimed, it takes that run and goes on after it; cut points it
//! reaches first are its own. Each is claimed by one thread only, so the two
//! share the work whatever their speeds, within a run's length.
//!
//! The cut points are checked, not trusted: a run is taken only where this
//! thread's reading of an `lrm_resources` element arrives exactly on its cut
//! point; the other thread reads it exactly as this one would (same readers,
//! positions are byte offsets into the whole text) and stops at the next cut
//! point or at anything but an `lrm_resource`. A run that fails (an error, an
//! id-ref) is read again here, so results and error messages are those of a
//! plain one-pass reading.
//!
//! A caller's observer ([`crate::parse_observed`]) is handed to the other
//! thread with the document's head (root and configuration) once that is read:
//! the other thread runs it between two runs while this one goes on to the
//! status section, and the configuration comes back before the reading ends.
//! This thread would otherwise run it before reaching the status section,
//! often while the other thread, done with every run, had nothing left to do.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::model::LrmResource;
use crate::read::{FromXml, Observer, ReadCtx};
use crate::stream::Item;
use crate::Cib;

/// Documents smaller than this are read on one thread: a thread costs more
/// than it saves.
pub const MIN_BYTES: usize = 1 << 20;

/// Cut points in a status section (a run is then about what the other
/// thread reads in a tenth of a millisecond at 8 nodes x 1,000 resources).
const CUTS: usize = 64;

/// Where runs may begin: offsets of `<lrm_resource`, ascending.
#[derive(Debug, Clone)]
pub struct Plan {
    pub cuts: Vec<usize>,
}

/// The cut points of a large document's status section, if it has some.
pub fn plan(text: &str) -> Option<Plan> {
    if text.len() < MIN_BYTES {
        return None;
    }
    let b = text.as_bytes();
    let status = memchr::memmem::find(b, b"<status")?;
    let len = text.len() - status;
    let mut cuts: Vec<usize> = Vec::with_capacity(CUTS);
    for i in 0..CUTS {
        let from = (status + i * len / CUTS).max(cuts.last().map_or(0, |c| c + 1));
        let Some(at) = memchr::memmem::find(&b[from..], b"<lrm_resource").map(|i| from + i) else { break };
        // `<lrm_resources` is not one.
        if is_delimiter(b.get(at + 13)) {
            cuts.push(at);
        }
    }
    (!cuts.is_empty()).then_some(Plan { cuts })
}

fn is_delimiter(b: Option<&u8>) -> bool {
    matches!(b, Some(b' ' | b'\t' | b'\n' | b'\r' | b'>' | b'/'))
}

/// A run of `lrm_resource` elements the other thread read from a cut point:
/// the elements, and the offset where reading goes on.
#[derive(Debug)]
pub struct Run {
    pub resources: Vec<LrmResource>,
    pub end: usize,
}

/// Who reads from which cut point: this thread those below `mine`, the other
/// those from `theirs` on; and where the document's head is.
struct Claims<'a> {
    mine: usize,
    theirs: usize,
    /// This thread is done with the status section: the other stops.
    over: bool,
    head: Head<'a>,
}

/// The document's head on its way to the observer on the other thread and back.
enum Head<'a> {
    /// Not handed over (yet, or ever).
    Awaited,
    Given(Cib, Observer<'a>),
    Looking,
    Seen(Cib),
    /// Back here, or lost with a panicking observer.
    Done,
}

/// The state the two threads share.
pub struct Shared<'a> {
    claims: Mutex<Claims<'a>>,
    /// Counts the changes either thread waits for (see [`Shared::update`]),
    /// so that a waiting thread spins without taking the lock.
    changes: AtomicU64,
    changed: Condvar,
}

/// Each thread waits for the other by spinning this long before it sleeps: a
/// sleeping thread's processor may halt, and waking it can take milliseconds
/// on a virtual machine, longer than the wait itself usually is.
const SPIN: Duration = Duration::from_millis(5);

/// How long this thread waits for a run the other thread is reading before
/// it reads the run itself: about what reading one takes here. Waiting longer
/// would gain at most that, and the other thread's processor may not be
/// running it at all for milliseconds (the host's, on a virtual machine).
const RUN_WAIT: Duration = Duration::from_micros(100);

impl<'a> Shared<'a> {
    /// `observing`: whether a head may be handed over (else the other thread
    /// does not wait for one).
    pub fn new(plan: &Plan, observing: bool) -> Shared<'a> {
        let head = if observing { Head::Awaited } else { Head::Done };
        Shared {
            claims: Mutex::new(Claims { mine: 0, theirs: plan.cuts.len(), over: false, head }),
            changes: AtomicU64::new(0),
            changed: Condvar::new(),
        }
    }

    fn claims(&self) -> std::sync::MutexGuard<'_, Claims<'a>> {
        self.claims.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The claims once `ready` holds of them (it becomes true only through
    /// [`Shared::update`]): spinning first, then sleeping.
    fn claims_when(&self, ready: impl Fn(&Claims<'a>) -> bool) -> std::sync::MutexGuard<'_, Claims<'a>> {
        let started = Instant::now();
        loop {
            let seen = self.changes.load(Ordering::Acquire);
            let claims = self.claims();
            if ready(&claims) {
                return claims;
            }
            if started.elapsed() > SPIN {
                let wait = self.changed.wait_while(claims, |c| !ready(c));
                return wait.unwrap_or_else(|p| p.into_inner());
            }
            drop(claims);
            while self.changes.load(Ordering::Acquire) == seen && started.elapsed() <= SPIN {
                std::hint::spin_loop();
            }
        }
    }

    /// A change the other thread may be waiting for.
    fn update(&self, change: impl FnOnce(&mut Claims<'a>)) {
        let mut claims = self.claims();
        change(&mut claims);
        self.changes.fetch_add(1, Ordering::Release);
        drop(claims);
        self.changed.notify_all();
    }
}

/// This thread's side: the plan, the claims, and the runs received so far.
pub struct Splice<'a> {
    plan: Plan,
    shared: std::sync::Arc<Shared<'a>>,
    runs: mpsc::Receiver<(usize, Option<Run>)>,
    received: Vec<Option<Option<Run>>>,
}

impl<'a> Splice<'a> {
    pub fn new(
        plan: Plan,
        shared: std::sync::Arc<Shared<'a>>,
        runs: mpsc::Receiver<(usize, Option<Run>)>,
    ) -> Splice<'a> {
        let received = (0..plan.cuts.len()).map(|_| None).collect();
        Splice { plan, shared, runs, received }
    }

    /// The other thread's run, if the next child of an `lrm_resources`
    /// element being read (its `<` at `next`) is where one begins; a cut
    /// point reached first is claimed for this thread.
    pub fn run_at(&mut self, next: usize) -> Option<Run> {
        let cut = {
            let mut claims = self.shared.claims();
            let cuts = &self.plan.cuts;
            // Cut points passed without landing on them are void.
            while claims.mine < cuts.len() && cuts[claims.mine] < next {
                claims.mine += 1;
            }
            let cut = claims.mine;
            if cut == cuts.len() || cuts[cut] != next {
                return None;
            }
            claims.mine += 1;
            if cut < claims.theirs {
                return None;
            }
            cut
        };
        // The other thread has claimed this run. The runs it claimed before,
        // all after this one, are done: it is reading this one, or has sent it.
        let since = Instant::now();
        while self.received[cut].is_none() {
            match self.runs.try_recv() {
                Ok((i, run)) => self.received[i] = Some(run),
                Err(mpsc::TryRecvError::Empty) if since.elapsed() < RUN_WAIT => std::hint::spin_loop(),
                // Read here (the other thread's reading of it, if it ends, is
                // dropped; it claims nothing more, this thread being past it).
                Err(_) => return None,
            }
        }
        self.received[cut].take().flatten()
    }

    /// Hands the document's head and the observer to the other thread.
    pub fn hand_over(&mut self, head: Cib, observer: Observer<'a>) {
        self.shared.update(|c| c.head = Head::Given(head, observer));
    }

    /// The head handed over, once the observer has seen it (`None` if none
    /// was, or the observer panicked: the panic then ends the reading). If
    /// the other thread has not begun showing it, the observer sees it here:
    /// that thread may not be running at all yet.
    pub fn take_back(&mut self) -> Option<Cib> {
        let mut claims = self.shared.claims_when(|c| !matches!(c.head, Head::Looking));
        match std::mem::replace(&mut claims.head, Head::Done) {
            Head::Seen(head) => Some(head),
            Head::Given(head, observer) => {
                drop(claims);
                observer(&head);
                Some(head)
            }
            other => {
                claims.head = other;
                None
            }
        }
    }
}

impl Drop for Splice<'_> {
    fn drop(&mut self) {
        self.shared.update(|c| c.over = true);
    }
}

/// What the other thread does next.
enum Work<'a> {
    Look(Box<Cib>, Observer<'a>),
    Run(usize),
}

/// The other thread's part: claims cut points from the last backwards while
/// this thread has not reached them, and sends the run read from each; shows
/// the observer the head when it is handed over.
pub fn read_runs<'a>(
    text: &str,
    plan: &Plan,
    shared: &Shared<'a>,
    send: &mpsc::Sender<(usize, Option<Run>)>,
) {
    loop {
        let work = {
            // With no run left, the head may still come: wait for it.
            let mut claims =
                shared.claims_when(|c| c.over || c.theirs > c.mine || !matches!(c.head, Head::Awaited));
            if claims.over {
                return;
            }
            match std::mem::replace(&mut claims.head, Head::Looking) {
                Head::Given(head, observer) => Work::Look(Box::new(head), observer),
                other => {
                    claims.head = other;
                    if claims.theirs <= claims.mine {
                        return;
                    }
                    claims.theirs -= 1;
                    Work::Run(claims.theirs)
                }
            }
        };
        match work {
            Work::Look(head, observer) => look(shared, *head, observer),
            Work::Run(cut) => {
                let run = read_run(text, plan, cut);
                if send.send((cut, run)).is_err() {
                    return;
                }
            }
        }
    }
}

/// Runs the observer on the head and hands the head back; should the
/// observer panic, this thread is told not to wait for it.
fn look<'a>(shared: &Shared<'a>, head: Cib, observer: Observer<'a>) {
    let seen = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        observer(&head);
        head
    }));
    match seen {
        Ok(head) => shared.update(|c| c.head = Head::Seen(head)),
        Err(panic) => {
            shared.update(|c| c.head = Head::Done);
            std::panic::resume_unwind(panic);
        }
    }
}

/// Reads the `lrm_resource` elements from cut point `cut` up to the next cut
/// point or the first thing that is not one.
fn read_run(text: &str, plan: &Plan, cut: usize) -> Option<Run> {
    let b = text.as_bytes();
    let mut ctx = ReadCtx::new(text);
    ctx.stream.skip_to(plan.cuts[cut]);
    let until = plan.cuts.get(cut + 1).copied().unwrap_or(usize::MAX);
    let mut resources = Vec::new();
    let end = loop {
        let Some(at) = ctx.stream.next_tag_offset() else { break ctx.stream.offset() };
        if at >= until || !b[at..].starts_with(b"<lrm_resource") || !is_delimiter(b.get(at + 13)) {
            break at;
        }
        let Ok(Item::Start(tag)) = ctx.stream.next_item() else { return None };
        resources.push(LrmResource::read_xml(&tag, &mut ctx).ok()?);
    };
    // An id-ref would be checked against the whole document's ids, with
    // the whole path in a message: leave it to one thread.
    if ctx.has_id_refs() || end > until {
        return None;
    }
    Some(Run { resources, end })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A document over [`MIN_BYTES`]: `nodes` node states, each with enough
    /// history to make the status section most of the text; `extra(n, r)`
    /// goes before node `n`'s `r`th resource.
    fn document(nodes: usize, extra: impl Fn(usize, usize) -> String) -> String {
        let mut s = String::from("<cib epoch=\"1\"><configuration><crm_config/><nodes/><resources/><constraints/></configuration><status>\n");
        for n in 0..nodes {
            s.push_str(&format!(
                "<node_state id=\"{n}\" uname=\"node{n}\"><lrm id=\"{n}\"><lrm_resources>\n"
            ));
            for r in 0..4800 / nodes {
                s.push_str(&extra(n, r));
                s.push_str(&format!("<lrm_resource id=\"r{r}\" class=\"ocf\" provider=\"heartbeat\" type=\"Dummy\"><lrm_rsc_op id=\"r{r}_last_0\" operation_key=\"r{r}_start_0\" operation=\"start\" call-id=\"{r}\" rc-code=\"0\" op-status=\"0\" interval=\"0\" op-digest=\"0123456789abcdef0123456789abcdef\"/></lrm_resource>\n"));
            }
            s.push_str("</lrm_resources></lrm></node_state>\n");
        }
        s.push_str("</status></cib>");
        assert!(s.len() > MIN_BYTES);
        s
    }

    #[test]
    fn the_observer_sees_the_configuration_once_before_the_status() {
        let text = document(8, |_, _| String::new());
        let mut seen = Vec::new();
        let cib = crate::parse_observed(&text, |head| seen.push(head.clone())).unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].configuration, cib.configuration);
        assert_eq!(seen[0].epoch.as_deref(), Some("1"));
        assert!(seen[0].status.is_none());
        assert_eq!(cib, one_thread(&text).unwrap());
        // No configuration, nothing to see.
        let mut called = false;
        crate::parse_observed("<cib><status/></cib>", |_| called = true).unwrap();
        assert!(!called);
    }

    #[test]
    fn the_other_thread_shows_the_observer_the_head_and_hands_it_back() {
        let text = document(8, |_, _| String::new());
        let here = std::thread::current().id();
        // Which thread shows it depends on their timing (this one does where
        // the other has not taken it up by the end): once on the other will do.
        let mut elsewhere = false;
        for _ in 0..20 {
            let mut seen = None;
            let cib = crate::parse_observed(&text, |head| {
                seen = Some((std::thread::current().id(), head.configuration.clone(), head.status.is_none()))
            })
            .unwrap();
            let (thread, configuration, no_status) = seen.expect("the observer ran");
            assert!(no_status);
            assert_eq!(configuration, cib.configuration);
            assert_eq!(cib, one_thread(&text).unwrap());
            elsewhere |= thread != here;
            if elsewhere {
                break;
            }
        }
        assert!(elsewhere, "the other thread never showed the observer the head");
    }

    /// This thread's side of a split reading whose other thread has claimed
    /// the cut points from `theirs` on but never sends a run nor takes up a
    /// head (its processor not running it): a reading must not wait for it.
    fn stalled(
        text: &str,
        theirs: usize,
        read: impl FnOnce(ReadCtx<'_>) -> Result<Cib, crate::CibError>,
    ) -> Cib {
        let plan = plan(text).unwrap();
        let shared = std::sync::Arc::new(Shared::new(&plan, true));
        shared.claims().theirs = theirs;
        let (silent, runs) = mpsc::channel();
        let mut ctx = ReadCtx::new(text);
        ctx.splice = Some(Splice::new(plan, shared, runs));
        let cib = read(ctx).unwrap();
        drop(silent);
        cib
    }

    #[test]
    fn runs_and_a_head_the_other_thread_does_not_get_to_are_read_and_shown_here() {
        let text = document(8, |_, _| String::new());
        let whole = one_thread(&text).unwrap();
        let seen = std::sync::Arc::new(Mutex::new(None));
        let (shown, here) = (seen.clone(), std::thread::current().id());
        let cib = stalled(&text, 0, move |mut ctx| {
            let observer =
                move |head: &Cib| *shown.lock().unwrap() = Some((std::thread::current().id(), head.clone()));
            ctx.observer = Some(Box::new(observer));
            crate::parse_with(ctx)
        });
        assert_eq!(cib, whole);
        let (thread, head) = seen.lock().unwrap().take().expect("the observer ran");
        assert_eq!(thread, here);
        assert_eq!(head.configuration, whole.configuration);
        // Some claimed, some not.
        let half = plan(&text).unwrap().cuts.len() / 2;
        assert_eq!(stalled(&text, half, crate::parse_with), whole);
    }

    #[test]
    fn an_error_after_the_head_was_handed_over_is_the_one_thread_error() {
        let text = document(8, |n, r| {
            if n == 5 && r == 10 {
                "<lrm_resource id=\"bad\" x=\"1\" x=\"2\"/>".into()
            } else {
                String::new()
            }
        });
        // Whether the observer ran before the error ended the reading depends
        // on the threads' timing; the outcome does not.
        let err = crate::parse_observed(&text, |_| {}).unwrap_err().to_string();
        assert_eq!(err, one_thread(&text).unwrap_err().to_string());
        assert!(err.contains("duplicate attribute"), "{err}");
    }

    #[test]
    fn a_panicking_observer_ends_the_reading_with_its_panic() {
        let text = document(8, |_, _| String::new());
        let outcome = std::panic::catch_unwind(|| crate::parse_observed(&text, |_| panic!("observer fails")));
        assert!(outcome.is_err(), "the panic reaches the caller instead of a result or a hang");
    }

    #[test]
    fn a_second_configuration_is_kept_as_unknown_as_on_one_thread() {
        let text = document(8, |_, _| String::new()).replacen(
            "</configuration>",
            "</configuration><configuration><crm_config/></configuration>",
            1,
        );
        let cib = crate::parse_observed(&text, |_| {}).unwrap();
        assert_eq!(cib, one_thread(&text).unwrap());
        assert_eq!(cib.unknown.children().len(), 1);
    }

    fn one_thread(text: &str) -> Result<crate::Cib, crate::CibError> {
        crate::parse_with(ReadCtx::new(text))
    }

    /// Every run, as the other thread reads it alone.
    fn runs(text: &str) -> Vec<Option<Run>> {
        let plan = plan(text).expect("cut points");
        (0..plan.cuts.len()).map(|c| read_run(text, &plan, c)).collect()
    }

    fn resources(cib: &crate::Cib) -> Vec<&LrmResource> {
        let nodes = &cib.status.as_ref().unwrap().nodes;
        nodes.iter().flat_map(|n| &n.lrm.as_ref().unwrap().resources.as_ref().unwrap().resources).collect()
    }

    #[test]
    fn a_split_reading_equals_a_one_thread_reading() {
        // Many node states and few; runs within one node and up to its end.
        for nodes in [40, 8, 1] {
            let text = document(nodes, |_, _| String::new());
            let plan = plan(&text).expect("cut points");
            assert!(plan.cuts.len() > 30 && plan.cuts.windows(2).all(|w| w[0] < w[1]), "{plan:?}");
            let whole = one_thread(&text).unwrap();
            let all = resources(&whole);
            // Each run is what a one-thread reading has there, positions included.
            for run in runs(&text) {
                let run = run.expect("a run");
                let first = all
                    .iter()
                    .position(|r| r.id() == run.resources[0].id() && r.pos.0 == run.resources[0].pos.0);
                let first = first.expect("the run's first resource");
                assert_eq!(run.resources.iter().collect::<Vec<_>>(), all[first..first + run.resources.len()]);
                let pos = |r: &LrmResource| (r.pos.0, r.ops[0].pos.0);
                assert_eq!(pos(&run.resources[0]), pos(all[first]));
            }
            let split = crate::parse(&text).unwrap();
            assert_eq!(split, whole);
            let positions =
                |c: &crate::Cib| resources(c).iter().map(|r| (r.pos.0, r.ops[0].pos.0)).collect::<Vec<_>>();
            assert_eq!(positions(&split), positions(&whole));
        }
    }

    #[test]
    fn what_a_run_cannot_hold_is_read_on_one_thread() {
        // Other elements among the resources end a run; a comment holding what
        // looks like a cut point is passed over.
        let mut text = document(8, |n, r| if n == 6 && r == 300 { "<other/>".into() } else { String::new() });
        let cut = plan(&text).unwrap().cuts[20];
        text.insert_str(cut, "<!-- <lrm_resource id=\"decoy\"/> -->");
        let other = text.find("<other/>").unwrap();
        assert!(runs(&text).iter().flatten().any(|run| run.end == other), "a run ends at <other/>");
        let split = crate::parse(&text).unwrap();
        assert_eq!(split, one_thread(&text).unwrap());
        let lrm = split.status.as_ref().unwrap().nodes[6].lrm.as_ref().unwrap();
        assert_eq!(lrm.resources.as_ref().unwrap().unknown.children().len(), 1);
    }

    #[test]
    fn errors_in_a_run_read_as_on_one_thread() {
        for at in [2, 7] {
            let text = document(8, |n, r| {
                if n == at && r == 100 {
                    "<lrm_resource id=\"bad\" x=\"1\" x=\"2\"/>".into()
                } else {
                    String::new()
                }
            });
            let err = crate::parse(&text).unwrap_err().to_string();
            assert_eq!(err, one_thread(&text).unwrap_err().to_string());
            assert!(err.contains("duplicate attribute"), "{err}");
        }
    }
}
