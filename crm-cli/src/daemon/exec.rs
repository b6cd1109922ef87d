//! Runs the node's agent calls on the executor and feeds the results back to
//! the main loop: a one-shot operation reports once; a recurring monitor runs
//! at once and then every interval, reporting each result (the node keeps
//! only changes) until it is cancelled.

use std::collections::BTreeMap;
use std::time::Duration;

use crm_agents::{Executor, OcfRc, OpRequest, OpResult};
use crm_core::node::CallId;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

use super::Input;

pub struct Calls {
    executor: Executor,
    running: BTreeMap<CallId, JoinHandle<()>>,
}

impl Calls {
    pub fn new(executor: Executor) -> Calls {
        Calls { executor, running: BTreeMap::new() }
    }

    pub fn executor(&self) -> &Executor {
        &self.executor
    }

    pub fn start(&mut self, call: CallId, req: OpRequest, inbox: UnboundedSender<Input>) {
        self.running.retain(|_, h| !h.is_finished());
        let executor = self.executor.clone();
        let handle = tokio::spawn(async move {
            let interval = Duration::from_millis(req.interval_ms);
            loop {
                let result = executor.execute(&req).await;
                log_result(&req, &result);
                let rc = result.rc.code();
                if inbox.send(Input::OpResult { call, rc }).is_err() || interval.is_zero() {
                    return;
                }
                tokio::time::sleep(interval).await;
            }
        });
        self.running.insert(call, handle);
    }

    /// Stops a recurring operation; one that is running is let finish (its
    /// result is ignored by the node), as Pacemaker lets in-flight ones finish.
    pub fn cancel(&mut self, call: CallId) {
        if let Some(h) = self.running.remove(&call) {
            h.abort();
        }
    }
}

fn log_result(req: &OpRequest, r: &OpResult) {
    let op = format!("{}_{}_{}", req.rsc_id, req.action, req.interval_ms);
    let expected = r.rc == OcfRc::Success
        || (req.action == "monitor" && matches!(r.rc, OcfRc::NotRunning | OcfRc::RunningPromoted));
    if expected && req.interval_ms > 0 {
        tracing::debug!(%op, rc = r.rc.code(), ms = r.exec_time_ms, "operation done");
    } else if expected {
        // One-shot operations at info: with the membership and transition
        // lines they show where a failover's time goes.
        tracing::info!(%op, rc = r.rc.code(), ms = r.exec_time_ms, "operation done");
    } else {
        tracing::info!(%op, rc = r.rc.code(), ms = r.exec_time_ms, reason = r.exit_reason.as_deref().unwrap_or(""), "operation result");
    }
}
