//! Id generation as crmsh does it: an id is `BASE` if free, else `BASE-0`,
//! `BASE-1`, ... (first free). Bases are built from the owner's id and the
//! element's role: `RSC-instance_attributes`, `SET-NAME`, `RSC-monitor-10s`,
//! `CONSTRAINT-rule`, ... Ids are unique across the whole CIB.

use std::collections::BTreeSet;

use super::xml::Node;

#[derive(Debug, Default, Clone)]
pub struct Ids {
    taken: BTreeSet<String>,
}

impl Ids {
    /// All ids of a CIB document.
    pub fn from_cib(cib: &Node) -> Ids {
        let mut ids = Ids::default();
        cib.walk(&mut |n| {
            if let Some(id) = n.get("id") {
                ids.taken.insert(id.to_string());
            }
        });
        ids
    }

    pub fn contains(&self, id: &str) -> bool {
        self.taken.contains(id)
    }

    /// Claims an explicit id (written by the user).
    pub fn claim(&mut self, id: &str) {
        self.taken.insert(id.to_string());
    }

    pub fn release(&mut self, id: &str) {
        self.taken.remove(id);
    }

    /// A fresh id derived from `base`.
    pub fn fresh(&mut self, base: &str) -> String {
        let base = sanitize(base);
        if !self.taken.contains(&base) {
            self.taken.insert(base.clone());
            return base;
        }
        (0..)
            .map(|i| format!("{base}-{i}"))
            .find(|c| !self.taken.contains(c))
            .inspect(|c| {
                self.taken.insert(c.clone());
            })
            .expect("an unbounded range always finds a free id")
    }
}

/// crmsh keeps generated ids as they come except `#` (from names like
/// `#uname`), which becomes `.`, as `crm_attribute` does too.
pub fn sanitize(s: &str) -> String {
    s.replace('#', ".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_ids_count_from_zero_after_the_base() {
        let mut ids = Ids::default();
        ids.claim("c1");
        assert_eq!(ids.fresh("c1"), "c1-0");
        assert_eq!(ids.fresh("c1"), "c1-1");
        assert_eq!(ids.fresh("d1-instance_attributes"), "d1-instance_attributes");
        assert_eq!(ids.fresh("d1-instance_attributes"), "d1-instance_attributes-0");
    }
}
