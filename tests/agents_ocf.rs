//! Real OCF agents through crm-agents, each action checked by its effect:
//! Dummy's state file, Stateful's state and promotion score (written into a
//! CIB file by our crm_attribute), the OCF environment as an agent sees it,
//! LSB scripts, systemd's absence, listing and meta-data.

#[path = "agents/support.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::Path;

use crm_agents::{
    AgentSpec, Class, CloneMeta, ExecStatus, Executor, ExecutorConfig, Notify, NotifyEntry, NotifyType,
    OcfRc, OpRequest,
};
use support::*;

fn dummy(state: &Path, action: &str) -> OpRequest {
    OpRequest::new("dummy1", "ocf:heartbeat:Dummy".parse().unwrap(), action)
        .param("state", state.display().to_string())
        .timeout_ms(20_000)
}

#[test]
fn dummy_start_monitor_notify_stop() {
    let dir = TempDir::new("dummy");
    let state = dir.join("dummy.state");
    let ex = executor(None);

    let r = ex.execute_blocking(&dummy(&state, "monitor"));
    assert_eq!((r.rc, r.status), (OcfRc::NotRunning, ExecStatus::Done), "probe before start: {r}");

    let r = ex.execute_blocking(&dummy(&state, "start"));
    assert!(r.is_success(), "start: {r} {:?}", r.stderr);
    assert!(state.exists(), "Dummy start creates its state file");

    let r = ex.execute_blocking(&dummy(&state, "monitor").interval_ms(10_000));
    assert!(r.is_success(), "recurring monitor: {r}");
    // Dummy is not a promotable or notify-aware agent: it answers
    // "unimplemented" (a hard error), and nothing changes.
    for action in ["notify", "promote", "demote"] {
        let r = ex.execute_blocking(&dummy(&state, action).notify(Notify::new(NotifyType::Post, "start")));
        assert_eq!((r.rc, r.status), (OcfRc::ErrUnimplemented, ExecStatus::Done), "{action}: {r}");
        assert_eq!(r.rc.severity(), crm_agents::Severity::Hard);
        assert!(state.exists(), "{action} left the resource running");
    }
    let r = ex.execute_blocking(&dummy(&state, "monitor"));
    assert!(r.is_success(), "still running: {r}");

    let r = ex.execute_blocking(&dummy(&state, "stop"));
    assert!(r.is_success(), "stop: {r}");
    assert!(!state.exists(), "Dummy stop removes its state file");
    let r = ex.execute_blocking(&dummy(&state, "monitor"));
    assert_eq!(r.rc, OcfRc::NotRunning, "monitor after stop: {r}");
}

fn stateful(dir: &TempDir, action: &str) -> OpRequest {
    OpRequest::new("st", "ocf:pacemaker:Stateful".parse().unwrap(), action)
        .param("state", dir.join("st.state").display().to_string())
        .param("envfile", dir.join("st.env").display().to_string())
        .meta("on_node", "node1")
        .clone_meta(&CloneMeta {
            instance: 0,
            clone_max: 2,
            clone_node_max: 1,
            globally_unique: false,
            promoted_max: Some(1),
            promoted_node_max: Some(1),
            notify: true,
        })
        .timeout_ms(20_000)
}

/// The transient attribute `name` of node 1, read back from the CIB file.
fn transient_attr(cib_file: &Path, name: &str) -> Option<String> {
    let cib =
        cib_schema::parse(&std::fs::read_to_string(cib_file).unwrap()).expect("our tools write a valid CIB");
    let ns = cib.status.as_ref()?.nodes.iter().find(|n| n.id.as_deref() == Some("1"))?;
    ns.transient.as_ref()?.sets.iter().rev().find_map(|s| s.get(name).map(str::to_string))
}

