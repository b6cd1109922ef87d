//! `cib_element!` declares a typed CIB element once and derives its reader and
//! writer, so the model's field list is the single source of truth for both
//! directions. Unknown attributes and children are kept in `extra_attrs` and
//! `extra_children`, which is what makes the round trip lossless.

/// `name_filter!("x")` is `Some("x")`; `name_filter!(any)` defers to the child type.
macro_rules! name_filter {
    (any) => {
        None
    };
    ($lit:literal) => {
        Some($lit)
    };
}

macro_rules! cib_element {
    (
        $(#[$meta:meta])*
        $name:ident $xml:literal {
            req { $($rf:ident : $rx:literal),* $(,)? }
            opt { $($of:ident : $ox:literal),* $(,)? }
            many { $($mf:ident : $mt:ty = $mx:tt),* $(,)? }
            one { $($sf:ident : $st:ty = $sx:tt),* $(,)? }
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct $name {
            $(pub $rf: String,)*
            $(pub $of: Option<String>,)*
            $(pub $mf: Vec<$mt>,)*
            $(pub $sf: Option<$st>,)*
            /// Attributes this model does not know, in document order.
            pub extra_attrs: Vec<(String, String)>,
            /// Child elements this model does not know, in document order.
            pub extra_children: Vec<$crate::xml::Element>,
            /// Where the element was read from; ignored by equality.
            pub pos: $crate::error::At,
        }

        impl $crate::read::FromElement for $name {
            fn accepts(name: &str) -> bool {
                name == $xml
            }

            fn from_element(
                el: $crate::xml::Element,
                ctx: &mut $crate::read::ReadCtx,
            ) -> Result<Self, $crate::error::CibError> {
                let mut out = $name { pos: $crate::error::At(el.pos), ..Default::default() };
                $(
                    if el.attr($rx).is_none() {
                        return Err(ctx.missing(&el, $rx));
                    }
                )*
                ctx.enter(&el)?;
                let $crate::xml::Element { attrs, children, .. } = el;
                for (k, v) in attrs {
                    match k.as_str() {
                        $($rx => out.$rf = v,)*
                        $($ox => out.$of = Some(v),)*
                        _ => out.extra_attrs.push((k, v)),
                    }
                }
                for child in children {
                    $(
                        if $crate::read::child_matches::<$mt>(&child.name, name_filter!($mx)) {
                            out.$mf.push(<$mt as $crate::read::FromElement>::from_element(child, ctx)?);
                            continue;
                        }
                    )*
                    $(
                        if out.$sf.is_none()
                            && $crate::read::child_matches::<$st>(&child.name, name_filter!($sx))
                        {
                            out.$sf = Some(<$st as $crate::read::FromElement>::from_element(child, ctx)?);
                            continue;
                        }
                    )*
                    out.extra_children.push(child);
                }
                ctx.leave();
                Ok(out)
            }
        }

        impl $crate::write::ToElement for $name {
            fn to_element(&self) -> $crate::xml::Element {
                let mut el = $crate::xml::Element::new($xml);
                $(el.attrs.push(($rx.to_string(), self.$rf.clone()));)*
                $(
                    if let Some(v) = &self.$of {
                        el.attrs.push(($ox.to_string(), v.clone()));
                    }
                )*
                el.attrs.extend(self.extra_attrs.iter().cloned());
                $(
                    for c in &self.$mf {
                        el.children.push($crate::write::ToElement::to_element(c));
                    }
                )*
                $(
                    if let Some(c) = &self.$sf {
                        el.children.push($crate::write::ToElement::to_element(c));
                    }
                )*
                el.children.extend(self.extra_children.iter().cloned());
                el
            }
        }
    };
}
