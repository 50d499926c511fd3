//! News emailed to a petition's signers who asked news: the fan-out that queues one email
//! per signer, the email (composed when sent, in the signer's language, with its one-click
//! unsubscribe link) and the unsubscribe link itself.
//!
//! Posting news writes, in the post's transaction, a `news_mailings` row (the Markdown as
//! written) and one fan-out job of the email queue (`MailQueue::enqueue_fan_out`), so
//! posting takes the same time for one signer or 50,000. The mail worker runs the fan-out
//! a step at a time (`fan_out_step`): each step reads the next `BATCH` confirmed, opted-in
//! signatures after the mailing's cursor (by id, a keyset), queues one reference email
//! job each, and moves the cursor, all in one transaction; the cursor moves only from the
//! value the step read, so a step that runs twice (a restart, a lapsed lease taken up by
//! another process) commits once and the other rolls back. Each email then goes as any
//! queued email: its `Message-ID` comes from its job.
//!
//! Signatures of this instance only: those held by other instances are theirs to email.
//!
//! The caps on emails per recipient (`recipients`) do not apply. They keep strangers from
//! flooding an address by signing with it; a news email goes only to an address that
//! confirmed its signature and asked news, at most once per post, with a link that stops
//! them in one click. Counting news against the caps would make a signer who gets news
//! unable to receive the confirmation of their next signing.

use crate::links::LinkKey;
use crate::{SignatureEmails, SignatureError};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use signons_mail::{Composed, FanOut, MailError, MailQueue, Message};
use signons_petition::{PetitionStatus, SafeHtml};
use signons_render::Locale;
use signons_store::schema::{news_mailings as nm, organizations, petitions, signatures as s};
use signons_store::{DbConnection, Id, Token};

/// Signatures read, and emails queued, per fan-out step (one transaction).
pub const BATCH: i64 = 500;

/// The `kind` of a news email's reference and of its fan-out.
pub(crate) const KIND: &str = "news";

/// What a news fan-out job holds: the post.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewsFanOut {
    kind: String,
    post: String,
}

/// What the email job of one news email holds: the post and the signature.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewsEmail {
    kind: String,
    post: String,
    signature: String,
}

impl NewsEmail {
    /// A reference is a news email's if its kind says so.
    pub fn is_one(reference: &serde_json::Value) -> bool {
        reference.get("kind").and_then(|k| k.as_str()) == Some(KIND)
    }
}

/// Called in the transaction that stores the news post: its emails will go to every
/// confirmed signer of the petition who asked news. Call `queue.wake()` after the commit.
pub fn queue_mailing(
    conn: &mut DbConnection,
    queue: &MailQueue,
    post: &str,
    petition: &Id,
    markdown: &str,
) -> Result<(), MailError> {
    diesel::insert_into(nm::table)
        .values((
            nm::post_id.eq(post),
            nm::petition_id.eq(petition),
            nm::markdown.eq(markdown),
            nm::queued.eq(0_i64),
            nm::created_at.eq(signons_store::now()),
        ))
        .execute(conn)?;
    queue.enqueue_fan_out(conn, &NewsFanOut { kind: KIND.to_owned(), post: post.to_owned() })?;
    Ok(())
}

#[derive(Queryable)]
struct Mailing {
    petition_id: Id,
    after_signature: Option<String>,
    done_at: Option<NaiveDateTime>,
}

