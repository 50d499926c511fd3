//! Federation between Signons instances on loopback (`http://localhost:PORT`), each with
//! its own database: follow and accept, delivery of new petitions, news, milestones and
//! counts, unfollow, block, an instance down then back up, discovery, and hostile inboxes.
//! Also the interop check against Fedify, an independent ActivityPub implementation.

use crate::helpers::*;
use diesel::prelude::*;
use serde_json::{json, Value};
use signons_federation::policy::{self, DomainPolicy};
use signons_federation::proof::{self, ProofError};
use signons_federation::{follows, keys, posts, sign, FederationError};
use signons_store::schema::{
    ap_followers, ap_following, ap_received, ap_remote_actors, jobs, remote_petitions, remote_posts,
};
use std::time::Duration;

on_both_backends! {
    follow_deliver_and_unfollow => follow_deliver_and_unfollow_sqlite, follow_deliver_and_unfollow_postgres;
    instance_down_then_up_gets_everything_once => instance_down_then_up_sqlite, instance_down_then_up_postgres;
    blocked_domain_is_refused => blocked_domain_is_refused_sqlite, blocked_domain_is_refused_postgres;
    milestones_and_counts_reach_followers => milestones_and_counts_sqlite, milestones_and_counts_postgres;
    discovery_and_content_negotiation => discovery_sqlite, discovery_postgres;
    hostile_inbox_requests_get_4xx => hostile_inbox_sqlite, hostile_inbox_postgres;
    fedify_follows_a_petition => fedify_follows_a_petition_sqlite, fedify_follows_a_petition_postgres;
    organizer_posts_news_and_removes_on_the_web => web_news_and_remove_sqlite, web_news_and_remove_postgres;
    following_an_organization => following_an_organization_sqlite, following_an_organization_postgres;
    signatures_are_checked => signatures_are_checked_sqlite, signatures_are_checked_postgres;
    proofs_are_checked_with_the_instance_key => proofs_are_checked_sqlite, proofs_are_checked_postgres;
    signatures_of_other_instances_count_by_origin => signatures_of_other_instances_sqlite, signatures_of_other_instances_postgres;
    petitions_published_before_a_follow_are_backfilled => backfill_sqlite, backfill_postgres;
    a_full_sign_is_counted => a_full_sign_is_counted_sqlite, a_full_sign_is_counted_postgres;
}

/// Two processes of one instance share its PostgreSQL database and its delivery queue: each
/// activity still reaches the follower once.
#[actix_web::test]
async fn two_processes_deliver_each_activity_once_postgres() {
    let alpha = instance(Backend::Postgres).await;
    let alpha2 = alpha.another_process().await;
    let beta = instance(Backend::Postgres).await;
    follow(&beta, &alpha.url).await;
    let slug = alpha.create_petition("Busy petition", true).await;
    for n in 0..20 {
        post_news(&alpha, &slug, &format!("News number {n}.")).await;
        alpha2.state.fed().wake.notify_one();
    }
    let handle = format!("{slug}@{}", host(&alpha));
    remote_petition(&beta, &handle, "all the news", |p| p["news"].as_array().is_some_and(|n| n.len() == 20)).await;
    wait_queue_empty(&alpha).await;
    let posts = remote_post_contents(&beta).await;
    assert_eq!(posts.len(), 21, "the launch and 20 news, once each");
    for n in 0..20 {
        let text = format!("News number {n}.");
        assert_eq!(posts.iter().filter(|p| p.contains(&text)).count(), 1, "{text}");
    }
    // Sent once each (the Accept, the launch, 20 news) by one process or the other, and
    // never received twice.
    let sent = metric(&alpha, "signons_federation_deliveries_total{result=\"sent\"}").await
        + metric(&alpha2, "signons_federation_deliveries_total{result=\"sent\"}").await;
    assert_eq!(sent, 22);
    assert_eq!(metric(&beta, "signons_federation_received_total{outcome=\"duplicate\"}").await, 0);
    assert_eq!(metric(&beta, "signons_federation_received_total{outcome=\"processed\"}").await, 22);
}

/// One sample of the process's `/metrics`.
pub(crate) async fn metric(app: &TestApp, sample: &str) -> u64 {
    let client = app.public_api().client;
    let body = send(client.get(format!("http://127.0.0.1:{}/metrics", app.port))).await.expect(200).body.clone();
    let line = body.lines().find(|l| l.starts_with(sample)).unwrap_or_else(|| panic!("no {sample} in:\n{body}"));
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

pub(crate) async fn instance(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, Options { federation: true, ..Options::default() }).await
}

pub(crate) fn host(app: &TestApp) -> String {
    format!("localhost:{}", app.port)
}

/// What `signons federation follow URL` does, then waits for the Accept.
pub(crate) async fn follow(follower: &TestApp, target: &str) {
    let data = follower.state.federation.to_request_data();
    let actor = follows::resolve_followable(target, &data).await.expect("the target resolves");
    let urls = data.urls.clone();
    follower
        .state
        .db
        .write_async(move |conn| follows::follow(conn, &urls, &actor))
        .await
        .expect("the follow is stored");
    follower.state.fed().wake.notify_one();
    eventually("the follow to be accepted", DEADLINE, || async {
        (following_states(follower).await == ["accepted"]).then_some(())
    })
    .await;
}

async fn unfollow(follower: &TestApp, actor: &str) {
    let urls = follower.state.fed().urls.clone();
    let actor = actor.to_owned();
    let found = follower.state.db.write_async(move |conn| follows::unfollow(conn, &urls, &actor)).await.unwrap();
    assert!(found, "it was followed");
    follower.state.fed().wake.notify_one();
}

async fn following_states(app: &TestApp) -> Vec<String> {
    app.read(|conn| ap_following::table.select(ap_following::state).load(conn)).await
}

pub(crate) async fn followers_of(app: &TestApp, actor: &str) -> Vec<String> {
    let actor = actor.to_owned();
    app.read(move |conn| {
        ap_followers::table.filter(ap_followers::local_actor.eq(actor)).select(ap_followers::follower).load(conn)
    })
    .await
}

async fn queued(app: &TestApp) -> Vec<(String, i32)> {
    // Deliveries still to make (queued or under way), as (instance, attempts so far).
    let rows: Vec<(Option<String>, i32)> = app
        .read(|conn| {
            jobs::table
                .filter(jobs::queue.eq(signons_store::jobs::Queue::Delivery))
                .filter(jobs::state.ne(signons_store::jobs::JobState::Dead))
                .select((jobs::partition_key, jobs::attempts))
                .load(conn)
        })
        .await;
    rows.into_iter().map(|(host, attempts)| (host.unwrap_or_default(), attempts)).collect()
}

pub(crate) async fn wait_queue_empty(app: &TestApp) {
    eventually("every delivery to be sent", DEADLINE, || async { queued(app).await.is_empty().then_some(()) }).await;
}

async fn remote_post_contents(app: &TestApp) -> Vec<String> {
    app.read(|conn| remote_posts::table.order(remote_posts::received_at).select(remote_posts::content_html).load(conn))
        .await
}

pub(crate) async fn received_count(app: &TestApp) -> i64 {
    app.read(|conn| ap_received::table.count().get_result(conn)).await
}

/// The remote petition as `follower`'s API shows it, once it arrived.
pub(crate) async fn remote_petition(
    follower: &TestApp,
    handle: &str,
    what: &str,
    ok: impl Fn(&Value) -> bool,
) -> Value {
    eventually(what, DEADLINE, || async {
        let r = follower.public_api().get(&format!("/petitions/{handle}")).await;
        (r.status == 200).then(|| r.json()).filter(|p| ok(p))
    })
    .await
}

