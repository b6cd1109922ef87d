//! `crm resource`, `crm node`, `crm cib` and the configure-level editing
//! commands on a CIB file: what each leaves in the CIB.

use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "crmsh/common.rs"]
mod common;

struct Env {
    bin: PathBuf,
    dir: PathBuf,
    cib: PathBuf,
}

impl Env {
    fn new(name: &str) -> Env {
        let dir = std::env::temp_dir().join(format!("crmsh-cmd-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let cib = dir.join("cib.xml");
        std::fs::write(&cib, crm_cli::cibio::empty_cib_xml()).expect("cib");
        Env { bin: common::crm_binary(), dir, cib }
    }

    fn crm(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::new(&self.bin)
            .args(args)
            .env("CIB_file", &self.cib)
            .env("CIB_shadow_dir", &self.dir)
            .output()
            .expect("crm");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn ok(&self, line: &str) -> String {
        let args: Vec<&str> = line.split_whitespace().collect();
        let (rc, out, err) = self.crm(&args);
        assert_eq!(rc, 0, "crm {line} failed:\n{err}");
        out
    }

    fn show(&self) -> String {
        self.ok("configure show")
    }

    fn xml(&self) -> String {
        std::fs::read_to_string(&self.cib).expect("cib")
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn setup(name: &str) -> Env {
    let e = Env::new(name);
    let script = e.dir.join("setup.crm");
    std::fs::write(
        &script,
        "node node1\nnode node2\nprimitive d1 Dummy\nprimitive d2 Dummy\nprimitive d3 Dummy\n\
         group g d1 d2\nproperty stonith-enabled=false\n",
    )
    .expect("script");
    e.ok(&format!("configure load update {}", script.display()));
    e
}

#[test]
fn resource_commands_set_meta_and_constraints() {
    let e = setup("resource");
    e.ok("resource stop g");
    assert!(e.show().contains("group g d1 d2 \\\n\tmeta target-role=Stopped"), "{}", e.show());
    e.ok("resource start g");
    assert!(e.show().contains("meta target-role=Started"));
    e.ok("resource unmanage d3");
    assert!(e.xml().contains("id=\"d3-meta_attributes-is-managed\""));
    e.ok("resource move d3 node2");
    assert!(e.show().contains("location cli-prefer-d3 d3 role=Started inf: node2"), "{}", e.show());
    e.ok("resource ban d3 node1");
    assert!(e.show().contains("location cli-ban-d3-on-node1 d3 role=Started -inf: node1"));
    e.ok("resource clear d3");
    assert!(!e.show().contains("cli-"), "{}", e.show());
    e.ok("resource param d3 set fake 42");
    assert_eq!(e.ok("resource param d3 get fake").trim(), "42");
    let (rc, _, err) = e.crm(&["resource", "stop", "nosuch"]);
    assert_eq!(rc, 1);
    assert!(err.contains("nosuch"), "{err}");
}

#[test]
fn node_commands_set_node_attributes() {
    let e = setup("node");
    e.ok("node standby node1");
    assert!(e.show().contains("node node1 \\\n\tattributes standby=on"), "{}", e.show());
    e.ok("node online node1");
    assert!(e.show().contains("attributes standby=off"));
    e.ok("node utilization node2 set cpu 4");
    assert!(e.show().contains("node node2 \\\n\tutilization cpu=4"), "{}", e.show());
    e.ok("node status-attr node2 set pingd 100");
    assert!(e.xml().contains("name=\"pingd\" value=\"100\""));
}

#[test]
fn configure_editing_commands() {
    let e = setup("edit");
    e.ok("configure colocation c1 inf: d3 g");
    e.ok("configure rename d3 d4");
    assert!(e.show().contains("colocation c1 inf: d4 g"), "{}", e.show());
    e.ok("configure modgroup g add d4 before d2");
    assert!(e.show().contains("group g d1 d4 d2"), "{}", e.show());
    e.ok("configure modgroup g remove d4");
    e.ok("configure delete d4");
    assert!(!e.show().contains("c1"), "hanging colocation kept: {}", e.show());
    e.ok("configure monitor d1 30s:20s");
    assert!(e.xml().contains("id=\"d1-monitor-30s\""));
    // A refused one-liner leaves the file exactly as it was.
    let before = e.xml();
    let (rc, _, err) = e.crm(&["configure", "primitive", "bad", "Dummy", "op"]);
    assert_eq!(rc, 1);
    assert!(err.contains("syntax in primitive"), "{err}");
    assert_eq!(before, e.xml());
}

#[test]
fn shadow_cibs() {
    let e = Env::new("shadow");
    e.ok("cib new s1 empty");
    assert!(Path::new(&e.dir.join("shadow.s1")).exists());
    e.ok("-F -c s1 configure primitive d1 Dummy");
    assert!(std::fs::read_to_string(e.dir.join("shadow.s1")).expect("shadow").contains("id=\"d1\""));
    assert!(!e.xml().contains("id=\"d1\""), "the live CIB must not change");
    e.ok("cib commit s1");
    assert!(e.xml().contains("id=\"d1\""));
}
