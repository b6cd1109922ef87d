//! Choosing the DC. Corosync already gives every member the same membership in
//! the same order of events, so the choice is a pure function of it: no votes,
//! no dc-deadtime wait. When the DC leaves, the next membership names the next
//! one at once.

use super::message::NodeId;

/// The DC of a membership: its lowest node id.
pub fn elect(members: &[NodeId]) -> Option<NodeId> {
    members.iter().copied().min()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowest_member_is_dc_whatever_the_order() {
        assert_eq!(elect(&[NodeId(3), NodeId(1), NodeId(2)]), Some(NodeId(1)));
        assert_eq!(elect(&[NodeId(3), NodeId(2)]), Some(NodeId(2)));
        assert_eq!(elect(&[]), None);
    }
}
