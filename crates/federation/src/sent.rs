//! Our signers' signatures of petitions that live on other instances: the signer's side
//! of `Sign` (`sign` holds the documents and the petition's side). A person signs here,
//! confirms by email here, and their personal data stays here (`sent_signatures`). Once
//! confirmed, an attestation of it goes to the petition's instance in the next `Sign` of
//! that petition, and the answer (`Accept`, or `Reject` with a reason) is kept, shown on
//! the confirm page, and emailed to the signer when it is a refusal.
//!
//! Batching: the confirmation that finds nothing else waiting for the petition queues a
//! `SignaturesJob` (a delivery job, partitioned by the petition's host) that runs
//! `BATCH_WINDOW` later and so gathers every signature confirmed meanwhile, up to
//! `MAX_ATTESTATIONS` per `Sign`. Once a `Sign` is delivered, the job queues the next one
//! if more wait. Confirming and that check both take the petition's lock first (shared by
//! confirmations that queue nothing: `lock_petition`), so that no confirmation falls
//! between a job's last look and its end. A repeated delivery (a
//! killed process, a lost answer) carries the same attestation ids, which the petition's
//! instance counts once.

use crate::remote::RemotePetition;
use crate::sign::{self, Attestation, RejectReason, MAX_ATTESTATIONS};
use crate::urls::host_of;
use crate::{delivery, FederationData, FederationError, Urls};
use chrono::{NaiveDateTime, SubsecRound, TimeDelta};
use diesel::prelude::*;
use serde::Deserialize;
use signons_mail::{Composed, MailError, Message};
use signons_render::Locale;
use signons_signature::emails::{Stored, Which};
use signons_signature::invalidation::{self, Filter, Invalidated, Preview, SentPetition};
use signons_signature::links::{Links, Nonce};
use signons_signature::{
    Confirmation, Elsewhere, NetworkHash, NetworkKey, SignatureError, SignatureInput, TokenPage, ValidSignature,
};
use signons_store::schema::{remote_petitions as rp, sent_signatures as ss, sent_withdraw_tokens as swt};
use signons_store::{DbConnection, Id, Token};
use std::sync::Arc;
use url::Url;

/// How long the first signature confirmed for a petition waits for others to go with it.
pub const BATCH_WINDOW: TimeDelta = TimeDelta::seconds(1);

signons_store::text_enum! {
    /// The petition's instance's answer to one of our attestations.
    pub enum SentAnswer {
        Accepted = "accepted",
        Rejected = "rejected",
    }
}

/// What the signer submitted, written whole for a new address and over a pending one.
/// There is no comment: an attestation carries none.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = ss, treat_none_as_null = true)]
struct Submitted<'a> {
    name: &'a str,
    email: &'a str,
    country: Option<&'a str>,
    postal_code: Option<&'a str>,
    public: bool,
    opt_in: bool,
    locale: &'a str,
}

impl<'a> Submitted<'a> {
    fn new(sig: &'a ValidSignature, locale: Locale) -> Self {
        Submitted {
            name: &sig.name,
            email: sig.email.address(),
            country: sig.country.as_deref(),
            postal_code: sig.postal_code.as_deref(),
            public: sig.public,
            opt_in: sig.opt_in,
            locale: locale.code(),
        }
    }
}

/// One signing: the submission and its fresh links (the emails are composed from them
/// when sent: `SentEmails`).
struct Signing {
    petition_url: String,
    sig: ValidSignature,
    locale: Locale,
    links: Links,
    confirm_ttl: TimeDelta,
    network: Option<NetworkHash>,
}

