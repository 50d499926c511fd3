//! Signing, confirming and withdrawing. Every step is one transaction: the signature row,
//! its counter and its email are written together or not at all.

use crate::counts;
use crate::emails::{SignatureEmail, SignatureEmails};
use crate::links::{LinkKey, Links};
use crate::network::{NetworkHash, NetworkKey};
use crate::{SignatureError, SignatureInput, ValidSignature};
use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use serde::Serialize;
use signons_mail::MailQueue;
use signons_petition::Petition;
use signons_render::{Locale, Renderer};
use signons_store::schema::{petitions, signatures as s, withdraw_tokens as wt};
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
    /// PostgreSQL: where new signatures wait to be written many at a time.
    pub pg_batch: crate::pg_batch::PgSignBatcher,
    /// What the links of signature emails are derived from (see `links`); the mail worker
    /// must have the same one (`emails()`).
    pub link_key: LinkKey,
    /// How often one address may be emailed (see `recipients`).
    pub recipients: crate::recipients::RecipientLimits,
}

impl SigningContext {
    /// A context with a link key of its own: the emails it queues can be composed only
    /// with `emails()` of this context (or of a clone). A server reads its key from the
    /// data folder (`with_link_key`).
    pub fn new(renderer: Renderer, queue: MailQueue, public_url: String, confirm_ttl: TimeDelta) -> Self {
        SigningContext {
            renderer,
            queue,
            public_url,
            confirm_ttl,
            pg_batch: Default::default(),
            link_key: LinkKey::generate(),
            recipients: Default::default(),
        }
    }

    pub fn with_recipient_caps(self, caps: crate::recipients::RecipientCaps) -> Self {
        SigningContext { recipients: crate::recipients::RecipientLimits::new(caps), ..self }
    }

    pub fn with_link_key(self, link_key: LinkKey) -> Self {
        SigningContext { link_key, ..self }
    }

    /// What the mail worker composes the signature emails with, when it sends them.
    pub fn emails(&self) -> SignatureEmails {
        SignatureEmails {
            renderer: self.renderer.clone(),
            public_url: self.public_url.clone(),
            confirm_ttl: self.confirm_ttl,
            key: self.link_key.clone(),
        }
    }

    /// The keyed hash of the network a signer's address belongs to (see `network`).
    pub fn network_hash(&self, client: std::net::IpAddr) -> NetworkHash {
        NetworkHash::new(client, &NetworkKey::new(&self.link_key))
    }

    pub fn confirm_url(&self, token: &Token) -> String {
        format!("{}/s/{}", self.public_url, token.expose())
    }

    pub fn withdraw_url(&self, token: &Token) -> String {
        format!("{}/w/{}", self.public_url, token.expose())
    }
}

/// Signs a petition. The answer is the same whether the address is new, pending or has
/// already signed; only the email differs. Returns after the transaction committed.
/// `network` is the hash of the signer's network (`SigningContext::network_hash`), kept
/// for bulk invalidation (`invalidation`); none when the address is unknown.
pub async fn sign(
    db: &Database,
    ctx: &SigningContext,
    slug: &str,
    input: &SignatureInput,
    locale: Locale,
    network: Option<NetworkHash>,
) -> Result<(), SignatureError> {
    let petition = {
        let slug = slug.to_owned();
        db.read_async(move |conn| signons_petition::petition::find(conn, &slug).map_err(SignatureError::from)).await?
    };
    sign_petition(db, ctx, &petition, input, locale, network).await
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
    network: Option<NetworkHash>,
) -> Result<(), SignatureError> {
    if petition.is_unpublished() {
        return Err(SignatureError::PetitionNotFound);
    }
    if !petition.accepts_signatures(signons_store::now()) {
        return Err(SignatureError::PetitionClosed);
    }
    let valid = input.validate(petition).map_err(SignatureError::Invalid)?;
    if !ctx.recipients.allow_today(valid.email.canonical()) {
        // Over the address's daily cap: nothing is written or sent, and the answer is the
        // same as for any other submission.
        tracing::info!(petition = %petition.slug, "signature email over the address's daily cap: not sent");
        return Ok(());
    }
    // The links are made here, beside other requests, so that the write transaction only
    // writes (on SQLite one writer runs every transaction). The email itself is rendered
    // by the mail worker when it sends it.
    let prepared = Arc::new(Links::new(&ctx.link_key));
    let petition = Arc::new(petition.clone());
    if db.backend() == Backend::Postgres {
        // A new address, the common case, joins the next batch of new signatures: one
        // statement and one commit for all of them. A known address falls through to the
        // general path.
        let new = crate::pg_batch::Pending {
            petition: petition.clone(),
            sig: valid.clone(),
            locale,
            prepared: prepared.clone(),
            confirm_ttl: ctx.confirm_ttl,
            network: network.clone(),
        };
        if ctx.pg_batch.insert(db, new).await? {
            ctx.queue.wake();
            return Ok(());
        }
    }
    // The existing row can be withdrawn or confirmed by another request between two of
    // `sign_in`'s statements; it then writes nothing and says so, and a new try sees the
    // row as it now is. Each retry needs another such change of the very same row.
    for _ in 0..SIGN_ATTEMPTS {
        let (ctx2, petition2, valid2, prepared2) = (ctx.clone(), petition.clone(), valid.clone(), prepared.clone());
        let network2 = network.clone();
        let outcome = db
            .write_async(move |conn| sign_in(conn, &ctx2, &petition2, &valid2, locale, &prepared2, network2.as_ref()))
            .await?;
        match outcome {
            SignOutcome::Written => {
                ctx.queue.wake();
                return Ok(());
            }
            SignOutcome::RowChanged => continue,
        }
    }
    Err(SignatureError::Contended)
}

