//! The signing loop, end to end: through the API and through the forms, duplicates,
//! expiry, many signers at once, closed and draft petitions.

use crate::helpers::{
    all, escaped, input_value, refs, Backend, Options, Table, TestApp, ORGANIZER_EMAIL, ORGANIZER_PASSWORD,
};
use diesel::prelude::*;
use serde_json::json;
use signons_store::schema::{signatures, withdraw_tokens};

on_both_backends! {
    api_whole_loop => api_whole_loop_sqlite, api_whole_loop_postgres;
    html_whole_loop => html_whole_loop_sqlite, html_whole_loop_postgres;
    duplicates_get_the_same_answer => duplicates_get_the_same_answer_sqlite, duplicates_get_the_same_answer_postgres;
    expired_links_count_nothing => expired_links_count_nothing_sqlite, expired_links_count_nothing_postgres;
    concurrent_confirmations_and_withdrawals => concurrent_confirmations_and_withdrawals_sqlite, concurrent_confirmations_and_withdrawals_postgres;
    closed_and_draft_petitions_refuse_signatures => closed_and_draft_petitions_refuse_signatures_sqlite, closed_and_draft_petitions_refuse_signatures_postgres;
    a_pending_signature_is_replaced_by_the_next_submission => a_pending_signature_is_replaced_by_the_next_submission_sqlite, a_pending_signature_is_replaced_by_the_next_submission_postgres;
    earlier_withdraw_links_and_used_confirm_links_stay_meaningful => earlier_withdraw_links_and_used_confirm_links_stay_meaningful_sqlite, earlier_withdraw_links_and_used_confirm_links_stay_meaningful_postgres;
    the_home_page_ranks_every_open_petition => the_home_page_ranks_every_open_petition_sqlite, the_home_page_ranks_every_open_petition_postgres;
    the_sign_form_cannot_flood_an_inbox => the_sign_form_cannot_flood_an_inbox_sqlite, the_sign_form_cannot_flood_an_inbox_postgres;
    a_plus_is_part_of_the_address_unless_the_provider_ignores_it => a_plus_is_part_of_the_address_unless_the_provider_ignores_it_sqlite, a_plus_is_part_of_the_address_unless_the_provider_ignores_it_postgres;
}

fn path_of<'a>(app: &TestApp, link: &'a str) -> &'a str {
    link.strip_prefix(app.url.as_str()).unwrap_or_else(|| panic!("{link} does not start with {}", app.url))
}

