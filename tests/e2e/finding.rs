//! Finding petitions and carrying them elsewhere: the listing's search, filters, sorts
//! and pages; the home page's sections; the Atom feeds; the embeddable widget (the only
//! framable page) and oEmbed.

use crate::helpers::*;
use diesel::prelude::*;
use serde_json::json;
use signons_store::schema::{petition_counters, petitions};

on_both_backends! {
    the_listing_searches_filters_sorts_and_pages => the_listing_searches_filters_sorts_and_pages_sqlite, the_listing_searches_filters_sorts_and_pages_postgres;
    the_home_page_shows_each_petition_once => the_home_page_shows_each_petition_once_sqlite, the_home_page_shows_each_petition_once_postgres;
    feeds_are_atom_and_escape_everything => feeds_are_atom_and_escape_everything_sqlite, feeds_are_atom_and_escape_everything_postgres;
    the_widget_alone_is_framable_and_signs => the_widget_alone_is_framable_and_signs_sqlite, the_widget_alone_is_framable_and_signs_postgres;
    oembed_answers_for_this_instances_petitions_only => oembed_answers_for_this_instances_petitions_only_sqlite, oembed_answers_for_this_instances_petitions_only_postgres;
}

/// A published petition with this title and text, by the organizer of `api`.
async fn petition(api: &Api, title: &str, text: &str) -> String {
    let text = format!("{text} This is what we ask, and why it matters.");
    let body = json!({ "title": title, "target": "The council", "description": text, "goal": 100, "publish": true });
    api.post("/petitions", &body).await.expect(201).json()["slug"].as_str().unwrap().to_owned()
}

/// Gives the petition `n` more confirmed signatures in its counters, as if confirmed long
/// ago (they count in its total, not in "trending").
async fn old_signatures(app: &TestApp, slug: &str, n: i64) {
    let slug = slug.to_owned();
    app.write(move |conn| {
        let id: signons_store::Id =
            petitions::table.filter(petitions::slug.eq(slug)).select(petitions::id).first(conn)?;
        diesel::insert_into(petition_counters::table)
            .values((
                petition_counters::petition_id.eq(id),
                petition_counters::shard.eq(15),
                petition_counters::signatures.eq(n),
            ))
            .execute(conn)
    })
    .await;
}

/// Signs and confirms, now.
async fn signed_now(app: &TestApp, slug: &str, email: &str) {
    let mail = app.sign_and_read_email(slug, "Ann", email).await;
    app.browser().follow_and_press(&mail.confirm_link(&app.url)).await.expect(200);
}

/// Where each title shows in the page (panics if one is missing): to compare orders.
fn positions(body: &str, titles: &[&str]) -> Vec<usize> {
    titles
        .iter()
        .map(|t| body.find(&format!(">{t}</a>")).unwrap_or_else(|| panic!("{t} is not listed in {body}")))
        .collect()
}

fn listed(body: &str, title: &str) -> bool {
    body.contains(&format!(">{title}</a>"))
}

