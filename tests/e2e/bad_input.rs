//! Bad input of every kind: each gets a clear 4xx (or the form again, with the errors and
//! the input kept), never a 5xx (every request goes through `helpers::send`), and the
//! database is left as it was.

use crate::helpers::{
    chunked, escaped, input_value, raw_http, send, Backend, Options, TestApp, ORGANIZER_EMAIL, ORGANIZER_PASSWORD,
};
use diesel::prelude::*;
use serde_json::json;
use signons_store::schema::petitions;
use signons_store::Token;

on_both_backends! {
    oversize_bodies_are_refused => oversize_bodies_are_refused_sqlite, oversize_bodies_are_refused_postgres;
    invalid_utf8_is_refused => invalid_utf8_is_refused_sqlite, invalid_utf8_is_refused_postgres;
    missing_and_overlong_fields_are_named => missing_and_overlong_fields_are_named_sqlite, missing_and_overlong_fields_are_named_postgres;
    malformed_emails_are_refused => malformed_emails_are_refused_sqlite, malformed_emails_are_refused_postgres;
    html_and_script_are_kept_as_text_and_shown_escaped => html_and_script_are_kept_as_text_and_shown_escaped_sqlite, html_and_script_are_kept_as_text_and_shown_escaped_postgres;
    unknown_slugs_are_not_found => unknown_slugs_are_not_found_sqlite, unknown_slugs_are_not_found_postgres;
    reused_and_forged_tokens_are_not_found => reused_and_forged_tokens_are_not_found_sqlite, reused_and_forged_tokens_are_not_found_postgres;
    csrf_failures_keep_the_input_and_change_nothing => csrf_failures_keep_the_input_and_change_nothing_sqlite, csrf_failures_keep_the_input_and_change_nothing_postgres;
    wrong_content_types_are_refused => wrong_content_types_are_refused_sqlite, wrong_content_types_are_refused_postgres;
    the_api_needs_a_valid_token => the_api_needs_a_valid_token_sqlite, the_api_needs_a_valid_token_postgres;
    signing_is_rate_limited => signing_is_rate_limited_sqlite, signing_is_rate_limited_postgres;
    spoofed_forwarding_headers_do_not_lift_the_limit => spoofed_forwarding_headers_do_not_lift_the_limit_sqlite, spoofed_forwarding_headers_do_not_lift_the_limit_postgres;
    forwarded_for_counts_only_as_our_proxy_wrote_it => forwarded_for_counts_only_as_our_proxy_wrote_it_sqlite, forwarded_for_counts_only_as_our_proxy_wrote_it_postgres;
    nul_and_control_characters_are_refused => nul_and_control_characters_are_refused_sqlite, nul_and_control_characters_are_refused_postgres;
    bad_listing_requests_get_a_clear_page => bad_listing_requests_sqlite, bad_listing_requests_postgres;
}

const FORM: &str = "application/x-www-form-urlencoded";
const BIG: usize = 70 * 1024;

/// An organizer's browser, logged in.
async fn organizer(app: &TestApp) -> crate::helpers::Browser {
    app.organizer_token().await;
    let browser = app.browser();
    browser.login(ORGANIZER_EMAIL, ORGANIZER_PASSWORD).await;
    browser
}

fn petition_fields(csrf: &str, title: &str, description: &str) -> Vec<(&'static str, String)> {
    vec![
        ("csrf", csrf.to_owned()),
        ("title", title.to_owned()),
        ("target", "The city council".to_owned()),
        ("description", description.to_owned()),
        ("goal", "100".to_owned()),
        ("action", "publish".to_owned()),
    ]
}

