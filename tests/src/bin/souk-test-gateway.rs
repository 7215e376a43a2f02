//! The real gateway as a process of its own, for tests that need several (`Env::spawn_process`).
//! Configured from the environment like `souk serve`; prints the address it listens on, then
//! serves until it is killed.

use std::io::Write;

use souk_gateway::{App, Settings, Sources};
use tokio::net::TcpListener;

/// The allocator `souk` runs with, so that memory measured here is memory measured there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let settings = Settings::load(&Sources::default())?;
    let app = App::build(&settings).await?;
    let listener = TcpListener::bind(settings.listen).await?;
    let mut out = std::io::stdout();
    writeln!(out, "{}", listener.local_addr()?)?;
    out.flush()?;
    app.serve(listener, std::future::pending()).await?;
    Ok(())
}
