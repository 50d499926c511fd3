//! The admins' page of people (issue 11): organizers and organizations listed, searched and
//! paged; an admin disables an organizer (no login, sessions and API tokens refused, no
//! reset email) and enables them again, never their own account; only admins reach it.
//! And an account's API tokens die with a password reset or change.

use crate::helpers::{Browser, TestApp, ORGANIZATION, ORGANIZER_EMAIL, ORGANIZER_PASSWORD};
use diesel::prelude::*;
use serde_json::json;
use signons_store::schema::{organizers, sessions};

on_both_backends! {
    an_admin_disables_an_organizer_and_enables_them_again => an_admin_disables_an_organizer_and_enables_them_again_sqlite, an_admin_disables_an_organizer_and_enables_them_again_postgres;
    the_people_page_lists_searches_and_pages => the_people_page_lists_searches_and_pages_sqlite, the_people_page_lists_searches_and_pages_postgres;
    a_password_reset_or_change_revokes_the_api_tokens => a_password_reset_or_change_revokes_the_api_tokens_sqlite, a_password_reset_or_change_revokes_the_api_tokens_postgres;
}

const PAGE: &str = "/admin/people";
const B_EMAIL: &str = "bea@example.org";
const B_ORG: &str = "bea-association";
const NEW_PASSWORD: &str = "a brand new passphrase";

async fn organizer_id(app: &TestApp, email: &'static str) -> String {
    app.read(move |conn| organizers::table.filter(organizers::email.eq(email)).select(organizers::id).first(conn)).await
}

async fn disabled(app: &TestApp, email: &'static str) -> bool {
    app.read(move |conn| {
        organizers::table
            .filter(organizers::email.eq(email))
            .select(organizers::disabled_at.is_not_null())
            .first::<bool>(conn)
    })
    .await
}

async fn login_answer(app: &TestApp, email: &str, password: &str) -> crate::helpers::Response {
    let browser = app.browser();
    let csrf = browser.csrf().await;
    browser.post_form("/login", &[("csrf", &csrf), ("email", email), ("password", password)]).await
}

/// Whether the browser's session is that of a logged-in organizer.
async fn logged_in(browser: &Browser) -> bool {
    let r = browser.get("/dashboard").await;
    match r.status.as_u16() {
        200 => true,
        303 | 401 => false,
        other => panic!("/dashboard answered {other}"),
    }
}

fn petition(title: &str) -> serde_json::Value {
    json!({"title": title, "target": "The city council", "description": "A petition made with an API token.", "goal": 10})
}

