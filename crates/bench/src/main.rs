//! `signons-bench`: the load generator behind `make bench` (issue 4's goals).
//! Scenario 7 (`federated`) runs two instances instead of one: see `federated`. Scenario 8
//! (`soak`) signs for ten minutes at half the rate of scenario 1: see `soak`. Scenario 9
//! (`export`) downloads the CSV of a petition with a million signatures: see `export`.
//! Scenario 10 (`news`) emails news to 50,000 signers through a slow relay while the
//! petition page is read: see `news`.
//!
//! For each backend (SQLite in a temporary folder, then PostgreSQL in a database created
//! for the run and dropped after it) it measures the database's own insert ceiling, starts
//! the release server as a child process on 127.0.0.1, creates an organizer, a token and a
//! petition, and runs the scenarios: signing, confirming, reading (pages, then counts)
//! while signatures come in, and the "A50 day". Every loop stops by itself; the server is
//! killed by its PID at the end, also on error or Ctrl-C.
//!
//! It is a crate of its own (not a test) because it is a tool with its own dependencies
//! (hyper's client, HdrHistogram) that nothing else should pull in.

mod ceiling;
mod client;
mod export;
mod federated;
mod inbox;
mod many;
mod news;
mod outbox;
mod picture;
mod scenario;
mod server;
mod soak;
mod stats;

use anyhow::{bail, Context as _};
use clap::{Parser, ValueEnum};
use scenario::{Load, Mode, Op, Shared, Target};
use server::{Server, ServerConfig};
use signons_store::testing::{TempDatabase, TestBackend};
use stats::Row;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BackendChoice {
    Sqlite,
    Postgres,
    Both,
}

#[derive(Parser, Clone)]
#[command(name = "signons-bench", about = "Load generator for Signons (issue 4's scenarios)")]
struct Args {
    /// Short runs for development (a few seconds per scenario) instead of the full length.
    #[arg(long)]
    quick: bool,
    #[arg(long, value_enum, default_value = "both")]
    backend: BackendChoice,
    /// The `signons` binary; by default the one next to this program.
    #[arg(long)]
    server: Option<PathBuf>,
    /// PostgreSQL server, without a database name; two copies `signons_test_<random>` of the
    /// migrated template `signons_template_<hash>` are created on it for the run and dropped
    /// after.
    #[arg(long, env = "SIGNONS_BENCH_PG", default_value = "postgres://postgres@127.0.0.1:5432")]
    pg: String,
    /// Connection parameters for PostgreSQL (server and bench alike). TLS over loopback
    /// only burns CPU, so it is off unless this says otherwise.
    #[arg(long, default_value = "sslmode=disable")]
    pg_params: String,
    /// Seconds of each scenario: signing, confirming, reading (each of pages and counts),
    /// A50 day, ceiling. Defaults: 30, 30, 20, 60, 10 (with --quick: 5, 5, 5, 10, 3).
    #[arg(long)]
    sign_secs: Option<u64>,
    #[arg(long)]
    confirm_secs: Option<u64>,
    #[arg(long)]
    read_secs: Option<u64>,
    #[arg(long)]
    a50_secs: Option<u64>,
    #[arg(long)]
    ceiling_secs: Option<u64>,
    /// Concurrent signers (and confirmers) in scenarios 1 and 2.
    #[arg(long, default_value_t = 32)]
    write_conns: usize,
    /// Concurrent readers in scenario 3.
    #[arg(long, default_value_t = 64)]
    read_conns: usize,
    /// The A50 day: page + count requests per second, the share of pages, and signatures
    /// (and confirmations) per second.
    #[arg(long, default_value_t = 10_000.0)]
    a50_reads: f64,
    #[arg(long, default_value_t = 0.5)]
    a50_page_share: f64,
    #[arg(long, default_value_t = 50.0)]
    a50_signs: f64,
    /// Signatures and confirmations per second coming in while scenario 3 reads.
    #[arg(long, default_value_t = 50.0)]
    background_signs: f64,
    /// Threads of the load generator's runtime.
    #[arg(long, default_value_t = 2)]
    client_threads: usize,
    /// Passed to the server as SIGNONS_WORKERS / SIGNONS_DB_POOL_SIZE (server defaults if unset).
    #[arg(long)]
    server_workers: Option<usize>,
    #[arg(long)]
    db_pool_size: Option<u32>,
    /// Keep the outbox (where the mail worker writes the emails) in the data folder on
    /// disk instead of in memory (/dev/shm).
    #[arg(long)]
    outbox_on_disk: bool,
    /// Extra environment for the server, KEY=VALUE (repeatable), for experiments.
    #[arg(long)]
    server_env: Vec<String>,
    /// The server's RUST_LOG.
    #[arg(long, default_value = "warn")]
    server_log: String,
    /// Run only these scenarios (comma-separated: ceiling, sign, confirm, pages, counts, export, a50, inbox,
    /// news, many, federated, soak);
    /// for profiling one of them. Confirming needs the signatures of `sign`.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Scenario 5 (time to inbox): the test relay's delay per message, in milliseconds.
    #[arg(long, default_value_t = 30)]
    relay_delay_ms: u64,
    /// Scenario 5a: signatures per second, and for how long (default 30 s; --quick: 5 s).
    #[arg(long, default_value_t = 50.0)]
    inbox_rate: f64,
    #[arg(long)]
    inbox_secs: Option<u64>,
    /// Scenario 5b: the size of the burst.
    #[arg(long, default_value_t = 3000)]
    burst: usize,
    /// Scenario 6: how many petitions the instance is filled with.
    #[arg(long, default_value_t = 10_000)]
    petitions: usize,
    /// Scenario 7 (federated signatures): how many signers sign alpha's petition on beta
    /// (default 10,000; with --quick 1,000).
    #[arg(long)]
    federated_signatures: Option<usize>,
    /// Scenario 8 (soak): how long it signs (default 600 s; --quick: 30 s), and at what rate
    /// (default: half the rate scenario 1 measured just before).
    #[arg(long)]
    soak_seconds: Option<u64>,
    #[arg(long)]
    soak_rate: Option<f64>,
    /// Scenario 10 (news): how many opted-in confirmed signers get the news (default
    /// 50,000; with --quick 500), each email answered by the relay after --relay-delay-ms.
    #[arg(long)]
    news_signers: Option<usize>,
    /// Scenario 9 (export): how many confirmed signatures the exported petition holds.
    #[arg(long, default_value_t = 1_000_000)]
    export_rows: usize,
    /// Also write the results as a Markdown table to this file.
    #[arg(long)]
    markdown: Option<PathBuf>,
}

