//! Signing, confirming and withdrawing. Every step is one transaction: the signature row,
//! its counter and its email are written together or not at all.

use crate::counts;
use crate::{SignatureError, SignatureInput, ValidSignature};
use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use serde::Serialize;
use signons_mail::{Email, MailQueue, Message};
use signons_petition::Petition;
use signons_render::{Locale, Renderer};
use signons_store::jobs::{JobState, Queue};
use signons_store::schema::{petitions, signatures as s};
use signons_store::{Backend, Database, DbConnection, Id, Token};
use std::sync::Arc;

/// What signing needs besides the database: how to write and queue the emails.
#[derive(Clone)]
pub struct SigningContext {
    pub renderer: Renderer,
    pub queue: MailQueue,
    /// The instance's public URL, without a trailing slash.
    pub public_url: String,
    /// How long a confirmation link stays valid.
    pub confirm_ttl: TimeDelta,
}

impl SigningContext {
    fn confirm_url(&self, token: &Token) -> String {
        format!("{}/s/{}", self.public_url, token.expose())
    }

    fn withdraw_url(&self, token: &Token) -> String {
        format!("{}/w/{}", self.public_url, token.expose())
    }
}

/// Signs a petition. The answer is the same whether the address is new, pending or has
/// already signed; only the email differs. Returns after the transaction committed.
pub async fn sign(
    db: &Database,
    ctx: &SigningContext,
    slug: &str,
    input: &SignatureInput,
    locale: Locale,
) -> Result<(), SignatureError> {
    let petition = {
        let slug = slug.to_owned();
        db.read_async(move |conn| signons_petition::petition::find(conn, &slug).map_err(SignatureError::from)).await?
    };
    sign_petition(db, ctx, &petition, input, locale).await
}

/// `sign` for a petition the caller already loaded (the web layer takes it from its read
/// cache, which saves a query per signature; a petition closed less than a second ago in
/// another process may then still take a pending signature, which can no longer be
/// confirmed: `confirm` checks the petition in its own transaction).
pub async fn sign_petition(
    db: &Database,
    ctx: &SigningContext,
    petition: &Petition,
    input: &SignatureInput,
    locale: Locale,
) -> Result<(), SignatureError> {
    if petition.status == signons_petition::PetitionStatus::Draft {
        return Err(SignatureError::PetitionNotFound);
    }
    if !petition.accepts_signatures(signons_store::now()) {
        return Err(SignatureError::PetitionClosed);
    }
    let valid = input.validate(petition).map_err(SignatureError::Invalid)?;
    // The links and the confirmation email are made here, beside other requests, so that
    // the write transaction only writes (on SQLite one writer runs every transaction).
    let prepared = Arc::new(Prepared::new(ctx, petition, &valid, locale)?);
    let petition = Arc::new(petition.clone());
    if db.backend() == Backend::Postgres {
        // A new address, the common case, in one statement: one round trip instead of
        // four, its own transaction. A known address falls through to the general path.
        let (p, v, pr, ttl) = (petition.clone(), valid.clone(), prepared.clone(), ctx.confirm_ttl);
        let inserted = db
            .autocommit_async(move |conn| match conn {
                DbConnection::Pg(c) => insert_new_pg(c, &p, &v, locale, &pr, ttl).map_err(SignatureError::from),
                DbConnection::Sqlite(_) => Ok(false),
            })
            .await?;
        if inserted {
            ctx.queue.wake();
            return Ok(());
        }
    }
    // Two requests for the same new address can race to insert; the loser sees a unique
    // violation and, on its second try, finds the row and answers as for a known address.
    for attempt in 0..2 {
        let (ctx2, petition2, valid2, prepared2) = (ctx.clone(), petition.clone(), valid.clone(), prepared.clone());
        let result = db.write_async(move |conn| sign_in(conn, &ctx2, &petition2, &valid2, locale, &prepared2)).await;
        match result {
            Err(SignatureError::Store(signons_store::StoreError::Query(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )))) if attempt == 0 => continue,
            other => {
                if other.is_ok() {
                    ctx.queue.wake();
                }
                return other;
            }
        }
    }
    Ok(())
}

/// What signing needs that does not depend on the database: fresh links and the
/// confirmation email that carries them (sent for a new address, and for one still pending).
struct Prepared {
    confirm: Token,
    withdraw: Token,
    confirmation: Email,
}

impl Prepared {
    fn new(
        ctx: &SigningContext,
        petition: &Petition,
        sig: &ValidSignature,
        locale: Locale,
    ) -> Result<Self, SignatureError> {
        let (confirm, withdraw) = (Token::generate(), Token::generate());
        let confirmation = confirmation(ctx, petition, &sig.name, &confirm, &withdraw).render(
            &ctx.renderer,
            locale,
            sig.email.address(),
        )?;
        Ok(Prepared { confirm, withdraw, confirmation })
    }
}

