//! Scenario 7, federated signatures (issue "Federation II"): signers of one instance (beta)
//! sign a petition of another (alpha), and alpha counts them.
//!
//! Two release servers, each with its own database of the run's backend and its own
//! outbox, named `http://localhost:PORT` (with `SIGNONS_FEDERATION_ALLOW_LOCAL`, as
//! `deploy/demo.sh` runs them). An organizer publishes a petition on alpha through the API;
//! beta follows alpha (`signons federation follow`, beta's command line) and the petition
//! shows on beta. Then `--federated-signatures` distinct signers sign it on beta through the
//! sign form (`POST /p/{slug}@{alpha}/sign`, CSRF cookie and field), their confirmation
//! links are read from beta's outbox, and what is measured starts: every confirmation is
//! sent at once (`POST /s/{token}` on `--write-conns` connections), and alpha's
//! `GET /api/v1/petitions/{slug}` is read every 50 ms until it counts them all. Reported:
//! confirmations per second on beta, the time from the first confirmation to alpha's
//! complete count (goal < 30 s), each signature's lag, and the HTTP deliveries beta made
//! meanwhile (its `/metrics`; goal: at most one per 50 signatures). A few seconds later the
//! count must still be the same (nothing counted twice).

use crate::client::Conn;
use crate::scenario::count_lags;
use crate::server::{free_port, Server, ServerConfig};
use crate::stats::{Recorder, Row};
use anyhow::{bail, Context as _};
use signons_store::testing::{TempDatabase, TestBackend};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// What the scenario is asked to do.
pub struct Plan {
    /// Signers on beta, all confirmed.
    pub signatures: usize,
    /// Concurrent connections signing, then confirming.
    pub conns: usize,
    pub run_id: String,
    /// The outboxes in /dev/shm (as the other scenarios' outbox), not on disk.
    pub outbox_in_memory: bool,
}

/// Goals: alpha's count complete within this long after the first confirmation, and at
/// least this many signatures per HTTP delivery.
const GOAL_SECS: f64 = 30.0;
const GOAL_PER_DELIVERY: f64 = 50.0;
/// How often alpha's count is read while the signatures travel.
const PROBE_EVERY: Duration = Duration::from_millis(50);
/// Gives up waiting for alpha's count this long after the first confirmation.
const COUNT_DEADLINE: Duration = Duration::from_secs(120);
/// The count is read again this long after it was complete: it must not have moved.
const SETTLE: Duration = Duration::from_secs(3);
/// Waits for the follow and the petition to reach beta.
const SETUP_DEADLINE: Duration = Duration::from_secs(60);

const SENT: &str = "signons_federation_deliveries_total{result=\"sent\"}";
const FAILED: &str = "signons_federation_deliveries_total{result=\"failed\"}";
const REFUSED: &str = "signons_federation_deliveries_total{result=\"refused\"}";

/// One instance's files and settings. Its folders (data, and the outbox in memory) go when
/// it is dropped, after its server.
struct Instance {
    name: &'static str,
    config: ServerConfig,
    addr: SocketAddr,
    url: String,
    outbox: PathBuf,
    _outbox_tmp: Option<tempfile::TempDir>,
    _data_tmp: tempfile::TempDir,
}

impl Instance {
    fn new(name: &'static str, base: &ServerConfig, db: &TempDatabase, in_memory: bool) -> anyhow::Result<Self> {
        let data_tmp = tempfile::Builder::new().prefix(&format!("signons-bench-{name}-")).tempdir()?;
        let data_dir = data_tmp.path().to_path_buf();
        let outbox_tmp = if in_memory && std::path::Path::new("/dev/shm").is_dir() {
            let dir =
                tempfile::Builder::new().prefix(&format!("signons-bench-{name}-outbox-")).tempdir_in("/dev/shm")?;
            std::os::unix::fs::symlink(dir.path(), data_dir.join("outbox"))?;
            Some(dir)
        } else {
            None
        };
        let addr = free_port()?;
        let url = format!("http://localhost:{}", addr.port());
        let mut config = ServerConfig {
            data_dir: data_dir.clone(),
            database_url: db.url_string(),
            listen: Some(addr),
            public_url: Some(url.clone()),
            ..base.clone()
        };
        let mut title = name.to_owned();
        title[..1].make_ascii_uppercase();
        config.extra_env.extend([
            ("SIGNONS_FEDERATION_ALLOW_LOCAL".to_owned(), "true".to_owned()),
            ("SIGNONS_INSTANCE_NAME".to_owned(), format!("Signons {title}")),
        ]);
        Ok(Instance {
            name,
            config,
            addr,
            url,
            outbox: data_dir.join("outbox"),
            _outbox_tmp: outbox_tmp,
            _data_tmp: data_tmp,
        })
    }