struct Durations {
    sign: Duration,
    confirm: Duration,
    read: Duration,
    a50: Duration,
    ceiling: Duration,
}

impl Args {
    fn runs(&self, scenario: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|s| s == scenario)
    }

    /// Whether any scenario of the single instance (all but `federated`) runs.
    fn runs_single_instance(&self) -> bool {
        self.only.is_empty() || self.only.iter().any(|s| s != "federated")
    }

    /// The server's settings that every scenario shares (binary, workers, pool, log,
    /// `--server-env`); the data folder and database are the scenario's.
    fn server_config(&self, binary: &std::path::Path) -> ServerConfig {
        ServerConfig {
            binary: binary.to_path_buf(),
            data_dir: PathBuf::new(),
            database_url: String::new(),
            workers: self.server_workers,
            db_pool_size: self.db_pool_size,
            log_level: self.server_log.clone(),
            extra_env: self
                .server_env
                .iter()
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            listen: None,
            public_url: None,
        }
    }

    fn durations(&self) -> Durations {
        let (s, c, r, a, x) = if self.quick { (5, 5, 5, 10, 3) } else { (30, 30, 20, 60, 10) };
        let secs = |v: Option<u64>, d: u64| Duration::from_secs(v.unwrap_or(d).max(1));
        Durations {
            sign: secs(self.sign_secs, s),
            confirm: secs(self.confirm_secs, c),
            read: secs(self.read_secs, r),
            a50: secs(self.a50_secs, a),
            ceiling: secs(self.ceiling_secs, x),
        }
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(args.client_threads.max(1)).enable_all().build()?;
    runtime.block_on(async {
        // On Ctrl-C or SIGTERM the run is dropped, and with it the server (killed) and the
        // PostgreSQL database (dropped).
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            result = run_all(args) => result,
            _ = tokio::signal::ctrl_c() => bail!("interrupted"),
            _ = term.recv() => bail!("terminated"),
        }
    })
}

async fn run_all(args: Args) -> anyhow::Result<()> {
    let binary = match &args.server {
        Some(p) => p.clone(),
        None => std::env::current_exe()?.with_file_name("signons"),
    };
    if !binary.exists() {
        bail!("no server binary at {} (build it with `cargo build --release --bin signons`)", binary.display());
    }
    print_machine();
    let mut rows = Vec::new();
    // What failed a scenario that fails the run (the soak's goals), reported at the end.
    let mut failures = Vec::new();
    if matches!(args.backend, BackendChoice::Sqlite | BackendChoice::Both) {
        rows.extend(run_backend(&args, &binary, "sqlite", &mut failures).await?);
        stats::print_table(&rows);
    }
    if matches!(args.backend, BackendChoice::Postgres | BackendChoice::Both) {
        rows.extend(run_backend(&args, &binary, "postgres", &mut failures).await?);
    }
    println!("\n=== results ===");
    stats::print_table(&rows);
    if let Some(path) = &args.markdown {
        std::fs::write(path, stats::markdown_table(&rows))?;
        println!("\nMarkdown table written to {}", path.display());
    }
    if !failures.is_empty() {
        bail!("{}", failures.join("\n"));
    }
    Ok(())
}

fn print_machine() {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned()))
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:").map(|v| v.trim().to_owned()))
        .unwrap_or_default();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("machine: {cores} cores, {model}, memory {mem}, load average {}", load.trim());
}

