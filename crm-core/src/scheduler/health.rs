//! Node health: with a `node-health-strategy`, the `#health-*` node
//! attributes (`red`, `yellow`, `green` or a score) add up to a score that
//! every resource gets on that node, so unhealthy nodes are avoided or left.

use super::cluster::{Cluster, NodeId};
use super::score::Score;

/// The scores `red`, `yellow` and `green` stand for under the configured
/// strategy, or `None` when health is not considered.
fn colour_scores(cluster: &Cluster) -> Option<(Score, Score, Score)> {
    let o = &cluster.options;
    match o.node_health_strategy.to_ascii_lowercase().as_str() {
        "migrate-on-red" => Some((Score::NEG_INF, Score::ZERO, Score::ZERO)),
        "only-green" => Some((Score::NEG_INF, Score::NEG_INF, Score::ZERO)),
        "progressive" | "custom" => Some((o.node_health_red, o.node_health_yellow, o.node_health_green)),
        _ => None,
    }
}

/// The node's combined health score (its `#health-*` attributes summed).
fn node_score(cluster: &Cluster, n: NodeId, (red, yellow, green): (Score, Score, Score)) -> Score {
    let base = if cluster.options.node_health_strategy.eq_ignore_ascii_case("progressive") {
        cluster.options.node_health_base
    } else {
        Score::ZERO
    };
    cluster.node(n).attrs.iter().filter(|(k, _)| k.starts_with("#health")).fold(base, |sum, (_, v)| {
        let s = match v.to_ascii_lowercase().as_str() {
            "red" => red,
            "yellow" => yellow,
            "green" => green,
            other => Score::parse(other).unwrap_or(Score::ZERO),
        };
        sum.plus(s)
    })
}

/// Adds each node's health score to every top-level resource there (a
/// negative one spares resources with `allow-unhealthy-nodes=true`).
pub fn apply_node_health(cluster: &mut Cluster) {
    let Some(colours) = colour_scores(cluster) else { return };
    for n in cluster.node_ids().collect::<Vec<_>>() {
        let health = node_score(cluster, n, colours);
        if health == Score::ZERO {
            continue;
        }
        for r in cluster.top.clone() {
            let allows =
                cluster.rsc(r).meta.get("allow-unhealthy-nodes").is_some_and(|v| super::unpack::is_true(v));
            if health < Score::ZERO && allows {
                continue;
            }
            super::unpack::add_implicit_location(cluster, r, "node-health", vec![(n, health)]);
        }
    }
}