/// Signs, here, a petition of another instance. As for our own petitions, the answer is the
/// same whether the address is new, pending or has already signed; only the email differs.
pub async fn sign(
    data: &FederationData,
    petition: &RemotePetition,
    input: &SignatureInput,
    locale: Locale,
    network: Option<NetworkHash>,
) -> Result<(), FederationError> {
    let ctx = &data.signing;
    if !petition.accepts_signatures(signons_store::now()) {
        return Err(SignatureError::PetitionClosed.into());
    }
    let mut sig =
        input.validate_asking(petition.ask_country, petition.ask_postal_code).map_err(SignatureError::Invalid)?;
    sig.comment = None;
    if !ctx.recipients.allow_today(sig.email.canonical()) {
        // Over the address's daily cap (`signons_signature::recipients`): nothing written or
        // sent, the same answer.
        tracing::info!(petition = %petition.url, "signature email over the address's daily cap: not sent");
        return Ok(());
    }
    let signing = Arc::new(Signing {
        petition_url: petition.url.clone(),
        sig,
        locale,
        links: Links::new(&ctx.link_key),
        confirm_ttl: ctx.confirm_ttl,
        network,
    });
    // As for local signatures: the row may change between two statements; a new try sees it
    // as it now is.
    for _ in 0..3 {
        let (s, queue, limits) = (signing.clone(), ctx.queue.clone(), ctx.recipients.clone());
        if data.db.write_async(move |conn| sign_in(conn, &queue, &limits, &s)).await? {
            ctx.queue.wake();
            return Ok(());
        }
    }
    Err(SignatureError::Contended.into())
}

/// One transaction of `sign`; false if the existing row changed under it.
fn sign_in(
    conn: &mut DbConnection,
    queue: &signons_mail::MailQueue,
    limits: &signons_signature::RecipientLimits,
    s: &Signing,
) -> Result<bool, FederationError> {
    let now = signons_store::now();
    let submitted = Submitted::new(&s.sig, s.locale);
    let Links { nonce, confirm, withdraw } = &s.links;
    let new_id = Id::new();
    let row = (
        ss::id.eq(&new_id),
        ss::petition_url.eq(&s.petition_url),
        ss::email_canonical.eq(s.sig.email.canonical()),
        &submitted,
        ss::confirm_token_hash.eq(Some(confirm.hash())),
        ss::withdraw_token_hash.eq(Some(withdraw.hash())),
        ss::token_expires_at.eq(now + s.confirm_ttl),
        ss::created_at.eq(now),
        ss::network_hash.eq(s.network.as_ref().map(NetworkHash::as_str)),
    );
    let inserted = signons_store::on_each_backend!(&mut *conn, |c| diesel::insert_into(ss::table)
        .values(row)
        .on_conflict((ss::petition_url, ss::email_canonical))
        .do_nothing()
        .execute(c))?;
    if inserted == 1 {
        queue.enqueue_reference(conn, &SentEmail::confirm(&new_id, nonce))?;
        return Ok(true);
    }
    let existing: Option<(Id, Option<NaiveDateTime>, Option<NaiveDateTime>)> = ss::table
        .filter(ss::petition_url.eq(&s.petition_url))
        .filter(ss::email_canonical.eq(s.sig.email.canonical()))
        .select((ss::id, ss::confirmed_at, ss::invalidated_at))
        .first(conn)
        .optional()?;
    let Some((id, confirmed_at, invalidated_at)) = existing else { return Ok(false) };
    if invalidated_at.is_some() {
        // An admin invalidated this address's signature of the petition: it does not sign
        // again, and is told nothing (the same answer as for any submission).
        tracing::info!(petition = %s.petition_url, "a signature of an invalidated address: nothing written or sent");
        return Ok(true);
    }
    if !limits.allow_for_petition(&s.petition_url, s.sig.email.canonical()) {
        // Emailed about this petition a few times already: nothing changes, nothing is sent.
        tracing::info!(petition = %s.petition_url, "signature email over the cooldown of this address: not sent");
        return Ok(true);
    }
    let email = match confirmed_at {
        // Pending: this submission replaces the last one whole, with a new confirm link.
        None => {
            let updated = diesel::update(
                ss::table
                    .filter(ss::id.eq(&id))
                    .filter(ss::confirmed_at.is_null())
                    .filter(ss::invalidated_at.is_null()),
            )
            .set((
                &submitted,
                ss::confirm_token_hash.eq(Some(confirm.hash())),
                ss::token_expires_at.eq(now + s.confirm_ttl),
                ss::network_hash.eq(s.network.as_ref().map(NetworkHash::as_str)),
            ))
            .execute(conn)?;
            (updated == 1).then(|| SentEmail::confirm(&id, nonce))
        }
        // Confirmed: nothing changes but a new withdraw link (the no-op update locks the row).
        Some(_) => {
            let locked = diesel::update(ss::table.filter(ss::id.eq(&id)).filter(ss::invalidated_at.is_null()))
                .set(ss::confirmed_at.eq(ss::confirmed_at))
                .execute(conn)?;
            (locked == 1).then(|| SentEmail::SentAlreadySigned {
                signature: id.to_string(),
                nonce: nonce.clone(),
                to: s.sig.email.address().to_owned(),
                name: s.sig.name.clone(),
                locale: s.locale.code().to_owned(),
            })
        }
    };
    let Some(email) = email else { return Ok(false) };
    diesel::insert_into(swt::table)
        .values((swt::token_hash.eq(withdraw.hash()), swt::signature_id.eq(&id), swt::created_at.eq(now)))
        .execute(conn)?;
    queue.enqueue_reference(conn, &email)?;
    Ok(true)
}

