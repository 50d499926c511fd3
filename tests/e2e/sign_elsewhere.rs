//! Signing, on one's own instance, a petition that lives on another: beta's and gamma's
//! signers sign a petition of alpha on their own instance, confirm by email there, and
//! alpha counts them under their origin. What leaves the signer's instance is only the
//! attestation; the answer (counted, or refused with a reason) reaches the signer.

use crate::federation::{breakdown, follow, host, instance, remote_petition, wait_queue_empty};
use crate::helpers::*;
use diesel::prelude::*;
use signons_store::schema::{remote_signatures, sent_signatures};
use std::time::Duration;

on_both_backends! {
    signed_elsewhere_counts_at_home => signed_elsewhere_counts_at_home_sqlite, signed_elsewhere_counts_at_home_postgres;
    signatures_wait_while_home_is_down => signatures_wait_while_home_is_down_sqlite, signatures_wait_while_home_is_down_postgres;
    partners_collect_and_tell_their_signers => partners_collect_and_tell_their_signers_sqlite, partners_collect_and_tell_their_signers_postgres;
    news_from_home_reaches_our_signers => news_from_home_reaches_our_signers_sqlite, news_from_home_reaches_our_signers_postgres;
}

/// Signs `handle` (a petition of another instance) through `app`'s form, as a visitor
/// would, and returns the confirmation email.
pub(crate) async fn sign_here(
    app: &TestApp,
    browser: &Browser,
    handle: &str,
    fields: &[(&str, &str)],
) -> crate::mail::Mail {
    let page = browser.get(&format!("/p/{handle}")).await;
    page.expect(200).contains(&format!("action=\"/p/{handle}/sign\""));
    let csrf = page.csrf();
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    let r = browser.post_form(&format!("/p/{handle}/sign"), &form).await;
    r.expect(303);
    assert_eq!(r.location(), format!("/p/{handle}/thanks"));
    let email = fields.iter().find(|(k, _)| *k == "email").map(|(_, v)| *v).unwrap();
    app.next_email_to(email).await
}

/// Confirms through the emailed link; returns the page the button leads to.
pub(crate) async fn confirm(app: &TestApp, browser: &Browser, mail: &crate::mail::Mail) -> Response {
    browser.follow_and_press(&mail.confirm_link(&app.url)).await
}

async fn sent_rows(app: &TestApp) -> Vec<(String, Option<String>, Option<String>)> {
    app.read(|conn| {
        sent_signatures::table
            .order(sent_signatures::created_at)
            .select((sent_signatures::email, sent_signatures::answer, sent_signatures::reason))
            .load(conn)
    })
    .await
}

