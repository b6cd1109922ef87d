//! Where a resource runs, read from the status section's operation history:
//! what `crm_resource --resource R --locate` answers. Until the scheduler's
//! unpacking is available to tools, this reads each node's last operation of
//! the resource (by call id), which is what decides its state there.

use cib_schema::{Cib, LrmRscOp, Resource};

/// A resource's state on one node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    Started,
    Promoted,
}

/// Primitive ids that make up `rsc` (itself, a group's members, a clone's
/// child), or `None` if no such resource is configured.
pub fn primitives_of(cib: &Cib, rsc: &str) -> Option<Vec<String>> {
    fn collect(r: &Resource, out: &mut Vec<String>) {
        match r {
            Resource::Primitive(p) => out.push(p.id.clone()),
            Resource::Group(g) => out.extend(g.primitives.iter().map(|p| p.id.clone())),
            Resource::Clone(c) => c.child.iter().for_each(|ch| collect(ch, out)),
            Resource::Master(c) => c.child.iter().for_each(|ch| collect(ch, out)),
            Resource::Bundle(b) => out.extend(b.primitive.iter().map(|p| p.id.clone())),
            Resource::Template(_) => {}
        }
    }
    fn find<'a>(r: &'a Resource, id: &str) -> Option<&'a Resource> {
        if r.id() == id {
            return Some(r);
        }
        match r {
            Resource::Clone(c) => c.child.as_deref().and_then(|ch| find(ch, id)),
            Resource::Master(c) => c.child.as_deref().and_then(|ch| find(ch, id)),
            _ => None,
        }
    }
    let items = &cib.configuration.as_ref()?.resources.as_ref()?.items;
    // A group member is a resource too.
    for r in items {
        if let Resource::Group(g) = r {
            if let Some(p) = g.primitives.iter().find(|p| p.id == id_without_instance(rsc)) {
                return Some(vec![p.id.clone()]);
            }
        }
    }
    let r = items.iter().find_map(|r| find(r, id_without_instance(rsc)))?;
    let mut out = Vec::new();
    collect(r, &mut out);
    Some(out)
}

fn id_without_instance(id: &str) -> &str {
    id.split_once(':').map_or(id, |(base, _)| base)
}

/// Nodes (in status order) where any of `prims` is active, with its role.
pub fn locate(cib: &Cib, prims: &[String]) -> Vec<(String, RunState)> {
    let mut out = Vec::new();
    let Some(status) = &cib.status else { return out };
    for ns in &status.nodes {
        let Some(uname) = ns.uname.clone().or_else(|| ns.id.clone()) else { continue };
        let resources =
            ns.lrm.as_ref().and_then(|l| l.resources.as_ref()).map(|r| r.resources.as_slice()).unwrap_or(&[]);
        for lr in resources.iter().filter(|lr| prims.iter().any(|p| p == id_without_instance(lr.id()))) {
            if let Some(state) = state_from_history(&lr.ops) {
                out.push((uname.clone(), state));
            }
        }
    }
    out
}

/// The state the last completed operation left the resource in.
fn state_from_history(ops: &[LrmRscOp]) -> Option<RunState> {
    let last = ops.iter().filter(|o| o.call_id().is_some_and(|c| c >= 0)).max_by_key(|o| o.call_id())?;
    let op = last.operation().unwrap_or("");
    match (op, last.rc_code().unwrap_or(1)) {
        ("stop", 0) | (_, 7) => None,
        ("promote", 0) | (_, 8 | 9) => Some(RunState::Promoted),
        // A failed stop or anything else unexpected: possibly still active,
        // which is what an administrator must be told.
        _ => Some(RunState::Started),
    }
}
