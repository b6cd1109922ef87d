//! The group variant: members placed together and started in order, stopped in
//! reverse order. Pseudo-actions `start`/`running`/`stop`/`stopped` mark the
//! group's edges for constraints that name the group.

use super::actions::{ActionSet, EdgeFlags};
use super::cluster::*;
use super::placement;
use super::variants::{assign_child, ResourceVariant, MANDATORY};

pub struct Group;

impl ResourceVariant for Group {
    fn assign(&self, cluster: &mut Cluster, r: RscId) {
        // Constraints naming the group as dependent apply to every member.
        let cons: Vec<Colocation> =
            cluster.colocations.iter().filter(|c| c.dependent == r).cloned().collect();
        let members = cluster.rsc(r).children.clone();
        for c in &cons {
            placement::assign(cluster, c.primary);
            for &m in &members {
                let mut mc = c.clone();
                mc.dependent = m;
                placement::apply_colocation(cluster, &mc);
            }
        }
        for &m in &members {
            assign_child(cluster, m);
        }
        let first = members.first().and_then(|&m| cluster.rsc(m).assigned);
        let g = cluster.rsc_mut(r);
        g.assigned = first;
        g.next_role = if first.is_some() { Role::Started } else { Role::Stopped };
    }

    fn create_actions(&self, _cluster: &Cluster, set: &mut ActionSet, r: RscId) {
        for task in ["start", "running", "stop", "stopped"] {
            let mut a = ActionSet::new_action(Some(r), task, 0, None);
            a.pseudo = true;
            set.add(a);
        }
    }

    fn internal_ordering(&self, cluster: &Cluster, set: &mut ActionSet, r: RscId) {
        let members = cluster.rsc(r).children.clone();
        let pseudo = |set: &ActionSet, task: &str| set.find(r, task, None)[0];
        let (start, running, stop, stopped) =
            (pseudo(set, "start"), pseudo(set, "running"), pseudo(set, "stop"), pseudo(set, "stopped"));
        let ordered_first = EdgeFlags { ordered: true, implies_first: true, ..Default::default() };
        let ordered_then = EdgeFlags { ordered: true, implies_then: true, ..Default::default() };
        for &m in &members {
            for s in set.find(m, "start", None) {
                set.edge(start, s, EdgeFlags { runnable_left: true, ..ordered_first });
                set.edge(s, running, ordered_then);
            }
            for s in set.find(m, "stop", None) {
                set.edge(stop, s, ordered_first);
                set.edge(s, stopped, ordered_then);
            }
        }
        set.edge(stopped, start, EdgeFlags::ORDER);
        for w in members.windows(2) {
            for a in set.find(w[0], "start", None) {
                for b in set.find(w[1], "start", None) {
                    set.edge(a, b, MANDATORY);
                }
            }
            for b in set.find(w[1], "stop", None) {
                for a in set.find(w[0], "stop", None) {
                    set.edge(b, a, EdgeFlags { ordered: true, implies_first: true, ..Default::default() });
                }
            }
        }
    }
}