async fn oversize_bodies_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = app.create_petition("Fix the streetlights", true).await;
    let organizer = organizer(&app).await;
    let browser = app.browser();
    let csrf = browser.csrf().await;
    let big = "x".repeat(BIG);
    let before = app.snapshot().await;

    // JSON, with a Content-Length.
    app.sign_with(&slug, json!({ "name": "Big", "email": "big@example.org", "comment": big }))
        .await
        .expect_error(413, "payload_too_large");
    let petition =
        json!({ "title": "A huge petition", "target": "Someone", "description": big, "goal": 10, "publish": true });
    app.api().await.post("/petitions", &petition).await.expect_error(413, "payload_too_large");

    // Forms, with a Content-Length.
    browser
        .post_form(
            &format!("/p/{slug}/sign"),
            &[("csrf", &csrf), ("name", "Big"), ("email", "big@example.org"), ("comment", &big)],
        )
        .await
        .expect(413);
    let ocsrf = organizer.csrf().await;
    organizer
        .post_form("/petitions/new", &crate::helpers::refs(&petition_fields(&ocsrf, "A huge petition", &big)))
        .await
        .expect(413);
    browser.post_form("/login", &[("csrf", &csrf), ("email", &big), ("password", "x")]).await.expect(413);

    // Chunked, with no Content-Length to refuse early.
    let form_body = format!("csrf={csrf}&name=Big&email=big%40example.org&comment={big}");
    let head = format!(
        "POST /p/{slug}/sign HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {FORM}\r\nCookie: signons_csrf={csrf}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let (status, _) = raw_http(app.port, &head, &chunked(form_body.as_bytes())).await;
    assert_eq!(status, 413);
    let json_body = json!({ "name": "Big", "email": "big@example.org", "comment": big }).to_string();
    let head = format!(
        "POST /api/v1/petitions/{slug}/signatures HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let (status, response) = raw_http(app.port, &head, &chunked(json_body.as_bytes())).await;
    assert_eq!(status, 413);
    assert!(response.contains("payload_too_large"), "{response}");

    app.assert_unchanged(&before).await;
    // Just under the limit is not refused for its size.
    let comment = "y".repeat(900);
    app.sign_with(&slug, json!({ "name": "Small", "email": "small@example.org", "comment": comment }))
        .await
        .expect(202);
}

async fn invalid_utf8_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = app.create_petition("Repaint the town hall", true).await;
    let mail = app.sign_and_read_email(&slug, "Ulrich", "ulrich@example.org").await;
    let confirm = mail.confirm_link(&app.url).strip_prefix(&app.url).expect("local").to_owned();
    let organizer = organizer(&app).await;
    let ocsrf = organizer.csrf().await;
    let browser = app.browser();
    let csrf = browser.csrf().await;
    let before = app.snapshot().await;

    let sign = format!("/p/{slug}/sign");
    let raw = |rest: &[u8], csrf: &str| [format!("csrf={csrf}&").as_bytes(), rest].concat();
    // Raw bytes that are not UTF-8, and percent-encoded ones.
    for body in [
        &b"name=\xff\xfe&email=u%40example.org"[..],
        b"name=%FF%FE&email=u%40example.org",
        b"name=ok&email=u%40example.org&comment=%C3%28",
    ] {
        browser.post_raw(&sign, FORM, raw(body, &csrf)).await.expect(400);
    }
    browser.post_raw("/login", FORM, raw(b"email=\xc3&password=x", &csrf)).await.expect(400);
    browser.post_raw(&confirm, FORM, raw(b"x=\xff", &csrf)).await.expect(400);
    organizer
        .post_raw(
            "/petitions/new",
            FORM,
            raw(b"title=\xe9t\xe9 sans eau&target=x&description=x&goal=5&action=publish", &ocsrf),
        )
        .await
        .expect(400);

    // JSON: invalid bytes, and an escaped lone surrogate.
    let api = app.public_api();
    for body in
        [&b"{\"name\":\"\xff\xfe\",\"email\":\"u@example.org\"}"[..], br#"{"name":"\ud800","email":"u@example.org"}"#]
    {
        send(
            api.post_builder(&format!("/petitions/{slug}/signatures"))
                .header("content-type", "application/json")
                .body(body.to_vec()),
        )
        .await
        .expect_error(400, "bad_request");
    }
    send(
        app.api()
            .await
            .post_builder("/petitions")
            .header("content-type", "application/json")
            .body(&b"{\"title\":\"\xff\xff\xff\xff\xff\"}"[..]),
    )
    .await
    .expect_error(400, "bad_request");

    app.assert_unchanged(&before).await;
    app.assert_count(&slug, 0).await;
}

async fn missing_and_overlong_fields_are_named(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = app.create_petition("Open a night library", true).await;
    let asks = app
        .create_petition_with(json!({
            "title": "Count the swifts of Brittany",
            "target": "The regional council",
            "description": "Swifts are disappearing; a census is the first step to protect them.",
            "goal": 50,
            "ask_country": true,
            "ask_postal_code": true,
            "publish": true,
        }))
        .await;
    let organizer = organizer(&app).await;
    let browser = app.browser();
    let before = app.snapshot().await;

    // The API names every bad field.
    assert_eq!(app.sign_with(&slug, json!({})).await.invalid_fields(), ["name", "email"]);
    assert_eq!(app.sign_with(&slug, json!({ "name": "   ", "email": "" })).await.invalid_fields(), ["name", "email"]);
    let long = app
        .sign_with(
            &slug,
            json!({ "name": "n".repeat(101), "email": format!("{}@example.org", "e".repeat(250)), "comment": "c".repeat(1001) }),
        )
        .await;
    assert_eq!(long.invalid_fields(), ["name", "email", "comment"]);
    let fields = long.json()["fields"].clone();
    assert_eq!(fields[0], json!({ "field": "name", "code": "error-too-long", "limit": 100 }));
    assert_eq!(fields[2], json!({ "field": "comment", "code": "error-too-long", "limit": 1000 }));
    assert_eq!(
        app.sign_with(&asks, json!({ "name": "Ana", "email": "ana@example.org" })).await.invalid_fields(),
        ["country", "postal_code"]
    );
    let r = app
        .sign_with(&asks, json!({ "name": "Ana", "email": "ana@example.org", "country": "c".repeat(61), "postal_code": "1".repeat(13) }))
        .await;
    assert_eq!(r.invalid_fields(), ["country", "postal_code"]);
    let r = app
        .sign_with(&slug, json!({ "name": "Tab\u{7}Bell", "email": "ana@example.org", "comment": "fine\nmultiline" }))
        .await;
    assert_eq!(r.invalid_fields(), ["name"]);

    let api = app.api().await;
    assert_eq!(api.post("/petitions", &json!({})).await.invalid_fields(), ["title", "target", "description", "goal"]);
    let r = api
        .post(
            "/petitions",
            &json!({ "title": "t".repeat(121), "target": "g".repeat(121), "description": "d".repeat(20_001), "goal": 5 }),
        )
        .await;
    assert_eq!(r.invalid_fields(), ["title", "target", "description"]);
    let r =
        api.post("/petitions", &json!({ "title": "Tiny", "target": "x", "description": "too short", "goal": 5 })).await;
    assert_eq!(r.invalid_fields(), ["title", "target", "description"]);

    // The sign form comes back with the errors next to the fields, and the input kept.
    let csrf = browser.get(&format!("/p/{slug}")).await.csrf();
    let missing = browser
        .post_form(&format!("/p/{slug}/sign"), &[("csrf", &csrf), ("name", ""), ("email", ""), ("comment", "I care.")])
        .await;
    missing
        .expect(422)
        .contains("Please correct the fields marked below.")
        .contains("<p class=\"field-error\" id=\"name-error\">This field is required.</p>")
        .contains("<p class=\"field-error\" id=\"email-error\">This field is required.</p>")
        // The summary names each field it links to.
        .contains("<li><a href=\"#name\">Your name — This field is required.</a></li>")
        .contains("<li><a href=\"#email\">Your email — This field is required.</a></li>")
        .contains("aria-invalid=\"true\" aria-describedby=\"name-error\"")
        .contains(">I care.</textarea>");
    let long_name = "N".repeat(101);
    let overlong = browser
        .post_form(
            &format!("/p/{slug}/sign"),
            &[
                ("csrf", &csrf),
                ("name", &long_name),
                ("email", "keep.me@example.org"),
                ("public", "on"),
                ("opt_in", "on"),
            ],
        )
        .await;
    overlong.expect(422).contains("At most 100 characters.").lacks("email-error");
    assert_eq!(input_value(&overlong.body, "name"), Some(long_name));
    assert_eq!(input_value(&overlong.body, "email").as_deref(), Some("keep.me@example.org"));
    overlong.contains(r#"id="opt_in" name="opt_in" checked"#);
    let csrf_asks = browser.get(&format!("/p/{asks}")).await.csrf();
    browser
        .post_form(
            &format!("/p/{asks}/sign"),
            &[
                ("csrf", &csrf_asks),
                ("name", "Ana"),
                ("email", "ana@example.org"),
                ("country", "France"),
                ("postal_code", ""),
            ],
        )
        .await
        .expect(422)
        .contains("id=\"postal_code-error\"")
        .lacks("id=\"country-error\"");

    // The petition editor too.
    let ocsrf = organizer.csrf().await;
    let title = "T".repeat(121);
    let mut fields = petition_fields(&ocsrf, &title, "");
    fields.retain(|(k, _)| *k != "goal");
    let editor = organizer.post_form("/petitions/new", &crate::helpers::refs(&fields)).await;
    editor
        .expect(422)
        .contains("id=\"title-error\">At most 120 characters.")
        .contains("id=\"description-error\">This field is required.")
        .contains("id=\"goal-error\">This field is required.")
        .lacks("id=\"target-error\"");
    assert_eq!(input_value(&editor.body, "title"), Some(title));

    app.assert_unchanged(&before).await;
}

async fn malformed_emails_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = app.create_petition("Protect the wetlands", true).await;
    let browser = app.browser();
    let csrf = browser.get(&format!("/p/{slug}")).await.csrf();
    let before = app.snapshot().await;
    let long = format!("{}@example.org", "a".repeat(260));
    let bad = [
        "plainaddress",
        "a@b",
        "@example.org",
        "alice@",
        "a@@example.org",
        "a b@example.org",
        "Jean <jean@example.org>",
        "jean@example.org, paul@example.org",
        "a@[127.0.0.1]",
        "\"quoted\"@example.org",
        "<script>@example.org",
        "alice@exa mple.org",
        long.as_str(),
    ];
    for email in bad {
        let r = app.sign_with(&slug, json!({ "name": "Mallory", "email": email })).await;
        assert_eq!(r.invalid_fields(), ["email"], "{email:?}");
        let page = browser
            .post_form(&format!("/p/{slug}/sign"), &[("csrf", &csrf), ("name", "Mallory"), ("email", email)])
            .await;
        page.expect(422).contains("id=\"email-error\"").lacks("<script>");
        assert_eq!(input_value(&page.body, "email"), Some(escaped(email.trim())), "{email:?} kept");
        assert_eq!(input_value(&page.body, "name").as_deref(), Some("Mallory"));
    }
    app.assert_unchanged(&before).await;
}

async fn html_and_script_are_kept_as_text_and_shown_escaped(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let title = "<script>alert('title')</script> Stop the bulldozers";
    let target = "<b onmouseover=alert(1)>The mayor</b><script>alert('target')</script>";
    let description = "<script>alert('description')</script>\n\n**Bold** words <img src=x onerror=alert(1)> \
                       and [a link](javascript:alert(1)) <iframe src=\"https://evil.example\"></iframe> for the park.";
    let slug = app
        .create_petition_with(json!({
            "title": title, "target": target, "description": description, "goal": 10,
            "ask_country": true, "ask_postal_code": true, "publish": true,
        }))
        .await;
    assert_eq!(slug, "script-alert-title-script-stop-the-bulldozers");
    let (t, g, d): (String, String, String) = {
        let slug = slug.clone();
        app.read(move |conn| {
            petitions::table
                .filter(petitions::slug.eq(slug))
                .select((petitions::title, petitions::target, petitions::description_md))
                .first(conn)
        })
        .await
    };
    assert_eq!((t.as_str(), g.as_str(), d.as_str()), (title, target, description), "stored as typed");

    // A signer with markup in every field.
    let name = "<script>alert('name')</script> Zoé";
    let comment = "<script>alert('comment')</script><iframe src=//evil.example></iframe> I agree";
    let country = "<b>France</b><script>x</script>";
    let r = app
        .sign_with(&slug, json!({ "name": name, "email": "zoe@example.org", "comment": comment, "country": country, "postal_code": "<b>1</b>", "public": true }))
        .await;
    assert_eq!(r.invalid_fields(), ["postal_code"], "a postal code has no markup");
    app.sign_with(&slug, json!({ "name": name, "email": "zoe@example.org", "comment": comment, "country": country, "postal_code": "75001", "public": true }))
        .await
        .expect(202);
    let rows = app.signature_rows("zoe@example.org").await;
    assert_eq!(
        (rows[0].name.as_str(), rows[0].comment.as_deref(), rows[0].country.as_deref()),
        (name, Some(comment), Some(country))
    );
    let mail = app.next_email_to("zoe@example.org").await;
    assert!(!mail.html().contains("<script"), "the HTML email escapes: {}", mail.html());
    assert!(mail.text().contains(name), "the text email shows the name as typed");

    let browser = app.browser();
    let link = mail.confirm_link(&app.url);
    let path = link.strip_prefix(&app.url).expect("local").to_owned();
    let confirm_page = browser.get(&path).await;
    confirm_page.expect(200).lacks_foreign_script().contains(&escaped(name));
    browser.follow_and_press(&link).await.expect(200).lacks_foreign_script().contains(&escaped(title));
    let withdraw = mail.withdraw_link(&app.url);
    browser.get(withdraw.strip_prefix(&app.url).expect("local")).await.expect(200).lacks_foreign_script();

    let page = browser.page_until(&format!("/p/{slug}"), "the signer", |p| p.body.contains(&escaped(name))).await;
    page.lacks_foreign_script()
        .lacks("<iframe")
        .lacks("<b onmouseover")
        .lacks("<b>France")
        .lacks("javascript:")
        .lacks("onerror")
        .contains(&escaped(title))
        .contains(&escaped(target))
        .contains(&escaped(name))
        .contains(&escaped(comment))
        .contains(&escaped(country))
        .contains("<strong>Bold</strong>");
    browser.get(&format!("/p/{slug}/thanks")).await.expect(200).lacks_foreign_script().contains(&escaped(title));
    browser.get("/").await.expect(200).lacks_foreign_script().contains(&escaped(title));

    // The form shown again keeps markup as text.
    let csrf = page.csrf();
    let again = browser
        .post_form(
            &format!("/p/{slug}/sign"),
            &[
                ("csrf", &csrf),
                ("name", name),
                ("email", "not an email"),
                ("comment", comment),
                ("country", country),
                ("postal_code", "<i>"),
            ],
        )
        .await;
    again.expect(422).lacks_foreign_script().lacks("<iframe").lacks("<i>");
    assert_eq!(input_value(&again.body, "name"), Some(escaped(name)));

    // The organizer's pages and the editor's preview.
    let organizer = organizer(&app).await;
    organizer.get("/dashboard").await.expect(200).lacks_foreign_script().contains(&escaped(title));
    let ocsrf = organizer.csrf().await;
    let fields = [
        ("csrf", ocsrf.as_str()),
        ("title", title),
        ("target", target),
        ("description", description),
        ("goal", "10"),
        ("action", "preview"),
    ];
    let preview = organizer.post_form("/petitions/new", &fields).await;
    preview
        .expect(200)
        .lacks_foreign_script()
        .lacks("<iframe")
        .lacks("href=\"javascript:")
        .contains("<strong>Bold</strong>")
        .contains(&escaped(title))
        .contains(&escaped(description));
    let login = organizer.get("/login?next=/%22%3E%3Cscript%3Ealert(1)%3C/script%3E").await;
    login.expect(200).lacks_foreign_script();
}

async fn unknown_slugs_are_not_found(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_petition("A real petition here", true).await;
    let organizer = organizer(&app).await;
    let browser = app.browser();
    let csrf = browser.csrf().await;
    let api = app.api().await;
    let before = app.snapshot().await;
    let long = "a".repeat(5000);
    for slug in [
        "no-such-petition",
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "..%2F..%2Fetc%2Fpasswd",
        "UPPER",
        "%00",
        "%E2%80%AE",
        long.as_str(),
    ] {
        browser.get(&format!("/p/{slug}")).await.expect(404).lacks_foreign_script();
        browser.get(&format!("/p/{slug}/thanks")).await.expect(404);
        browser
            .post_form(
                &format!("/p/{slug}/sign"),
                &[("csrf", &csrf), ("name", "Nobody"), ("email", "nobody@example.org")],
            )
            .await
            .expect(404);
        browser.post_form(&format!("/p/{slug}/sign"), &[("name", "Nobody")]).await.expect(404);
        app.public_api().get(&format!("/petitions/{slug}")).await.expect_error(404, "not_found");
        app.sign(slug, "Nobody", "nobody@example.org").await.expect_error(404, "not_found");
        api.post(&format!("/petitions/{slug}/publish"), &json!({})).await.expect_error(404, "not_found");
        api.post(&format!("/petitions/{slug}/close"), &json!({})).await.expect_error(404, "not_found");
        organizer.get(&format!("/p/{slug}/edit")).await.expect(404);
        let ocsrf = organizer.csrf().await;
        organizer.post_form(&format!("/p/{slug}/publish"), &[("csrf", &ocsrf)]).await.expect(404);
    }
    browser.get("/p/").await.expect(404);
    browser.get("/no/such/page").await.expect(404);
    app.public_api().get("/nothing/here").await.expect_error(404, "not_found");
    let (status, _) =
        raw_http(app.port, "GET /p/../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", b"").await;
    assert_eq!(status, 404);
    app.assert_unchanged(&before).await;
}

async fn reused_and_forged_tokens_are_not_found(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = app.create_petition("Save the village bakery", true).await;
    let mail = app.sign_and_read_email(&slug, "Rosa", "rosa@example.org").await;
    let confirm = mail.confirm_link(&app.url).strip_prefix(&app.url).expect("local").to_owned();
    let withdraw = mail.withdraw_link(&app.url).strip_prefix(&app.url).expect("local").to_owned();
    let confirm_token = confirm.strip_prefix("/s/").expect("a token").to_owned();
    let withdraw_token = withdraw.strip_prefix("/w/").expect("a token").to_owned();
    let browser = app.browser();
    let csrf = browser.csrf().await;

    // A token used at the other door is unknown there.
    browser.get(&format!("/w/{confirm_token}")).await.expect(404);
    browser.post_form(&format!("/w/{confirm_token}"), &[("csrf", &csrf)]).await.expect(404);
    browser.get(&format!("/s/{withdraw_token}")).await.expect(404);
    browser.post_form(&format!("/s/{withdraw_token}"), &[("csrf", &csrf)]).await.expect(404);
    assert_eq!(app.signature_rows("rosa@example.org").await.len(), 1);

    // Used once, then reused: it says so, and counts nothing more.
    browser.post_form(&confirm, &[("csrf", &csrf)]).await.expect(200);
    browser
        .post_form(&confirm, &[("csrf", &csrf)])
        .await
        .expect(200)
        .contains("Your signature is already confirmed")
        .lacks("This link is not valid");
    app.assert_count(&slug, 1).await;

    // Forged: well-formed but unknown, malformed, traversal, markup, huge.
    let before = app.snapshot().await;
    let forged = [
        Token::generate().expose().to_owned(),
        "A".repeat(43),
        confirm_token.chars().rev().collect(),
        "abc".to_owned(),
        "..%2F..%2Fetc%2Fpasswd".to_owned(),
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E".to_owned(),
        "%27%20OR%201%3D1%20--".to_owned(),
        "%00".to_owned(),
        "%C3%A9".to_owned(),
        "x".repeat(5 * 1024),
    ];
    for token in &forged {
        for door in ["s", "w"] {
            let path = format!("/{door}/{token}");
            browser.get(&path).await.expect(404).lacks_foreign_script();
            browser.post_form(&path, &[("csrf", &csrf)]).await.expect(404).lacks_foreign_script();
        }
    }
    for path in ["/s/../../etc/passwd", "/s/%2e%2e/%2e%2e/etc/passwd", "/w/..", "/s/"] {
        let head = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assert_eq!(raw_http(app.port, &head, b"").await.0, 404, "{path}");
        let post = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nCookie: signons_csrf={csrf}\r\nContent-Type: {FORM}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            5 + csrf.len()
        );
        assert_eq!(raw_http(app.port, &post, format!("csrf={csrf}").as_bytes()).await.0, 404, "{path}");
    }
    app.assert_unchanged(&before).await;

    // After withdrawal, both links are dead.
    browser.post_form(&withdraw, &[("csrf", &csrf)]).await.expect(200);
    browser.post_form(&withdraw, &[("csrf", &csrf)]).await.expect(404);
    browser.get(&withdraw).await.expect(404);
    browser.get(&confirm).await.expect(404);
    app.assert_count(&slug, 0).await;
}

