//! Small blocks (under 8 KiB) for the tools' allocator, every size class cut
//! from the same stretch of memory.
//!
//! mimalloc gives each size class a page of its own (64 KiB, per thread), so
//! a run that holds a few hundred blocks in each of some forty classes
//! touches far more memory than it holds, and each fresh 2 MiB of it costs a
//! page fault and its clearing (on this project's virtual machines up to
//! milliseconds each, when the host must back the page anew). Here each
//! thread takes chunks of one reserved region in turn and cuts blocks of any
//! class from its chunk one after another; a freed block goes on its class's
//! free list in the freeing thread and is the next one that thread hands out
//! for the class. The caller tells a block's size on free (Rust's allocator
//! interface does), so blocks carry no header. Nothing is handed back to the
//! system, and a thread's free lists end with it: this is for short-lived
//! tools, not the daemon.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Blocks of fewer bytes than this are served here.
pub const LIMIT: usize = 8 << 10;
/// Every block's address and size are multiples of this.
pub const ALIGN: usize = 16;
/// What a thread takes of the region at a time.
const CHUNK: usize = 256 << 10;
/// Address space reserved (not memory: pages are used as blocks are).
const RESERVE: usize = 16 << 30;

/// Sizes in steps of [`ALIGN`] up to 256 bytes, then four classes per doubling.
const CLASSES: usize = 16 + 5 * 4;

/// The size a class's blocks take.
const fn class_size(class: usize) -> usize {
    if class < 16 {
        return (class + 1) * ALIGN;
    }
    let k = 8 + (class - 16) / 4;
    let sub = (class - 16) % 4;
    (1 << k) + (sub + 1) * (1 << (k - 2))
}

/// The class of each size, by the size in units of [`ALIGN`] (rounded up).
const CLASS_OF: [u8; LIMIT / ALIGN + 1] = {
    let mut table = [0u8; LIMIT / ALIGN + 1];
    let (mut units, mut class) = (0, 0);
    while units <= LIMIT / ALIGN {
        while class_size(class) < units * ALIGN {
            class += 1;
        }
        table[units] = class as u8;
        units += 1;
    }
    table
};

fn class_of(size: usize) -> usize {
    CLASS_OF[size.div_ceil(ALIGN)] as usize
}

/// Start of the region: 0 until reserved, [`UNAVAILABLE`] if that failed.
static BASE: AtomicUsize = AtomicUsize::new(0);
const UNAVAILABLE: usize = usize::MAX;
/// Offset in the region of the next chunk to hand out.
static NEXT_CHUNK: AtomicUsize = AtomicUsize::new(0);

/// A thread's chunk and free lists.
struct Local {
    /// The next byte of the thread's chunk to hand out, and the chunk's end.
    bump: Cell<usize>,
    end: Cell<usize>,
    /// Bytes from here on were never handed out: still zero.
    clean: Cell<usize>,
    /// Heads of the free lists, one per class (0 = empty); a free block holds
    /// the address of the next.
    free: [Cell<usize>; CLASSES],
}

thread_local! {
    // No destructor, so no registration at a thread's first use and no
    // state to check on each access.
    static LOCAL: Local = const {
        Local { bump: Cell::new(0), end: Cell::new(0), clean: Cell::new(0), free: [const { Cell::new(0) }; CLASSES] }
    };
}

/// Whether `ptr` is one of this region's blocks.
pub fn owns(ptr: *mut u8) -> bool {
    let base = BASE.load(Ordering::Relaxed);
    (ptr as usize).wrapping_sub(base) < RESERVE && base != UNAVAILABLE && base != 0
}

/// The region's start, reserving it on first use.
fn region() -> Option<usize> {
    match BASE.load(Ordering::Acquire) {
        UNAVAILABLE => return None,
        0 => {}
        base => return Some(base),
    }
    let reserved = super::reserve(RESERVE);
    let base = reserved.map_or(UNAVAILABLE, |(_, base)| base);
    match BASE.compare_exchange(0, base, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => (base != UNAVAILABLE).then_some(base),
        Err(theirs) => {
            // Another thread reserved it first: ours goes back.
            if let Some((raw, _)) = reserved {
                super::unreserve(raw, RESERVE);
            }
            (theirs != UNAVAILABLE).then_some(theirs)
        }
    }
}

/// A fresh chunk for the calling thread: its start, or `None` when the
/// region is unavailable or used up.
fn take_chunk() -> Option<usize> {
    let base = region()?;
    let at = NEXT_CHUNK.fetch_add(CHUNK, Ordering::Relaxed);
    (at + CHUNK <= RESERVE).then_some(base + at)
}

