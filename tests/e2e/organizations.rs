//! Organizations of several organizers (issue 11): invitations by email (a new account, or
//! an existing one joining), roles (owners manage, editors run petitions), sign-up open or
//! by invitation only, the organization's page (profile, petitions open, won, closed), and
//! the permission matrix: an organizer of one organization gets nothing of another's,
//! on every organizer route and API endpoint.

use crate::helpers::{Backend, Browser, TestApp, ORGANIZATION, ORGANIZER_EMAIL, ORGANIZER_PASSWORD};
use diesel::prelude::*;
use serde_json::json;
use signons_store::schema::{invitations, organizers, petitions, signatures};

on_both_backends! {
    an_invitation_makes_an_account_that_runs_the_organizations_petitions => an_invitation_makes_an_account_that_runs_the_organizations_petitions_sqlite, an_invitation_makes_an_account_that_runs_the_organizations_petitions_postgres;
    an_organizer_with_an_account_joins_a_second_organization => an_organizer_with_an_account_joins_a_second_organization_sqlite, an_organizer_with_an_account_joins_a_second_organization_postgres;
    owners_manage_members_and_editors_cannot => owners_manage_members_and_editors_cannot_sqlite, owners_manage_members_and_editors_cannot_postgres;
    sign_up_is_by_invitation_unless_the_instance_opens_it => sign_up_is_by_invitation_unless_the_instance_opens_it_sqlite, sign_up_is_by_invitation_unless_the_instance_opens_it_postgres;
    the_organization_page_shows_its_profile_and_petitions_open_won_closed => the_organization_page_shows_its_profile_and_petitions_open_won_closed_sqlite, the_organization_page_shows_its_profile_and_petitions_open_won_closed_postgres;
    no_organizer_route_reaches_another_organizations_petition => no_organizer_route_reaches_another_organizations_petition_sqlite, no_organizer_route_reaches_another_organizations_petition_postgres;
    owners_see_and_cancel_pending_invitations => owners_see_and_cancel_pending_invitations_sqlite, owners_see_and_cancel_pending_invitations_postgres;
}

const NEW_PASSWORD: &str = "a long enough passphrase";

async fn owner_browser(app: &TestApp) -> Browser {
    app.organizer_token().await;
    let browser = app.browser();
    browser.login(ORGANIZER_EMAIL, ORGANIZER_PASSWORD).await;
    browser
}

/// Invites `email` into `org` with `role` from the logged-in owner's browser; returns the
/// invitation link's path from the email.
async fn invite(app: &TestApp, owner: &Browser, org: &str, email: &str, role: &str) -> String {
    let page = owner.get(&format!("/o/{org}/members")).await;
    let csrf = page.expect(200).csrf();
    let r = owner
        .post_form(&format!("/o/{org}/members/invite"), &[("csrf", &csrf), ("email", email), ("role", role)])
        .await;
    r.expect(200).contains("The invitation was sent.");
    let mail = app.next_email_to(email).await;
    assert!(mail.subject.contains("Join"), "{}", mail.subject);
    let prefix = format!("{}/invitations/", app.url);
    let links = mail.links(&prefix);
    assert_eq!(links.len(), 1, "one invitation link in:\n{}", mail.text());
    assert!(crate::helpers::unescape_html(mail.html()).contains(&links[0]), "the HTML part has the link too");
    links[0].strip_prefix(&app.url).unwrap().to_owned()
}

async fn organization_of(app: &TestApp, slug: &str) -> String {
    let slug = slug.to_owned();
    let p = app.public_api().get(&format!("/petitions/{slug}")).await;
    p.expect(200).json()["organization_slug"].as_str().map(str::to_owned).unwrap_or_else(|| {
        panic!("no organization slug in {}", p.body);
    })
}

