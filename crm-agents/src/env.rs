//! The environment an agent runs in. Parameters travel only here (OCF) or on
//! standard input (fence agents), never through a shell command line.

use std::collections::BTreeMap;
use std::ffi::OsString;

use crate::config::ExecutorConfig;
use crate::request::OpRequest;

pub type Env = BTreeMap<OsString, OsString>;

/// OCF version we implement.
pub const OCF_RA_VERSION_MAJOR: &str = "1";
pub const OCF_RA_VERSION_MINOR: &str = "1";

const DEFAULT_PATH: &str = "/usr/sbin:/usr/bin:/sbin:/bin";

/// The executor's own environment without anything that could describe
/// another resource (`OCF_*`, `HA_SBIN_DIR`), with our tools first on `PATH`.
pub fn base_env(cfg: &ExecutorConfig) -> Env {
    let mut env: Env = std::env::vars_os()
        .filter(|(k, _)| {
            let k = k.to_string_lossy();
            !(k.starts_with("OCF_") || k == "HA_SBIN_DIR")
        })
        .collect();
    let path = env.remove(&OsString::from("PATH")).unwrap_or_else(|| DEFAULT_PATH.into());
    let path = match &cfg.sbin_dir {
        Some(dir) => {
            let mut p = dir.clone().into_os_string();
            p.push(":");
            p.push(path);
            env.insert("HA_SBIN_DIR".into(), dir.clone().into_os_string());
            p
        }
        None => path,
    };
    env.insert("PATH".into(), path);
    for (k, v) in &cfg.extra_env {
        env.insert(k.into(), v.into());
    }
    env
}

/// Pacemaker writes meta names with `_` for `-` (`clone-node-max` ->
/// `CRM_meta_clone_node_max`).
fn meta_key(name: &str) -> String {
    format!("OCF_RESKEY_CRM_meta_{}", name.replace('-', "_"))
}

/// The full OCF 1.1 environment for `req`.
pub fn ocf_env(cfg: &ExecutorConfig, req: &OpRequest) -> Env {
    let mut env = base_env(cfg);
    let mut set = |k: String, v: &str| {
        env.insert(k.into(), v.into());
    };
    set("OCF_ROOT".into(), &cfg.ocf_root.to_string_lossy());
    set("OCF_RA_VERSION_MAJOR".into(), OCF_RA_VERSION_MAJOR);
    set("OCF_RA_VERSION_MINOR".into(), OCF_RA_VERSION_MINOR);
    set("OCF_RESOURCE_INSTANCE".into(), &req.rsc_id);
    set("OCF_RESOURCE_TYPE".into(), &req.spec.agent);
    set("OCF_RESOURCE_PROVIDER".into(), req.spec.provider.as_deref().unwrap_or(""));
    for (k, v) in &req.params {
        set(format!("OCF_RESKEY_{k}"), v);
    }
    for (k, v) in &req.meta {
        set(meta_key(k), v);
    }
    // The executor's own view wins over a stray meta attribute of the same name.
    set(meta_key("interval"), &req.interval_ms.to_string());
    set(meta_key("timeout"), &cfg.timeout(req.timeout_ms).as_millis().to_string());
    let level = req.check_level.map(|l| l.to_string()).or_else(|| req.params.get("OCF_CHECK_LEVEL").cloned());
    if let Some(l) = level {
        set("OCF_CHECK_LEVEL".into(), &l);
    }
    if let Some(n) = &req.notify {
        for (k, v) in n.meta_pairs() {
            set(meta_key(&k), &v);
        }
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{Notify, NotifyEntry, NotifyType};

    fn get<'a>(env: &'a Env, k: &str) -> Option<&'a str> {
        env.get(&OsString::from(k)).and_then(|v| v.to_str())
    }

    #[test]
    fn ocf_variables() {
        let cfg = ExecutorConfig { sbin_dir: Some("/opt/crm/bin".into()), ..Default::default() };
        let req = OpRequest::new("db", "ocf:heartbeat:mysql".parse().unwrap(), "monitor")
            .interval_ms(10_000)
            .timeout_ms(30_000)
            .param("datadir", "/var/lib/mysql; rm -rf /")
            .meta("clone-max", "2")
            .check_level(10)
            .notify({
                let mut n = Notify::new(NotifyType::Pre, "promote");
                n.promote.push(NotifyEntry::new("db:0", "node1"));
                n
            });
        let env = ocf_env(&cfg, &req);
        assert_eq!(get(&env, "OCF_RESOURCE_INSTANCE"), Some("db"));
        assert_eq!(get(&env, "OCF_RESOURCE_PROVIDER"), Some("heartbeat"));
        assert_eq!(get(&env, "OCF_RESKEY_datadir"), Some("/var/lib/mysql; rm -rf /"));
        assert_eq!(get(&env, "OCF_RESKEY_CRM_meta_clone_max"), Some("2"));
        assert_eq!(get(&env, "OCF_RESKEY_CRM_meta_interval"), Some("10000"));
        assert_eq!(get(&env, "OCF_RESKEY_CRM_meta_timeout"), Some("30000"));
        assert_eq!(get(&env, "OCF_CHECK_LEVEL"), Some("10"));
        assert_eq!(get(&env, "OCF_RESKEY_CRM_meta_notify_promote_uname"), Some("node1"));
        assert_eq!(get(&env, "OCF_RESKEY_CRM_meta_notify_master_resource"), Some(" "));
        assert_eq!(get(&env, "HA_SBIN_DIR"), Some("/opt/crm/bin"));
        assert!(get(&env, "PATH").unwrap().starts_with("/opt/crm/bin:"));
    }
}
