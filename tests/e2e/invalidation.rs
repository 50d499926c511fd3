//! Bulk invalidation (`/admin/invalidate`, `signons admin invalidate`): signatures are
//! chosen by the network they came from (the client address a trusted proxy reports),
//! the domain of their email or the time they were made; the preview counts them and
//! changes nothing; the invalidation removes exactly them from the count, on the page and
//! in the API, and leaves other signatures and other petitions alone; honest signers,
//! also from the same network, still sign.

use crate::helpers::*;
use diesel::prelude::*;
use serde_json::json;
use signons_store::schema::{
    sent_signature_invalidations as ssi, sent_signatures, signature_invalidations as si, signatures,
};

on_both_backends! {
    admin_page_previews_then_invalidates_a_network => admin_page_previews_then_invalidates_a_network_sqlite, admin_page_previews_then_invalidates_a_network_postgres;
    only_admins_reach_the_invalidation_page => only_admins_reach_the_invalidation_page_sqlite, only_admins_reach_the_invalidation_page_postgres;
    command_line_previews_then_invalidates_by_domain_and_time => command_line_previews_then_invalidates_by_domain_and_time_sqlite, command_line_previews_then_invalidates_by_domain_and_time_postgres;
    signatures_sent_elsewhere_leave_the_count_there => signatures_sent_elsewhere_leave_the_count_there_sqlite, signatures_sent_elsewhere_leave_the_count_there_postgres;
}

const PAGE: &str = "/admin/invalidate";

async fn spawn(backend: Backend) -> TestApp {
    // The tests connect from loopback, a trusted proxy: `X-Forwarded-For` chooses the
    // client address each signature is made from.
    TestApp::spawn_with(backend, Options { trust_forwarded_for: true, ..Options::default() }).await
}

/// Signs through the API from `client`; returns the confirmation email's link.
async fn sign_from(app: &TestApp, slug: &str, name: &str, email: &str, client: &str) -> String {
    let body = json!({ "name": name, "email": email, "public": true });
    let request = app
        .public_api()
        .post_builder(&format!("/petitions/{slug}/signatures"))
        .header("x-forwarded-for", client)
        .json(&body);
    send(request).await.expect(202);
    app.next_email_to(email).await.confirm_link(&app.url)
}

/// Signs from `client` and confirms.
async fn signed_from(app: &TestApp, slug: &str, name: &str, email: &str, client: &str) {
    let link = sign_from(app, slug, name, email, client).await;
    app.browser().follow_and_press(&link).await.expect(200);
}

/// How many signatures are marked invalidated, in all.
async fn invalidated(app: &TestApp) -> i64 {
    app.read(|conn| signatures::table.filter(signatures::invalidated_at.is_not_null()).count().get_result(conn)).await
}

