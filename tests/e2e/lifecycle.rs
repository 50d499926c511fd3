//! Onboarding and a petition's life once published (issue 11): the organizer lands on the
//! dashboard, which says what to do first; a published petition is edited (page, API,
//! federation); closing asks first and reopening undoes it; a victory is declared with a
//! message; and an organizer of another organization changes none of it.

use crate::federation::{follow, host, instance, remote_petition};
use crate::helpers::*;
use diesel::prelude::*;
use serde_json::json;
use signons_store::schema::petitions;

on_both_backends! {
    login_lands_on_a_dashboard_that_says_what_to_do_first => onboarding_sqlite, onboarding_postgres;
    a_published_petition_is_edited => published_edit_sqlite, published_edit_postgres;
    closing_asks_first_and_reopening_undoes_it => close_reopen_sqlite, close_reopen_postgres;
    a_won_petition_shows_its_victory_and_stops_signing => won_sqlite, won_postgres;
    another_organization_changes_nothing => permissions_sqlite, permissions_postgres;
    edits_and_victories_reach_other_instances => lifecycle_federation_sqlite, lifecycle_federation_postgres;
}

const OTHER_EMAIL: &str = "someone@other.example";

fn in_days(days: u64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Days::new(days)).to_string()
}

/// The day `days` from today as a petition page writes it in `locale` ("3 December 2026").
fn written_in_days(locale: signons_render::Locale, days: u64) -> String {
    signons_render::format_date(locale, chrono::Utc::now().date_naive() + chrono::Days::new(days))
}

/// The organizer, logged in, and a CSRF token of theirs.
async fn organizer(app: &TestApp) -> (Browser, String) {
    app.organizer_token().await;
    let b = app.browser();
    b.login(ORGANIZER_EMAIL, ORGANIZER_PASSWORD).await;
    let csrf = b.get("/dashboard").await.expect(200).csrf();
    (b, csrf)
}

/// A published petition with an end date, through the API.
async fn published(app: &TestApp, title: &str) -> String {
    app.create_petition_with(json!({
        "title": title,
        "target": "The city council",
        "description": "The park is **ours**: keep it green for the children of the neighbourhood.",
        "goal": 100,
        "end_date": in_days(30),
        "publish": true,
    }))
    .await
}

/// What the database holds of a petition: what an edit, a close, a reopening or a victory
/// would change.
type Stored = (String, String, String, i64, String, Option<chrono::NaiveDateTime>, Option<String>);

async fn stored(app: &TestApp, slug: &str) -> Stored {
    let slug = slug.to_owned();
    app.read(move |conn| {
        petitions::table
            .filter(petitions::slug.eq(slug))
            .select((
                petitions::title,
                petitions::target,
                petitions::description_md,
                petitions::goal,
                petitions::status,
                petitions::end_at,
                petitions::victory_md,
            ))
            .first(conn)
    })
    .await
}

async fn login_lands_on_a_dashboard_that_says_what_to_do_first(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.organizer_token().await;
    let b = app.browser();
    // The login page as the menu links it (no `next`): the dashboard comes after it.
    let csrf = b.get("/login").await.expect(200).csrf();
    let r =
        b.post_form("/login", &[("csrf", &csrf), ("email", ORGANIZER_EMAIL), ("password", ORGANIZER_PASSWORD)]).await;
    r.expect(303);
    assert_eq!(r.location(), "/dashboard");
    // So does the form as it is shown, with its empty `next`.
    let b = app.browser();
    let page = b.get("/login").await;
    let csrf = page.expect(200).csrf();
    assert_eq!(hidden_field(&page.body, "next").as_deref(), Some(""));
    let r = b
        .post_form(
            "/login",
            &[("csrf", &csrf), ("email", ORGANIZER_EMAIL), ("password", ORGANIZER_PASSWORD), ("next", "")],
        )
        .await;
    assert_eq!(r.expect(303).location(), "/dashboard");
    // A page that asked for the login still comes back.
    let b = app.browser();
    let csrf = b.get("/login?next=%2Fpetitions%2Fnew").await.expect(200).csrf();
    let r = b
        .post_form(
            "/login",
            &[
                ("csrf", &csrf),
                ("email", ORGANIZER_EMAIL),
                ("password", ORGANIZER_PASSWORD),
                ("next", "/petitions/new"),
            ],
        )
        .await;
    assert_eq!(r.expect(303).location(), "/petitions/new");

    // An empty dashboard says what to do first, with the button, in English and French.
    b.get("/dashboard")
        .await
        .expect(200)
        .contains("Start your first petition")
        .contains("You have no petitions yet.")
        .contains("<a class=\"button primary\" href=\"/petitions/new\">Create your first petition</a>");
    let fr = app.browser_in("fr");
    fr.login(ORGANIZER_EMAIL, ORGANIZER_PASSWORD).await;
    fr.get("/dashboard")
        .await
        .expect(200)
        .contains("Lancez votre première pétition")
        .contains("Créer votre première pétition");

    // Once there is a petition, the list instead.
    app.create_petition("Save the old oak tree", false).await;
    b.get("/dashboard").await.expect(200).lacks("Start your first petition").contains("Save the old oak tree");
}

