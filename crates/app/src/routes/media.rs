//! Images: a petition's picture (`POST /p/{slug}/image`, a multipart form on the
//! petition's edit page) and an organization's logo (`POST /o/{slug}/logo`, on the
//! organization's edit page, owners only), their removal, and the files
//! (`GET /media/{file}`), which never change under a name. A picture is served while its
//! petition is public (cached for an hour, then revalidated), and to its organizers (and the admins) while it
//! is not (never cached); a logo always, as its organization's page.

use crate::error::AppError;
use crate::media::{self, MediaError, MAX_UPLOAD};
use crate::page::{redirect, Visitor};
use crate::page_error::PageResult;
use crate::state::AppState;
use actix_multipart::Multipart;
use actix_web::http::{header, StatusCode};
use actix_web::{get, post, web, FromRequest, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use signons_petition::image::{self, Sizes};
use signons_petition::logo::{self, Logo};
use signons_petition::picture::{self, Picture};
use signons_petition::{Organizer, PetitionStatus};

/// The most a form's text field (CSRF token, alternative text) may hold, in bytes.
const TEXT_FIELD_MAX: usize = 4 * 1024;
/// The most of a request read (and dropped) past a field's limit before giving up on it.
const DRAIN_MAX: usize = 4 * MAX_UPLOAD;

/// How a file may be cached: by anyone while anyone may see it, but for an hour only, so
/// that a petition the moderators hide or remove takes its picture out of shared caches
/// soon (a file never changes under its name, which is its ETag: revalidating is a 304);
/// by no one while only its petition's organizers may.
const PUBLIC_FILE: &str = "public, max-age=3600";
const PRIVATE_FILE: &str = "private, no-store";

/// An image's file: only names the media module makes, so no path leaves its folder, and
/// only while whoever asks may see what it illustrates (another's draft, a hidden or removed
/// petition: not found).
#[get("/media/{file}")]
pub async fn file(
    req: HttpRequest,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, actix_web::Error> {
    let name = name.into_inner();
    let id = image::id_of_file(&name).ok_or(AppError::NotFound)?.to_owned();
    let cache = match whose(&state, &id).await? {
        Owner::Public => PUBLIC_FILE,
        Owner::Petition(organization, status) => {
            // Only now the session, which most requests (the public's) do not need.
            let visitor = Visitor::extract(&req).await?;
            if !may_see_unpublished(visitor.organizer.as_ref(), &organization, status) {
                return Err(AppError::NotFound.into());
            }
            PRIVATE_FILE
        }
        Owner::Nobody => return Err(AppError::NotFound.into()),
    };
    let etag = format!("\"{name}\"");
    if crate::http_cache::if_none_match(&req, &etag) {
        return Ok(crate::http_cache::not_modified(&etag, cache, None));
    }
    let path = media::dir(&state.config.data_dir).join(&name);
    let bytes = web::block(move || std::fs::read(path)).await.map_err(AppError::internal)?;
    match bytes {
        Ok(bytes) => Ok(HttpResponse::Ok()
            .content_type("image/jpeg")
            .insert_header((header::CACHE_CONTROL, cache))
            .insert_header((header::ETAG, etag))
            .body(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(AppError::NotFound.into()),
        Err(e) => Err(AppError::internal(e).into()),
    }
}

/// What an image illustrates, as far as who may see it.
enum Owner {
    /// A logo, or the picture of a public petition.
    Public,
    /// The picture of a petition not public: its organization and status.
    Petition(signons_store::Id, PetitionStatus),
    /// Nothing (an image replaced, or never committed).
    Nobody,
}

async fn whose(state: &AppState, image_id: &str) -> Result<Owner, AppError> {
    let id = image_id.to_owned();
    state
        .db
        .read_async(move |conn| -> Result<Owner, AppError> {
            if logo::is_logo(conn, &id)? {
                return Ok(Owner::Public);
            }
            Ok(match picture::petition_of(conn, &id)? {
                Some((_, status)) if status.is_public() => Owner::Public,
                Some((organization, status)) => Owner::Petition(organization, status),
                None => Owner::Nobody,
            })
        })
        .await
}

/// A petition that is not public is seen by its organizers (their preview and edit page)
/// and the admins (the review queue), until it is removed.
fn may_see_unpublished(who: Option<&Organizer>, organization: &signons_store::Id, status: PetitionStatus) -> bool {
    status != PetitionStatus::Removed && who.is_some_and(|o| o.is_admin || o.acts_for(organization))
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
    let stored = match store_image(&state, upload.image, Sizes::Picture).await? {
        Ok(stored) => stored,
        Err(e) => return Ok(refused(e.key(), &alt, status_of(e))),
    };
    let new = Picture { image_id: stored.image_id.clone(), width: stored.width, height: stored.height, alt };
    let fed = state.fed().clone();
    let saved = state
        .db
        .write_async(move |conn| -> Result<_, AppError> {
            let (p, old) = picture::set(conn, &organizer, &slug, &new)?;
            crate::federate::announce_change(conn, &fed, &p)?;
            Ok((p, old))
        })
        .await;
    let (p, old) = stored.committed(&state, saved)?;
    if let Some(old) = old {
        media::delete_image(&state.config.data_dir, &old);
    }
    state.fed().wake.notify_one();
    state.invalidate_petition(&p.slug);
    Ok(redirect(&format!("/p/{}", p.slug)))
}

/// An upload's files, written, and not yet in a row.
struct Stored {
    image_id: String,
    width: i32,
    height: i32,
    widths: Vec<u32>,
}

impl Stored {
    /// What the write that names these files gave: on failure, the files go.
    fn committed<T>(&self, state: &AppState, saved: Result<T, AppError>) -> Result<T, AppError> {
        saved.inspect_err(|_| media::delete(&state.config.data_dir, &self.image_id, &self.widths))
    }
}

/// Checks, re-encodes (at the widths of `sizes`) and writes an upload's files, off the
/// async threads: the outer error is the server's, the inner why the upload is refused.
async fn store_image(state: &AppState, bytes: Vec<u8>, sizes: Sizes) -> Result<Result<Stored, MediaError>, AppError> {
    let processed = web::block(move || media::process(&bytes, sizes)).await.map_err(AppError::internal)?;
    let processed = match processed {
        Ok(p) => p,
        Err(e) => return Ok(Err(e)),
    };
    let stored = Stored {
        image_id: media::new_id(),
        width: i32::try_from(processed.width).map_err(AppError::internal)?,
        height: i32::try_from(processed.height).map_err(AppError::internal)?,
        widths: processed.files.iter().map(|(w, _)| *w).collect(),
    };
    let (dir, id) = (state.config.data_dir.clone(), stored.image_id.clone());
    web::block(move || media::store(&dir, &id, &processed))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)?;
    Ok(Ok(stored))
}

fn status_of(e: MediaError) -> StatusCode {
    match e {
        MediaError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
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
    let slug = slug.into_inner();
    // Another organization's petition is not found.
    crate::routes::organizer::own_petition(&state, &visitor, &slug).await?;
    visitor.check_csrf_form(&body)?;
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
        media::delete_image(&state.config.data_dir, &old);
    }
    state.fed().wake.notify_one();
    state.invalidate_petition(&p.slug);
    Ok(redirect(&format!("/p/{}/edit", p.slug)))
}

/// Sets the organization's logo (owners only): checked by its content as a picture is,
/// re-encoded at small widths, shown with the organization's name as its alternative text.
/// A refused upload shows the edit page again with why. The pages showing it (the
/// organization's, its petitions') are cached: they are all dropped.
#[post("/o/{slug}/logo")]
pub async fn upload_logo(
    state: web::Data<AppState>,
    visitor: Visitor,
    slug: web::Path<String>,
    form: Multipart,
) -> PageResult {
    let (organizer, m) = crate::routes::organizations::owner(&visitor, &slug)?;
    let refused =
        |key: &'static str, status| crate::routes::organizations::logo_error_page(&state, &visitor, &m, key, status);
    let upload = match read_upload(form).await {
        Ok(u) => u,
        Err(e) => return refused(e.key(), status_of(e)).await,
    };
    visitor.check_csrf(&upload.csrf)?;
    if upload.too_large {
        return refused(MediaError::TooLarge.key(), status_of(MediaError::TooLarge)).await;
    }
    let stored = match store_image(&state, upload.image, Sizes::Logo).await? {
        Ok(stored) => stored,
        Err(e) => return refused(e.key(), status_of(e)).await,
    };
    let new = Logo { image_id: stored.image_id.clone(), width: stored.width, height: stored.height };
    let (organization, org_slug, fed) = (m.organization.id.clone(), m.organization.slug.clone(), state.fed().clone());
    let saved = state
        .db
        .write_async(move |conn| -> Result<_, AppError> {
            let old = logo::set(conn, &organizer, &organization, &new)?;
            signons_federation::lifecycle::organization_changed(conn, &fed, &org_slug)?;
            Ok(old)
        })
        .await;
    if let Some(old) = stored.committed(&state, saved)? {
        media::delete_image(&state.config.data_dir, &old);
    }
    state.fed().wake.notify_one();
    state.invalidate_petitions();
    Ok(redirect(&format!("/o/{}/edit", m.organization.slug)))
}

/// Removes the organization's logo (owners only; its files go once that is committed).
#[post("/o/{slug}/logo/remove")]
pub async fn remove_logo(
    state: web::Data<AppState>,
    visitor: Visitor,
    slug: web::Path<String>,
    body: web::Bytes,
) -> PageResult {
    let (organizer, m) = crate::routes::organizations::owner(&visitor, &slug)?;
    visitor.check_csrf_form(&body)?;
    let (organization, org_slug, fed) = (m.organization.id.clone(), m.organization.slug.clone(), state.fed().clone());
    let old = state
        .db
        .write_async(move |conn| -> Result<_, AppError> {
            let old = logo::remove(conn, &organizer, &organization)?;
            signons_federation::lifecycle::organization_changed(conn, &fed, &org_slug)?;
            Ok(old)
        })
        .await?;
    if let Some(old) = old {
        media::delete_image(&state.config.data_dir, &old);
    }
    state.fed().wake.notify_one();
    state.invalidate_petitions();
    Ok(redirect(&format!("/o/{}/edit", m.organization.slug)))
}
