//! News of petitions elsewhere, emailed to this instance's signers of them who asked news
//! (`sent_signatures.opt_in`): the promise of the opt-in is kept for a petition of another
//! instance as for one of ours, by the same queue, with the same email and the same
//! one-click unsubscribe link (`/u/…`, which names a signature of either kind).
//!
//! What a signer asked depends on what the form said (`sign_form.html`): news "of this
//! petition" when none of its partners is an organization of this instance, news "from"
//! those partners when one is. So a petition's own news, as it arrives from its instance
//! (`petition_news`), goes to our signers only in the first case, and the news of our
//! partner organization (`crate::partners::post_news`) in the second.
//!
//! Each news is a `sent_news_mailings` row and one fan-out job, written in the transaction
//! that keeps the news, as `signons_signature::news` does for our petitions: the fan-out
//! pages through the petition's `sent_signatures` by id, queues one reference email each
//! and moves the keyset cursor in the same transaction, only from the value it read, so
//! that a step run twice (a restart, a lapsed lease) commits once. A note delivered twice
//! is kept once (`remote::store_post`), and so mailed once.

use crate::remote::{clean_html, NoteJson, RemotePetition};
use crate::sent::{SentAnswer, SentEmail, SentEmails};
use crate::{FederationError, LocalRef, Urls};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use signons_mail::{Composed, FanOut, MailError, MailQueue};
use signons_signature::links::LinkKey;
use signons_signature::news::{NewsLetter, UnsubscribePage, BATCH};
use signons_signature::SignatureError;
use signons_store::schema::{remote_petitions as rp, sent_news_mailings as snm, sent_signatures as ss};
use signons_store::{DbConnection, Id};

type Backend = <DbConnection as diesel::Connection>::Backend;

/// The `kind` of a fan-out job of these mailings.
const FAN_OUT_KIND: &str = "sent_news";

/// Width of the plain-text part, in characters.
const TEXT_WIDTH: usize = 72;

/// What a fan-out job of a mailing holds: the mailing.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SentNewsFanOut {
    kind: String,
    mailing: String,
}

impl SentNewsFanOut {
    /// Whether a fan-out job is one of these (the mail worker's composer asks).
    pub fn is_one(fan_out: &serde_json::Value) -> bool {
        fan_out.get("kind").and_then(|k| k.as_str()) == Some(FAN_OUT_KIND)
    }
}

/// One news to mail to our signers of a petition elsewhere.
pub struct Mailing<'a> {
    /// The note's URL: one mailing per note.
    pub id: &'a str,
    pub petition_url: &'a str,
    /// Who speaks, as the email names them.
    pub organization: &'a str,
    /// Sanitized HTML.
    pub html: &'a str,
    /// The same as text (Markdown, or the HTML rendered as text).
    pub text: &'a str,
}

/// Whether one of the petition's partners is an organization of this instance: then the
/// opt-in our signers gave was for that partner's news.
pub fn partner_here(petition: &RemotePetition, urls: &Urls) -> bool {
    petition.partners.as_slice().iter().any(|p| {
        url::Url::parse(&p.id)
            .ok()
            .and_then(|u| urls.parse_local(&u))
            .is_some_and(|r| matches!(r, LocalRef::Organization(_)))
    })
}

/// Our signatures of a petition elsewhere that get its news now: confirmed, asked news,
/// neither refused by the petition's instance nor invalidated.
fn recipients(petition_url: &str) -> ss::BoxedQuery<'_, Backend> {
    ss::table.filter(ss::petition_url.eq(petition_url)).filter(asks_news()).into_boxed()
}

/// Whether a signature gets its petition's news now (see `recipients`).
#[diesel::dsl::auto_type]
fn asks_news() -> _ {
    let yes: bool = true;
    let refused: SentAnswer = SentAnswer::Rejected;
    ss::confirmed_at
        .is_not_null()
        .and(ss::opt_in.eq(yes))
        .and(ss::answer.is_null().or(ss::answer.ne(refused)))
        .and(ss::invalidated_at.is_null())
}

