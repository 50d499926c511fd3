#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions
//! The federation fixtures (`crates/federation/fixtures/`), which `docs/federation.md` shows
//! to other implementers:
//!
//! - `sent/`: what this instance serves and sends, built here by the real builders from
//!   fixed inputs and compared with the files. `UPDATE_FIXTURES=1 cargo test -p
//!   signons-federation --test fixtures` rewrites them after an intended change.
//! - `accepted/`: what other servers (Mastodon, Lemmy, another Signons) send us, in their
//!   shapes, parsed by our types; plus hostile variants built from them. The `lemmy-*`
//!   files are what a real Lemmy 0.19.20 sent and served (hosts renamed): see "Checked
//!   against Lemmy" in `docs/federation.md`.

use chrono::{NaiveDate, NaiveDateTime};
use serde_json::{json, Value};
use signons_federation::activities::{self, object_id, Envelope, Incoming, ACCEPTED_TYPES};
use signons_federation::actors::{self, LocalActor, RemoteActorJson, Subject};
use signons_federation::keys::KeyPair;
use signons_federation::objects::{self, Post, PostKind};
use signons_federation::remote::{self, GroupJson, NoteJson};
use signons_federation::{catalog, discovery, outgoing, posts, FederationData, FederationError, LocalRef, Urls};
use signons_petition::{petition, Organization, Petition, PetitionInput, PetitionStatus, SafeHtml};
use signons_store::testing::{TempDatabase, TestBackend};
use signons_store::{Database, Id};
use std::path::PathBuf;
use std::sync::Arc;
use url::Url;

// ---------------------------------------------------------------------------------------
// Fixed inputs

const BASE: &str = "https://signons.example";
const INSTANCE_NAME: &str = "Signons Example";
const ORG_SLUG: &str = "friends-of-trees";
const ORG_NAME: &str = "Friends of the Trees";
const PETITION_SLUG: &str = "plant-trees-in-the-school-yard";
const PETITION_TITLE: &str = "Plant trees in the school yard";
const PETITION_URL: &str = "https://signons.example/p/plant-trees-in-the-school-yard";
const COUNT: i64 = 1_234;

const INSTANCE_KEY: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA25FapiP6zitU7bZ+do3I
HGO7c1hU7xxsVTYRZGDTm3DyhLsuwG82ZdBLc1zdHdHD1PvaghUkPiEuiC9uIXXa
R7vjxWt15eLq3Gkvo1rcy8rXYqtZjECYDadE+3UY/vAE+1bqfaiq2lGdzzLjbHca
//jd5G3YAeN1IX4CzKgGZcd4BvEmCxIywx/fdygTCjuL4bviu7FZfX0N0Y1V/QOH
wCguboHEFB0DGSNXfX1srhyOGsu/5N4UIytmZe2X6d8B66QXJCSqBPYLW/T6RH8p
jJNyoZqRWkmS0UWYOr6aqB7YiQi/Q1glFAcNl1rjTURjWPv0WGuCgzFjTtzgyT9r
ZwIDAQAB
-----END PUBLIC KEY-----
";

const ORGANIZATION_KEY: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA3WkCa4mXL4AjNLGa6AoO
FJ6t7NKK8gNLFIcBSsHZrs7x+PqTWui0rGO64u1najdn8YeyzElOD+/E7BrlFr8e
FmuKn6rDf43lDLpatrhAu2pS96ZF5joISwVBvXztXRpgF4H8KtAWWotiCT3a+Oe+
6oYluiVnZscjTuPNaBky68jcBPxp0AxGn8Nf84kpFkc7w5PI+5cXj7Gz0/oewSWz
kog5LhOaXQm0jlfBz350u7NpftzHsF4oxNJ1oItVNEBlQEGMfWueWNdAOwk+6Rvr
w402pizEYlDEG/9rocNgNNWrKauFuHDk2jsVMeSAqc3lGn3c+DEc1smMoeHpe7ec
3QIDAQAB
-----END PUBLIC KEY-----
";

const PETITION_KEY: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA687LCqEyNnJ4AbnGeJEP
Lb+WA6dYRA6yOdXTIxDocvIfjfv3uQaMiyYDfpN0cIcEo44JIrk/yUT4DbmAuSso
6ckFv8/rLqkAO5Lwxi/Es8/QePagXBWW+5ulJ9dQYMnIJ8YWWalaBTOWPP9rnKLE
OLxtvy+vd5Rh3kHlH+1kSTXYpJ3NlPL+CJ9usDbNLjPLyu35yO3tbD+xUYy791TX
Tzfz7MOcAZcNsLgsbzKEY5FnukVVWm7wGYh8cOSakhggh0F4qxP4CzJvFg05+8z6
v7iCuBoOyLk1RBqitRxjgHLmP88IcGFKAK6wnQO+qj3QW5M4nmTGDK4L4SGSNVN4
3wIDAQAB
-----END PUBLIC KEY-----
";

fn urls() -> Urls {
    Urls::new(BASE).unwrap()
}

fn at(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
}

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

/// A migrated SQLite database: `FederationData` holds one, and a few functions under test
/// read or write it. The `TempDatabase` must outlive the `Database`.
fn database() -> (TempDatabase, Database) {
    let temp = TempDatabase::new(TestBackend::Sqlite);
    let db = temp.open();
    (temp, db)
}

fn federation_data(db: Database) -> FederationData {
    FederationData {
        db,
        urls: urls(),
        settings: signons_petition::settings::Shared::named(INSTANCE_NAME),
        wake: Arc::default(),
        metrics: Arc::default(),
        signing: signons_signature::SigningContext::new(
            signons_render::Renderer::new().unwrap(),
            signons_mail::MailQueue::new(),
            urls().base().to_string(),
            chrono::TimeDelta::hours(1),
        ),
        allow_local: false,
        followers_per_domain: 0,
    }
}

fn organization() -> Organization {
    Organization {
        id: Id::parse("01954a10-3c2b-7a61-9e8d-4b5c6d7e8f90").unwrap(),
        slug: ORG_SLUG.into(),
        name: ORG_NAME.into(),
    }
}

fn sample_petition() -> Petition {
    let description_md = "Our school yard has **no shade** at all. We ask the council to plant twelve trees \
                          before the summer holidays.";
    Petition {
        id: Id::parse("01954a12-8f07-7c3e-b1a2-5d6e7f809a1b").unwrap(),
        slug: PETITION_SLUG.into(),
        organization: organization(),
        title: PETITION_TITLE.into(),
        target: "The city council of Exampleton".into(),
        description_md: description_md.into(),
        description_html: SafeHtml::from_markdown(description_md),
        goal: 2_000,
        goal_fixed: false,
        end_at: Some(at("2025-06-30 23:59:59")),
        ask_country: true,
        ask_postal_code: false,
        status: PetitionStatus::Open,
        created_at: at("2025-03-01 08:00:00"),
        updated_at: at("2025-03-10 12:30:00"),
        published_at: Some(at("2025-03-02 09:15:00")),
        closed_at: None,
        partners: Default::default(),
        edited_at: None,
        won_at: None,
        victory: None,
        hidden_reason: None,
        review_note: None,
        picture: None,
    }
}