async fn an_invitation_makes_an_account_that_runs_the_organizations_petitions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let owner = owner_browser(&app).await;
    let slug = app.create_petition("Save the old oak", true).await;

    let path = invite(&app, &owner, ORGANIZATION, "newcomer@example.org", "editor").await;
    // Only the link's hash is stored.
    let token = path.strip_prefix("/invitations/").unwrap().to_owned();
    let stored: Vec<String> = app.read(|conn| invitations::table.select(invitations::token_hash).load(conn)).await;
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].contains(&token));

    // Opening the link only shows the form.
    let newcomer = app.browser();
    let form = newcomer.get(&path).await;
    let csrf = form.expect(200).contains("newcomer@example.org").contains("Choose a password").csrf();
    newcomer.get(&path).await.expect(200);
    let short =
        newcomer.post_form(&path, &[("csrf", &csrf), ("new_password", "short"), ("new_password_again", "short")]).await;
    short.expect(422).contains("id=\"new_password-error\"");
    let joined = newcomer
        .post_form(&path, &[("csrf", &csrf), ("new_password", NEW_PASSWORD), ("new_password_again", NEW_PASSWORD)])
        .await;
    joined.expect(303);
    assert_eq!(joined.location(), "/dashboard");
    // Logged in: the dashboard shows the organization's petitions.
    let dashboard = newcomer.get("/dashboard").await;
    dashboard.expect(200).contains("Save the old oak").contains(&format!("href=\"/o/{ORGANIZATION}/members\""));
    dashboard.contains("Editor");
    // An editor runs the petitions: closes one.
    let csrf = dashboard.csrf();
    let closed = newcomer.post_form(&format!("/p/{slug}/close"), &[("csrf", &csrf), ("confirm", "yes")]).await;
    assert!(closed.status.as_u16() == 303, "an editor closes a petition: {}", closed.status);
    // And logs in again with the password chosen.
    app.browser().login("newcomer@example.org", NEW_PASSWORD).await;

    // The link works once.
    app.browser().get(&path).await.expect(404).contains("not valid, or was already used");
    // An unknown link.
    app.browser().get("/invitations/not-a-token").await.expect(404);

    // An expired invitation says so.
    let path = invite(&app, &owner, ORGANIZATION, "late@example.org", "editor").await;
    app.write(|conn| {
        diesel::update(invitations::table.filter(invitations::email.eq("late@example.org")))
            .set(invitations::expires_at.eq(signons_store::now() - chrono::TimeDelta::minutes(1)))
            .execute(conn)
    })
    .await;
    let late = app.browser();
    late.get(&path).await.expect(410).contains("has expired");
    let csrf = late.csrf().await;
    late.post_form(&path, &[("csrf", &csrf), ("new_password", NEW_PASSWORD), ("new_password_again", NEW_PASSWORD)])
        .await
        .expect(410);
    let accounts: i64 = app
        .read(|conn| organizers::table.filter(organizers::email.eq("late@example.org")).count().get_result(conn))
        .await;
    assert_eq!(accounts, 0, "an expired invitation makes no account");
}

async fn an_organizer_with_an_account_joins_a_second_organization(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let owner = owner_browser(&app).await;
    app.create_petition("Keep the library open", true).await;
    // Another organizer, of another organization, with a petition there.
    let other_token = app.create_organizer("river@example.org", "river-friends").await;
    let other_api = app.api_with_token(&other_token);
    let r = other_api
        .post(
            "/petitions",
            &json!({"title": "Clean the river", "target": "The region", "description": "The river deserves better than this.", "goal": 50, "publish": true}),
        )
        .await;
    r.expect(201);

    let path = invite(&app, &owner, ORGANIZATION, "river@example.org", "editor").await;
    let river = app.browser();
    let form = river.get(&path).await;
    let csrf = form.expect(200).contains("This address has an account").csrf();
    river.post_form(&path, &[("csrf", &csrf), ("password", "not the password")]).await.expect(401);
    let joined = river.post_form(&path, &[("csrf", &csrf), ("password", ORGANIZER_PASSWORD)]).await;
    joined.expect(303);
    assert_eq!(joined.location(), "/dashboard");
    // Both organizations, each with its petitions.
    let dashboard = river.get("/dashboard").await;
    dashboard.expect(200).contains("Keep the library open").contains("Clean the river");
    dashboard.contains("href=\"/o/river-friends\"").contains(&format!("href=\"/o/{ORGANIZATION}\""));

    // A new petition offers the choice, and goes where it is asked.
    let editor = river.get("/petitions/new").await;
    let csrf =
        editor.expect(200).contains("name=\"organization\"").contains(&format!("value=\"{ORGANIZATION}\"")).csrf();
    let fields = |org: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("organization", org.to_owned()),
            ("title", "A bench in the square".to_owned()),
            ("target", "The mayor".to_owned()),
            ("description", "Older people need somewhere to sit in the square.".to_owned()),
            ("goal", "100".to_owned()),
            ("action", "publish".to_owned()),
        ]
    };
    let created = river.post_form("/petitions/new", &crate::helpers::refs(&fields(ORGANIZATION))).await;
    created.expect(303);
    let slug = created.location().strip_prefix("/p/").unwrap().to_owned();
    assert_eq!(organization_of(&app, &slug).await, ORGANIZATION);
    // An organization that is not theirs is refused, and nothing is made.
    app.create_organizer("stranger@example.org", "stranger-org").await;
    let before: i64 = app.read(|conn| petitions::table.count().get_result(conn)).await;
    river.post_form("/petitions/new", &crate::helpers::refs(&fields("stranger-org"))).await.expect(403);
    let unknown = river.post_form("/petitions/new", &crate::helpers::refs(&fields("nobody-has-this-name"))).await;
    unknown.expect(422).contains("id=\"organization-error\"").contains("No organization has this name");
    let after: i64 = app.read(|conn| petitions::table.count().get_result(conn)).await;
    assert_eq!(before, after);
    app.browser().get(&format!("/o/{ORGANIZATION}")).await.expect(200).contains("A bench in the square");

    // Through the API: `organization` names one of theirs (an editor's too); without it,
    // their default one; another's is refused (403), an unknown one too (422), and
    // nothing is made.
    let body = |org: Option<&str>| {
        let mut body = json!({"title": "Trees along the avenue", "target": "The mayor", "description": "The avenue needs shade in summer, for everyone.", "goal": 100, "publish": true});
        if let Some(org) = org {
            body["organization"] = json!(org);
        }
        body
    };
    let created = other_api.post("/petitions", &body(Some(ORGANIZATION))).await;
    let api_slug = created.expect(201).json()["slug"].as_str().unwrap().to_owned();
    assert_eq!(organization_of(&app, &api_slug).await, ORGANIZATION);
    app.browser().get(&format!("/o/{ORGANIZATION}")).await.expect(200).contains("Trees along the avenue");
    let created = other_api.post("/petitions", &body(None)).await;
    let default_slug = created.expect(201).json()["slug"].as_str().unwrap().to_owned();
    assert_eq!(organization_of(&app, &default_slug).await, "river-friends");
    let before: i64 = app.read(|conn| petitions::table.count().get_result(conn)).await;
    other_api.post("/petitions", &body(Some("stranger-org"))).await.expect_error(403, "forbidden");
    let unknown = other_api.post("/petitions", &body(Some("nobody-has-this-name"))).await;
    assert_eq!(unknown.invalid_fields(), vec!["organization"]);
    let after: i64 = app.read(|conn| petitions::table.count().get_result(conn)).await;
    assert_eq!(before, after, "a refused organization makes no petition");

    // One organization only: no choice shown.
    owner.get("/petitions/new").await.expect(200).lacks("name=\"organization\"");
}

