//! What a petition's organizers take away: the CSV of its confirmed signatures
//! (`/p/{slug}/signatures.csv`), the printable list for the decision maker
//! (`/p/{slug}/print`: names signers made public and places, never an email), and the
//! same rows in the API (`GET /api/v1/petitions/{slug}/signatures`, OSDI-shaped pages, or
//! the CSV with `Accept: text/csv`), and the people of the organizer's organizations
//! (`GET /api/v1/people`, the same pages). Only organizers of the petition's organization see
//! them; anyone else is told there is no such petition, so nothing is learnt of it.

use crate::error::AppError;
use crate::page::Visitor;
use crate::page_error::PageResult;
use crate::read_model::export::{self, Columns};
use crate::routes::api::ApiOrganizer;
use crate::state::AppState;
use actix_web::http::{header, StatusCode};
use actix_web::{get, web, HttpRequest, HttpResponse};
use futures_util::StreamExt as _;
use serde::Deserialize;
use signons_petition::{Organizer, Petition};
use signons_render::Context;
use signons_signature::export::Cursor;

/// Where the printable list's template puts the rows, streamed in its place.
const ROWS_MARK: &str = "<!--signons-rows-->";

/// API pages: OSDI's default size, and the most one page may hold.
const API_DEFAULT_PER_PAGE: i64 = 25;
const API_MAX_PER_PAGE: i64 = 100;

/// The petition, if it is one of the organizer's organization (else not found, as for a
/// petition that does not exist), with its count.
async fn own_petition(state: &AppState, organizer: &Organizer, slug: String) -> Result<(Petition, i64), AppError> {
    let organizer = organizer.clone();
    state
        .db
        .read_async(move |conn| -> Result<_, AppError> {
            let p = crate::read_model::own::petition(conn, &organizer, &slug)?;
            let (count, _) = signons_signature::counts::total_by_origin(conn, &p.id)?;
            Ok((p, count))
        })
        .await
}

/// The whole CSV, streamed, as a download.
fn csv_download(state: &AppState, p: &Petition) -> HttpResponse {
    let columns = Columns::new(p, state.fed().urls.host());
    let name = export::file_name(&p.slug, chrono::Utc::now().date_naive());
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(export::csv_stream(state.db.clone(), p.id.clone(), columns))
}

#[get("/p/{slug}/signatures.csv")]
pub async fn download_csv(state: web::Data<AppState>, visitor: Visitor, slug: web::Path<String>) -> PageResult {
    let organizer = visitor.require_organizer()?;
    let (p, _) = own_petition(&state, organizer, slug.into_inner()).await?;
    Ok(csv_download(&state, &p))
}

/// The list to print and hand over: the page is rendered with a mark where the rows go,
/// and the rows are streamed in its place.
#[get("/p/{slug}/print")]
pub async fn print_list(state: web::Data<AppState>, visitor: Visitor, slug: web::Path<String>) -> PageResult {
    let organizer = visitor.require_organizer()?;
    let (p, count) = own_petition(&state, organizer, slug.into_inner()).await?;
    let columns = Columns::new(&p, state.fed().urls.host());
    let mut context = Context::new();
    context.insert("title", &p.title);
    context.insert("slug", &p.slug);
    context.insert("target", &p.target);
    context.insert("total", &count);
    context.insert("date", &chrono::Utc::now().date_naive().to_string());
    context.insert("ask_country", &p.ask_country);
    context.insert("ask_postal_code", &p.ask_postal_code);
    context.insert("rows_mark", ROWS_MARK);
    let path = format!("/p/{}/print", p.slug);
    visitor.fill_context(&state, &mut context, &visitor.csrf, &path);
    let html = state.renderer.render("print_list.html", visitor.locale, &context).map_err(AppError::internal)?;
    let (head, tail) = html
        .split_once(ROWS_MARK)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("print_list.html has no {ROWS_MARK}")))?;
    let (head, tail) = (web::Bytes::from(head.to_owned()), web::Bytes::from(tail.to_owned()));
    let anonymous = visitor.t("print-anonymous");
    let rows = export::pages(state.db.clone(), p.id.clone(), move |first, rows| match first {
        true => Ok(head.clone()),
        false => Ok(export::print_rows(&columns, rows, &anonymous)),
    });
    let body = rows.chain(futures_util::stream::once(async move { Ok::<_, AppError>(tail) }));
    Ok(visitor.html_response(StatusCode::OK, "no-store").streaming(body))
}

