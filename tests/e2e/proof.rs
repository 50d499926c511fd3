//! Social proof on the petition page (issue 12): recent public signers with their place and
//! how long ago they signed (said when the page is rendered, in the visitor's language),
//! their public comments, which the petition's organizers can hide, and a goal that steps
//! up once reached unless its organizers fixed it, with a bar that shows any progress.

use crate::helpers::*;
use diesel::prelude::*;
use serde_json::json;
use signons_store::schema::signatures;

on_both_backends! {
    signers_show_how_long_ago_they_signed => signers_ago_sqlite, signers_ago_postgres;
    organizers_hide_comments_from_the_page_and_the_api_not_the_export => hide_comment_sqlite, hide_comment_postgres;
    a_reached_goal_steps_up_unless_fixed_and_the_bar_shows_a_start => goal_steps_sqlite, goal_steps_postgres;
}

const TITLE: &str = "Trees along the river";
const OTHER_EMAIL: &str = "someone@other.example.org";

/// A published petition that asks the signer's country, signed and confirmed by `name`
/// (public, with `comment`).
async fn signed_petition(app: &TestApp, name: &str, email: &str, comment: &str) -> String {
    let slug = app
        .create_petition_with(json!({
            "title": TITLE,
            "target": "The city council",
            "description": "Plant trees along the river, for shade in the summer and for the birds.",
            "goal": 100,
            "ask_country": true,
            "publish": true,
        }))
        .await;
    confirm_signer(app, &slug, name, email, comment).await;
    slug
}

async fn confirm_signer(app: &TestApp, slug: &str, name: &str, email: &str, comment: &str) {
    let body = json!({ "name": name, "email": email, "country": "Belgium", "comment": comment, "public": true });
    app.sign_with(slug, body).await.expect(202);
    let link = app.next_email_to(email).await.confirm_link(&app.url);
    app.browser().follow_and_press(&link).await.expect(200);
}

/// Moves a signature's confirmation `seconds` into the past.
async fn confirmed_ago(app: &TestApp, email: &str, seconds: i64) {
    let (email, at) = (email.to_owned(), signons_store::now() - chrono::TimeDelta::seconds(seconds));
    let n = app
        .write(move |conn| {
            diesel::update(signatures::table.filter(signatures::email.eq(email)))
                .set(signatures::confirmed_at.eq(at))
                .execute(conn)
        })
        .await;
    assert_eq!(n, 1);
}

async fn signers_show_how_long_ago_they_signed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = signed_petition(&app, "Ada Lovelace", "ada@example.org", "For the birds").await;
    let path = format!("/p/{slug}");
    let page = app.browser().page_until(&path, "Ada listed", |p| p.body.contains("Ada Lovelace")).await;
    page.contains("(Belgium)").contains(">just now</time>").contains("<blockquote>For the birds</blockquote>");
    page.lacks_foreign_script();
    // The exact time, for machines and assistive technology.
    let at = page.body.split("datetime=\"").nth(1).and_then(|r| r.split('"').next()).expect("a datetime");
    let at = chrono::DateTime::parse_from_rfc3339(at).expect("RFC 3339");
    assert!((chrono::Utc::now() - at.to_utc()).num_seconds().abs() < 60, "{at}");
    app.browser_in("fr").page_until(&path, "fr", |p| p.body.contains(">à l’instant</time>")).await;

    confirmed_ago(&app, "ada@example.org", 90).await;
    app.browser().page_until(&path, "a minute", |p| p.body.contains(">1 minute ago</time>")).await;
    app.browser_in("fr").page_until(&path, "fr", |p| p.body.contains(">il y a 1\u{a0}minute</time>")).await;

    confirmed_ago(&app, "ada@example.org", 2 * 3600 + 60).await;
    app.browser().page_until(&path, "hours", |p| p.body.contains(">2 hours ago</time>")).await;
    app.browser_in("fr").page_until(&path, "fr", |p| p.body.contains(">il y a 2\u{a0}heures</time>")).await;

    confirmed_ago(&app, "ada@example.org", 26 * 3600).await;
    app.browser().page_until(&path, "yesterday", |p| p.body.contains(">yesterday</time>")).await;

    // Older: the day, written as the visitor's language writes it.
    confirmed_ago(&app, "ada@example.org", 10 * 86400).await;
    let day = (chrono::Utc::now() - chrono::TimeDelta::days(10)).date_naive();
    let en = signons_render::format_date(signons_render::Locale::En, day);
    let fr = signons_render::format_date(signons_render::Locale::Fr, day);
    assert!(en.ends_with(&day.format("%Y").to_string()) && !en.contains(','), "{en}");
    app.browser().page_until(&path, "a date", |p| p.body.contains(&format!(">{en}</time>"))).await;
    app.browser_in("fr").page_until(&path, "fr", |p| p.body.contains(&format!(">{fr}</time>"))).await;
}

