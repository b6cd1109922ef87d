//! One module per agent class: how to call its agents and how to read their
//! exit codes. The executor asks a class to [`prepare`] an invocation, runs it,
//! and hands the exit code back to the class's [`Prepared::Run::map`].

pub mod lsb;
pub mod ocf;
pub mod stonith;
pub mod systemd;

use crate::config::ExecutorConfig;
use crate::process::Invocation;
use crate::request::OpRequest;
use crate::result::{ExecStatus, OcfRc, OpResult};
use crate::spec::Class;

/// Translates an agent's exit code for `action` into an OCF code.
pub type ExitMap = fn(action: &str, code: i32) -> OcfRc;

pub enum Prepared {
    /// Run this, then translate the exit code with `map`.
    Run { inv: Invocation, map: ExitMap },
    /// Answered without running anything (unsupported, not installed, ...).
    Done(OpResult),
}

/// `service:` means LSB unless systemd runs here (Pacemaker's rule).
pub fn resolve_service(cfg: &ExecutorConfig, class: Class) -> Class {
    match class {
        Class::Service if cfg.systemd_running() => Class::Systemd,
        Class::Service => Class::Lsb,
        c => c,
    }
}

/// `host_arg`: for fencing actions with a target, the option that names it.
pub fn prepare(cfg: &ExecutorConfig, req: &OpRequest, host_arg: Option<&str>) -> Prepared {
    match resolve_service(cfg, req.spec.class) {
        Class::Ocf => ocf::prepare(cfg, req),
        Class::Lsb | Class::Service => lsb::prepare(cfg, req),
        Class::Systemd => systemd::prepare(cfg, req),
        Class::Stonith => stonith::prepare(cfg, req, host_arg),
    }
}

pub(crate) fn not_installed(what: impl std::fmt::Display) -> Prepared {
    Prepared::Done(OpResult::not_run(OcfRc::ErrInstalled, ExecStatus::NotInstalled, what.to_string()))
}