async fn a_published_petition_is_edited(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = published(&app, "Keep the park green").await;
    let (b, csrf) = organizer(&app).await;
    let public = app.browser();
    // Seen once, so the page and the snapshot are in the caches.
    public.get(&format!("/p/{slug}")).await.expect(200).contains("Keep the park green").lacks("Updated on");

    let edit = b.get(&format!("/p/{slug}/edit")).await;
    edit.expect(200).contains("Edit the petition").lacks("name=\"ask_country\"");
    assert_eq!(input_value(&edit.body, "title").as_deref(), Some("Keep the park green"));
    let form = |title: &str, goal: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("title", title.to_owned()),
            ("target", "The mayor".to_owned()),
            ("description", "The park is ours, and the mayor can keep it green for good.".to_owned()),
            ("goal", goal.to_owned()),
            ("end_date", in_days(60)),
            ("action", "save".to_owned()),
        ]
    };
    // Refused: the page again, with what was typed.
    let bad = b.post_form(&format!("/p/{slug}/edit"), &refs(&form("No", "lots"))).await;
    bad.expect(422).contains("Edit the petition").contains("The park is ours, and the mayor can keep it green");
    assert_eq!(input_value(&bad.body, "goal").as_deref(), Some("lots"));
    assert_eq!(input_value(&bad.body, "target").as_deref(), Some("The mayor"));
    assert_eq!(app.petition(&slug).await["title"], "Keep the park green");

    let saved = b.post_form(&format!("/p/{slug}/edit"), &refs(&form("Keep the whole park green", "250"))).await;
    assert_eq!(saved.expect(303).location(), format!("/p/{slug}"));
    // At once, for everyone, under the same address.
    public
        .get(&format!("/p/{slug}"))
        .await
        .expect(200)
        .contains("Keep the whole park green")
        .contains("To: The mayor")
        .contains(&format!("Updated on {}", written_in_days(signons_render::Locale::En, 0)))
        .contains(&format!("Closes on {}", written_in_days(signons_render::Locale::En, 60)));
    let p = app.petition(&slug).await;
    assert_eq!(
        (p["title"].as_str(), p["goal"].as_i64(), p["status"].as_str()),
        (Some("Keep the whole park green"), Some(250), Some("open"))
    );
    assert!(p["edited_at"].as_str().is_some(), "{p}");
    // The French page says it too.
    app.browser_in("fr")
        .get(&format!("/p/{slug}"))
        .await
        .expect(200)
        .contains(&format!("Mise à jour le {}", written_in_days(signons_render::Locale::Fr, 0)));

    // The API: only what is sent changes.
    let api = app.api().await;
    let r = send(
        api.client
            .patch(format!("{}/api/v1/petitions/{slug}", app.url))
            .bearer_auth(api.token.as_deref().unwrap())
            .json(&json!({ "goal": 400, "end_date": null })),
    )
    .await;
    let p = r.expect(200).json();
    assert_eq!(p["goal"], 400);
    assert_eq!(p["title"], "Keep the whole park green");
    assert!(p["end_date"].is_null(), "{p}");
    assert_eq!(p["slug"], slug.as_str());
    let r = send(
        api.client
            .patch(format!("{}/api/v1/petitions/{slug}", app.url))
            .bearer_auth(api.token.as_deref().unwrap())
            .json(&json!({ "goal": "lots", "title": "x" })),
    )
    .await;
    assert_eq!(r.invalid_fields(), ["title", "goal"]);
    let r = send(
        api.client
            .patch(format!("{}/api/v1/petitions/no-such-one", app.url))
            .bearer_auth(api.token.as_deref().unwrap())
            .json(&json!({ "goal": 5 })),
    )
    .await;
    r.expect_error(404, "not_found");
    assert_eq!(app.petition(&slug).await["goal"], 400);
}