/// Pacemaker's own crm_attribute reads what ours wrote.
fn pacemaker_reads(cib_file: &Path, name: &str) -> String {
    let out = std::process::Command::new("/usr/sbin/crm_attribute")
        .args(["-N", "node1", "-l", "reboot", "-n", name, "-G", "-q"])
        .env("CIB_file", cib_file)
        .output()
        .expect("running /usr/sbin/crm_attribute (package pacemaker-cli-utils)");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn stateful_promotion_score_lands_in_the_cib() {
    require("/usr/sbin/crm_attribute", "pacemaker-cli-utils");
    let dir = TempDir::new("stateful");
    let cib = two_node_cib(&dir);
    let ex = executor(Some(&cib));
    let state = dir.join("st.state");

    let r = ex.execute_blocking(&stateful(&dir, "start"));
    assert!(r.is_success(), "start: {r} {:?}", r.stderr);
    assert_eq!(std::fs::read_to_string(&state).unwrap().trim(), "Unpromoted");
    assert_eq!(
        transient_attr(&cib, "master-st").as_deref(),
        Some("5"),
        "unpromoted score via our crm_attribute"
    );
    assert_eq!(pacemaker_reads(&cib, "master-st"), "5", "Pacemaker's crm_attribute reads our CIB");

    let r = ex.execute_blocking(&stateful(&dir, "monitor").interval_ms(11_000));
    assert_eq!(r.rc, OcfRc::Success, "unpromoted monitor: {r}");

    let r = ex.execute_blocking(&stateful(&dir, "promote"));
    assert!(r.is_success(), "promote: {r}");
    assert_eq!(std::fs::read_to_string(&state).unwrap().trim(), "Promoted");
    assert_eq!(transient_attr(&cib, "master-st").as_deref(), Some("10"), "promoted score");
    let r = ex.execute_blocking(&stateful(&dir, "monitor").interval_ms(10_000));
    assert_eq!((r.rc, r.status), (OcfRc::RunningPromoted, ExecStatus::Done), "promoted monitor: {r}");

    let mut n = Notify::new(NotifyType::Pre, "demote");
    n.demote.push(NotifyEntry::new("st:0", "node1"));
    n.active = vec![NotifyEntry::new("st:0", "node1"), NotifyEntry::new("st:1", "node2")];
    n.promoted.push(NotifyEntry::new("st:0", "node1"));
    n.unpromoted.push(NotifyEntry::new("st:1", "node2"));
    n.all_unames = vec!["node1".into(), "node2".into()];
    n.available_unames = n.all_unames.clone();
    let r = ex.execute_blocking(&stateful(&dir, "notify").notify(n));
    assert!(r.is_success(), "notify: {r}");
    let env = std::fs::read_to_string(dir.join("st.env")).unwrap();
    let last = env.rsplit("### notify").next().unwrap();
    for line in [
        "OCF_RESKEY_CRM_meta_notify_type=pre",
        "OCF_RESKEY_CRM_meta_notify_operation=demote",
        "OCF_RESKEY_CRM_meta_notify_demote_resource=st:0",
        "OCF_RESKEY_CRM_meta_notify_demote_uname=node1",
        "OCF_RESKEY_CRM_meta_notify_active_uname=node1 node2",
        "OCF_RESKEY_CRM_meta_notify_promoted_uname=node1",
        "OCF_RESKEY_CRM_meta_notify_master_uname=node1",
        "OCF_RESKEY_CRM_meta_notify_unpromoted_resource=st:1",
        "OCF_RESKEY_CRM_meta_notify_slave_resource=st:1",
        "OCF_RESKEY_CRM_meta_notify_start_resource= ",
        "OCF_RESKEY_CRM_meta_promoted_max=1",
        "OCF_RESKEY_CRM_meta_clone_max=2",
        "OCF_RESKEY_CRM_meta_notify=true",
    ] {
        assert!(last.lines().any(|l| l == line), "Stateful saw no {line:?} in its environment:\n{last}");
    }

    let r = ex.execute_blocking(&stateful(&dir, "demote"));
    assert!(r.is_success(), "demote: {r}");
    assert_eq!(std::fs::read_to_string(&state).unwrap().trim(), "Unpromoted");
    assert_eq!(transient_attr(&cib, "master-st").as_deref(), Some("5"), "score after demote");

    let r = ex.execute_blocking(&stateful(&dir, "stop"));
    assert!(r.is_success(), "stop: {r}");
    assert!(!state.exists());
    assert_eq!(transient_attr(&cib, "master-st"), None, "stop deletes the promotion score");
    let r = ex.execute_blocking(&stateful(&dir, "monitor"));
    assert_eq!(r.rc, OcfRc::NotRunning, "monitor after stop: {r}");
}

fn test_ocf_root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("agents/ocf")
}

