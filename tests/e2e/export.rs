//! The organizers' export (issue 11): the CSV download of a petition's confirmed
//! signatures (ours and those other instances attested, never the pending or invalidated
//! ones, formulas shown and not run), the printable list for the decision maker (names
//! made public and places, never an email), the API's OSDI-shaped pages and its CSV, and
//! who may see them: the petition's organizers only.

use crate::helpers::*;
use diesel::prelude::*;
use serde_json::{json, Value};
use signons_store::schema::{petition_origin_counts as oc, petitions, remote_signatures as rs};

on_both_backends! {
    csv_lists_confirmed_signatures_with_remote_rows => csv_lists_confirmed_signatures_with_remote_rows_sqlite, csv_lists_confirmed_signatures_with_remote_rows_postgres;
    printable_list_has_public_names_and_places_never_emails => printable_list_has_public_names_and_places_never_emails_sqlite, printable_list_has_public_names_and_places_never_emails_postgres;
    api_lists_signatures_in_pages_and_as_csv => api_lists_signatures_in_pages_and_as_csv_sqlite, api_lists_signatures_in_pages_and_as_csv_postgres;
    only_the_petitions_organizers_export_it => only_the_petitions_organizers_export_it_sqlite, only_the_petitions_organizers_export_it_postgres;
}

const HEADER: [&str; 10] = [
    "name",
    "email",
    "country",
    "postal_code",
    "comment",
    "public",
    "opt_in",
    "confirmed_at",
    "instance",
    "comment_hidden",
];

/// A published petition that asks the country and the postal code.
pub(crate) async fn petition(app: &TestApp) -> String {
    app.create_petition_with(json!({
        "title": "Keep the park green",
        "target": "The city council",
        "description": "The park is ours: keep it green for the children.",
        "goal": 100,
        "ask_country": true,
        "ask_postal_code": true,
        "publish": true,
    }))
    .await
}

/// Signs with `body` and, if `confirm`, confirms through the email's link.
pub(crate) async fn signed(app: &TestApp, slug: &str, body: Value, confirm: bool) {
    let email = body["email"].as_str().expect("an email").to_owned();
    app.sign_with(slug, body).await.expect(202);
    let link = app.next_email_to(&email).await.confirm_link(&app.url);
    if confirm {
        app.browser().follow_and_press(&link).await.expect(200);
    }
}

/// Ann (public, with a formula for a comment), Bob (not public), Carl (never confirmed),
/// Dan (confirmed, then invalidated by an admin).
pub(crate) async fn four_signers(app: &TestApp, slug: &str) {
    let s = |name: &str, email: &str, country: &str, postal: &str, public: bool, opt_in: bool| json!({ "name": name, "email": email, "country": country, "postal_code": postal, "public": public, "opt_in": opt_in });
    let mut ann = s("Ann Public", "ann@example.org", "FR", "75001", true, true);
    ann["comment"] = json!("=HYPERLINK(\"http://evil.example\")");
    signed(app, slug, ann, true).await;
    signed(app, slug, s("Bob Private", "bob@example.org", "DE", "10115", false, false), true).await;
    signed(app, slug, s("Carl Pending", "carl@example.org", "FR", "69001", true, false), false).await;
    signed(app, slug, s("Dan Invalid", "dan@spam.example", "FR", "13001", true, false), true).await;
    let (ok, out, err) =
        app.cli(&["admin", "invalidate", "--petition", slug, "--domain", "spam.example", "--yes"]).await;
    assert!(ok && out.contains("invalidated 1 confirmed"), "{out}{err}");
}

