//! The CIB on this node's disk: `cib.xml` with its digest in `cib.xml.sig`,
//! replaced atomically (temporary file, fsync, rename) and kept with a few
//! numbered backups, as Pacemaker keeps `/var/lib/pacemaker/cib`.
//!
//! Only the configuration is kept: the status section describes what runs now
//! and is rebuilt from the members' executors when the cluster forms.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use cib_schema::Cib;
use md5::{Digest, Md5};

use crate::cibio;

/// Backups kept beside `cib.xml` (`cib-1.raw` is the newest).
const BACKUPS: usize = 5;

pub struct CibStore {
    dir: PathBuf,
    /// `(admin_epoch, epoch)` of the configuration on disk.
    written: Option<(u64, u64)>,
}

fn hex_digest(bytes: &[u8]) -> String {
    Md5::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

impl CibStore {
    pub fn new(dir: impl Into<PathBuf>) -> CibStore {
        CibStore { dir: dir.into(), written: None }
    }

    fn path(&self) -> PathBuf {
        self.dir.join("cib.xml")
    }

    /// The CIB last written, if any. A file whose digest does not match (a
    /// torn disk, a hand edit) is refused with the file named, as Pacemaker does.
    pub fn load(&mut self) -> Result<Option<Cib>> {
        let path = self.path();
        let text = match std::fs::read(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let sig_path = sig_path(&path);
        if let Ok(sig) = std::fs::read_to_string(&sig_path) {
            let want = sig.trim();
            let got = hex_digest(&text);
            if want != got {
                bail!("{}: digest {got} does not match {} ({want}); move the file away to start from the other nodes' copy", path.display(), sig_path.display());
            }
        }
        let text = String::from_utf8(text).with_context(|| format!("{} is not UTF-8", path.display()))?;
        let cib = cib_schema::parse(&text).with_context(|| format!("{}: invalid CIB", path.display()))?;
        let (admin, epoch, _) = cib.version();
        self.written = Some((admin, epoch));
        Ok(Some(cib))
    }

    /// Writes `cib`'s configuration if it is not the one on disk already.
    pub fn write(&mut self, cib: &Cib) -> Result<()> {
        let (admin, epoch, _) = cib.version();
        if self.written == Some((admin, epoch)) {
            return Ok(());
        }
        std::fs::create_dir_all(&self.dir).with_context(|| format!("creating {}", self.dir.display()))?;
        let mut doc = cib.clone();
        doc.status = Some(Default::default());
        doc.num_updates = Some("0".into());
        let text = cib_schema::to_xml(&doc);
        let path = self.path();
        self.rotate_backups(&path);
        cibio::write_atomically(&path, text.as_bytes())?;
        cibio::write_atomically(&sig_path(&path), hex_digest(text.as_bytes()).as_bytes())?;
        self.written = Some((admin, epoch));
        tracing::debug!(admin, epoch, "CIB written to {}", path.display());
        Ok(())
    }

    fn rotate_backups(&self, path: &Path) {
        if !path.exists() {
            return;
        }
        for i in (1..BACKUPS).rev() {
            let _ = std::fs::rename(
                self.dir.join(format!("cib-{i}.raw")),
                self.dir.join(format!("cib-{}.raw", i + 1)),
            );
        }
        let _ = std::fs::copy(path, self.dir.join("cib-1.raw"));
    }
}

fn sig_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".sig");
    PathBuf::from(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cib(epoch: u64) -> Cib {
        let mut c = cib_schema::parse(cibio::empty_cib_xml()).unwrap();
        c.set_version((0, epoch, 3));
        c
    }

    #[test]
    fn written_configuration_reads_back_without_status_and_backups_rotate() {
        let dir = std::env::temp_dir().join(format!("crmd-store-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut s = CibStore::new(&dir);
        assert!(s.load().unwrap().is_none());
        for e in 1..=8 {
            s.write(&cib(e)).unwrap();
        }
        let back = CibStore::new(&dir).load().unwrap().unwrap();
        assert_eq!(back.version(), (0, 8, 0));
        assert!(dir.join("cib-5.raw").exists() && !dir.join("cib-6.raw").exists());
        std::fs::write(dir.join("cib.xml"), "<cib epoch=\"9\"/>").unwrap();
        let err = CibStore::new(&dir).load().unwrap_err().to_string();
        assert!(err.contains("does not match"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
