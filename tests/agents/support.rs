//! Shared by the real-agent suites (`tests/agents_*.rs`): our tool binaries,
//! an executor wired to them, temporary directories that clean up, and checks
//! for processes left behind. Included with `#[path]` so each suite stays one
//! test binary.
#![allow(dead_code)] // each suite uses a different part

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crm_agents::{Executor, ExecutorConfig};

/// The directory holding our `crm_attribute`, `crm_master`, ... (the target
/// profile directory this test binary was built into). They are built here
/// if missing, so a plain `cargo test` works too.
pub fn bin_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let exe = std::env::current_exe().expect("test binary path");
        // target/<profile>/deps/<test>-<hash>
        let dir = exe.parent().and_then(Path::parent).expect("target/<profile>/deps").to_path_buf();
        let tools =
            ["crm_attribute", "crm_master", "crm_node", "crm_resource", "cibadmin", "crm", "crm_mon", "crmd"];
        if !tools.iter().all(|t| dir.join(t).is_file()) {
            let profile = dir.file_name().and_then(|n| n.to_str()).unwrap_or("release");
            let profile = if profile == "debug" { "dev" } else { profile };
            let status = Command::new(env!("CARGO"))
                .args(["build", "-q", "-p", "crm-cli", "--bins", "--profile", profile])
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .status()
                .expect("running cargo to build crm-cli's tools");
            assert!(
                status.success(),
                "building crm-cli's tools failed; run `cargo build --release -p crm-cli --bins`"
            );
        }
        for t in tools {
            assert!(dir.join(t).is_file(), "{} missing after build", dir.join(t).display());
        }
        dir
    })
    .clone()
}

/// An executor whose agents reach our tools, working on `cib_file` if given.
pub fn executor(cib_file: Option<&Path>) -> Executor {
    let mut cfg = ExecutorConfig { sbin_dir: Some(bin_dir()), ..Default::default() };
    if let Some(f) = cib_file {
        cfg.extra_env.insert("CIB_file".into(), f.display().to_string());
    }
    Executor::new(cfg)
}

/// A directory under /tmp removed (recursively) when dropped. World-readable
/// so that agents dropping privileges (mysqld as `mysql`) can reach it.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "crm-agents-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("creating a temporary directory");
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod temp dir");
        TempDir(p)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn join(&self, p: &str) -> PathBuf {
        self.0.join(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs a command that must succeed; returns its standard output.
pub fn sh(args: &[&str]) -> String {
    let out =
        Command::new(args[0]).args(&args[1..]).output().unwrap_or_else(|e| panic!("running {args:?}: {e}"));
    assert!(
        out.status.success(),
        "{args:?} failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs a command whose failure is acceptable (cleanup).
pub fn sh_quiet(args: &[&str]) {
    let _ = Command::new(args[0]).args(&args[1..]).output();
}

/// Fails with a clear message when a program the suite needs is missing.
pub fn require(path: &str, package: &str) {
    assert!(
        Path::new(path).exists(),
        "{path} is missing: install the {package} package (scripts/install-deps.sh does)"
    );
}

/// Live (non-zombie) processes whose command line contains `needle`.
pub fn live_processes_matching(needle: &str) -> Vec<(i32, String)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else { continue };
        let Ok(cmd) = std::fs::read(e.path().join("cmdline")) else { continue };
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        if !cmd.contains(needle) || pid == std::process::id() as i32 {
            continue;
        }
        let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        // The state follows the parenthesised command name.
        let state = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().next()).unwrap_or("?");
        if state != "Z" && state != "X" {
            out.push((pid, cmd));
        }
    }
    out
}

/// Waits up to `ms` for `cond`.
pub fn wait_for(ms: u64, mut cond: impl FnMut() -> bool) -> bool {
    let end = std::time::Instant::now() + std::time::Duration::from_millis(ms);
    while std::time::Instant::now() < end {
        if cond() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    cond()
}

/// A CIB with nodes `node1` (id 1) and `node2` (id 2), both in the status
/// section, written to `dir/cib.xml`.
pub fn two_node_cib(dir: &TempDir) -> PathBuf {
    let p = dir.join("cib.xml");
    std::fs::write(&p, include_str!("cib-two-nodes.xml")).expect("writing the test CIB");
    p
}