fn random_suffix() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..10).map(|_| char::from(b'a' + rng.random_range(0..26u8))).collect()
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

async fn run_backend(
    args: &Args,
    binary: &std::path::Path,
    backend: &'static str,
    failures: &mut Vec<String>,
) -> anyhow::Result<Vec<Row>> {
    let run_id = random_suffix();
    println!("\n=== {backend} (run {run_id}) ===");
    let test_backend = match backend {
        "sqlite" => TestBackend::Sqlite,
        _ => TestBackend::Postgres,
    };
    let pg_server = match (test_backend, args.pg_params.is_empty()) {
        (TestBackend::Sqlite, _) => String::new(),
        (_, true) => args.pg.clone(),
        (_, false) => format!("{}?{}", args.pg.trim_end_matches('/'), args.pg_params),
    };
    let mut rows = Vec::new();
    if args.runs_single_instance() {
        rows.extend(run_single_instance(args, binary, backend, test_backend, &pg_server, &run_id, failures).await?);
    }
    if args.runs("federated") {
        let plan = federated::Plan {
            signatures: args.federated_signatures.unwrap_or(if args.quick { 1_000 } else { 10_000 }).max(1),
            conns: args.write_conns.max(1),
            run_id: run_id.clone(),
            outbox_in_memory: !args.outbox_on_disk,
        };
        let base = args.server_config(binary);
        rows.extend(federated::run(&plan, &base, test_backend, &pg_server, backend).await?);
    }
    Ok(rows)
}