/// What the email job of a signature sent elsewhere holds: as for our own signatures
/// (`signons_signature::emails`), a reference and the nonce of its links, never a link.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SentEmail {
    /// The links that confirm and withdraw; the rest is the stored submission's.
    SentConfirmSignature { signature: String, nonce: Nonce },
    /// To a signer who had confirmed already: where it goes, the name and the language of
    /// this request.
    SentAlreadySigned { signature: String, nonce: Nonce, to: String, name: String, locale: String },
    /// A news of the petition (`crate::sent_news`): the mailing and the signature.
    SentNews { mailing: String, signature: String },
}

impl SentEmail {
    fn confirm(signature: &Id, nonce: &Nonce) -> Self {
        SentEmail::SentConfirmSignature { signature: signature.to_string(), nonce: nonce.clone() }
    }

    /// Whether a queued reference is one of these (the mail worker's composer asks).
    pub fn is_one(reference: &serde_json::Value) -> bool {
        reference.get("kind").and_then(|k| k.as_str()).is_some_and(|k| k.starts_with("sent_"))
    }
}

/// Composes `SentEmail`s when the mail worker sends them, as our own signature emails are
/// (the same links, texts and checks), from `sent_signatures`.
#[derive(Clone)]
pub struct SentEmails(pub signons_signature::SignatureEmails);

impl signons_mail::Compose for SentEmails {
    fn compose(&self, conn: &mut DbConnection, reference: &serde_json::Value) -> Result<Composed, MailError> {
        let email = SentEmail::deserialize(reference)
            .map_err(|e| MailError::Reference(format!("not an email of a signature sent elsewhere: {e}")))?;
        let (signature, nonce, which) = match &email {
            SentEmail::SentConfirmSignature { signature, nonce } => (signature, nonce, Which::Confirm),
            SentEmail::SentAlreadySigned { signature, nonce, to, name, locale } => {
                (signature, nonce, Which::AlreadySigned { to, name, locale })
            }
            SentEmail::SentNews { mailing, signature } => return self.compose_news(conn, mailing, signature),
        };
        let id = Id::parse(signature).ok_or_else(|| MailError::Reference("not a signature id".into()))?;
        type Row = (String, String, String, Option<String>, Option<String>, String, String, String);
        let row: Option<Row> = ss::table
            .inner_join(rp::table.on(rp::url.eq(ss::petition_url)))
            .filter(ss::id.eq(&id))
            .select((
                ss::email,
                ss::name,
                ss::locale,
                ss::confirm_token_hash,
                ss::withdraw_token_hash,
                rp::title,
                rp::slug,
                rp::host,
            ))
            .first(conn)
            .optional()?;
        let Some((address, name, locale, confirm_hash, withdraw_hash, title, slug, host)) = row else {
            return Ok(Composed::Dropped("the signature is gone (withdrawn or purged)".into()));
        };
        let links = self.0.links(nonce.clone());
        let withdraw_known = withdraw_hash.as_deref() == Some(links.withdraw.hash().as_str())
            || diesel::select(diesel::dsl::exists(
                swt::table.filter(swt::token_hash.eq(links.withdraw.hash())).filter(swt::signature_id.eq(&id)),
            ))
            .get_result::<bool>(conn)?;
        let stored = Stored {
            email: address,
            name,
            locale,
            confirm_token_hash: confirm_hash,
            petition_title: title,
            petition_path: format!("{slug}@{host}"),
        };
        self.0.render(stored, &links, withdraw_known, which)
    }