/// How many times `sign_petition` runs `sign_in` while the row keeps changing under it.
const SIGN_ATTEMPTS: usize = 3;

/// What one run of `sign_in` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SignOutcome {
    /// The signature and its email are written.
    Written,
    /// Nothing was written: the existing signature was withdrawn, purged or confirmed
    /// between two statements, so what was decided about it no longer holds.
    RowChanged,
}

/// PostgreSQL: inserts the signature of a new address and queues its confirmation email
/// in one statement (see `pg_batch`). Returns false, having written nothing, if the
/// address already signed (or is pending).
#[cfg(test)]
fn insert_new_pg(
    conn: &mut diesel::PgConnection,
    petition: &Petition,
    sig: &ValidSignature,
    locale: Locale,
    prepared: &Links,
    confirm_ttl: TimeDelta,
    network: Option<&NetworkHash>,
) -> Result<bool, diesel::result::Error> {
    let row = crate::pg_batch::NewSignature { petition, sig, locale, prepared, confirm_ttl, network };
    Ok(crate::pg_batch::insert_new(conn, &[row])?.first().copied().unwrap_or(false))
}

/// What the signer submitted: written whole for a new address, and written whole over a
/// still-pending signature (so the two can never disagree on which fields a submission
/// holds). `email_canonical` is not in it: a replaced signature keeps its own.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = signons_store::schema::signatures, treat_none_as_null = true)]
struct Submitted<'a> {
    name: &'a str,
    email: &'a str,
    country: Option<&'a str>,
    postal_code: Option<&'a str>,
    comment: Option<&'a str>,
    public: bool,
    opt_in: bool,
    locale: &'a str,
    source: crate::signer::Source,
}

impl<'a> Submitted<'a> {
    fn new(sig: &'a ValidSignature, locale: Locale) -> Self {
        Submitted {
            name: &sig.name,
            email: sig.email.address(),
            country: sig.country.as_deref(),
            postal_code: sig.postal_code.as_deref(),
            comment: sig.comment.as_deref(),
            public: sig.public,
            opt_in: sig.opt_in,
            locale: locale.code(),
            source: sig.source,
        }
    }
}

