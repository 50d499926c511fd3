//! The organizer's side: logging in and out, drafts, editing, publishing and closing with
//! the forms, and the same through the JSON API.

use crate::helpers::{input_value, Backend, TestApp, ORGANIZATION, ORGANIZER_EMAIL, ORGANIZER_PASSWORD};
use serde_json::json;

on_both_backends! {
    organizer_logs_in_drafts_edits_publishes_closes => organizer_logs_in_drafts_edits_publishes_closes_sqlite, organizer_logs_in_drafts_edits_publishes_closes_postgres;
    api_creates_lists_and_guards_petitions => api_creates_lists_and_guards_petitions_sqlite, api_creates_lists_and_guards_petitions_postgres;
    api_lists_petitions_a_page_at_a_time => api_lists_petitions_a_page_at_a_time_sqlite, api_lists_petitions_a_page_at_a_time_postgres;
}

async fn organizer_logs_in_drafts_edits_publishes_closes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.organizer_token().await;
    let organizer = app.browser();
    let public = app.browser();

    // Organizer pages send visitors to the login page, and back after it.
    assert_eq!(organizer.get("/dashboard").await.expect(303).location(), "/login?next=%2Fdashboard");
    assert_eq!(organizer.get("/petitions/new").await.expect(303).location(), "/login?next=%2Fpetitions%2Fnew");

    // A wrong password: the form again, the email kept, the password not.
    let csrf = organizer.get("/login").await.expect(200).csrf();
    for (email, password) in [(ORGANIZER_EMAIL, "not the password"), ("nobody@example.org", ORGANIZER_PASSWORD)] {
        let wrong = organizer
            .post_form("/login", &[("csrf", &csrf), ("email", email), ("password", password), ("next", "/dashboard")])
            .await;
        wrong.expect(401).contains("Wrong email or password.").lacks(password);
        assert_eq!(input_value(&wrong.body, "email").as_deref(), Some(email));
        assert!(wrong.header("set-cookie").is_none_or(|c| !c.contains("signons_session")));
    }
    // Straight to the login page, with no page to go back to: the dashboard after it.
    let csrf = organizer.get("/login").await.expect(200).csrf();
    let direct = organizer
        .post_form("/login", &[("csrf", &csrf), ("email", ORGANIZER_EMAIL), ("password", ORGANIZER_PASSWORD)])
        .await;
    assert_eq!(direct.expect(303).location(), "/dashboard");
    organizer.login(ORGANIZER_EMAIL, ORGANIZER_PASSWORD).await;
    organizer.get("/dashboard").await.expect(200).contains(&format!("Petitions of {ORGANIZATION}"));

    // A draft: only the organization sees it.
    let csrf = organizer.get("/petitions/new").await.expect(200).csrf();
    let draft = |title: &'static str, action: &'static str| {
        [
            ("csrf", csrf.clone()),
            ("title", title.to_owned()),
            ("target", "The school board".to_owned()),
            ("description", "The roof leaks on the children every time it rains.".to_owned()),
            ("goal", "500".to_owned()),
            ("end_date", (chrono::Utc::now().date_naive() + chrono::Days::new(30)).to_string()),
            ("ask_postal_code", "on".to_owned()),
            ("action", action.to_owned()),
        ]
    };
    let saved =
        organizer.post_form("/petitions/new", &crate::helpers::refs(&draft("Repair the school roof", "draft"))).await;
    saved.expect(303);
    let slug = saved.location().strip_prefix("/p/").expect("a petition page").to_owned();
    assert_eq!(slug, "repair-the-school-roof");
    public.get(&format!("/p/{slug}")).await.expect(404);
    organizer
        .get(&format!("/p/{slug}"))
        .await
        .expect(200)
        .contains("Draft: only your organization can see")
        .contains(&format!("href=\"/p/{slug}/edit\""));
    organizer.get("/dashboard").await.expect(200).contains("Draft");

    // Edit the draft.
    let edit = organizer.get(&format!("/p/{slug}/edit")).await;
    edit.expect(200);
    assert_eq!(input_value(&edit.body, "title").as_deref(), Some("Repair the school roof"));
    let edited = organizer
        .post_form(
            &format!("/p/{slug}/edit"),
            &crate::helpers::refs(&draft("Repair the school roof before winter", "draft")),
        )
        .await;
    edited.expect(303);
    assert_eq!(edited.location(), format!("/p/{slug}"));
    organizer.get(&format!("/p/{slug}")).await.expect(200).contains("Repair the school roof before winter");

    // Publish with the button: now public, no longer editable.
    let published = organizer.post_form(&format!("/p/{slug}/publish"), &[("csrf", &csrf)]).await;
    published.expect(303);
    public
        .get(&format!("/p/{slug}"))
        .await
        .expect(200)
        .contains("Repair the school roof before winter")
        .contains("id=\"postal_code\"")
        .contains("Closes on ");
    // Still editable once published (see lifecycle.rs), under the same address.
    organizer.get(&format!("/p/{slug}/edit")).await.expect(200).contains("Edit the petition");
    assert_eq!(app.petition(&slug).await["status"], "open");

    // Close with the button, once confirmed (see lifecycle.rs).
    organizer.post_form(&format!("/p/{slug}/close"), &[("csrf", &csrf), ("confirm", "yes")]).await.expect(303);
    public.get(&format!("/p/{slug}")).await.expect(200).contains("This petition is closed");
    assert_eq!(app.petition(&slug).await["status"], "closed");

    // Log out: the session no longer opens the dashboard.
    let out = organizer.post_form("/logout", &[("csrf", &csrf)]).await;
    out.expect(303);
    assert_eq!(out.location(), "/");
    organizer.get("/dashboard").await.expect(303);
}