    /// The fan-outs of news of petitions elsewhere (`crate::sent_news`).
    fn fan_out(&self, conn: &mut DbConnection, fan_out: &serde_json::Value) -> Result<signons_mail::FanOut, MailError> {
        crate::sent_news::fan_out_step(conn, &signons_mail::MailQueue::new(), fan_out)
    }
}

/// A signature behind a link.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ss)]
struct SentRow {
    id: Id,
    petition_url: String,
    name: String,
    email: String,
    email_canonical: String,
    country: Option<String>,
    postal_code: Option<String>,
    public: bool,
    opt_in: bool,
    locale: String,
    confirmed_at: Option<NaiveDateTime>,
    token_expires_at: NaiveDateTime,
    answer: Option<SentAnswer>,
    reason: Option<RejectReason>,
}

fn by_confirm_token(conn: &mut DbConnection, token: &Token) -> Result<Option<SentRow>, FederationError> {
    Ok(ss::table.filter(ss::confirm_token_hash.eq(token.hash())).select(SentRow::as_select()).first(conn).optional()?)
}

/// Every withdraw link the signature was sent: the first on the row, later ones in
/// `sent_withdraw_tokens`.
fn by_withdraw_token(conn: &mut DbConnection, token: &Token) -> Result<Option<SentRow>, FederationError> {
    let later = swt::table.filter(swt::token_hash.eq(token.hash())).select(swt::signature_id);
    Ok(ss::table
        .filter(ss::withdraw_token_hash.eq(token.hash()).or(ss::id.eq_any(later)))
        .select(SentRow::as_select())
        .first(conn)
        .optional()?)
}

fn petition(conn: &mut DbConnection, url: &str) -> Result<Option<RemotePetition>, FederationError> {
    Ok(rp::table.find(url).select(RemotePetition::as_select()).first(conn).optional()?)
}

/// How a transaction holds its petition's lock (see `lock_petition`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hold {
    /// With other confirmations, none of which queues a job.
    Shared,
    /// Alone: the end of a `Sign` job, or a confirmation that may queue one.
    Exclusive,
}

/// The first key of the petitions' advisory locks on PostgreSQL ("Sign"), so that they
/// share no key with any other use of advisory locks.
const LOCK_CLASS: i32 = 0x5369_676e;

/// Takes the petition's lock until the end of the transaction: every confirmation and the
/// end of every `Sign` job take it first, so that no confirmation falls between a job's
/// last look and its end. Confirmations that queue nothing share it; each one commits
/// (and waits for its disk) beside the others instead of one after the other. On
/// PostgreSQL it is a transaction-level advisory lock on a key of the petition's URL
/// (queued fairly: a waiting job end is not starved by a stream of confirmations); on
/// SQLite, whose one writer already runs write transactions one at a time, a no-op update
/// of the petition's row.
fn lock_petition(conn: &mut DbConnection, url: &str, hold: Hold) -> Result<(), FederationError> {
    use diesel::sql_types::Integer;
    match conn {
        DbConnection::Pg(c) => {
            let function = match hold {
                Hold::Shared => "pg_advisory_xact_lock_shared",
                Hold::Exclusive => "pg_advisory_xact_lock",
            };
            diesel::sql_query(format!("SELECT {function}($1, $2)"))
                .bind::<Integer, _>(LOCK_CLASS)
                .bind::<Integer, _>(lock_key(url))
                .execute(c)?;
        }
        DbConnection::Sqlite(c) => {
            diesel::update(rp::table.find(url)).set(rp::url.eq(rp::url)).execute(c)?;
        }
    }
    Ok(())
}

/// The petition's key among the advisory locks: FNV-1a of its URL (the same in every
/// process; two petitions that share one only wait for each other).
fn lock_key(url: &str) -> i32 {
    let hash = url.bytes().fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
    i32::from_ne_bytes(hash.to_ne_bytes())
}

