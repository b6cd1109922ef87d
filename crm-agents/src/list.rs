//! What is installed: classes, OCF providers and agents per class (what
//! `crm ra classes`, `crm ra list` and `crm_resource --list-agents` show).

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use crate::config::ExecutorConfig;
use crate::error::AgentError;
use crate::spec::Class;

/// Classes usable on this host: systemd only where it runs.
pub fn classes(cfg: &ExecutorConfig) -> Vec<Class> {
    Class::ALL.into_iter().filter(|c| *c != Class::Systemd || cfg.systemd_running()).collect()
}

/// OCF providers, sorted; with `agent`, only those that have it.
pub fn providers(cfg: &ExecutorConfig, agent: Option<&str>) -> Result<Vec<String>, AgentError> {
    let root = cfg.ocf_root.join("resource.d");
    Ok(entries(&root)?
        .into_iter()
        .filter(|p| root.join(p).is_dir())
        .filter(|p| agent.is_none_or(|a| is_executable(&root.join(p).join(a))))
        .collect())
}

/// Agents of `class` (for OCF, of `provider`, or of all providers as
/// `provider:type`), sorted.
pub fn agents(cfg: &ExecutorConfig, class: Class, provider: Option<&str>) -> Result<Vec<String>, AgentError> {
    let executables = |dir: &Path| -> Result<Vec<String>, AgentError> {
        Ok(entries(dir)?.into_iter().filter(|n| is_executable(&dir.join(n))).collect())
    };
    match crate::class::resolve_service(cfg, class) {
        Class::Ocf => match provider {
            Some(p) => executables(&cfg.ocf_root.join("resource.d").join(p)),
            None => {
                let mut out = Vec::new();
                for p in providers(cfg, None)? {
                    let dir = cfg.ocf_root.join("resource.d").join(&p);
                    out.extend(executables(&dir)?.into_iter().map(|a| format!("{p}:{a}")));
                }
                Ok(out)
            }
        },
        Class::Lsb | Class::Service => executables(&cfg.lsb_dir),
        Class::Stonith => {
            let mut out: Vec<String> = executables(&cfg.fence_dir)?
                .into_iter()
                .filter(|n| n.starts_with("fence_") && n != "fence_legacy")
                .collect();
            // Legacy plugins are usable only through fence_legacy.
            let external = cfg.stonith_plugin_dir.join("external");
            if cfg.fence_dir.join("fence_legacy").is_file() && external.is_dir() {
                out.extend(executables(&external)?.into_iter().map(|n| format!("external/{n}")));
            }
            out.sort();
            Ok(out)
        }
        Class::Systemd => systemd_units(cfg),
    }
}

fn systemd_units(cfg: &ExecutorConfig) -> Result<Vec<String>, AgentError> {
    if !cfg.systemd_running() {
        return Err(AgentError::Unsupported(crate::class::systemd::not_running_reason().into()));
    }
    let out = std::process::Command::new(crate::class::systemd::SYSTEMCTL)
        .args(["list-unit-files", "--type=service", "--no-legend", "--no-pager"])
        .output()
        .map_err(|source| AgentError::Io { path: crate::class::systemd::SYSTEMCTL.into(), source })?;
    let mut units: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter_map(|u| u.strip_suffix(".service"))
        .filter(|u| !u.ends_with('@'))
        .map(str::to_string)
        .collect();
    units.sort();
    Ok(units)
}

/// Names in `dir`, sorted, hidden files skipped. A missing directory is empty.
fn entries(dir: &Path) -> Result<Vec<String>, AgentError> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
        Err(source) => return Err(AgentError::Io { path: dir.to_path_buf(), source }),
    };
    let mut out: Vec<String> = rd
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| !n.starts_with('.'))
        .collect();
    out.sort();
    Ok(out)
}

fn is_executable(p: &Path) -> bool {
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
