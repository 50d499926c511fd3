//! Milestone messages, written by a petition's organizers ahead of time
//! (`signons_petition::milestones`): the web form (`/p/{slug}/milestones`, one text per
//! milestone) and the API (`POST /api/v1/petitions/{slug}/milestones`, one at a time).

use crate::error::AppError;
use crate::page::{redirect, Visitor};
use crate::page_error::PageResult;
use crate::routes::api::ApiOrganizer;
use crate::routes::organizer::own_petition_of;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use signons_petition::milestones::{self, MessageInput};
use signons_petition::Petition;
use signons_render::Context;
use std::collections::HashMap;

/// One milestone of the form: its number, the text typed, and what is wrong with it.
#[derive(Serialize)]
struct Row {
    at: i64,
    text: String,
    error: Option<String>,
}

fn page(
    state: &AppState,
    visitor: &Visitor,
    p: &Petition,
    rows: &[Row],
    saved: bool,
    status: StatusCode,
) -> HttpResponse {
    let mut context = Context::new();
    context.insert("saved", &saved);
    context.insert("slug", &p.slug);
    context.insert("title", &p.title);
    context.insert("rows", rows);
    context.insert("failed", &!status.is_success());
    context.insert("max", &milestones::MESSAGE_MAX);
    visitor.render(state, "petition_milestones.html", context, status)
}

#[get("/p/{slug}/milestones")]
pub async fn milestones_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    visitor: Visitor,
    slug: web::Path<String>,
) -> PageResult {
    let organizer = visitor.require_organizer()?;
    let p = own_petition_of(&state, organizer, &slug).await?;
    let id = p.id.clone();
    let saved: HashMap<i64, String> =
        state.db.read_async(move |conn| milestones::of(conn, &id)).await?.into_iter().collect();
    let rows: Vec<Row> = milestones::offered(p.goal)
        .into_iter()
        .map(|at| Row { at, text: saved.get(&at).cloned().unwrap_or_default(), error: None })
        .collect();
    Ok(page(&state, &visitor, &p, &rows, req.query_string() == "saved", StatusCode::OK))
}

/// Saves every message of the form at once (an emptied one is removed), or none of them
/// when one is wrong: the form comes back as typed, with what is wrong.
#[post("/p/{slug}/milestones")]
pub async fn milestones_update(
    state: web::Data<AppState>,
    visitor: Visitor,
    slug: web::Path<String>,
    body: web::Bytes,
) -> PageResult {
    let organizer = visitor.require_organizer()?.clone();
    let fields: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    visitor.check_csrf(fields.get("csrf").map(String::as_str).unwrap_or_default())?;
    let p = own_petition_of(&state, &organizer, &slug).await?;
    let mut rows = Vec::new();
    let mut inputs = Vec::new();
    for at in milestones::offered(p.goal) {
        let text = fields.get(&format!("m{at}")).cloned().unwrap_or_default();
        let error = match MessageInput::parse(&p, at, &text) {
            Ok(input) => {
                inputs.push(input);
                None
            }
            Err(errors) => crate::page::errors_context(visitor.locale, &errors)["text"].as_str().map(str::to_owned),
        };
        rows.push(Row { at, text, error });
    }
    if rows.iter().any(|r| r.error.is_some()) {
        return Ok(page(&state, &visitor, &p, &rows, false, StatusCode::UNPROCESSABLE_ENTITY));
    }
    let slug = p.slug.clone();
    state.db.write_async(move |conn| milestones::set(conn, &organizer, &slug, &inputs)).await?;
    Ok(redirect(&format!("/p/{}/milestones?saved", p.slug)))
}

#[derive(Deserialize)]
pub struct MilestoneBody {
    #[serde(default)]
    at: i64,
    #[serde(default)]
    text: String,
}

#[derive(Serialize)]
struct MilestoneView {
    at: i64,
    text: String,
}

/// Sets (or with an empty `text`, removes) the message of one milestone; answers every
/// message of the petition.
#[post("/petitions/{slug}/milestones")]
pub async fn api_set_milestone(
    state: web::Data<AppState>,
    organizer: ApiOrganizer,
    slug: web::Path<String>,
    body: web::Json<MilestoneBody>,
) -> Result<HttpResponse, AppError> {
    let p = own_petition_of(&state, &organizer.0, &slug).await?;
    let input = MessageInput::parse(&p, body.at, &body.text).map_err(AppError::Invalid)?;
    let messages = state
        .db
        .write_async(move |conn| -> Result<_, AppError> {
            let p = milestones::set(conn, &organizer.0, &p.slug, &[input])?;
            Ok(milestones::of(conn, &p.id)?)
        })
        .await?;
    let messages: Vec<MilestoneView> = messages.into_iter().map(|(at, text)| MilestoneView { at, text }).collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "milestones": messages })))
}
