//! The tools without `CIB_file`: they talk to the node's daemon. Checked
//! against no daemon at all (a clear error, no panic) and against a tiny fake
//! daemon speaking `crm_cli::ipc`'s protocol that records the changes it is
//! sent. Also `crm_resource --wait` on CIB files.

#[path = "agents/support.rs"]
mod support;

use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex, OnceLock};

use crm_cli::ipc::{frame, read_frame, ClientRequest, DaemonReply};
use crm_core::node::CibChange;
use support::TempDir;

/// Our tools, built once per test run so that they are never stale.
fn bin(tool: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let _ = support::bin_dir();
        let profile = support::bin_dir().file_name().and_then(|n| n.to_str()).unwrap_or("debug").to_string();
        let profile = if profile == "debug" { "dev".to_string() } else { profile };
        let status = Command::new(env!("CARGO"))
            .args(["build", "-q", "-p", "crm-cli", "--bins", "--profile", &profile])
            .status()
            .expect("running cargo build");
        assert!(status.success(), "building crm-cli's tools failed");
    });
    support::bin_dir().join(tool)
}

fn run(tool: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(bin(tool))
        .args(args)
        .env_remove("CIB_file")
        .env_remove("CIB_shadow")
        .env_remove("OCF_RESOURCE_INSTANCE")
        .env_remove("OCF_RESKEY_CRM_meta_on_node")
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("running {tool}: {e}"))
}

#[test]
fn without_a_daemon_every_tool_says_how_to_work_offline() {
    let dir = TempDir::new("online-none");
    let sock = dir.join("missing.sock");
    let sock = sock.to_str().unwrap();
    let file = dir.join("load.crm");
    std::fs::write(&file, "primitive d ocf:pacemaker:Dummy\n").unwrap();
    let file = file.to_str().unwrap();
    let cases: &[(&str, &[&str])] = &[
        ("crm_mon", &["-1"]),
        ("crm_mon", &["-1", "--output-as=xml"]),
        ("cibadmin", &["-Q"]),
        ("crm_node", &["-l"]),
        ("crm_node", &["-q"]),
        ("crm_resource", &["--wait"]),
        ("crm_resource", &["-W", "-r", "d"]),
        ("crm_attribute", &["-t", "crm_config", "-n", "x", "-v", "1"]),
        ("crm_attribute", &["--promotion", "-v", "5"]),
        ("crm_master", &["-l", "reboot", "-v", "5"]),
        ("crm", &["configure", "show"]),
        ("crm", &["configure", "load", "update", file]),
        ("crm", &["node", "standby", "n1"]),
        ("crm", &["resource", "cleanup", "d"]),
    ];
    for (tool, args) in cases {
        let out = run(tool, args, &[("CRMD_SOCKET", sock), ("OCF_RESOURCE_INSTANCE", "st")]);
        let err = String::from_utf8_lossy(&out.stderr);
        let what = format!("{tool} {}", args.join(" "));
        assert!(!out.status.success(), "{what} succeeded");
        assert!(!err.contains("panicked"), "{what} panicked:\n{err}");
        assert!(
            err.contains("cannot connect to the cluster daemon") && err.contains("CIB_file"),
            "{what}: {err}"
        );
    }
}

const SETTLED: &str = r#"<cib admin_epoch="0" epoch="4" num_updates="0" have-quorum="1" dc-uuid="1" validate-with="pacemaker-3.9">
  <configuration>
    <crm_config><cluster_property_set id="o"><nvpair id="o-s" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
    <nodes><node id="1" uname="NODE"/></nodes>
    <resources/>
    <constraints/>
  </configuration>
  <status><node_state id="1" uname="NODE" in_ccm="true" crmd="online" join="member" expected="member"/></status>
</cib>
"#;

#[test]
fn crm_resource_wait_on_a_cib_file() {
    let dir = TempDir::new("online-wait");
    let settled = dir.join("settled.xml");
    std::fs::write(&settled, SETTLED).unwrap();
    let unsettled = dir.join("unsettled.xml");
    let dummy = r#"<resources><primitive id="d" class="ocf" provider="pacemaker" type="Dummy"/></resources>"#;
    std::fs::write(&unsettled, SETTLED.replace("<resources/>", dummy)).unwrap();
    let out = run("crm_resource", &["--wait"], &[("CIB_file", settled.to_str().unwrap())]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run("crm_resource", &["--wait", "--timeout=1s"], &[("CIB_file", unsettled.to_str().unwrap())]);
    assert_eq!(out.status.code(), Some(124));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Timed out waiting for cluster to settle"));
}

/// A daemon that answers queries with `cib` and applies nothing: it records
/// the changes and acknowledges them.
fn fake_daemon(sock: &Path, cib: String) -> Arc<Mutex<Vec<CibChange>>> {
    let listener = UnixListener::bind(sock).expect("binding the fake daemon's socket");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().map_while(Result::ok) {
            while let Ok(Some(bytes)) = read_frame(&mut stream) {
                let reply = match ClientRequest::decode(&bytes) {
                    Ok(ClientRequest::Change(c)) => {
                        log.lock().unwrap().push(c);
                        DaemonReply::Applied("0.5.0".into())
                    }
                    Ok(_) => DaemonReply::Cib(cib.clone()),
                    Err(e) => DaemonReply::Refused(e.to_string()),
                };
                if std::io::Write::write_all(&mut stream, &frame(&reply.encode())).is_err() {
                    break;
                }
            }
        }
    });
    seen
}

#[test]
fn online_edits_reach_the_daemon_as_changes() {
    let dir = TempDir::new("online-fake");
    let sock = dir.join("cib.sock");
    // The agent's node is the host name when the executor does not say.
    let me = crm_cli::nodeattr::local_node_name();
    let seen = fake_daemon(&sock, SETTLED.replace("NODE", &me));
    let env = [("CRMD_SOCKET", sock.to_str().unwrap())];

    let file = dir.join("load.crm");
    std::fs::write(&file, "primitive d ocf:pacemaker:Dummy\n").unwrap();
    let out = run("crm", &["configure", "load", "update", file.to_str().unwrap()], &env);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let changes = std::mem::take(&mut *seen.lock().unwrap());
    assert!(
        matches!(&changes[..], [CibChange::ReplaceConfiguration { xml, base: Some((0, 4)) }]
            if xml.contains(r#"<primitive id="d""#)),
        "{changes:?}"
    );

    let out = run("crm", &["node", "standby", &me], &env);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let changes = std::mem::take(&mut *seen.lock().unwrap());
    assert!(
        matches!(&changes[..], [CibChange::ReplaceConfiguration { xml, .. }]
            if xml.contains(r#"name="standby" value="on""#)),
        "{changes:?}"
    );

    let out = run("crm_resource", &["--wait", "--timeout=5s"], &env);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));

    let out = run("crm_attribute", &["--promotion", "-v", "5"], &[env[0], ("OCF_RESOURCE_INSTANCE", "st")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let changes = std::mem::take(&mut *seen.lock().unwrap());
    assert_eq!(
        changes,
        [CibChange::SetNodeAttribute {
            node: me,
            name: "master-st".into(),
            value: Some("5".into()),
            transient: true
        }]
    );
}