/// Create and publish through the API, sign, read the email, prefetch the link (nothing
/// happens), confirm with the button, fail to confirm twice, withdraw.
async fn api_whole_loop(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let api = app.api().await;

    let created = api
        .post(
            "/petitions",
            &json!({
                "title": "Save the park of Belleville",
                "target": "The city council",
                "description": "The park is **ours**: keep it green for the children of the neighbourhood.",
                "goal": 1000,
                "publish": false,
            }),
        )
        .await;
    let body = created.expect(201).json();
    let slug = body["slug"].as_str().expect("a slug").to_owned();
    assert_eq!(slug, "save-the-park-of-belleville");
    assert_eq!(body["status"], "draft");
    assert_eq!(body["url"], format!("{}/p/{slug}", app.url));
    assert_eq!(created.location(), format!("/api/v1/petitions/{slug}"));
    app.public_api().get(&format!("/petitions/{slug}")).await.expect_error(404, "not_found");

    let published = api.post(&format!("/petitions/{slug}/publish"), &json!({})).await.expect(200).json();
    assert_eq!(published["status"], "open");
    let petition = app.petition(&slug).await;
    assert_eq!(petition["total_signatures"], 0);
    assert_eq!(petition["title"], "Save the park of Belleville");
    let host = format!("127.0.0.1:{}", app.port);
    assert_eq!(petition["signatures_by_instance"], json!({ host.clone(): 0 }));
    let listed = app.public_api().get("/petitions").await.expect(200).json();
    assert!(listed["petitions"].as_array().expect("a list").iter().any(|p| p["slug"] == slug.as_str()), "{listed}");

    // Sign: accepted, pending, an email with the confirmation link.
    let email = "camille.martin@example.org";
    let signed = app
        .sign_with(
            &slug,
            json!({ "name": "Camille Martin", "email": email, "public": true, "comment": "For the trees." }),
        )
        .await;
    assert_eq!(signed.expect(202).json()["status"], "pending_confirmation");
    let mail = app.next_email_to(email).await;
    assert_eq!(mail.subject, "Confirm your signature: Save the park of Belleville");
    assert!(mail.text().contains("Hello Camille Martin,"), "{}", mail.text());
    let link = mail.confirm_link(&app.url);
    let path = path_of(&app, &link).to_owned();
    let token = path.strip_prefix("/s/").expect("a /s/ link");
    assert!(token.len() >= 40, "a long random token: {token}");
    let rows = app.signature_rows(email).await;
    assert_eq!(rows.len(), 1);
    assert!(!rows[0].confirmed);
    // Only the token's hash is stored.
    let token_in_db: i64 = {
        let token = token.to_owned();
        app.read(move |conn| {
            signatures::table.filter(signatures::confirm_token_hash.eq(token)).count().get_result(conn)
        })
        .await
    };
    assert_eq!(token_in_db, 0);

    // GET (a person, a mail scanner without cookies, again): a page with a button; nothing
    // is confirmed and the token is not burnt.
    let visitor = app.browser();
    for _ in 0..2 {
        visitor
            .get(&path)
            .await
            .expect(200)
            .contains(&format!("action=\"{path}\""))
            .contains("Camille Martin, please confirm that you sign");
        app.assert_count(&slug, 0).await;
    }
    app.browser().get(&path).await.expect(200);
    app.assert_count(&slug, 0).await;
    assert!(!app.signature_rows(email).await[0].confirmed);

    // POST confirms.
    let csrf = visitor.get(&path).await.csrf();
    visitor
        .post_form(&path, &[("csrf", &csrf)])
        .await
        .expect(200)
        .contains("Thank you, your signature counts!")
        .contains(&escaped(&format!("{}/p/{slug}", app.url)));
    app.assert_count(&slug, 1).await;
    assert_eq!(app.petition(&slug).await["signatures_by_instance"], json!({ host: 1 }));
    assert!(app.signature_rows(email).await[0].confirmed);
    app.browser()
        .page_until(&format!("/p/{slug}"), "the public signer", |p| p.body.contains("<strong>Camille Martin</strong>"))
        .await
        .contains("1 signature")
        .contains("For the trees.");

    // The link is single-use: pressed or opened again, it says it was used, and nothing
    // counts twice.
    visitor
        .post_form(&path, &[("csrf", &csrf)])
        .await
        .expect(200)
        .contains("Your signature is already confirmed")
        .lacks("This link is not valid");
    visitor.get(&path).await.expect(200).contains("Your signature is already confirmed").lacks("<form");
    app.assert_count(&slug, 1).await;

    // Withdraw: the GET only asks, the POST deletes the signature and its personal data.
    let withdraw = mail.withdraw_link(&app.url);
    let wpath = path_of(&app, &withdraw).to_owned();
    visitor
        .get(&wpath)
        .await
        .expect(200)
        .contains(&format!("action=\"{wpath}\""))
        .contains("Camille Martin, do you want to withdraw your signature");
    app.assert_count(&slug, 1).await;
    visitor.post_form(&wpath, &[("csrf", &csrf)]).await.expect(200).contains("Your signature was withdrawn");
    app.assert_count(&slug, 0).await;
    assert!(app.signature_rows(email).await.is_empty(), "the signature row is gone");
    assert_eq!(app.count_rows(Table::Signatures).await, 0);
    let leftovers: i64 = app
        .read(|conn| {
            signatures::table
                .filter(signatures::name.eq("Camille Martin").or(signatures::email.like("%camille%")))
                .count()
                .get_result(conn)
        })
        .await;
    assert_eq!(leftovers, 0, "no personal data left");
    app.browser()
        .page_until(&format!("/p/{slug}"), "no more signer", |p| !p.body.contains("Camille Martin"))
        .await
        .contains("0 signatures");
    visitor.post_form(&wpath, &[("csrf", &csrf)]).await.expect(404);
    visitor.post_form(&path, &[("csrf", &csrf)]).await.expect(404);
    app.assert_count(&slug, 0).await;
}

