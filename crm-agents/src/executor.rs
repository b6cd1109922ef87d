//! The executor: queues an operation for a free slot, has its class prepare
//! the invocation, runs it and translates the outcome into an [`OpResult`].
//! Meta-data is fetched through the same path and cached per agent.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::class::{self, Prepared};
use crate::config::ExecutorConfig;
use crate::error::AgentError;
use crate::metadata::AgentMetadata;
use crate::process::{self, Limits};
use crate::request::OpRequest;
use crate::result::{exit_reason_from, ExecStatus, OcfRc, OpResult, ProcessEnd};
use crate::spec::{AgentSpec, Class};

/// Runs agent operations. Cheap to clone; clones share the slots and the
/// meta-data cache.
#[derive(Clone)]
pub struct Executor {
    cfg: Arc<ExecutorConfig>,
    slots: Arc<Semaphore>,
    metadata: Arc<Mutex<BTreeMap<AgentSpec, Arc<AgentMetadata>>>>,
}

impl Executor {
    pub fn new(cfg: ExecutorConfig) -> Self {
        let slots = Arc::new(Semaphore::new(cfg.max_concurrent.max(1)));
        Executor { cfg: Arc::new(cfg), slots, metadata: Arc::default() }
    }

    pub fn config(&self) -> &ExecutorConfig {
        &self.cfg
    }

    /// Runs `req` and reports how it went. Never fails: an agent that cannot be
    /// run is a result too (`not installed`, `not connected`, ...). Dropping
    /// the future does not kill a running agent (Pacemaker lets in-flight
    /// operations finish too); tokio reaps it when it exits.
    pub async fn execute(&self, req: &OpRequest) -> OpResult {
        let queued = Instant::now();
        // Before taking a slot: it may run the agent's meta-data, which needs one.
        let host_arg = self.host_argument(req).await;
        let _slot = self.slots.acquire().await.expect("the executor never closes its semaphore");
        let queue_time_ms = queued.elapsed().as_millis() as u64;
        let mut result = self.run_prepared(req, host_arg.as_deref()).await;
        result.queue_time_ms = queue_time_ms;
        tracing::debug!(rsc = %req.rsc_id, action = %req.action, interval_ms = req.interval_ms, %result, "operation finished");
        result
    }

    /// [`execute`](Self::execute) for callers without a runtime (tools, tests);
    /// must not be called from inside a tokio runtime.
    pub fn execute_blocking(&self, req: &OpRequest) -> OpResult {
        blocking_runtime().block_on(self.execute(req))
    }

    async fn run_prepared(&self, req: &OpRequest, host_arg: Option<&str>) -> OpResult {
        let (mut inv, map) = match class::prepare(&self.cfg, req, host_arg) {
            Prepared::Run { inv, map } => (inv, map),
            Prepared::Done(r) => return r,
        };
        if let Some((first, rest)) = self.cfg.wrapper.split_first() {
            let program = std::mem::replace(&mut inv.program, first.into());
            let args = std::mem::take(&mut inv.args);
            inv.args =
                rest.iter().cloned().chain(std::iter::once(program.into_os_string())).chain(args).collect();
        }
        let limits = Limits {
            timeout: self.cfg.timeout(req.timeout_ms),
            kill_grace: Duration::from_millis(self.cfg.kill_grace_ms),
            output_limit_bytes: self.cfg.output_limit_bytes,
            drain_after_exit: Duration::from_millis(self.cfg.drain_after_exit_ms),
        };
        let fin = match process::run(&inv, limits).await {
            Ok(f) => f,
            Err(e) => {
                // Present but not runnable (no execute bit, bad interpreter).
                let (rc, status) = if e.kind() == std::io::ErrorKind::PermissionDenied {
                    (OcfRc::ErrPerm, ExecStatus::ErrorHard)
                } else {
                    (OcfRc::ErrInstalled, ExecStatus::NotInstalled)
                };
                return OpResult::not_run(
                    rc,
                    status,
                    format!("{}: cannot run {}: {e}", req.spec, inv.program.display()),
                );
            }
        };
        let exec_time_ms = fin.elapsed.as_millis() as u64;
        let (rc, status, reason) = match fin.end {
            ProcessEnd::Exited(code) => {
                (map(&req.action, code), ExecStatus::Done, exit_reason_from(&fin.stderr.bytes))
            }
            ProcessEnd::Signaled(sig) => {
                (OcfRc::ErrGeneric, ExecStatus::Error, Some(format!("agent was killed by signal {sig}")))
            }
            ProcessEnd::TimedOut => (
                OcfRc::ErrGeneric,
                ExecStatus::Timeout,
                Some(format!(
                    "{} {} timed out after {}ms",
                    req.rsc_id,
                    req.action,
                    limits.timeout.as_millis()
                )),
            ),
            ProcessEnd::NotStarted => unreachable!("process::run started it"),
        };
        OpResult {
            rc,
            status,
            exit_reason: reason,
            stdout: fin.stdout,
            stderr: fin.stderr,
            end: fin.end,
            exec_time_ms,
            queue_time_ms: 0,
        }
    }

