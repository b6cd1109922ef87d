//! Where a tool's CIB comes from and goes to. Like Pacemaker's tools: `CIB_file`
//! names a file to work on offline; otherwise the local daemon (once it exists).
//! Writes are atomic (temporary file, fsync, rename) so a crash never leaves half
//! a CIB behind.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
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

/// Loads the CIB the environment points at (`CIB_file`).
pub fn load_cib() -> Result<(Cib, PathBuf)> {
    match cib_file_from_env() {
        Some(path) => Ok((read_cib_file(&path)?, path)),
        None => {
            bail!("no CIB to work on: set CIB_file=FILE (the cluster daemon connection is not available)")
        }
    }
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
