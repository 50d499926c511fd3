//! Accounts and sessions: changing and resetting a password (and the sessions that end
//! with it), API tokens listed, expiring and revoked from the dashboard, CSRF tokens bound
//! to the session and `__Host-` cookies with HSTS on https, and who may read `/metrics`.

use crate::helpers::{hidden_field, send, Backend, Browser, Options, TestApp, ORGANIZER_EMAIL, ORGANIZER_PASSWORD};
use diesel::prelude::*;
use serde_json::json;
use signons_store::schema::{api_tokens, password_resets, sessions};

on_both_backends! {
    changing_the_password_ends_the_other_sessions => changing_the_password_ends_the_other_sessions_sqlite, changing_the_password_ends_the_other_sessions_postgres;
    a_forgotten_password_is_reset_by_email => a_forgotten_password_is_reset_by_email_sqlite, a_forgotten_password_is_reset_by_email_postgres;
    api_tokens_are_listed_expire_and_are_revoked => api_tokens_are_listed_expire_and_are_revoked_sqlite, api_tokens_are_listed_expire_and_are_revoked_postgres;
    csrf_tokens_are_bound_to_the_session => csrf_tokens_are_bound_to_the_session_sqlite, csrf_tokens_are_bound_to_the_session_postgres;
    https_instances_send_hsts_and_host_cookies => https_instances_send_hsts_and_host_cookies_sqlite, https_instances_send_hsts_and_host_cookies_postgres;
    metrics_are_served_to_configured_addresses_or_a_token => metrics_are_served_to_configured_addresses_or_a_token_sqlite, metrics_are_served_to_configured_addresses_or_a_token_postgres;
}

const NEW_PASSWORD: &str = "a brand new passphrase";

async fn logged_in(app: &TestApp) -> Browser {
    let browser = app.browser();
    browser.login(ORGANIZER_EMAIL, ORGANIZER_PASSWORD).await;
    browser
}

async fn login_status(app: &TestApp, password: &str) -> u16 {
    let browser = app.browser();
    let csrf = browser.csrf().await;
    let r = browser.post_form("/login", &[("csrf", &csrf), ("email", ORGANIZER_EMAIL), ("password", password)]).await;
    r.status.as_u16()
}

async fn changing_the_password_ends_the_other_sessions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.organizer_token().await;
    let here = logged_in(&app).await;
    let elsewhere = logged_in(&app).await;

    let account = here.get("/dashboard").await;
    account.expect(200).contains("href=\"/account\"");
    let csrf = here.get("/account").await.expect(200).contains("Change your password").csrf();
    let change = |current: &'static str, new: &'static str, again: &'static str| {
        let (here, csrf) = (here.clone(), csrf.clone());
        async move {
            here.post_form(
                "/account/password",
                &[("csrf", &csrf), ("current_password", current), ("new_password", new), ("new_password_again", again)],
            )
            .await
        }
    };
    // Mistakes: the form again, each error by its field, nothing changed.
    change("not my password", NEW_PASSWORD, NEW_PASSWORD)
        .await
        .expect(422)
        .contains("This is not your current password.");
    change(ORGANIZER_PASSWORD, NEW_PASSWORD, "a brand new passphrasE")
        .await
        .expect(422)
        .contains("The two passwords differ.");
    change(ORGANIZER_PASSWORD, "short", "short").await.expect(422).contains("At least 10 characters.");
    let forged = here
        .post_form(
            "/account/password",
            &[("csrf", "forged"), ("current_password", ORGANIZER_PASSWORD), ("new_password", NEW_PASSWORD)],
        )
        .await;
    forged.expect(403);
    elsewhere.get("/dashboard").await.expect(200);
    assert_eq!(login_status(&app, ORGANIZER_PASSWORD).await, 303, "the password did not change");

    // That login made a third session; the change ends every one but this.
    let changed = change(ORGANIZER_PASSWORD, NEW_PASSWORD, NEW_PASSWORD).await;
    changed
        .expect(200)
        .contains("Your password was changed. Your other sessions were logged out and your API tokens revoked.");
    here.get("/dashboard").await.expect(200);
    assert_eq!(elsewhere.get("/dashboard").await.expect(303).location(), "/login?next=%2Fdashboard");
    let left: i64 = app.read(|conn| sessions::table.count().get_result(conn)).await;
    assert_eq!(left, 1, "only the session that changed the password is left");
    assert_eq!(login_status(&app, ORGANIZER_PASSWORD).await, 401);
    assert_eq!(login_status(&app, NEW_PASSWORD).await, 303);

    // In French too.
    let fr = app.browser_in("fr");
    fr.login(ORGANIZER_EMAIL, NEW_PASSWORD).await;
    let csrf = fr.get("/account").await.expect(200).contains("Changer votre mot de passe").csrf();
    fr.post_form(
        "/account/password",
        &[("csrf", &csrf), ("current_password", "faux"), ("new_password", NEW_PASSWORD), ("new_password_again", "x")],
    )
    .await
    .expect(422)
    .contains("Ce n&#x27;est pas votre mot de passe actuel.");
}