fn local_actor(urls: &Urls, reference: LocalRef, subject: Subject, public_pem: &str) -> LocalActor {
    let keys = KeyPair { public_pem: public_pem.into(), private_pem: "never serialized".into() };
    LocalActor::new(urls, reference, subject, keys)
}

fn instance_actor(urls: &Urls) -> LocalActor {
    // The W3C vc-di-eddsa example key (fixtures/proofs/keyPair.json): a fixed, valid key.
    local_actor(urls, LocalRef::Instance, Subject::Instance, INSTANCE_KEY)
        .with_assertion_key("z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2".into())
}

fn organization_actor(urls: &Urls) -> LocalActor {
    local_actor(
        urls,
        LocalRef::Organization(ORG_SLUG.into()),
        Subject::Organization(organization(), None),
        ORGANIZATION_KEY,
    )
}

fn petition_actor(urls: &Urls) -> LocalActor {
    let subject = Subject::Petition { petition: Box::new(sample_petition()), count: COUNT };
    local_actor(urls, LocalRef::Petition(PETITION_SLUG.into()), subject, PETITION_KEY)
}

/// The organization announces the new petition (the body `lifecycle::petition_published`
/// writes).
fn published_post(urls: &Urls) -> Post {
    let p = sample_petition();
    let link = objects::link(urls.actor(&LocalRef::Petition(p.slug.clone())).as_str(), &p.title);
    Post {
        id: "01954a13-0b6d-7f42-8c39-6e7f8091a2b3".into(),
        kind: PostKind::Published,
        petition_slug: p.slug.clone(),
        organization_slug: ORG_SLUG.into(),
        body_html: format!(
            "<p>New petition by {}: {link}</p><p>Addressed to: {}</p>",
            objects::escape(ORG_NAME),
            objects::escape(&p.target)
        ),
        created_at: at("2025-03-02 09:15:00"),
    }
}

/// News from the organizers (the body `posts::news` writes).
fn news_post(urls: &Urls) -> Post {
    let markdown = "The council votes on **3 April**. Come to the town hall at 6 pm!";
    Post {
        id: "0195a3c4-5d6e-7f80-9a1b-2c3d4e5f6a7b".into(),
        kind: PostKind::News,
        petition_slug: PETITION_SLUG.into(),
        organization_slug: ORG_SLUG.into(),
        body_html: posts::news_body(urls, PETITION_SLUG, PETITION_TITLE, markdown),
        created_at: at("2025-03-20 17:05:00"),
    }
}

/// A milestone (the body `progress::tick` writes when 1,000 is passed).
fn milestone_post(urls: &Urls) -> Post {
    let link = objects::link(urls.actor(&LocalRef::Petition(PETITION_SLUG.into())).as_str(), PETITION_TITLE);
    Post {
        id: "0195a1f0-4e3d-7c2b-8a19-0f1e2d3c4b5a".into(),
        kind: PostKind::Milestone,
        petition_slug: PETITION_SLUG.into(),
        organization_slug: ORG_SLUG.into(),
        body_html: format!("<p>{link} passed {} signatures!</p>", objects::thousands(1_000)),
        created_at: at("2025-03-18 21:42:10"),
    }
}

// ---------------------------------------------------------------------------------------
// Fixture files

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}

fn load(name: &str) -> Value {
    let path = fixture_path(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("cannot read {}: {e} (UPDATE_FIXTURES=1 writes the sent/ fixtures)", path.display())
    });
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name} is not JSON: {e}"))
}

fn updating() -> bool {
    std::env::var("UPDATE_FIXTURES").is_ok_and(|v| v == "1")
}

/// Compares what the code builds with `sent/{name}`, or rewrites the file.
fn check_sent(name: &str, built: &Value) {
    let name = format!("sent/{name}");
    if updating() {
        let text = serde_json::to_string_pretty(built).unwrap() + "\n";
        std::fs::write(fixture_path(&name), text).unwrap();
        return;
    }
    let expected = load(&name);
    if &expected != built {
        panic!(
            "{name} is not what the code builds.\n--- fixture\n{}\n--- built\n{}\n\
             If the change is intended: UPDATE_FIXTURES=1 cargo test -p signons-federation --test fixtures",
            serde_json::to_string_pretty(&expected).unwrap(),
            serde_json::to_string_pretty(built).unwrap()
        );
    }
}

/// An activity we send, as the JSON it is sent as.
fn json(activity: impl serde::Serialize) -> Value {
    serde_json::to_value(activity).unwrap()
}

fn incoming(value: &Value) -> Incoming {
    serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("not an activity we accept: {e}\n{value}"))
}

fn host(u: &Url) -> &str {
    u.host_str().unwrap()
}

// ---------------------------------------------------------------------------------------
// What we send

#[test]
fn sent_actors_match_the_fixtures() {
    let (_temp, db) = database();
    let data = federation_data(db);
    let urls = urls();

    let application = actors::actor_json(&data, &instance_actor(&urls));
    check_sent("actor-application.json", &application);
    assert_eq!(application["type"], "Application");
    assert_eq!(application["id"], "https://signons.example/actor");
    assert_eq!(application["preferredUsername"], "signons.example");

    let organization = actors::actor_json(&data, &organization_actor(&urls));
    check_sent("actor-organization.json", &organization);
    assert_eq!(organization["type"], "Organization");
    assert_eq!(organization["name"], ORG_NAME);
    assert_eq!(organization["inbox"], "https://signons.example/o/friends-of-trees/inbox");

    let group = actors::actor_json(&data, &petition_actor(&urls));
    check_sent("actor-group.json", &group);
    assert_eq!(group["type"], "Group");
    assert_eq!(group["id"], PETITION_URL);
    assert_eq!(group["preferredUsername"], PETITION_SLUG);
    // Lemmy keeps `attributedTo` as the community's moderators, one URL per community.
    assert_eq!(group["attributedTo"], "https://signons.example/p/plant-trees-in-the-school-yard/moderators");
    assert_eq!(group["organization"], "https://signons.example/o/friends-of-trees");
    // Lemmy shows only the summary: it ends with the count.
    let summary = group["summary"].as_str().unwrap();
    assert!(summary.starts_with("<p>Our school yard has <strong>no shade</strong>"), "{summary}");
    assert!(summary.ends_with(&objects::count_line(COUNT, 2_000, PETITION_URL)), "{summary}");
    assert!(summary.contains("1,234 / 2,000"), "{summary}");
    assert_eq!(group["signatureCount"], COUNT);
    assert_eq!(group["signatureGoal"], 2_000);
    assert_eq!(group["status"], "open");
    assert_eq!(group["signatureFields"], json!(["name", "email", "country"]));
    assert_eq!(group["attachment"][0]["value"], "1,234 / 2,000");
    assert_eq!(group["publicKey"]["id"], "https://signons.example/p/plant-trees-in-the-school-yard#main-key");
    assert_eq!(group["endTime"], "2025-06-30T23:59:59Z");

    // Every actor of ours is one that another server (or another Signons) accepts.
    for actor in [&application, &organization, &group] {
        let parsed: RemoteActorJson = serde_json::from_value(actor.clone()).unwrap();
        assert_eq!(parsed.public_key.owner, parsed.id);
        assert_eq!(parsed.endpoints.unwrap().shared_inbox.unwrap().as_str(), "https://signons.example/inbox");
    }
    let as_group: GroupJson = serde_json::from_value(group).unwrap();
    assert_eq!((as_group.signature_count, as_group.signature_goal), (COUNT, 2_000));
    assert_eq!(as_group.organization().as_str(), "https://signons.example/o/friends-of-trees");

    // Another Signons keeps the organization and the description without the count line.
    let stored = data.db.write(move |conn| remote::upsert_petition(conn, &as_group, false)).unwrap();
    assert_eq!(stored.attributed_to, "https://signons.example/o/friends-of-trees");
    assert!(!stored.summary_html.contains("Signatures:"), "{}", stored.summary_html);
    assert!(stored.summary_html.contains("no shade"), "{}", stored.summary_html);
}