async fn post_news(app: &TestApp, slug: &str, text: &str) {
    app.api().await.post(&format!("/petitions/{slug}/news"), &json!({ "text": text })).await.expect(201);
}

async fn follow_deliver_and_unfollow(backend: Backend) {
    let alpha = instance(backend).await;
    let beta = instance(backend).await;
    let before = alpha.create_petition("Save the park", true).await;
    follow(&beta, &alpha.url).await;
    let alpha_actor = format!("{}/actor", alpha.url);
    assert_eq!(followers_of(&alpha, &alpha_actor).await, [format!("{}/actor", beta.url)]);

    // A new petition reaches beta, which serves it as `slug@host`, page and API.
    let slug = alpha.create_petition("Bike lanes now", true).await;
    let handle = format!("{slug}@{}", host(&alpha));
    let p = remote_petition(&beta, &handle, "beta to receive the new petition", |_| true).await;
    assert_eq!(p["title"], "Bike lanes now");
    assert_eq!(p["goal"], 100);
    assert_eq!(p["total_signatures"], 0);
    assert_eq!(p["origin_url"], format!("{}/p/{slug}", alpha.url));
    assert_eq!(p["signatures_by_instance"][host(&alpha)], 0);
    // What was published before the follow is fetched once the follow is accepted.
    remote_petition(&beta, &format!("{before}@{}", host(&alpha)), "the backfilled petition", |_| true).await;

    // News reaches beta, sanitized Markdown and all.
    post_news(&alpha, &slug, "We met the **mayor** <script>alert(1)</script>today.").await;
    let p = remote_petition(&beta, &handle, "beta to receive the news", |p| {
        p["news"].as_array().is_some_and(|n| !n.is_empty())
    })
    .await;
    let news = p["news"][0]["content_html"].as_str().unwrap();
    assert!(news.contains("<strong>mayor</strong>"), "{news}");
    assert!(!news.contains("<script"), "{news}");
    let page = beta.browser().get(&format!("/p/{handle}")).await;
    page.expect(200).contains("Bike lanes now").contains("<strong>mayor</strong>");
    page.contains(&format!("href=\"{}/p/{slug}\"", alpha.url));
    // Who runs it, as on its home page.
    page.contains(&format!("By {ORGANIZATION}@{}", host(&alpha)));
    beta.browser().get("/").await.expect(200).contains(&format!("href=\"/p/{handle}\""));

    // Each activity arrived once: the launch note and the news.
    wait_queue_empty(&alpha).await;
    let posts = remote_post_contents(&beta).await;
    assert_eq!(posts.len(), 2, "{posts:?}");
    assert!(posts[0].contains("New petition") && posts[0].contains("Bike lanes now"), "{posts:?}");

    // Removing the petition deletes it on beta too; its address answers 410 on alpha.
    let api = alpha.api().await;
    send(
        api.client.delete(format!("{}/api/v1/petitions/{slug}", alpha.url)).bearer_auth(api.token.as_deref().unwrap()),
    )
    .await
    .expect(204);
    eventually("beta to forget the removed petition", DEADLINE, || async {
        let r = beta.public_api().get(&format!("/petitions/{handle}")).await;
        (r.status == 404).then_some(())
    })
    .await;
    assert_eq!(remote_post_contents(&beta).await.len(), 0, "its posts went with it");
    let gone = send(
        alpha.public_api().client.get(format!("{}/p/{slug}", alpha.url)).header("accept", "application/activity+json"),
    )
    .await;
    assert_eq!(gone.expect(410).json()["type"], "Tombstone");
    alpha.browser().get(&format!("/p/{slug}")).await.expect(410);
    alpha.public_api().get(&format!("/petitions/{slug}")).await.expect_error(410, "gone");
    alpha.sign(&slug, "Late", "late@example.org").await.expect(410);

    // A petition beta only knows from its organization's launch note (beta never saw the
    // petition's own key) is deleted there too: the organization says so.
    let brief = alpha.create_petition("Short-lived", true).await;
    let brief_handle = format!("{brief}@{}", host(&alpha));
    remote_petition(&beta, &brief_handle, "the short-lived petition", |_| true).await;
    send(
        api.client.delete(format!("{}/api/v1/petitions/{brief}", alpha.url)).bearer_auth(api.token.as_deref().unwrap()),
    )
    .await
    .expect(204);
    eventually("beta to forget the short-lived petition", DEADLINE, || async {
        (beta.public_api().get(&format!("/petitions/{brief_handle}")).await.status == 404).then_some(())
    })
    .await;

    // Unfollow: alpha forgets beta and sends it nothing more.
    unfollow(&beta, &alpha_actor).await;
    eventually("alpha to drop its follower", DEADLINE, || async {
        followers_of(&alpha, &alpha_actor).await.is_empty().then_some(())
    })
    .await;
    assert!(following_states(&beta).await.is_empty());
    let after = alpha.create_petition("After the unfollow", true).await;
    assert!(queued(&alpha).await.is_empty(), "nothing is queued for a former follower");
    beta.public_api().get(&format!("/petitions/{after}@{}", host(&alpha))).await.expect(404);
}

async fn instance_down_then_up_gets_everything_once(backend: Backend) {
    let mut alpha = instance(backend).await;
    let mut beta = instance(backend).await;
    follow(&beta, &alpha.url).await;
    beta.stop().await;

    let slug = alpha.create_petition("While beta sleeps", true).await;
    post_news(&alpha, &slug, "First news").await;
    post_news(&alpha, &slug, "Second news").await;
    // The oldest delivery failed twice and waits for its retry; the others wait behind it
    // (one instance's activities keep their order).
    eventually("the deliveries to fail", DEADLINE, || async {
        let q = queued(&alpha).await;
        (q.len() == 3 && q.iter().all(|(h, _)| *h == host(&beta)) && q.iter().any(|(_, attempts)| *attempts >= 2))
            .then_some(())
    })
    .await;

    // The queue is in the database: it survives the sender's restart too.
    alpha.stop().await;
    alpha.start_again().await;
    assert_eq!(queued(&alpha).await.len(), 3);

    beta.start_again().await;
    let handle = format!("{slug}@{}", host(&alpha));
    remote_petition(&beta, &handle, "beta to catch up", |p| p["news"].as_array().is_some_and(|n| n.len() == 2)).await;
    wait_queue_empty(&alpha).await;
    let posts = remote_post_contents(&beta).await;
    assert_eq!(posts.len(), 3, "the launch and two news, once each: {posts:?}");
    assert!(posts.iter().filter(|p| p.contains("First news")).count() == 1, "{posts:?}");
    assert!(posts.iter().filter(|p| p.contains("Second news")).count() == 1, "{posts:?}");

    // A delivery that arrives twice (the sender never saw the answer) changes nothing.
    let received = received_count(&beta).await;
    let beta_inbox = url::Url::parse(&format!("{}/inbox", beta.url)).unwrap();
    let resend = alpha
        .read(|conn| {
            signons_store::schema::petition_posts::table
                .order(signons_store::schema::petition_posts::created_at.desc())
                .select(signons_store::schema::petition_posts::id)
                .first::<String>(conn)
        })
        .await;
    let post = alpha.state.db.read_async(move |conn| posts::find_post(conn, &resend)).await.unwrap().unwrap();
    let create = signons_federation::outgoing::create_note(&alpha.state.fed().urls, &post);
    alpha
        .state
        .db
        .write_async(move |conn| signons_federation::delivery::enqueue(conn, &create, &[beta_inbox]))
        .await
        .unwrap();
    alpha.state.fed().wake.notify_one();
    wait_queue_empty(&alpha).await;
    assert_eq!(received_count(&beta).await, received, "the second copy is recognised by its id");
    assert_eq!(metric(&beta, "signons_federation_received_total{outcome=\"duplicate\"}").await, 1);
    assert_eq!(remote_post_contents(&beta).await.len(), 3);
}