fn test_executor(tweak: impl FnOnce(&mut ExecutorConfig)) -> Executor {
    let mut cfg =
        ExecutorConfig { ocf_root: test_ocf_root(), sbin_dir: Some(bin_dir()), ..Default::default() };
    tweak(&mut cfg);
    Executor::new(cfg)
}

fn env_of(file: &Path) -> BTreeMap<String, String> {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
        .collect()
}

#[test]
fn agents_see_the_ocf_environment_and_parameters_are_never_a_shell_line() {
    let dir = TempDir::new("env");
    let out = dir.join("env.txt");
    let pwned = dir.join("pwned");
    let ex = test_executor(|c| {
        c.extra_env.insert("CIB_file".into(), "/nonexistent/cib.xml".into());
    });
    let evil =
        format!("x; touch {} $(touch {}) `touch {}`", pwned.display(), pwned.display(), pwned.display());
    let req = OpRequest::new("web:1", "ocf:crmtest:envdump".parse().unwrap(), "monitor")
        .param("out", out.display().to_string())
        .param("evil", evil.clone())
        .param("rc", "7")
        .meta("clone-node-max", "1")
        .interval_ms(10_000)
        .timeout_ms(5_000)
        .check_level(10);
    let r = ex.execute_blocking(&req);
    assert_eq!((r.rc, r.status), (OcfRc::NotRunning, ExecStatus::Done), "{r}");
    assert_eq!(r.exit_reason.as_deref(), Some("dumped for monitor"), "ocf-exit-reason is read from stderr");
    assert!(!pwned.exists(), "a parameter value was interpreted by a shell");
    let env = env_of(&out);
    let expect = [
        ("OCF_ROOT", test_ocf_root().display().to_string()),
        ("OCF_RA_VERSION_MAJOR", "1".into()),
        ("OCF_RA_VERSION_MINOR", "1".into()),
        ("OCF_RESOURCE_INSTANCE", "web:1".into()),
        ("OCF_RESOURCE_TYPE", "envdump".into()),
        ("OCF_RESOURCE_PROVIDER", "crmtest".into()),
        ("OCF_RESKEY_evil", evil),
        ("OCF_RESKEY_CRM_meta_interval", "10000".into()),
        ("OCF_RESKEY_CRM_meta_timeout", "5000".into()),
        ("OCF_RESKEY_CRM_meta_clone_node_max", "1".into()),
        ("OCF_CHECK_LEVEL", "10".into()),
        ("HA_SBIN_DIR", bin_dir().display().to_string()),
        ("CIB_file", "/nonexistent/cib.xml".into()),
        ("action", "monitor".into()),
    ];
    for (k, v) in expect {
        assert_eq!(env.get(k), Some(&v), "{k} in the agent's environment");
    }
    assert!(
        env["PATH"].starts_with(&format!("{}:", bin_dir().display())),
        "our tools first on PATH: {}",
        env["PATH"]
    );
}

fn marker() -> String {
    // A number, so `sleep 1000 <marker>` stays valid; unique per run.
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("0.000{}{}", std::process::id(), nanos)
}

#[test]
fn hanging_agent_is_killed_with_its_whole_process_group() {
    let ex = test_executor(|c| c.kill_grace_ms = 500);
    for ignore_term in ["0", "1"] {
        let m = marker();
        let req = OpRequest::new("hang", "ocf:crmtest:hang".parse().unwrap(), "start")
            .param("marker", m.clone())
            .param("ignore_term", ignore_term)
            .timeout_ms(700);
        let started = std::time::Instant::now();
        let r = ex.execute_blocking(&req);
        let took = started.elapsed().as_millis() as u64;
        assert_eq!(r.status, ExecStatus::Timeout, "{r}");
        assert_eq!(r.rc, OcfRc::ErrGeneric);
        assert!(r.exit_reason.as_deref().unwrap_or("").contains("timed out"), "{r}");
        assert!(took >= 700, "returned before the timeout: {took}ms");
        // SIGTERM, then SIGKILL after the 500ms grace (plus scheduling slack).
        assert!(took < 700 + 500 + 1_000, "took {took}ms with a 700ms timeout and 500ms grace");
        assert!(
            wait_for(2_000, || live_processes_matching(&m).is_empty()),
            "left behind (ignore_term={ignore_term}): {:?}",
            live_processes_matching(&m)
        );
    }
}

