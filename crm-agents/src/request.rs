//! What to run: the resource, its agent, the action and everything the agent
//! is told about it. Built by the caller (the daemon, from a transition's
//! action; a test; `crm_resource --force-*`).

use std::collections::BTreeMap;

use crate::spec::AgentSpec;

/// One operation on one resource.
#[derive(Debug, Clone)]
pub struct OpRequest {
    /// The resource's id as the executor knows it (`OCF_RESOURCE_INSTANCE`):
    /// for an anonymous clone the id without `:N`, for a unique clone with it.
    pub rsc_id: String,
    pub spec: AgentSpec,
    /// `start`, `stop`, `monitor`, `promote`, `demote`, `notify`, `meta-data`,
    /// `validate-all`, `reload`, `migrate_to`, ... (fence: `on`, `off`, `reboot`,
    /// `list`, `status`, `monitor`, `metadata`).
    pub action: String,
    pub interval_ms: u64,
    /// 0 means the executor's default.
    pub timeout_ms: u64,
    /// Instance attributes: `OCF_RESKEY_<name>` (fence agents: on standard input).
    pub params: BTreeMap<String, String>,
    /// Meta attributes: `OCF_RESKEY_CRM_meta_<name>` with `-` written `_`
    /// (`clone-max` -> `CRM_meta_clone_max`), as Pacemaker passes them.
    pub meta: BTreeMap<String, String>,
    /// `OCF_CHECK_LEVEL` for monitors (the op's `OCF_CHECK_LEVEL` attribute).
    pub check_level: Option<u32>,
    /// For `notify`: what is happening around the instance.
    pub notify: Option<Notify>,
    /// For fencing actions: the node to fence (`nodename`/`port` on stdin).
    pub target: Option<String>,
}

impl OpRequest {
    pub fn new(rsc_id: impl Into<String>, spec: AgentSpec, action: impl Into<String>) -> Self {
        OpRequest {
            rsc_id: rsc_id.into(),
            spec,
            action: action.into(),
            interval_ms: 0,
            timeout_ms: 0,
            params: BTreeMap::new(),
            meta: BTreeMap::new(),
            check_level: None,
            notify: None,
            target: None,
        }
    }

    pub fn interval_ms(mut self, ms: u64) -> Self {
        self.interval_ms = ms;
        self
    }

    pub fn timeout_ms(mut self, ms: u64) -> Self {
        self.timeout_ms = ms;
        self
    }

    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.insert(name.into(), value.into());
        self
    }

    pub fn meta(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.meta.insert(name.into(), value.into());
        self
    }

    pub fn check_level(mut self, level: u32) -> Self {
        self.check_level = Some(level);
        self
    }

    pub fn notify(mut self, n: Notify) -> Self {
        self.notify = Some(n);
        self
    }

    pub fn target(mut self, node: impl Into<String>) -> Self {
        self.target = Some(node.into());
        self
    }

    /// Clone meta for an instance of a clone (`clone`, `clone_max`, ...);
    /// `promoted_max` also sets the legacy `master_max` that older agents read.
    pub fn clone_meta(mut self, c: &CloneMeta) -> Self {
        let mut put = |k: &str, v: String| {
            self.meta.insert(k.to_string(), v);
        };
        put("clone", c.instance.to_string());
        put("clone_max", c.clone_max.to_string());
        put("clone_node_max", c.clone_node_max.to_string());
        put("globally_unique", c.globally_unique.to_string());
        if let Some(p) = c.promoted_max {
            put("promotable", "true".into());
            put("promoted_max", p.to_string());
            put("promoted_node_max", c.promoted_node_max.unwrap_or(1).to_string());
            put("master_max", p.to_string());
            put("master_node_max", c.promoted_node_max.unwrap_or(1).to_string());
        }
        if c.notify {
            put("notify", "true".into());
        }
        self
    }
}