async fn blocked_domain_is_refused(backend: Backend) {
    let alpha = instance(backend).await;
    let beta = instance(backend).await;
    follow(&beta, &alpha.url).await;
    let alpha_host = host(&alpha);
    let rule = alpha_host.clone();
    beta.state.db.write_async(move |conn| policy::set_rule(conn, &rule, Some(DomainPolicy::Block))).await.unwrap();
    let received = received_count(&beta).await;
    let sent = metric(&alpha, "signons_federation_deliveries_total{result=\"sent\"}").await;

    // Alpha still delivers; beta refuses before reading the body, and alpha gives up at once:
    // a 4xx is counted as refused, not as sent.
    let slug = alpha.create_petition("Blocked news", true).await;
    wait_queue_empty(&alpha).await;
    assert_eq!(metric(&alpha, "signons_federation_deliveries_total{result=\"refused\"}").await, 1);
    assert_eq!(metric(&alpha, "signons_federation_deliveries_total{result=\"sent\"}").await, sent);
    beta.public_api().get(&format!("/petitions/{slug}@{alpha_host}")).await.expect(404);
    assert_eq!(received_count(&beta).await, received);

    // A request claiming a key of the blocked domain is refused without any fetch.
    let r = send(
        beta.public_api()
            .client
            .post(format!("{}/inbox", beta.url))
            .header("content-type", "application/activity+json")
            .header("signature", format!("keyId=\"{}/actor#main-key\",algorithm=\"rsa-sha256\"", alpha.url))
            .body("not even JSON"),
    )
    .await;
    r.expect_error(403, "blocked");

    // Lifting the block lets the next petition through.
    let rule = alpha_host.clone();
    beta.state.db.write_async(move |conn| policy::set_rule(conn, &rule, None)).await.unwrap();
    let next = alpha.create_petition("After the block", true).await;
    remote_petition(&beta, &format!("{next}@{alpha_host}"), "the petition after the block", |_| true).await;

    // In allow-list mode, a domain not listed is refused the same way.
    let gamma = instance(backend).await;
    alpha.state.db.write_async(|conn| policy::set_mode(conn, policy::Mode::Allowlist)).await.unwrap();
    let data = gamma.state.federation.to_request_data();
    let actor = follows::resolve_followable(&alpha.url, &data).await.expect("alpha can be fetched");
    let urls = data.urls.clone();
    gamma.state.db.write_async(move |conn| follows::follow(conn, &urls, &actor)).await.unwrap();
    gamma.state.fed().wake.notify_one();
    wait_queue_empty(&gamma).await;
    assert_eq!(following_states(&gamma).await, ["pending"], "alpha refused the follow");
    assert!(followers_of(&alpha, &format!("{}/actor", alpha.url)).await.iter().all(|f| !f.contains(&host(&gamma))));
}

async fn milestones_and_counts_reach_followers(backend: Backend) {
    let alpha = instance(backend).await;
    let beta = instance(backend).await;
    follow(&beta, &alpha.url).await;
    let slug = alpha
        .create_petition_with(json!({
            "title": "Three is enough",
            "target": "The board",
            "description": "A small goal, to see the milestone arrive.",
            "goal": 2,
            "publish": true,
        }))
        .await;
    let handle = format!("{slug}@{}", host(&alpha));
    // The organizers wrote ahead what to say at the goal.
    let message = json!({ "at": 2, "text": "We hand it to the board on **Monday**." });
    let set = alpha.api().await.post(&format!("/petitions/{slug}/milestones"), &message).await.expect(200).json();
    assert_eq!(set["milestones"][0]["at"], 2, "{set}");
    remote_petition(&beta, &handle, "the petition", |_| true).await;
    for (name, email) in [("Ada", "ada@example.org"), ("Grace", "grace@example.org")] {
        let mail = alpha.sign_and_read_email(&slug, name, email).await;
        alpha.browser().follow_and_press(&mail.confirm_link(&alpha.url)).await.expect(200);
    }
    let p = remote_petition(&beta, &handle, "the new count and the goal's milestone", |p| {
        p["total_signatures"] == 2 && p["news"].as_array().is_some_and(|n| !n.is_empty())
    })
    .await;
    let news = p["news"][0]["content_html"].as_str().unwrap();
    assert!(news.contains("reached its goal of 2 signatures"), "{news}");
    assert!(news.contains("We hand it to the board on <strong>Monday</strong>."), "{news}");
    // The goal reached, the home page shows the next step (5), and tells other servers so.
    assert_eq!(p["percent"], 40);
}