async fn owners_manage_members_and_editors_cannot(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let owner = owner_browser(&app).await;
    let path = invite(&app, &owner, ORGANIZATION, "editor@example.org", "editor").await;
    let editor = app.browser();
    let csrf = editor.get(&path).await.expect(200).csrf();
    editor
        .post_form(&path, &[("csrf", &csrf), ("new_password", NEW_PASSWORD), ("new_password_again", NEW_PASSWORD)])
        .await
        .expect(303);
    let editor_id: String = app
        .read(|conn| {
            organizers::table.filter(organizers::email.eq("editor@example.org")).select(organizers::id).first(conn)
        })
        .await;
    let owner_id: String = app
        .read(|conn| organizers::table.filter(organizers::email.eq(ORGANIZER_EMAIL)).select(organizers::id).first(conn))
        .await;

    // The editor sees the members, read-only, and every change is refused.
    let members = editor.get(&format!("/o/{ORGANIZATION}/members")).await;
    let csrf = members.expect(200).contains("editor@example.org").contains(ORGANIZER_EMAIL).csrf();
    members.lacks("/members/invite").contains("invite members and change roles");
    let org = ORGANIZATION;
    editor
        .post_form(
            &format!("/o/{org}/members/invite"),
            &[("csrf", &csrf), ("email", "x@example.org"), ("role", "owner")],
        )
        .await
        .expect(403);
    editor
        .post_form(&format!("/o/{org}/members/{editor_id}/role"), &[("csrf", &csrf), ("role", "owner")])
        .await
        .expect(403);
    editor.post_form(&format!("/o/{org}/members/{owner_id}/remove"), &[("csrf", &csrf)]).await.expect(403);
    editor.get(&format!("/o/{org}/edit")).await.expect(403);
    app.wait_mail_queue_empty().await;
    assert!(app.outbox_emails().iter().all(|(_, m)| m.to != "x@example.org"), "an editor invites nobody");

    // The owner: the last owner cannot step down nor leave.
    let page = owner.get(&format!("/o/{org}/members")).await;
    let csrf = page.expect(200).contains("/members/invite").csrf();
    let r = owner.post_form(&format!("/o/{org}/members/{owner_id}/role"), &[("csrf", &csrf), ("role", "editor")]).await;
    // Said as a refusal, not as a change made.
    r.expect(409)
        .contains("<p class=\"notice\" role=\"alert\" id=\"members-notice\">An organization keeps at least one owner");
    owner.post_form(&format!("/o/{org}/members/{owner_id}/remove"), &[("csrf", &csrf)]).await.expect(409);
    // Already a member: refused with a clear message.
    let r = owner
        .post_form(
            &format!("/o/{org}/members/invite"),
            &[("csrf", &csrf), ("email", "editor@example.org"), ("role", "editor")],
        )
        .await;
    r.expect(422).contains("already a member");
    let r = owner
        .post_form(
            &format!("/o/{org}/members/invite"),
            &[("csrf", &csrf), ("email", "y@example.org"), ("role", "boss")],
        )
        .await;
    r.expect(422).contains("id=\"role-error\"");

    // The owner makes the editor an owner: now they manage.
    let r = owner.post_form(&format!("/o/{org}/members/{editor_id}/role"), &[("csrf", &csrf), ("role", "owner")]).await;
    r.expect(200).contains("The role was changed.");
    editor.get(&format!("/o/{org}/members")).await.expect(200).contains("/members/invite");
    editor.get(&format!("/o/{org}/edit")).await.expect(200);
    // Two owners: one may step down.
    owner
        .post_form(&format!("/o/{org}/members/{owner_id}/role"), &[("csrf", &csrf), ("role", "editor")])
        .await
        .expect(200);
    owner.get(&format!("/o/{org}/members")).await.expect(200).lacks("/members/invite");
    // The new owner removes the former one, who then sees nothing of it.
    let csrf = editor.get(&format!("/o/{org}/members")).await.csrf();
    let r = editor.post_form(&format!("/o/{org}/members/{owner_id}/remove"), &[("csrf", &csrf)]).await;
    r.expect(200).contains("The member was removed.").lacks(ORGANIZER_EMAIL);
    owner.get(&format!("/o/{org}/members")).await.expect(404);
    // Nor speaks for it through the API: no news as its partner on another instance's
    // petition, refused before that petition is even looked for.
    let former = app.api_with_token(&app.organizer_token().await);
    let r = former.post("/petitions/trees@localhost:9/news", &json!({"text": "Still speaking for them."})).await;
    r.expect(403);
}

