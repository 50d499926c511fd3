//! Trust and safety: guessing passwords (per address and per account, argon2 off the
//! database connections), bots on the sign forms (a honeypot, an optional proof of work),
//! disposable addresses, and what the sign form ticks by default. Each limit is shown to
//! hold, and honest use beside it to keep working.

use crate::helpers::*;

on_both_backends! {
    parallel_wrong_logins_leave_pages_answering => parallel_wrong_logins_leave_pages_answering_sqlite, parallel_wrong_logins_leave_pages_answering_postgres;
    logins_are_throttled_per_account => logins_are_throttled_per_account_sqlite, logins_are_throttled_per_account_postgres;
    the_name_is_private_unless_ticked => the_name_is_private_unless_ticked_sqlite, the_name_is_private_unless_ticked_postgres;
}

/// A login from the client address `ip` (the tests' server believes `X-Forwarded-For`
/// from loopback, as from its reverse proxy).
async fn login_from(browser: &Browser, csrf: &str, ip: &str, email: &str, password: &str) -> Response {
    let form = [("csrf", csrf), ("email", email), ("password", password)];
    send(browser.client.post(browser.url("/login")).header("x-forwarded-for", ip).form(&form)).await
}

fn forwarded() -> Options {
    Options { trust_forwarded_for: true, ..Options::default() }
}

async fn parallel_wrong_logins_leave_pages_answering(backend: Backend) {
    let app = TestApp::spawn_with(backend, forwarded()).await;
    let slug = app.create_petition("Open the library on Sundays", true).await;
    // A logged-in organizer's pages read the database (their session, the petition).
    let organizer = app.browser();
    organizer.login(ORGANIZER_EMAIL, ORGANIZER_PASSWORD).await;

    // Many wrong logins at once, each from its own address (so the per-address limit lets
    // them all reach argon2), more than the database has connections.
    let guesser = app.browser();
    let csrf = guesser.csrf().await;
    let guesses: Vec<_> = (0..24)
        .map(|i| {
            let (guesser, csrf) = (guesser.clone(), csrf.clone());
            async move {
                // Each at its own account (one account's sixth would be throttled).
                let email = if i == 0 { ORGANIZER_EMAIL.to_owned() } else { format!("nobody{i}@example.org") };
                login_from(&guesser, &csrf, &format!("198.51.100.{i}"), &email, "not the password").await.status
            }
        })
        .collect();
    let guesses: Vec<_> = guesses.into_iter().map(tokio::spawn).collect();
    // Meanwhile the organizer's pages answer, and so does the public page.
    organizer.get(&format!("/p/{slug}")).await.expect(200).contains("Open the library on Sundays");
    organizer.get("/dashboard").await.expect(200);
    app.browser().get(&format!("/p/{slug}")).await.expect(200);
    let mut refused = 0;
    for g in guesses {
        let status = g.await.unwrap();
        assert_eq!(status, 401, "a wrong login is refused");
        refused += 1;
    }
    assert_eq!(refused, 24);

    // The organizer, who mistypes once, still gets in.
    let honest = app.browser();
    let csrf = honest.csrf().await;
    login_from(&honest, &csrf, "192.0.2.1", ORGANIZER_EMAIL, "correct horse battery stapel").await.expect(401);
    let r = login_from(&honest, &csrf, "192.0.2.1", ORGANIZER_EMAIL, ORGANIZER_PASSWORD).await;
    r.expect(303);
    honest.get("/dashboard").await.expect(200);
}

async fn logins_are_throttled_per_account(backend: Backend) {
    let app = TestApp::spawn_with(backend, forwarded()).await;
    app.organizer_token().await;
    let other = "second.organizer@example.org";
    app.create_organizer(other, "second-org").await;
    let guesser = app.browser();
    let csrf = guesser.csrf().await;

    // Five wrong guesses at the organizer's password, each from another address.
    for i in 0..5 {
        login_from(&guesser, &csrf, &format!("203.0.113.{i}"), ORGANIZER_EMAIL, &format!("guess {i}"))
            .await
            .expect(401)
            .contains("Wrong email or password.");
    }
    // Then the account is throttled, from any address, however the email is written, even
    // with the right password.
    let throttled = login_from(&guesser, &csrf, "203.0.113.50", ORGANIZER_EMAIL, ORGANIZER_PASSWORD).await;
    throttled.expect(429).contains("Too many failed attempts for this address.");
    login_from(&guesser, &csrf, "203.0.113.51", " Organizer@EXAMPLE.org", ORGANIZER_PASSWORD).await.expect(429);
    assert!(throttled.header("set-cookie").is_none_or(|c| !c.contains("signons_session")), "no session");

    // An address without an account gets the same answers: the throttle tells nothing of
    // which addresses have accounts.
    let nobody = "nobody@example.org";
    for i in 0..5 {
        login_from(&guesser, &csrf, &format!("203.0.113.{}", 100 + i), nobody, "guess").await.expect(401);
    }
    let nobody_throttled = login_from(&guesser, &csrf, "203.0.113.150", nobody, ORGANIZER_PASSWORD).await;
    nobody_throttled.expect(429);
    assert_eq!(nobody_throttled.body.replace(nobody, "EMAIL"), throttled.body.replace(ORGANIZER_EMAIL, "EMAIL"));

    // Another organizer, who mistypes once, logs in as usual.
    let honest = app.browser();
    let csrf = honest.csrf().await;
    login_from(&honest, &csrf, "192.0.2.7", other, "typo typo typo").await.expect(401);
    login_from(&honest, &csrf, "192.0.2.7", other, ORGANIZER_PASSWORD).await.expect(303);
    honest.get("/dashboard").await.expect(200);
}

async fn the_name_is_private_unless_ticked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = app.create_petition("Plant more trees", true).await;
    let page = app.browser().get(&format!("/p/{slug}")).await;
    page.expect(200).contains(r#"id="public" name="public">"#).lacks(r#"id="public" name="public" checked"#);
}
