//! Scenario 6, many petitions: the instance is filled with `--petitions` published
//! petitions (10,000 by default), through the API as organizers would publish them, and
//! confirmed signatures are spread over the first thousand of them unevenly (so that "most
//! signed" has a real answer to find). Then the home page, one page of the API's list and
//! a petition page are read, each as fast as the readers go: their cost must not grow with
//! the instance.

use crate::client::Conn;
use crate::scenario::Target;
use anyhow::{bail, Context as _};
use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Concurrent organizers publishing, and signers.
const CONNS: usize = 16;
/// Petitions that get signatures, and how many signatures in all.
const SIGNED_PETITIONS: usize = 1_000;
const SIGNATURES: usize = 3_000;

/// Runs `per_item` for 0..n on `CONNS` connections; returns the first error.
async fn on_connections<F, Fut>(addr: SocketAddr, bearer: Option<String>, n: usize, per_item: F) -> anyhow::Result<()>
where
    F: Fn(Conn, usize) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = anyhow::Result<Conn>> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..CONNS {
        let (next, per_item) = (next.clone(), per_item.clone());
        let mut conn = Conn::new(addr, "en")?;
        conn.bearer = bearer.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return Ok::<_, anyhow::Error>(());
                }
                conn = per_item(conn, i).await?;
            }
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(())
}

/// Publishes `n` petitions; returns their slugs in creation order.
async fn publish(addr: SocketAddr, token: &str, n: usize) -> anyhow::Result<Vec<String>> {
    let slugs = Arc::new(std::sync::Mutex::new(vec![String::new(); n]));
    let out = slugs.clone();
    on_connections(addr, Some(token.to_owned()), n, move |mut conn, i| {
        let out = out.clone();
        async move {
            let body = serde_json::json!({
                "title": format!("Bench petition number {i}: more trees in the town square"),
                "description": "A petition among many, published for the benchmark.",
                "target": "The town council",
                "goal": 1000 + i,
                "publish": true,
            });
            let r = conn.post_json("/api/v1/petitions", &body).await?;
            if r.status.as_u16() != 201 {
                bail!("petition {i}: HTTP {} {}", r.status, String::from_utf8_lossy(&r.body));
            }
            let v: serde_json::Value = serde_json::from_slice(&r.body)?;
            let slug = v["slug"].as_str().context("no slug")?.to_owned();
            if let Ok(mut s) = out.lock() {
                s[i] = slug;
            }
            Ok(conn)
        }
    })
    .await?;
    let slugs = slugs.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.clone();
    Ok(slugs)
}

/// Signs `SIGNATURES` times, more on the first petitions than on the later ones, and
/// confirms every one through the link of its email (read from the outbox).
async fn sign_and_confirm(target: &Target, public_url: &str, slugs: &[String], run_id: &str) -> anyhow::Result<()> {
    let mut seen: HashSet<std::path::PathBuf> = HashSet::new();
    crate::outbox::confirm_tokens(&target.outbox, public_url, &mut seen)?; // the earlier scenarios' emails
    let before = crate::outbox::count(&target.outbox);
    let chosen: Arc<Vec<String>> = Arc::new(
        (0..SIGNATURES)
            .map(|j| {
                let x = j as f64 / SIGNATURES as f64;
                slugs[((x * x * SIGNED_PETITIONS as f64) as usize).min(slugs.len() - 1)].clone()
            })
            .collect(),
    );
    let run_id = run_id.to_owned();
    on_connections(target.addr, None, SIGNATURES, move |mut conn, j| {
        let (chosen, run_id) = (chosen.clone(), run_id.clone());
        async move {
            let body =
                serde_json::json!({ "name": format!("Many {j}"), "email": format!("many-{run_id}-{j}@example.org") });
            let r = conn.post_json(&format!("/api/v1/petitions/{}/signatures", chosen[j]), &body).await?;
            if r.status.as_u16() != 202 {
                bail!("signature {j}: HTTP {}", r.status);
            }
            Ok(conn)
        }
    })
    .await?;
    let have = crate::outbox::wait_for(&target.outbox, before + SIGNATURES, Duration::from_secs(30)).await;
    if have < before + SIGNATURES {
        bail!("only {} of {SIGNATURES} confirmation emails reached the outbox", have.saturating_sub(before));
    }
    let tokens = Arc::new(crate::outbox::confirm_tokens(&target.outbox, public_url, &mut seen)?);
    let first_slug = slugs[0].clone();
    let n = tokens.len();
    on_connections(target.addr, None, n, move |mut conn, k| {
        let (tokens, first_slug) = (tokens.clone(), first_slug.clone());
        async move {
            if conn.csrf.is_none() {
                conn.get(&format!("/p/{first_slug}")).await?;
            }
            let csrf = conn.csrf.clone().unwrap_or_default();
            let r = conn.post_form(&format!("/s/{}", tokens[k]), format!("csrf={csrf}")).await?;
            if r.status.as_u16() != 200 {
                bail!("confirmation {k}: HTTP {}", r.status);
            }
            Ok(conn)
        }
    })
    .await?;
    Ok(())
}

/// Fills the instance: returns how long publishing took, and the slug of a petition in
/// the middle of them (the one whose page is read).
pub async fn fill(
    target: &Target,
    public_url: &str,
    token: &str,
    n: usize,
    run_id: &str,
) -> anyhow::Result<(Duration, String)> {
    let t0 = Instant::now();
    let slugs = publish(target.addr, token, n.max(1)).await?;
    let published = t0.elapsed();
    sign_and_confirm(target, public_url, &slugs, run_id).await?;
    let middle = slugs[slugs.len() / 2].clone();
    Ok((published, middle))
}
