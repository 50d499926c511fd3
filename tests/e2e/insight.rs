//! A petition's insight page (issue 11): signatures over time as a server-drawn SVG chart,
//! by country and postal-code prefix, the share who asked for news, where signatures came
//! from; counting what the count counts, and shown to the petition's organizers only.

use crate::export::{four_signers, petition, remote_signers};
use crate::helpers::*;

on_both_backends! {
    insight_counts_what_the_count_counts => insight_counts_what_the_count_counts_sqlite, insight_counts_what_the_count_counts_postgres;
    only_the_petitions_organizers_see_its_insight => only_the_petitions_organizers_see_its_insight_sqlite, only_the_petitions_organizers_see_its_insight_postgres;
    insight_tells_how_signers_arrived => insight_tells_how_signers_arrived_sqlite, insight_tells_how_signers_arrived_postgres;
}

async fn insight_counts_what_the_count_counts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = petition(&app).await;
    let organizer = app.browser();
    organizer.login(ORGANIZER_EMAIL, ORGANIZER_PASSWORD).await;
    organizer.get(&format!("/p/{slug}/insight")).await.expect(200).contains("No confirmed signature yet").lacks("<svg");

    // Counted: Ann (FR 75001, news), Bob (DE 10115), Eve at b.example (BE 1000). Not: Carl
    // (pending), Dan (invalidated), Mallory (from an instance no longer counted).
    four_signers(&app, &slug).await;
    remote_signers(&app, &slug).await;
    let page = organizer.get(&format!("/p/{slug}/insight")).await;
    page.expect(200)
        .contains("<svg class=\"chart\"")
        .contains("<polyline points=\"")
        .contains("3 confirmed signatures between")
        .contains("<th scope=\"row\">FR</th>\n      <td>1</td>")
        .contains("<th scope=\"row\">DE</th>\n      <td>1</td>")
        .contains("<th scope=\"row\">BE</th>\n      <td>1</td>")
        .contains("<th scope=\"row\">75</th>")
        .contains("<th scope=\"row\">10</th>")
        .lacks("<th scope=\"row\">69</th>")
        .lacks("<th scope=\"row\">13</th>")
        .contains("<th scope=\"row\">b.example</th>")
        .lacks("blocked.example")
        // Ann of the two who signed here asked for news.
        .contains("<p class=\"big\">50 %</p>")
        .contains("1 of the 2 signers who signed here.")
        .lacks("ann@example.org");
    organizer.get("/dashboard").await.expect(200).contains(&format!("href=\"/p/{slug}/insight\""));
}

async fn only_the_petitions_organizers_see_its_insight(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = petition(&app).await;
    app.create_organizer("other@example.org", "other-ngo").await;
    let other = app.browser();
    other.login("other@example.org", ORGANIZER_PASSWORD).await;
    other.get(&format!("/p/{slug}/insight")).await.expect(404);
    other.get("/p/no-such-petition/insight").await.expect(404);
    let visitor = app.browser().get(&format!("/p/{slug}/insight")).await;
    assert_eq!(visitor.expect(303).location(), format!("/login?next=%2Fp%2F{slug}%2Finsight"));
}

/// Direct, shared link, embedded widget, other instance: told by the form and the page it
/// was sent from, with no cookie. A page of another site claiming `via=share` is not
/// believed.
async fn insight_tells_how_signers_arrived(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = app.create_petition("Trees for the schoolyard", true).await;
    let page = app.browser().get(&format!("/p/{slug}")).await;
    let shared = format!("{}/p/{slug}?via=share", app.url);
    assert!(unescape_html(&page.expect(200).body).contains(&format!("value=\"{shared}\"")), "the link to copy");

    let sign = |b: &Browser, referer: Option<String>, fields: Vec<(&'static str, String)>| {
        let mut request = b.client.post(b.url(&format!("/p/{slug}/sign"))).form(&fields);
        if let Some(referer) = referer {
            request = request.header("referer", referer);
        }
        send(request)
    };
    let form = |csrf: &str, name: &str, email: &str| {
        vec![
            ("csrf", csrf.to_owned()),
            ("name", name.to_owned()),
            ("email", email.to_owned()),
            ("topic", String::new()),
        ]
    };
    // Ann opens the petition's own page; Mallory's page, elsewhere, claims a shared link.
    let b = app.browser();
    let csrf = b.get(&format!("/p/{slug}")).await.csrf();
    sign(&b, Some(format!("{}/p/{slug}", app.url)), form(&csrf, "Ann", "ann@example.org")).await.expect(303);
    let forged = Some(format!("https://elsewhere.example/p/{slug}?via=share"));
    sign(&b, forged, form(&csrf, "Mallory", "mallory@example.org")).await.expect(303);
    // Bob and Cleo come from a shared link; Cleo forgets her name first, and the form shown
    // again keeps where she came from.
    let b = app.browser();
    let csrf = b.get(&format!("/p/{slug}?via=share")).await.csrf();
    sign(&b, Some(shared.clone()), form(&csrf, "Bob", "bob@example.org")).await.expect(303);
    let again = sign(&b, Some(shared.clone()), form(&csrf, "", "cleo@example.org")).await;
    again.expect(422).contains("<input type=\"hidden\" name=\"via\" value=\"share\">");
    let mut fields = form(&csrf, "Cleo", "cleo@example.org");
    fields.push(("via", "share".to_owned()));
    sign(&b, Some(format!("{}/p/{slug}/sign", app.url)), fields).await.expect(303);
    // Dan signs in the widget another site embeds.
    let b = app.browser();
    let token = b.get(&format!("/embed/p/{slug}")).await.csrf();
    sign(&b, None, form(&token, "Dan", "dan@example.org")).await.expect(303);
    for who in ["ann", "mallory", "bob", "cleo", "dan"] {
        let mail = app.next_email_to(&format!("{who}@example.org")).await;
        app.browser().follow_and_press(&mail.confirm_link(&app.url)).await.expect(200);
    }

    let organizer = app.browser();
    organizer.login(ORGANIZER_EMAIL, ORGANIZER_PASSWORD).await;
    let insight = organizer.get(&format!("/p/{slug}/insight")).await;
    let row = |label: &str, n: i64, percent: i64| {
        format!("<th scope=\"row\">{label}</th>\n      <td>{n}</td>\n      <td><progress max=\"100\" value=\"{percent}\" aria-hidden=\"true\"></progress> {percent}</td>")
    };
    insight
        .expect(200)
        .contains("How signers arrived")
        .contains(&row("The petition&#x27;s page", 2, 40))
        .contains(&row("A shared link", 2, 40))
        .contains(&row("The embedded widget", 1, 20))
        .contains(&row("Another instance", 0, 0));
}
