//! The send queue: one row per email, removed once sent.

use crate::{Email, MailError};
use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use signons_store::schema::outgoing_emails as q;
use signons_store::{DbConnection, Id};
use std::sync::Arc;
use tokio::sync::Notify;

/// A handle that queues emails inside the caller's transaction and wakes the worker.
#[derive(Clone, Default)]
pub struct MailQueue {
    wake: Arc<Notify>,
}

impl MailQueue {
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores the email in the caller's transaction: it is sent only if that commits.
    pub fn enqueue(&self, conn: &mut DbConnection, email: &Email) -> Result<Id, MailError> {
        let id = Id::new();
        let now = signons_store::now();
        diesel::insert_into(q::table)
            .values((
                q::id.eq(&id),
                q::recipient.eq(&email.to),
                q::subject.eq(&email.subject),
                q::text_body.eq(&email.text),
                q::html_body.eq(&email.html),
                q::created_at.eq(now),
                q::attempts.eq(0),
                q::next_attempt_at.eq(now),
            ))
            .execute(conn)?;
        Ok(id)
    }

    /// Tells the worker that new mail is waiting (call after the commit).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub(crate) fn notified(&self) -> Arc<Notify> {
        self.wake.clone()
    }
}

pub fn pending_count(conn: &mut DbConnection) -> Result<i64, MailError> {
    Ok(q::table.count().get_result(conn)?)
}

#[derive(Debug, Queryable)]
pub(crate) struct Queued {
    pub id: Id,
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub created_at: NaiveDateTime,
    pub attempts: i32,
}

const QUEUED: (q::id, q::recipient, q::subject, q::text_body, q::html_body, q::created_at, q::attempts) =
    (q::id, q::recipient, q::subject, q::text_body, q::html_body, q::created_at, q::attempts);

/// Takes up to `limit` due emails and pushes their next attempt past `lease`, so that no
/// other worker takes them meanwhile. On PostgreSQL the rows are locked with SKIP LOCKED,
/// so several processes each claim different emails.
pub(crate) fn claim_due(conn: &mut DbConnection, lease: TimeDelta, limit: i64) -> Result<Vec<Queued>, MailError> {
    let now = signons_store::now();
    let due = q::table.filter(q::next_attempt_at.le(now)).order(q::next_attempt_at.asc()).limit(limit).select(QUEUED);
    let rows: Vec<Queued> = match conn {
        DbConnection::Pg(c) => due.for_update().skip_locked().load(c)?,
        DbConnection::Sqlite(c) => due.load(c)?,
    };
    let ids: Vec<&Id> = rows.iter().map(|r| &r.id).collect();
    if !ids.is_empty() {
        diesel::update(q::table.filter(q::id.eq_any(ids))).set(q::next_attempt_at.eq(now + lease)).execute(conn)?;
    }
    Ok(rows)
}

pub(crate) fn delete(conn: &mut DbConnection, id: &Id) -> Result<(), MailError> {
    diesel::delete(q::table.filter(q::id.eq(id))).execute(conn)?;
    Ok(())
}

pub(crate) fn delete_many(conn: &mut DbConnection, ids: &[Id]) -> Result<(), MailError> {
    for chunk in ids.chunks(500) {
        diesel::delete(q::table.filter(q::id.eq_any(chunk))).execute(conn)?;
    }
    Ok(())
}

pub(crate) fn reschedule(
    conn: &mut DbConnection,
    id: &Id,
    attempts: i32,
    next: NaiveDateTime,
    error: &str,
) -> Result<(), MailError> {
    diesel::update(q::table.filter(q::id.eq(id)))
        .set((q::attempts.eq(attempts), q::next_attempt_at.eq(next), q::last_error.eq(error)))
        .execute(conn)?;
    Ok(())
}
