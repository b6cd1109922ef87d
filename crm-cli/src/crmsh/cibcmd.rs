//! `crm cib`: shadow CIBs, files beside the live one (`CIB_shadow_dir`, else
//! /var/lib/pacemaker/cib) named `shadow.NAME`, as crm_shadow keeps them.

use std::path::PathBuf;

use super::error::CrmError;
use super::session::info;
use crate::cibio::CibSource;

pub fn shadow_dir() -> PathBuf {
    std::env::var_os("CIB_shadow_dir")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/lib/pacemaker/cib"))
}

pub fn shadow_path(name: &str) -> PathBuf {
    shadow_dir().join(format!("shadow.{name}"))
}

/// Runs a `cib` command; may switch the shell to another CIB (`use`). `live`
/// is `CIB_file` or the daemon.
pub fn run(live: &CibSource, current: &mut CibSource, args: &[String]) -> Result<(), CrmError> {
    let Some(cmd) = args.first().map(String::as_str) else { return Ok(()) };
    let name = || {
        args.get(1)
            .map(String::as_str)
            .ok_or_else(|| CrmError::Other(format!("cib {cmd}: which shadow CIB?")))
    };
    let io = |e: std::io::Error| CrmError::Other(e.to_string());
    match cmd {
        "new" => {
            let n = name()?;
            let path = shadow_path(n);
            if path.exists() && !args.iter().any(|a| a == "--force" || a == "force") {
                return Err(CrmError::Other(format!("shadow CIB {n} already exists")));
            }
            let text = if args.iter().any(|a| a == "empty") {
                crate::cibio::empty_cib_xml().to_string()
            } else {
                live_text(live)?
            };
            std::fs::create_dir_all(shadow_dir()).map_err(io)?;
            crate::cibio::write_atomically(&path, text.as_bytes())
                .map_err(|e| CrmError::Other(format!("{e:#}")))?;
            info(&format!("cib.new: {n} shadow CIB created"));
            *current = CibSource::File(path);
            Ok(())
        }
        "use" => {
            match args.get(1).map(String::as_str) {
                None | Some("live") => *current = live.clone(),
                Some(n) => {
                    let p = shadow_path(n);
                    if !p.exists() {
                        return Err(CrmError::Other(format!("{n}: no such shadow CIB")));
                    }
                    *current = CibSource::File(p);
                }
            }
            Ok(())
        }
        "delete" => {
            let n = name()?;
            std::fs::remove_file(shadow_path(n)).map_err(io)?;
            if *current == CibSource::File(shadow_path(n)) {
                *current = live.clone();
            }
            Ok(())
        }
        "commit" => {
            let n = name()?;
            let text = std::fs::read_to_string(shadow_path(n)).map_err(io)?;
            super::store::commit_shadow(live, &text)
        }
        "reset" => {
            let n = name()?;
            let text = live_text(live)?;
            crate::cibio::write_atomically(&shadow_path(n), text.as_bytes())
                .map_err(|e| CrmError::Other(format!("{e:#}")))
        }
        "list" => {
            let mut names: Vec<String> = std::fs::read_dir(shadow_dir())
                .map(|rd| {
                    rd.filter_map(|e| e.ok())
                        .filter_map(|e| {
                            e.file_name().to_string_lossy().strip_prefix("shadow.").map(str::to_string)
                        })
                        .collect()
                })
                .unwrap_or_default();
            names.sort();
            for n in names {
                println!("{n}");
            }
            Ok(())
        }
        _ => Err(CrmError::Other(format!("cib: unknown command {cmd}"))),
    }
}

/// The live CIB's text, to copy into a shadow. Unlike the configure level, a
/// missing live file is an error here: there is nothing to copy.
fn live_text(live: &CibSource) -> Result<String, CrmError> {
    live.read_text().map_err(|e| CrmError::Other(format!("{e:#}")))
}
