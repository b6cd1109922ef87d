//! `corosync-sys`: bindgen bindings to Corosync 3 (CPG, quorum, votequorum, cmap)
//! and a small safe layer for tokio. It knows nothing of the CIB.
//!
//! * [`ffi`]: the raw bindings, generated from Debian 12's corosync 3.1.7 headers and
//!   committed (regenerate with `--features regenerate`; C enums are plain constants).
//! * [`Cpg`]: join groups, multicast in total order with flow control, and read
//!   deliveries and membership changes with [`Cpg::next_event`].
//! * [`Quorum`], [`VoteQuorum`]: quorate flag, votes, expected votes, two_node.
//! * [`Cmap`]: nodelist, totem settings in effect, cluster name.
//!
//! Every connection registers the library's fd with tokio's `AsyncFd`; the C
//! callbacks only copy their arguments into that connection's bounded queue (found
//! through the library's context pointer, so there is no global state or lock), and
//! user code runs outside libcorosync. Connections are driven by one task each
//! (`&mut self`), which is what makes that sound.

pub mod cmap;
pub mod cpg;
mod error;
#[path = "bindings.rs"]
pub mod ffi;
pub mod quorum;
mod source;
pub mod votequorum;

pub use cmap::{Cmap, CmapValue, NodeEntry, TotemSettings};
pub use cpg::{Address, ConfChg, Cpg, CpgConfig, CpgEvent, Message, ReconnectPolicy, RingId, TotemConfChg};
pub use error::{CsCode, Error, Result, Service};
pub use quorum::{Quorum, QuorumEvent};
pub use source::QueueLimits;
pub use votequorum::{NodeState, VoteInfo, VoteQuorum, VoteQuorumEvent};
