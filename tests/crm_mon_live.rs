//! `crm_mon`'s live view on a real cluster: three crmd nodes on real Corosync
//! in network namespaces (the rig in `../shared/netns`), our `crm_mon` running
//! in node 1 inside a detached tmux, read back with `tmux capture-pane`.
//!
//! Checks that the view shows the nodes, that the standby key (s, y) runs
//! `crm node standby` with the node then shown in standby (and `crm_mon -1`
//! agreeing), and that a crashed node shows offline within a second of the
//! daemon knowing it (as `crm_mon -1 --output-as=xml` polled in a tight loop
//! on node 1 first reports it).
//!
//! Needs root, corosync and tmux; skips with a message otherwise.
//!
//!     cargo test --release -p crm-tests --test crm_mon_live -- --nocapture

#[path = "agents/support.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

const STATE: &str = "/tmp/crm-mon-live-test";
const PREFIX: &str = "lvt";
const TMUX_SOCKET: &str = "/tmp/crm-mon-live-test.tmux";

fn netns_dir() -> PathBuf {
    crm_tests::shared_dir().join("netns")
}

fn skip_reason() -> Option<String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Some("not root (network namespaces need it)".into());
    }
    for (tool, what) in [("corosync", "corosync"), ("tmux", "tmux")] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool} || test -x /usr/sbin/{tool}")])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !found {
            return Some(format!("{what} is not installed"));
        }
    }
    if !netns_dir().join("setup.sh").is_file() {
        return Some(format!("no netns rig at {}", netns_dir().display()));
    }
    None
}

/// Runs `cmd`, killing it after `limit`: every wait in this test is bounded.
fn run_for(cmd: &mut Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawning {cmd:?}: {e}"));
    let deadline = Instant::now() + limit;
    while child.try_wait().expect("waiting for a child").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("collecting a child's output")
}

/// The rig's scripts, with this test's state dir and prefix (and the stack
/// settings, which `setup.sh` records for the later scripts).
fn rig(script: &str, args: &[&str], bin: &Path) -> Command {
    let mut cmd = Command::new(netns_dir().join(script));
    cmd.args(args)
        .current_dir(netns_dir())
        .env("NETNS_STATE", STATE)
        .env("NETNS_PREFIX", PREFIX)
        .env("NETNS_STACK", "custom")
        .env("NETNS_DAEMON", format!("{} --foreground", bin.join("crmd").display()))
        .env("NETNS_TOOLS_DIR", bin);
    cmd
}

fn rig_ok(script: &str, args: &[&str], bin: &Path, limit: Duration) -> String {
    let out = run_for(&mut rig(script, args, bin), limit);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{script} {args:?} failed ({}):\n{text}", out.status);
    text
}

fn tmux(args: &[&str]) -> Output {
    run_for(Command::new("tmux").arg("-S").arg(TMUX_SOCKET).args(args), Duration::from_secs(10))
}

fn pane() -> String {
    String::from_utf8_lossy(&tmux(&["capture-pane", "-p", "-t", "live"]).stdout).into_owned()
}

fn keys(keys: &[&str]) {
    let mut args = vec!["send-keys", "-t", "live"];
    args.extend_from_slice(keys);
    tmux(&args);
    // Gives the view a moment to act on the keys before the next look.
    thread::sleep(Duration::from_millis(200));
}

/// The node's row in the Nodes pane (the first line naming it).
fn node_row(screen: &str, node: &str) -> Option<String> {
    let needle = format!(" {node}  ");
    screen.lines().find(|l| l.contains(&needle)).map(|l| l.split("││").next().unwrap_or(l).to_string())
}

/// Polls `f` every `every` until it gives a value or `limit` passes.
fn wait_for<T>(limit: Duration, every: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() > deadline {
            return None;
        }
        thread::sleep(every);
    }
}

