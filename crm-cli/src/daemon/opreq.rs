//! The executor request for one of the node's agent calls: the agent and its
//! parameters come with the call; the operation's timeout and, for clone
//! instances, the clone's meta attributes (`OCF_RESKEY_CRM_meta_clone_max`,
//! ...) are looked up in the CIB as Pacemaker's controller passes them.

use cib_schema as cs;
use cib_schema::Cib;
use crm_agents::{AgentSpec, CloneMeta, OpRequest};
use crm_core::node::AgentCall;
use crm_core::scheduler::rules::parse_interval_ms;

pub fn op_request(cib: &Cib, call: &AgentCall) -> Result<OpRequest, String> {
    let class = call.class.parse().map_err(|e| format!("resource {}: {e}", call.rsc))?;
    let spec = AgentSpec::new(class, call.provider.as_deref(), &call.agent)
        .map_err(|e| format!("resource {}: {e}", call.rsc))?;
    let mut req = OpRequest::new(call.rsc.clone(), spec, call.task.clone()).interval_ms(call.interval_ms);
    req.params = call.params.clone();
    let resources = cib.configuration.as_ref().and_then(|c| c.resources.as_ref());
    let top = resources.and_then(|rs| rs.items.iter().find(|r| r.find_primitive(&call.rsc).is_some()));
    if let Some(p) = top.and_then(|t| t.find_primitive(&call.rsc)) {
        if let Some(t) = op_timeout_ms(p, &call.task, call.interval_ms) {
            req = req.timeout_ms(t);
        }
    }
    if let Some(meta) = top.and_then(|t| clone_meta(cib, t)) {
        req = req.clone_meta(&meta);
    }
    Ok(req)
}

/// The `timeout` of the configured operation (name and interval match).
fn op_timeout_ms(p: &cs::Primitive, task: &str, interval_ms: u64) -> Option<u64> {
    let ops = p.operations.as_ref()?;
    ops.ops
        .iter()
        .filter(|o| o.name == task)
        .find(|o| o.interval.as_deref().and_then(parse_interval_ms).unwrap_or(0) == interval_ms)
        .and_then(|o| o.timeout.as_deref())
        .and_then(parse_interval_ms)
}

fn clone_meta(cib: &Cib, top: &cs::Resource) -> Option<CloneMeta> {
    let (meta, legacy_master) = match top {
        cs::Resource::Clone(c) => (&c.meta, false),
        cs::Resource::Master(m) => (&m.meta, true),
        _ => return None,
    };
    let get = |name: &str| meta.iter().find_map(|s| s.get(name)).map(str::to_string);
    let truthy = |v: Option<String>| {
        v.is_some_and(|v| matches!(v.to_lowercase().as_str(), "true" | "yes" | "1" | "on"))
    };
    let num =
        |names: &[&str], default: u32| names.iter().find_map(|n| get(n)?.parse().ok()).unwrap_or(default);
    let nodes = crm_core::node::cib_replica::configured_nodes(cib).len() as u32;
    let promotable = legacy_master || truthy(get("promotable"));
    Some(CloneMeta {
        instance: 0,
        clone_max: num(&["clone-max"], nodes.max(1)),
        clone_node_max: num(&["clone-node-max"], 1),
        globally_unique: truthy(get("globally-unique")),
        promoted_max: promotable.then(|| num(&["promoted-max", "master-max"], 1)),
        promoted_node_max: promotable.then(|| num(&["promoted-node-max", "master-node-max"], 1)),
        notify: truthy(get("notify")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_and_clone_meta_come_from_the_configuration() {
        let cib = cs::parse(
            r#"<cib><configuration><crm_config/><nodes><node id="1" uname="a"/><node id="2" uname="b"/><node id="3" uname="c"/></nodes>
<resources><clone id="ms"><meta_attributes id="m"><nvpair id="m1" name="promotable" value="true"/><nvpair id="m2" name="clone-max" value="2"/></meta_attributes>
<primitive id="p" class="ocf" provider="pacemaker" type="Stateful"><operations><op id="o1" name="monitor" interval="29s" timeout="20s" role="Promoted"/><op id="o2" name="start" interval="0" timeout="1m"/></operations></primitive></clone></resources>
<constraints/></configuration><status/></cib>"#,
        )
        .unwrap();
        let call = |task: &str, interval_ms| AgentCall {
            call: crm_core::node::CallId(1),
            rsc: "p".into(),
            class: "ocf".into(),
            provider: Some("pacemaker".into()),
            agent: "Stateful".into(),
            params: Default::default(),
            task: task.into(),
            interval_ms,
        };
        let r = op_request(&cib, &call("start", 0)).unwrap();
        assert_eq!(r.timeout_ms, 60_000);
        assert_eq!(r.meta.get("clone_max").map(String::as_str), Some("2"));
        assert_eq!(r.meta.get("promoted_max").map(String::as_str), Some("1"));
        assert_eq!(op_request(&cib, &call("monitor", 29_000)).unwrap().timeout_ms, 20_000);
        let bad = AgentCall { class: "nope".into(), ..call("start", 0) };
        assert!(op_request(&cib, &bad).unwrap_err().contains("resource p"));
    }
}