/// Signs in one transaction: inserts a new address; replaces a pending signature with this
/// submission; or, for a confirmed one, sends the "already signed" email. Every withdraw
/// link sent stays valid (see `withdraw_tokens`). An address whose signature an admin
/// invalidated gets nothing (`invalidation`).
fn sign_in(
    conn: &mut DbConnection,
    ctx: &SigningContext,
    petition: &Petition,
    sig: &ValidSignature,
    locale: Locale,
    prepared: &Links,
    network: Option<&NetworkHash>,
) -> Result<SignOutcome, SignatureError> {
    let now = signons_store::now();
    let Links { nonce, confirm, withdraw } = prepared;
    // A new address is the common case: one insert, which skips an address that already
    // signed (the unique index on petition and canonical email decides, also under a
    // concurrent insert of the same address). Only then is the existing row looked up.
    let submitted = Submitted::new(sig, locale);
    let new_id = Id::new();
    let row = (
        s::id.eq(&new_id),
        s::petition_id.eq(&petition.id),
        s::email_canonical.eq(sig.email.canonical()),
        &submitted,
        s::confirm_token_hash.eq(Some(confirm.hash())),
        s::withdraw_token_hash.eq(Some(withdraw.hash())),
        s::token_expires_at.eq(now + ctx.confirm_ttl),
        s::created_at.eq(now),
        s::network_hash.eq(network.map(NetworkHash::as_str)),
    );
    // Upserts do not go through the multi-backend connection: the same one on each backend.
    let inserted = signons_store::on_each_backend!(&mut *conn, |c| diesel::insert_into(s::table)
        .values(row)
        .on_conflict((s::petition_id, s::email_canonical))
        .do_nothing()
        .execute(c))?;
    if inserted == 1 {
        ctx.queue.enqueue_reference(conn, &SignatureEmail::confirm(&new_id, nonce))?;
        return Ok(SignOutcome::Written);
    }
    type Existing = (Id, Option<NaiveDateTime>, Option<NaiveDateTime>);
    let existing: Option<Existing> = s::table
        .filter(s::petition_id.eq(&petition.id))
        .filter(s::email_canonical.eq(sig.email.canonical()))
        .select((s::id, s::confirmed_at, s::invalidated_at))
        .first(conn)
        .optional()?;
    let Some((id, confirmed_at, invalidated_at)) = existing else {
        return Ok(SignOutcome::RowChanged);
    };
    if invalidated_at.is_some() {
        // An admin invalidated this address's signature: it does not sign this petition
        // again, and is told nothing (the answer is the same as for any submission).
        tracing::info!(petition = %petition.slug, "a signature of an invalidated address: nothing written or sent");
        return Ok(SignOutcome::Written);
    }
    if !ctx.recipients.allow_for_petition(petition.id.as_str(), sig.email.canonical()) {
        // This address was emailed about this petition a few times already: nothing
        // changes (a pending signature keeps its data and its emailed links) and nothing
        // is sent; the answer is the same as for any other submission.
        tracing::info!(petition = %petition.slug, "signature email over the cooldown of this address: not sent");
        return Ok(SignOutcome::Written);
    }
    match confirmed_at {
        None => {
            // Still pending: nothing counts yet, so this submission replaces the last one
            // whole. Whoever confirms then confirms what the confirm page shows, not what
            // someone else typed in their name first. The old confirm link dies (its page
            // would show the old data); the old withdraw link stays valid.
            let updated = diesel::update(
                s::table.filter(s::id.eq(&id)).filter(s::confirmed_at.is_null()).filter(s::invalidated_at.is_null()),
            )
            .set((
                &submitted,
                s::confirm_token_hash.eq(Some(confirm.hash())),
                s::token_expires_at.eq(now + ctx.confirm_ttl),
                s::network_hash.eq(network.map(NetworkHash::as_str)),
            ))
            .execute(conn)?;
            if updated != 1 {
                return Ok(SignOutcome::RowChanged);
            }
            add_withdraw_token(conn, &id, withdraw, now)?;
            ctx.queue.enqueue_reference(conn, &SignatureEmail::confirm(&id, nonce))?;
        }
        Some(_) => {
            // Confirmed: nothing changes but a new withdraw link, beside the earlier ones.
            // This no-op update takes the row's lock, as the pending branch's update does,
            // so a concurrent withdrawal cannot delete it before the link is added.
            let locked = diesel::update(s::table.filter(s::id.eq(&id)).filter(s::invalidated_at.is_null()))
                .set(s::confirmed_at.eq(s::confirmed_at))
                .execute(conn)?;
            if locked != 1 {
                return Ok(SignOutcome::RowChanged);
            }
            add_withdraw_token(conn, &id, withdraw, now)?;
            let email = SignatureEmail::AlreadySigned {
                signature: id.to_string(),
                nonce: nonce.clone(),
                to: sig.email.address().to_owned(),
                name: sig.name.clone(),
                locale: locale.code().to_owned(),
            };
            ctx.queue.enqueue_reference(conn, &email)?;
        }
    }
    Ok(SignOutcome::Written)
}