/// PostgreSQL: inserts the signature of a new address and queues its confirmation email
/// in one statement (a data-modifying CTE: both rows or neither). Returns false, having
/// written nothing, if the address already signed (or is pending).
fn insert_new_pg(
    conn: &mut diesel::PgConnection,
    petition: &Petition,
    sig: &ValidSignature,
    locale: Locale,
    prepared: &Prepared,
    confirm_ttl: TimeDelta,
) -> Result<bool, diesel::result::Error> {
    use diesel::sql_types::{Bool, Nullable, Text, Timestamp};
    let now = signons_store::now();
    let Prepared { confirm, withdraw, confirmation } = prepared;
    let email_job = signons_mail::queue::EmailJob::from(confirmation)
        .to_payload()
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    // Kept in step with `sign_in` (the signature row) and `MailQueue::enqueue` (the email job).
    let inserted = diesel::sql_query(
        "WITH new_signature AS ( \
           INSERT INTO signatures (id, petition_id, name, email, email_canonical, country, postal_code, comment, \
                                   public, opt_in, locale, confirm_token_hash, withdraw_token_hash, \
                                   token_expires_at, created_at) \
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
           ON CONFLICT (petition_id, email_canonical) DO NOTHING \
           RETURNING id) \
         INSERT INTO jobs (id, queue, partition_key, payload, state, attempts, run_at, created_at) \
         SELECT $16, $17, NULL, $18, $19, 0, $15, $15 FROM new_signature",
    )
    .bind::<Text, _>(Id::new())
    .bind::<Text, _>(&petition.id)
    .bind::<Text, _>(&sig.name)
    .bind::<Text, _>(sig.email.address())
    .bind::<Text, _>(sig.email.canonical())
    .bind::<Nullable<Text>, _>(&sig.country)
    .bind::<Nullable<Text>, _>(&sig.postal_code)
    .bind::<Nullable<Text>, _>(&sig.comment)
    .bind::<Bool, _>(sig.public)
    .bind::<Bool, _>(sig.opt_in)
    .bind::<Text, _>(locale.code())
    .bind::<Text, _>(confirm.hash())
    .bind::<Text, _>(withdraw.hash())
    .bind::<Timestamp, _>(now + confirm_ttl)
    .bind::<Timestamp, _>(now)
    .bind::<Text, _>(Id::new())
    .bind::<Text, _>(Queue::Email)
    .bind::<Text, _>(email_job)
    .bind::<Text, _>(JobState::Queued)
    .execute(conn)?;
    Ok(inserted == 1)
}

fn sign_in(
    conn: &mut DbConnection,
    ctx: &SigningContext,
    petition: &Petition,
    sig: &ValidSignature,
    locale: Locale,
    prepared: &Prepared,
) -> Result<(), SignatureError> {
    let now = signons_store::now();
    let Prepared { confirm, withdraw, confirmation } = prepared;
    // A new address is the common case: one insert, which skips an address that already
    // signed (the unique index on petition and canonical email decides, also under a
    // concurrent insert of the same address). Only then is the existing row looked up.
    let row = (
        (
            s::id.eq(Id::new()),
            s::petition_id.eq(&petition.id),
            s::name.eq(&sig.name),
            s::email.eq(sig.email.address()),
            s::email_canonical.eq(sig.email.canonical()),
            s::country.eq(&sig.country),
            s::postal_code.eq(&sig.postal_code),
            s::comment.eq(&sig.comment),
        ),
        (
            s::public.eq(sig.public),
            s::opt_in.eq(sig.opt_in),
            s::locale.eq(locale.code()),
            s::confirm_token_hash.eq(Some(confirm.hash())),
            s::withdraw_token_hash.eq(Some(withdraw.hash())),
            s::token_expires_at.eq(now + ctx.confirm_ttl),
            s::created_at.eq(now),
        ),
    );
    // Upserts do not go through the multi-backend connection; each backend does its own.
    let inserted = match conn {
        DbConnection::Pg(c) => diesel::insert_into(s::table)
            .values(row)
            .on_conflict((s::petition_id, s::email_canonical))
            .do_nothing()
            .execute(c)?,
        DbConnection::Sqlite(c) => diesel::insert_into(s::table)
            .values(row)
            .on_conflict((s::petition_id, s::email_canonical))
            .do_nothing()
            .execute(c)?,
    };
    if inserted == 1 {
        ctx.queue.enqueue(conn, confirmation)?;
        return Ok(());
    }
    let existing: Option<(Id, Option<NaiveDateTime>)> = s::table
        .filter(s::petition_id.eq(&petition.id))
        .filter(s::email_canonical.eq(sig.email.canonical()))
        .select((s::id, s::confirmed_at))
        .first(conn)
        .optional()?;
    let Some(existing) = existing else {
        // Withdrawn between the two statements: `sign` tries once more, as after a race.
        return Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            Box::new("the signature changed while signing again".to_owned()),
        )
        .into());
    };
    match existing {
        (id, None) => {
            // Still pending: a fresh link replaces the old one, which may have expired.
            diesel::update(s::table.filter(s::id.eq(&id)))
                .set((
                    s::confirm_token_hash.eq(Some(confirm.hash())),
                    s::withdraw_token_hash.eq(Some(withdraw.hash())),
                    s::token_expires_at.eq(now + ctx.confirm_ttl),
                ))
                .execute(conn)?;
            ctx.queue.enqueue(conn, confirmation)?;
        }
        (id, Some(_)) => {
            diesel::update(s::table.filter(s::id.eq(&id)))
                .set(s::withdraw_token_hash.eq(Some(withdraw.hash())))
                .execute(conn)?;
            let email = Message::AlreadySigned {
                petition_title: petition.title.clone(),
                signer_name: sig.name.clone(),
                petition_url: format!("{}/p/{}", ctx.public_url, petition.slug),
                withdraw_url: ctx.withdraw_url(withdraw),
            }
            .render(&ctx.renderer, locale, sig.email.address())?;
            ctx.queue.enqueue(conn, &email)?;
        }
    }
    Ok(())
}