    /// Which option tells a fence agent its target, as Pacemaker's fencer
    /// decides: the device's `pcmk_host_argument`, else `port` or `plug` if the
    /// agent's meta-data has one, else none.
    async fn host_argument(&self, req: &OpRequest) -> Option<String> {
        if req.spec.class != Class::Stonith || req.target.is_none() {
            return None;
        }
        if let Some(a) = req.params.get("pcmk_host_argument") {
            return Some(a.clone());
        }
        let md = self.metadata(&req.spec).await.ok()?;
        ["port", "plug"].into_iter().find(|p| md.parameter(p).is_some()).map(str::to_string)
    }

    /// The agent's parsed meta-data, from the cache or by asking the agent.
    pub async fn metadata(&self, spec: &AgentSpec) -> Result<Arc<AgentMetadata>, AgentError> {
        if let Some(md) = self.metadata.lock().expect("metadata cache lock").get(spec) {
            return Ok(md.clone());
        }
        let xml = self.metadata_xml(spec).await?;
        let md = Arc::new(AgentMetadata::parse(&spec.to_string(), &xml)?);
        self.metadata.lock().expect("metadata cache lock").insert(spec.clone(), md.clone());
        Ok(md)
    }

    pub fn metadata_blocking(&self, spec: &AgentSpec) -> Result<Arc<AgentMetadata>, AgentError> {
        blocking_runtime().block_on(self.metadata(spec))
    }

    /// Forgets cached meta-data (after agents were upgraded).
    pub fn clear_metadata_cache(&self) {
        self.metadata.lock().expect("metadata cache lock").clear();
    }

    async fn metadata_xml(&self, spec: &AgentSpec) -> Result<String, AgentError> {
        match class::resolve_service(&self.cfg, spec.class) {
            Class::Lsb | Class::Service => return crate::synth::lsb_metadata(&self.cfg, spec),
            Class::Systemd => return Ok(crate::synth::systemd_metadata(spec)),
            Class::Stonith if class::stonith::is_legacy(&spec.agent) => {
                return self.legacy_stonith_metadata(spec).await;
            }
            Class::Ocf | Class::Stonith => {}
        }
        let req = OpRequest::new(spec.agent.clone(), spec.clone(), "meta-data").timeout_ms(30_000);
        let r = {
            let _slot = self.slots.acquire().await.expect("the executor never closes its semaphore");
            self.run_prepared(&req, None).await
        };
        if !r.is_success() {
            return Err(AgentError::MetadataFailed {
                spec: spec.to_string(),
                reason: r.exit_reason.clone().unwrap_or_else(|| r.to_string()),
            });
        }
        Ok(r.stdout.text())
    }

    /// cluster-glue's `stonith -t <plugin> -m` prints a plugin's meta-data
    /// (`fence_legacy` only has its own, generic one).
    async fn legacy_stonith_metadata(&self, spec: &AgentSpec) -> Result<String, AgentError> {
        let failed = |reason: String| AgentError::MetadataFailed { spec: spec.to_string(), reason };
        class::stonith::program(&self.cfg, &spec.agent).map_err(&failed)?;
        let inv = process::Invocation {
            program: self.cfg.stonith_command.clone(),
            args: vec!["-t".into(), spec.agent.clone().into(), "-m".into()],
            env: crate::env::base_env(&self.cfg),
            stdin: None,
        };
        let limits = Limits {
            timeout: Duration::from_secs(30),
            kill_grace: Duration::from_millis(self.cfg.kill_grace_ms),
            output_limit_bytes: self.cfg.output_limit_bytes,
            drain_after_exit: Duration::from_millis(self.cfg.drain_after_exit_ms),
        };
        let fin = process::run(&inv, limits)
            .await
            .map_err(|e| failed(format!("cannot run {}: {e}", self.cfg.stonith_command.display())))?;
        match fin.end {
            ProcessEnd::Exited(0) => Ok(fin.stdout.text()),
            end => Err(failed(format!(
                "{} ended with {end:?}: {}",
                self.cfg.stonith_command.display(),
                fin.stderr.text()
            ))),
        }
    }
}

/// A small runtime for the blocking calls; one per thread, made on first use.
fn blocking_runtime() -> Arc<tokio::runtime::Runtime> {
    thread_local! {
        static RT: Arc<tokio::runtime::Runtime> = Arc::new(
            tokio::runtime::Builder::new_current_thread().enable_all().build().expect("building a tokio runtime"),
        );
    }
    RT.with(Arc::clone)
}
