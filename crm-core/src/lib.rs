//! `crm-core` decides: the policy engine (scheduler) that turns a CIB and a time
//! into a transition, and the cluster node's state machine. It does no I/O: no
//! tokio, no Corosync, no process spawning, no clock reads.

pub mod display;
pub mod inject;
pub mod node;
pub mod scheduler;
