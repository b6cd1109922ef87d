//! `corosync-probe`: a test client run inside one namespace node. It drives
//! corosync-sys and prints what it sees as one line per event on stdout, so that
//! integration tests (and the benchmark) can watch several nodes at once.
//!
//! `corosync-probe watch [--group G] [--reconnect]` prints events and obeys stdin:
//!   `send TEXT`, `burst N PREFIX` (N messages PREFIX-0..), `info`, `quit`.
//! `corosync-probe bench --mode layer|raw --count N --size B --senders S [--group G]`
//!   sends N messages of B bytes while receiving, and prints the delivery rate once
//!   all S senders' messages have arrived.
//! `corosync-probe rtt --count N [--size B]`: latency from multicast to own delivery.
//!
//! Output lines (space separated, `key=value`): `ready`, `cpg-confchg`, `cpg-totem`,
//! `deliver`, `quorum`, `vq`, `info`, `lost`, `reconnected`, `error`, `bench`, `rtt`.

use std::io::Write;
use std::time::{Duration, Instant};

use corosync_sys::{
    Cmap, Cpg, CpgConfig, CpgEvent, Quorum, QuorumEvent, ReconnectPolicy, VoteQuorum, VoteQuorumEvent,
};
use tokio::io::AsyncBufReadExt;

mod raw;

fn out(line: &str) {
    let mut o = std::io::stdout().lock();
    // The reader may be gone (test finished); nothing useful to do about it.
    let _ = writeln!(o, "{line}");
    let _ = o.flush();
}