async fn discovery_and_content_negotiation(backend: Backend) {
    let app = instance(backend).await;
    let slug = app.create_petition("Save the park", true).await;
    let draft = app.create_petition("Not yet", false).await;
    let h = host(&app);
    let api = app.public_api();
    let get = |path: String, accept: &'static str| {
        let client = api.client.clone();
        let url = format!("{}{path}", app.url);
        async move { send(client.get(url).header("accept", accept)).await }
    };

    let wf = get(format!("/.well-known/webfinger?resource=acct:{slug}@{h}"), "application/jrd+json").await;
    let wf = wf.expect(200).json();
    assert_eq!(wf["subject"], format!("acct:{slug}@{h}"));
    let self_link = wf["links"].as_array().unwrap().iter().find(|l| l["rel"] == "self").unwrap();
    assert_eq!(self_link["href"], format!("{}/p/{slug}", app.url));
    assert_eq!(self_link["type"], "application/activity+json");
    let org = get(format!("/.well-known/webfinger?resource=acct:{ORGANIZATION}@{h}"), "*/*").await.expect(200).json();
    assert_eq!(org["links"][0]["href"], format!("{}/o/{ORGANIZATION}", app.url));
    for missing in [format!("acct:{draft}@{h}"), format!("acct:{slug}@elsewhere.example"), "acct:nobody".into()] {
        get(format!("/.well-known/webfinger?resource={missing}"), "*/*").await.expect(404);
    }

    // The same URL: a page for browsers, JSON-LD for ActivityPub.
    get(format!("/p/{slug}"), "text/html").await.expect(200).contains("<html").contains(&format!("@{slug}@{h}"));
    let actor = get(format!("/p/{slug}"), "application/activity+json").await;
    assert_eq!(actor.expect(200).header("content-type"), Some("application/activity+json"));
    let actor = actor.json();
    assert_eq!(actor["type"], "Group");
    assert_eq!(actor["preferredUsername"], slug.as_str());
    assert_eq!(actor["signatureCount"], 0);
    assert_eq!(actor["signatureGoal"], 100);
    assert_eq!(actor["status"], "open");
    assert_eq!(actor["target"], "The city council");
    // Lemmy reads `attributedTo` as the community's moderators (one URL per community); the
    // organization is our `organization`, and the moderators collection lists it.
    assert_eq!(actor["attributedTo"], format!("{}/p/{slug}/moderators", app.url));
    assert_eq!(actor["organization"], format!("{}/o/{ORGANIZATION}", app.url));
    let moderators = get(format!("/p/{slug}/moderators"), "application/activity+json").await.expect(200).json();
    assert_eq!(moderators["type"], "OrderedCollection");
    assert_eq!(moderators["orderedItems"], json!([format!("{}/o/{ORGANIZATION}", app.url)]));
    get(format!("/p/{draft}/moderators"), "application/activity+json").await.expect(404);
    assert!(actor["summary"].as_str().unwrap().contains("0 / 100"), "Lemmy shows only the summary");
    assert_eq!(actor["attachment"][0]["value"], "0 / 100");
    assert!(actor["publicKey"]["publicKeyPem"].as_str().unwrap().starts_with("-----BEGIN PUBLIC KEY-----"));
    assert!(actor["@context"].as_array().unwrap().contains(&json!(format!("{}/ns", app.url))));
    get(format!("/p/{draft}"), "application/activity+json").await.expect(404);
    let org =
        get(format!("/o/{ORGANIZATION}"), "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"")
            .await
            .expect(200)
            .json();
    assert_eq!(org["type"], "Organization");
    get(format!("/o/{ORGANIZATION}"), "text/html").await.expect(200).contains("Save the park").lacks("Not yet");
    let instance_actor = get("/actor".into(), "application/activity+json").await.expect(200).json();
    assert_eq!(instance_actor["type"], "Application");
    let followers = get(format!("/p/{slug}/followers"), "application/activity+json").await.expect(200).json();
    assert_eq!(followers["totalItems"], 0);
    assert_eq!((&followers["type"], &followers["items"]), (&json!("Collection"), &json!([])), "as Lemmy reads it");
    let outbox = get(format!("/o/{ORGANIZATION}/outbox"), "application/activity+json").await.expect(200).json();
    assert_eq!(outbox["orderedItems"][0]["type"], "Create");
    assert!(outbox["orderedItems"][0]["object"]["content"].as_str().unwrap().contains("Save the park"));
    let note_url = outbox["orderedItems"][0]["object"]["id"].as_str().unwrap().to_owned();
    let note_path = note_url.strip_prefix(&app.url).unwrap().to_owned();
    assert_eq!(get(note_path.clone(), "application/activity+json").await.expect(200).json()["type"], "Note");
    assert_eq!(get(note_path, "text/html").await.expect(303).location(), format!("/p/{slug}"));
    // A petition's outbox: its Announces of its organization's Create of each news (what
    // Lemmy backfills a community from).
    post_news(&app, &slug, "Benches too.").await;
    let outbox = get(format!("/p/{slug}/outbox"), "application/activity+json").await.expect(200).json();
    assert_eq!(outbox["totalItems"], 1);
    let item = &outbox["orderedItems"][0];
    assert_eq!((&item["type"], &item["actor"]), (&json!("Announce"), &json!(format!("{}/p/{slug}", app.url))));
    assert_eq!(item["object"]["type"], "Create");
    assert_eq!(item["object"]["actor"], format!("{}/o/{ORGANIZATION}", app.url));
    assert!(item["object"]["object"]["content"].as_str().unwrap().contains("Benches too."));

    let ns = get("/ns".into(), "application/ld+json").await.expect(200).json();
    for term in ["signatureCount", "signatureGoal", "status", "target", "signatureFields"] {
        assert!(ns["@context"][term].is_object(), "{term} in {ns}");
    }
    let links = get("/.well-known/nodeinfo".into(), "application/json").await.expect(200).json();
    let href = links["links"][0]["href"].as_str().unwrap().to_owned();
    assert_eq!(href, format!("{}/nodeinfo/2.1", app.url));
    let info = get("/nodeinfo/2.1".into(), "application/json").await.expect(200).json();
    assert_eq!(info["version"], "2.1");
    assert_eq!(info["software"]["name"], "signons");
    assert_eq!(info["protocols"], json!(["activitypub"]));
    assert_eq!(info["usage"]["users"]["total"], 1);
    assert_eq!(info["usage"]["localPosts"], 1, "drafts are not counted");
    let meta = get("/.well-known/host-meta".into(), "application/xrd+xml").await;
    meta.expect(200).contains(&format!("template=\"{}/.well-known/webfinger?resource={{uri}}\"", app.url));
}

async fn hostile_inbox_requests_get_4xx(backend: Backend) {
    let app = instance(backend).await;
    let slug = app.create_petition("Save the park", true).await;
    let client = app.public_api().client;
    let post = |path: &str, signature: Option<String>, body: Vec<u8>| {
        let mut r =
            client.post(format!("{}{path}", app.url)).header("content-type", "application/activity+json").body(body);
        if let Some(sig) = signature {
            r = r.header("signature", sig);
        }
        send(r)
    };
    let follow = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "http://localhost:1/follows/1",
        "type": "Follow",
        "actor": "http://localhost:1/users/mallory",
        "object": format!("{}/p/{slug}", app.url),
    });
    let body = serde_json::to_vec(&follow).unwrap();
    post("/inbox", None, body.clone()).await.expect_error(401, "unsigned");
    let forged = Some("keyId=\"http://localhost:1/users/mallory#main-key\",signature=\"AAAA\"".to_owned());
    // The key cannot be fetched (nothing listens there): refused, nothing stored.
    let r = post(&format!("/p/{slug}/inbox"), forged.clone(), body).await;
    assert!(r.status.is_client_error(), "{}: {}", r.status, r.body);
    post("/inbox", forged.clone(), b"{not json".to_vec()).await.expect_error(400, "invalid_activity");
    // An inbox takes more than other requests (a `Sign` of 500 attestations), not without end.
    post("/inbox", forged.clone(), vec![b' '; 70 * 1024]).await.expect_error(400, "invalid_activity");
    post("/inbox", forged.clone(), vec![b' '; signons_app::startup::INBOX_BODY_LIMIT + 1]).await.expect(413);
    let unknown =
        json!({ "id": "http://localhost:1/x", "type": "Like", "actor": "http://localhost:1/u", "object": "x" });
    post("/inbox", forged, serde_json::to_vec(&unknown).unwrap()).await.expect(202);
    assert_eq!(received_count(&app).await, 0);
    assert!(followers_of(&app, &format!("{}/p/{slug}", app.url)).await.is_empty());
    // Remote petition addresses that cannot be one: 404, never a failed query.
    for bad in ["a%00b@localhost:1", "save-the-park@local%00host", "save-the-park@", "Bad Slug@x.org"] {
        app.browser().get(&format!("/p/{bad}")).await.expect(404);
        app.public_api().get(&format!("/petitions/{bad}")).await.expect(404);
    }
    let petition_rows: i64 = app.read(|conn| remote_petitions::table.count().get_result(conn)).await;
    assert_eq!(petition_rows, 0);
}

/// Fedify (npm `@fedify/fedify`, installed by `make interop-deps`) resolves the petition by
/// WebFinger, follows it with a signed request, and checks our signatures on the Accept
/// and on the petition's `Announce` of the news note (fetched); see tests/interop/README.md.
async fn fedify_follows_a_petition(backend: Backend) {
    let app = instance(backend).await;
    let slug = app.create_petition("Save the park", true).await;
    let token = app.organizer_token().await;
    let peer_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/interop/peer.mjs");
    let child = tokio::process::Command::new("node")
        .arg(script)
        .env("SIGNONS_URL", &app.url)
        .env("SIGNONS_HANDLE", format!("{slug}@{}", host(&app)))
        .env("SIGNONS_TOKEN", token)
        .env("PEER_PORT", peer_port.to_string())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), child)
        .await
        .expect("the peer finishes within a minute")
        .expect("node runs (make interop-deps installs the peer)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the Fedify peer failed:\n{stdout}\n{stderr}");
    for step in
        ["webfinger ok", "actor ok", "accepted", "note ok", "unsigned rejected", "tampered rejected", "interop ok"]
    {
        assert!(stdout.contains(step), "{step:?} missing from the peer's output:\n{stdout}");
    }
    let followers = followers_of(&app, &format!("{}/p/{slug}", app.url)).await;
    assert_eq!(followers, [format!("http://localhost:{peer_port}/users/tester")]);
}

