//! The executor's own overhead: N monitor operations of ocf:heartbeat:Dummy
//! through crm-agents, against the same N run by one bash loop with the same
//! environment. Prints both times and the ratio (goal: under 1.2).
//!
//!     cargo bench -p crm-agents --bench dummy_monitor [-- N]

use std::process::Command;
use std::time::Instant;

use crm_agents::{Executor, ExecutorConfig, OpRequest};

const AGENT: &str = "/usr/lib/ocf/resource.d/heartbeat/Dummy";

fn main() {
    let n: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(1000);
    assert!(std::path::Path::new(AGENT).exists(), "{AGENT} missing: install resource-agents");
    let dir = std::env::temp_dir().join(format!("crm-agents-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let state = dir.join("dummy.state");

    let ex = Executor::new(ExecutorConfig { sbin_dir: None, ..Default::default() });
    let req = |action: &str| {
        OpRequest::new("bench", "ocf:heartbeat:Dummy".parse().unwrap(), action)
            .param("state", state.display().to_string())
            .interval_ms(10_000)
            .timeout_ms(20_000)
    };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    assert!(rt.block_on(ex.execute(&req("start"))).is_success());

    // Warm both paths (page cache, shell libraries) before timing.
    let bash_script = format!(
        "export OCF_ROOT=/usr/lib/ocf OCF_RA_VERSION_MAJOR=1 OCF_RA_VERSION_MINOR=1 \
         OCF_RESOURCE_INSTANCE=bench OCF_RESOURCE_TYPE=Dummy OCF_RESOURCE_PROVIDER=heartbeat \
         OCF_RESKEY_state={} OCF_RESKEY_CRM_meta_interval=10000 OCF_RESKEY_CRM_meta_timeout=20000\n\
         for ((i = 0; i < $1; i++)); do {AGENT} monitor >/dev/null 2>&1 || exit 1; done",
        state.display()
    );
    let bash = |count: usize| {
        let t = Instant::now();
        let st =
            Command::new("bash").args(["-c", &bash_script, "bench", &count.to_string()]).status().unwrap();
        assert!(st.success(), "bash loop: a monitor failed");
        t.elapsed()
    };
    let ours = |count: usize| {
        rt.block_on(async {
            let r = req("monitor");
            let t = Instant::now();
            for _ in 0..count {
                let res = ex.execute(&r).await;
                assert!(res.is_success(), "{res}");
            }
            t.elapsed()
        })
    };
    bash(20);
    ours(20);

    // Interleave rounds so that load from elsewhere on a shared machine falls
    // on both sides alike.
    let rounds = 10.min(n).max(1);
    let (mut t_bash, mut t_ours) = (std::time::Duration::ZERO, std::time::Duration::ZERO);
    for i in 0..rounds {
        let count = n / rounds + usize::from(i < n % rounds);
        t_bash += bash(count);
        t_ours += ours(count);
    }
    let ratio = t_ours.as_secs_f64() / t_bash.as_secs_f64();
    println!(
        "{n} Dummy monitors: bash {:.3}s ({:.2} ms/op)",
        t_bash.as_secs_f64(),
        t_bash.as_secs_f64() * 1e3 / n as f64
    );
    println!(
        "{n} Dummy monitors: crm-agents {:.3}s ({:.2} ms/op)",
        t_ours.as_secs_f64(),
        t_ours.as_secs_f64() * 1e3 / n as f64
    );
    println!("ratio crm-agents / bash = {ratio:.3} (goal < 1.2)");

    assert!(rt.block_on(ex.execute(&req("stop"))).is_success());
    let _ = std::fs::remove_dir_all(&dir);
}