/// Another withdraw link for a signature, valid as long as the signature exists.
fn add_withdraw_token(
    conn: &mut DbConnection,
    signature: &Id,
    token: &Token,
    now: NaiveDateTime,
) -> Result<(), SignatureError> {
    diesel::insert_into(wt::table)
        .values((wt::token_hash.eq(token.hash()), wt::signature_id.eq(signature), wt::created_at.eq(now)))
        .execute(conn)?;
    Ok(())
}

/// What the confirm and withdraw pages show about the signature behind a link: on the
/// confirm page, everything that confirming makes count or public.
#[derive(Debug, Clone, Serialize)]
pub struct TokenPage {
    pub petition_slug: String,
    pub petition_title: String,
    pub signer_name: String,
    pub country: Option<String>,
    pub postal_code: Option<String>,
    pub comment: Option<String>,
    pub public: bool,
    pub opt_in: bool,
    pub confirmed: bool,
    /// For a petition of another instance: where it is counted, and how far it got.
    pub elsewhere: Option<Elsewhere>,
}

/// Where a signature of another instance's petition stands, on its confirm page.
#[derive(Debug, Clone, Serialize)]
pub struct Elsewhere {
    /// The petition's instance.
    pub host: String,
    /// `waiting` (confirmed here, not yet answered there), `counted` or `refused`.
    pub state: &'static str,
    /// Why it was refused: `already-signed`, `petition-closed` or `instance-refused`.
    pub reason: Option<&'static str>,
    /// The translation keys of both, for pages.
    pub state_key: String,
    pub reason_key: Option<String>,
}

impl Elsewhere {
    pub fn new(host: String, state: &'static str, reason: Option<&'static str>) -> Self {
        let state_key = format!("elsewhere-{state}");
        Elsewhere { host, state, reason, state_key, reason_key: reason.map(|r| format!("refused-{r}")) }
    }
}

/// What pressing the confirmation button did.
#[derive(Debug, Clone)]
pub enum Confirmation {
    /// The signature counts from now on.
    Confirmed(TokenPage),
    /// It already counted (a second click, or a second tab): nothing changed.
    AlreadyConfirmed(TokenPage),
    /// The same person already counts through another instance: not counted again, and
    /// this pending signature is gone.
    CountedElsewhere(TokenPage),
}

/// A signature behind a link, with its petition's slug and title.
#[derive(Queryable, Selectable)]
#[diesel(table_name = signons_store::schema::signatures)]
struct TokenRow {
    id: Id,
    petition_id: Id,
    #[diesel(select_expression = petitions::slug)]
    petition_slug: String,
    #[diesel(select_expression = petitions::title)]
    petition_title: String,
    #[diesel(column_name = name)]
    signer_name: String,
    email_canonical: String,
    country: Option<String>,
    postal_code: Option<String>,
    comment: Option<String>,
    public: bool,
    opt_in: bool,
    confirmed_at: Option<NaiveDateTime>,
    token_expires_at: NaiveDateTime,
}

/// The confirm token's hash stays after confirming, so that a second click is recognized
/// and answered "already confirmed".
fn by_confirm_token(conn: &mut DbConnection, token: &Token) -> Result<Option<TokenRow>, SignatureError> {
    Ok(s::table
        .inner_join(petitions::table)
        .filter(s::confirm_token_hash.eq(token.hash()))
        .select(TokenRow::as_select())
        .first(conn)
        .optional()?)
}

/// Every withdraw link a signature was sent: the first on the row, later ones in
/// `withdraw_tokens`.
fn by_withdraw_token(conn: &mut DbConnection, token: &Token) -> Result<Option<TokenRow>, SignatureError> {
    let later = wt::table.filter(wt::token_hash.eq(token.hash())).select(wt::signature_id);
    Ok(s::table
        .inner_join(petitions::table)
        .filter(s::withdraw_token_hash.eq(token.hash()).or(s::id.eq_any(later)))
        .select(TokenRow::as_select())
        .first(conn)
        .optional()?)
}

fn page(row: TokenRow) -> TokenPage {
    TokenPage {
        petition_slug: row.petition_slug,
        petition_title: row.petition_title,
        signer_name: row.signer_name,
        country: row.country,
        postal_code: row.postal_code,
        comment: row.comment,
        public: row.public,
        opt_in: row.opt_in,
        confirmed: row.confirmed_at.is_some(),
        elsewhere: None,
    }
}