async fn organizer_posts_news_and_removes_on_the_web(backend: Backend) {
    let alpha = instance(backend).await;
    let beta = instance(backend).await;
    follow(&beta, &alpha.url).await;
    let slug = alpha.create_petition("Save the park", true).await;
    let handle = format!("{slug}@{}", host(&alpha));
    remote_petition(&beta, &handle, "the petition on beta", |_| true).await;
    let organizer = alpha.browser();
    organizer.login(ORGANIZER_EMAIL, ORGANIZER_PASSWORD).await;
    let page = organizer.get(&format!("/p/{slug}")).await;
    page.expect(200).contains(&format!("action=\"/p/{slug}/news\""));
    let csrf = page.csrf();

    // An empty text is refused, and what was typed stays in the form.
    let refused = organizer.post_form(&format!("/p/{slug}/news"), &[("csrf", &csrf), ("text", "  \n ")]).await;
    refused.expect(422).contains("aria-invalid=\"true\"").contains("news-error");
    let forged = organizer.post_form(&format!("/p/{slug}/news"), &[("csrf", "forged"), ("text", "Hi")]).await;
    assert_eq!(forged.status, 403);
    let visitor = alpha.browser();
    let anonymous =
        visitor.post_form(&format!("/p/{slug}/news"), &[("csrf", &visitor.csrf().await), ("text", "Hi")]).await;
    assert!(anonymous.status == 303 || anonymous.status == 401, "{}", anonymous.status);

    let posted =
        organizer.post_form(&format!("/p/{slug}/news"), &[("csrf", &csrf), ("text", "The council **listens**.")]).await;
    assert_eq!(posted.expect(303).location(), format!("/p/{slug}"));
    alpha
        .browser()
        .page_until(&format!("/p/{slug}"), "the news on the petition page", |p| {
            p.body.contains("<strong>listens</strong>")
        })
        .await;
    remote_petition(&beta, &handle, "the news on beta", |p| {
        p["news"][0]["content_html"].as_str().is_some_and(|n| n.contains("<strong>listens</strong>"))
    })
    .await;

    let removed = organizer.post_form(&format!("/p/{slug}/remove"), &[("csrf", &csrf)]).await;
    assert_eq!(removed.expect(303).location(), "/dashboard");
    alpha.browser().get(&format!("/p/{slug}")).await.expect(410);
    organizer.get("/dashboard").await.expect(200).lacks(&format!("/p/{slug}\""));
    eventually("beta to forget the removed petition", DEADLINE, || async {
        (beta.public_api().get(&format!("/petitions/{handle}")).await.status == 404).then_some(())
    })
    .await;
}

/// Following an organization (its URL, or its handle): its launches come as `Create`, its
/// petitions' news as its `Announce` (boost), which the follower fetches.
async fn following_an_organization(backend: Backend) {
    let alpha = instance(backend).await;
    let beta = instance(backend).await;
    alpha.organizer_token().await;
    // Published before the follow: the organization's own is backfilled, another
    // organization's is not.
    let older = alpha.create_petition("Older petition of the organization", true).await;
    let other = alpha.create_organizer("other@example.org", "other-org").await;
    let body = json!({ "title": "Another organization's", "target": "Someone", "goal": 10, "publish": true,
        "description": "Not from the organization beta follows, so not fetched." });
    let not_ours = alpha.api_with_token(&other).post("/petitions", &body).await.expect(201).json();
    let org_url = format!("{}/o/{ORGANIZATION}", alpha.url);
    follow(&beta, &format!("{ORGANIZATION}@{}", host(&alpha))).await;
    assert_eq!(followers_of(&alpha, &org_url).await, [format!("{}/actor", beta.url)]);
    assert!(followers_of(&alpha, &format!("{}/actor", alpha.url)).await.is_empty());
    remote_petition(&beta, &format!("{older}@{}", host(&alpha)), "the organization's older petition", |_| true).await;

    let slug = alpha.create_petition("Trees on every street", true).await;
    let handle = format!("{slug}@{}", host(&alpha));
    remote_petition(&beta, &handle, "the launch, from the organization", |_| true).await;
    post_news(&alpha, &slug, "Forty trees planted.").await;
    let p = remote_petition(&beta, &handle, "the boosted news", |p| {
        p["news"]
            .as_array()
            .is_some_and(|n| n.iter().any(|n| n["content_html"].as_str().unwrap_or("").contains("Forty")))
    })
    .await;
    assert_eq!(p["news"].as_array().unwrap().len(), 1);
    // The news came as the organization's boost, not as the petition's own Create.
    let received: Vec<String> = beta.read(|conn| ap_received::table.select(ap_received::activity_id).load(conn)).await;
    assert!(received.iter().any(|id| id.ends_with("/announce")), "{received:?}");
    assert_eq!(received.iter().filter(|id| id.ends_with("/create")).count(), 1, "only the launch: {received:?}");
    wait_queue_empty(&alpha).await;
    assert_eq!(remote_post_contents(&beta).await.len(), 2, "the launch and the news, once each");
    let not_ours = format!("{}@{}", not_ours["slug"].as_str().unwrap(), host(&alpha));
    beta.public_api().get(&format!("/petitions/{not_ours}")).await.expect(404);

    // The organization renames itself: its followers get its actor's `Update`, and beta's
    // copy of it carries the new name.
    let owner = alpha.browser();
    owner.login(ORGANIZER_EMAIL, ORGANIZER_PASSWORD).await;
    let path = format!("/o/{ORGANIZATION}/edit");
    let csrf = owner.get(&path).await.expect(200).csrf();
    let renamed =
        [("csrf", csrf.as_str()), ("name", "Friends of the Green Park"), ("description", ""), ("website", "")];
    owner.post_form(&path, &renamed).await.expect(303);
    eventually("beta to know the new name", DEADLINE, || async {
        let url = org_url.clone();
        let name: Option<String> = beta
            .read(move |conn| {
                use signons_store::schema::ap_remote_actors as ra;
                ra::table.filter(ra::url.eq(url)).select(ra::name).first(conn)
            })
            .await;
        (name.as_deref() == Some("Friends of the Green Park")).then_some(())
    })
    .await;
}

