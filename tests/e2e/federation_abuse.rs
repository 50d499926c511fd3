//! Forged and abusive federation traffic, sent by a fake remote server (`FakePeer`): an
//! HTTP server of the test's own on loopback that serves actor documents with keys the
//! test holds, signs inbox requests with them, counts every fetch it gets (so a test sees
//! whether we fetched anything) and can hold a fetch until told to answer.
//!
//! Replays and the dedupe race, a key checked before any fetch, keys of another server,
//! stale `Date`s, unsafe links in remote documents, the inbox's rate limits and its cap
//! on requests processed at once, followers per registrable domain, the purge of
//! instances gone for weeks, and fetches of private addresses outside
//! `federation_allow_local`.

use crate::federation::{followers_of, host, instance, metric, received_count, wait_queue_empty};
use crate::helpers::*;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use diesel::prelude::*;
use serde_json::{json, Value};
use signons_federation::actors::{LocalActor, Subject};
use signons_federation::keys::KeyPair;
use signons_federation::{LocalRef, Urls};
use signons_store::schema::{ap_followers, ap_following, ap_remote_actors, ap_unreachable_instances, jobs};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

on_both_backends! {
    a_failed_copy_does_not_forget_the_processed_one => dedupe_race_sqlite, dedupe_race_postgres;
    a_known_key_is_checked_before_any_fetch => known_key_before_fetch_sqlite, known_key_before_fetch_postgres;
    unsafe_links_of_a_followed_server_are_refused => unsafe_links_sqlite, unsafe_links_postgres;
    the_inbox_is_limited_per_address_and_per_server => inbox_rate_limits_sqlite, inbox_rate_limits_postgres;
    inbox_requests_processed_at_once_are_capped => inbox_concurrency_sqlite, inbox_concurrency_postgres;
    followers_are_capped_per_registrable_domain => followers_per_domain_sqlite, followers_per_domain_postgres;
    instances_gone_for_weeks_are_purged => gone_instances_sqlite, gone_instances_postgres;
    private_addresses_are_not_fetched_without_allow_local => private_fetches_sqlite, private_fetches_postgres;
}

const AS: &str = "https://www.w3.org/ns/activitystreams";

/// What the fake server serves and saw.
#[derive(Default)]
struct PeerState {
    /// Actor documents by path.
    documents: Mutex<HashMap<String, Value>>,
    /// GETs by path.
    fetches: Mutex<HashMap<String, usize>>,
    /// When set, the next GET waits for this before it is answered.
    hold: Mutex<Option<oneshot::Receiver<()>>>,
    /// Bodies POSTed to its inbox.
    received: Mutex<Vec<Value>>,
    /// What its inbox answers (202 unless a test makes it fail).
    inbox_status: AtomicU16,
    /// What its actor documents answer (200 unless a test makes them fail).
    fetch_status: AtomicU16,
}

struct FakePeer {
    port: u16,
    urls: Urls,
    /// `/actor` and `/p/second`: two actors of the one server, each with its own key.
    actors: Vec<LocalActor>,
    state: Arc<PeerState>,
    server: actix_web::dev::ServerHandle,
}

impl Drop for FakePeer {
    fn drop(&mut self) {
        let handle = self.server.clone();
        actix_web::rt::spawn(async move { handle.stop(false).await });
    }
}

async fn key_pair() -> KeyPair {
    let pair = tokio::task::spawn_blocking(activitypub_federation::http_signatures::generate_actor_keypair)
        .await
        .unwrap()
        .unwrap();
    KeyPair { public_pem: pair.public_key, private_pem: pair.private_key }
}