async fn closing_asks_first_and_reopening_undoes_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = published(&app, "Light the bike path").await;
    let (b, csrf) = organizer(&app).await;

    // The petition's button leads to the question; nothing is closed before the answer.
    b.get(&format!("/p/{slug}")).await.expect(200).contains(&format!("href=\"/p/{slug}/close\""));
    let asked = b.post_form(&format!("/p/{slug}/close"), &[("csrf", &csrf)]).await;
    assert_eq!(asked.expect(303).location(), format!("/p/{slug}/close"));
    assert_eq!(app.petition(&slug).await["status"], "open");
    b.get(&format!("/p/{slug}/close"))
        .await
        .expect(200)
        .contains("Close this petition?")
        .contains("It stops taking signatures; you can reopen it.")
        .contains("name=\"confirm\" value=\"yes\"");
    app.browser_in("fr").get(&format!("/p/{slug}")).await.expect(200);
    let closed = b.post_form(&format!("/p/{slug}/close"), &[("csrf", &csrf), ("confirm", "yes")]).await;
    assert_eq!(closed.expect(303).location(), format!("/p/{slug}"));
    assert_eq!(app.petition(&slug).await["status"], "closed");
    app.sign(&slug, "Late", "late@example.org").await.expect_error(409, "petition_closed");

    // Reopened: signatures are taken again.
    b.get(&format!("/p/{slug}")).await.expect(200).contains("Reopen the petition");
    let reopened = b.post_form(&format!("/p/{slug}/reopen"), &[("csrf", &csrf)]).await;
    assert_eq!(reopened.expect(303).location(), format!("/p/{slug}"));
    assert_eq!(app.petition(&slug).await["status"], "open");
    app.browser().get(&format!("/p/{slug}")).await.expect(200).lacks("This petition is closed");
    app.sign(&slug, "Ada", "ada@example.org").await.expect(202);
    // Reopening an open petition is refused.
    b.post_form(&format!("/p/{slug}/reopen"), &[("csrf", &csrf)]).await.expect(409);

    // The API: close and reopen.
    let api = app.api().await;
    assert_eq!(api.post(&format!("/petitions/{slug}/close"), &json!({})).await.expect(200).json()["status"], "closed");
    assert_eq!(api.post(&format!("/petitions/{slug}/reopen"), &json!({})).await.expect(200).json()["status"], "open");
    api.post(&format!("/petitions/{slug}/reopen"), &json!({})).await.expect_error(409, "invalid_state");

    // Closed at its end date: reopened only once the end date is changed.
    api.post(&format!("/petitions/{slug}/close"), &json!({})).await.expect(200);
    let s = slug.clone();
    let yesterday = chrono::Utc::now().naive_utc() - chrono::TimeDelta::days(1);
    app.write(move |conn| {
        diesel::update(petitions::table.filter(petitions::slug.eq(s)))
            .set(petitions::end_at.eq(Some(yesterday)))
            .execute(conn)
    })
    .await;
    let refused = api.post(&format!("/petitions/{slug}/reopen"), &json!({})).await.expect_error(409, "invalid_state");
    assert!(refused["message"].as_str().unwrap().contains("end date"), "{refused}");
    b.get(&format!("/p/{slug}"))
        .await
        .expect(200)
        .lacks("Reopen the petition")
        .contains("change the end date to reopen it");
    // Its text can still be corrected, the passed end date kept as it is.
    let r = send(
        api.client
            .patch(format!("{}/api/v1/petitions/{slug}", app.url))
            .bearer_auth(api.token.as_deref().unwrap())
            .json(&json!({ "title": "Light the whole bike path" })),
    )
    .await;
    assert_eq!(r.expect(200).json()["status"], "closed");
    let r = send(
        api.client
            .patch(format!("{}/api/v1/petitions/{slug}", app.url))
            .bearer_auth(api.token.as_deref().unwrap())
            .json(&json!({ "end_date": in_days(10) })),
    )
    .await;
    r.expect(200);
    let p = api.post(&format!("/petitions/{slug}/reopen"), &json!({})).await.expect(200).json();
    assert_eq!(p["status"], "open");
    assert_eq!(p["end_date"], in_days(10));
}