#[test]
fn chatty_agent_output_is_bounded_and_drained() {
    let ex = test_executor(|c| c.output_limit_bytes = 64 * 1024);
    let req = OpRequest::new("chatty", "ocf:crmtest:chatty".parse().unwrap(), "start")
        .param("mib", "64")
        .timeout_ms(60_000);
    let r = ex.execute_blocking(&req);
    assert!(r.is_success(), "an agent writing 64 MiB to each stream still completes: {r}");
    for (name, c, ch) in [("stdout", &r.stdout, b'o'), ("stderr", &r.stderr, b'e')] {
        assert_eq!(c.bytes.len(), 64 * 1024, "{name} kept");
        assert_eq!(c.total_bytes, 64 * 1024 * 1024, "{name} counted");
        assert!(c.truncated());
        assert!(c.bytes.iter().all(|b| *b == ch));
    }
}

#[test]
fn a_child_holding_the_pipes_does_not_hold_the_result() {
    let ex = test_executor(|_| {});
    let m = marker();
    let req = OpRequest::new("d", "ocf:crmtest:detach".parse().unwrap(), "start").param("marker", m.clone());
    let started = std::time::Instant::now();
    let r = ex.execute_blocking(&req);
    let took = started.elapsed().as_millis();
    assert!(r.is_success(), "{r}");
    assert_eq!(r.stdout.text(), "started\n");
    assert!(took < 2_000, "waited {took}ms for a pipe a detached child holds");
    // A successful start's children are the service: they must survive.
    let left = live_processes_matching(&m);
    assert!(!left.is_empty(), "the agent's detached child was killed after success");
    for (pid, _) in left {
        sh_quiet(&["kill", &pid.to_string()]);
    }
}

#[test]
fn operations_queue_for_a_slot() {
    let dir = TempDir::new("queue");
    let ex = test_executor(|c| c.max_concurrent = 1);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let results = rt.block_on(async {
        let mut tasks = Vec::new();
        for i in 0..4 {
            let ex = ex.clone();
            let out = dir.join(&format!("env{i}"));
            tasks.push(tokio::spawn(async move {
                let req = OpRequest::new(format!("q{i}"), "ocf:crmtest:envdump".parse().unwrap(), "start")
                    .param("out", out.display().to_string());
                ex.execute(&req).await
            }));
        }
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    });
    assert!(results.iter().all(|r| r.is_success()));
    assert!(
        results.iter().any(|r| r.queue_time_ms > 0),
        "with one slot, some of 4 operations waited: {results:?}"
    );
}

#[test]
fn lsb_scripts_and_their_status_codes() {
    let dir = TempDir::new("lsb");
    let flag = dir.join("running");
    let script = format!(
        "#!/bin/sh\n### BEGIN INIT INFO\n# Provides: crmtest\n# Short-Description: crm-agents test service\n### END INIT INFO\ncase \"$1\" in\n start) touch {f} ;;\n stop) rm -f {f} ;;\n status) [ -e {f} ] && exit 0 || exit 3 ;;\n *) exit 3 ;;\nesac\n",
        f = flag.display()
    );
    std::fs::create_dir_all(dir.join("init.d")).unwrap();
    let path = dir.join("init.d/crmtest");
    std::fs::write(&path, script).unwrap();
    sh(&["chmod", "755", &path.display().to_string()]);
    let ex = test_executor(|c| c.lsb_dir = dir.join("init.d"));
    let spec: AgentSpec = "lsb:crmtest".parse().unwrap();
    let op = |a: &str| ex.execute_blocking(&OpRequest::new("svc", spec.clone(), a));
    assert_eq!(op("monitor").rc, OcfRc::NotRunning, "LSB status 3 is not running");
    assert!(op("start").is_success() && flag.exists());
    assert_eq!(op("monitor").rc, OcfRc::Success);
    assert!(op("stop").is_success() && !flag.exists());
    assert_eq!(op("bogus").rc, OcfRc::ErrUnimplemented, "LSB 3 for other actions is unimplemented");
    let md = ex.metadata_blocking(&spec).unwrap();
    assert_eq!(md.shortdesc.as_deref(), Some("crm-agents test service"));
}