async fn a_forgotten_password_is_reset_by_email(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.organizer_token().await;
    let session = logged_in(&app).await;
    let visitor = app.browser();

    let login = visitor.get("/login").await;
    login.expect(200).contains("href=\"/password/forgot\"").contains("Forgot your password?");
    let csrf = visitor.get("/password/forgot").await.expect(200).csrf();
    let ask = |email: &'static str| {
        let (visitor, csrf) = (visitor.clone(), csrf.clone());
        async move { visitor.post_form("/password/forgot", &[("csrf", &csrf), ("email", email)]).await }
    };
    // The same answer for an address with an account and one without.
    let unknown = ask("nobody@example.org").await;
    let known = ask(ORGANIZER_EMAIL).await;
    unknown.expect(200).contains("If an organizer account uses this address");
    known.expect(200);
    assert_eq!(unknown.body.replace(&unknown.csrf_or_empty(), ""), known.body.replace(&known.csrf_or_empty(), ""));
    ask("not an address").await.expect(422).contains("id=\"email-error\"");

    let mail = app.next_email_to(ORGANIZER_EMAIL).await;
    assert!(mail.subject.contains("Reset your password"), "{}", mail.subject);
    assert!(mail.text().contains("The link works once, for 60 minutes."), "{}", mail.text());
    let prefix = format!("{}/password/reset/", app.url);
    let link = mail.links(&prefix).into_iter().next().expect("a reset link in the email");
    let token = link.strip_prefix(&prefix).unwrap().to_owned();
    app.wait_mail_queue_empty().await;
    assert!(app.outbox_emails().iter().all(|(_, m)| m.to != "nobody@example.org"), "no email to an unknown address");
    // Stored hashed, like every token.
    let stored: Vec<String> =
        app.read(|conn| password_resets::table.select(password_resets::token_hash).load(conn)).await;
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].contains(&token));

    // Opening the link only shows the form (mail scanners fetch links).
    let path = link.strip_prefix(&app.url).unwrap().to_owned();
    let form = visitor.get(&path).await;
    let csrf = form.expect(200).contains("Choose a new password").csrf();
    visitor.get(&path).await.expect(200);
    let mismatch = visitor
        .post_form(&path, &[("csrf", &csrf), ("new_password", NEW_PASSWORD), ("new_password_again", "something else")])
        .await;
    mismatch.expect(422).contains("The two passwords differ.");
    let done = visitor
        .post_form(&path, &[("csrf", &csrf), ("new_password", NEW_PASSWORD), ("new_password_again", NEW_PASSWORD)])
        .await;
    done.expect(200).contains("Your password was changed");
    // Single use, and every session of the account ended.
    visitor.get(&path).await.expect(404).contains("This link is not valid, or was already used.");
    visitor
        .post_form(&path, &[("csrf", &csrf), ("new_password", NEW_PASSWORD), ("new_password_again", NEW_PASSWORD)])
        .await
        .expect(404);
    assert_eq!(session.get("/dashboard").await.expect(303).location(), "/login?next=%2Fdashboard");
    assert_eq!(login_status(&app, ORGANIZER_PASSWORD).await, 401);
    assert_eq!(login_status(&app, NEW_PASSWORD).await, 303);
    visitor.get("/password/reset/not-a-token").await.expect(404);

    // At most three emails an hour to one account, however many requests.
    for _ in 0..5 {
        ask(ORGANIZER_EMAIL).await.expect(200).contains("If an organizer account uses this address");
    }
    app.wait_mail_queue_empty().await;
    let sent = app.outbox_emails().iter().filter(|(_, m)| m.to == ORGANIZER_EMAIL).count();
    assert_eq!(sent, 1 + 3, "the first email, then three of the five requests");

    // An expired link says so.
    let mail = app.next_email_to(ORGANIZER_EMAIL).await;
    let link = mail.links(&prefix).into_iter().next().expect("a reset link");
    app.write(|conn| {
        diesel::update(password_resets::table)
            .set(password_resets::expires_at.eq(signons_store::now() - chrono::TimeDelta::minutes(1)))
            .execute(conn)
    })
    .await;
    let path = link.strip_prefix(&app.url).unwrap();
    visitor.get(path).await.expect(410).contains("This link has expired.").contains("href=\"/password/forgot\"");
}

