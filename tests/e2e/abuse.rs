//! Trust and safety: guessing passwords (per address and per account, argon2 off the
//! database connections), bots on the sign forms (a honeypot, an optional proof of work),
//! disposable addresses, and what the sign form ticks by default. Each limit is shown to
//! hold, and honest use beside it to keep working.

use crate::federation::{follow, host, remote_petition};
use crate::helpers::*;
use diesel::prelude::*;
use serde_json::json;
use sha2::{Digest, Sha256};
use signons_store::schema::sent_signatures;

on_both_backends! {
    parallel_wrong_logins_leave_pages_answering => parallel_wrong_logins_leave_pages_answering_sqlite, parallel_wrong_logins_leave_pages_answering_postgres;
    logins_are_throttled_per_account => logins_are_throttled_per_account_sqlite, logins_are_throttled_per_account_postgres;
    the_name_is_private_unless_ticked => the_name_is_private_unless_ticked_sqlite, the_name_is_private_unless_ticked_postgres;
    a_filled_honeypot_writes_and_sends_nothing => a_filled_honeypot_writes_and_sends_nothing_sqlite, a_filled_honeypot_writes_and_sends_nothing_postgres;
    a_proof_of_work_when_the_admin_asks => a_proof_of_work_when_the_admin_asks_sqlite, a_proof_of_work_when_the_admin_asks_postgres;
    disposable_addresses_are_refused => disposable_addresses_are_refused_sqlite, disposable_addresses_are_refused_postgres;
    the_remote_sign_form_is_guarded_too => the_remote_sign_form_is_guarded_too_sqlite, the_remote_sign_form_is_guarded_too_postgres;
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

/// What the page's script does: a nonce such that SHA-256(challenge ‖ nonce) starts with
/// `bits` zero bits.
fn solve(challenge: &str) -> String {
    let bits: u32 = challenge.split('.').next().unwrap().parse().unwrap();
    (0u64..)
        .map(|n| n.to_string())
        .find(|n| {
            let digest = Sha256::new().chain_update(challenge).chain_update(n).finalize();
            let mut zeros = 0;
            for b in digest {
                zeros += b.leading_zeros();
                if b != 0 {
                    break;
                }
            }
            zeros >= bits
        })
        .unwrap()
}

async fn sent_rows(app: &TestApp) -> i64 {
    app.read(|conn| sent_signatures::table.count().get_result(conn)).await
}

async fn a_filled_honeypot_writes_and_sends_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = app.create_petition("Keep the pool open", true).await;
    let browser = app.browser();
    let page = browser.get(&format!("/p/{slug}")).await;
    // Out of sight and out of reach for people, and said so to those who reach it anyway.
    page.expect(200)
        .contains(r#"<div class="hp" aria-hidden="true">"#)
        .contains(r#"name="topic" type="text" value="" tabindex="-1" autocomplete="off""#)
        .contains("Leave this field empty")
        .lacks("pow_challenge");
    let csrf = page.csrf();
    let before = app.snapshot().await;
    let bot = [("csrf", csrf.as_str()), ("name", "Bot"), ("email", "bot@example.org"), ("topic", "cheap pills")];
    let r = browser.post_form(&format!("/p/{slug}/sign"), &bot).await;
    // The usual answer: the thanks page, "check your email".
    r.expect(303);
    assert_eq!(r.location(), format!("/p/{slug}/thanks"));
    let api = app.sign_with(&slug, json!({ "name": "Bot", "email": "bot2@example.org", "topic": "x" })).await;
    assert_eq!(api.expect(202).json()["status"], "pending_confirmation");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    app.assert_unchanged(&before).await;

    // People leave it empty, as the form sends it, and sign.
    let fields = [("csrf", csrf.as_str()), ("name", "Ada"), ("email", "ada@example.org"), ("topic", "")];
    browser.post_form(&format!("/p/{slug}/sign"), &fields).await.expect(303);
    assert!(app.next_email_to("ada@example.org").await.subject.contains("Keep the pool open"));
    // The API asks no proof when the instance does not.
    let challenge = app.public_api().get("/challenge").await;
    assert_eq!(challenge.expect(200).json(), json!({ "proof_of_work": null }));
}

async fn a_proof_of_work_when_the_admin_asks(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options { proof_of_work_bits: Some(8), ..Options::default() }).await;
    let slug = app.create_petition("Light the stairs", true).await;
    let browser = app.browser();
    let page = browser.get(&format!("/p/{slug}")).await;
    page.expect(200)
        .contains("data-pow")
        .contains(r#"<script src="/static/pow.js" defer></script>"#)
        .contains("<noscript>")
        .contains("Please turn JavaScript on to sign.");
    let challenge = hidden_field(&page.body, "pow_challenge").expect("a challenge in the form");
    // Each page view gets its own challenge.
    let again = browser.get(&format!("/p/{slug}")).await;
    assert_ne!(hidden_field(&again.body, "pow_challenge").unwrap(), challenge);
    browser.get("/static/pow.js").await.expect(200).contains("pow_nonce");
    let csrf = page.csrf();
    let path = format!("/p/{slug}/sign");
    let before = app.snapshot().await;

    // Without JavaScript: nothing found, a clear message and the input kept.
    let no_js =
        [("csrf", csrf.as_str()), ("name", "Noor"), ("email", "noor@example.org"), ("pow_challenge", &challenge)];
    let r = browser.post_form(&path, &no_js).await;
    r.expect(422).contains("This form needs JavaScript").contains(r#"value="Noor""#);
    // A wrong nonce.
    let mut wrong = no_js.to_vec();
    wrong.push(("pow_nonce", "nope"));
    browser.post_form(&path, &wrong).await.expect(422).contains("expired or failed");
    app.assert_unchanged(&before).await;

    // With the script's answer, she signs.
    let nonce = solve(&challenge);
    let mut solved = no_js.to_vec();
    solved.push(("pow_nonce", &nonce));
    let r = browser.post_form(&path, &solved).await;
    r.expect(303);
    assert_eq!(r.location(), format!("/p/{slug}/thanks"));
    app.next_email_to("noor@example.org").await;
    // The same solution again (a bot replaying it) is refused.
    let before = app.snapshot().await;
    let replay: Vec<_> =
        solved.iter().map(|&(k, v)| if k == "email" { (k, "bot@example.org") } else { (k, v) }).collect();
    browser.post_form(&path, &replay).await.expect(422).contains("expired or failed");
    app.assert_unchanged(&before).await;

    // The API takes the same fields, with a challenge from `/api/v1/challenge`.
    let api = app.public_api();
    api.post(&format!("/petitions/{slug}/signatures"), &json!({ "name": "Al", "email": "al@example.org" }))
        .await
        .expect_error(422, "proof_of_work_required");
    let issued = api.get("/challenge").await.expect(200).json();
    assert_eq!(issued["proof_of_work"]["bits"], 8);
    let c = issued["proof_of_work"]["challenge"].as_str().unwrap().to_owned();
    let body = json!({ "name": "Al", "email": "al@example.org", "pow_challenge": c, "pow_nonce": solve(&c) });
    api.post(&format!("/petitions/{slug}/signatures"), &body).await.expect(202);
    app.next_email_to("al@example.org").await;
    api.post(&format!("/petitions/{slug}/signatures"), &body).await.expect_error(422, "proof_of_work_invalid");
}

async fn disposable_addresses_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = app.create_petition("Clean the river", true).await;
    let path = format!("/p/{slug}/sign");
    let before = app.snapshot().await;
    for (lang, message) in [
        ("en", "Addresses of this disposable email service are not accepted"),
        ("fr", "Les adresses de ce service d&#x27;e-mail jetable ne sont pas acceptées"),
    ] {
        let browser = app.browser_in(lang);
        let csrf = browser.get(&format!("/p/{slug}")).await.csrf();
        let r = browser
            .post_form(&path, &[("csrf", &csrf), ("name", "Throw Away"), ("email", "someone@mailinator.com")])
            .await;
        r.expect(422).contains(r#"id="email-error""#).contains(message).contains(r#"value="someone@mailinator.com""#);
    }
    let r = app.sign_with(&slug, json!({ "name": "Throw Away", "email": "x@sub.yopmail.com" })).await;
    assert_eq!(r.invalid_fields(), ["email"]);
    assert!(r.body.contains("error-email-disposable"), "{}", r.body);
    app.assert_unchanged(&before).await;
    // A lasting address signs.
    app.sign_and_read_email(&slug, "Kept", "kept@example.org").await;
}

/// The form of another instance's petition has the same guards: honeypot, proof of work
/// (on beta here) and disposable addresses.
async fn the_remote_sign_form_is_guarded_too(backend: Backend) {
    let alpha = crate::federation::instance(backend).await;
    let beta =
        TestApp::spawn_with(backend, Options { federation: true, proof_of_work_bits: Some(8), ..Options::default() })
            .await;
    follow(&beta, &alpha.url).await;
    let slug = alpha.create_petition("Signed from afar", true).await;
    let handle = format!("{slug}@{}", host(&alpha));
    remote_petition(&beta, &handle, "the petition to reach beta", |_| true).await;
    let browser = beta.browser();
    let page = browser.get(&format!("/p/{handle}")).await;
    page.expect(200).contains(r#"name="topic""#).contains(r#"id="public" name="public">"#);
    let csrf = page.csrf();
    let path = format!("/p/{handle}/sign");
    let challenge = |page: &Response| hidden_field(&page.body, "pow_challenge").expect("a challenge");
    let c = challenge(&page);
    let nonce = solve(&c);

    // The honeypot: the thanks page, nothing stored.
    let bot = [("csrf", csrf.as_str()), ("name", "Bot"), ("email", "bot@example.org"), ("topic", "spam")];
    assert_eq!(browser.post_form(&path, &bot).await.expect(303).location(), format!("/p/{handle}/thanks"));
    // No proof of work: refused.
    let r = browser.post_form(&path, &[("csrf", &csrf), ("name", "Ann"), ("email", "ann@example.org")]).await;
    r.expect(422).contains("This form needs JavaScript");
    // A disposable address: refused, with the proof spent (a new one comes with the form).
    let fields = [("csrf", csrf.as_str()), ("name", "Ann"), ("email", "ann@mailinator.com")];
    let mut disposable = fields.to_vec();
    disposable.extend([("pow_challenge", c.as_str()), ("pow_nonce", nonce.as_str())]);
    let r = browser.post_form(&path, &disposable).await;
    r.expect(422).contains("disposable email service");
    assert_eq!(sent_rows(&beta).await, 0);

    // Ann, with a lasting address and the script's answer to the new challenge, signs.
    let c = challenge(&r);
    let nonce = solve(&c);
    let honest = [
        ("csrf", csrf.as_str()),
        ("name", "Ann"),
        ("email", "ann@example.org"),
        ("pow_challenge", c.as_str()),
        ("pow_nonce", nonce.as_str()),
    ];
    browser.post_form(&path, &honest).await.expect(303);
    beta.next_email_to("ann@example.org").await;
    assert_eq!(sent_rows(&beta).await, 1);
}
