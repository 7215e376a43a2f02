//! A replica's life after SIGTERM. It *drains*: reports not ready (so load balancers stop sending)
//! while it keeps serving; then it *closes*: accepts no new connection, answers the requests in
//! flight and lets the writes they started commit; then its background workers stop after their
//! current round; all within a bound, after which it exits whatever is left.

use std::{
    future::Future,
    sync::atomic::{AtomicBool, Ordering},
    time::Duration,
};

use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::error::ApiError;

/// How long each step may take.
#[derive(Clone, Copy, Debug)]
pub struct ShutdownPolicy {
    /// After the signal: not ready, still serving.
    pub drain: Duration,
    /// Then: the most the requests in flight, the writes they started and the workers get.
    pub grace: Duration,
}

/// Where the replica is in its life, and the work that must end before it does.
#[derive(Debug, Default)]
pub struct Lifecycle {
    draining: AtomicBool,
    /// Writes run detached from their request, so a client that goes away never cuts one.
    writes: TaskTracker,
    /// Cancelled when the background workers must stop.
    stop: CancellationToken,
}

impl Lifecycle {
    /// True from the shutdown signal on: readiness fails, answers ask clients to reconnect.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }

    pub(crate) fn start_draining(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }

    /// Runs a write to its end even if the client goes away or the request times out: its
    /// transaction is never cut in the middle, a retry (same `Idempotency-Key`) finds what it
    /// did, and shutdown waits for it.
    pub(crate) async fn detached<T, E>(
        &self,
        work: impl Future<Output = Result<T, E>> + Send + 'static,
    ) -> Result<T, ApiError>
    where
        T: Send + 'static,
        E: Into<ApiError> + Send + 'static,
    {
        match self.writes.spawn(work).await {
            Ok(result) => result.map_err(Into::into),
            Err(e) => Err(ApiError::internal(&e)),
        }
    }

    /// Resolves when the background workers must stop.
    pub(crate) fn stopping(&self) -> tokio_util::sync::WaitForCancellationFuture<'_> {
        self.stop.cancelled()
    }

    /// Stops the workers and waits for the detached writes, until `deadline`. True if everything
    /// ended in time.
    pub(crate) async fn finish(&self, deadline: tokio::time::Instant) -> bool {
        self.stop.cancel();
        self.writes.close();
        tokio::time::timeout_at(deadline, self.writes.wait())
            .await
            .is_ok()
    }
}
