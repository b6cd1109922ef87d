//! Fencing a node through the configured stonith devices, one after the
//! other until one succeeds, as Pacemaker's fencer does for a single level.
//! `pcmk_delay_base` / `pcmk_delay_max` delay the action (a random part up to
//! the maximum) so that two nodes that lost each other do not shoot at once;
//! `pcmk_*` parameters are the fencer's and are not passed to the agent.
//! `priority-fencing-delay` delays fencing the node that runs the most
//! important resources, so that in a split it is the one that survives.

use std::time::Duration;

use cib_schema::Cib;
use crm_agents::{AgentSpec, Class, Executor, OpRequest};
use crm_core::scheduler::rules::parse_interval_ms;

/// The stonith devices of the configuration: id, agent, parameters.
pub fn devices(cib: &Cib) -> Vec<OpRequest> {
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

fn device_delay(req: &OpRequest) -> Duration {
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

/// `priority-fencing-delay` if `target` runs resources of a strictly higher
/// total priority than any other node (a promoted instance counts one more),
/// as Pacemaker weighs them; nothing otherwise.
pub fn priority_delay(cib: &Cib, target: &str, now_s: i64) -> Duration {
    let t = crm_core::scheduler::schedule(cib, now_s);
    let c = &t.cluster;
    let delay = c.options.priority_fencing_delay_ms;
    if delay == 0 {
        return Duration::ZERO;
    }
    let mut by_node = vec![0i64; c.nodes.len()];
    for r in c.resources.iter().filter(|r| r.children.is_empty()) {
        let bonus = i64::from(r.role == crm_core::scheduler::cluster::Role::Promoted);
        for n in &r.running_on {
            by_node[n.0] += r.priority + bonus;
        }
    }
    let Some(t) = c.node_by_name(target) else { return Duration::ZERO };
    let highest = by_node.iter().enumerate().all(|(i, &p)| i == t.0 || p < by_node[t.0]);
    if highest {
        Duration::from_millis(delay)
    } else {
        Duration::ZERO
    }
}

/// Fences `target` after `delay`; true once a device reports success.
pub async fn fence(executor: Executor, cib: Cib, target: String, delay: Duration) -> bool {
    if !delay.is_zero() {
        tracing::info!(%target, ms = delay.as_millis() as u64, "priority-fencing-delay: it runs the most important resources");
        tokio::time::sleep(delay).await;
    }
    for mut req in devices(&cib) {
        let wait = device_delay(&req);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_node_with_the_important_resources_is_fenced_last() {
        let mut cib = cib_schema::parse(
            r#"<cib><configuration><crm_config><cluster_property_set id="o">
<nvpair id="o1" name="priority-fencing-delay" value="15s"/><nvpair id="o2" name="stonith-enabled" value="false"/>
</cluster_property_set></crm_config><nodes><node id="1" uname="n1"/><node id="2" uname="n2"/></nodes>
<resources><primitive id="db" class="ocf" provider="pacemaker" type="Dummy"><meta_attributes id="m"><nvpair id="m1" name="priority" value="10"/></meta_attributes></primitive>
<primitive id="web" class="ocf" provider="pacemaker" type="Dummy"/></resources><constraints/></configuration><status/></cib>"#,
        )
        .unwrap();
        for n in ["n1", "n2"] {
            crm_core::inject::node_up(&mut cib, n);
        }
        crm_core::inject::record_op(&mut cib, "n1", "db", "start", 0, 0, 1, 100);
        crm_core::inject::record_op(&mut cib, "n2", "web", "start", 0, 0, 2, 100);
        assert_eq!(priority_delay(&cib, "n1", 200), Duration::from_secs(15));
        assert_eq!(priority_delay(&cib, "n2", 200), Duration::ZERO);
    }
}
