//! The instance admin's federation page: only admins see or change it; the mode and the
//! domain rules change through its forms; bad input, a failed CSRF check and a follow that
//! cannot reach its server leave the page with a clear error and nothing stored.

use crate::helpers::*;
use diesel::prelude::*;
use signons_federation::policy::{self, Mode};
use signons_federation::{delivery, follows, LocalRef};
use signons_store::schema::{ap_followers, ap_following, ap_remote_actors};

on_both_backends! {
    only_admins_reach_the_federation_page => only_admins_reach_the_federation_page_sqlite, only_admins_reach_the_federation_page_postgres;
    admin_blocks_allows_and_switches_mode => admin_blocks_allows_and_switches_mode_sqlite, admin_blocks_allows_and_switches_mode_postgres;
    bad_admin_input_changes_nothing => bad_admin_input_changes_nothing_sqlite, bad_admin_input_changes_nothing_postgres;
    follow_failures_are_explained => follow_failures_are_explained_sqlite, follow_failures_are_explained_postgres;
    page_lists_follows_and_followers_and_unfollows => page_lists_follows_and_followers_and_unfollows_sqlite, page_lists_follows_and_followers_and_unfollows_postgres;
}

const PAGE: &str = "/admin/federation";
const OTHER_EMAIL: &str = "second@example.org";

/// The rules as `signons federation status` lists them: `(domain, "allow" | "block")`.
async fn rules(app: &TestApp) -> Vec<(String, &'static str)> {
    let rules = app.state.db.read_async(policy::rules).await.expect("the rules");
    rules.into_iter().map(|r| (r.domain, r.policy.as_str())).collect()
}

async fn mode(app: &TestApp) -> Mode {
    app.state.db.read_async(policy::mode).await.expect("the mode")
}

async fn allows(app: &TestApp, host: &str) -> bool {
    let host = host.to_owned();
    app.state.db.read_async(move |conn| policy::allows(conn, &host)).await.expect("the policy")
}

/// Follows and queued deliveries: what a follow stores.
async fn follows_and_queue(app: &TestApp) -> (usize, i64) {
    app.state
        .db
        .read_async(|conn| {
            Ok::<_, signons_federation::FederationError>((
                follows::following(conn)?.len(),
                delivery::pending_count(conn)?,
            ))
        })
        .await
        .expect("the follows")
}

/// Posts one of the page's forms; a change answers 303 back to the page with a notice.
async fn submit(browser: &Browser, fields: &[(&str, &str)]) -> Response {
    browser.post_form(PAGE, fields).await
}

#[track_caller]
fn assert_done(response: &Response, done: &str) {
    response.expect(303);
    assert_eq!(response.location(), format!("{PAGE}?done={done}"));
}

async fn only_admins_reach_the_federation_page(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // The first organizer of the instance is its admin; the second is not.
    app.organizer_token().await;
    app.create_organizer(OTHER_EMAIL, "second-association").await;

    // Nobody logged in: to the login page, and back after it; posting changes nothing.
    let anonymous = app.browser();
    assert_eq!(anonymous.get(PAGE).await.expect(303).location(), "/login?next=%2Fadmin%2Ffederation");
    let csrf = anonymous.csrf().await;
    let r = submit(&anonymous, &[("csrf", &csrf), ("action", "block"), ("domain", "spam.example")]).await;
    assert_eq!(r.expect(303).location(), "/login?next=%2Fadmin%2Ffederation");

    // An organizer who is not the admin: 403 for the page and for its form, no link to it.
    let organizer = app.browser();
    organizer.login(OTHER_EMAIL, ORGANIZER_PASSWORD).await;
    organizer.get("/dashboard").await.expect(200).lacks("href=\"/admin/federation\"");
    organizer.get(PAGE).await.expect(403).contains("You are not allowed to do this.").lacks("spam.example");
    let csrf = organizer.csrf().await;
    for action in
        [vec![("action", "block"), ("domain", "spam.example")], vec![("action", "mode"), ("mode", "allowlist")]]
    {
        let mut fields = vec![("csrf", csrf.as_str())];
        fields.extend(action);
        submit(&organizer, &fields).await.expect(403).contains("You are not allowed to do this.");
    }
    assert!(rules(&app).await.is_empty());
    assert_eq!(mode(&app).await, Mode::Open);

    // The admin: a link from the dashboard, and the page.
    let (admin, _) = app.admin_browser(PAGE).await;
    admin.get("/dashboard").await.expect(200).contains("href=\"/admin/federation\"");
    admin
        .get(PAGE)
        .await
        .expect(200)
        .contains("<h1>Federation</h1>")
        .contains("<strong>Open</strong>")
        .contains("No domain has a rule yet.")
        .contains("This instance follows nobody yet.")
        .contains("Nobody follows this instance yet.")
        .contains("0 deliveries are waiting to be sent.")
        .lacks_foreign_script();
    // In French too.
    let french = app.browser_in("fr");
    french.login(ORGANIZER_EMAIL, ORGANIZER_PASSWORD).await;
    french.get(PAGE).await.expect(200).contains("<h1>Fédération</h1>").contains("Bloquer un domaine");
}

