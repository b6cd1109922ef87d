//! Fence agents: `fence_*` with its options as `name=value` lines on standard
//! input (never on the command line, where `ps` would show passwords). Legacy
//! cluster-glue plugins (`external/ssh`, `external/azure`, ...) run through
//! Pacemaker's `fence_legacy` adapter, which receives `plugin=<name>`.

use std::path::PathBuf;

use crate::class::{not_installed, Prepared};
use crate::config::ExecutorConfig;
use crate::env::base_env;
use crate::process::Invocation;
use crate::request::OpRequest;
use crate::result::{ExecStatus, OcfRc, OpResult};

/// cluster-glue plugins are named `<kind>/<name>`.
pub fn is_legacy(agent: &str) -> bool {
    agent.contains('/')
}

/// The program to run for `agent`.
pub fn program(cfg: &ExecutorConfig, agent: &str) -> Result<PathBuf, String> {
    if is_legacy(agent) {
        let adapter = cfg.fence_dir.join("fence_legacy");
        let plugin = cfg.stonith_plugin_dir.join(agent);
        if !adapter.is_file() {
            return Err(format!(
                "stonith:{agent} is a legacy cluster-glue plugin, which needs Pacemaker's fence_legacy adapter (no {})",
                adapter.display()
            ));
        }
        if !plugin.is_file() {
            return Err(format!(
                "stonith:{agent} is a legacy cluster-glue plugin that is not installed (no {}; package cluster-glue)",
                plugin.display()
            ));
        }
        Ok(adapter)
    } else {
        let path = cfg.fence_dir.join(agent);
        if path.is_file() {
            Ok(path)
        } else {
            Err(format!("stonith:{agent} is not installed (no {})", path.display()))
        }
    }
}

/// The resource actions map onto fence actions: a fence device's start and
/// monitor check the device (`monitor`); stop only forgets it.
fn fence_action(action: &str) -> Option<&str> {
    match action {
        "start" | "monitor" => Some("monitor"),
        "stop" => None,
        "meta-data" => Some("metadata"),
        a => Some(a),
    }
}

/// `host_arg` names the option that carries the target node (`port`, `plug`,
/// or the device's `pcmk_host_argument`); `None` sends only `nodename`.
pub fn prepare(cfg: &ExecutorConfig, req: &OpRequest, host_arg: Option<&str>) -> Prepared {
    let Some(action) = fence_action(&req.action) else {
        let mut r = OpResult::not_run(OcfRc::Success, ExecStatus::Done, "");
        r.exit_reason = None;
        return Prepared::Done(r);
    };
    let program = match program(cfg, &req.spec.agent) {
        Ok(p) => p,
        Err(why) => return not_installed(why),
    };
    let mut stdin = String::new();
    let mut line = |k: &str, v: &str| -> Result<(), String> {
        // One option per line: a newline in a value would smuggle in another.
        if k.contains(['\n', '=']) || v.contains('\n') {
            return Err(format!("fence option {k:?} contains a newline or '=' in its name"));
        }
        stdin.push_str(&format!("{k}={v}\n"));
        Ok(())
    };
    let mut lines = vec![("action".to_string(), action.to_string())];
    if is_legacy(&req.spec.agent) {
        lines.push(("plugin".into(), req.spec.agent.clone()));
    }
    if let Some(t) = &req.target {
        lines.push(("nodename".into(), t.clone()));
        if let Some(arg) = host_arg.filter(|a| *a != "none" && !req.params.contains_key(*a)) {
            lines.push((arg.to_string(), t.clone()));
        }
    }
    // `pcmk_*` options are the fencer's (host lists, delays, retries), not the agent's.
    lines.extend(
        req.params.iter().filter(|(k, _)| !k.starts_with("pcmk_")).map(|(k, v)| (k.clone(), v.clone())),
    );
    for (k, v) in &lines {
        if let Err(why) = line(k, v) {
            return Prepared::Done(OpResult::not_run(OcfRc::ErrConfigured, ExecStatus::ErrorFatal, why));
        }
    }
    Prepared::Run {
        inv: Invocation { program, args: vec![], env: base_env(cfg), stdin: Some(stdin.into_bytes()) },
        map: map_exit,
    }
}

/// Fence agents exit 0 on success; `status` exits 2 when the target is off.
pub fn map_exit(action: &str, code: i32) -> OcfRc {
    match (action, code) {
        (_, 0) => OcfRc::Success,
        ("status", 2) => OcfRc::NotRunning,
        _ => OcfRc::ErrGeneric,
    }
}
