//! The emails about a signature (the confirmation, and "you have already signed"), queued
//! as a reference to the signature and composed by the mail worker when it sends them: the
//! job holds no link and no rendered text (see `signons_mail::compose`, and `links` for how
//! the worker makes the links again).

use crate::links::{LinkKey, Links, Nonce};
use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use signons_mail::{Compose, Composed, Email, MailError, Message};
use signons_render::{Locale, Renderer};
use signons_store::schema::{petitions, signatures as s, withdraw_tokens as wt};
use signons_store::{DbConnection, Id, Token};

/// What the email job of a signature holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum SignatureEmail {
    /// The links that confirm and withdraw. Everything else the email shows (the name,
    /// the address, the language, the petition) is the signature's as it is when sent:
    /// the submission it confirms is the one stored.
    ConfirmSignature { signature: String, nonce: Nonce },
    /// Sent to a signer who had already confirmed: nothing of this submission is stored
    /// with the signature, so the job keeps where it goes, the name to greet and the
    /// language of the request.
    AlreadySigned { signature: String, nonce: Nonce, to: String, name: String, locale: String },
}

impl SignatureEmail {
    pub(crate) fn confirm(signature: &Id, nonce: &Nonce) -> Self {
        SignatureEmail::ConfirmSignature { signature: signature.to_string(), nonce: nonce.clone() }
    }

    /// The job's payload, as `MailQueue::enqueue_reference` writes it.
    pub(crate) fn to_payload(&self) -> Result<String, MailError> {
        signons_mail::queue::reference_payload(self)
    }
}

/// Composes the signature emails for the mail worker (and for tests, which read the
/// queue as it would be sent).
#[derive(Clone)]
pub struct SignatureEmails {
    pub(crate) renderer: Renderer,
    pub(crate) public_url: String,
    pub(crate) confirm_ttl: TimeDelta,
    pub(crate) key: LinkKey,
}

/// What composing reads of the signature.
#[derive(Queryable)]
struct Row {
    email: String,
    name: String,
    locale: String,
    confirm_token_hash: Option<String>,
    withdraw_token_hash: Option<String>,
    anonymized_at: Option<NaiveDateTime>,
    invalidated_at: Option<NaiveDateTime>,
    petition_title: String,
    petition_slug: String,
}

impl SignatureEmails {
    fn url(&self, path: &str, token: &Token) -> String {
        format!("{}/{path}/{}", self.public_url, token.expose())
    }

    fn compose_email(&self, conn: &mut DbConnection, email: &SignatureEmail) -> Result<Composed, MailError> {
        let (SignatureEmail::ConfirmSignature { signature, nonce }
        | SignatureEmail::AlreadySigned { signature, nonce, .. }) = email;
        let id = Id::parse(signature).ok_or_else(|| MailError::Reference("not a signature id".into()))?;
        let row: Option<Row> = s::table
            .inner_join(petitions::table)
            .filter(s::id.eq(&id))
            .select((
                s::email,
                s::name,
                s::locale,
                s::confirm_token_hash,
                s::withdraw_token_hash,
                s::anonymized_at,
                s::invalidated_at,
                petitions::title,
                petitions::slug,
            ))
            .first(conn)
            .optional()?;
        // Withdrawn, or purged unconfirmed: there is nobody to write to any more. Anonymized:
        // its links are gone with the person's data. Invalidated by an admin: its links are
        // dead, and its address is told nothing more.
        let Some(row) = row.filter(|r| r.anonymized_at.is_none() && r.invalidated_at.is_none()) else {
            return Ok(Composed::Dropped(
                "the signature is gone (withdrawn, purged, anonymized or invalidated)".into(),
            ));
        };
        let links = self.links(nonce.clone());
        let withdraw_hash = links.withdraw.hash();
        let withdraw_known = row.withdraw_token_hash.as_deref() == Some(withdraw_hash.as_str())
            || diesel::select(diesel::dsl::exists(
                wt::table.filter(wt::token_hash.eq(&withdraw_hash)).filter(wt::signature_id.eq(&id)),
            ))
            .get_result::<bool>(conn)?;
        let which = match email {
            SignatureEmail::ConfirmSignature { .. } => Which::Confirm,
            SignatureEmail::AlreadySigned { to, name, locale, .. } => Which::AlreadySigned { to, name, locale },
        };
        let stored = Stored {
            email: row.email,
            name: row.name,
            locale: row.locale,
            confirm_token_hash: row.confirm_token_hash,
            petition_title: row.petition_title,
            petition_path: row.petition_slug,
        };
        self.render(stored, &links, withdraw_known, which)
    }

    /// The links of a signature email's nonce, made again with this instance's key.
    pub fn links(&self, nonce: Nonce) -> Links {
        Links::from_nonce(&self.key, nonce)
    }

