//! The load: which requests, on how many connections, closed-loop (as fast as the server
//! answers) or open-loop (at a fixed rate, latency counted from when the request was due,
//! so a stalled server cannot hide its queue: no coordinated omission).

use crate::client::Conn;
use crate::stats::Recorder;
use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// The server and petition under test.
pub struct Target {
    pub addr: SocketAddr,
    pub slug: String,
    pub outbox: PathBuf,
}

/// What the connections share: distinct email addresses, the pending confirmation tokens,
/// and (for the count lag) when each confirmation was answered.
pub struct Shared {
    pub target: Target,
    pub run_id: String,
    next_email: AtomicU64,
    tokens: Mutex<VecDeque<String>>,
    pub confirmed_total: AtomicU64,
    record_confirms: AtomicBool,
    confirm_times: Mutex<Vec<Instant>>,
}

impl Shared {
    pub fn new(target: Target, run_id: String) -> Self {
        Shared {
            target,
            run_id,
            next_email: AtomicU64::new(0),
            tokens: Mutex::new(VecDeque::new()),
            confirmed_total: AtomicU64::new(0),
            record_confirms: AtomicBool::new(false),
            confirm_times: Mutex::new(Vec::new()),
        }
    }

    pub fn add_tokens(&self, tokens: impl IntoIterator<Item = String>) {
        if let Ok(mut t) = self.tokens.lock() {
            t.extend(tokens);
        }
    }

    pub fn take_tokens(&self, n: usize) -> Vec<String> {
        match self.tokens.lock() {
            Ok(mut t) => {
                let n = n.min(t.len());
                t.drain(..n).collect()
            }
            Err(_) => Vec::new(),
        }
    }

    fn pop_token(&self) -> Option<String> {
        self.tokens.lock().ok().and_then(|mut t| t.pop_front())
    }

    /// From now on, remember when each confirmation was answered.
    pub fn start_recording_confirms(&self) {
        if let Ok(mut t) = self.confirm_times.lock() {
            t.clear();
        }
        self.record_confirms.store(true, Ordering::SeqCst);
    }