    fn host(&self) -> String {
        format!("localhost:{}", self.addr.port())
    }

    async fn start(&self) -> anyhow::Result<Server> {
        let mut server = Server::start(&self.config)?;
        server.wait_ready().await?;
        println!("{} pid {} on {} (listening on {})", self.name, server.pid(), self.url, self.addr);
        Ok(server)
    }
}

/// Runs the scenario; returns its rows.
pub async fn run(
    plan: &Plan,
    base: &ServerConfig,
    test_backend: TestBackend,
    pg_server: &str,
    backend: &'static str,
) -> anyhow::Result<Vec<Row>> {
    let n = plan.signatures;
    println!("\n--- 7. federated signatures: {n} signers on beta, for a petition of alpha ---");
    // Declared before the servers, so that they are dropped after them.
    let alpha_db = TempDatabase::create(test_backend, pg_server, true)?;
    let beta_db = TempDatabase::create(test_backend, pg_server, true)?;
    if let (Some(a), Some(b)) = (alpha_db.postgres_name(), beta_db.postgres_name()) {
        println!("PostgreSQL databases {a} (alpha) and {b} (beta) created");
    }
    let alpha = Instance::new("alpha", base, &alpha_db, plan.outbox_in_memory)?;
    let beta = Instance::new("beta", base, &beta_db, plan.outbox_in_memory)?;

    let email = "organizer@alpha.example";
    alpha
        .config
        .admin(&["create-organizer", "--email", email, "--org", "bench-alpha"], Some("bench-password-1234\n"))?;
    let token = alpha.config.admin(&["create-token", "--email", email], None)?;
    let mut alpha_server = alpha.start().await?;
    let mut beta_server = beta.start().await?;

    // The petition, on alpha.
    let mut api = Conn::new(alpha.addr, "en")?;
    api.bearer = Some(token);
    let created = api
        .post_json(
            "/api/v1/petitions",
            &serde_json::json!({
                "title": "Signed on another instance, counted at home",
                "description": "A benchmark petition: its signers sign it on beta, alpha counts them.",
                "target": "The council",
                "goal": 100000,
                "publish": true,
            }),
        )
        .await?;
    if created.status.as_u16() != 201 {
        bail!("cannot create the petition on alpha: {} {}", created.status, String::from_utf8_lossy(&created.body));
    }
    let created: serde_json::Value = serde_json::from_slice(&created.body)?;
    let slug = created["slug"].as_str().context("no slug")?.to_owned();
    let handle = format!("{slug}@{}", alpha.host());

    // Beta follows alpha, as its admin would; the petition (published before) is backfilled.
    let setup = Instant::now();
    let followed = beta.config.cli(&["federation", "follow", &alpha.url], None)?;
    println!("beta: {followed}");
    let mut on_beta = Conn::new(beta.addr, "en")?;
    let path = format!("/api/v1/petitions/{handle}");
    loop {
        if on_beta.get(&path).await.is_ok_and(|r| r.status.as_u16() == 200) {
            break;
        }
        beta_server.check_alive()?;
        alpha_server.check_alive()?;
        if setup.elapsed() > SETUP_DEADLINE {
            bail!(
                "the petition did not reach beta in {} s; beta's log: {}\nalpha's log: {}",
                SETUP_DEADLINE.as_secs(),
                crate::server::tail(&beta_server.log),
                crate::server::tail(&alpha_server.log)
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("{handle} shows on beta {:.1} s after the follow", setup.elapsed().as_secs_f64());

    // Signing on beta, through the form.
    beta_server.reset_peak();
    let (signed, sign_elapsed) = sign_all(beta.addr, &handle, n, plan.conns, &plan.run_id).await?;
    println!(
        "signing on beta: {} signatures in {:.1} s ({:.0}/s)",
        signed.ok,
        sign_elapsed.as_secs_f64(),
        signed.ok as f64 / sign_elapsed.as_secs_f64().max(1e-9)
    );
    if signed.ok as usize != n {
        bail!("{} of {n} signatures failed on beta: {}", n - signed.ok as usize, signed.errors_text());
    }
    let mut rows = Vec::new();
    let mem = beta_server.memory()?;
    rows.push(Row {
        backend,
        scenario: "7a. federated: sign on beta (form)".into(),
        elapsed: sign_elapsed,
        recorder: signed,
        rss_end_mib: kib_to_mib(mem.rss_kib),
        rss_peak_mib: kib_to_mib(mem.peak_kib),
        notes: format!("{} conns, {n} distinct signers, POST /p/{{slug}}@alpha/sign; beta's RSS", plan.conns),
    });

    // Their links, from beta's outbox.
    let t = Instant::now();
    let in_outbox = crate::outbox::wait_for(&beta.outbox, n, Duration::from_secs(30)).await;
    if in_outbox < n {
        bail!(
            "beta's outbox stopped at {in_outbox} emails for {n} signatures; its log: {}",
            crate::server::tail(&beta_server.log)
        );
    }
    let tokens = crate::outbox::confirm_tokens(&beta.outbox, &beta.url, &mut Default::default())?;
    if tokens.len() != n {
        bail!("{} confirmation links in beta's outbox for {n} signatures", tokens.len());
    }
    println!(
        "beta's outbox: {n} confirmation links, all written {:.1} s after signing ended",
        t.elapsed().as_secs_f64()
    );

    // Nothing in flight before the measurement.
    let before = metric(beta.addr, SENT).await?;
    let (failed_before, refused_before) = (metric(beta.addr, FAILED).await?, metric(beta.addr, REFUSED).await?);
    let count_before = total(alpha.addr, &slug).await?;
    if count_before != 0 {
        bail!("alpha counts {count_before} before any confirmation");
    }

    // The measurement: every confirmation at once, and alpha's count read meanwhile.
    beta_server.reset_peak();
    alpha_server.reset_peak();
    let mut conns = Vec::with_capacity(plan.conns);
    for _ in 0..plan.conns {
        // The first page a visitor opens sets the CSRF cookie.
        let mut conn = Conn::new(beta.addr, "en")?;
        conn.get(&format!("/p/{handle}")).await?;
        if conn.csrf.is_none() {
            bail!("beta set no CSRF cookie");
        }
        conns.push(conn);
    }
    let started = Instant::now();
    let probe = tokio::spawn(probe(alpha.addr, slug.clone(), n as i64, started + COUNT_DEADLINE));
    let (confirmed, confirm_times) = confirm_all(conns, Arc::new(tokens)).await?;
    let confirm_elapsed = confirm_times.iter().max().map(|t| t.duration_since(started)).unwrap_or_default();
    let samples = probe.await??;
    let complete = samples.iter().find(|(_, c)| *c >= n as i64).map(|(t, _)| t.duration_since(started));
    let mem_beta = beta_server.memory()?;
    let mem_alpha = alpha_server.memory()?;
    let confirm_rate = confirmed.ok as f64 / confirm_elapsed.as_secs_f64().max(1e-9);
    println!(
        "confirming on beta: {} in {:.2} s ({confirm_rate:.0}/s), {}",
        confirmed.ok,
        confirm_elapsed.as_secs_f64(),
        if confirmed.error_count() == 0 { "no error".to_owned() } else { confirmed.errors_text() }
    );

    // Nothing counted twice: the count stays put; and what beta sent meanwhile.
    tokio::time::sleep(SETTLE).await;
    let settled = total(alpha.addr, &slug).await?;
    let by_instance = by_instance(alpha.addr, &slug).await?;
    let deliveries = metric(beta.addr, SENT).await?.saturating_sub(before);
    let failed = metric(beta.addr, FAILED).await?.saturating_sub(failed_before);
    let refused = metric(beta.addr, REFUSED).await?.saturating_sub(refused_before);
    alpha_server.check_alive()?;
    beta_server.check_alive()?;

    let last = samples.last().map(|(_, c)| *c).unwrap_or(-1);
    let time_text = match complete {
        Some(d) => format!(
            "alpha counted all {n} {:.2} s after the first confirmation (goal <{GOAL_SECS:.0} s: {})",
            d.as_secs_f64(),
            met(d.as_secs_f64() < GOAL_SECS)
        ),
        None => format!(
            "alpha's count INCOMPLETE after {} s: {last} of {n} (goal <{GOAL_SECS:.0} s: NOT met)",
            COUNT_DEADLINE.as_secs()
        ),
    };
    let per_delivery = if deliveries > 0 { n as f64 / deliveries as f64 } else { f64::NAN };
    let delivery_text = format!(
        "{deliveries} HTTP deliveries by beta, {per_delivery:.0} signatures each (goal ≥{GOAL_PER_DELIVERY:.0}: {}); {failed} failed, {refused} refused",
        met(deliveries > 0 && per_delivery >= GOAL_PER_DELIVERY && refused == 0)
    );
    let settle_text = format!(
        "{} s later alpha counts {settled}: {}; by instance {by_instance}",
        SETTLE.as_secs(),
        if settled == n as i64 { "right" } else { "WRONG" }
    );
    println!("{time_text}\n{delivery_text}\n{settle_text}");
    if complete.is_none() {
        println!(
            "beta's log: {}\nalpha's log: {}",
            crate::server::tail(&beta_server.log),
            crate::server::tail(&alpha_server.log)
        );
    }

    rows.push(Row {
        backend,
        scenario: format!("7b. federated: confirm {n} at once on beta"),
        elapsed: confirm_elapsed,
        recorder: confirmed,
        rss_end_mib: kib_to_mib(mem_beta.rss_kib),
        rss_peak_mib: kib_to_mib(mem_beta.peak_kib),
        notes: format!(
            "{} conns, POST /s/{{token}}; rate = confirmations / (first sent → last answered); beta's RSS",
            plan.conns
        ),
    });
    // Each signature's lag: from its confirmation's answer to alpha's count including it.
    let mut lags = Recorder::new()?;
    for lag in count_lags(0, &confirm_times, &samples) {
        match lag {
            Some(lag) => lags.success(lag),
            None => lags.error("never counted", COUNT_DEADLINE),
        }
    }
    rows.push(Row {
        backend,
        scenario: format!("7c. federated: {n} counted on alpha"),
        elapsed: complete.unwrap_or(COUNT_DEADLINE),
        recorder: lags,
        rss_end_mib: kib_to_mib(mem_alpha.rss_kib),
        rss_peak_mib: kib_to_mib(mem_alpha.peak_kib),
        notes: format!(
            "req/s = signatures / (first confirmation → count complete), latency = each one's confirmation → alpha's API; {time_text}; {delivery_text}; {settle_text}; alpha's RSS"
        ),
    });
    drop((alpha_server, beta_server));
    drop((alpha, beta, alpha_db, beta_db));
    Ok(rows)
}

/// Signs `n` distinct signers on `conns` connections through the sign form of `handle`.
async fn sign_all(
    addr: SocketAddr,
    handle: &str,
    n: usize,
    conns: usize,
    run_id: &str,
) -> anyhow::Result<(Recorder, Duration)> {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let (next, handle, run_id) = (next.clone(), handle.to_owned(), run_id.to_owned());
        let mut conn = Conn::new(addr, "en")?;
        let mut recorder = Recorder::new()?;
        tasks.push(tokio::spawn(async move {
            conn.get(&format!("/p/{handle}")).await?;
            let Some(csrf) = conn.csrf.clone() else { bail!("beta set no CSRF cookie") };
            let path = format!("/p/{handle}/sign");
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return Ok::<_, anyhow::Error>(recorder);
                }
                let body = format!("csrf={csrf}&name=Signer+{i}&email=fed-{run_id}-{i}%40example.org&public=on");
                let t0 = Instant::now();
                match conn.post_form(&path, body).await {
                    Ok(r) if r.status.as_u16() == 303 => recorder.success(t0.elapsed()),
                    Ok(r) => recorder.error(format!("HTTP {}", r.status.as_u16()), t0.elapsed()),
                    Err(e) => recorder.error(format!("io: {}", e.root_cause()), t0.elapsed()),
                }
            }
        }));
    }
    let mut all = Recorder::new()?;
    for task in tasks {
        all.merge(&task.await??);
    }
    Ok((all, started.elapsed()))
}