async fn admin_blocks_allows_and_switches_mode(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (admin, csrf) = app.admin_browser(PAGE).await;

    // Block, as typed with a scheme and capitals: the domain and its subdomains are refused.
    let r = submit(&admin, &[("csrf", &csrf), ("action", "block"), ("domain", "https://Spam.Example/")]).await;
    assert_done(&r, "block");
    admin
        .get(r.location())
        .await
        .expect(200)
        .contains("The domain is blocked")
        .contains("<strong>spam.example</strong> · blocked");
    assert_eq!(rules(&app).await, [("spam.example".to_owned(), "block")]);
    assert!(!allows(&app, "spam.example").await);
    assert!(!allows(&app, "social.spam.example").await);
    assert!(!allows(&app, "spam.example:8443").await);
    assert!(allows(&app, "friends.example").await);
    assert!(allows(&app, "notspam.example").await);

    // Allow-list: only allowed domains; then open again.
    assert_done(&submit(&admin, &[("csrf", &csrf), ("action", "mode"), ("mode", "allowlist")]).await, "mode");
    assert_eq!(mode(&app).await, Mode::Allowlist);
    admin.get(PAGE).await.expect(200).contains("<strong>Allow-list</strong>").contains("value=\"allowlist\" checked");
    assert!(!allows(&app, "friends.example").await);
    assert_done(&submit(&admin, &[("csrf", &csrf), ("action", "allow"), ("domain", "friends.example")]).await, "allow");
    assert!(allows(&app, "friends.example").await);
    assert!(allows(&app, "www.friends.example").await);
    assert!(!allows(&app, "other.example").await);
    assert!(!allows(&app, "spam.example").await);
    admin.get(PAGE).await.expect(200).contains("<strong>friends.example</strong> · allowed");
    assert_done(&submit(&admin, &[("csrf", &csrf), ("action", "mode"), ("mode", "open")]).await, "mode");
    assert_eq!(mode(&app).await, Mode::Open);
    assert!(allows(&app, "other.example").await);
    assert!(!allows(&app, "spam.example").await);

    // Forget: the rule goes, the domain is open again.
    let r = submit(&admin, &[("csrf", &csrf), ("action", "forget"), ("domain", "spam.example")]).await;
    assert_done(&r, "forget");
    admin.get(r.location()).await.expect(200).contains("The rule was removed.").lacks("spam.example");
    assert_eq!(rules(&app).await, [("friends.example".to_owned(), "allow")]);
    assert!(allows(&app, "spam.example").await);
    assert!(allows(&app, "social.spam.example").await);

    // An unknown notice shows nothing.
    admin.get(&format!("{PAGE}?done=%3Cb%3Ehello")).await.expect(200).lacks("hello").lacks("role=\"status\"");
}

