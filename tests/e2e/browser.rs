//! Signons in real headless Chromium (Debian's `chromium`, installed by `.ci/setup`; the
//! driver `playwright-core` and `axe-core` come from npm, installed by `make test`). The
//! journey itself is `tests/browser/journey.mjs`: an organizer logs in, creates and
//! publishes a petition and posts news; a citizen on a phone signs (the proof of work runs
//! in the page), opens the confirmation link of the email and confirms; the organizer sees
//! the count and downloads the CSV. It fails on a request that leaves the instance, a
//! JavaScript error, or a serious axe-core violation. Screenshots: `target/screenshots/`.

use crate::helpers::*;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

on_both_backends! {
    an_organizer_and_a_citizen_in_chromium => an_organizer_and_a_citizen_in_chromium_sqlite, an_organizer_and_a_citizen_in_chromium_postgres;
}

const STEPS: [&str; 15] = [
    "login ok",
    "publish ok",
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
    "widget ok",
    "journey ok",
];

async fn an_organizer_and_a_citizen_in_chromium(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options { proof_of_work_bits: Some(8), ..Options::default() }).await;
    app.organizer_token().await;
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let shots = format!("{root}/target/screenshots/{}", format!("{backend:?}").to_lowercase());
    let mut child = tokio::process::Command::new("node")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/browser/journey.mjs"))
        .env("SIGNONS_URL", &app.url)
        .env("SCREENSHOTS", &shots)
        .env("ORGANIZER_EMAIL", ORGANIZER_EMAIL)
        .env("ORGANIZER_PASSWORD", ORGANIZER_PASSWORD)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs (`make test` installs tests/browser; `make setup` installs chromium)");
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut said = Vec::new();
    let journey = async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(to) = line.strip_prefix("email? ") {
                let link = app.next_email_to(to).await.confirm_link(&app.url);
                stdin.write_all(format!("{link}\n").as_bytes()).await.unwrap();
            }
            said.push(line);
        }
    };
    tokio::time::timeout(Duration::from_secs(120), journey).await.expect("the journey ends within two minutes");
    let out = child.wait_with_output().await.unwrap();
    let said = said.join("\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the journey in Chromium failed:\n{said}\n{stderr}");
    for step in STEPS {
        assert!(said.lines().any(|l| l == step), "{step:?} missing from the journey:\n{said}");
    }
    for shot in ["dashboard-desktop", "dashboard-phone", "petition-desktop", "petition-phone", "thanks-phone"] {
        let file = format!("{shots}/{shot}.png");
        let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        assert!(size > 10_000, "the screenshot {file} is missing or blank ({size} bytes)");
    }
    let signed = app.signature_rows("ada@example.net").await;
    assert_eq!(signed.len(), 1, "{signed:?}");
}
