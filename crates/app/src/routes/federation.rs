//! ActivityPub endpoints: actors (JSON-LD for `Accept: application/activity+json`, HTML
//! otherwise), inboxes, outboxes, followers, notes, WebFinger, NodeInfo, host-meta and our
//! JSON-LD context.

use crate::page::Visitor;
use crate::page_error::PageResult;
use crate::read_model;
use crate::state::AppState;
use actix_web::http::{header, StatusCode};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::Value;
use signons_federation::actors::{self, LocalActor};
use signons_federation::inbox::Outcome;
use signons_federation::metrics::FederationMetrics;
use signons_federation::objects::{self, collection, with_context};
use signons_federation::{catalog, discovery, follows, outgoing, posts, FederationError, LocalRef, ACTIVITY_JSON};
use signons_render::Context;

/// Whether the client asks for ActivityPub JSON rather than a page.
pub fn wants_activity_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("application/activity+json") || accept.contains("application/ld+json"))
}

pub fn activity_json(body: &Value) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ACTIVITY_JSON)
        .insert_header((header::VARY, "Accept"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .json(body)
}

/// A federation error as JSON for another server: 4xx with a code, never a 5xx for bad input.
fn federation_error(e: FederationError) -> HttpResponse {
    // The database away: 503 with Retry-After, as for every other request (the sender
    // retries its delivery later), not a 500.
    let causes = std::iter::successors(Some(&e as &(dyn std::error::Error + 'static)), |e| e.source());
    if causes.into_iter().any(signons_store::error::is_unavailable_cause) {
        tracing::warn!(error = %e, "federation request: database unavailable");
        return HttpResponse::ServiceUnavailable()
            .insert_header((header::RETRY_AFTER, crate::error::RETRY_AFTER_SECONDS))
            .json(
                serde_json::json!({ "error": "unavailable", "message": "the database is unavailable; retry later" }),
            );
    }
    let (status, code) = e.status_and_code();
    if status >= 500 {
        tracing::error!(error = %e, "federation request failed");
    } else {
        tracing::info!(error = %e, code, "federation request refused");
    }
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let message = if status.is_server_error() { "internal error".to_owned() } else { e.to_string() };
    HttpResponse::build(status).json(serde_json::json!({ "error": code, "message": message }))
}

/// The actor's JSON, or 404 (drafts and unknown names are not actors).
pub async fn actor_response(state: &AppState, reference: LocalRef) -> HttpResponse {
    let data = state.federation.to_request_data();
    match LocalActor::load(&data, &reference).await {
        Ok(Some(actor)) if actor.is_gone() => {
            let tombstone = serde_json::json!({ "type": "Tombstone", "id": actor.url.as_str(), "formerType": "Group" });
            let mut response = activity_json(&with_context(&data.urls, tombstone));
            *response.status_mut() = StatusCode::GONE;
            response
        }
        Ok(Some(actor)) => activity_json(&actors::actor_json(&data, &actor)),
        Ok(None) => federation_error(FederationError::NotFound),
        Err(e) => federation_error(e),
    }
}

#[get("/actor")]
pub async fn instance_actor(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if !wants_activity_json(&req) {
        return HttpResponse::SeeOther().insert_header((header::LOCATION, "/")).finish();
    }
    actor_response(&state, LocalRef::Instance).await
}

#[get("/o/{name}")]
pub async fn organization(
    req: HttpRequest,
    state: web::Data<AppState>,
    visitor: Visitor,
    name: web::Path<String>,
) -> PageResult {
    let name = name.into_inner();
    if wants_activity_json(&req) {
        return Ok(actor_response(&state, LocalRef::Organization(name)).await);
    }
    let page = read_model::lists::organization_page(&state.db, &state.config.public_url, name).await?;
    let org = page.organization;
    let mut context = Context::new();
    context.insert("handle", &format!("@{}@{}", org.slug, state.fed().urls.host()));
    context.insert("manage", &visitor.organizer.as_ref().is_some_and(|o| o.may_manage(&org.id)));
    context.insert("member", &visitor.organizer.as_ref().is_some_and(|o| o.acts_for(&org.id)));
    context.insert("organization", &org);
    context.insert("profile", &page.profile);
    let logo = page.logo.map(|l| read_model::views::ImageView::logo(&l, &org.name, &state.config.public_url));
    context.insert("logo", &logo);
    context.insert("petitions", &page.petitions);
    Ok(visitor.render(&state, "organization.html", context, StatusCode::OK))
}

async fn inbox(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    let address = crate::rate_limit::inbox_client(&state, &req);
    let host = signons_federation::inbox::signer_host(&req);
    // Held while the request is processed.
    let _slot = match state.inbox_limits.admit(address, host.as_deref()) {
        Ok(slot) => slot,
        Err(refusal) => return inbox_refused(refusal, host.as_deref()),
    };
    let data = state.federation.to_request_data();
    let metrics = &data.metrics;
    let outcome = signons_federation::inbox::receive(req, body, &data).await;
    FederationMetrics::add(match &outcome {
        Ok(Outcome::Processed) => &metrics.received_processed,
        Ok(Outcome::Ignored) => &metrics.received_ignored,
        Ok(Outcome::Duplicate) => &metrics.received_duplicate,
        Err(_) => &metrics.received_refused,
    });
    match outcome {
        Ok(_) => HttpResponse::Accepted().finish(),
        Err(e) => federation_error(e),
    }
}

/// An inbox request not taken now: 429 over a limit, 503 when every slot is busy, each
/// with `Retry-After`.
fn inbox_refused(refusal: crate::rate_limit::InboxRefusal, host: Option<&str>) -> HttpResponse {
    use crate::rate_limit::InboxRefusal;
    let (status, code, seconds) = match refusal {
        InboxRefusal::TooMany(seconds) => (StatusCode::TOO_MANY_REQUESTS, "rate_limited", seconds),
        InboxRefusal::Busy(seconds) => (StatusCode::SERVICE_UNAVAILABLE, "busy", seconds),
    };
    tracing::info!(host = host.unwrap_or("-"), code, "inbox request deferred");
    HttpResponse::build(status)
        .insert_header((header::RETRY_AFTER, seconds.to_string()))
        .json(serde_json::json!({ "error": code, "message": "too many requests: retry later" }))
}

#[post("/inbox")]
pub async fn shared_inbox(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    inbox(req, state, body).await
}

#[post("/actor/inbox")]
pub async fn instance_inbox(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    inbox(req, state, body).await
}

#[post("/{kind:[op]}/{name}/inbox")]
pub async fn actor_inbox(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    inbox(req, state, body).await
}

fn reference(kind: &str, name: String) -> LocalRef {
    match kind {
        "o" => LocalRef::Organization(name),
        "p" => LocalRef::Petition(name),
        _ => LocalRef::Instance,
    }
}

const OUTBOX_SIZE: i64 = 20;

/// A collection of a public actor (404 otherwise), as `build` makes it from the database.
async fn collection_response(
    state: &AppState,
    actor: &LocalRef,
    build: impl FnOnce(&mut signons_store::DbConnection) -> Result<Value, FederationError> + Send + 'static,
) -> HttpResponse {
    let data = state.fed();
    match discovery::is_public(data, actor).await {
        Ok(true) => {}
        Ok(false) => return federation_error(FederationError::NotFound),
        Err(e) => return federation_error(e),
    }
    match state.db.read_async(build).await {
        Ok(body) => activity_json(&with_context(&data.urls, body)),
        Err(e) => federation_error(e),
    }
}

/// The actor's latest posts, as `Create(Note)`s, and how many it made. A petition's are
/// its `Announce`s of those `Create`s: Lemmy fills a community from them, and reads an
/// outbox only if every item is an `Announce`.
async fn outbox_response(state: &AppState, actor: LocalRef) -> HttpResponse {
    let urls = state.fed().urls.clone();
    let who = actor.clone();
    collection_response(state, &actor, move |conn| {
        // Items are embedded in the collection, which carries the context.
        let posts = posts::posts_by(conn, &who, OUTBOX_SIZE)?;
        let items: Vec<Value> = match who {
            LocalRef::Petition(_) => posts
                .iter()
                .map(|p| Ok(serde_json::to_value(outgoing::announce_create(&urls, p)?.activity)?))
                .collect::<Result<_, FederationError>>()?,
            _ => posts
                .iter()
                .map(|p| serde_json::to_value(outgoing::create_note(&urls, p).activity))
                .collect::<Result<_, _>>()?,
        };
        let mut body = collection(urls.outbox(&who).as_str(), posts::post_count(conn, &who)?);
        body["orderedItems"] = serde_json::to_value(items)?;
        Ok(body)
    })
    .await
}

#[get("/actor/outbox")]
pub async fn instance_outbox(state: web::Data<AppState>) -> HttpResponse {
    outbox_response(&state, LocalRef::Instance).await
}

#[get("/{kind:[op]}/{name}/outbox")]
pub async fn actor_outbox(state: web::Data<AppState>, path: web::Path<(String, String)>) -> HttpResponse {
    let (kind, name) = path.into_inner();
    outbox_response(&state, reference(&kind, name)).await
}

#[derive(Deserialize)]
pub struct PetitionsQuery {
    page: Option<String>,
    before: Option<String>,
}

/// The open petitions of the instance or of an organization: the collection (`totalItems`,
/// `first`), or one page of it (`?page=true`, then `&before=` the cursor `next` gives).
async fn petitions_response(state: &AppState, actor: LocalRef, req: &HttpRequest) -> HttpResponse {
    let query = match web::Query::<PetitionsQuery>::from_query(req.query_string()) {
        Ok(query) => query.into_inner(),
        Err(e) => return federation_error(FederationError::Invalid(e.to_string())),
    };
    let before = match query.before.as_deref() {
        None => None,
        Some(text) => match catalog::Cursor::parse(text) {
            Some(cursor) => Some(cursor),
            None => return federation_error(FederationError::Invalid("before is not a page cursor".into())),
        },
    };
    let urls = state.fed().urls.clone();
    let who = actor.clone();
    collection_response(state, &actor, move |conn| match (query.page, before) {
        (None, None) => catalog::collection(conn, &urls, &who),
        (_, before) => catalog::page(conn, &urls, &who, before.as_ref()),
    })
    .await
}

#[get("/actor/petitions")]
pub async fn instance_petitions(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    petitions_response(&state, LocalRef::Instance, &req).await
}

#[get("/o/{name}/petitions")]
pub async fn organization_petitions(
    req: HttpRequest,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> HttpResponse {
    petitions_response(&state, LocalRef::Organization(name.into_inner()), &req).await
}

/// How many follow the actor (the followers themselves are not listed).
async fn followers_response(state: &AppState, actor: LocalRef) -> HttpResponse {
    let urls = state.fed().urls.clone();
    let who = actor.clone();
    collection_response(state, &actor, move |conn| {
        Ok(objects::followers_collection(urls.followers(&who).as_str(), follows::follower_count(conn, &urls, &who)?))
    })
    .await
}

/// A petition's moderators: its organization (the `Group`'s `attributedTo`, for Lemmy).
#[get("/p/{slug}/moderators")]
pub async fn petition_moderators(state: web::Data<AppState>, slug: web::Path<String>) -> HttpResponse {
    let petition = LocalRef::Petition(slug.into_inner());
    let data = state.fed();
    let owner = match LocalActor::load(data, &petition).await {
        Ok(Some(actor)) if !actor.is_gone() => match actor.subject {
            actors::Subject::Petition { petition, .. } => LocalRef::Organization(petition.organization.slug),
            _ => return federation_error(FederationError::NotFound),
        },
        Ok(_) => return federation_error(FederationError::NotFound),
        Err(e) => return federation_error(e),
    };
    activity_json(&with_context(&data.urls, objects::moderators_collection(&data.urls, &petition, &owner)))
}

#[get("/actor/followers")]
pub async fn instance_followers(state: web::Data<AppState>) -> HttpResponse {
    followers_response(&state, LocalRef::Instance).await
}

#[get("/{kind:[op]}/{name}/followers")]
pub async fn actor_followers(state: web::Data<AppState>, path: web::Path<(String, String)>) -> HttpResponse {
    let (kind, name) = path.into_inner();
    followers_response(&state, reference(&kind, name)).await
}

#[get("/notes/{id}")]
pub async fn note(req: HttpRequest, state: web::Data<AppState>, id: web::Path<String>) -> HttpResponse {
    let id = id.into_inner();
    let post = match state.db.read_async(move |conn| posts::find_post(conn, &id)).await {
        Ok(Some(post)) => post,
        Ok(None) => return federation_error(FederationError::NotFound),
        Err(e) => return federation_error(e),
    };
    let urls = &state.fed().urls;
    if !wants_activity_json(&req) {
        let page = urls.actor(&LocalRef::Petition(post.petition_slug.clone()));
        return HttpResponse::SeeOther().insert_header((header::LOCATION, page.path().to_owned())).finish();
    }
    activity_json(&with_context(urls, objects::note_json(urls, &post)))
}

#[derive(Deserialize)]
pub struct WebfingerQuery {
    #[serde(default)]
    resource: String,
}

#[get("/.well-known/webfinger")]
pub async fn webfinger(state: web::Data<AppState>, query: web::Query<WebfingerQuery>) -> HttpResponse {
    match discovery::webfinger(state.fed(), &query.resource).await {
        Ok(body) => HttpResponse::Ok()
            .content_type("application/jrd+json")
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .json(body),
        Err(e) => federation_error(e),
    }
}

#[get("/.well-known/nodeinfo")]
pub async fn nodeinfo_links(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .json(discovery::nodeinfo_links(state.fed()))
}

#[get("/nodeinfo/2.1")]
pub async fn nodeinfo(state: web::Data<AppState>) -> HttpResponse {
    match discovery::nodeinfo(state.fed(), false).await {
        Ok(body) => HttpResponse::Ok()
            .content_type(format!("application/json; profile=\"{}#\"", discovery::NODEINFO_SCHEMA))
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .json(body),
        Err(e) => federation_error(e),
    }
}

#[get("/.well-known/host-meta")]
pub async fn host_meta(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().content_type("application/xrd+xml; charset=utf-8").body(discovery::host_meta(state.fed()))
}

#[get("/ns")]
pub async fn ns(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/ld+json")
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .json(objects::ns_document(&state.fed().urls))
}