/// The same loop as people do it: the organizer logs in, previews, publishes; a citizen
/// signs with the form and confirms; the page shows the count and the progress.
async fn html_whole_loop(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.organizer_token().await;
    let organizer = app.browser();
    organizer.get("/dashboard").await.expect(303);
    organizer.login(ORGANIZER_EMAIL, ORGANIZER_PASSWORD).await;
    organizer.get("/dashboard").await.expect(200).contains("You have no petitions yet.");

    let form = organizer.get("/petitions/new").await;
    let csrf = form.expect(200).csrf();
    let title = "Keep the library open on Sundays";
    let description = "Our **library** is the only quiet place in the district.\n\n- reading\n- studying\n";
    let fields = |action: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("title", title.to_owned()),
            ("target", "The mayor of Lyon".to_owned()),
            ("description", description.to_owned()),
            ("goal", "4".to_owned()),
            ("end_date", String::new()),
            ("ask_country", "on".to_owned()),
            ("action", action.to_owned()),
        ]
    };

    // Preview: the Markdown rendered, the input kept, nothing saved.
    let preview = organizer.post_form("/petitions/new", &refs(&fields("preview"))).await;
    preview
        .expect(200)
        .contains("<strong>library</strong>")
        .contains("<li>reading</li>")
        .contains("Our **library** is the only quiet place");
    assert_eq!(input_value(&preview.body, "title").as_deref(), Some(title));
    assert_eq!(app.count_rows(Table::Petitions).await, 0);

    // Publish.
    let published = organizer.post_form("/petitions/new", &refs(&fields("publish"))).await;
    published.expect(303);
    let slug = published.location().strip_prefix("/p/").expect("a petition page").to_owned();
    assert_eq!(app.count_rows(Table::Petitions).await, 1);
    organizer.get("/dashboard").await.expect(200).contains(&format!("href=\"/p/{slug}\"")).contains("0 / 4");

    // A citizen signs with the form.
    let citizen = app.browser();
    let page = citizen.get(&format!("/p/{slug}")).await;
    page.expect(200)
        .contains(&format!("<h1>{title}</h1>"))
        .contains("To: The mayor of Lyon")
        .contains(&format!("By {}", crate::helpers::ORGANIZATION))
        .contains("<strong>library</strong>")
        .contains("0 signatures")
        .contains(&format!("action=\"/p/{slug}/sign\""))
        .contains("id=\"country\"")
        .lacks("id=\"postal_code\"")
        .contains(r#"<input type="checkbox" id="opt_in" name="opt_in">"#);
    let signed = citizen
        .post_form(
            &format!("/p/{slug}/sign"),
            &[
                ("csrf", &page.csrf()),
                ("name", "Jeanne Leroy"),
                ("email", "jeanne.leroy@example.org"),
                ("country", "France"),
                ("comment", "Sundays matter."),
                ("public", "on"),
            ],
        )
        .await;
    signed.expect(303);
    assert_eq!(signed.location(), format!("/p/{slug}/thanks"));
    citizen.get(&format!("/p/{slug}/thanks")).await.expect(200).contains("Check your email").contains(title);
    app.assert_count(&slug, 0).await;
    let rows = app.signature_rows("jeanne.leroy@example.org").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].country.as_deref(), Some("France"));

    let mail = app.next_email_to("jeanne.leroy@example.org").await;
    assert_eq!(mail.subject, format!("Confirm your signature: {title}"));
    let confirmed = citizen.follow_and_press(&mail.confirm_link(&app.url)).await;
    confirmed.expect(200).contains("Thank you, your signature counts!");

    citizen
        .page_until(&format!("/p/{slug}"), "the count", |p| p.body.contains("<strong>1 signature</strong>"))
        .await
        .contains(r#"aria-valuenow="25""#)
        .contains(r#"class="fill w-25 some""#)
        .contains("25% of the goal")
        .contains("of 4 needed")
        .contains("<strong>Jeanne Leroy</strong>")
        .contains("(France)")
        .contains("Sundays matter.");
    citizen
        .page_until("/", "the count on the home page", |p| p.body.contains("<strong>1 signature</strong>"))
        .await
        .contains(&format!("href=\"/p/{slug}\""));
    organizer.get("/dashboard").await.expect(200).contains("1 / 4");
}

/// The same person signing again (other case, a +tag) gets the same answer; pending, a
/// fresh confirmation email; confirmed, an "already signed" email; the count stays 1.
async fn duplicates_get_the_same_answer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = app.create_petition("Protect the old oak", true).await;
    let browser = app.browser();

    let first = app.sign(&slug, "Alice Dupont", "Alice.Dupont@fastmail.com").await;
    first.expect(202);
    let mail1 = app.next_email_to("alice.dupont@fastmail.com").await;
    let link1 = mail1.confirm_link(&app.url);

    // Pending: the same answer, a new link that replaces the first.
    let second = app.sign(&slug, "Alice Dupont", "alice.dupont+oak@fastmail.com").await;
    second.expect(202);
    assert_eq!(second.body, first.body, "the same answer for a known address");
    let mail2 = app.next_email_to("alice.dupont+oak@fastmail.com").await;
    assert_eq!(mail2.subject, "Confirm your signature: Protect the old oak");
    let link2 = mail2.confirm_link(&app.url);
    assert_ne!(link1, link2, "a fresh link");
    assert_eq!(app.signature_rows("alice.dupont@fastmail.com").await.len(), 1);
    assert_eq!(app.count_rows(Table::Signatures).await, 1);
    browser.get(path_of(&app, &link1)).await.expect(404);
    browser.follow_and_press(&link2).await.expect(200);
    app.assert_count(&slug, 1).await;

    // Confirmed: the same answer again, and an email that says so.
    let third = app.sign(&slug, "Alice", "ALICE.DUPONT@fastmail.com").await;
    third.expect(202);
    assert_eq!(third.body, first.body);
    let mail3 = app.next_email_to("ALICE.DUPONT@fastmail.com").await;
    assert_eq!(mail3.subject, "You have already signed: Protect the old oak");
    assert!(mail3.links(&format!("{}/s/", app.url)).is_empty(), "no confirmation link: {}", mail3.text());
    assert!(mail3.text().contains(&format!("{}/p/{slug}", app.url)));
    let withdraw = mail3.withdraw_link(&app.url);
    app.assert_count(&slug, 1).await;
    let rows = app.signature_rows("alice.dupont@fastmail.com").await;
    assert_eq!(rows.len(), 1);
    assert!(rows[0].confirmed);

    // Through the form: a known address and a new one get the same answer.
    let csrf = browser.get(&format!("/p/{slug}")).await.expect(200).csrf();
    let sign_form = |name: &'static str, email: &'static str| {
        let browser = browser.clone();
        let (slug, csrf) = (slug.clone(), csrf.clone());
        async move {
            browser.post_form(&format!("/p/{slug}/sign"), &[("csrf", &csrf), ("name", name), ("email", email)]).await
        }
    };
    let known = sign_form("Alice", "alice.dupont@fastmail.com").await;
    let new = sign_form("Bob Martin", "bob.martin@fastmail.com").await;
    assert_eq!((known.status, known.location()), (new.status, new.location()));
    assert_eq!(known.status.as_u16(), 303);
    assert_eq!(known.body, new.body);
    let already = app.next_email_to("alice.dupont@fastmail.com").await;
    assert_eq!(already.subject, "You have already signed: Protect the old oak");
    let bob = app.next_email_to("bob.martin@fastmail.com").await;
    assert_eq!(bob.subject, "Confirm your signature: Protect the old oak");
    app.assert_count(&slug, 1).await;
    assert_eq!(app.signature_rows("alice.dupont@fastmail.com").await.len(), 1);

    // The latest email's withdrawal link works; once used, the earlier ones are dead too.
    browser.follow_and_press(&already.withdraw_link(&app.url)).await.expect(200);
    browser.get(path_of(&app, &withdraw)).await.expect(404);
    app.assert_count(&slug, 0).await;
}