async fn api_creates_lists_and_guards_petitions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let api = app.api().await;
    let end_date = (chrono::Utc::now().date_naive() + chrono::Days::new(60)).to_string();
    let body = json!({
        "title": "Bike lanes on the main street",
        "target": "The regional council",
        "description": "Cycling to school must be *safe*. We ask for protected lanes.",
        "goal": "2 500",
        "end_date": end_date,
        "ask_country": true,
        "ask_postal_code": true,
        "publish": true,
    });
    let created = api.post("/petitions", &body).await.expect(201).json();
    assert_eq!(created["status"], "open");
    assert_eq!(created["slug"], "bike-lanes-on-the-main-street");
    let petition = &created["petition"];
    assert_eq!(petition["goal"], 2500);
    assert_eq!(petition["end_date"], end_date);
    assert_eq!(petition["ask_country"], true);
    assert!(petition["description_html"].as_str().is_some_and(|h| h.contains("<em>safe</em>")), "{petition}");
    // The same title again gets its own slug.
    let again = api.post("/petitions", &body).await.expect(201).json();
    assert_eq!(again["slug"], "bike-lanes-on-the-main-street-2");
    let listed = app.public_api().get("/petitions").await.expect(200).json();
    assert_eq!(listed["total"], 2);

    // Signers must give what the petition asks; the postal code is normalized.
    let slug = "bike-lanes-on-the-main-street";
    let r = app.sign_with(slug, json!({ "name": "Yann", "email": "yann@example.org" })).await;
    assert_eq!(r.invalid_fields(), ["country", "postal_code"]);
    app.sign_with(
        slug,
        json!({ "name": "Yann", "email": "yann@example.org", "country": "France", "postal_code": "29200" }),
    )
    .await
    .expect(202);

    // Bad values are named.
    for (field, value) in [
        ("goal", json!(0)),
        ("goal", json!("lots")),
        ("goal", json!(true)),
        ("goal", json!(100_000_001)),
        ("end_date", json!("2001-01-01")),
        ("end_date", json!("tomorrow")),
        ("end_date", json!((chrono::Utc::now().date_naive() + chrono::Days::new(3000)).to_string())),
    ] {
        let mut bad = body.clone();
        bad[field] = value;
        assert_eq!(api.post("/petitions", &bad).await.invalid_fields(), [field], "{field} = {}", bad[field]);
    }

    // Another organization can neither close nor publish this one.
    let other = app.api_with_token(&app.create_organizer("someone@other.example", "other-association").await);
    other.post(&format!("/petitions/{slug}/close"), &json!({})).await.expect_error(403, "forbidden");
    assert_eq!(app.petition(slug).await["status"], "open");
    api.post("/petitions/no-such-petition/close", &json!({})).await.expect_error(404, "not_found");
}

/// `GET /api/v1/petitions` pages with an opaque cursor: every open petition exactly once
/// across the pages, the same real `total` on each, and refused cursors and limits.
async fn api_lists_petitions_a_page_at_a_time(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut open = Vec::new();
    for i in 0..7 {
        open.push(app.create_petition(&format!("Petition number {i} for the park"), true).await);
    }
    let draft = app.create_petition("A draft that no list shows", false).await;
    let api = app.public_api();

    let mut seen = Vec::new();
    let mut path = "/petitions?limit=3".to_owned();
    let mut pages = 0;
    loop {
        let page = api.get(&path).await.expect(200).json();
        pages += 1;
        assert_eq!(page["total"], 7, "{page}");
        let items = page["petitions"].as_array().unwrap();
        assert!(items.len() <= 3, "{page}");
        seen.extend(items.iter().map(|p| p["slug"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/petitions?limit=3&cursor={cursor}"),
            None => {
                assert!(page["next_cursor"].is_null(), "{page}");
                break;
            }
        }
        assert!(pages < 10, "the pages never end");
    }
    assert_eq!(pages, 3);
    let mut expected = open.clone();
    expected.sort();
    let mut listed = seen.clone();
    listed.sort();
    assert_eq!(listed, expected, "each open petition once, and no draft: {seen:?}");
    assert!(!seen.contains(&draft));

    // Without parameters: the default page holds them all, and says it is the last.
    let all = api.get("/petitions").await.expect(200).json();
    assert_eq!(all["total"], 7);
    assert_eq!(all["petitions"].as_array().unwrap().len(), 7);
    assert!(all["next_cursor"].is_null(), "{all}");

    for bad in ["cursor=nonsense", "cursor=", "cursor=%00", "limit=0", "limit=201", "limit=-1", "limit=ten"] {
        api.get(&format!("/petitions?{bad}")).await.expect_error(400, "bad_request");
    }
}
