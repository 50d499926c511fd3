//! The JSON API under /api/v1, shaped after OSDI where it fits.

use crate::error::AppError;
use crate::http_cache::public_json;
use crate::page::request_locale;
use crate::read_model;
use crate::read_model::api_petition::ApiPetition;
use crate::read_model::snapshot::PetitionSnapshot;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{get, post, web, FromRequest, HttpRequest, HttpResponse};
use serde::Deserialize;
use signons_petition::{petition, Organizer, Petition, PetitionInput, PetitionStatus, VictoryMessage};
use signons_signature::{signing, SignatureInput};
use signons_store::Token;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// The organizer behind a `Authorization: Bearer …` API token.
pub struct ApiOrganizer(pub Organizer);

impl FromRequest for ApiOrganizer {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("no app state")))?;
            let token = req
                .headers()
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .and_then(|t| Token::parse(t.trim()))
                .ok_or(AppError::Unauthorized)?;
            let t = token.clone();
            let found = state
                .db
                .read_async(move |conn| signons_petition::account::token_organizer(conn, &t).map_err(AppError::from))
                .await?
                .ok_or(AppError::Unauthorized)?;
            if found.touch {
                // At most once an hour per token (`account::token_organizer`), so API
                // calls stay reads; a failure costs only the date shown in the token list.
                let written = state
                    .db
                    .write_async(move |conn| {
                        signons_petition::account::touch_token(conn, &token).map_err(AppError::from)
                    })
                    .await;
                if let Err(e) = written {
                    tracing::warn!(error = %e, "cannot record when an API token was used");
                }
            }
            let organizer = found.organizer;
            Ok(ApiOrganizer(organizer))
        })
    }
}

fn api_petition(state: &AppState, p: &Petition, count: i64, by_origin: &[(String, i64)]) -> ApiPetition {
    ApiPetition::new(&state.config.public_url, p, count, by_origin)
}

#[derive(Deserialize)]
struct CreatePetition {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    goal: Option<serde_json::Value>,
    #[serde(default)]
    end_date: Option<String>,
    #[serde(default)]
    ask_country: bool,
    #[serde(default)]
    ask_postal_code: bool,
    #[serde(default)]
    goal_fixed: bool,
    #[serde(default)]
    publish: bool,
    /// The slug of one of the token's organizer's organizations; their default one when
    /// left out.
    #[serde(default)]
    organization: Option<String>,
}

#[post("/petitions")]
pub async fn create_petition(
    state: web::Data<AppState>,
    organizer: ApiOrganizer,
    body: web::Json<CreatePetition>,
) -> Result<HttpResponse, AppError> {
    let body = body.into_inner();
    let goal = match body.goal {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s,
        Some(serde_json::Value::Number(n)) => n.to_string(),
        Some(_) => "invalid".into(),
    };
    let input = PetitionInput {
        title: body.title,
        target: body.target,
        description: body.description,
        goal,
        end_date: body.end_date.unwrap_or_default(),
        ask_country: body.ask_country,
        ask_postal_code: body.ask_postal_code,
        goal_fixed: body.goal_fixed,
    };
    let valid = input.validate(chrono::Utc::now().date_naive()).map_err(AppError::Invalid)?;
    let publish = body.publish;
    let organizer = organizer.0;
    let asked = body.organization;
    let fed = state.fed().clone();
    let created = state
        .db
        .write_async(move |conn| -> Result<_, AppError> {
            let organization = petition::organization_for_new(conn, &organizer, asked.as_deref())?;
            let created = petition::create_in(conn, &organizer, &organization, valid, publish)?;
            crate::federate::announce(conn, &fed, &created)?;
            Ok(created)
        })
        .await?;
    state.fed().wake.notify_one();
    state.invalidate_petition(&created.slug);
    let p = api_petition(&state, &created, 0, &[]);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/petitions/{}", created.slug)))
        .json(serde_json::json!({ "slug": p.view.slug, "url": p.view.url, "status": p.view.status, "petition": p })))
}

#[derive(Deserialize)]
struct ListQuery {
    cursor: Option<String>,
    limit: Option<String>,
}

