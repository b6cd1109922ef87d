//! ocf:linbit:drbd (drbd-utils) through crm-agents. Its meta-data is parsed;
//! validate-all runs for real. There is no DRBD kernel module on the CI
//! machines (a VM kernel without modules): the agent then reports "not
//! installed" with its reason, which is asserted. Where the module is loaded,
//! validating a resource that is not configured must fail instead.

#[path = "agents/support.rs"]
mod support;

use std::path::Path;

use crm_agents::{CloneMeta, ExecStatus, OcfRc, OpRequest};
use support::*;

#[test]
fn drbd_metadata_and_validate_all() {
    require("/usr/lib/ocf/resource.d/linbit/drbd", "drbd-utils");
    let ex = executor(None);
    let md = ex.metadata_blocking(&"ocf:linbit:drbd".parse().unwrap()).unwrap();
    assert_eq!(md.name, "drbd");
    let res = md.parameter("drbd_resource").expect("drbd_resource parameter");
    assert!(res.required && res.unique);
    assert!(md.actions.iter().any(|a| a.name == "promote"), "a promotable agent");
    assert!(md.actions.iter().any(|a| a.name == "monitor" && a.role.is_some()), "role-specific monitors");

    let req = OpRequest::new("drbd0", "ocf:linbit:drbd".parse().unwrap(), "validate-all")
        .param("drbd_resource", "crmtest-r0")
        .clone_meta(&CloneMeta {
            instance: 0,
            clone_max: 2,
            clone_node_max: 1,
            globally_unique: false,
            promoted_max: Some(1),
            promoted_node_max: Some(1),
            notify: true,
        })
        .timeout_ms(30_000);
    let r = ex.execute_blocking(&req);
    assert_eq!(r.status, ExecStatus::Done, "{r}");
    if !Path::new("/proc/drbd").exists() {
        eprintln!("no DRBD kernel module here (/proc/drbd absent): asserting the agent's own diagnosis");
        assert_eq!(r.rc, OcfRc::ErrInstalled, "{r}");
        assert!(r.exit_reason.as_deref().unwrap_or("").contains("DRBD kernel"), "{r}");
    } else {
        assert_ne!(r.rc, OcfRc::Success, "validating an unconfigured DRBD resource: {r}");
    }
}