async fn api_tokens_are_listed_expire_and_are_revoked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.organizer_token().await;
    let browser = logged_in(&app).await;
    let csrf = browser.get("/account").await.expect(200).contains("API tokens").csrf();

    let created = browser
        .post_form("/account/tokens", &[("csrf", &csrf), ("name", "Campaign site"), ("expires_in_days", "30")])
        .await;
    created.expect(200).contains("copy it now");
    let token =
        created.body.split("<code id=\"new-token\">").nth(1).and_then(|s| s.split('<').next()).unwrap().to_owned();
    app.api_with_token(&token)
        .post(
            "/petitions",
            &json!({"title": "Token at work", "target": "Everyone",
        "description": "A petition made with a token from the dashboard.", "goal": 10}),
        )
        .await
        .expect(201);

    // Listed with its name, dates and expiry, never with its secret.
    let list = browser.get("/account").await;
    let today = chrono::Utc::now().date_naive();
    // Dates written out in the page's language ("2 January 2027").
    let written = |d: chrono::NaiveDate| d.format("%-d %B %Y").to_string();
    list.expect(200).contains("Campaign site").contains(&written(today + chrono::Days::new(30))).lacks(&token);
    assert!(list.body.matches(&written(today)).count() >= 2, "created and last used today:\n{}", list.body);
    let hash_prefix: String = app
        .read(|conn| {
            api_tokens::table.filter(api_tokens::name.eq("Campaign site")).select(api_tokens::token_hash).first(conn)
        })
        .await;
    let id = &hash_prefix[..16];
    list.contains(&format!("action=\"/account/tokens/{id}/revoke\""));

    // Bad input: a clear error, nothing made.
    for (name, days, field) in
        [("", "30", "name-error"), ("Fine", "0", "expires_in_days-error"), ("Fine", "ever", "expires_in_days-error")]
    {
        browser
            .post_form("/account/tokens", &[("csrf", &csrf), ("name", name), ("expires_in_days", days)])
            .await
            .expect(422)
            .contains(&format!("id=\"{field}\""));
    }
    browser.post_form("/account/tokens/zzzz/revoke", &[("csrf", &csrf)]).await.expect(404);
    browser.post_form("/account/tokens/0123456789abcdef/revoke", &[("csrf", &csrf)]).await.expect(404);
    browser.post_form(&format!("/account/tokens/{id}/revoke"), &[("csrf", "forged")]).await.expect(403);
    // Another organization's organizer cannot revoke it.
    app.create_organizer("other@example.org", "other-org").await;
    let other = app.browser();
    other.login("other@example.org", ORGANIZER_PASSWORD).await;
    let other_csrf = other.get("/account").await.expect(200).lacks("Campaign site").csrf();
    other.post_form(&format!("/account/tokens/{id}/revoke"), &[("csrf", &other_csrf)]).await.expect(404);

    // Expired: refused with its own error code.
    app.write(|conn| {
        diesel::update(api_tokens::table.filter(api_tokens::name.eq("Campaign site")))
            .set(api_tokens::expires_at.eq(Some(signons_store::now() - chrono::TimeDelta::seconds(1))))
            .execute(conn)
    })
    .await;
    let expired = app.api_with_token(&token).post("/petitions", &json!({"title": "Too late"})).await;
    expired.expect_error(401, "token_expired");
    browser.get("/account").await.expect(200).contains("Expired on");

    // Revoked: refused as unknown, and gone from the list.
    let revoked = browser.post_form(&format!("/account/tokens/{id}/revoke"), &[("csrf", &csrf)]).await;
    revoked.expect(200).contains("The token was revoked").lacks("Campaign site");
    app.api_with_token(&token).post("/petitions", &json!({"title": "Revoked"})).await.expect_error(401, "unauthorized");
    // The organizer's other token still works.
    app.create_petition("Made with the other token", false).await;
}

async fn csrf_tokens_are_bound_to_the_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.organizer_token().await;
    let browser = app.browser();
    let anonymous = browser.csrf().await;
    browser.login(ORGANIZER_EMAIL, ORGANIZER_PASSWORD).await;
    // Same browser, same CSRF cookie: the form token changed with the session.
    let first = browser.get("/account").await.expect(200).csrf();
    assert_ne!(first, anonymous);
    let new_token = |csrf: String| {
        let browser = browser.clone();
        async move {
            browser.post_form("/account/tokens", &[("csrf", &csrf), ("name", "x"), ("expires_in_days", "7")]).await
        }
    };
    new_token(anonymous.clone()).await.expect(403);
    new_token(first.clone()).await.expect(200);

    // A second login in the same browser (same CSRF cookie): the first session's token is
    // refused in the second.
    let csrf = browser.get("/login").await.expect(200).csrf();
    assert_eq!(csrf, first);
    let r = browser
        .post_form("/login", &[("csrf", &csrf), ("email", ORGANIZER_EMAIL), ("password", ORGANIZER_PASSWORD)])
        .await;
    r.expect(303);
    let second = browser.get("/account").await.expect(200).csrf();
    assert_ne!(second, first);
    new_token(first).await.expect(403);
    new_token(second).await.expect(200);
}