/// Open petitions a page at a time: `?limit=` (1 to 200, default 50) and `?cursor=` (the
/// `next_cursor` of the page before, `null` on the last page); `total` counts them all.
#[get("/petitions")]
pub async fn list_petitions(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    use read_model::lists::{Cursor, API_DEFAULT_LIMIT, API_MAX_LIMIT};
    // Parsed here rather than by `web::Query`, whose refusals are not our JSON errors.
    let query: ListQuery = serde_urlencoded::from_str(req.query_string())
        .map_err(|e| AppError::BadRequest(format!("invalid query: {e}")))?;
    let limit =
        match query.limit.as_deref() {
            None => API_DEFAULT_LIMIT,
            Some(s) => s.parse::<i64>().ok().filter(|n| (1..=API_MAX_LIMIT).contains(n)).ok_or_else(|| {
                AppError::BadRequest(format!("limit must be a whole number from 1 to {API_MAX_LIMIT}"))
            })?,
        };
    let after = match query.cursor.as_deref() {
        None => None,
        Some(c) => Some(Cursor::parse(c).ok_or_else(|| AppError::BadRequest("invalid cursor".into()))?),
    };
    // Kept as sent for a second (as the count endpoint's snapshots are), so that a page
    // costs the same with ten petitions or ten thousand.
    let key = (after, limit);
    let body = state
        .api_lists
        .get(&key, || async {
            let page = read_model::lists::api_page(&state.db, &state.config.public_url, key.0.clone(), limit).await?;
            let json = serde_json::json!({
                "total": page.total,
                "petitions": page.petitions,
                "next_cursor": page.next.map(|c| c.encode()),
            });
            Ok::<_, AppError>(web::Bytes::from(serde_json::to_vec(&json).map_err(AppError::internal)?))
        })
        .await?;
    Ok(HttpResponse::Ok().content_type("application/json").body(body.value.as_ref().clone()))
}

/// A petition as the API answers after a change: read again, with its count and response.
async fn load(state: &AppState, slug: String) -> Result<ApiPetition, AppError> {
    let (p, count, by_origin, response) = state
        .db
        .read_async(move |conn| -> Result<_, AppError> {
            let p = petition::find(conn, &slug)?;
            let (count, by_origin) = signons_signature::counts::total_by_origin(conn, &p.id)?;
            let response = signons_petition::response::of(conn, &p.id)?;
            Ok((p, count, by_origin, response))
        })
        .await?;
    let mut petition = api_petition(state, &p, count, &by_origin);
    petition.response = response.as_ref().map(crate::read_model::views::ResponseView::new);
    Ok(petition)
}

/// A published petition as everyone sees it, from memory (at most about a second old;
/// see `read_model::snapshot`). Drafts are not found.
async fn public_snapshot(state: &AppState, slug: &str) -> Result<Arc<PetitionSnapshot>, AppError> {
    Ok(state.snapshots.published(&state.db, slug).await?.value)
}

#[get("/petitions/{slug}")]
pub async fn get_petition(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    if slug.contains('@') {
        let (petition, posts) = read_model::remote::load(&state.db, &state.config.public_url, &slug).await?;
        let mut body = serde_json::to_value(&petition).map_err(AppError::internal)?;
        body["signatures_by_instance"] = serde_json::json!({ petition.host.clone(): petition.total_signatures });
        body["news"] = serde_json::to_value(&posts).map_err(AppError::internal)?;
        return Ok(HttpResponse::Ok().json(body));
    }
    let s = public_snapshot(&state, &slug).await?;
    let mut petition = api_petition(&state, &s.petition, s.count, &s.by_origin);
    petition.response = s.response.as_ref().map(crate::read_model::views::ResponseView::new);
    let body = serde_json::to_vec(&petition).map_err(AppError::internal)?;
    Ok(public_json(&req, body))
}

/// `{"total_signatures": n}`: what a page or widget polls to show the count. Cached for
/// about a second, here and (`Cache-Control: public, max-age=1`, ETag) by any proxy.
#[get("/petitions/{slug}/count")]
pub async fn petition_count(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let s = public_snapshot(&state, &slug).await?;
    let body = serde_json::to_vec(&serde_json::json!({ "total_signatures": s.count })).map_err(AppError::internal)?;
    Ok(public_json(&req, body))
}

/// `{"signers": [...]}`: the petition's most recent public signers, as its page shows them
/// (name, place, comment, when), newest first; a comment its organizers hid is `null`.
/// From the same snapshot as the page (about a second old).
#[get("/petitions/{slug}/signers")]
pub async fn petition_signers(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let s = public_snapshot(&state, &slug).await?;
    let signers: Vec<_> = s.signers.iter().map(crate::read_model::views::ApiSigner::new).collect();
    let body = serde_json::to_vec(&serde_json::json!({ "signers": signers })).map_err(AppError::internal)?;
    Ok(public_json(&req, body))
}

