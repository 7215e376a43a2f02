//! Fixed-window rate-limit decisions, and the in-process counter used when the shared one is
//! unreachable.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

/// Whether an event is within its limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateDecision {
    Allowed { remaining: u64 },
    Limited { retry_after: Duration },
}

impl RateDecision {
    pub(crate) fn from_count(count: u64, limit: u64, reset: Duration) -> Self {
        if count <= limit {
            RateDecision::Allowed {
                remaining: limit - count,
            }
        } else {
            RateDecision::Limited {
                retry_after: reset.max(Duration::from_secs(1)),
            }
        }
    }
}

/// Windows kept before expired ones are swept out, at most once a `SWEEP_EVERY`.
const SWEEP_ABOVE: usize = 10_000;
const SWEEP_EVERY: Duration = Duration::from_secs(1);

#[derive(Debug, Default)]
pub(crate) struct LocalLimiter {
    windows: Mutex<Windows>,
}

#[derive(Debug, Default)]
struct Windows {
    counts: HashMap<String, (u64, Instant)>,
    /// When expired windows may next be swept: with many clients at once, a sweep per event
    /// would cost more than the counting.
    next_sweep: Option<Instant>,
}

impl LocalLimiter {
    /// Adds one to `key`'s window; returns the count and the time until the window resets.
    pub(crate) fn count(&self, key: &str, window: Duration) -> (u64, Duration) {
        let now = Instant::now();
        let Ok(mut windows) = self.windows.lock() else {
            // A poisoned lock means a panic elsewhere; refuse rather than let everything through.
            return (u64::MAX, window);
        };
        let windows = &mut *windows;
        if windows.counts.len() > SWEEP_ABOVE && windows.next_sweep.is_none_or(|at| at <= now) {
            windows.counts.retain(|_, (_, ends)| *ends > now);
            windows.next_sweep = Some(now + SWEEP_EVERY);
        }
        // Looked up before inserting: a client's key is copied when it is new, not per event.
        if let Some(entry) = windows.counts.get_mut(key) {
            return bump(entry, now, window);
        }
        bump(
            windows
                .counts
                .entry(key.to_owned())
                .or_insert((0, now + window)),
            now,
            window,
        )
    }
}

/// Counts one event in a window, starting the window anew if it ended.
fn bump(entry: &mut (u64, Instant), now: Instant, window: Duration) -> (u64, Duration) {
    if entry.1 <= now {
        *entry = (0, now + window);
    }
    entry.0 += 1;
    (entry.0, entry.1.saturating_duration_since(now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_reached_after_limit_events_and_resets_with_the_window() {
        let limiter = LocalLimiter::default();
        let window = Duration::from_millis(50);
        for expected in 1..=3 {
            let (count, _) = limiter.count("k", window);
            assert_eq!(count, expected);
        }
        let (count, reset) = limiter.count("k", window);
        assert!(matches!(
            RateDecision::from_count(count, 3, reset),
            RateDecision::Limited { .. }
        ));
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(limiter.count("k", window).0, 1);
        assert_eq!(limiter.count("other", window).0, 1);
    }
}
