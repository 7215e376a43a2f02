//! A private `redis-server` for tests that stop and restart Redis; stopping the shared one would
//! disturb every other test running at the time.

use std::{process::Stdio, time::Duration};

use tokio::process::{Child, Command};

use crate::services::{ci, require};

pub struct RedisServer {
    child: Option<Child>,
    port: u16,
}

impl RedisServer {
    /// Starts `redis-server` on a free loopback port, or returns `None` (skipped) when the binary
    /// is missing outside CI.
    pub async fn start() -> Option<RedisServer> {
        let port = crate::free_port();
        let mut server = RedisServer { child: None, port };
        match server.spawn().await {
            Ok(()) => Some(server),
            Err(reason) => {
                require(
                    "redis-server",
                    "a local redis-server binary",
                    Err(reason),
                    ci(),
                );
                None
            }
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server (its data goes with it: it keeps nothing on disk).
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }

    /// Starts the server again on the same port.
    pub async fn restart(&mut self) {
        self.stop().await;
        if let Err(reason) = self.spawn().await {
            panic!("redis-server did not restart: {reason}");
        }
    }

    async fn spawn(&mut self) -> Result<(), String> {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot run redis-server: {e}"))?;
        self.child = Some(child);
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Err("redis-server did not start listening".into())
    }
}
