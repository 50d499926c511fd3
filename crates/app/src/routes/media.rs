//! Petitions' pictures: the organizer's upload (`POST /p/{slug}/image`, a multipart form on
//! the petition's edit page) and its removal, and the files (`GET /media/{file}`), which
//! never change under a name and are cached for a year.

use crate::error::AppError;
use crate::media::{self, MediaError, MAX_UPLOAD};
use crate::page::{parse_form, redirect, Visitor};
use crate::page_error::PageResult;
use crate::state::AppState;
use actix_multipart::Multipart;
use actix_web::http::{header, StatusCode};
use actix_web::{get, post, web, HttpResponse};
use futures_util::StreamExt;
use serde::Deserialize;
use signons_petition::picture::{self, Picture};

/// The most a form's text field (CSRF token, alternative text) may hold, in bytes.
const TEXT_FIELD_MAX: usize = 4 * 1024;
/// The most of a request read (and dropped) past a field's limit before giving up on it.
const DRAIN_MAX: usize = 4 * MAX_UPLOAD;

/// A picture's file: only names the media module makes, so no path leaves its folder.
#[get("/media/{file}")]
pub async fn file(state: web::Data<AppState>, name: web::Path<String>) -> Result<HttpResponse, AppError> {
    let name = name.into_inner();
    if !picture::is_file_name(&name) {
        return Err(AppError::NotFound);
    }
    let path = media::dir(&state.config.data_dir).join(&name);
    let bytes = web::block(move || std::fs::read(path)).await.map_err(AppError::internal)?;
    match bytes {
        Ok(bytes) => Ok(HttpResponse::Ok()
            .content_type("image/jpeg")
            .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .body(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(AppError::NotFound),
        Err(e) => Err(AppError::internal(e)),
    }
}

/// What the upload form sent.
#[derive(Default)]
struct Upload {
    csrf: String,
    alt: String,
    image: Vec<u8>,
    /// A field was over its limit (the image's: 10 MB).
    too_large: bool,
}

/// Reads the form, each field up to its limit; past it, the rest is read and dropped (up
/// to `DRAIN_MAX`), so that the browser gets the answer rather than a reset connection.
async fn read_upload(mut form: Multipart) -> Result<Upload, MediaError> {
    let mut upload = Upload::default();
    let mut read = 0usize;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|_| MediaError::Corrupt)?;
        let name = field.name().unwrap_or_default().to_owned();
        let limit = if name == "image" { MAX_UPLOAD } else { TEXT_FIELD_MAX };
        let mut value = Vec::new();
        let mut over = false;
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| MediaError::Corrupt)?;
            read = read.saturating_add(chunk.len());
            if read > DRAIN_MAX {
                return Err(MediaError::TooLarge);
            }
            if over || value.len() + chunk.len() > limit {
                over = true;
                value = Vec::new();
                continue;
            }
            value.extend_from_slice(&chunk);
        }
        if over {
            upload.too_large = true;
            continue;
        }
        match name.as_str() {
            "image" => upload.image = value,
            "csrf" => upload.csrf = String::from_utf8_lossy(&value).into_owned(),
            "alt" => upload.alt = String::from_utf8_lossy(&value).into_owned(),
            _ => {}
        }
    }
    Ok(upload)
}

/// Sets the petition's picture: checked by its content, re-encoded at a few widths, shown
/// with the alternative text the form asks. A refused upload shows the edit page again
/// with why; the old picture's files go once the new one is committed.
#[post("/p/{slug}/image")]
pub async fn upload_picture(
    state: web::Data<AppState>,
    visitor: Visitor,
    slug: web::Path<String>,
    form: Multipart,
) -> PageResult {
    let organizer = visitor.require_organizer()?.clone();
    let slug = slug.into_inner();
    // Another organization's petition is not found, whatever was sent.
    let p = crate::routes::organizer::own_petition(&state, &visitor, &slug).await?;
    let upload = read_upload(form).await;
    let refused = |key: &str, alt: &str, status| {
        crate::routes::organizer::picture_error_page(&state, &visitor, &p, key, alt, status)
    };
    let upload = match upload {
        Ok(u) => u,
        Err(e) => return Ok(refused(e.key(), "", status_of(e))),
    };
    visitor.check_csrf(&upload.csrf)?;
    if upload.too_large {
        return Ok(refused(MediaError::TooLarge.key(), &upload.alt, status_of(MediaError::TooLarge)));
    }
    let alt = match picture::parse_alt(&upload.alt) {
        Ok(alt) => alt,
        Err(errors) => {
            let key = errors.0.first().map(|e| e.code).unwrap_or("error-required");
            let key = if key == "error-too-long" { "picture-error-alt-too-long" } else { "picture-error-alt" };
            return Ok(refused(key, &upload.alt, StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    let image = upload.image;
    let processed = web::block(move || media::process(&image)).await.map_err(AppError::internal)?;
    let processed = match processed {
        Ok(p) => p,
        Err(e) => return Ok(refused(e.key(), &alt, status_of(e))),
    };
    let image_id = media::new_id();
    let data_dir = state.config.data_dir.clone();
    let (dir, id) = (data_dir.clone(), image_id.clone());
    let widths: Vec<u32> = processed.files.iter().map(|(w, _)| *w).collect();
    let new = Picture {
        image_id: image_id.clone(),
        width: i32::try_from(processed.width).map_err(AppError::internal)?,
        height: i32::try_from(processed.height).map_err(AppError::internal)?,
        alt,
    };
    web::block(move || media::store(&dir, &id, &processed))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)?;
    let fed = state.fed().clone();
    let saved = state
        .db
        .write_async(move |conn| -> Result<_, AppError> {
            let (p, old) = picture::set(conn, &organizer, &slug, &new)?;
            crate::federate::announce_change(conn, &fed, &p)?;
            Ok((p, old))
        })
        .await;
    let (p, old) = match saved {
        Ok(saved) => saved,
        Err(e) => {
            media::delete(&data_dir, &image_id, &widths);
            return Err(e.into());
        }
    };
    if let Some(old) = old {
        media::delete_picture(&data_dir, &old);
    }
    state.fed().wake.notify_one();
    state.invalidate_petition(&p.slug);
    Ok(redirect(&format!("/p/{}", p.slug)))
}

fn status_of(e: MediaError) -> StatusCode {
    match e {
        MediaError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// Removes the petition's picture (its files go once that is committed).
#[post("/p/{slug}/image/remove")]
pub async fn remove_picture(
    state: web::Data<AppState>,
    visitor: Visitor,
    slug: web::Path<String>,
    body: web::Bytes,
) -> PageResult {
    let organizer = visitor.require_organizer()?.clone();
    let form: CsrfForm = parse_form(&body)?;
    let slug = slug.into_inner();
    // Another organization's petition is not found.
    crate::routes::organizer::own_petition(&state, &visitor, &slug).await?;
    visitor.check_csrf(&form.csrf)?;
    let fed = state.fed().clone();
    let (p, old) = state
        .db
        .write_async(move |conn| -> Result<_, AppError> {
            let (p, old) = picture::remove(conn, &organizer, &slug)?;
            crate::federate::announce_change(conn, &fed, &p)?;
            Ok((p, old))
        })
        .await?;
    if let Some(old) = old {
        media::delete_picture(&state.config.data_dir, &old);
    }
    state.fed().wake.notify_one();
    state.invalidate_petition(&p.slug);
    Ok(redirect(&format!("/p/{}/edit", p.slug)))
}
