//! Measurements over a real 3-node Corosync cluster in namespaces (ignored by default;
//! they take minutes and want a quiet machine):
//!
//!     cargo test --release -p crm-tests --test corosync_bench -- --ignored --nocapture --test-threads=1
//!
//! * `detection`: node crash (cable pull + SIGKILL) to the survivors' quorum event,
//!   for token 1000 and 3000 ms;
//! * `round_trip`: multicast to own delivery (agreed order) through the layer;
//! * `throughput`: three nodes sending 1 KiB messages at once, delivery rate per node,
//!   through the layer and through the raw C API (same loop), alternating.
//!
//! Results are printed as `RESULT ...` lines.

#[path = "corosync/harness.rs"]
mod harness;

use std::time::{Duration, Instant};

use harness::{can_run, field, Cluster, Probe, SERIAL};

const T: Duration = Duration::from_secs(60);

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn stats(mut v: Vec<f64>) -> String {
    v.sort_by(|a, b| a.total_cmp(b));
    let median = if v.len() % 2 == 1 { v[v.len() / 2] } else { (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2.0 };
    format!("min {:.0} / median {:.0} / max {:.0} (n={})", v[0], median, v[v.len() - 1], v.len())
}

fn up3(tag: &str, token_ms: u32) -> Cluster {
    let c = Cluster::new(tag, 3, token_ms, false);
    for i in 1..=3 {
        c.start(i);
    }
    c
}

fn watcher(c: &Cluster, i: usize) -> Probe {
    let mut p = c.probe(i, &["watch"]);
    p.expect("ready", T, |l| l.starts_with("ready"));
    p
}

fn full(p: &mut Probe) {
    p.expect("quorum of 3", T, |l| l.starts_with("quorum quorate=1") && field(l, "members") == Some("1,2,3"));
}

#[test]
#[ignore = "measurement: minutes, run by hand"]
fn detection() {
    if !can_run() {
        return;
    }
    let _s = serial();
    const RUNS: usize = 5;
    for token_ms in [1000u32, 3000] {
        let c = up3(&format!("d{token_ms}"), token_ms);
        let mut p1 = watcher(&c, 1);
        let mut p2 = watcher(&c, 2);
        let (mut quorum_ms, mut totem_ms) = (Vec::new(), Vec::new());
        for run in 0..RUNS {
            if run > 0 {
                p1.mark();
                c.start(3);
            }
            full(&mut p1);
            full(&mut p2);
            // let the ring settle after the (re)join
            std::thread::sleep(Duration::from_millis(1000));
            p1.mark();
            p2.mark();
            let t0 = Instant::now();
            c.crash(3);
            for p in [&mut p1, &mut p2] {
                let (tq, _) = p.expect_at("quorum of 1,2", T, |l| {
                    l.starts_with("quorum quorate=1") && field(l, "members") == Some("1,2")
                });
                let (tt, _) = p.expect_at("totem of 1,2", T, |l| {
                    l.starts_with("cpg-totem") && field(l, "members") == Some("1,2")
                });
                quorum_ms.push((tq - t0).as_secs_f64() * 1000.0);
                totem_ms.push((tt - t0).as_secs_f64() * 1000.0);
            }
        }
        println!("RESULT detection token={token_ms} ms consensus={} ms: quorum event after {} ms; cpg totem event after {} ms",
            token_ms * 12 / 10, stats(quorum_ms), stats(totem_ms));
    }
}

#[test]
#[ignore = "measurement: minutes, run by hand"]
fn round_trip() {
    if !can_run() {
        return;
    }
    let _s = serial();
    let c = up3("r", 1000);
    let _p2 = c.probe(2, &["watch"]);
    let _p3 = c.probe(3, &["watch"]);
    for size in ["64", "1024"] {
        let mut p = c.probe(1, &["rtt", "--count", "1000", "--size", size, "--senders", "3"]);
        let l = p.expect("rtt", T, |l| l.starts_with("rtt") || l.starts_with("error"));
        println!("RESULT round trip (mcast -> own delivery, 3 nodes, token 1000, {size} B): {l}");
    }
}

#[test]
#[ignore = "measurement: minutes, run by hand"]
fn throughput() {
    if !can_run() {
        return;
    }
    let _s = serial();
    let c = up3("t", 1000);
    const COUNT: &str = "10000";
    const ROUNDS: usize = 8;
    let mut rates: std::collections::BTreeMap<&str, Vec<f64>> = Default::default();
    let mut cpu: std::collections::BTreeMap<&str, Vec<f64>> = Default::default();
    for round in 0..ROUNDS {
        // alternate which goes first, so that neither always follows the other
        let order = if round % 2 == 0 { ["layer", "raw"] } else { ["raw", "layer"] };
        for mode in order {
            let group = format!("bench-{mode}-{round}");
            let args = [
                "bench",
                "--mode",
                mode,
                "--count",
                COUNT,
                "--size",
                "1024",
                "--senders",
                "3",
                "--group",
                &group,
            ];
            let mut ps: Vec<Probe> = (1..=3).map(|i| c.probe(i, &args)).collect();
            let mut line_rates = Vec::new();
            let mut try_again = Vec::new();
            for p in ps.iter_mut() {
                let l = p.expect("bench result", Duration::from_secs(120), |l| {
                    l.starts_with("bench ") || l.starts_with("error")
                });
                assert!(l.starts_with("bench "), "{l}");
                let r: f64 = field(&l, "rate").and_then(|r| r.parse().ok()).expect("rate");
                line_rates.push(r);
                try_again.push(field(&l, "try_again").unwrap_or("?").to_string());
                let ms: f64 = field(&l, "cpu_ms").and_then(|r| r.parse().ok()).expect("cpu_ms");
                let received: f64 = field(&l, "received").and_then(|r| r.parse().ok()).expect("received");
                // client CPU per delivered message (it also sent a third of them)
                cpu.entry(mode).or_default().push(ms * 1000.0 / received);
            }
            let mean = line_rates.iter().sum::<f64>() / line_rates.len() as f64;
            println!(
                "round {round} {mode}: per-node delivery rates {line_rates:?} msgs/s, mean {mean:.0}; \
                 CS_ERR_TRY_AGAIN per node {try_again:?}"
            );
            rates.entry(mode).or_default().push(mean);
        }
    }
    let (layer, raw) = (rates["layer"].clone(), rates["raw"].clone());
    // Each round runs both, back to back, so a ratio within a round pairs runs under
    // similar host load (other jobs share the 2 cores).
    let ratios: Vec<f64> = layer.iter().zip(&raw).map(|(l, r)| 100.0 * l / r).collect();
    println!("RESULT throughput layer/raw per round (%): {ratios:.1?}; {}", stats(ratios.clone()));
    let ml = layer.iter().sum::<f64>() / layer.len() as f64;
    let mr = raw.iter().sum::<f64>() / raw.len() as f64;
    println!(
        "RESULT client CPU per delivered message (us): layer {} ; raw {}",
        stats(cpu["layer"].clone()),
        stats(cpu["raw"].clone())
    );
    println!(
        "RESULT throughput 1 KiB, 3 senders x {COUNT}, msgs/s delivered per node: layer {} ; raw {} ; layer/raw = {:.3}",
        stats(layer),
        stats(raw),
        ml / mr
    );
}