/// One step of a news fan-out, in the caller's write transaction (see the module's
/// comment). A mailing whose step was already committed by another run makes this one
/// fail, which rolls its batch back: the job retries, and finds the cursor moved.
pub fn fan_out_step(
    conn: &mut DbConnection,
    queue: &MailQueue,
    fan_out: &serde_json::Value,
) -> Result<FanOut, MailError> {
    let job = NewsFanOut::deserialize(fan_out).map_err(|e| MailError::Reference(format!("not a news fan-out: {e}")))?;
    let mailing: Option<Mailing> = nm::table
        .filter(nm::post_id.eq(&job.post))
        .select((nm::petition_id, nm::after_signature, nm::done_at))
        .first(conn)
        .optional()?;
    let Some(mailing) = mailing.filter(|m| m.done_at.is_none()) else {
        return Ok(FanOut::Done(0));
    };
    let mut page = s::table
        .filter(s::petition_id.eq(&mailing.petition_id))
        .filter(s::confirmed_at.is_not_null())
        .filter(s::opt_in.eq(true))
        .filter(s::anonymized_at.is_null())
        .filter(s::invalidated_at.is_null())
        .select(s::id)
        .order(s::id.asc())
        .limit(BATCH)
        .into_boxed();
    if let Some(after) = &mailing.after_signature {
        page = page.filter(s::id.gt(after));
    }
    let ids: Vec<String> = page.load(conn)?;
    for id in &ids {
        let email = NewsEmail { kind: KIND.to_owned(), post: job.post.clone(), signature: id.clone() };
        queue.enqueue_reference(conn, &email)?;
    }
    let done = ids.len() < BATCH as usize;
    let target = nm::table.filter(nm::post_id.eq(&job.post)).filter(nm::done_at.is_null());
    let values = (
        nm::after_signature.eq(ids.last().or(mailing.after_signature.as_ref())),
        nm::queued.eq(nm::queued + ids.len() as i64),
        nm::done_at.eq(done.then(signons_store::now)),
    );
    let moved = match &mailing.after_signature {
        Some(after) => diesel::update(target.filter(nm::after_signature.eq(after))).set(values).execute(conn)?,
        None => diesel::update(target.filter(nm::after_signature.is_null())).set(values).execute(conn)?,
    };
    if moved != 1 {
        return Err(MailError::Later("another run of this fan-out queued this batch first".into()));
    }
    Ok(if done { FanOut::Done(ids.len()) } else { FanOut::More(ids.len()) })
}

/// What composing a news email reads of its signature.
#[derive(Queryable)]
struct Recipient {
    email: String,
    name: String,
    locale: String,
    opt_in: bool,
    confirmed_at: Option<NaiveDateTime>,
    anonymized_at: Option<NaiveDateTime>,
    invalidated_at: Option<NaiveDateTime>,
    petition_title: String,
    petition_slug: String,
    petition_status: PetitionStatus,
    organization: String,
}

impl SignatureEmails {
    /// The news email of a signature, as it is now: a signer who unsubscribed (or
    /// withdrew) since the fan-out gets nothing.
    pub(crate) fn compose_news(
        &self,
        conn: &mut DbConnection,
        reference: &serde_json::Value,
    ) -> Result<Composed, MailError> {
        let email =
            NewsEmail::deserialize(reference).map_err(|e| MailError::Reference(format!("not a news email: {e}")))?;
        let id = Id::parse(&email.signature).ok_or_else(|| MailError::Reference("not a signature id".into()))?;
        let recipient: Option<Recipient> = s::table
            .inner_join(petitions::table.inner_join(organizations::table))
            .filter(s::id.eq(&id))
            .select((
                s::email,
                s::name,
                s::locale,
                s::opt_in,
                s::confirmed_at,
                s::anonymized_at,
                s::invalidated_at,
                petitions::title,
                petitions::slug,
                petitions::status,
                organizations::name,
            ))
            .first(conn)
            .optional()?;
        let Some(r) = recipient.filter(|r| {
            r.opt_in
                && r.confirmed_at.is_some()
                && r.anonymized_at.is_none()
                && r.invalidated_at.is_none()
                && r.petition_status != PetitionStatus::Removed
        }) else {
            return Ok(Composed::Dropped("the signer no longer asks news (unsubscribed, withdrawn or removed)".into()));
        };
        let markdown: Option<String> =
            nm::table.filter(nm::post_id.eq(&email.post)).select(nm::markdown).first(conn).optional()?;
        let Some(markdown) = markdown else {
            return Ok(Composed::Dropped("the news is gone".into()));
        };
        let letter = NewsLetter {
            petition_title: r.petition_title,
            organization: r.organization,
            html: SafeHtml::from_markdown(&markdown).as_str().to_owned(),
            text: markdown,
            petition_path: r.petition_slug,
        };
        self.news_email(letter, &id, &r.name, &r.locale, &r.email)
    }

