//! Where agents live and the limits every operation runs under.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Executor settings. `Default` gives Debian's paths and Pacemaker-like limits.
#[derive(Debug, Clone)]
pub struct ExecutorConfig {
    /// `OCF_ROOT`: agents are in `resource.d/<provider>/` under it.
    pub ocf_root: PathBuf,
    /// LSB init scripts.
    pub lsb_dir: PathBuf,
    /// Fence agents (`fence_*`) and `fence_legacy`.
    pub fence_dir: PathBuf,
    /// cluster-glue's plugin tree (`external/*` lives in `external/`).
    pub stonith_plugin_dir: PathBuf,
    /// cluster-glue's `stonith` command, for legacy plugins' meta-data.
    pub stonith_command: PathBuf,
    /// Present only when systemd is the running init (`sd_booted()`'s test).
    pub systemd_marker: PathBuf,
    /// The directory of this project's agent-facing tools (`crm_attribute`,
    /// `crm_master`, `crm_node`, ...). Agents find it as `HA_SBIN_DIR` and first
    /// on `PATH`, so they call ours rather than Pacemaker's.
    pub sbin_dir: Option<PathBuf>,
    /// Set in every agent's environment after everything else (e.g. `CIB_file`
    /// so that our tools work offline).
    pub extra_env: BTreeMap<String, String>,
    /// Used when a request has no timeout (Pacemaker's default is 20 s).
    pub default_timeout_ms: u64,
    /// Between SIGTERM and SIGKILL of a timed-out agent's process group.
    pub kill_grace_ms: u64,
    /// Output kept per stream.
    pub output_limit_bytes: usize,
    /// How long to read an exited agent's pipes that a child still holds.
    pub drain_after_exit_ms: u64,
    /// Runs every agent through this command, e.g. `ip netns exec NS` to act
    /// inside a network namespace; empty: agents run directly.
    pub wrapper: Vec<std::ffi::OsString>,
    /// Operations running at once (Pacemaker's `node-action-limit`); more wait
    /// in the queue, which is what `queue_time_ms` measures.
    pub max_concurrent: usize,
}

impl Default for ExecutorConfig {
    fn default() -> Self {
        ExecutorConfig {
            ocf_root: PathBuf::from("/usr/lib/ocf"),
            lsb_dir: PathBuf::from("/etc/init.d"),
            fence_dir: PathBuf::from("/usr/sbin"),
            stonith_plugin_dir: PathBuf::from("/usr/lib/stonith/plugins"),
            stonith_command: PathBuf::from("/usr/sbin/stonith"),
            systemd_marker: PathBuf::from("/run/systemd/system"),
            sbin_dir: own_sbin_dir(),
            extra_env: BTreeMap::new(),
            default_timeout_ms: 20_000,
            kill_grace_ms: 5_000,
            output_limit_bytes: 64 * 1024,
            drain_after_exit_ms: 200,
            wrapper: Vec::new(),
            max_concurrent: 2 * std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

impl ExecutorConfig {
    /// Whether systemd is the running init here.
    pub fn systemd_running(&self) -> bool {
        self.systemd_marker.is_dir()
    }

    pub fn timeout(&self, timeout_ms: u64) -> Duration {
        Duration::from_millis(if timeout_ms == 0 { self.default_timeout_ms } else { timeout_ms })
    }
}

/// The directory of the running binary, if our `crm_attribute` is beside it:
/// the daemon is installed next to its tools.
fn own_sbin_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    has_tools(dir).then(|| dir.to_path_buf())
}

pub(crate) fn has_tools(dir: &Path) -> bool {
    dir.join("crm_attribute").is_file()
}