async fn serve(req: HttpRequest, body: web::Bytes, state: web::Data<PeerState>) -> HttpResponse {
    let path = req.path().to_owned();
    if req.method() == actix_web::http::Method::POST {
        if let Ok(value) = serde_json::from_slice::<Value>(&body) {
            state.received.lock().unwrap().push(value);
        }
        let status = state.inbox_status.load(Ordering::SeqCst);
        return HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).finish();
    }
    *state.fetches.lock().unwrap().entry(path.clone()).or_default() += 1;
    let held = state.hold.lock().unwrap().take();
    if let Some(release) = held {
        let _ = release.await;
    }
    let status = state.fetch_status.load(Ordering::SeqCst);
    if status != 200 {
        return HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).finish();
    }
    match state.documents.lock().unwrap().get(&path) {
        Some(doc) => HttpResponse::Ok().content_type("application/activity+json").json(doc),
        None => HttpResponse::NotFound().finish(),
    }
}

impl FakePeer {
    async fn start() -> FakePeer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let urls = Urls::new(&format!("http://localhost:{port}")).unwrap();
        let state = Arc::new(PeerState {
            inbox_status: AtomicU16::new(202),
            fetch_status: AtomicU16::new(200),
            ..PeerState::default()
        });
        let mut actors = Vec::new();
        for reference in [LocalRef::Instance, LocalRef::Petition("second".into())] {
            let actor = LocalActor::new(&urls, reference, Subject::Instance, key_pair().await);
            let doc = json!({
                "@context": [AS, "https://w3id.org/security/v1"],
                "id": actor.url.as_str(),
                "type": "Service",
                "preferredUsername": urls.username(&actor.reference),
                "inbox": urls.shared_inbox().as_str(),
                "publicKey": {
                    "id": format!("{}#main-key", actor.url),
                    "owner": actor.url.as_str(),
                    "publicKeyPem": actor.keys.public_pem,
                },
            });
            state.documents.lock().unwrap().insert(actor.url.path().to_owned(), doc);
            actors.push(actor);
        }
        let data = web::Data::from(state.clone());
        let server = HttpServer::new(move || App::new().app_data(data.clone()).default_service(web::to(serve)))
            .workers(1)
            .listen(listener)
            .unwrap()
            .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        FakePeer { port, urls, actors, state, server: handle }
    }

    fn host(&self) -> String {
        format!("localhost:{}", self.port)
    }

    fn actor(&self, i: usize) -> String {
        self.actors[i].url.to_string()
    }

    fn fetches(&self, path: &str) -> usize {
        self.state.fetches.lock().unwrap().get(path).copied().unwrap_or(0)
    }

    fn all_fetches(&self) -> usize {
        self.state.fetches.lock().unwrap().values().sum()
    }

    /// The next GET waits until the returned sender is used (or dropped).
    fn hold_next_fetch(&self) -> oneshot::Sender<()> {
        let (release, held) = oneshot::channel();
        *self.state.hold.lock().unwrap() = Some(held);
        release
    }

    fn received_types(&self) -> Vec<String> {
        let received = self.state.received.lock().unwrap();
        received.iter().map(|v| v["type"].as_str().unwrap_or_default().to_owned()).collect()
    }

    /// A `Follow` of `object` by actor `i`, as JSON.
    fn follow(&self, i: usize, n: u32, object: &str) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "@context": AS,
            "id": format!("{}/follows/{n}", self.urls.base().as_str().trim_end_matches('/')),
            "type": "Follow",
            "actor": self.actor(i),
            "object": object,
        }))
        .unwrap()
    }

    /// `body` POSTed to `to`'s inbox at `path`, signed with actor `signer`'s key, dated
    /// `date` (now by default), as a Mastodon would sign it.
    async fn signed(
        &self,
        signer: usize,
        to: &TestApp,
        path: &str,
        body: &[u8],
        date: Option<String>,
    ) -> reqwest::Request {
        let config = activitypub_federation::config::FederationConfig::builder()
            .domain(self.host())
            .app_data(to.state.fed().clone())
            .signed_fetch_actor(&self.actors[signer])
            .http_signature_compat(true)
            .debug(true)
            .allow_http_urls(true)
            .build()
            .await
            .unwrap();
        let date = date.unwrap_or_else(|| chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S GMT").to_string());
        let builder = reqwest_middleware::ClientWithMiddleware::from(reqwest::Client::new())
            .post(format!("{}{path}", to.url))
            .header("content-type", "application/activity+json")
            .header("host", host(to))
            .header("date", date);
        config.to_request_data().sign_request(builder, body.to_vec().into()).await.unwrap()
    }

    /// Sends `body` signed by actor `signer` to `to`'s shared inbox: (status, body).
    async fn deliver(&self, signer: usize, to: &TestApp, body: &[u8]) -> (u16, String) {
        execute(self.signed(signer, to, "/inbox", body, None).await).await
    }
}