/// A request signed with alpha's instance key (as alpha's server would sign it) is taken;
/// the same request with its body changed, or signed with a key of another actor, is not.
async fn signatures_are_checked(backend: Backend) {
    let alpha = instance(backend).await;
    let beta = instance(backend).await;
    let data = alpha.state.federation.to_request_data();
    let inbox = format!("{}/actor/inbox", beta.url);
    let follow = |n: u32| {
        serde_json::to_vec(&json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/activities/signature-test-{n}", alpha.url),
            "type": "Follow",
            "actor": format!("{}/actor", alpha.url),
            "object": format!("{}/actor", beta.url),
        }))
        .unwrap()
    };
    let signed = |body: Vec<u8>| {
        let data = data.clone();
        let inbox = inbox.clone();
        let host = host(&beta);
        async move {
            let date = chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S GMT").to_string();
            let builder = reqwest_middleware::ClientWithMiddleware::from(reqwest::Client::new())
                .post(&inbox)
                .header("content-type", "application/activity+json")
                .header("host", host)
                .header("date", date);
            data.sign_request(builder, body.into()).await.expect("signed")
        }
    };
    let client = reqwest::Client::new();
    let deliver = |request: reqwest::Request| {
        let client = client.clone();
        async move {
            let r = client.execute(request).await.expect("beta answers");
            (r.status().as_u16(), r.text().await.unwrap_or_default())
        }
    };

    // Tampered: signed for one body, sent with another.
    let mut tampered = signed(follow(1)).await;
    *tampered.body_mut() = Some(follow(2).into());
    let (status, body) = deliver(tampered).await;
    assert_eq!(status, 401, "{body}");
    // Another actor claims it: the signature is checked with the claimed actor's key.
    let mut impostor: Value = serde_json::from_slice(&follow(3)).unwrap();
    impostor["actor"] = json!(format!("{}/o/{ORGANIZATION}", alpha.url));
    alpha.organizer_token().await;
    let (status, body) = deliver(signed(serde_json::to_vec(&impostor).unwrap()).await).await;
    assert!(status == 401 || status == 400, "{status}: {body}");
    assert!(followers_of(&beta, &format!("{}/actor", beta.url)).await.is_empty());
    assert_eq!(received_count(&beta).await, 0);

    // The genuine one is taken: alpha's instance now follows beta's.
    let (status, body) = deliver(signed(follow(4)).await).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(followers_of(&beta, &format!("{}/actor", beta.url)).await, [format!("{}/actor", alpha.url)]);
}

/// Alpha's instance actor publishes its Ed25519 key as a Multikey; beta fetches it the first
/// time it checks a proof alpha made, keeps it, and takes only what that key signed under
/// that key's id.
async fn proofs_are_checked_with_the_instance_key(backend: Backend) {
    let alpha = instance(backend).await;
    let beta = instance(backend).await;
    let alpha_actor = url::Url::parse(&format!("{}/actor", alpha.url)).unwrap();
    let key = keys::assertion_key(&alpha.state.fed().db, &alpha_actor).await.unwrap();
    let method = url::Url::parse(&format!("{alpha_actor}#ed25519-key")).unwrap();

    // What alpha serves.
    let served =
        send(alpha.public_api().client.get(alpha_actor.as_str()).header("accept", "application/activity+json"))
            .await
            .expect(200)
            .json();
    assert_eq!(
        served["assertionMethod"],
        json!([{
            "id": method.as_str(),
            "type": "Multikey",
            "controller": alpha_actor.as_str(),
            "publicKeyMultibase": key.public_multibase,
        }])
    );
    let context = served["@context"].as_array().unwrap();
    assert!(context.contains(&json!("https://w3id.org/security/multikey/v1")), "{context:?}");
    assert!(context.contains(&json!("https://w3id.org/security/data-integrity/v2")), "{context:?}");

    let document = json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/data-integrity/v2"],
        "id": format!("{}/activities/proof-test", alpha.url),
        "type": "Note",
        "content": "Proven by alpha.",
    });
    let signed = proof::sign(&document, &key.signing, &method, chrono::Utc::now()).unwrap();
    let data = beta.state.federation.to_request_data();
    let refused = |r: Result<(), FederationError>| match r {
        Err(FederationError::Proof(e)) => e,
        other => panic!("expected a refused proof, got {other:?}"),
    };

    // Beta does not know alpha yet: it fetches alpha's actor, keeps its key, and verifies.
    proof::verify_from(&data, &signed, &alpha_actor).await.unwrap();
    let alpha_url = alpha_actor.to_string();
    let stored: Option<String> = beta
        .read(move |conn| {
            ap_remote_actors::table
                .filter(ap_remote_actors::url.eq(alpha_url))
                .select(ap_remote_actors::assertion_keys)
                .first(conn)
        })
        .await;
    let stored: Value = serde_json::from_str(&stored.expect("alpha's keys are kept")).unwrap();
    assert_eq!(stored, json!([{ "id": method.as_str(), "publicKeyMultibase": key.public_multibase }]));

    // The same document changed after it was signed.
    let mut tampered = signed.clone();
    tampered["content"] = json!("Proven by someone else.");
    assert_eq!(refused(proof::verify_from(&data, &tampered, &alpha_actor).await), ProofError::BadSignature);

    // Signed by another key under alpha's key id.
    let forged = proof::sign(&document, &proof::generate_key(), &method, chrono::Utc::now()).unwrap();
    assert_eq!(refused(proof::verify_from(&data, &forged, &alpha_actor).await), ProofError::BadSignature);

    // Alpha's key, but the proof names another actor's key: it is not alpha's.
    let organization = url::Url::parse(&format!("{}/o/{ORGANIZATION}#ed25519-key", alpha.url)).unwrap();
    let elsewhere = proof::sign(&document, &key.signing, &organization, chrono::Utc::now()).unwrap();
    assert!(matches!(refused(proof::verify_from(&data, &elsewhere, &alpha_actor).await), ProofError::UnknownKey(..)));
    // Or a key id alpha does not publish (beta refetches alpha once, and still does not find it).
    let unknown = url::Url::parse(&format!("{alpha_actor}#another-key")).unwrap();
    let unpublished = proof::sign(&document, &key.signing, &unknown, chrono::Utc::now()).unwrap();
    assert!(matches!(refused(proof::verify_from(&data, &unpublished, &alpha_actor).await), ProofError::UnknownKey(..)));
    // A proof from alpha is not one from beta's own instance, nor from another server's actor.
    let beta_actor = url::Url::parse(&format!("{}/actor", beta.url)).unwrap();
    assert!(matches!(refused(proof::verify_from(&data, &signed, &beta_actor).await), ProofError::UnknownKey(..)));
    // The genuine one still verifies after all that.
    proof::verify_from(&data, &signed, &alpha_actor).await.unwrap();
}

/// An attestation from `from` of a signer (by email) for the petition at `petition`.
fn attestation(from: &TestApp, petition: &url::Url, email: &str, name: Option<&str>) -> sign::Attestation {
    sign::Attestation {
        id: url::Url::parse(&format!("{}/attestations/{}", from.url, uuid::Uuid::now_v7())).unwrap(),
        name: name.map(str::to_owned),
        country: Some("France".into()),
        postal_code: None,
        confirmed: chrono::Utc::now(),
        digest: sign::digest(petition, email).unwrap(),
    }
}

/// `from`'s instance actor's `Sign` of these attestations, with its proof.
async fn proven_sign(from: &TestApp, petition: &url::Url, attestations: Vec<sign::Attestation>) -> sign::Proven {
    let urls = from.state.fed().urls.clone();
    let key = keys::assertion_key(&from.state.db, &urls.actor(&signons_federation::LocalRef::Instance)).await.unwrap();
    sign::proven_sign(&urls, &key, petition, attestations).unwrap()
}

/// `from`'s delivery queue sends `sign` to the petition's inbox.
async fn deliver_sign(from: &TestApp, petition: &url::Url, sign: sign::Proven) {
    let inbox = petition_inbox(petition);
    from.state.db.write_async(move |conn| sign::enqueue_sign(conn, &sign, &inbox)).await.unwrap();
    from.state.fed().wake.notify_one();
}

/// `from`'s instance actor sends `Sign` of these attestations to the petition.
async fn send_sign(from: &TestApp, petition: &url::Url, attestations: Vec<sign::Attestation>) {
    let sign = proven_sign(from, petition, attestations).await;
    deliver_sign(from, petition, sign).await;
}

