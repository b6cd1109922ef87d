//! Attribute values packed in one block: for the elements a status section
//! holds by the ten thousand (`lrm_rsc_op`, `lrm_resource`), one allocation
//! a record instead of one per value.

use std::borrow::Cow;

use crate::error::CibError;
use crate::read::ReadCtx;
use crate::stream::StartTag;

/// Set in the bit set when the offsets are four bytes wide (text of 64 KiB or more).
const WIDE: u32 = 1 << 31;

/// Up to 31 slots' values in one block: a bit set of the slots present
/// (little endian), every slot's end offset in slot order (an absent slot
/// ends where the one before it does; two bytes each, four when [`WIDE`]),
/// then the present values' text, one after another. Empty when nothing is
/// present. One representation per set of values, so equality is byte-wise.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Packed<const SLOTS: usize>(Box<[u8]>);

impl<const SLOTS: usize> Packed<SLOTS> {
    const FITS: () = assert!(SLOTS < 32, "the bit set has 31 slots");

    /// Where the text begins, after the bit set and the offsets.
    const fn text_start(wide: bool) -> usize {
        4 + SLOTS * if wide { 4 } else { 2 }
    }

    #[inline]
    pub(crate) fn get(&self, slot: usize) -> Option<&str> {
        let b = &self.0;
        if b.len() < 4 {
            return None;
        }
        let present = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        if present & (1 << slot) == 0 {
            return None;
        }
        let (start, end, text) = if present & WIDE == 0 {
            let end_of = |s: usize| usize::from(u16::from_le_bytes([b[4 + 2 * s], b[5 + 2 * s]]));
            (if slot == 0 { 0 } else { end_of(slot - 1) }, end_of(slot), Self::text_start(false))
        } else {
            let end_of = |s: usize| {
                let at = 4 + 4 * s;
                u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]) as usize
            };
            (if slot == 0 { 0 } else { end_of(slot - 1) }, end_of(slot), Self::text_start(true))
        };
        let bytes = &b[text + start..text + end];
        debug_assert!(std::str::from_utf8(bytes).is_ok());
        // SAFETY: the text is whole `&str` values one after another, and
        // offsets fall between them, so on character boundaries.
        Some(unsafe { std::str::from_utf8_unchecked(bytes) })
    }

    pub(crate) fn pack<S: AsRef<str>>(values: &[Option<S>; SLOTS]) -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::FITS;
        let (mut present, mut len) = (0u32, 0usize);
        for (i, v) in values.iter().enumerate() {
            if let Some(v) = v {
                present |= 1 << i;
                len += v.as_ref().len();
            }
        }
        if present == 0 {
            return Packed::default();
        }
        let wide = len > usize::from(u16::MAX);
        let text = Self::text_start(wide);
        // Every byte is written below: the bit set, the offsets, the text.
        let mut out = Box::<[u8]>::new_uninit_slice(text + len);
        let base = out.as_mut_ptr().cast::<u8>();
        let put = |at: usize, bytes: &[u8]| {
            debug_assert!(at + bytes.len() <= text + len);
            // SAFETY: within the block (the offsets and text add up to its
            // length, as computed above), from a separate value.
            unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), base.add(at), bytes.len()) };
        };
        put(0, &(present | if wide { WIDE } else { 0 }).to_le_bytes());
        let mut end = 0usize;
        for (i, v) in values.iter().enumerate() {
            if let Some(v) = v {
                let v = v.as_ref().as_bytes();
                put(text + end, v);
                end += v.len();
            }
            if wide {
                put(4 + 4 * i, &u32::try_from(end).expect("a record under 4 GiB").to_le_bytes());
            } else {
                put(4 + 2 * i, &(end as u16).to_le_bytes());
            }
        }
        debug_assert_eq!(end, len);
        // SAFETY: every byte was written (the bit set, one offset per slot,
        // `len` bytes of text).
        Packed(unsafe { out.assume_init() })
    }

    /// Every slot's value, to change some and pack again.
    pub(crate) fn unpacked(&self) -> [Option<&str>; SLOTS] {
        std::array::from_fn(|i| self.get(i))
    }

    /// With one slot's value changed (repacked from borrowed values: one
    /// allocation, not one per value).
    pub(crate) fn with(&self, slot: usize, value: Option<&str>) -> Self {
        let mut all = self.unpacked();
        all[slot] = value;
        Packed::pack(&all)
    }
}

