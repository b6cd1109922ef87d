//! The agent-facing tools (`crm_attribute`, `crm_master`, `crm_node`,
//! `crm_resource --locate`, `cibadmin -Q`) side by side with Pacemaker's own
//! (Debian's pacemaker-cli-utils in /usr/sbin), each on its own copy of the
//! same CIB file: same output, same exit code, same resulting CIB.

#[path = "agents/support.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::*;

struct Outcome {
    stdout: String,
    stderr: String,
    code: i32,
}

fn run(bin: &Path, tool: &str, args: &[&str], cib: &Path, env: &[(&str, &str)]) -> Outcome {
    let out = Command::new(bin.join(tool))
        .args(args)
        .env("CIB_file", cib)
        .env_remove("OCF_RESOURCE_INSTANCE")
        .env_remove("OCF_RESKEY_CRM_meta_on_node")
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("running {}/{tool}: {e}", bin.display()));
    Outcome {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

/// Two copies of a CIB: one for Pacemaker's tools, one for ours.
struct Pair {
    _dir: TempDir,
    theirs: PathBuf,
    ours: PathBuf,
}

impl Pair {
    fn new(xml: &str) -> Self {
        let dir = TempDir::new("tools");
        let (theirs, ours) = (dir.join("theirs.xml"), dir.join("ours.xml"));
        std::fs::write(&theirs, xml).unwrap();
        std::fs::write(&ours, xml).unwrap();
        Pair { _dir: dir, theirs, ours }
    }

    /// Runs the command with both tools and asserts they agree.
    fn same(&self, tool: &str, args: &[&str], env: &[(&str, &str)]) -> Outcome {
        let theirs = run(Path::new("/usr/sbin"), tool, args, &self.theirs, env);
        let ours = run(&bin_dir(), tool, args, &self.ours, env);
        let what = format!("{tool} {}", args.join(" "));
        assert_eq!(ours.code, theirs.code, "{what}: exit code (theirs said {:?})", theirs.stderr);
        assert_eq!(ours.stdout, theirs.stdout, "{what}: stdout");
        assert_eq!(
            ours.stderr.replace("crm_master: ", ""),
            theirs.stderr.replace("crm_master: ", ""),
            "{what}: stderr"
        );
        let read = |p: &Path| cib_schema::parse(&std::fs::read_to_string(p).unwrap()).unwrap();
        assert_eq!(read(&self.ours), read(&self.theirs), "{what}: resulting CIB");
        ours
    }
}

fn cib() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("agents/cib-two-nodes.xml")).unwrap()
}

#[test]
fn crm_attribute_matches_pacemaker() {
    require("/usr/sbin/crm_attribute", "pacemaker-cli-utils");
    let p = Pair::new(&cib());
    let agent = [("OCF_RESOURCE_INSTANCE", "st"), ("OCF_RESKEY_CRM_meta_on_node", "node1")];
    // What Stateful, mysql, galera and ocf-shellfuncs run.
    p.same("crm_attribute", &["--promotion", "-v", "5", "-N", "node1"], &agent);
    p.same("crm_attribute", &["--promotion", "-G", "-N", "node1"], &agent);
    p.same("crm_attribute", &["-p", "-G", "-q", "-N", "node1"], &agent);
    p.same("crm_attribute", &["-p", "st", "-v", "10", "-N", "node2"], &[]);
    p.same("crm_attribute", &["--promotion=st", "-N", "node2", "-G"], &[]);
    p.same("crm_attribute", &["-N", "node1", "-l", "reboot", "--name", "db-bootstrap", "-v", "true"], &[]);
    p.same("crm_attribute", &["-N", "node1", "-l", "reboot", "--name", "db-bootstrap", "-v", "true"], &[]);
    p.same("crm_attribute", &["-N", "node1", "-l", "reboot", "--name", "db-bootstrap", "--quiet"], &[]);
    p.same("crm_attribute", &["-N", "node2", "-l", "reboot", "--name", "db-bootstrap", "--quiet"], &[]);
    p.same("crm_attribute", &["-N", "node1", "-l", "reboot", "--name", "db-bootstrap", "-D"], &[]);
    p.same("crm_attribute", &["-N", "node1", "-l", "reboot", "--name", "db-bootstrap", "-D"], &[]);
    p.same("crm_attribute", &["-N", "node1", "-n", "site", "-v", "a"], &[]);
    p.same("crm_attribute", &["-N", "node1", "-n", "site", "-l", "forever", "-G"], &[]);
    p.same("crm_attribute", &["-N", "node1", "-n", "site", "-D"], &[]);
    let repl = ["--type", "crm_config", "--name", "db_REPL_INFO", "-s", "mysql_replication"];
    p.same("crm_attribute", &[&repl[..], &["-v", "node1|mysql-bin.000001|4"]].concat(), &[]);
    p.same("crm_attribute", &[&repl[..], &["-G", "-q"]].concat(), &[]);
    p.same("crm_attribute", &["-n", "stonith-enabled", "-v", "false"], &[]);
    p.same("crm_attribute", &["-n", "stonith-enabled", "-G"], &[]);
    p.same("crm_attribute", &["-n", "no-such-option", "-G"], &[]);
    p.same("crm_attribute", &["-n", "no-such-option", "-G", "-d", "dflt"], &[]);
    p.same("crm_attribute", &["-n", "stonith-enabled", "-D"], &[]);
    p.same("crm_attribute", &["-N", "node9", "-l", "reboot", "-n", "x", "-v", "1"], &[]);
}

