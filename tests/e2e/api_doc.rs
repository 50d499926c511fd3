//! The OpenAPI description of the JSON API (issue 11), `GET /api/v1/openapi.json`: it is
//! OpenAPI 3.1 JSON, cacheable, and says what the API really answers: the statuses it
//! returns and, for petitions and signatures, exactly the members of real answers.

use crate::helpers::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;

on_both_backends! {
    the_description_is_served_and_cacheable => the_description_is_served_and_cacheable_sqlite, the_description_is_served_and_cacheable_postgres;
    petition_and_signature_answers_have_the_members_described => petition_and_signature_answers_have_the_members_described_sqlite, petition_and_signature_answers_have_the_members_described_postgres;
}

async fn the_description_is_served_and_cacheable(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let r = app.public_api().get("/openapi.json").await;
    r.expect(200);
    assert!(r.header("content-type").is_some_and(|t| t.starts_with("application/json")), "{:?}", r.headers);
    assert!(r.header("cache-control").is_some_and(|c| c.contains("public")), "{:?}", r.headers);
    let doc = r.json();
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1.")), "{}", doc["openapi"]);
    assert!(doc["paths"]["/petitions/{slug}/signatures"]["get"].is_object());
    let etag = r.header("etag").expect("an ETag").to_owned();
    let again =
        send(app.public_api().client.get(format!("{}/api/v1/openapi.json", app.url)).header("if-none-match", &etag))
            .await;
    again.expect(304);
}

/// The names of the members a schema lists (`#/components/schemas/{name}`).
fn members(doc: &Value, name: &str) -> BTreeSet<String> {
    let schema = &doc["components"]["schemas"][name];
    schema["properties"].as_object().unwrap_or_else(|| panic!("no schema {name}")).keys().cloned().collect()
}

/// The names of a real answer's top-level members.
fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap_or_else(|| panic!("not an object: {v}")).keys().cloned().collect()
}

/// Asserts the operation documents `status` with the JSON schema `schema` (directly, or
/// among its `oneOf`), and that `answer` has exactly that schema's members.
#[track_caller]
fn described(doc: &Value, path: &str, method: &str, status: u16, schema: &str, answer: &Value) {
    let response = &doc["paths"][path][method]["responses"][status.to_string()];
    let response = match response["$ref"].as_str() {
        Some(r) => doc.pointer(r.trim_start_matches('#')).expect("the reference resolves"),
        None => response,
    };
    let given = &response["content"]["application/json"]["schema"];
    let wanted = format!("#/components/schemas/{schema}");
    let refs: Vec<&str> = match given["oneOf"].as_array() {
        Some(options) => options.iter().filter_map(|o| o["$ref"].as_str()).collect(),
        None => given["$ref"].as_str().into_iter().collect(),
    };
    assert!(refs.contains(&wanted.as_str()), "{method} {path} {status} is not documented as {schema}: {response}");
    assert_eq!(keys(answer), members(doc, schema), "{method} {path} {status}: the answer's members and {schema}'s");
}

/// Asserts that member `pointer` of schema `outer` is (or lists) schema `inner`, and that
/// `answer` has exactly `inner`'s members.
#[track_caller]
fn nested(doc: &Value, outer: &str, pointer: &str, inner: &str, answer: &Value) {
    let at = &doc["components"]["schemas"][outer]["properties"];
    let given = at.pointer(pointer).unwrap_or_else(|| panic!("no {pointer} in {outer}"));
    assert_eq!(given["$ref"], format!("#/components/schemas/{inner}"), "{outer}{pointer}");
    assert_eq!(keys(answer), members(doc, inner), "{outer}{pointer}: the answer's members and {inner}'s");
}