/// A link past its expiry answers 410 to GET and POST and counts nothing; signing again
/// sends a fresh link that works.
async fn expired_links_count_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = app.create_petition("Light the bridge at night", true).await;
    let mail = app.sign_and_read_email(&slug, "Paul Henri", "paul.henri@example.org").await;
    let link = mail.confirm_link(&app.url);
    let path = path_of(&app, &link).to_owned();

    let past = signons_store::now() - chrono::TimeDelta::minutes(1);
    let updated = app
        .write(move |conn| diesel::update(signatures::table).set(signatures::token_expires_at.eq(past)).execute(conn))
        .await;
    assert_eq!(updated, 1);

    let browser = app.browser();
    browser.get(&path).await.expect(410).contains("This link has expired.");
    let csrf = browser.csrf().await;
    browser.post_form(&path, &[("csrf", &csrf)]).await.expect(410);
    browser.get(&path).await.expect(410);
    app.assert_count(&slug, 0).await;
    assert!(!app.signature_rows("paul.henri@example.org").await[0].confirmed);

    let again = app.sign_and_read_email(&slug, "Paul Henri", "paul.henri@example.org").await;
    let fresh = again.confirm_link(&app.url);
    assert_ne!(fresh, link);
    browser.get(&path).await.expect(404);
    browser.follow_and_press(&fresh).await.expect(200);
    app.assert_count(&slug, 1).await;
}