/// `from`'s instance actor withdraws these attestations (`Undo(Sign)`).
async fn send_undo(from: &TestApp, petition: &url::Url, ids: &[url::Url]) {
    let (urls, petition, ids) = (from.state.fed().urls.clone(), petition.clone(), ids.to_vec());
    let inbox = petition_inbox(&petition);
    from.state.db.write_async(move |conn| sign::enqueue_undo(conn, &urls, &petition, &inbox, ids)).await.unwrap();
    from.state.fed().wake.notify_one();
    wait_queue_empty(from).await;
}

fn petition_inbox(petition: &url::Url) -> url::Url {
    petition.join(&format!("{}/inbox", petition.path())).unwrap()
}

/// What alpha's API says of its petition: the count and its breakdown by instance.
pub(crate) async fn breakdown(alpha: &TestApp, slug: &str) -> (i64, Value) {
    let p = alpha.public_api().get(&format!("/petitions/{slug}")).await.json();
    (p["total_signatures"].as_i64().unwrap(), p["signatures_by_instance"].clone())
}

/// Beta and gamma collect signatures for a petition of alpha: alpha counts them under
/// their origin, once per person across instances, ignores replays and withdrawals of
/// another instance's signatures, and takes a blocked instance's signatures out of the
/// count until it is unblocked.
async fn signatures_of_other_instances_count_by_origin(backend: Backend) {
    let alpha = instance(backend).await;
    let beta = instance(backend).await;
    let gamma = instance(backend).await;
    let slug = alpha.create_petition("Signed on three instances", true).await;
    let petition = url::Url::parse(&format!("{}/p/{slug}", alpha.url)).unwrap();
    let (b1, b2) = (
        attestation(&beta, &petition, "ann@example.org", Some("Ann B.")),
        attestation(&beta, &petition, "bob@example.org", None),
    );
    send_sign(&beta, &petition, vec![b1.clone(), b2.clone()]).await;
    // Ann again, through gamma: the same person is not counted twice.
    let (g1, g2) = (
        attestation(&gamma, &petition, "ann@example.org", None),
        attestation(&gamma, &petition, "cat@example.org", None),
    );
    wait_queue_empty(&beta).await;
    send_sign(&gamma, &petition, vec![g1.clone(), g2.clone()]).await;
    let expected = json!({ host(&alpha): 0, host(&beta): 2, host(&gamma): 1 });
    eventually("alpha to count 3 remote signatures", DEADLINE, || async {
        let (total, by) = breakdown(&alpha, &slug).await;
        (total == 3 && by == expected).then_some(())
    })
    .await;
    let kept: Vec<(String, String)> = alpha
        .read(|conn| {
            signons_store::schema::remote_signatures::table
                .select((
                    signons_store::schema::remote_signatures::attestation_id,
                    signons_store::schema::remote_signatures::activity,
                ))
                .load(conn)
        })
        .await;
    assert_eq!(kept.len(), 3, "Ann's second signature is not kept");
    assert!(kept.iter().all(|(_, a)| !a.contains("@example.org")), "no email address is sent: {kept:?}");
    assert!(kept.iter().any(|(_, a)| a.contains("Ann B.")), "the public name is");
    let countries: Vec<Option<String>> = alpha
        .read(|conn| {
            signons_store::schema::remote_signatures::table
                .select(signons_store::schema::remote_signatures::country)
                .load(conn)
        })
        .await;
    assert!(countries.iter().all(Option::is_none), "a country the petition does not ask is not kept: {countries:?}");

    // Alpha's organizers, and only they, list what was received, as received.
    let listed = alpha.api().await.get(&format!("/petitions/{slug}/attestations")).await.json();
    let listed = listed["attestations"].as_array().unwrap().clone();
    assert_eq!(listed.len(), 3);
    assert!(listed.iter().all(|a| a["activity"]["type"] == "Sign" && a["withdrawn"] == false), "{listed:?}");
    alpha.public_api().get(&format!("/petitions/{slug}/attestations")).await.expect_error(401, "unauthorized");
    let other = alpha.create_organizer("other@example.org", "another-association").await;
    alpha.api_with_token(&other).get(&format!("/petitions/{slug}/attestations")).await.expect_error(403, "forbidden");

    // Forged: an attestation changed after the proof was made; a proof by another key;
    // a petition that does not exist. Each changes nothing.
    let mut forged = proven_sign(&beta, &petition, vec![attestation(&beta, &petition, "dan@example.org", None)]).await;
    forged.body["attestations"][0]["digest"] = sign::digest(&petition, "eve@example.org").unwrap().into();
    deliver_sign(&beta, &petition, forged).await;
    let gamma_signed =
        proven_sign(&gamma, &petition, vec![attestation(&beta, &petition, "fay@example.org", None)]).await;
    let mut stolen = proven_sign(&beta, &petition, vec![attestation(&beta, &petition, "fay@example.org", None)]).await;
    stolen.body["proof"] = gamma_signed.body["proof"].clone();
    deliver_sign(&beta, &petition, stolen).await;
    let nowhere = url::Url::parse(&format!("{}/p/no-such-petition", alpha.url)).unwrap();
    let unseen = proven_sign(&beta, &nowhere, vec![attestation(&beta, &nowhere, "gus@example.org", None)]).await;
    deliver_sign(&beta, &nowhere, unseen).await;
    wait_queue_empty(&beta).await;
    let refused = metric(&beta, "signons_federation_deliveries_total{result=\"refused\"}").await;
    assert_eq!(refused, 3, "alpha refused the three with a 4xx");
    let kept: i64 = alpha.read(|conn| signons_store::schema::remote_signatures::table.count().get_result(conn)).await;
    assert_eq!(kept, 3, "nothing forged was kept");

    // A replay (the same attestations in a new Sign) counts nothing.
    send_sign(&beta, &petition, vec![b1.clone()]).await;
    wait_queue_empty(&beta).await;
    // Gamma cannot withdraw beta's signature; beta can.
    send_undo(&gamma, &petition, std::slice::from_ref(&b1.id)).await;
    tokio::time::sleep(Duration::from_millis(1500)).await; // past the snapshot's second
    assert_eq!(breakdown(&alpha, &slug).await.0, 3);
    send_undo(&beta, &petition, std::slice::from_ref(&b1.id)).await;
    eventually("the withdrawal to count", DEADLINE, || async { (breakdown(&alpha, &slug).await.0 == 2).then_some(()) })
        .await;

    // Blocking gamma takes its signature out of the count; unblocking brings it back.
    let gamma_host = host(&gamma);
    alpha
        .state
        .db
        .write_async(move |conn| policy::set_rule(conn, &gamma_host, Some(DomainPolicy::Block)))
        .await
        .unwrap();
    eventually("gamma's signature to leave the count", DEADLINE, || async {
        let (total, by) = breakdown(&alpha, &slug).await;
        (total == 1 && by.get(host(&gamma)).is_none()).then_some(())
    })
    .await;
    let gamma_host = host(&gamma);
    alpha.state.db.write_async(move |conn| policy::set_rule(conn, &gamma_host, None)).await.unwrap();
    eventually("gamma's signature to come back", DEADLINE, || async {
        (breakdown(&alpha, &slug).await.0 == 2).then_some(())
    })
    .await;
}

