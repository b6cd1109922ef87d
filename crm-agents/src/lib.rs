//! `crm-agents` runs resource agents: OCF 1.1 scripts, LSB init scripts, systemd
//! units and fence agents, with timeouts, bounded output and typed results. It
//! knows nothing of scheduling.
//!
//! The flow of one operation: an [`OpRequest`] (resource, [`AgentSpec`],
//! action, parameters, meta) goes to [`Executor::execute`], which waits for a
//! slot, lets the agent's class build the invocation (`class/`), runs it in its
//! own process group (`process`), and translates the exit into an [`OpResult`]
//! ([`OcfRc`] and [`ExecStatus`], as the CIB records them).
//!
//! Parameters reach agents only through the environment (OCF) or standard
//! input (fence agents); no shell ever sees them. Agents find this project's
//! `crm_attribute`, `crm_master`, `crm_node` ... through `HA_SBIN_DIR` and
//! `PATH` ([`ExecutorConfig::sbin_dir`]).

pub mod capture;
pub mod class;
pub mod config;
pub mod env;
pub mod error;
pub mod executor;
pub mod list;
pub mod metadata;
pub mod process;
pub mod request;
pub mod result;
pub mod spec;
mod synth;

pub use capture::Captured;
pub use config::ExecutorConfig;
pub use error::AgentError;
pub use executor::Executor;
pub use metadata::{ActionInfo, AgentMetadata, ParameterInfo};
pub use request::{CloneMeta, Notify, NotifyEntry, NotifyType, OpRequest};
pub use result::{ExecStatus, OcfRc, OpResult, ProcessEnd, Severity};
pub use spec::{AgentSpec, Class};
