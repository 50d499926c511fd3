//! The `signons` server: configuration, command line, the actix-web application (HTML
//! pages, JSON API) and the background tasks, on top of the domain crates.

pub mod accounts;
pub mod bots;
pub mod cache;
pub mod cli;
pub mod config;
pub mod error;
pub mod federate;
pub mod http_cache;
pub mod maintenance;
pub mod media;
pub mod metrics;
pub mod page;
pub mod page_cache;
pub mod page_error;
pub mod passwords;
pub mod rate_limit;
pub mod read_model;
pub mod routes;
pub mod startup;
pub mod state;
pub mod telemetry;

pub use config::Config;
pub use startup::Application;