/// The admin sets how organizers join on the instance's settings page; returns its status.
async fn set_signup_mode(app: &TestApp, value: &'static str) -> u16 {
    let (admin, csrf) = app.admin_browser("/admin/settings").await;
    let fields = [
        ("csrf", csrf.as_str()),
        ("name", "Signons"),
        ("description", ""),
        ("contact", ""),
        ("signup", value),
        ("premoderation", "off"),
        ("anonymize_after_days", "30"),
    ];
    admin.post_form("/admin/settings", &fields).await.status.as_u16()
}

async fn sign_up_is_by_invitation_unless_the_instance_opens_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.organizer_token().await;
    let visitor = app.browser();
    let count = || app.read(|conn| organizers::table.count().get_result::<i64>(conn));
    let before = count().await;

    // The default: by invitation only.
    let page = visitor.get("/signup").await;
    page.expect(404).contains("by invitation only").lacks("action=\"/signup\"").lacks_foreign_script();
    let csrf = visitor.csrf().await;
    let fields = [
        ("csrf", csrf.as_str()),
        ("email", "founder@example.org"),
        ("password", NEW_PASSWORD),
        ("organization", "Bees Please"),
    ];
    visitor.post_form("/signup", &fields).await.expect(404);
    assert_eq!(count().await, before);
    // A value the settings do not know is refused, and sign-up stays by invitation.
    assert_eq!(set_signup_mode(&app, "maybe").await, 422);
    visitor.get("/signup").await.expect(404);

    assert_eq!(set_signup_mode(&app, "open").await, 303);
    visitor.get("/signup").await.expect(200).contains("action=\"/signup\"").lacks_foreign_script();
    let bad = visitor
        .post_form(
            "/signup",
            &[("csrf", &csrf), ("email", "not an address"), ("password", "short"), ("organization", "")],
        )
        .await;
    bad.expect(422).contains("id=\"email-error\"").contains("id=\"password-error\"").contains("id=\"org_name-error\"");
    assert_eq!(count().await, before);
    let made = visitor.post_form("/signup", &fields).await;
    made.expect(303);
    assert_eq!(made.location(), "/dashboard");
    let dashboard = visitor.get("/dashboard").await;
    dashboard.expect(200).contains("Bees Please").contains("href=\"/o/bees-please\"").contains("Owner");
    visitor.get("/o/bees-please").await.expect(200).contains("Bees Please");
    visitor.get("/o/bees-please/members").await.expect(200).contains("/members/invite");
    // The same address again.
    let again = app.browser();
    let csrf = again.csrf().await;
    let twice = again
        .post_form(
            "/signup",
            &[
                ("csrf", &csrf),
                ("email", "founder@example.org"),
                ("password", NEW_PASSWORD),
                ("organization", "Bees Again"),
            ],
        )
        .await;
    twice.expect(422).contains("already has an account");
    // A name taken: another slug.
    let other = again
        .post_form(
            "/signup",
            &[
                ("csrf", &csrf),
                ("email", "second@example.org"),
                ("password", NEW_PASSWORD),
                ("organization", "Bees Please"),
            ],
        )
        .await;
    other.expect(303);
    again.get("/dashboard").await.expect(200).contains("href=\"/o/bees-please-2\"");
}