/// Confirms every token, spread over `conns` (each with its CSRF cookie already); returns
/// what was measured and when each confirmation was answered.
async fn confirm_all(conns: Vec<Conn>, tokens: Arc<Vec<String>>) -> anyhow::Result<(Recorder, Vec<Instant>)> {
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for mut conn in conns {
        let (next, tokens) = (next.clone(), tokens.clone());
        let mut recorder = Recorder::new()?;
        tasks.push(tokio::spawn(async move {
            let csrf = conn.csrf.clone().unwrap_or_default();
            let mut times = Vec::new();
            while let Some(token) = tokens.get(next.fetch_add(1, Ordering::Relaxed)) {
                let t0 = Instant::now();
                match conn.post_form(&format!("/s/{token}"), format!("csrf={csrf}")).await {
                    Ok(r) if r.status.as_u16() == 200 => {
                        recorder.success(t0.elapsed());
                        times.push(Instant::now());
                    }
                    Ok(r) => recorder.error(format!("HTTP {}", r.status.as_u16()), t0.elapsed()),
                    Err(e) => recorder.error(format!("io: {}", e.root_cause()), t0.elapsed()),
                }
            }
            (recorder, times)
        }));
    }
    let mut all = Recorder::new()?;
    let mut times = Vec::with_capacity(tokens.len());
    for task in tasks {
        let (recorder, t) = task.await?;
        all.merge(&recorder);
        times.extend(t);
    }
    times.sort();
    Ok((all, times))
}

