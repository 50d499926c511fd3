//! The breakdown maps of issue 12: a petition's signatures by country (a world map) and by
//! French département, drawn on the server as SVG with a table, on its public page (small
//! postal areas merged into "Other") and its insight page.

use crate::helpers::*;
use serde_json::{json, Value};

on_both_backends! {
    a_country_petition_shows_its_map_and_table => a_country_petition_shows_its_map_and_table_sqlite, a_country_petition_shows_its_map_and_table_postgres;
    a_postal_code_petition_colours_its_departements => a_postal_code_petition_colours_its_departements_sqlite, a_postal_code_petition_colours_its_departements_postgres;
}

async fn petition(app: &TestApp, ask_country: bool, ask_postal_code: bool) -> String {
    app.create_petition_with(json!({
        "title": "Keep the park green",
        "target": "The city council",
        "description": "The park is ours: keep it green for the children.",
        "goal": 100,
        "ask_country": ask_country,
        "ask_postal_code": ask_postal_code,
        "publish": true,
    }))
    .await
}

async fn confirmed(app: &TestApp, slug: &str, body: Value) {
    let email = body["email"].as_str().expect("an email").to_owned();
    app.sign_with(slug, body).await.expect(202);
    let link = app.next_email_to(&email).await.confirm_link(&app.url);
    app.browser().follow_and_press(&link).await.expect(200);
}

/// The public page once it shows `needle` (the page is a snapshot about a second old).
async fn page_showing(browser: &Browser, slug: &str, needle: &str) -> Response {
    eventually(needle, DEADLINE, || async {
        let page = browser.get(&format!("/p/{slug}")).await;
        page.body.contains(needle).then_some(page)
    })
    .await
}

async fn a_country_petition_shows_its_map_and_table(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = petition(&app, true, false).await;
    let plain = petition(&app, false, false).await;
    for (i, country) in ["FR", "DE", "France", "Atlantis"].iter().enumerate() {
        confirmed(&app, &slug, json!({ "name": format!("Signer {i}"), "email": format!("s{i}@example.org"), "country": country, "public": true })).await;
    }
    confirmed(&app, &plain, json!({ "name": "Plain", "email": "plain@example.org", "public": true })).await;

    let visitor = app.browser();
    // The snapshot may be a second older than the last confirmation: wait for all four.
    let page = page_showing(&visitor, &slug, "4 signatures in 2 places").await;
    page.expect(200)
        .contains("<svg class=\"map-svg map-countries\"")
        .contains("role=\"img\" aria-labelledby=\"map-countries map-countries-summary\"")
        // France (typed as a code and as a name) in the darkest class, Germany lighter.
        .contains("class=\"c4\"><title>France: 2 signatures</title>")
        .contains("class=\"c0\"><title>Germany: 1 signature</title>")
        // Neutral shapes carry only their name.
        .contains("<path d=\"M")
        .contains("><title>Brazil</title></path>")
        .contains("<th scope=\"row\">France</th><td>2</td><td>50</td>")
        .contains("<th scope=\"row\">Germany</th><td>1</td><td>25</td>")
        // The unknown place is counted under "Other", never a 500.
        .contains("<th scope=\"row\">Other</th><td>1</td><td>25</td>")
        .contains("svg-maps");
    page_showing(&app.browser(), &plain, "Plain").await.expect(200).lacks("map-svg").lacks("svg-maps");

    // In French, names and numbers as French writes them.
    let french = page_showing(&app.browser_in("fr"), &slug, "Allemagne").await;
    french
        .contains("<title>France\u{a0}: 2 signatures</title>")
        .contains("<title>Allemagne\u{a0}: 1 signature</title>");

    // The organizers' insight page draws it too.
    let organizer = app.browser();
    organizer.login(ORGANIZER_EMAIL, ORGANIZER_PASSWORD).await;
    organizer.get(&format!("/p/{slug}/insight")).await.expect(200).contains("<title>France: 2 signatures</title>");
}

async fn a_postal_code_petition_colours_its_departements(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = petition(&app, false, true).await;
    for (i, postal) in ["75001", "75011", "75020", "13001", "20000", "SW1A 1AA"].iter().enumerate() {
        confirmed(&app, &slug, json!({ "name": format!("Signer {i}"), "email": format!("s{i}@example.org"), "postal_code": postal, "public": true })).await;
    }
    let page = page_showing(&app.browser(), &slug, "6 signatures in 1 place").await;
    page.expect(200)
        .contains("class=\"c4\"><title>Ville de Paris: 3 signatures</title>")
        .contains("<th scope=\"row\">75 Ville de Paris</th><td>3</td><td>50</td>")
        // One signer in the Bouches-du-Rhône, one in Corse-du-Sud: merged into "Other" on
        // the public page, with the British code, so that no one's place is singled out.
        .contains("><title>Bouches-du-Rhône</title></path>")
        .lacks("Bouches-du-Rhône: 1")
        .contains("<th scope=\"row\">Other</th><td>3</td><td>50</td>")
        .contains("fewer than 3 signatures");

    // The organizers see every département, Corsica's 20000 in Corse-du-Sud (2A).
    let organizer = app.browser();
    organizer.login(ORGANIZER_EMAIL, ORGANIZER_PASSWORD).await;
    organizer
        .get(&format!("/p/{slug}/insight"))
        .await
        .expect(200)
        .contains("<title>Bouches-du-Rhône: 1 signature</title>")
        .contains("<th scope=\"row\">2A Corse-du-Sud</th><td>1</td>")
        .contains("<th scope=\"row\">Other</th><td>1</td>");
}
