//! Scenario 8, the soak (issue 10): signing at a steady rate for a long time (10 minutes
//! by default, at half the rate scenario 1 measured just before), to show that the server
//! holds up, not only that it is fast for a minute. It passes when
//! - every request was answered 202 (any other answer, or none, is an error);
//! - the server's resident memory (VmRSS) at the end is less than 10 % above what it was
//!   after the warm-up (the first fifth of the run: pools, caches and the allocator's
//!   arenas fill first);
//! - no signature is lost: every address answered 202 has its signature in the database,
//!   and its confirmation email was written to the outbox (once the mail queue drained).

use crate::client::Conn;
use crate::scenario::Target;
use crate::server::Server;
use crate::stats::Recorder;
use anyhow::Context as _;
use diesel::prelude::*;
use signons_store::schema::{jobs as j, signatures as s};
use signons_store::DatabaseUrl;
use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

/// The growth of resident memory from the warm-up to the end that fails the soak.
pub const MAX_RSS_GROWTH: f64 = 0.10;

/// How long the soak runs, and how fast it signs.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub rate: f64,
    pub duration: Duration,
}

impl Plan {
    /// The first fifth of the run, after which memory is sampled the first time.
    pub fn warmup(&self) -> Duration {
        self.duration / 5
    }

    /// Enough connections that each sends a few dozen requests a second at most.
    fn conns(&self) -> usize {
        ((self.rate / 25.0).ceil() as usize).clamp(4, 64)
    }
}

/// What the soak measured.
pub struct Soak {
    pub recorder: Recorder,
    pub elapsed: Duration,
    /// VmRSS after the warm-up, at the end of the load, and the highest sample, in KiB.
    pub rss_warm_kib: u64,
    pub rss_end_kib: u64,
    pub rss_max_kib: u64,
    /// Signatures answered 202.
    pub answered: usize,
    /// Of those, how many have no row in `signatures`, and how many no email in the outbox.
    pub missing_rows: usize,
    pub missing_emails: usize,
    /// Email jobs still in the queue (queued, running or dead) when the check gave up
    /// waiting for it to drain.
    pub jobs_left: i64,
}

impl Soak {
    /// Resident memory at the end relative to after the warm-up: 0.05 is 5 % more.
    pub fn rss_growth(&self) -> f64 {
        self.rss_end_kib as f64 / self.rss_warm_kib.max(1) as f64 - 1.0
    }

    /// Why the soak failed, if it did.
    pub fn failures(&self) -> Vec<String> {
        let mut failures = Vec::new();
        if self.recorder.error_count() > 0 {
            failures.push(format!("{} requests not answered 202", self.recorder.error_count()));
        }
        if self.rss_growth() >= MAX_RSS_GROWTH {
            failures.push(format!(
                "resident memory grew by {:.1} % (goal <{:.0} %)",
                self.rss_growth() * 100.0,
                MAX_RSS_GROWTH * 100.0
            ));
        }
        if self.missing_rows > 0 {
            failures.push(format!("{} signatures answered 202 are not in the database", self.missing_rows));
        }
        if self.missing_emails > 0 {
            failures.push(format!("{} signatures answered 202 have no email in the outbox", self.missing_emails));
        }
        if self.answered == 0 {
            failures.push("no signature was answered 202".into());
        }
        failures
    }

    pub fn notes(&self, plan: &Plan) -> String {
        let failures = self.failures();
        format!(
            "{:.0}/s offered for {} s; RSS {:.1} MiB after the {} s warm-up, {:.1} MiB at the end ({:+.1} %, max {:.1} MiB; goal <{:.0} %); \
             {} answered 202: {} not in the database, {} without an email ({} email jobs left); goal no error, nothing lost: {}",
            plan.rate,
            plan.duration.as_secs(),
            self.rss_warm_kib as f64 / 1024.0,
            plan.warmup().as_secs(),
            self.rss_end_kib as f64 / 1024.0,
            self.rss_growth() * 100.0,
            self.rss_max_kib as f64 / 1024.0,
            MAX_RSS_GROWTH * 100.0,
            self.answered,
            self.missing_rows,
            self.missing_emails,
            self.jobs_left,
            if failures.is_empty() { "met".to_owned() } else { format!("NOT met ({})", failures.join("; ")) },
        )
    }
}

/// The address of the `n`-th signer of the soak of run `run_id`.
fn address(run_id: &str, n: u64) -> String {
    format!("soak-{run_id}-{n}@example.org")
}