    /// The email of a signature as it is stored now, with `links`. `withdraw_known`: the
    /// withdraw link is one the signature holds. A withdraw link stays valid as long as its
    /// signature exists, so one that matches nothing was made with another key: sending it
    /// would send dead links, and the email is left to a process that has the right key
    /// (the job retries, then waits as dead for an admin). Shared by our signatures and
    /// those of petitions elsewhere (`signons_federation::sent`).
    pub fn render(
        &self,
        stored: Stored,
        links: &Links,
        withdraw_known: bool,
        which: Which<'_>,
    ) -> Result<Composed, MailError> {
        if !withdraw_known {
            return Err(MailError::Later(
                "its links do not match the signature: this process's link key (link_key_file) is not the one \
                 of the process that queued it"
                    .into(),
            ));
        }
        let withdraw_url = self.url("w", &links.withdraw);
        let (message, locale, to) = match which {
            Which::Confirm => {
                // Signing again while pending replaced the confirm link: this email's link is
                // dead, and the later email carries the live one.
                if stored.confirm_token_hash.as_deref() != Some(links.confirm.hash().as_str()) {
                    return Ok(Composed::Dropped("a later signing replaced its confirmation link".into()));
                }
                let message = Message::ConfirmSignature {
                    petition_title: stored.petition_title,
                    signer_name: stored.name,
                    confirm_url: self.url("s", &links.confirm),
                    withdraw_url,
                    hours_valid: self.confirm_ttl.num_hours(),
                };
                (message, Locale::from_code(&stored.locale).unwrap_or_default(), stored.email)
            }
            Which::AlreadySigned { to, name, locale } => {
                let message = Message::AlreadySigned {
                    petition_title: stored.petition_title,
                    signer_name: name.to_owned(),
                    petition_url: format!("{}/p/{}", self.public_url, stored.petition_path),
                    withdraw_url,
                };
                (message, Locale::from_code(locale).unwrap_or_default(), to.to_owned())
            }
        };
        Ok(Composed::Email(message.render(&self.renderer, locale, &to)?))
    }
}

/// A signature as its emails show it, from whichever table holds it.
pub struct Stored {
    pub email: String,
    pub name: String,
    pub locale: String,
    pub confirm_token_hash: Option<String>,
    pub petition_title: String,
    /// The petition's path under `/p/`: its slug, or `slug@host` for one elsewhere.
    pub petition_path: String,
}

/// Which email: the confirmation, or "already signed" with what that request gave (where
/// it goes, the name to greet, the language).
pub enum Which<'a> {
    Confirm,
    AlreadySigned { to: &'a str, name: &'a str, locale: &'a str },
}

impl Compose for SignatureEmails {
    fn compose(&self, conn: &mut DbConnection, reference: &serde_json::Value) -> Result<Composed, MailError> {
        if crate::news::NewsEmail::is_one(reference) {
            return self.compose_news(conn, reference);
        }
        let email = SignatureEmail::deserialize(reference)
            .map_err(|e| MailError::Reference(format!("not a signature email: {e}")))?;
        self.compose_email(conn, &email)
    }

    /// The news fan-outs (the only fan-outs there are). The queue handle only writes jobs:
    /// the worker wakes itself after each step.
    fn fan_out(&self, conn: &mut DbConnection, fan_out: &serde_json::Value) -> Result<signons_mail::FanOut, MailError> {
        crate::news::fan_out_step(conn, &signons_mail::MailQueue::new(), fan_out)
    }
}

