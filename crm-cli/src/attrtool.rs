//! The command behind `crm_attribute` and `crm_master`: decide the scope from
//! the options as Pacemaker does, apply it to the CIB (`CIB_file` or the
//! node's daemon, which gets the difference) and print the result.

use anyhow::Result;

use crate::cibio::CibSource;
use crate::nodeattr::{self, local_node_name, promotion_attr_name, require_node_id, Scope, Target};
use crate::toolerror::{ExitCode, ToolError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lifetime {
    Reboot,
    Forever,
}

/// The options, after argument parsing.
#[derive(Debug, Clone, Default)]
pub struct AttrArgs {
    pub name: Option<String>,
    /// `Some("")`: `--promotion` without a resource.
    pub promotion: Option<String>,
    pub update: Option<String>,
    pub query: bool,
    pub delete: bool,
    pub node: Option<String>,
    pub lifetime: Option<Lifetime>,
    pub section: Option<String>,
    pub set_name: Option<String>,
    pub id: Option<String>,
    pub default: Option<String>,
    pub quiet: bool,
}

/// Pacemaker's precedence: an explicit section, then the lifetime, then
/// `--promotion` (transient), then `-N` (permanent); otherwise a cluster option.
pub fn scope_of(a: &AttrArgs) -> Result<Scope, ToolError> {
    if let Some(s) = &a.section {
        return match s.as_str() {
            "crm_config" => Ok(Scope::CrmConfig),
            "rsc_defaults" => Ok(Scope::RscDefaults),
            "op_defaults" => Ok(Scope::OpDefaults),
            "nodes" | "forever" => Ok(Scope::Nodes),
            "status" | "reboot" => Ok(Scope::Status),
            other => Err(ToolError::usage(format!(
                "unsupported --type {other:?}: expected crm_config, rsc_defaults, op_defaults, nodes or status"
            ))),
        };
    }
    Ok(match (a.lifetime, &a.promotion, &a.node) {
        (Some(Lifetime::Reboot), _, _) => Scope::Status,
        (Some(Lifetime::Forever), _, _) => Scope::Nodes,
        (None, Some(_), _) => Scope::Status,
        (None, None, Some(_)) => Scope::Nodes,
        (None, None, None) => Scope::CrmConfig,
    })
}

fn attr_name(a: &AttrArgs) -> Result<String, ToolError> {
    match (&a.promotion, &a.name) {
        (Some(r), _) if !r.is_empty() => Ok(promotion_attr_name(r)),
        (Some(_), _) => match std::env::var("OCF_RESOURCE_INSTANCE").ok().filter(|r| !r.is_empty()) {
            Some(r) => Ok(promotion_attr_name(&r)),
            None => {
                Err(ToolError::usage("--promotion needs a resource: give one or set OCF_RESOURCE_INSTANCE"))
            }
        },
        (None, Some(n)) => Ok(n.clone()),
        (None, None) => Err(ToolError::usage("an attribute name is required (-n NAME)")),
    }
}

/// Holds an exclusive lock beside a CIB file while a tool reads, changes and
/// replaces it: agents of several resources call these tools at once, and
/// without the lock two updates would race and one would be lost. (The file
/// itself is replaced by rename, so the lock lives on a separate file.)
fn lock_beside(path: &std::path::Path) -> Result<nix::fcntl::Flock<std::fs::File>> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let lock_path = dir.join(format!(".{name}.lock"));
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| anyhow::anyhow!("opening {}: {e}", lock_path.display()))?;
    nix::fcntl::Flock::lock(f, nix::fcntl::FlockArg::LockExclusive)
        .map_err(|(_, e)| anyhow::anyhow!("locking {}: {e}", lock_path.display()))
}

/// How many times an online change is tried again after another tool changed
/// the configuration between our read and our write.
const CONFLICT_RETRIES: usize = 5;

pub fn run(a: &AttrArgs) -> Result<()> {
    let scope = scope_of(a)?;
    let name = attr_name(a)?;
    let source = CibSource::from_env();
    // Queries only read (the file is replaced atomically), so they need no lock;
    // the daemon applies changes one at a time itself.
    let _lock = match &source {
        CibSource::File(path) if a.update.is_some() || a.delete => Some(lock_beside(path)?),
        _ => None,
    };
    let mut tries = 0;
    loop {
        let old = source.read().map_err(|e| ToolError::new(ExitCode::NotConnected, format!("{e:#}")))?;
        let mut cib = old.clone();
        let outcome = apply(a, scope, &name, &mut cib)?;
        if outcome.changed {
            if let Err(e) = source.save(&old, &cib) {
                // Online, a configuration edit is refused when the epoch moved
                // since our read (agents and admins edit at once): do it again on
                // the new CIB, as Pacemaker's patch-based update would succeed.
                tries += 1;
                let moved = || source.read().is_ok_and(|now| now.version().1 != old.version().1);
                if source == CibSource::Daemon && tries <= CONFLICT_RETRIES && moved() {
                    continue;
                }
                return Err(e);
            }
        }
        for line in outcome.lines {
            println!("{line}");
        }
        return Ok(());
    }
}

/// What one command did to a CIB: whether it changed, and what to print.
struct Outcome {
    changed: bool,
    lines: Vec<String>,
}

/// Applies the update, delete or query to `cib`.
fn apply(a: &AttrArgs, scope: Scope, name: &str, cib: &mut cib_schema::Cib) -> Result<Outcome> {
    let node_id = if scope.is_node() {
        let uname = a.node.clone().unwrap_or_else(local_node_name);
        Some(require_node_id(cib, &uname)?)
    } else {
        None
    };
    let t = Target { scope, node_id, set_id: a.set_name.clone(), attr_id: a.id.clone() };
    let what = if scope.is_node() { "attribute" } else { "option" };
    if let Some(value) = &a.update {
        let changed = nodeattr::set(cib, &t, name, value)?;
        return Ok(Outcome { changed, lines: vec![] });
    }
    if a.delete {
        let deleted = nodeattr::delete(cib, &t, name)?;
        let lines = deleted
            .iter()
            .map(|id| format!("Deleted {} {what}: id={id} name={name}", scope.name()))
            .collect();
        return Ok(Outcome { changed: !deleted.is_empty(), lines });
    }
    let value = match (nodeattr::get(cib, &t, name), &a.default) {
        (Some(f), _) => f.value,
        (None, Some(d)) => d.clone(),
        (None, None) => {
            return Err(ToolError::no_such("Error performing operation: No such device or address").into())
        }
    };
    let line = if a.quiet { value } else { format!("scope={}  name={name} value={value}", scope.name()) };
    Ok(Outcome { changed: false, lines: vec![line] })
}
