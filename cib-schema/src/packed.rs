//! Attribute values packed in one block: for the elements a status section
//! holds by the ten thousand (`lrm_rsc_op`, `lrm_resource`), one allocation
//! a record instead of one per value.

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
        let present =
            values.iter().enumerate().filter(|(_, v)| v.is_some()).fold(0u32, |p, (i, _)| p | 1 << i);
        if present == 0 {
            return Packed::default();
        }
        let len: usize = values.iter().flatten().map(|v| v.as_ref().len()).sum();
        let wide = len > usize::from(u16::MAX);
        let mut out = Vec::with_capacity(Self::text_start(wide) + len);
        out.extend_from_slice(&(present | if wide { WIDE } else { 0 }).to_le_bytes());
        let mut end = 0usize;
        for v in values {
            end += v.as_ref().map_or(0, |v| v.as_ref().len());
            if wide {
                out.extend_from_slice(&u32::try_from(end).expect("a record under 4 GiB").to_le_bytes());
            } else {
                out.extend_from_slice(&(end as u16).to_le_bytes());
            }
        }
        for v in values.iter().flatten() {
            out.extend_from_slice(v.as_ref().as_bytes());
        }
        Packed(out.into_boxed_slice())
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
