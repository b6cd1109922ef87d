//! OCF 1.1: `$OCF_ROOT/resource.d/<provider>/<type> <action>` with everything
//! in the environment; exit codes are already OCF codes.

use crate::class::{not_installed, Prepared};
use crate::config::ExecutorConfig;
use crate::env::ocf_env;
use crate::process::Invocation;
use crate::request::OpRequest;
use crate::result::OcfRc;

pub fn agent_path(cfg: &ExecutorConfig, provider: &str, agent: &str) -> std::path::PathBuf {
    cfg.ocf_root.join("resource.d").join(provider).join(agent)
}

pub fn prepare(cfg: &ExecutorConfig, req: &OpRequest) -> Prepared {
    let path = agent_path(cfg, req.spec.provider.as_deref().unwrap_or(""), &req.spec.agent);
    if !path.is_file() {
        return not_installed(format_args!("{} is not installed (no {})", req.spec, path.display()));
    }
    Prepared::Run {
        inv: Invocation {
            program: path,
            args: vec![req.action.clone().into()],
            env: ocf_env(cfg, req),
            stdin: None,
        },
        map: |_, code| OcfRc::from_code(code),
    }
}
