//! Scenario 10, news: a petition of its own is filled with `--news-signers` confirmed
//! signers who all asked news (written straight into the database, as the export's are),
//! news is posted through the API, and the time until every email reached the relay
//! (`signons-smtp-sink`, slow by `--relay-delay-ms` per message) is measured, while the
//! petition's page is read in a closed loop: posting must return at once, and the
//! fan-out and the sending must not slow the pages.

use crate::client::Conn;
use crate::export;
use crate::stats::Recorder;
use anyhow::{bail, Context as _};
use signons_smtp_sink::SmtpSink;
use signons_store::DatabaseUrl;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Readers of the petition page during the send.
const READERS: usize = 2;

pub struct NewsResult {
    /// From the post to the last email at the relay.
    pub elapsed: Duration,
    pub emailed: usize,
    /// The posting request.
    pub post: Recorder,
    /// The petition page, read during the send.
    pub pages: Recorder,
}

pub async fn run(
    addr: SocketAddr,
    token: &str,
    db: &DatabaseUrl,
    sink: &SmtpSink,
    n: usize,
) -> anyhow::Result<NewsResult> {
    let mut api = Conn::new(addr, "en")?;
    api.bearer = Some(token.to_owned());
    let created = api
        .post_json(
            "/api/v1/petitions",
            &serde_json::json!({
                "title": "News benchmark: a petition whose signers asked news",
                "description": "A petition filled for the news benchmark.",
                "target": "The Parliament",
                "goal": 1_000_000,
                "publish": true,
            }),
        )
        .await?;
    if created.status.as_u16() != 201 {
        bail!("cannot create the news petition: {} {}", created.status, String::from_utf8_lossy(&created.body));
    }
    let created: serde_json::Value = serde_json::from_slice(&created.body)?;
    let slug = created["slug"].as_str().context("no slug")?.to_owned();
    let (url, s) = (db.clone(), slug.clone());
    let filled = tokio::task::spawn_blocking(move || export::fill(&url, &s, n, |_| true)).await??;
    println!("news: {n} confirmed signers who asked news written in {:.1} s", filled.as_secs_f64());

    let stop = Arc::new(AtomicBool::new(false));
    let mut readers = Vec::new();
    for _ in 0..READERS {
        let (stop, path) = (stop.clone(), format!("/p/{slug}"));
        readers.push(tokio::spawn(async move {
            let mut recorder = Recorder::new()?;
            let mut conn = Conn::new(addr, "en")?;
            while !stop.load(Ordering::SeqCst) {
                let t0 = Instant::now();
                match conn.get(&path).await {
                    Ok(r) if r.status.as_u16() == 200 => recorder.success(t0.elapsed()),
                    Ok(r) => recorder.error(format!("HTTP {}", r.status.as_u16()), t0.elapsed()),
                    Err(e) => recorder.error(e.to_string(), t0.elapsed()),
                }
            }
            anyhow::Ok(recorder)
        }));
    }

    let before = sink.received().len();
    let mut post = Recorder::new()?;
    let t0 = Instant::now();
    let answer = api
        .post_json(
            &format!("/api/v1/petitions/{slug}/news"),
            &serde_json::json!({ "text": "**Big** news: the vote is on Monday." }),
        )
        .await?;
    if answer.status.as_u16() == 201 {
        post.success(t0.elapsed());
    } else {
        post.error(format!("HTTP {}", answer.status.as_u16()), t0.elapsed());
    }
    // Until every email is at the relay, or nothing arrived for 30 s.
    let mut last = (0, Instant::now());
    let emailed = loop {
        let got = sink.received().len().saturating_sub(before);
        if got >= n {
            break got;
        }
        if got > last.0 {
            last = (got, Instant::now());
        } else if last.1.elapsed() > Duration::from_secs(30) {
            break got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let elapsed = t0.elapsed();
    stop.store(true, Ordering::SeqCst);
    let mut pages = Recorder::new()?;
    for reader in readers {
        pages.merge(&reader.await??);
    }
    Ok(NewsResult { elapsed, emailed, post, pages })
}
