/// mimalloc rather than glibc's allocator: a signing request allocates and frees across
/// threads (HTTP workers, diesel's blocking pool), where glibc's arenas spent about 15 % of
/// the server's time under load (`perf record` of the signing bench).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    signons_app::cli::main().await
}