async fn the_listing_searches_filters_sorts_and_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let api = app.api().await;
    let trees = petition(&api, "Plant trees on the ring road", "Shade for the buses.").await;
    let quiet = petition(&api, "Quiet streets at night", "No more trucks after ten.").await;
    let cycle = petition(&api, "A cycle lane for Rue Centrale", "Paint is cheap.").await;
    api.post(&format!("/petitions/{quiet}/close"), &json!({})).await.expect(200);
    api.post(&format!("/petitions/{cycle}/win"), &json!({ "message": "The lane is painted!" })).await.expect(200);
    let other = app.api_with_token(&app.create_organizer("bea@example.org", "green-street").await);
    let benches = petition(&other, "Benches for the market square", "Somewhere to sit.").await;
    let b = app.browser();

    // The form works without JavaScript: a GET form with every control.
    let all = b.get("/petitions").await;
    all.expect(200)
        .contains("<form method=\"get\" action=\"/petitions\"")
        .contains("<select id=\"org\" name=\"org\">")
        .contains("<option value=\"green-street\">")
        .contains("<option value=\"trending\">")
        .lacks_foreign_script();
    for t in ["Plant trees on the ring road", "Quiet streets at night", "A cycle lane for Rue Centrale"] {
        assert!(listed(&all.body, t), "closed and won petitions stay findable: {t}");
    }

    // Search: in the text (a closed petition too) and in the title.
    let found = b.get("/petitions?q=TRUCKS").await;
    assert!(listed(&found.expect(200).body, "Quiet streets at night"));
    assert!(!listed(&found.body, "Plant trees on the ring road"));
    let found = b.get("/petitions?q=benches").await;
    assert!(listed(&found.body, "Benches for the market square") && !listed(&found.body, "Quiet streets at night"));

    // Filters: an organization, a status; they combine with the search.
    let green = b.get("/petitions?org=green-street").await;
    assert!(listed(&green.expect(200).body, "Benches for the market square"));
    assert!(!listed(&green.body, "Plant trees on the ring road"));
    green.contains("<option value=\"green-street\" selected>");
    let won = b.get("/petitions?status=won").await;
    assert!(listed(&won.body, "A cycle lane for Rue Centrale") && !listed(&won.body, "Plant trees on the ring road"));
    won.contains("<option value=\"won\" selected>").contains("Won");
    let closed = b.get("/petitions?status=closed").await;
    assert!(listed(&closed.body, "Quiet streets at night") && !listed(&closed.body, "A cycle lane for Rue Centrale"));
    b.get("/petitions?status=open&q=trucks").await.expect(200).contains("No petition matches");
    b.get("/petitions?org=nobody-here").await.expect(200).contains("No petition matches these filters.");

    // Sorts: the most signed has the most in all; trending, the most this week.
    old_signatures(&app, &trees, 50).await;
    signed_now(&app, &benches, "ann@example.org").await;
    let titles = ["Plant trees on the ring road", "Benches for the market square"];
    let newest = b.get("/petitions").await;
    let p = positions(&newest.body, &titles);
    assert!(p[1] < p[0], "newest first");
    let most = b.get("/petitions?sort=most-signed").await;
    let p = positions(&most.expect(200).body, &titles);
    assert!(p[0] < p[1], "most signed first");
    most.contains("<option value=\"most-signed\" selected>");
    let trending = b.get("/petitions?sort=trending").await;
    let p = positions(&trending.expect(200).body, &titles);
    assert!(p[1] < p[0], "signed this week first");

    // Bad parameters: a clear 400 with the form, never a 500.
    for (query, message) in [
        ("sort=loudest", "This is not a way to sort"),
        ("page=-1", "This is not a page number"),
        ("page=99999999999999999999", "This is not a page number"),
        ("status=pending", "This is not a status"),
        ("org=%3Cb%3E", "This is not the name of an organization"),
        ("status=open&status=won", "could not be read"),
    ] {
        let refused = b.get(&format!("/petitions?{query}")).await;
        refused.expect(400).contains(message).contains("<form method=\"get\" action=\"/petitions\"");
    }

    // Pages keep the search, the filters and the sort.
    for n in 0..21 {
        petition(&api, &format!("Pothole number {n}"), "Fix it.").await;
    }
    let first = b.get("/petitions?q=pothole&status=open&sort=most-signed").await;
    first
        .expect(200)
        .contains("href=\"/petitions?q=pothole&amp;status=open&amp;sort=most-signed&amp;page=2\" rel=\"next\"");
    let second = b.get("/petitions?q=pothole&status=open&sort=most-signed&page=2").await;
    second
        .expect(200)
        .contains("Page 2 of 2")
        .contains("href=\"/petitions?q=pothole&amp;status=open&amp;sort=most-signed\" rel=\"prev\"");
    assert_eq!(second.body.matches("<li class=\"card\">").count(), 1, "21 potholes: one on the second page");
    assert!(!listed(&second.body, "Plant trees on the ring road"));
}

async fn the_home_page_shows_each_petition_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let api = app.api().await;
    let titles = ["Plant trees on the ring road", "Benches for the market square", "A cycle lane for Rue Centrale"];
    let mut slugs = Vec::new();
    for t in titles {
        slugs.push(petition(&api, t, "Text.").await);
    }
    api.post(&format!("/petitions/{}/win", slugs[2]), &json!({ "message": "The lane is painted!" })).await.expect(200);
    signed_now(&app, &slugs[1], "ann@example.org").await;

    let home = app.browser().page_until("/", "the trending section", |r| r.body.contains("id=\"trending\"")).await;
    home.expect(200)
        .contains("hosts petitions: sign those you support")
        .contains("<link rel=\"alternate\" type=\"application/atom+xml\" href=\"/feeds/petitions.atom\"")
        .lacks_foreign_script();
    for t in titles {
        assert_eq!(home.body.matches(&format!(">{t}</a>")).count(), 1, "{t} once on the home page");
    }
    let section = |id: &str| {
        let start = home.body.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no section {id}"));
        let end = home.body[start..].find("</section>").unwrap() + start;
        home.body[start..end].to_owned()
    };
    assert!(listed(&section("trending"), "Benches for the market square"));
    assert!(listed(&section("newest"), "Plant trees on the ring road"));
    assert!(!listed(&section("newest"), "Benches for the market square"));
    let won = section("won");
    assert!(won.contains("Recently won") && listed(&won, "A cycle lane for Rue Centrale"));
}

