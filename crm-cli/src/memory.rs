//! How the short-lived tools use memory (with mimalloc as their allocator): a
//! run gains nothing from handing freed memory back to the kernel piecemeal
//! (on large CIBs mimalloc's decommit and re-fault of freed memory cost more
//! than half the run time), so purging is off; the few large things freed on
//! the way (the input text, a status section already unpacked) are handed
//! back at once, which keeps the peak down.

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

/// Frees `value` and, when the process is large, hands its memory back to the
/// system. Only for single-threaded callers, as [`disable_purging`].
pub fn release<T>(value: T) {
    if resident_bytes().is_some_and(|rss| rss < PURGE_ABOVE_BYTES) {
        drop(value);
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
    format!("rss {}, peak {}, {faults} page faults", field("VmRSS:"), field("VmHWM:"))
}