/// What the confirm and withdraw pages show. A petition forgotten here since (unfollowed)
/// is named by its address.
fn page(conn: &mut DbConnection, row: &SentRow) -> Result<TokenPage, FederationError> {
    let url = Url::parse(&row.petition_url)?;
    let host = host_of(&url).unwrap_or_default();
    let (slug, title) = match petition(conn, &row.petition_url)? {
        Some(p) => (p.handle(), p.title),
        None => {
            let last = url.path_segments().and_then(|mut s| s.next_back()).unwrap_or_default().to_owned();
            (format!("{last}@{host}"), row.petition_url.clone())
        }
    };
    let elsewhere = row.confirmed_at.map(|_| {
        let state = match row.answer {
            None => "waiting",
            Some(SentAnswer::Accepted) => "counted",
            Some(SentAnswer::Rejected) => "refused",
        };
        Elsewhere::new(host, state, row.reason.map(RejectReason::as_str))
    });
    Ok(TokenPage {
        petition_slug: slug,
        petition_title: title,
        signer_name: row.name.clone(),
        country: row.country.clone(),
        postal_code: row.postal_code.clone(),
        comment: None,
        public: row.public,
        opt_in: row.opt_in,
        confirmed: row.confirmed_at.is_some(),
        elsewhere,
    })
}

/// The confirmation link's page, if the link is one of a signature of another instance's
/// petition (`None` otherwise). Looks, never changes anything.
pub fn confirm_page(conn: &mut DbConnection, token: &str) -> Result<Option<TokenPage>, FederationError> {
    let Some(token) = Token::parse(token) else { return Ok(None) };
    let Some(row) = by_confirm_token(conn, &token)? else { return Ok(None) };
    if row.confirmed_at.is_none() && row.token_expires_at <= signons_store::now() {
        return Err(SignatureError::TokenExpired.into());
    }
    Ok(Some(page(conn, &row)?))
}

/// Confirms such a signature, if the link is one (`None` otherwise): it joins the next
/// `Sign` of its petition. Pressing again changes nothing. Call `after_commit` once the
/// transaction committed.
pub fn confirm(conn: &mut DbConnection, token: &str) -> Result<Option<Confirmation>, FederationError> {
    let Some(token) = Token::parse(token) else { return Ok(None) };
    let Some(row) = by_confirm_token(conn, &token)? else { return Ok(None) };
    if row.confirmed_at.is_some() {
        return Ok(Some(Confirmation::AlreadyConfirmed(page(conn, &row)?)));
    }
    let now = signons_store::now();
    if row.token_expires_at <= now {
        return Err(SignatureError::TokenExpired.into());
    }
    let Some(petition) = petition(conn, &row.petition_url)?.filter(|p| p.accepts_signatures(now)) else {
        return Err(SignatureError::PetitionClosed.into());
    };
    // A first look without the lock: while signatures wait, a job is queued or under way
    // for them, and this confirmation only joins them (sharing the lock); when none waits,
    // it may have to queue one, alone. The look is made again under the lock. Should a job
    // end between the two and leave nothing waiting, this confirmation queues a job though
    // it shares the lock; a second one queued by another such confirmation at that moment
    // finds nothing to send, or sends what was confirmed since.
    let hold = if any_waiting(conn, &petition.url)? { Hold::Shared } else { Hold::Exclusive };
    lock_petition(conn, &petition.url, hold)?;
    let others_waiting = any_waiting(conn, &petition.url)?;
    let updated = diesel::update(
        ss::table
            .filter(ss::id.eq(&row.id))
            .filter(ss::confirm_token_hash.eq(token.hash()))
            .filter(ss::confirmed_at.is_null()),
    )
    .set(ss::confirmed_at.eq(Some(now)))
    .execute(conn)?;
    if updated != 1 {
        return match by_confirm_token(conn, &token)? {
            Some(now_row) if now_row.confirmed_at.is_some() => {
                Ok(Some(Confirmation::AlreadyConfirmed(page(conn, &now_row)?)))
            }
            _ => Err(SignatureError::TokenInvalid.into()),
        };
    }
    if !others_waiting {
        // Otherwise a job is queued or under way for them, and takes this one too.
        queue_batch(conn, &petition, BATCH_WINDOW)?;
    }
    let confirmed = SentRow { confirmed_at: Some(now), ..row };
    Ok(Some(Confirmation::Confirmed(page(conn, &confirmed)?)))
}

