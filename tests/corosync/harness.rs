//! Test harness for real Corosync clusters in network namespaces: wraps
//! `corosync/cluster.sh` (one cluster per `Cluster`, torn down on drop, even when the
//! test panics) and runs `corosync-probe` clients inside the nodes.

#![allow(dead_code)] // each test binary uses a different part of it

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Clusters are timing-sensitive and the host has 2 cores: one at a time.
pub static SERIAL: Mutex<()> = Mutex::new(());

pub const PROBE: &str = env!("CARGO_BIN_EXE_corosync-probe");

/// True when this machine can run the cluster tests (root, corosync installed);
/// otherwise says why on stderr. CI runs as root with corosync installed.
pub fn can_run() -> bool {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIP: corosync cluster tests need root (network namespaces)");
        return false;
    }
    if !Path::new("/usr/sbin/corosync").exists() {
        eprintln!("SKIP: corosync is not installed (scripts/install-deps.sh installs it)");
        return false;
    }
    true
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corosync/cluster.sh")
}

fn run(args: &[&str]) -> Result<String, String> {
    let out = Command::new(script()).args(args).output().map_err(|e| format!("cluster.sh: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cluster.sh {} failed: {}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// One cluster of `n` nodes; removed (processes, namespaces, state) on drop.
pub struct Cluster {
    pub state: PathBuf,
    pub prefix: String,
    pub n: usize,
}

impl Cluster {
    /// Creates the namespaces and config; starts nothing. `tag` keeps names unique
    /// per test; the PID keeps them unique per run.
    pub fn new(tag: &str, n: usize, token_ms: u32, two_node: bool) -> Cluster {
        reap_stale();
        let prefix = format!("cs{tag}{}x", std::process::id() % 100_000);
        let state = std::env::temp_dir().join(format!("corosync-test-{prefix}"));
        let c = Cluster { state, prefix, n };
        let (n_s, t_s) = (n.to_string(), token_ms.to_string());
        let mut args = vec!["setup", c.state_str(), &c.prefix, &n_s, &t_s];
        if two_node {
            args.push("two_node");
        }
        if let Err(e) = run(&args) {
            panic!("{e}"); // Drop still tears down what setup created
        }
        // Lets a later run remove this cluster if this process dies without unwinding.
        let _ = std::fs::write(c.state.join("owner.pid"), std::process::id().to_string());
        c
    }

    fn state_str(&self) -> &str {
        self.state.to_str().expect("utf-8 temp dir")
    }

    /// Boots node `i` and returns once its corosync answers.
    pub fn start(&self, i: usize) {
        run(&["start", self.state_str(), &i.to_string()]).unwrap_or_else(|e| panic!("{e}"));
    }

    /// Cable pull and SIGKILL of every process of node `i` (corosync and probes).
    pub fn crash(&self, i: usize) {
        run(&["crash", self.state_str(), &i.to_string()]).unwrap_or_else(|e| panic!("{e}"));
    }

    /// SIGKILL of node `i`'s corosync only; its clients stay alive.
    pub fn kill_corosync(&self, i: usize) {
        run(&["cs-kill", self.state_str(), &i.to_string()]).unwrap_or_else(|e| panic!("{e}"));
    }

    pub fn start_corosync(&self, i: usize) {
        run(&["cs-start", self.state_str(), &i.to_string()]).unwrap_or_else(|e| panic!("{e}"));
    }

    /// Runs a command inside node `i` and returns its stdout.
    pub fn exec(&self, i: usize, cmd: &[&str]) -> Result<String, String> {
        let i_s = i.to_string();
        let mut args = vec!["exec", self.state_str(), &i_s];
        args.extend_from_slice(cmd);
        run(&args)
    }

    /// Starts `corosync-probe ARGS` inside node `i`.
    pub fn probe(&self, i: usize, args: &[&str]) -> Probe {
        self.probe_with(i, PROBE, &[], args)
    }

    /// Like [`Cluster::probe`], with a wrapper command (e.g. `setpriv ...`) and binary.
    pub fn probe_with(&self, i: usize, binary: &str, wrapper: &[&str], args: &[&str]) -> Probe {
        let mut child = Command::new(script())
            .args(["exec", self.state_str(), &i.to_string()])
            .args(wrapper)
            .arg(binary)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawning corosync-probe");
        let stdout = child.stdout.take().expect("piped");
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send((Instant::now(), line)).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        Probe { node: i, child, stdin, rx, seen: Vec::new(), mark: 0 }
    }
}

/// Tears down clusters left by test processes that were killed (no Drop ran).
fn reap_stale() {
    let Ok(dir) = std::fs::read_dir(std::env::temp_dir()) else { return };
    for entry in dir.flatten() {
        let path = entry.path();
        let is_ours =
            path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("corosync-test-cs"));
        let Ok(owner) = std::fs::read_to_string(path.join("owner.pid")) else { continue };
        let alive = Path::new("/proc").join(owner.trim()).exists();
        if is_ours && !alive {
            eprintln!("removing stale test cluster {}", path.display());
            let _ = run(&["teardown", path.to_str().unwrap_or_default()]);
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Err(e) = run(&["teardown", self.state_str()]) {
            eprintln!("teardown of {}: {e}", self.prefix);
        }
    }
}

/// A running probe: its output lines with arrival times, and its stdin.
pub struct Probe {
    pub node: usize,
    child: Child,
    stdin: Option<ChildStdin>,
    rx: Receiver<(Instant, String)>,
    /// Every line read so far.
    pub seen: Vec<(Instant, String)>,
    /// `expect` searches lines from here on (see [`Probe::mark`]).
    mark: usize,
}

impl Probe {
    pub fn send(&mut self, line: &str) {
        if let Some(stdin) = &mut self.stdin {
            let _ = writeln!(stdin, "{line}");
            let _ = stdin.flush();
        }
    }

    fn fail(&self, what: &str) -> ! {
        let tail: Vec<&str> = self.seen.iter().rev().take(40).map(|(_, l)| l.as_str()).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        panic!("node {}: {what}; last output:\n  {}", self.node, tail.join("\n  "));
    }

    /// Makes later `expect`s look only at lines that arrive from now on.
    pub fn mark(&mut self) {
        while let Ok(line) = self.rx.try_recv() {
            self.seen.push(line);
        }
        self.mark = self.seen.len();
    }

    /// Waits for a line after the mark matching `pred` (events of different services
    /// interleave freely, so lines are not consumed); returns it and its arrival time.
    pub fn expect_at(
        &mut self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&str) -> bool,
    ) -> (Instant, String) {
        let deadline = Instant::now() + timeout;
        let mut from = self.mark;
        loop {
            if let Some((t, l)) = self.seen[from..].iter().find(|(_, l)| pred(l)) {
                return (*t, l.clone());
            }
            from = self.seen.len();
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(RecvTimeoutError::Timeout) => {
                    self.fail(&format!("timed out after {timeout:?} waiting for {what}"))
                }
                Err(RecvTimeoutError::Disconnected) => {
                    self.fail(&format!("probe exited while waiting for {what}"))
                }
            }
        }
    }

    pub fn expect(&mut self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        self.expect_at(what, timeout, pred).1
    }

    /// Reads until `n` lines after the mark match `pred`; returns them.
    pub fn collect(&mut self, n: usize, timeout: Duration, pred: impl Fn(&str) -> bool) -> Vec<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let got: Vec<String> =
                self.seen[self.mark..].iter().filter(|(_, l)| pred(l)).map(|(_, l)| l.clone()).collect();
            if got.len() >= n {
                return got;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(_) => self.fail(&format!("got {} of {n} expected lines", got.len())),
            }
        }
    }

    /// Lines after the mark, read so far (no waiting).
    pub fn since_mark(&mut self) -> Vec<String> {
        while let Ok(line) = self.rx.try_recv() {
            self.seen.push(line);
        }
        self.seen[self.mark..].iter().map(|(_, l)| l.clone()).collect()
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        // EOF on stdin makes a watching probe exit; the cluster teardown kills the rest.
        self.stdin = None;
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `key=value` field of an output line.
pub fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.split(' ').find_map(|kv| kv.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
}