#[test]
fn sent_collections_match_the_fixtures() {
    let urls = urls();
    let petition = LocalRef::Petition(PETITION_SLUG.into());
    let org = LocalRef::Organization(ORG_SLUG.into());
    let moderators = with_context_of(&urls, objects::moderators_collection(&urls, &petition, &org));
    check_sent("moderators.json", &moderators);
    // What Lemmy reads: an OrderedCollection of the moderators' actors.
    assert_eq!(moderators["type"], "OrderedCollection");
    assert_eq!(moderators["id"], "https://signons.example/p/plant-trees-in-the-school-yard/moderators");
    assert_eq!(moderators["orderedItems"], json!(["https://signons.example/o/friends-of-trees"]));

    let followers = with_context_of(&urls, objects::followers_collection(urls.followers(&petition).as_str(), 42));
    check_sent("followers.json", &followers);
    // Lemmy reads a `Collection` (not ordered) with `totalItems` and a required `items`.
    assert_eq!(followers["type"], "Collection");
    assert_eq!(followers["totalItems"], 42);
    assert_eq!(followers["items"], json!([]), "followers are never listed");

    // The open petitions of the instance (an organization's are the same, under its id).
    let petitions = with_context_of(&urls, catalog::collection_document(&urls, &LocalRef::Instance, 1));
    check_sent("petitions.json", &petitions);
    assert_eq!(petitions["first"], "https://signons.example/actor/petitions?page=true");
    let totals = std::collections::HashMap::from([(sample_petition().id, COUNT)]);
    let page = catalog::page_document(&urls, &LocalRef::Instance, None, &[sample_petition()], &totals).unwrap();
    let page = with_context_of(&urls, page);
    check_sent("petitions-page.json", &page);
    assert_eq!(page["id"], petitions["first"], "a page is fetched at the URL it names itself by");
    assert!(page.get("next").is_none(), "one petition, one page");
    let item = &page["orderedItems"][0];
    assert!(item.get("publicKey").is_none() && item.get("@context").is_none(), "{item}");
    // Another Signons reads each item as it reads the petition's own document.
    let group: GroupJson = serde_json::from_value(item.clone()).unwrap();
    assert_eq!((group.id.as_str(), group.signature_count), (PETITION_URL, COUNT));
    let (_temp, db) = database();
    let stored = db.write(move |conn| remote::upsert_petition(conn, &group, false)).unwrap();
    assert_eq!((stored.title.as_str(), stored.host.as_str()), (PETITION_TITLE, "signons.example"));
}

fn with_context_of(urls: &Urls, doc: Value) -> Value {
    objects::with_context(urls, doc)
}

#[test]
fn sent_petition_announces_match_the_fixtures() {
    let (_temp, db) = database();
    let data = federation_data(db);
    let urls = urls();
    let org_url = "https://signons.example/o/friends-of-trees";

    // News in the petition: the organization's Create, inside the petition's Announce.
    let news = news_post(&urls);
    let announce = json(outgoing::announce_create(&urls, &news).unwrap());
    check_sent("announce-create-note.json", &announce);
    assert_eq!(announce["type"], "Announce");
    assert_eq!(announce["actor"], PETITION_URL);
    assert_eq!(announce["cc"], json!(["https://signons.example/p/plant-trees-in-the-school-yard/followers"]));
    let create = &announce["object"];
    assert!(create.get("@context").is_none(), "the context is the outer activity's");
    assert_eq!(create["type"], "Create");
    assert_eq!(create["actor"], org_url, "Lemmy takes posts from people and organizations, not groups");
    assert_eq!(create["object"]["attributedTo"], org_url);
    assert_eq!(create["object"]["audience"], PETITION_URL, "the community it is posted in");
    assert_eq!(create["object"]["postKind"], "news");
    assert_ne!(announce["id"], create["id"]);

    // The plain boost, for Mastodon, which fetches the note.
    let boost = json(outgoing::petition_boost(&urls, &news));
    check_sent("petition-boost.json", &boost);
    assert_eq!(boost["actor"], PETITION_URL);
    assert_eq!(boost["object"], urls.note(&news.id).as_str());
    assert_ne!(boost["id"], announce["id"]);

    // A count update and a removal: sent by the organization, inside the petition's Announce.
    let actor = petition_actor(&urls);
    let update_id = url("https://signons.example/activities/0195a3f7-1c2d-7e4f-9a0b-1c2d3e4f5a6c");
    let by_org = outgoing::update_group_by(&data, &actor, &url(org_url), &update_id);
    let announce_id = url("https://signons.example/activities/0195a3f7-1c2d-7e4f-9a0b-1c2d3e4f5a6d");
    let update = json(outgoing::group_announce(&urls, PETITION_SLUG, &announce_id, &by_org).unwrap());
    check_sent("announce-update-group.json", &update);
    assert_eq!(update["actor"], PETITION_URL);
    assert_eq!(update["object"]["type"], "Update");
    assert_eq!(update["object"]["actor"], org_url);
    assert_eq!(update["object"]["object"]["id"], PETITION_URL);
    assert!(update["object"]["object"]["summary"].as_str().unwrap().contains("1,234 / 2,000"));

    let delete_id = url("https://signons.example/activities/0195d2e4-7b3c-7f4d-9e5f-60718293a4b6");
    let by_org = outgoing::delete_object(&urls, &delete_id, &url(org_url), &url(PETITION_URL));
    let announce_id = url("https://signons.example/activities/0195d2e4-7b3c-7f4d-9e5f-60718293a4b7");
    let delete = json(outgoing::group_announce(&urls, PETITION_SLUG, &announce_id, &by_org).unwrap());
    check_sent("announce-delete-petition.json", &delete);
    assert_eq!(delete["object"]["type"], "Delete");
    assert_eq!(delete["object"]["actor"], org_url);
    assert_eq!(delete["object"]["object"], PETITION_URL);

    // Another Signons instance reads the announced Create as the petition's news.
    let Incoming::Announce(e) = incoming(&announce) else { panic!("not an Announce") };
    assert_eq!(host(&object_id(&e.object).unwrap()), host(&e.actor), "an announce of its own server");
    let note: NoteJson = serde_json::from_value(e.object["object"].clone()).unwrap();
    let petition_url = url(PETITION_URL);
    let (_temp2, db2) = database();
    db2.write(move |conn| remote::store_post(conn, &note, Some(&petition_url), false)).unwrap();
    let shown = db2.read(|conn| remote::posts_about(conn, PETITION_URL)).unwrap();
    assert_eq!(shown.len(), 1, "written by the organization, shown as the petition's news");
}