/// A small well-formedness check: every element closes in order, every `&` starts an
/// entity, no `<` is left in text.
fn assert_well_formed_xml(xml: &str) {
    let body = xml.strip_prefix("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n").expect("an XML declaration");
    let mut stack: Vec<String> = Vec::new();
    let mut rest = body;
    while let Some(open) = rest.find('<') {
        let text = &rest[..open];
        for (i, _) in text.match_indices('&') {
            let entity = &text[i..text[i..].find(';').map(|e| i + e + 1).expect("an entity ends")];
            assert!(["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"].contains(&entity), "entity {entity}");
        }
        let close = rest[open..].find('>').expect("a tag ends") + open;
        let tag = &rest[open + 1..close];
        assert!(!tag.contains('<'), "a stray < in {tag}");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name), "closing {name}");
        } else if !tag.ends_with('/') {
            stack.push(tag.split_whitespace().next().unwrap().to_owned());
        }
        rest = &rest[close + 1..];
    }
    assert!(stack.is_empty(), "unclosed {stack:?}");
    assert!(rest.trim().is_empty());
}

async fn feeds_are_atom_and_escape_everything(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let api = app.api().await;
    let slug = petition(&api, "Parks <&> people", "Green \"spaces\" & <b>more</b>.").await;
    let b = app.browser();

    let feed = b.get("/feeds/petitions.atom").await;
    assert_eq!(feed.expect(200).header("content-type"), Some("application/atom+xml; charset=utf-8"));
    assert_well_formed_xml(&feed.body);
    feed.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\">")
        .contains("<title>Parks &lt;&amp;&gt; people</title>")
        .contains(&format!("<link rel=\"alternate\" type=\"text/html\" href=\"{}/p/{slug}\"/>", app.url))
        .lacks("<&>");

    api.post(&format!("/petitions/{slug}/news"), &json!({ "text": "We met the mayor & <her> team." }))
        .await
        .expect(201);
    let news = b.get(&format!("/p/{slug}/news.atom")).await;
    news.expect(200);
    assert_well_formed_xml(&news.body);
    news.contains("<title>News of “Parks &lt;&amp;&gt; people”")
        .contains("<content type=\"html\">")
        .contains("We met the mayor &amp;amp;")
        .lacks("<her>");

    // Pages name their feeds; a draft has none.
    b.get(&format!("/p/{slug}")).await.contains(&format!(
        "<link rel=\"alternate\" type=\"application/atom+xml\" href=\"{}/news.atom\"",
        escaped(&format!("{}/p/{slug}", app.url))
    ));
    b.get("/petitions").await.contains("href=\"/feeds/petitions.atom\"");
    let draft = app.create_petition("Not yet", false).await;
    b.get(&format!("/p/{draft}/news.atom")).await.expect(404);
    let feed = b.get("/feeds/petitions.atom").await;
    feed.lacks("Not yet");
}

