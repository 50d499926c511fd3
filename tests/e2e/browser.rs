//! Signons in real headless Chromium (Debian's `chromium`, installed by `.ci/setup`; the
//! driver `playwright-core` and `axe-core` come from npm, installed by `make test`).
//!
//! The journey, `tests/browser/journey.mjs`: the admin opens sign-up, an organizer signs up
//! on the web, lands on an empty dashboard, creates and publishes a petition, gives it a
//! picture and posts news; a citizen on a phone signs (the proof of work runs in the page),
//! opens the confirmation link of the email and confirms; the organizer sees the count,
//! downloads the CSV, and every organizer and admin page is checked by axe-core.
//!
//! Every public page, `tests/browser/public.mjs`: at desktop and phone widths, in English
//! and French, with no request to another origin, no JavaScript error, no serious axe-core
//! violation and no sideways scrolling on a phone.
//!
//! Screenshots: `target/screenshots/{backend}/`.

use crate::helpers::*;
use serde_json::json;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

on_both_backends! {
    an_organizer_and_a_citizen_in_chromium => an_organizer_and_a_citizen_in_chromium_sqlite, an_organizer_and_a_citizen_in_chromium_postgres;
    every_public_page_in_chromium => every_public_page_in_chromium_sqlite, every_public_page_in_chromium_postgres;
}

const STEPS: [&str; 22] = [
    "signup opened ok",
    "signup ok",
    "publish ok",
    "picture ok",
    "news ok",
    "phone layout ok",
    "error focus ok",
    "sign ok",
    "share ok",
    "confirm ok",
    "preview ok",
    "numbers ok",
    "count ok",
    "csv ok",
    "insight ok",
    "organizer pages ok",
    "admin pages ok",
    "widget ok",
    "journey ok",
    // Not steps but pages axe checked, the ones most likely to be dropped by mistake.
    "axe checked the empty dashboard",
    "axe checked the petition form, editing",
    "axe checked the invalidation form",
];

const TIMEOUT: Duration = Duration::from_secs(150);

fn screenshots(backend: Backend) -> String {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    format!("{root}/target/screenshots/{}", format!("{backend:?}").to_lowercase())
}

/// Runs `tests/browser/{script}` against `app` with `env`, answering each "email? ADDRESS"
/// it prints with the confirmation link of that address's next email; returns what it
/// printed once it succeeded.
async fn run_script(app: &TestApp, script: &str, env: &[(&str, String)]) -> String {
    let mut child = tokio::process::Command::new("node")
        .arg(format!("{}/browser/{script}", env!("CARGO_MANIFEST_DIR")))
        .env("SIGNONS_URL", &app.url)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs (`make test` installs tests/browser; `make setup` installs chromium)");
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut said = Vec::new();
    let run = async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(to) = line.strip_prefix("email? ") {
                let link = app.next_email_to(to).await.confirm_link(&app.url);
                stdin.write_all(format!("{link}\n").as_bytes()).await.unwrap();
            }
            said.push(line);
        }
    };
    let finished = tokio::time::timeout(TIMEOUT, run).await.is_ok();
    assert!(finished, "{script} did not end within {TIMEOUT:?}:\n{}", said.join("\n"));
    let out = child.wait_with_output().await.unwrap();
    let said = said.join("\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{script} in Chromium failed:\n{said}\n{stderr}");
    said
}

async fn an_organizer_and_a_citizen_in_chromium(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options { proof_of_work_bits: Some(8), ..Options::default() }).await;
    // The admin: the instance's first organizer.
    app.organizer_token().await;
    let shots = screenshots(backend);
    let env = [
        ("SCREENSHOTS", shots.clone()),
        ("ADMIN_EMAIL", ORGANIZER_EMAIL.to_owned()),
        ("ADMIN_PASSWORD", ORGANIZER_PASSWORD.to_owned()),
    ];
    let said = run_script(&app, "journey.mjs", &env).await;
    for step in STEPS {
        assert!(said.lines().any(|l| l == step), "{step:?} missing from the journey:\n{said}");
    }
    for shot in [
        "dashboard-empty-desktop",
        "dashboard-desktop",
        "dashboard-phone",
        "petition-desktop",
        "petition-phone",
        "thanks-phone",
    ] {
        let file = format!("{shots}/{shot}.png");
        let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        assert!(size > 10_000, "the screenshot {file} is missing or blank ({size} bytes)");
    }
    let signed = app.signature_rows("ada@example.net").await;
    assert_eq!(signed.len(), 1, "{signed:?}");
}