#[test]
fn sent_notes_and_activities_match_the_fixtures() {
    let urls = urls();

    let news = news_post(&urls);
    let note = objects::with_context(&urls, objects::note_json(&urls, &news));
    check_sent("note.json", &note);
    assert_eq!(note["attributedTo"], "https://signons.example/o/friends-of-trees", "the organization writes news");
    assert_eq!(note["postKind"], "news", "what tells another Signons it is the petition's news");
    assert_eq!(note["audience"], PETITION_URL);
    assert_eq!(note["cc"], json!(["https://signons.example/o/friends-of-trees/followers"]));

    let create = json(outgoing::create_note(&urls, &published_post(&urls)));
    check_sent("create-note.json", &create);
    assert_eq!(create["actor"], "https://signons.example/o/friends-of-trees", "a new petition: its organization");
    assert_eq!(create["object"]["audience"], PETITION_URL);

    let milestone = json(outgoing::create_note(&urls, &milestone_post(&urls)));
    check_sent("create-note-milestone.json", &milestone);
    assert_eq!(milestone["actor"], "https://signons.example/o/friends-of-trees");
    assert_eq!(milestone["object"]["postKind"], "milestone");

    let announce = json(outgoing::announce_note(&urls, &news));
    check_sent("announce.json", &announce);
    assert_eq!(announce["actor"], "https://signons.example/o/friends-of-trees");
    assert_eq!(announce["object"], note["id"]);

    // Another Signons instance reads them with our types.
    let Incoming::Create(e) = incoming(&create) else { panic!("not a Create") };
    let parsed: NoteJson = serde_json::from_value(e.object).unwrap();
    assert_eq!(parsed.audience.unwrap().as_str(), PETITION_URL);
    assert_eq!(host(&parsed.id), host(&e.actor));
    let Incoming::Announce(e) = incoming(&announce) else { panic!("not an Announce") };
    assert_eq!(object_id(&e.object).unwrap().as_str(), note["id"].as_str().unwrap());
}

#[test]
fn sent_follow_activities_match_the_fixtures() {
    let urls = urls();
    let other = url("https://petitions.example.org/actor");

    let follow_id = url("https://signons.example/activities/01958b7e-2f41-7a03-b6c8-94d1e2f3a4b5");
    let follow = json(outgoing::follow_activity(&urls, &follow_id, &other));
    check_sent("follow.json", &follow);
    assert_eq!(follow["actor"], "https://signons.example/actor");
    assert_eq!(follow["object"], other.as_str());

    let undo_id = url("https://signons.example/activities/0195c0d1-6a2b-7e3c-8d4e-5f60718293a4");
    let undo = json(outgoing::undo_follow_activity(&urls, &undo_id, &follow_id, &other));
    check_sent("undo-follow.json", &undo);
    assert_eq!(undo["object"]["id"], follow_id.as_str());
    assert_eq!(undo["object"]["actor"], undo["actor"]);

    // The Accept answers the Mastodon follow of `accepted/`.
    let Incoming::Follow(received) = incoming(&load("accepted/mastodon-follow.json")) else { panic!("not a Follow") };
    let accept_id = url("https://signons.example/activities/0195a2b3-c4d5-7e6f-8091-a2b3c4d5e6f7");
    let accept = json(activities::accept_follow(&urls, &accept_id, &url(PETITION_URL), &received));
    check_sent("accept-follow.json", &accept);
    assert_eq!(accept["actor"], PETITION_URL);
    assert_eq!(accept["object"]["id"], received.id.as_str());
    assert_eq!(accept["object"]["actor"], "https://social.example/users/alice");

    for activity in [&follow, &undo, &accept] {
        let parsed = incoming(activity);
        assert_eq!(parsed.envelope().id.as_str(), activity["id"].as_str().unwrap());
    }
}

#[test]
fn sent_update_matches_the_fixture() {
    let (_temp, db) = database();
    let data = federation_data(db.clone());
    let urls = urls();
    let id = url("https://signons.example/activities/0195a3f7-1c2d-7e4f-9a0b-1c2d3e4f5a6b");
    let update = json(outgoing::update_group(&data, &petition_actor(&urls), &id));
    check_sent("update-group.json", &update);
    assert_eq!(update["actor"], PETITION_URL);
    assert!(update["object"].get("@context").is_none(), "the context is the activity's");

    // What another Signons instance does with it: a valid remote petition.
    let Incoming::Update(e) = incoming(&update) else { panic!("not an Update") };
    let group: GroupJson = serde_json::from_value(e.object).unwrap();
    let stored = db.write(move |conn| remote::upsert_petition(conn, &group, false)).unwrap();
    assert_eq!(stored.handle(), "plant-trees-in-the-school-yard@signons.example");
    assert_eq!((stored.signature_count, stored.signature_goal), (COUNT, 2_000));
}

