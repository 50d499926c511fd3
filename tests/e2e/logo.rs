//! An organization's logo (issue 11): uploaded by an owner on the organization's edit page,
//! through the pipeline of petitions' pictures (checked by its content, re-encoded at small
//! widths), shown with `srcset` on the organization's page and beside its name on its
//! petitions' pages (cached pages dropped at once), carried by the organization's actor as
//! its `icon`; refused to editors and when it is not an image; removed, gone everywhere.

use crate::helpers::*;
use crate::picture::{bytes, multipart, png_with_text, srcset, BOUNDARY};
use diesel::prelude::*;
use signons_store::schema::{organizations, organizers};

on_both_backends! {
    an_owners_logo_shows_on_the_organization_its_petitions_and_its_actor => logo_shown_sqlite, logo_shown_postgres;
    editors_and_bad_files_change_no_logo => logo_refused_sqlite, logo_refused_postgres;
}

async fn upload(b: &Browser, csrf: &str, file_name: &str, file: &[u8]) -> Response {
    let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
    b.post_raw(&format!("/o/{ORGANIZATION}/logo"), &content_type, multipart(csrf, "", file_name, file)).await
}

async fn owner(app: &TestApp) -> (Browser, String) {
    app.organizer_token().await;
    let b = app.browser();
    b.login(ORGANIZER_EMAIL, ORGANIZER_PASSWORD).await;
    let csrf = b.get(&format!("/o/{ORGANIZATION}/edit")).await.expect(200).csrf();
    (b, csrf)
}

async fn organization_name(app: &TestApp) -> String {
    app.read(|conn| {
        organizations::table.filter(organizations::slug.eq(ORGANIZATION)).select(organizations::name).first(conn)
    })
    .await
}

async fn actor(app: &TestApp) -> serde_json::Value {
    let request = app
        .public_api()
        .client
        .get(format!("{}/o/{ORGANIZATION}", app.url))
        .header("accept", "application/activity+json");
    send(request).await.expect(200).json()
}

async fn an_owners_logo_shows_on_the_organization_its_petitions_and_its_actor(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = app.create_petition("Benches for the park", true).await;
    let (b, csrf) = owner(&app).await;
    let name = organization_name(&app).await;
    let alt = format!("alt=\"{}\"", escaped(&name));
    // The petition's page is cached before the logo exists.
    app.browser().get(&format!("/p/{slug}")).await.expect(200).lacks("logo-small");
    assert!(actor(&app).await.get("icon").is_none(), "no icon before a logo");

    let done = upload(&b, &csrf, "logo.png", &png_with_text(600, 300, "made with a paint program")).await;
    assert_eq!(done.expect(303).location(), format!("/o/{ORGANIZATION}/edit"));
    // At once on the petition's page: its cached page was dropped (it would otherwise be
    // served for up to a second).
    let petition_page = app.browser().get(&format!("/p/{slug}")).await;
    petition_page.expect(200).contains("class=\"logo-small\"").contains(&alt);
    b.get(&format!("/o/{ORGANIZATION}/edit")).await.expect(200).contains("class=\"logo\"").contains("/logo/remove");

    // The organization's page: small widths, the organization's name as alternative text.
    let page = app.browser().get(&format!("/o/{ORGANIZATION}")).await;
    page.expect(200).contains("class=\"logo\"").contains(&alt).lacks_foreign_script();
    let set = srcset(&unescape_html(&page.body));
    let files: Vec<&str> = set.split(", ").collect();
    assert_eq!(files.len(), 3, "{set}");
    for (file, width) in files.iter().zip([64, 128, 256]) {
        assert!(file.starts_with("/media/") && file.ends_with(&format!("-{width}.jpg {width}w")), "{set}");
    }
    let widest = files[2].split(' ').next().unwrap().to_owned();
    let (status, headers, body) = bytes(&app, &widest).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "image/jpeg");
    assert!(headers["cache-control"].to_str().unwrap().contains("public"));
    let decoded = image::load_from_memory_with_format(&body, image::ImageFormat::Jpeg).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (256, 128));

    // The petition's page shows the same files, beside the organization's name.
    assert_eq!(srcset(&unescape_html(&petition_page.body)), set);

    // The organization's actor: its icon, an Image.
    let doc = actor(&app).await;
    assert_eq!(doc["icon"]["type"], "Image", "{doc}");
    assert_eq!(doc["icon"]["url"], format!("{}{widest}", app.url));
    assert_eq!(doc["icon"]["mediaType"], "image/jpeg");
    assert_eq!(doc["icon"]["name"], name.as_str());

    // Replaced: the old files go.
    upload(&b, &csrf, "square.png", &png_with_text(100, 100, "x")).await.expect(303);
    let page = app.browser().get(&format!("/o/{ORGANIZATION}")).await;
    let set = srcset(&unescape_html(&page.expect(200).body));
    assert!(set.ends_with("-100.jpg 100w") && set.contains("-64.jpg 64w"), "{set}");
    assert_eq!(bytes(&app, &widest).await.0, 404, "the replaced logo's files are deleted");
    let newest = set.split(", ").last().unwrap().split(' ').next().unwrap().to_owned();

    // Removed: gone from every page, the actor and the media.
    b.post_form(&format!("/o/{ORGANIZATION}/logo/remove"), &[("csrf", &csrf)]).await.expect(303);
    app.browser().get(&format!("/o/{ORGANIZATION}")).await.expect(200).lacks("srcset").lacks("class=\"logo\"");
    app.browser().get(&format!("/p/{slug}")).await.expect(200).lacks("logo-small");
    assert!(actor(&app).await.get("icon").is_none(), "no icon once removed");
    assert_eq!(bytes(&app, &newest).await.0, 404);
}