/// Forty signers confirm at the same moment, then ten withdraw at the same moment: the
/// count is exactly right.
async fn concurrent_confirmations_and_withdrawals(backend: Backend) {
    const SIGNERS: usize = 40;
    const WITHDRAWALS: usize = 10;
    let app = TestApp::spawn(backend).await;
    let slug = app.create_petition("Plant a hundred trees", true).await;

    let api = app.public_api();
    let statuses = all((0..SIGNERS)
        .map(|i| {
            let (api, slug) = (api.clone(), slug.clone());
            async move {
                let body =
                    json!({ "name": format!("Signer {i}"), "email": format!("signer{i}@example.org"), "public": true });
                api.post(&format!("/petitions/{slug}/signatures"), &body).await.status.as_u16()
            }
        })
        .collect())
    .await;
    assert_eq!(statuses, vec![202; SIGNERS]);

    let mut links = Vec::new();
    for i in 0..SIGNERS {
        let mail = app.next_email_to(&format!("signer{i}@example.org")).await;
        links.push((mail.confirm_link(&app.url), mail.withdraw_link(&app.url)));
    }
    let browser = app.browser();
    let csrf = browser.csrf().await;
    let press = |link: &str| {
        let (browser, csrf) = (browser.clone(), csrf.clone());
        let path = path_of(&app, link).to_owned();
        async move { browser.post_form(&path, &[("csrf", &csrf)]).await.status.as_u16() }
    };

    let confirmed = all(links.iter().map(|(confirm, _)| press(confirm)).collect()).await;
    assert_eq!(confirmed, vec![200; SIGNERS]);
    app.assert_count(&slug, SIGNERS as i64).await;
    let count = format!("<strong>{SIGNERS} signatures</strong>");
    browser.page_until(&format!("/p/{slug}"), &count, |p| p.body.contains(&count)).await;

    let withdrawn = all(links.iter().take(WITHDRAWALS).map(|(_, withdraw)| press(withdraw)).collect()).await;
    assert_eq!(withdrawn, vec![200; WITHDRAWALS]);
    let left = (SIGNERS - WITHDRAWALS) as i64;
    app.assert_count(&slug, left).await;
    assert_eq!(app.count_rows(Table::Signatures).await, left);
    let count = format!("<strong>{left} signatures</strong>");
    browser.page_until(&format!("/p/{slug}"), &count, |p| p.body.contains(&count)).await;
}

/// A closed petition (closed through the API) refuses signatures and confirmations; a
/// draft does not exist for the public.
async fn closed_and_draft_petitions_refuse_signatures(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let api = app.api().await;
    let public = app.browser();

    // A draft: 404 everywhere for the public, and signing it changes nothing.
    let draft = app.create_petition("A draft nobody may see yet", false).await;
    public.get(&format!("/p/{draft}")).await.expect(404);
    public.get(&format!("/p/{draft}/thanks")).await.expect(404);
    app.public_api().get(&format!("/petitions/{draft}")).await.expect_error(404, "not_found");
    let listed = app.public_api().get("/petitions").await.expect(200).json();
    assert_eq!(listed["total"], 0, "{listed}");
    public.get("/").await.expect(200).lacks(&draft);
    let before = app.snapshot().await;
    app.sign(&draft, "Eve", "eve@example.org").await.expect_error(404, "not_found");
    let csrf = public.csrf().await;
    public
        .post_form(&format!("/p/{draft}/sign"), &[("csrf", &csrf), ("name", "Eve"), ("email", "eve@example.org")])
        .await
        .expect(404);
    app.assert_unchanged(&before).await;
    let organizer = app.browser();
    organizer.login(ORGANIZER_EMAIL, ORGANIZER_PASSWORD).await;
    organizer.get(&format!("/p/{draft}")).await.expect(200).contains("Draft: only your organization can see");

    // A closed petition.
    let slug = app.create_petition("Reopen the swimming pool", true).await;
    let early = app.sign_and_read_email(&slug, "Early Bird", "early@example.org").await;
    public.follow_and_press(&early.confirm_link(&app.url)).await.expect(200);
    let late = app.sign_and_read_email(&slug, "Late Comer", "late@example.org").await;
    let closed = api.post(&format!("/petitions/{slug}/close"), &json!({})).await.expect(200).json();
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["total_signatures"], 1);

    let before = app.snapshot().await;
    app.sign(&slug, "Too Late", "too.late@example.org").await.expect_error(409, "petition_closed");
    public
        .post_form(
            &format!("/p/{slug}/sign"),
            &[("csrf", &csrf), ("name", "Too Late"), ("email", "too.late@example.org")],
        )
        .await
        .expect(409)
        .contains("This petition no longer accepts signatures.");
    let late_path = path_of(&app, &late.confirm_link(&app.url)).to_owned();
    public.post_form(&late_path, &[("csrf", &csrf)]).await.expect(409);
    app.assert_unchanged(&before).await;
    app.assert_count(&slug, 1).await;
    public
        .get(&format!("/p/{slug}"))
        .await
        .expect(200)
        .contains("This petition is closed and no longer accepts signatures.")
        .lacks(&format!("action=\"/p/{slug}/sign\""))
        .contains("<strong>1 signature</strong>");

    // A closed petition stays closed.
    api.post(&format!("/petitions/{slug}/close"), &json!({})).await.expect_error(409, "invalid_state");
    api.post(&format!("/petitions/{slug}/publish"), &json!({})).await.expect_error(409, "invalid_state");
    assert_eq!(app.petition(&slug).await["status"], "closed");
}

/// Every column of an address's signature row that a signer chooses.
#[derive(Debug, PartialEq, Eq, Queryable)]
struct Choices {
    name: String,
    email: String,
    country: Option<String>,
    postal_code: Option<String>,
    comment: Option<String>,
    public: bool,
    opt_in: bool,
    locale: String,
    confirmed: bool,
}