/// CPU time (user + system) this process used so far, in milliseconds.
pub fn cpu_ms() -> f64 {
    // SAFETY: getrusage fills the zeroed struct it is given.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: valid out-pointer.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let tv = |t: libc::timeval| t.tv_sec as f64 * 1000.0 + t.tv_usec as f64 / 1000.0;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

fn ids(v: &[u32]) -> String {
    let mut v = v.to_vec();
    v.sort_unstable();
    v.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(",")
}

struct Args {
    mode: String,
    group: String,
    reconnect: bool,
    count: usize,
    size: usize,
    senders: usize,
    raw: bool,
}

fn parse_args() -> Args {
    let mut a = Args {
        mode: String::new(),
        group: "probe".into(),
        reconnect: false,
        count: 1000,
        size: 1024,
        senders: 3,
        raw: false,
    };
    let mut it = std::env::args().skip(1);
    a.mode = it.next().unwrap_or_else(|| "watch".into());
    while let Some(arg) = it.next() {
        let mut val = || it.next().unwrap_or_default();
        match arg.as_str() {
            "--group" => a.group = val(),
            "--reconnect" => a.reconnect = true,
            "--count" => a.count = val().parse().unwrap_or(1000),
            "--size" => a.size = val().parse().unwrap_or(1024),
            "--senders" => a.senders = val().parse().unwrap_or(3),
            "--mode" => a.raw = val() == "raw",
            other => {
                out(&format!("error unknown argument {other}"));
                std::process::exit(2);
            }
        }
    }
    a
}

fn main() {
    let args = parse_args();
    if args.mode == "bench" && args.raw {
        raw::bench(&args.group, args.count, args.size, args.senders);
        return;
    }
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
    let r = rt.block_on(async {
        match args.mode.as_str() {
            "watch" => watch(&args).await,
            "bench" => bench(&args).await,
            "rtt" => rtt(&args).await,
            m => Err(format!("unknown mode {m}")),
        }
    });
    if let Err(e) = r {
        out(&format!("error {e}"));
        std::process::exit(2);
    }
}

fn print_cpg(ev: &CpgEvent) {
    match ev {
        CpgEvent::Deliver(m) => out(&format!(
            "deliver from={} len={} data={}",
            m.sender.nodeid,
            m.data.len(),
            String::from_utf8_lossy(&m.data[..m.data.len().min(64)])
        )),
        CpgEvent::ConfChg(c) => {
            let nodes = |l: &[corosync_sys::Address]| ids(&l.iter().map(|a| a.nodeid).collect::<Vec<_>>());
            out(&format!(
                "cpg-confchg group={} members={} left={} joined={}",
                c.group,
                nodes(&c.members),
                nodes(&c.left),
                nodes(&c.joined)
            ))
        }
        CpgEvent::TotemConfChg(t) => {
            out(&format!("cpg-totem ring={} members={}", t.ring_id, ids(&t.members)))
        }
        CpgEvent::ConnectionLost => out("lost"),
        CpgEvent::Reconnected { local_nodeid } => out(&format!("reconnected nodeid={local_nodeid}")),
    }
}

fn info_line(vq: &VoteQuorum, nodeid: u32) -> Result<String, String> {
    let cmap = Cmap::connect().map_err(|e| e.to_string())?;
    let totem = cmap.totem().map_err(|e| e.to_string())?;
    let nodes = cmap
        .nodelist()
        .map_err(|e| e.to_string())?
        .iter()
        .map(|n| {
            format!("{}:{}:{}", n.nodeid.unwrap_or(0), n.name.clone().unwrap_or_default(), n.addrs.join("/"))
        })
        .collect::<Vec<_>>()
        .join(",");
    let i = vq.info(nodeid).map_err(|e| e.to_string())?;
    Ok(format!(
        "info nodeid={} quorate={} votes={} expected={} total={} quorum={} two_node={} wait_for_all={} \
         cluster={} token={} consensus={} nodes={}",
        nodeid,
        i.quorate() as u8,
        i.votes,
        i.expected_votes,
        i.total_votes,
        i.quorum,
        i.two_node() as u8,
        i.wait_for_all() as u8,
        totem.cluster_name.unwrap_or_default(),
        totem.token_ms.unwrap_or(0),
        totem.consensus_ms.unwrap_or(0),
        nodes
    ))
}

async fn watch(args: &Args) -> Result<(), String> {
    let config = CpgConfig {
        reconnect: args.reconnect.then_some(ReconnectPolicy { attempts: 100, interval_ms: 200 }),
        ..CpgConfig::default()
    };
    let mut cpg = Cpg::with_config(config.clone()).map_err(|e| e.to_string())?;
    let nodeid = cpg.local_nodeid();
    cpg.join(&args.group).await.map_err(|e| e.to_string())?;
    let mut quorum = Quorum::connect().map_err(|e| e.to_string())?;
    let mut vq = VoteQuorum::connect().map_err(|e| e.to_string())?;
    vq.track().map_err(|e| e.to_string())?;
    out(&format!("ready nodeid={nodeid}"));
    let mut stdin = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    // Quorum and votequorum connections end with corosync; CPG may reconnect.
    let mut quorum_alive = true;
    loop {
        tokio::select! {
            ev = cpg.next_event() => print_cpg(&ev.map_err(|e| e.to_string())?),
            ev = quorum.next_event(), if quorum_alive => match ev {
                Ok(QuorumEvent::Quorum { quorate, ring_id, members }) =>
                    out(&format!("quorum quorate={} ring={} members={}", quorate as u8, ring_id, ids(&members))),
                Ok(QuorumEvent::NodeList { .. }) => {}
                Err(e) => { out(&format!("quorum-error {e}")); quorum_alive = false; }
            },
            ev = vq.next_event(), if quorum_alive => match ev {
                Ok(VoteQuorumEvent::Quorum { quorate, nodes }) => {
                    let n = nodes.iter().map(|(id, s)| format!("{id}:{s:?}")).collect::<Vec<_>>().join(",");
                    out(&format!("vq quorate={} nodes={}", quorate as u8, n));
                }
                Ok(VoteQuorumEvent::ExpectedVotes(v)) => out(&format!("vq-expected {v}")),
                Ok(VoteQuorumEvent::NodeList { .. }) => {}
                Err(e) => { out(&format!("vq-error {e}")); quorum_alive = false; }
            },
            line = stdin.next_line() => {
                let Some(line) = line.map_err(|e| e.to_string())? else { return Ok(()) };
                let (cmd, rest) = line.split_once(' ').unwrap_or((line.as_str(), ""));
                match cmd {
                    "send" => match cpg.mcast(rest.as_bytes()).await {
                        Ok(()) => {}
                        Err(e) => out(&format!("send-error {e}")),
                    },
                    "burst" => {
                        let (n, prefix) = rest.split_once(' ').unwrap_or((rest, "m"));
                        let n: usize = n.parse().unwrap_or(0);
                        for i in 0..n {
                            if let Err(e) = cpg.mcast(format!("{prefix}-{i}").as_bytes()).await {
                                out(&format!("send-error {e}"));
                                break;
                            }
                            // Drain what already arrived so the queue stays short and the
                            // output keeps corosync's order.
                            while let Some(ev) = cpg.try_next_event().map_err(|e| e.to_string())? {
                                print_cpg(&ev);
                            }
                        }
                        out(&format!("burst-done {n}"));
                    }
                    "info" => match info_line(&vq, nodeid) {
                        Ok(l) => {
                            let members = match cpg.members(&args.group) {
                                Ok(m) => ids(&m.iter().map(|a| a.nodeid).collect::<Vec<_>>()),
                                Err(e) => format!("error:{}", e.to_string().replace(' ', "_")),
                            };
                            out(&format!("{l} group_members={members}"));
                        }
                        Err(e) => out(&format!("info-error {e}")),
                    },
                    // Finalize the connection from inside event handling (events may be
                    // pending in it) and open a new one: must neither hang nor crash.
                    "restart" => {
                        drop(cpg);
                        cpg = Cpg::with_config(config.clone()).map_err(|e| e.to_string())?;
                        cpg.join(&args.group).await.map_err(|e| e.to_string())?;
                        out(&format!("restarted nodeid={}", cpg.local_nodeid()));
                    }
                    "quit" => return Ok(()),
                    _ => out(&format!("error unknown command {cmd}")),
                }
            }
        }
    }
}

/// Waits until `n` processes are in the group.
async fn wait_members(cpg: &mut Cpg, n: usize) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ev = tokio::time::timeout_at(deadline.into(), cpg.next_event())
            .await
            .map_err(|_| format!("timed out waiting for {n} group members"))?
            .map_err(|e| e.to_string())?;
        if let CpgEvent::ConfChg(c) = ev {
            if c.members.len() >= n {
                return Ok(());
            }
        }
    }
}

