//! The health check, the security headers of every response, and the first visit to an
//! empty instance.

use crate::helpers::{Backend, TestApp};

on_both_backends! {
    health_headers_and_first_visit => health_headers_and_first_visit_sqlite, health_headers_and_first_visit_postgres;
}

async fn health_headers_and_first_visit(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = app.browser();

    let health = browser.get("/healthz").await;
    assert_eq!(health.expect(200).json()["status"], "ok");
    // Readiness: the database answers, and the job queues' counts (an outage is
    // `fault::postgres`).
    let ready = browser.get("/readyz").await.expect(200).json();
    assert_eq!((&ready["status"], &ready["database"]), (&"ready".into(), &"ok".into()), "{ready}");
    assert!(ready["queues"]["email"]["queued"].is_i64() && ready["queues"]["delivery"]["dead"].is_i64(), "{ready}");

    // An empty instance tells its first visitor how to start.
    let home = browser.get("/").await;
    home.expect(200).contains("Welcome to Signons").contains("signons admin create-organizer");
    let cookie = home.header("set-cookie").expect("a CSRF cookie");
    assert!(cookie.starts_with("signons_csrf="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");

    let slug = app.create_petition("Clean the canal banks", true).await;
    let link = format!("href=\"/p/{slug}\"");
    browser
        .page_until("/", "the new petition on the home page", |p| p.body.contains(&link))
        .await
        .lacks("Welcome to Signons");

    for path in [
        "/",
        "/healthz",
        "/readyz",
        "/metrics",
        "/login",
        &format!("/p/{slug}"),
        "/p/no-such-petition",
        "/api/v1/petitions",
        "/api/v1/nothing",
        "/static/signons.css",
    ] {
        let r = browser.get(path).await;
        let csp = r.header("content-security-policy").unwrap_or_else(|| panic!("no CSP on {path}"));
        for directive in ["default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'"] {
            assert!(csp.contains(directive), "{path}: {directive} missing in {csp}");
        }
        assert_eq!(r.header("x-frame-options"), Some("DENY"), "{path}");
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"), "{path}");
        assert!(r.header("x-request-id").is_some(), "{path}");
    }
    let css = browser.get("/static/signons.css").await;
    assert!(css.expect(200).header("content-type").is_some_and(|t| t.starts_with("text/css")));
    browser.get("/static/no-such-file.css").await.expect(404);

    // Every page names its icon, and the conventional address leads to it.
    browser.get("/").await.contains(r#"<link rel="icon" href="/static/favicon.svg""#);
    let icon = browser.get("/static/favicon.svg").await;
    assert_eq!(icon.expect(200).header("content-type"), Some("image/svg+xml"));
    assert_eq!(browser.get("/favicon.ico").await.expect(301).header("location"), Some("/static/favicon.svg"));
}

on_both_backends! {
    head_robots_and_sitemap => head_robots_and_sitemap_sqlite, head_robots_and_sitemap_postgres;
}

/// What link checkers and search engines ask: HEAD on any page, robots.txt, the sitemap.
async fn head_robots_and_sitemap(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = app.browser();
    let open = app.create_petition("Plant trees on the ring road", true).await;
    let draft = app.create_petition("A draft nobody may see yet", false).await;

    // HEAD answers as GET would, headers and all, without the body.
    for path in ["/", "/healthz", "/petitions", &format!("/p/{open}"), "/static/signons.css"] {
        let got = browser.get(path).await.expect(200).header("content-type").map(str::to_owned);
        let head = crate::helpers::send(browser.client.head(browser.url(path))).await;
        assert_eq!(head.status, 200, "HEAD {path}");
        assert_eq!(head.header("content-type").map(str::to_owned), got, "HEAD {path}");
        assert!(head.body.is_empty(), "HEAD {path} sent a body");
    }
    let missing = crate::helpers::send(browser.client.head(browser.url("/p/no-such-petition"))).await;
    assert_eq!(missing.status, 404);

    // Token links and private pages are closed to crawlers; the sitemap is named.
    let robots = browser.get("/robots.txt").await;
    robots.expect(200).contains("Disallow: /s/\n").contains("Disallow: /w/\n").contains("Disallow: /admin/\n");
    robots.contains(&format!("Sitemap: {}/sitemap.xml", app.url));

    // The sitemap lists public petitions and their organization, never a draft.
    let sitemap = browser.get("/sitemap.xml").await;
    assert!(sitemap.expect(200).header("content-type").is_some_and(|t| t.starts_with("application/xml")));
    sitemap
        .contains(&format!("<loc>{}/p/{open}</loc><lastmod>", app.url))
        .contains(&format!("<loc>{}/o/{}</loc>", app.url, crate::helpers::ORGANIZATION))
        .contains(&format!("<loc>{}/petitions</loc>", app.url))
        .lacks(&draft);
}

/// `signons migrate | grep -q applied`, or `| head`: the reader closes the pipe before the
/// command prints, and the command ends quietly instead of panicking on the broken pipe.
#[test]
fn command_output_into_a_closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_signons-under-test"))
        .arg("migrate")
        .env_remove("SIGNONS_CONFIG")
        .env("SIGNONS_DATABASE_URL", format!("sqlite://{}", dir.path().join("signons.db").display()))
        .env("SIGNONS_DATA_DIR", dir.path())
        .env("SIGNONS_LINK_KEY_FILE", dir.path().join("link.key"))
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes at once: migrating takes far longer than this.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
}
