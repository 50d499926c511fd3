//! A petition's insight page (issue 11): signatures over time as a server-drawn SVG chart,
//! by country and postal-code prefix, the share who asked for news, where signatures came
//! from; counting what the count counts, and shown to the petition's organizers only.

use crate::export::{four_signers, petition, remote_signers};
use crate::helpers::*;

on_both_backends! {
    insight_counts_what_the_count_counts => insight_counts_what_the_count_counts_sqlite, insight_counts_what_the_count_counts_postgres;
    only_the_petitions_organizers_see_its_insight => only_the_petitions_organizers_see_its_insight_sqlite, only_the_petitions_organizers_see_its_insight_postgres;
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
