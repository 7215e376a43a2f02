//! A circuit breaker: after the backend fails, skip it for a short while instead of making every
//! request wait for its timeout.

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant},
};

#[derive(Debug)]
pub(crate) struct Breaker {
    epoch: Instant,
    cooldown: Duration,
    /// Milliseconds since `epoch` before which the backend is not tried.
    open_until_ms: AtomicU64,
}

impl Breaker {
    pub(crate) fn new(cooldown: Duration) -> Self {
        Self {
            epoch: Instant::now(),
            cooldown,
            open_until_ms: AtomicU64::new(0),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.now_ms() >= self.open_until_ms.load(Ordering::Relaxed)
    }

    /// Records a failure: the backend is skipped for the cooldown. Returns true if it was
    /// closed until now (to log the transition once).
    pub(crate) fn trip(&self) -> bool {
        let was_closed = self.is_closed();
        let cooldown = u64::try_from(self.cooldown.as_millis()).unwrap_or(u64::MAX);
        self.open_until_ms
            .store(self.now_ms().saturating_add(cooldown), Ordering::Relaxed);
        was_closed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tripped_breaker_closes_after_its_cooldown() {
        let breaker = Breaker::new(Duration::from_millis(30));
        assert!(breaker.is_closed());
        assert!(breaker.trip());
        assert!(!breaker.is_closed());
        assert!(!breaker.trip());
        std::thread::sleep(Duration::from_millis(40));
        assert!(breaker.is_closed());
    }
}
