#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions
//! The signature lifecycle at the domain level, on SQLite and PostgreSQL: what retention
//! deletes and anonymizes, and what it must leave alone.

use chrono::TimeDelta;
use diesel::prelude::*;
use signons_mail::MailQueue;
use signons_petition::petition;
use signons_render::{Locale, Renderer};
use signons_signature::{counts, retention, signing, SignatureInput, SigningContext};
use signons_store::schema::{petitions, signatures, withdraw_tokens};
use signons_store::testing::{TempDatabase, TestBackend};
use signons_store::{Database, Id, StoreError};

fn context() -> SigningContext {
    SigningContext {
        renderer: Renderer::new().unwrap(),
        queue: MailQueue::new(),
        public_url: "http://petitions.test".into(),
        confirm_ttl: TimeDelta::hours(1),
        pg_batch: Default::default(),
        recipients: signons_signature::RecipientLimits::unlimited(),
        link_key: signons_signature::LinkKey::generate(),
    }
}

fn create_petition(db: &Database) -> (String, Id) {
    let (_, p) = db.write(signons_petition::testing::sample_petition).unwrap();
    (p.slug, p.id)
}

/// The confirmation token of the last email sent to `to`.
fn last_token(db: &Database, ctx: &SigningContext, to: &str) -> String {
    let emails = ctx.emails();
    let body: String = db
        .read(move |conn| signons_signature::emails::waiting(conn, &emails))
        .unwrap()
        .into_iter()
        .rev()
        .find(|email| email.to == to)
        .map(|email| email.text)
        .expect("an email to this address");
    let start = body.find("/s/").expect("a confirmation link") + 3;
    body[start..start + 43].to_owned()
}

/// Signs from the network 203.0.113.0/24, as the web layer does (`network_hash`).
async fn sign(db: &Database, ctx: &SigningContext, slug: &str, name: &str, email: &str) {
    let input = SignatureInput { name: name.into(), email: email.into(), public: true, ..Default::default() };
    let network = ctx.network_hash("203.0.113.9".parse().unwrap());
    signing::sign(db, ctx, slug, &input, Locale::En, Some(network)).await.unwrap();
}

/// The network hashes of the petition's signatures still kept.
fn network_hashes(db: &Database) -> Vec<String> {
    db.read(|conn| -> Result<Vec<Option<String>>, StoreError> {
        Ok(signatures::table.select(signatures::network_hash).load(conn)?)
    })
    .unwrap()
    .into_iter()
    .flatten()
    .collect()
}