/// A signature through the API: the form's fields, with the honeypot and the proof of
/// work the forms carry (`topic`, `pow_challenge`, `pow_nonce`; see `bots`). Spelled out
/// rather than flattened: serde's flatten would no longer read an array as a body with no
/// fields, which the API answers with the missing fields named.
#[derive(Deserialize)]
pub struct ApiSignature {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    country: Option<String>,
    #[serde(default)]
    postal_code: Option<String>,
    #[serde(default)]
    comment: Option<String>,
    #[serde(default)]
    public: bool,
    #[serde(default)]
    opt_in: bool,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    pow_challenge: String,
    #[serde(default)]
    pow_nonce: String,
}

impl ApiSignature {
    fn split(self) -> (SignatureInput, crate::bots::BotFields) {
        let ApiSignature {
            name,
            email,
            country,
            postal_code,
            comment,
            public,
            opt_in,
            topic,
            pow_challenge,
            pow_nonce,
        } = self;
        (
            SignatureInput { name, email, country, postal_code, comment, public, opt_in, ..Default::default() },
            crate::bots::BotFields { topic, pow_challenge, pow_nonce },
        )
    }
}

#[post("/petitions/{slug}/signatures")]
pub async fn sign_petition(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    body: web::Json<ApiSignature>,
) -> Result<HttpResponse, AppError> {
    if !crate::rate_limit::allow_sign(&state, &req) {
        return Err(AppError::RateLimited);
    }
    let accepted = HttpResponse::Accepted().json(serde_json::json!({
        "status": "pending_confirmation",
        "message": "Check your email: the signature counts once confirmed with the link it contains.",
    }));
    let (signature, bots) = body.into_inner().split();
    use crate::bots::Verdict;
    match bots.judge(state.proof_of_work.as_ref(), chrono::Utc::now().timestamp()) {
        Verdict::Human => {}
        // The usual answer: nothing written, nothing sent.
        Verdict::Trapped => return Ok(accepted),
        Verdict::ProofMissing => return Err(AppError::ProofOfWorkRequired),
        Verdict::ProofInvalid => return Err(AppError::ProofOfWorkInvalid),
    }
    let snapshot = state.snapshots.get(&state.db, &slug).await?;
    let network = crate::rate_limit::client_network(&state, &req);
    signing::sign_petition(
        &state.db,
        &state.signing,
        &snapshot.value.petition,
        &signature,
        request_locale(&req),
        network,
    )
    .await?;
    Ok(accepted)
}

/// `GET /api/v1/challenge`: a proof-of-work challenge for one signature, or
/// `{"proof_of_work": null}` when this instance asks none.
#[get("/challenge")]
pub async fn challenge(state: web::Data<AppState>) -> HttpResponse {
    let pow = state.proof_of_work.as_ref().map(|p| p.issue(chrono::Utc::now().timestamp()));
    HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({ "proof_of_work": pow }))
}

/// How many attestations one answer lists (the newest).
const ATTESTATIONS_LIMIT: i64 = 1_000;

/// The `Sign` activities other instances sent for this petition, each as received (with
/// its proof when it carries one), newest first; for its organizers only.
#[get("/petitions/{slug}/attestations")]
pub async fn petition_attestations(
    state: web::Data<AppState>,
    organizer: ApiOrganizer,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (slug, organizer) = (slug.into_inner(), organizer.0);
    let received = state
        .db
        .read_async(move |conn| -> Result<_, AppError> {
            let p = petition::find(conn, &slug)?;
            if !organizer.acts_for(&p.organization.id) {
                return Err(AppError::Forbidden);
            }
            signons_federation::sign::received(conn, &p.id, ATTESTATIONS_LIMIT).map_err(AppError::internal)
        })
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "attestations": received })))
}

#[post("/petitions/{slug}/publish")]
pub async fn publish_petition(
    state: web::Data<AppState>,
    organizer: ApiOrganizer,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let p = crate::federate::change(&state, organizer.0, slug.into_inner(), petition::publish).await?;
    Ok(HttpResponse::Ok().json(api_petition(&state, &p, 0, &[])))
}