async fn signed_elsewhere_counts_at_home(backend: Backend) {
    let alpha = instance(backend).await;
    let beta = instance(backend).await;
    let gamma = instance(backend).await;
    follow(&beta, &alpha.url).await;
    follow(&gamma, &alpha.url).await;
    let slug = alpha
        .create_petition_with(serde_json::json!({
            "title": "Signed on three instances", "target": "The council",
            "description": "Counted at home, whatever instance its signers use.", "goal": 100, "publish": true, "ask_country": true,
        }))
        .await;
    let handle = format!("{slug}@{}", host(&alpha));
    remote_petition(&beta, &handle, "the petition to reach beta", |_| true).await;
    remote_petition(&gamma, &handle, "the petition to reach gamma", |_| true).await;

    // The form asks what the petition asks (country), and no comment: an attestation has none.
    let ann = beta.browser();
    let page = ann.get(&format!("/p/{handle}")).await;
    page.expect(200).contains("name=\"country\"").lacks("name=\"comment\"").lacks("name=\"postal_code\"");
    // Invalid input is refused here, before anything is stored or sent.
    let csrf = page.csrf();
    let bad = ann.post_form(&format!("/p/{handle}/sign"), &[("csrf", &csrf), ("name", "Ann"), ("email", "nope")]).await;
    // That address opened again leads back to the petition.
    let again = ann.get(&format!("/p/{handle}/sign")).await;
    again.expect(303);
    assert_eq!(again.location(), format!("/p/{handle}"));
    bad.expect(422).contains("id=\"email-error\"").contains("id=\"country-error\"").contains("value=\"Ann\"");

    // Ann signs on beta, with a comment and a postal code the petition does not ask.
    let fields = [
        ("name", "Ann Beta"),
        ("email", "Ann.Beta+petitions@fastmail.com"),
        ("country", "France"),
        ("postal_code", "75011"),
        ("comment", "a secret comment"),
        ("public", "on"),
    ];
    let mail = sign_here(&beta, &ann, &handle, &fields).await;
    assert!(mail.subject.contains("Signed on three instances"), "{}", mail.subject);
    // Nothing is counted before she confirms.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(breakdown(&alpha, &slug).await.0, 0);
    let done = confirm(&beta, &ann, &mail).await;
    done.expect(200).contains(&host(&alpha));

    // Bob on gamma, in French, keeps his name private.
    let bob = gamma.browser_in("fr");
    let bob_mail = sign_here(
        &gamma,
        &bob,
        &handle,
        &[("name", "Bob Gamma"), ("email", "bob@example.org"), ("country", "Belgique")],
    )
    .await;
    confirm(&gamma, &bob, &bob_mail).await.expect(200);
    let expected = serde_json::json!({ host(&alpha): 0, host(&beta): 1, host(&gamma): 1 });
    eventually("alpha to count both", DEADLINE, || async {
        let (total, by) = breakdown(&alpha, &slug).await;
        (total == 2 && by == expected).then_some(())
    })
    .await;

    // Alpha's page shows the breakdown.
    alpha
        .browser()
        .page_until(&format!("/p/{slug}"), "the breakdown", |p| p.body.contains("Signed on:"))
        .await
        .contains(&format!("{}: 1", host(&beta)))
        .contains(&format!("{}: 1", host(&gamma)))
        // Alpha itself collected none: not listed with a zero.
        .lacks(&format!("{}: 0", host(&alpha)))
        .contains("Ann Beta");

    // What reached alpha: no email address, no comment, no postal code; the public name
    // and the country the petition asks.
    let received: Vec<(String, Option<String>, Option<String>)> = alpha
        .read(|conn| {
            remote_signatures::table
                .order(remote_signatures::received_at)
                .select((remote_signatures::activity, remote_signatures::display_name, remote_signatures::country))
                .load(conn)
        })
        .await;
    assert_eq!(received.len(), 2);
    for (activity, _, _) in &received {
        for secret in [
            "example.org",
            "fastmail.com",
            "Ann.Beta",
            "a secret comment",
            "75011",
            "postalCode",
            "comment",
            "email",
            "optIn",
        ] {
            assert!(!activity.contains(secret), "{secret} left the signer's instance: {activity}");
        }
    }
    let names: Vec<_> = received.iter().map(|(_, n, c)| (n.clone(), c.clone())).collect();
    assert!(names.contains(&(Some("Ann Beta".into()), Some("France".into()))), "{names:?}");
    assert!(names.contains(&(None, Some("Belgique".into()))), "Bob's name stays private: {names:?}");

    // Beta learns that alpha counted Ann; the confirm link says so.
    eventually("beta to record alpha's Accept", DEADLINE, || async {
        (sent_rows(&beta).await.first().and_then(|r| r.1.clone()).as_deref() == Some("accepted")).then_some(())
    })
    .await;
    let link = mail.confirm_link(&beta.url);
    ann.get(link.strip_prefix(&beta.url).unwrap()).await.expect(200).contains("counted your signature");

    // Ann again, on gamma (another address form of the same mailbox): gamma confirms, alpha
    // refuses, and gamma tells her why, in her language, by email and on the confirm page.
    let ann_fr = gamma.browser_in("fr");
    let again = sign_here(
        &gamma,
        &ann_fr,
        &handle,
        &[("name", "Ann"), ("email", "ann.beta@fastmail.com"), ("country", "France")],
    )
    .await;
    confirm(&gamma, &ann_fr, &again).await.expect(200);
    let refusal = gamma.next_email_to("ann.beta@fastmail.com").await;
    assert!(refusal.subject.contains("n'a pas été comptée"), "{}", refusal.subject);
    assert!(refusal.text().contains("déjà signé"), "{}", refusal.text());
    let link = again.confirm_link(&gamma.url);
    ann_fr
        .get(link.strip_prefix(&gamma.url).unwrap())
        .await
        .expect(200)
        .contains("pas compté votre signature")
        .contains("Votre signature n’a pas été comptée");
    assert_eq!(breakdown(&alpha, &slug).await.0, 2, "counted once");

    // Cat signed on alpha itself; signing again through beta is refused by alpha.
    let signer = |name: &str, email: &str| serde_json::json!({ "name": name, "email": email, "country": "France" });
    alpha.sign_with(&slug, signer("Cat", "cat@example.org")).await.expect(202);
    let cat_mail = alpha.next_email_to("cat@example.org").await;
    let cat = alpha.browser();
    cat.follow_and_press(&cat_mail.confirm_link(&alpha.url)).await.expect(200);
    eventually("alpha to count Cat", DEADLINE, || async { (breakdown(&alpha, &slug).await.0 == 3).then_some(()) })
        .await;
    let cat_beta = beta.browser();
    let via_beta =
        sign_here(&beta, &cat_beta, &handle, &[("name", "Cat"), ("email", "cat@example.org"), ("country", "France")])
            .await;
    confirm(&beta, &cat_beta, &via_beta).await.expect(200);
    let refusal = beta.next_email_to("cat@example.org").await;
    assert!(refusal.text().contains("already signed this petition"), "{}", refusal.text());
    // Bob, counted through gamma, signs on alpha too: alpha does not count him again.
    alpha.sign_with(&slug, signer("Bob", "bob@example.org")).await.expect(202);
    let bob_here = alpha.next_email_to("bob@example.org").await;
    let bob_alpha = alpha.browser();
    bob_alpha
        .follow_and_press(&bob_here.confirm_link(&alpha.url))
        .await
        .expect(200)
        .contains("through another instance");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(breakdown(&alpha, &slug).await.0, 3, "Ann, Bob and Cat, once each");

    // Signing again on beta changes nothing there but an "already signed" email.
    let repeat = sign_here(&beta, &ann, &handle, &fields).await;
    assert!(repeat.subject.contains("already signed"), "{}", repeat.subject);

    // Ann withdraws on beta: the count goes down at alpha, and her data is gone from beta.
    let withdraw = repeat.withdraw_link(&beta.url);
    ann.follow_and_press(&withdraw).await.expect(200);
    eventually("the withdrawal to reach alpha", DEADLINE, || async {
        let (total, by) = breakdown(&alpha, &slug).await;
        (total == 2 && by.get(host(&beta)).is_none_or(|n| n == 0)).then_some(())
    })
    .await;
    assert!(
        sent_rows(&beta).await.iter().all(|(email, _, _)| email != "Ann.Beta+petitions@fastmail.com"),
        "beta keeps nothing of Ann"
    );
}