async fn retention_keeps_counts_and_erases_people(backend: TestBackend) {
    let temp = TempDatabase::new(backend);
    let db = temp.open();
    let ctx = context();
    let (slug, id) = create_petition(&db);

    sign(&db, &ctx, &slug, "Ada", "ada@example.org").await;
    sign(&db, &ctx, &slug, "Bob", "bob@example.org").await;
    sign(&db, &ctx, &slug, "Cy", "cy@example.org").await;
    for email in ["ada@example.org", "bob@example.org"] {
        let token = last_token(&db, &ctx, email);
        db.write(|conn| signing::confirm(conn, "https://signons.example", &token)).unwrap();
    }
    let total = |db: &Database| db.read(|conn| -> Result<_, StoreError> { Ok(counts::total(conn, &id)?) }).unwrap();
    assert_eq!(total(&db), 2);
    // Signing again, confirmed (Ada) or pending (Cy), sends withdraw links beyond the
    // first; retention must not leave them behind.
    sign(&db, &ctx, &slug, "Ada", "ada@example.org").await;
    sign(&db, &ctx, &slug, "Cy", "cy@example.org").await;
    let extra_links = |db: &Database| {
        db.read(|conn| -> Result<i64, StoreError> { Ok(withdraw_tokens::table.count().get_result(conn)?) }).unwrap()
    };
    assert_eq!(extra_links(&db), 2);
    assert_eq!(total(&db), 2);

    // Nothing is purged while the pending signature's link is valid.
    let now = signons_store::now();
    let purged = db
        .write(|conn| -> Result<_, StoreError> { Ok(retention::purge_unconfirmed(conn, now, TimeDelta::days(7))?) })
        .unwrap();
    assert_eq!(purged, 0);
    // Long after it expired, the pending one goes; confirmed ones stay.
    let later = now + TimeDelta::days(9);
    let purged = db
        .write(|conn| -> Result<_, StoreError> { Ok(retention::purge_unconfirmed(conn, later, TimeDelta::days(7))?) })
        .unwrap();
    assert_eq!(purged, 1);
    let emails: Vec<String> = db
        .read(|conn| -> Result<_, StoreError> { Ok(signatures::table.select(signatures::email).load(conn)?) })
        .unwrap();
    assert_eq!(emails.len(), 2);
    assert!(!emails.contains(&"cy@example.org".to_owned()));
    assert_eq!(extra_links(&db), 1, "the purged signature's links went with it");

    // An open petition is never anonymized.
    let anonymized = db
        .write(|conn| -> Result<_, StoreError> { Ok(retention::anonymize_closed(conn, later, TimeDelta::days(180))?) })
        .unwrap();
    assert_eq!(anonymized, 0);

    // Closed 200 days ago: names and emails are erased, the count is unchanged, and the
    // erased rows no longer collide with each other or with new signers.
    db.write(|conn| -> Result<_, StoreError> {
        diesel::update(petitions::table.filter(petitions::id.eq(&id)))
            .set((
                petitions::status.eq(signons_petition::PetitionStatus::Closed),
                petitions::closed_at.eq(Some(now - TimeDelta::days(200))),
            ))
            .execute(conn)?;
        Ok(())
    })
    .unwrap();
    let expected = ctx.network_hash("203.0.113.200".parse().unwrap());
    assert_eq!(network_hashes(&db), [expected.as_str(), expected.as_str()], "kept while the rest is");
    let anonymized = db
        .write(|conn| -> Result<_, StoreError> { Ok(retention::anonymize_closed(conn, now, TimeDelta::days(180))?) })
        .unwrap();
    assert_eq!(anonymized, 2);
    assert!(network_hashes(&db).is_empty(), "the network hashes are erased with the rest");
    let rows: Vec<(String, String, Option<String>, Option<String>)> = db
        .read(|conn| -> Result<_, StoreError> {
            Ok(signatures::table
                .select((signatures::name, signatures::email, signatures::withdraw_token_hash, signatures::comment))
                .load(conn)?)
        })
        .unwrap();
    assert!(rows.iter().all(|(name, email, token, comment)| name.is_empty()
        && email.is_empty()
        && token.is_none()
        && comment.is_none()));
    assert_eq!(total(&db), 2);
    assert_eq!(extra_links(&db), 0, "no withdraw link left to an anonymized signature");
    let again = db
        .write(|conn| -> Result<_, StoreError> { Ok(retention::anonymize_closed(conn, now, TimeDelta::days(180))?) })
        .unwrap();
    assert_eq!(again, 0, "anonymization runs once per signature");
    let public = db.read(|conn| signing::recent_public(conn, &id, 10)).unwrap();
    assert!(public.is_empty(), "erased signers are not listed");
}

async fn closed_petitions_refuse_signatures_and_confirmations(backend: TestBackend) {
    let temp = TempDatabase::new(backend);
    let db = temp.open();
    let ctx = context();
    let (slug, id) = create_petition(&db);
    sign(&db, &ctx, &slug, "Ada", "ada@example.org").await;
    let token = last_token(&db, &ctx, "ada@example.org");
    let ended = signons_store::now() - TimeDelta::minutes(1);
    db.write(|conn| -> Result<_, StoreError> {
        diesel::update(petitions::table.filter(petitions::id.eq(&id)))
            .set(petitions::end_at.eq(Some(ended)))
            .execute(conn)?;
        Ok(())
    })
    .unwrap();
    let input = SignatureInput { name: "Bob".into(), email: "bob@example.org".into(), ..Default::default() };
    let refused = signing::sign(&db, &ctx, &slug, &input, Locale::En, None).await;
    assert!(matches!(refused, Err(signons_signature::SignatureError::PetitionClosed)), "{refused:?}");
    let refused = db.write(|conn| signing::confirm(conn, "https://signons.example", &token));
    assert!(matches!(refused, Err(signons_signature::SignatureError::PetitionClosed)), "{refused:?}");
    // The maintenance step closes it for good.
    let closed = db.write(|conn| petition::close_ended(conn, signons_store::now())).unwrap();
    assert_eq!(closed.iter().map(|p| p.slug.as_str()).collect::<Vec<_>>(), [slug.as_str()]);
    assert_eq!(closed[0].status, signons_petition::PetitionStatus::Closed);
    let status = db.read(|conn| petition::find(conn, &slug)).unwrap().status;
    assert_eq!(status, signons_petition::PetitionStatus::Closed);
}