async fn execute(request: reqwest::Request) -> (u16, String) {
    let r = reqwest::Client::new().execute(request).await.expect("the instance answers");
    (r.status().as_u16(), r.text().await.unwrap_or_default())
}

/// Two deliveries of one activity race: one signed with another key, whose actor fetch
/// is held while the genuine one is processed; then it fails. Before, its failure deleted
/// the id the genuine one recorded, and the sender's next retry was processed again.
async fn a_failed_copy_does_not_forget_the_processed_one(backend: Backend) {
    let app = instance(backend).await;
    let peer = FakePeer::start().await;
    let follow = peer.follow(0, 1, &format!("{}/actor", app.url));

    // The forged copy (signed by `/p/second`, claiming `/actor`) waits on its fetch.
    let release = peer.hold_next_fetch();
    let forged = peer.signed(1, &app, "/inbox", &follow, None).await;
    let forged = actix_web::rt::spawn(execute(forged));
    eventually("the forged copy to fetch the actor", DEADLINE, || async {
        (peer.fetches("/actor") == 1).then_some(())
    })
    .await;
    // The genuine copy is processed meanwhile.
    let (status, body) = peer.deliver(0, &app, &follow).await;
    assert_eq!(status, 202, "{body}");
    release.send(()).unwrap();
    let (status, body) = forged.await.unwrap();
    assert_eq!(status, 401, "the forged copy is refused: {body}");
    // The sender retries (its answer got lost): a duplicate, not processed again.
    let (status, body) = peer.deliver(0, &app, &follow).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(received_count(&app).await, 1);
    assert_eq!(metric(&app, "signons_federation_received_total{outcome=\"processed\"}").await, 1);
    assert_eq!(metric(&app, "signons_federation_received_total{outcome=\"duplicate\"}").await, 1);
    wait_queue_empty(&app).await;
    assert_eq!(peer.received_types(), ["Accept"], "the follow is accepted once");
    assert_eq!(followers_of(&app, &format!("{}/actor", app.url)).await, [peer.actor(0)]);
}

