//! `cib_element!` declares a typed CIB element once and derives its reader and
//! writer, so the model's field list is the single source of truth for both
//! directions. Unknown attributes and children are kept in `unknown`, which
//! is what makes the round trip lossless.

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
            /// Attributes and child elements this model does not know.
            pub unknown: $crate::Unknown,
            /// Where the element was read from; ignored by equality.
            pub pos: $crate::error::At,
        }

        impl $crate::read::FromXml for $name {
            fn accepts(name: &str) -> bool {
                name == $xml
            }

            #[allow(unused_mut, unused_variables)]
            fn read_xml<'a>(
                tag: &$crate::stream::StartTag<'a>,
                ctx: &mut $crate::read::ReadCtx<'a>,
            ) -> Result<Self, $crate::error::CibError> {
                let mut out = $name { pos: $crate::error::At(tag.at), ..Default::default() };
                let mut xml_id: Option<std::borrow::Cow<'a, str>> = None;
                let mut xml_id_ref: Option<std::borrow::Cow<'a, str>> = None;
                $(let mut $rf = false;)*
                for attr in tag.attrs() {
                    let (k, v) = attr.map_err(|why| ctx.bad_attribute(tag, why))?;
                    match k {
                        "id" => xml_id = Some(v.clone()),
                        "id-ref" => xml_id_ref = Some(v.clone()),
                        _ => {}
                    }
                    match k {
                        $($rx => { out.$rf = v.into_owned(); $rf = true; })*
                        $($ox => out.$of = Some(v.into_owned()),)*
                        _ => out.unknown.push_attr(k, v.into_owned()),
                    }
                }
                $(
                    if !$rf {
                        return Err(ctx.missing(tag, $rx));
                    }
                )*
                ctx.enter(tag, xml_id, xml_id_ref.as_deref())?;
                while let Some(child) = ctx.next_child(tag)? {
                    let name = child.name();
                    $(
                        if $crate::read::child_matches::<$mt>(name, name_filter!($mx)) {
                            let item = <$mt as $crate::read::FromXml>::read_xml(&child, ctx)?;
                            $crate::read::push_item(&mut out.$mf, item);
                            continue;
                        }
                    )*
                    $(
                        if out.$sf.is_none() && $crate::read::child_matches::<$st>(name, name_filter!($sx)) {
                            out.$sf = Some(<$st as $crate::read::FromXml>::read_xml(&child, ctx)?);
                            ctx.single_child_read(&mut out);
                            continue;
                        }
                    )*
                    out.unknown.push_child($crate::xml::Element::read_xml(&child, &mut ctx.stream)?);
                }
                ctx.leave();
                $(out.$mf.shrink_to_fit();)*
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
                el.attrs.extend(self.unknown.attrs().iter().cloned());
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
                el.children.extend(self.unknown.children().iter().cloned());
                el
            }
        }
    };
}