/// A petition without an end date stays open for years: the personal data of a signature
/// confirmed longer ago than the maximum age is erased all the same, the count stays, and
/// the same person signing again is not counted twice.
async fn personal_data_has_a_maximum_age_on_open_petitions(backend: TestBackend) {
    let temp = TempDatabase::new(backend);
    let db = temp.open();
    let ctx = context();
    let (slug, id) = create_petition(&db);
    let url = "https://signons.example";
    for (name, email) in [("Ada", "ada@example.org"), ("Bob", "bob@example.org")] {
        sign(&db, &ctx, &slug, name, email).await;
        let token = last_token(&db, &ctx, email);
        db.write(|conn| signing::confirm(conn, url, &token)).unwrap();
    }
    // Ada confirmed four years ago.
    let now = signons_store::now();
    db.write(|conn| -> Result<_, StoreError> {
        diesel::update(signatures::table.filter(signatures::email.eq("ada@example.org")))
            .set(signatures::confirmed_at.eq(Some(now - TimeDelta::days(4 * 365))))
            .execute(conn)?;
        Ok(())
    })
    .unwrap();
    let aged = |db: &Database| {
        db.write(|conn| -> Result<_, StoreError> { Ok(retention::anonymize_aged(conn, now, TimeDelta::days(1095))?) })
            .unwrap()
    };
    assert_eq!(network_hashes(&db).len(), 2);
    assert_eq!(aged(&db), 1);
    assert_eq!(aged(&db), 0, "once per signature");
    assert_eq!(network_hashes(&db).len(), 1, "Ada's network hash went with her data; Bob's stays");
    let emails: Vec<String> = db
        .read(|conn| -> Result<_, StoreError> { Ok(signatures::table.select(signatures::email).load(conn)?) })
        .unwrap();
    assert!(emails.contains(&"bob@example.org".to_owned()) && !emails.contains(&"ada@example.org".to_owned()));
    let total = |db: &Database| db.read(|conn| -> Result<_, StoreError> { Ok(counts::total(conn, &id)?) }).unwrap();
    assert_eq!(total(&db), 2);
    // Ada signs again: her new signature is pending, and confirming it says she counts
    // already; the count does not move.
    sign(&db, &ctx, &slug, "Ada", "Ada@Example.org").await;
    let token = last_token(&db, &ctx, "Ada@example.org");
    let confirmed = db.write(|conn| signing::confirm(conn, url, &token)).unwrap();
    assert!(matches!(confirmed, signons_signature::Confirmation::AlreadyConfirmed(_)));
    assert_eq!(total(&db), 2);
    let rows = db.read(|conn| -> Result<i64, StoreError> { Ok(signatures::table.count().get_result(conn)?) }).unwrap();
    assert_eq!(rows, 2, "the new pending signature is gone");
}

/// The signatures this instance sent to a petition elsewhere keep the signer's name and
/// email here: they go once expired unconfirmed, once their petition closed long ago, and
/// at the maximum age.
async fn signatures_sent_elsewhere_are_purged_too(backend: TestBackend) {
    use signons_store::schema::{remote_petitions as rp, sent_signatures as ss};
    let temp = TempDatabase::new(backend);
    let db = temp.open();
    let now = signons_store::now();
    let petition = |url: &'static str, status: &'static str, updated: chrono::NaiveDateTime| {
        (
            rp::url.eq(url),
            rp::host.eq("alpha.example"),
            rp::slug.eq(url.rsplit('/').next().unwrap_or("p")),
            rp::title.eq("A petition elsewhere"),
            rp::summary_html.eq(""),
            rp::target.eq("Someone"),
            rp::page_url.eq(url),
            rp::attributed_to.eq("https://alpha.example/o/org"),
            rp::signature_count.eq(0i64),
            rp::signature_goal.eq(100i64),
            rp::status.eq(status),
            rp::received_at.eq(updated),
            rp::updated_at.eq(updated),
            rp::ask_country.eq(false),
            rp::ask_postal_code.eq(false),
            rp::partners.eq("[]"),
        )
    };
    let sent = |email: &'static str, url: &'static str, created: chrono::NaiveDateTime, confirmed: bool| {
        (
            ss::id.eq(Id::new()),
            ss::petition_url.eq(url),
            ss::name.eq("Someone"),
            ss::email.eq(email),
            ss::email_canonical.eq(email),
            ss::public.eq(false),
            ss::opt_in.eq(false),
            ss::locale.eq("en"),
            ss::token_expires_at.eq(created + TimeDelta::hours(72)),
            ss::created_at.eq(created),
            ss::confirmed_at.eq(confirmed.then_some(created)),
        )
    };
    let (open, closed) = ("https://alpha.example/p/open", "https://alpha.example/p/closed");
    db.write(|conn| -> Result<_, StoreError> {
        diesel::insert_into(rp::table).values(petition(open, "open", now)).execute(conn)?;
        diesel::insert_into(rp::table).values(petition(closed, "closed", now - TimeDelta::days(200))).execute(conn)?;
        for row in [
            sent("kept@example.org", open, now - TimeDelta::days(30), true),
            sent("expired@example.org", open, now - TimeDelta::days(30), false),
            sent("closed@example.org", closed, now - TimeDelta::days(300), true),
            sent("aged@example.org", open, now - TimeDelta::days(4 * 365), true),
        ] {
            diesel::insert_into(ss::table).values(row).execute(conn)?;
        }
        Ok(())
    })
    .unwrap();
    let purged = db
        .write(|conn| -> Result<_, StoreError> {
            Ok(retention::purge_sent(conn, now, TimeDelta::days(7), TimeDelta::days(180), Some(TimeDelta::days(1095)))?)
        })
        .unwrap();
    assert_eq!(purged, 3);
    let left: Vec<String> =
        db.read(|conn| -> Result<_, StoreError> { Ok(ss::table.select(ss::email).load(conn)?) }).unwrap();
    assert_eq!(left, ["kept@example.org"]);
}