/// The confirmation link's page: looks, never changes anything (mail scanners fetch links).
/// A link already used gives the page with `confirmed` set, expired or not.
pub fn confirm_page(conn: &mut DbConnection, token: &str) -> Result<TokenPage, SignatureError> {
    let token = Token::parse(token).ok_or(SignatureError::TokenInvalid)?;
    let row = by_confirm_token(conn, &token)?.ok_or(SignatureError::TokenInvalid)?;
    if row.confirmed_at.is_none() && row.token_expires_at <= signons_store::now() {
        return Err(SignatureError::TokenExpired);
    }
    Ok(page(row))
}

/// Confirms a signature: it counts from now on; pressing again changes nothing. A person
/// who already counts through another instance (by their digest: see `digest`) is not
/// counted again: their pending signature is deleted. `public_url` is this instance's,
/// which names the petition in the digest.
pub fn confirm(conn: &mut DbConnection, public_url: &str, token: &str) -> Result<Confirmation, SignatureError> {
    let token = Token::parse(token).ok_or(SignatureError::TokenInvalid)?;
    let row = by_confirm_token(conn, &token)?.ok_or(SignatureError::TokenInvalid)?;
    if row.confirmed_at.is_some() {
        return Ok(Confirmation::AlreadyConfirmed(page(row)));
    }
    let now = signons_store::now();
    if row.token_expires_at <= now {
        return Err(SignatureError::TokenExpired);
    }
    let petition = signons_petition::petition::find(conn, &row.petition_slug)?;
    if !petition.accepts_signatures(now) {
        return Err(SignatureError::PetitionClosed);
    }
    let digest = crate::digest::of(&crate::digest::petition_id(public_url, &petition.slug), &row.email_canonical);
    if counted_elsewhere(conn, &row.petition_id, &digest)? {
        diesel::delete(s::table.filter(s::id.eq(&row.id)).filter(s::confirmed_at.is_null())).execute(conn)?;
        return Ok(Confirmation::CountedElsewhere(page(row)));
    }
    if counted_here_anonymized(conn, &row.petition_id, &digest)? {
        // They signed here long ago, and retention erased all but the digest: they count
        // already, as they did.
        diesel::delete(s::table.filter(s::id.eq(&row.id)).filter(s::confirmed_at.is_null())).execute(conn)?;
        let mut page = page(row);
        page.confirmed = true;
        return Ok(Confirmation::AlreadyConfirmed(page));
    }
    // The guards make a concurrent second confirm update nothing, and so count nothing.
    let updated = diesel::update(
        s::table
            .filter(s::id.eq(&row.id))
            .filter(s::confirm_token_hash.eq(token.hash()))
            .filter(s::confirmed_at.is_null()),
    )
    .set((s::confirmed_at.eq(Some(now)), s::digest.eq(Some(&digest))))
    .execute(conn)?;
    if updated != 1 {
        // Another request confirmed it (or withdrew it, or signed again with a new link)
        // between the two statements: say what the link is now.
        return match by_confirm_token(conn, &token)? {
            Some(now_row) if now_row.confirmed_at.is_some() => Ok(Confirmation::AlreadyConfirmed(page(now_row))),
            _ => Err(SignatureError::TokenInvalid),
        };
    }
    counts::add(conn, &row.petition_id, 1)?;
    let mut page = page(row);
    page.confirmed = true;
    Ok(Confirmation::Confirmed(page))
}