/// A known actor's signature is checked against the key we keep before anything is
/// fetched: a request signed by another key, or dated more than an hour ago, is refused
/// without a request to its server; a key of another server than the actor's is refused
/// before anything else. A stored key older than an hour may be fetched again once (the
/// actor may have changed its key), and then is trusted again; when that server is down,
/// forged requests still make at most one fetch an hour (the library alone would fetch
/// at each).
async fn a_known_key_is_checked_before_any_fetch(backend: Backend) {
    let app = instance(backend).await;
    let peer = FakePeer::start().await;
    let target = format!("{}/actor", app.url);
    let (status, body) = peer.deliver(0, &app, &peer.follow(0, 1, &target)).await;
    assert_eq!(status, 202, "{body}");
    let fetched = peer.all_fetches();
    assert_eq!(fetched, 1, "the actor was fetched once, to verify");

    // Signed by another key than the actor's (the other actor's, on the same server).
    let (status, body) = peer.deliver(1, &app, &peer.follow(0, 2, &target)).await;
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("bad_signature"), "{body}");
    // Genuinely signed, but two hours ago: a replay of a captured request.
    let old = (chrono::Utc::now() - chrono::TimeDelta::hours(2)).format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let (status, body) = execute(peer.signed(0, &app, "/inbox", &peer.follow(0, 3, &target), Some(old)).await).await;
    assert_eq!(status, 401, "{body}");
    // The same activity again, signed afresh: a duplicate.
    let (status, _) = peer.deliver(0, &app, &peer.follow(0, 1, &target)).await;
    assert_eq!(status, 202);
    // A key of this server for an actor of another: refused before any fetch.
    let mut elsewhere: Value = serde_json::from_slice(&peer.follow(0, 4, &target)).unwrap();
    elsewhere["actor"] = json!("http://localhost:1/users/someone");
    elsewhere["id"] = json!("http://localhost:1/follows/4");
    let (status, body) = peer.deliver(0, &app, &serde_json::to_vec(&elsewhere).unwrap()).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("not of the actor's server"), "{body}");
    assert_eq!(peer.all_fetches(), fetched, "none of these made us fetch anything");
    assert_eq!(metric(&app, "signons_federation_received_total{outcome=\"processed\"}").await, 1);

    // The stored key is two hours old: a forged request may fetch the actor once more.
    let age_key = |hours: i64| {
        let actor = peer.actor(0);
        app.write(move |conn| {
            diesel::update(ap_remote_actors::table.filter(ap_remote_actors::url.eq(actor)))
                .set(ap_remote_actors::fetched_at.eq(signons_store::now() - chrono::TimeDelta::hours(hours)))
                .execute(conn)
        })
    };
    age_key(2).await;
    for n in 5..8 {
        let (status, body) = peer.deliver(1, &app, &peer.follow(0, n, &target)).await;
        assert!(status == 401, "{status}: {body}");
    }
    assert_eq!(peer.all_fetches(), fetched + 1, "one refetch, then the fresh key is checked first again");
    // Its server is down now, and the key old again: forged requests, each of which the
    // library would answer with a fetch, make none (the refetch of this hour was made).
    peer.state.fetch_status.store(503, Ordering::SeqCst);
    for n in 10..13 {
        age_key(2).await;
        let (status, body) = peer.deliver(1, &app, &peer.follow(0, n, &target)).await;
        assert!(status == 401, "{status}: {body}");
    }
    assert_eq!(peer.all_fetches(), fetched + 1, "no fetch for forged requests");
    peer.state.fetch_status.store(200, Ordering::SeqCst);
    // The genuine actor is still served.
    let (status, body) = peer.deliver(0, &app, &peer.follow(0, 9, &target)).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(metric(&app, "signons_federation_received_total{outcome=\"processed\"}").await, 2);
}

/// A followed server sends its petitions with `javascript:` and `data:` links: the
/// petition is refused, or the partner with such an id left out; nothing unsafe is shown.
async fn unsafe_links_of_a_followed_server_are_refused(backend: Backend) {
    let app = instance(backend).await;
    let peer = FakePeer::start().await;
    let (actor, peer_host) = (peer.actor(0), peer.host());
    app.write(move |conn| {
        let now = signons_store::now();
        diesel::insert_into(ap_following::table)
            .values((
                ap_following::remote_actor.eq(actor),
                ap_following::host.eq(peer_host),
                ap_following::follow_id.eq("http://localhost:1/follow"),
                ap_following::state.eq("accepted"),
                ap_following::created_at.eq(now),
                ap_following::updated_at.eq(now),
            ))
            .execute(conn)
    })
    .await;
    let base = peer.urls.base().as_str().trim_end_matches('/').to_owned();
    let group = |slug: &str, page: &str, partner: &str| {
        json!({
            "type": "Group", "id": format!("{base}/p/{slug}"), "preferredUsername": slug,
            "name": "Trees for the square", "summary": "<p>Shade.</p>", "url": page,
            "attributedTo": format!("{base}/p/{slug}/moderators"), "organization": format!("{base}/o/friends"),
            "inbox": format!("{base}/p/{slug}/inbox"), "signatureFields": ["name", "email"],
            "signatureCount": 3, "signatureGoal": 100, "status": "open", "target": "The mayor",
            "partners": [
                { "type": "Organization", "id": partner, "name": "Sneaky", "preferredUsername": "sneaky" },
                { "type": "Organization", "id": format!("{base}/o/honest"), "name": "Honest", "preferredUsername": "honest" },
            ],
        })
    };
    let update = |n: u32, object: Value| {
        serde_json::to_vec(&json!({
            "@context": AS, "id": format!("{base}/activities/{n}"), "type": "Update", "actor": peer.actor(0),
            "object": object,
        }))
        .unwrap()
    };
    for (n, page) in [
        (1, "javascript://localhost/%0aalert(document.cookie)".to_owned()),
        (2, "data:text/html,<script>alert(1)</script>".to_owned()),
        (3, format!("javascript://{}/%0aalert(1)", peer.host())),
    ] {
        let (status, body) = peer.deliver(0, &app, &update(n, group("trees", &page, "https://x.example/o/a"))).await;
        assert_eq!(status, 400, "{page}: {body}");
    }
    let rows: i64 = app.read(|conn| signons_store::schema::remote_petitions::table.count().get_result(conn)).await;
    assert_eq!(rows, 0, "nothing was kept");
    // A safe page, and a partner whose id is a script: the partner is left out.
    let sneaky = format!("javascript://{}/o/%0aalert(1)", peer.host());
    let (status, body) = peer.deliver(0, &app, &update(4, group("trees", &format!("{base}/p/trees"), &sneaky))).await;
    assert_eq!(status, 202, "{body}");
    let page = app.browser().get(&format!("/p/trees@{}", peer.host())).await.expect(200).body.clone();
    assert!(page.contains("Trees for the square") && page.contains("Honest"), "{page}");
    assert!(!page.contains("javascript:") && !page.contains("Sneaky"), "{page}");
    let origin = format!("href=\"{base}/p/trees\"").replace('/', "&#x2F;");
    assert!(page.contains(&origin), "the origin link: {page}");
}

