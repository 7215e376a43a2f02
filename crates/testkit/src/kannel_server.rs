//! A private Kannel for tests (Debian `kannel` and `kannel-extras`): a bearerbox, an smsbox
//! serving the HTTP `sendsms` interface, and Kannel's own fake SMS centre, `fakesmsc`, which
//! prints every message it is handed. All on free loopback ports, with a spool in a temporary
//! folder; it can be stopped and started again to show what happens while SMS is down.

use std::{path::Path, process::Stdio, time::Duration};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    process::{Child, Command},
};

use crate::services::{ci, require};

const BEARERBOX: &str = "/usr/sbin/bearerbox";
const SMSBOX: &str = "/usr/sbin/smsbox";
const FAKESMSC: &str = "/usr/lib/kannel/test/fakesmsc";

/// One message as the SMS centre received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sms {
    pub from: String,
    pub to: String,
    pub text: String,
}

pub struct KannelServer {
    children: Vec<Child>,
    dir: tempfile::TempDir,
    ports: Ports,
    /// The output of earlier `fakesmsc` runs (before a restart).
    earlier: String,
}

#[derive(Clone, Copy)]
struct Ports {
    admin: u16,
    smsbox: u16,
    smsc: u16,
    sendsms: u16,
}

impl KannelServer {
    /// The account `sendsms` accepts.
    pub const USERNAME: &'static str = "souk";
    pub const PASSWORD: &'static str = "souk-test";

    /// Starts Kannel, or returns `None` (skipped) when it is not installed outside CI.
    pub async fn start() -> Option<KannelServer> {
        let ports = Ports {
            admin: crate::free_port(),
            smsbox: crate::free_port(),
            smsc: crate::free_port(),
            sendsms: crate::free_port(),
        };
        let mut server = KannelServer {
            children: Vec::new(),
            dir: tempfile::tempdir().unwrap_or_else(|e| panic!("a temporary folder: {e}")),
            ports,
            earlier: String::new(),
        };
        let started = match write_config(server.dir.path(), ports) {
            Ok(()) => server.spawn().await,
            Err(e) => Err(format!("cannot write kannel.conf: {e}")),
        };
        match started {
            Ok(()) => Some(server),
            Err(reason) => {
                require(
                    "Kannel (bearerbox, smsbox, fakesmsc)",
                    "apt-get install kannel kannel-extras",
                    Err(reason),
                    ci(),
                );
                None
            }
        }
    }

    /// The URL of smsbox's HTTP `sendsms` interface.
    pub fn sendsms_url(&self) -> String {
        format!("http://127.0.0.1:{}/cgi-bin/sendsms", self.ports.sendsms)
    }

    /// Every message the fake SMS centre received so far, oldest first.
    pub fn messages(&self) -> Vec<Sms> {
        let now = std::fs::read_to_string(self.dir.path().join("fakesmsc.out")).unwrap_or_default();
        format!("{}{}", self.earlier, now)
            .lines()
            .filter_map(parse_received)
            .collect()
    }

