//! Moderation (issue 11): a visitor reports a petition, the admin sees the report in the
//! queue and hides the petition with a reason (410 with the reason, out of the lists and
//! the API, signing refused), then unhides it; reports with bad input are refused, and an
//! organizer who is not the admin reaches none of it.

use crate::helpers::*;
use diesel::prelude::*;
use signons_store::schema::{petitions, reports};

on_both_backends! {
    a_report_reaches_the_queue_and_hiding_takes_the_petition_down => report_hide_sqlite, report_hide_postgres;
    bad_reports_are_refused_and_store_nothing => bad_reports_sqlite, bad_reports_postgres;
    only_the_admin_moderates => only_admin_sqlite, only_admin_postgres;
}

const QUEUE: &str = "/admin/moderation";
const OTHER_EMAIL: &str = "second@example.org";
const REASON: &str = "Collecting signatures for a scam";

async fn report_rows(app: &TestApp) -> i64 {
    app.read(|conn| reports::table.count().get_result(conn)).await
}

async fn status(app: &TestApp, slug: &str) -> String {
    let slug = slug.to_owned();
    app.read(move |conn| petitions::table.filter(petitions::slug.eq(slug)).select(petitions::status).first(conn)).await
}

/// A visitor's report through the form on the petition's report page.
async fn report(app: &TestApp, slug: &str, reason: &str, details: &str) -> Response {
    let visitor = app.browser();
    let path = format!("/p/{slug}/report");
    let csrf = visitor.get(&path).await.expect(200).csrf();
    visitor.post_form(&path, &[("csrf", &csrf), ("reason", reason), ("details", details)]).await
}

async fn a_report_reaches_the_queue_and_hiding_takes_the_petition_down(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = app.create_petition("Save the old oak", true).await;
    let visitor = app.browser();
    visitor.get(&format!("/p/{slug}")).await.expect(200).contains(&format!("href=\"/p/{slug}/report\""));
    visitor
        .get(&format!("/p/{slug}/report"))
        .await
        .expect(200)
        .contains("neither your email nor your address is stored");

    let sent = report(&app, &slug, "spam", "The same text on ten petitions").await;
    assert_eq!(sent.expect(303).location(), format!("/p/{slug}/report?done=1"));
    report(&app, &slug, "misleading", "").await.expect(303);
    assert_eq!(report_rows(&app).await, 2);

    let (admin, csrf) = app.admin_browser(QUEUE).await;
    admin
        .get(QUEUE)
        .await
        .expect(200)
        .contains("Save the old oak")
        .contains("2 reports")
        .contains("Spam (1)")
        .contains("Misleading (1)")
        .contains("The same text on ten petitions");

    // Hiding asks for a reason.
    let fields = [("csrf", csrf.as_str()), ("action", "hide"), ("slug", slug.as_str()), ("hidden_reason", "")];
    admin.post_form(QUEUE, &fields).await.expect(422);
    assert_eq!(status(&app, &slug).await, "open");

    let fields = [("csrf", csrf.as_str()), ("action", "hide"), ("slug", slug.as_str()), ("hidden_reason", REASON)];
    assert_eq!(admin.post_form(QUEUE, &fields).await.expect(303).location(), format!("{QUEUE}?done=hide"));
    assert_eq!(status(&app, &slug).await, "hidden");
    // Its reports were dealt with: the queue is empty, the petition is listed as hidden.
    admin.get(QUEUE).await.expect(200).contains("No open report.").contains(REASON);

    // Visitors: 410 with the reason; not on the home page, the listing nor the API.
    app.browser()
        .get(&format!("/p/{slug}"))
        .await
        .expect(410)
        .contains(&format!("This petition was hidden by the moderators of this instance: {REASON}"));
    app.browser().get("/").await.expect(200).lacks("Save the old oak");
    app.browser().get("/petitions").await.expect(200).lacks("Save the old oak");
    app.public_api().get(&format!("/petitions/{slug}")).await.expect(410);
    // Other servers get a Tombstone too: what the moderators hid is not handed on.
    let actor = send(
        app.public_api().client.get(format!("{}/p/{slug}", app.url)).header("accept", "application/activity+json"),
    )
    .await;
    assert_eq!(actor.expect(410).json()["type"], "Tombstone");
    // Its organizers cannot change it while it is hidden: the change would go out to followers.
    let edit = app
        .api()
        .await
        .client
        .patch(format!("{}/api/v1/petitions/{slug}", app.url))
        .bearer_auth(app.organizer_token().await)
        .json(&serde_json::json!({ "title": "Renamed while hidden" }));
    send(edit).await.expect_error(409, "invalid_state");
    app.public_api().get(&format!("/petitions/{slug}")).await.expect(410);
    assert!(app
        .read(move |conn| petitions::table.select(petitions::title).load::<String>(conn))
        .await
        .iter()
        .all(|t| t != "Renamed while hidden"));
    let list = app.public_api().get("/petitions").await.expect(200).json();
    assert!(!list.to_string().contains("Save the old oak"), "{list}");
    // Signing is refused, and nothing is stored; reporting it again too.
    app.sign(&slug, "Ada", "ada@example.net").await.expect(410);
    let visitor = app.browser();
    let csrf_v = visitor.csrf().await;
    let fields = [("csrf", csrf_v.as_str()), ("name", "Ada"), ("email", "ada@example.net")];
    visitor.post_form(&format!("/p/{slug}/sign"), &fields).await.expect(410).contains(REASON);
    assert_eq!(app.db_count(&slug).await, 0);
    app.browser().get(&format!("/p/{slug}/report")).await.expect(410);

    // The organizer sees it on their dashboard, with the reason.
    admin.get("/dashboard").await.expect(200).contains("Hidden by the moderators").contains(REASON);

    // Unhiding puts it back as it was: open, listed, signable.
    let fields = [("csrf", csrf.as_str()), ("action", "unhide"), ("slug", slug.as_str())];
    assert_eq!(admin.post_form(QUEUE, &fields).await.expect(303).location(), format!("{QUEUE}?done=unhide"));
    assert_eq!(status(&app, &slug).await, "open");
    app.browser().get(&format!("/p/{slug}")).await.expect(200).lacks(REASON);
    app.browser().get("/").await.expect(200).contains("Save the old oak");
    app.sign(&slug, "Ada", "ada@example.net").await.expect(202);
    let actor = send(
        app.public_api().client.get(format!("{}/p/{slug}", app.url)).header("accept", "application/activity+json"),
    )
    .await;
    assert_eq!(actor.expect(200).json()["type"], "Group");
}

