#[actix_web::main]
async fn main() -> std::process::ExitCode {
    signons_app::cli::main().await
}
