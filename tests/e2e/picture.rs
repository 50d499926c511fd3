//! A picture per petition (issue 12): uploaded by its organizer on the edit page, checked by
//! its content, re-encoded without its metadata at a few widths, shown with `srcset` on the
//! page and in cards, previewed by shared links (`og:image`) and carried by the petition's
//! ActivityPub object (`image`); refused when it is not an image or too large, refused to
//! another organization, served only under the names it was given.

use crate::helpers::*;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use std::io::Cursor;

on_both_backends! {
    an_uploaded_picture_shows_everywhere_without_its_metadata => picture_shown_sqlite, picture_shown_postgres;
    what_is_not_a_fit_image_is_refused_with_a_clear_message => picture_refused_sqlite, picture_refused_postgres;
    a_picture_is_served_to_the_public_only_while_its_petition_is_public => picture_visibility_sqlite, picture_visibility_postgres;
}

const ALT: &str = "Children planting a tree in the park";
pub(crate) const BOUNDARY: &str = "----signons-picture-test";

/// A PNG of `w` x `h` pixels with a `tEXt` chunk holding `secret` (metadata to be dropped).
pub(crate) fn png_with_text(w: u32, h: u32, secret: &str) -> Vec<u8> {
    let img = RgbImage::from_fn(w, h, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 120]));
    let mut png = Vec::new();
    DynamicImage::ImageRgb8(img).write_to(&mut Cursor::new(&mut png), ImageFormat::Png).unwrap();
    // A tEXt chunk after IHDR (8 bytes of signature, then IHDR: 4 + 4 + 13 + 4).
    let data = format!("Comment\0{secret}").into_bytes();
    let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
    let mut typed = b"tEXt".to_vec();
    typed.extend_from_slice(&data);
    chunk.extend_from_slice(&typed);
    chunk.extend_from_slice(&crc32(&typed).to_be_bytes());
    let at = 8 + 25;
    png.splice(at..at, chunk);
    png
}

