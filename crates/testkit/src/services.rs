//! Finding the test services, and deciding what a missing one means.

use std::time::Duration;

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// True when running under CI (`CI=true` or `CI=1`): then a missing service is a failure.
pub fn ci() -> bool {
    matches!(
        std::env::var("CI").as_deref(),
        Ok("true" | "1" | "TRUE" | "True")
    )
}

/// The PostgreSQL server tests create their databases on, from `SOUK_TEST_POSTGRES_URL`
/// (default `postgres://postgres@127.0.0.1:5432/postgres`).
pub fn postgres_admin_url() -> String {
    std::env::var("SOUK_TEST_POSTGRES_URL")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// The Redis server tests share, from `SOUK_TEST_REDIS_URL` (default `redis://127.0.0.1:6379`),
/// if it answers `PING`; see [`require`] for what happens when it does not.
pub async fn redis_url() -> Option<String> {
    let url = std::env::var("SOUK_TEST_REDIS_URL")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "redis://127.0.0.1:6379".into());
    let probe = ping_redis(&url).await;
    require("Redis", &url, probe, ci()).then_some(url)
}

/// What to do about a service a test needs.
#[derive(Debug, PartialEq, Eq)]
pub enum Availability {
    Available,
    /// Skip the test (not under CI).
    Skip(String),
    /// Fail the test (under CI).
    Fail(String),
}

impl Availability {
    pub fn decide(service: &str, url: &str, probe: Result<(), String>, ci: bool) -> Self {
        match probe {
            Ok(()) => Availability::Available,
            Err(reason) if ci => Availability::Fail(format!(
                "{service} is required under CI=true but is unreachable at {url}: {reason}"
            )),
            Err(reason) => Availability::Skip(format!(
                "SKIPPED: {service} unreachable at {url} ({reason}); set CI=true to make this a failure"
            )),
        }
    }
}

/// Returns true if the service is there; prints a skip notice and returns false if it is not;
/// panics if it is not and this is CI.
pub fn require(service: &str, url: &str, probe: Result<(), String>, ci: bool) -> bool {
    match Availability::decide(service, url, probe, ci) {
        Availability::Available => true,
        Availability::Skip(message) => {
            eprintln!("{message}");
            record_skip(service);
            false
        }
        Availability::Fail(message) => panic!("{message}"),
    }
}

/// Notes a skipped test in the file named by `SOUK_TEST_SKIPS` (set by `scripts/test`, which
/// lists them at the end: a skipped test passes, so the harness alone would not tell).
fn record_skip(service: &str) {
    use std::io::Write;
    let Some(path) = std::env::var_os("SOUK_TEST_SKIPS") else {
        return;
    };
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = writeln!(file, "{test} (needs {service})");
    }
}

/// Host and port of a `scheme://[user@]host:port/...` URL.
pub(crate) fn host_port(url: &str, default_port: u16) -> Option<(String, u16)> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    match host_port.rsplit_once(':') {
        Some((host, port)) => Some((host.to_owned(), port.parse().ok()?)),
        None => Some((host_port.to_owned(), default_port)),
    }
}

async fn ping_redis(url: &str) -> Result<(), String> {
    let (host, port) = host_port(url, 6379).ok_or("not a redis:// URL")?;
    let attempt = async {
        let mut stream = TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| e.to_string())?;
        stream
            .write_all(b"PING\r\n")
            .await
            .map_err(|e| e.to_string())?;
        let mut reply = [0u8; 7];
        stream
            .read_exact(&mut reply)
            .await
            .map_err(|e| e.to_string())?;
        if &reply == b"+PONG\r\n" {
            Ok(())
        } else {
            Err("did not answer PONG".to_owned())
        }
    };
    tokio::time::timeout(Duration::from_secs(2), attempt)
        .await
        .unwrap_or_else(|_| Err("timed out".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_service_is_skipped_on_a_laptop_and_fails_under_ci() {
        let down = || Err("connection refused".to_owned());
        assert!(matches!(
            Availability::decide("PostgreSQL", "x", down(), false),
            Availability::Skip(_)
        ));
        assert!(matches!(
            Availability::decide("PostgreSQL", "x", down(), true),
            Availability::Fail(_)
        ));
        assert_eq!(
            Availability::decide("Redis", "x", Ok(()), true),
            Availability::Available
        );
    }

    #[test]
    #[should_panic(expected = "required under CI=true")]
    fn require_panics_under_ci_when_the_service_is_missing() {
        require(
            "PostgreSQL",
            "postgres://127.0.0.1:1/x",
            Err("refused".into()),
            true,
        );
    }

    #[test]
    fn host_and_port_are_read_from_urls() {
        assert_eq!(
            host_port("postgres://postgres@127.0.0.1:5432/db", 5432),
            Some(("127.0.0.1".into(), 5432))
        );
        assert_eq!(
            host_port("redis://localhost", 6379),
            Some(("localhost".into(), 6379))
        );
        assert_eq!(
            host_port("redis://:pw@h:7000/0", 6379),
            Some(("h".into(), 7000))
        );
    }

    #[tokio::test]
    async fn an_unreachable_postgres_fails_under_ci() {
        // Port 1 on loopback has no server: the probe fails, and CI turns that into a failure.
        let probe = crate::postgres::probe("postgres://postgres@127.0.0.1:1/postgres").await;
        assert!(probe.is_err());
        let decided = Availability::decide("PostgreSQL", "127.0.0.1:1", probe, true);
        assert!(matches!(decided, Availability::Fail(_)));
    }
}
