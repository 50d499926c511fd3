//! Signing, confirming and withdrawing. Every step is one transaction: the signature row,
//! its counter and its email are written together or not at all.

use crate::counts;
use crate::{SignatureError, SignatureInput, ValidSignature};
use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use serde::Serialize;
use signons_mail::{MailQueue, Message};
use signons_petition::Petition;
use signons_render::{Locale, Renderer};
use signons_store::schema::{petitions, signatures as s};
use signons_store::{Database, DbConnection, Id, Token};

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
        db.read_async(move |conn| signons_petition::petition::find(conn, &slug).map_err(SignatureError::from))
            .await?
    };
    if petition.status == signons_petition::PetitionStatus::Draft {
        return Err(SignatureError::PetitionNotFound);
    }
    if !petition.accepts_signatures(signons_store::now()) {
        return Err(SignatureError::PetitionClosed);
    }
    let valid = input.validate(&petition).map_err(SignatureError::Invalid)?;
    // Two requests for the same new address can race to insert; the loser sees a unique
    // violation and, on its second try, finds the row and answers as for a known address.
    for attempt in 0..2 {
        let (ctx2, petition2, valid2) = (ctx.clone(), petition.clone(), valid.clone());
        let result = db
            .write_async(move |conn| sign_in(conn, &ctx2, &petition2, &valid2, locale))
            .await;
        match result {
            Err(SignatureError::Store(signons_store::StoreError::Query(
                diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _),
            ))) if attempt == 0 => continue,
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

fn sign_in(
    conn: &mut DbConnection,
    ctx: &SigningContext,
    petition: &Petition,
    sig: &ValidSignature,
    locale: Locale,
) -> Result<(), SignatureError> {
    let now = signons_store::now();
    let existing: Option<(Id, Option<NaiveDateTime>)> = s::table
        .filter(s::petition_id.eq(&petition.id))
        .filter(s::email_canonical.eq(sig.email.canonical()))
        .select((s::id, s::confirmed_at))
        .first(conn)
        .optional()?;
    let withdraw = Token::generate();
    let message = match existing {
        None => {
            let confirm = Token::generate();
            diesel::insert_into(s::table)
                .values((
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
                ))
                .execute(conn)?;
            confirmation(ctx, petition, &sig.name, &confirm, &withdraw)
        }
        Some((id, None)) => {
            // Still pending: a fresh link replaces the old one, which may have expired.
            let confirm = Token::generate();
            diesel::update(s::table.filter(s::id.eq(&id)))
                .set((
                    s::confirm_token_hash.eq(Some(confirm.hash())),
                    s::withdraw_token_hash.eq(Some(withdraw.hash())),
                    s::token_expires_at.eq(now + ctx.confirm_ttl),
                ))
                .execute(conn)?;
            confirmation(ctx, petition, &sig.name, &confirm, &withdraw)
        }
        Some((id, Some(_))) => {
            diesel::update(s::table.filter(s::id.eq(&id)))
                .set(s::withdraw_token_hash.eq(Some(withdraw.hash())))
                .execute(conn)?;
            Message::AlreadySigned {
                petition_title: petition.title.clone(),
                signer_name: sig.name.clone(),
                petition_url: format!("{}/p/{}", ctx.public_url, petition.slug),
                withdraw_url: ctx.withdraw_url(&withdraw),
            }
        }
    };
    let email = message.render(&ctx.renderer, locale, sig.email.address())?;
    ctx.queue.enqueue(conn, &email)?;
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

fn by_confirm_token(conn: &mut DbConnection, token: &Token) -> Result<Option<TokenRow>, SignatureError> {
    Ok(s::table
        .inner_join(petitions::table)
        .filter(s::confirm_token_hash.eq(token.hash()))
        .select((s::id, s::petition_id, petitions::slug, petitions::title, s::name, s::confirmed_at, s::token_expires_at))
        .first(conn)
        .optional()?)
}

fn by_withdraw_token(conn: &mut DbConnection, token: &Token) -> Result<Option<TokenRow>, SignatureError> {
    Ok(s::table
        .inner_join(petitions::table)
        .filter(s::withdraw_token_hash.eq(token.hash()))
        .select((s::id, s::petition_id, petitions::slug, petitions::title, s::name, s::confirmed_at, s::token_expires_at))
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
    let deleted = diesel::delete(
        s::table.filter(s::id.eq(&row.0)).filter(s::withdraw_token_hash.eq(token.hash())),
    )
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
    let rows: Vec<(String, Option<String>, Option<String>, Option<NaiveDateTime>)> = s::table
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
        .filter_map(|(name, country, comment, at)| at.map(|confirmed_at| PublicSigner { name, country, comment, confirmed_at }))
        .collect())
}