async fn signature_id(app: &TestApp, email: &str) -> String {
    let email = email.to_owned();
    app.read(move |conn| {
        signatures::table.filter(signatures::email.eq(email)).select(signatures::id).first::<String>(conn)
    })
    .await
}

async fn organizers_hide_comments_from_the_page_and_the_api_not_the_export(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = signed_petition(&app, "Ada Lovelace", "ada@example.org", "For the birds").await;
    confirm_signer(&app, &slug, "Bob Marley", "bob@example.org", "Shade please").await;
    let path = format!("/p/{slug}");
    let both = |p: &Response| p.body.contains("For the birds") && p.body.contains("Shade please");
    let page = app.browser().page_until(&path, "both comments", both).await;
    // Nobody else sees a button, nor the signatures' ids.
    page.lacks("/comments/").lacks("Hide this comment");
    let signers = app.public_api().get(&format!("/petitions/{slug}/signers")).await.expect(200).json();
    let comment_of = |signers: &serde_json::Value, name: &str| {
        let list = signers["signers"].as_array().expect("a list of signers");
        list.iter().find(|s| s["name"] == name).map(|s| s["comment"].clone()).expect("the signer")
    };
    assert_eq!(comment_of(&signers, "Ada Lovelace"), "For the birds", "{signers}");
    assert_eq!(signers["signers"][0]["country"], "Belgium", "{signers}");

    let ada = signature_id(&app, "ada@example.org").await;
    let hide = format!("/p/{slug}/comments/{ada}/hide");
    // A visitor who is not logged in is sent to log in; another organization's organizer
    // finds no such petition; a form without the token is refused.
    let stranger = app.browser();
    let csrf = stranger.csrf().await;
    let r = stranger.post_form(&hide, &[("csrf", &csrf)]).await;
    r.expect(303);
    assert!(r.location().starts_with("/login"), "{}", r.location());
    app.organizer_token().await;
    app.create_organizer(OTHER_EMAIL, "another-organization").await;
    let other = app.browser();
    other.login(OTHER_EMAIL, ORGANIZER_PASSWORD).await;
    let csrf = other.get("/dashboard").await.expect(200).csrf();
    other.post_form(&hide, &[("csrf", &csrf)]).await.expect(404);
    other.get(&path).await.expect(200).contains("For the birds").lacks("Hide this comment");
    let organizer = app.browser();
    organizer.login(ORGANIZER_EMAIL, ORGANIZER_PASSWORD).await;
    let csrf = organizer.get("/dashboard").await.expect(200).csrf();
    organizer.post_form(&hide, &[("csrf", "not-the-token")]).await.expect(403);
    // A signature that is not one of this petition's, or not an id at all.
    let bad = format!("/p/{slug}/comments/0190f5a2-0000-7000-8000-000000000000/hide");
    organizer.post_form(&bad, &[("csrf", &csrf)]).await.expect(404);
    organizer.post_form(&format!("/p/{slug}/comments/nope/hide"), &[("csrf", &csrf)]).await.expect(404);
    app.browser().get(&path).await.expect(200).contains("For the birds");

    // The organizer sees a button by each comment, and hides Ada's.
    let own = organizer.get(&path).await;
    own.expect(200).contains(&format!("action=\"{hide}\"")).contains("Hide this comment");
    let r = organizer.post_form(&hide, &[("csrf", &csrf)]).await;
    r.expect(303);
    assert_eq!(r.location(), format!("/p/{slug}#signers"));

    // Gone at once from the page (Ada still listed) and the API, in every language.
    let page = app.browser().get(&path).await;
    page.expect(200).contains("Ada Lovelace").lacks("For the birds").contains("Shade please");
    app.browser_in("fr").get(&path).await.expect(200).lacks("For the birds").lacks("Masquer ce commentaire");
    organizer.get(&path).await.expect(200).lacks("For the birds");
    let signers = app.public_api().get(&format!("/petitions/{slug}/signers")).await.expect(200).json();
    assert_eq!(comment_of(&signers, "Ada Lovelace"), serde_json::Value::Null, "{signers}");
    assert_eq!(comment_of(&signers, "Bob Marley"), "Shade please", "{signers}");

    // Kept in the export, marked hidden.
    let csv = organizer.get(&format!("/p/{slug}/signatures.csv")).await;
    csv.expect(200);
    let rows: Vec<Vec<String>> = csv::ReaderBuilder::new()
        .from_reader(csv.body.as_bytes())
        .records()
        .map(|r| r.expect("a record").iter().map(str::to_owned).collect())
        .collect();
    let row = |name: &str| rows.iter().find(|r| r[0] == name).cloned().expect("a row");
    let (ada_row, bob_row) = (row("Ada Lovelace"), row("Bob Marley"));
    assert_eq!((ada_row[3].as_str(), ada_row.last().map(String::as_str)), ("For the birds", Some("true")));
    assert_eq!((bob_row[3].as_str(), bob_row.last().map(String::as_str)), ("Shade please", Some("false")));
    let api = app.api().await;
    let listed = api.get(&format!("/petitions/{slug}/signatures")).await.expect(200).json();
    let hidden: Vec<_> = listed["_embedded"]["osdi:signatures"]
        .as_array()
        .expect("signatures")
        .iter()
        .map(|s| (s["comments"].clone(), s["comment_hidden"].clone()))
        .collect();
    assert!(hidden.contains(&(json!("For the birds"), json!(true))), "{listed}");
    assert!(hidden.contains(&(json!("Shade please"), json!(false))), "{listed}");

    // The organizers' list of comments shows both, Ada's marked hidden with a button to show
    // it again; another organization's organizer finds no such list.
    let list = format!("/p/{slug}/comments");
    other.get(&list).await.expect(404);
    let unhide = format!("/p/{slug}/comments/{ada}/unhide");
    organizer
        .get(&list)
        .await
        .expect(200)
        .contains("For the birds")
        .contains("Shade please")
        .contains(&format!("action=\"{unhide}\""))
        .contains("Hidden")
        .contains("Show this comment again");
    let other_csrf = other.get("/dashboard").await.expect(200).csrf();
    other.post_form(&unhide, &[("csrf", &other_csrf)]).await.expect(404);
    app.browser().get(&path).await.expect(200).lacks("For the birds");
    // Shown again from the list, which the button comes back to.
    let r = organizer.post_form(&unhide, &[("csrf", &csrf), ("back", "0")]).await;
    r.expect(303);
    assert_eq!(r.location(), format!("/p/{slug}/comments?page=0#comment-{ada}"));
    app.browser().get(&path).await.expect(200).contains("For the birds").contains("Shade please");
    let signers = app.public_api().get(&format!("/petitions/{slug}/signers")).await.expect(200).json();
    assert_eq!(comment_of(&signers, "Ada Lovelace"), "For the birds", "{signers}");
    organizer.get(&list).await.expect(200).lacks("Show this comment again");
    // A page past the end says so; a page that is not a number is the first.
    organizer.get(&format!("{list}?page=3")).await.expect(200).contains("There are no more comments.");
    organizer.get(&format!("{list}?page=x")).await.expect(200).contains("For the birds");
}

