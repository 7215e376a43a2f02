//! API hygiene (issue 18): requests cut short, oversized or with undecodable paths are answered
//! with problem reports and stable codes, and browsers on other origins reach `/v1` only from the
//! origins configured.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::Value;
use souk_api_tests::{Reply, TestApp, app_test};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// What a connection of its own got back. Raw sockets, because the bodies sent here are broken
/// on purpose (shorter than announced, far over the limit) and the answer comes while a client
/// library would still be sending.
struct Raw {
    text: String,
    /// The gateway closed the connection after its answer.
    closed: bool,
    /// From the first byte sent to the whole answer (or to the end of the wait).
    elapsed: Duration,
}

impl Raw {
    fn status(&self) -> Option<u16> {
        self.text.split_whitespace().nth(1)?.parse().ok()
    }

    fn header(&self, name: &str) -> Option<&str> {
        let (head, _) = self.text.split_once("\r\n\r\n")?;
        header_in(head, name)
    }

    fn body(&self) -> Value {
        self.text
            .split_once("\r\n\r\n")
            .and_then(|(_, body)| serde_json::from_str(body).ok())
            .unwrap_or(Value::Null)
    }

    fn assert_problem(&self, status: StatusCode, code: &str) {
        assert_eq!(self.status(), Some(status.as_u16()), "{}", self.text);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{}",
            self.text
        );
        let body = self.body();
        assert_eq!(body["code"], code, "{}", self.text);
        assert_eq!(body["status"], status.as_u16(), "{}", self.text);
    }
}

fn header_in<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|line| {
        let (key, value) = line.split_once(':')?;
        if key.trim().eq_ignore_ascii_case(name) {
            Some(value.trim())
        } else {
            None
        }
    })
}

/// A whole answer with a `Content-Length` has arrived.
fn complete(received: &[u8]) -> bool {
    let text = String::from_utf8_lossy(received);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    header_in(head, "content-length")
        .and_then(|length| length.parse::<usize>().ok())
        .is_some_and(|length| body.len() >= length)
}

/// Writes `head` then the `body` chunks (`pause` between them) on a connection of its own,
/// without ever closing its side, and reads what comes back until the answer is whole and the
/// gateway closed the connection, or `bound` passed.
async fn exchange(
    app: &TestApp,
    head: &str,
    body: Vec<Vec<u8>>,
    pause: Duration,
    bound: Duration,
) -> Raw {
    let stream = TcpStream::connect(app.address)
        .await
        .unwrap_or_else(|e| panic!("connect: {e}"));
    let (mut reader, mut writer) = stream.into_split();
    let head = head.as_bytes().to_vec();
    let started = Instant::now();
    let sending = tokio::spawn(async move {
        if writer.write_all(&head).await.is_ok() {
            for chunk in body {
                if writer.write_all(&chunk).await.is_err() {
                    break;
                }
                if !pause.is_zero() {
                    tokio::time::sleep(pause).await;
                }
            }
        }
        // Returned, not dropped: dropping it would end the body (FIN) before its length.
        writer
    });
    let mut received = Vec::new();
    let mut buffer = vec![0_u8; 16 * 1024];
    let mut closed = false;
    let mut answered = None;
    loop {
        // Once the answer is whole, a moment more to see the connection closed.
        let wait = match answered {
            Some(_) => Duration::from_secs(2),
            None => bound.saturating_sub(started.elapsed()),
        };
        match tokio::time::timeout(wait, reader.read(&mut buffer)).await {
            Ok(Ok(0) | Err(_)) => {
                closed = true;
                break;
            }
            Ok(Ok(n)) => {
                received.extend_from_slice(&buffer[..n]);
                if answered.is_none() && complete(&received) {
                    answered = Some(started.elapsed());
                }
            }
            Err(_) => break,
        }
    }
    sending.abort();
    Raw {
        text: String::from_utf8_lossy(&received).into_owned(),
        closed,
        elapsed: answered.unwrap_or_else(|| started.elapsed()),
    }
}

app_test!(async fn a_body_shorter_than_its_length_is_a_408_once_the_client_pauses_not_a_503(env) {
    let app = env.spawn_with(|f| f.merge(("http.body_timeout_ms", 500))).await;
    let head = "POST /v1/auth/login HTTP/1.1\r\nhost: souk\r\ncontent-type: application/json\r\n\
                content-length: 100\r\n\r\n";
    // Ten bytes of the hundred announced, then nothing.
    let ten = vec![b"{\"email\":\"".to_vec()];
    let raw = exchange(&app, head, ten, Duration::ZERO, Duration::from_secs(20)).await;
    raw.assert_problem(StatusCode::REQUEST_TIMEOUT, "body_timeout");
    assert_eq!(raw.header("connection"), Some("close"), "{}", raw.text);
    assert!(raw.closed, "the connection stayed open: {}", raw.text);
    // Told after the body's pause, long before the request timeout (30 s in tests).
    assert!(raw.elapsed >= Duration::from_millis(400), "{:?}", raw.elapsed);
    assert!(raw.elapsed < Duration::from_secs(10), "{:?}", raw.elapsed);
    // The gateway still serves.
    assert_eq!(app.get("/health/live").await.status, StatusCode::OK);
});

