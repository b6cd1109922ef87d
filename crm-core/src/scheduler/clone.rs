//! The clone variant (and promotable clones). Instances, `clone-max`,
//! `clone-node-max`, promotion and notifications are the next step; for now a
//! clone's child is assigned as if it were the only instance, so that
//! configurations with clones still unpack and print.

use super::actions::ActionSet;
use super::cluster::*;
use super::variants::{assign_child, ResourceVariant};

pub struct Clone;

impl ResourceVariant for Clone {
    fn assign(&self, cluster: &mut Cluster, r: RscId) {
        for c in cluster.rsc(r).children.clone() {
            assign_child(cluster, c);
        }
    }

    fn create_actions(&self, _cluster: &Cluster, _set: &mut ActionSet, _r: RscId) {}

    fn internal_ordering(&self, _cluster: &Cluster, _set: &mut ActionSet, _r: RscId) {}
}
