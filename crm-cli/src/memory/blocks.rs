//! Larger blocks (8 KiB to 256 MiB) for the tools' allocator, laid out back
//! to back in one reserved region.
//!
//! A general allocator opens a page per size class (and per thread) for such
//! blocks (mimalloc: 512 KiB for each class up to 64 KiB, 4 MiB above). A
//! scheduler run holds a few blocks in each of some twenty such classes, so
//! most of those pages stay empty, and on transparent huge pages every 2 MiB
//! they touch is cleared in full. Here a block takes its
//! size rounded up to its class (at most an eighth more), freed blocks are
//! kept per class for reuse (a larger one is cut to size when a class has
//! none: the blocks a growing vector leaves behind serve later, smaller
//! ones), and the block at the top of the region grows and shrinks in place,
//! which is how a growing vector usually reallocates.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Smallest block served here; smaller ones are [`super::small`]'s.
pub const MIN: usize = 8 << 10;
/// Largest block served here; larger ones are rare, and the system allocator
/// maps each on its own.
pub const MAX: usize = 1 << 28;
/// Every block's size is a multiple of this, and its address too.
pub const GRAIN: usize = 4 << 10;
/// Address space reserved (not memory: pages are used as blocks are).
const RESERVE: usize = 8 << 30;
const CLASSES: usize = 113;

/// The region's blocks. Every method is thread safe.
pub struct Blocks {
    /// Start of the region: 0 until reserved, [`UNAVAILABLE`] if that failed.
    base: AtomicUsize,
    state: Mutex<State>,
}

const UNAVAILABLE: usize = usize::MAX;

struct State {
    /// The next fresh byte.
    top: usize,
    /// Bytes at and above this address were never handed out: still zero.
    untouched: usize,
    /// Heads of the free lists, one per class (0 = empty); a free block holds
    /// the address of the next.
    free: [usize; CLASSES],
    /// Bit `c` set when class `c`'s free list is not empty.
    listed: u128,
}

impl State {
    fn push_free(&mut self, class: usize, p: usize) {
        // SAFETY: a block of this region, at least a word long, not in use.
        unsafe { *(p as *mut usize) = self.free[class] };
        self.free[class] = p;
        self.listed |= 1 << class;
    }

    fn pop_free(&mut self, class: usize) -> Option<usize> {
        let head = self.free[class];
        if head == 0 {
            return None;
        }
        // SAFETY: a free block of this class holds the next one's address.
        self.free[class] = unsafe { *(head as *const usize) };
        if self.free[class] == 0 {
            self.listed &= !(1 << class);
        }
        Some(head)
    }

    /// A free block of `class` cut from the smallest larger free block, the
    /// rest of which goes back to the free lists (in the largest classes that
    /// fit; a tail under [`MIN`] is left unused).
    fn split_larger(&mut self, class: usize) -> Option<usize> {
        let larger = self.listed & !((2u128 << class) - 1);
        if larger == 0 {
            return None;
        }
        let from = larger.trailing_zeros() as usize;
        let p = self.pop_free(from)?;
        let (mut rest, end) = (p + class_size(class), p + class_size(from));
        while end - rest >= MIN {
            let fits = class_below(end - rest);
            self.push_free(fits, rest);
            rest += class_size(fits);
        }
        Some(p)
    }
}

/// A block's class and the size it takes.
fn class_of(size: usize) -> (usize, usize) {
    debug_assert!((MIN..=MAX).contains(&size));
    let size = size.next_multiple_of(GRAIN);
    let class = if size <= 64 << 10 {
        size / GRAIN
    } else {
        // Eight classes per doubling above 64 KiB.
        let k = (usize::BITS - 1 - (size - 1).leading_zeros()) as usize;
        16 + (k - 16) * 8 + (size - 1 - (1 << k)) / (1 << (k - 3)) + 1
    };
    (class, class_size(class))
}

/// Whether a block of `size` bytes and `align` alignment is served here.
pub fn serves(size: usize, align: usize) -> bool {
    (MIN..=MAX).contains(&size) && align <= GRAIN
}

impl Blocks {
    pub const fn new() -> Blocks {
        Blocks {
            base: AtomicUsize::new(0),
            state: Mutex::new(State { top: 0, untouched: 0, free: [0; CLASSES], listed: 0 }),
        }
    }

    /// Whether `ptr` is one of this region's blocks.
    pub fn owns(&self, ptr: *mut u8) -> bool {
        let base = self.base.load(Ordering::Acquire);
        let p = ptr as usize;
        base != 0 && base != UNAVAILABLE && p >= base && p < base + RESERVE
    }