async fn choices(app: &TestApp, canonical_email: &str) -> Vec<Choices> {
    let email = canonical_email.to_owned();
    app.read(move |conn| {
        signatures::table
            .filter(signatures::email_canonical.eq(email))
            .select((
                signatures::name,
                signatures::email,
                signatures::country,
                signatures::postal_code,
                signatures::comment,
                signatures::public,
                signatures::opt_in,
                signatures::locale,
                signatures::confirmed_at.is_not_null(),
            ))
            .load(conn)
    })
    .await
}

/// Someone signs first in another person's name, with a public comment and news opted
/// in; the owner of the address then signs with their own details before anything was
/// confirmed. The second submission replaces the first whole, the confirm page shows
/// exactly it, and it is what gets confirmed.
async fn a_pending_signature_is_replaced_by_the_next_submission(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = app
        .create_petition_with(json!({
            "title": "Keep the river swimmable",
            "target": "The prefecture",
            "description": "Clean water for everyone who swims in the summer.",
            "goal": 100,
            "ask_country": true,
            "ask_postal_code": true,
            "publish": true,
        }))
        .await;
    let owner = "marie.curie@fastmail.com";

    let impostor = json!({
        "name": "Someone Else", "email": "Marie.Curie+river@fastmail.com", "country": "Narnia",
        "postal_code": "99999", "comment": "Comment A, not hers.", "public": true, "opt_in": true,
    });
    app.sign_with(&slug, impostor).await.expect(202);
    let first = app.next_email_to("Marie.Curie+river@fastmail.com").await;
    let browser = app.browser();
    let first_path = path_of(&app, &first.confirm_link(&app.url)).to_owned();
    browser.get(&first_path).await.expect(200).contains("Someone Else").contains("Comment A, not hers.");

    // The owner signs, in French, shown privately, without news, with another comment.
    let request =
        app.public_api().post_builder(&format!("/petitions/{slug}/signatures")).header("accept-language", "fr");
    let mine = json!({
        "name": "Marie Curie", "email": owner, "country": "France", "postal_code": "75005",
        "comment": "Comment B, mine.", "public": false, "opt_in": false,
    });
    crate::helpers::send(request.json(&mine)).await.expect(202);
    let second = app.next_email_to(owner).await;
    assert_eq!(second.subject, "Confirmez votre signature\u{a0}: Keep the river swimmable");
    let expected = Choices {
        name: "Marie Curie".into(),
        email: owner.into(),
        country: Some("France".into()),
        postal_code: Some("75005".into()),
        comment: Some("Comment B, mine.".into()),
        public: false,
        opt_in: false,
        locale: "fr".into(),
        confirmed: false,
    };
    assert_eq!(choices(&app, owner).await, vec![expected]);

    // The first link showed the first data: it is dead now.
    browser.get(&first_path).await.expect(404);
    // The page of the new link shows what will be confirmed, and nothing of the first.
    let second_link = second.confirm_link(&app.url);
    let second_path = path_of(&app, &second_link).to_owned();
    let page = browser.get(&second_path).await;
    page.expect(200)
        .contains("Marie Curie, please confirm that you sign")
        .contains("<dd>Marie Curie</dd>")
        .contains("<dd>France</dd>")
        .contains("<dd>75005</dd>")
        .contains("<dd>Comment B, mine.</dd>")
        .contains("No: your name is not shown")
        .contains("No news")
        .lacks("Someone Else")
        .lacks("Comment A")
        .lacks("Narnia")
        .lacks("99999");
    app.browser_in("fr")
        .get(&second_path)
        .await
        .expect(200)
        .contains("Ce que vous confirmez")
        .contains("Non\u{a0}: votre nom n&#x27;est pas affiché")
        .contains("Pas de nouvelles");
    browser.follow_and_press(&second_link).await.expect(200).contains("Thank you, your signature counts!");
    app.assert_count(&slug, 1).await;
    let confirmed = choices(&app, owner).await;
    assert_eq!(confirmed.len(), 1);
    assert!(confirmed[0].confirmed);
    assert_eq!(
        (confirmed[0].name.as_str(), confirmed[0].comment.as_deref()),
        ("Marie Curie", Some("Comment B, mine."))
    );
    assert!(!confirmed[0].public && !confirmed[0].opt_in);

    // And the other way round: public and opted in, as the confirm page then says.
    let other = "pierre@example.org";
    let body = json!({ "name": "Pierre", "email": other, "country": "France", "postal_code": "75005",
                       "public": true, "opt_in": true });
    app.sign_with(&slug, body).await.expect(202);
    let mail = app.next_email_to(other).await;
    browser
        .get(path_of(&app, &mail.confirm_link(&app.url)))
        .await
        .expect(200)
        .contains("Yes: your name is shown on the petition")
        .contains("Yes, send me its news")
        .lacks("Your comment");
}

