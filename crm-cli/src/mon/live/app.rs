//! The terminal loop: one channel brings everything that can change the
//! screen (a pushed CIB, a key, a finished command), each from its own
//! thread, so a new status is drawn as soon as it arrives instead of at the
//! next tick of a timer.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, SystemTime};

use anyhow::Result;
use crossterm::event::Event as TermEvent;
use ratatui::DefaultTerminal;

use super::actions::{self, Outcome};
use super::events::{Event, Severity};
use super::keys::App;
use super::model::Snapshot;
use super::view::{self, Theme};
use crate::ipc::DaemonClient;
use crate::mon::{timefmt, Status};

/// Where the CIB comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// The local daemon, which pushes every change.
    Daemon,
    /// `CIB_file`: re-read when its modification time changes.
    File(PathBuf),
}

enum Msg {
    Cib(String),
    /// The source failed; the screen keeps the last status it had.
    Lost(String),
    Term(TermEvent),
    Done(Outcome),
}

/// How often the clock in the title advances and a termination signal is
/// noticed; data never waits for it.
const TICK: Duration = Duration::from_millis(250);
/// How often a file source's modification time is checked, and how long a
/// lost daemon connection waits before the next attempt.
const RECHECK: Duration = Duration::from_secs(1);

static TERMINATE: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: std::ffi::c_int) {
    // Only an atomic store: anything more is not async-signal-safe. The loop
    // sees it at its next tick and restores the terminal on the way out.
    TERMINATE.store(true, Ordering::SeqCst);
}

fn catch_termination() {
    use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
    let action = SigAction::new(SigHandler::Handler(on_signal), SaFlags::empty(), SigSet::empty());
    for sig in [Signal::SIGTERM, Signal::SIGHUP, Signal::SIGINT] {
        // SAFETY: the handler only stores to an atomic.
        let _ = unsafe { sigaction(sig, &action) };
    }
}

/// Runs the live view until the user quits or a termination signal arrives.
pub fn run(source: Source) -> Result<()> {
    let (tx, rx) = mpsc::channel();
    let describe = match &source {
        Source::Daemon => format!("via {}", crate::ipc::socket_path().display()),
        Source::File(p) => format!("file {}", p.display()),
    };
    {
        let tx = tx.clone();
        thread::spawn(move || match source {
            Source::Daemon => follow_daemon(&tx),
            Source::File(path) => follow_file(&path, &tx),
        });
    }
    catch_termination();
    // Installs a panic hook that restores the terminal before the message.
    let mut terminal = ratatui::try_init()?;
    {
        let tx = tx.clone();
        // Waits in short polls rather than one blocking read: crossterm's
        // reader is shared, and ratatui reads the cursor position through it
        // when the terminal is resized, which must not wait for a key.
        thread::spawn(move || loop {
            match crossterm::event::poll(TICK) {
                Ok(false) => continue,
                Ok(true) => {}
                Err(_) => break,
            }
            let Ok(ev) = crossterm::event::read() else { break };
            if tx.send(Msg::Term(ev)).is_err() {
                break;
            }
        });
    }
    let result = main_loop(&mut terminal, &rx, &tx, describe);
    let _ = terminal.show_cursor();
    ratatui::restore();
    result
}

fn main_loop(
    terminal: &mut DefaultTerminal,
    rx: &Receiver<Msg>,
    tx: &Sender<Msg>,
    describe: String,
) -> Result<()> {
    let theme = Theme::from_env();
    let mut app = App::new(describe);
    let mut last_lost: Option<String> = None;
    while !app.quit && !TERMINATE.load(Ordering::SeqCst) {
        let now = timefmt::now();
        terminal.draw(|f| view::draw(f, &app, &theme, now))?;
        let first = match rx.recv_timeout(TICK) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        // Everything already queued is taken before drawing again: a burst of
        // pushed CIBs costs one frame.
        for msg in std::iter::once(first).chain(rx.try_iter()) {
            match msg {
                Msg::Cib(text) => {
                    if last_lost.take().is_some() {
                        app.status = None;
                    }
                    match cib_schema::parse(&text) {
                        Ok(cib) => app.update(Snapshot::new(&Status::new(&cib, timefmt::now()))),
                        Err(e) => app.status = Some((format!("the CIB does not parse: {e}"), true)),
                    }
                }
                Msg::Lost(why) => {
                    if last_lost.as_deref() != Some(why.as_str()) {
                        let text = format!("status source lost: {why}");
                        app.push_event(Event {
                            at: timefmt::now(),
                            text: text.clone(),
                            severity: Severity::Bad,
                        });
                        app.status = Some((format!("{text} (retrying)"), true));
                        last_lost = Some(why);
                    }
                }
                Msg::Term(TermEvent::Key(key)) => {
                    if let Some(action) = app.on_key(key) {
                        let tx = tx.clone();
                        thread::spawn(move || {
                            let _ = tx.send(Msg::Done(actions::run(&action)));
                        });
                    }
                }
                // Resizes need nothing here: drawing notices the new size and
                // repaints everything.
                Msg::Term(_) => {}
                Msg::Done(outcome) => app.finished(outcome),
            }
        }
    }
    Ok(())
}

/// Forwards every CIB the daemon pushes; reconnects when it goes away (a
/// restarted daemon pushes a fresh CIB on the new subscription).
fn follow_daemon(tx: &Sender<Msg>) {
    loop {
        let lost = match DaemonClient::connect().and_then(|c| c.subscribe()) {
            Err(e) => e.to_string(),
            Ok(mut sub) => loop {
                match sub.next_cib() {
                    Ok(Some(xml)) => {
                        if tx.send(Msg::Cib(xml)).is_err() {
                            return;
                        }
                    }
                    Ok(None) => break "the cluster daemon closed the connection".to_string(),
                    Err(e) => break e.to_string(),
                }
            },
        };
        if tx.send(Msg::Lost(lost)).is_err() {
            return;
        }
        thread::sleep(RECHECK);
    }
}

/// Sends the file's contents at start and whenever its modification time (or
/// size, for edits within one timestamp tick) changes.
fn follow_file(path: &std::path::Path, tx: &Sender<Msg>) {
    let mut seen: Option<(SystemTime, u64)> = None;
    loop {
        let stamp = std::fs::metadata(path).and_then(|m| Ok((m.modified()?, m.len())));
        let msg = match stamp {
            Ok(s) if Some(s) == seen => None,
            Ok(s) => {
                seen = Some(s);
                Some(match std::fs::read_to_string(path) {
                    Ok(text) => Msg::Cib(text),
                    Err(e) => Msg::Lost(format!("reading {}: {e}", path.display())),
                })
            }
            Err(e) => {
                seen = None;
                Some(Msg::Lost(format!("{}: {e}", path.display())))
            }
        };
        if let Some(msg) = msg {
            if tx.send(msg).is_err() {
                return;
            }
        }
        thread::sleep(RECHECK);
    }
}