#[test]
fn crm_master_matches_pacemaker() {
    require("/usr/sbin/crm_master", "pacemaker-cli-utils");
    let p = Pair::new(&cib());
    let agent = [("OCF_RESOURCE_INSTANCE", "db"), ("OCF_RESKEY_CRM_meta_on_node", "node1")];
    p.same("crm_master", &["-l", "reboot", "-N", "node1", "-v", "100"], &agent);
    p.same("crm_master", &["-l", "reboot", "-N", "node1", "-G", "-q"], &agent);
    p.same("crm_master", &["-N", "node1", "-v", "50"], &agent);
    p.same("crm_master", &["-N", "node1", "-G"], &agent);
    p.same("crm_master", &["-l", "reboot", "-N", "node1", "-D"], &agent);
    p.same("crm_master", &["-r", "other", "-N", "node2", "-l", "reboot", "-v", "1"], &[]);
    // Without a resource both refuse with exit code 1 (Pacemaker's wrapper
    // script also prints its usage text; ours names the missing resource).
    let theirs = run(Path::new("/usr/sbin"), "crm_master", &["-N", "node1", "-D"], &p.theirs, &[]);
    let ours = run(&bin_dir(), "crm_master", &["-N", "node1", "-D"], &p.ours, &[]);
    assert_eq!((ours.code, theirs.code), (1, 1));
    assert!(ours.stderr.contains("No resource specified"), "{}", ours.stderr);
}

#[test]
fn crm_resource_locate_and_cibadmin_query_match_pacemaker() {
    require("/usr/sbin/crm_resource", "pacemaker-cli-utils");
    let xml = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("agents/cib-running.xml"))
        .unwrap();
    let p = Pair::new(&xml);
    p.same("crm_resource", &["--resource", "d1", "--locate"], &[]);
    p.same("crm_resource", &["--resource", "d2", "--locate"], &[]);
    p.same("crm_resource", &["-r", "d1", "-W", "-Q"], &[]);
    p.same("crm_resource", &["--resource", "nope", "--locate"], &[]);
    // A promotable clone on two nodes: the same lines (Pacemaker's order
    // follows its instance numbering, which needs the scheduler).
    for rsc in ["st", "st-clone"] {
        let theirs =
            run(Path::new("/usr/sbin"), "crm_resource", &["--resource", rsc, "--locate"], &p.theirs, &[]);
        let ours = run(&bin_dir(), "crm_resource", &["--resource", rsc, "--locate"], &p.ours, &[]);
        let sorted = |s: &str| {
            let mut v: Vec<String> = s.lines().map(str::to_string).collect();
            v.sort();
            v
        };
        assert_eq!(sorted(&ours.stdout), sorted(&theirs.stdout), "locate {rsc}");
        assert_eq!(ours.code, theirs.code);
    }
    for scope in ["nodes", "resources", "crm_config"] {
        p.same("cibadmin", &["-Q", "-o", scope], &[]);
    }
    let ours = run(&bin_dir(), "cibadmin", &["-Q"], &p.ours, &[]);
    assert_eq!(
        cib_schema::parse(&ours.stdout).unwrap(),
        cib_schema::parse(&xml).unwrap(),
        "cibadmin -Q prints the CIB"
    );
}

#[test]
fn crm_node_answers_offline() {
    let p = Pair::new(&cib());
    let ours = |args: &[&str], env: &[(&str, &str)]| run(&bin_dir(), "crm_node", args, &p.ours, env);
    // Inside an operation the executor's environment names the node (Pacemaker's
    // controller sets CRM_meta_on_node too); otherwise the host name.
    assert_eq!(ours(&["-n"], &[("OCF_RESKEY_CRM_meta_on_node", "node2")]).stdout, "node2\n");
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_eq!(ours(&["-n"], &[]).stdout.trim(), host.trim());
    assert_eq!(ours(&["-i"], &[("OCF_RESKEY_CRM_meta_on_node", "node2")]).stdout, "2\n");
    assert_eq!(ours(&["-p"], &[]).stdout, "node1 node2\n");
    assert_eq!(ours(&["-q"], &[]).stdout, "1\n");
    assert_eq!(ours(&["-l"], &[]).stdout, "1 node1 member\n2 node2 member\n");
}

#[test]
fn concurrent_updates_are_not_lost() {
    // Agents of many resources set attributes at once (clones starting
    // together); every update must land.
    let p = Pair::new(&cib());
    let children: Vec<_> = (0..16)
        .map(|i| {
            Command::new(bin_dir().join("crm_attribute"))
                .args([
                    "-N",
                    if i % 2 == 0 { "node1" } else { "node2" },
                    "-l",
                    "reboot",
                    "-n",
                    &format!("a{i}"),
                    "-v",
                    "1",
                ])
                .env("CIB_file", &p.ours)
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    for i in 0..16 {
        let node = if i % 2 == 0 { "node1" } else { "node2" };
        let out = run(
            &bin_dir(),
            "crm_attribute",
            &["-N", node, "-l", "reboot", "-n", &format!("a{i}"), "-G", "-q"],
            &p.ours,
            &[],
        );
        assert_eq!(out.stdout, "1\n", "a{i} on {node} was lost: {}", out.stderr);
    }
    let cib = cib_schema::parse(&std::fs::read_to_string(&p.ours).unwrap()).unwrap();
    assert_eq!(cib.version().2, 16, "one num_updates bump per update");
}