/// Signing again never kills a withdraw link sent before: each one works until the
/// signature is withdrawn, then all die with it. A used confirmation link says that it
/// was used (GET and POST, English and French), and counts nothing twice.
async fn earlier_withdraw_links_and_used_confirm_links_stay_meaningful(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = app.create_petition("Open the schoolyards on weekends", true).await;
    let email = "louise.michel@example.org";
    let browser = app.browser();
    let csrf = browser.csrf().await;
    let extra_links = || app.read(|conn| withdraw_tokens::table.count().get_result::<i64>(conn));

    let first = app.sign_and_read_email(&slug, "Louise Michel", email).await;
    let second = app.sign_and_read_email(&slug, "Louise Michel", email).await;
    let withdraw_first = path_of(&app, &first.withdraw_link(&app.url)).to_owned();
    let withdraw_second = path_of(&app, &second.withdraw_link(&app.url)).to_owned();
    assert_ne!(withdraw_first, withdraw_second, "each email has its own link");
    // The re-sign while pending did not kill the first withdraw link.
    browser.get(&withdraw_first).await.expect(200).contains("Louise Michel, do you want to withdraw your signature");
    browser.get(&withdraw_second).await.expect(200);

    let confirm = second.confirm_link(&app.url);
    let confirm_path = path_of(&app, &confirm).to_owned();
    browser.follow_and_press(&confirm).await.expect(200).contains("Thank you, your signature counts!");
    app.assert_count(&slug, 1).await;

    // The second click, as a page and as a press: already confirmed, a link to the
    // petition, no button, nothing counted.
    let petition_link = format!("href=\"/p/{slug}\"");
    for _ in 0..2 {
        browser
            .get(&confirm_path)
            .await
            .expect(200)
            .contains("Your signature is already confirmed")
            .contains(&petition_link)
            .lacks(&format!("action=\"{confirm_path}\""));
        browser
            .post_form(&confirm_path, &[("csrf", &csrf)])
            .await
            .expect(200)
            .contains("Your signature is already confirmed")
            .contains(&petition_link);
    }
    app.browser_in("fr")
        .get(&confirm_path)
        .await
        .expect(200)
        .contains("Votre signature est déjà confirmée")
        .contains(&petition_link);
    app.assert_count(&slug, 1).await;
    assert!(app.signature_rows(email).await[0].confirmed);

    // Signing again once confirmed: a third link, and the first two still work.
    let third = app.sign_and_read_email(&slug, "Louise", email).await;
    assert_eq!(third.subject, "You have already signed: Open the schoolyards on weekends");
    let withdraw_third = path_of(&app, &third.withdraw_link(&app.url)).to_owned();
    assert_eq!(extra_links().await, 2, "the links sent after the first");
    for path in [&withdraw_first, &withdraw_second, &withdraw_third] {
        browser.get(path).await.expect(200).contains("do you want to withdraw your signature");
    }
    app.assert_count(&slug, 1).await;

    // The first email's link withdraws; every link dies with the signature.
    browser.post_form(&withdraw_first, &[("csrf", &csrf)]).await.expect(200).contains("Your signature was withdrawn");
    app.assert_count(&slug, 0).await;
    assert!(app.signature_rows(email).await.is_empty());
    assert_eq!(extra_links().await, 0, "the other links went with the signature");
    for path in [&withdraw_first, &withdraw_second, &withdraw_third, &confirm_path] {
        browser.get(path).await.expect(404);
        browser.post_form(path, &[("csrf", &csrf)]).await.expect(404);
    }
    app.assert_count(&slug, 0).await;
}

/// "Most signed" on the home page ranks every open petition, not only the newest ones: an
/// old petition with the most signatures is listed first, one without any is not, and a
/// petition just published shows at once among the newest.
async fn the_home_page_ranks_every_open_petition(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let browser = app.browser();
    let oldest = app.create_petition("The oldest petition, and the most signed", true).await;
    let second = app.create_petition("The second oldest, signed once", true).await;
    for n in 0..12 {
        app.create_petition(&format!("A newer petition without signatures, number {n}"), true).await;
    }
    for (slug, who) in [(&oldest, "first"), (&oldest, "second"), (&second, "third")] {
        let mail = app.sign_and_read_email(slug, "Home Signer", &format!("{who}@example.org")).await;
        browser.follow_and_press(&mail.confirm_link(&app.url)).await.expect(200);
    }
    let home = browser
        .page_until("/", "both signed petitions among the trending ones", |p| {
            p.body.contains(&format!("href=\"/p/{oldest}\"")) && p.body.contains(&format!("href=\"/p/{second}\""))
        })
        .await;
    // Trending (the most signed this week) comes before the newest, which leave them out.
    let trending = home.body.split("id=\"newest\"").next().unwrap();
    let (at_oldest, at_second) = (
        trending.find(&format!("href=\"/p/{oldest}\"")).unwrap(),
        trending.find(&format!("href=\"/p/{second}\"")).unwrap(),
    );
    assert!(at_oldest < at_second, "the most signed this week comes first");
    assert!(trending.contains("Trending this week") && !trending.contains("without signatures"), "{trending}");
    assert_eq!(home.body.matches(&format!("href=\"/p/{oldest}\"")).count(), 1, "listed once");

    let fresh = app.create_petition("Published a moment ago", true).await;
    browser.get("/").await.expect(200).contains(&format!("href=\"/p/{fresh}\""));
}

