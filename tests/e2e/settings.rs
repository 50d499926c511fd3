//! The admins' instance settings (issue 11): saved on the web, shown where they apply (the
//! pages' name, NodeInfo, the privacy page), kept across a restart, refused when wrong;
//! and review before publication: an organizer's petition waits for an admin, who sends it
//! back with a note or approves it.

use crate::helpers::*;
use diesel::prelude::*;
use signons_store::schema::{petitions, signatures};

on_both_backends! {
    settings_are_saved_shown_and_kept => settings_saved_sqlite, settings_saved_postgres;
    bad_settings_change_nothing_and_only_admins_reach_them => bad_settings_sqlite, bad_settings_postgres;
    petitions_wait_for_review_when_the_admins_ask => review_sqlite, review_postgres;
    settings_saved_by_another_process_reach_this_one => settings_elsewhere_sqlite, settings_elsewhere_postgres;
    the_name_saved_is_the_one_of_emails_feeds_and_oembed => name_everywhere_sqlite, name_everywhere_postgres;
}

const PAGE: &str = "/admin/settings";
const OTHER_EMAIL: &str = "second@example.org";

fn form<'a>(csrf: &'a str, changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("csrf", csrf),
        ("name", "Signons Lyon"),
        ("description", "Petitions of the associations of Lyon."),
        ("contact", "privacy@lyon.example.org"),
        ("signup", "invitation"),
        ("premoderation", "off"),
        ("anonymize_after_days", "90"),
    ];
    for (name, value) in changes {
        if let Some(f) = fields.iter_mut().find(|(n, _)| n == name) {
            f.1 = value;
        }
    }
    fields
}

async fn status(app: &TestApp, slug: &str) -> String {
    let slug = slug.to_owned();
    app.read(move |conn| petitions::table.filter(petitions::slug.eq(slug)).select(petitions::status).first(conn)).await
}

async fn settings_are_saved_shown_and_kept(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let (admin, csrf) = app.admin_browser(PAGE).await;
    let saved = admin.post_form(PAGE, &form(&csrf, &[])).await;
    assert_eq!(saved.expect(303).location(), format!("{PAGE}?saved"));
    admin.get(&format!("{PAGE}?saved")).await.expect(200).contains("The settings are saved.").contains("value=\"90\"");

    // Every page names the instance so; so does what other servers read.
    app.browser().get("/").await.expect(200).contains("Signons Lyon");
    let nodeinfo = app.public_api().client.get(format!("{}/nodeinfo/2.1", app.url)).send().await.unwrap();
    let nodeinfo: serde_json::Value = nodeinfo.json().await.unwrap();
    assert_eq!(nodeinfo["metadata"]["nodeName"], "Signons Lyon", "{nodeinfo}");
    // The privacy page says what the settings say, in the visitor's language.
    app.browser()
        .get("/privacy")
        .await
        .expect(200)
        .contains("90 days after a petition ends")
        .contains("privacy@lyon.example.org")
        .contains("Petitions of the associations of Lyon.")
        .lacks_foreign_script();
    app.browser_in("fr").get("/privacy").await.expect(200).contains("90 jours après la fin d’une pétition");
    app.browser().get("/").await.expect(200).contains("href=\"/privacy\"");

    // Kept across a restart.
    app.stop().await;
    app.start_again().await;
    app.browser().get("/privacy").await.expect(200).contains("Signons Lyon").contains("90 days");
}

async fn bad_settings_change_nothing_and_only_admins_reach_them(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (admin, csrf) = app.admin_browser(PAGE).await;
    admin.post_form(PAGE, &form(&csrf, &[])).await.expect(303);
    for (field, value, message) in [
        ("anonymize_after_days", "0", "A whole number of days, from 1 to 3,650."),
        ("anonymize_after_days", "ninety", "A whole number of days"),
        ("signup", "everyone", "Choose one of the options."),
        ("premoderation", "", "Choose one of the options."),
        ("contact", "not an address", "This is not a valid email address."),
        ("name", "   ", "This field is required."),
    ] {
        // The other fields are changed too: nothing is saved when one is wrong.
        let changes =
            if field == "name" { vec![(field, value)] } else { vec![("name", "Another name"), (field, value)] };
        admin
            .post_form(PAGE, &form(&csrf, &changes))
            .await
            .expect(422)
            .contains(message)
            .contains(&format!("id=\"{field}-error\""));
    }
    // A forged form (no CSRF token) changes nothing either.
    admin.post_form(PAGE, &form("", &[("name", "Forged")])).await.expect(403);
    app.browser().get("/").await.expect(200).contains("Signons Lyon").lacks("Another name").lacks("Forged");

    // An organizer who is not an admin, and a visitor, reach neither the page nor the form.
    app.create_organizer(OTHER_EMAIL, "second-association").await;
    let other = app.browser();
    other.login(OTHER_EMAIL, ORGANIZER_PASSWORD).await;
    other.get(PAGE).await.expect(403);
    let csrf = other.get("/dashboard").await.expect(200).csrf();
    other.post_form(PAGE, &form(&csrf, &[("name", "Taken over")])).await.expect(403);
    let visitor = app.browser();
    assert_ne!(visitor.get(PAGE).await.status, 200);
    app.browser().get("/").await.expect(200).lacks("Taken over");
}

