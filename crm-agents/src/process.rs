//! Running one agent process: its own process group, parameters only in the
//! environment, optional standard input, bounded output, and a timeout that
//! terminates the whole group (SIGTERM, then SIGKILL after a grace).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::sleep_until;

use crate::capture::Captured;
use crate::result::ProcessEnd;

/// A fully prepared command: no shell is involved, so nothing in a parameter
/// value is ever interpreted.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    /// The complete environment of the child (nothing else is inherited).
    pub env: BTreeMap<OsString, OsString>,
    /// Written to the child's standard input, which is then closed.
    pub stdin: Option<Vec<u8>>,
}

/// Limits for one run.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub timeout: Duration,
    /// Between SIGTERM and SIGKILL.
    pub kill_grace: Duration,
    /// Per stream.
    pub output_limit_bytes: usize,
    /// After the agent exits, how long to wait for its pipes to close. A
    /// daemon the agent started may hold them open for ever; we stop reading
    /// then rather than wait for it.
    pub drain_after_exit: Duration,
}

/// How the process ended and what it wrote.
#[derive(Debug)]
pub struct Finished {
    pub end: ProcessEnd,
    pub stdout: Captured,
    pub stderr: Captured,
    pub elapsed: Duration,
}

/// Spawns `inv` and waits for it within `limits`. Spawn failures (missing
/// binary, not executable) come back as `Err`.
pub async fn run(inv: &Invocation, limits: Limits) -> std::io::Result<Finished> {
    let started = Instant::now();
    let mut cmd = tokio::process::Command::new(&inv.program);
    cmd.args(&inv.args)
        .env_clear()
        .envs(&inv.env)
        .current_dir("/")
        .stdin(if inv.stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own group, so that a timeout can reach everything it forked.
        .process_group(0);
    let mut child = cmd.spawn()?;
    let pgid = Pid::from_raw(child.id().expect("a just-spawned child has a pid") as i32);

    // Standard input is small (fence options); write it from its own task so
    // that a child that never reads cannot stall us.
    if let (Some(data), Some(mut stdin)) = (inv.stdin.clone(), child.stdin.take()) {
        tokio::spawn(async move {
            let _ = stdin.write_all(&data).await;
        });
    }
    let mut out = child.stdout.take();
    let mut err = child.stderr.take();
    let (mut stdout, mut stderr) = (Captured::default(), Captured::default());
    let mut buf_out = vec![0u8; 16 * 1024];
    let mut buf_err = vec![0u8; 16 * 1024];

    let deadline = tokio::time::Instant::from_std(started + limits.timeout);
    let mut phase = Phase::Running;
    let mut wake = deadline;
    let mut exit: Option<std::process::ExitStatus> = None;

    loop {
        if exit.is_some() && out.is_none() && err.is_none() {
            break;
        }
        tokio::select! {
            r = read_some(&mut out, &mut buf_out) => match r {
                Some(n) => stdout.push(&buf_out[..n], limits.output_limit_bytes),
                None => out = None,
            },
            r = read_some(&mut err, &mut buf_err) => match r {
                Some(n) => stderr.push(&buf_err[..n], limits.output_limit_bytes),
                None => err = None,
            },
            status = child.wait(), if exit.is_none() => {
                exit = Some(status?);
                if phase != Phase::Running {
                    // Whatever of the group ignored SIGTERM goes now.
                    let _ = killpg(pgid, Signal::SIGKILL);
                }
                wake = tokio::time::Instant::now() + limits.drain_after_exit;
            }
            _ = sleep_until(wake) => {
                if exit.is_some() {
                    break; // pipes held open by something the agent left running
                }
                match phase {
                    Phase::Running => {
                        tracing::warn!(program = %inv.program.display(), timeout_ms = limits.timeout.as_millis() as u64, "agent timed out; sending SIGTERM to its process group");
                        let _ = killpg(pgid, Signal::SIGTERM);
                        phase = Phase::Terminating;
                        wake = tokio::time::Instant::now() + limits.kill_grace;
                    }
                    Phase::Terminating | Phase::Killed => {
                        tracing::warn!(program = %inv.program.display(), "agent still there after the grace; sending SIGKILL");
                        let _ = killpg(pgid, Signal::SIGKILL);
                        phase = Phase::Killed;
                        // The leader cannot survive SIGKILL; wait for it without a deadline.
                        wake = tokio::time::Instant::now() + Duration::from_secs(3600);
                    }
                }
            }
        }
    }
    let elapsed = started.elapsed();
    let end = match (phase, exit) {
        (Phase::Terminating | Phase::Killed, _) => ProcessEnd::TimedOut,
        (Phase::Running, Some(st)) => end_of(st),
        (Phase::Running, None) => unreachable!("the loop ends only after exit"),
    };
    Ok(Finished { end, stdout, stderr, elapsed })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Running,
    Terminating,
    Killed,
}

fn end_of(st: std::process::ExitStatus) -> ProcessEnd {
    use std::os::unix::process::ExitStatusExt as _;
    match (st.code(), st.signal()) {
        (Some(c), _) => ProcessEnd::Exited(c),
        (None, Some(s)) => ProcessEnd::Signaled(s),
        (None, None) => ProcessEnd::Signaled(0),
    }
}

/// Reads once from a pipe; `None` at end of stream or on error. A closed pipe
/// (`None` reader) never completes, so `select!` simply stops polling it.
async fn read_some<R: AsyncReadExt + Unpin>(r: &mut Option<R>, buf: &mut [u8]) -> Option<usize> {
    match r {
        Some(r) => match r.read(buf).await {
            Ok(0) | Err(_) => None,
            Ok(n) => Some(n),
        },
        None => std::future::pending().await,
    }
}