/// A JPEG `w` x `h` whose EXIF says to turn it a quarter (orientation 6) and names its
/// photographer, `secret`.
fn jpeg_with_exif(w: u32, h: u32, secret: &str) -> Vec<u8> {
    let img = RgbImage::from_pixel(w, h, Rgb([10, 120, 200]));
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new(&mut jpeg).encode_image(&img).unwrap();
    // TIFF, big-endian: two entries (Orientation = 6, Artist = secret), then the text.
    let text = format!("{secret}\0").into_bytes();
    let mut tiff = b"MM\0\x2a\0\0\0\x08\0\x02".to_vec();
    tiff.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]);
    tiff.extend_from_slice(&[0x01, 0x3B, 0, 2]);
    tiff.extend_from_slice(&(text.len() as u32).to_be_bytes());
    tiff.extend_from_slice(&(8u32 + 2 + 2 * 12 + 4).to_be_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0]);
    tiff.extend_from_slice(&text);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut segment = vec![0xFF, 0xE1];
    segment.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    segment.extend_from_slice(&app1);
    jpeg.splice(2..2, segment);
    jpeg
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for b in bytes {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// The upload form's body: its CSRF token, the alternative text and the file.
pub(crate) fn multipart(csrf: &str, alt: &str, file_name: &str, file: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in [("csrf", csrf), ("alt", alt)] {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"{file_name}\"\r\n\
             Content-Type: image/png\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn upload(b: &Browser, slug: &str, csrf: &str, alt: &str, file_name: &str, file: &[u8]) -> Response {
    let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
    b.post_raw(&format!("/p/{slug}/image"), &content_type, multipart(csrf, alt, file_name, file)).await
}

pub(crate) async fn organizer(app: &TestApp) -> (Browser, String) {
    app.organizer_token().await;
    let b = app.browser();
    b.login(ORGANIZER_EMAIL, ORGANIZER_PASSWORD).await;
    let csrf = b.get("/dashboard").await.expect(200).csrf();
    (b, csrf)
}

/// The `srcset` of the first `<img>` with one in the page.
pub(crate) fn srcset(page: &str) -> String {
    let at = page.find("srcset=\"").expect("an image with a srcset") + "srcset=\"".len();
    page[at..at + page[at..].find('"').unwrap()].to_owned()
}

pub(crate) async fn bytes(app: &TestApp, path: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let r = app.browser().client.get(format!("{}{path}", app.url)).send().await.unwrap();
    let (status, headers) = (r.status().as_u16(), r.headers().clone());
    (status, headers, r.bytes().await.unwrap().to_vec())
}

async fn an_uploaded_picture_shows_everywhere_without_its_metadata(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = app.create_petition("Trees for the park", true).await;
    let (b, csrf) = organizer(&app).await;
    b.get(&format!("/p/{slug}/edit")).await.expect(200).contains("enctype=\"multipart/form-data\"");

    let secret = "GPS 45.76N 4.83E taken by Ada";
    let png = png_with_text(1200, 600, secret);
    assert!(png.windows(secret.len()).any(|w| w == secret.as_bytes()), "the test's PNG carries the text");
    let done = upload(&b, &slug, &csrf, ALT, "tree.png", &png).await;
    assert_eq!(done.expect(303).location(), format!("/p/{slug}"));

    // The page, for everyone: the widths up to the original's, and the alternative text.
    let page = app.browser().page_until(&format!("/p/{slug}"), "the picture", |p| p.body.contains("srcset")).await;
    page.contains(&format!("alt=\"{ALT}\"")).lacks_foreign_script();
    let body = unescape_html(&page.body);
    let set = srcset(&body);
    let files: Vec<&str> = set.split(", ").collect();
    assert_eq!(files.len(), 3, "{set}");
    for (file, width) in files.iter().zip([480, 960, 1200]) {
        assert!(file.starts_with("/media/") && file.ends_with(&format!("-{width}.jpg {width}w")), "{set}");
    }
    assert!(page.body.contains("width=\"960\" height=\"480\""), "the shown file's size");

    // Each file is a JPEG of its width, without the PNG's text, cached by anyone for an
    // hour (a moderator's removal must reach shared caches soon), then revalidated by name.
    for (file, width) in files.iter().zip([480u32, 960, 1200]) {
        let path = file.split(' ').next().unwrap();
        let (status, headers, body) = bytes(&app, path).await;
        assert_eq!(status, 200);
        assert_eq!(headers["content-type"], "image/jpeg");
        assert_eq!(headers["cache-control"], "public, max-age=3600");
        let etag = headers["etag"].to_str().unwrap().to_owned();
        let again = app.browser().client.get(format!("{}{path}", app.url)).header("if-none-match", &etag);
        let again = again.send().await.unwrap();
        assert_eq!(again.status().as_u16(), 304, "the file is the same under its name");
        assert!(again.bytes().await.unwrap().is_empty());
        let decoded = image::load_from_memory_with_format(&body, ImageFormat::Jpeg).unwrap();
        assert_eq!(decoded.width(), width);
        assert!(!body.windows(secret.len()).any(|w| w == secret.as_bytes()), "the metadata is gone");
        assert!(!body.windows(4).any(|w| w == b"Exif"), "no EXIF block");
        let head = app.browser().client.head(format!("{}{path}", app.url)).send().await.unwrap();
        assert_eq!(head.status().as_u16(), 200);
    }
    let widest = files[2].split(' ').next().unwrap();

    // A shared link previews the picture (absolute), not the drawn card.
    for meta in [
        format!("<meta property=\"og:image\" content=\"{}{widest}\">", app.url),
        "<meta property=\"og:image:type\" content=\"image/jpeg\">".to_owned(),
        format!("<meta property=\"og:image:alt\" content=\"{ALT}\">"),
        format!("<meta name=\"twitter:image\" content=\"{}{widest}\">", app.url),
    ] {
        assert!(body.contains(&meta), "{meta} not in the page:\n{body}");
    }

    // Cards of the home page carry it.
    app.browser().page_until("/", "the card's picture", |p| p.body.contains("class=\"card-picture\"")).await;

    // The petition's ActivityPub object: an Image, its alternative text its name.
    let actor = send(
        app.public_api().client.get(format!("{}/p/{slug}", app.url)).header("accept", "application/activity+json"),
    )
    .await;
    let actor = actor.expect(200).json();
    assert_eq!(actor["image"]["type"], "Image", "{actor}");
    assert_eq!(actor["image"]["url"], format!("{}{widest}", app.url));
    assert_eq!(actor["image"]["mediaType"], "image/jpeg");
    assert_eq!(actor["image"]["name"], ALT);

    // Replaced by a phone's photo: the new one shows, turned as its EXIF said, without the
    // EXIF; the old files are gone.
    let artist = "Ada Lovelace, 45.76N 4.83E";
    let photo = jpeg_with_exif(300, 200, artist);
    assert!(photo.windows(artist.len()).any(|w| w == artist.as_bytes()), "the test's JPEG carries EXIF");
    upload(&b, &slug, &csrf, "A newer tree", "photo.jpg", &photo).await.expect(303);
    let page =
        app.browser().page_until(&format!("/p/{slug}"), "the new picture", |p| p.body.contains("A newer tree")).await;
    let set = srcset(&unescape_html(&page.body));
    assert!(!set.contains(", ") && set.ends_with("-200.jpg 200w"), "a narrow original at its own width only: {set}");
    let (status, _, body) = bytes(&app, set.split(' ').next().unwrap()).await;
    assert_eq!(status, 200);
    let decoded = image::load_from_memory_with_format(&body, ImageFormat::Jpeg).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (200, 300), "turned a quarter");
    assert!(!body.windows(4).any(|w| w == b"Exif"), "no EXIF block");
    assert!(!body.windows(artist.len()).any(|w| w == artist.as_bytes()));
    assert_eq!(bytes(&app, widest).await.0, 404, "the replaced picture's files are deleted");

    // Removed: no picture, the drawn card is previewed again.
    b.post_form(&format!("/p/{slug}/image/remove"), &[("csrf", &csrf)]).await.expect(303);
    let page = app.browser().page_until(&format!("/p/{slug}"), "no picture", |p| !p.body.contains("srcset")).await;
    let og = format!("<meta property=\"og:image\" content=\"{}/p/{slug}/share.svg\">", app.url);
    assert!(unescape_html(&page.body).contains(&og), "the drawn card again");
}

async fn what_is_not_a_fit_image_is_refused_with_a_clear_message(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slug = app.create_petition("A bench by the river", true).await;
    let (b, csrf) = organizer(&app).await;

    // Text named x.png: refused by its content, with a message, and nothing stored.
    let text = upload(&b, &slug, &csrf, ALT, "x.png", b"this is not an image, whatever its name says").await;
    text.expect(422).contains("This file is not an image").contains(&format!("value=\"{ALT}\""));
    // Too large: refused, the whole body read (the answer arrives).
    let big = vec![0u8; 11 * 1024 * 1024];
    upload(&b, &slug, &csrf, ALT, "big.png", &big).await.expect(413).contains("larger than 10 MB");
    // A damaged image.
    let mut cut = png_with_text(200, 200, "x");
    cut.truncate(cut.len() / 2);
    upload(&b, &slug, &csrf, ALT, "cut.png", &cut).await.expect(422).contains("damaged");
    // No alternative text.
    upload(&b, &slug, &csrf, "", "ok.png", &png_with_text(100, 100, "x"))
        .await
        .expect(422)
        .contains("Describe the image");
    // In French too.
    let fr = app.browser_in("fr");
    fr.login(ORGANIZER_EMAIL, ORGANIZER_PASSWORD).await;
    let fr_csrf = fr.get("/dashboard").await.expect(200).csrf();
    upload(&fr, &slug, &fr_csrf, ALT, "x.png", b"texte").await.expect(422).contains("n’est pas une image");
    app.browser().get(&format!("/p/{slug}")).await.expect(200).lacks("srcset");
    assert!(
        !app.state.config.data_dir.join("media").exists()
            || std::fs::read_dir(app.state.config.data_dir.join("media")).unwrap().next().is_none()
    );

    // Another organization's organizer: not found, nothing changes.
    app.create_organizer(OTHER_EMAIL, "another-association").await;
    let other = app.browser();
    other.login(OTHER_EMAIL, ORGANIZER_PASSWORD).await;
    let other_csrf = other.get("/dashboard").await.expect(200).csrf();
    upload(&other, &slug, &other_csrf, ALT, "tree.png", &png_with_text(100, 100, "x")).await.expect(404);
    other.post_form(&format!("/p/{slug}/image/remove"), &[("csrf", &other_csrf)]).await.expect(404);
    // Without the CSRF token.
    upload(&b, &slug, "forged", ALT, "tree.png", &png_with_text(100, 100, "x")).await.expect(403);
    app.browser().get(&format!("/p/{slug}")).await.expect(200).lacks("srcset");

    // Only names the media module makes are served.
    for path in
        ["/media/..%2Fsignons.db", "/media/x.jpg", "/media/link.key", "/media/0123456789abcdef0123456789abcdef-480.jpg"]
    {
        assert_eq!(bytes(&app, path).await.0, 404, "{path}");
    }
    // Sent as written: no client normalizing `..` away.
    let head = "GET /media/../signons.db HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let (status, response) = raw_http(app.port, head, b"").await;
    assert!(status == 404 || status == 400, "{status}: {response}");
    assert!(!response.contains("SQLite format"), "the database is not served");
}

const OTHER_EMAIL: &str = "someone@other.example.org";

/// The path of the widest file of the picture on the petition's edit page.
async fn picture_path(b: &Browser, slug: &str) -> String {
    let page = b.get(&format!("/p/{slug}/edit")).await;
    let set = srcset(&unescape_html(&page.expect(200).body));
    set.split(", ").last().unwrap().split(' ').next().unwrap().to_owned()
}

async fn a_picture_is_served_to_the_public_only_while_its_petition_is_public(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let open = app.create_petition("A fountain in the square", true).await;
    let draft = app.create_petition("A draft with a picture", false).await;
    let (b, csrf) = organizer(&app).await;
    for slug in [&open, &draft] {
        upload(&b, slug, &csrf, ALT, "tree.png", &png_with_text(500, 250, "x")).await.expect(303);
    }
    let (open_file, draft_file) = (picture_path(&b, &open).await, picture_path(&b, &draft).await);
    app.create_organizer(OTHER_EMAIL, "another-association").await;
    let other = app.browser();
    other.login(OTHER_EMAIL, ORGANIZER_PASSWORD).await;

    // Open: anyone, cached publicly.
    let (status, headers, _) = bytes(&app, &open_file).await;
    assert_eq!(status, 200);
    assert!(headers["cache-control"].to_str().unwrap().starts_with("public"));
    // A draft's: its organizers only (their preview and edit page), never cached.
    assert_eq!(bytes(&app, &draft_file).await.0, 404, "a draft's picture, to a visitor");
    assert_eq!(other.get(&draft_file).await.status.as_u16(), 404, "to another organization's organizer");
    let own = b.get(&draft_file).await;
    own.expect(200);
    assert_eq!(own.header("cache-control"), Some("private, no-store"));
    let preview = b.get(&format!("/p/{draft}")).await;
    assert!(unescape_html(&preview.expect(200).body).contains(&draft_file), "its organizers' preview shows it");

    // Hidden by the moderators: not found for the public, still there for its organizers.
    let slug = open.clone();
    app.write(move |conn| {
        let reason = signons_petition::moderation::HiddenReason::parse("A picture nobody may see").unwrap();
        signons_petition::moderation::hide(conn, &slug, &reason).expect("hidden");
        Ok(())
    })
    .await;
    assert_eq!(bytes(&app, &open_file).await.0, 404, "a hidden petition's picture, to a visitor");
    assert_eq!(other.get(&open_file).await.status.as_u16(), 404);
    b.get(&open_file).await.expect(200);
}
