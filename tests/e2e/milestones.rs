//! Milestone messages (issue 11): the organizers write ahead what to say at a milestone; it
//! is added to the milestone's note on the page when the petition passes it. Only the
//! petition's organizers set them, and a wrong one saves nothing.

use crate::helpers::*;
use serde_json::json;

on_both_backends! {
    a_message_written_ahead_shows_with_its_milestone => message_shown_sqlite, message_shown_postgres;
    milestone_messages_are_refused_where_they_should_be => messages_refused_sqlite, messages_refused_postgres;
}

const TITLE: &str = "Lights on the river path";

async fn petition_with_goal(app: &TestApp, goal: i64) -> String {
    app.create_petition_with(json!({
        "title": TITLE,
        "target": "The city council",
        "description": "The path along the river is dark from five in the evening in winter.",
        "goal": goal,
        "publish": true,
    }))
    .await
}

async fn a_message_written_ahead_shows_with_its_milestone(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = petition_with_goal(&app, 1).await;
    let path = format!("/p/{slug}/milestones");
    let (b, _) = app.admin_browser("/dashboard").await;
    let form = b.get(&path).await;
    form.expect(200).contains("At 1 signature").contains("At 100 signatures").contains("At 1,000 signatures");
    let csrf = form.csrf();
    let saved = b.post_form(&path, &[("csrf", &csrf), ("m1", "Thank you! We meet the council on **Friday**.")]).await;
    assert_eq!(saved.expect(303).location(), format!("{path}?saved"));
    b.get(&format!("{path}?saved"))
        .await
        .expect(200)
        .contains("The milestone messages are saved.")
        .contains("We meet the council on **Friday**.");

    // The goal is reached: its note, with the message, is on the page.
    let mail = app.sign_and_read_email(&slug, "Ada", "ada@example.org").await;
    app.browser().follow_and_press(&mail.confirm_link(&app.url)).await.expect(200);
    app.browser()
        .page_until(&format!("/p/{slug}"), "the goal's note", |r| r.body.contains("reached its goal"))
        .await
        .contains("We meet the council on <strong>Friday</strong>.");

    // Emptied, the message is gone from the form.
    b.post_form(&path, &[("csrf", &csrf), ("m1", "  ")]).await.expect(303);
    b.get(&path).await.expect(200).lacks("Friday");
}

async fn milestone_messages_are_refused_where_they_should_be(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = petition_with_goal(&app, 250).await;
    let path = format!("/p/{slug}/milestones");
    let (b, _) = app.admin_browser("/dashboard").await;
    let csrf = b.get(&path).await.expect(200).contains("At 250 signatures").csrf();
    // One too long: nothing is saved, the form comes back as typed.
    let long = "x".repeat(2_001);
    let r = b.post_form(&path, &[("csrf", &csrf), ("m100", "Kept?"), ("m250", &long)]).await;
    r.expect(422).contains("At most 2,000 characters.").contains("Kept?");
    b.get(&path).await.expect(200).lacks("Kept?");
    // A forged form changes nothing.
    b.post_form(&path, &[("csrf", "forged"), ("m100", "Forged")]).await.expect(403);

    // The API: a number that is not a milestone of this petition is refused.
    let api = app.api().await;
    let bad = api.post(&format!("/petitions/{slug}/milestones"), &json!({ "at": 150, "text": "Half way" })).await;
    bad.expect_error(422, "invalid_input");
    api.post(&format!("/petitions/{slug}/milestones"), &json!({ "at": 100, "text": "A hundred!" })).await.expect(200);
    b.get(&path).await.expect(200).contains("A hundred!").lacks("Forged");

    // Another organization's organizer reaches neither.
    let token = app.create_organizer("second@example.org", "second-association").await;
    let other = app.api_with_token(&token);
    let r = other.post(&format!("/petitions/{slug}/milestones"), &json!({ "at": 100, "text": "Taken over" })).await;
    assert!(matches!(r.status.as_u16(), 403 | 404), "{}", r.status);
    let browser = app.browser();
    browser.login("second@example.org", ORGANIZER_PASSWORD).await;
    assert!(matches!(browser.get(&path).await.status.as_u16(), 403 | 404));
    b.get(&path).await.expect(200).contains("A hundred!").lacks("Taken over");
}
