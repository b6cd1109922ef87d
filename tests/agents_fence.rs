//! Fence agents through crm-agents: fence_dummy (fence-agents, needs no
//! hardware) answers metadata, monitor, status, on and off, each checked in
//! the status file it keeps; a legacy cluster-glue plugin (external/ssh) runs
//! through Pacemaker's fence_legacy adapter where that is installed.

#[path = "agents/support.rs"]
mod support;

use std::path::Path;

use crm_agents::{AgentSpec, ExecStatus, OcfRc, OpRequest};
use support::*;

fn fence_dummy(status_file: &Path, action: &str) -> OpRequest {
    OpRequest::new("fencer", "stonith:fence_dummy".parse().unwrap(), action)
        .param("type", "file")
        .param("status_file", status_file.display().to_string())
        .param("pcmk_host_list", "node1 node2")
        .timeout_ms(30_000)
}

#[test]
fn fence_dummy_metadata_monitor_status_on_off() {
    require("/usr/sbin/fence_dummy", "fence-agents");
    let dir = TempDir::new("fence");
    let status = dir.join("fence.status");
    let ex = executor(None);

    let md = ex.metadata_blocking(&"stonith:fence_dummy".parse().unwrap()).unwrap();
    assert_eq!(md.name, "fence_dummy");
    assert!(md.parameter("action").is_some_and(|p| p.required));
    assert_eq!(
        md.parameter("status_file").and_then(|p| p.default.as_deref()),
        Some("/tmp/fence_dummy.status")
    );
    assert!(md.actions.iter().any(|a| a.name == "monitor"));

    for action in ["start", "monitor"] {
        let r = ex.execute_blocking(&fence_dummy(&status, action));
        assert!(r.is_success(), "{action}: {r} {:?}", r.stderr);
        assert!(
            !r.stderr.text().contains("pcmk_host_list"),
            "pcmk_* options are the fencer's, not the agent's"
        );
    }
    let r = ex.execute_blocking(&fence_dummy(&status, "status").target("node1"));
    assert_eq!(r.rc, OcfRc::NotRunning, "status of a node that is off: {r} {:?}", r.stderr);

    let r = ex.execute_blocking(&fence_dummy(&status, "on").target("node1"));
    assert!(r.is_success(), "on: {r}");
    assert_eq!(std::fs::read_to_string(&status).unwrap().trim(), "on");
    let r = ex.execute_blocking(&fence_dummy(&status, "status").target("node1"));
    assert!(r.is_success(), "status after on: {r}");

    let r = ex.execute_blocking(&fence_dummy(&status, "off").target("node1"));
    assert!(r.is_success(), "off: {r}");
    assert_eq!(std::fs::read_to_string(&status).unwrap().trim(), "off");

    // fence_dummy implements no list: the agent says so and we report an error.
    let r = ex.execute_blocking(&fence_dummy(&status, "list"));
    assert_eq!((r.rc, r.status), (OcfRc::ErrGeneric, ExecStatus::Done), "{r}");
    assert!(r.stderr.text().contains("Unrecognised action 'list'"), "{:?}", r.stderr);

    // Stopping a fence device only forgets it; nothing runs.
    let r = ex.execute_blocking(&fence_dummy(&status, "stop"));
    assert!(r.is_success() && r.exec_time_ms == 0, "{r}");

    // A value with a newline would smuggle a second option onto stdin.
    let r = ex.execute_blocking(&fence_dummy(&status, "off").param("type", "file\naction=on"));
    assert_eq!(r.rc, OcfRc::ErrConfigured, "{r}");
}

#[test]
fn legacy_cluster_glue_plugin_runs_through_fence_legacy() {
    require("/usr/lib/stonith/plugins/external/ssh", "cluster-glue");
    let ex = executor(None);
    let spec: AgentSpec = "stonith:external/ssh".parse().unwrap();
    let op = |action: &str| {
        OpRequest::new("st-ssh", spec.clone(), action).param("hostlist", "node1 node2").timeout_ms(30_000)
    };
    if Path::new("/usr/sbin/fence_legacy").exists() {
        let md = ex.metadata_blocking(&spec).unwrap();
        assert_eq!(md.name, "external/ssh");
        assert!(md.parameter("hostlist").is_some_and(|p| p.required), "plugin meta-data from `stonith -m`");
        let r = ex.execute_blocking(&op("list"));
        assert!(r.is_success(), "list: {r} {:?}", r.stderr);
        let hosts: Vec<String> = r.stdout.text().split_whitespace().map(str::to_string).collect();
        assert_eq!(hosts, ["node1", "node2"], "the plugin lists its hostlist");
        let r = ex.execute_blocking(&op("monitor"));
        assert!(r.is_success(), "monitor: {r} {:?}", r.stdout);
    } else {
        // fence_legacy ships in Debian's `pacemaker` package, whose daemons this
        // project replaces; without it legacy plugins cannot run, and say why.
        eprintln!("fence_legacy is not installed: checking the error legacy plugins get");
        let r = ex.execute_blocking(&op("list"));
        assert_eq!(r.status, ExecStatus::NotInstalled, "{r}");
        assert!(r.exit_reason.unwrap().contains("fence_legacy"));
        assert!(ex.metadata_blocking(&spec).is_err());
    }
}