/// An inbox request carrying `X-Forwarded-For: address` (the tests' proxy is trusted),
/// claiming to be signed by a key of `server`: an activity we ignore, so only the limits
/// decide its answer.
async fn ignored_activity(app: &TestApp, address: &str, server: &str) -> Response {
    let like = json!({ "id": format!("http://{server}/likes/1"), "type": "Like", "actor": format!("http://{server}/u"), "object": "x" });
    send(
        app.public_api()
            .client
            .post(format!("{}/inbox", app.url))
            .header("content-type", "application/activity+json")
            .header("x-forwarded-for", address)
            .header("signature", format!("keyId=\"http://{server}/u#main-key\",signature=\"AAAA\""))
            .body(serde_json::to_vec(&like).unwrap()),
    )
    .await
}

async fn the_inbox_is_limited_per_address_and_per_server(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        Options {
            federation: true,
            trust_forwarded_for: true,
            configure: Some(|raw| {
                raw.inbox_per_host_per_minute = 3;
                raw.inbox_per_address_per_minute = 5;
            }),
            ..Options::default()
        },
    )
    .await;
    // Per server: three from one, each from another address.
    for n in 1..=3 {
        ignored_activity(&app, &format!("198.51.100.{n}"), "localhost:1").await.expect(202);
    }
    let refused = ignored_activity(&app, "198.51.100.4", "localhost:1").await;
    refused.expect_error(429, "rate_limited");
    let wait: u64 = refused.headers.get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    ignored_activity(&app, "198.51.100.5", "localhost:2").await.expect(202);
    // Per address: five from one, each claiming another server.
    for n in 10..15 {
        ignored_activity(&app, "203.0.113.9", &format!("localhost:{n}")).await.expect(202);
    }
    let refused = ignored_activity(&app, "203.0.113.9", "localhost:15").await;
    refused.expect_error(429, "rate_limited");
    assert!(refused.headers.get("retry-after").is_some());
    ignored_activity(&app, "203.0.113.10", "localhost:16").await.expect(202);
}

