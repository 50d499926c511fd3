//! A petition's insight for its organizers: its page (`/p/{slug}/insight`), what
//! `read_model::insight` counts drawn on the server and readable without JavaScript, and
//! the same counts in the API (`GET /api/v1/petitions/{slug}/insight`).

use crate::error::AppError;
use crate::page::Visitor;
use crate::page_error::PageResult;
use crate::routes::api::ApiOrganizer;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use signons_render::Context;

#[get("/p/{slug}/insight")]
pub async fn insight(state: web::Data<AppState>, visitor: Visitor, slug: web::Path<String>) -> PageResult {
    let organizer = visitor.require_organizer()?.clone();
    let host = state.fed().urls.host().to_owned();
    let slug = slug.into_inner();
    let maps = state.renderer.maps().clone();
    let (p, insight, count, places) = state
        .db
        .read_async(move |conn| -> Result<_, AppError> {
            let p = crate::read_model::own::petition(conn, &organizer, &slug)?;
            let insight = crate::read_model::insight::load(conn, &p, &host)?;
            let (count, _) = signons_signature::counts::total_by_origin(conn, &p.id)?;
            // Every cell, however small: organizers hold the list of signers anyway.
            let groups = crate::read_model::insight::places(conn, &p)?;
            let places = maps.breakdowns(&groups, p.ask_country, p.ask_postal_code, 1);
            Ok((p, insight, count, places))
        })
        .await?;
    let mut context = Context::new();
    context.insert("petition", &crate::read_model::views::PetitionView::new(&p, count, &state.config.public_url));
    context.insert("insight", &insight);
    context.insert("maps", &crate::read_model::views::map_views(state.renderer.maps(), &places, visitor.locale));
    context.insert("map_min_cell", &1);
    Ok(visitor.render(&state, "insight.html", context, StatusCode::OK))
}

/// Another organization's petition is not found, as on the page.
#[get("/petitions/{slug}/insight")]
pub async fn api_insight(
    state: web::Data<AppState>,
    organizer: ApiOrganizer,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let host = state.fed().urls.host().to_owned();
    let (organizer, slug) = (organizer.0, slug.into_inner());
    let counted = state
        .db
        .read_async(move |conn| -> Result<_, AppError> {
            let p = crate::read_model::own::petition(conn, &organizer, &slug)?;
            crate::read_model::insight::load(conn, &p, &host)
        })
        .await?;
    Ok(HttpResponse::Ok().insert_header((actix_web::http::header::CACHE_CONTROL, "no-store")).json(counted.api()))
}
