//! The instance admin's page of its people (`/admin/people`): every organizer (their
//! organizations and roles, whether an admin disabled them) and every organization (its
//! members and petitions), searched and paged; and disabling or enabling an organizer's
//! account (`petition::people`). Only organizers with `is_admin` see or change it.

use crate::error::AppError;
use crate::page::{redirect, Visitor};
use crate::page_error::PageResult;
use crate::read_model::lists::{Listing, ListingError, SEARCH_MAX_CHARS};
use crate::routes::admin::require_admin;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest};
use serde::Deserialize;
use signons_petition::{people, PetitionError};
use signons_render::Context;
use signons_store::Id;

const PAGE: &str = "/admin/people";

#[derive(Deserialize, Default)]
struct PeopleQuery {
    q: Option<String>,
    page: Option<String>,
    done: Option<String>,
}

/// The page for the query string `query`; a refused change shows its message above it.
async fn view(
    state: &AppState,
    visitor: &Visitor,
    query: &str,
    refused: Option<(StatusCode, &'static str)>,
) -> PageResult {
    let query = web::Query::<PeopleQuery>::from_query(query).map(web::Query::into_inner);
    let (typed, listing, done) = match &query {
        Ok(q) => {
            (q.q.clone().unwrap_or_default(), Listing::parse(q.q.as_deref(), q.page.as_deref()), q.done.as_deref())
        }
        Err(_) => (String::new(), Err(ListingError::Unreadable), None),
    };
    let mut context = Context::new();
    let shown: String = typed.chars().filter(|c| !c.is_control()).take(SEARCH_MAX_CHARS).collect();
    context.insert("q", shown.trim());
    context.insert("q_max", &SEARCH_MAX_CHARS);
    let notice = match done {
        Some("disabled") => Some("admin-people-done-disabled"),
        Some("enabled") => Some("admin-people-done-enabled"),
        _ => None,
    };
    context.insert("notice", &notice.map(|k| visitor.t(k)));
    context.insert("error", &refused.map(|(_, k)| visitor.t(k)));
    context.insert("me", &visitor.require_organizer()?.id.to_string());
    let listing = match listing {
        Ok(listing) => listing,
        Err(e) => {
            let (key, max) = e.message();
            let message = signons_render::Renderer::translate(visitor.locale, key, &[("max", max.into())]);
            context.insert("search_error", &message);
            context.insert("organizers", &Vec::<()>::new());
            context.insert("organizations", &Vec::<()>::new());
            return Ok(visitor.render(state, "admin_people.html", context, StatusCode::BAD_REQUEST));
        }
    };
    let found = crate::read_model::people::people(&state.db, &listing).await?;
    context.insert("organizers", &found.organizers);
    context.insert("organizations", &found.organizations);
    context.insert("page", &listing.page);
    let previous = (listing.page > 1).then(|| listing.query_of_page(listing.page - 1));
    let next = found.more.then(|| listing.query_of_page(listing.page + 1));
    context.insert("has_previous", &previous.is_some());
    context.insert("previous_query", &previous.unwrap_or_default());
    context.insert("has_next", &next.is_some());
    context.insert("next_query", &next.unwrap_or_default());
    let status = refused.map_or(StatusCode::OK, |(s, _)| s);
    Ok(visitor.render(state, "admin_people.html", context, status))
}

#[get("/admin/people")]
pub async fn people_page(req: HttpRequest, state: web::Data<AppState>, visitor: Visitor) -> PageResult {
    require_admin(&visitor)?;
    view(&state, &visitor, req.query_string(), None).await
}

/// Disables or enables an account, then back to the page with a notice; the admin's own
/// account is refused (409), with the page saying why.
async fn set_disabled(state: &AppState, visitor: &Visitor, id: &str, body: &[u8], disabled: bool) -> PageResult {
    let admin = require_admin(visitor)?.clone();
    visitor.check_csrf_form(body)?;
    let id = Id::parse(id).ok_or(AppError::NotFound)?;
    let outcome =
        state.db.write_async(move |conn| Ok::<_, AppError>(people::set_disabled(conn, &admin, &id, disabled))).await?;
    match outcome {
        Ok(()) => {
            tracing::info!(disabled, "an admin changed whether an account is disabled");
            Ok(redirect(&format!("{PAGE}?done={}", if disabled { "disabled" } else { "enabled" })))
        }
        Err(PetitionError::OwnAccount) => {
            view(state, visitor, "", Some((StatusCode::CONFLICT, "admin-people-error-own-account"))).await
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}

#[post("/admin/people/{id}/disable")]
pub async fn disable(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
    body: web::Bytes,
) -> PageResult {
    set_disabled(&state, &visitor, &id, &body, true).await
}

#[post("/admin/people/{id}/enable")]
pub async fn enable(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
    body: web::Bytes,
) -> PageResult {
    set_disabled(&state, &visitor, &id, &body, false).await
}