async fn bad_admin_input_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (admin, csrf) = app.admin_browser(PAGE).await;
    assert_done(&submit(&admin, &[("csrf", &csrf), ("action", "block"), ("domain", "spam.example")]).await, "block");
    let before = rules(&app).await;

    // A bad domain: the page again, 422, the message, the input kept in its own field.
    for (action, field) in [("block", "block-domain"), ("allow", "allow-domain")] {
        for bad in ["not a domain", "https://x.example/some/path", "user@x.example", "<b>x</b>"] {
            let r = submit(&admin, &[("csrf", &csrf), ("action", action), ("domain", bad)]).await;
            r.expect(422).contains("This is not a domain.").contains("aria-invalid=\"true\"").lacks("<b>x</b>");
            assert_eq!(input_value(&r.body, field).map(|v| unescape_html(&v)).as_deref(), Some(bad), "{action} {bad}");
        }
    }
    submit(&admin, &[("csrf", &csrf), ("action", "forget"), ("domain", "a b")]).await.expect(422);
    for action in ["block", "allow", "forget", "follow", "unfollow"] {
        submit(&admin, &[("csrf", &csrf), ("action", action), ("domain", "  ")])
            .await
            .expect(422)
            .contains("This field is required.");
    }
    submit(&admin, &[("csrf", &csrf), ("action", "mode"), ("mode", "closed")])
        .await
        .expect(422)
        .contains("Choose open or allow-list.");
    submit(&admin, &[("csrf", &csrf), ("action", "mode")]).await.expect(422);
    for action in ["explode", ""] {
        submit(&admin, &[("csrf", &csrf), ("action", action), ("domain", "x.example")])
            .await
            .expect(400)
            .contains("This action is unknown.");
    }
    // Not following that actor.
    submit(&admin, &[("csrf", &csrf), ("action", "unfollow"), ("actor", "https://x.example/actor")])
        .await
        .expect(422)
        .contains("This instance does not follow that actor.");

    // Bytes that are not UTF-8, raw or percent-encoded: 400, the page with the error.
    for body in [
        format!("csrf={csrf}&action=block&domain=%FF.example").into_bytes(),
        [format!("csrf={csrf}&action=block&domain=").as_bytes(), b"\xff\xfe.example"].concat(),
    ] {
        admin
            .post_raw(PAGE, "application/x-www-form-urlencoded", body)
            .await
            .expect(400)
            .contains("The request could not be understood.")
            .contains("<h1>Federation</h1>");
    }

    // A failed CSRF check: 403, the form kept, nothing stored.
    for token in ["", "not-the-token"] {
        let r = submit(&admin, &[("csrf", token), ("action", "block"), ("domain", "evil.example")]).await;
        r.expect(403).contains("The form expired.");
        assert_eq!(input_value(&r.body, "block-domain").as_deref(), Some("evil.example"));
        submit(&admin, &[("csrf", token), ("action", "mode"), ("mode", "allowlist")]).await.expect(403);
        submit(&admin, &[("csrf", token), ("action", "forget"), ("domain", "spam.example")]).await.expect(403);
    }
    // A browser without the CSRF cookie cannot reuse the admin's token either.
    let stranger = app.browser();
    stranger.login(ORGANIZER_EMAIL, ORGANIZER_PASSWORD).await;
    let stranger_csrf = stranger.csrf().await;
    assert_ne!(stranger_csrf, csrf);
    submit(&stranger, &[("csrf", &csrf), ("action", "block"), ("domain", "evil.example")]).await.expect(403);

    assert_eq!(rules(&app).await, before);
    assert_eq!(mode(&app).await, Mode::Open);
    assert!(allows(&app, "evil.example").await);
}

async fn follow_failures_are_explained(backend: Backend) {
    // Named http://localhost:PORT and allowed plain-http local peers, so that the follow
    // really goes to the network (and finds nobody on port 1).
    let app = TestApp::spawn_with(backend, Options { federation: true, ..Options::default() }).await;
    let (admin, csrf) = app.admin_browser(PAGE).await;

    for target in ["http://localhost:1", "http://localhost:1/o/some-association", "nobody@localhost:1"] {
        let r = submit(&admin, &[("csrf", &csrf), ("action", "follow"), ("target", target)]).await;
        r.expect(422).contains("Could not follow this address").contains("Technical detail:");
        assert_eq!(input_value(&r.body, "follow-target").map(|v| unescape_html(&v)).as_deref(), Some(target));
    }
    // Not an address at all, or this instance itself.
    for target in ["http://", "https://exa mple.org", &app.url] {
        submit(&admin, &[("csrf", &csrf), ("action", "follow"), ("target", target)])
            .await
            .expect(422)
            .contains("aria-invalid=\"true\"");
    }
    // A domain the policy refuses is named as such, before any request.
    assert_done(&submit(&admin, &[("csrf", &csrf), ("action", "block"), ("domain", "localhost:1")]).await, "block");
    submit(&admin, &[("csrf", &csrf), ("action", "follow"), ("target", "http://localhost:1")])
        .await
        .expect(422)
        .contains("Your policy refuses localhost:1");

    // Nothing followed, nothing queued, no rule added by the failed follows.
    assert_eq!(follows_and_queue(&app).await, (0, 0));
    assert_eq!(rules(&app).await, [("localhost:1".to_owned(), "block")]);
    admin.get(PAGE).await.expect(200).contains("This instance follows nobody yet.");
}