#[test]
fn sent_delete_matches_the_fixture() {
    let (_temp, db) = database();
    let data = federation_data(db.clone());
    let urls = urls();
    let id = url("https://signons.example/activities/0195d2e4-7b3c-7f4d-9e5f-60718293a4b5");
    let delete = json(outgoing::delete_object(&urls, &id, &url(PETITION_URL), &url(PETITION_URL)));
    check_sent("delete-petition.json", &delete);
    assert_eq!(delete["actor"], PETITION_URL, "a removed petition deletes itself");
    assert_eq!(delete["object"], PETITION_URL);
    assert_eq!(delete["to"], json!([objects::PUBLIC]));
    assert!(delete.get("cc").is_none(), "its followers are forgotten: no followers collection to name");

    // What another Signons instance does with it: it forgets the petition it kept, and the
    // notes attached to it (the petition's own and its organization's announcement).
    let Incoming::Delete(e) = incoming(&delete) else { panic!("not a Delete") };
    let object = object_id(&e.object).unwrap();
    assert_eq!(object, e.actor, "the sender's own");
    assert_eq!(host(&e.id), host(&e.actor));
    let group: GroupJson = serde_json::from_value(actors::actor_json(&data, &petition_actor(&urls))).unwrap();
    let note = |post: &Post| -> NoteJson { serde_json::from_value(objects::note_json(&urls, post)).unwrap() };
    let attached = [note(&news_post(&urls)), note(&milestone_post(&urls)), note(&published_post(&urls))];
    let elsewhere: NoteJson =
        serde_json::from_value(load("accepted/mastodon-create-note.json")["object"].clone()).unwrap();
    let petition_url = url(PETITION_URL);
    db.write(move |conn| -> Result<(), FederationError> {
        remote::upsert_petition(conn, &group, false)?;
        for n in &attached {
            assert!(remote::store_post(conn, n, Some(&petition_url), false)?);
        }
        assert!(remote::store_post(conn, &elsewhere, None, false)?);
        Ok(())
    })
    .unwrap();
    // Its page shows only its own posts (news, milestones), newest first.
    let shown = db.read(|conn| remote::posts_about(conn, PETITION_URL)).unwrap();
    let shown: Vec<&str> = shown.iter().map(|p| p.url.as_str()).collect();
    assert_eq!(
        shown,
        [
            "https://signons.example/notes/0195a3c4-5d6e-7f80-9a1b-2c3d4e5f6a7b",
            "https://signons.example/notes/0195a1f0-4e3d-7c2b-8a19-0f1e2d3c4b5a"
        ]
    );

    let forgotten = db.write(move |conn| remote::forget(conn, &object)).unwrap();
    assert_eq!(forgotten, 4, "the petition and its three notes");
    let left = db.read(|conn| remote::find_petition(conn, PETITION_SLUG, "signons.example")).unwrap();
    assert_eq!(left, None);
    let posts = db.read(|conn| remote::recent_posts(conn, 10)).unwrap();
    assert_eq!(posts.len(), 1, "a note about something else stays");
    assert_eq!(posts[0].host, "social.example");
}

#[tokio::test]
async fn sent_discovery_documents_match_the_fixtures() {
    let (_temp, db) = database();
    let data = federation_data(db.clone());
    db.write(|conn| -> Result<(), signons_petition::PetitionError> {
        let organizer = signons_petition::organization::create_organizer(
            conn,
            "organizer@signons.example",
            ORG_SLUG,
            "a long enough password",
        )?;
        let today = NaiveDate::from_ymd_opt(2025, 3, 1).unwrap();
        let input = |title: &str| PetitionInput {
            title: title.into(),
            target: "The city council of Exampleton".into(),
            description: "Our school yard has no shade at all.".into(),
            goal: "2000".into(),
            ..Default::default()
        };
        let valid = input(PETITION_TITLE).validate(today).map_err(signons_petition::PetitionError::Invalid)?;
        let created = petition::create(conn, &organizer, valid, true)?;
        assert_eq!(created.slug, PETITION_SLUG);
        let draft = input("A draft nobody sees").validate(today).map_err(signons_petition::PetitionError::Invalid)?;
        assert_eq!(petition::create(conn, &organizer, draft, false)?.slug, "a-draft-nobody-sees");
        let removed = input("A removed petition").validate(today).map_err(signons_petition::PetitionError::Invalid)?;
        let removed = petition::create(conn, &organizer, removed, true)?;
        assert_eq!(petition::remove(conn, &organizer, &removed.slug)?.status, PetitionStatus::Removed);
        Ok(())
    })
    .unwrap();

    let petition = discovery::webfinger(&data, "acct:plant-trees-in-the-school-yard@signons.example").await.unwrap();
    check_sent("webfinger-petition.json", &petition);
    assert_eq!(petition["links"][0]["href"], PETITION_URL);
    let instance = discovery::webfinger(&data, "acct:signons.example@signons.example").await.unwrap();
    check_sent("webfinger-instance.json", &instance);
    assert_eq!(instance["links"][0]["href"], "https://signons.example/actor");

    // The same answers by actor URL; organizations too; drafts, removed petitions, other
    // hosts and unknown names are not found.
    assert_eq!(discovery::webfinger(&data, PETITION_URL).await.unwrap(), petition);
    let org = discovery::webfinger(&data, "acct:friends-of-trees@signons.example").await.unwrap();
    assert_eq!(org["links"][0]["href"], "https://signons.example/o/friends-of-trees");
    for missing in [
        "acct:a-draft-nobody-sees@signons.example",
        "acct:a-removed-petition@signons.example",
        "https://signons.example/p/a-removed-petition",
        "acct:plant-trees-in-the-school-yard@elsewhere.example",
        "acct:nobody@signons.example",
        "https://signons.example/p/nobody",
    ] {
        assert!(matches!(discovery::webfinger(&data, missing).await, Err(FederationError::NotFound)), "{missing}");
    }

    let mut nodeinfo = discovery::nodeinfo(&data, false).await.unwrap();
    let usage = json!({ "users": { "total": 1 }, "localPosts": 1 });
    assert_eq!(nodeinfo["usage"], usage, "drafts and removed petitions are not counted");
    // The fixture keeps the version it was written with; the code says the crate's.
    assert_eq!(nodeinfo["software"]["version"], env!("CARGO_PKG_VERSION"));
    if !updating() {
        nodeinfo["software"]["version"] = load("sent/nodeinfo.json")["software"]["version"].clone();
    }
    check_sent("nodeinfo.json", &nodeinfo);
    check_sent("nodeinfo-links.json", &discovery::nodeinfo_links(&data));

    let host_meta = discovery::host_meta(&data);
    assert!(host_meta.contains("template=\"https://signons.example/.well-known/webfinger?resource={uri}\""));
}

#[test]
fn sent_context_document_matches_the_fixture() {
    let urls = urls();
    let ns = objects::ns_document(&urls);
    check_sent("ns.json", &ns);
    let terms = &ns["@context"];
    assert_eq!(terms["signons"], "https://signons.example/ns#");
    for term in ["signatureCount", "signatureGoal", "status", "target", "signatureFields"] {
        assert_eq!(terms[term]["@id"], format!("signons:{term}"), "{term}");
    }
    // Every document we serve refers to it.
    assert_eq!(objects::context(&urls)[2], "https://signons.example/ns");
}

// ---------------------------------------------------------------------------------------
// What we accept

const ALICE: &str = "https://social.example/users/alice";