async fn csrf_failures_keep_the_input_and_change_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = app.create_petition("Fund the community garden", true).await;
    let mail = app.sign_and_read_email(&slug, "Pending Person", "pending@example.org").await;
    let confirm = mail.confirm_link(&app.url).strip_prefix(&app.url).expect("local").to_owned();
    let withdraw = mail.withdraw_link(&app.url).strip_prefix(&app.url).expect("local").to_owned();
    let organizer = organizer(&app).await;
    let browser = app.browser();
    let csrf = browser.get(&format!("/p/{slug}")).await.expect(200).csrf();
    let stranger = app.browser(); // has never loaded a page: no cookie
    let forged = Token::generate().expose().to_owned();
    let before = app.snapshot().await;

    // The sign form: missing, wrong, or without the cookie.
    let sign = format!("/p/{slug}/sign");
    let input = [("name", "Marie Curie"), ("email", "marie@example.org"), ("comment", "Science for all")];
    let attempts: [(&crate::helpers::Browser, Option<&str>); 4] =
        [(&browser, None), (&browser, Some(&forged)), (&browser, Some("")), (&stranger, Some(&csrf))];
    for (who, token) in attempts {
        let mut fields = input.to_vec();
        if let Some(t) = token {
            fields.push(("csrf", t));
        }
        let page = who.post_form(&sign, &fields).await;
        page.expect(403).contains("The form expired. Please submit it again.").contains(">Science for all</textarea>");
        assert_eq!(input_value(&page.body, "name").as_deref(), Some("Marie Curie"));
        assert_eq!(input_value(&page.body, "email").as_deref(), Some("marie@example.org"));
    }

    // The confirm and withdraw buttons.
    for path in [&confirm, &withdraw] {
        browser.post_form(path, &[]).await.expect(403).contains(&format!("action=\"{path}\""));
        browser.post_form(path, &[("csrf", &forged)]).await.expect(403);
        stranger.post_form(path, &[("csrf", &csrf)]).await.expect(403);
    }

    // Login, the editor, publish, close and logout.
    let login = stranger.post_form("/login", &[("email", ORGANIZER_EMAIL), ("password", ORGANIZER_PASSWORD)]).await;
    login.expect(403).lacks(ORGANIZER_PASSWORD);
    assert_eq!(input_value(&login.body, "email").as_deref(), Some(ORGANIZER_EMAIL));
    let mut fields =
        petition_fields(&forged, "A petition made elsewhere", "Somebody tries to make me publish this text.");
    let editor = organizer.post_form("/petitions/new", &crate::helpers::refs(&fields)).await;
    editor.expect(403).contains("The form expired.");
    assert_eq!(input_value(&editor.body, "title").as_deref(), Some("A petition made elsewhere"));
    fields.retain(|(k, _)| *k != "csrf");
    organizer.post_form("/petitions/new", &crate::helpers::refs(&fields)).await.expect(403);
    organizer.post_form(&format!("/p/{slug}/close"), &[("csrf", &forged)]).await.expect(403);
    organizer.post_form(&format!("/p/{slug}/close"), &[]).await.expect(403);
    organizer.post_form("/logout", &[]).await.expect(403);
    organizer.get("/dashboard").await.expect(200);

    app.assert_unchanged(&before).await;
    assert_eq!(app.petition(&slug).await["status"], "open");
    assert_eq!(app.signature_rows("pending@example.org").await.len(), 1);
}