/// With one slot, a request held in processing (its actor's fetch waits) makes the next
/// one wait for a retry (503, `Retry-After`); once it is done, requests are served again.
async fn inbox_requests_processed_at_once_are_capped(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        Options { federation: true, configure: Some(|raw| raw.inbox_concurrency = 1), ..Options::default() },
    )
    .await;
    let peer = FakePeer::start().await;
    let target = format!("{}/actor", app.url);
    let release = peer.hold_next_fetch();
    let first = actix_web::rt::spawn(execute(peer.signed(0, &app, "/inbox", &peer.follow(0, 1, &target), None).await));
    eventually("the first request to fetch its actor", DEADLINE, || async { (peer.all_fetches() == 1).then_some(()) })
        .await;
    let busy = peer.signed(0, &app, "/inbox", &peer.follow(0, 2, &target), None).await;
    let r = reqwest::Client::new().execute(busy).await.unwrap();
    assert_eq!(r.status().as_u16(), 503);
    assert_eq!(r.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("5"));
    release.send(()).unwrap();
    let (status, body) = first.await.unwrap();
    assert_eq!(status, 202, "{body}");
    let (status, body) = peer.deliver(0, &app, &peer.follow(0, 2, &target)).await;
    assert_eq!(status, 202, "the retry is served: {body}");
}

/// One follower per registrable domain here: a second actor of the same server is refused,
/// a follow again by the first still works, and another server's follow is accepted.
async fn followers_are_capped_per_registrable_domain(backend: Backend) {
    let app = TestApp::spawn_with(
        backend,
        Options { federation: true, configure: Some(|raw| raw.followers_per_domain = 1), ..Options::default() },
    )
    .await;
    let other = instance(backend).await;
    let peer = FakePeer::start().await;
    let target = format!("{}/actor", app.url);
    let (status, body) = peer.deliver(0, &app, &peer.follow(0, 1, &target)).await;
    assert_eq!(status, 202, "{body}");
    let (status, body) = peer.deliver(1, &app, &peer.follow(1, 2, &target)).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("capped"), "{body}");
    let (status, body) = peer.deliver(0, &app, &peer.follow(0, 3, &target)).await;
    assert_eq!(status, 202, "following again is no new follower: {body}");
    crate::federation::follow(&other, &app.url).await;
    let mut followers = followers_of(&app, &target).await;
    followers.sort();
    let mut expected = vec![peer.actor(0), format!("{}/actor", other.url)];
    expected.sort();
    assert_eq!(followers, expected);
}

/// A follower's server stops answering; weeks later (the clock set back in the database)
/// the maintenance tick purges its deliveries, its follow and its actor, and keeps a
/// reachable follower and a server failing for less long.
async fn instances_gone_for_weeks_are_purged(backend: Backend) {
    let app = instance(backend).await;
    let other = instance(backend).await;
    let peer = FakePeer::start().await;
    let target = format!("{}/actor", app.url);
    let (status, body) = peer.deliver(0, &app, &peer.follow(0, 1, &target)).await;
    assert_eq!(status, 202, "{body}");
    crate::federation::follow(&other, &app.url).await;
    wait_queue_empty(&app).await;
    // The peer fails from now on; a petition is published and cannot reach it.
    peer.state.inbox_status.store(503, Ordering::SeqCst);
    app.create_petition("Benches in the park", true).await;
    let peer_host = peer.host();
    let failing = |host: String| {
        let db = app.state.db.clone();
        async move { db.read_async(move |conn| signons_federation::health::failing_since(conn, &host)).await.unwrap() }
    };
    eventually("the peer to be noted as failing", DEADLINE, || failing(peer_host.clone())).await;
    assert!(failing(host(&other)).await.is_none(), "the other instance answers");
    // Not long enough yet: nothing is purged.
    signons_app::maintenance::once(&app.state).await.unwrap();
    assert_eq!(followers_of(&app, &target).await.len(), 2);
    // A month of failures, and a second server failing for five days.
    let (h, now) = (peer_host.clone(), signons_store::now());
    app.write(move |conn| {
        diesel::update(ap_unreachable_instances::table.filter(ap_unreachable_instances::host.eq(h)))
            .set(ap_unreachable_instances::failing_since.eq(now - chrono::TimeDelta::days(31)))
            .execute(conn)?;
        diesel::insert_into(ap_unreachable_instances::table)
            .values((
                ap_unreachable_instances::host.eq("localhost:2"),
                ap_unreachable_instances::failing_since.eq(now - chrono::TimeDelta::days(5)),
                ap_unreachable_instances::last_failure_at.eq(now),
            ))
            .execute(conn)
    })
    .await;
    let peer_jobs = |host: String| {
        app.read(move |conn| jobs::table.filter(jobs::partition_key.eq(host)).count().get_result::<i64>(conn))
    };
    assert!(peer_jobs(peer_host.clone()).await > 0, "deliveries wait for the peer");
    signons_app::maintenance::once(&app.state).await.unwrap();
    assert_eq!(followers_of(&app, &target).await, [format!("{}/actor", other.url)], "the reachable follower stays");
    assert_eq!(peer_jobs(peer_host.clone()).await, 0, "its deliveries are gone");
    let h = peer_host.clone();
    let actors: i64 = app
        .read(move |conn| ap_remote_actors::table.filter(ap_remote_actors::host.eq(h)).count().get_result(conn))
        .await;
    assert_eq!(actors, 0, "its actors are forgotten");
    let hosts: Vec<String> =
        app.read(|conn| ap_unreachable_instances::table.select(ap_unreachable_instances::host).load(conn)).await;
    assert_eq!(hosts, ["localhost:2"], "the server failing for five days is kept");
    assert_eq!(metric(&app, "signons_federation_instances_purged_total").await, 1);
    let followers: i64 = app.read(|conn| ap_followers::table.count().get_result(conn)).await;
    assert_eq!(followers, 1);
}

