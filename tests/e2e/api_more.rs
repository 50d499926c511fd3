//! The JSON API beyond petitions and signatures (issue 11): the token's organizer's
//! organizations, a petition's insight, and the people of the organizations (OSDI
//! persons, one per email across their petitions, paged as the signatures are), each
//! seen by its own organizers only.

use crate::export::signed;
use crate::helpers::*;
use diesel::prelude::*;
use serde_json::{json, Value};
use signons_store::schema::organizations;

on_both_backends! {
    organizations_are_the_tokens_organizers_own => organizations_are_the_tokens_organizers_own_sqlite, organizations_are_the_tokens_organizers_own_postgres;
    insight_is_the_pages_counts_for_its_organizers => insight_is_the_pages_counts_for_its_organizers_sqlite, insight_is_the_pages_counts_for_its_organizers_postgres;
    people_are_an_organizations_signers_once_each_in_pages => people_are_an_organizations_signers_once_each_in_pages_sqlite, people_are_an_organizations_signers_once_each_in_pages_postgres;
}

/// A published petition of the organizer behind `api`, asking the country.
async fn petition_of(api: &Api, title: &str) -> String {
    let body = json!({
        "title": title,
        "target": "The city council",
        "description": "The park is ours: keep it green for the children.",
        "goal": 100,
        "ask_country": true,
        "publish": true,
    });
    api.post("/petitions", &body).await.expect(201).json()["slug"].as_str().expect("a slug").to_owned()
}

fn signer(name: &str, email: &str, country: &str, opt_in: bool) -> Value {
    json!({ "name": name, "email": email, "country": country, "public": true, "opt_in": opt_in })
}

async fn organizations_are_the_tokens_organizers_own(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let api = app.api().await;
    app.write(|conn| {
        diesel::update(organizations::table.filter(organizations::slug.eq(ORGANIZATION)))
            .set((
                organizations::description.eq(Some("We keep parks green.")),
                organizations::website.eq(Some("https://parks.example/")),
            ))
            .execute(conn)
    })
    .await;
    let other = app.api_with_token(&app.create_organizer("other@example.org", "others").await);

    let listed = api.get("/organizations").await.expect(200).json();
    assert_eq!(
        listed["organizations"],
        json!([{
            "slug": ORGANIZATION,
            "name": listed["organizations"][0]["name"],
            "description": "We keep parks green.",
            "website": "https://parks.example/",
            "role": "owner",
            "url": format!("{}/o/{ORGANIZATION}", app.url),
            "logo": null,
        }])
    );
    let theirs = other.get("/organizations").await.expect(200).json();
    let slugs: Vec<&str> =
        theirs["organizations"].as_array().expect("a list").iter().filter_map(|o| o["slug"].as_str()).collect();
    assert_eq!(slugs, ["others"], "another organizer sees only theirs: {theirs}");
    app.public_api().get("/organizations").await.expect_error(401, "unauthorized");
}

async fn insight_is_the_pages_counts_for_its_organizers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let api = app.api().await;
    let slug = petition_of(&api, "Keep the park green").await;
    signed(&app, &slug, signer("Ann", "ann@example.org", "FR", true), true).await;
    signed(&app, &slug, signer("Bob", "bob@example.org", "FR", false), true).await;
    signed(&app, &slug, signer("Carl", "carl@example.org", "DE", true), true).await;
    signed(&app, &slug, signer("Dan", "dan@example.org", "DE", true), false).await;

    let insight = api.get(&format!("/petitions/{slug}/insight")).await.expect(200).json();
    assert_eq!(insight["total"], 3, "{insight}");
    assert_eq!(insight["local"], 3);
    assert_eq!(insight["opted_in"], 2);
    assert_eq!(insight["opted_in_percent"], 67);
    assert_eq!(
        insight["countries"],
        json!([{ "label": "FR", "signatures": 2, "percent": 67 }, { "label": "DE", "signatures": 1, "percent": 33 }])
    );
    let days = insight["days"].as_array().expect("days");
    assert_eq!(days.last().map(|d| d["cumulative"].clone()), Some(json!(3)));
    let host = app.url.trim_start_matches("http://").to_owned();
    assert_eq!(insight["origins"], json!([{ "label": host, "signatures": 3, "percent": 100 }]));
    let direct = insight["arrivals"].as_array().expect("arrivals").iter().find(|a| a["way"] == "direct").cloned();
    assert_eq!(direct, Some(json!({ "way": "direct", "signatures": 3, "percent": 100 })));
    assert!(insight.get("chart").is_none(), "the chart's drawing is the page's: {insight}");

    // Another organization's organizer learns nothing of it, as on the web.
    let other = app.api_with_token(&app.create_organizer("other@example.org", "others").await);
    other.get(&format!("/petitions/{slug}/insight")).await.expect_error(404, "not_found");
    api.get("/petitions/no-such-petition/insight").await.expect_error(404, "not_found");
    app.public_api().get(&format!("/petitions/{slug}/insight")).await.expect_error(401, "unauthorized");
}