#[test]
fn systemd_says_clearly_when_it_is_not_running() {
    let ex = executor(None);
    let r = ex.execute_blocking(&OpRequest::new(
        "web",
        "systemd:crmtest-nonexistent".parse().unwrap(),
        "monitor",
    ));
    if ex.config().systemd_running() {
        // Where systemd runs, an unknown unit is simply not running.
        assert_eq!((r.rc, r.status), (OcfRc::NotRunning, ExecStatus::Done), "{r}");
    } else {
        // This project's CI (a container/VM without systemd as init).
        assert_eq!(r.status, ExecStatus::NotConnected, "{r}");
        assert!(r.exit_reason.as_deref().unwrap_or("").contains("systemd is not running"), "{r}");
        assert!(!crm_agents::list::classes(ex.config()).contains(&Class::Systemd));
        assert!(crm_agents::list::agents(ex.config(), Class::Systemd, None).is_err());
    }
}

#[test]
fn missing_agents_are_not_installed() {
    let ex = executor(None);
    let r = ex.execute_blocking(&OpRequest::new("x", "ocf:heartbeat:NoSuchAgent".parse().unwrap(), "start"));
    assert_eq!((r.rc, r.status), (OcfRc::ErrInstalled, ExecStatus::NotInstalled), "{r}");
    let r = ex.execute_blocking(&OpRequest::new("x", "lsb:no-such-script".parse().unwrap(), "start"));
    assert_eq!(r.status, ExecStatus::NotInstalled, "{r}");
}

#[test]
fn metadata_of_real_agents_is_parsed_and_cached() {
    let ex = executor(None);
    let dummy: AgentSpec = "ocf:heartbeat:Dummy".parse().unwrap();
    let md = ex.metadata_blocking(&dummy).unwrap();
    assert_eq!(md.name, "Dummy");
    let state = md.parameter("state").expect("Dummy has a state parameter");
    assert!(state.unique);
    assert!(!state.required);
    assert!(state.default.as_deref().unwrap_or("").ends_with(".state"));
    assert_eq!(md.action("start").and_then(|a| a.timeout_ms), Some(20_000));
    assert!(md.action("monitor").and_then(|a| a.interval_ms).is_some());
    let again = ex.metadata_blocking(&dummy).unwrap();
    assert!(std::sync::Arc::ptr_eq(&md, &again), "second lookup comes from the cache");

    let ip = ex.metadata_blocking(&"ocf:heartbeat:IPaddr2".parse().unwrap()).unwrap();
    let p = ip.parameter("ip").unwrap();
    assert!(p.required && p.unique, "IPaddr2 ip is required and unique");
    let st = ex.metadata_blocking(&"ocf:pacemaker:Stateful".parse().unwrap()).unwrap();
    assert!(
        st.actions.iter().any(|a| a.name == "monitor" && a.role.as_deref().is_some()),
        "role-specific monitors"
    );
    assert!(ex.metadata_blocking(&"ocf:heartbeat:NoSuchAgent".parse().unwrap()).is_err());
}

#[test]
fn listing_classes_providers_agents() {
    let ex = executor(None);
    let cfg = ex.config();
    let classes = crm_agents::list::classes(cfg);
    for c in [Class::Ocf, Class::Lsb, Class::Service, Class::Stonith] {
        assert!(classes.contains(&c), "{c} listed");
    }
    let providers = crm_agents::list::providers(cfg, None).unwrap();
    assert!(
        providers.contains(&"heartbeat".to_string()) && providers.contains(&"pacemaker".to_string()),
        "{providers:?}"
    );
    assert_eq!(crm_agents::list::providers(cfg, Some("Stateful")).unwrap(), vec!["heartbeat", "pacemaker"]);
    let hb = crm_agents::list::agents(cfg, Class::Ocf, Some("heartbeat")).unwrap();
    for a in ["Dummy", "IPaddr2", "Filesystem", "mysql", "galera"] {
        assert!(hb.contains(&a.to_string()), "ocf:heartbeat:{a} listed");
    }
    let all = crm_agents::list::agents(cfg, Class::Ocf, None).unwrap();
    assert!(all.contains(&"pacemaker:Stateful".to_string()));
    let fence = crm_agents::list::agents(cfg, Class::Stonith, None).unwrap();
    assert!(fence.contains(&"fence_dummy".to_string()), "fence agents listed");
    assert!(fence.contains(&"external/ssh".to_string()), "legacy plugins listed through fence_legacy");
}