/// Scenarios 0 to 6 and 8, on one instance.
async fn run_single_instance(
    args: &Args,
    binary: &std::path::Path,
    backend: &'static str,
    test_backend: TestBackend,
    server: &str,
    run_id: &str,
    failures: &mut Vec<String>,
) -> anyhow::Result<Vec<Row>> {
    let d = args.durations();
    let run_id = run_id.to_owned();
    let tmp = tempfile::Builder::new().prefix("signons-bench-").tempdir()?;
    let data_dir = tmp.path().to_path_buf();
    // The outbox stands in for the SMTP server the mail worker hands emails to in
    // production. Creating tens of thousands of files costs the server more than the
    // signing itself on some file systems, so unless told otherwise it lives in memory
    // (tmpfs); the database and its fsyncs stay on disk.
    let _outbox_tmp = match (&args.outbox_on_disk, std::path::Path::new("/dev/shm").is_dir()) {
        (false, true) => {
            let dir = tempfile::Builder::new().prefix("signons-bench-outbox-").tempdir_in("/dev/shm")?;
            std::os::unix::fs::symlink(dir.path(), data_dir.join("outbox"))?;
            Some(dir)
        }
        _ => None,
    };
    // The run's two databases, copies of the migrated template (`signons_store::testing`);
    // on PostgreSQL, databases `signons_test_<random>` of the server. Declared before the
    // server so that they are dropped after it (the server must be gone first).
    let main_db = TempDatabase::create(test_backend, server, true)?;
    let ceiling_db = TempDatabase::create(test_backend, server, true)?;
    if let (Some(main), Some(ceiling)) = (main_db.postgres_name(), ceiling_db.postgres_name()) {
        println!("PostgreSQL databases {main} and {ceiling} created");
    }
    let (database_url, ceiling_url) = (main_db.url_string(), ceiling_db.url.clone());
    let mut rows = Vec::new();

    // The database's own ceiling, while nothing else runs.
    let ceiling = if !args.runs("ceiling") {
        ceiling::Ceiling { recorder: stats::Recorder::new()?, elapsed: Duration::ZERO }
    } else {
        let (url, dur) = (ceiling_url.clone(), d.ceiling);
        tokio::task::spawn_blocking(move || ceiling::measure(&url, dur, 1_000_000)).await??
    };
    println!(
        "database ceiling: {:.0} signatures/s ({} clients, {} signatures and their email jobs per commit), commit p50 {:.2} ms, p99 {:.2} ms",
        ceiling.rate(),
        ceiling::CLIENTS,
        ceiling::BATCH,
        ceiling.recorder.percentile_ms(0.5),
        ceiling.recorder.percentile_ms(0.99)
    );
    if args.runs("ceiling") {
        rows.push(Row {
            backend,
            scenario: "0. database insert ceiling (concurrent clients, batched commits)".into(),
            elapsed: ceiling.elapsed,
            recorder: ceiling.recorder.clone(),
            rss_end_mib: 0.0,
            rss_peak_mib: 0.0,
            notes: format!(
                "{} clients, {} signatures per commit, fsync on; latency = the commit's; RSS: not the server",
                ceiling::CLIENTS,
                ceiling::BATCH
            ),
        });
    }

    let config = ServerConfig { data_dir: data_dir.clone(), database_url, ..args.server_config(binary) };
    let (email, password) = ("bench@example.org", "bench-password-1234");
    config.admin(&["create-organizer", "--email", email, "--org", "bench"], Some(&format!("{password}\n")))?;
    let token = config.admin(&["create-token", "--email", email], None)?;

    let mut server = Server::start(&config)?;
    server.wait_ready().await?;
    println!("server pid {} on http://{}", server.pid(), server.addr);
    let public_url = format!("http://{}", server.addr);

    let mut api = client::Conn::new(server.addr, "en")?;
    api.bearer = Some(token.clone());
    let created = api
        .post_json(
            "/api/v1/petitions",
            &serde_json::json!({
                "title": "Revoke Article 50 and remain in the EU",
                "description": "The government repeatedly claims exiting the EU is 'the will of the people'. \
                                We need to put a stop to this claim by proving the strength of public support now.\n\n\
                                *A benchmark petition.*",
                "target": "The Parliament",
                "goal": 100000,
                // Where signers live: the page shows the map and its table.
                "ask_country": true,
                "publish": true,
            }),
        )
        .await?;
    if created.status.as_u16() != 201 {
        bail!("cannot create the petition: {} {}", created.status, String::from_utf8_lossy(&created.body));
    }
    let created: serde_json::Value = serde_json::from_slice(&created.body)?;
    let slug = created["slug"].as_str().context("no slug")?.to_owned();
    picture::attach(&mut client::Conn::new(server.addr, "en")?, email, password, &slug).await?;
    let target = Target { addr: server.addr, slug, outbox: data_dir.join("outbox") };
    let shared = Arc::new(Shared::new(target, run_id));

    let row = |server: &mut Server,
               scenario: String,
               elapsed: Duration,
               recorder: stats::Recorder,
               notes: String|
     -> anyhow::Result<Row> {
        server.check_alive()?;
        let mem = server.memory()?;
        Ok(Row {
            backend,
            scenario,
            elapsed,
            recorder,
            rss_end_mib: mib(mem.rss_kib),
            rss_peak_mib: mib(mem.peak_kib),
            notes,
        })
    };
    let take = |mut m: std::collections::BTreeMap<Op, stats::Recorder>, op: Op| {
        m.remove(&op).map(Ok).unwrap_or_else(stats::Recorder::new)
    };

    // 1. Signing.
    let mut sign_rate = None;
    if args.runs("sign") {
        server.reset_peak();
        let (r, elapsed) =
            scenario::run(&shared, &[Load { op: Op::Sign, conns: args.write_conns, mode: Mode::Closed }], d.sign)
                .await?;
        let signed = take(r, Op::Sign)?;
        let rate = signed.ok as f64 / elapsed.as_secs_f64();
        sign_rate = Some(rate);
        let goal_rate = if backend == "sqlite" { 2000.0 } else { 3000.0 };
        let ratio = if ceiling.recorder.ok > 0 {
            let ratio = rate / ceiling.rate();
            format!("ratio to the ceiling {ratio:.2} (goal ≥0.5: {})", met(ratio >= 0.5))
        } else {
            "ceiling not measured".to_owned()
        };
        let notes = format!(
            "{} conns; goal ≥{goal_rate:.0}/s and p99 <50 ms: {}; {ratio}",
            args.write_conns,
            met(rate >= goal_rate && signed.percentile_ms(0.99) < 50.0 && signed.error_count() == 0),
        );
        let signed_ok = signed.ok;
        rows.push(row(&mut server, "1. sign (new addresses)".into(), elapsed, signed, notes)?);
        println!("signing done: {signed_ok} signatures in {:.1} s", elapsed.as_secs_f64());

        // The mail worker writes the confirmation emails; wait for them (bounded).
        let t0 = std::time::Instant::now();
        let in_outbox = outbox::wait_for(&shared.target.outbox, signed_ok as usize, Duration::from_secs(30)).await;
        if in_outbox < signed_ok as usize {
            println!(
                "warning: the outbox stopped growing at {in_outbox} emails for {signed_ok} signatures; server log: {}",
                server::tail(&server.log)
            );
        } else {
            println!("outbox: {in_outbox} emails, all written {:.1} s after signing ended", t0.elapsed().as_secs_f64());
        }
        let mut seen = HashSet::new();
        let tokens = outbox::confirm_tokens(&shared.target.outbox, &public_url, &mut seen)?;
        println!("{} confirmation tokens read from the outbox", tokens.len());
        // Keep what scenarios 3 and 4 confirm in the background; scenario 2 gets the rest.
        let reserve_needed =
            (args.background_signs * (2.0 * d.read.as_secs_f64()) + args.a50_signs * d.a50.as_secs_f64()) * 1.1;
        let reserve = (reserve_needed.ceil() as usize).min(tokens.len() / 2);
        let (for_confirm, reserved) = tokens.split_at(tokens.len() - reserve);
        shared.add_tokens(for_confirm.iter().cloned());

        // 2. Confirming.
        if args.runs("confirm") {
            server.reset_peak();
            let (r, elapsed) = scenario::run(
                &shared,
                &[Load { op: Op::Confirm, conns: args.write_conns, mode: Mode::Closed }],
                d.confirm,
            )
            .await?;
            let confirmed = take(r, Op::Confirm)?;
            let unused = shared.take_tokens(usize::MAX).len();
            let notes = format!(
                "{} conns; {} pending tokens available, {unused} left unused (no goal set)",
                args.write_conns,
                for_confirm.len()
            );
            rows.push(row(&mut server, "2. confirm".into(), elapsed, confirmed, notes)?);
        }
        shared.add_tokens(reserved.iter().cloned());
    }

    // 3. Reading while signatures come in.
    let background = |per_second: f64| {
        let conns = (per_second / 10.0).ceil().max(1.0) as usize;
        [
            Load { op: Op::Sign, conns, mode: Mode::Open { per_second } },
            Load { op: Op::Confirm, conns, mode: Mode::Open { per_second } },
        ]
    };
    for (op, label, goal) in [(Op::Page, "3a. read petition page", 20_000.0), (Op::Count, "3b. read count", 40_000.0)] {
        if !args.runs(if op == Op::Page { "pages" } else { "counts" }) {
            continue;
        }
        server.reset_peak();
        let mut loads = vec![Load { op, conns: args.read_conns, mode: Mode::Closed }];
        loads.extend(background(args.background_signs));
        let (mut r, elapsed) = scenario::run(&shared, &loads, d.read).await?;
        let reads = r.remove(&op).map(Ok).unwrap_or_else(stats::Recorder::new)?;
        let rate = reads.ok as f64 / elapsed.as_secs_f64();
        let notes = format!(
            "{} conns + {}/s signing and confirming; goal ≥{goal:.0}/s and p99 <20 ms: {}",
            args.read_conns,
            args.background_signs,
            met(rate >= goal && reads.percentile_ms(0.99) < 20.0 && reads.error_count() == 0)
        );
        rows.push(row(&mut server, format!("{label} (closed loop)"), elapsed, reads, notes)?);
        for (bop, rec) in r {
            rows.push(row(
                &mut server,
                format!("{label}: background {}", bop.label()),
                elapsed,
                rec,
                "open loop".into(),
            )?);
        }
    }

    // 9. The export of a petition of its own, filled with a million signatures.
    if args.runs("export") {
        rows.push(export_csv(args, &mut server, &mut api, &main_db.url, backend).await?);
    }

    // 4. The A50 day: reads and writes together at fixed rates, and the count lag.
    if !args.runs("a50") {
        rows.extend(time_to_inbox(args, &config, server, &shared, backend).await?);
        rows.extend(news_mail(args, &config, &token, &main_db.url, backend).await?);
        rows.extend(many_petitions(args, &config, &token, &shared, backend).await?);
        rows.extend(soak(args, &config, &main_db.url, &shared, sign_rate, backend, failures).await?);
        return Ok(rows);
    }
    tokio::time::sleep(Duration::from_secs(3)).await; // let caches catch up with scenario 3
    let base = scenario::read_count(&shared).await?;
    let confirmed_so_far = shared.confirmed_total.load(std::sync::atomic::Ordering::SeqCst) as i64;
    let count_check_before = if base == confirmed_so_far {
        "count right before the A50 day".to_owned()
    } else {
        format!("COUNT WRONG before the A50 day: shows {base}, {confirmed_so_far} confirmed")
    };
    println!("{count_check_before}");
    server.reset_peak();
    shared.start_recording_confirms();
    let page_rate = args.a50_reads * args.a50_page_share;
    let count_rate = args.a50_reads - page_rate;
    let read_conns = |rate: f64| ((rate / 100.0).ceil() as usize).max(1);
    let mut loads = vec![
        Load { op: Op::Page, conns: read_conns(page_rate), mode: Mode::Open { per_second: page_rate } },
        Load { op: Op::Count, conns: read_conns(count_rate), mode: Mode::Open { per_second: count_rate } },
    ];
    loads.extend(background(args.a50_signs));
    let until = tokio::time::Instant::now() + d.a50;
    let probe_shared = shared.clone();
    let expect_shared = shared.clone();
    let probe = tokio::spawn(scenario::probe_counts(
        probe_shared,
        Duration::from_millis(20),
        until,
        move || expect_shared.confirmed_total.load(std::sync::atomic::Ordering::SeqCst) as i64,
        Duration::from_secs(15),
    ));
    let (r, elapsed) = scenario::run(&shared, &loads, d.a50).await?;
    let confirms = shared.stop_recording_confirms();
    let samples = probe.await?;
    let lags = scenario::count_lags(base, &confirms, &samples);
    let never = lags.iter().filter(|l| l.is_none()).count();
    let mut lag_values: Vec<Duration> = lags.iter().flatten().copied().collect();
    lag_values.sort();
    let lag_at = |q: f64| {
        lag_values
            .get(((lag_values.len() as f64 * q) as usize).min(lag_values.len().saturating_sub(1)))
            .map(|d| d.as_secs_f64())
            .unwrap_or(f64::NAN)
    };
    let lag_max = lag_values.last().map(|d| d.as_secs_f64()).unwrap_or(f64::NAN);
    let final_count = samples.last().map(|s| s.1).unwrap_or(-1);
    let confirmed_total = shared.confirmed_total.load(std::sync::atomic::Ordering::SeqCst) as i64;
    let lag_ok = never == 0 && !lag_values.is_empty() && lag_max < 5.0;
    let lag_text = format!(
        "count lag over {} confirmations: p50 {:.2} s, p99 {:.2} s, max {:.2} s, never shown {never} (goal <5 s: {}); final count {final_count}, {confirmed_total} confirmed: {}",
        confirms.len(),
        lag_at(0.5),
        lag_at(0.99),
        lag_max,
        met(lag_ok),
        if final_count == confirmed_total { "right" } else { "WRONG" }
    );
    println!("{lag_text}");
    let all_ok = r.values().all(|rec| rec.error_count() == 0 && rec.percentile_ms(0.99) < 50.0);
    for (op, rec) in r {
        let offered = match op {
            Op::Page => page_rate,
            Op::Count => count_rate,
            _ => args.a50_signs,
        };
        let notes = match op {
            Op::Count => {
                format!("offered {offered:.0}/s; goal: no error, p99 <50 ms (all kinds: {}); {lag_text}", met(all_ok))
            }
            _ => format!("offered {offered:.0}/s; goal: no error, p99 <50 ms (all kinds: {})", met(all_ok)),
        };
        rows.push(row(&mut server, format!("4. A50 day: {}", op.label()), elapsed, rec, notes)?);
    }
    rows.extend(time_to_inbox(args, &config, server, &shared, backend).await?);
    rows.extend(news_mail(args, &config, &token, &main_db.url, backend).await?);
    rows.extend(many_petitions(args, &config, &token, &shared, backend).await?);
    rows.extend(soak(args, &config, &main_db.url, &shared, sign_rate, backend, failures).await?);
    drop((main_db, ceiling_db));
    Ok(rows)
}