async fn an_admin_disables_an_organizer_and_enables_them_again(backend: crate::helpers::Backend) {
    let app = TestApp::spawn(backend).await;
    let (admin, _) = app.admin_browser(PAGE).await;
    let b_token = app.create_organizer(B_EMAIL, B_ORG).await;
    let b_api = app.api_with_token(&b_token);
    b_api.post("/petitions", &petition("Before")).await.expect(201);
    let b = app.browser();
    b.login(B_EMAIL, ORGANIZER_PASSWORD).await;
    let b_id = organizer_id(&app, B_EMAIL).await;
    let admin_id = organizer_id(&app, ORGANIZER_EMAIL).await;

    // A non-admin organizer reaches neither the page nor its buttons, and nothing changes.
    b.get(PAGE).await.expect(403);
    let b_csrf = b.get("/dashboard").await.expect(200).csrf();
    b.post_form(&format!("{PAGE}/{admin_id}/disable"), &[("csrf", &b_csrf)]).await.expect(403);
    assert!(!disabled(&app, ORGANIZER_EMAIL).await);
    assert!(logged_in(&admin).await);

    // The admin's dashboard leads to the page, which has B with a Disable button.
    admin.get("/dashboard").await.expect(200).contains("href=\"/admin/people\"");
    let page = admin.get(PAGE).await;
    let csrf = page.expect(200).contains(B_EMAIL).contains(&format!("action=\"{PAGE}/{b_id}/disable\"")).csrf();
    // Not for the admin's own account; and forged or unknown requests change nothing.
    page.lacks(&format!("action=\"{PAGE}/{admin_id}/disable\""));
    admin.post_form(&format!("{PAGE}/{b_id}/disable"), &[("csrf", "forged")]).await.expect(403);
    admin.post_form(&format!("{PAGE}/not-an-id/disable"), &[("csrf", &csrf)]).await.expect(404);
    assert!(!disabled(&app, B_EMAIL).await);

    let done = admin.post_form(&format!("{PAGE}/{b_id}/disable"), &[("csrf", &csrf)]).await;
    assert_eq!(done.expect(303).location(), format!("{PAGE}?done=disabled"));
    let page = admin.get(&format!("{PAGE}?done=disabled")).await;
    page.expect(200).contains("The account was disabled").contains(&format!("action=\"{PAGE}/{b_id}/enable\""));
    assert!(disabled(&app, B_EMAIL).await);

    // B's session is over at once, their API token is refused, and logging in says why,
    // but only with the right password.
    assert!(!logged_in(&b).await, "a disabled organizer's session is logged out");
    b_api.post("/petitions", &petition("While disabled")).await.expect_error(401, "unauthorized");
    let refused = login_answer(&app, B_EMAIL, ORGANIZER_PASSWORD).await;
    refused.expect(403).contains("This account was disabled by the instance");
    let wrong = login_answer(&app, B_EMAIL, "not the password at all").await;
    wrong.expect(401).contains("Wrong email or password").lacks("disabled");
    let sessions_left: i64 =
        app.read(move |conn| sessions::table.filter(sessions::organizer_id.eq(b_id)).count().get_result(conn)).await;
    assert_eq!(sessions_left, 0, "no session was made for a disabled account");
    let b_id = organizer_id(&app, B_EMAIL).await;

    // A reset request answers as for any address, and sends nothing.
    let visitor = app.browser();
    let csrf_forgot = visitor.get("/password/forgot").await.expect(200).csrf();
    let asked = visitor.post_form("/password/forgot", &[("csrf", &csrf_forgot), ("email", B_EMAIL)]).await;
    asked.expect(200).contains("If an organizer account uses this address");
    app.wait_mail_queue_empty().await;
    assert!(app.outbox_emails().iter().all(|(_, m)| m.to != B_EMAIL), "no reset email to a disabled account");

    // The admin cannot disable themselves: the page says so, and they stay logged in.
    let own = admin.post_form(&format!("{PAGE}/{admin_id}/disable"), &[("csrf", &csrf)]).await;
    own.expect(409).contains("You cannot disable your own account");
    assert!(!disabled(&app, ORGANIZER_EMAIL).await);
    assert!(logged_in(&admin).await);

    // Enabled again: B logs in, and the token works again.
    let done = admin.post_form(&format!("{PAGE}/{b_id}/enable"), &[("csrf", &csrf)]).await;
    assert_eq!(done.expect(303).location(), format!("{PAGE}?done=enabled"));
    admin.get(&format!("{PAGE}?done=enabled")).await.expect(200).contains("The account was enabled");
    assert!(!disabled(&app, B_EMAIL).await);
    app.browser().login(B_EMAIL, ORGANIZER_PASSWORD).await;
    b_api.post("/petitions", &petition("After")).await.expect(201);
    // The old session stays over: disabling ended it.
    assert!(!logged_in(&b).await);
}

