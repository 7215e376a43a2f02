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

/// Windows kept before expired ones are swept out.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Debug, Default)]
pub(crate) struct LocalLimiter {
    windows: Mutex<HashMap<String, (u64, Instant)>>,
}

impl LocalLimiter {
    /// Adds one to `key`'s window; returns the count and the time until the window resets.
    pub(crate) fn count(&self, key: &str, window: Duration) -> (u64, Duration) {
        let now = Instant::now();
        let Ok(mut windows) = self.windows.lock() else {
            // A poisoned lock means a panic elsewhere; refuse rather than let everything through.
            return (u64::MAX, window);
        };
        if windows.len() > SWEEP_ABOVE {
            windows.retain(|_, (_, ends)| *ends > now);
        }
        let entry = windows.entry(key.to_owned()).or_insert((0, now + window));
        if entry.1 <= now {
            *entry = (0, now + window);
        }
        entry.0 += 1;
        (entry.0, entry.1.saturating_duration_since(now))
    }
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