async fn bench(args: &Args) -> Result<(), String> {
    let mut cpg = Cpg::connect().map_err(|e| e.to_string())?;
    cpg.join(&args.group).await.map_err(|e| e.to_string())?;
    wait_members(&mut cpg, args.senders).await?;
    out("bench-start");
    let cpu0 = cpu_ms();
    let buf = vec![0x5a_u8; args.size];
    let total = args.count * args.senders;
    let (mut sent, mut received) = (0usize, 0usize);
    let mut first: Option<Instant> = None;
    let count = |ev: CpgEvent, received: &mut usize, first: &mut Option<Instant>| {
        if let CpgEvent::Deliver(_) = ev {
            first.get_or_insert_with(Instant::now);
            *received += 1;
        }
    };
    while received < total {
        if sent < args.count {
            cpg.mcast(&buf).await.map_err(|e| e.to_string())?;
            sent += 1;
            while let Some(ev) = cpg.try_next_event().map_err(|e| e.to_string())? {
                count(ev, &mut received, &mut first);
            }
        } else {
            let ev = tokio::time::timeout(Duration::from_secs(30), cpg.next_event())
                .await
                .map_err(|_| format!("stalled at {received} of {total} messages"))?
                .map_err(|e| e.to_string())?;
            count(ev, &mut received, &mut first);
        }
    }
    let secs = first.map(|f| f.elapsed().as_secs_f64()).unwrap_or(0.0);
    out(&format!(
        "bench mode=layer received={received} secs={secs:.3} rate={:.0} cpu_ms={:.0} try_again={}",
        received as f64 / secs.max(1e-9),
        cpu_ms() - cpu0,
        cpg.busy_retries()
    ));
    // Stay in the group until the others are done too: leaving early would change
    // their membership mid-run.
    tokio::time::sleep(Duration::from_millis(500)).await;
    Ok(())
}

async fn rtt(args: &Args) -> Result<(), String> {
    let mut cpg = Cpg::connect().map_err(|e| e.to_string())?;
    let me = cpg.local_nodeid();
    cpg.join(&args.group).await.map_err(|e| e.to_string())?;
    wait_members(&mut cpg, args.senders).await?;
    let mut samples = Vec::with_capacity(args.count);
    let mut buf = vec![0u8; args.size.max(8)];
    for i in 0..args.count as u64 {
        buf[..8].copy_from_slice(&i.to_le_bytes());
        let t0 = Instant::now();
        cpg.mcast(&buf).await.map_err(|e| e.to_string())?;
        loop {
            let ev = tokio::time::timeout(Duration::from_secs(10), cpg.next_event())
                .await
                .map_err(|_| "no delivery within 10 s".to_string())?
                .map_err(|e| e.to_string())?;
            if let CpgEvent::Deliver(m) = ev {
                if m.sender.nodeid == me && m.data[..8] == i.to_le_bytes() {
                    break;
                }
            }
        }
        samples.push(t0.elapsed().as_micros() as u64);
    }
    samples.sort_unstable();
    let pct = |p: f64| samples[((samples.len() as f64 - 1.0) * p) as usize];
    out(&format!(
        "rtt count={} min_us={} median_us={} p99_us={} max_us={}",
        samples.len(),
        samples[0],
        pct(0.5),
        pct(0.99),
        samples[samples.len() - 1]
    ));
    Ok(())
}