/// Tears the cluster and the tmux server down however the test ends.
struct Cluster {
    bin: PathBuf,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ =
            run_for(Command::new("tmux").args(["-S", TMUX_SOCKET, "kill-server"]), Duration::from_secs(10));
        let _ = std::fs::remove_file(TMUX_SOCKET);
        let _ = run_for(&mut rig("teardown.sh", &[], &self.bin), Duration::from_secs(60));
    }
}

impl Cluster {
    fn nx(&self, node: u32, args: &[&str]) -> Output {
        let n = node.to_string();
        let mut all = vec![n.as_str()];
        all.extend_from_slice(args);
        run_for(&mut rig("nx.sh", &all, &self.bin), Duration::from_secs(60))
    }
}

#[test]
fn live_view_follows_the_cluster() {
    if let Some(why) = skip_reason() {
        println!("skipped: {why}");
        return;
    }
    let bin = support::bin_dir();
    // A clean slate: a previous run killed half-way leaves its state behind.
    let _ = run_for(&mut rig("teardown.sh", &[], &bin), Duration::from_secs(60));
    let _ = run_for(Command::new("tmux").args(["-S", TMUX_SOCKET, "kill-server"]), Duration::from_secs(10));
    let cluster = Cluster { bin: bin.clone() };
    rig_ok("setup.sh", &["3"], &bin, Duration::from_secs(120));
    rig_ok("start-node.sh", &["1", "2", "3"], &bin, Duration::from_secs(60));
    let mut wait = Command::new("python3");
    wait.args(["bench.py", "wait"])
        .current_dir(netns_dir())
        .env("NETNS_STATE", STATE)
        .env("NETNS_PREFIX", PREFIX);
    let out = run_for(&mut wait, Duration::from_secs(120));
    assert!(out.status.success(), "the cluster did not form: {}", String::from_utf8_lossy(&out.stdout));

    // The view in node 1, monochrome so the markers and words carry it all.
    let command = format!(
        "exec env NETNS_STATE={STATE} NETNS_PREFIX={PREFIX} NO_COLOR=1 TZ=UTC {} 1 crm_mon",
        netns_dir().join("nx.sh").display()
    );
    let out = tmux(&["new-session", "-d", "-s", "live", "-x", "160", "-y", "50", &command]);
    assert!(out.status.success(), "tmux new-session: {}", String::from_utf8_lossy(&out.stderr));

    // (a) The nodes are shown.
    let all_online = || {
        let s = pane();
        ["lvt1", "lvt2", "lvt3"]
            .iter()
            .all(|n| node_row(&s, n).is_some_and(|r| r.contains("online")))
            .then_some(s)
    };
    let screen = wait_for(Duration::from_secs(15), Duration::from_millis(100), all_online)
        .unwrap_or_else(|| panic!("the view never showed three online nodes:\n{}", pane()));
    assert!(node_row(&screen, "lvt1").unwrap().contains("(DC)"), "{screen}");
    assert!(screen.contains("partition with quorum"), "{screen}");
    println!("(a) the view shows the nodes:\n{screen}");

    // (c) Standby from the keyboard: select lvt2, s, confirm with y.
    keys(&["j"]);
    let s = pane();
    assert!(node_row(&s, "lvt2").is_some_and(|r| r.contains("> ")), "lvt2 is not selected:\n{s}");
    keys(&["s"]);
    let s = pane();
    assert!(s.contains("Run `crm node standby lvt2`?"), "no confirmation naming the command:\n{s}");
    keys(&["y"]);
    let standby = wait_for(Duration::from_secs(30), Duration::from_millis(100), || {
        let s = pane();
        let row = node_row(&s, "lvt2")?;
        (row.contains("standby") || s.contains("crm node standby lvt2: ")).then_some(s)
    })
    .unwrap_or_else(|| panic!("neither standby nor a result after s, y:\n{}", pane()));
    let failed = standby.lines().any(|l| l.starts_with("crm node standby lvt2: ") && !l.contains(": done"));
    assert!(!failed, "crm node standby failed:\n{standby}");
    let standby = wait_for(Duration::from_secs(30), Duration::from_millis(100), || {
        let s = pane();
        node_row(&s, "lvt2")?.contains("standby").then_some(s)
    })
    .unwrap_or_else(|| panic!("lvt2 never showed standby:\n{}", pane()));
    assert!(standby.contains("node lvt2 is in standby"), "no standby event:\n{standby}");
    let one_shot = String::from_utf8_lossy(&cluster.nx(1, &["crm_mon", "-1"]).stdout).into_owned();
    assert!(one_shot.contains("Node lvt2: standby"), "crm_mon -1 disagrees:\n{one_shot}");
    println!("(c) standby from the keyboard; crm_mon -1 agrees:\n{one_shot}");
    // And back, so the crash below starts from an ordinary cluster.
    keys(&["s"]);
    assert!(pane().contains("Run `crm node online lvt2`?"), "{}", pane());
    keys(&["y"]);
    wait_for(Duration::from_secs(30), Duration::from_millis(100), || {
        node_row(&pane(), "lvt2")?.contains("online").then_some(())
    })
    .unwrap_or_else(|| panic!("lvt2 never came back online:\n{}", pane()));

    // (b) A crashed node: the view against the daemon's own report, polled
    // as fast as crm_mon answers.
    let stop = Arc::new(AtomicBool::new(false));
    let poller = {
        let stop = stop.clone();
        let bin = bin.clone();
        thread::spawn(move || -> Option<Instant> {
            while !stop.load(Ordering::SeqCst) {
                let out = run_for(
                    &mut rig("nx.sh", &["1", "crm_mon", "-1", "--output-as=xml"], &bin),
                    Duration::from_secs(10),
                );
                let xml = String::from_utf8_lossy(&out.stdout);
                let offline = xml
                    .lines()
                    .find(|l| l.contains("<node name=\"lvt3\""))
                    .is_some_and(|l| l.contains("online=\"false\""));
                if offline {
                    return Some(Instant::now());
                }
            }
            None
        })
    };
    let crashed_at = Instant::now();
    rig_ok("crash-node.sh", &["3"], &bin, Duration::from_secs(30));
    let shown = wait_for(Duration::from_secs(60), Duration::from_millis(20), || {
        let s = pane();
        let row = node_row(&s, "lvt3")?;
        (row.contains("OFFLINE") || row.contains("UNCLEAN")).then(|| (Instant::now(), s))
    });
    // The daemon's report may come a moment after the view's: give it time.
    let known =
        wait_for(Duration::from_secs(5), Duration::from_millis(20), || poller.is_finished().then_some(()));
    stop.store(true, Ordering::SeqCst);
    let known = known.and_then(|_| poller.join().ok().flatten());
    let (shown_at, screen) =
        shown.unwrap_or_else(|| panic!("the view never showed lvt3 offline:\n{}", pane()));
    let known_at = known.expect("crm_mon --output-as=xml never reported lvt3 offline");
    let late = shown_at.saturating_duration_since(known_at);
    println!(
        "(b) lvt3 crashed: daemon knew after {:.2}s, view showed it after {:.2}s (late by {:.2}s):\n{screen}",
        known_at.duration_since(crashed_at).as_secs_f64(),
        shown_at.duration_since(crashed_at).as_secs_f64(),
        late.as_secs_f64()
    );
    assert!(late < Duration::from_secs(1), "the view showed the crash {late:?} after the daemon knew it");
    let event = screen.contains("node lvt3 went OFFLINE") || screen.contains("node lvt3 is UNCLEAN");
    assert!(event, "no event line for the crash:\n{screen}");

    // q quits and gives the terminal back.
    keys(&["q"]);
    let gone = wait_for(Duration::from_secs(5), Duration::from_millis(100), || {
        (!tmux(&["has-session", "-t", "live"]).status.success()).then_some(())
    });
    assert!(gone.is_some(), "q did not end crm_mon:\n{}", pane());
    drop(cluster);
}
