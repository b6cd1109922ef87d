//! Cluster options (`crm_config`) with Pacemaker's defaults.

use std::collections::BTreeMap;

use super::rules::parse_interval_ms;
use super::score::Score;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoQuorumPolicy {
    Stop,
    Freeze,
    Ignore,
    Demote,
    Suicide,
}

#[derive(Debug, Clone)]
pub struct ClusterOptions {
    pub stonith_enabled: bool,
    /// Some resource provides or requires unfencing (`provides=unfencing` or
    /// `requires=unfencing` meta, or in `rsc_defaults`): nodes are unfenced
    /// before such resources probe or start there.
    pub unfencing_enabled: bool,
    pub stonith_action: String,
    pub symmetric_cluster: bool,
    pub no_quorum_policy: NoQuorumPolicy,
    pub stop_orphan_resources: bool,
    pub stop_orphan_actions: bool,
    pub start_failure_is_fatal: bool,
    pub maintenance_mode: bool,
    pub startup_fencing: bool,
    pub placement_strategy: String,
    pub default_stickiness: Score,
    pub shutdown_lock: bool,
    /// How long a shutdown lock holds, in seconds (0: until the node returns).
    pub shutdown_lock_limit_s: i64,
    pub node_health_strategy: String,
    pub node_health_red: Score,
    pub node_health_yellow: Score,
    pub node_health_green: Score,
    /// `node-health-base`: where the progressive strategy starts.
    pub node_health_base: Score,
    pub stop_all_resources: bool,
    pub concurrent_fencing: bool,
    pub priority_fencing_delay_ms: u64,
    pub raw: BTreeMap<String, String>,
}

fn truthy(v: &str) -> bool {
    matches!(v.to_ascii_lowercase().as_str(), "true" | "on" | "yes" | "y" | "1")
}

impl ClusterOptions {
    pub fn from_map(raw: BTreeMap<String, String>) -> Self {
        let get = |k: &str| raw.get(k).map(String::as_str);
        let flag = |k: &str, d: bool| get(k).map(truthy).unwrap_or(d);
        let score = |k: &str, d: Score| get(k).and_then(Score::parse).unwrap_or(d);
        ClusterOptions {
            stonith_enabled: flag("stonith-enabled", true),
            unfencing_enabled: false,
            stonith_action: get("stonith-action").unwrap_or("reboot").to_string(),
            symmetric_cluster: flag("symmetric-cluster", true),
            no_quorum_policy: match get("no-quorum-policy").unwrap_or("stop") {
                "freeze" => NoQuorumPolicy::Freeze,
                "ignore" => NoQuorumPolicy::Ignore,
                "demote" => NoQuorumPolicy::Demote,
                "suicide" => NoQuorumPolicy::Suicide,
                _ => NoQuorumPolicy::Stop,
            },
            stop_orphan_resources: flag("stop-orphan-resources", true),
            stop_orphan_actions: flag("stop-orphan-actions", true),
            start_failure_is_fatal: flag("start-failure-is-fatal", true),
            maintenance_mode: flag("maintenance-mode", false),
            startup_fencing: flag("startup-fencing", true),
            placement_strategy: get("placement-strategy").unwrap_or("default").to_string(),
            default_stickiness: score("default-resource-stickiness", Score::ZERO),
            shutdown_lock: flag("shutdown-lock", false),
            shutdown_lock_limit_s: get("shutdown-lock-limit")
                .and_then(parse_interval_ms)
                .map(|ms| (ms / 1000) as i64)
                .unwrap_or(0),
            node_health_strategy: get("node-health-strategy").unwrap_or("none").to_string(),
            node_health_red: score("node-health-red", Score::NEG_INF),
            node_health_yellow: score("node-health-yellow", Score::ZERO),
            node_health_green: score("node-health-green", Score::ZERO),
            node_health_base: score("node-health-base", Score::ZERO),
            stop_all_resources: flag("stop-all-resources", false),
            concurrent_fencing: flag("concurrent-fencing", false),
            priority_fencing_delay_ms: get("priority-fencing-delay").and_then(parse_interval_ms).unwrap_or(0),
            raw,
        }
    }
}
