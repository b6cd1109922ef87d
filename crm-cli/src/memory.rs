//! How the short-lived tools use memory: their allocator ([`ToolAllocator`],
//! mimalloc on transparent huge pages), and what they hand back. A run gains
//! nothing from handing freed memory back to the kernel piecemeal (on large
//! CIBs mimalloc's decommit and re-fault of freed memory cost more than half
//! the run time), so purging is off; the few large things freed on the way
//! (the input text, a status section already unpacked) are handed back at
//! once in a large process, which keeps the peak down.

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

/// The tools' global allocator: mimalloc, except that blocks between its
/// medium and huge sizes (84 KiB to 512 KiB) are asked for as 512 KiB and a
/// bit. mimalloc keeps such "large" blocks in a 4 MiB page per size class, so
/// the few vectors and tables of those sizes a run holds would each open a
/// separate huge page (2 MiB to clear for a 200 KiB table); larger blocks are
/// laid out back to back, so they share huge pages.
pub struct ToolAllocator;

/// The sizes mimalloc v3 keeps in per-class 4 MiB pages.
const LARGE_BLOCKS: std::ops::RangeInclusive<usize> = (84 << 10)..=(512 << 10);

fn block_size(size: usize) -> usize {
    if LARGE_BLOCKS.contains(&size) {
        (512 << 10) + 1
    } else {
        size
    }
}

/// Every mimalloc block is aligned to at least a word (its size classes are
/// word multiples): plain calls serve the usual alignments, skipping the
/// aligned entry points' extra work.
const WORD: usize = std::mem::size_of::<usize>();

// SAFETY: every call forwards to mimalloc with a size at least the one asked
// for, and an alignment at least the one asked for (a word, which every block
// has, or the requested one); mimalloc finds a block's size itself on free.
unsafe impl std::alloc::GlobalAlloc for ToolAllocator {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        let size = block_size(layout.size());
        unsafe {
            if layout.align() <= WORD {
                libmimalloc_sys::mi_malloc(size).cast()
            } else {
                libmimalloc_sys::mi_malloc_aligned(size, layout.align()).cast()
            }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        let size = block_size(layout.size());
        unsafe {
            if layout.align() <= WORD {
                libmimalloc_sys::mi_zalloc(size).cast()
            } else {
                libmimalloc_sys::mi_zalloc_aligned(size, layout.align()).cast()
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: std::alloc::Layout) {
        unsafe { libmimalloc_sys::mi_free(ptr.cast()) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        let size = block_size(new_size);
        unsafe {
            if layout.align() <= WORD {
                libmimalloc_sys::mi_realloc(ptr.cast(), size).cast()
            } else {
                libmimalloc_sys::mi_realloc_aligned(ptr.cast(), size, layout.align()).cast()
            }
        }
    }
}
