//! The decision maker's response (issue 11): posted by the petition's organizers on the web
//! or through the API, shown at the top of the petition, given by the API, replaced by a
//! later one, said as news to the signers who asked news; refused for a draft, shown again
//! with its errors, and refused to another organization, which changes nothing.

use crate::helpers::*;
use serde_json::json;

on_both_backends! {
    the_response_shows_at_the_top_and_reaches_the_signers => response_shown_sqlite, response_shown_postgres;
    a_response_is_refused_where_it_cannot_be_given => response_refused_sqlite, response_refused_postgres;
}

const TITLE: &str = "A crossing by the school";
const OTHER_EMAIL: &str = "someone@other.example.org";

async fn organizer(app: &TestApp) -> (Browser, String) {
    app.organizer_token().await;
    let b = app.browser();
    b.login(ORGANIZER_EMAIL, ORGANIZER_PASSWORD).await;
    let csrf = b.get("/dashboard").await.expect(200).csrf();
    (b, csrf)
}

async fn the_response_shows_at_the_top_and_reaches_the_signers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = app.create_petition(TITLE, true).await;
    let mail = app
        .sign_with(&slug, json!({ "name": "Ada", "email": "ada@example.org", "public": true, "opt_in": true }))
        .await;
    mail.expect(202);
    let confirm = app.next_email_to("ada@example.org").await;
    app.browser().follow_and_press(&confirm.confirm_link(&app.url)).await.expect(200);

    let (b, csrf) = organizer(&app).await;
    b.get(&format!("/p/{slug}")).await.expect(200).contains(&format!("href=\"/p/{slug}/response\""));
    b.get(&format!("/p/{slug}/response")).await.expect(200).contains("Who answered").lacks_foreign_script();

    // Bad input comes back as typed, with each field marked.
    let bad =
        b.post_form(&format!("/p/{slug}/response"), &[("csrf", &csrf), ("responder", ""), ("text", "Maybe.")]).await;
    bad.expect(422).contains("Maybe.").contains("id=\"responder-error\"").contains("id=\"text-error\"");

    let text = "We will build the crossing **before September**. <script>x()</script>";
    let posted = b
        .post_form(
            &format!("/p/{slug}/response"),
            &[("csrf", &csrf), ("responder", "The Mayor of Lyon"), ("text", text)],
        )
        .await;
    assert_eq!(posted.expect(303).location(), format!("/p/{slug}#response-title"));

    // At the top of the page, before the title, for everyone.
    let page = app.browser().get(&format!("/p/{slug}")).await;
    page.expect(200).contains("The response of The Mayor of Lyon").contains("<strong>before September</strong>");
    page.lacks("<script>x()").lacks_foreign_script();
    let (response_at, title_at) =
        (page.body.find("id=\"response-title\"").unwrap(), page.body.find(&format!("<h1>{TITLE}</h1>")).unwrap());
    assert!(response_at < title_at, "the response comes before the petition's title");
    let fr = app.browser_in("fr").get(&format!("/p/{slug}")).await;
    fr.expect(200).contains("La réponse de The Mayor of Lyon");

    // Said as news to the signer who asked it, headed by who answered.
    let news = app.next_email_to("ada@example.org").await;
    assert!(news.subject.contains(TITLE), "{}", news.subject);
    assert!(news.text().contains("The Mayor of Lyon"), "{}", news.text());
    assert!(news.html().contains("<strong>before September</strong>"), "{}", news.html());

    // The API gives it, and a new one replaces it.
    let api = app.api().await;
    let got = api.get(&format!("/petitions/{slug}")).await.expect(200).json();
    assert_eq!(got["response"]["responder"], "The Mayor of Lyon");
    assert!(got["response"]["text"].as_str().unwrap().starts_with("We will build"), "{got}");
    // So do the list, and the answer to a change.
    let list = app.public_api().get("/petitions").await.expect(200).json();
    let listed = list["petitions"].as_array().unwrap().iter().find(|p| p["slug"] == slug.as_str()).cloned();
    assert_eq!(listed.unwrap()["response"]["responder"], "The Mayor of Lyon", "{list}");
    let closed = api.post(&format!("/petitions/{slug}/close"), &json!({})).await.expect(200).json();
    assert_eq!(closed["response"]["responder"], "The Mayor of Lyon", "{closed}");
    api.post(&format!("/petitions/{slug}/reopen"), &json!({})).await.expect(200);
    let again = api
        .post(
            &format!("/petitions/{slug}/response"),
            &json!({ "responder": "The Deputy Mayor", "text": "The works start on **1 June**." }),
        )
        .await;
    let again = again.expect(201).json();
    assert_eq!(again["responder"], "The Deputy Mayor");
    assert!(again["news"].as_str().unwrap().starts_with(&app.url), "{again}");
    let page = app
        .browser()
        .page_until(&format!("/p/{slug}"), "the new response", |r| r.body.contains("The Deputy Mayor"))
        .await;
    page.lacks("The response of The Mayor of Lyon").contains("<strong>1 June</strong>");
    // The form shows the response in place, to be corrected.
    b.get(&format!("/p/{slug}/response")).await.expect(200).contains("value=\"The Deputy Mayor\"");
}

async fn a_response_is_refused_where_it_cannot_be_given(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let open = app.create_petition(TITLE, true).await;
    let draft = app.create_petition("Benches in the square", false).await;
    let api = app.api().await;
    let body = json!({ "responder": "The Mayor", "text": "We have read your petition carefully." });
    api.post(&format!("/petitions/{draft}/response"), &body).await.expect_error(409, "invalid_state");
    let invalid = api.post(&format!("/petitions/{open}/response"), &json!({ "responder": "X", "text": "" })).await;
    assert_eq!(invalid.invalid_fields(), ["responder", "text"]);

    let other_token = app.create_organizer(OTHER_EMAIL, "other-association").await;
    let other = app.browser();
    other.login(OTHER_EMAIL, ORGANIZER_PASSWORD).await;
    let csrf = other.get("/dashboard").await.expect(200).csrf();
    let rows = app.snapshot().await;
    let r = other.get(&format!("/p/{open}/response")).await;
    assert!([403, 404].contains(&r.status.as_u16()), "GET: {}", r.status);
    let r = other
        .post_form(
            &format!("/p/{open}/response"),
            &[("csrf", &csrf), ("responder", "Somebody else"), ("text", "An answer nobody gave at all.")],
        )
        .await;
    assert!([403, 404].contains(&r.status.as_u16()), "POST: {}", r.status);
    app.api_with_token(&other_token)
        .post(&format!("/petitions/{open}/response"), &body)
        .await
        .expect_error(403, "forbidden");
    app.public_api().post(&format!("/petitions/{open}/response"), &body).await.expect(401);
    app.assert_unchanged(&rows).await;
    app.browser().get(&format!("/p/{open}")).await.expect(200).lacks("id=\"response-title\"");
    assert_eq!(
        app.browser().get(&format!("/p/{open}/response")).await.expect(303).location(),
        format!("/login?next=%2Fp%2F{open}%2Fresponse")
    );
}
