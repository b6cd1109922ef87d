//! Where the shell's CIB comes from and goes to: a file (`CIB_file`, a shadow)
//! or the node's daemon. The shell edits CIB text the same way in both cases;
//! only reading and committing differ.

use cib_schema as cs;

use super::error::CrmError;
use crate::cibio::CibSource;

fn other(e: anyhow::Error) -> CrmError {
    CrmError::Other(format!("{e:#}"))
}

/// The CIB text as the shell starts from it. A missing file reads as empty (a
/// new shadow or `CIB_file` starts as an empty CIB, as crmsh allows).
pub fn read(source: &CibSource) -> Result<String, CrmError> {
    match source {
        CibSource::File(p) => match std::fs::read_to_string(p) {
            Ok(t) => Ok(t),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
            Err(e) => Err(CrmError::Other(format!("{}: {e}", p.display()))),
        },
        CibSource::Daemon => source.read_text().map_err(other),
    }
}

/// Commits `new` (the edit of `original`, both as text) and returns the text
/// the shell continues from. A file is refused if someone replaced it since it
/// was read (`refusal` ends that message); the daemon refuses a configuration
/// edited from an older epoch itself. After a daemon commit the CIB is read
/// again: the daemon numbered the new version, and later commits must name it.
pub fn commit(source: &CibSource, original: &str, new: &str, refusal: &str) -> Result<String, CrmError> {
    match source {
        CibSource::File(p) => {
            let now = std::fs::read_to_string(p).unwrap_or_default();
            if now != original {
                return Err(CrmError::Invalid(format!(
                    "{} changed since it was read; {refusal}",
                    p.display()
                )));
            }
            crate::cibio::write_atomically(p, new.as_bytes()).map_err(other)?;
            Ok(new.to_string())
        }
        CibSource::Daemon => {
            let parse = |text: &str| cs::parse(text).map_err(|e| CrmError::Invalid(e.to_string()));
            source.save(&parse(original)?, &parse(new)?).map_err(other)?;
            read(source)
        }
    }
}

/// `cib commit`: the shadow's configuration becomes the live one. A live file
/// is replaced whole; the daemon gets only the configuration (the shadow's
/// status is a stale copy that must not overwrite the cluster's).
pub fn commit_shadow(live: &CibSource, shadow: &str) -> Result<(), CrmError> {
    match live {
        CibSource::File(p) => crate::cibio::write_atomically(p, shadow.as_bytes()).map_err(other),
        CibSource::Daemon => {
            let shadow = cs::parse(shadow).map_err(|e| CrmError::Invalid(format!("shadow CIB: {e}")))?;
            let old = live.read().map_err(other)?;
            let mut new = old.clone();
            new.configuration = shadow.configuration;
            live.save(&old, &new).map_err(other)
        }
    }
}
