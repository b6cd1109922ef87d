//! ocf:heartbeat:IPaddr2 through crm-agents, inside a network namespace the
//! test creates (with a veth pair) and removes: the address must appear on the
//! interface on start and leave it on stop.

#[path = "agents/support.rs"]
mod support;

use crm_agents::{ExecStatus, Executor, ExecutorConfig, OcfRc, OpRequest};
use support::*;

/// A network namespace with an up veth pair `v0`/`v1`, `v0` holding
/// 192.168.77.1/24; deleted on drop (which removes the links and addresses).
struct Netns(String);

impl Netns {
    fn new() -> Self {
        require("/usr/sbin/ip", "iproute2");
        let name = format!("crmagents{}", std::process::id());
        sh_quiet(&["ip", "netns", "del", &name]);
        sh(&["ip", "netns", "add", &name]);
        let ns = Netns(name);
        ns.exec(&["ip", "link", "set", "lo", "up"]);
        ns.exec(&["ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1"]);
        ns.exec(&["ip", "link", "set", "v0", "up"]);
        ns.exec(&["ip", "link", "set", "v1", "up"]);
        ns.exec(&["ip", "addr", "add", "192.168.77.1/24", "dev", "v0"]);
        ns
    }

    fn exec(&self, args: &[&str]) -> String {
        let mut all = vec!["ip", "netns", "exec", &self.0];
        all.extend_from_slice(args);
        sh(&all)
    }

    fn addresses(&self) -> String {
        self.exec(&["ip", "-o", "-4", "addr", "show", "dev", "v0"])
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        sh_quiet(&["ip", "netns", "del", &self.0]);
    }
}

#[test]
fn ipaddr2_adds_and_removes_the_address_in_a_namespace() {
    let ns = Netns::new();
    let ex = Executor::new(ExecutorConfig {
        sbin_dir: Some(bin_dir()),
        wrapper: ["ip", "netns", "exec", ns.0.as_str()].iter().map(Into::into).collect(),
        ..Default::default()
    });
    let op = |action: &str| {
        ex.execute_blocking(
            &OpRequest::new("vip", "ocf:heartbeat:IPaddr2".parse().unwrap(), action)
                .param("ip", "192.168.77.10")
                .param("cidr_netmask", "24")
                .param("nic", "v0")
                .timeout_ms(20_000),
        )
    };
    let r = op("monitor");
    assert_eq!(r.rc, OcfRc::NotRunning, "probe: {r} {:?}", r.stderr);
    assert!(!ns.addresses().contains("192.168.77.10/24"));

    let r = op("start");
    assert!(r.is_success(), "start: {r} {:?}", r.stderr);
    assert!(ns.addresses().contains("192.168.77.10/24"), "address on v0 after start: {}", ns.addresses());
    let outside = sh(&["ip", "-o", "-4", "addr", "show"]);
    assert!(!outside.contains("192.168.77.10"), "the address stayed inside the namespace");
    let r = op("monitor");
    assert!(r.is_success(), "monitor: {r}");

    let r = op("stop");
    assert!(r.is_success(), "stop: {r}");
    assert!(!ns.addresses().contains("192.168.77.10/24"), "address gone after stop: {}", ns.addresses());
    assert!(ns.addresses().contains("192.168.77.1/24"), "the interface's own address untouched");
    let r = op("monitor");
    assert_eq!((r.rc, r.status), (OcfRc::NotRunning, ExecStatus::Done), "monitor after stop: {r}");
    // IPaddr2 starts send_arp in the background; stop ends it.
    assert!(
        wait_for(3_000, || live_processes_matching("send_arp-192.168.77.10").is_empty()),
        "send_arp left running"
    );
}
