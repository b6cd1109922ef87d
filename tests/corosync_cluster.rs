//! Real Corosync clusters in network namespaces, driven through corosync-sys by
//! `corosync-probe` clients running inside each node: membership, total order,
//! quorum on node loss, two_node, rejoin, reconnect and refused clients.
//!
//! Needs root and corosync (CI has both); skipped otherwise. Each test builds its own
//! cluster (token 1000 ms) with `corosync/cluster.sh`, and removes it on drop, also on
//! failure; a cluster left by a killed test run is removed by the next run. About 20 s.
//!
//!     cargo test --release -p crm-tests --test corosync_cluster

#[path = "corosync/harness.rs"]
mod harness;

use std::time::{Duration, Instant};

use harness::{can_run, field, Cluster, Probe, SERIAL};

const T: Duration = Duration::from_secs(30);

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn is(kind: &'static str) -> impl Fn(&str) -> bool {
    move |l: &str| l.split(' ').next() == Some(kind)
}

/// A quorum line with this flag and member list.
fn quorum(quorate: u8, members: &'static str) -> impl Fn(&str) -> bool {
    move |l: &str| {
        l.starts_with("quorum ")
            && field(l, "quorate") == Some(if quorate == 1 { "1" } else { "0" })
            && field(l, "members") == Some(members)
    }
}

fn group_members(members: &'static str) -> impl Fn(&str) -> bool {
    move |l: &str| l.starts_with("cpg-confchg ") && field(l, "members") == Some(members)
}

fn start_probe(c: &Cluster, i: usize, args: &[&str]) -> Probe {
    let mut p = c.probe(i, args);
    p.expect("ready", T, is("ready"));
    p
}

#[test]
fn three_nodes_membership_total_order_quorum_and_rejoin() {
    if !can_run() {
        return;
    }
    let _serial = serial();
    let c = Cluster::new("a", 3, 1000, false);
    for i in 1..=3 {
        c.start(i);
    }
    let mut p: Vec<Probe> = (1..=3).map(|i| start_probe(&c, i, &["watch"])).collect();

    // Membership of three: totem ring, quorum, and the process group.
    for pr in p.iter_mut() {
        pr.expect("quorum of 1,2,3", T, quorum(1, "1,2,3"));
        pr.expect("group of 1,2,3", T, group_members("1,2,3"));
    }

    // cmap and votequorum as seen through the layer.
    p[0].mark();
    p[0].send("info");
    let info = p[0].expect("info", T, is("info"));
    assert_eq!(field(&info, "cluster"), Some(c.prefix.as_str()), "{info}");
    assert_eq!(field(&info, "token"), Some("1000"), "{info}");
    assert_eq!(field(&info, "consensus"), Some("1200"), "{info}");
    assert_eq!(field(&info, "expected"), Some("3"), "{info}");
    assert_eq!(field(&info, "total"), Some("3"), "{info}");
    assert_eq!(field(&info, "quorum"), Some("2"), "{info}");
    assert_eq!(field(&info, "two_node"), Some("0"), "{info}");
    assert_eq!(field(&info, "group_members"), Some("1,2,3"), "{info}");
    let nodes = field(&info, "nodes").unwrap_or_default();
    for i in 1..=3 {
        assert!(nodes.contains(&format!("{i}:{}{i}:", c.prefix)), "nodelist entry {i} missing: {info}");
    }

    // Total order under concurrent senders: every node sees the same sequence.
    const PER_NODE: usize = 300;
    for pr in p.iter_mut() {
        pr.mark();
    }
    for (k, pr) in p.iter_mut().enumerate() {
        pr.send(&format!("burst {PER_NODE} n{}", k + 1));
    }
    let seqs: Vec<Vec<String>> = p.iter_mut().map(|pr| pr.collect(3 * PER_NODE, T, is("deliver"))).collect();
    for (k, s) in seqs.iter().enumerate() {
        assert_eq!(s.len(), 3 * PER_NODE, "node {} delivery count", k + 1);
        assert_eq!(s, &seqs[0], "node {} saw another order than node 1", k + 1);
    }
    // Each sender's own messages arrive in the order sent (and interleave with others).
    for sender in 1..=3 {
        let mine: Vec<&String> = seqs[0]
            .iter()
            .filter(|l| field(l, "data").is_some_and(|d| d.starts_with(&format!("n{sender}-"))))
            .collect();
        let want: Vec<String> = (0..PER_NODE).map(|i| format!("n{sender}-{i}")).collect();
        let got: Vec<&str> = mine.iter().map(|l| field(l, "data").unwrap_or_default()).collect();
        assert_eq!(got, want, "FIFO order of sender {sender}");
    }
    for pr in p.iter_mut() {
        pr.mark();
    }

    // Kill one node's corosync: the other two see it go and keep quorum; the client
    // on that node is told that its connection is gone.
    let t0 = Instant::now();
    c.kill_corosync(3);
    p[2].expect("connection lost on node 3", T, |l| l.starts_with("error connection to corosync lost"));
    for pr in p[..2].iter_mut() {
        let (t, _) = pr.expect_at("quorum of 1,2", T, quorum(1, "1,2"));
        eprintln!("node {}: loss of node 3 seen after {} ms (token 1000)", pr.node, (t - t0).as_millis());
        pr.expect("group without 3", T, group_members("1,2"));
    }
    // Crash a second node (cable pull, whole node killed): the survivor loses quorum.
    p[0].mark();
    c.crash(2);
    p[0].expect("no quorum with 1 of 3", T, quorum(0, "1"));
    p[0].expect("group of 1", T, group_members("1"));
    p[0].mark();
    p[0].send("info");
    let info = p[0].expect("info", T, is("info"));
    assert_eq!(field(&info, "quorate"), Some("0"), "{info}");

    // Restart both: they rejoin, quorum returns, messages flow again.
    p[0].mark();
    c.start(2);
    c.start_corosync(3);
    let mut p2 = start_probe(&c, 2, &["watch"]);
    let mut p3 = start_probe(&c, 3, &["watch"]);
    p[0].expect("quorum of 1,2,3 again", T, quorum(1, "1,2,3"));
    p[0].expect("group of 1,2,3 again", T, group_members("1,2,3"));
    p3.expect("quorum seen by the restarted node", T, quorum(1, "1,2,3"));
    p3.expect("group seen by the restarted node", T, group_members("1,2,3"));
    p[0].mark();
    p2.mark();
    p3.mark();
    p3.send("send hello-after-rejoin");
    for pr in [&mut p[0], &mut p2, &mut p3] {
        pr.expect("message after rejoin", T, |l| {
            l.starts_with("deliver ") && l.ends_with("data=hello-after-rejoin")
        });
    }
}

