//! The `signons` server: configuration, command line, the actix-web application (HTML
//! pages, JSON API) and the background tasks, on top of the domain crates.

pub mod cache;
pub mod cli;
pub mod config;
pub mod error;
pub mod federate;
pub mod maintenance;
pub mod metrics;
pub mod page;
pub mod rate_limit;
pub mod routes;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod view;

pub use config::Config;
pub use startup::Application;