#[derive(Deserialize)]
struct SignaturesQuery {
    per_page: Option<String>,
    cursor: Option<String>,
}

/// `per_page` (1 to 100, default 25) and the `cursor` (read by `parse`) of an API list.
fn page_query<C>(req: &HttpRequest, parse: impl Fn(&str) -> Option<C>) -> Result<(i64, Option<C>), AppError> {
    // Parsed here rather than by `web::Query`, whose refusals are not our JSON errors.
    let query: SignaturesQuery = serde_urlencoded::from_str(req.query_string())
        .map_err(|e| AppError::BadRequest(format!("invalid query: {e}")))?;
    let per_page = match query.per_page.as_deref() {
        None => API_DEFAULT_PER_PAGE,
        Some(s) => s.parse::<i64>().ok().filter(|n| (1..=API_MAX_PER_PAGE).contains(n)).ok_or_else(|| {
            AppError::BadRequest(format!("per_page must be a whole number from 1 to {API_MAX_PER_PAGE}"))
        })?,
    };
    let after = match query.cursor.as_deref() {
        None => None,
        Some(c) => Some(parse(c).ok_or_else(|| AppError::BadRequest("invalid cursor".into()))?),
    };
    Ok((per_page, after))
}

/// Whether the client asked for CSV (`Accept: text/csv`, among others or alone).
fn wants_csv(req: &HttpRequest) -> bool {
    req.headers()
        .get_all(header::ACCEPT)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| item.split(';').next().is_some_and(|media| media.trim().eq_ignore_ascii_case("text/csv")))
}

/// The petition's confirmed signatures, for its organizers: OSDI-shaped pages of
/// `per_page` (1 to 100, default 25) after `cursor` (the `next_cursor` of the page before),
/// or, with `Accept: text/csv`, all of them as the CSV download streams them.
#[get("/petitions/{slug}/signatures")]
pub async fn api_signatures(
    req: HttpRequest,
    state: web::Data<AppState>,
    organizer: ApiOrganizer,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (per_page, after) = page_query(&req, Cursor::parse)?;
    let (p, count) = own_petition(&state, &organizer.0, slug.into_inner()).await?;
    if wants_csv(&req) {
        return Ok(csv_download(&state, &p));
    }
    let columns = Columns::new(&p, state.fed().urls.host());
    let base = format!("{}/api/v1/petitions/{}/signatures", state.config.public_url, p.slug);
    let page = export::api_page(&state.db, p.id.clone(), &columns, after, per_page, count, &base).await?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(page))
}

/// The people of the token's organizer's organizations: the confirmed signers of their
/// petitions collected here, one per email, OSDI-shaped pages as the signatures'.
#[get("/people")]
pub async fn api_people(
    req: HttpRequest,
    state: web::Data<AppState>,
    organizer: ApiOrganizer,
) -> Result<HttpResponse, AppError> {
    let (per_page, after) = page_query(&req, signons_signature::people::Cursor::parse)?;
    let organizer = organizer.0;
    let petitions = state
        .db
        .read_async(move |conn| -> Result<_, AppError> {
            let mut petitions = Vec::new();
            for m in &organizer.memberships {
                let listed = signons_petition::petition::list_for_organization(conn, &m.organization.id)?;
                petitions.extend(listed.into_iter().map(|p| (p.id, p.slug)));
            }
            Ok(petitions)
        })
        .await?;
    let base = format!("{}/api/v1/people", state.config.public_url);
    let page = export::people_page(&state.db, petitions, after, per_page, &base).await?;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(page))
}