/// A listener on 127.0.0.1:443, where `https://localhost/...` would connect: how many
/// connections it got. Shared by the tests (one port); `None` if it cannot be had.
fn port_443_connections() -> Option<usize> {
    static ACCEPTED: std::sync::OnceLock<Option<Arc<AtomicUsize>>> = std::sync::OnceLock::new();
    let counter = ACCEPTED.get_or_init(|| {
        let listener = std::net::TcpListener::bind("127.0.0.1:443").ok()?;
        let counter = Arc::new(AtomicUsize::new(0));
        let seen = counter.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                seen.fetch_add(1, Ordering::SeqCst);
                drop(stream);
            }
        });
        Some(counter)
    });
    counter.as_ref().map(|c| c.load(Ordering::SeqCst))
}

/// Without `federation_allow_local`, names that resolve to loopback (and addresses of
/// it) are never connected to, whether an admin follows them or an inbox request names
/// an actor there; the resolver says why.
async fn private_addresses_are_not_fetched_without_allow_local(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    assert!(!app.state.fed().allow_local);
    let before = port_443_connections();
    let data = app.state.federation.to_request_data();
    let refused = signons_federation::follows::resolve_followable("https://localhost/actor", &data)
        .await
        .expect_err("localhost is not fetched");
    // The library checks the name before it fetches (outside debug mode); our resolver
    // checks again when connecting (see `dns`: its unit tests show the client refusing).
    let text = format!("{refused:?}");
    assert!(text.contains("local IP address") || text.contains("non-public addresses"), "{text}");
    for literal in ["https://127.0.0.1/actor", "https://[::1]/actor", "https://169.254.169.254/actor"] {
        assert!(signons_federation::follows::resolve_followable(literal, &data).await.is_err(), "{literal}");
    }
    // An inbox request naming an actor on localhost: refused, nothing fetched.
    let follow = json!({
        "@context": AS, "id": "https://localhost/follows/1", "type": "Follow",
        "actor": "https://localhost/actor", "object": format!("{}/actor", app.url),
    });
    let r = send(
        app.public_api()
            .client
            .post(format!("{}/inbox", app.url))
            .header("content-type", "application/activity+json")
            .header("signature", "keyId=\"https://localhost/actor#main-key\",signature=\"AAAA\"")
            .body(serde_json::to_vec(&follow).unwrap()),
    )
    .await;
    assert!(r.status.is_client_error(), "{}: {}", r.status, r.body);
    if let (Some(before), Some(after)) = (before, port_443_connections()) {
        assert_eq!(before, after, "nothing connected to 127.0.0.1:443");
    }
    assert_eq!(received_count(&app).await, 0);
}