/// Scenario 9, export (see `export`): a petition of its own is filled straight in the
/// database, then its CSV is downloaded through HTTP while the server's peak memory is
/// measured.
async fn export_csv(
    args: &Args,
    server: &mut Server,
    api: &mut client::Conn,
    db: &signons_store::DatabaseUrl,
    backend: &'static str,
) -> anyhow::Result<Row> {
    let created = api
        .post_json(
            "/api/v1/petitions",
            &serde_json::json!({
                "title": "Export benchmark: a petition with many signatures",
                "description": "A petition filled for the export benchmark.",
                "target": "The Parliament",
                "goal": 1_000_000,
                "ask_country": true,
                "ask_postal_code": true,
                "publish": true,
            }),
        )
        .await?;
    if created.status.as_u16() != 201 {
        bail!("cannot create the export petition: {} {}", created.status, String::from_utf8_lossy(&created.body));
    }
    let created: serde_json::Value = serde_json::from_slice(&created.body)?;
    let slug = created["slug"].as_str().context("no slug")?.to_owned();
    let n = args.export_rows.max(1);
    let (url, s) = (db.clone(), slug.clone());
    let filled = tokio::task::spawn_blocking(move || export::fill(&url, &s, n, |i| i % 3 == 0)).await??;
    println!("export: {n} confirmed signatures written in {:.1} s", filled.as_secs_f64());
    let before = server.memory()?;
    server.reset_peak();
    let token = api.bearer.clone().context("no token")?;
    let download = export::download(server.addr, &token, &slug).await?;
    server.check_alive()?;
    let mem = server.memory()?;
    let mut recorder = stats::Recorder::new()?;
    if download.lines == n as u64 + 1 {
        recorder.success(download.elapsed);
    } else {
        recorder.error(format!("{} lines for {n} rows and a header", download.lines), download.elapsed);
    }
    let secs = download.elapsed.as_secs_f64().max(1e-9);
    let notes = format!(
        "{n} rows, {:.0} MiB of CSV in {secs:.1} s ({:.0} rows/s); RSS {:.1} MiB before, peak {:.1} MiB during the download (goal: it does not grow with the rows)",
        download.bytes as f64 / 1_048_576.0,
        n as f64 / secs,
        mib(before.rss_kib),
        mib(mem.peak_kib),
    );
    println!("export: {notes}");
    Ok(Row {
        backend,
        scenario: format!("9. export: CSV of {n} signatures"),
        elapsed: download.elapsed,
        recorder,
        rss_end_mib: mib(mem.rss_kib),
        rss_peak_mib: mib(mem.peak_kib),
        notes,
    })
}