#[test]
fn accepted_follow_undo_and_accept() {
    let urls = urls();

    let Incoming::Follow(follow) = incoming(&load("accepted/mastodon-follow.json")) else { panic!("not a Follow") };
    assert_eq!(follow.actor.as_str(), ALICE);
    let target = object_id(&follow.object).unwrap();
    assert_eq!(urls.parse_local(&target), Some(LocalRef::Petition(PETITION_SLUG.into())));

    let Incoming::Undo(undo) = incoming(&load("accepted/mastodon-undo-follow.json")) else { panic!("not an Undo") };
    assert_eq!(undo.actor.as_str(), ALICE);
    assert_eq!(undo.object["type"], "Follow");
    assert_eq!(object_id(&undo.object), Some(follow.id.clone()), "it undoes the follow above");
    assert_eq!(undo.object["actor"], undo.actor.as_str(), "an actor only undoes its own follow");

    let Incoming::Accept(accept) = incoming(&load("accepted/mastodon-accept.json")) else { panic!("not an Accept") };
    let our_follow = object_id(&accept.object).unwrap();
    assert_eq!(our_follow.as_str(), "https://signons.example/activities/01937a4c-5e2f-7b18-a3d9-6c0e4f8b2a17");
    assert_eq!(urls.parse_local(&url(accept.object["actor"].as_str().unwrap())), Some(LocalRef::Instance));
    assert_eq!(accept.object["object"], accept.actor.as_str());
}

