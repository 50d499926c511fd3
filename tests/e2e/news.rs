//! News emailed to a petition's confirmed signers who asked it (issue 11): who gets it, in
//! which language, with the one-click unsubscribe headers (RFC 8058); the unsubscribe link
//! (one click by POST, a page with a button by GET, a clear 404 for a bad link); and a
//! fan-out run again sends nobody anything twice.

use crate::helpers::*;
use crate::mail::Mail;
use diesel::prelude::*;
use serde_json::json;
use signons_store::schema::news_mailings;

on_both_backends! {
    news_reaches_the_opted_in_signers_once_each => news_emails_sqlite, news_emails_postgres;
}

const TITLE: &str = "Trees for the schoolyard";

/// Signs with `body`, in `lang`, and returns the confirmation email.
async fn sign(app: &TestApp, slug: &str, lang: &str, body: serde_json::Value) -> Mail {
    let email = body["email"].as_str().unwrap().to_owned();
    let request =
        app.public_api().post_builder(&format!("/petitions/{slug}/signatures")).header("accept-language", lang);
    send(request.json(&body)).await.expect(202);
    app.next_email_to(&email).await
}

async fn sign_and_confirm(app: &TestApp, slug: &str, lang: &str, name: &str, email: &str, opt_in: bool) {
    let mail = sign(app, slug, lang, json!({ "name": name, "email": email, "public": true, "opt_in": opt_in })).await;
    app.browser().follow_and_press(&mail.confirm_link(&app.url)).await.expect(200);
}

async fn post_news(app: &TestApp, slug: &str, text: &str) {
    app.api().await.post(&format!("/petitions/{slug}/news"), &json!({ "text": text })).await.expect(201);
}

/// The news emails sent so far, by recipient.
fn news_sent(app: &TestApp, to: &str) -> Vec<Mail> {
    app.outbox_emails()
        .into_iter()
        .map(|(_, m)| m)
        .filter(|m| {
            m.to == to
                && m.subject.contains(TITLE)
                && (m.subject.starts_with("News") || m.subject.starts_with("Nouvelles"))
        })
        .collect()
}

async fn news_reaches_the_opted_in_signers_once_each(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = app.create_petition(TITLE, true).await;
    let (ada, bea, cy, dan) = ("ada@example.org", "bea@example.org", "cy@example.org", "dan@example.org");
    sign_and_confirm(&app, &slug, "en", "Ada", ada, true).await;
    sign_and_confirm(&app, &slug, "fr", "Béa", bea, true).await;
    sign_and_confirm(&app, &slug, "en", "Cy", cy, false).await;
    // Pending: asked news, never confirmed.
    sign(&app, &slug, "en", json!({ "name": "Dan", "email": dan, "public": true, "opt_in": true })).await;

    post_news(&app, &slug, "The council **agreed** to plant 40 trees.").await;
    let to_ada = app.next_email_to(ada).await;
    let to_bea = app.next_email_to(bea).await;
    app.wait_mail_queue_empty().await;
    assert_eq!(to_ada.subject, format!("News: {TITLE}"));
    assert_eq!(to_bea.subject, format!("Nouvelles\u{a0}: {TITLE}"), "in the signer's language");
    assert!(to_bea.text().contains("Bonjour Béa"), "{}", to_bea.text());
    assert!(to_ada.text().contains("The council **agreed** to plant 40 trees."), "{}", to_ada.text());
    assert!(to_ada.html().contains("<strong>agreed</strong>"), "{}", to_ada.html());
    assert!(to_ada.text().contains(&format!("{}/p/{slug}", app.url)), "a link to the petition");
    assert!(news_sent(&app, cy).is_empty(), "Cy did not ask news");
    assert!(news_sent(&app, dan).is_empty(), "Dan never confirmed");

    let (ada_link, bea_link) = (to_ada.unsubscribe_link(&app.url), to_bea.unsubscribe_link(&app.url));
    assert_ne!(ada_link, bea_link);

    // A link scanner fetches Béa's link: it shows a button and unsubscribes nobody.
    let page = app.browser_in("fr").get(bea_link.strip_prefix(&app.url).unwrap()).await;
    page.expect(200).contains("Ne plus recevoir de nouvelles").contains("List-Unsubscribe");
    // Ada's mail client posts the one-click unsubscribe: no cookie, no CSRF token.
    let one_click = reqwest::Client::new()
        .post(&ada_link)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click");
    send(one_click).await.expect(200).contains("You will get no more news");
    // A bad link is a page that says so, not an error.
    let bad = app.browser().get("/u/not-a-link").await;
    bad.expect(404);
    let (_, token) = ada_link.rsplit_once('.').unwrap();
    app.browser().get(&format!("/u/{}.{token}", signons_store::Id::new())).await.expect(404);

    post_news(&app, &slug, "Planting starts on Saturday.").await;
    let second = app.next_email_to(bea).await;
    assert!(second.text().contains("Planting starts on Saturday."), "{}", second.text());
    app.wait_mail_queue_empty().await;
    assert_eq!(news_sent(&app, ada).len(), 1, "Ada unsubscribed after the first news");
    assert_eq!(news_sent(&app, bea).len(), 2, "Béa only opened her link");

    // The fan-out of the second news runs again, as after a crash before its job was
    // recorded done: nobody gets it twice.
    let post: String = app
        .write(|conn| {
            let post = news_mailings::table
                .order(news_mailings::created_at.desc())
                .select(news_mailings::post_id)
                .first::<String>(conn)?;
            diesel::update(news_mailings::table.filter(news_mailings::post_id.eq(&post)))
                .set(news_mailings::done_at.eq(None::<chrono::NaiveDateTime>))
                .execute(conn)?;
            Ok(post)
        })
        .await;
    let fan_out = json!({ "fan_out": { "kind": "news", "post": post } });
    app.state
        .db
        .write_async(move |conn| signons_store::jobs::enqueue(conn, signons_store::jobs::Queue::Email, None, &fan_out))
        .await
        .unwrap();
    app.state.signing.queue.wake();
    app.wait_mail_queue_empty().await;
    assert_eq!(news_sent(&app, bea).len(), 2, "the fan-out run again sent nothing");
    assert_eq!(news_sent(&app, ada).len(), 1);
}