async fn the_organization_page_shows_its_profile_and_petitions_open_won_closed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let owner = owner_browser(&app).await;
    let api = app.api().await;
    let closed = app.create_petition("Alpha closed petition", true).await;
    let won = app.create_petition("Beta won petition", true).await;
    app.create_petition("Gamma open petition", true).await;
    app.create_petition("Delta draft petition", false).await;
    api.post(&format!("/petitions/{closed}/close"), &json!({})).await.expect(200);
    api.post(&format!("/petitions/{won}/win"), &json!({"message": "The council said yes!"})).await.expect(200);

    let page = owner.get(&format!("/o/{ORGANIZATION}")).await;
    page.expect(200).lacks("Delta draft petition").lacks_foreign_script();
    let at = |needle: &str| page.body.find(needle).unwrap_or_else(|| panic!("{needle} not on the page"));
    assert!(at("Gamma open petition") < at("Beta won petition"), "open first");
    assert!(at("Beta won petition") < at("Alpha closed petition"), "won before closed");
    assert!(at("marker-open") < at("Gamma open petition"));
    assert!(at("marker-won") < at("Beta won petition") && at("marker-won") > at("Gamma open petition"));
    assert!(at("marker-closed") < at("Alpha closed petition") && at("marker-closed") > at("Beta won petition"));
    page.contains(">Won<").contains(">Closed<").contains(&format!("href=\"/o/{ORGANIZATION}/edit\""));

    // The owner edits the name, description and website.
    let form = owner.get(&format!("/o/{ORGANIZATION}/edit")).await;
    let csrf = form.expect(200).csrf();
    let edit = |website: &'static str| {
        let (owner, csrf) = (owner.clone(), csrf.clone());
        async move {
            owner
                .post_form(
                    &format!("/o/{ORGANIZATION}/edit"),
                    &[
                        ("csrf", &csrf),
                        ("name", "Friends of the Park"),
                        ("description", "We look after the park <b>since 1990</b>."),
                        ("website", website),
                    ],
                )
                .await
        }
    };
    edit("javascript:alert(1)").await.expect(422).contains("id=\"website-error\"");
    edit("https://friends.example.org/").await.expect(303);
    let visitor = app.browser();
    let page = visitor.get(&format!("/o/{ORGANIZATION}")).await;
    page.expect(200).contains("<h1>Friends of the Park</h1>");
    page.contains("We look after the park &lt;b&gt;since 1990&lt;&#x2F;b&gt;.").lacks("<b>since");
    page.contains("href=\"https:&#x2F;&#x2F;friends.example.org&#x2F;\"").lacks(&format!("/o/{ORGANIZATION}/edit"));
    page.lacks_foreign_script();
    // Someone else's organization: not found; and not logged in: the login.
    app.create_organizer("other@example.org", "other-org").await;
    let stranger = app.browser();
    stranger.login("other@example.org", ORGANIZER_PASSWORD).await;
    stranger.get(&format!("/o/{ORGANIZATION}/edit")).await.expect(404);
    stranger.get(&format!("/o/{ORGANIZATION}/members")).await.expect(404);
    let anonymous = app.browser().get(&format!("/o/{ORGANIZATION}/members")).await;
    assert!(matches!(anonymous.status.as_u16(), 303 | 401), "{}", anonymous.status);
}

// ---------------------------------------------------------------------------------------
// The permission matrix

/// Every route of the app that names a petition or an organization, as the sources
/// declare them (`#[get("…")]`, `#[post("…")]`, `#[actix_web::patch("…")]`…), with the
/// scope it is served in.
fn declared_routes() -> Vec<(String, String)> {
    let sources = [
        ("", include_str!("../../crates/app/src/routes/organizer.rs")),
        ("", include_str!("../../crates/app/src/routes/organizations.rs")),
        ("", include_str!("../../crates/app/src/routes/export.rs")),
        ("", include_str!("../../crates/app/src/routes/insight.rs")),
        ("", include_str!("../../crates/app/src/routes/public.rs")),
        ("", include_str!("../../crates/app/src/routes/moderation.rs")),
        ("", include_str!("../../crates/app/src/routes/share.rs")),
        ("", include_str!("../../crates/app/src/routes/federation.rs")),
        ("", include_str!("../../crates/app/src/routes/milestones.rs")),
        ("", include_str!("../../crates/app/src/routes/media.rs")),
        ("", include_str!("../../crates/app/src/routes/find.rs")),
        ("/api/v1", include_str!("../../crates/app/src/routes/api.rs")),
    ];
    let mut routes = Vec::new();
    for (scope, source) in sources {
        for line in source.lines().map(str::trim) {
            let Some(rest) = line.strip_prefix("#[") else { continue };
            let rest = rest.strip_prefix("actix_web::").unwrap_or(rest);
            let Some((method, rest)) = rest.split_once("(\"") else { continue };
            if !["get", "post", "put", "patch", "delete"].contains(&method) {
                continue;
            }
            let Some((path, _)) = rest.split_once('"') else { continue };
            // export.rs serves the API's export too.
            let scope = if scope.is_empty() && path.starts_with("/petitions/{slug}") { "/api/v1" } else { scope };
            let full = format!("{scope}{path}");
            if full.contains("{slug}") {
                routes.push((method.to_uppercase(), full));
            }
        }
    }
    routes
}