/// Scenario 5, time to inbox, over real SMTP: the server is started again on the same database,
/// now with a relay (`signons-smtp-sink`) that answers each message after
/// `--relay-delay-ms`, instead of the outbox the other scenarios read their links from.
async fn time_to_inbox(
    args: &Args,
    config: &ServerConfig,
    outbox_server: Server,
    shared: &Shared,
    backend: &'static str,
) -> anyhow::Result<Vec<Row>> {
    drop(outbox_server);
    if !args.runs("inbox") {
        return Ok(Vec::new());
    }
    let (sink, mut server) = relay_server(args, config, "relay").await?;
    let mut rows = Vec::new();
    let secs = Duration::from_secs(args.inbox_secs.unwrap_or(if args.quick { 5 } else { 30 }).max(1));
    server.reset_peak();
    let (steady, elapsed) =
        inbox::steady(server.addr, &shared.target, &sink, &shared.run_id, args.inbox_rate, secs).await?;
    let p99 = steady.percentile_ms(0.99);
    let notes = format!(
        "{} ms per message at the relay; time from the answer to the signer to the email accepted by the relay; goal p99 ≤5 s: {}",
        args.relay_delay_ms,
        met(p99 <= 5000.0 && steady.error_count() == 0 && steady.ok > 0)
    );
    let mem = server.memory()?;
    rows.push(Row {
        backend,
        scenario: format!("5a. time to inbox at {:.0} signatures/s", args.inbox_rate),
        elapsed,
        recorder: steady,
        rss_end_mib: mib(mem.rss_kib),
        rss_peak_mib: mib(mem.peak_kib),
        notes,
    });
    server.reset_peak();
    let (burst, elapsed) =
        inbox::burst(server.addr, &shared.target, &sink, &shared.run_id, args.burst, args.write_conns).await?;
    let rate = burst.ok as f64 / elapsed.as_secs_f64().max(1e-9);
    let notes = format!(
        "{} signatures at once, {} ms per message at the relay; rate = emails / (first request → last email); goal ≥500/s: {}",
        args.burst,
        args.relay_delay_ms,
        met(rate >= 500.0 && burst.error_count() == 0)
    );
    server.check_alive()?;
    let mem = server.memory()?;
    rows.push(Row {
        backend,
        scenario: "5b. burst: emails reaching the relay".into(),
        elapsed,
        recorder: burst,
        rss_end_mib: mib(mem.rss_kib),
        rss_peak_mib: mib(mem.peak_kib),
        notes,
    });
    Ok(rows)
}

