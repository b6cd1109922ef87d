//! What an element holds that the model does not know: attributes and child
//! elements kept as found, so that a CIB from a newer Pacemaker round-trips
//! without loss. Nearly every element has none, so they are one word until
//! there is something to keep.

use crate::xml::Element;

/// An element's unknown attributes and children, in document order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unknown(Option<Box<Parts>>);

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Parts {
    attrs: Vec<(String, String)>,
    children: Vec<Element>,
}

impl Unknown {
    pub fn attrs(&self) -> &[(String, String)] {
        self.0.as_ref().map_or(&[], |p| &p.attrs)
    }

    pub fn children(&self) -> &[Element] {
        self.0.as_ref().map_or(&[], |p| &p.children)
    }

    pub fn push_attr(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.parts().attrs.push((name.into(), value.into()));
    }

    pub fn push_child(&mut self, child: Element) {
        self.parts().children.push(child);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    fn parts(&mut self) -> &mut Parts {
        self.0.get_or_insert_with(Default::default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_parts_are_kept_in_order_and_compare_by_content() {
        let mut u = Unknown::default();
        assert!(u.is_empty() && u.attrs().is_empty() && u.children().is_empty());
        u.push_attr("b", "2");
        u.push_attr("a", "1");
        u.push_child(Element::new("x"));
        assert_eq!(u.attrs(), [("b".to_string(), "2".to_string()), ("a".to_string(), "1".to_string())]);
        assert_eq!(u.children().len(), 1);
        let mut v = Unknown::default();
        v.push_attr("b", "2");
        assert_ne!(u, v);
        assert_eq!(std::mem::size_of::<Unknown>(), std::mem::size_of::<usize>());
    }
}
