//! `crm_mon`'s one-shot output: the cluster status as Pacemaker 2.1.5's
//! `crm_mon -1` prints it (text) and as `crm_mon --output-as=xml` prints it.
//!
//! The status itself comes from the scheduler's unpack stage (node states,
//! resource roles and locations); what only the monitor shows (operation
//! history, failed actions, node attributes) is read from the CIB's status
//! section here, so the scheduler stays free of display concerns.

pub mod history;
pub mod live;
pub mod nodes;
pub mod ocf;
pub mod summary;
pub mod text;
pub mod timefmt;
pub mod xml;

use cib_schema::Cib;
use crm_core::scheduler::cluster::Cluster;

/// What to show, from the command line (`-r`, `-f`, `-A`, `-o`, `-n`, ...).
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `-r`: list inactive resources too.
    pub inactive: bool,
    /// `-f`: fail counts per node and resource.
    pub failcounts: bool,
    /// `-A`: node attributes.
    pub attributes: bool,
    /// `-o`: operation history.
    pub operations: bool,
    /// `-t`: timing details in the operation history.
    pub timing: bool,
    /// `-n`: resources grouped by node.
    pub group_by_node: bool,
}

/// Everything the renderers need: the CIB as read, its unpacked status and the
/// time the status is reported at.
pub struct Status<'a> {
    pub cib: &'a Cib,
    pub cluster: Cluster,
    pub now: i64,
}

impl<'a> Status<'a> {
    pub fn new(cib: &'a Cib, now: i64) -> Self {
        Status { cib, cluster: crm_core::scheduler::unpack::unpack(cib, now), now }
    }
}
