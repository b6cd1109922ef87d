//! `crm_resource --wait`: the cluster has settled when the scheduler, run on
//! the current CIB, has nothing real left to do (Pacemaker's definition: no
//! required, runnable action that is not a pseudo-action). The CIB is read
//! again every half second, so a running transition is seen to finish.

use std::time::{Duration, Instant};

use anyhow::Result;
use cib_schema::Cib;

use crate::cibio::CibSource;

/// How often the CIB is read again while waiting.
pub const POLL: Duration = Duration::from_millis(500);
/// Pacemaker's default when no `--timeout` is given: an hour.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3600);

/// The actions the cluster would still carry out for `cib` at `now`, as
/// `rsc_task_interval on node` (empty: settled).
pub fn pending_actions(cib: &Cib, now: i64) -> Vec<String> {
    let t = crm_core::scheduler::schedule(cib, now);
    t.synapses
        .iter()
        .map(|&n| &t.actions.actions[t.graph[n]])
        .filter(|a| !a.pseudo)
        .map(|a| {
            let node = a.node.map(|n| t.cluster.node(n).name.as_str()).unwrap_or("");
            let what = match a.rsc {
                Some(r) => a.key(t.cluster.rsc(r).name_on(a.node)),
                None => a.task.clone(),
            };
            if node.is_empty() {
                what
            } else {
                format!("{what} on {node}")
            }
        })
        .collect()
}

/// Waits until [`pending_actions`] is empty; `Ok(Err(pending))` when `timeout`
/// ran out first, with what was still pending at the last look.
pub fn wait(source: &CibSource, timeout: Duration) -> Result<Result<(), Vec<String>>> {
    let deadline = Instant::now() + timeout;
    loop {
        let pending = pending_actions(&source.read()?, crate::mon::timefmt::now());
        if pending.is_empty() {
            return Ok(Ok(()));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(Err(pending));
        }
        std::thread::sleep(POLL.min(left));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STOPPED: &str = r#"<cib admin_epoch="0" epoch="1" num_updates="0" have-quorum="1" dc-uuid="1">
  <configuration>
    <crm_config><cluster_property_set id="o"><nvpair id="o-s" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
    <nodes><node id="1" uname="n1"/></nodes>
    <resources><primitive id="d" class="ocf" provider="pacemaker" type="Dummy"/></resources>
    <constraints/>
  </configuration>
  <status><node_state id="1" uname="n1" in_ccm="true" crmd="online" join="member" expected="member"/></status>
</cib>"#;

    #[test]
    fn unstarted_resource_is_pending_and_no_resources_is_settled() {
        let cib = cib_schema::parse(STOPPED).unwrap();
        let pending = pending_actions(&cib, 0);
        assert!(pending.iter().any(|a| a == "d_start_0 on n1"), "{pending:?}");
        let mut empty = cib.clone();
        empty.configuration_mut().resources = None;
        assert_eq!(pending_actions(&empty, 0), Vec::<String>::new());
    }
}
