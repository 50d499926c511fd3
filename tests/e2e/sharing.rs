//! Sharing a petition without a third party: the preview tags of a petition page, its drawn
//! share image, the share links, the step to the visitor's own fediverse server, and
//! numbers written as the visitor's language writes them. (The browser test clicks them.)

use crate::helpers::*;
use serde_json::json;

on_both_backends! {
    a_petition_page_previews_and_offers_to_share => a_petition_page_previews_and_offers_to_share_sqlite, a_petition_page_previews_and_offers_to_share_postgres;
    the_fediverse_share_goes_to_the_visitors_server_only => the_fediverse_share_goes_to_the_visitors_server_only_sqlite, the_fediverse_share_goes_to_the_visitors_server_only_postgres;
    numbers_are_written_as_each_language_writes_them => numbers_are_written_as_each_language_writes_them_sqlite, numbers_are_written_as_each_language_writes_them_postgres;
}

async fn a_petition_page_previews_and_offers_to_share(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = app.create_petition("Save the <park> & the trees", true).await;
    let url = format!("{}/p/{slug}", app.url);
    let page = app.browser().get(&format!("/p/{slug}")).await;
    page.expect(200)
        .contains("<meta property=\"og:title\" content=\"Save the &lt;park&gt; &amp; the trees\">")
        .contains(&format!("<meta property=\"og:image\" content=\"{}/share.svg\">", escaped(&url)))
        .contains("<meta name=\"twitter:card\" content=\"summary_large_image\">")
        // The description's text, without its markup.
        .contains("<meta name=\"description\" content=\"The park is ours: keep it green")
        .contains("href=\"https://wa.me/?text=")
        .contains(&format!("https://www.facebook.com/sharer/sharer.php?u={}", encode(&url)))
        .contains("action=\"/share\"")
        .contains("id=\"follow-title\"")
        .lacks_foreign_script();

    let image = app.browser().get(&format!("/p/{slug}/share.svg")).await;
    image.expect(200).contains("Save the &lt;park&gt; &amp; the trees").contains("0 signatures").lacks("<park>");
    assert_eq!(image.header("content-type"), Some("image/svg+xml"));
    app.sign_and_read_email(&slug, "Ann", "ann@example.org").await;

    // A draft has no preview for anyone but its organizers.
    let draft = app.create_petition("Not yet", false).await;
    app.browser().get(&format!("/p/{draft}/share.svg")).await.expect(404);
    app.browser().get("/p/no-such-petition/share.svg").await.expect(404);

    // The thanks page shares prominently too.
    app.browser().get(&format!("/p/{slug}/thanks")).await.expect(200).contains("id=\"share-title\"");
}

async fn the_fediverse_share_goes_to_the_visitors_server_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = app.create_petition("Save the park", true).await;
    let url = format!("{}/p/{slug}", app.url);
    let visitor = app.browser();
    let share =
        |instance: &str| format!("/share?instance={}&url={}&title=Save%20the%20park", encode(instance), encode(&url));

    let page = visitor.get(&share("@ada@Mastodon.Social/")).await;
    let go = format!("https://mastodon.social/share?text=Save%20the%20park%20{}", encode(&url));
    page.expect(200).contains(&format!("href=\"{}\"", escaped(&go)));
    for bad in ["", "localhost", "javascript:alert(1)", "127.0.0.1", "<b>x</b>.org"] {
        let refused = visitor.get(&share(bad)).await;
        refused.expect(422).contains("id=\"share-instance-error\"").contains("aria-invalid=\"true\"").lacks("<b>x");
    }
    // Only this instance's petitions: the form is not a way to send people anywhere with any text.
    let elsewhere = format!("/share?instance=mastodon.social&url={}&title=x", encode("https://evil.example/p/x"));
    visitor.get(&elsewhere).await.expect(400);
    let snapshot = app.snapshot().await;
    app.assert_unchanged(&snapshot).await;
}

async fn numbers_are_written_as_each_language_writes_them(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = app
        .create_petition_with(json!({
            "title": "Big goal", "target": "The council", "description": "Many people want this, and say so.", "goal": 12500, "publish": true,
        }))
        .await;
    app.browser_in("en").get(&format!("/p/{slug}")).await.expect(200).contains("of 12,500 needed");
    app.browser_in("fr")
        .get(&format!("/p/{slug}"))
        .await
        .expect(200)
        .contains("0 signature")
        .contains("pour un objectif de 12\u{202F}500");
}

/// A query parameter's value as the pages write it (unreserved characters kept).
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