/// Signatures other instances attested, as `federation::sign::receive` stores them: one
/// from b.example (counted), one from an instance an admin blocked (not counted).
pub(crate) async fn remote_signers(app: &TestApp, slug: &str) {
    let slug = slug.to_owned();
    app.write(move |conn| {
        let id: signons_store::Id =
            petitions::table.filter(petitions::slug.eq(&slug)).select(petitions::id).first(conn)?;
        let now = signons_store::now();
        for (host, name, counted) in
            [("b.example", "Eve Elsewhere", true), ("blocked.example", "Mallory Blocked", false)]
        {
            diesel::insert_into(rs::table)
                .values((
                    rs::attestation_id.eq(format!("https://{host}/attestations/1")),
                    rs::petition_id.eq(&id),
                    rs::origin_host.eq(host),
                    rs::sign_activity_id.eq(format!("https://{host}/activities/1")),
                    rs::digest.eq(format!("digest-{host}")),
                    rs::display_name.eq(Some(name)),
                    rs::country.eq(Some("BE")),
                    rs::postal_code.eq(Some("1000")),
                    rs::confirmed_at.eq(now),
                    rs::received_at.eq(now),
                    rs::activity.eq("{}"),
                ))
                .execute(conn)?;
            diesel::insert_into(oc::table)
                .values((
                    oc::petition_id.eq(&id),
                    oc::origin_host.eq(host),
                    oc::signatures.eq(1i64),
                    oc::counted.eq(counted),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
    .await;
}

/// The CSV's records, header first, each line ending in CRLF.
fn records(body: &str) -> Vec<Vec<String>> {
    assert!(body.is_empty() || body.ends_with("\r\n"), "CSV lines end in CRLF: {body:?}");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body.as_bytes())
        .records()
        .map(|r| r.expect("a CSV record").iter().map(str::to_owned).collect())
        .collect()
}

fn row_of<'a>(rows: &'a [Vec<String>], name: &str) -> &'a Vec<String> {
    rows.iter().find(|r| r[0] == name).unwrap_or_else(|| panic!("no row for {name} in {rows:?}"))
}

async fn organizer_browser(app: &TestApp) -> Browser {
    app.organizer_token().await;
    let browser = app.browser();
    browser.login(ORGANIZER_EMAIL, ORGANIZER_PASSWORD).await;
    browser
}

async fn csv_lists_confirmed_signatures_with_remote_rows(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = petition(&app).await;
    four_signers(&app, &slug).await;
    remote_signers(&app, &slug).await;
    let organizer = organizer_browser(&app).await;
    let csv_link = format!("/p/{slug}/signatures.csv");
    // Where the organizer finds it: the petition page and the dashboard.
    organizer.get(&format!("/p/{slug}")).await.expect(200).contains(&csv_link).contains(&format!("/p/{slug}/print"));
    organizer.get("/dashboard").await.expect(200).contains(&csv_link);

    let r = organizer.get(&csv_link).await;
    r.expect(200);
    assert_eq!(r.header("content-type"), Some("text/csv; charset=utf-8"));
    let today = chrono::Utc::now().date_naive();
    assert_eq!(
        r.header("content-disposition").map(str::to_owned),
        Some(format!("attachment; filename=\"signatures-{slug}-{today}.csv\""))
    );
    let rows = records(&r.body);
    assert_eq!(rows[0], HEADER, "one header line first");
    assert_eq!(rows.iter().filter(|r| r[0] == "name").count(), 1, "one header line only");
    let names: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(names.len(), 3, "Ann, Bob and Eve: {rows:?}");
    for absent in ["Carl Pending", "Dan Invalid", "Mallory Blocked"] {
        assert!(!names.contains(&absent), "{absent} is not exported: {rows:?}");
    }
    let ours = app.url.trim_start_matches("http://");
    let ann = row_of(&rows, "Ann Public");
    assert_eq!(ann[1..4], ["ann@example.org", "FR", "75001"]);
    assert_eq!(ann[4], "'=HYPERLINK(\"http://evil.example\")", "a formula is shown, not run");
    assert_eq!(ann[5..7], ["true", "true"]);
    assert_eq!(ann[8], ours);
    let at = chrono::DateTime::parse_from_rfc3339(&ann[7]).expect("confirmed_at in RFC 3339");
    assert!(ann[7].ends_with('Z') && (chrono::Utc::now() - at.to_utc()).num_minutes() < 5, "{}", ann[7]);
    let bob = row_of(&rows, "Bob Private");
    assert_eq!(bob[1..7], ["bob@example.org", "DE", "10115", "", "false", "false"]);
    let eve = row_of(&rows, "Eve Elsewhere");
    assert_eq!(eve[1..7], ["", "BE", "1000", "", "true", ""], "no email, opt-in unknown");
    assert_eq!(eve[8], "b.example");
}

async fn printable_list_has_public_names_and_places_never_emails(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = petition(&app).await;
    four_signers(&app, &slug).await;
    remote_signers(&app, &slug).await;
    let organizer = organizer_browser(&app).await;
    let page = organizer.get(&format!("/p/{slug}/print")).await;
    page.expect(200)
        .contains("Keep the park green")
        .contains("To: The city council")
        .contains("3 signatures")
        .contains(&chrono::Utc::now().date_naive().format("%-d %B %Y").to_string())
        .contains("<td>Ann Public</td><td>FR</td><td>75001</td>")
        .contains("<td>Anonymous</td><td>DE</td><td>10115</td>")
        .contains("<td>Eve Elsewhere</td><td>BE</td><td>1000</td>")
        .lacks("Bob Private")
        .lacks("Carl Pending")
        .lacks("Dan Invalid")
        .lacks("@example.org");
    assert_eq!(page.body.matches("<tr><td>").count(), 3);
    // In French too, and the stylesheet prints only the list.
    let fr = Browser::new(&app.url, Some("fr"));
    fr.login(ORGANIZER_EMAIL, ORGANIZER_PASSWORD).await;
    fr.get(&format!("/p/{slug}/print")).await.expect(200).contains("<td>Anonyme</td>").contains("3 signatures");
    app.browser().get("/static/signons.css").await.expect(200).contains("@media print");
}

async fn api_lists_signatures_in_pages_and_as_csv(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = petition(&app).await;
    four_signers(&app, &slug).await;
    remote_signers(&app, &slug).await;
    let api = app.api().await;
    let path = format!("/petitions/{slug}/signatures");

    let first = api.get(&format!("{path}?per_page=2")).await.expect(200).json();
    assert_eq!(first["total_records"], 3);
    assert_eq!(first["per_page"], 2);
    assert_eq!(first["total_pages"], 2);
    let listed = first["_embedded"]["osdi:signatures"].as_array().expect("signatures").clone();
    assert_eq!(listed.len(), 2);
    let next = first["_links"]["next"]["href"].as_str().expect("a next page").to_owned();
    let cursor = first["next_cursor"].as_str().expect("a cursor").to_owned();
    assert!(next.ends_with(&format!("cursor={cursor}")), "{next}");
    let second = api.get(&format!("{path}?per_page=2&cursor={cursor}")).await.expect(200).json();
    let more = second["_embedded"]["osdi:signatures"].as_array().expect("signatures").clone();
    assert_eq!(more.len(), 1);
    assert!(second["_links"]["next"].is_null() && second["next_cursor"].is_null(), "the last page: {second}");
    let all: Vec<Value> = listed.into_iter().chain(more).collect();
    let name = |s: &Value| s["person"]["name"].as_str().unwrap_or_default().to_owned();
    let mut names: Vec<String> = all.iter().map(name).collect();
    names.sort();
    assert_eq!(names, ["Ann Public", "Bob Private", "Eve Elsewhere"]);
    let ann = all.iter().find(|s| name(s) == "Ann Public").expect("Ann");
    assert_eq!(ann["person"]["email_addresses"], json!([{ "address": "ann@example.org", "primary": true }]));
    assert_eq!(ann["person"]["postal_addresses"], json!([{ "country": "FR", "postal_code": "75001" }]));
    assert_eq!(ann["opt_in"], true);
    assert!(ann["created_date"].as_str().is_some_and(|d| chrono::DateTime::parse_from_rfc3339(d).is_ok()));
    let eve = all.iter().find(|s| name(s) == "Eve Elsewhere").expect("Eve");
    assert_eq!(eve["person"]["email_addresses"], json!([]));
    assert_eq!(eve["origin_system"], "b.example");

    // The same rows as CSV, header first.
    let csv = send(
        api.client
            .get(format!("{}/api/v1{path}", app.url))
            .bearer_auth(app.organizer_token().await)
            .header("accept", "text/csv"),
    )
    .await;
    csv.expect(200);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    let rows = records(&csv.body);
    assert_eq!(rows[0], HEADER);
    let mut csv_names: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    csv_names.sort();
    assert_eq!(csv_names, ["Ann Public", "Bob Private", "Eve Elsewhere"]);

    // Bad paging: a clear 400.
    for bad in ["per_page=0", "per_page=101", "per_page=two", "cursor=not-a-cursor"] {
        api.get(&format!("{path}?{bad}")).await.expect_error(400, "bad_request");
    }
}

async fn only_the_petitions_organizers_export_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = petition(&app).await;
    four_signers(&app, &slug).await;
    let before = app.snapshot().await;
    let other_token = app.create_organizer("other@example.org", "other-organization").await;
    let other_api = app.api_with_token(&other_token);
    let path = format!("/petitions/{slug}/signatures");

    // An organizer of another organization: not found, for the pages and the API alike.
    let other = app.browser();
    other.login("other@example.org", ORGANIZER_PASSWORD).await;
    for page in [format!("/p/{slug}/signatures.csv"), format!("/p/{slug}/print")] {
        other.get(&page).await.expect(404).lacks("ann@example.org").lacks("Ann Public");
    }
    other_api.get(&path).await.expect_error(404, "not_found");
    let csv = send(
        other_api
            .client
            .get(format!("{}/api/v1{path}", app.url))
            .bearer_auth(&other_token)
            .header("accept", "text/csv"),
    )
    .await;
    csv.expect(404).lacks("ann@example.org");
    // Nor do its own petition's pages show this one's signers.
    other.get(&format!("/p/{slug}")).await.expect(200).lacks("signatures.csv");

    // A visitor: sent to log in (pages), 401 (API), with or without a made-up token.
    let visitor = app.browser();
    for page in [format!("/p/{slug}/signatures.csv"), format!("/p/{slug}/print")] {
        let r = visitor.get(&page).await;
        r.expect(303).lacks("ann@example.org");
        assert!(r.location().starts_with("/login?next="), "{}", r.location());
    }
    app.public_api().get(&path).await.expect_error(401, "unauthorized");
    app.api_with_token("not-a-token").get(&path).await.expect_error(401, "unauthorized");
    // A petition that does not exist answers as another organization's does.
    app.api().await.get("/petitions/no-such-petition/signatures").await.expect_error(404, "not_found");
    app.assert_unchanged(&before).await;
}
