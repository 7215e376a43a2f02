//! Slots for the heavy work a request can start: a photo decode (an upload, or a photo in an
//! agent's sync batch), a printable label sheet, a batch of labels. Each holds memory and a core for a while, so a replica
//! runs only so many at once (one per core by default), whoever asks. A request that waits too
//! long for a slot is answered "busy, try again" instead of piling up.

use std::{sync::Arc, time::Duration};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A replica's heavy-work slots. Cloning shares them.
#[derive(Clone, Debug)]
pub struct WorkSlots {
    slots: Arc<Semaphore>,
    wait: Duration,
}

/// No slot came free within the wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("busy: no slot for heavy work came free in time")]
pub struct Busy {
    /// When to try again.
    pub retry_after: Duration,
}

/// A slot held until dropped.
#[derive(Debug)]
pub struct WorkSlot(#[allow(dead_code, reason = "held, not read")] OwnedSemaphorePermit);

impl WorkSlots {
    /// `count` slots (0: one per core); a request waits at most `wait` for one.
    pub fn new(count: usize, wait: Duration) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        let count = if count == 0 { cores } else { count };
        Self {
            slots: Arc::new(Semaphore::new(count)),
            wait,
        }
    }

    /// Waits for a slot, at most the configured wait.
    pub async fn take(&self) -> Result<WorkSlot, Busy> {
        match tokio::time::timeout(self.wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(WorkSlot(permit)),
            _ => Err(Busy {
                retry_after: Duration::from_secs(2),
            }),
        }
    }

    /// Slots free now.
    pub fn available(&self) -> usize {
        self.slots.available_permits()
    }
}

impl Default for WorkSlots {
    /// One per core, five seconds' wait.
    fn default() -> Self {
        Self::new(0, Duration::from_secs(5))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn past_the_wait_a_request_is_told_busy_and_a_freed_slot_serves_the_next() {
        let slots = WorkSlots::new(1, Duration::from_millis(50));
        let held = slots.take().await.map_err(|e| e.to_string());
        assert!(held.is_ok());
        assert_eq!(slots.available(), 0);
        assert_eq!(
            slots.take().await.err().map(|b| b.retry_after),
            Some(Duration::from_secs(2))
        );
        drop(held);
        assert!(slots.take().await.is_ok());
    }
}