/// In the transaction that keeps the news: its emails will go to every signer who asks
/// it (see `recipients`). Returns how many ask it now. Call `queue.wake()` after the commit.
pub fn queue_mailing(conn: &mut DbConnection, queue: &MailQueue, mailing: Mailing) -> Result<i64, FederationError> {
    diesel::insert_into(snm::table)
        .values((
            snm::id.eq(mailing.id),
            snm::petition_url.eq(mailing.petition_url),
            snm::organization.eq(mailing.organization),
            snm::html.eq(mailing.html),
            snm::text.eq(mailing.text),
            snm::queued.eq(0_i64),
            snm::created_at.eq(signons_store::now()),
        ))
        .execute(conn)?;
    queue.enqueue_fan_out(conn, &SentNewsFanOut { kind: FAN_OUT_KIND.to_owned(), mailing: mailing.id.to_owned() })?;
    Ok(recipients(mailing.petition_url).count().get_result(conn)?)
}

/// A note just kept (`remote::store_post` said it was new) about a petition elsewhere that
/// we keep: if it is the petition's own news and our signers asked it, it is mailed to
/// them. Returns whether a mailing was queued.
pub fn petition_news(
    conn: &mut DbConnection,
    urls: &Urls,
    queue: &MailQueue,
    note: &NoteJson,
    petition_url: &url::Url,
) -> Result<bool, FederationError> {
    if note.post_kind.as_deref() != Some("news") || note.audience.as_ref() != Some(petition_url) {
        return Ok(false);
    }
    let petition: Option<RemotePetition> = rp::table
        .filter(rp::url.eq(petition_url.as_str()))
        .select(RemotePetition::as_select())
        .first(conn)
        .optional()?;
    let Some(petition) = petition.filter(|p| !partner_here(p, urls)) else {
        return Ok(false);
    };
    let html = clean_html(&note.content)?;
    // Plain text: no Markdown-like `**` around bold words; links as footnotes.
    let text = html2text::config::plain_no_decorate()
        .link_footnotes(true)
        .string_from_read(html.as_bytes(), TEXT_WIDTH)
        .map_err(|e| FederationError::Invalid(format!("news that cannot be read as text: {e}")))?;
    let mailing = Mailing {
        id: note.id.as_str(),
        petition_url: &petition.url,
        organization: &petition.organization_name(conn)?,
        html: &html,
        text: text.trim_end(),
    };
    queue_mailing(conn, queue, mailing)?;
    Ok(true)
}

#[derive(Queryable)]
struct Cursor {
    petition_url: String,
    after_signature: Option<String>,
    done_at: Option<NaiveDateTime>,
}

/// One step of a mailing's fan-out, in the caller's write transaction (see the module's
/// comment). A step another run committed first makes this one fail, which rolls its
/// batch back: the job retries and finds the cursor moved.
pub fn fan_out_step(
    conn: &mut DbConnection,
    queue: &MailQueue,
    fan_out: &serde_json::Value,
) -> Result<FanOut, MailError> {
    let job = SentNewsFanOut::deserialize(fan_out)
        .map_err(|e| MailError::Reference(format!("not a fan-out of news from elsewhere: {e}")))?;
    let cursor: Option<Cursor> = snm::table
        .filter(snm::id.eq(&job.mailing))
        .select((snm::petition_url, snm::after_signature, snm::done_at))
        .first(conn)
        .optional()?;
    let Some(cursor) = cursor.filter(|c| c.done_at.is_none()) else {
        return Ok(FanOut::Done(0));
    };
    let mut page = recipients(&cursor.petition_url).select(ss::id).order(ss::id.asc()).limit(BATCH);
    if let Some(after) = &cursor.after_signature {
        page = page.filter(ss::id.gt(after));
    }
    let ids: Vec<String> = page.load(conn)?;
    for id in &ids {
        queue.enqueue_reference(conn, &SentEmail::SentNews { mailing: job.mailing.clone(), signature: id.clone() })?;
    }
    let done = ids.len() < BATCH as usize;
    let target = snm::table.filter(snm::id.eq(&job.mailing)).filter(snm::done_at.is_null());
    let values = (
        snm::after_signature.eq(ids.last().or(cursor.after_signature.as_ref())),
        snm::queued.eq(snm::queued + ids.len() as i64),
        snm::done_at.eq(done.then(signons_store::now)),
    );
    let moved = match &cursor.after_signature {
        Some(after) => diesel::update(target.filter(snm::after_signature.eq(after))).set(values).execute(conn)?,
        None => diesel::update(target.filter(snm::after_signature.is_null())).set(values).execute(conn)?,
    };
    if moved != 1 {
        return Err(MailError::Later("another run of this fan-out queued this batch first".into()));
    }
    Ok(if done { FanOut::Done(ids.len()) } else { FanOut::More(ids.len()) })
}

