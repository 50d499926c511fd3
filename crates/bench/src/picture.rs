//! The bench petition's picture, uploaded as an organizer does: the login form, then the
//! edit page's multipart form. Issue 12 asks the petition page to hold 20,000/s with a
//! picture, the map and the recent signers, so the page under load carries all three.

use crate::client::Conn;
use anyhow::{bail, Context as _};
use bytes::Bytes;
use hyper::Method;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use std::io::Cursor;

const BOUNDARY: &str = "signons-bench-boundary";
const CONTENT_TYPE: &str = "multipart/form-data; boundary=signons-bench-boundary";

/// A photograph-sized picture (1600×900, a gradient, so that it does not compress to
/// nothing): the server keeps all three of its widths.
fn photo() -> anyhow::Result<Vec<u8>> {
    let img = RgbImage::from_fn(1600, 900, |x, y| Rgb([(x / 7) as u8, (y / 4) as u8, ((x + y) / 10) as u8]));
    let mut png = Vec::new();
    DynamicImage::ImageRgb8(img).write_to(&mut Cursor::new(&mut png), ImageFormat::Png)?;
    Ok(png)
}

fn multipart(fields: &[(&str, &str)], file: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"petition.png\"\r\n\
             Content-Type: image/png\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Logs in on `conn` and gives the petition `slug` its picture.
pub async fn attach(conn: &mut Conn, email: &str, password: &str, slug: &str) -> anyhow::Result<()> {
    conn.get("/login").await?;
    let csrf = conn.csrf.clone().context("the login page set no CSRF cookie")?;
    let form = format!("csrf={csrf}&email={}&password={password}", email.replace('@', "%40"));
    let login = conn.post_form("/login", form).await?;
    if login.status.as_u16() != 303 || conn.session.is_none() {
        bail!("cannot log in as {email}: {}", login.status);
    }
    // A logged-in organizer's forms carry a token derived from the session: read it from
    // the edit page, as a browser submits it.
    let edit = conn.get(&format!("/p/{slug}/edit")).await?;
    let edit = String::from_utf8_lossy(&edit.body);
    let csrf = edit
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .context("no CSRF field on the edit page")?
        .to_owned();
    let body = multipart(&[("csrf", &csrf), ("alt", "Trees along the river, in spring")], &photo()?);
    let done = conn.request(Method::POST, &format!("/p/{slug}/image"), Some(CONTENT_TYPE), Bytes::from(body)).await?;
    if done.status.as_u16() != 303 {
        bail!("the picture was refused: {} {}", done.status, String::from_utf8_lossy(&done.body));
    }
    Ok(())
}
