//! The catalog service against real databases: every test runs on SQLite and on PostgreSQL.

mod crafts;
mod fixture;
mod pagination;
mod products;
mod search;