/// The emails waiting in the queue as they would be sent now, oldest first: rendered ones
/// as they are, references composed (those that would be dropped left out).
pub fn waiting(conn: &mut DbConnection, emails: &SignatureEmails) -> Result<Vec<Email>, MailError> {
    let mut out = Vec::new();
    for queued in signons_mail::queue::waiting(conn)? {
        match queued {
            signons_mail::queue::Queued::Rendered(e) => out.push(Email {
                to: e.to,
                subject: e.subject,
                text: e.text,
                html: e.html,
                list_unsubscribe: e.list_unsubscribe,
            }),
            // Queues emails when it runs; sends none itself.
            signons_mail::queue::Queued::FanOut { .. } => {}
            signons_mail::queue::Queued::Reference { compose } => {
                if let Composed::Email(email) = emails.compose(conn, &compose)? {
                    out.push(email);
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{signing, SignatureInput, SigningContext};
    use signons_mail::MailQueue;
    use signons_store::testing::{TempDatabase, TestBackend};
    use signons_store::Database;

    fn context() -> SigningContext {
        SigningContext::new(
            Renderer::new().unwrap(),
            MailQueue::new(),
            "https://petitions.test".into(),
            TimeDelta::hours(2),
        )
    }

    /// The reference of each email queued, oldest first.
    fn references(db: &Database) -> Vec<serde_json::Value> {
        db.read(signons_mail::queue::waiting)
            .unwrap()
            .into_iter()
            .filter_map(|q| match q {
                signons_mail::queue::Queued::Reference { compose } => Some(compose),
                signons_mail::queue::Queued::Rendered(_) | signons_mail::queue::Queued::FanOut { .. } => None,
            })
            .collect()
    }

    fn compose(db: &Database, emails: &SignatureEmails, reference: &serde_json::Value) -> Result<Composed, MailError> {
        let (emails, reference) = (emails.clone(), reference.clone());
        db.read(move |conn| emails.compose(conn, &reference))
    }

    async fn sign(db: &Database, ctx: &SigningContext, slug: &str, name: &str, email: &str) {
        let input = SignatureInput { name: name.into(), email: email.into(), ..Default::default() };
        signing::sign(db, ctx, slug, &input, Locale::Fr, None).await.unwrap();
    }

    /// The job holds no link; the worker's email carries links that work, in the
    /// signer's language; a signature withdrawn before its email goes out gets no email.
    async fn composed_when_sent(backend: TestBackend) {
        let temp = TempDatabase::new(backend);
        let db = temp.open();
        let ctx = context();
        let (_, petition) = db.write(signons_petition::testing::sample_petition).unwrap();
        sign(&db, &ctx, &petition.slug, "Ada", "ada@example.org").await;
        let reference = references(&db).pop().unwrap();
        let Composed::Email(email) = compose(&db, &ctx.emails(), &reference).unwrap() else { panic!("an email") };
        assert_eq!(email.to, "ada@example.org");
        assert!(email.subject.starts_with("Confirmez votre signature"), "{}", email.subject);
        assert!(email.text.contains("Bonjour Ada,"), "{}", email.text);
        let link = |path: &str| {
            let start = email.text.find(&format!("https://petitions.test/{path}/")).expect("a link") + 24 + path.len();
            email.text[start..start + 43].to_owned()
        };
        let (confirm, withdraw) = (link("s"), link("w"));
        let stored = serde_json::to_string(&reference).unwrap();
        assert!(!stored.contains(&confirm) && !stored.contains(&withdraw), "no link in the job: {stored}");
        let page = db.read(|conn| signing::confirm_page(conn, &confirm)).unwrap();
        assert_eq!(page.signer_name, "Ada");

        // Another process with another link key leaves the email for one that has the
        // right key, rather than send links that lead nowhere.
        let stranger =
            SigningContext::new(ctx.renderer.clone(), MailQueue::new(), ctx.public_url.clone(), ctx.confirm_ttl);
        let error = compose(&db, &stranger.emails(), &reference).unwrap_err();
        assert!(matches!(error, MailError::Later(_)), "{error}");

        // Withdrawn before the email is sent: nothing to send, and nothing to retry.
        db.write(|conn| signing::withdraw(conn, &withdraw)).unwrap();
        assert!(matches!(compose(&db, &ctx.emails(), &reference).unwrap(), Composed::Dropped(_)));
        // Junk is never sent and never retried.
        let junk = serde_json::json!({ "kind": "confirm_signature", "signature": "x", "nonce": "y" });
        assert!(matches!(compose(&db, &ctx.emails(), &junk), Err(MailError::Reference(_))));
    }

    #[tokio::test]
    async fn composed_when_sent_sqlite() {
        composed_when_sent(TestBackend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn composed_when_sent_postgres() {
        composed_when_sent(TestBackend::Postgres).await;
    }

    /// Signing again while the first email still waits: the first, whose confirm link the
    /// second signing replaced, is not sent; the second is, with links that work.
    #[tokio::test]
    async fn a_replaced_confirmation_is_not_sent() {
        let temp = TempDatabase::new(TestBackend::Sqlite);
        let db = temp.open();
        let ctx = context();
        let (_, petition) = db.write(signons_petition::testing::sample_petition).unwrap();
        sign(&db, &ctx, &petition.slug, "Someone Else", "bea@example.org").await;
        sign(&db, &ctx, &petition.slug, "Bea", "bea@example.org").await;
        let refs = references(&db);
        assert_eq!(refs.len(), 2);
        assert!(matches!(compose(&db, &ctx.emails(), &refs[0]).unwrap(), Composed::Dropped(_)));
        let Composed::Email(email) = compose(&db, &ctx.emails(), &refs[1]).unwrap() else { panic!("an email") };
        assert!(email.text.contains("Bonjour Bea,"), "{}", email.text);
        let emails = ctx.emails();
        let sent = db.read(|conn| waiting(conn, &emails)).unwrap();
        assert_eq!(sent.len(), 1, "one email to Bea, not two");
    }
}
