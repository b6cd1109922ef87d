//! Which processor the two-thread reading's second thread runs on. A new
//! thread starts on its creator's processor (measured on this project's
//! two-processor machine: nearly always), where it shares the time of the
//! main reading until the scheduler's balancing moves one of them, which can
//! take milliseconds when the other processor has halted; meanwhile both
//! read at half speed. So the second thread leaves the main reading's
//! processor as it starts: allowed every processor but that one, it is moved
//! at once, and then allowed them all again.

/// The processor the calling thread runs on, where that can be told.
pub(crate) fn current() -> Option<usize> {
    imp::current()
}

/// Moves the calling thread off processor `cpu`, if it may run elsewhere.
pub(crate) fn leave(cpu: usize) {
    imp::leave(cpu)
}

#[cfg(target_os = "linux")]
mod imp {
    pub(super) fn current() -> Option<usize> {
        // SAFETY: no arguments; a negative result is an error.
        usize::try_from(unsafe { libc::sched_getcpu() }).ok()
    }

    pub(super) fn leave(cpu: usize) {
        let size = std::mem::size_of::<libc::cpu_set_t>();
        if cpu >= 8 * size {
            return;
        }
        // SAFETY: the sets are plain bit sets of the size passed; pid 0 is
        // the calling thread.
        unsafe {
            let mut allowed: libc::cpu_set_t = std::mem::zeroed();
            if libc::sched_getaffinity(0, size, &mut allowed) != 0 || !libc::CPU_ISSET(cpu, &allowed) {
                return;
            }
            let mut elsewhere = allowed;
            libc::CPU_CLR(cpu, &mut elsewhere);
            if libc::CPU_COUNT(&elsewhere) == 0 {
                return;
            }
            if libc::sched_setaffinity(0, size, &elsewhere) == 0 {
                libc::sched_setaffinity(0, size, &allowed);
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    pub(super) fn current() -> Option<usize> {
        None
    }

    pub(super) fn leave(_: usize) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn a_thread_leaves_a_processor_and_may_use_them_all_again() {
        let many = std::thread::available_parallelism().map_or(1, |n| n.get());
        std::thread::spawn(move || {
            let Some(here) = current() else { return };
            // Right after leaving, the thread runs elsewhere (the scheduler
            // may move it back at any time later, so a few tries are allowed
            // for one to be seen).
            let moved = (0..20).any(|_| {
                leave(here);
                current() != Some(here)
            });
            assert!(moved || many == 1, "never seen off processor {here}");
            // Allowed everywhere again: it can come back.
            let size = std::mem::size_of::<libc::cpu_set_t>();
            // SAFETY: as in `leave`.
            let allowed = unsafe {
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                assert_eq!(libc::sched_getaffinity(0, size, &mut set), 0);
                set
            };
            assert!(unsafe { libc::CPU_ISSET(here, &allowed) });
        })
        .join()
        .unwrap();
    }
}
