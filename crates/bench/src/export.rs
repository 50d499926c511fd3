//! Scenario 9, export: a petition of its own is filled with `--export-rows` confirmed
//! signatures (1,000,000 by default), written straight into the database (multi-row
//! inserts in one transaction: signing them through HTTP would take the whole bench),
//! then its CSV is downloaded through HTTP (`GET /api/v1/petitions/{slug}/signatures`,
//! `Accept: text/csv`, the stream the organizers' download is) and read as it arrives.
//! What matters: the time, and the server's peak memory during the download (VmHWM, reset
//! just before), which must not grow with the rows.

use anyhow::{bail, Context as _};
use bytes::Bytes;
use chrono::TimeDelta;
use diesel::prelude::*;
use http_body_util::{BodyExt, Empty};
use hyper::header;
use hyper_util::rt::TokioIo;
use signons_store::schema::{petition_counters as pc, petitions, signatures as s};
use signons_store::{DatabaseUrl, DbConnection, Id};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Rows per multi-row insert (16 values each: well under both backends' bind limits).
const INSERT_BATCH: usize = 1_000;

pub struct Download {
    pub elapsed: Duration,
    pub bytes: u64,
    /// Lines, the header included.
    pub lines: u64,
}

/// Writes `n` confirmed signatures of the petition `slug`, and its count, in one
/// transaction; returns how long it took. `opt_in(i)`: whether signer `i` asked news.
pub fn fill(db: &DatabaseUrl, slug: &str, n: usize, opt_in: impl Fn(usize) -> bool) -> anyhow::Result<Duration> {
    let t0 = Instant::now();
    let mut conn = db.connect()?;
    let petition: Id = petitions::table.filter(petitions::slug.eq(slug)).select(petitions::id).first(&mut conn)?;
    conn.transaction(|conn: &mut DbConnection| -> anyhow::Result<()> {
        let start = signons_store::now() - TimeDelta::days(1);
        for first in (0..n).step_by(INSERT_BATCH) {
            let rows: Vec<_> = (first..(first + INSERT_BATCH).min(n))
                .map(|i| {
                    let address = format!("export-{i}@example.org");
                    let at = start + TimeDelta::milliseconds(i as i64);
                    (
                        (
                            s::id.eq(Id::new()),
                            s::petition_id.eq(petition.clone()),
                            s::name.eq(format!("Signer number {i}")),
                            s::email.eq(address.clone()),
                            s::email_canonical.eq(address),
                            s::country.eq(Some("FR")),
                            s::postal_code.eq(Some(format!("{:05}", i % 100_000))),
                            s::comment.eq((i % 10 == 0).then_some("I sign because the park matters to me.")),
                        ),
                        (
                            s::public.eq(i % 2 == 0),
                            s::opt_in.eq(opt_in(i)),
                            s::locale.eq("en"),
                            s::token_expires_at.eq(at + TimeDelta::hours(72)),
                            s::created_at.eq(at),
                            s::confirmed_at.eq(Some(at)),
                        ),
                    )
                })
                .collect();
            // Multi-row inserts do not go through the multi-backend connection.
            match conn {
                DbConnection::Pg(c) => diesel::insert_into(s::table).values(rows).execute(c)?,
                DbConnection::Sqlite(c) => diesel::insert_into(s::table).values(rows).execute(c)?,
            };
        }
        diesel::insert_into(pc::table)
            .values((pc::petition_id.eq(&petition), pc::shard.eq(0), pc::signatures.eq(n as i64)))
            .execute(conn)?;
        Ok(())
    })?;
    Ok(t0.elapsed())
}

/// Downloads the petition's CSV, frame by frame (nothing kept but the counts).
pub async fn download(addr: SocketAddr, token: &str, slug: &str) -> anyhow::Result<Download> {
    let t0 = Instant::now();
    let stream = tokio::net::TcpStream::connect(addr).await.with_context(|| format!("cannot connect to {addr}"))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let request = hyper::Request::builder()
        .uri(format!("/api/v1/petitions/{slug}/signatures"))
        .header(header::HOST, addr.to_string())
        .header(header::ACCEPT, "text/csv")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Empty::<Bytes>::new())?;
    let response = sender.send_request(request).await?;
    if response.status().as_u16() != 200 {
        bail!("the export answered {}", response.status());
    }
    let mut body = response.into_body();
    let (mut bytes, mut lines) = (0u64, 0u64);
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            bytes += data.len() as u64;
            lines += data.iter().filter(|b| **b == b'\n').count() as u64;
        }
    }
    Ok(Download { elapsed: t0.elapsed(), bytes, lines })
}