/// The server started again on the same database with the slow relay (`signons-smtp-sink`,
/// `--relay-delay-ms` per message) in place of the outbox; what the earlier scenarios left
/// in the queue is sent first, outside the measurement.
async fn relay_server(
    args: &Args,
    config: &ServerConfig,
    what: &str,
) -> anyhow::Result<(signons_smtp_sink::SmtpSink, Server)> {
    let sink = signons_smtp_sink::SmtpSink::start_slow(Duration::from_millis(args.relay_delay_ms));
    let mut config = config.clone();
    config.extra_env.push(("SIGNONS_SMTP_URL".into(), sink.url()));
    let mut server = Server::start(&config)?;
    server.wait_ready().await?;
    let leftover = inbox::drain(&sink, Duration::from_secs(2), Duration::from_secs(120)).await;
    println!("{what}: {leftover} emails left by the earlier scenarios sent first");
    Ok((sink, server))
}

/// Scenario 10, news to every signer who asked it (see `news`): the server is started
/// again on the same database, with the slow relay.
async fn news_mail(
    args: &Args,
    config: &ServerConfig,
    token: &str,
    db: &signons_store::DatabaseUrl,
    backend: &'static str,
) -> anyhow::Result<Vec<Row>> {
    if !args.runs("news") {
        return Ok(Vec::new());
    }
    let n = args.news_signers.unwrap_or(if args.quick { 500 } else { 50_000 }).max(1);
    let (sink, mut server) = relay_server(args, config, "news").await?;
    server.reset_peak();
    let result = news::run(server.addr, token, db, &sink, n).await?;
    server.check_alive()?;
    let mem = server.memory()?;
    let secs = result.elapsed.as_secs_f64().max(1e-9);
    let all = result.emailed == n;
    let page_p99 = result.pages.percentile_ms(0.99);
    let notes = format!(
        "{} of {n} emails accepted by the relay ({} ms per message) in {secs:.1} s ({:.0}/s){}; posting answered in {:.0} ms",
        result.emailed,
        args.relay_delay_ms,
        result.emailed as f64 / secs,
        if all { "" } else { ": NOT all" },
        result.post.percentile_ms(0.5),
    );
    println!("news: {notes}");
    let page_notes = format!(
        "the petition page read in a closed loop (2 conns) while the news is sent; p99 {page_p99:.1} ms; goal: no error, p99 <50 ms: {}",
        met(result.pages.error_count() == 0 && page_p99 < 50.0)
    );
    Ok(vec![
        Row {
            backend,
            scenario: format!("10a. news emailed to {n} signers"),
            elapsed: result.elapsed,
            recorder: result.post,
            rss_end_mib: mib(mem.rss_kib),
            rss_peak_mib: mib(mem.peak_kib),
            notes,
        },
        Row {
            backend,
            scenario: "10b. petition page during the news send".into(),
            elapsed: result.elapsed,
            recorder: result.pages,
            rss_end_mib: mib(mem.rss_kib),
            rss_peak_mib: mib(mem.peak_kib),
            notes: page_notes,
        },
    ])
}