async fn petitions_wait_for_review_when_the_admins_ask(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (admin, csrf) = app.admin_browser(PAGE).await;
    admin.post_form(PAGE, &form(&csrf, &[("premoderation", "on")])).await.expect(303);

    // An organizer publishes: the petition waits, unseen by the public, taking no signature.
    let token = app.create_organizer(OTHER_EMAIL, "second-association").await;
    let api = app.api_with_token(&token);
    let body = serde_json::json!({
        "title": "Light the bike path",
        "target": "The city council",
        "description": "The path along the river is dark from five in the evening in winter.",
        "goal": 100,
        "publish": true,
    });
    let created = api.post("/petitions", &body).await.expect(201).json();
    assert_eq!(created["status"], "review", "{created}");
    let slug = created["slug"].as_str().unwrap().to_owned();
    app.browser().get(&format!("/p/{slug}")).await.expect(404);
    app.public_api().get(&format!("/petitions/{slug}")).await.expect(404);
    assert_ne!(app.sign(&slug, "Ann", "ann@example.org").await.status, 202);
    let signed: i64 = app.read(|conn| signatures::table.count().get_result(conn)).await;
    assert_eq!(signed, 0);
    let organizer = app.browser();
    organizer.login(OTHER_EMAIL, ORGANIZER_PASSWORD).await;
    organizer
        .get(&format!("/p/{slug}"))
        .await
        .expect(200)
        .contains("Waiting for review")
        .contains("Signatures open once the petition is published")
        .lacks("Signatures are closed");

    // The admins see it in the queue, and send it back with a note the organizer reads.
    let queue = "/admin/moderation";
    let csrf = admin.get(queue).await.expect(200).contains("Light the bike path").csrf();
    admin.get(&format!("/p/{slug}")).await.expect(200);
    let back = [("csrf", csrf.as_str()), ("action", "send_back"), ("slug", slug.as_str()), ("review_note", "")];
    admin.post_form(queue, &back).await.expect(422);
    assert_eq!(status(&app, &slug).await, "review");
    let note = "Say which path, and since when it is dark.";
    let back = [("csrf", csrf.as_str()), ("action", "send_back"), ("slug", slug.as_str()), ("review_note", note)];
    assert_eq!(admin.post_form(queue, &back).await.expect(303).location(), format!("{queue}?done=send_back"));
    assert_eq!(status(&app, &slug).await, "draft");
    organizer.get(&format!("/p/{slug}")).await.expect(200).contains(note);
    app.browser().get(&format!("/p/{slug}")).await.expect(404);

    // Published again: it waits again; approved: it opens, and takes signatures.
    let again = api.post(&format!("/petitions/{slug}/publish"), &serde_json::json!({})).await.expect(200).json();
    assert_eq!(again["status"], "review", "{again}");
    let approve = [("csrf", csrf.as_str()), ("action", "approve"), ("slug", slug.as_str())];
    assert_eq!(admin.post_form(queue, &approve).await.expect(303).location(), format!("{queue}?done=approve"));
    assert_eq!(status(&app, &slug).await, "open");
    app.browser().get(&format!("/p/{slug}")).await.expect(200).contains("Light the bike path").lacks(note);
    app.sign(&slug, "Ann", "ann@example.org").await.expect(202);
    // Approving twice is refused, and changes nothing.
    admin.post_form(queue, &approve).await.expect(409);
    assert_eq!(status(&app, &slug).await, "open");

    // What the admins approved changes: the petition stays up, and goes back to their
    // queue, once however many times it changes. A new goal says nothing new.
    api.patch(&format!("/petitions/{slug}"), &serde_json::json!({ "goal": 200 })).await.expect(200);
    admin.get(queue).await.expect(200).lacks("Changed since it was approved");
    for text in ["Buy our lamps at lamps.example!", "Buy our lamps, now cheaper, at lamps.example!"] {
        api.patch(&format!("/petitions/{slug}"), &serde_json::json!({ "description": text })).await.expect(200);
    }
    assert_eq!(status(&app, &slug).await, "open");
    let page = admin.get(queue).await;
    page.expect(200).contains("Changed since it was approved").contains(&format!("/p/{slug}"));
    let reports: i64 = app.read(|conn| signons_store::schema::reports::table.count().get_result(conn)).await;
    assert_eq!(reports, 1, "one entry for the petition");
    let dismiss = [("csrf", csrf.as_str()), ("action", "dismiss"), ("slug", slug.as_str())];
    admin.post_form(queue, &dismiss).await.expect(303);
    admin.get(queue).await.expect(200).lacks("Changed since it was approved");

    // The admins' own petitions are not reviewed.
    let own = app.create_petition("Benches in the square", true).await;
    assert_eq!(status(&app, &own).await, "open");
    app.api().await.patch(&format!("/petitions/{own}"), &serde_json::json!({ "title": "Benches" })).await.expect(200);
    admin.get(queue).await.expect(200).lacks("Changed since it was approved");
}