async fn https_instances_send_hsts_and_host_cookies(backend: Backend) {
    let plain = TestApp::spawn(backend).await;
    let page = plain.browser().get("/login").await;
    page.expect(200);
    assert!(page.header("strict-transport-security").is_none(), "no HSTS on plain http");
    assert!(page.header("set-cookie").is_some_and(|c| c.starts_with("signons_csrf=")));

    let app = TestApp::spawn_with(backend, Options { https: true, ..Options::default() }).await;
    // Served over http here, as behind a TLS proxy; the cookie jar would not send Secure
    // cookies over http, so they are sent by hand.
    let base = format!("http://127.0.0.1:{}", app.port);
    let client = reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    for path in ["/login", "/healthz", "/api/v1/petitions", "/no-such-page"] {
        let r = send(client.get(format!("{base}{path}"))).await;
        assert_eq!(r.header("strict-transport-security"), Some("max-age=31536000"), "{path}");
    }
    let login = send(client.get(format!("{base}/login"))).await;
    let cookie = login.header("set-cookie").expect("a CSRF cookie").to_owned();
    assert!(cookie.starts_with("__Host-signons_csrf="), "{cookie}");
    assert!(cookie.contains("Secure") && cookie.contains("Path=/") && !cookie.contains("Domain"), "{cookie}");
    let value = cookie.split(';').next().unwrap().to_owned();
    let csrf = hidden_field(&login.body, "csrf").unwrap();
    // The prefixed cookie is the one read: the plain name is not believed on https.
    let plain_cookie = value.replacen("__Host-signons_csrf", "signons_csrf", 1);
    for (cookie, status) in [(plain_cookie.as_str(), 403), (value.as_str(), 401)] {
        let r = send(client.post(format!("{base}/login")).header("cookie", cookie).form(&[
            ("csrf", csrf.as_str()),
            ("email", "x@example.org"),
            ("password", "wrong password"),
        ]))
        .await;
        assert_eq!(r.status.as_u16(), status, "{cookie}: {}", r.body);
    }
}

async fn metrics_are_served_to_configured_addresses_or_a_token(backend: Backend) {
    // By default: loopback only, which is where the tests connect from.
    let app = TestApp::spawn(backend).await;
    let r = app.browser().get("/metrics").await;
    r.expect(200);
    assert!(r.body.contains("signons_"), "{}", r.body);

    // Behind a trusted proxy, the client is the address the proxy reports, not loopback.
    let proxied = TestApp::spawn_with(backend, Options { trust_forwarded_for: true, ..Options::default() }).await;
    let client = proxied.public_api().client;
    let from = |ip: &str| client.get(format!("{}/metrics", proxied.url)).header("x-forwarded-for", ip.to_owned());
    send(from("203.0.113.9")).await.expect_error(403, "forbidden");
    send(from("127.0.0.1")).await.expect(200);

    let token = "m3tr1cs-t0ken-for-prometheus-only-0123";
    let app = TestApp::spawn_with(
        backend,
        Options {
            metrics_allow: Some(vec!["10.0.0.0/8".into()]),
            metrics_token: Some(token.into()),
            ..Options::default()
        },
    )
    .await;
    let client = app.public_api().client;
    let url = format!("{}/metrics", app.url);
    send(client.get(&url)).await.expect_error(403, "forbidden");
    send(client.get(&url).bearer_auth("wrong-token")).await.expect_error(403, "forbidden");
    send(client.get(&url).bearer_auth(&token[..token.len() - 1])).await.expect_error(403, "forbidden");
    let ok = send(client.get(&url).bearer_auth(token)).await;
    assert!(ok.expect(200).body.contains("signons_"));
}

trait CsrfOrEmpty {
    fn csrf_or_empty(&self) -> String;
}

impl CsrfOrEmpty for crate::helpers::Response {
    /// The page's CSRF token, to compare two pages apart from it.
    fn csrf_or_empty(&self) -> String {
        hidden_field(&self.body, "csrf").unwrap_or_default()
    }
}