/// Stores a remote actor as if it had been fetched.
fn remote_actor(conn: &mut signons_store::DbConnection, url: &str, host: &str) -> QueryResult<usize> {
    diesel::insert_into(ap_remote_actors::table)
        .values((
            ap_remote_actors::url.eq(url),
            ap_remote_actors::host.eq(host),
            ap_remote_actors::kind.eq("Application"),
            ap_remote_actors::username.eq("someone"),
            ap_remote_actors::inbox.eq(format!("http://{host}/inbox")),
            ap_remote_actors::public_key_pem.eq("not needed here"),
            ap_remote_actors::fetched_at.eq(signons_store::now()),
        ))
        .execute(conn)
}

async fn page_lists_follows_and_followers_and_unfollows(backend: Backend) {
    // Allowed plain-http local peers: what is sent to port 1 fails, and waits for a retry.
    let app = TestApp::spawn_with(backend, Options { federation: true, ..Options::default() }).await;
    let (admin, csrf) = app.admin_browser(PAGE).await;
    // What a follow (accepted since) and followers leave in the database.
    let followed = "http://localhost:1/actor";
    let instance = app.state.fed().urls.actor(&LocalRef::Instance).to_string();
    app.write(move |conn| {
        let now = signons_store::now();
        remote_actor(conn, followed, "localhost:1")?;
        diesel::insert_into(ap_following::table)
            .values((
                ap_following::remote_actor.eq(followed),
                ap_following::host.eq("localhost:1"),
                ap_following::follow_id.eq("http://127.0.0.1/activities/follow-1"),
                ap_following::state.eq(follows::FollowState::Accepted),
                ap_following::created_at.eq(now),
                ap_following::updated_at.eq(now),
            ))
            .execute(conn)?;
        for (i, follower) in
            ["http://social.example/users/ann", "http://social.example/users/bob"].into_iter().enumerate()
        {
            remote_actor(conn, follower, "social.example")?;
            diesel::insert_into(ap_followers::table)
                .values((
                    ap_followers::local_actor.eq(&instance),
                    ap_followers::follower.eq(follower),
                    ap_followers::follower_host.eq("social.example"),
                    ap_followers::follow_id.eq(format!("http://social.example/follows/{i}")),
                    ap_followers::created_at.eq(now),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
    .await;

    let page = admin.get(PAGE).await;
    page.expect(200)
        .contains(&escaped(followed))
        .contains("accepted")
        .contains("Stop following")
        .contains("<strong>social.example</strong>")
        .contains("2 followers")
        .contains("0 deliveries are waiting to be sent.");
    assert_eq!(hidden_field(&page.body, "actor").map(|a| unescape_html(&a)).as_deref(), Some(followed));

    // The button: no longer followed, the Undo waits for localhost:1.
    let r = submit(&admin, &[("csrf", &csrf), ("action", "unfollow"), ("actor", followed)]).await;
    assert_done(&r, "unfollow");
    admin
        .get(r.location())
        .await
        .expect(200)
        .contains("This instance no longer follows that actor.")
        .contains("This instance follows nobody yet.")
        .contains("1 delivery is waiting to be sent.");
    assert_eq!(follows_and_queue(&app).await, (0, 1));
    // Once is enough.
    submit(&admin, &[("csrf", &csrf), ("action", "unfollow"), ("actor", followed)]).await.expect(422);

    // Blocking the domain drops what waited to be sent there.
    assert_done(&submit(&admin, &[("csrf", &csrf), ("action", "block"), ("domain", "localhost:1")]).await, "block");
    assert_eq!(follows_and_queue(&app).await, (0, 0));
    admin.get(PAGE).await.expect(200).contains("0 deliveries are waiting to be sent.");
}
