//! A private SMTP server for tests: aiosmtpd (PyPI) on a free loopback port, keeping every
//! message it accepts in a Maildir that the test reads. It can be stopped and started again on
//! the same port, with the same Maildir, to show what happens while mail is down.

use std::{path::PathBuf, process::Stdio, time::Duration};

use tokio::{
    io::AsyncReadExt,
    net::TcpStream,
    process::{Child, Command},
};

use crate::services::{ci, require};

pub struct SmtpServer {
    child: Option<Child>,
    port: u16,
    maildir: tempfile::TempDir,
}

impl SmtpServer {
    /// Starts aiosmtpd, or returns `None` (skipped) when it is not installed outside CI.
    pub async fn start() -> Option<SmtpServer> {
        let maildir = tempfile::tempdir().unwrap_or_else(|e| panic!("a temporary folder: {e}"));
        let mut server = SmtpServer {
            child: None,
            port: crate::free_port(),
            maildir,
        };
        match server.spawn().await {
            Ok(()) => Some(server),
            Err(reason) => {
                require(
                    "an SMTP server",
                    "aiosmtpd (python3 -m pip install aiosmtpd)",
                    Err(reason),
                    ci(),
                );
                None
            }
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `smtp://127.0.0.1:PORT` (no TLS, no authentication).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, as it arrived (RFC 5322 bytes), oldest first.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        let dir = self.maildir.path().join("mail").join("new");
        let mut files: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter_map(|e| {
                        let modified = e.metadata().ok()?.modified().ok()?;
                        Some((modified, e.path()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
            .into_iter()
            .filter_map(|(_, path)| std::fs::read(path).ok())
            .collect()
    }

    /// Waits until at least `count` messages arrived (up to `within`), and returns them all.
    pub async fn wait_for(&self, count: usize, within: Duration) -> Vec<Vec<u8>> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let messages = self.messages();
            if messages.len() >= count || tokio::time::Instant::now() >= deadline {
                return messages;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Kills the server; the messages it received stay.
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }

    /// Starts it again on the same port, with the same Maildir.
    pub async fn restart(&mut self) {
        self.stop().await;
        if let Err(reason) = self.spawn().await {
            panic!("aiosmtpd did not restart: {reason}");
        }
    }

    async fn spawn(&mut self) -> Result<(), String> {
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{}", self.port))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            // A folder that does not exist yet: Python's Maildir makes it with its subfolders.
            .arg(self.maildir.path().join("mail"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot run python3 -m aiosmtpd: {e}"))?;
        self.child = Some(child);
        for _ in 0..200 {
            if greets(self.port).await {
                return Ok(());
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                return Err(format!("aiosmtpd exited with {status} (is it installed?)"));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err("aiosmtpd did not greet within 10 s".into())
    }
}

/// True when an SMTP server on the port sends its `220` greeting.
async fn greets(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)).await else {
        return false;
    };
    let mut greeting = [0_u8; 3];
    matches!(
        tokio::time::timeout(Duration::from_secs(2), stream.read_exact(&mut greeting)).await,
        Ok(Ok(_)) if &greeting == b"220"
    )
}
