//! Black-box tests of the HTTP API: the real gateway on a random port, against SQLite with the
//! in-process cache and against PostgreSQL with Redis.

mod accounts;
mod agency;
mod auth;
mod backup;
mod browser;
mod conformance;
mod crafts;
mod db_restart;
mod fuzz;
mod hygiene;
mod label_page;
mod labels;
mod lists;
mod migrations;
mod notifications;
mod operations;
mod orders;
mod payouts;
mod photos;
mod products;
mod redis_outage;
mod render;
mod replicas;
mod rolling_deploy;
mod search;
mod search_replicas;
mod shutdown;
mod stripe;
mod sync;
mod webhooks;