async fn petition_and_signature_answers_have_the_members_described(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let doc = app.public_api().get("/openapi.json").await.expect(200).json();
    let api = app.api().await;

    let created = api
        .post(
            "/petitions",
            &json!({
                "title": "Keep the park green",
                "target": "The city council",
                "description": "The park is **ours**: keep it green for the children of the neighbourhood.",
                "goal": 100,
                "ask_country": true,
                "ask_postal_code": true,
                "publish": true,
            }),
        )
        .await
        .expect(201)
        .json();
    described(&doc, "/petitions", "post", 201, "CreatedPetition", &created);
    nested(&doc, "CreatedPetition", "/petition", "Petition", &created["petition"]);
    let slug = created["slug"].as_str().expect("a slug").to_owned();

    let petition = app.public_api().get(&format!("/petitions/{slug}")).await.expect(200).json();
    described(&doc, "/petitions/{slug}", "get", 200, "Petition", &petition);
    let count = app.public_api().get(&format!("/petitions/{slug}/count")).await.expect(200).json();
    described(&doc, "/petitions/{slug}/count", "get", 200, "Count", &count);
    let list = app.public_api().get("/petitions?limit=1").await.expect(200).json();
    described(&doc, "/petitions", "get", 200, "PetitionList", &list);
    nested(&doc, "PetitionList", "/petitions/items", "Petition", &list["petitions"][0]);

    let signer = json!({
        "name": "Ann", "email": "ann@example.org", "country": "France", "postal_code": "75001",
        "comment": "Yes", "public": true, "opt_in": true,
    });
    let accepted = app.sign_with(&slug, signer).await.expect(202).json();
    described(&doc, "/petitions/{slug}/signatures", "post", 202, "SignatureAccepted", &accepted);
    let link = app.next_email_to("ann@example.org").await.confirm_link(&app.url);
    app.browser().follow_and_press(&link).await.expect(200);

    let page = api.get(&format!("/petitions/{slug}/signatures")).await.expect(200).json();
    described(&doc, "/petitions/{slug}/signatures", "get", 200, "SignaturePage", &page);
    let signature = &page["_embedded"]["osdi:signatures"][0];
    nested(&doc, "SignaturePage", "/_embedded/properties/osdi:signatures/items", "Signature", signature);
    let people = api.get("/people").await.expect(200).json();
    described(&doc, "/people", "get", 200, "PeoplePage", &people);
    nested(
        &doc,
        "PeoplePage",
        "/_embedded/properties/osdi:people/items",
        "Person",
        &people["_embedded"]["osdi:people"][0],
    );
    let insight = api.get(&format!("/petitions/{slug}/insight")).await.expect(200).json();
    described(&doc, "/petitions/{slug}/insight", "get", 200, "Insight", &insight);
    let organizations = api.get("/organizations").await.expect(200).json();
    described(&doc, "/organizations", "get", 200, "Organizations", &organizations);
    nested(&doc, "Organizations", "/organizations/items", "Organization", &organizations["organizations"][0]);
    let csv = send(
        api.client
            .get(format!("{}/api/v1/petitions/{slug}/signatures", app.url))
            .bearer_auth(api.token.as_deref().expect("a token"))
            .header("accept", "text/csv"),
    )
    .await;
    csv.expect(200);
    assert!(csv.header("content-type").is_some_and(|t| t.starts_with("text/csv")));
    assert!(doc["paths"]["/petitions/{slug}/signatures"]["get"]["responses"]["200"]["content"]["text/csv"].is_object());

    // Errors: the one shape, with a documented status and a listed code.
    let invalid = app.sign_with(&slug, json!({})).await.expect_error(422, "invalid_input");
    described(&doc, "/petitions/{slug}/signatures", "post", 422, "Error", &invalid);
    let codes = &doc["components"]["schemas"]["Error"]["properties"]["error"]["enum"];
    for (r, path, method, status) in [
        (app.public_api().get("/petitions/no-such-petition").await, "/petitions/{slug}", "get", 404),
        (app.public_api().get("/petitions?limit=0").await, "/petitions", "get", 400),
        (app.public_api().post("/petitions", &json!({})).await, "/petitions", "post", 401),
        (
            app.public_api().get(&format!("/petitions/{slug}/signatures")).await,
            "/petitions/{slug}/signatures",
            "get",
            401,
        ),
    ] {
        r.expect(status);
        let body = r.json();
        assert!(codes.as_array().is_some_and(|c| c.contains(&body["error"])), "{body}");
        assert!(keys(&body).is_subset(&members(&doc, "Error")), "{body}");
        assert!(doc["paths"][path][method]["responses"][status.to_string()].is_object(), "{method} {path} {status}");
    }
}
