//! Request deadlines, and whose fault a late answer is: a client that stops sending the body it
//! announced gets 408 `body_timeout` and its connection is closed (logged at INFO: nothing of
//! ours failed); a request we took too long over gets 503 `request_timeout`.

use std::{
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use axum::{
    body::{Body, Bytes, HttpBody},
    extract::{Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use http_body::{Frame, SizeHint};
use tokio::time::Sleep;

use crate::error::ApiError;

/// The bounds of one request (`http.request_timeout_ms`, `http.body_timeout_ms`).
#[derive(Clone, Copy, Debug)]
pub struct Deadlines {
    /// The whole request: its body, and our answer.
    pub request: Duration,
    /// The longest the client may pause while sending its body.
    pub body_idle: Duration,
}

/// What the request's body saw of its client.
#[derive(Debug, Default)]
struct ClientWait {
    /// The handler is waiting for the client's next bytes.
    waiting: AtomicBool,
    /// The client paused longer than allowed; its body was failed.
    stalled: AtomicBool,
}

/// Bounds the request; tells a client that kept us waiting for its body from a slow answer.
pub async fn enforce(State(deadlines): State<Deadlines>, request: Request, next: Next) -> Response {
    // A request without a body (most reads) cannot keep us waiting: left as it is.
    let (request, wait) = if request.body().is_end_stream() {
        (request, None)
    } else {
        let wait = Arc::new(ClientWait::default());
        let watched = wait.clone();
        let request = request.map(|inner| {
            Body::new(WatchedBody {
                inner,
                idle: deadlines.body_idle,
                pause: None,
                wait: watched,
            })
        });
        (request, Some(wait))
    };
    let stalled = || {
        wait.as_deref()
            .is_some_and(|w| w.stalled.load(Ordering::Acquire))
    };
    let waiting = || {
        wait.as_deref()
            .is_some_and(|w| w.waiting.load(Ordering::Acquire))
    };
    match tokio::time::timeout(deadlines.request, next.run(request)).await {
        // Whatever the handler made of its failed body, the client is the cause.
        Ok(_) if stalled() => body_timeout(format!(
            "the client sent nothing for {} ms before its body was complete",
            deadlines.body_idle.as_millis()
        )),
        Ok(response) => response,
        Err(_) if waiting() => body_timeout(format!(
            "the body was still arriving after {} ms",
            deadlines.request.as_millis()
        )),
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "request_timeout",
            "The request took too long",
        )
        .into_response(),
    }
}

/// 408, and the connection closed: the rest of a body may still be on its way.
fn body_timeout(detail: String) -> Response {
    tracing::info!(%detail, "request body timed out");
    let mut response = ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        "body_timeout",
        "The request body did not arrive in time",
    )
    .detail(detail)
    .into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// The request body, failed once its client pauses longer than `idle`; it tells [`enforce`]
/// whether the handler is waiting on the client.
struct WatchedBody {
    inner: Body,
    idle: Duration,
    /// Runs while the client keeps the handler waiting; each frame that arrives stops it.
    pause: Option<Pin<Box<Sleep>>>,
    wait: Arc<ClientWait>,
}

/// The error a stalled body ends with (extractors see it as an unreadable body).
#[derive(Debug, thiserror::Error)]
#[error("the client sent nothing for {} ms", .0.as_millis())]
struct Stalled(Duration);

impl HttpBody for WatchedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        if this.wait.stalled.load(Ordering::Acquire) {
            return Poll::Ready(Some(Err(axum::Error::new(Stalled(this.idle)))));
        }
        // The client first: bytes that came while the handler was busy elsewhere are no pause.
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            this.pause = None;
            this.wait.waiting.store(false, Ordering::Release);
            return Poll::Ready(frame);
        }
        this.wait.waiting.store(true, Ordering::Release);
        let idle = this.idle;
        let pause = this
            .pause
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
        if pause.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        this.pause = None;
        this.wait.waiting.store(false, Ordering::Release);
        this.wait.stalled.store(true, Ordering::Release);
        Poll::Ready(Some(Err(axum::Error::new(Stalled(idle)))))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
