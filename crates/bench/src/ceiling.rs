//! The database's own ceiling for the rows a signature writes: a plain loop, through
//! diesel, over one connection, of one transaction per signature holding the
//! single-row insert of the signature and the single-row insert of its queued email (the
//! real rendered confirmation email), committed with fsync on (SQLite `synchronous=FULL`
//! in WAL mode, PostgreSQL `synchronous_commit=on`). Run in a database of its own, on the
//! same disk / server, so it does not disturb the server's.

use crate::stats::Recorder;
use chrono::TimeDelta;
use diesel::prelude::*;
use signons_mail::Message;
use signons_render::{Locale, Renderer};
use signons_store::schema::{organizations, petitions, signatures as s};
use signons_store::{DatabaseUrl, DbConnection, Id, Token};
use std::time::{Duration, Instant};

pub struct Ceiling {
    pub recorder: Recorder,
    /// Time spent in the transactions only (rendering the email is left out).
    pub db_time: Duration,
}

impl Ceiling {
    /// Signatures (each: its row and its email row, one transaction) per second.
    pub fn rate(&self) -> f64 {
        self.recorder.ok as f64 / self.db_time.as_secs_f64().max(1e-9)
    }
}

/// Inserts signatures for `duration` (or `max_rows`), one transaction each.
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
    let mut recorder = Recorder::new()?;
    let started = Instant::now();
    let mut n = 0u64;
    let mut db_time = Duration::ZERO;
    while started.elapsed() < duration && n < max_rows {
        n += 1;
        let address = format!("ceiling-{n}@example.org");
        let (confirm, withdraw) = (Token::generate(), Token::generate());
        let email = Message::ConfirmSignature {
            petition_title: "A petition title of ordinary length".into(),
            signer_name: format!("Signer {n}"),
            confirm_url: format!("http://127.0.0.1:8080/s/{}", confirm.expose()),
            withdraw_url: format!("http://127.0.0.1:8080/w/{}", withdraw.expose()),
            hours_valid: 72,
        }
        .render(&renderer, Locale::En, &address)?;
        let t0 = Instant::now();
        let result = conn.transaction(|conn: &mut DbConnection| {
            let now = signons_store::now();
            diesel::insert_into(s::table)
                .values((
                    (
                        s::id.eq(Id::new()),
                        s::petition_id.eq(&petition),
                        s::name.eq(format!("Signer {n}")),
                        s::email.eq(&address),
                        s::email_canonical.eq(&address),
                        s::country.eq(None::<String>),
                        s::postal_code.eq(None::<String>),
                        s::comment.eq(None::<String>),
                    ),
                    (
                        s::public.eq(true),
                        s::opt_in.eq(false),
                        s::locale.eq("en"),
                        s::confirm_token_hash.eq(Some(confirm.hash())),
                        s::withdraw_token_hash.eq(Some(withdraw.hash())),
                        s::token_expires_at.eq(now + TimeDelta::hours(72)),
                        s::created_at.eq(now),
                    ),
                ))
                .execute(conn)?;
            signons_store::jobs::enqueue(
                conn,
                signons_store::jobs::Queue::Email,
                None,
                &signons_mail::queue::EmailJob::from(&email),
            )
            .map_err(|e| diesel::result::Error::QueryBuilderError(Box::new(e)))?;
            diesel::QueryResult::Ok(())
        });
        let took = t0.elapsed();
        db_time += took;
        match result {
            Ok(()) => recorder.success(took),
            Err(e) => recorder.error(format!("{e}"), took),
        }
    }
    Ok(Ceiling { recorder, db_time })
}