/// Whether the person with this digest counts for the petition by a signature here whose
/// personal data retention erased (`retention::anonymize_aged`).
fn counted_here_anonymized(conn: &mut DbConnection, petition: &Id, digest: &str) -> Result<bool, SignatureError> {
    let n: i64 = s::table
        .filter(s::petition_id.eq(petition))
        .filter(s::digest.eq(digest))
        .filter(s::anonymized_at.is_not_null())
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Whether the person with this digest counts for the petition through another instance.
pub fn counted_elsewhere(conn: &mut DbConnection, petition: &Id, digest: &str) -> Result<bool, SignatureError> {
    use signons_store::schema::remote_signatures as rs;
    let n: i64 = rs::table
        .filter(rs::petition_id.eq(petition))
        .filter(rs::digest.eq(digest))
        .filter(rs::withdrawn_at.is_null())
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Digests of signatures confirmed before signatures had one (at most `limit` per call;
/// returns how many were filled): run at start until none is left.
pub fn fill_digests(conn: &mut DbConnection, public_url: &str, limit: i64) -> Result<usize, SignatureError> {
    let rows: Vec<(Id, String, String)> = s::table
        .inner_join(petitions::table)
        .filter(s::confirmed_at.is_not_null())
        .filter(s::digest.is_null())
        .filter(s::anonymized_at.is_null())
        .select((s::id, petitions::slug, s::email_canonical))
        .limit(limit)
        .load(conn)?;
    for (id, slug, email) in &rows {
        let digest = crate::digest::of(&crate::digest::petition_id(public_url, slug), email);
        diesel::update(s::table.filter(s::id.eq(id))).set(s::digest.eq(Some(digest))).execute(conn)?;
    }
    Ok(rows.len())
}

pub fn withdraw_page(conn: &mut DbConnection, token: &str) -> Result<TokenPage, SignatureError> {
    let token = Token::parse(token).ok_or(SignatureError::TokenInvalid)?;
    by_withdraw_token(conn, &token)?.map(page).ok_or(SignatureError::TokenInvalid)
}

/// Withdraws a signature: its personal data is deleted and the count corrected. Its other
/// withdraw links go with it (`ON DELETE CASCADE`).
pub fn withdraw(conn: &mut DbConnection, token: &str) -> Result<TokenPage, SignatureError> {
    let token = Token::parse(token).ok_or(SignatureError::TokenInvalid)?;
    let row = by_withdraw_token(conn, &token)?.ok_or(SignatureError::TokenInvalid)?;
    // The row's id is the guard: a concurrent second withdrawal deletes nothing.
    let deleted = diesel::delete(s::table.filter(s::id.eq(&row.id))).execute(conn)?;
    if deleted != 1 {
        return Err(SignatureError::TokenInvalid);
    }
    if row.confirmed_at.is_some() {
        counts::add(conn, &row.petition_id, -1)?;
    }
    Ok(page(row))
}

/// A signer who chose to show their name.
#[derive(Debug, Clone, Serialize)]
pub struct PublicSigner {
    /// The signature's id, for its organizers to hide the comment; `None` for a signer of
    /// another instance (who sends no comment).
    pub id: Option<Id>,
    pub name: String,
    pub country: Option<String>,
    /// `None` when there is none, or its organizers hid it (`comments::hide`).
    pub comment: Option<String>,
    pub confirmed_at: NaiveDateTime,
}

pub fn recent_public(conn: &mut DbConnection, petition: &Id, limit: i64) -> Result<Vec<PublicSigner>, SignatureError> {
    /// A signer's public fields; `confirmed_at` is never null here (filtered), but the
    /// column is nullable.
    #[derive(Queryable, Selectable)]
    #[diesel(table_name = s)]
    struct Row {
        id: Id,
        name: String,
        country: Option<String>,
        comment: Option<String>,
        confirmed_at: Option<NaiveDateTime>,
        comment_hidden_at: Option<NaiveDateTime>,
    }
    let rows: Vec<Row> = s::table
        .filter(s::petition_id.eq(petition))
        .filter(s::confirmed_at.is_not_null())
        .filter(s::invalidated_at.is_null())
        .filter(s::public.eq(true))
        .filter(s::name.ne(""))
        .order(s::confirmed_at.desc())
        .limit(limit)
        .select(Row::as_select())
        .load(conn)?;
    let mut signers: Vec<PublicSigner> = rows
        .into_iter()
        .filter_map(|r| {
            let Row { id, name, country, comment, confirmed_at, comment_hidden_at } = r;
            let comment = comment.filter(|c| !c.trim().is_empty() && comment_hidden_at.is_none());
            confirmed_at.map(|confirmed_at| PublicSigner { id: Some(id), name, country, comment, confirmed_at })
        })
        .collect();
    signers.extend(recent_public_elsewhere(conn, petition, limit)?);
    signers.sort_by_key(|s| std::cmp::Reverse(s.confirmed_at));
    signers.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(signers)
}

/// Signers who made their name public on another instance (it sent the name in their
/// attestation), while that instance counts: not withdrawn, not blocked.
fn recent_public_elsewhere(
    conn: &mut DbConnection,
    petition: &Id,
    limit: i64,
) -> Result<Vec<PublicSigner>, SignatureError> {
    use signons_store::schema::{petition_origin_counts as oc, remote_signatures as rs};
    let blocked = oc::table.filter(oc::petition_id.eq(petition)).filter(oc::counted.eq(false)).select(oc::origin_host);
    let rows: Vec<(Option<String>, Option<String>, NaiveDateTime)> = rs::table
        .filter(rs::petition_id.eq(petition))
        .filter(rs::withdrawn_at.is_null())
        .filter(rs::display_name.is_not_null())
        .filter(rs::origin_host.ne_all(blocked))
        .order(rs::confirmed_at.desc())
        .limit(limit)
        .select((rs::display_name, rs::country, rs::confirmed_at))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(name, country, confirmed_at)| {
            name.map(|name| PublicSigner { id: None, name, country, comment: None, confirmed_at })
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
            pg_batch: Default::default(),
            recipients: crate::recipients::RecipientLimits::unlimited(),
            link_key: LinkKey::generate(),
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
                sign_petition(&db, &ctx, &petition, &input, Locale::En, None).await
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

    /// An email as queued, for comparison: the job's payload as stored, and the email the
    /// worker composes from it. The one place that reads the queue's storage, so that a
    /// change of the queue changes only this.
    #[derive(Debug, Clone, PartialEq, Eq)]
    struct QueuedEmail {
        payload: String,
        recipient: String,
        subject: String,
        text: String,
        html: String,
    }

    fn queued_emails(db: &Database, ctx: &SigningContext) -> Vec<QueuedEmail> {
        use signons_store::schema::jobs as j;
        let emails = ctx.emails();
        db.read(move |conn| -> Result<Vec<QueuedEmail>, signons_mail::MailError> {
            let payloads: Vec<String> =
                j::table.filter(j::queue.eq(signons_store::jobs::Queue::Email)).select(j::payload).load(conn)?;
            let composed = crate::emails::waiting(conn, &emails)?;
            assert_eq!(payloads.len(), composed.len(), "every queued email is composed");
            Ok(payloads
                .into_iter()
                .zip(composed)
                .map(|(payload, e)| QueuedEmail {
                    payload,
                    recipient: e.to,
                    subject: e.subject,
                    text: e.text,
                    html: e.html,
                })
                .collect())
        })
        .unwrap()
    }

    /// Every column of a signature but ids, token hashes and timestamps.
    #[derive(Debug, PartialEq, Eq, Queryable)]
    struct Written {
        name: String,
        email: String,
        email_canonical: String,
        country: Option<String>,
        postal_code: Option<String>,
        comment: Option<String>,
        public: bool,
        opt_in: bool,
        locale: String,
        confirmed: bool,
        anonymized: bool,
        network_hash: Option<String>,
        source: String,
    }

    #[derive(Debug, Clone, Copy)]
    enum Path {
        SingleStatement,
        General,
    }

    /// The PostgreSQL fast path for a new address (`insert_new_pg`, one statement) and the
    /// general path (`sign_in`, which SQLite and known addresses take) write the same
    /// signature and queue the same email, for the same input on two fresh petitions.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn both_postgres_signing_paths_write_the_same_rows() {
        let ctx = context();
        let input = SignatureInput {
            name: "Ada Lovelace".into(),
            email: "Ada.Lovelace+trees@FastMail.com".into(),
            country: Some("United Kingdom".into()),
            postal_code: Some("sw1a 1aa".into()),
            comment: Some("For <b>science</b> & \"trees\".".into()),
            public: true,
            opt_in: true,
            source: crate::signer::Source::SharedLink,
        };
        let network = ctx.network_hash("203.0.113.7".parse().unwrap());
        let mut written = Vec::new();
        for path in [Path::SingleStatement, Path::General] {
            let temp = TempDatabase::new(TestBackend::Postgres);
            let db = temp.open();
            let petition = db
                .write(|conn| -> Result<Petition, SignatureError> {
                    let (_, p) = signons_petition::testing::sample_petition(conn)?;
                    // Asked, so that country and postal code are written too.
                    diesel::update(petitions::table.filter(petitions::id.eq(&p.id)))
                        .set((petitions::ask_country.eq(true), petitions::ask_postal_code.eq(true)))
                        .execute(conn)?;
                    Ok(signons_petition::petition::find(conn, &p.slug)?)
                })
                .unwrap();
            let valid = input.validate(&petition).unwrap();
            let prepared = Arc::new(Links::new(&ctx.link_key));
            match path {
                Path::SingleStatement => {
                    let (p, v, pr, ttl) = (petition.clone(), valid.clone(), prepared.clone(), ctx.confirm_ttl);
                    let n = network.clone();
                    let inserted = db
                        .autocommit_async(move |conn| match conn {
                            DbConnection::Pg(c) => {
                                insert_new_pg(c, &p, &v, Locale::Fr, &pr, ttl, Some(&n)).map_err(SignatureError::from)
                            }
                            DbConnection::Sqlite(_) => panic!("a PostgreSQL test"),
                        })
                        .await
                        .unwrap();
                    assert!(inserted, "a new address is inserted");
                }
                Path::General => {
                    let outcome = db
                        .write(|conn| sign_in(conn, &ctx, &petition, &valid, Locale::Fr, &prepared, Some(&network)))
                        .unwrap();
                    assert_eq!(outcome, SignOutcome::Written);
                }
            }
            type Keys = (Id, Id, Option<String>, Option<String>, NaiveDateTime, NaiveDateTime);
            let (row, keys, extra_links): (Written, Keys, i64) = db
                .read(|conn| -> Result<_, SignatureError> {
                    let row = s::table
                        .select((
                            s::name,
                            s::email,
                            s::email_canonical,
                            s::country,
                            s::postal_code,
                            s::comment,
                            s::public,
                            s::opt_in,
                            s::locale,
                            s::confirmed_at.is_not_null(),
                            s::anonymized_at.is_not_null(),
                            s::network_hash,
                            s::source,
                        ))
                        .get_result(conn)?;
                    let keys = s::table
                        .select((
                            s::id,
                            s::petition_id,
                            s::confirm_token_hash,
                            s::withdraw_token_hash,
                            s::created_at,
                            s::token_expires_at,
                        ))
                        .get_result(conn)?;
                    Ok((row, keys, wt::table.count().get_result(conn)?))
                })
                .unwrap();
            // What is not compared across paths is checked within each.
            let (signature_id, petition_id, confirm_hash, withdraw_hash, created_at, expires_at) = keys;
            assert_eq!(petition_id, petition.id, "{path:?}");
            assert_eq!(confirm_hash.as_deref(), Some(prepared.confirm.hash().as_str()), "{path:?}");
            assert_eq!(withdraw_hash.as_deref(), Some(prepared.withdraw.hash().as_str()), "{path:?}");
            assert_eq!(expires_at - created_at, ctx.confirm_ttl, "{path:?}");
            assert_eq!(extra_links, 0, "{path:?}: a new signature has only the withdraw link of its row");
            let emails = queued_emails(&db, &ctx);
            assert_eq!(emails.len(), 1, "{path:?}: one email queued");
            // The job names the signature and the nonce of its links, and holds no link.
            let mut email = emails[0].clone();
            let nonce = serde_json::to_string(&prepared.nonce).unwrap();
            for token in [&prepared.confirm, &prepared.withdraw] {
                assert!(!email.payload.contains(token.expose()), "{path:?}: no link in the job");
            }
            assert!(email.payload.contains(signature_id.as_str()) && email.payload.contains(&nonce), "{path:?}");
            email.payload = email.payload.replace(signature_id.as_str(), "SIGNATURE-ID").replace(&nonce, "\"NONCE\"");
            // The links carry this run's tokens; the rest of the email must be the same.
            for (token, placeholder) in [(&prepared.confirm, "CONFIRM-TOKEN"), (&prepared.withdraw, "WITHDRAW-TOKEN")] {
                assert!(email.text.contains(token.expose()) && email.html.contains(token.expose()), "{path:?}");
                email.text = email.text.replace(token.expose(), placeholder);
                email.html = email.html.replace(token.expose(), placeholder);
            }
            written.push((row, email));
        }
        let expected = Written {
            name: "Ada Lovelace".into(),
            email: "Ada.Lovelace+trees@fastmail.com".into(),
            email_canonical: "ada.lovelace@fastmail.com".into(),
            country: Some("United Kingdom".into()),
            postal_code: Some("SW1A 1AA".into()),
            comment: Some("For <b>science</b> & \"trees\".".into()),
            public: true,
            opt_in: true,
            locale: "fr".into(),
            confirmed: false,
            anonymized: false,
            network_hash: Some(network.as_str().to_owned()),
            source: "shared_link".into(),
        };
        assert_eq!(written[0].0, expected, "the single statement");
        assert_eq!(written[1].0, expected, "the general path");
        assert_eq!(written[0].1, written[1].1, "the same email");
        assert_eq!(written[0].1.recipient, "Ada.Lovelace+trees@fastmail.com");
        assert!(written[0].1.subject.contains("Plant trees in the school yard"), "{:?}", written[0].1.subject);
    }
}
