//! This node's own resource history, as its executor reported it. It is the
//! truth about what runs here: the replicated CIB may come from a partition that
//! never heard of our latest operations, so on every join we send this instead
//! of trusting the CIB's copy. Kept compact the way the status section is: per
//! resource the last one-shot operation and each recurring operation's last result.

use std::collections::BTreeMap;

use super::message::OpRecord;

/// Records carry the order they happened in: a start after a failed monitor
/// means running, the same two the other way round mean failed.
#[derive(Debug, Clone, Default)]
struct ResourceHistory {
    last: Option<(u64, OpRecord)>,
    recurring: BTreeMap<u64, (u64, OpRecord)>,
}

#[derive(Debug, Clone, Default)]
pub struct LocalHistory {
    resources: BTreeMap<String, ResourceHistory>,
    seq: u64,
}

impl LocalHistory {
    /// An operation began. Only a start is remembered as pending: it is the one
    /// whose resource may already be active while the result is still unknown.
    pub fn begin(&mut self, op: &OpRecord) {
        if op.task == "start" {
            self.seq += 1;
            let r = self.resources.entry(op.rsc.clone()).or_default();
            r.last = Some((self.seq, OpRecord { pending: true, ..op.clone() }));
        }
    }

    pub fn record(&mut self, op: &OpRecord) {
        self.seq += 1;
        let r = self.resources.entry(op.rsc.clone()).or_default();
        if op.interval_ms > 0 {
            r.recurring.insert(op.interval_ms, (self.seq, op.clone()));
        } else {
            if op.task == "stop" {
                r.recurring.clear();
            }
            r.last = Some((self.seq, op.clone()));
        }
    }

    /// `crm_resource --cleanup`: forget the failures of `rsc` (or of all), so
    /// the next join reports them unknown and the DC probes them.
    pub fn forget_failures(&mut self, rsc: Option<&str>) {
        let failed =
            |op: &OpRecord| !op.pending && !super::cib_replica::succeeded(&op.task, op.interval_ms, op.rc);
        self.resources.retain(|id, r| {
            let selected = rsc.is_none_or(|x| x == id);
            !(selected && r.last.iter().chain(r.recurring.values()).any(|(_, op)| failed(op)))
        });
    }

    /// Every record, in the order they happened.
    pub fn ops(&self) -> Vec<OpRecord> {
        let mut all: Vec<&(u64, OpRecord)> =
            self.resources.values().flat_map(|r| r.last.iter().chain(r.recurring.values())).collect();
        all.sort_by_key(|(seq, _)| *seq);
        all.into_iter().map(|(_, op)| op.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(task: &str, interval_ms: u64, rc: i32) -> OpRecord {
        OpRecord { rsc: "db".into(), task: task.into(), interval_ms, rc, pending: false }
    }

    #[test]
    fn a_stop_ends_recurring_monitors_and_a_start_is_pending_until_done() {
        let mut h = LocalHistory::default();
        h.begin(&op("start", 0, 0));
        assert!(h.ops()[0].pending);
        h.record(&op("start", 0, 0));
        h.record(&op("monitor", 10_000, 0));
        assert_eq!(h.ops(), vec![op("start", 0, 0), op("monitor", 10_000, 0)]);
        h.record(&op("stop", 0, 0));
        assert_eq!(h.ops(), vec![op("stop", 0, 0)]);
    }

    #[test]
    fn records_keep_the_order_they_happened_in() {
        let mut h = LocalHistory::default();
        h.record(&op("start", 0, 0));
        h.record(&op("monitor", 10_000, 7));
        h.record(&op("start", 0, 0));
        assert_eq!(h.ops(), vec![op("monitor", 10_000, 7), op("start", 0, 0)]);
    }
}
