//! Setting, reading and deleting one nvpair in an element's attribute set, the
//! way Pacemaker's tools do it (`crm_resource --meta`, `crm_attribute`): an
//! existing pair of that name is updated wherever it is; a new one goes into
//! the first set of that kind, created as `OWNER-KIND` when there is none.

use super::ids::Ids;
use super::xml::Node;

pub fn get<'a>(owner: &'a Node, set: &str, name: &str) -> Option<&'a str> {
    owner
        .elements()
        .filter(|s| s.name == set)
        .flat_map(|s| s.elements())
        .find(|nv| nv.name == "nvpair" && nv.get("name") == Some(name))
        .and_then(|nv| nv.get("value"))
}

/// Sets `name=value`; `set_id` names a set to create when there is none.
pub fn set(owner: &mut Node, ids: &mut Ids, set: &str, set_id: &str, name: &str, value: &str) {
    for s in owner.children.iter_mut().filter(|s| s.name == set) {
        if let Some(nv) = s.children.iter_mut().find(|nv| nv.name == "nvpair" && nv.get("name") == Some(name))
        {
            nv.set("value", value);
            return;
        }
    }
    let idx = match owner.children.iter().position(|s| s.name == set) {
        Some(i) => i,
        None => {
            let id = ids.fresh(set_id);
            // Attribute sets go before the operations and child resources.
            let at = owner
                .children
                .iter()
                .position(|c| !c.is_comment() && !c.name.ends_with("attributes") && c.name != "utilization")
                .unwrap_or(owner.children.len());
            owner.children.insert(at, Node::new(set).with("id", &id));
            at
        }
    };
    let s = &mut owner.children[idx];
    let nid = ids.fresh(&format!("{}-{name}", s.id()));
    s.children.push(Node::new("nvpair").with("id", &nid).with("name", name).with("value", value));
}

/// Deletes every pair of that name; true if there was one.
pub fn delete(owner: &mut Node, set: &str, name: &str) -> bool {
    let mut found = false;
    for s in owner.children.iter_mut().filter(|s| s.name == set) {
        let before = s.children.len();
        s.children.retain(|nv| !(nv.name == "nvpair" && nv.get("name") == Some(name)));
        found |= s.children.len() != before;
    }
    found
}