/// What composing a news email reads.
#[derive(Queryable)]
struct Letter {
    email: String,
    name: String,
    locale: String,
    petition_title: String,
    petition_slug: String,
    petition_host: String,
    organization: String,
    html: String,
    text: String,
}

impl SentEmails {
    /// The news email of one of our signatures of a petition elsewhere, as things are
    /// now: a signer who unsubscribed, withdrew or was refused since the fan-out gets
    /// nothing, nor does anybody for news the petition's instance deleted.
    pub(crate) fn compose_news(
        &self,
        conn: &mut DbConnection,
        mailing: &str,
        signature: &str,
    ) -> Result<Composed, MailError> {
        let id = Id::parse(signature).ok_or_else(|| MailError::Reference("not a signature id".into()))?;
        let letter: Option<Letter> = ss::table
            .inner_join(rp::table.on(rp::url.eq(ss::petition_url)))
            .inner_join(snm::table.on(snm::petition_url.eq(ss::petition_url)))
            .filter(ss::id.eq(&id))
            .filter(asks_news())
            .filter(snm::id.eq(mailing))
            .select((
                ss::email,
                ss::name,
                ss::locale,
                rp::title,
                rp::slug,
                rp::host,
                snm::organization,
                snm::html,
                snm::text,
            ))
            .first(conn)
            .optional()?;
        let Some(l) = letter else {
            return Ok(Composed::Dropped(
                "the signer no longer asks this news (unsubscribed, withdrawn, refused), or the news is gone".into(),
            ));
        };
        let news = NewsLetter {
            petition_title: l.petition_title,
            organization: l.organization,
            html: l.html,
            text: l.text,
            petition_path: format!("{}@{}", l.petition_slug, l.petition_host),
        };
        self.0.news_email(news, &id, &l.name, &l.locale, &l.email)
    }
}

/// The page of an unsubscribe link, which names one of our signatures or one sent to a
/// petition elsewhere (changes nothing: link scanners fetch it).
pub fn unsubscribe_page(conn: &mut DbConnection, key: &LinkKey, link: &str) -> Result<UnsubscribePage, SignatureError> {
    match signons_signature::news::unsubscribe_page(conn, key, link) {
        Err(SignatureError::TokenInvalid) => sent_page(conn, &signons_signature::news::signature_of(key, link)?),
        other => other,
    }
}

/// Unsubscribes the signature of the link from its petition's news, whichever kind it
/// is (its signature stays). Pressing it twice is no error.
pub fn unsubscribe(conn: &mut DbConnection, key: &LinkKey, link: &str) -> Result<UnsubscribePage, SignatureError> {
    match signons_signature::news::unsubscribe(conn, key, link) {
        Err(SignatureError::TokenInvalid) => {
            let id = signons_signature::news::signature_of(key, link)?;
            diesel::update(ss::table.filter(ss::id.eq(&id))).set(ss::opt_in.eq(false)).execute(conn)?;
            sent_page(conn, &id)
        }
        other => other,
    }
}

fn sent_page(conn: &mut DbConnection, id: &Id) -> Result<UnsubscribePage, SignatureError> {
    let row: Option<(RemotePetition, bool)> = ss::table
        .inner_join(rp::table.on(rp::url.eq(ss::petition_url)))
        .filter(ss::id.eq(id))
        .select((RemotePetition::as_select(), ss::opt_in))
        .first(conn)
        .optional()?;
    let (petition, subscribed) = row.ok_or(SignatureError::TokenInvalid)?;
    let organization = petition.organization_name(conn)?;
    Ok(UnsubscribePage { organization, petition_slug: petition.handle(), petition_title: petition.title, subscribed })
}
