use clap::Parser;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    let cli = signons_app::cli::Cli::parse();
    match signons_app::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
