//! `signons`, as `crates/app/src/main.rs` builds it, for tests that run the server as a
//! child process (and may kill it).

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    signons_app::cli::main().await
}
