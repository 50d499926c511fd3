//! The database's own ceiling for the rows a signature writes, measured as pgbench would:
//! many concurrent clients, each on its own connection, each committing batches of
//! signatures (the signature rows and their email jobs, with the real rendered
//! confirmation email) through diesel, with fsync on (SQLite `synchronous=FULL` in WAL
//! mode, PostgreSQL `synchronous_commit=on`). That is what the server itself can at best
//! reach with the same rows, so "share of the ceiling" says how much the server adds.
//! Run in a database of its own, on the same disk / server, so it does not disturb the
//! server's.

use crate::stats::Recorder;
use chrono::TimeDelta;
use diesel::prelude::*;
use signons_mail::Message;
use signons_render::{Locale, Renderer};
use signons_store::jobs::{JobState, Queue};
use signons_store::schema::{jobs as j, organizations, petitions, signatures as s};
use signons_store::{DatabaseUrl, DbConnection, Id, Token};
use std::time::{Duration, Instant};

pub struct Ceiling {
    /// One sample per signature: the time of the transaction that committed it.
    pub recorder: Recorder,
    /// Wall time of the measurement, all clients together.
    pub elapsed: Duration,
}

impl Ceiling {
    /// Signatures (each: its row and its email job) committed per second.
    pub fn rate(&self) -> f64 {
        self.recorder.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Concurrent clients and signatures per commit.
pub const CLIENTS: usize = 8;
pub const BATCH: usize = 64;

/// Inserts signatures for `duration` (or `max_rows` in all) from `CLIENTS` connections at
/// once, `BATCH` per transaction.
pub fn measure(url: &DatabaseUrl, duration: Duration, max_rows: u64) -> anyhow::Result<Ceiling> {
    let mut conn = url.connect()?;
    signons_store::migrate::run_pending(&mut conn)?;
    let now = signons_store::now();
    let org = Id::new();
    diesel::insert_into(organizations::table)
        .values((
            organizations::id.eq(&org),
            organizations::slug.eq("ceiling"),
            organizations::name.eq("Ceiling"),
            organizations::created_at.eq(now),
        ))
        .execute(&mut conn)?;
    let petition = Id::new();
    diesel::insert_into(petitions::table)
        .values((
            petitions::id.eq(&petition),
            petitions::organization_id.eq(&org),
            petitions::slug.eq("ceiling"),
            petitions::title.eq("Ceiling"),
            petitions::target.eq("Nobody"),
            petitions::description_md.eq("Ceiling"),
            petitions::description_html.eq("<p>Ceiling</p>"),
            petitions::goal.eq(1000i64),
            petitions::ask_country.eq(false),
            petitions::ask_postal_code.eq(false),
            petitions::status.eq("open"),
            petitions::created_at.eq(now),
            petitions::updated_at.eq(now),
            petitions::published_at.eq(Some(now)),
        ))
        .execute(&mut conn)?;
    let renderer = Renderer::new()?;
    // The email each client queues (its text and size are what matter to the database;
    // rendering is the server's work, not the database's).
    let email = Message::ConfirmSignature {
        petition_title: "A petition title of ordinary length".into(),
        signer_name: "Signer".into(),
        confirm_url: format!("http://127.0.0.1:8080/s/{}", Token::generate().expose()),
        withdraw_url: format!("http://127.0.0.1:8080/w/{}", Token::generate().expose()),
        hours_valid: 72,
    }
    .render(&renderer, Locale::En, "ceiling@example.org")?;
    let job = signons_mail::queue::EmailJob::from(&email);
    let counter = std::sync::atomic::AtomicU64::new(0);
    let started = Instant::now();
    let recorders = std::thread::scope(|scope| -> anyhow::Result<Vec<Recorder>> {
        let mut handles = Vec::new();
        for _ in 0..CLIENTS {
            let (petition, job, counter) = (&petition, &job, &counter);
            handles.push(scope.spawn(move || -> anyhow::Result<Recorder> {
                let mut conn = url.connect()?;
                let mut recorder = Recorder::new()?;
                while started.elapsed() < duration {
                    let first = counter.fetch_add(BATCH as u64, std::sync::atomic::Ordering::Relaxed);
                    if first >= max_rows {
                        break;
                    }
                    let t0 = Instant::now();
                    let result = conn.transaction(|conn: &mut DbConnection| insert_batch(conn, petition, job, first));
                    let took = t0.elapsed();
                    for _ in 0..BATCH {
                        match &result {
                            Ok(()) => recorder.success(took),
                            Err(e) => recorder.error(format!("{e}"), took),
                        }
                    }
                }
                Ok(recorder)
            }));
        }
        handles.into_iter().map(|h| h.join().map_err(|_| anyhow::anyhow!("a ceiling client panicked"))?).collect()
    })?;
    let elapsed = started.elapsed();
    let mut recorder = Recorder::new()?;
    for r in &recorders {
        recorder.merge(r);
    }
    Ok(Ceiling { recorder, elapsed })
}

/// `BATCH` signatures numbered from `first`, and their email jobs, as the server writes
/// them (the same columns; one multi-row insert each).
fn insert_batch(
    conn: &mut DbConnection,
    petition: &Id,
    job: &signons_mail::queue::EmailJob,
    first: u64,
) -> Result<(), diesel::result::Error> {
    let now = signons_store::now();
    let rows: Vec<_> = (first..first + BATCH as u64)
        .map(|n| {
            let address = format!("ceiling-{n}@example.org");
            (
                (
                    s::id.eq(Id::new()),
                    s::petition_id.eq(petition.clone()),
                    s::name.eq(format!("Signer {n}")),
                    s::email.eq(address.clone()),
                    s::email_canonical.eq(address),
                    s::country.eq(None::<String>),
                    s::postal_code.eq(None::<String>),
                    s::comment.eq(None::<String>),
                ),
                (
                    s::public.eq(true),
                    s::opt_in.eq(false),
                    s::locale.eq("en"),
                    s::confirm_token_hash.eq(Some(Token::generate().hash().to_owned())),
                    s::withdraw_token_hash.eq(Some(Token::generate().hash().to_owned())),
                    s::token_expires_at.eq(now + TimeDelta::hours(72)),
                    s::created_at.eq(now),
                ),
            )
        })
        .collect();
    let payload = job.to_payload().map_err(|e| diesel::result::Error::QueryBuilderError(Box::new(e)))?;
    let jobs: Vec<_> = (0..BATCH)
        .map(|_| {
            (
                j::id.eq(Id::new()),
                j::queue.eq(Queue::Email),
                j::partition_key.eq(None::<String>),
                j::payload.eq(payload.clone()),
                j::state.eq(JobState::Queued),
                j::attempts.eq(0),
                j::run_at.eq(now),
                j::created_at.eq(now),
            )
        })
        .collect();
    // Multi-row inserts do not go through the multi-backend connection; each backend does
    // its own.
    match conn {
        DbConnection::Pg(c) => {
            diesel::insert_into(s::table).values(rows).execute(c)?;
            diesel::insert_into(j::table).values(jobs).execute(c)?;
        }
        DbConnection::Sqlite(c) => {
            diesel::insert_into(s::table).values(rows).execute(c)?;
            diesel::insert_into(j::table).values(jobs).execute(c)?;
        }
    }
    Ok(())
}