async fn a_won_petition_shows_its_victory_and_stops_signing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = published(&app, "Save the public pool").await;
    let (b, csrf) = organizer(&app).await;

    b.get(&format!("/p/{slug}")).await.expect(200).contains(&format!("href=\"/p/{slug}/win\""));
    b.get(&format!("/p/{slug}/win")).await.expect(200).contains("Victory message");
    // Too short: the form again, the message kept.
    let bad = b.post_form(&format!("/p/{slug}/win"), &[("csrf", &csrf), ("message", "Yes!")]).await;
    bad.expect(422).contains(">Yes!</textarea>").contains("aria-invalid=\"true\"");
    assert_eq!(app.petition(&slug).await["status"], "open");

    let message = "We **won**: the council voted to keep the pool open. <script>alert(1)</script>";
    let won = b.post_form(&format!("/p/{slug}/win"), &[("csrf", &csrf), ("message", message)]).await;
    assert_eq!(won.expect(303).location(), format!("/p/{slug}"));
    let page = app.browser().get(&format!("/p/{slug}")).await;
    page.expect(200)
        .contains("Victory!")
        .contains("<strong>won</strong>")
        .lacks("<script>alert")
        .contains("This petition won: signatures are closed")
        .lacks("id=\"email\"");
    // At the top: before the title.
    let victory = page.body.find("Victory!").unwrap();
    let title = page.body.find("<h1>Save the public pool</h1>").unwrap();
    assert!(victory < title, "the victory shows above the title");
    app.browser_in("fr").get(&format!("/p/{slug}")).await.expect(200).contains("Victoire\u{a0}!");
    app.sign(&slug, "Late", "late@example.org").await.expect_error(409, "petition_closed");
    let p = app.petition(&slug).await;
    assert_eq!(p["status"], "won");
    assert_eq!(p["victory_message"], message);
    assert!(
        p["victory_html"].as_str().is_some_and(|h| h.contains("<strong>won</strong>") && !h.contains("<script")),
        "{p}"
    );
    assert!(p["won_at"].as_str().is_some(), "{p}");
    b.get("/dashboard").await.expect(200).contains("Won");
    // Won once: not again, nor closed, nor reopened.
    let api = app.api().await;
    api.post(&format!("/petitions/{slug}/win"), &json!({ "message": "We won twice, apparently." }))
        .await
        .expect_error(409, "invalid_state");
    api.post(&format!("/petitions/{slug}/close"), &json!({})).await.expect_error(409, "invalid_state");
    api.post(&format!("/petitions/{slug}/reopen"), &json!({})).await.expect_error(409, "invalid_state");

    // Through the API, from a closed petition.
    let other = published(&app, "Open the library on Sundays").await;
    api.post(&format!("/petitions/{other}/close"), &json!({})).await.expect(200);
    assert_eq!(
        api.post(&format!("/petitions/{other}/win"), &json!({ "message": "" })).await.invalid_fields(),
        ["message"]
    );
    let p = api
        .post(&format!("/petitions/{other}/win"), &json!({ "message": "The library opens on Sundays from March." }))
        .await
        .expect(200)
        .json();
    assert_eq!(p["status"], "won");
    assert_eq!(p["victory_message"], "The library opens on Sundays from March.");
}

async fn another_organization_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let open = published(&app, "Plant trees on the boulevard").await;
    let closed = published(&app, "A crossing by the school").await;
    let api = app.api().await;
    api.post(&format!("/petitions/{closed}/close"), &json!({})).await.expect(200);
    let other_token = app.create_organizer(OTHER_EMAIL, "other-association").await;
    let other_api = app.api_with_token(&other_token);
    let other = app.browser();
    other.login(OTHER_EMAIL, ORGANIZER_PASSWORD).await;
    let csrf = other.get("/dashboard").await.expect(200).csrf();
    let before = (stored(&app, &open).await, stored(&app, &closed).await);
    let rows = app.snapshot().await;

    for slug in [&open, &closed] {
        for page in ["edit", "close", "win"] {
            let r = other.get(&format!("/p/{slug}/{page}")).await;
            assert!([403, 404].contains(&r.status.as_u16()), "GET /p/{slug}/{page}: {}", r.status);
        }
        let edit = [
            ("csrf", csrf.as_str()),
            ("title", "Taken over by others"),
            ("target", "Someone else"),
            ("description", "A text that nobody of the organization wrote, at all."),
            ("goal", "5"),
            ("action", "save"),
        ];
        for (path, form) in [
            ("edit", edit.to_vec()),
            ("close", vec![("csrf", csrf.as_str()), ("confirm", "yes")]),
            ("reopen", vec![("csrf", csrf.as_str())]),
            ("win", vec![("csrf", csrf.as_str()), ("message", "We won, says somebody else entirely.")]),
        ] {
            let r = other.post_form(&format!("/p/{slug}/{path}"), &form).await;
            assert!([403, 404].contains(&r.status.as_u16()), "POST /p/{slug}/{path}: {}", r.status);
        }
        let r = send(
            other_api
                .client
                .patch(format!("{}/api/v1/petitions/{slug}", app.url))
                .bearer_auth(&other_token)
                .json(&json!({ "title": "Taken over by others" })),
        )
        .await;
        r.expect_error(403, "forbidden");
        for (path, body) in [
            ("close", json!({})),
            ("reopen", json!({})),
            ("win", json!({ "message": "We won, says somebody else entirely." })),
        ] {
            other_api.post(&format!("/petitions/{slug}/{path}"), &body).await.expect_error(403, "forbidden");
        }
        // Without a token, nothing either.
        let r = send(
            app.public_api().client.patch(format!("{}/api/v1/petitions/{slug}", app.url)).json(&json!({ "goal": 5 })),
        )
        .await;
        assert_eq!(r.status, 401);
        app.public_api()
            .post(&format!("/petitions/{slug}/win"), &json!({ "message": "Nobody at all won this." }))
            .await
            .expect(401);
    }
    assert_eq!((stored(&app, &open).await, stored(&app, &closed).await), before, "nothing changed");
    app.assert_unchanged(&rows).await;
    // A visitor who is not logged in is sent to the login page.
    assert_eq!(
        app.browser().get(&format!("/p/{open}/win")).await.expect(303).location(),
        format!("/login?next=%2Fp%2F{open}%2Fwin")
    );
}