/// Someone submits a stranger's address again and again, with a name of their choosing
/// ("Hello {name}"). The stranger gets the first email and three more about that petition,
/// then none until the cooldown (10 minutes); over every petition, at most the daily cap
/// (6 here). Every submission gets the same answer, a refused one changes nothing (the
/// pending signature keeps the last data that was emailed, and that email's link works),
/// and other signers from the same address are not held back.
async fn the_sign_form_cannot_flood_an_inbox(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options { signer_emails_per_day: Some(6), ..Options::default() }).await;
    let (first, second) = (
        app.create_petition("Lights on the towpath", true).await,
        app.create_petition("A bench by the lock", true).await,
    );
    let victim = "victim@example.org";
    // Each email is awaited before the next submission: a submission that replaces a
    // pending signature before its email went out drops that email (it would confirm data
    // no longer there), which a loaded machine would otherwise turn into fewer emails.
    for n in 1..=4 {
        app.sign(&first, &format!("Flood {n}"), victim).await.expect(202);
        app.next_email_to(victim).await;
    }
    app.sign(&first, "Flood 5", victim).await.expect(202);
    // Honest signers behind the same address still get their email.
    let neighbour = app.sign_and_read_email(&first, "Neighbour", "neighbour@example.org").await;
    assert!(neighbour.text().contains("Neighbour"));
    app.sign(&second, "Flood 6", victim).await.expect(202);
    app.sign(&second, "Flood 7", victim).await.expect(202);
    app.wait_mail_queue_empty().await;
    let names: Vec<String> = app
        .outbox_emails()
        .into_iter()
        .filter(|(_, m)| m.to == victim)
        .map(|(_, m)| {
            let text = m.text();
            (1..=7).map(|n| format!("Flood {n}")).find(|name| text.contains(name.as_str())).unwrap_or_default()
        })
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(sorted, ["Flood 1", "Flood 2", "Flood 3", "Flood 4", "Flood 6"], "emails to the victim: {names:?}");
    // The fifth submission on the first petition changed nothing: the pending signature is
    // the fourth, as its email showed, and that email's link confirms it.
    let rows = app.signature_rows(victim).await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows.iter().any(|r| r.name == "Flood 4") && rows.iter().any(|r| r.name == "Flood 6"), "{rows:?}");
    let fourth = app
        .outbox_emails()
        .into_iter()
        .map(|(_, m)| m)
        .find(|m| m.to == victim && m.text().contains("Flood 4"))
        .expect("the fourth email");
    app.browser().follow_and_press(&fourth.confirm_link(&app.url)).await.expect(200).contains("your signature counts");
    app.assert_count(&first, 1).await;
}

/// On a domain that does not ignore `+tag`, `ann+bob@` is another person's mailbox: they
/// sign for themselves and never receive Ann's "already signed" email with a withdraw
/// link to her signature. On a provider that ignores tags, it is Ann again.
async fn a_plus_is_part_of_the_address_unless_the_provider_ignores_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = app.create_petition("Trees along the canal", true).await;
    let browser = app.browser();
    for ann in ["ann@example.org", "ann@fastmail.com"] {
        let mail = app.sign_and_read_email(&slug, "Ann", ann).await;
        browser.follow_and_press(&mail.confirm_link(&app.url)).await.expect(200);
    }
    let bob = app.sign_and_read_email(&slug, "Bob", "ann+bob@example.org").await;
    assert_eq!(bob.subject, "Confirm your signature: Trees along the canal", "a signature of his own");
    browser.follow_and_press(&bob.confirm_link(&app.url)).await.expect(200);
    app.assert_count(&slug, 3).await;
    let tagged = app.sign_and_read_email(&slug, "Ann", "ann+petitions@fastmail.com").await;
    assert_eq!(tagged.subject, "You have already signed: Trees along the canal");
    app.assert_count(&slug, 3).await;
}