async fn wrong_content_types_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = app.create_petition("Ban pesticides near schools", true).await;
    let before = app.snapshot().await;
    let signature = json!({ "name": "Carl", "email": "carl@example.org" }).to_string();
    let path = format!("/petitions/{slug}/signatures");
    let api = app.public_api();
    let refused = |r: crate::helpers::Response| {
        assert!(matches!(r.status.as_u16(), 400 | 415), "{}: {}", r.status, r.body);
        assert!(r.json()["error"].is_string(), "{}", r.body);
    };
    for content_type in ["text/plain", FORM, "application/xml", "multipart/form-data; boundary=x"] {
        refused(send(api.post_builder(&path).header("content-type", content_type).body(signature.clone())).await);
    }
    refused(send(api.post_builder(&path).body(signature.clone())).await);
    refused(send(api.post_builder(&path).form(&[("name", "Carl"), ("email", "carl@example.org")])).await);
    let petition =
        json!({ "title": "Sent as text", "target": "x y", "description": "d".repeat(30), "goal": 5 }).to_string();
    refused(send(app.api().await.post_builder("/petitions").header("content-type", "text/plain").body(petition)).await);

    // Not JSON, or JSON of the wrong shape.
    for body in ["{", "null", "\"text\"", r#"{"name": 5, "email": "carl@example.org"}"#, r#"{"public": "yes please"}"#]
    {
        send(api.post_builder(&path).header("content-type", "application/json").body(body))
            .await
            .expect_error(400, "bad_request");
    }

    // An array is read as a signature with no fields: named, like any missing field.
    let r = send(api.post_builder(&path).header("content-type", "application/json").body("[]")).await;
    assert_eq!(r.invalid_fields(), ["name", "email"]);

    // JSON sent to a form.
    let browser = app.browser();
    browser.csrf().await;
    let r = browser.post_raw(&format!("/p/{slug}/sign"), "application/json", signature.into_bytes()).await;
    assert!(r.status.is_client_error(), "{}", r.status);

    app.assert_unchanged(&before).await;
}