fn confirmation(ctx: &SigningContext, petition: &Petition, name: &str, confirm: &Token, withdraw: &Token) -> Message {
    Message::ConfirmSignature {
        petition_title: petition.title.clone(),
        signer_name: name.to_owned(),
        confirm_url: ctx.confirm_url(confirm),
        withdraw_url: ctx.withdraw_url(withdraw),
        hours_valid: ctx.confirm_ttl.num_hours(),
    }
}

/// What the confirm and withdraw pages show about the signature behind a link.
#[derive(Debug, Clone, Serialize)]
pub struct TokenPage {
    pub petition_slug: String,
    pub petition_title: String,
    pub signer_name: String,
    pub confirmed: bool,
}

type TokenRow = (Id, Id, String, String, String, Option<NaiveDateTime>, NaiveDateTime);
const TOKEN_ROW: (
    s::id,
    s::petition_id,
    petitions::slug,
    petitions::title,
    s::name,
    s::confirmed_at,
    s::token_expires_at,
) = (s::id, s::petition_id, petitions::slug, petitions::title, s::name, s::confirmed_at, s::token_expires_at);

fn by_confirm_token(conn: &mut DbConnection, token: &Token) -> Result<Option<TokenRow>, SignatureError> {
    Ok(s::table
        .inner_join(petitions::table)
        .filter(s::confirm_token_hash.eq(token.hash()))
        .select(TOKEN_ROW)
        .first(conn)
        .optional()?)
}

fn by_withdraw_token(conn: &mut DbConnection, token: &Token) -> Result<Option<TokenRow>, SignatureError> {
    Ok(s::table
        .inner_join(petitions::table)
        .filter(s::withdraw_token_hash.eq(token.hash()))
        .select(TOKEN_ROW)
        .first(conn)
        .optional()?)
}

fn page((_, _, petition_slug, petition_title, signer_name, confirmed_at, _): TokenRow) -> TokenPage {
    TokenPage { petition_slug, petition_title, signer_name, confirmed: confirmed_at.is_some() }
}

/// The confirmation link's page: looks, never changes anything (mail scanners fetch links).
pub fn confirm_page(conn: &mut DbConnection, token: &str) -> Result<TokenPage, SignatureError> {
    let token = Token::parse(token).ok_or(SignatureError::TokenInvalid)?;
    let row = by_confirm_token(conn, &token)?.ok_or(SignatureError::TokenInvalid)?;
    if row.6 <= signons_store::now() {
        return Err(SignatureError::TokenExpired);
    }
    Ok(page(row))
}

