//! Scenario 5, time to inbox: a signature counts only once its confirmation email reached
//! the signer, so this measures signing through to an SMTP relay that takes a fixed time
//! per message (30 ms by default, as a remote relay does), over real SMTP:
//! - 5a: signatures at a steady rate (50/s); for each one, the time from the answer to the
//!   signer until its email is accepted by the relay;
//! - 5b: a burst (3,000 signatures as fast as the signers go); the rate at which the emails
//!   reach the relay, from the first request to the last email.

use crate::client::Conn;
use crate::scenario::Target;
use crate::stats::Recorder;
use signons_smtp_sink::SmtpSink;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// When each signer got their answer, by address.
type Answered = Arc<Mutex<HashMap<String, Instant>>>;

async fn sign(conn: &mut Conn, slug: &str, email: &str) -> anyhow::Result<()> {
    let body = serde_json::json!({ "name": "Inbox Signer", "email": email, "country": "FR" });
    let r = conn.post_json(&format!("/api/v1/petitions/{slug}/signatures"), &body).await?;
    anyhow::ensure!(r.status.as_u16() == 202, "HTTP {}", r.status);
    Ok(())
}

/// Waits until the sink has received every address in `answered`, or nothing new came for
/// `stall`. Returns when the last one arrived.
async fn wait_arrivals(sink: &SmtpSink, want: usize, prefix: &str, stall: Duration) -> Option<Instant> {
    let mut last = (0, Instant::now());
    loop {
        let ours: Vec<Instant> =
            sink.received().iter().filter(|m| m.rcpt_to.iter().any(|r| r.starts_with(prefix))).map(|m| m.at).collect();
        if ours.len() >= want {
            return ours.into_iter().max();
        }
        if ours.len() > last.0 {
            last = (ours.len(), Instant::now());
        } else if last.1.elapsed() >= stall {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Time to inbox of each signature in `answered`; missing ones count as errors.
fn latencies(sink: &SmtpSink, answered: &Answered) -> anyhow::Result<Recorder> {
    let arrived: HashMap<String, Instant> =
        sink.received().into_iter().flat_map(|m| m.rcpt_to.into_iter().map(move |r| (r, m.at))).collect();
    let mut recorder = Recorder::new()?;
    let answered = answered.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
    for (email, at) in answered.iter() {
        match arrived.get(email) {
            Some(got) => recorder.success(got.saturating_duration_since(*at)),
            None => recorder.error("never reached the relay", Duration::from_secs(0)),
        }
    }
    Ok(recorder)
}

/// 5a: `per_second` signatures for `duration`, spread over a few connections.
pub async fn steady(
    addr: SocketAddr,
    target: &Target,
    sink: &SmtpSink,
    run_id: &str,
    per_second: f64,
    duration: Duration,
) -> anyhow::Result<(Recorder, Duration)> {
    let conns = 8usize;
    let every = Duration::from_secs_f64(conns as f64 / per_second.max(0.1));
    let answered: Answered = Arc::default();
    let prefix = format!("steady-{run_id}-");
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..conns {
        let (answered, slug, prefix) = (answered.clone(), target.slug.clone(), prefix.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::new(addr, "en")?;
            // The connections start spread over one period, so the requests are even.
            let mut next = tokio::time::Instant::now() + every.mul_f64(c as f64 / conns as f64);
            let mut n = 0usize;
            while started.elapsed() < duration {
                tokio::time::sleep_until(next).await;
                next += every;
                let email = format!("{prefix}{c}-{n}@example.org");
                n += 1;
                if sign(&mut conn, &slug, &email).await.is_ok() {
                    if let Ok(mut a) = answered.lock() {
                        a.insert(email, Instant::now());
                    }
                }
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let want = answered.lock().map(|a| a.len()).unwrap_or(0);
    wait_arrivals(sink, want, &prefix, Duration::from_secs(30)).await;
    Ok((latencies(sink, &answered)?, started.elapsed()))
}

/// 5b: `total` signatures from `conns` signers at once; returns each email's time to inbox
/// and the time from the first request to the last email.
pub async fn burst(
    addr: SocketAddr,
    target: &Target,
    sink: &SmtpSink,
    run_id: &str,
    total: usize,
    conns: usize,
) -> anyhow::Result<(Recorder, Duration)> {
    let answered: Answered = Arc::default();
    let prefix = format!("burst-{run_id}-");
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..conns.max(1) {
        let (answered, slug, prefix, next) = (answered.clone(), target.slug.clone(), prefix.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::new(addr, "en")?;
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if n >= total {
                    return anyhow::Ok(());
                }
                let email = format!("{prefix}{n}@example.org");
                if sign(&mut conn, &slug, &email).await.is_ok() {
                    if let Ok(mut a) = answered.lock() {
                        a.insert(email, Instant::now());
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    let want = answered.lock().map(|a| a.len()).unwrap_or(0);
    let last = wait_arrivals(sink, want, &prefix, Duration::from_secs(30)).await;
    let elapsed = last.map_or_else(|| started.elapsed(), |l| l.saturating_duration_since(started));
    Ok((latencies(sink, &answered)?, elapsed))
}

/// Waits until the relay has received nothing for `quiet` (the queue the earlier
/// scenarios left is sent), bounded by `limit`.
pub async fn drain(sink: &SmtpSink, quiet: Duration, limit: Duration) -> usize {
    let started = Instant::now();
    let mut last = (sink.received().len(), Instant::now());
    while started.elapsed() < limit {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let n = sink.received().len();
        if n != last.0 {
            last = (n, Instant::now());
        } else if last.1.elapsed() >= quiet {
            break;
        }
    }
    last.0
}