fn people_of(page: &Value) -> Vec<Value> {
    page["_embedded"]["osdi:people"].as_array().unwrap_or_else(|| panic!("no people in {page}")).clone()
}

async fn people_are_an_organizations_signers_once_each_in_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let api = app.api().await;
    let park = petition_of(&api, "Keep the park green").await;
    let trees = petition_of(&api, "Plant more trees").await;
    let other = app.api_with_token(&app.create_organizer("other@example.org", "others").await);
    let theirs = petition_of(&other, "Theirs and only theirs").await;
    // Ann signs both of ours (news of the second only), Bob one without news, Carl never
    // confirms, Eve signs the other organization's only, Fay both organizations'.
    signed(&app, &park, signer("Ann", "ann@example.org", "FR", false), true).await;
    signed(&app, &trees, signer("Ann Again", "ann@example.org", "BE", true), true).await;
    signed(&app, &park, signer("Bob", "bob@example.org", "DE", false), true).await;
    signed(&app, &park, signer("Carl", "carl@example.org", "FR", true), false).await;
    signed(&app, &theirs, signer("Eve", "eve@example.org", "FR", true), true).await;
    signed(&app, &theirs, signer("Fay", "fay@example.org", "FR", true), true).await;
    signed(&app, &trees, signer("Fay", "fay@example.org", "FR", false), true).await;

    let first = api.get("/people?per_page=2").await.expect(200).json();
    assert_eq!(first["total_records"], 3, "{first}");
    assert_eq!(first["total_pages"], 2);
    let cursor = first["next_cursor"].as_str().expect("a cursor").to_owned();
    let next = first["_links"]["next"]["href"].as_str().expect("a next page");
    assert_eq!(next, format!("{}/api/v1/people?per_page=2&cursor={cursor}", app.url));
    let second = api.get(&format!("/people?per_page=2&cursor={cursor}")).await.expect(200).json();
    assert!(second["next_cursor"].is_null() && second["_links"]["next"].is_null(), "the last page: {second}");
    let people: Vec<Value> = people_of(&first).into_iter().chain(people_of(&second)).collect();
    let email = |p: &Value| p["email_addresses"][0]["address"].as_str().unwrap_or_default().to_owned();
    assert_eq!(people.iter().map(email).collect::<Vec<_>>(), ["ann@example.org", "bob@example.org", "fay@example.org"]);

    let ann = &people[0];
    assert_eq!(ann["name"], "Ann Again", "the latest signature's name");
    assert_eq!(
        ann["email_addresses"],
        json!([{ "address": "ann@example.org", "primary": true, "status": "subscribed" }])
    );
    assert_eq!(ann["postal_addresses"], json!([{ "country": "BE" }]));
    let signed_petitions: Vec<(String, bool)> = ann["custom_fields"]["petitions"]
        .as_array()
        .expect("petitions")
        .iter()
        .map(|p| (p["slug"].as_str().unwrap_or_default().to_owned(), p["opt_in"].as_bool().unwrap_or_default()))
        .collect();
    assert_eq!(signed_petitions, [(park.clone(), false), (trees.clone(), true)]);
    assert!(ann["created_date"].as_str().is_some_and(|d| chrono::DateTime::parse_from_rfc3339(d).is_ok()));
    assert_eq!(people[1]["email_addresses"][0]["status"], "unsubscribed");
    // Fay asked the other organization's news, not ours: for us she is unsubscribed, and
    // their petition is not named.
    assert_eq!(people[2]["email_addresses"][0]["status"], "unsubscribed");
    assert_eq!(people[2]["custom_fields"]["petitions"].as_array().map(Vec::len), Some(1));

    // The other organization sees its own two, none of ours.
    let theirs_page = other.get("/people").await.expect(200).json();
    let their_people: Vec<String> = people_of(&theirs_page).iter().map(email).collect();
    assert_eq!(their_people, ["eve@example.org", "fay@example.org"]);
    assert!(!theirs_page.to_string().contains(&park), "nothing of our petitions: {theirs_page}");

    for bad in ["per_page=0", "per_page=101", "cursor=not-a-cursor!"] {
        api.get(&format!("/people?{bad}")).await.expect_error(400, "bad_request");
    }
    app.public_api().get("/people").await.expect_error(401, "unauthorized");
}
