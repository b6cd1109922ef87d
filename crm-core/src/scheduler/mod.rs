//! The policy engine: a pure function of (CIB, now) to a transition.
//!
//! Stages, in the order data flows: [`unpack`] (options, nodes, resources,
//! constraints, history), scores and assignment ([`placement`], through each
//! resource's [`variants::ResourceVariant`]), actions ([`probes`], the variants'
//! `create_actions`, [`fencing`]), ordering ([`ordering`]) and output
//! ([`transition`], [`summary`]). Same input, same output: every collection is
//! ordered by document order or node name, never by hash.

pub mod actions;
pub mod bundle;
mod clone;
pub mod cluster;
mod constraints;
pub mod digest;
pub mod fencing;
mod group;
mod health;
mod history;
mod instance_order;
mod interleave;
mod load;
mod migration;
pub mod notify;
pub mod options;
pub mod ordering;
pub mod placement;
mod primitive;
pub mod probes;
mod promotable;
mod recurring;
mod remote;
pub mod rules;
pub mod score;
pub mod summary;
mod tickets;
pub mod transition;
pub mod unfencing;
pub mod unpack;
mod utilization;
pub mod variants;

use cib_schema::Cib;

pub use clone::instance_nodes as clone_nodes;
pub use cluster::Cluster;
pub use transition::Transition;

/// Computes the transition for `cib` at time `now` (seconds since the epoch).
pub fn schedule(cib: &Cib, now: i64) -> Transition {
    schedule_with(cib, now, false)
}

/// As [`schedule`]; with `show_scores` the transition's cluster keeps the
/// node scores each primitive was placed with (`Cluster::score_log`).
pub fn schedule_with(cib: &Cib, now: i64, show_scores: bool) -> Transition {
    let clock = StageClock::start();
    let cluster = unpack::unpack(cib, now);
    schedule_unpacked(cluster, show_scores, clock)
}

/// The stages after unpacking, for a caller that already holds the unpacked
/// cluster (and may have released the CIB's status meanwhile).
pub fn schedule_cluster(cluster: Cluster, show_scores: bool) -> Transition {
    schedule_unpacked(cluster, show_scores, StageClock::start())
}

fn schedule_unpacked(mut cluster: Cluster, show_scores: bool, mut clock: StageClock) -> Transition {
    clock.lap("unpack");
    if show_scores {
        cluster.score_log = Some(Vec::new());
    }
    tickets::apply_missing_tickets(&mut cluster);
    placement::apply_scores(&mut cluster);
    utilization::sort_for_assignment(&mut cluster);
    placement::assign_all(&mut cluster);
    interleave::inhibit_unpaired(&mut cluster);
    clock.lap("assign");

    let mut set = actions::ActionSet::default();
    let mut config_actions = actions::create_failcount_clears(&cluster, &mut set);
    recurring::create_history_actions(&cluster, &mut set);
    config_actions.extend(actions::create_config_change_actions(&cluster, &mut set));
    config_actions.extend(actions::create_config_change_clears(&cluster, &mut set));
    let probe_list = probes::create_probes(&cluster, &mut set);
    let all: Vec<cluster::RscId> = (0..cluster.resources.len()).map(cluster::RscId).collect();
    for &r in &all {
        variants::variant(cluster.rsc(r).variant).create_actions(&cluster, &mut set, r);
    }
    unfencing::create_unfencing(&cluster, &mut set, &probe_list);
    fencing::create_fencing(&cluster, &mut set);
    clock.lap("actions");
    for &r in &all {
        variants::variant(cluster.rsc(r).variant).internal_ordering(&cluster, &mut set, r);
    }
    probes::order_probes(&cluster, &mut set, &probe_list);
    actions::order_config_change_actions(&cluster, &mut set, &config_actions);
    ordering::apply_order_constraints(&cluster, &mut set);
    remote::order_remote_connection_actions(&cluster, &mut set);
    migration::order_migration_equivalents(&cluster, &mut set);
    ordering::apply_anti_colocation_orders(&cluster, &mut set);
    fencing::create_shutdowns(&cluster, &mut set);
    fencing::order_fencing_and_shutdowns(&cluster, &mut set);
    clock.lap("ordering");
    ordering::propagate(&cluster, &mut set);
    clock.lap("propagate");
    for &r in &all {
        migration::settle_migrations(&mut set, r);
    }
    for &r in &all {
        let rsc = cluster.rsc(r);
        if rsc.variant == cluster::Variant::Clone && rsc.notify {
            notify::create_notifications(&cluster, &mut set, r);
        }
    }
    if tracing::enabled!(tracing::Level::TRACE) {
        for (i, a) in set.actions.iter().enumerate() {
            tracing::trace!(
                "action {i}: {} {} on {:?} optional={} runnable={} pseudo={} reason={:?}",
                a.rsc.map(|r| cluster.rsc(r).id.as_str()).unwrap_or("-"),
                a.task,
                a.node.map(|n| cluster.node(n).name.as_str()),
                a.optional,
                a.runnable,
                a.pseudo,
                a.reason
            );
        }
        for e in &set.edges {
            tracing::trace!("edge {} -> {}: {:?}", e.first, e.then, e.flags);
        }
    }
    let transition = transition::build(cluster, set);
    clock.lap("transition");
    transition
}

/// Debug-level timing of the scheduler's stages.
pub(crate) struct StageClock(Option<std::time::Instant>);

impl StageClock {
    pub(crate) fn start() -> Self {
        StageClock(tracing::enabled!(tracing::Level::DEBUG).then(std::time::Instant::now))
    }

    pub(crate) fn lap(&mut self, stage: &str) {
        if let Some(t) = &mut self.0 {
            tracing::debug!("stage {stage}: {:?}", t.elapsed());
            *t = std::time::Instant::now();
        }
    }
}
