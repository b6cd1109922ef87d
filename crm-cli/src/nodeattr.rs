//! Node attributes and cluster options in a CIB, as `crm_attribute` and
//! `crm_master` read and write them. Behaviour follows Pacemaker 2.1's tools run
//! against a `CIB_file` (compared side by side in `tests/agents_tools.rs`):
//! where an attribute lives, the ids it gets, what is printed, and that only a
//! real change bumps the CIB version.

use cib_schema::{Cib, NvPair, NvSet, TransientAttributes};

use crate::toolerror::ToolError;

/// Where an attribute lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Transient node attribute (`-l reboot`): status/node_state/transient_attributes.
    Status,
    /// Permanent node attribute (`-l forever`): configuration/nodes/node.
    Nodes,
    /// Cluster option (`--type crm_config`).
    CrmConfig,
    RscDefaults,
    OpDefaults,
}

impl Scope {
    /// The name Pacemaker prints (`scope=status`, `Deleted nodes attribute`).
    pub fn name(self) -> &'static str {
        match self {
            Scope::Status => "status",
            Scope::Nodes => "nodes",
            Scope::CrmConfig => "crm_config",
            Scope::RscDefaults => "rsc_defaults",
            Scope::OpDefaults => "op_defaults",
        }
    }

    pub fn is_node(self) -> bool {
        matches!(self, Scope::Status | Scope::Nodes)
    }

    /// Status changes are not configuration changes: they bump `num_updates`,
    /// the rest bump `epoch`.
    fn is_config(self) -> bool {
        self != Scope::Status
    }

    fn set_tag(self) -> &'static str {
        match self {
            Scope::Status | Scope::Nodes => "instance_attributes",
            Scope::CrmConfig => "cluster_property_set",
            Scope::RscDefaults | Scope::OpDefaults => "meta_attributes",
        }
    }

    /// The set a new attribute goes into when none is named.
    fn default_set_id(self, node_id: Option<&str>) -> String {
        let n = node_id.unwrap_or("");
        match self {
            Scope::Status => format!("status-{n}"),
            Scope::Nodes => format!("nodes-{n}"),
            Scope::CrmConfig => "cib-bootstrap-options".into(),
            Scope::RscDefaults => "rsc-options".into(),
            Scope::OpDefaults => "op-options".into(),
        }
    }
}

/// Which attribute: the scope, the node (for node scopes, by id), and
/// optionally the set and nvpair ids.
#[derive(Debug, Clone)]
pub struct Target {
    pub scope: Scope,
    pub node_id: Option<String>,
    pub set_id: Option<String>,
    pub attr_id: Option<String>,
}

/// The promotion score's attribute name for a resource instance. Like
/// Pacemaker's tools, the instance name is taken as given: the executor passes
/// anonymous clone instances without their `:N` suffix already.
pub fn promotion_attr_name(rsc: &str) -> String {
    format!("master-{rsc}")
}

/// The name of the node we run on. Agents run by the executor get
/// `OCF_RESKEY_CRM_meta_on_node` (as Pacemaker's controller passes it); else the
/// host name, which is what Pacemaker's tools fall back to without a cluster.
pub fn local_node_name() -> String {
    if let Some(n) = std::env::var("OCF_RESKEY_CRM_meta_on_node").ok().filter(|n| !n.is_empty()) {
        return n;
    }
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// A node's id from its name: configured nodes first, then the status section.
pub fn node_id(cib: &Cib, uname: &str) -> Option<String> {
    let configured = cib
        .configuration
        .as_ref()
        .and_then(|c| c.nodes.as_ref())
        .and_then(|n| n.nodes.iter().find(|n| n.uname.as_deref() == Some(uname)))
        .map(|n| n.id.clone());
    configured.or_else(|| {
        cib.status
            .as_ref()
            .and_then(|s| s.nodes.iter().find(|n| n.uname.as_deref() == Some(uname)))
            .and_then(|n| n.id.clone())
    })
}

/// Resolves `uname` or fails like Pacemaker (`Could not map name=X to a UUID`).
pub fn require_node_id(cib: &Cib, uname: &str) -> Result<String, ToolError> {
    node_id(cib, uname).ok_or_else(|| ToolError::no_such(format!("Could not map name={uname} to a UUID")))
}

fn enxio() -> ToolError {
    ToolError::no_such("Error performing operation: No such device or address")
}

/// The sets of the target's scope, if the containers exist.
fn sets<'a>(cib: &'a Cib, t: &Target) -> Vec<&'a NvSet> {
    let conf = cib.configuration.as_ref();
    let all: Vec<&NvSet> = match t.scope {
        Scope::Status => cib
            .status
            .as_ref()
            .and_then(|s| s.nodes.iter().find(|n| n.id.as_deref() == t.node_id.as_deref()))
            .and_then(|n| n.transient.as_ref())
            .map(|ta| ta.sets.iter().collect())
            .unwrap_or_default(),
        Scope::Nodes => conf
            .and_then(|c| c.nodes.as_ref())
            .and_then(|n| n.nodes.iter().find(|n| Some(n.id.as_str()) == t.node_id.as_deref()))
            .map(|n| n.instance.iter().collect())
            .unwrap_or_default(),
        Scope::CrmConfig => {
            conf.and_then(|c| c.crm_config.as_ref()).map(|c| c.sets.iter().collect()).unwrap_or_default()
        }
        Scope::RscDefaults => {
            conf.and_then(|c| c.rsc_defaults.as_ref()).map(|c| c.sets.iter().collect()).unwrap_or_default()
        }
        Scope::OpDefaults => {
            conf.and_then(|c| c.op_defaults.as_ref()).map(|c| c.sets.iter().collect()).unwrap_or_default()
        }
    };
    all.into_iter().filter(|s| t.set_id.is_none() || s.id == t.set_id).collect()
}

