//! What a tool changed, as the changes the daemon applies cluster-wide. Tools
//! edit a CIB the same way offline and online; online, the edit is sent as the
//! difference between the CIB they read and the one they made: the whole
//! configuration (guarded by the epoch they read), transient node attributes
//! one by one, and a cleanup for every resource whose history they dropped.

use std::collections::{BTreeMap, BTreeSet};

use cib_schema as cs;
use cib_schema::Cib;
use crm_core::node::CibChange;

/// The changes that turn `old` into `new`, in the order to send them.
pub fn changes_between(old: &Cib, new: &Cib) -> Vec<CibChange> {
    let mut out = Vec::new();
    if old.configuration != new.configuration || old.version().0 < new.version().0 {
        let mut doc = new.clone();
        doc.status = None;
        let (admin, epoch, _) = old.version();
        out.push(CibChange::ReplaceConfiguration { xml: cs::to_xml(&doc), base: Some((admin, epoch)) });
    }
    let (old_attrs, new_attrs) = (transient_attrs(old), transient_attrs(new));
    for (key @ (node, name), value) in &new_attrs {
        if old_attrs.get(key) != Some(value) {
            out.push(CibChange::SetNodeAttribute {
                node: node.clone(),
                name: name.clone(),
                value: Some(value.clone()),
                transient: true,
            });
        }
    }
    for (node, name) in old_attrs.keys().filter(|k| !new_attrs.contains_key(*k)) {
        out.push(CibChange::SetNodeAttribute {
            node: node.clone(),
            name: name.clone(),
            value: None,
            transient: true,
        });
    }
    let (old_ops, new_ops) = (history(old), history(new));
    let cleaned: BTreeSet<&String> = old_ops
        .iter()
        .filter(|(k, n)| new_ops.get(*k).is_none_or(|m| m < *n))
        .map(|((_, rsc), _)| rsc)
        .collect();
    for rsc in cleaned {
        out.push(CibChange::ClearFailures { rsc: Some(rsc.clone()) });
    }
    out
}

/// (node, attribute) -> value of every transient node attribute.
fn transient_attrs(cib: &Cib) -> BTreeMap<(String, String), String> {
    let mut m = BTreeMap::new();
    for st in cib.status.iter().flat_map(|s| s.nodes.iter()) {
        let node = st.uname.clone().or_else(|| st.id.clone()).unwrap_or_default();
        for set in st.transient.iter().flat_map(|t| t.sets.iter()) {
            for p in &set.nvpairs {
                if let Some(name) = &p.name {
                    m.insert((node.clone(), name.clone()), p.value.clone().unwrap_or_default());
                }
            }
        }
    }
    m
}

/// (node, resource) -> number of operations in its history.
fn history(cib: &Cib) -> BTreeMap<(String, String), usize> {
    let mut m = BTreeMap::new();
    for st in cib.status.iter().flat_map(|s| s.nodes.iter()) {
        let node = st.uname.clone().or_else(|| st.id.clone()).unwrap_or_default();
        for r in st.lrm.iter().flat_map(|l| l.resources.iter()).flat_map(|r| r.resources.iter()) {
            m.insert((node.clone(), r.id().to_string()), r.ops.len());
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    const CIB: &str = r#"<cib admin_epoch="0" epoch="4" num_updates="2">
  <configuration><crm_config/><nodes><node id="1" uname="n1"/></nodes><resources/><constraints/></configuration>
  <status><node_state id="1" uname="n1">
    <transient_attributes id="1"><instance_attributes id="status-1"><nvpair id="a" name="master-p" value="5"/></instance_attributes></transient_attributes>
    <lrm id="1"><lrm_resources><lrm_resource id="vip" type="IPaddr2" class="ocf" provider="heartbeat">
      <lrm_rsc_op id="vip_last_0" operation="start" call-id="3" rc-code="1" interval="0" crm-debug-origin="x" operation_key="vip_start_0" transition-key="1:1:0:x" transition-magic="0:1;1:1:0:x" on_node="n1"/>
    </lrm_resource></lrm_resources></lrm>
  </node_state></status>
</cib>"#;

    #[test]
    fn unchanged_is_nothing() {
        let c = cs::parse(CIB).unwrap();
        assert!(changes_between(&c, &c).is_empty());
    }

    #[test]
    fn each_kind_of_edit_becomes_its_change() {
        let old = cs::parse(CIB).unwrap();
        let mut new = old.clone();
        new.configuration_mut().nodes.as_mut().unwrap().nodes[0].uname = Some("n1".into());
        new.configuration_mut()
            .crm_config
            .as_mut()
            .unwrap()
            .sets
            .push(cs::NvSet::new("cluster_property_set", "x"));
        let st = &mut new.status.as_mut().unwrap().nodes[0];
        st.transient.as_mut().unwrap().sets[0].nvpairs[0].value = Some("10".into());
        st.lrm.as_mut().unwrap().resources.as_mut().unwrap().resources.clear();
        let changes = changes_between(&old, &new);
        assert!(
            matches!(&changes[0], CibChange::ReplaceConfiguration { base: Some((0, 4)), xml } if !xml.contains("node_state"))
        );
        assert_eq!(
            changes[1],
            CibChange::SetNodeAttribute {
                node: "n1".into(),
                name: "master-p".into(),
                value: Some("10".into()),
                transient: true
            }
        );
        assert_eq!(changes[2], CibChange::ClearFailures { rsc: Some("vip".into()) });
        assert_eq!(changes.len(), 3);
    }
}