    /// The region's start, reserving it on first use.
    fn region(&self, state: &mut State) -> Option<usize> {
        match self.base.load(Ordering::Acquire) {
            UNAVAILABLE => return None,
            0 => {}
            base => return Some(base),
        }
        let Some((_, base)) = super::reserve(RESERVE) else {
            self.base.store(UNAVAILABLE, Ordering::Release);
            return None;
        };
        state.top = base;
        state.untouched = base;
        self.base.store(base, Ordering::Release);
        Some(base)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Nothing panics while holding it; a poisoned state is still sound.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A block of at least `size` bytes (see [`serves`]), zeroed if asked;
    /// null when the region is unavailable or full.
    pub fn alloc(&self, size: usize, zeroed: bool) -> *mut u8 {
        let (class, taken) = class_of(size);
        let mut state = self.lock();
        let Some(base) = self.region(&mut state) else { return std::ptr::null_mut() };
        let p = if let Some(p) = state.pop_free(class).or_else(|| state.split_larger(class)) {
            p
        } else if state.top + taken <= base + RESERVE {
            let p = state.top;
            state.top += taken;
            p
        } else {
            return std::ptr::null_mut();
        };
        let dirty = state.untouched.min(p + taken).saturating_sub(p);
        state.untouched = state.untouched.max(p + taken);
        drop(state);
        if zeroed && dirty > 0 {
            // SAFETY: the block is ours, `taken` bytes long.
            unsafe { std::ptr::write_bytes(p as *mut u8, 0, dirty) };
        }
        p as *mut u8
    }

    /// Frees a block of this region allocated for `size` bytes.
    ///
    /// # Safety
    /// `ptr` came from [`Blocks::alloc`] or [`Blocks::grow_in_place`] for
    /// `size` and is not used again.
    pub unsafe fn free(&self, ptr: *mut u8, size: usize) {
        let (class, taken) = class_of(size);
        let mut state = self.lock();
        let p = ptr as usize;
        if p + taken == state.top {
            state.top = p;
            return;
        }
        state.push_free(class, p);
    }

    /// Resizes a block in place if it can: same class, or the block at the
    /// top of the region. False if it must move.
    ///
    /// # Safety
    /// `ptr` is a live block of this region allocated for `old`.
    pub unsafe fn grow_in_place(&self, ptr: *mut u8, old: usize, new: usize) -> bool {
        let (old_class, old_taken) = class_of(old);
        let (new_class, new_taken) = class_of(new);
        if old_class == new_class {
            return true;
        }
        let mut state = self.lock();
        let p = ptr as usize;
        let Some(base) = self.region(&mut state) else { return false };
        if p + old_taken != state.top || p + new_taken > base + RESERVE {
            return false;
        }
        state.top = p + new_taken;
        state.untouched = state.untouched.max(state.top);
        true
    }
}

impl Blocks {
    /// Hands the memory of free blocks back to the system (all but the page
    /// holding a block's free-list link), and the memory above the top.
    pub fn purge(&self) {
        let state = self.lock();
        let base = self.base.load(Ordering::Acquire);
        if base == 0 || base == UNAVAILABLE {
            return;
        }
        let discard = |from: usize, to: usize| {
            if to > from {
                // SAFETY: the range lies in the region and holds no live block.
                unsafe { nix::libc::madvise(from as *mut _, to - from, nix::libc::MADV_DONTNEED) };
            }
        };
        for (class, &head) in state.free.iter().enumerate() {
            let taken = class_size(class);
            let mut p = head;
            while p != 0 {
                discard(p + GRAIN, p + taken);
                // SAFETY: a free block holds the next one's address.
                p = unsafe { *(p as *const usize) };
            }
        }
        discard(state.top, state.untouched.min(base + RESERVE));
    }
}

/// The largest class whose blocks fit in `size` bytes (a multiple of
/// [`GRAIN`], at least [`MIN`]).
fn class_below(size: usize) -> usize {
    let (class, taken) = class_of(size.min(MAX));
    if taken > size {
        class - 1
    } else {
        class
    }
}

/// The size a class's blocks take (the inverse of [`class_of`]).
fn class_size(class: usize) -> usize {
    if class <= 16 {
        return class * GRAIN;
    }
    let k = 16 + (class - 17) / 8;
    let sub = (class - 17) % 8;
    (1 << k) + (sub + 1) * (1 << (k - 3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_cover_every_size_with_at_most_an_eighth_more() {
        let mut last = (0, 0);
        for size in (MIN..=MAX).step_by(509).chain([MIN, 64 << 10, (64 << 10) + 1, MAX]) {
            let (class, taken) = class_of(size);
            assert!(class < CLASSES, "{size}: class {class}");
            assert!(taken >= size && taken % GRAIN == 0, "{size} -> {taken}");
            assert!(taken - size <= size / 8 + GRAIN, "{size} -> {taken}");
            assert_eq!(class_size(class), taken, "{size}");
            // A class is one size.
            if class == last.0 {
                assert_eq!(taken, last.1, "{size}");
            }
            last = (class, taken);
        }
        assert_eq!(class_of(MAX).1, MAX);
    }

    #[test]
    fn freed_blocks_are_reused_and_the_top_moves_back() {
        let blocks = Blocks::new();
        let a = blocks.alloc(10_000, false);
        let b = blocks.alloc(100_000, false);
        assert!(blocks.owns(a) && blocks.owns(b));
        assert_eq!(a as usize % GRAIN, 0);
        unsafe { a.write_bytes(0xAB, 10_000) };
        unsafe { blocks.free(a, 10_000) };
        // Same class: the freed block again, cleared when asked.
        let c = blocks.alloc(9_000, true);
        assert_eq!(c, a);
        assert!(unsafe { std::slice::from_raw_parts(c, 9_000) }.iter().all(|&x| x == 0));
        // The top block goes back to the region.
        unsafe { blocks.free(b, 100_000) };
        let d = blocks.alloc(200_000, true);
        assert_eq!(d, b);
        // Purged free blocks read as zero when reused.
        let e = blocks.alloc(300_000, false);
        unsafe { e.write_bytes(7, 300_000) };
        let f = blocks.alloc(MIN, false);
        unsafe { blocks.free(e, 300_000) };
        blocks.purge();
        assert_eq!(blocks.alloc(300_000, false), e);
        assert!(unsafe { std::slice::from_raw_parts(e.add(GRAIN), 300_000 - GRAIN) }.iter().all(|&x| x == 0));
        unsafe { blocks.free(f, MIN) };
        assert!(!blocks.owns(std::ptr::null_mut()));
    }

    #[test]
    fn smaller_blocks_are_cut_from_a_larger_free_one() {
        let blocks = Blocks::new();
        let a = blocks.alloc(200_000, false);
        let b = blocks.alloc(MIN, false);
        let taken = class_of(200_000).1;
        unsafe { blocks.free(a, 200_000) };
        // The smaller block comes from the freed one, not from the top ...
        let c = blocks.alloc(64 << 10, true);
        assert_eq!(c, a);
        assert!(unsafe { std::slice::from_raw_parts(c, 64 << 10) }.iter().all(|&x| x == 0));
        // ... and what is left of it serves the next, to its end.
        let rest = taken - (64 << 10);
        assert_eq!(class_of(rest).1, rest);
        let d = blocks.alloc(rest, false);
        assert_eq!(d as usize, a as usize + (64 << 10));
        // Nothing is left over: the next block is fresh, above `b`.
        let e = blocks.alloc(MIN, false);
        assert!(e as usize > b as usize);
        // A remainder that is no class's size is cut into several.
        unsafe { blocks.free(d, rest) };
        let f = blocks.alloc(100_000, false);
        assert_eq!(f, d);
        let left = rest - class_of(100_000).1;
        let mut pieces = 0;
        let mut at = f as usize + class_of(100_000).1;
        while at < f as usize + rest {
            let p = blocks.alloc(MIN, false);
            assert!(
                p as usize >= at && (p as usize) < f as usize + rest,
                "piece {pieces} outside the remainder"
            );
            at = p as usize + MIN;
            pieces += 1;
            if pieces > left / MIN {
                break;
            }
        }
        assert_eq!(pieces, left / MIN);
    }

    #[test]
    fn the_top_block_grows_in_place_and_others_move() {
        let blocks = Blocks::new();
        let a = blocks.alloc(MIN + 1, false);
        let b = blocks.alloc(MIN, false);
        unsafe {
            assert!(blocks.grow_in_place(b, MIN, MIN * 4));
            assert!(blocks.grow_in_place(b, MIN * 4, MIN * 4 + 1));
            assert!(!blocks.grow_in_place(a, MIN + 1, MIN * 2), "not at the top");
            assert!(blocks.grow_in_place(a, MIN + 1, MIN + GRAIN), "same class");
        }
        let c = blocks.alloc(MIN, false);
        assert_eq!(c as usize, b as usize + class_of(MIN * 4 + 1).1);
    }

    #[test]
    fn threads_share_the_region() {
        let blocks = Blocks::new();
        std::thread::scope(|s| {
            for t in 0..4u8 {
                let blocks = &blocks;
                s.spawn(move || {
                    let mut held = Vec::new();
                    for i in 0..200 {
                        let size = MIN + (i * 997 + t as usize * 31) % (300 << 10);
                        let p = blocks.alloc(size, true);
                        assert!(!p.is_null());
                        unsafe { p.write_bytes(t, size) };
                        held.push((p, size));
                        if i % 3 == 0 {
                            let (p, size) = held.swap_remove(i % held.len());
                            unsafe { blocks.free(p, size) };
                        }
                    }
                    for (p, size) in held {
                        assert!(unsafe { std::slice::from_raw_parts(p, size) }.iter().all(|&x| x == t));
                        unsafe { blocks.free(p, size) };
                    }
                });
            }
        });
    }
}