/// Scenario 6, many petitions (see `many`): the server is started again on the same
/// database, with the outbox, and filled; then the home page, the API's list and a petition
/// page are each read in a closed loop.
async fn many_petitions(
    args: &Args,
    config: &ServerConfig,
    token: &str,
    shared: &Shared,
    backend: &'static str,
) -> anyhow::Result<Vec<Row>> {
    if !args.runs("many") {
        return Ok(Vec::new());
    }
    let mut server = Server::start(config)?;
    server.wait_ready().await?;
    let public_url = format!("http://{}", server.addr);
    let filling = Target { addr: server.addr, slug: String::new(), outbox: shared.target.outbox.clone() };
    let (published, middle) = many::fill(&filling, &public_url, token, args.petitions, &shared.run_id).await?;
    println!(
        "{} petitions published in {:.1} s ({:.0}/s); signatures confirmed on the first ones",
        args.petitions,
        published.as_secs_f64(),
        args.petitions as f64 / published.as_secs_f64().max(1e-9)
    );
    let target = Target { addr: server.addr, slug: middle, outbox: shared.target.outbox.clone() };
    let reading = Arc::new(Shared::new(target, shared.run_id.clone()));
    let mut rows = Vec::new();
    let n = args.petitions;
    for (op, label, goal) in [
        (Op::Home, format!("6a. home page, {n} petitions"), 20_000.0),
        (Op::ApiList, format!("6b. API list (first page), {n} petitions"), 10_000.0),
        (Op::Page, format!("6c. petition page, {n} petitions"), 20_000.0),
    ] {
        server.reset_peak();
        let loads = [Load { op, conns: args.read_conns, mode: Mode::Closed }];
        let (mut r, elapsed) = scenario::run(&reading, &loads, args.durations().read).await?;
        let reads = r.remove(&op).map(Ok).unwrap_or_else(stats::Recorder::new)?;
        let rate = reads.ok as f64 / elapsed.as_secs_f64();
        let notes = format!(
            "{} conns, nothing else running; goal ≥{goal:.0}/s and p99 ≤20 ms: {}",
            args.read_conns,
            met(rate >= goal && reads.percentile_ms(0.99) <= 20.0 && reads.error_count() == 0)
        );
        server.check_alive()?;
        let mem = server.memory()?;
        rows.push(Row {
            backend,
            scenario: label,
            elapsed,
            recorder: reads,
            rss_end_mib: mib(mem.rss_kib),
            rss_peak_mib: mib(mem.peak_kib),
            notes,
        });
    }
    Ok(rows)
}

/// Scenario 8, the soak (see `soak`): the server is started again on the same database,
/// with the outbox, and signed at a steady rate for `--soak-seconds`. Its failures (an
/// error, memory growing by 10 % or more, a signature or an email lost) go to `failures`,
/// which make the bench exit non-zero once every scenario has run.
async fn soak(
    args: &Args,
    config: &ServerConfig,
    db: &signons_store::DatabaseUrl,
    shared: &Shared,
    sign_rate: Option<f64>,
    backend: &'static str,
    failures: &mut Vec<String>,
) -> anyhow::Result<Vec<Row>> {
    if !args.runs("soak") {
        return Ok(Vec::new());
    }
    let Some(rate) = args.soak_rate.or(sign_rate.map(|r| r / 2.0)).filter(|r| *r > 0.0) else {
        bail!("the soak signs at half the rate of scenario 1: run `sign` too, or give --soak-rate");
    };
    let duration = Duration::from_secs(args.soak_seconds.unwrap_or(if args.quick { 30 } else { 600 }).max(5));
    let plan = soak::Plan { rate, duration };
    let mut server = Server::start(config)?;
    server.wait_ready().await?;
    println!("soak: {rate:.0} signatures/s for {} s (server pid {})", duration.as_secs(), server.pid());
    server.reset_peak();
    let target = Target { addr: server.addr, slug: shared.target.slug.clone(), outbox: shared.target.outbox.clone() };
    let result = soak::run(&server, &target, db, &shared.run_id, plan).await?;
    server.check_alive()?;
    let notes = result.notes(&plan);
    println!("soak: {notes}");
    failures.extend(result.failures().into_iter().map(|f| format!("{backend} soak: {f}")));
    let mem = server.memory()?;
    Ok(vec![Row {
        backend,
        scenario: format!("8. soak: signing at {rate:.0}/s for {} s", duration.as_secs()),
        elapsed: result.elapsed,
        rss_end_mib: mib(result.rss_end_kib),
        rss_peak_mib: mib(mem.peak_kib),
        recorder: result.recorder,
        notes,
    }])
}

fn met(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "NOT met"
    }
}