/// Reads alpha's count every `PROBE_EVERY` until it reaches `want` or `deadline`; returns
/// the (time, count) samples.
async fn probe(addr: SocketAddr, slug: String, want: i64, deadline: Instant) -> anyhow::Result<Vec<(Instant, i64)>> {
    let mut conn = Conn::new(addr, "en")?;
    let path = format!("/api/v1/petitions/{slug}");
    let mut samples = Vec::new();
    while Instant::now() < deadline {
        if let Ok(r) = conn.get(&path).await {
            let count =
                serde_json::from_slice::<serde_json::Value>(&r.body).ok().and_then(|v| v["total_signatures"].as_i64());
            if let Some(count) = count {
                samples.push((Instant::now(), count));
                if count >= want {
                    break;
                }
            }
        }
        tokio::time::sleep(PROBE_EVERY).await;
    }
    Ok(samples)
}

async fn petition(addr: SocketAddr, slug: &str) -> anyhow::Result<serde_json::Value> {
    let mut conn = Conn::new(addr, "en")?;
    let r = conn.get(&format!("/api/v1/petitions/{slug}")).await?;
    if r.status.as_u16() != 200 {
        bail!("GET /api/v1/petitions/{slug} answered {}", r.status);
    }
    Ok(serde_json::from_slice(&r.body)?)
}

