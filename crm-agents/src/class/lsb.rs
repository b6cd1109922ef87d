//! LSB init scripts: `/etc/init.d/<name> start|stop|status|...`. `monitor` is
//! `status`, and status codes are translated (LSB's 1-3 mean "not running").

use crate::class::{not_installed, Prepared};
use crate::config::ExecutorConfig;
use crate::env::base_env;
use crate::process::Invocation;
use crate::request::OpRequest;
use crate::result::OcfRc;

pub fn prepare(cfg: &ExecutorConfig, req: &OpRequest) -> Prepared {
    let path = cfg.lsb_dir.join(&req.spec.agent);
    if !path.is_file() {
        return not_installed(format_args!("{} is not installed (no {})", req.spec, path.display()));
    }
    let action = if req.action == "monitor" { "status" } else { req.action.as_str() };
    Prepared::Run {
        inv: Invocation { program: path, args: vec![action.into()], env: base_env(cfg), stdin: None },
        map: map_exit,
    }
}

/// LSB status codes: 0 running; 1 dead with a pid file, 2 dead with a lock
/// file, 3 not running (all "not running" to the cluster); 4 unknown. Other
/// actions use the LSB codes 1-7, which match OCF's numbering.
pub fn map_exit(action: &str, code: i32) -> OcfRc {
    if action == "monitor" || action == "status" {
        return match code {
            0 => OcfRc::Success,
            1..=3 => OcfRc::NotRunning,
            _ => OcfRc::ErrGeneric,
        };
    }
    match code {
        0..=7 => OcfRc::from_code(code),
        _ => OcfRc::ErrGeneric,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes() {
        assert_eq!(map_exit("monitor", 0), OcfRc::Success);
        assert_eq!(map_exit("monitor", 3), OcfRc::NotRunning);
        assert_eq!(map_exit("status", 1), OcfRc::NotRunning);
        assert_eq!(map_exit("monitor", 4), OcfRc::ErrGeneric);
        assert_eq!(map_exit("start", 5), OcfRc::ErrInstalled);
        assert_eq!(map_exit("start", 150), OcfRc::ErrGeneric);
    }
}
