//! A petition's insight page for its organizers (`/p/{slug}/insight`): what
//! `read_model::insight` counts, drawn on the server and readable without JavaScript.

use crate::error::AppError;
use crate::page::Visitor;
use crate::page_error::PageResult;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, web};
use signons_render::Context;

#[get("/p/{slug}/insight")]
pub async fn insight(state: web::Data<AppState>, visitor: Visitor, slug: web::Path<String>) -> PageResult {
    let organizer = visitor.require_organizer()?.clone();
    let host = state.fed().urls.host().to_owned();
    let slug = slug.into_inner();
    let (p, insight, count) = state
        .db
        .read_async(move |conn| -> Result<_, AppError> {
            let p = crate::read_model::own::petition(conn, &organizer, &slug)?;
            let insight = crate::read_model::insight::load(conn, &p, &host)?;
            let (count, _) = signons_signature::counts::total_by_origin(conn, &p.id)?;
            Ok((p, insight, count))
        })
        .await?;
    let mut context = Context::new();
    context.insert("petition", &crate::read_model::views::PetitionView::new(&p, count, &state.config.public_url));
    context.insert("insight", &insight);
    Ok(visitor.render(&state, "insight.html", context, StatusCode::OK))
}
