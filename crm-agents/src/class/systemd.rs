//! systemd units through `systemctl` (which waits for the start or stop job to
//! finish). Where systemd is not the running init — containers, this project's
//! CI — every action says so instead of failing obscurely.

use crate::class::Prepared;
use crate::config::ExecutorConfig;
use crate::env::base_env;
use crate::process::Invocation;
use crate::request::OpRequest;
use crate::result::{ExecStatus, OcfRc, OpResult};

pub const SYSTEMCTL: &str = "/usr/bin/systemctl";

pub fn not_running_reason() -> &'static str {
    "systemd is not running on this host (no /run/systemd/system): systemd: resources cannot be managed here"
}

/// `httpd` means `httpd.service`; an explicit suffix is kept.
pub fn unit_name(agent: &str) -> String {
    if agent.contains('.') {
        agent.to_string()
    } else {
        format!("{agent}.service")
    }
}

pub fn prepare(cfg: &ExecutorConfig, req: &OpRequest) -> Prepared {
    if !cfg.systemd_running() {
        return Prepared::Done(OpResult::not_run(
            OcfRc::ErrGeneric,
            ExecStatus::NotConnected,
            not_running_reason(),
        ));
    }
    let unit = unit_name(&req.spec.agent);
    let args: Vec<&str> = match req.action.as_str() {
        "start" | "stop" | "reload" | "restart" => vec![req.action.as_str(), "--", &unit],
        "monitor" | "status" => vec!["is-active", "--quiet", "--", &unit],
        other => {
            return Prepared::Done(OpResult::not_run(
                OcfRc::ErrUnimplemented,
                ExecStatus::NotSupported,
                format!("systemd units have no {other:?} action"),
            ))
        }
    };
    Prepared::Run {
        inv: Invocation {
            program: SYSTEMCTL.into(),
            args: args.into_iter().map(Into::into).collect(),
            env: base_env(cfg),
            stdin: None,
        },
        map: map_exit,
    }
}

/// `systemctl is-active` exits 3 for an inactive (or unknown) unit.
pub fn map_exit(action: &str, code: i32) -> OcfRc {
    match (action, code) {
        (_, 0) => OcfRc::Success,
        ("monitor" | "status", _) => OcfRc::NotRunning,
        _ => OcfRc::ErrGeneric,
    }
}