async fn editors_and_bad_files_change_no_logo(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (b, csrf) = owner(&app).await;

    // Text named logo.png, an empty file, a file too large: refused with the picture's
    // messages, nothing stored.
    let text = upload(&b, &csrf, "logo.png", b"this is not an image, whatever its name says").await;
    text.expect(422).contains("This file is not an image").contains("id=\"logo-error\"");
    upload(&b, &csrf, "empty.png", b"").await.expect(422).contains("Choose an image");
    let big = vec![0u8; 11 * 1024 * 1024];
    upload(&b, &csrf, "big.png", &big).await.expect(413).contains("larger than 10 MB");
    let fr = app.browser_in("fr");
    fr.login(ORGANIZER_EMAIL, ORGANIZER_PASSWORD).await;
    let fr_csrf = fr.get(&format!("/o/{ORGANIZATION}/edit")).await.expect(200).contains("Envoyer le logo").csrf();
    upload(&fr, &fr_csrf, "x.png", b"texte").await.expect(422).contains("n’est pas une image");
    // Without the CSRF token.
    upload(&b, "forged", "logo.png", &png_with_text(100, 100, "x")).await.expect(403);
    app.browser().get(&format!("/o/{ORGANIZATION}")).await.expect(200).lacks("srcset");
    let media = app.state.config.data_dir.join("media");
    assert!(!media.exists() || std::fs::read_dir(&media).unwrap().next().is_none(), "no file kept");

    // An owner's logo, then an editor of the organization: refused, the logo stays.
    upload(&b, &csrf, "logo.png", &png_with_text(300, 300, "x")).await.expect(303);
    app.create_organizer("editor@example.org", "editors-own").await;
    app.write(|conn| {
        let editor: signons_store::Id =
            organizers::table.filter(organizers::email.eq("editor@example.org")).select(organizers::id).first(conn)?;
        let org: signons_store::Id =
            organizations::table.filter(organizations::slug.eq(ORGANIZATION)).select(organizations::id).first(conn)?;
        signons_petition::organization::add_membership(conn, &editor, &org, signons_petition::Role::Editor)
            .expect("a membership");
        Ok(())
    })
    .await;
    let editor = app.browser();
    editor.login("editor@example.org", ORGANIZER_PASSWORD).await;
    let editor_csrf = editor.get("/dashboard").await.expect(200).csrf();
    editor.get(&format!("/o/{ORGANIZATION}/edit")).await.expect(403);
    upload(&editor, &editor_csrf, "mine.png", &png_with_text(100, 100, "x")).await.expect(403);
    editor.post_form(&format!("/o/{ORGANIZATION}/logo/remove"), &[("csrf", &editor_csrf)]).await.expect(403);
    let page = app.browser().get(&format!("/o/{ORGANIZATION}")).await;
    let set = srcset(&unescape_html(&page.expect(200).body));
    assert!(set.ends_with("-256.jpg 256w"), "the owner's logo stays: {set}");
}
