//! How the short-lived tools use memory: their allocator ([`ToolAllocator`])
//! and what they hand back.
//!
//! What a run costs beyond its computing is mostly fresh memory: each page it
//! touches first is a fault and a clearing, and on this project's virtual
//! machines a 2 MiB page the host must back anew costs 1.5-5.6 ms (0.15 ms
//! when the host still backs it; 4 KiB pages cost about 3 us each). So the
//! allocator packs what a run holds into as few huge pages as it can: small
//! blocks of every size class cut one after another from one region
//! ([`small`]), larger ones back to back in another ([`blocks`]), both on
//! transparent huge pages; only the rare rest (over-aligned, or beyond 256
//! MiB) goes to the system allocator. A general allocator keeps a page per
//! size class and thread, most of them far from full: with mimalloc, 8 x
//! 1,000 touched 18.7 MB of anonymous memory, here 16.7 MB.
//!
//! Nothing is handed back to the kernel piecemeal (it would only be faulted
//! in again); the few large things freed on the way (the input text, a
//! status section already unpacked) are handed back at once in a large
//! process, which keeps the peak down.

mod blocks;
mod small;

use std::alloc::GlobalAlloc;

/// Transparent huge pages need regions aligned to them.
const HUGE_PAGE: usize = 2 << 20;

/// Reserves `size` bytes of address space (not memory: NORESERVE, so only
/// the pages used count) for one of the allocator's regions, its start
/// aligned to a huge page and advised onto huge pages. Returns the mapping's
/// own start (for [`unreserve`]) and the aligned start, or `None` if the
/// system has no room.
fn reserve(size: usize) -> Option<(usize, usize)> {
    // SAFETY: a fresh private anonymous mapping that nothing else refers to.
    let raw = unsafe {
        nix::libc::mmap(
            std::ptr::null_mut(),
            size + HUGE_PAGE,
            nix::libc::PROT_READ | nix::libc::PROT_WRITE,
            nix::libc::MAP_PRIVATE | nix::libc::MAP_ANONYMOUS | nix::libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if raw == nix::libc::MAP_FAILED {
        return None;
    }
    let base = (raw as usize).next_multiple_of(HUGE_PAGE);
    // SAFETY: advice on the mapping just made; failing it only costs speed.
    unsafe { nix::libc::madvise(base as *mut _, size, nix::libc::MADV_HUGEPAGE) };
    Some((raw as usize, base))
}

/// Gives back a reservation made by [`reserve`] for `size` bytes, unused.
fn unreserve(raw: usize, size: usize) {
    // SAFETY: the caller's own mapping, holding nothing.
    unsafe { nix::libc::munmap(raw as *mut _, size + HUGE_PAGE) };
}

/// Below this resident size, freed memory is kept for reuse rather than
/// handed back: what follows would fault the same memory in again.
const PURGE_ABOVE_BYTES: u64 = 128 << 20;

/// Done with `value`: when the process is large, frees it and hands the
/// memory of the large blocks freed back to the system; otherwise leaves it
/// to the process exit, which is soon (taking a status section apart piece
/// by piece costs a run about a millisecond, and returns nothing useful).
pub fn release<T>(value: T) {
    if resident_bytes().is_some_and(|rss| rss < PURGE_ABOVE_BYTES) {
        std::mem::forget(value);
        return;
    }
    drop(value);
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

/// The tools' global allocator: blocks under 8 KiB from [`small`], up to 256
/// MiB from [`blocks`], the rest (and whatever those cannot serve) from the
/// system allocator.
pub struct ToolAllocator;

static BLOCKS: blocks::Blocks = blocks::Blocks::new();

fn alloc_block(layout: std::alloc::Layout, zeroed: bool) -> *mut u8 {
    if layout.size() < small::LIMIT && layout.align() <= small::ALIGN {
        let p = small::alloc(layout.size(), zeroed);
        if !p.is_null() {
            return p;
        }
    }
    if blocks::serves(layout.size(), layout.align()) {
        let p = BLOCKS.alloc(layout.size(), zeroed);
        if !p.is_null() {
            return p;
        }
    }
    // SAFETY: a valid layout (the caller's).
    unsafe {
        if zeroed {
            std::alloc::System.alloc_zeroed(layout)
        } else {
            std::alloc::System.alloc(layout)
        }
    }
}

// SAFETY: blocks come from `small`, `BLOCKS` or the system allocator, each
// with at least the size and alignment asked for, and go back to where they
// came from (`small::owns` and `BLOCKS.owns` tell) with the layout they were
// allocated with, as the interface promises.
unsafe impl GlobalAlloc for ToolAllocator {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        alloc_block(layout, false)
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        alloc_block(layout, true)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        if small::owns(ptr) {
            unsafe { small::free(ptr, layout.size()) }
        } else if BLOCKS.owns(ptr) {
            unsafe { BLOCKS.free(ptr, layout.size()) }
        } else {
            unsafe { std::alloc::System.dealloc(ptr, layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        if small::owns(ptr)
            && new_size < small::LIMIT
            && unsafe { small::resize_in_place(ptr, layout.size(), new_size) }
        {
            return ptr;
        }
        let small_block = small::owns(ptr);
        let ours = BLOCKS.owns(ptr);
        let fits = blocks::serves(new_size, layout.align());
        if ours && fits && unsafe { BLOCKS.grow_in_place(ptr, layout.size(), new_size) } {
            return ptr;
        }
        if !ours && !fits && !small_block {
            // SAFETY: a system block, resized by the system allocator.
            return unsafe { std::alloc::System.realloc(ptr, layout, new_size) };
        }
        // Between the allocators, or within one but moving.
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

    /// A block's bytes survive every move: among the small blocks, into the
    /// region of larger ones, within it, and back out.
    #[test]
    fn reallocation_keeps_contents_across_the_allocators() {
        let a = ToolAllocator;
        let sizes = [100, 40, 3_000, 5_000, 9_000, 70_000, 300_000, 6 << 20, 20_000, 64, 7_000];
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
            // Over-aligned blocks are served too (by the system allocator),
            // and moved out of it when they grow.
            let big = Layout::from_size_align(10_000, 8192).unwrap();
            let q = a.alloc(big);
            assert_eq!(q as usize % 8192, 0);
            assert!(!small::owns(q) && !BLOCKS.owns(q));
            q.write_bytes(9, 10_000);
            let r = a.realloc(q, big, 20_000);
            assert_eq!(r as usize % 8192, 0);
            assert!(std::slice::from_raw_parts(r, 10_000).iter().all(|&b| b == 9));
            a.dealloc(r, Layout::from_size_align(20_000, 8192).unwrap());
            let odd = Layout::from_size_align(512, 128).unwrap();
            let s = a.alloc(odd);
            assert_eq!(s as usize % 128, 0);
            a.dealloc(s, odd);
        }
    }
}