async fn petition_with_goal(app: &TestApp, title: &str, goal: i64, fixed: bool) -> String {
    app.create_petition_with(json!({
        "title": title,
        "target": "The city council",
        "description": "Plant trees along the river, for shade in the summer and for the birds.",
        "goal": goal,
        "goal_fixed": fixed,
        "ask_country": true,
        "publish": true,
    }))
    .await
}

async fn a_reached_goal_steps_up_unless_fixed_and_the_bar_shows_a_start(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let moving = petition_with_goal(&app, "Trees along the river", 2, false).await;
    let fixed = petition_with_goal(&app, "Benches along the river", 2, true).await;
    let big = petition_with_goal(&app, "Lights along the river", 1000, false).await;
    let page = |slug: &str| format!("/p/{slug}");
    let browser = app.browser();

    // Nobody yet: an empty bar; one signature of a thousand: a sliver, not nothing.
    let empty = browser.get(&page(&big)).await;
    empty.expect(200).contains(r#"class="fill w-0""#).contains("of 1,000 needed").lacks_foreign_script();
    confirm_signer(&app, &big, "Ada Lovelace", "ada@example.org", "").await;
    browser
        .page_until(&page(&big), "one signature", |p| p.body.contains("<strong>1 signature</strong>"))
        .await
        .contains(r#"class="fill w-0 some""#)
        .contains(r#"aria-valuenow="0""#);
    let css = browser.get("/static/signons.css").await;
    css.expect(200).contains(".meter .fill.some { min-width:").contains(".fill.w-50{width:50%}");

    for slug in [&moving, &fixed] {
        confirm_signer(&app, slug, "Ada Lovelace", "ada@example.org", "").await;
        browser
            .page_until(&page(slug), "half", |p| p.body.contains("<strong>1 signature</strong>"))
            .await
            .contains("of 2 needed")
            .contains(r#"class="fill w-50 some""#);
        confirm_signer(&app, slug, "Bob Marley", "bob@example.org", "").await;
    }
    // Reached: the moving goal shows its next step, the fixed one stays.
    let reached = |p: &Response| p.body.contains("<strong>2 signatures</strong>");
    browser
        .page_until(&page(&moving), "reached", reached)
        .await
        .contains("of 5 needed")
        .contains(r#"class="fill w-40 some""#)
        .contains("40% of the goal");
    app.browser_in("fr").get(&page(&moving)).await.expect(200).contains("pour un objectif de 5");
    browser
        .page_until(&page(&fixed), "reached", reached)
        .await
        .contains("of 2 needed")
        .contains(r#"class="fill w-100 some""#);
    let p = app.petition(&moving).await;
    assert_eq!((p["goal"].as_i64(), p["displayed_goal"].as_i64(), p["percent"].as_i64()), (Some(2), Some(5), Some(40)));
    assert_eq!(p["goal_fixed"], false, "{p}");
    let p = app.petition(&fixed).await;
    assert_eq!(
        (p["goal"].as_i64(), p["displayed_goal"].as_i64(), p["percent"].as_i64()),
        (Some(2), Some(2), Some(100))
    );
    assert_eq!(p["goal_fixed"], true, "{p}");
    // Followers and other instances are told the goal the page shows, not the reached one.
    for (slug, goal, line) in [(&moving, 5, "2 / 5"), (&fixed, 2, "2 / 2")] {
        let actor = send(
            app.public_api().client.get(format!("{}/p/{slug}", app.url)).header("accept", "application/activity+json"),
        )
        .await;
        let actor = actor.expect(200).json();
        assert_eq!(actor["signatureGoal"], goal, "{actor}");
        assert_eq!(actor["attachment"][0]["value"], line, "{actor}");
    }

    // The organizer unfixes it through the API, and fixes the other in the form.
    let api = app.api().await;
    let send_patch = |slug: &str, body: serde_json::Value| {
        let request = api.client.patch(format!("{}/api/v1/petitions/{slug}", app.url));
        send(request.bearer_auth(api.token.clone().expect("a token")).json(&body))
    };
    let changed = send_patch(&fixed, json!({ "goal_fixed": false })).await;
    let changed = changed.expect(200).json();
    assert_eq!((changed["goal_fixed"].as_bool(), changed["displayed_goal"].as_i64()), (Some(false), Some(5)));
    browser.page_until(&page(&fixed), "stepped up", |p| p.body.contains("of 5 needed")).await;

    let organizer = app.browser();
    organizer.login(ORGANIZER_EMAIL, ORGANIZER_PASSWORD).await;
    let form = organizer.get(&format!("/p/{moving}/edit")).await;
    form.expect(200)
        .contains("Keep this goal once it is reached")
        .lacks("name=\"goal_fixed\" aria-describedby=\"goal-fixed-hint\" checked");
    let csrf = form.csrf();
    let fields = [
        ("csrf", csrf.as_str()),
        ("title", "Trees along the river"),
        ("target", "The city council"),
        ("description", "Plant trees along the river, for shade in the summer and for the birds."),
        ("goal", "2"),
        ("end_date", ""),
        ("goal_fixed", "on"),
        ("action", "publish"),
    ];
    organizer.post_form(&format!("/p/{moving}/edit"), &fields).await.expect(303);
    organizer
        .get(&format!("/p/{moving}/edit"))
        .await
        .expect(200)
        .contains("aria-describedby=\"goal-fixed-hint\" checked");
    browser.page_until(&page(&moving), "fixed", |p| p.body.contains("of 2 needed")).await;
    assert_eq!(app.petition(&moving).await["displayed_goal"], 2);
}