/// Routes of a petition that anyone may use (its page, signing, sharing, reporting, its
/// federation): not the organizers'.
const PUBLIC: &[&str] = &[
    "GET /p/{slug}",
    "GET /p/{slug}/sign",
    "POST /p/{slug}/sign",
    "GET /p/{slug}/thanks",
    "GET /p/{slug}/share.svg",
    "GET /p/{slug}/report",
    "POST /p/{slug}/report",
    "GET /p/{slug}/moderators",
    "GET /api/v1/petitions/{slug}",
    "GET /api/v1/petitions/{slug}/count",
    "POST /api/v1/petitions/{slug}/signatures",
    "GET /api/v1/petitions/{slug}/signers",
    "GET /p/{slug}/news.atom",
    "GET /embed/p/{slug}",
];

/// Organizer routes whose body is not a form: the upload of a picture is multipart, and
/// `picture::picture_refused_*` sends another organization's organizer a real one (404).
const TESTED_ELSEWHERE: &[&str] = &["POST /p/{slug}/image"];

async fn no_organizer_route_reaches_another_organizations_petition(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Organization Y (the helper's) with an open petition, one signature, and a member
    // besides its owner.
    let owner = owner_browser(&app).await;
    let slug = app.create_petition("Theirs and only theirs", true).await;
    app.sign_and_read_email(&slug, "Ada", "ada@example.org").await;
    let owner_id: String = app
        .read(|conn| organizers::table.filter(organizers::email.eq(ORGANIZER_EMAIL)).select(organizers::id).first(conn))
        .await;
    let signature_id: String = app.read(|conn| signatures::table.select(signatures::id).first(conn)).await;
    // A pending invitation of Y, which A must not cancel.
    invite(&app, &owner, ORGANIZATION, "pending@example.org", "editor").await;
    let invitation_id = pending_invitation_id(&app, "pending@example.org").await;
    // Organizer A, of organization X, on the web and through the API.
    let a_token = app.create_organizer("intruder@example.org", "intruders").await;
    let a_api = app.api_with_token(&a_token);
    let a = app.browser();
    a.login("intruder@example.org", ORGANIZER_PASSWORD).await;
    let csrf = a.get("/dashboard").await.expect(200).lacks("Theirs and only theirs").csrf();
    let y = ORGANIZATION;

    // What each organizer route is sent: valid forms and bodies, so that only the
    // permission can refuse them.
    let petition_form: Vec<(&str, &str)> = vec![
        ("csrf", &csrf),
        ("title", "Taken over"),
        ("target", "Nobody"),
        ("description", "This text should never replace the petition's own text."),
        ("goal", "10"),
        ("action", "draft"),
        ("confirm", "yes"),
        ("message", "We won, says the intruder."),
        ("responder", "The intruder"),
        ("text", "An intruder's news, never to be posted."),
        ("email", "friend-of-intruder@example.org"),
        ("role", "owner"),
        ("name", "Taken over"),
        ("website", "https://intruder.example/"),
        ("m100", "Taken over"),
    ];
    let web_get = [
        "/p/{slug}/edit",
        "/p/{slug}/close",
        "/p/{slug}/win",
        "/p/{slug}/response",
        "/p/{slug}/signatures.csv",
        "/p/{slug}/print",
        "/p/{slug}/insight",
        "/p/{slug}/milestones",
        "/p/{slug}/comments",
        "/o/{slug}/members",
        "/o/{slug}/edit",
    ];
    let web_post = [
        "/p/{slug}/edit",
        "/p/{slug}/publish",
        "/p/{slug}/close",
        "/p/{slug}/reopen",
        "/p/{slug}/win",
        "/p/{slug}/remove",
        "/p/{slug}/news",
        "/p/{slug}/response",
        "/p/{slug}/milestones",
        "/p/{slug}/comments/{signature}/hide",
        "/p/{slug}/comments/{signature}/unhide",
        "/p/{slug}/image/remove",
        "/o/{slug}/logo",
        "/o/{slug}/logo/remove",
        "/o/{slug}/members/invite",
        "/o/{slug}/members/{member}/role",
        "/o/{slug}/members/{member}/remove",
        "/o/{slug}/invitations/{invitation}/cancel",
        "/o/{slug}/edit",
    ];
    let api_calls: Vec<(&str, &str, serde_json::Value)> = vec![
        ("GET", "/api/v1/petitions/{slug}/attestations", json!(null)),
        ("GET", "/api/v1/petitions/{slug}/signatures", json!(null)),
        ("GET", "/api/v1/petitions/{slug}/insight", json!(null)),
        ("PATCH", "/api/v1/petitions/{slug}", json!({"title": "Taken over"})),
        ("DELETE", "/api/v1/petitions/{slug}", json!(null)),
        ("POST", "/api/v1/petitions/{slug}/publish", json!({})),
        ("POST", "/api/v1/petitions/{slug}/close", json!({})),
        ("POST", "/api/v1/petitions/{slug}/reopen", json!({})),
        ("POST", "/api/v1/petitions/{slug}/win", json!({"message": "We won, says the intruder."})),
        ("POST", "/api/v1/petitions/{slug}/news", json!({"text": "An intruder's news."})),
        (
            "POST",
            "/api/v1/petitions/{slug}/response",
            json!({"responder": "The city council", "text": "We have read the petition and we answer it here in full."}),
        ),
        ("PUT", "/api/v1/petitions/{slug}/partners", json!({"partners": ["intruders"]})),
        ("POST", "/api/v1/petitions/{slug}/milestones", json!({"at": 100, "text": "Taken over"})),
    ];

    // The matrix covers every route that names a petition or an organization, but the
    // public ones: a new organizer route fails this until it is added here.
    let mut covered: Vec<String> = PUBLIC.iter().chain(TESTED_ELSEWHERE).map(|s| (*s).to_owned()).collect();
    covered.extend(web_get.iter().map(|p| format!("GET {p}")));
    covered.extend(web_post.iter().map(|p| format!("POST {p}")));
    covered.extend(api_calls.iter().map(|(m, p, _)| format!("{m} {p}")));
    let declared = declared_routes();
    assert!(declared.len() > 30, "the route list was read: {declared:?}");
    for (method, path) in &declared {
        let route = format!("{method} {path}");
        assert!(covered.contains(&route), "{route} is not in the permission matrix");
    }

    let fill = |p: &str| {
        let target = if p.starts_with("/o/") { y } else { slug.as_str() };
        p.replace("{slug}", target)
            .replace("{member}", &owner_id)
            .replace("{signature}", &signature_id)
            .replace("{invitation}", &invitation_id)
    };
    for p in web_get {
        let path = fill(p);
        let r = a.get(&path).await;
        assert!(
            matches!(r.status.as_u16(), 403 | 404),
            "GET {path} answered {} to another organization's organizer",
            r.status
        );
        // The owner of Y is let in: the route exists and the refusal is A's.
        let ok = owner.get(&path).await;
        assert_eq!(ok.status.as_u16(), 200, "GET {path} for its owner");
    }
    let before = app.petition(&slug).await;
    for p in web_post {
        let path = fill(p);
        let r = a.post_form(&path, &petition_form).await;
        assert!(
            matches!(r.status.as_u16(), 403 | 404),
            "POST {path} answered {} to another organization's organizer",
            r.status
        );
    }
    for (method, p, body) in &api_calls {
        let path = fill(p);
        let sub = path.strip_prefix("/api/v1").unwrap();
        let url = format!("{}{path}", app.url);
        let request = a_api.client.request(method.parse().unwrap(), &url).bearer_auth(&a_token);
        let request = if body.is_null() { request } else { request.json(body) };
        let r = crate::helpers::send(request).await;
        assert!(
            matches!(r.status.as_u16(), 403 | 404),
            "{method} {sub} answered {} to another organization's organizer",
            r.status
        );
        assert!(r.json()["error"].is_string(), "{method} {sub}: a stable error code: {}", r.body);
    }
    // The lists of the token's own organizations show nothing of Y: not Y, not its signer.
    let listed = a_api.get("/organizations").await.expect(200).json();
    assert_eq!(listed["organizations"].as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed["organizations"][0]["slug"], "intruders");
    let people = a_api.get("/people").await.expect(200).json();
    assert_eq!(people["total_records"], 0, "{people}");
    assert!(!people.to_string().contains("ada@example.org"), "{people}");

    // Nothing changed: the petition, its organization, its members, no email sent.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let after = app.petition(&slug).await;
    assert_eq!(before, after);
    assert_eq!(after["status"], "open");
    let page = app.browser().get(&format!("/o/{y}")).await;
    page.expect(200).lacks("Taken over").lacks("intruder.example");
    owner.get(&format!("/o/{y}/members")).await.expect(200).lacks("intruder@example.org").contains(ORGANIZER_EMAIL);
    app.wait_mail_queue_empty().await;
    assert!(app.outbox_emails().iter().all(|(_, m)| m.to != "friend-of-intruder@example.org"));
    assert_eq!(pending_invitation_id(&app, "pending@example.org").await, invitation_id, "still pending");

    // The admin's pages of people: an organizer who is not an admin gets 403, and the
    // accounts stay as they were. (Y's owner is the instance's admin.)
    a.get("/admin/people").await.expect(403);
    for action in ["disable", "enable"] {
        let path = format!("/admin/people/{owner_id}/{action}");
        let r = a.post_form(&path, &[("csrf", &csrf)]).await;
        assert_eq!(r.status.as_u16(), 403, "POST {path} answered {} to an organizer who is not an admin", r.status);
    }
    let disabled: i64 =
        app.read(|conn| organizers::table.filter(organizers::disabled_at.is_not_null()).count().get_result(conn)).await;
    assert_eq!(disabled, 0);
    owner.get("/dashboard").await.expect(200);
}

/// The id the members page names a pending invitation by (its hash's first 16 digits).
async fn pending_invitation_id(app: &TestApp, email: &'static str) -> String {
    let hash: String = app
        .read(move |conn| {
            invitations::table
                .filter(invitations::email.eq(email))
                .filter(invitations::cancelled_at.is_null())
                .filter(invitations::accepted_at.is_null())
                .select(invitations::token_hash)
                .first(conn)
        })
        .await;
    hash[..16].to_owned()
}

async fn owners_see_and_cancel_pending_invitations(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let owner = owner_browser(&app).await;
    let path = invite(&app, &owner, ORGANIZATION, "maybe@example.org", "owner").await;
    let id = pending_invitation_id(&app, "maybe@example.org").await;

    // The members page lists it, with its role and a Cancel button.
    let members = owner.get(&format!("/o/{ORGANIZATION}/members")).await;
    let csrf = members.expect(200).contains("Invitations not yet accepted").contains("maybe@example.org").csrf();
    let cancel = format!("/o/{ORGANIZATION}/invitations/{id}/cancel");
    members.contains(&format!("action=\"{cancel}\""));
    // A forged request, or an unknown invitation, changes nothing.
    owner.post_form(&cancel, &[("csrf", "forged")]).await.expect(403);
    owner
        .post_form(&format!("/o/{ORGANIZATION}/invitations/0123456789abcdef/cancel"), &[("csrf", &csrf)])
        .await
        .expect(404);
    app.browser().get(&path).await.expect(200);

    let done = owner.post_form(&cancel, &[("csrf", &csrf)]).await;
    done.expect(200).contains("The invitation was cancelled").lacks("maybe@example.org");
    owner.post_form(&cancel, &[("csrf", &csrf)]).await.expect(404);

    // Its link says so (410), and accepting it makes no account.
    let invited = app.browser();
    invited.get(&path).await.expect(410).contains("This invitation was cancelled by the organization");
    let csrf = invited.csrf().await;
    invited
        .post_form(&path, &[("csrf", &csrf), ("new_password", NEW_PASSWORD), ("new_password_again", NEW_PASSWORD)])
        .await
        .expect(410);
    let accounts: i64 = app
        .read(|conn| organizers::table.filter(organizers::email.eq("maybe@example.org")).count().get_result(conn))
        .await;
    assert_eq!(accounts, 0, "a cancelled invitation makes no account");
    // In French too.
    app.browser_in("fr").get(&path).await.expect(410).contains("Cette invitation a été annulée");

    // An editor sees the members, but neither the pending invitations nor their buttons.
    let editor_path = invite(&app, &owner, ORGANIZATION, "ed@example.org", "editor").await;
    let pending = invite(&app, &owner, ORGANIZATION, "later@example.org", "editor").await;
    let editor = app.browser();
    let csrf = editor.get(&editor_path).await.expect(200).csrf();
    editor
        .post_form(
            &editor_path,
            &[("csrf", &csrf), ("new_password", NEW_PASSWORD), ("new_password_again", NEW_PASSWORD)],
        )
        .await
        .expect(303);
    let page = editor.get(&format!("/o/{ORGANIZATION}/members")).await;
    let csrf = page.expect(200).lacks("later@example.org").lacks("/cancel\"").csrf();
    let id = pending_invitation_id(&app, "later@example.org").await;
    editor.post_form(&format!("/o/{ORGANIZATION}/invitations/{id}/cancel"), &[("csrf", &csrf)]).await.expect(403);
    app.browser().get(&pending).await.expect(200);
}
