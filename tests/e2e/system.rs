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
}