    /// The news email of `signature` (ours, or one sent to a petition elsewhere: the
    /// unsubscribe link names either), to `to`, greeting `name`, in `locale`.
    pub fn news_email(
        &self,
        letter: NewsLetter,
        signature: &Id,
        name: &str,
        locale: &str,
        to: &str,
    ) -> Result<Composed, MailError> {
        let message = Message::News {
            petition_title: letter.petition_title,
            organization: letter.organization,
            signer_name: name.to_owned(),
            html: letter.html,
            text: letter.text,
            petition_url: format!("{}/p/{}", self.public_url, letter.petition_path),
            unsubscribe_url: unsubscribe_url(&self.public_url, &self.key, signature),
        };
        Ok(Composed::Email(message.render(&self.renderer, Locale::from_code(locale).unwrap_or_default(), to)?))
    }
}

/// What a news email tells, whoever gets it.
pub struct NewsLetter {
    pub petition_title: String,
    /// Who speaks: the organization's name (or handle, for one elsewhere).
    pub organization: String,
    /// Sanitized HTML (the HTML part).
    pub html: String,
    /// The same as plain text or Markdown (the text part).
    pub text: String,
    /// The petition's path under `/p/` here: its slug, or `slug@host`.
    pub petition_path: String,
}

/// The unsubscribe link of a signature: `{public_url}/u/{signature id}.{token}`.
pub fn unsubscribe_url(public_url: &str, key: &LinkKey, signature: &Id) -> String {
    match uuid::Uuid::parse_str(signature.as_str()) {
        Ok(uuid) => format!("{public_url}/u/{}.{}", signature, key.unsubscribe_token(&uuid).expose()),
        // Ids are UUIDs by construction (`Id::parse`); a link that can never work is
        // better than none, and is answered with the page of a bad link.
        Err(_) => format!("{public_url}/u/-"),
    }
}

/// The signature an unsubscribe link names, if its token is the one the key makes (it
/// may be one of ours or one sent elsewhere: `signons_federation::sent_news` asks too).
pub fn signature_of(key: &LinkKey, link: &str) -> Result<Id, SignatureError> {
    let (id, token) = link.split_once('.').ok_or(SignatureError::TokenInvalid)?;
    let uuid = uuid::Uuid::parse_str(id).map_err(|_| SignatureError::TokenInvalid)?;
    let given = Token::parse(token).ok_or(SignatureError::TokenInvalid)?;
    // Compared as hashes: the comparison's timing tells nothing of the expected token.
    if key.unsubscribe_token(&uuid).hash() != given.hash() {
        return Err(SignatureError::TokenInvalid);
    }
    Id::parse(id).ok_or(SignatureError::TokenInvalid)
}

/// What the unsubscribe page shows.
#[derive(Debug, Clone, Serialize)]
pub struct UnsubscribePage {
    pub petition_title: String,
    pub petition_slug: String,
    pub organization: String,
    /// Whether the signer still gets the petition's news.
    pub subscribed: bool,
}

fn page(conn: &mut DbConnection, id: &Id) -> Result<UnsubscribePage, SignatureError> {
    let row: Option<(String, String, String, bool)> = s::table
        .inner_join(petitions::table.inner_join(organizations::table))
        .filter(s::id.eq(id))
        .filter(s::anonymized_at.is_null())
        .select((petitions::title, petitions::slug, organizations::name, s::opt_in))
        .first(conn)
        .optional()?;
    let (petition_title, petition_slug, organization, subscribed) = row.ok_or(SignatureError::TokenInvalid)?;
    Ok(UnsubscribePage { petition_title, petition_slug, organization, subscribed })
}

/// The page of an unsubscribe link (changes nothing: link scanners fetch it).
pub fn unsubscribe_page(conn: &mut DbConnection, key: &LinkKey, link: &str) -> Result<UnsubscribePage, SignatureError> {
    let id = signature_of(key, link)?;
    page(conn, &id)
}