/// To call after a transaction that confirmed a signature (or delivered a batch) has
/// committed: wakes the delivery worker when the batch it queued becomes due.
pub fn after_commit(data: &FederationData) {
    let wake = data.wake.clone();
    tokio::spawn(async move {
        tokio::time::sleep(BATCH_WINDOW.to_std().unwrap_or_default()).await;
        wake.notify_one();
    });
}

/// Whether a signature of the petition confirmed here waits for delivery. Every
/// confirmation asks, holding the petition's lock: it stops at the first one (a count
/// would read all of them, thousands in a crowd, and the next confirmation waits).
fn any_waiting(conn: &mut DbConnection, petition_url: &str) -> Result<bool, FederationError> {
    let undelivered = ss::table
        .filter(ss::petition_url.eq(petition_url))
        .filter(ss::confirmed_at.is_not_null())
        .filter(ss::delivered_at.is_null())
        .filter(ss::invalidated_at.is_null());
    Ok(diesel::select(diesel::dsl::exists(undelivered)).get_result(conn)?)
}

/// Signatures of the petition confirmed here and not yet delivered.
fn waiting(conn: &mut DbConnection, petition_url: &str) -> Result<i64, FederationError> {
    Ok(ss::table
        .filter(ss::petition_url.eq(petition_url))
        .filter(ss::confirmed_at.is_not_null())
        .filter(ss::delivered_at.is_null())
        .filter(ss::invalidated_at.is_null())
        .count()
        .get_result(conn)?)
}

fn queue_batch(conn: &mut DbConnection, petition: &RemotePetition, delay: TimeDelta) -> Result<(), FederationError> {
    let inbox = petition.inbox_url()?;
    let job = delivery::SignaturesJob { signatures_for: petition.url.clone() };
    delivery::enqueue_signatures(conn, &inbox, &job, delay)
}

/// The withdraw link's page, if the link is one of ours (`None` otherwise).
pub fn withdraw_page(conn: &mut DbConnection, token: &str) -> Result<Option<TokenPage>, FederationError> {
    let Some(token) = Token::parse(token) else { return Ok(None) };
    match by_withdraw_token(conn, &token)? {
        Some(row) => Ok(Some(page(conn, &row)?)),
        None => Ok(None),
    }
}

/// Withdraws such a signature, if the link is one (`None` otherwise): its personal data is
/// deleted here and, once confirmed, an `Undo(Sign)` withdraws it from the petition's
/// count. The `Undo` goes even when no `Sign` carried it yet: one may be under way, and
/// it is delivered after it (the same partition); a petition's instance that never saw the
/// attestation ignores it.
pub fn withdraw(conn: &mut DbConnection, urls: &Urls, token: &str) -> Result<Option<TokenPage>, FederationError> {
    let Some(token) = Token::parse(token) else { return Ok(None) };
    let Some(row) = by_withdraw_token(conn, &token)? else { return Ok(None) };
    let page = page(conn, &row)?;
    let deleted = diesel::delete(ss::table.filter(ss::id.eq(&row.id))).execute(conn)?;
    if deleted != 1 {
        return Err(SignatureError::TokenInvalid.into());
    }
    if row.confirmed_at.is_some() && row.answer != Some(SentAnswer::Rejected) {
        let petition_url = Url::parse(&row.petition_url)?;
        let inbox = match petition(conn, &row.petition_url)? {
            Some(p) => p.inbox_url()?,
            None => Url::parse(&format!("{}/inbox", row.petition_url))?,
        };
        sign::enqueue_undo(conn, urls, &petition_url, &inbox, vec![urls.attestation(&row.id)])?;
    }
    Ok(Some(page))
}

/// The remote petition a filter of bulk invalidation names by its handle (`slug@host`),
/// as known here.
fn invalidated_petition(conn: &mut DbConnection, filter: &Filter) -> Result<RemotePetition, FederationError> {
    let not_found = || FederationError::from(SignatureError::PetitionNotFound);
    let (slug, host) = crate::remote::parse_handle(filter.petition.trim_start_matches('@')).ok_or_else(not_found)?;
    crate::remote::find_petition(conn, &slug, &host)?.ok_or_else(not_found)
}