/// Alpha is down while beta's signers confirm: beta keeps their signatures and sends them
/// when alpha is back, in few deliveries, each counted once.
async fn signatures_wait_while_home_is_down(backend: Backend) {
    let mut alpha = instance(backend).await;
    let beta = instance(backend).await;
    follow(&beta, &alpha.url).await;
    let slug = alpha.create_petition("Counted once alpha is back", true).await;
    let handle = format!("{slug}@{}", host(&alpha));
    remote_petition(&beta, &handle, "the petition to reach beta", |_| true).await;
    wait_queue_empty(&alpha).await;
    alpha.stop().await;
    for i in 0..5 {
        let browser = beta.browser();
        let email = format!("signer{i}@example.org");
        let name = format!("Signer {i}");
        let mail = sign_here(&beta, &browser, &handle, &[("name", &name), ("email", &email)]).await;
        confirm(&beta, &browser, &mail).await.expect(200).contains(&host(&alpha));
    }
    // Beta tries, fails, and keeps them.
    eventually("beta to try alpha and fail", DEADLINE, || async {
        let rows: Vec<(i32, Option<String>)> = beta
            .read(|conn| {
                signons_store::schema::jobs::table
                    .select((signons_store::schema::jobs::attempts, signons_store::schema::jobs::last_error))
                    .load(conn)
            })
            .await;
        rows.iter().any(|(attempts, error)| *attempts > 0 && error.is_some()).then_some(())
    })
    .await;
    alpha.start_again().await;
    eventually("alpha to count the five", DEADLINE, || async { (breakdown(&alpha, &slug).await.0 == 5).then_some(()) })
        .await;
    wait_queue_empty(&beta).await;
    let mut signs: Vec<String> =
        alpha.read(|conn| remote_signatures::table.select(remote_signatures::sign_activity_id).load(conn)).await;
    signs.dedup();
    let signs = signs.len();
    assert!(signs <= 2, "the five travel together, not one per signature: {signs} Signs");
    eventually("beta to record alpha's answers", DEADLINE, || async {
        sent_rows(&beta).await.iter().all(|r| r.1.as_deref() == Some("accepted")).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(breakdown(&alpha, &slug).await.0, 5, "each counted once");
}

/// A coalition: alpha's petition names beta's organization as a partner. Beta shows the
/// partner, and its signers ask news from it; the partner's news reaches them by email,
/// and alpha takes it as the petition's news (which its followers get). Nobody else can
/// post news for the petition that way.
async fn partners_collect_and_tell_their_signers(backend: Backend) {
    let alpha = instance(backend).await;
    let beta = instance(backend).await;
    let gamma = instance(backend).await;
    let partner = beta.create_organizer("green@beta.example", "green-beta").await;
    let stranger = gamma.create_organizer("nobody@gamma.example", "not-a-partner").await;
    follow(&beta, &alpha.url).await;
    follow(&gamma, &alpha.url).await;
    let slug = alpha.create_petition("Carried by a coalition", true).await;
    // Beta has it before it names partners: the change then reaches beta as an `Update`.
    let handle = format!("{slug}@{}", host(&alpha));
    remote_petition(&beta, &handle, "the petition to reach beta", |_| true).await;
    let partners = serde_json::json!({ "partners": [format!("green-beta@{}", host(&beta))] });
    let named = alpha.api().await.put(&format!("/petitions/{slug}/partners"), &partners).await;
    named.expect(200);
    assert_eq!(named.json()["partners"][0]["handle"], format!("green-beta@{}", host(&beta)));
    alpha.browser().page_until(&format!("/p/{slug}"), "the partner", |p| p.body.contains("Carried with:")).await;
    // Bad input: an unknown local organization, too many partners, another organization's petition.
    let unknown = serde_json::json!({ "partners": ["no-such-organization"] });
    alpha.api().await.put(&format!("/petitions/{slug}/partners"), &unknown).await.expect(400);
    let many: Vec<String> = (0..21).map(|i| format!("org-{i}")).collect();
    let many = serde_json::json!({ "partners": many });
    alpha.api().await.put(&format!("/petitions/{slug}/partners"), &many).await.expect(400);
    let other = alpha.create_organizer("other@alpha.example", "another-association").await;
    alpha.api_with_token(&other).put(&format!("/petitions/{slug}/partners"), &partners).await.expect(403);

    // Beta shows the partner, and its opt-in is for the partner.
    let signer = beta.browser();
    signer
        .page_until(&format!("/p/{handle}"), "the partner on beta", |p| p.body.contains("green-beta@"))
        .await
        .contains("Send me news from green-beta");
    let fields = [("name", "Noa"), ("email", "noa@example.org"), ("opt_in", "on")];
    let mail = sign_here(&beta, &signer, &handle, &fields).await;
    confirm(&beta, &signer, &mail).await.expect(200);
    let quiet = [("name", "Quiet"), ("email", "quiet@example.org")];
    let quiet_mail = sign_here(&beta, &signer, &handle, &quiet).await;
    confirm(&beta, &signer, &quiet_mail).await.expect(200);

    // The partner posts news: Noa gets it, Quiet does not; alpha shows it on the petition.
    let news = serde_json::json!({ "text": "We handed the petition to the **mayor**." });
    let posted = beta.api_with_token(&partner).post(&format!("/petitions/{handle}/news"), &news).await;
    assert_eq!(posted.expect(201).json()["emailed"], 1);
    let email = beta.next_email_to("noa@example.org").await;
    assert!(email.text().contains("We handed the petition to the **mayor**."), "{}", email.text());
    alpha
        .browser()
        .page_until(&format!("/p/{slug}"), "the partner's news", |p| p.body.contains("handed the petition"))
        .await
        .contains("<strong>green-beta</strong>");
    // Gamma's organization is no partner: refused on gamma, and alpha would not take it.
    let refused = gamma.api_with_token(&stranger).post(&format!("/petitions/{handle}/news"), &news).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    beta.wait_mail_queue_empty().await;
    assert!(
        beta.outbox_emails().iter().all(|(_, m)| !(m.to == "quiet@example.org" && m.subject.starts_with("News"))),
        "no news for a signer who did not ask"
    );
    // Alpha relays it as the petition's news, which comes back to beta: Noa asked the
    // partner's news, and has it once.
    wait_queue_empty(&alpha).await;
    beta.wait_mail_queue_empty().await;
    let to_noa =
        beta.outbox_emails().into_iter().filter(|(_, m)| m.to == "noa@example.org" && m.subject.starts_with("News"));
    assert_eq!(to_noa.count(), 1, "the partner's news once, not again as the petition's");
}

/// The news emails `app` sent to `to` about the petition `title`.
fn news_to(app: &TestApp, to: &str, title: &str) -> Vec<crate::mail::Mail> {
    app.outbox_emails()
        .into_iter()
        .map(|(_, m)| m)
        .filter(|m| m.to == to && m.subject.ends_with(title) && !m.subject.contains("Confirm"))
        .filter(|m| m.subject.starts_with("News") || m.subject.starts_with("Nouvelles"))
        .collect()
}

/// The news alpha's organizers post on their petition reaches the signers beta collected
/// for it who asked news, emailed by beta (which keeps their addresses), in each signer's
/// language, with a one-click unsubscribe that works on beta; nobody who did not ask,
/// nobody twice, and nothing after unsubscribing.
async fn news_from_home_reaches_our_signers(backend: Backend) {
    let alpha = instance(backend).await;
    let beta = instance(backend).await;
    follow(&beta, &alpha.url).await;
    let title = "Lights on the towpath";
    let slug = alpha.create_petition(title, true).await;
    let handle = format!("{slug}@{}", host(&alpha));
    remote_petition(&beta, &handle, "the petition to reach beta", |_| true).await;
    let (noa, zoe, quiet) = ("noa@example.org", "zoe@example.org", "quiet@example.org");
    let english = beta.browser();
    english.get(&format!("/p/{handle}")).await.expect(200).contains("Send me news of this petition");
    let mail = sign_here(&beta, &english, &handle, &[("name", "Noa"), ("email", noa), ("opt_in", "on")]).await;
    confirm(&beta, &english, &mail).await.expect(200);
    let french = beta.browser_in("fr");
    let mail = sign_here(&beta, &french, &handle, &[("name", "Zoé"), ("email", zoe), ("opt_in", "on")]).await;
    confirm(&beta, &french, &mail).await.expect(200);
    let mail = sign_here(&beta, &english, &handle, &[("name", "Quiet"), ("email", quiet)]).await;
    confirm(&beta, &english, &mail).await.expect(200);
    // Asked news, never confirmed.
    sign_here(&beta, &english, &handle, &[("name", "Pending"), ("email", "pending@example.org"), ("opt_in", "on")])
        .await;

    let news = serde_json::json!({ "text": "The canal trust **agreed** to light the towpath." });
    let posted = alpha.api().await.post(&format!("/petitions/{slug}/news"), &news).await;
    let note_url = posted.expect(201).json()["id"].as_str().unwrap().to_owned();
    let to_noa = beta.next_email_to(noa).await;
    let to_zoe = beta.next_email_to(zoe).await;
    assert_eq!(to_noa.subject, format!("News: {title}"));
    assert_eq!(to_zoe.subject, format!("Nouvelles\u{a0}: {title}"), "in the signer's language");
    assert!(to_zoe.text().contains("Bonjour Zoé"), "{}", to_zoe.text());
    assert!(to_noa.text().contains("agreed"), "{}", to_noa.text());
    assert!(to_noa.text().contains("to light the towpath."), "{}", to_noa.text());
    assert!(to_noa.text().contains("The canal trust agreed to light the towpath."), "{}", to_noa.text());
    assert!(!to_noa.text().contains("<strong>") && !to_noa.text().contains("**"), "plain text: {}", to_noa.text());
    assert!(to_noa.html().contains("<strong>agreed</strong>"), "{}", to_noa.html());
    assert!(to_noa.text().contains(&format!("{}/p/{handle}", beta.url)), "a link to the petition here");
    // Its organization by its name, as alpha's actor says it, not by its address.
    let speaker: String = alpha
        .read(|conn| {
            use signons_store::schema::organizations as o;
            o::table.filter(o::slug.eq(ORGANIZATION)).select(o::name).first::<String>(conn)
        })
        .await;
    assert!(to_noa.text().contains(&format!("{speaker} has news about “{title}”")), "{}", to_noa.text());
    // Beta's own links: alpha has no part in them.
    let (noa_link, zoe_link) = (to_noa.unsubscribe_link(&beta.url), to_zoe.unsubscribe_link(&beta.url));
    wait_queue_empty(&alpha).await;
    beta.wait_mail_queue_empty().await;
    assert!(news_to(&beta, quiet, title).is_empty(), "Quiet did not ask news");
    assert!(news_to(&beta, "pending@example.org", title).is_empty(), "Pending never confirmed");
    assert!(alpha.outbox_emails().iter().all(|(_, m)| m.to != noa && m.to != zoe), "alpha never has their addresses");

    // Alpha's server sends the same note again in a new activity (a replay that the
    // inbox's memory of activity ids does not catch): beta keeps it once, mails it once.
    let note: serde_json::Value = reqwest::Client::new()
        .get(&note_url)
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let actor = note["attributedTo"].as_str().unwrap().to_owned();
    let replay_id = format!("{note_url}/replayed");
    let replay = serde_json::json!({
        "@context": "https://www.w3.org/ns/activitystreams", "type": "Create", "id": replay_id,
        "actor": actor, "to": ["https://www.w3.org/ns/activitystreams#Public"], "object": note,
    });
    let job = signons_federation::delivery::DeliveryJob {
        activity_id: replay_id.clone(),
        actor,
        inbox: format!("{}/inbox", beta.url),
        body: replay.to_string(),
    };
    let beta_host = host(&beta);
    alpha
        .state
        .db
        .write_async(move |conn| {
            signons_store::jobs::enqueue(conn, signons_store::jobs::Queue::Delivery, Some(&beta_host), &job)
        })
        .await
        .unwrap();
    alpha.state.fed().wake.notify_one();
    wait_queue_empty(&alpha).await;
    eventually("beta to take the replay", DEADLINE, || async {
        let id = replay_id.clone();
        let taken: i64 = beta
            .read(move |conn| {
                use signons_store::schema::ap_received as r;
                r::table.filter(r::activity_id.eq(id)).count().get_result(conn)
            })
            .await;
        (taken == 1).then_some(())
    })
    .await;
    beta.wait_mail_queue_empty().await;
    assert_eq!(news_to(&beta, noa, title).len(), 1, "the news replayed is not mailed again");
    assert_eq!(news_to(&beta, zoe, title).len(), 1);

    // A link scanner opens Zoé's link: a page with a button, and nothing changes.
    let page = beta.browser_in("fr").get(zoe_link.strip_prefix(&beta.url).unwrap()).await;
    page.expect(200).contains(title).contains("List-Unsubscribe");
    // Noa's mail client posts the one-click unsubscribe.
    let one_click = reqwest::Client::new()
        .post(&noa_link)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click");
    send(one_click).await.expect(200).contains("You will get no more news");
    // The same link on alpha names nobody there.
    let elsewhere = noa_link.replace(&beta.url, &alpha.url);
    alpha.browser().get(elsewhere.strip_prefix(&alpha.url).unwrap()).await.expect(404);

    let again = serde_json::json!({ "text": "The lamps go up on Monday." });
    alpha.api().await.post(&format!("/petitions/{slug}/news"), &again).await.expect(201);
    let second = beta.next_email_to(zoe).await;
    assert!(second.text().contains("The lamps go up on Monday."), "{}", second.text());
    wait_queue_empty(&alpha).await;
    beta.wait_mail_queue_empty().await;
    assert_eq!(news_to(&beta, noa, title).len(), 1, "Noa unsubscribed after the first news");
    assert_eq!(news_to(&beta, zoe, title).len(), 2, "Zoé only opened her link");

    // The last fan-out runs again, as after a crash before its job was recorded done:
    // nobody gets the news twice.
    use signons_store::schema::sent_news_mailings as snm;
    let mailing: String = beta
        .write(|conn| {
            let id = snm::table.order(snm::created_at.desc()).select(snm::id).first::<String>(conn)?;
            diesel::update(snm::table.filter(snm::id.eq(&id)))
                .set(snm::done_at.eq(None::<chrono::NaiveDateTime>))
                .execute(conn)?;
            Ok(id)
        })
        .await;
    let fan_out = serde_json::json!({ "fan_out": { "kind": "sent_news", "mailing": mailing } });
    beta.state
        .db
        .write_async(move |conn| signons_store::jobs::enqueue(conn, signons_store::jobs::Queue::Email, None, &fan_out))
        .await
        .unwrap();
    beta.state.signing.queue.wake();
    beta.wait_mail_queue_empty().await;
    assert_eq!(news_to(&beta, zoe, title).len(), 2, "the fan-out run again sent nothing");
}