/// Confirms a signature: it counts from now on, and the link cannot be used again.
pub fn confirm(conn: &mut DbConnection, token: &str) -> Result<TokenPage, SignatureError> {
    let token = Token::parse(token).ok_or(SignatureError::TokenInvalid)?;
    let row = by_confirm_token(conn, &token)?.ok_or(SignatureError::TokenInvalid)?;
    let now = signons_store::now();
    if row.6 <= now {
        return Err(SignatureError::TokenExpired);
    }
    let petition = signons_petition::petition::find(conn, &row.2)?;
    if !petition.accepts_signatures(now) {
        return Err(SignatureError::PetitionClosed);
    }
    // The guard on the token hash makes a concurrent second confirm update nothing.
    let updated = diesel::update(
        s::table
            .filter(s::id.eq(&row.0))
            .filter(s::confirm_token_hash.eq(token.hash()))
            .filter(s::confirmed_at.is_null()),
    )
    .set((s::confirmed_at.eq(Some(now)), s::confirm_token_hash.eq(None::<String>)))
    .execute(conn)?;
    if updated != 1 {
        return Err(SignatureError::TokenInvalid);
    }
    counts::add(conn, &row.1, 1)?;
    let mut page = page(row);
    page.confirmed = true;
    Ok(page)
}

pub fn withdraw_page(conn: &mut DbConnection, token: &str) -> Result<TokenPage, SignatureError> {
    let token = Token::parse(token).ok_or(SignatureError::TokenInvalid)?;
    by_withdraw_token(conn, &token)?.map(page).ok_or(SignatureError::TokenInvalid)
}

/// Withdraws a signature: its personal data is deleted and the count corrected.
pub fn withdraw(conn: &mut DbConnection, token: &str) -> Result<TokenPage, SignatureError> {
    let token = Token::parse(token).ok_or(SignatureError::TokenInvalid)?;
    let row = by_withdraw_token(conn, &token)?.ok_or(SignatureError::TokenInvalid)?;
    let deleted = diesel::delete(s::table.filter(s::id.eq(&row.0)).filter(s::withdraw_token_hash.eq(token.hash())))
        .execute(conn)?;
    if deleted != 1 {
        return Err(SignatureError::TokenInvalid);
    }
    if row.5.is_some() {
        counts::add(conn, &row.1, -1)?;
    }
    Ok(page(row))
}

/// A signer who chose to show their name.
#[derive(Debug, Clone, Serialize)]
pub struct PublicSigner {
    pub name: String,
    pub country: Option<String>,
    pub comment: Option<String>,
    pub confirmed_at: NaiveDateTime,
}

pub fn recent_public(conn: &mut DbConnection, petition: &Id, limit: i64) -> Result<Vec<PublicSigner>, SignatureError> {
    type Row = (String, Option<String>, Option<String>, Option<NaiveDateTime>);
    let rows: Vec<Row> = s::table
        .filter(s::petition_id.eq(petition))
        .filter(s::confirmed_at.is_not_null())
        .filter(s::public.eq(true))
        .filter(s::name.ne(""))
        .order(s::confirmed_at.desc())
        .limit(limit)
        .select((s::name, s::country, s::comment, s::confirmed_at))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(name, country, comment, at)| {
            at.map(|confirmed_at| PublicSigner { name, country, comment, confirmed_at })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use signons_store::testing::{TempDatabase, TestBackend};

    fn context() -> SigningContext {
        SigningContext {
            renderer: Renderer::new().unwrap(),
            queue: MailQueue::new(),
            public_url: "http://petitions.test".into(),
            confirm_ttl: TimeDelta::hours(1),
        }
    }

    fn create_petition(db: &Database) -> Petition {
        db.write(signons_petition::testing::sample_petition).unwrap().1
    }

    /// Many signers at once, some with the same address: every one gets the same answer,
    /// each address is one row, and each signing queued its email.
    async fn concurrent_signers(backend: TestBackend) {
        let temp = TempDatabase::new(backend);
        let db = temp.open();
        let ctx = context();
        let petition = create_petition(&db);
        let mut tasks = Vec::new();
        for i in 0..60 {
            let (db, ctx, petition) = (db.clone(), ctx.clone(), petition.clone());
            let email = if i % 6 == 0 { "same@example.org".to_owned() } else { format!("signer{i}@example.org") };
            tasks.push(tokio::spawn(async move {
                let input = SignatureInput { name: format!("Signer {i}"), email, ..Default::default() };
                sign_petition(&db, &ctx, &petition, &input, Locale::En).await
            }));
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        let (rows, same, emails): (i64, i64, i64) = db
            .read(|conn| -> Result<_, SignatureError> {
                let rows = s::table.filter(s::petition_id.eq(&petition.id)).count().get_result(conn)?;
                let same = s::table.filter(s::email_canonical.eq("same@example.org")).count().get_result(conn)?;
                let emails = signons_mail::queue::pending_count(conn)?;
                Ok((rows, same, emails))
            })
            .unwrap();
        assert_eq!(rows, 51, "50 distinct addresses and the shared one");
        assert_eq!(same, 1);
        assert_eq!(emails, 60, "one email per signing, new or known address");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_signers_sqlite() {
        concurrent_signers(TestBackend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_signers_postgres() {
        concurrent_signers(TestBackend::Postgres).await;
    }
}