async fn the_widget_alone_is_framable_and_signs(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = app.create_petition("Save the park", true).await;
    let b = app.browser();

    let widget = b.get(&format!("/embed/p/{slug}")).await;
    widget
        .expect(200)
        .contains("Save the park")
        .contains("role=\"progressbar\"")
        .contains(&format!("action=\"/p/{slug}/sign\" target=\"_blank\""))
        .contains("name=\"topic\"")
        .lacks_foreign_script();
    let csp = widget.header("content-security-policy").unwrap().to_owned();
    assert!(csp.ends_with("frame-ancestors *"), "{csp}");
    assert!(csp.contains("form-action 'self'"), "{csp}");
    assert_eq!(widget.header("x-frame-options"), None);

    // Every other page refuses to be framed.
    for path in [format!("/p/{slug}"), "/".into(), "/petitions".into(), format!("/p/{slug}/thanks")] {
        let page = b.get(&path).await;
        assert_eq!(page.header("x-frame-options"), Some("DENY"), "{path}");
        assert!(page.header("content-security-policy").unwrap().contains("frame-ancestors 'none'"), "{path}");
    }
    b.get("/embed/p/no-such-petition").await.expect(404);
    let draft = app.create_petition("Not yet", false).await;
    b.get(&format!("/embed/p/{draft}")).await.expect(404);

    // Its form signs, honeypot included, from a browser that keeps no cookie of a framed
    // page: its token is the widget's, good for this petition only.
    let token = widget.csrf();
    assert!(token.starts_with("w1."), "{token}");
    let framed = app.browser();
    let sign = |token: String, email: &'static str| {
        let framed = &framed;
        let slug = slug.clone();
        async move {
            framed
                .post_form(
                    &format!("/p/{slug}/sign"),
                    &[("csrf", &token), ("name", "Ann"), ("email", email), ("topic", "")],
                )
                .await
        }
    };
    let signed = sign(token.clone(), "ann@example.org").await;
    assert_eq!(signed.expect(303).location(), format!("/p/{slug}/thanks"));
    app.next_email_to("ann@example.org").await;
    let other = app.create_petition("Another one", true).await;
    let other_token = b.get(&format!("/embed/p/{other}")).await.csrf();
    sign(other_token, "bob@example.org").await.expect(403);
    sign("w1.99999999999.00".into(), "bob@example.org").await.expect(403);
    // The petition page's own form still wants the cookie's double.
    let page = b.get(&format!("/p/{slug}")).await;
    assert!(!page.csrf().starts_with("w1."));

    // HEAD answers on the new routes.
    for path in [format!("/embed/p/{slug}"), "/feeds/petitions.atom".into(), format!("/p/{slug}/news.atom")] {
        let head = send(b.client.head(b.url(&path))).await;
        assert_eq!(head.status, 200, "HEAD {path}");
        assert!(head.body.is_empty(), "HEAD {path}");
    }

    // The organizer finds the iframe to copy on the petition's page.
    let organizer = app.browser();
    organizer.login(ORGANIZER_EMAIL, ORGANIZER_PASSWORD).await;
    let own = organizer.get(&format!("/p/{slug}")).await;
    own.expect(200)
        .contains("id=\"embed-code\" readonly")
        .contains(&escaped(&format!("<iframe src=\"{}/embed/p/{slug}\" width=\"400\" height=\"560\"", app.url)));
    b.get(&format!("/p/{slug}")).await.lacks("id=\"embed-code\"");
}

async fn oembed_answers_for_this_instances_petitions_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = app.create_petition("Save the <park>", true).await;
    let page_url = format!("{}/p/{slug}", app.url);
    let oembed = |url: &str, extra: &str| {
        format!("/oembed?url={}{extra}", url::form_urlencoded::byte_serialize(url.as_bytes()).collect::<String>())
    };
    let b = app.browser();

    // Discovery on the petition page.
    b.get(&format!("/p/{slug}")).await.contains(&format!(
        "<link rel=\"alternate\" type=\"application/json+oembed\" href=\"{}\"",
        escaped(&format!("{}{}", app.url, oembed(&page_url, "")))
    ));

    let answer = b.get(&oembed(&page_url, "")).await;
    assert_eq!(answer.expect(200).header("content-type"), Some("application/json"));
    let json = answer.json();
    assert_eq!(json["version"], "1.0");
    assert_eq!(json["type"], "rich");
    assert_eq!(json["title"], "Save the <park>");
    assert!(json["provider_name"].as_str().is_some_and(|n| !n.is_empty()));
    assert_eq!(json["width"], 400);
    assert_eq!(json["height"], 560);
    let html = json["html"].as_str().unwrap();
    assert!(html.starts_with(&format!("<iframe src=\"{}/embed/p/{slug}\" width=\"400\"", app.url)), "{html}");
    assert!(html.contains("title=\"Save the &lt;park&gt;\""), "{html}");

    let narrow = b.get(&oembed(&page_url, "&maxwidth=300&maxheight=400")).await.json();
    assert_eq!((narrow["width"].as_i64(), narrow["height"].as_i64()), (Some(300), Some(400)));
    assert!(narrow["html"].as_str().unwrap().contains("width=\"300\" height=\"400\""));
    let head = send(b.client.head(b.url(&oembed(&page_url, "")))).await;
    assert_eq!(head.status, 200);

    for url in [
        format!("{}/p/no-such-petition", app.url),
        format!("https://elsewhere.example/p/{slug}"),
        format!("{}/o/{}", app.url, ORGANIZATION),
        "not a url".into(),
    ] {
        b.get(&oembed(&url, "")).await.expect_error(404, "not_found");
    }
    let draft = app.create_petition("Not yet", false).await;
    b.get(&oembed(&format!("{}/p/{draft}", app.url), "")).await.expect_error(404, "not_found");
    b.get(&oembed(&page_url, "&maxwidth=wide")).await.expect(400);
    b.get(&oembed(&page_url, "&maxwidth=10")).await.expect(400);
    b.get("/oembed").await.expect(400);
    // (Sent without the helper, which takes any 5xx for a failure.)
    let xml = b.client.get(b.url(&oembed(&page_url, "&format=xml"))).send().await.unwrap();
    assert_eq!(xml.status(), 501);
}