    /// Waits until at least `count` messages arrived (up to `within`), and returns them all.
    pub async fn wait_for(&self, count: usize, within: Duration) -> Vec<Sms> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let messages = self.messages();
            if messages.len() >= count || tokio::time::Instant::now() >= deadline {
                return messages;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops all three boxes; what the centre received stays.
    pub async fn stop(&mut self) {
        for mut child in self.children.drain(..).rev() {
            let _ = child.kill().await;
        }
        let out = self.dir.path().join("fakesmsc.out");
        self.earlier
            .push_str(&std::fs::read_to_string(&out).unwrap_or_default());
        let _ = std::fs::remove_file(out);
    }

    /// Starts them again on the same ports.
    pub async fn restart(&mut self) {
        self.stop().await;
        if let Err(reason) = self.spawn().await {
            panic!("Kannel did not restart: {reason}");
        }
    }

    async fn spawn(&mut self) -> Result<(), String> {
        let dir = self.dir.path();
        let conf = dir.join("kannel.conf");
        self.children
            .push(quiet(Command::new(BEARERBOX).arg(&conf), "bearerbox")?);
        wait_listening(self.ports.smsc, "bearerbox").await?;
        self.children
            .push(quiet(Command::new(SMSBOX).arg(&conf), "smsbox")?);
        let out = std::fs::File::create(dir.join("fakesmsc.out"))
            .map_err(|e| format!("cannot create fakesmsc.out: {e}"))?;
        // With no message to send, fakesmsc reads messages from its standard input: keep that
        // open (a pipe) so that it stays connected and prints what it receives.
        let centre = Command::new(FAKESMSC)
            .args(["-H", "127.0.0.1", "-r", &self.ports.smsc.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(out)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot run {FAKESMSC}: {e}"))?;
        self.children.push(centre);
        wait_listening(self.ports.sendsms, "smsbox").await?;
        for _ in 0..200 {
            if self.centre_online().await {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err("fakesmsc did not come online within 10 s".into())
    }

    /// True when bearerbox reports its SMS centre connection online.
    async fn centre_online(&self) -> bool {
        let path = "/status.txt?password=souk-admin";
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.ports.admin)).await else {
            return false;
        };
        let request = format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
        if stream.write_all(request.as_bytes()).await.is_err() {
            return false;
        }
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer).await;
        answer
            .lines()
            .any(|l| l.contains("fake") && l.contains("online"))
    }
}

fn quiet(command: &mut Command, name: &str) -> Result<Child, String> {
    command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot run {name}: {e}"))
}

async fn wait_listening(port: u16, name: &str) -> Result<(), String> {
    for _ in 0..200 {
        if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!("{name} did not listen on {port} within 10 s"))
}

fn write_config(dir: &Path, ports: Ports) -> std::io::Result<()> {
    let spool = dir.join("spool");
    std::fs::create_dir_all(&spool)?;
    let conf = format!(
        "group = core\n\
         admin-port = {admin}\n\
         admin-password = souk-admin\n\
         status-password = souk-admin\n\
         smsbox-port = {smsbox}\n\
         log-level = 2\n\
         store-type = spool\n\
         store-location = \"{spool}\"\n\n\
         group = smsc\n\
         smsc = fake\n\
         smsc-id = fake\n\
         port = {smsc}\n\
         connect-allow-ip = 127.0.0.1\n\n\
         group = smsbox\n\
         bearerbox-host = 127.0.0.1\n\
         sendsms-port = {sendsms}\n\
         log-level = 2\n\n\
         group = sendsms-user\n\
         username = {user}\n\
         password = {password}\n\
         max-messages = 3\n\
         concatenation = true\n\n\
         group = sms-service\n\
         keyword = default\n\
         text = \"\"\n\
         catch-all = true\n\
         omit-empty = true\n",
        admin = ports.admin,
        smsbox = ports.smsbox,
        smsc = ports.smsc,
        sendsms = ports.sendsms,
        spool = spool.display(),
        user = KannelServer::USERNAME,
        password = KannelServer::PASSWORD,
    );
    std::fs::write(dir.join("kannel.conf"), conf)
}

/// A line of fakesmsc's output for a message it received:
/// `... Got message N: <from to type data>`, where the data is URL-encoded, and in UCS-2 (big
/// endian) when the type is `ucs-2`.
fn parse_received(line: &str) -> Option<Sms> {
    let (_, rest) = line.split_once("Got message ")?;
    let (_, rest) = rest.split_once(": <")?;
    let rest = rest.strip_suffix('>')?;
    let mut parts = rest.splitn(4, ' ');
    let (from, to, kind, data) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let bytes = percent_decode(data);
    let text = if kind == "ucs-2" {
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        String::from_utf8_lossy(&bytes).into_owned()
    };
    Some(Sms {
        from: from.to_owned(),
        to: to.to_owned(),
        text,
    })
}

fn percent_decode(data: &str) -> Vec<u8> {
    let bytes = data.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_ucs2_message_from_fakesmsc() {
        let line = "2026-12-07 12:24:59 [9087] [0] DEBUG: Got message 1: <Souk +212600000001 ucs-2 %067%06D%06(>";
        let sms = parse_received(line).unwrap_or_else(|| panic!("not a message: {line}"));
        assert_eq!(sms.from, "Souk");
        assert_eq!(sms.to, "+212600000001");
        assert_eq!(sms.text, "طلب");
    }
}