#[post("/petitions/{slug}/close")]
pub async fn close_petition(
    state: web::Data<AppState>,
    organizer: ApiOrganizer,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let p = crate::federate::change(&state, organizer.0, slug.into_inner(), petition::close).await?;
    Ok(HttpResponse::Ok().json(load(&state, p.slug).await?))
}

/// A JSON member that may be absent (`None`) or present, `null` included (`Some(Null)`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(d).map(Some)
}

/// The goal as sent: a number or a string of digits; anything else fails validation.
fn goal_text(goal: serde_json::Value) -> String {
    match goal {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s,
        serde_json::Value::Number(n) => n.to_string(),
        _ => "invalid".into(),
    }
}

/// An edit: only the members sent change. `end_date: null` (or `""`) removes the end date.
#[derive(Deserialize)]
struct EditPetition {
    title: Option<String>,
    description: Option<String>,
    target: Option<String>,
    #[serde(default, deserialize_with = "present")]
    goal: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "present")]
    end_date: Option<serde_json::Value>,
    goal_fixed: Option<bool>,
}

/// Edits a petition, a draft or a published one (title, text, target, goal, end date):
/// its slug stays, and followers of a published one get an `Update` of it.
#[actix_web::patch("/petitions/{slug}")]
pub async fn edit_petition(
    state: web::Data<AppState>,
    organizer: ApiOrganizer,
    slug: web::Path<String>,
    body: web::Json<EditPetition>,
) -> Result<HttpResponse, AppError> {
    let organizer = organizer.0;
    let slug = slug.into_inner();
    let (s, who) = (slug.clone(), organizer.clone());
    let current = state
        .db
        .read_async(move |conn| -> Result<_, AppError> {
            let p = petition::find(conn, &s)?;
            if !who.acts_for(&p.organization.id) {
                return Err(AppError::Forbidden);
            }
            Ok(p)
        })
        .await?;
    if current.status == PetitionStatus::Removed {
        return Err(AppError::Gone);
    }
    let body = body.into_inner();
    let end_date = match body.end_date {
        None => current.end_date().map(|d| d.to_string()).unwrap_or_default(),
        Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s,
        Some(_) => "invalid".into(),
    };
    let input = PetitionInput {
        title: body.title.unwrap_or_else(|| current.title.clone()),
        target: body.target.unwrap_or_else(|| current.target.clone()),
        description: body.description.unwrap_or_else(|| current.description_md.clone()),
        goal: body.goal.map(goal_text).unwrap_or_else(|| current.goal.to_string()),
        end_date,
        ask_country: current.ask_country,
        ask_postal_code: current.ask_postal_code,
        goal_fixed: body.goal_fixed.unwrap_or(current.goal_fixed),
    };
    let valid = input.validate_edit(chrono::Utc::now().date_naive(), current.end_at).map_err(AppError::Invalid)?;
    let tell = crate::federate::Tell::Changed;
    let p = crate::federate::change_with(&state, organizer, slug, tell, move |conn, organizer, slug| {
        petition::update(conn, organizer, slug, valid)
    })
    .await?;
    Ok(HttpResponse::Ok().json(load(&state, p.slug).await?))
}

/// Reopens a closed petition whose end date has not passed (409 otherwise).
#[post("/petitions/{slug}/reopen")]
pub async fn reopen_petition(
    state: web::Data<AppState>,
    organizer: ApiOrganizer,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let tell = crate::federate::Tell::Changed;
    let p = crate::federate::change_with(&state, organizer.0, slug.into_inner(), tell, petition::reopen).await?;
    Ok(HttpResponse::Ok().json(load(&state, p.slug).await?))
}

#[derive(Deserialize)]
struct WinInput {
    #[serde(default)]
    message: String,
}

/// Declares an open or closed petition won, with its victory message (Markdown): signing
/// stops, and `status` becomes `won`.
#[post("/petitions/{slug}/win")]
pub async fn win_petition(
    state: web::Data<AppState>,
    organizer: ApiOrganizer,
    slug: web::Path<String>,
    body: web::Json<WinInput>,
) -> Result<HttpResponse, AppError> {
    let message = VictoryMessage::parse(&body.message).map_err(AppError::Invalid)?;
    let tell = crate::federate::Tell::ByStatus;
    let p = crate::federate::change_with(&state, organizer.0, slug.into_inner(), tell, move |conn, organizer, slug| {
        petition::win(conn, organizer, slug, message)
    })
    .await?;
    Ok(HttpResponse::Ok().json(load(&state, p.slug).await?))
}

