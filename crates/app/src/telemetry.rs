use std::io::IsTerminal as _;
use tracing_subscriber::EnvFilter;

/// Logs to stderr, in colour only on a terminal (a log file gets plain text); `RUST_LOG`
/// overrides the default level.
pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,actix_server=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let result = if json { builder.json().try_init() } else { builder.try_init() };
    // A second init (tests) keeps the first subscriber.
    let _ = result;
}