async fn the_api_needs_a_valid_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = app.create_petition("Keep the post office open", true).await;
    let draft = app.create_petition("A draft of the organizer", false).await;
    let other_token = app.create_organizer("other@elsewhere.example", "elsewhere").await;
    let before = app.snapshot().await;
    let body = json!({ "title": "Nobody may create this", "target": "Anyone", "description": "d".repeat(40), "goal": 5, "publish": true });

    let anonymous = app.public_api();
    let forged = app.api_with_token(Token::generate().expose());
    let garbage = app.api_with_token("not-a-token at all");
    for api in [&anonymous, &forged, &garbage] {
        api.post("/petitions", &body).await.expect_error(401, "unauthorized");
        api.post(&format!("/petitions/{slug}/close"), &json!({})).await.expect_error(401, "unauthorized");
        api.post(&format!("/petitions/{draft}/publish"), &json!({})).await.expect_error(401, "unauthorized");
    }
    let url = format!("{}/api/v1/petitions", app.url);
    let token = app.organizer_token().await;
    for header in [
        format!("Basic {token}"),
        format!("Token {token}"),
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
        format!("Bearer {token}x"),
    ] {
        send(anonymous.client.post(&url).header("authorization", header).json(&body))
            .await
            .expect_error(401, "unauthorized");
    }

    // A valid token of another organization: forbidden on this one's petitions.
    let other = app.api_with_token(&other_token);
    other.post(&format!("/petitions/{slug}/close"), &json!({})).await.expect_error(403, "forbidden");
    other.post(&format!("/petitions/{draft}/publish"), &json!({})).await.expect_error(403, "forbidden");

    app.assert_unchanged(&before).await;
    assert_eq!(app.petition(&slug).await["status"], "open");
    anonymous.get(&format!("/petitions/{draft}")).await.expect_error(404, "not_found");
}