/// A `Sign` as large as one may be (500 attestations, names at their longest: far more than
/// the 64 KiB other requests may send) is taken whole and counted, each attestation once.
async fn a_full_sign_is_counted(backend: Backend) {
    let alpha = instance(backend).await;
    let beta = instance(backend).await;
    let slug = alpha.create_petition("Signed by a crowd", true).await;
    let petition = url::Url::parse(&format!("{}/p/{slug}", alpha.url)).unwrap();
    let name = "é".repeat(100);
    let attestations: Vec<_> = (0..sign::MAX_ATTESTATIONS)
        .map(|i| attestation(&beta, &petition, &format!("crowd{i}@example.org"), Some(&name)))
        .collect();
    let sign = proven_sign(&beta, &petition, attestations).await;
    let size = sign.body.to_string().len();
    assert!(size > 2 * signons_app::startup::BODY_LIMIT, "{size} bytes");
    deliver_sign(&beta, &petition, sign).await;
    wait_queue_empty(&beta).await;
    assert_eq!(metric(&beta, "signons_federation_deliveries_total{result=\"refused\"}").await, 0);
    eventually("alpha to count the 500", DEADLINE, || async {
        let (total, by) = breakdown(&alpha, &slug).await;
        (total == sign::MAX_ATTESTATIONS as i64 && by[host(&beta)] == sign::MAX_ATTESTATIONS).then_some(())
    })
    .await;
    let kept: i64 = alpha.read(|conn| signons_store::schema::remote_signatures::table.count().get_result(conn)).await;
    assert_eq!(kept, sign::MAX_ATTESTATIONS as i64);
    // The Sign is kept once, not once per attestation; each one is still listed with it.
    let copies: i64 = alpha
        .read(|conn| {
            use signons_store::schema::remote_signatures as rs;
            rs::table.filter(rs::activity.ne("")).count().get_result(conn)
        })
        .await;
    assert_eq!(copies, 1);
    let listed = alpha.api().await.get(&format!("/petitions/{slug}/attestations")).await.json();
    let listed = listed["attestations"].as_array().unwrap().clone();
    assert!(!listed.is_empty());
    assert!(
        listed.iter().all(|a| a["activity"]["type"] == "Sign"
            && a["activity"]["attestations"].as_array().is_some_and(|x| x.len() == sign::MAX_ATTESTATIONS)),
        "every attestation is listed with the Sign that carried it"
    );
}

/// The open petitions alpha published before beta followed it are listed on beta once the
/// follow is accepted, beside beta's own, marked with alpha's host and found by beta's
/// search; drafts and closed petitions are not fetched. Alpha serves them a page of 20 at
/// a time; following again fetches them again and changes nothing.
async fn petitions_published_before_a_follow_are_backfilled(backend: Backend) {
    let alpha = instance(backend).await;
    let beta = instance(backend).await;
    let oak = alpha
        .create_petition_with(json!({
            "title": "Save the old oak",
            "target": "The city council",
            "description": "The oak of the market square is four hundred years old: keep it standing.",
            "goal": 500,
            "publish": true,
        }))
        .await;
    // Enough for a second page of alpha's collection.
    for n in 0..21 {
        alpha.create_petition(&format!("Bench number {n} in the park"), true).await;
    }
    alpha.create_petition("Still a draft", false).await;
    let closed = alpha.create_petition("Already decided", true).await;
    alpha.api().await.post(&format!("/petitions/{closed}/close"), &json!({})).await.expect(200);
    beta.create_petition("Bike lanes on the bridge", true).await;
    let oak_handle = format!("{oak}@{}", host(&alpha));
    beta.browser().get("/petitions?q=oak").await.expect(200).contains("No petition matches").lacks(&oak_handle);

    // Alpha's collection: every open petition, newest first, 20 a page.
    let get_json = |url: String| {
        let client = alpha.public_api().client;
        async move { send(client.get(url).header("accept", "application/activity+json")).await.expect(200).json() }
    };
    let actor = get_json(format!("{}/actor", alpha.url)).await;
    assert_eq!(actor["petitions"], format!("{}/actor/petitions", alpha.url));
    let collection = get_json(format!("{}/actor/petitions", alpha.url)).await;
    assert_eq!((&collection["type"], &collection["totalItems"]), (&json!("OrderedCollection"), &json!(22)));
    let first = get_json(collection["first"].as_str().unwrap().to_owned()).await;
    assert_eq!(first["orderedItems"].as_array().unwrap().len(), 20);
    assert_eq!(first["orderedItems"][0]["name"], "Bench number 20 in the park");
    let second = get_json(first["next"].as_str().unwrap().to_owned()).await;
    let last: Vec<&str> =
        second["orderedItems"].as_array().unwrap().iter().map(|g| g["name"].as_str().unwrap()).collect();
    assert_eq!(last, ["Bench number 0 in the park", "Save the old oak"]);
    assert!(second.get("next").is_none(), "the last page");

    follow(&beta, &alpha.url).await;
    let remote_rows = || beta.read(|conn| remote_petitions::table.count().get_result::<i64>(conn));
    eventually("beta to backfill alpha's open petitions", DEADLINE, || async {
        (remote_rows().await == 22).then_some(())
    })
    .await;

    // Listed beside beta's own petition (on two pages of 20), marked with alpha's host,
    // linking to its page here.
    let first_page = beta.browser().get("/petitions").await;
    first_page.expect(200).contains("23 petitions").contains("Bike lanes on the bridge").contains("rel=\"next\"");
    first_page.contains(&format!("on {}", host(&alpha)));
    let second_page = beta.browser().get("/petitions?page=2").await;
    second_page.expect(200).contains("Page 2 of 2").contains("rel=\"prev\"");
    let both = format!("{}{}", first_page.body, second_page.body);
    assert!(both.contains(&format!("href=\"/p/{oak_handle}\"")), "{both}");
    assert!(!both.contains("Still a draft") && !both.contains("Already decided"), "{both}");
    beta.browser().get("/").await.expect(200).contains("href=\"/petitions\"");
    let p = remote_petition(&beta, &oak_handle, "the oak petition", |_| true).await;
    assert_eq!((&p["title"], &p["goal"]), (&json!("Save the old oak"), &json!(500)));
    beta.browser().get(&format!("/p/{oak_handle}")).await.expect(200).contains("four hundred years old");

    // Beta's search finds it by title or text, whatever the case; other words do not.
    for q in ["OLD OAK", "hundred years"] {
        let found = beta.browser().get(&format!("/petitions?q={}", q.replace(' ', "+"))).await;
        found.expect(200).contains(&format!("href=\"/p/{oak_handle}\"")).contains(&format!("on {}", host(&alpha)));
        found.contains("1 petition matches").lacks("Bike lanes on the bridge").lacks("Bench number");
    }
    let none = beta.browser().get("/petitions?q=submarine").await;
    none.expect(200).contains("No petition matches “submarine”").lacks(&oak_handle);
    let bridge = beta.browser().get("/petitions?q=bridge").await;
    bridge.expect(200).contains("Bike lanes on the bridge").lacks(&oak_handle);

    // Following again fetches again: the same rows, refreshed, none added.
    let refreshed = || {
        let oak = oak.clone();
        beta.read(move |conn| {
            remote_petitions::table
                .filter(remote_petitions::slug.eq(oak))
                .select(remote_petitions::updated_at)
                .first::<chrono::NaiveDateTime>(conn)
        })
    };
    let before = refreshed().await;
    follow(&beta, &alpha.url).await;
    eventually("the second backfill", DEADLINE, || async { (refreshed().await > before).then_some(()) }).await;
    assert_eq!(remote_rows().await, 22);
    beta.browser().get("/petitions?q=oak").await.expect(200).contains("1 petition matches");
}