/// The scope's sets, creating the containers on the way. Fails with ENXIO for
/// a transient attribute of a node that has no status entry (Pacemaker does).
fn sets_mut<'a>(cib: &'a mut Cib, t: &Target) -> Result<&'a mut Vec<NvSet>, ToolError> {
    let node_id = t.node_id.clone();
    Ok(match t.scope {
        Scope::Status => {
            let ns = cib.status_mut().nodes.iter_mut().find(|n| n.id == node_id).ok_or_else(enxio)?;
            &mut ns
                .transient
                .get_or_insert_with(|| TransientAttributes { id: node_id.clone(), ..Default::default() })
                .sets
        }
        Scope::Nodes => {
            let nodes = cib.configuration_mut().nodes.get_or_insert_with(Default::default);
            let node = nodes
                .nodes
                .iter_mut()
                .find(|n| Some(n.id.as_str()) == node_id.as_deref())
                .ok_or_else(enxio)?;
            &mut node.instance
        }
        Scope::CrmConfig => &mut cib.configuration_mut().crm_config.get_or_insert_with(Default::default).sets,
        Scope::RscDefaults => {
            &mut cib.configuration_mut().rsc_defaults.get_or_insert_with(Default::default).sets
        }
        Scope::OpDefaults => {
            &mut cib.configuration_mut().op_defaults.get_or_insert_with(Default::default).sets
        }
    })
}

/// An attribute found: its nvpair id and value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub id: String,
    pub value: String,
}

/// The attribute's value, if set (the last match wins, as in Pacemaker).
pub fn get(cib: &Cib, t: &Target, name: &str) -> Option<Found> {
    sets(cib, t)
        .into_iter()
        .flat_map(|s| s.nvpairs.iter())
        .rfind(|p| p.name.as_deref() == Some(name) && (t.attr_id.is_none() || p.id == t.attr_id))
        .map(|p| Found { id: p.id.clone().unwrap_or_default(), value: p.value.clone().unwrap_or_default() })
}

/// An XML id from free text: Pacemaker replaces what an id may not contain
/// (`master-st:0` -> `master-st.0`).
pub fn sanitize_id(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '.' })
        .collect()
}

/// Sets `name=value`. Returns whether the CIB changed (same value: no change,
/// no version bump).
pub fn set(cib: &mut Cib, t: &Target, name: &str, value: &str) -> Result<bool, ToolError> {
    let scope = t.scope;
    let default_set = t.set_id.clone().unwrap_or_else(|| scope.default_set_id(t.node_id.as_deref()));
    let all = sets_mut(cib, t)?;
    let existing = all
        .iter_mut()
        .filter(|s| t.set_id.is_none() || s.id == t.set_id)
        .flat_map(|s| s.nvpairs.iter_mut())
        .rfind(|p| p.name.as_deref() == Some(name) && (t.attr_id.is_none() || p.id == t.attr_id));
    let changed = match existing {
        Some(p) if p.value.as_deref() == Some(value) => false,
        Some(p) => {
            p.value = Some(value.to_string());
            true
        }
        None => {
            let set = match all.iter().position(|s| s.id.as_deref() == Some(default_set.as_str())) {
                Some(i) => &mut all[i],
                None => {
                    all.push(NvSet::new(scope.set_tag(), default_set.clone()));
                    all.last_mut().expect("just pushed")
                }
            };
            let id = t.attr_id.clone().unwrap_or_else(|| sanitize_id(&format!("{default_set}-{name}")));
            set.nvpairs.push(NvPair::new(id, name, value));
            true
        }
    };
    if changed {
        bump_version(cib, scope);
    }
    Ok(changed)
}