async fn total(addr: SocketAddr, slug: &str) -> anyhow::Result<i64> {
    let v = petition(addr, slug).await?;
    v["total_signatures"].as_i64().with_context(|| format!("no total_signatures in {v}"))
}

async fn by_instance(addr: SocketAddr, slug: &str) -> anyhow::Result<String> {
    Ok(petition(addr, slug).await?["signatures_by_instance"].to_string())
}

/// One sample of the server's `/metrics` (0 if absent).
async fn metric(addr: SocketAddr, sample: &str) -> anyhow::Result<u64> {
    let mut conn = Conn::new(addr, "en")?;
    let r = conn.get("/metrics").await?;
    if r.status.as_u16() != 200 {
        bail!("/metrics answered {}", r.status);
    }
    let text = String::from_utf8_lossy(&r.body);
    Ok(parse_metric(&text, sample).unwrap_or(0))
}

fn parse_metric(text: &str, sample: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(sample).filter(|rest| rest.starts_with(' ')))
        .and_then(|rest| rest.trim().parse().ok())
}

fn kib_to_mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn met(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "NOT met"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_sample_of_the_metrics() {
        let text = "# HELP x\nsignons_federation_deliveries_total{result=\"sent\"} 42\n\
                    signons_federation_deliveries_total{result=\"sent_late\"} 7\n";
        assert_eq!(parse_metric(text, SENT), Some(42));
        assert_eq!(parse_metric(text, FAILED), None);
    }
}
