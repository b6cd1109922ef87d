//! The interactive `crm` shell driven through tmux, as a user would type:
//! tab completion of commands, agents and object ids, history recall, a
//! syntax error, and a commit that writes the CIB only when asked.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

#[path = "crmsh/common.rs"]
mod common;

/// A tmux server of our own (`-L SOCKET`), away from anyone else's tmux.
struct Tmux {
    socket: String,
    session: String,
}

impl Tmux {
    fn cmd(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket]);
        c
    }

    fn send(&self, keys: &[&str]) {
        let mut cmd = self.cmd();
        cmd.args(["send-keys", "-t", &self.session]);
        cmd.args(keys);
        assert!(cmd.status().expect("tmux send-keys").success());
    }

    fn pane(&self) -> String {
        let out = self.cmd().args(["capture-pane", "-p", "-t", &self.session]).output().expect("capture");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the pane shows `what` (the terminal is asynchronous).
    fn wait_for(&self, what: &str) -> String {
        let start = Instant::now();
        loop {
            let p = self.pane();
            if p.contains(what) {
                return p;
            }
            assert!(start.elapsed() < Duration::from_secs(10), "timed out waiting for {what:?}; pane:\n{p}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The line the cursor is on (the last non-empty line of the pane).
    fn last_line(&self) -> String {
        self.pane().lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").to_string()
    }

    fn wait_last_line(&self, what: &str) -> String {
        let start = Instant::now();
        loop {
            let l = self.last_line();
            if l.contains(what) {
                return l;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "timed out waiting for line {what:?}; pane:\n{}",
                self.pane()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd().arg("kill-server").stderr(std::process::Stdio::null()).status();
    }
}

fn has_tmux() -> bool {
    Command::new("tmux").arg("-V").output().is_ok_and(|o| o.status.success())
}

#[test]
fn interactive_session_under_tmux() {
    if !has_tmux() {
        eprintln!("skipping: tmux is not installed");
        return;
    }
    let bin = common::crm_binary();
    let dir = std::env::temp_dir().join(format!("crmsh-tmux-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let cib = dir.join("cib.xml");
    std::fs::write(&cib, crm_cli::cibio::empty_cib_xml()).expect("empty cib");
    let session = format!("crmsh-test-{}", std::process::id());
    let shell_cmd = format!(
        "env CIB_file={} HOME={} OCF_ROOT=/usr/lib/ocf {}",
        cib.display(),
        dir.display(),
        bin.display()
    );
    let t = Tmux { socket: session.clone(), session };
    let status = t
        .cmd()
        .args(["new-session", "-d", "-s", &t.session, "-x", "160", "-y", "50", &shell_cmd])
        .status()
        .expect("tmux new-session");
    assert!(status.success());
    t.wait_for(")#");

    // Completion of a command at the top level.
    t.send(&["conf", "Tab"]);
    t.wait_last_line(")# configure");
    t.send(&["Enter"]);
    t.wait_for(")configure#");

    // Completion of the agent name (short form of ocf:heartbeat:Dummy) when installed.
    let dummy_installed = Path::new("/usr/lib/ocf/resource.d/heartbeat/Dummy").exists();
    if dummy_installed {
        t.send(&["primitive d1 Dumm", "Tab"]);
        t.wait_last_line("primitive d1 Dummy");
        t.send(&["op monitor interval=10s", "Enter"]);
    } else {
        t.send(&["primitive d1 Dummy op monitor interval=10s", "Enter"]);
    }

    // Completion of an agent's parameters from its meta-data.
    if dummy_installed {
        t.send(&["primitive d3 ocf:heartbeat:Dummy params fa", "Tab"]);
        t.wait_last_line("params fake=");
        t.send(&["C-u"]);
    }

    // A syntax error names the line and the token; nothing is lost.
    t.send(&["primitive d2 Dummy op", "Enter"]);
    t.wait_for("ERROR: 1: syntax in primitive: Expected operation name near <op>");

    // History: two steps back is the first primitive.
    t.send(&["Up", "Up"]);
    t.wait_last_line("primitive d1 Dummy op monitor interval=10s");
    t.send(&["C-u"]);

    // Completion of object ids.
    t.send(&["show d", "Tab"]);
    t.wait_last_line("show d1");
    t.send(&["Enter"]);
    t.wait_for("primitive d1 Dummy");

    // Nothing is written before commit.
    let before = std::fs::read_to_string(&cib).expect("cib");
    assert!(!before.contains("\"d1\""), "the CIB changed before commit");
    // Without a fencing device crm_verify complains and crmsh asks; answered
    // "no", nothing is written and the working copy stays, to be fixed.
    t.send(&["commit", "Enter"]);
    t.wait_for("Do you still want to commit (y/n)?");
    t.send(&["n", "Enter"]);
    t.wait_for("commit refused");
    assert!(!std::fs::read_to_string(&cib).expect("cib").contains("\"d1\""), "refused commit wrote the CIB");
    t.send(&["property stonith-enabled=false", "Enter"]);
    t.send(&["commit", "Enter"]);
    let start = Instant::now();
    loop {
        let now = std::fs::read_to_string(&cib).expect("cib");
        if now.contains("id=\"d1\"") {
            assert!(now.contains("id=\"d1-monitor-10s\""), "commit wrote:\n{now}");
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "commit did not write the CIB; pane:\n{}",
            t.pane()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    t.send(&["quit", "Enter"]);
    // The history file is written on exit (created first, then filled: wait
    // for the content, not just the file).
    let start = Instant::now();
    let mut hist = String::new();
    while start.elapsed() < Duration::from_secs(10) {
        hist = std::fs::read_to_string(dir.join(".crm_history")).unwrap_or_default();
        if hist.contains("primitive d1 Dummy") {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(hist.contains("primitive d1 Dummy"), "history file: {hist}");
    let _ = std::fs::remove_dir_all(&dir);
}