async fn edits_and_victories_reach_other_instances(backend: Backend) {
    let alpha = instance(backend).await;
    let beta = instance(backend).await;
    follow(&beta, &alpha.url).await;
    let slug = published(&alpha, "Clean the river banks").await;
    let handle = format!("{slug}@{}", host(&alpha));
    remote_petition(&beta, &handle, "beta to receive the petition", |_| true).await;

    // An edit: beta applies the `Update` to the petition it keeps.
    let api = alpha.api().await;
    let r = send(
        api.client
            .patch(format!("{}/api/v1/petitions/{slug}", alpha.url))
            .bearer_auth(api.token.as_deref().unwrap())
            .json(&json!({ "title": "Clean both river banks", "target": "The water board", "goal": 300 })),
    )
    .await;
    r.expect(200);
    let p = remote_petition(&beta, &handle, "beta to apply the edit", |p| p["title"] == "Clean both river banks").await;
    assert_eq!(
        (p["target"].as_str(), p["goal"].as_i64(), p["status"].as_str()),
        (Some("The water board"), Some(300), Some("open"))
    );
    beta.browser()
        .get(&format!("/p/{handle}"))
        .await
        .expect(200)
        .contains("Clean both river banks")
        .contains(&format!("Updated on {}", chrono::Utc::now().date_naive().format("%-d %B %Y")));
    // Alpha's document says when.
    let doc = send(
        alpha.public_api().client.get(format!("{}/p/{slug}", alpha.url)).header("accept", "application/activity+json"),
    )
    .await;
    assert!(doc.expect(200).json()["edited"].as_str().is_some());

    // Closed, then reopened, then won: beta follows each step.
    api.post(&format!("/petitions/{slug}/close"), &json!({})).await.expect(200);
    remote_petition(&beta, &handle, "beta to see it closed", |p| p["status"] == "closed").await;
    api.post(&format!("/petitions/{slug}/reopen"), &json!({})).await.expect(200);
    remote_petition(&beta, &handle, "beta to see it reopened", |p| p["status"] == "open").await;
    // Its end date passes: the maintenance closes it, and beta hears of that too.
    let ended = slug.clone();
    alpha
        .write(move |conn| {
            diesel::update(petitions::table.filter(petitions::slug.eq(ended)))
                .set(petitions::end_at.eq(Some(signons_store::now() - chrono::TimeDelta::minutes(1))))
                .execute(conn)
        })
        .await;
    signons_app::maintenance::once(&alpha.state).await.unwrap();
    remote_petition(&beta, &handle, "beta to see it closed at its end date", |p| p["status"] == "closed").await;
    api.post(&format!("/petitions/{slug}/win"), &json!({ "message": "The banks are **clean**! <script>x()</script>" }))
        .await
        .expect(200);
    let p = remote_petition(&beta, &handle, "beta to see the victory", |p| p["status"] == "won").await;
    assert_eq!(p["accepts_signatures"], false);
    let html = p["victory_html"].as_str().unwrap();
    assert!(html.contains("<strong>clean</strong>") && !html.contains("<script"), "{html}");
    beta.browser()
        .get(&format!("/p/{handle}"))
        .await
        .expect(200)
        .contains("Victory!")
        .contains("<strong>clean</strong>")
        .lacks("id=\"email\"");
}
