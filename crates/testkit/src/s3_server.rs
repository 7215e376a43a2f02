//! A private S3-compatible server for tests: moto's `moto_server` (PyPI `moto[server]`), on a
//! free loopback port, with one bucket. Every test gets its own server, so buckets never meet.

use std::{process::Stdio, time::Duration};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    process::{Child, Command},
};

use crate::services::{ci, require};

/// The bucket every [`S3Server`] holds.
pub const BUCKET: &str = "souk-photos";

pub struct S3Server {
    _child: Child,
    port: u16,
}

impl S3Server {
    /// Starts `moto_server` with the bucket [`BUCKET`], or returns `None` (skipped) when it is
    /// not installed outside CI.
    pub async fn start() -> Option<S3Server> {
        let port = crate::free_port();
        match Self::spawn(port).await {
            Ok(server) => Some(server),
            Err(reason) => {
                require(
                    "an S3-compatible server",
                    "moto_server (python3 -m pip install 'moto[server]')",
                    Err(reason),
                    ci(),
                );
                None
            }
        }
    }

    /// The endpoint URL (plain HTTP; path-style requests).
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The access key moto accepts (any).
    pub const ACCESS_KEY_ID: &'static str = "souk-test";
    /// Its secret.
    pub const SECRET_ACCESS_KEY: &'static str = "souk-test-secret";

    /// The environment of a `souk` process storing its photos here.
    pub fn process_env(&self) -> Vec<(String, String)> {
        [
            ("SOUK_PHOTOS__STORAGE", "s3".to_owned()),
            ("SOUK_PHOTOS__S3_BUCKET", BUCKET.to_owned()),
            ("SOUK_PHOTOS__S3_REGION", "eu-west-3".to_owned()),
            ("SOUK_PHOTOS__S3_ENDPOINT", self.endpoint()),
            ("SOUK_PHOTOS__S3_ALLOW_HTTP", "true".to_owned()),
            (
                "SOUK_PHOTOS__S3_ACCESS_KEY_ID",
                Self::ACCESS_KEY_ID.to_owned(),
            ),
            (
                "SOUK_PHOTOS__S3_SECRET_ACCESS_KEY",
                Self::SECRET_ACCESS_KEY.to_owned(),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    async fn spawn(port: u16) -> Result<S3Server, String> {
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot run moto_server: {e}"))?;
        let server = S3Server {
            _child: child,
            port,
        };
        for _ in 0..300 {
            if let Ok(status) = server.create_bucket().await {
                return if status == 200 {
                    Ok(server)
                } else {
                    Err(format!("creating the bucket answered {status}"))
                };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err("moto_server did not start listening within 15 s".into())
    }

    /// `PUT /{bucket}`: moto accepts it unsigned. Returns the status code.
    async fn create_bucket(&self) -> std::io::Result<u16> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).await?;
        let request = format!(
            "PUT /{BUCKET} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.port
        );
        stream.write_all(request.as_bytes()).await?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await?;
        let head = String::from_utf8_lossy(&answer);
        head.split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("not HTTP: {head}")))
    }
}
