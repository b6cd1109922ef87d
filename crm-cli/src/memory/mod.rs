//! How the short-lived tools use memory: their allocator ([`ToolAllocator`],
//! mimalloc on transparent huge pages, mid-sized blocks in a region of their
//! own, [`blocks`]), and what they hand back. A run gains
//! nothing from handing freed memory back to the kernel piecemeal (on large
//! CIBs mimalloc's decommit and re-fault of freed memory cost more than half
//! the run time), so purging is off; the few large things freed on the way
//! (the input text, a status section already unpacked) are handed back at
//! once in a large process, which keeps the peak down.

mod blocks;

/// `mi_option_purge_delay` in mimalloc.h (v3); the -sys crate names no constant for it.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Turns purging off. Call first thing in `main`, while single-threaded.
pub fn disable_purging() {
    // SAFETY: a plain option setter; the caller is single-threaded (the call
    // is not thread safe).
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, -1) };
}

/// Below this resident size, freed memory is kept for reuse rather than
/// handed back: purging splits the process's huge pages, and what follows
/// re-faults the same memory page by page.
const PURGE_ABOVE_BYTES: u64 = 128 << 20;

/// Done with `value`: when the process is large, frees it and hands its
/// memory back to the system; otherwise leaves it to the process exit, which
/// is soon (taking a status section apart piece by piece costs a run about a
/// millisecond, and returns nothing useful). Only for single-threaded callers,
/// as [`disable_purging`].
pub fn release<T>(value: T) {
    if resident_bytes().is_some_and(|rss| rss < PURGE_ABOVE_BYTES) {
        std::mem::forget(value);
        return;
    }
    // SAFETY: as in `disable_purging`.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 0) };
    drop(value);
    // SAFETY: `mi_collect` is thread safe; the option setter as above.
    unsafe {
        libmimalloc_sys::mi_collect(true);
        libmimalloc_sys::mi_option_set(PURGE_DELAY, -1);
    }
    BLOCKS.purge();
}

/// Resident memory now, from `/proc/self/statm` (in pages, its second field).
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// Current and peak resident memory, for debug logs.
pub fn usage() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .map(|l| l[name.len()..].trim().to_string())
            .unwrap_or_default()
    };
    // Minor page faults so far: field 10 of /proc/self/stat, after the
    // parenthesised command name.
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let faults = stat.rsplit(')').next().and_then(|rest| rest.split_whitespace().nth(7)).unwrap_or("?");
    let anon = field("RssAnon:");
    format!("rss {} ({anon} anonymous), peak {}, {faults} page faults", field("VmRSS:"), field("VmHWM:"))
}

/// The tools' global allocator: mimalloc, except for mid-sized blocks (8 KiB
/// to 1 MiB), which [`blocks`] lays out back to back: mimalloc would open a
/// page of 512 KiB or 4 MiB for each of their size classes, and on huge pages
/// clear it all.
pub struct ToolAllocator;

static BLOCKS: blocks::Blocks = blocks::Blocks::new();

/// Every mimalloc block is aligned to at least a word (its size classes are
/// word multiples): plain calls serve the usual alignments, skipping the
/// aligned entry points' extra work.
const WORD: usize = std::mem::size_of::<usize>();

fn mi_alloc(size: usize, align: usize, zeroed: bool) -> *mut u8 {
    // SAFETY: plain allocation calls.
    unsafe {
        match (align <= WORD, zeroed) {
            (true, false) => libmimalloc_sys::mi_malloc(size).cast(),
            (true, true) => libmimalloc_sys::mi_zalloc(size).cast(),
            (false, false) => libmimalloc_sys::mi_malloc_aligned(size, align).cast(),
            (false, true) => libmimalloc_sys::mi_zalloc_aligned(size, align).cast(),
        }
    }
}

fn alloc_block(layout: std::alloc::Layout, zeroed: bool) -> *mut u8 {
    if blocks::serves(layout.size(), layout.align()) {
        let p = BLOCKS.alloc(layout.size(), zeroed);
        if !p.is_null() {
            return p;
        }
    }
    mi_alloc(layout.size(), layout.align(), zeroed)
}

// SAFETY: blocks come from mimalloc or from `BLOCKS`, each with at least the
// size and alignment asked for, and go back to where they came from
// (`BLOCKS.owns` tells); mimalloc finds a block's size itself on free.
unsafe impl std::alloc::GlobalAlloc for ToolAllocator {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        alloc_block(layout, false)
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        alloc_block(layout, true)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        if BLOCKS.owns(ptr) {
            unsafe { BLOCKS.free(ptr, layout.size()) }
        } else {
            unsafe { libmimalloc_sys::mi_free(ptr.cast()) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        let ours = BLOCKS.owns(ptr);
        let fits = blocks::serves(new_size, layout.align());
        if ours && fits && unsafe { BLOCKS.grow_in_place(ptr, layout.size(), new_size) } {
            return ptr;
        }
        if !ours && !fits {
            // SAFETY: a mimalloc block, resized by mimalloc.
            return unsafe {
                if layout.align() <= WORD {
                    libmimalloc_sys::mi_realloc(ptr.cast(), new_size).cast()
                } else {
                    libmimalloc_sys::mi_realloc_aligned(ptr.cast(), new_size, layout.align()).cast()
                }
            };
        }
        // Between the region and mimalloc, or within the region but moving.
        // SAFETY: `new_size` with the old alignment is a valid layout (the
        // caller's contract).
        let new = alloc_block(
            unsafe { std::alloc::Layout::from_size_align_unchecked(new_size, layout.align()) },
            false,
        );
        if !new.is_null() {
            unsafe {
                std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
        }
        new
    }
}

#[cfg(test)]
mod tests {
    use std::alloc::{GlobalAlloc, Layout};

    use super::*;

    /// A block's bytes survive every move: within mimalloc, into the region,
    /// within it, and back out.
    #[test]
    fn reallocation_keeps_contents_across_both_allocators() {
        let a = ToolAllocator;
        let sizes = [100, 5_000, 9_000, 70_000, 300_000, 6 << 20, 20_000, 64];
        unsafe {
            let layout = Layout::from_size_align(sizes[0], 8).unwrap();
            let mut p = a.alloc_zeroed(layout);
            assert!(std::slice::from_raw_parts(p, sizes[0]).iter().all(|&b| b == 0));
            let mut size = sizes[0];
            for (i, &next) in sizes.iter().enumerate().skip(1) {
                p.write_bytes(i as u8, size);
                p = a.realloc(p, Layout::from_size_align(size, 8).unwrap(), next);
                assert!(!p.is_null());
                let kept = size.min(next);
                assert!(
                    std::slice::from_raw_parts(p, kept).iter().all(|&b| b == i as u8),
                    "{size} -> {next}"
                );
                size = next;
            }
            a.dealloc(p, Layout::from_size_align(size, 8).unwrap());
            // Over-aligned blocks are served too.
            let big = Layout::from_size_align(10_000, 8192).unwrap();
            let q = a.alloc(big);
            assert_eq!(q as usize % 8192, 0);
            a.dealloc(q, big);
        }
    }
}