fn sent_petition(filter: &Filter, p: &RemotePetition) -> SentPetition {
    SentPetition {
        handle: filter.petition.trim_start_matches('@').to_owned(),
        url: p.url.clone(),
        title: p.title.clone(),
    }
}

/// What invalidating the signatures sent to a remote petition would do
/// (`signons_signature::invalidation`); changes nothing.
pub fn preview_invalidation(
    conn: &mut DbConnection,
    key: &NetworkKey,
    filter: &Filter,
) -> Result<Preview, FederationError> {
    let p = invalidated_petition(conn, filter)?;
    Ok(invalidation::preview_sent(conn, key, filter, &sent_petition(filter, &p))?)
}

/// Invalidates the signatures sent to a remote petition that `filter` names, in the
/// caller's transaction, and withdraws those it may have counted from the petition's count
/// with an `Undo(Sign)`, as a signer's own withdrawal does (a petition's instance that never
/// got one of them ignores it).
pub fn invalidate(
    conn: &mut DbConnection,
    urls: &Urls,
    key: &NetworkKey,
    filter: &Filter,
    actor: &str,
) -> Result<Invalidated, FederationError> {
    let p = invalidated_petition(conn, filter)?;
    let (done, counted) = invalidation::invalidate_sent(conn, key, filter, &sent_petition(filter, &p), actor)?;
    let (petition_url, inbox) = (Url::parse(&p.url)?, p.inbox_url()?);
    for ids in counted.chunks(MAX_ATTESTATIONS) {
        sign::enqueue_undo(conn, urls, &petition_url, &inbox, ids.iter().map(|id| urls.attestation(id)).collect())?;
    }
    Ok(done)
}

/// The next `Sign` of a petition: the signatures confirmed here and not yet delivered,
/// oldest first, at most `MAX_ATTESTATIONS`. `None` when none waits, or the petition is no
/// longer known here.
#[derive(Debug, Clone)]
pub struct Batch {
    pub petition: Url,
    pub inbox: Url,
    pub attestations: Vec<Attestation>,
    ids: Vec<Id>,
}

pub fn next_batch(conn: &mut DbConnection, urls: &Urls, petition_url: &str) -> Result<Option<Batch>, FederationError> {
    let Some(p) = petition(conn, petition_url)? else { return Ok(None) };
    let rows: Vec<SentRow> = ss::table
        .filter(ss::petition_url.eq(petition_url))
        .filter(ss::confirmed_at.is_not_null())
        .filter(ss::delivered_at.is_null())
        .filter(ss::invalidated_at.is_null())
        .order((ss::confirmed_at.asc(), ss::id.asc()))
        .limit(MAX_ATTESTATIONS as i64)
        .select(SentRow::as_select())
        .load(conn)?;
    if rows.is_empty() {
        return Ok(None);
    }
    let petition = Url::parse(&p.url)?;
    let mut attestations = Vec::with_capacity(rows.len());
    let mut ids = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(confirmed) = row.confirmed_at else { continue };
        // Only what the petition asks (now), and the name only if the signer made it public.
        attestations.push(Attestation {
            id: urls.attestation(&row.id),
            name: row.public.then(|| row.name.clone()),
            country: row.country.filter(|_| p.ask_country),
            postal_code: row.postal_code.filter(|_| p.ask_postal_code),
            confirmed: confirmed.and_utc().trunc_subsecs(0),
            digest: sign::digest(&petition, &row.email_canonical)?,
        });
        ids.push(row.id);
    }
    Ok(Some(Batch { petition, inbox: p.inbox_url()?, attestations, ids }))
}