async fn the_people_page_lists_searches_and_pages(backend: crate::helpers::Backend) {
    let app = TestApp::spawn(backend).await;
    let (admin, _) = app.admin_browser(PAGE).await;
    let b_token = app.create_organizer(B_EMAIL, B_ORG).await;
    app.api_with_token(&b_token).post("/petitions", &petition("One of Bea's")).await.expect(201);

    // Each organizer with their organizations and roles; each organization with its counts.
    let page = admin.get(PAGE).await;
    page.expect(200).contains(ORGANIZER_EMAIL).contains(B_EMAIL).contains(&format!("href=\"/o/{B_ORG}\""));
    page.contains(&format!("href=\"/o/{ORGANIZATION}\"")).contains("Owner").contains("Active");
    page.lacks("rel=\"next\"");
    // In French, its words are the French messages.
    let fr = app.browser_in("fr");
    fr.login(ORGANIZER_EMAIL, ORGANIZER_PASSWORD).await;
    fr.get(PAGE).await.expect(200).contains("Personnes et organisations").contains("Désactiver");

    // The search box: an organizer's email, an organization's name or slug.
    let found = admin.get(&format!("{PAGE}?q=BEA%40")).await;
    found.expect(200).contains(B_EMAIL).lacks(ORGANIZER_EMAIL).contains("value=\"BEA@\"");
    let found = admin.get(&format!("{PAGE}?q={B_ORG}")).await;
    found.expect(200).contains(&format!("href=\"/o/{B_ORG}\"")).lacks(&format!("href=\"/o/{ORGANIZATION}\""));
    // `%` is searched for, not a wildcard.
    admin.get(&format!("{PAGE}?q=%25")).await.expect(200).lacks(B_EMAIL).contains("Nobody matches.");
    admin.get(&format!("{PAGE}?page=0")).await.expect(400);
    admin.get(&format!("{PAGE}?q={}", "x".repeat(101))).await.expect(400);

    // Many accounts: 50 a page, then a link to the next.
    app.write(|conn| {
        let org: String = signons_store::schema::organizations::table
            .filter(signons_store::schema::organizations::slug.eq(B_ORG))
            .select(signons_store::schema::organizations::id)
            .first(conn)?;
        for i in 0..60 {
            diesel::insert_into(organizers::table)
                .values((
                    organizers::id.eq(signons_store::Id::new().to_string()),
                    organizers::organization_id.eq(&org),
                    organizers::email.eq(format!("member{i:02}@example.org")),
                    organizers::password_hash.eq("not a hash"),
                    organizers::created_at.eq(signons_store::now() + chrono::TimeDelta::seconds(i)),
                    organizers::is_admin.eq(false),
                ))
                .execute(conn)?;
        }
        Ok::<_, diesel::result::Error>(())
    })
    .await;
    let first = admin.get(PAGE).await;
    first.expect(200).contains("member47@example.org").lacks("member48@example.org");
    first.contains("href=\"/admin/people?page=2\"");
    let second = admin.get(&format!("{PAGE}?page=2")).await;
    second.expect(200).contains("member48@example.org").contains("member59@example.org").lacks(ORGANIZER_EMAIL);
    second.contains("rel=\"prev\"").lacks("rel=\"next\"");
    let searched = admin.get(&format!("{PAGE}?q=member")).await;
    searched.expect(200).contains("href=\"/admin/people?q=member&amp;page=2\"");
}

async fn a_password_reset_or_change_revokes_the_api_tokens(backend: crate::helpers::Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.organizer_token().await;
    let api = app.api_with_token(&token);
    api.post("/petitions", &petition("With the token")).await.expect(201);

    // Reset by the emailed link: the token dies with the old password.
    let visitor = app.browser();
    let csrf = visitor.get("/password/forgot").await.expect(200).csrf();
    visitor.post_form("/password/forgot", &[("csrf", &csrf), ("email", ORGANIZER_EMAIL)]).await.expect(200);
    let mail = app.next_email_to(ORGANIZER_EMAIL).await;
    let prefix = format!("{}/password/reset/", app.url);
    let link = mail.links(&prefix).into_iter().next().expect("a reset link");
    let path = link.strip_prefix(&app.url).unwrap();
    let csrf = visitor.get(path).await.expect(200).csrf();
    visitor
        .post_form(path, &[("csrf", &csrf), ("new_password", NEW_PASSWORD), ("new_password_again", NEW_PASSWORD)])
        .await
        .expect(200);
    api.post("/petitions", &petition("After the reset")).await.expect_error(401, "unauthorized");

    // A change on the account page: a new token dies too; the session that changed it stays.
    let browser = app.browser();
    browser.login(ORGANIZER_EMAIL, NEW_PASSWORD).await;
    let csrf = browser.get("/account").await.expect(200).csrf();
    let created = browser
        .post_form("/account/tokens", &[("csrf", &csrf), ("name", "Deploy robot"), ("expires_in_days", "")])
        .await;
    let second =
        created.expect(200).body.split("<code id=\"new-token\">").nth(1).and_then(|s| s.split('<').next()).unwrap();
    let second = app.api_with_token(second);
    second.post("/petitions", &petition("With the second token")).await.expect(201);
    let changed = browser
        .post_form(
            "/account/password",
            &[
                ("csrf", &csrf),
                ("current_password", NEW_PASSWORD),
                ("new_password", ORGANIZER_PASSWORD),
                ("new_password_again", ORGANIZER_PASSWORD),
            ],
        )
        .await;
    changed.expect(200).contains("Your password was changed").lacks("Deploy robot");
    second.post("/petitions", &petition("After the change")).await.expect_error(401, "unauthorized");
    assert!(logged_in(&browser).await);
}
