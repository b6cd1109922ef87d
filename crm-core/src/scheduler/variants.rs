//! One trait for every resource variant: how it is assigned, which actions it
//! creates and how they are ordered internally. The pipeline never asks what kind
//! of resource it holds; it asks the variant.

use super::actions::{ActionSet, EdgeFlags};
use super::cluster::*;
use super::placement;

pub trait ResourceVariant: Sync {
    /// Chooses nodes (and roles) for `r` and its children.
    fn assign(&self, cluster: &mut Cluster, r: RscId, prefer: Option<NodeId>);
    /// Creates the actions `r` needs (not its children's).
    fn create_actions(&self, cluster: &Cluster, set: &mut ActionSet, r: RscId);
    /// Orders `r`'s actions with each other and with its children's.
    fn internal_ordering(&self, cluster: &Cluster, set: &mut ActionSet, r: RscId);
}

pub fn variant(v: Variant) -> &'static dyn ResourceVariant {
    match v {
        Variant::Primitive => &super::primitive::Primitive,
        Variant::Group => &super::group::Group,
        Variant::Clone => &super::clone::Clone,
        Variant::Bundle => &super::bundle::Bundle,
    }
}

/// Flags for `first` then `then` within one resource: a required `first`
/// requires `then`, and an unrunnable `first` makes `then` unrunnable.
pub const MANDATORY: EdgeFlags = EdgeFlags {
    ordered: true,
    implies_then: true,
    implies_first: false,
    runnable_left: true,
    ..EdgeFlags::ORDER
};

/// Assigns a child resource through the shared entry point (so loops are caught).
pub fn assign_child(cluster: &mut Cluster, child: RscId, prefer: Option<NodeId>) {
    placement::assign_with(cluster, child, prefer);
}
