//! Typed model -> element tree. Per-type writers are derived by `cib_element!`.

use crate::xml::Element;

/// A type that can be written as one XML element.
pub trait ToElement {
    fn to_element(&self) -> Element;
}

impl<T: ToElement> ToElement for Box<T> {
    fn to_element(&self) -> Element {
        (**self).to_element()
    }
}