async fn signing_is_rate_limited(backend: Backend) {
    const LIMIT: u32 = 3;
    let app = TestApp::spawn_with(backend, Options { sign_rate_per_ip_per_hour: LIMIT, ..Options::default() }).await;
    let slug = app.create_petition("Slow down the traffic", true).await;

    // The first signature passes; within the hour's allowance, a 429 comes.
    let mut accepted = 0;
    let mut limited = false;
    for i in 0..=LIMIT {
        let r = app.sign(&slug, "Rapid", &format!("rapid{i}@example.org")).await;
        if r.status.as_u16() == 202 {
            assert!(!limited);
            accepted += 1;
        } else {
            r.expect_error(429, "rate_limited");
            limited = true;
            break;
        }
    }
    assert!(limited, "no 429 after {} signatures with a limit of {LIMIT} an hour", LIMIT + 1);
    assert!(accepted >= 1);

    let before = app.snapshot().await;
    app.sign(&slug, "Rapid", "rapid.again@example.org").await.expect_error(429, "rate_limited");
    let browser = app.browser();
    let csrf = browser.get(&format!("/p/{slug}")).await.csrf();
    let page = browser
        .post_form(
            &format!("/p/{slug}/sign"),
            &[("csrf", &csrf), ("name", "Rapid Form"), ("email", "rapid.form@example.org")],
        )
        .await;
    page.expect(429).contains("Too many attempts from your connection.");
    assert_eq!(input_value(&page.body, "name").as_deref(), Some("Rapid Form"));
    app.assert_unchanged(&before).await;
    assert_eq!(app.count_rows(crate::helpers::Table::Signatures).await, accepted);

    // Confirming is not limited.
    let mail = app.next_email_to("rapid0@example.org").await;
    browser.follow_and_press(&mail.confirm_link(&app.url)).await.expect(200);
    app.assert_count(&slug, 1).await;
}