async fn bad_reports_are_refused_and_store_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = app.create_petition("Save the old oak", true).await;
    let path = format!("/p/{slug}/report");
    report(&app, &slug, "boring", "").await.expect(422).contains("Please choose a reason");
    // The instance's own reason is not a visitor's to give, nor offered.
    report(&app, &slug, "edited", "").await.expect(422).contains("Please choose a reason");
    app.browser().get(&format!("/p/{slug}/report")).await.expect(200).lacks("value=\"edited\"");
    report(&app, &slug, "other", &"x".repeat(5_000)).await.expect(422);
    let visitor = app.browser();
    visitor.post_form(&path, &[("csrf", "forged"), ("reason", "spam")]).await.expect(403);
    // A draft cannot be reported (nobody can see it).
    let draft = app.create_petition("Not yet", false).await;
    app.browser().get(&format!("/p/{draft}/report")).await.expect(404);
    assert_eq!(report_rows(&app).await, 0);
    // The honeypot: thanked, nothing stored.
    let csrf = visitor.get(&path).await.expect(200).csrf();
    let r = visitor.post_form(&path, &[("csrf", &csrf), ("reason", "spam"), ("topic", "buy now")]).await;
    r.expect(303);
    assert_eq!(report_rows(&app).await, 0);
}

async fn only_the_admin_moderates(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = app.create_petition("Save the old oak", true).await;
    app.create_organizer(OTHER_EMAIL, "second-association").await;
    report(&app, &slug, "spam", "").await.expect(303);

    let organizer = app.browser();
    organizer.login(OTHER_EMAIL, ORGANIZER_PASSWORD).await;
    organizer.get("/dashboard").await.expect(200).lacks("href=\"/admin/moderation\"");
    organizer.get(QUEUE).await.expect(403).lacks("Save the old oak");
    let csrf = organizer.csrf().await;
    for action in ["hide", "dismiss", "unhide"] {
        let fields = [("csrf", csrf.as_str()), ("action", action), ("slug", slug.as_str()), ("hidden_reason", REASON)];
        organizer.post_form(QUEUE, &fields).await.expect(403);
    }
    assert_eq!(status(&app, &slug).await, "open");

    // The admin dismisses: the petition stays as it is, the queue empties.
    let (admin, csrf) = app.admin_browser(QUEUE).await;
    admin.get("/dashboard").await.expect(200).contains("href=\"/admin/moderation\"");
    let fields = [("csrf", csrf.as_str()), ("action", "dismiss"), ("slug", slug.as_str())];
    admin.post_form(QUEUE, &fields).await.expect(303);
    admin.get(QUEUE).await.expect(200).contains("No open report.");
    assert_eq!(status(&app, &slug).await, "open");
    // An unknown action, or a forged token: 4xx, nothing changes.
    admin.post_form(QUEUE, &[("csrf", csrf.as_str()), ("action", "explode")]).await.expect(400);
    let fields = [("csrf", "forged"), ("action", "hide"), ("slug", slug.as_str()), ("hidden_reason", REASON)];
    admin.post_form(QUEUE, &fields).await.expect(403);
    assert_eq!(status(&app, &slug).await, "open");
}