#[test]
fn accepted_lemmy_follow_and_undo() {
    let urls = urls();
    let Incoming::Follow(follow) = incoming(&load("accepted/lemmy-follow.json")) else { panic!("not a Follow") };
    let target = object_id(&follow.object).unwrap();
    assert_eq!(urls.parse_local(&target), Some(LocalRef::Petition(PETITION_SLUG.into())));

    let Incoming::Undo(undo) = incoming(&load("accepted/lemmy-undo-follow.json")) else { panic!("not an Undo") };
    assert_eq!(undo.actor, follow.actor);
    assert_eq!(undo.object["actor"], undo.actor.as_str());
    // Lemmy restates the follow with a new id: only the follower and the followed match.
    let restated = object_id(&undo.object).unwrap();
    assert_ne!(restated, follow.id);
    let followed = object_id(&undo.object["object"]).unwrap();
    assert_eq!(followed, target);

    let (_temp, db) = database();
    let (rowan, follow_id) = (follow.actor.to_string(), follow.id.to_string());
    db.write(move |conn| -> Result<(), FederationError> {
        use diesel::prelude::*;
        use signons_store::schema::{ap_followers as f, ap_remote_actors as ra};
        diesel::insert_into(ra::table)
            .values((
                ra::url.eq(&rowan),
                ra::host.eq("lemmy.example"),
                ra::kind.eq("Person"),
                ra::username.eq("rowan"),
                ra::inbox.eq("https://lemmy.example/u/rowan/inbox"),
                ra::public_key_pem.eq(INSTANCE_KEY),
                ra::fetched_at.eq(signons_store::now()),
            ))
            .execute(conn)?;
        for local in [PETITION_URL, "https://signons.example/o/friends-of-trees"] {
            diesel::insert_into(f::table)
                .values((
                    f::local_actor.eq(local),
                    f::follower.eq(&rowan),
                    f::follower_host.eq("lemmy.example"),
                    f::follow_id.eq(&follow_id),
                    f::created_at.eq(signons_store::now()),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
    .unwrap();
    let (actor, inner) = (undo.actor.to_string(), restated.clone());
    let other = url("https://lemmy.example/u/mallory");
    let (o, f2) = (other.to_string(), followed.clone());
    let i2 = inner.clone();
    assert_eq!(db.write(move |conn| activities::remove_follow(conn, &o, Some(&f2), &i2)).unwrap(), 0, "another's");
    let removed = db.write(move |conn| activities::remove_follow(conn, &actor, Some(&followed), &inner)).unwrap();
    assert_eq!(removed, 1, "the petition's follow goes, the organization's stays");
    // Given by id only (no embedded follow), the id still decides.
    let (actor, id) = (undo.actor.to_string(), follow.id.clone());
    assert_eq!(db.write(move |conn| activities::remove_follow(conn, &actor, None, &id)).unwrap(), 1);
}

#[test]
fn accepted_notes_are_kept_sanitized() {
    let (_temp, db) = database();

    let Incoming::Create(create) = incoming(&load("accepted/mastodon-create-note.json")) else {
        panic!("not a Create")
    };
    assert_eq!(create.actor.as_str(), ALICE);
    let note: NoteJson = serde_json::from_value(create.object.clone()).unwrap();
    assert_eq!(note.kind, "Note");
    assert_eq!(note.id.as_str(), "https://social.example/users/alice/statuses/113512874650129384");
    assert_eq!(note.attributed_to, create.actor);
    assert_eq!(note.audience, None, "Mastodon names no petition");
    assert_eq!(note.published.unwrap().to_rfc3339(), "2025-03-14T09:26:53+00:00");

    let stored = note.clone();
    assert!(db.write(move |conn| remote::store_post(conn, &stored, None, false)).unwrap());
    let again = note.clone();
    assert!(!db.write(move |conn| remote::store_post(conn, &again, None, false)).unwrap(), "kept once");
    let posts = db.read(|conn| remote::recent_posts(conn, 10)).unwrap();
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].host, "social.example");
    assert!(posts[0].content_html.contains("Signed it!"));
    assert!(posts[0].content_html.contains("href=\"https://signons.example/p/plant-trees-in-the-school-yard\""));
    assert!(!posts[0].content_html.contains("target="), "attributes outside the allow-list are dropped");

    // Hostile: a script in the content is dropped, the text kept.
    let mut hostile = create.object.clone();
    hostile["id"] = json!("https://social.example/users/alice/statuses/666");
    hostile["content"] = json!("<p>Sign <b>this</b><script>document.location='https://evil.example/'</script></p>");
    let hostile: NoteJson = serde_json::from_value(hostile).unwrap();
    assert!(db.write(move |conn| remote::store_post(conn, &hostile, None, false)).unwrap());
    let posts = db.read(|conn| remote::recent_posts(conn, 10)).unwrap();
    let kept = posts.iter().find(|p| p.url.ends_with("/666")).unwrap();
    assert_eq!(kept.content_html, "<p>Sign <b>this</b></p>");

    // Hostile: a note claiming another server's author.
    let mut forged = create.object.clone();
    forged["id"] = json!("https://social.example/users/alice/statuses/667");
    forged["attributedTo"] = json!("https://mastodon.other.example/users/mallory");
    let forged: NoteJson = serde_json::from_value(forged).unwrap();
    assert!(db.write(move |conn| remote::store_post(conn, &forged, None, false)).is_err());
    assert_eq!(db.read(|conn| remote::recent_posts(conn, 10)).unwrap().len(), 2);
}

#[test]
fn accepted_announce_and_delete() {
    let Incoming::Announce(announce) = incoming(&load("accepted/mastodon-announce.json")) else {
        panic!("not an Announce")
    };
    assert_eq!(announce.actor.as_str(), ALICE);
    assert!(announce.object.is_string(), "Mastodon boosts by id");
    let boosted = object_id(&announce.object).unwrap();
    assert_eq!(boosted.as_str(), "https://social.example/users/treewatch/statuses/113512790331845120");
    // A boost of a post on another server than the booster's is ignored (202), not kept.
    assert_eq!(host(&boosted), host(&announce.actor), "we keep boosts of the sender's own server only");

    let Incoming::Delete(delete) = incoming(&load("accepted/mastodon-delete.json")) else { panic!("not a Delete") };
    assert_eq!(delete.object["type"], "Tombstone");
    let deleted = object_id(&delete.object).unwrap();
    assert_eq!(deleted.as_str(), "https://social.example/users/alice/statuses/113512874650129384");
    assert_eq!(host(&deleted), host(&delete.actor));
}

#[test]
fn accepted_update_of_a_signons_petition() {
    let (_temp, db) = database();
    let activity = load("accepted/signons-update-group.json");
    let Incoming::Update(update) = incoming(&activity) else { panic!("not an Update") };
    assert_eq!(update.object["type"], "Group");
    assert!(update.object.get("signatureCount").is_some(), "what marks a Signons petition");
    assert_eq!(object_id(&update.object), Some(update.actor.clone()), "a petition updates itself");

    let group: GroupJson = serde_json::from_value(update.object.clone()).unwrap();
    assert_eq!(group.preferred_username, "protect-the-old-oak");
    assert_eq!((group.signature_count, group.signature_goal), (5_321, 10_000));
    assert_eq!(group.status, "open");
    assert_eq!(group.target, "Riverton Planning Committee");
    assert_eq!(group.attributed_to.as_str(), "https://petitions.example.org/o/mill-street-neighbours");
    assert_eq!(group.end_time.unwrap().to_rfc3339(), "2025-09-30T00:00:00+00:00");

    let first = group.clone();
    let stored = db.write(move |conn| remote::upsert_petition(conn, &first, false)).unwrap();
    assert_eq!(stored.handle(), "protect-the-old-oak@petitions.example.org");
    assert_eq!(stored.title, "Protect the old oak on Mill Street");
    assert_eq!(
        stored.summary_html,
        "<p>The oak on Mill Street is <strong>two hundred years old</strong>. Keep it out of the road plan.</p>"
    );

    // A later Update refreshes the same row.
    let mut later = group.clone();
    later.signature_count = 6_000;
    later.status = "closed".into();
    db.write(move |conn| remote::upsert_petition(conn, &later, false)).unwrap();
    let found =
        db.read(|conn| remote::find_petition(conn, "protect-the-old-oak", "petitions.example.org")).unwrap().unwrap();
    assert_eq!((found.signature_count, found.status.as_str()), (6_000, "closed"));
    assert_eq!(found.received_at, stored.received_at);
}

#[test]
fn hostile_groups_are_rejected() {
    let (_temp, db) = database();
    let valid: GroupJson =
        serde_json::from_value(load("accepted/signons-update-group.json")["object"].clone()).unwrap();
    type Change = fn(&mut GroupJson);
    let hostile: [(&str, Change); 10] = [
        ("negative signatureCount", |g| g.signature_count = -1),
        ("negative signatureGoal", |g| g.signature_goal = -5),
        ("absurd signatureCount", |g| g.signature_count = i64::MAX),
        ("unknown status", |g| g.status = "draft".into()),
        ("not a Group", |g| g.kind = "Person".into()),
        ("attributed to another host", |g| g.attributed_to = url("https://evil.example/o/x")),
        ("page on another host", |g| g.url = Some(url("https://evil.example/phish"))),
        // Hosts are compared with their port: another port is another server.
        ("attributed to another port", |g| {
            g.attributed_to = url("https://petitions.example.org:8443/o/mill-street-neighbours")
        }),
        ("page on another port", |g| g.url = Some(url("https://petitions.example.org:8443/p/protect-the-old-oak"))),
        ("handle not a slug", |g| g.preferred_username = "../../admin".into()),
    ];
    for (what, change) in hostile {
        let mut group = valid.clone();
        change(&mut group);
        let result = db.write(move |conn| remote::upsert_petition(conn, &group, false));
        assert!(matches!(result, Err(FederationError::Invalid(_))), "{what}: {result:?}");
    }
    let mut untitled = valid.clone();
    untitled.name = "\u{7}\u{1b} \t".into();
    assert!(
        db.write(move |conn| remote::upsert_petition(conn, &untitled, false)).is_err(),
        "a title of control characters"
    );
    let left = db.read(|conn| remote::find_petition(conn, "protect-the-old-oak", "petitions.example.org")).unwrap();
    assert_eq!(left, None, "nothing is stored");

    // A long title is cut, control characters dropped.
    let mut noisy = valid.clone();
    noisy.name = format!("Oak\u{0}\u{1b}[31m {}", "x".repeat(500));
    let stored = db.write(move |conn| remote::upsert_petition(conn, &noisy, false)).unwrap();
    assert!(stored.title.starts_with("Oak[31m x"));
    assert_eq!(stored.title.chars().count(), remote::TITLE_MAX);
}

#[test]
fn accepted_remote_actors() {
    let person: RemoteActorJson = serde_json::from_value(load("accepted/mastodon-person.json")).unwrap();
    assert_eq!(person.kind, "Person");
    assert_eq!(person.id.as_str(), ALICE);
    assert_eq!(person.preferred_username.as_deref(), Some("alice"));
    assert_eq!(person.name.as_deref(), Some("Alice Martin 🌳"));
    assert_eq!(person.inbox.as_str(), "https://social.example/users/alice/inbox");
    assert_eq!(person.endpoints.unwrap().shared_inbox.unwrap().as_str(), "https://social.example/inbox");
    assert_eq!(person.public_key.owner, person.id);
    assert_eq!(person.public_key.id, "https://social.example/users/alice#main-key");
    assert!(person.public_key.public_key_pem.starts_with("-----BEGIN PUBLIC KEY-----"));

    let lemmy_json = load("accepted/lemmy-group.json");
    let lemmy: RemoteActorJson = serde_json::from_value(lemmy_json.clone()).unwrap();
    assert_eq!(lemmy.kind, "Group");
    assert_eq!(lemmy.preferred_username.as_deref(), Some("urbanforests"));
    assert_eq!(lemmy.inbox.as_str(), "https://lemmy.example/c/urbanforests/inbox");
    assert_eq!(lemmy.endpoints.unwrap().shared_inbox.unwrap().as_str(), "https://lemmy.example/inbox");
    assert_eq!(lemmy.public_key.owner, lemmy.id);
    // A Lemmy community is an actor we can follow, not a petition: an Update of it is
    // ignored (no signatureCount) and it does not parse as one.
    assert!(lemmy_json.get("signatureCount").is_none());
    assert!(serde_json::from_value::<GroupJson>(lemmy_json).is_err());

    // The account that follows a petition from Lemmy (as Lemmy 0.19.20 serves it: no
    // `name`, no `followers`): kept, and answered at its shared inbox.
    let rowan: RemoteActorJson = serde_json::from_value(load("accepted/lemmy-person.json")).unwrap();
    assert_eq!(rowan.kind, "Person");
    assert_eq!(rowan.id.as_str(), "https://lemmy.example/u/rowan");
    assert_eq!(rowan.preferred_username.as_deref(), Some("rowan"));
    assert_eq!(rowan.name, None);
    assert_eq!(rowan.inbox.as_str(), "https://lemmy.example/u/rowan/inbox");
    assert_eq!(rowan.endpoints.unwrap().shared_inbox.unwrap().as_str(), "https://lemmy.example/inbox");
    assert_eq!(rowan.public_key.owner, rowan.id);
    assert_eq!(rowan.public_key.id, "https://lemmy.example/u/rowan#main-key");

    let mut keyless = load("accepted/mastodon-person.json");
    keyless.as_object_mut().unwrap().remove("publicKey");
    assert!(serde_json::from_value::<RemoteActorJson>(keyless).is_err(), "an actor without a key");
}

#[test]
fn hostile_activities_and_html() {
    // Types we do not act on, or activities without an actor, are not ours to parse.
    let mut like = load("accepted/mastodon-follow.json");
    like["type"] = json!("Like");
    assert!(!ACCEPTED_TYPES.contains(&"Like"));
    assert!(serde_json::from_value::<Incoming>(like).is_err());
    let mut anonymous = load("accepted/mastodon-follow.json");
    anonymous.as_object_mut().unwrap().remove("actor");
    assert!(serde_json::from_value::<Incoming>(anonymous).is_err());
    for bad in [json!(42), json!("not a url"), json!({ "type": "Note" }), json!({ "id": ["x"] })] {
        assert_eq!(object_id(&bad), None, "{bad}");
    }

    let html = "<p onclick=\"steal()\">Hello <b>world</b><script>alert('x')</script>\
                <img src=\"https://evil.example/pixel.gif\"><iframe src=\"https://evil.example/\"></iframe>\
                <a href=\"javascript:alert(1)\">click</a> <a href=\"https://ok.example/\">ok</a></p>";
    let clean = remote::clean_html(html).unwrap();
    assert!(clean.contains("Hello <b>world</b>"), "{clean}");
    for gone in ["<script", "alert", "onclick", "<img", "<iframe", "javascript:"] {
        assert!(!clean.contains(gone), "{gone} in {clean}");
    }
    assert!(clean.contains("<a href=\"https://ok.example/\" rel=\"nofollow noopener noreferrer\">ok</a>"), "{clean}");
    assert!(remote::clean_html(&"a".repeat(remote::HTML_MAX + 1)).is_err(), "too long");
    assert_eq!(remote::clean_text("  Oak\u{0}\u{7} tree \u{1b}\n", 100), "Oak tree");
}

#[test]
fn every_accepted_fixture_is_checked() {
    let dir = fixture_path("accepted");
    let mut names: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    let source = include_str!("fixtures.rs");
    for name in names {
        assert!(source.contains(&format!("\"accepted/{name}\"")), "{name} is not used by a test");
        // An activity's id is on its actor's host (the library refuses it otherwise).
        let value = load(&format!("accepted/{name}"));
        if let Ok(activity) = serde_json::from_value::<Envelope>(value) {
            assert_eq!(host(&activity.id), host(&activity.actor), "{name}");
        }
    }
}

/// Signatures across instances, as sent: a `Sign` from this instance (the signer's) with
/// its proof by the W3C test key, its `Undo`, and the petition's `Accept` and `Reject`
/// (here as if the petition were ours too). What another implementation must produce and
/// read; the proof verifies with the key's public half.
#[test]
fn sent_signatures_across_instances_match_the_fixtures() {
    use signons_federation::sign::{self, Attestation, RejectReason};
    let urls = urls();
    let petition = url("https://a.example/p/plant-trees");
    let ann = urls.attestation(&Id::parse("0195a2b3-c4d5-7e6f-8091-a2b3c4d5e600").unwrap());
    let bob = urls.attestation(&Id::parse("0195a2b3-c4d5-7e6f-8091-a2b3c4d5e601").unwrap());
    let confirmed = chrono::DateTime::parse_from_rfc3339("2026-12-02T10:00:00Z").unwrap().to_utc();
    let attestations = vec![
        Attestation {
            id: ann.clone(),
            name: Some("Ann B.".into()),
            country: Some("France".into()),
            postal_code: None,
            confirmed,
            digest: sign::digest(&petition, "ann@example.org").unwrap(),
        },
        Attestation {
            id: bob.clone(),
            name: None,
            country: Some("Belgique".into()),
            postal_code: None,
            confirmed,
            digest: sign::digest(&petition, "bob@example.org").unwrap(),
        },
    ];
    let sign_id = url("https://signons.example/activities/0195a2b3-c4d5-7e6f-8091-a2b3c4d5e610");
    let unproven = sign::sign_activity(&urls, &sign_id, &petition, attestations);
    let pair = load("proofs/keyPair.json");
    let key =
        signons_federation::proof::decode_secret_key_multibase(pair["privateKeyMultibase"].as_str().unwrap()).unwrap();
    let created = chrono::DateTime::parse_from_rfc3339("2026-12-02T10:00:01Z").unwrap().to_utc();
    let proven = sign::prove(&urls, &unproven, &key, created).unwrap();
    check_sent("sign.json", &proven.body);
    let public =
        signons_federation::proof::decode_public_key_multibase(pair["publicKeyMultibase"].as_str().unwrap()).unwrap();
    signons_federation::proof::verify(&load("sent/sign.json"), &public).expect("the fixture's proof verifies");
    let text = serde_json::to_string(&proven.body).unwrap();
    assert!(!text.contains("@example.org"), "no email address: {text}");
    let Incoming::Sign(parsed) = incoming(&proven.body) else { panic!("not a Sign") };
    assert_eq!(parsed.attestations.len(), 2);

    let undo_id = url("https://signons.example/activities/0195a2b3-c4d5-7e6f-8091-a2b3c4d5e611");
    check_sent("undo-sign.json", &json(sign::undo_sign(&urls, &undo_id, &petition, vec![ann.clone()])));
    let sender = urls.actor(&LocalRef::Instance);
    let accept_id = url("https://signons.example/activities/0195a2b3-c4d5-7e6f-8091-a2b3c4d5e612");
    let accept = json(sign::accept_sign(&urls, &accept_id, &petition, &sign_id, &sender, vec![ann]));
    check_sent("accept-sign.json", &accept);
    let reject_id = url("https://signons.example/activities/0195a2b3-c4d5-7e6f-8091-a2b3c4d5e613");
    let reason = RejectReason::AlreadySigned;
    let reject = json(sign::reject_sign(&urls, &reject_id, &petition, &sign_id, &sender, vec![bob], reason));
    check_sent("reject-sign.json", &reject);
    assert_eq!(reject["reason"], "already-signed");
    for answer in [&accept, &reject] {
        assert!(!incoming(answer).envelope().attestations.is_empty(), "read back as an answer to a Sign");
    }
}