/// Deletes every match of `name`; returns the deleted nvpairs' ids (empty:
/// nothing was there, which is not an error).
pub fn delete(cib: &mut Cib, t: &Target, name: &str) -> Result<Vec<String>, ToolError> {
    if sets(cib, t).is_empty() {
        return Ok(vec![]);
    }
    let mut deleted = Vec::new();
    for s in sets_mut(cib, t)?.iter_mut().filter(|s| t.set_id.is_none() || s.id == t.set_id) {
        s.nvpairs.retain(|p| {
            let hit = p.name.as_deref() == Some(name) && (t.attr_id.is_none() || p.id == t.attr_id);
            if hit {
                deleted.push(p.id.clone().unwrap_or_default());
            }
            !hit
        });
    }
    if !deleted.is_empty() {
        bump_version(cib, t.scope);
    }
    Ok(deleted)
}

fn bump_version(cib: &mut Cib, scope: Scope) {
    let (admin, epoch, updates) = cib.version();
    cib.set_version(if scope.is_config() { (admin, epoch + 1, 0) } else { (admin, epoch, updates + 1) });
}

#[cfg(test)]
mod tests {
    use super::*;

    const CIB: &str = r#"<cib epoch="1" num_updates="0" admin_epoch="0">
  <configuration><crm_config/><nodes><node id="1" uname="node1"/></nodes><resources/><constraints/></configuration>
  <status><node_state id="1" uname="node1"/></status>
</cib>"#;

    fn target(scope: Scope) -> Target {
        Target { scope, node_id: Some("1".into()), set_id: None, attr_id: None }
    }

    #[test]
    fn transient_promotion_score_like_pacemaker() {
        let mut cib = cib_schema::parse(CIB).unwrap();
        let t = target(Scope::Status);
        assert!(set(&mut cib, &t, &promotion_attr_name("st:0"), "10").unwrap());
        assert!(!set(&mut cib, &t, "master-st:0", "10").unwrap(), "same value is no change");
        let xml = cib_schema::to_xml(&cib);
        assert!(xml.contains(r#"<transient_attributes id="1">"#), "{xml}");
        assert!(xml.contains(r#"<instance_attributes id="status-1">"#), "{xml}");
        assert!(
            xml.contains(r#"<nvpair id="status-1-master-st.0" name="master-st:0" value="10"/>"#),
            "{xml}"
        );
        assert_eq!(cib.version(), (0, 1, 1));
        assert_eq!(get(&cib, &t, "master-st:0").unwrap().value, "10");
        assert_eq!(delete(&mut cib, &t, "master-st:0").unwrap(), vec!["status-1-master-st.0".to_string()]);
        assert!(get(&cib, &t, "master-st:0").is_none());
    }

    #[test]
    fn permanent_and_cluster_options_bump_epoch() {
        let mut cib = cib_schema::parse(CIB).unwrap();
        set(&mut cib, &target(Scope::Nodes), "site", "a").unwrap();
        let mut t = target(Scope::CrmConfig);
        t.set_id = Some("mysql_replication".into());
        set(&mut cib, &t, "x_REPL_INFO", "h|f|p").unwrap();
        let xml = cib_schema::to_xml(&cib);
        assert!(xml.contains(r#"<nvpair id="nodes-1-site" name="site" value="a"/>"#), "{xml}");
        assert!(xml.contains(r#"<cluster_property_set id="mysql_replication">"#), "{xml}");
        assert_eq!(cib.version(), (0, 3, 0));
    }

    #[test]
    fn transient_attribute_of_a_node_without_status_fails() {
        let mut cib = cib_schema::parse(CIB).unwrap();
        let t = Target { node_id: Some("2".into()), ..target(Scope::Status) };
        assert_eq!(set(&mut cib, &t, "a", "b").unwrap_err().code, crate::toolerror::ExitCode::NoSuch);
    }
}
