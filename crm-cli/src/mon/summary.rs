//! The "Cluster Summary" header: stack, DC, times and counts.

use crm_core::scheduler::cluster::{Cluster, NodeKind, RscId, Variant};

use super::Status;

/// The header's facts, shared by the text and XML renderers.
pub struct Summary {
    pub stack: String,
    /// The DC's (name, id), when the CIB names a known node.
    pub dc: Option<(String, String)>,
    pub dc_version: Option<String>,
    pub with_quorum: bool,
    pub mixed_version: bool,
    pub last_written: Option<String>,
    pub user: Option<String>,
    pub client: Option<String>,
    pub origin: Option<String>,
    pub nodes: usize,
    pub instances: usize,
    pub disabled: usize,
    pub blocked: usize,
}

/// The value of the first `nvpair` called `name` anywhere in the configuration's
/// cluster properties (Pacemaker looks these up by XPath, ignoring set ids).
fn crm_config_value(st: &Status, name: &str) -> Option<String> {
    let cfg = st.cib.configuration.as_ref()?;
    cfg.crm_config
        .iter()
        .flat_map(|c| c.sets.iter())
        .flat_map(|s| s.nvpairs.iter())
        .find(|p| p.name.as_deref() == Some(name))
        .and_then(|p| p.value.clone())
}

/// The feature set a node reports; older nodes do not report one.
pub fn node_feature_set(cluster: &Cluster, n: usize) -> Option<String> {
    let node = &cluster.nodes[n];
    if !node.online || node.kind == NodeKind::Remote {
        return None;
    }
    Some(node.attrs.get("#feature-set").cloned().unwrap_or_else(|| "<3.15.1".into()))
}

fn is_mixed_version(cluster: &Cluster) -> bool {
    let sets: Vec<String> = (0..cluster.nodes.len()).filter_map(|n| node_feature_set(cluster, n)).collect();
    sets.windows(2).any(|w| w[0] != w[1])
}

/// Whether a resource's own target role keeps it (or its instance) down.
pub fn is_disabled(cluster: &Cluster, r: RscId) -> bool {
    let rsc = cluster.rsc(r);
    match rsc.meta.get("target-role").map(|s| s.to_ascii_lowercase()) {
        Some(t) if t == "stopped" => true,
        Some(t) if t == "slave" || t == "unpromoted" => cluster.rsc(cluster.top_of(r)).promotable,
        _ => false,
    }
}

impl Summary {
    pub fn new(st: &Status) -> Summary {
        let c = &st.cluster;
        let dc = st
            .cib
            .dc_uuid
            .as_deref()
            .and_then(|u| c.node_by_id(u))
            .map(|n| (c.node(n).name.clone(), c.node(n).id.clone()));
        let (mut instances, mut disabled, mut blocked) = (0, 0, 0);
        for (i, rsc) in c.resources.iter().enumerate() {
            // Inactive orphans are history only, not configured instances.
            if rsc.variant != Variant::Primitive || (rsc.orphan && rsc.running_on.is_empty()) {
                continue;
            }
            instances += 1;
            if is_disabled(c, RscId(i)) {
                disabled += 1;
            }
            if rsc.blocked {
                blocked += 1;
            }
        }
        Summary {
            stack: crm_config_value(st, "cluster-infrastructure").unwrap_or_else(|| "unknown".into()),
            dc,
            dc_version: crm_config_value(st, "dc-version"),
            with_quorum: st.cib.have_quorum.as_deref().is_some_and(is_true),
            mixed_version: is_mixed_version(c),
            last_written: st.cib.cib_last_written.clone(),
            user: st.cib.update_user.clone(),
            client: st.cib.update_client.clone(),
            origin: st.cib.update_origin.clone(),
            nodes: c.nodes.len(),
            instances,
            disabled,
            blocked,
        }
    }

    /// "TIME by USER via CLIENT on NODE", each part only if known.
    pub fn last_change(&self) -> String {
        let mut s = self.last_written.clone().unwrap_or_default();
        for (sep, v) in [(" by ", &self.user), (" via ", &self.client), (" on ", &self.origin)] {
            if let Some(v) = v {
                s.push_str(sep);
                s.push_str(v);
            }
        }
        s
    }
}

/// Pacemaker's boolean spellings.
pub fn is_true(v: &str) -> bool {
    matches!(v.to_ascii_lowercase().as_str(), "true" | "on" | "yes" | "y" | "1")
}
