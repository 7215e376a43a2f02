//! A private PostgreSQL cluster for tests that stop and restart the database; restarting the
//! shared one would disturb every other test running at the time. Made with the server's own
//! `initdb` and `pg_ctl`, run as the `postgres` user when the tests run as root (PostgreSQL
//! refuses to run as root).

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use tempfile::TempDir;

use crate::services::{ci, require};

pub struct PostgresServer {
    dir: TempDir,
    bin: PathBuf,
    port: u16,
}

impl PostgresServer {
    /// Makes and starts a cluster on a free loopback port, or returns `None` (skipped) when the
    /// PostgreSQL server binaries are missing outside CI.
    pub async fn start() -> Option<PostgresServer> {
        let made = tokio::task::spawn_blocking(Self::make)
            .await
            .unwrap_or_else(|e| Err(e.to_string()));
        match made {
            Ok(server) => Some(server),
            Err(reason) => {
                require(
                    "a private PostgreSQL cluster",
                    "initdb and pg_ctl",
                    Err(reason),
                    ci(),
                );
                None
            }
        }
    }

    /// The superuser's URL (database `postgres`).
    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Restarts the server (`pg_ctl restart -m fast`: the way an operator or an orchestrator
    /// restarts it, every client connection cut) and returns once it accepts connections again.
    pub async fn restart(&self) {
        let (bin, data, log) = (self.bin.clone(), self.data(), self.log());
        let restarted = tokio::task::spawn_blocking(move || {
            // The server's output goes to its log: a pipe of ours would be held open by it.
            let log = log.to_string_lossy();
            pg_ctl(
                &bin,
                &data,
                &["restart", "-m", "fast", "-w", "-t", "60", "-l", &log],
            )
        })
        .await
        .unwrap_or_else(|e| Err(e.to_string()));
        if let Err(reason) = restarted {
            panic!("PostgreSQL did not restart: {reason}");
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    fn make() -> Result<PostgresServer, String> {
        let bin = bindir()?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let port = crate::free_port();
        let server = PostgresServer { dir, bin, port };
        let data = server.data();
        std::fs::create_dir(&data).map_err(|e| e.to_string())?;
        as_postgres_owner(server.dir.path())?;
        let data_arg = data.to_string_lossy().into_owned();
        run(
            &server.bin.join("initdb"),
            &[
                "-D",
                &data_arg,
                "-U",
                "postgres",
                "-A",
                "trust",
                "--no-sync",
            ],
        )?;
        let options = format!(
            "-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={} \
             -c fsync=off -c synchronous_commit=on -c full_page_writes=off -c max_connections=100",
            server.dir.path().display()
        );
        let log = server.log();
        pg_ctl(
            &server.bin,
            &data,
            &[
                "start",
                "-w",
                "-t",
                "60",
                "-o",
                &options,
                "-l",
                &log.to_string_lossy(),
            ],
        )?;
        Ok(server)
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        let _ = pg_ctl(&self.bin, &self.data(), &["stop", "-m", "immediate", "-w"]);
    }
}

/// Where `initdb` and `pg_ctl` are: `pg_config --bindir`, else Debian's
/// `/usr/lib/postgresql/<version>/bin` (newest first).
fn bindir() -> Result<PathBuf, String> {
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if dir.join("initdb").is_file() {
            return Ok(dir);
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|e| format!("no PostgreSQL server binaries: {e}"))?
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|bin| bin.join("initdb").is_file())
        .collect();
    versions.sort();
    versions
        .pop()
        .ok_or_else(|| "no initdb under /usr/lib/postgresql".into())
}

/// PostgreSQL will not run as root: when the tests do, the cluster belongs to `postgres`.
fn as_postgres_owner(dir: &Path) -> Result<(), String> {
    if !running_as_root() {
        return Ok(());
    }
    run(
        Path::new("chown"),
        &["-R", "postgres:postgres", &dir.to_string_lossy()],
    )
    .map(|_| ())
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

fn pg_ctl(bin: &Path, data: &Path, args: &[&str]) -> Result<Output, String> {
    let mut all = vec!["-D".to_owned(), data.to_string_lossy().into_owned()];
    all.extend(args.iter().map(|a| (*a).to_owned()));
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    run(&bin.join("pg_ctl"), &all)
}

/// Runs a server command, as `postgres` when we are root.
fn run(program: &Path, args: &[&str]) -> Result<Output, String> {
    let is_server_tool = program
        .file_name()
        .is_some_and(|n| n == "initdb" || n == "pg_ctl");
    let mut command = if is_server_tool && running_as_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    };
    let output = command
        .args(args)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(format!(
            "{} {}: {}{}",
            program.display(),
            args.join(" "),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}