/// Signs from `client` and confirms.
async fn signed_from(db: &Database, ctx: &SigningContext, slug: &str, name: &str, email: &str, client: &str) {
    let input = SignatureInput { name: name.into(), email: email.into(), public: true, ..Default::default() };
    let network = ctx.network_hash(client.parse().unwrap());
    signing::sign(db, ctx, slug, &input, Locale::En, Some(network)).await.unwrap();
    let token = last_token(db, ctx, email);
    db.write(|conn| signing::confirm(conn, "https://signons.example", &token)).unwrap();
}

/// Invalidation by network: the preview counts and changes nothing; invalidating takes
/// exactly the chosen signatures out of the count, and out of the recent signers; the
/// invalidated address cannot sign again, a neighbour on the same network can.
async fn invalidation_takes_out_only_the_chosen_signatures(backend: TestBackend) {
    use signons_signature::invalidation::{self, Filter, FilterInput};
    let temp = TempDatabase::new(backend);
    let db = temp.open();
    let ctx = context();
    let (slug, id) = create_petition(&db);
    signed_from(&db, &ctx, &slug, "Bot", "bot@example.org", "203.0.113.1").await;
    signed_from(&db, &ctx, &slug, "Ann", "ann@example.org", "198.51.100.1").await;
    let input = SignatureInput { name: "Pending".into(), email: "pending@example.org".into(), ..Default::default() };
    let network = ctx.network_hash("203.0.113.99".parse().unwrap());
    signing::sign(&db, &ctx, &slug, &input, Locale::En, Some(network)).await.unwrap();
    let pending_token = last_token(&db, &ctx, "pending@example.org");
    let total = |db: &Database| db.read(|conn| -> Result<_, StoreError> { Ok(counts::total(conn, &id)?) }).unwrap();
    assert_eq!(total(&db), 2);

    let key = signons_signature::NetworkKey::new(&ctx.link_key);
    let filter =
        Filter::parse(&FilterInput { petition: slug.clone(), network: "203.0.113.0/24".into(), ..Default::default() })
            .unwrap();
    let preview = db.read(|conn| invalidation::preview(conn, &key, &filter)).unwrap();
    assert_eq!((preview.confirmed, preview.pending), (1, 1));
    assert_eq!(total(&db), 2, "a preview changes nothing");
    let done = db.write(|conn| invalidation::invalidate(conn, &key, &filter, "test")).unwrap();
    assert_eq!((done.confirmed, done.pending), (1, 1));
    assert_eq!(total(&db), 1);
    let public: Vec<String> =
        db.read(|conn| signing::recent_public(conn, &id, 10)).unwrap().into_iter().map(|s| s.name).collect();
    assert_eq!(public, ["Ann"]);
    let refused = db.write(|conn| signing::confirm(conn, "https://signons.example", &pending_token));
    assert!(matches!(refused, Err(signons_signature::SignatureError::TokenInvalid)), "{refused:?}");
    // Signing again with the invalidated address: the usual answer, no email, no count.
    let waiting = |db: &Database| {
        let emails = ctx.emails();
        db.read(move |conn| signons_signature::emails::waiting(conn, &emails)).unwrap().len()
    };
    let before = waiting(&db);
    sign(&db, &ctx, &slug, "Bot", "bot@example.org").await;
    assert_eq!(waiting(&db), before, "no email to an invalidated address");
    // A neighbour on the same network signs and counts.
    signed_from(&db, &ctx, &slug, "Neighbour", "neighbour@example.org", "203.0.113.7").await;
    assert_eq!(total(&db), 2);
    let again = db.write(|conn| invalidation::invalidate(conn, &key, &filter, "test")).unwrap();
    assert_eq!((again.confirmed, again.pending), (1, 0), "only the neighbour was left on that network");
    assert_eq!(total(&db), 1);
}

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(super::TestBackend::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(super::TestBackend::Postgres).await })*
        }
    };
}

on_both_backends!(
    retention_keeps_counts_and_erases_people,
    closed_petitions_refuse_signatures_and_confirmations,
    personal_data_has_a_maximum_age_on_open_petitions,
    signatures_sent_elsewhere_are_purged_too,
    invalidation_takes_out_only_the_chosen_signatures
);