/// Meta data of a clone instance.
#[derive(Debug, Clone, Default)]
pub struct CloneMeta {
    pub instance: u32,
    pub clone_max: u32,
    pub clone_node_max: u32,
    pub globally_unique: bool,
    /// Set for promotable clones.
    pub promoted_max: Option<u32>,
    pub promoted_node_max: Option<u32>,
    pub notify: bool,
}

/// `pre` or `post` the operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyType {
    Pre,
    Post,
}

/// A resource instance and the node it is on, one entry of a notify list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyEntry {
    pub resource: String,
    pub uname: String,
}

impl NotifyEntry {
    pub fn new(resource: impl Into<String>, uname: impl Into<String>) -> Self {
        NotifyEntry { resource: resource.into(), uname: uname.into() }
    }
}

/// The notification a clone instance receives around an operation of its peers.
#[derive(Debug, Clone)]
pub struct Notify {
    pub kind: NotifyType,
    /// `start`, `stop`, `promote` or `demote`.
    pub operation: String,
    pub start: Vec<NotifyEntry>,
    pub stop: Vec<NotifyEntry>,
    pub promote: Vec<NotifyEntry>,
    pub demote: Vec<NotifyEntry>,
    pub active: Vec<NotifyEntry>,
    pub inactive: Vec<NotifyEntry>,
    pub promoted: Vec<NotifyEntry>,
    pub unpromoted: Vec<NotifyEntry>,
    /// Nodes where the clone may run, and all cluster nodes.
    pub available_unames: Vec<String>,
    pub all_unames: Vec<String>,
}

impl Notify {
    pub fn new(kind: NotifyType, operation: impl Into<String>) -> Self {
        Notify {
            kind,
            operation: operation.into(),
            start: vec![],
            stop: vec![],
            promote: vec![],
            demote: vec![],
            active: vec![],
            inactive: vec![],
            promoted: vec![],
            unpromoted: vec![],
            available_unames: vec![],
            all_unames: vec![],
        }
    }

    /// The `CRM_meta_notify_*` pairs (without the `OCF_RESKEY_` prefix). Lists
    /// are space-separated, resources and unames in the same order. Pacemaker
    /// 2.1 sends both the new names (`promoted`, `unpromoted`) and the old ones
    /// (`master`, `slave`) that most agents still read.
    pub fn meta_pairs(&self) -> Vec<(String, String)> {
        let mut out = vec![
            (
                "notify_type".to_string(),
                if self.kind == NotifyType::Pre { "pre" } else { "post" }.to_string(),
            ),
            ("notify_operation".to_string(), self.operation.clone()),
        ];
        let lists: [(&[&str], &Vec<NotifyEntry>); 8] = [
            (&["start"], &self.start),
            (&["stop"], &self.stop),
            (&["promote"], &self.promote),
            (&["demote"], &self.demote),
            (&["active"], &self.active),
            (&["inactive"], &self.inactive),
            (&["promoted", "master"], &self.promoted),
            (&["unpromoted", "slave"], &self.unpromoted),
        ];
        for (names, list) in lists {
            let rscs = join(list.iter().map(|e| e.resource.as_str()));
            let unames = join(list.iter().map(|e| e.uname.as_str()));
            for n in names {
                out.push((format!("notify_{n}_resource"), rscs.clone()));
                // Inactive instances are on no node: Pacemaker sends no uname list.
                if *n != "inactive" {
                    out.push((format!("notify_{n}_uname"), unames.clone()));
                }
            }
        }
        out.push(("notify_available_uname".into(), join(self.available_unames.iter().map(String::as_str))));
        out.push(("notify_all_uname".into(), join(self.all_unames.iter().map(String::as_str))));
        out
    }
}

fn join<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<&str> = items.collect();
    // Pacemaker sends an empty list as a single space (see the scheduler
    // suite's graphs: `CRM_meta_notify_start_uname=" "`).
    if v.is_empty() {
        " ".to_string()
    } else {
        v.join(" ")
    }
}