/// Signs at `plan.rate` for `plan.duration` on `target`'s petition, samples the server's
/// memory, then checks that nothing answered 202 was lost.
pub async fn run(server: &Server, target: &Target, db: &DatabaseUrl, run_id: &str, plan: Plan) -> anyhow::Result<Soak> {
    let outbox_before = eml_files(&target.outbox)?;
    let conns = plan.conns();
    let interval = Duration::from_secs_f64(conns as f64 / plan.rate.max(0.1));
    let started = tokio::time::Instant::now();
    let deadline = started + plan.duration;
    let mut tasks = Vec::new();
    for k in 0..conns {
        let (addr, slug, run_id) = (target.addr, target.slug.clone(), run_id.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::new(addr, "en")?;
            let mut recorder = Recorder::new()?;
            let mut answered = Vec::new();
            // Open loop: request i of this connection is due at a fixed time, and its latency
            // counts from then, so a server that stalls cannot hide its queue.
            let mut due = started + interval.mul_f64(k as f64 / conns as f64);
            let mut i = 0u64;
            while due < deadline {
                tokio::time::sleep_until(due).await;
                let n = i * conns as u64 + k as u64;
                let email = address(&run_id, n);
                let body = serde_json::json!({ "name": format!("Soak Signer {n}"), "email": email, "country": "FR" });
                match conn.post_json(&format!("/api/v1/petitions/{slug}/signatures"), &body).await {
                    Ok(r) if r.status.as_u16() == 202 => {
                        recorder.success(due.elapsed());
                        answered.push(email);
                    }
                    Ok(r) => recorder.error(format!("HTTP {}", r.status.as_u16()), due.elapsed()),
                    Err(e) => recorder.error(format!("io: {}", e.root_cause()), due.elapsed()),
                }
                due += interval;
                i += 1;
            }
            anyhow::Ok((recorder, answered))
        }));
    }

    // Memory: the first sample after the warm-up, then one every few seconds to the end.
    tokio::time::sleep_until(started + plan.warmup()).await;
    let rss_warm_kib = server.memory()?.rss_kib;
    let mut rss_max_kib = rss_warm_kib;
    println!("soak: {:.1} MiB resident after the warm-up", rss_warm_kib as f64 / 1024.0);
    while tokio::time::Instant::now() + Duration::from_secs(5) < deadline {
        tokio::time::sleep(Duration::from_secs(5)).await;
        rss_max_kib = rss_max_kib.max(server.memory()?.rss_kib);
    }
    let mut recorder = Recorder::new()?;
    let mut answered = Vec::new();
    for task in tasks {
        let (r, a) = task.await??;
        recorder.merge(&r);
        answered.extend(a);
    }
    let elapsed = started.elapsed();
    let rss_end_kib = server.memory()?.rss_kib;
    rss_max_kib = rss_max_kib.max(rss_end_kib);
    println!(
        "soak: {} signatures answered 202 in {:.0} s, {:.1} MiB resident at the end; checking that none is lost",
        answered.len(),
        elapsed.as_secs_f64(),
        rss_end_kib as f64 / 1024.0
    );

    let jobs_left = wait_for_mail(db, Duration::from_secs(60)).await?;
    let prefix = format!("soak-{run_id}-");
    let stored = stored_addresses(db, &prefix).await?;
    let mailed = mailed_addresses(&target.outbox, &outbox_before, &prefix)?;
    let missing_rows = answered.iter().filter(|a| !stored.contains(a.as_str())).count();
    let missing_emails = answered.iter().filter(|a| !mailed.contains(a.as_str())).count();
    Ok(Soak {
        recorder,
        elapsed,
        rss_warm_kib,
        rss_end_kib,
        rss_max_kib,
        answered: answered.len(),
        missing_rows,
        missing_emails,
        jobs_left,
    })
}

/// Waits until the email queue is empty, or has not shrunk for `stall`; returns how many
/// email jobs are left.
async fn wait_for_mail(db: &DatabaseUrl, stall: Duration) -> anyhow::Result<i64> {
    let mut last = (i64::MAX, Instant::now());
    loop {
        let url = db.clone();
        let left = tokio::task::spawn_blocking(move || -> anyhow::Result<i64> {
            let mut conn = url.connect()?;
            Ok(j::table.filter(j::queue.eq(signons_store::jobs::Queue::Email)).count().get_result(&mut conn)?)
        })
        .await??;
        if left == 0 {
            return Ok(0);
        }
        if left < last.0 {
            last = (left, Instant::now());
        } else if last.1.elapsed() >= stall {
            return Ok(left);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The addresses of the signatures whose address starts with `prefix`.
async fn stored_addresses(db: &DatabaseUrl, prefix: &str) -> anyhow::Result<HashSet<String>> {
    let (url, pattern) = (db.clone(), format!("{prefix}%"));
    tokio::task::spawn_blocking(move || -> anyhow::Result<HashSet<String>> {
        let mut conn = url.connect()?;
        let rows: Vec<String> = s::table.filter(s::email.like(pattern)).select(s::email).load(&mut conn)?;
        Ok(rows.into_iter().collect())
    })
    .await?
}

fn eml_files(dir: &Path) -> anyhow::Result<HashSet<std::path::PathBuf>> {
    Ok(std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the outbox {}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect())
}

/// The recipients starting with `prefix` of the emails written to the outbox since
/// `before` was listed (read from each email's `To:` header).
fn mailed_addresses(dir: &Path, before: &HashSet<std::path::PathBuf>, prefix: &str) -> anyhow::Result<HashSet<String>> {
    let mut mailed = HashSet::new();
    for path in eml_files(dir)? {
        if before.contains(&path) {
            continue;
        }
        let raw = std::fs::read(&path)?;
        let text = String::from_utf8_lossy(&raw);
        let headers = text.split("\r\n\r\n").next().unwrap_or("");
        for line in headers.lines().filter(|l| l.to_ascii_lowercase().starts_with("to:")) {
            let words = line[3..].split(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | ','));
            mailed.extend(words.filter(|w| w.starts_with(prefix)).map(str::to_owned));
        }
    }
    Ok(mailed)
}