/// A block of at least `size` bytes (under [`LIMIT`]), aligned to
/// [`ALIGN`], zeroed if asked; null when the region is unavailable or full.
pub fn alloc(size: usize, zeroed: bool) -> *mut u8 {
    let class = class_of(size);
    LOCAL.with(|local| {
        let head = local.free[class].get();
        if head != 0 {
            // SAFETY: a free block of this class holds the next one's address.
            local.free[class].set(unsafe { *(head as *const usize) });
            if zeroed {
                // SAFETY: the block is free and `class_size` bytes long.
                unsafe { std::ptr::write_bytes(head as *mut u8, 0, class_size(class)) };
            }
            return head as *mut u8;
        }
        let taken = class_size(class);
        let mut p = local.bump.get();
        if p + taken > local.end.get() {
            // The rest of the old chunk, if any, is left unused (under 8 KiB).
            let Some(start) = take_chunk() else { return std::ptr::null_mut() };
            p = start;
            local.end.set(start + CHUNK);
            local.clean.set(start);
        }
        local.bump.set(p + taken);
        let clean = local.clean.get();
        if p + taken > clean {
            local.clean.set(p + taken);
        }
        if zeroed && clean > p {
            // SAFETY: the block is ours; below `clean` it may have been used.
            unsafe { std::ptr::write_bytes(p as *mut u8, 0, (clean - p).min(taken)) };
        }
        p as *mut u8
    })
}

/// Frees a block of this region allocated for `size` bytes.
///
/// # Safety
/// `ptr` came from [`alloc`] (or [`resize_in_place`]) for `size` and is not
/// used again.
pub unsafe fn free(ptr: *mut u8, size: usize) {
    let class = class_of(size);
    LOCAL.with(|local| {
        let p = ptr as usize;
        if p + class_size(class) == local.bump.get() {
            // The thread's last block: the chunk takes it back.
            local.bump.set(p);
            return;
        }
        // SAFETY: the block is the caller's to give up and at least a word long.
        unsafe { *(p as *mut usize) = local.free[class].get() };
        local.free[class].set(p);
    })
}

/// Resizes a block in place if it can (both sizes under [`LIMIT`]): same
/// class, or the calling thread's last block with room after it. False if
/// it must move.
///
/// # Safety
/// `ptr` is a live block of this region allocated for `old`.
pub unsafe fn resize_in_place(ptr: *mut u8, old: usize, new: usize) -> bool {
    let (old_class, new_class) = (class_of(old), class_of(new));
    if old_class == new_class {
        return true;
    }
    LOCAL.with(|local| {
        let p = ptr as usize;
        let new_end = p + class_size(new_class);
        if p + class_size(old_class) != local.bump.get() || new_end > local.end.get() {
            return false;
        }
        local.bump.set(new_end);
        local.clean.set(local.clean.get().max(new_end));
        true
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_cover_every_size_with_at_most_a_quarter_more() {
        for size in 1..LIMIT {
            let class = class_of(size);
            let taken = class_size(class);
            assert!(class < CLASSES, "{size}: class {class}");
            assert!(taken >= size && taken.is_multiple_of(ALIGN), "{size} -> {taken}");
            assert!(taken - size < size / 4 + ALIGN, "{size} -> {taken}");
            assert!(class == 0 || class_size(class - 1) < size, "{size}: a smaller class fits");
        }
    }

    #[test]
    fn freed_blocks_are_reused_cleared_when_asked_and_threads_share_the_region() {
        let a = alloc(100, false);
        let b = alloc(100, false);
        assert!(owns(a) && owns(b) && !owns(std::ptr::null_mut()));
        assert_eq!(a as usize % ALIGN, 0);
        unsafe { a.write_bytes(0xAB, 100) };
        unsafe { free(a, 100) };
        let c = alloc(112, true);
        assert_eq!(c, a, "same class: the freed block again");
        assert!(unsafe { std::slice::from_raw_parts(c, 112) }.iter().all(|&x| x == 0));
        // The last block grows in place, then goes back to the chunk.
        let d = alloc(40, false);
        assert!(unsafe { resize_in_place(d, 40, 4000) });
        unsafe { free(d, 4000) };
        assert_eq!(alloc(40, false), d);
        // Another thread cuts its blocks from a chunk of its own, and frees
        // ours onto its own lists.
        let theirs = b as usize;
        let other = std::thread::spawn(move || {
            let e = alloc(100, false) as usize;
            unsafe { free(theirs as *mut u8, 100) };
            (e, alloc(100, false) as usize)
        })
        .join()
        .unwrap();
        assert!(owns(other.0 as *mut u8) && other.0 != theirs);
        assert_eq!(other.1, theirs);
    }
}