/// Several processes may serve one database: settings one of them saved (written here
/// straight into the database, as that process does) show on this one's pages within
/// seconds, with no restart.
async fn settings_saved_by_another_process_reach_this_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.browser().get("/").await.expect(200).lacks("Signons Grenoble");
    let saved = signons_petition::settings::InstanceSettings {
        name: "Signons Grenoble".to_owned(),
        description: "Petitions of the associations of Grenoble.".to_owned(),
        contact: String::new(),
        signup: signons_petition::settings::SignupMode::Open,
        premoderation: signons_petition::settings::Premoderation::Off,
        anonymize_after_days: 30,
    };
    app.state.db.write_async(move |conn| signons_petition::settings::save(conn, &saved)).await.unwrap();
    let home = app.browser().page_until("/", "the name saved elsewhere", |p| p.body.contains("Signons Grenoble")).await;
    home.contains("<title>Signons Grenoble</title>");
    app.browser().get("/privacy").await.expect(200).contains("Petitions of the associations of Grenoble.");
    // Sign-up opened elsewhere is open here too.
    app.browser().get("/signup").await.expect(200);
}

/// The name the admins saved, not the configured one, is in the reset and invitation
/// emails, the Atom feed and oEmbed's `provider_name`, from the next one on.
async fn the_name_saved_is_the_one_of_emails_feeds_and_oembed(backend: Backend) {
    const NAME: &str = "Lyon Petitions Hub";
    let app = TestApp::spawn(backend).await;
    let (admin, csrf) = app.admin_browser(PAGE).await;
    let slug = app.create_petition("Trees for the square", true).await;
    let page_url = format!("{}/p/{slug}", app.url);
    let oembed =
        format!("/oembed?url={}", url::form_urlencoded::byte_serialize(page_url.as_bytes()).collect::<String>());
    let before = app.browser().get(&oembed).await.expect(200).json();
    assert_ne!(before["provider_name"], NAME);
    app.browser().get("/feeds/petitions.atom").await.expect(200).lacks(NAME);

    admin.post_form(PAGE, &form(&csrf, &[("name", NAME)])).await.expect(303);

    let visitor = app.browser();
    let csrf_forgot = visitor.get("/password/forgot").await.expect(200).csrf();
    visitor.post_form("/password/forgot", &[("csrf", &csrf_forgot), ("email", ORGANIZER_EMAIL)]).await.expect(200);
    let reset = app.next_email_to(ORGANIZER_EMAIL).await;
    assert!(reset.subject.contains(NAME), "{}", reset.subject);
    assert!(reset.text().contains(NAME), "{}", reset.text());

    let members = format!("/o/{ORGANIZATION}/members");
    let csrf_members = admin.get(&members).await.expect(200).csrf();
    admin
        .post_form(
            &format!("{members}/invite"),
            &[("csrf", &csrf_members), ("email", "newcomer@example.org"), ("role", "editor")],
        )
        .await
        .expect(200);
    let invitation = app.next_email_to("newcomer@example.org").await;
    assert!(invitation.text().contains(NAME), "{}", invitation.text());

    app.browser()
        .get("/feeds/petitions.atom")
        .await
        .expect(200)
        .contains(&format!("<title>New petitions on {NAME}</title>"));
    let after = app.browser().get(&oembed).await.expect(200).json();
    assert_eq!(after["provider_name"], NAME);
}