/// Unsubscribes the signature of the link from its petition's news (its signature
/// stays). Pressing it twice is no error.
pub fn unsubscribe(conn: &mut DbConnection, key: &LinkKey, link: &str) -> Result<UnsubscribePage, SignatureError> {
    let id = signature_of(key, link)?;
    diesel::update(s::table.filter(s::id.eq(&id))).set(s::opt_in.eq(false)).execute(conn)?;
    page(conn, &id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use signons_store::testing::{TempDatabase, TestBackend};

    /// `n` confirmed signatures of the petition, every third without news.
    fn signers(conn: &mut DbConnection, petition: &Id, n: usize) -> Result<(), MailError> {
        let now = signons_store::now();
        for i in 0..n {
            let email = format!("signer{i}@example.org");
            diesel::insert_into(s::table)
                .values((
                    s::id.eq(Id::new()),
                    s::petition_id.eq(petition),
                    s::name.eq(format!("Signer {i}")),
                    s::email.eq(&email),
                    s::email_canonical.eq(&email),
                    s::public.eq(true),
                    s::opt_in.eq(i % 3 != 0),
                    s::locale.eq("en"),
                    s::token_expires_at.eq(now),
                    s::created_at.eq(now),
                    s::confirmed_at.eq(Some(now)),
                ))
                .execute(conn)?;
        }
        Ok(())
    }

    fn email_jobs(conn: &mut DbConnection) -> Result<usize, MailError> {
        Ok(signons_mail::queue::waiting(conn)?
            .into_iter()
            .filter(|q| matches!(q, signons_mail::queue::Queued::Reference { .. }))
            .count())
    }

    /// More signers than a step takes: the steps queue one email per signer who asked
    /// news, and a step run again after the end queues nothing.
    async fn fan_out_queues_each_signer_once(backend: TestBackend) {
        let temp = TempDatabase::new(backend);
        let db = temp.open();
        let queue = MailQueue::new();
        let total = BATCH as usize * 3 / 2 + 7;
        let fan_out = db
            .write(|conn| -> Result<_, MailError> {
                let (_, petition) =
                    signons_petition::testing::sample_petition(conn).map_err(|e| MailError::Later(e.to_string()))?;
                signers(conn, &petition.id, total)?;
                let post = Id::new();
                diesel::insert_into(signons_store::schema::petition_posts::table)
                    .values((
                        signons_store::schema::petition_posts::id.eq(&post),
                        signons_store::schema::petition_posts::petition_id.eq(&petition.id),
                        signons_store::schema::petition_posts::kind.eq("news"),
                        signons_store::schema::petition_posts::body_html.eq("<p>News</p>"),
                        signons_store::schema::petition_posts::created_at.eq(signons_store::now()),
                    ))
                    .execute(conn)?;
                queue_mailing(conn, &queue, post.as_str(), &petition.id, "News")?;
                Ok(serde_json::json!({ "kind": KIND, "post": post.as_str() }))
            })
            .unwrap();
        let step = |db: &signons_store::Database| db.write(|conn| fan_out_step(conn, &queue, &fan_out));
        assert_eq!(step(&db).unwrap(), FanOut::More(BATCH as usize));
        let asked = (0..total).filter(|i| i % 3 != 0).count();
        let mut queued = BATCH as usize;
        loop {
            match step(&db).unwrap() {
                FanOut::More(n) => queued += n,
                FanOut::Done(n) => break queued += n,
            }
        }
        assert_eq!(queued, asked);
        assert_eq!(step(&db).unwrap(), FanOut::Done(0), "a run after the end queues nothing");
        assert_eq!(db.read(email_jobs).unwrap(), asked, "one email job per signer who asked news");
    }

    #[tokio::test]
    async fn fan_out_queues_each_signer_once_sqlite() {
        fan_out_queues_each_signer_once(TestBackend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn fan_out_queues_each_signer_once_postgres() {
        fan_out_queues_each_signer_once(TestBackend::Postgres).await;
    }

    #[test]
    fn an_unsubscribe_link_works_only_with_its_key_and_signature() {
        let key = LinkKey::generate();
        let id = Id::new();
        let url = unsubscribe_url("https://petitions.test", &key, &id);
        let link = url.strip_prefix("https://petitions.test/u/").unwrap();
        assert_eq!(signature_of(&key, link).unwrap(), id);
        assert!(signature_of(&LinkKey::generate(), link).is_err(), "another instance's key");
        let other = Id::new();
        let (_, token) = link.split_once('.').unwrap();
        assert!(signature_of(&key, &format!("{other}.{token}")).is_err(), "another signature");
        for junk in ["", ".", "x.y", &id.to_string()] {
            assert!(signature_of(&key, junk).is_err(), "{junk}");
        }
    }
}
