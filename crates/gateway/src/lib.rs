//! The HTTP gateway of Souk: configuration, the axum application, and the `souk` command.
//! It knows the services of the domain crates and nothing of SQL.

pub mod app;
pub mod backup;
pub mod config;
mod cors;
mod deadline;
mod dto;
pub mod error;
mod extract;
pub mod lifecycle;
mod openapi;
mod routes;
pub mod state;
pub mod telemetry;

pub use app::{App, StartError};
pub use config::{Settings, Sources};
