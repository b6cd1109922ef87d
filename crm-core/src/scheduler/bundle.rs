//! Bundles: a container image run as `replicas` copies, each replica made of
//! an optional IP address, the container, and — when the bundle wraps a
//! primitive and has a usable network — a Pacemaker Remote connection into
//! the container (a guest node) and the primitive's instance on that node.
//! The replicas' resources are named as Pacemaker names them
//! (`<bundle>-ip-<addr>`, `<bundle>-<runtime>-<n>`, `<bundle>-<n>`), so their
//! history in the status section is found under those names.

use cib_schema as cs;

use super::cluster::{Cluster, RscId, Variant};
use super::variants::{assign_child, ResourceVariant};

/// What a `<bundle>` element says about its replicas.
#[derive(Debug, Clone)]
pub struct BundleSpec {
    pub id: String,
    /// `docker`, `podman` or `rkt`.
    pub runtime: String,
    pub image: String,
    pub replicas: usize,
    /// Replicas whose primitive may be promoted (`promoted-max`).
    pub promoted_max: usize,
    ip_range_start: Option<String>,
    control_port: Option<String>,
    pub child: Option<cs::Primitive>,
}

impl BundleSpec {
    pub fn of(b: &cs::Bundle) -> BundleSpec {
        let container = b.container();
        let attr = |n: &str| container.and_then(|c| c.attr(n)).map(str::to_string);
        let promoted_max =
            attr("promoted-max").or_else(|| attr("masters")).and_then(|v| v.parse::<usize>().ok());
        let replicas = attr("replicas")
            .and_then(|v| v.parse::<usize>().ok())
            .or(promoted_max.filter(|&m| m > 0))
            .unwrap_or(1);
        let network = b.unknown.children().iter().find(|c| c.name == "network");
        let net = |n: &str| network.and_then(|e| e.attr(n)).map(str::to_string);
        BundleSpec {
            id: b.id.clone(),
            runtime: container.map(|c| c.name.clone()).unwrap_or_else(|| "docker".into()),
            image: attr("image").unwrap_or_default(),
            replicas,
            promoted_max: promoted_max.unwrap_or(0),
            ip_range_start: net("ip-range-start"),
            control_port: net("control-port"),
            child: b.primitive.clone(),
        }
    }

    /// Whether each replica gets a guest node: only with a primitive to run
    /// there and a way to reach it (an address range or a control port).
    pub fn has_guests(&self) -> bool {
        self.child.is_some() && (self.ip_range_start.is_some() || self.control_port.is_some())
    }

    /// Replica `i`'s address: the range start plus `i` (IPv4).
    pub fn ip_of(&self, i: usize) -> Option<String> {
        let start = self.ip_range_start.as_deref()?;
        let addr: std::net::Ipv4Addr = start.parse().ok()?;
        let next = u32::from(addr).checked_add(u32::try_from(i).ok()?)?;
        Some(std::net::Ipv4Addr::from(next).to_string())
    }

    pub fn container_id(&self, i: usize) -> String {
        format!("{}-{}-{i}", self.id, self.runtime)
    }

    /// The guest node (and its connection resource) of replica `i`.
    pub fn guest_name(&self, i: usize) -> String {
        format!("{}-{i}", self.id)
    }

    pub fn ip_primitive(&self, addr: &str) -> cs::Primitive {
        let mut inst =
            cs::NvSet::new("instance_attributes", format!("{}-ip-{addr}-instance_attributes", self.id));
        inst.nvpairs.push(cs::NvPair::new("", "ip", addr));
        agent_primitive(&format!("{}-ip-{addr}", self.id), "heartbeat", "IPaddr2", vec![inst])
    }

    pub fn container_primitive(&self, i: usize) -> cs::Primitive {
        let mut inst =
            cs::NvSet::new("instance_attributes", format!("{}-instance_attributes", self.container_id(i)));
        inst.nvpairs.push(cs::NvPair::new("", "image", self.image.as_str()));
        agent_primitive(&self.container_id(i), "heartbeat", &self.runtime, vec![inst])
    }

    pub fn remote_primitive(&self, i: usize) -> cs::Primitive {
        let mut meta = cs::NvSet::new("meta_attributes", format!("{}-meta_attributes", self.guest_name(i)));
        meta.nvpairs.push(cs::NvPair::new("", "container", self.container_id(i).as_str()));
        let mut p = agent_primitive(&self.guest_name(i), "pacemaker", "remote", Vec::new());
        p.meta = vec![meta];
        p
    }
}

fn agent_primitive(id: &str, provider: &str, agent: &str, instance: Vec<cs::NvSet>) -> cs::Primitive {
    cs::Primitive {
        id: id.to_string(),
        class: Some("ocf".into()),
        provider: Some(provider.into()),
        agent: Some(agent.into()),
        instance,
        ..Default::default()
    }
}

/// One replica's resources in the working set.
#[derive(Debug, Clone, Default)]
pub struct Replica {
    pub ip: Option<RscId>,
    pub ip_addr: Option<String>,
    pub container: Option<RscId>,
    pub remote: Option<RscId>,
    pub child: Option<RscId>,
}

/// A bundle in the working set: its image and replicas.
#[derive(Debug, Clone, Default)]
pub struct BundleInfo {
    /// `docker`, `podman` or `rkt`.
    pub runtime: String,
    pub image: String,
    pub replicas: Vec<Replica>,
}

/// The replica of bundle `b` whose guest node is named `node`.
pub fn replica_on_guest(cluster: &Cluster, b: RscId, node: &str) -> Option<usize> {
    let info = cluster.rsc(b).bundle.as_ref()?;
    info.replicas.iter().position(|rep| rep.remote.is_some_and(|r| cluster.rsc(r).id == node))
}

/// Whether `r` is the wrapped primitive's instance in some replica.
pub fn is_replica_child(cluster: &Cluster, r: RscId) -> bool {
    bundle_of(cluster, r)
        .and_then(|b| cluster.rsc(b).bundle.as_ref())
        .is_some_and(|info| info.replicas.iter().any(|rep| rep.child == Some(r)))
}

/// The bundle a resource belongs to, if any.
pub fn bundle_of(cluster: &Cluster, r: RscId) -> Option<RscId> {
    let p = cluster.rsc(r).parent?;
    (cluster.rsc(p).variant == Variant::Bundle).then_some(p)
}

pub struct Bundle;

impl ResourceVariant for Bundle {
    /// Each replica's parts are placed in turn: address, container, connection,
    /// then the wrapped primitive.
    fn assign(&self, cluster: &mut Cluster, r: RscId, prefer: Option<super::cluster::NodeId>) {
        cluster.rsc_mut(r).allocating = true;
        let parts: Vec<RscId> = cluster.rsc(r).children.clone();
        for c in parts {
            assign_child(cluster, c, prefer);
        }
    }

    fn create_actions(&self, _cluster: &Cluster, _set: &mut super::actions::ActionSet, _r: RscId) {}

    fn internal_ordering(&self, _cluster: &Cluster, _set: &mut super::actions::ActionSet, _r: RscId) {}
}