/// Signs through the API with extra request headers; returns the status.
async fn sign_with_headers(app: &TestApp, slug: &str, email: &str, headers: &[(&str, &str)]) -> u16 {
    let mut request = app.public_api().post_builder(&format!("/petitions/{slug}/signatures"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let body = json!({ "name": "Spoofer", "email": email });
    let response = send(request.json(&body)).await;
    if response.status.as_u16() != 202 {
        response.expect_error(429, "rate_limited");
    }
    response.status.as_u16()
}

/// Headers a client makes up to look like someone else, from any address.
const SPOOFS: [&[(&str, &str)]; 5] = [
    &[("forwarded", "for=198.51.100.1")],
    &[("forwarded", "for=\"[2001:db8::1]\";proto=https")],
    &[("x-forwarded-for", "198.51.100.2")],
    &[("x-forwarded-for", "198.51.100.3, 198.51.100.4"), ("x-real-ip", "198.51.100.5")],
    &[("forwarded", "for=198.51.100.6"), ("x-forwarded-for", "198.51.100.7")],
];

/// With `trust_forwarded_for` off (the default), the socket peer is the client: no header
/// a client sets gives it a fresh allowance.
async fn spoofed_forwarding_headers_do_not_lift_the_limit(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options { sign_rate_per_ip_per_hour: 3, ..Options::default() }).await;
    let slug = app.create_petition("Keep the night bus", true).await;
    // An allowance of one at a time (a third of the hourly three): the first passes.
    assert_eq!(sign_with_headers(&app, &slug, "first@example.org", &[]).await, 202);
    for (i, headers) in SPOOFS.iter().enumerate() {
        let status = sign_with_headers(&app, &slug, &format!("spoof{i}@example.org"), headers).await;
        assert_eq!(status, 429, "{headers:?} lifted the limit");
    }
    assert_eq!(app.count_rows(crate::helpers::Table::Signatures).await, 1);
}

/// With `trust_forwarded_for` on, behind loopback as the trusted proxy (the tests connect
/// from 127.0.0.1): the client is the right-most `X-Forwarded-For` entry, which our proxy
/// appended. Entries the client put left of it, and `Forwarded`, change nothing; IPv6
/// clients share the allowance of their /64.
async fn forwarded_for_counts_only_as_our_proxy_wrote_it(backend: Backend) {
    let options = Options { sign_rate_per_ip_per_hour: 3, trust_forwarded_for: true, ..Options::default() };
    let app = TestApp::spawn_with(backend, options).await;
    let slug = app.create_petition("Light the cycle path", true).await;
    let client = "203.0.113.7";
    assert_eq!(sign_with_headers(&app, &slug, "client@example.org", &[("x-forwarded-for", client)]).await, 202);
    for (i, spoof) in SPOOFS.iter().enumerate() {
        // What the proxy passes on: the client's headers, its own entry appended last.
        let appended: String;
        let mut headers = spoof.to_vec();
        match headers.iter().position(|(name, _)| *name == "x-forwarded-for") {
            Some(at) => {
                appended = format!("{}, {client}", headers[at].1);
                headers[at].1 = &appended;
            }
            None => headers.push(("x-forwarded-for", client)),
        }
        let status = sign_with_headers(&app, &slug, &format!("spoof{i}@example.org"), &headers).await;
        assert_eq!(status, 429, "{headers:?} lifted the limit");
    }
    // A second header line is the same list: the proxy's own line, last, still wins.
    let two_lines = [("x-forwarded-for", "198.51.100.8"), ("x-forwarded-for", client)];
    assert_eq!(sign_with_headers(&app, &slug, "lines@example.org", &two_lines).await, 429);

    // The header is believed, so the test is not vacuous: another client has its own.
    assert_eq!(sign_with_headers(&app, &slug, "other@example.org", &[("x-forwarded-for", "203.0.113.8")]).await, 202);
    // Without the header, the request comes from the proxy itself, which has its own too.
    assert_eq!(sign_with_headers(&app, &slug, "proxy@example.org", &[]).await, 202);
    // An unreadable entry: the peer (the proxy) counts, and its allowance is spent.
    let garbage = [("x-forwarded-for", "203.0.113.9, not-an-address")];
    assert_eq!(sign_with_headers(&app, &slug, "garbage@example.org", &garbage).await, 429);

    // IPv6: one /64 is one client; the next /64 is another.
    let v6 = |ip: &'static str| [("x-forwarded-for", ip)];
    assert_eq!(sign_with_headers(&app, &slug, "v6a@example.org", &v6("2001:db8:1:2::1")).await, 202);
    assert_eq!(sign_with_headers(&app, &slug, "v6b@example.org", &v6("2001:db8:1:2:ffff::9")).await, 429);
    assert_eq!(sign_with_headers(&app, &slug, "v6c@example.org", &v6("2001:db8:1:3::1")).await, 202);
    assert_eq!(app.count_rows(crate::helpers::Table::Signatures).await, 5, "client, other client, proxy and two /64s");
}

/// NUL bytes and line breaks where they cannot be: PostgreSQL refuses NUL in text and
/// headers cannot carry control characters, so each must be caught before.
async fn nul_and_control_characters_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = app.create_petition("Keep the harbour clean", true).await;
    let organizer = organizer(&app).await;
    let browser = app.browser();
    let csrf = browser.csrf().await;
    let before = app.snapshot().await;

    for path in ["/p/%00", "/p/a%00b/thanks", "/s/%00", "/w/%00abc"] {
        browser.get(path).await.expect(404);
    }
    browser
        .post_form("/p/%00/sign", &[("csrf", &csrf), ("name", "Nul"), ("email", "nul@example.org")])
        .await
        .expect(404);
    app.public_api().get("/petitions/%00").await.expect_error(404, "not_found");
    app.sign("%00", "Nul", "nul@example.org").await.expect_error(404, "not_found");
    app.api().await.post("/petitions/%00/close", &json!({})).await.expect_error(404, "not_found");
    organizer.get("/p/%00/edit").await.expect(404);

    for email in ["a\0b@example.org", "organizer@example.org\0"] {
        browser
            .post_form("/login", &[("csrf", &csrf), ("email", email), ("password", ORGANIZER_PASSWORD)])
            .await
            .expect(401);
    }
    for next in ["/\0", "/\r\nSet-Cookie: x=y", "/a\nb"] {
        // A browser of its own each time: once logged in, the forms of a browser carry a
        // token bound to its session, and the one read before would be refused.
        let login = app.browser();
        let login_csrf = login.csrf().await;
        let r = login
            .post_form(
                "/login",
                &[("csrf", &login_csrf), ("email", ORGANIZER_EMAIL), ("password", ORGANIZER_PASSWORD), ("next", next)],
            )
            .await;
        r.expect(303);
        assert!(!r.location().contains(['\0', '\r', '\n']));
        let encoded: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
        let r = browser.get(&format!("/lang/fr?next={encoded}")).await;
        r.expect(303);
        assert!(r.headers.get_all("set-cookie").iter().all(|c| !c.to_str().unwrap_or("").contains("x=y")));
    }

    for field in ["name", "email", "comment"] {
        let mut body = json!({ "name": "Nul", "email": "nul@example.org", "comment": "ok" });
        body[field] = json!("a\u{0}b@example.org");
        assert_eq!(app.sign_with(&slug, body).await.invalid_fields(), [field]);
    }
    browser
        .post_form(&format!("/p/{slug}/sign"), &[("csrf", &csrf), ("name", "a\0b"), ("email", "nul@example.org")])
        .await
        .expect(422);
    let body = json!({ "title": "Title with a \u{0} NUL", "target": "x\u{0}y", "description": format!("{}\u{0}", "d".repeat(30)), "goal": 5 });
    assert_eq!(app.api().await.post("/petitions", &body).await.invalid_fields(), ["title", "target", "description"]);

    app.assert_unchanged(&before).await;
}