app_test!(async fn a_body_still_trickling_in_at_the_request_deadline_is_a_408_not_a_503(env) {
    let app = env
        .spawn_with(|f| {
            f.merge(("http.request_timeout_ms", 1_500))
                .merge(("http.body_timeout_ms", 1_000))
        })
        .await;
    let head = "POST /v1/auth/login HTTP/1.1\r\nhost: souk\r\ncontent-type: application/json\r\n\
                content-length: 100\r\n\r\n";
    // A byte every 200 ms: never a pause long enough, but never done within the deadline.
    let bytes = vec![b" ".to_vec(); 100];
    let raw = exchange(&app, head, bytes, Duration::from_millis(200), Duration::from_secs(20)).await;
    raw.assert_problem(StatusCode::REQUEST_TIMEOUT, "body_timeout");
    assert!(raw.elapsed < Duration::from_secs(10), "{:?}", raw.elapsed);
});

app_test!(async fn ten_megabytes_to_the_stripe_webhook_are_a_413_problem(env) {
    let app = env.spawn().await;
    let chunk = 64 * 1024;
    let chunks = 160;
    let head = format!(
        "POST /v1/webhooks/stripe HTTP/1.1\r\nhost: souk\r\ncontent-type: application/json\r\n\
         stripe-signature: t=1,v1=00\r\ncontent-length: {}\r\n\r\n",
        chunk * chunks
    );
    let body = vec![vec![b' '; chunk]; chunks];
    let raw = exchange(&app, &head, body, Duration::ZERO, Duration::from_secs(20)).await;
    raw.assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
});

app_test!(async fn a_media_path_that_is_not_utf8_is_a_400_problem(env) {
    let app = env.spawn().await;
    let reply = app.get("/media/photos/%ff%fe.jpg").await;
    reply.assert_problem(StatusCode::BAD_REQUEST, "invalid_path");
});

/// A browser's preflight before a POST with a token and an idempotency key.
async fn preflight(app: &TestApp, path: &str, origin: &str) -> Reply {
    let sent = app
        .client
        .request(Method::OPTIONS, app.url(path))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type,idempotency-key",
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    Reply::read(sent).await
}

async fn get_from(app: &TestApp, path: &str, origin: &str) -> Reply {
    let sent = app
        .client
        .get(app.url(path))
        .header("origin", origin)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    Reply::read(sent).await
}

app_test!(async fn browsers_reach_the_api_from_the_configured_origins_only(env) {
    let shop = "https://souk.ma";
    let app = env.spawn_with(|f| f.merge(("http.cors_origins", vec![shop]))).await;

    let allowed = preflight(&app, "/v1/products", shop).await;
    assert!(allowed.status.is_success(), "{}", allowed.status);
    assert_eq!(allowed.header("access-control-allow-origin"), shop);
    assert!(allowed.header("access-control-allow-methods").contains("POST"));
    let headers = allowed.header("access-control-allow-headers");
    for name in ["authorization", "content-type", "idempotency-key", "if-match"] {
        assert!(headers.contains(name), "{name} not in {headers}");
    }
    assert!(allowed.header("vary").contains("origin"), "{:?}", allowed.headers);

    let other = preflight(&app, "/v1/products", "https://elsewhere.example").await;
    assert!(other.headers.get("access-control-allow-origin").is_none(), "{:?}", other.headers);

    // The answers themselves, problems included, are readable by the page, with their headers.
    let crafts = get_from(&app, "/v1/crafts", shop).await;
    assert_eq!(crafts.status, StatusCode::OK);
    assert_eq!(crafts.header("access-control-allow-origin"), shop);
    assert!(crafts.header("access-control-expose-headers").contains("location"));
    let refused = get_from(&app, "/v1/orders", shop).await;
    refused.assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    assert_eq!(refused.header("access-control-allow-origin"), shop);

    // Only /v1: operations endpoints say nothing, and the label resolver keeps its own "*".
    let live = get_from(&app, "/health/live", shop).await;
    assert!(live.headers.get("access-control-allow-origin").is_none(), "{:?}", live.headers);
    let resolver = preflight(&app, "/01/09506000134352/21/ABC123", shop).await;
    assert_eq!(resolver.header("access-control-allow-origin"), "*");

    // Without the setting, no CORS header at all.
    let closed = env.spawn().await;
    for reply in [
        preflight(&closed, "/v1/products", shop).await,
        get_from(&closed, "/v1/crafts", shop).await,
    ] {
        let cors: Vec<_> =
            reply.headers.keys().filter(|k| k.as_str().starts_with("access-control-")).collect();
        assert!(cors.is_empty(), "{cors:?}");
    }
});
