//! Fencing a node through the configured stonith devices, one after the
//! other until one succeeds, as Pacemaker's fencer does for a single level.
//! `pcmk_delay_base` / `pcmk_delay_max` delay the action (a random part up to
//! the maximum) so that two nodes that lost each other do not shoot at once;
//! `pcmk_*` parameters are the fencer's and are not passed to the agent.

use std::time::Duration;

use cib_schema::Cib;
use crm_agents::{AgentSpec, Class, Executor, OpRequest};
use crm_core::scheduler::rules::parse_interval_ms;

/// The stonith devices of the configuration: id, agent, parameters.
fn devices(cib: &Cib) -> Vec<OpRequest> {
    let mut out = Vec::new();
    let items = cib.configuration.iter().flat_map(|c| c.resources.iter()).flat_map(|r| r.items.iter());
    for r in items {
        let cib_schema::Resource::Primitive(p) = r else { continue };
        if p.class.as_deref() != Some("stonith") {
            continue;
        }
        let Ok(spec) = AgentSpec::new(Class::Stonith, None, p.agent.as_deref().unwrap_or("")) else {
            continue;
        };
        let mut req = OpRequest::new(p.id.clone(), spec, "reboot");
        for set in &p.instance {
            for nv in &set.nvpairs {
                if let Some(n) = &nv.name {
                    req.params.insert(n.clone(), nv.value.clone().unwrap_or_default());
                }
            }
        }
        out.push(req);
    }
    out
}

fn delay(req: &OpRequest) -> Duration {
    let ms = |k: &str| req.params.get(k).and_then(|v| parse_interval_ms(v)).unwrap_or(0);
    let (base, max) = (ms("pcmk_delay_base"), ms("pcmk_delay_max"));
    let spread = max.saturating_sub(base);
    let random = if spread == 0 {
        0
    } else {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        (nanos.subsec_nanos() as u64 ^ std::process::id() as u64) % spread
    };
    Duration::from_millis(base + random)
}

/// Fences `target`; true once a device reports success.
pub async fn fence(executor: Executor, cib: Cib, target: String) -> bool {
    for mut req in devices(&cib) {
        let wait = delay(&req);
        req.params.retain(|k, _| !k.starts_with("pcmk_"));
        let req = req.target(target.clone());
        if !wait.is_zero() {
            tracing::info!(%target, device = %req.rsc_id, ms = wait.as_millis() as u64, "delaying fencing");
            tokio::time::sleep(wait).await;
        }
        let r = executor.execute(&req).await;
        if r.is_success() {
            tracing::warn!(%target, device = %req.rsc_id, "node fenced");
            return true;
        }
        tracing::error!(%target, device = %req.rsc_id, result = %r, "fencing failed");
    }
    false
}