/// Every public GET page, with the petitions (open, won, closed, many), signatures and
/// links they need. Listed from `startup.rs` and the permission matrix's `PUBLIC` list; the
/// federation's JSON routes, the API and the metrics are not pages a visitor opens.
async fn every_public_page_in_chromium(backend: Backend) {
    use crate::federation::{follow, host, instance, remote_petition};
    // A federating instance, following another one: the pages of a petition from elsewhere
    // are public pages too, and they must not make the browser fetch from its home.
    let app = instance(backend).await;
    let home = instance(backend).await;
    follow(&app, &home.url).await;
    let remote = format!("{}@{}", home.create_petition("Night trains to Lisbon", true).await, host(&home));
    remote_petition(&app, &remote, "the petition of the other instance", |_| true).await;
    let api = app.api().await;
    let slug = app.create_petition("Trees for Rue des Lilas", true).await;
    api.post(&format!("/petitions/{slug}/news"), &json!({ "text": "The council will **answer** on Monday." }))
        .await
        .expect(201);
    // Ada confirmed and asked for news (her news email has the unsubscribe link); Bob's
    // signature waits for confirmation.
    app.sign_with(&slug, json!({ "name": "Ada", "email": "ada@example.net", "public": true, "opt_in": true }))
        .await
        .expect(202);
    let ada = app.next_email_to("ada@example.net").await;
    app.browser().follow_and_press(&ada.confirm_link(&app.url)).await.expect(200);
    api.post(&format!("/petitions/{slug}/news"), &json!({ "text": "The council said yes." })).await.expect(201);
    let news = app.next_email_to("ada@example.net").await;
    let unsubscribe = news.header("List-Unsubscribe").expect("an unsubscribe link");
    let unsubscribe = unsubscribe.trim().trim_start_matches('<').trim_end_matches('>').to_owned();
    let bob = app.sign_and_read_email(&slug, "Bob", "bob@example.net").await;
    let local = |link: String| link.strip_prefix(&app.url).expect("a link of the instance").to_owned();
    let (confirm, withdraw) = (local(bob.confirm_link(&app.url)), local(bob.withdraw_link(&app.url)));
    let unsubscribe = local(unsubscribe);

    let won = app.create_petition("A library open on Sundays", true).await;
    api.post(&format!("/petitions/{won}/win"), &json!({ "message": "The library opens on Sundays from March." }))
        .await
        .expect(200);
    let closed = app.create_petition("A bridge nobody wanted", true).await;
    api.post(&format!("/petitions/{closed}/close"), &json!({})).await.expect(200);
    // More than a listing's page, so that there is a second one.
    for i in 1..=20 {
        app.create_petition(&format!("Benches for square number {i}"), true).await;
    }

    let petition_url = format!("{}/p/{slug}", app.url);
    let with_query = |path: &str, query: &[(&str, &str)]| {
        let u = reqwest::Url::parse_with_params(&format!("{}{path}", app.url), query).unwrap();
        format!("{}?{}", u.path(), u.query().unwrap_or(""))
    };
    let pages: Vec<(String, u16)> = [
        ("/".to_owned(), 200),
        ("/petitions".to_owned(), 200),
        ("/petitions?q=trees".to_owned(), 200),
        ("/petitions?q=nothing+like+this".to_owned(), 200),
        (format!("/petitions?org={ORGANIZATION}&status=won&sort=most-signed"), 200),
        ("/petitions?status=closed&sort=trending".to_owned(), 200),
        ("/petitions?page=2".to_owned(), 200),
        (format!("/p/{slug}"), 200),
        (format!("/p/{slug}/sign"), 200),
        (format!("/p/{slug}/thanks"), 200),
        (with_query("/share", &[("url", &petition_url), ("title", "Trees"), ("instance", "mastodon.social")]), 200),
        (format!("/p/{slug}/report"), 200),
        (format!("/p/{won}"), 200),
        (format!("/p/{closed}"), 200),
        (format!("/o/{ORGANIZATION}"), 200),
        (format!("/p/{remote}"), 200),
        (format!("/p/{remote}/thanks"), 200),
        (format!("/embed/p/{slug}"), 200),
        (confirm, 200),
        (withdraw, 200),
        (unsubscribe, 200),
        ("/privacy".to_owned(), 200),
        ("/login".to_owned(), 200),
        // Sign-up is by invitation on a new instance: the page says so.
        ("/signup".to_owned(), 404),
        ("/password/forgot".to_owned(), 200),
        ("/no-such-page".to_owned(), 404),
        ("/p/no-such-petition".to_owned(), 404),
        (format!("/p/{slug}/news.atom"), 200),
        ("/feeds/petitions.atom".to_owned(), 200),
        (format!("/p/{slug}/share.svg"), 200),
        (with_query("/oembed", &[("url", &petition_url)]), 200),
        ("/robots.txt".to_owned(), 200),
        ("/sitemap.xml".to_owned(), 200),
    ]
    .into();
    let env = [("SCREENSHOTS", screenshots(backend)), ("PAGES", serde_json::to_string(&pages).unwrap())];
    let said = run_script(&app, "public.mjs", &env).await;
    let expected = format!("checked {}", pages.len() * 4);
    assert!(said.lines().any(|l| l == expected), "{expected:?} missing:\n{said}");
}