    pub fn stop_recording_confirms(&self) -> Vec<Instant> {
        self.record_confirms.store(false, Ordering::SeqCst);
        self.confirm_times.lock().map(|mut t| std::mem::take(&mut *t)).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Op {
    /// POST /api/v1/petitions/{slug}/signatures with a new address: 202.
    Sign,
    /// POST /s/{token} with the CSRF cookie and field: 200.
    Confirm,
    /// GET /p/{slug}: 200.
    Page,
    /// GET /api/v1/petitions/{slug}/count: 200.
    Count,
    /// GET /: 200.
    Home,
    /// GET /api/v1/petitions (its first page): 200.
    ApiList,
}

impl Op {
    pub fn label(self) -> &'static str {
        match self {
            Op::Sign => "sign",
            Op::Confirm => "confirm",
            Op::Page => "petition page",
            Op::Count => "count",
            Op::Home => "home page",
            Op::ApiList => "API list",
        }
    }
}

/// Where the bench's signers live: a few dozen countries, one in three in France.
const COUNTRIES: [&str; 30] = [
    "FR", "DE", "GB", "FR", "IT", "ES", "FR", "BE", "NL", "FR", "PT", "IE", "FR", "PL", "SE", "FR", "AT", "CH", "FR",
    "CA", "US", "FR", "SN", "MA", "FR", "BR", "JP", "FR", "DK", "NO",
];

enum Outcome {
    Ok,
    Error(String),
    /// No pending token left to confirm: this connection stops.
    Exhausted,
}

async fn perform(op: Op, conn: &mut Conn, shared: &Shared) -> Outcome {
    let t = &shared.target;
    let result = match op {
        Op::Sign => {
            let n = shared.next_email.fetch_add(1, Ordering::Relaxed);
            let body = serde_json::json!({
                "name": format!("Signer {n}"),
                "email": format!("bench-{}-{n}@example.org", shared.run_id),
                "public": n % 2 == 0,
                // Spread over countries, so that the petition page's map has many to draw.
                "country": COUNTRIES[n as usize % COUNTRIES.len()],
            });
            conn.post_json(&format!("/api/v1/petitions/{}/signatures", t.slug), &body)
                .await
                .map(|r| (r.status.as_u16(), 202))
        }
        Op::Confirm => {
            if conn.csrf.is_none() {
                // The first page a visitor opens sets the CSRF cookie.
                if let Err(e) = conn.get(&format!("/p/{}", t.slug)).await {
                    return Outcome::Error(format!("io: {e}"));
                }
                if conn.csrf.is_none() {
                    return Outcome::Error("no csrf cookie".into());
                }
            }
            let Some(token) = shared.pop_token() else {
                return Outcome::Exhausted;
            };
            let csrf = conn.csrf.clone().unwrap_or_default();
            let r = conn.post_form(&format!("/s/{token}"), format!("csrf={csrf}")).await;
            if matches!(&r, Ok(r) if r.status.as_u16() == 200) {
                shared.confirmed_total.fetch_add(1, Ordering::SeqCst);
                if shared.record_confirms.load(Ordering::SeqCst) {
                    if let Ok(mut times) = shared.confirm_times.lock() {
                        times.push(Instant::now());
                    }
                }
            }
            r.map(|r| (r.status.as_u16(), 200))
        }
        Op::Page => conn.get(&format!("/p/{}", t.slug)).await.map(|r| (r.status.as_u16(), 200)),
        Op::Count => conn.get(&format!("/api/v1/petitions/{}/count", t.slug)).await.map(|r| (r.status.as_u16(), 200)),
        Op::Home => conn.get("/").await.map(|r| (r.status.as_u16(), 200)),
        Op::ApiList => conn.get("/api/v1/petitions").await.map(|r| (r.status.as_u16(), 200)),
    };
    match result {
        Ok((got, want)) if got == want => Outcome::Ok,
        Ok((got, _)) => Outcome::Error(format!("HTTP {got}")),
        Err(e) => Outcome::Error(format!("io: {}", e.root_cause())),
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Mode {
    /// Each connection sends its next request as soon as the previous one is answered.
    Closed,
    /// The connections together send this many requests per second, evenly spread.
    Open { per_second: f64 },
}

/// Some connections doing one kind of request.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    pub op: Op,
    pub conns: usize,
    pub mode: Mode,
}

/// Runs `loads` together for `duration`; returns what each kind of request measured and
/// how long the run took.
pub async fn run(
    shared: &Arc<Shared>,
    loads: &[Load],
    duration: Duration,
) -> anyhow::Result<(BTreeMap<Op, Recorder>, Duration)> {
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for load in loads {
        for k in 0..load.conns {
            let shared = shared.clone();
            let load = *load;
            // Half the visitors read in French, so both languages' pages are exercised.
            let lang = if k % 2 == 0 { "en-GB,en;q=0.8" } else { "fr-FR,fr;q=0.9" };
            let mut conn = Conn::new(shared.target.addr, lang)?;
            let mut recorder = Recorder::new()?;
            tasks.push(tokio::spawn(async move {
                match load.mode {
                    Mode::Closed => {
                        while Instant::now() < deadline {
                            let t0 = Instant::now();
                            match perform(load.op, &mut conn, &shared).await {
                                Outcome::Ok => recorder.success(t0.elapsed()),
                                Outcome::Error(kind) => recorder.error(kind, t0.elapsed()),
                                Outcome::Exhausted => break,
                            }
                        }
                    }
                    Mode::Open { per_second } => {
                        let per_conn = per_second / load.conns as f64;
                        if per_conn > 0.0 {
                            let interval = Duration::from_secs_f64(1.0 / per_conn);
                            // Stagger the connections over one interval.
                            let mut due = started + interval.mul_f64(k as f64 / load.conns as f64);
                            while due < deadline {
                                tokio::time::sleep_until(due).await;
                                match perform(load.op, &mut conn, &shared).await {
                                    Outcome::Ok => recorder.success(due.elapsed()),
                                    Outcome::Error(kind) => recorder.error(kind, due.elapsed()),
                                    Outcome::Exhausted => break,
                                }
                                due += interval;
                            }
                        }
                    }
                }
                (load.op, recorder)
            }));
        }
    }
    let mut results: BTreeMap<Op, Recorder> = BTreeMap::new();
    for task in tasks {
        let (op, recorder) = task.await?;
        match results.get_mut(&op) {
            Some(r) => r.merge(&recorder),
            None => {
                results.insert(op, recorder);
            }
        }
    }
    Ok((results, started.elapsed()))
}

/// Reads the count endpoint, as a client that does not cache.
pub async fn read_count(shared: &Shared) -> anyhow::Result<i64> {
    let mut conn = Conn::new(shared.target.addr, "en")?;
    let r = conn.get(&format!("/api/v1/petitions/{}/count", shared.target.slug)).await?;
    if r.status.as_u16() != 200 {
        anyhow::bail!("count endpoint answered {}", r.status);
    }
    let v: serde_json::Value = serde_json::from_slice(&r.body)?;
    v["total_signatures"].as_i64().ok_or_else(|| anyhow::anyhow!("no total_signatures in {v}"))
}

/// Polls the count endpoint every `every` until `until`, then on until it shows `expect`
/// (at most `grace` longer). Returns (time, count) samples.
pub async fn probe_counts(
    shared: Arc<Shared>,
    every: Duration,
    until: Instant,
    expect: impl Fn() -> i64 + Send + 'static,
    grace: Duration,
) -> Vec<(Instant, i64)> {
    let mut samples = Vec::new();
    let Ok(mut conn) = Conn::new(shared.target.addr, "en") else {
        return samples;
    };
    let path = format!("/api/v1/petitions/{}/count", shared.target.slug);
    loop {
        let now = Instant::now();
        if now >= until + grace {
            break;
        }
        if let Ok(r) = conn.get(&path).await {
            let n =
                serde_json::from_slice::<serde_json::Value>(&r.body).ok().and_then(|v| v["total_signatures"].as_i64());
            if let Some(n) = n {
                samples.push((Instant::now(), n));
                if now >= until && n >= expect() {
                    break;
                }
            }
        }
        tokio::time::sleep(every).await;
    }
    samples
}

/// For the j-th confirmation answered (in time order), the time until the count endpoint
/// first showed `base + j` or more. `None` where it never did while probing.
pub fn count_lags(base: i64, confirms: &[Instant], samples: &[(Instant, i64)]) -> Vec<Option<Duration>> {
    let mut confirms = confirms.to_vec();
    confirms.sort();
    let mut lags = Vec::with_capacity(confirms.len());
    let mut s = 0;
    for (j, at) in confirms.iter().enumerate() {
        let want = base + j as i64 + 1;
        // Samples are in time order and counts only grow: move forward monotonically.
        while s < samples.len() && (samples[s].0 < *at || samples[s].1 < want) {
            s += 1;
        }
        lags.push(samples.get(s).map(|(t, _)| t.saturating_duration_since(*at)));
    }
    lags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_is_the_time_until_the_count_shows_each_confirmation() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let confirms = [ms(10), ms(20), ms(30)];
        let samples = [(ms(0), 5), (ms(15), 5), (ms(500), 6), (ms(1000), 8)];
        let lags = count_lags(5, &confirms, &samples);
        assert_eq!(
            lags,
            vec![Some(Duration::from_millis(490)), Some(Duration::from_millis(980)), Some(Duration::from_millis(970))]
        );
        assert_eq!(count_lags(8, &confirms, &samples), vec![None, None, None]);
    }
}