/// The petition's instance took `batch` (`refused`: it answered 4xx, and never will):
/// marks its signatures delivered (refused ones rejected, and their signers told), then
/// queues the next `Sign` if more wait. Returns whether one was queued.
pub fn delivered(
    conn: &mut DbConnection,
    data: &FederationData,
    batch: &Batch,
    refused: Option<RejectReason>,
) -> Result<bool, FederationError> {
    let now = signons_store::now();
    lock_petition(conn, batch.petition.as_str(), Hold::Exclusive)?;
    diesel::update(ss::table.filter(ss::id.eq_any(&batch.ids)).filter(ss::delivered_at.is_null()))
        .set(ss::delivered_at.eq(Some(now)))
        .execute(conn)?;
    if let Some(reason) = refused {
        mark_answered(conn, data, batch.petition.as_str(), &batch.ids, SentAnswer::Rejected, Some(reason))?;
    }
    let left = waiting(conn, batch.petition.as_str())?;
    if left == 0 {
        return Ok(false);
    }
    let Some(p) = petition(conn, batch.petition.as_str())? else { return Ok(false) };
    let delay = if left >= MAX_ATTESTATIONS as i64 { TimeDelta::zero() } else { BATCH_WINDOW };
    queue_batch(conn, &p, delay)?;
    Ok(true)
}

/// The petition `petition` answered attestations of ours: kept, and a refusal emailed to
/// each signer in their language. Answers to attestations of another petition, or already
/// answered, change nothing. Returns how many were answered.
pub fn answered(
    conn: &mut DbConnection,
    data: &FederationData,
    petition: &Url,
    attestations: &[Url],
    answer: SentAnswer,
    reason: Option<RejectReason>,
) -> Result<usize, FederationError> {
    let ids: Vec<Id> = attestations.iter().filter_map(|a| data.urls.parse_attestation(a)).collect();
    mark_answered(conn, data, petition.as_str(), &ids, answer, reason)
}

fn mark_answered(
    conn: &mut DbConnection,
    data: &FederationData,
    petition_url: &str,
    ids: &[Id],
    answer: SentAnswer,
    reason: Option<RejectReason>,
) -> Result<usize, FederationError> {
    let now = signons_store::now();
    let rows: Vec<SentRow> = ss::table
        .filter(ss::id.eq_any(ids))
        .filter(ss::petition_url.eq(petition_url))
        .filter(ss::confirmed_at.is_not_null())
        .filter(ss::answer.is_null())
        .select(SentRow::as_select())
        .load(conn)?;
    let answered: Vec<&Id> = rows.iter().map(|r| &r.id).collect();
    diesel::update(ss::table.filter(ss::id.eq_any(&answered)))
        .set((ss::answer.eq(Some(answer)), ss::reason.eq(reason), ss::answered_at.eq(Some(now))))
        .execute(conn)?;
    // An answer says it arrived, even if the delivery's own end was not recorded.
    diesel::update(ss::table.filter(ss::id.eq_any(&answered)).filter(ss::delivered_at.is_null()))
        .set(ss::delivered_at.eq(Some(now)))
        .execute(conn)?;
    if let (SentAnswer::Rejected, Some(reason)) = (answer, reason) {
        let ctx = &data.signing;
        let title = petition(conn, petition_url)?.map(|p| (p.title.clone(), p.handle()));
        for row in &rows {
            let (petition_title, handle) = title.clone().unwrap_or_else(|| (petition_url.to_owned(), String::new()));
            let locale = Locale::from_code(&row.locale).unwrap_or_default();
            let email = Message::SignatureRefused {
                petition_title,
                signer_name: row.name.clone(),
                petition_url: format!("{}/p/{handle}", ctx.public_url),
                reason_key: format!("refused-{}", reason.as_str()),
            }
            .render(&ctx.renderer, locale, &row.email)?;
            ctx.queue.enqueue(conn, &email)?;
        }
    }
    Ok(rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_petition_has_one_lock_key_everywhere() {
        // FNV-1a, the same in every process and release: two processes lock the same key.
        assert_eq!(lock_key(""), i32::from_ne_bytes(0x811c_9dc5_u32.to_ne_bytes()));
        assert_eq!(lock_key("a"), i32::from_ne_bytes(0xe40c_292c_u32.to_ne_bytes()));
        let (trees, bees) = (lock_key("https://alpha.example/p/trees"), lock_key("https://alpha.example/p/bees"));
        assert_ne!(trees, bees);
        assert_eq!(trees, lock_key("https://alpha.example/p/trees"));
    }
}
