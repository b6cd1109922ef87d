//! Where a tool's CIB comes from and goes to. Like Pacemaker's tools: `CIB_file`
//! names a file to work on offline; otherwise the local daemon over its socket.
//! Writes are atomic (temporary file, fsync, rename) so a crash never leaves half
//! a CIB behind.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use cib_schema::Cib;

/// The CIB file named by `CIB_file`, if set.
pub fn cib_file_from_env() -> Option<PathBuf> {
    std::env::var_os("CIB_file").filter(|v| !v.is_empty()).map(PathBuf::from)
}

/// Reads and parses a CIB file; errors name the file and line:column.
pub fn read_cib_file(path: &Path) -> Result<Cib> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    cib_schema::parse(&text).with_context(|| format!("{}: invalid CIB", path.display()))
}

/// Where a tool's CIB lives: a file (`CIB_file`, offline) or the node's daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CibSource {
    File(PathBuf),
    Daemon,
}

impl CibSource {
    /// `CIB_file` if set, the daemon otherwise (as Pacemaker's tools choose).
    pub fn from_env() -> CibSource {
        match cib_file_from_env() {
            Some(p) => CibSource::File(p),
            None => CibSource::Daemon,
        }
    }

    /// The CIB as text, unparsed (`cibadmin --query` prints it as it is).
    pub fn read_text(&self) -> Result<String> {
        match self {
            CibSource::File(p) => {
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))
            }
            CibSource::Daemon => Ok(crate::ipc::DaemonClient::connect()?.query()?),
        }
    }

    pub fn read(&self) -> Result<Cib> {
        match self {
            CibSource::File(p) => read_cib_file(p),
            CibSource::Daemon => {
                let text = self.read_text()?;
                cib_schema::parse(&text).context("the cluster daemon's CIB")
            }
        }
    }

    /// Stores `new`, the tool's edit of `old` (as read from this source): the
    /// file is replaced atomically; the daemon gets the differences, each one
    /// applied cluster-wide and on disk before the next is sent.
    pub fn save(&self, old: &Cib, new: &Cib) -> Result<()> {
        match self {
            CibSource::File(p) => write_cib_file(p, new),
            CibSource::Daemon => {
                let changes = crate::cibdiff::changes_between(old, new);
                if changes.is_empty() {
                    return Ok(());
                }
                let mut client = crate::ipc::DaemonClient::connect()?;
                for change in changes {
                    client.change(change)?;
                }
                Ok(())
            }
        }
    }

    /// The CIB file's path, for messages; the daemon's socket otherwise.
    pub fn describe(&self) -> String {
        match self {
            CibSource::File(p) => p.display().to_string(),
            CibSource::Daemon => format!("the cluster (via {})", crate::ipc::socket_path().display()),
        }
    }
}

/// Loads the CIB the environment points at (`CIB_file`, or the local daemon).
pub fn load_cib() -> Result<(Cib, CibSource)> {
    let source = CibSource::from_env();
    Ok((source.read()?, source))
}

/// Writes `cib` to `path` atomically: a temporary file beside it, fsync, rename.
pub fn write_cib_file(path: &Path, cib: &Cib) -> Result<()> {
    write_atomically(path, cib_schema::to_xml(cib).as_bytes())
}

/// Replaces `path` with `bytes` so that readers see either the old or the new file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().context("CIB path has no file name")?.to_string_lossy();
    let tmp = dir.join(format!(".{name}.tmp.{}", std::process::id()));
    let mut f = std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path).with_context(|| format!("replacing {}", path.display()))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// An empty CIB as `cibadmin --empty` makes it, for new files.
pub fn empty_cib_xml() -> &'static str {
    "<cib crm_feature_set=\"3.16.2\" validate-with=\"pacemaker-3.9\" epoch=\"1\" num_updates=\"0\" admin_epoch=\"0\">\n  <configuration>\n    <crm_config/>\n    <nodes/>\n    <resources/>\n    <constraints/>\n  </configuration>\n  <status/>\n</cib>\n"
}
