//! Keeping a second processor running ahead of a two-thread reading.
//!
//! A large CIB is read on two threads (`cib_schema`'s `split`). On a virtual
//! machine an idle processor halts, and a thread sent to a halted one may wait
//! for the host to run it again: measured on this project's machine, the
//! reading's second thread began 1 to 4 ms after it was started in a quarter
//! of the runs (about 0.15 ms otherwise), while the whole reading of 8 nodes x
//! 1,000 resources takes 6 to 10 ms. A thread that spins on the other
//! processor from the moment a tool knows its input is large keeps that
//! processor running; the reading's thread, started a moment later, then
//! begins at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The spinning stops at the latest after this long, whatever happens.
const LIMIT: Duration = Duration::from_millis(20);

/// While this lives (and for at most [`LIMIT`]), another processor is kept
/// running. Drop it just before the work that wants that processor starts.
pub struct Awake {
    /// Also held by the spinning thread until it ends (it is not joined).
    stop: Arc<AtomicBool>,
}

impl Drop for Awake {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Starts keeping another processor running, where there is one.
pub fn keep_another_awake() -> Option<Awake> {
    keep_another_awake_for(LIMIT)
}

fn keep_another_awake_for(limit: Duration) -> Option<Awake> {
    if std::thread::available_parallelism().map_or(true, |n| n.get() < 2) {
        return None;
    }
    let stop = Arc::new(AtomicBool::new(false));
    let seen = stop.clone();
    std::thread::Builder::new()
        .name("cpu-awake".into())
        .spawn(move || {
            let started = Instant::now();
            while !seen.load(Ordering::Relaxed) && started.elapsed() < limit {
                std::hint::spin_loop();
            }
        })
        .ok()?;
    Some(Awake { stop })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether the spinning thread has ended (dropped its hold on `stop`)
    /// within a generous time.
    fn spinning_ends(stop: &Arc<AtomicBool>, holders_left: usize) -> bool {
        let started = Instant::now();
        while Arc::strong_count(stop) > holders_left {
            if started.elapsed() > Duration::from_secs(10) {
                return false;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        true
    }

    #[test]
    fn the_spinning_stops_when_told() {
        let Some(awake) = keep_another_awake_for(Duration::from_secs(3600)) else { return };
        let stop = awake.stop.clone();
        assert_eq!(Arc::strong_count(&stop), 3, "the guard, the thread and this test hold it");
        drop(awake);
        assert!(spinning_ends(&stop, 1));
    }

    #[test]
    fn the_spinning_stops_at_its_limit_if_never_told() {
        let Some(awake) = keep_another_awake_for(Duration::from_millis(1)) else { return };
        let stop = awake.stop.clone();
        assert!(spinning_ends(&stop, 2));
        assert!(!awake.stop.load(Ordering::Relaxed), "nobody told it");
    }
}