/// The listing's search and page: too long, with control characters, not a number, not a
/// query string at all, or a search that is markup: each a 400 page that says what is
/// wrong and keeps the search box, or the search shown as text; never a 5xx.
async fn bad_listing_requests_get_a_clear_page(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_petition("Keep the harbour clean", true).await;
    let browser = app.browser();
    let long = "a".repeat(101);
    for (query, says) in [
        (format!("q={long}"), "The search is too long: 100 characters at most."),
        ("q=%00".to_owned(), "The search contains characters that are not allowed."),
        ("q=a%0Ab".to_owned(), "The search contains characters that are not allowed."),
        ("page=abc".to_owned(), "This is not a page number: use a whole number from 1 to 500."),
        ("page=0".to_owned(), "This is not a page number"),
        ("page=-3".to_owned(), "This is not a page number"),
        ("page=501".to_owned(), "This is not a page number"),
        ("page=99999999999999999999999999".to_owned(), "This is not a page number"),
        ("q=a&q=b".to_owned(), "This address could not be read."),
    ] {
        let r = browser.get(&format!("/petitions?{query}")).await;
        r.expect(400).contains(says).contains("name=\"q\"").lacks("Keep the harbour clean");
    }
    // A long search is shown back cut to what the box takes; markup is shown as text.
    browser
        .get(&format!("/petitions?q={}", "b".repeat(5000)))
        .await
        .expect(400)
        .contains(&"b".repeat(100))
        .lacks(&"b".repeat(101));
    let markup = "<script>alert(1)</script>";
    let r = browser.get("/petitions?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E").await;
    r.expect(200).lacks(markup).contains(&escaped(markup)).contains("No petition matches");
    // Bytes that are not UTF-8 are searched for as the replacement character.
    browser.get("/petitions?q=%FF").await.expect(200).contains("No petition matches “\u{FFFD}”");
    // `%` and `_` are searched for as they are, not as wildcards.
    browser.get("/petitions?q=%25").await.expect(200).contains("No petition matches");
    browser.get("/petitions?q=h_rbour").await.expect(200).contains("No petition matches");
    browser.get("/petitions?q=HARBOUR").await.expect(200).contains("Keep the harbour clean");
    // A page past the last one says so.
    browser.get("/petitions?page=7").await.expect(200).contains("There are fewer pages than that.");
}