/// A record's attributes as read from its start tag: the known values
/// packed, and the `id` and `id-ref` for [`ReadCtx::enter`].
pub(crate) struct RecordAttrs<'a, const SLOTS: usize> {
    pub values: Packed<SLOTS>,
    pub id: Option<Cow<'a, str>>,
    pub id_ref: Option<String>,
}

/// A packed record as an element: `id`, its present attributes (in slot
/// order), then the ones the model does not know; `children` before the
/// unknown children.
pub(crate) fn element<'a>(
    name: &str,
    id: &str,
    attrs: impl Iterator<Item = (&'static str, &'a str)>,
    children: impl Iterator<Item = crate::xml::Element>,
    unknown: &crate::Unknown,
) -> crate::xml::Element {
    let mut el = crate::xml::Element::new(name);
    el.attrs.push(("id".to_string(), id.to_string()));
    el.attrs.extend(attrs.map(|(k, v)| (k.to_string(), v.to_string())));
    el.attrs.extend(unknown.attrs().iter().cloned());
    el.children.extend(children);
    el.children.extend(unknown.children().iter().cloned());
    el
}

/// Reads a record's attributes from its start tag: each known value in its
/// slot (`id` in `id_slot`, the others where `slot_of` says), borrowed where
/// nothing needs unescaping; the others go to `unknown`.
pub(crate) fn read_attrs<'a, const SLOTS: usize>(
    tag: &StartTag<'a>,
    ctx: &ReadCtx<'a>,
    id_slot: usize,
    slot_of: impl Fn(&str) -> Option<usize>,
    unknown: &mut crate::Unknown,
) -> Result<RecordAttrs<'a, SLOTS>, CibError> {
    let mut id_ref = None;
    if let Some(attrs) = tag.plain_attrs() {
        let mut values = [None; SLOTS];
        let attrs = attrs.map(Ok::<_, std::convert::Infallible>);
        let Ok(()) = sort_attrs(attrs, &mut values, id_slot, slot_of, unknown, &mut id_ref);
        return Ok(RecordAttrs {
            values: Packed::pack(&values),
            id: values[id_slot].map(Cow::Borrowed),
            id_ref,
        });
    }
    let mut values: [Option<Cow<'a, str>>; SLOTS] = std::array::from_fn(|_| None);
    sort_attrs(tag.attrs(), &mut values, id_slot, slot_of, unknown, &mut id_ref)
        .map_err(|why| ctx.bad_attribute(tag, why))?;
    Ok(RecordAttrs { values: Packed::pack(&values), id: values[id_slot].take(), id_ref })
}

/// Puts each attribute's value in its slot; those without one go to
/// `unknown`, and an `id-ref` is noted.
fn sort_attrs<'a, V: AsRef<str>, E, const SLOTS: usize>(
    attrs: impl Iterator<Item = Result<(&'a str, V), E>>,
    values: &mut [Option<V>; SLOTS],
    id_slot: usize,
    slot_of: impl Fn(&str) -> Option<usize>,
    unknown: &mut crate::Unknown,
    id_ref: &mut Option<String>,
) -> Result<(), E> {
    for attr in attrs {
        let (k, v) = attr?;
        if k == "id" {
            values[id_slot] = Some(v);
        } else if let Some(slot) = slot_of(k) {
            values[slot] = Some(v);
        } else {
            if k == "id-ref" {
                *id_ref = Some(v.as_ref().to_string());
            }
            unknown.push_attr(k, v.as_ref().to_string());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_come_back_as_packed_and_compare_by_content() {
        let p = Packed::<5>::pack(&[Some("a"), None, Some(""), Some("long value"), None]);
        assert_eq!(p.unpacked(), [Some("a"), None, Some(""), Some("long value"), None]);
        assert_eq!(p.with(1, Some("b")).get(1), Some("b"));
        assert_eq!(p.with(1, Some("b")).with(1, None), p);
        assert_eq!(Packed::<5>::pack(&[None::<&str>; 5]), Packed::default());
        assert_eq!(Packed::<5>::default().get(0), None);
        let long = "x".repeat(70_000);
        let wide = Packed::<3>::pack(&[Some("id"), Some(long.as_str()), Some("z")]);
        assert_eq!(wide.unpacked(), [Some("id"), Some(long.as_str()), Some("z")]);
    }
}