#[test]
fn two_node_keeps_quorum_with_one_node() {
    if !can_run() {
        return;
    }
    let _serial = serial();
    let c = Cluster::new("b", 2, 1000, true);
    c.start(1);
    c.start(2);
    let mut p1 = start_probe(&c, 1, &["watch"]);
    let mut p2 = start_probe(&c, 2, &["watch"]);
    p1.expect("quorum of 1,2", T, quorum(1, "1,2"));
    p2.expect("quorum of 1,2", T, quorum(1, "1,2"));
    p1.mark();
    p1.send("info");
    let info = p1.expect("info", T, is("info"));
    assert_eq!(field(&info, "two_node"), Some("1"), "{info}");
    assert_eq!(field(&info, "wait_for_all"), Some("1"), "two_node implies wait_for_all: {info}");
    assert_eq!(field(&info, "expected"), Some("2"), "{info}");
    p1.mark();

    let t0 = Instant::now();
    c.crash(2);
    let (t, _) = p1.expect_at("still quorate alone", T, quorum(1, "1"));
    eprintln!("two_node: loss of node 2 seen after {} ms (token 1000)", (t - t0).as_millis());
    p1.send("info");
    let info = p1.expect("info", T, is("info"));
    assert_eq!(field(&info, "quorate"), Some("1"), "{info}");
    let lost_quorum: Vec<String> =
        p1.since_mark().into_iter().filter(|l| l.starts_with("quorum quorate=0")).collect();
    assert!(lost_quorum.is_empty(), "two_node survivor must never lose quorum: {lost_quorum:?}");
    // The lone node still delivers its own messages.
    p1.send("send alone");
    p1.expect("own message", T, |l| l.starts_with("deliver ") && l.ends_with("data=alone"));
}

#[test]
fn reconnects_after_corosync_restart_and_explains_refusals() {
    if !can_run() {
        return;
    }
    let _serial = serial();
    let c = Cluster::new("c", 1, 1000, false);
    c.start(1);

    // A client that is neither root nor allowed by uidgid is refused, and told why.
    // (The probe binary is copied where the unprivileged user can execute it.)
    let probe = c.state.join("corosync-probe");
    std::fs::copy(harness::PROBE, &probe).expect("copy probe");
    let mut nobody = c.probe_with(
        1,
        probe.to_str().expect("utf-8"),
        &["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"],
        &["watch"],
    );
    let err = nobody.expect("refusal", T, is("error"));
    assert!(err.contains("refused") && err.contains("uidgid") && err.contains("uid 65534"), "{err}");

    // Corosync killed under a connected client: it reports the loss, reconnects once
    // corosync is back, rejoins its group and delivers again.
    let mut p = start_probe(&c, 1, &["watch", "--reconnect"]);
    p.expect("group of 1", T, group_members("1"));
    p.mark();
    c.kill_corosync(1);
    p.expect("connection lost", T, is("lost"));
    c.start_corosync(1);
    p.expect("reconnected", T, is("reconnected"));
    p.expect("group rejoined", T, group_members("1"));
    p.send("send back");
    p.expect("delivery after reconnect", T, |l| l.starts_with("deliver ") && l.ends_with("data=back"));

    // Dropping (finalizing) a connection from the event loop, with deliveries still
    // undispatched, then connecting again.
    p.mark();
    p.send("burst 50 pending");
    p.send("restart");
    p.expect("restarted", T, is("restarted"));
    p.expect("group rejoined after restart", T, group_members("1"));
    p.send("send fresh");
    p.expect("delivery on the new connection", T, |l| l.starts_with("deliver ") && l.ends_with("data=fresh"));

    // No corosync at all: a clear "not running".
    c.kill_corosync(1);
    let mut none = c.probe(1, &["watch"]);
    let err = none.expect("not running", T, is("error"));
    assert!(err.contains("not running"), "{err}");
}