/// Removes a petition: its signatures are deleted, followers get a `Delete`, its address
/// answers 410 from then on.
#[actix_web::delete("/petitions/{slug}")]
pub async fn remove_petition(
    state: web::Data<AppState>,
    organizer: ApiOrganizer,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    crate::federate::change(&state, organizer.0, slug.into_inner(), petition::remove).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
struct PartnersInput {
    #[serde(default)]
    partners: Vec<String>,
}

/// Names the organizations that carry the petition beside its own (the whole list): our
/// organizations by slug, others by `name@host` or actor URL.
#[actix_web::put("/petitions/{slug}/partners")]
pub async fn set_partners(
    state: web::Data<AppState>,
    organizer: ApiOrganizer,
    slug: web::Path<String>,
    body: web::Json<PartnersInput>,
) -> Result<HttpResponse, AppError> {
    let inputs = body.into_inner().partners;
    let p = crate::federate::set_partners(&state, organizer.0, slug.into_inner(), inputs).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "partners": p.partners })))
}

#[derive(Deserialize)]
struct NewsInput {
    #[serde(default)]
    text: String,
}

/// News from the organizers (Markdown): shown to the petition's followers on the fediverse,
/// and emailed to its confirmed signers who asked news (a fan-out job: answers at once).
#[post("/petitions/{slug}/news")]
pub async fn post_news(
    state: web::Data<AppState>,
    organizer: ApiOrganizer,
    slug: web::Path<String>,
    body: web::Json<NewsInput>,
) -> Result<HttpResponse, AppError> {
    let text = signons_petition::fields::text("text", &body.text, 1, signons_federation::posts::NEWS_MAX, true)
        .map_err(|e| AppError::Invalid(signons_petition::FieldErrors(vec![e])))?;
    if slug.contains('@') {
        // A petition of another instance, of which the organizer's organization is a partner.
        let emailed = crate::federate::post_partner_news(&state, organizer.0, &slug, text).await?;
        return Ok(HttpResponse::Created().json(serde_json::json!({ "emailed": emailed })));
    }
    let post = crate::federate::post_news(&state, organizer.0, slug.into_inner(), text).await?;
    let url = state.fed().urls.note(&post.id);
    Ok(HttpResponse::Created().insert_header((header::LOCATION, url.as_str())).json(serde_json::json!({
        "id": url.as_str(),
        "content": post.body_html,
        "published": signons_federation::objects::timestamp(post.created_at),
    })))
}

#[derive(Deserialize)]
struct ResponseInput {
    #[serde(default)]
    responder: String,
    #[serde(default)]
    text: String,
}

/// The decision maker's response (Markdown), replacing any earlier one: shown at the top of
/// the petition and said as news (followers, and the signers who asked news).
#[post("/petitions/{slug}/response")]
pub async fn post_response(
    state: web::Data<AppState>,
    organizer: ApiOrganizer,
    slug: web::Path<String>,
    body: web::Json<ResponseInput>,
) -> Result<HttpResponse, AppError> {
    let input =
        signons_petition::response::ResponseInput::parse(&body.responder, &body.text).map_err(AppError::Invalid)?;
    let post = crate::federate::post_response(&state, organizer.0, slug.into_inner(), input).await?;
    let slug = post.petition_slug.clone();
    let response = state
        .db
        .read_async(move |conn| -> Result<_, AppError> {
            let p = petition::find(conn, &slug)?;
            Ok(signons_petition::response::of(conn, &p.id)?)
        })
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("the response just recorded cannot be read")))?;
    let news = state.fed().urls.note(&post.id);
    let mut json =
        serde_json::to_value(crate::read_model::views::ResponseView::new(&response)).map_err(AppError::internal)?;
    json["news"] = serde_json::Value::String(news.to_string());
    Ok(HttpResponse::Created().json(json))
}

/// The token's organizer's organizations, with their role in each.
#[get("/organizations")]
pub async fn list_organizations(state: web::Data<AppState>, organizer: ApiOrganizer) -> Result<HttpResponse, AppError> {
    let organizations =
        read_model::api_organization::of_organizer(&state.db, &state.config.public_url, organizer.0).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({ "organizations": organizations })))
}