async fn admin_page_previews_then_invalidates_a_network(backend: Backend) {
    let app = spawn(backend).await;
    let slug = app.create_petition("Keep the park green", true).await;
    let other = app.create_petition("Save the library", true).await;
    // From 203.0.113.0/24: two confirmed, one never confirmed. From 198.51.100.0/24 and
    // from IPv6: honest signers.
    signed_from(&app, &slug, "Bot One", "bot1@example.org", "203.0.113.10").await;
    signed_from(&app, &slug, "Bot Two", "bot2@example.org", "203.0.113.200").await;
    let pending_link = sign_from(&app, &slug, "Bot Three", "bot3@example.org", "203.0.113.77").await;
    signed_from(&app, &slug, "Ann Honest", "ann@example.org", "198.51.100.4").await;
    signed_from(&app, &slug, "Vic Six", "vic@example.org", "2001:db8:1:2::5").await;
    // The same network on another petition.
    signed_from(&app, &other, "Bot One", "bot1@example.org", "203.0.113.10").await;
    app.assert_count(&slug, 4).await;
    app.assert_count(&other, 1).await;

    let (browser, csrf) = app.admin_browser(PAGE).await;
    let form = |action: &'static str, network: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("action", action.to_owned()),
            ("petition", slug.clone()),
            ("network", network.to_owned()),
            ("domain", String::new()),
            ("from", String::new()),
            ("until", String::new()),
        ]
    };

    // Narrower than the stored /24: refused, with what to give instead.
    let fields = form("preview", "203.0.113.0/25");
    browser
        .post_form(PAGE, &refs(&fields))
        .await
        .expect(422)
        .contains(&escaped("Only whole networks are kept: give a /24 or a wider range"))
        .contains("aria-describedby=\"network-error\"");
    // No criterion at all: refused too.
    let fields = form("preview", "");
    browser.post_form(PAGE, &refs(&fields)).await.expect(422).contains("Give at least a network");

    // The preview: what would go, without full addresses; nothing changes.
    let fields = form("preview", "203.0.113.99/24");
    let preview = browser.post_form(PAGE, &refs(&fields)).await;
    preview
        .expect(200)
        .contains("2 confirmed signatures (the count drops by as much) and 1 signature not yet confirmed")
        .contains("b…@example.org")
        .contains("Invalidate these 3 signatures")
        .lacks("bot1@example.org")
        .lacks("ann@example.org");
    assert_eq!(invalidated(&app).await, 0);
    app.assert_count(&slug, 4).await;
    // A wider range covers the same network: the same preview.
    let fields = form("preview", "203.0.112.0/23");
    browser.post_form(PAGE, &refs(&fields)).await.expect(200).contains("Invalidate these 3 signatures");

    // The confirm button needs the CSRF token like every form.
    let mut forged = form("confirm", "203.0.113.0/24");
    forged[0].1 = "forged".into();
    browser.post_form(PAGE, &refs(&forged)).await.expect(403);
    assert_eq!(invalidated(&app).await, 0);

    // Confirmed: the three go, the count drops by the two that counted.
    let fields = form("confirm", "203.0.113.0/24");
    browser
        .post_form(PAGE, &refs(&fields))
        .await
        .expect(200)
        .contains("2 confirmed signatures and 1 unconfirmed one invalidated");
    assert_eq!(invalidated(&app).await, 3);
    app.assert_count(&slug, 2).await;
    app.assert_count(&other, 1).await;
    let page = browser
        .page_until(&format!("/p/{slug}"), "the corrected count", |p| p.body.contains("<strong>2 signatures</strong>"))
        .await;
    page.contains("<strong>Ann Honest</strong>").contains("<strong>Vic Six</strong>").lacks("Bot One").lacks("Bot Two");
    // The action is recorded: who, the filter as normalized, how many.
    let records: Vec<(String, String, i64, i64)> =
        app.read(|conn| si::table.select((si::actor, si::filter, si::confirmed, si::pending)).load(conn)).await;
    assert_eq!(records, [(ORGANIZER_EMAIL.to_owned(), r#"{"network":"203.0.113.0/24"}"#.to_owned(), 2, 1)]);
    // The next preview lists it; again: nothing left to invalidate.
    let fields = form("preview", "203.0.113.0/24");
    browser
        .post_form(PAGE, &refs(&fields))
        .await
        .expect(200)
        .contains("Earlier invalidations of this petition")
        .contains(&format!("by {ORGANIZER_EMAIL}: 2 confirmed and 1 unconfirmed"));
    let fields = form("confirm", "203.0.113.0/24");
    browser.post_form(PAGE, &refs(&fields)).await.expect(200).contains("0 confirmed signatures and 0 unconfirmed ones");
    app.assert_count(&slug, 2).await;

    // The pending signature's link is dead; an invalidated address signing again is told
    // the usual, gets no email and does not count.
    app.browser().get(pending_link.strip_prefix(&app.url).unwrap()).await.expect(404);
    app.wait_mail_queue_empty().await;
    let emails_before = app.outbox_files();
    let body = json!({ "name": "Bot One", "email": "bot1@example.org", "public": true });
    app.sign_with(&slug, body).await.expect(202);
    app.wait_mail_queue_empty().await;
    assert_eq!(app.outbox_files(), emails_before, "no email to an invalidated address");
    // An honest signer from the same network still signs and counts.
    signed_from(&app, &slug, "Neighbour", "neighbour@example.org", "203.0.113.50").await;
    app.assert_count(&slug, 3).await;
}

async fn only_admins_reach_the_invalidation_page(backend: Backend) {
    let app = spawn(backend).await;
    let slug = app.create_petition("Keep the park green", true).await;
    signed_from(&app, &slug, "Ann", "ann@example.org", "203.0.113.10").await;
    app.create_organizer("second@example.org", "second-association").await;
    let fields = |csrf: &str| {
        [
            ("csrf", csrf.to_owned()),
            ("action", "confirm".into()),
            ("petition", slug.clone()),
            ("network", "203.0.113.0/24".into()),
        ]
    };

    // Nobody logged in: to the login page; posting changes nothing.
    let anonymous = app.browser();
    assert_eq!(anonymous.get(PAGE).await.expect(303).location(), "/login?next=%2Fadmin%2Finvalidate");
    let csrf = anonymous.csrf().await;
    anonymous.post_form(PAGE, &refs(&fields(&csrf))).await.expect(303);
    // An organizer who is not the admin: 403 for the page and its form, and no link to it.
    let organizer = app.browser();
    organizer.login("second@example.org", ORGANIZER_PASSWORD).await;
    organizer.get("/dashboard").await.expect(200).lacks("href=\"/admin/invalidate\"");
    organizer.get(PAGE).await.expect(403);
    let csrf = organizer.csrf().await;
    organizer.post_form(PAGE, &refs(&fields(&csrf))).await.expect(403);
    assert_eq!(invalidated(&app).await, 0);
    app.assert_count(&slug, 1).await;

    // The admin: a link from the dashboard, the form in both languages; an unknown
    // petition is a field error.
    let (admin, csrf) = app.admin_browser(PAGE).await;
    admin.get("/dashboard").await.expect(200).contains("href=\"/admin/invalidate\"");
    let french = app.browser_in("fr");
    french.login(ORGANIZER_EMAIL, ORGANIZER_PASSWORD).await;
    french.get(PAGE).await.expect(200).contains("<h1>Invalider des signatures</h1>");
    let unknown = [
        ("csrf", csrf),
        ("action", "preview".into()),
        ("petition", "no-such".into()),
        ("domain", "example.org".into()),
    ];
    admin
        .post_form(PAGE, &refs(&unknown))
        .await
        .expect(422)
        .contains("There is no petition with this short name here.");
}

async fn command_line_previews_then_invalidates_by_domain_and_time(backend: Backend) {
    let app = spawn(backend).await;
    let slug = app.create_petition("Keep the park green", true).await;
    let other = app.create_petition("Save the library", true).await;
    signed_from(&app, &slug, "Old Friend", "old@example.org", "198.51.100.1").await;
    signed_from(&app, &slug, "Spam One", "one@spam.example", "198.51.100.2").await;
    signed_from(&app, &slug, "Spam Two", "two@SPAM.example", "192.0.2.3").await;
    signed_from(&app, &slug, "Ann", "ann@example.org", "192.0.2.4").await;
    signed_from(&app, &other, "Spam One", "one@spam.example", "198.51.100.2").await;
    // Old Friend signed three days ago.
    let three_days_ago = signons_store::now() - chrono::TimeDelta::days(3);
    app.write(move |conn| {
        diesel::update(signatures::table.filter(signatures::email.eq("old@example.org")))
            .set(signatures::created_at.eq(three_days_ago))
            .execute(conn)
    })
    .await;
    app.assert_count(&slug, 4).await;

    // Bad filters: clear errors, nothing changed.
    let (ok, _, err) = app.cli(&["admin", "invalidate", "--petition", &slug, "--network", "203.0.113.0/28"]).await;
    assert!(!ok && err.contains("--network: Only whole networks are kept: give a /24 or a wider range"), "{err}");
    let (ok, _, err) = app.cli(&["admin", "invalidate", "--petition", &slug, "--yes"]).await;
    assert!(!ok && err.contains("Give at least a network, an email domain or a time"), "{err}");
    let (ok, _, err) = app.cli(&["admin", "invalidate", "--petition", "no-such", "--domain", "spam.example"]).await;
    assert!(!ok && err.contains("there is no petition \"no-such\" here"), "{err}");
    let (ok, _, err) = app.cli(&["admin", "invalidate", "--petition", &slug, "--from", "last tuesday"]).await;
    assert!(!ok && err.contains("--from: Write a time such as"), "{err}");
    assert_eq!(invalidated(&app).await, 0);

    // By domain: the preview, then the invalidation.
    let (ok, out, err) = app.cli(&["admin", "invalidate", "--petition", &slug, "--domain", "spam.example"]).await;
    assert!(ok, "{err}");
    assert!(out.contains("would invalidate 2 confirmed signature(s)"), "{out}");
    assert!(out.contains("o…@spam.example") && !out.contains("one@spam.example"), "{out}");
    assert!(out.contains("nothing changed"), "{out}");
    app.assert_count(&slug, 4).await;
    let (ok, out, err) =
        app.cli(&["admin", "invalidate", "--petition", &slug, "--domain", "spam.example", "--yes"]).await;
    assert!(ok, "{err}");
    assert!(out.contains("invalidated 2 confirmed and 0 unconfirmed signature(s)"), "{out}");
    app.assert_count(&slug, 2).await;
    app.assert_count(&other, 1).await;

    // By time: signed in the last two days takes Ann, not Old Friend.
    let since = (chrono::Utc::now() - chrono::TimeDelta::days(2)).to_rfc3339();
    let until = (chrono::Utc::now() + chrono::TimeDelta::hours(1)).to_rfc3339();
    let window = ["admin", "invalidate", "--petition", &slug, "--from", &since, "--until", &until];
    let (ok, out, err) = app.cli(&window).await;
    assert!(ok && out.contains("would invalidate 1 confirmed signature(s)"), "{out}{err}");
    let mut confirmed = window.to_vec();
    confirmed.push("--yes");
    let (ok, out, err) = app.cli(&confirmed).await;
    assert!(ok && out.contains("invalidated 1 confirmed and 0 unconfirmed"), "{out}{err}");
    app.assert_count(&slug, 1).await;
    let page = app
        .browser()
        .page_until(&format!("/p/{slug}"), "the corrected count", |p| p.body.contains("<strong>1 signature</strong>"))
        .await;
    page.contains("<strong>Old Friend</strong>").lacks("Spam One").lacks("<strong>Ann</strong>");

    // By network through the command line: the server's key is read, and the network
    // matches.
    let (ok, out, err) = app.cli(&["admin", "invalidate", "--petition", &slug, "--network", "198.51.100.0/24"]).await;
    assert!(ok && out.contains("would invalidate 1 confirmed signature(s)"), "{out}{err}");
    assert!(
        out.contains("by command line: 2 confirmed and 0 unconfirmed, filter {\"domain\":\"spam.example\"}"),
        "{out}"
    );
    let actors: Vec<String> = app.read(|conn| si::table.select(si::actor).load(conn)).await;
    assert_eq!(actors, ["command line", "command line"]);
}

/// Beta's signers sign a petition of alpha on beta; beta's admin invalidates those that
/// came from one network: they are marked on beta (their links dead, the address unable to
/// sign again), and alpha's count drops by the confirmed ones once beta's `Undo(Sign)`
/// arrives. Honest signers, on beta and from another network, still count.
async fn signatures_sent_elsewhere_leave_the_count_there(backend: Backend) {
    use crate::federation::{breakdown, follow, host, instance, remote_petition};
    use crate::sign_elsewhere::{confirm, sign_here};
    let alpha = instance(backend).await;
    let beta =
        TestApp::spawn_with(backend, Options { federation: true, trust_forwarded_for: true, ..Options::default() })
            .await;
    follow(&beta, &alpha.url).await;
    let slug = alpha.create_petition("Counted at home", true).await;
    let handle = format!("{slug}@{}", host(&alpha));
    remote_petition(&beta, &handle, "the petition to reach beta", |_| true).await;
    let sign = |name: &'static str, email: &'static str, client: &'static str| {
        let (beta, handle) = (&beta, &handle);
        async move {
            let browser = Browser::from_address(&beta.url, client);
            let mail = sign_here(beta, &browser, handle, &[("name", name), ("email", email), ("public", "on")]).await;
            (browser, mail)
        }
    };
    for (name, email, client) in [
        ("Bot One", "bot1@example.org", "203.0.113.10"),
        ("Bot Two", "bot2@example.org", "203.0.113.200"),
        ("Ann Honest", "ann@example.org", "198.51.100.4"),
    ] {
        let (browser, mail) = sign(name, email, client).await;
        confirm(&beta, &browser, &mail).await.expect(200);
    }
    let (_, pending) = sign("Bot Three", "bot3@example.org", "203.0.113.77").await;
    let pending_link = pending.confirm_link(&beta.url);
    eventually("alpha to count beta's three", DEADLINE, || async {
        (breakdown(&alpha, &slug).await.0 == 3).then_some(())
    })
    .await;

    // The preview on beta's admin page, by the petition's handle: nothing changes.
    let (browser, csrf) = beta.admin_browser(PAGE).await;
    let form = |action: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("action", action.to_owned()),
            ("petition", handle.clone()),
            ("network", "203.0.113.0/24".to_owned()),
            ("domain", String::new()),
            ("from", String::new()),
            ("until", String::new()),
        ]
    };
    browser
        .post_form(PAGE, &refs(&form("preview")))
        .await
        .expect(200)
        .contains("2 confirmed signatures (the count drops by as much) and 1 signature not yet confirmed")
        .contains("b…@example.org")
        .contains("Counted at home")
        .lacks("bot1@example.org")
        .lacks("ann@example.org");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(breakdown(&alpha, &slug).await.0, 3);

    // Invalidated: alpha's count drops by the two confirmed ones.
    browser
        .post_form(PAGE, &refs(&form("confirm")))
        .await
        .expect(200)
        .contains("2 confirmed signatures and 1 unconfirmed one invalidated");
    eventually("alpha to withdraw the two", DEADLINE, || async {
        (breakdown(&alpha, &slug).await.0 == 1).then_some(())
    })
    .await;
    let marked: i64 = beta
        .read(|conn| {
            sent_signatures::table.filter(sent_signatures::invalidated_at.is_not_null()).count().get_result(conn)
        })
        .await;
    assert_eq!(marked, 3);
    let records: Vec<(String, String, i64, i64)> =
        beta.read(|conn| ssi::table.select((ssi::actor, ssi::filter, ssi::confirmed, ssi::pending)).load(conn)).await;
    assert_eq!(records, [(ORGANIZER_EMAIL.to_owned(), r#"{"network":"203.0.113.0/24"}"#.to_owned(), 2, 1)]);

    // The pending signature's link is dead; an invalidated address signing again is told
    // the usual and gets no email.
    beta.browser().get(pending_link.strip_prefix(&beta.url).unwrap()).await.expect(404);
    beta.wait_mail_queue_empty().await;
    let emails_before = beta.outbox_files();
    let again = Browser::from_address(&beta.url, "203.0.113.10");
    let page = again.get(&format!("/p/{handle}")).await;
    let csrf_again = page.csrf();
    let fields = [("csrf", csrf_again.as_str()), ("name", "Bot One"), ("email", "bot1@example.org")];
    again.post_form(&format!("/p/{handle}/sign"), &fields).await.expect(303);
    beta.wait_mail_queue_empty().await;
    assert_eq!(beta.outbox_files(), emails_before, "no email to an invalidated address");

    // The command line takes the handle too: Ann is the one left by her domain.
    let (ok, out, err) = beta.cli(&["admin", "invalidate", "--petition", &handle, "--domain", "example.org"]).await;
    assert!(ok && out.contains("would invalidate 1 confirmed signature(s)"), "{out}{err}");
    assert!(out.contains(&format!("by {ORGANIZER_EMAIL}: 2 confirmed and 1 unconfirmed")), "{out}");
    let (ok, _, err) =
        beta.cli(&["admin", "invalidate", "--petition", "nothing@localhost:1", "--domain", "a.org"]).await;
    assert!(!ok && err.contains("there is no petition \"nothing@localhost:1\" here"), "{err}");
    assert_eq!(breakdown(&alpha, &slug).await.0, 1);
}
