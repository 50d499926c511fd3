//! Public pages: the home page, the listing of petitions, petitions, signing, and the links
//! of the emails.

use crate::error::AppError;
use crate::http_cache::{if_none_match, not_modified, PRIVATE_PAGE};
use crate::page::{checkbox, cookie, errors_context, parse_form, redirect, safe_next, Visitor, LANG_COOKIE};
use crate::page_cache::SplicedPage;
use crate::page_error::PageResult;
use crate::read_model;
use crate::read_model::snapshot::PetitionSnapshot;
use crate::read_model::views::{PetitionView, ResponseView};
use crate::state::AppState;
use actix_web::http::{header, StatusCode};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use signons_petition::FieldErrors;
use signons_render::{Context, Locale};
use signons_signature::{signing, Confirmation, SignatureError, SignatureInput, Source, TokenPage};
use std::sync::Arc;

#[get("/")]
pub async fn home(req: HttpRequest, state: web::Data<AppState>, visitor: Visitor) -> PageResult {
    let lists = state.home.get(&(), || read_model::lists::home(&state.db, &state.config.public_url)).await?;
    let context = || {
        let mut context = Context::new();
        context.insert("trending", &lists.value.trending);
        context.insert("newest", &lists.value.newest);
        context.insert("won", &lists.value.won);
        context.insert("fresh_install", &lists.value.fresh_install);
        context.insert("remote", &lists.value.remote);
        context
    };
    if visitor.organizer.is_some() {
        return Ok(visitor.render(&state, "home.html", context(), StatusCode::OK));
    }
    // Rendered once per load of the lists and language, as petition pages are.
    let lang = visitor.locale.code();
    let page = match state.home_pages.get(&lang, lists.version) {
        Some(page) => page,
        None => {
            let mut context = context();
            visitor.fill_context(&state, &mut context, state.home_pages.placeholder(), "/");
            let html = state.renderer.render("home.html", visitor.locale, &context).map_err(AppError::internal)?;
            state.home_pages.insert(lang, lists.version, &html)
        }
    };
    Ok(serve_page(&visitor, &req, &page))
}

#[derive(Deserialize)]
struct ListingQuery {
    q: Option<String>,
    page: Option<String>,
    sort: Option<String>,
    status: Option<String>,
    org: Option<String>,
}

/// `GET /petitions?q=…&org=…&status=…&sort=…&page=…`: this instance's published
/// petitions and those of the instances it follows, searched by title and text, filtered
/// by organization and status, sorted newest, most signed or trending, a page at a time.
/// A request it cannot serve (a search too long, a page that is not one, an unknown sort
/// or status) gets the page with the form and what is wrong, as a 400.
#[get("/petitions")]
pub async fn petitions(req: HttpRequest, state: web::Data<AppState>, visitor: Visitor) -> PageResult {
    use read_model::lists::{Listing, ListingError, ListingParams, SEARCH_MAX_CHARS};
    let query = web::Query::<ListingQuery>::from_query(req.query_string()).ok();
    let (typed, listing) = match &query {
        Some(query) => (
            query.q.clone().unwrap_or_default(),
            Listing::parse_all(ListingParams {
                q: query.q.as_deref(),
                page: query.page.as_deref(),
                sort: query.sort.as_deref(),
                status: query.status.as_deref(),
                organization: query.org.as_deref(),
            }),
        ),
        None => (String::new(), Err(ListingError::Unreadable)),
    };
    let mut context = Context::new();
    // The search box shows what was typed, as much as it takes, without control characters.
    let shown: String = typed.chars().filter(|c| !c.is_control()).take(SEARCH_MAX_CHARS).collect();
    context.insert("q", shown.trim());
    context.insert("q_max", &SEARCH_MAX_CHARS);
    let organizations: Vec<serde_json::Value> = read_model::lists::organizations_with_petitions(&state.db)
        .await?
        .into_iter()
        .map(|(slug, name)| serde_json::json!({ "slug": slug, "name": name }))
        .collect();
    context.insert("organizations", &organizations);
    // The filters as understood, so the form shows them again (nothing when refused).
    let chosen = listing.as_ref().ok();
    context.insert("sort", chosen.map_or("newest", |l| l.sort.as_str()));
    context.insert("status", &chosen.and_then(|l| l.status).map(|s| s.as_str()).unwrap_or_default());
    context.insert("org", &chosen.and_then(|l| l.organization.clone()).unwrap_or_default());
    let listing = match listing {
        Ok(listing) => listing,
        Err(e) => {
            let (key, max) = e.message();
            let message = signons_render::Renderer::translate(visitor.locale, key, &[("max", max.into())]);
            context.insert("error", &message);
            return Ok(visitor.render(&state, "petitions.html", context, StatusCode::BAD_REQUEST));
        }
    };
    let page = read_model::lists::listing(&state.db, &state.config.public_url, &listing).await?;
    // The query strings of other pages of the same listing keep its search and filters
    // (the template writes the path: tera would escape its slash).
    let href = |n: i64| listing.query_of_page(n);
    context.insert("searched", &listing.search);
    context.insert("filtered", &(listing.status.is_some() || listing.organization.is_some()));
    context.insert("petitions", &page.petitions);
    context.insert("total", &page.total);
    context.insert("page", &listing.page);
    context.insert("pages", &page.pages);
    context.insert("first_query", &href(1));
    // Links to the pages around this one, when there are (the first page's query is empty).
    let previous = (listing.page > 1 && listing.page <= page.pages).then(|| href(listing.page - 1));
    let next = (listing.page < page.pages).then(|| href(listing.page + 1));
    context.insert("has_previous", &previous.is_some());
    context.insert("previous_query", &previous.unwrap_or_default());
    context.insert("has_next", &next.is_some());
    context.insert("next_query", &next.unwrap_or_default());
    Ok(visitor.render(&state, "petitions.html", context, StatusCode::OK))
}

/// The sign form shown again: the signer's input, what is wrong with it, and a notice
/// (translation key); `None` for an empty form.
type ShownForm<'a> = Option<(&'a SignForm, Option<&'a FieldErrors>, Option<&'a str>)>;

/// What the sign form sends.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct SignForm {
    #[serde(default)]
    csrf: String,
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
    #[serde(default, deserialize_with = "checkbox")]
    public: bool,
    #[serde(default, deserialize_with = "checkbox")]
    opt_in: bool,
    /// `share` when the signer came from a shared link (kept by the form shown again
    /// after an error, whose page no longer carries the link's `?via=share`).
    #[serde(default)]
    via: String,
    /// The honeypot and the proof of work (`bots`): never shown back.
    #[serde(default, skip_serializing)]
    topic: String,
    #[serde(default, skip_serializing)]
    pow_challenge: String,
    #[serde(default, skip_serializing)]
    pow_nonce: String,
}

// Public for the fuzz target `sign_form`, which reads bodies as this route does.
impl SignForm {
    pub fn bots(&self) -> crate::bots::BotFields {
        crate::bots::BotFields {
            topic: self.topic.clone(),
            pow_challenge: self.pow_challenge.clone(),
            pow_nonce: self.pow_nonce.clone(),
        }
    }

    pub fn input(&self) -> SignatureInput {
        SignatureInput {
            name: self.name.clone(),
            email: self.email.clone(),
            country: self.country.clone(),
            postal_code: self.postal_code.clone(),
            comment: self.comment.clone(),
            public: self.public,
            opt_in: self.opt_in,
            // Told by the route, which sees where the form was posted from.
            source: Source::Direct,
        }
    }
}

/// What the share box's links add to the petition's address (`partials/share.html`).
const VIA_SHARE: &str = "share";

/// Whether the form was posted from a page opened by a shared link: the page's address,
/// which browsers send as `Referer` to the same origin (`Referrer-Policy: same-origin`),
/// carries `via=share`. No cookie is set or read for it.
fn came_from_shared_link(req: &HttpRequest, public_url: &str) -> bool {
    let Some(referer) = req.headers().get(actix_web::http::header::REFERER).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let Ok(referer) = url::Url::parse(referer) else { return false };
    referer.as_str().starts_with(public_url) && referer.query_pairs().any(|(k, v)| k == "via" && v == VIA_SHARE)
}

/// The petition as this visitor may see it: drafts only for their own organization.
/// Logged-in organizers always read the database; everyone else reads the cache.
pub(crate) async fn visible_petition(
    state: &AppState,
    visitor: &Visitor,
    slug: &str,
) -> Result<Arc<PetitionSnapshot>, AppError> {
    let snapshot = match &visitor.organizer {
        Some(_) => Arc::new(PetitionSnapshot::load(&state.db, state.renderer.maps(), slug).await?),
        None => state.snapshots.get(&state.db, slug).await?.value,
    };
    let own = visitor.organizer.as_ref().is_some_and(|o| o.acts_for(&snapshot.petition.organization.id));
    // Admins read the petitions waiting for their review.
    let reviewer = snapshot.petition.status == signons_petition::PetitionStatus::Review
        && visitor.organizer.as_ref().is_some_and(|o| o.is_admin);
    if snapshot.petition.is_unpublished() && !own && !reviewer {
        return Err(AppError::NotFound);
    }
    Ok(snapshot)
}

/// The petition page's own data; `form` is the sign form shown again with the signer's
/// input, what is wrong with it, and a notice (translation key). What every page holds
/// (CSRF token, language, …) is added by `Visitor::fill_context`.
pub(crate) fn petition_context(
    state: &AppState,
    locale: Locale,
    snapshot: &PetitionSnapshot,
    own: bool,
    form: ShownForm<'_>,
) -> Context {
    let mut context = form_context(state, locale, form);
    context.insert("petition", &PetitionView::new(&snapshot.petition, snapshot.count, &state.config.public_url));
    context.insert("signers", &read_model::views::SignerView::all(&snapshot.signers, locale));
    context.insert("news", &snapshot.news);
    context.insert("response", &snapshot.response.as_ref().map(ResponseView::new));
    let organization = &snapshot.petition.organization.name;
    let logo =
        snapshot.logo.as_ref().map(|l| read_model::views::ImageView::logo(l, organization, &state.config.public_url));
    context.insert("organization_logo", &logo);
    context.insert("own", &own);
    context.insert("review_note", &snapshot.petition.review_note.as_ref().filter(|_| own));
    let page_url = format!("{}/p/{}", state.config.public_url, snapshot.petition.slug);
    let oembed_url =
        format!("{}/oembed?url={}", state.config.public_url, signons_render::encode_query_value(&page_url));
    context.insert("oembed_url", &oembed_url);
    if own {
        let p = &snapshot.petition;
        let snippet = crate::routes::find::embed_snippet(
            &state.config.public_url,
            &p.slug,
            &p.title,
            crate::routes::find::EMBED_WIDTH,
            crate::routes::find::EMBED_HEIGHT,
        );
        context.insert("embed_snippet", &snippet);
    }
    let summary = match snapshot.petition.description_html.summary(200) {
        s if s.is_empty() => signons_render::Renderer::translate(
            locale,
            "petition-summary-fallback",
            &[("target", snapshot.petition.target.clone().into())],
        ),
        s => s,
    };
    context.insert("summary", &summary);
    // Shown once other instances collected signatures for it; an instance with none is
    // left out (the API keeps it).
    let by_instance: std::collections::BTreeMap<String, i64> = match snapshot.by_origin.is_empty() {
        true => Default::default(),
        false => read_model::views::by_instance(&state.config.public_url, snapshot.count, &snapshot.by_origin)
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .collect(),
    };
    context.insert("by_instance", &by_instance);
    context.insert("maps", &read_model::views::map_views(state.renderer.maps(), &snapshot.places, locale));
    context.insert("map_min_cell", &read_model::snapshot::PUBLIC_MIN_CELL);
    context
}

/// The key of the widget's form tokens (`bots::widget_token`).
fn widget_key(state: &AppState) -> [u8; 32] {
    state.signing.link_key.derive("widget-form")
}

/// The widget's data (`/embed/p/{slug}`): the petition, its count and an empty sign form,
/// whose `csrf` field is a widget token (a framed page has no CSRF cookie to match).
pub(crate) fn embed_context(state: &AppState, locale: Locale, snapshot: &PetitionSnapshot) -> Context {
    let mut context = form_context(state, locale, None);
    let now = chrono::Utc::now().timestamp();
    context.insert("widget_token", &crate::bots::widget_token(&widget_key(state), &snapshot.petition.slug, now));
    context.insert("petition", &PetitionView::new(&snapshot.petition, snapshot.count, &state.config.public_url));
    context.insert("embed", &true);
    context
}

/// The sign form's part of a page: empty, or shown again with the signer's input, what is
/// wrong with it, and a notice (translation key).
fn form_context(state: &AppState, locale: Locale, form: ShownForm<'_>) -> Context {
    let mut context = Context::new();
    // A fresh challenge each time the form is shown (pages with one are never cached).
    let pow = state.proof_of_work.as_ref().map(|p| p.issue(chrono::Utc::now().timestamp()));
    context.insert("pow", &pow);
    // "Show my name publicly" starts unticked: a name goes public only by the signer's choice.
    let empty = SignForm::default();
    let (values, errors, notice) = form.unwrap_or((&empty, None, None));
    context.insert("form", values);
    context.insert("errors", &errors.map(|e| errors_context(locale, e)).unwrap_or_else(|| serde_json::json!({})));
    context.insert("notice", &notice.map(|k| signons_render::Renderer::translate(locale, k, &[])));
    context
}

/// The page of a petition of another instance (`slug@host`), with its sign form: signed
/// here, counted there.
async fn remote_petition_page(
    state: &AppState,
    visitor: &Visitor,
    handle: &str,
    form: ShownForm<'_>,
    status: StatusCode,
) -> PageResult {
    let (petition, posts) = read_model::remote::load(&state.db, &state.config.public_url, handle).await?;
    let mut context = form_context(state, visitor.locale, form);
    context.insert("petition", &petition);
    context.insert("posts", &posts);
    Ok(visitor.render(state, "remote_petition.html", context, status))
}

/// The sign form's page again, for either kind of petition.
async fn sign_form_page(
    state: &AppState,
    visitor: &Visitor,
    slug: &str,
    form: ShownForm<'_>,
    status: StatusCode,
) -> PageResult {
    if slug.contains('@') {
        remote_petition_page(state, visitor, slug, form, status).await
    } else {
        petition_page(state, visitor, slug, form, status).await
    }
}

/// The petition page, rendered for this visitor (not cached: organizers, and the sign
/// form shown again with errors).
async fn petition_page(
    state: &AppState,
    visitor: &Visitor,
    slug: &str,
    form: ShownForm<'_>,
    status: StatusCode,
) -> PageResult {
    let snapshot = visible_petition(state, visitor, slug).await?;
    let own = visitor.organizer.as_ref().is_some_and(|o| o.acts_for(&snapshot.petition.organization.id));
    let context = petition_context(state, visitor.locale, &snapshot, own, form);
    Ok(visitor.render(state, "petition.html", context, status))
}

/// `GET /p/{slug}` for a visitor who is not logged in: the page is rendered once per
/// snapshot and language, with a placeholder where the visitor's CSRF token goes, and
/// each answer gets its own visitor's token spliced in (see `page_cache`). Those answers
/// are `Cache-Control: private` and carry an ETag per visitor, for a cheap 304.
async fn cached_petition_page(
    state: &AppState,
    visitor: &Visitor,
    req: &HttpRequest,
    slug: &str,
) -> Result<HttpResponse, AppError> {
    debug_assert!(visitor.organizer.is_none());
    let snapshot = state.snapshots.published(&state.db, slug).await?;
    let key = (snapshot.value.petition.slug.clone(), visitor.locale.code());
    let page = match state.pages.get(&key, snapshot.version) {
        Some(page) => page,
        None => {
            let s = &snapshot.value;
            let mut context = petition_context(state, visitor.locale, s, false, None);
            let path = format!("/p/{}", s.petition.slug);
            visitor.fill_context(state, &mut context, state.pages.placeholder(), &path);
            let html = state.renderer.render("petition.html", visitor.locale, &context).map_err(AppError::internal)?;
            state.pages.insert(key, snapshot.version, &html)
        }
    };
    Ok(serve_page(visitor, req, &page))
}

fn serve_page(visitor: &Visitor, req: &HttpRequest, page: &SplicedPage) -> HttpResponse {
    let token = visitor.csrf.as_bytes();
    let etag = page.etag_with(token);
    if !visitor.csrf_is_new() && if_none_match(req, &etag) {
        return not_modified(&etag, PRIVATE_PAGE, Some("Accept-Language, Cookie"));
    }
    visitor.html_response(StatusCode::OK, PRIVATE_PAGE).insert_header((header::ETAG, etag)).body(page.body_with(token))
}

#[get("/p/{slug}")]
pub async fn show_petition(
    req: HttpRequest,
    state: web::Data<AppState>,
    visitor: Visitor,
    slug: web::Path<String>,
) -> PageResult {
    if crate::routes::federation::wants_activity_json(&req) {
        let reference = signons_federation::LocalRef::Petition(slug.into_inner());
        return Ok(crate::routes::federation::actor_response(&state, reference).await);
    }
    if slug.contains('@') {
        return remote_petition_page(&state, &visitor, &slug, None, StatusCode::OK).await;
    }
    match visitor.organizer {
        // A page with a proof-of-work challenge is its visitor's alone.
        None if state.proof_of_work.is_none() => Ok(cached_petition_page(&state, &visitor, &req, &slug).await?),
        _ => petition_page(&state, &visitor, &slug, None, StatusCode::OK).await,
    }
}

#[post("/p/{slug}/sign")]
pub async fn sign_petition(
    req: HttpRequest,
    state: web::Data<AppState>,
    visitor: Visitor,
    slug: web::Path<String>,
    body: web::Bytes,
) -> PageResult {
    let mut form: SignForm = parse_form(&body)?;
    // The widget's form, framed by another site, carries a widget token instead.
    let from_widget = !slug.contains('@')
        && crate::bots::widget_token_ok(&widget_key(&state), &slug, &form.csrf, chrono::Utc::now().timestamp());
    let source = if from_widget {
        Source::Embed
    } else if form.via == VIA_SHARE || came_from_shared_link(&req, &state.config.public_url) {
        form.via = VIA_SHARE.to_owned();
        Source::SharedLink
    } else {
        Source::Direct
    };
    let input = SignatureInput { source, ..form.input() };
    let notice = |key: &'static str| Some((&form, None, Some(key)));
    if !from_widget && visitor.check_csrf(&form.csrf).is_err() {
        return sign_form_page(&state, &visitor, &slug, notice("error-csrf-failed"), StatusCode::FORBIDDEN).await;
    }
    if !crate::rate_limit::allow_sign(&state, &req) {
        return sign_form_page(&state, &visitor, &slug, notice("error-rate-limited"), StatusCode::TOO_MANY_REQUESTS)
            .await;
    }
    use crate::bots::Verdict;
    let refused = match form.bots().judge(state.proof_of_work.as_ref(), chrono::Utc::now().timestamp()) {
        Verdict::Human => None,
        Verdict::Trapped => {
            tracing::info!("a sign form came with its honeypot filled: nothing written, nothing sent");
            return Ok(redirect(&format!("/p/{}/thanks", slug.as_str())));
        }
        Verdict::ProofMissing => Some("error-proof-of-work-required"),
        Verdict::ProofInvalid => Some("error-proof-of-work-invalid"),
    };
    if let Some(key) = refused {
        return sign_form_page(&state, &visitor, &slug, notice(key), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let signed = match &visitor.organizer {
        _ if slug.contains('@') => {
            let petition = read_model::remote::find(&state.db, &slug).await?;
            let network = crate::rate_limit::client_network(&state, &req);
            match signons_federation::sent::sign(state.fed(), &petition, &input, visitor.locale, network).await {
                Ok(()) => Ok(()),
                Err(signons_federation::FederationError::Signature(e)) => Err(e),
                Err(e) => return Err(e.into()),
            }
        }
        None => {
            let snapshot = state.snapshots.get(&state.db, &slug).await?;
            let (petition, network) = (&snapshot.value.petition, crate::rate_limit::client_network(&state, &req));
            signing::sign_petition(&state.db, &state.signing, petition, &input, visitor.locale, network).await
        }
        Some(_) => {
            let network = crate::rate_limit::client_network(&state, &req);
            signing::sign(&state.db, &state.signing, &slug, &input, visitor.locale, network).await
        }
    };
    match signed {
        Ok(()) => Ok(redirect(&format!("/p/{}/thanks", slug.as_str()))),
        Err(signons_signature::SignatureError::Invalid(errors)) => {
            let again = Some((&form, Some(&errors), Some("sign-fix-errors")));
            sign_form_page(&state, &visitor, &slug, again, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The sign form's address, opened again (after a form shown with errors): the petition.
#[get("/p/{slug}/sign")]
pub async fn sign_form_again(slug: web::Path<String>) -> HttpResponse {
    redirect(&format!("/p/{}", slug.as_str()))
}

#[get("/p/{slug}/thanks")]
pub async fn thanks(state: web::Data<AppState>, visitor: Visitor, slug: web::Path<String>) -> PageResult {
    if slug.contains('@') {
        let (petition, _) = read_model::remote::load(&state.db, &state.config.public_url, &slug).await?;
        let mut context = Context::new();
        context.insert("petition", &petition);
        return Ok(visitor.render(&state, "thanks.html", context, StatusCode::OK));
    }
    let snapshot = visible_petition(&state, &visitor, &slug).await?;
    let mut context = Context::new();
    context.insert("petition", &PetitionView::new(&snapshot.petition, snapshot.count, &state.config.public_url));
    Ok(visitor.render(&state, "thanks.html", context, StatusCode::OK))
}

/// The email link: shows what is about to be confirmed and a button. Mail scanners that
/// fetch links therefore confirm nothing and burn nothing.
#[get("/s/{token}")]
pub async fn confirm_page(state: web::Data<AppState>, visitor: Visitor, token: web::Path<String>) -> PageResult {
    token_page(&state, &visitor, token.into_inner(), TokenAction::Confirm, None).await
}

#[post("/s/{token}")]
pub async fn confirm(
    state: web::Data<AppState>,
    visitor: Visitor,
    token: web::Path<String>,
    body: web::Bytes,
) -> PageResult {
    act_on_token(&state, &visitor, token.into_inner(), &body, TokenAction::Confirm).await
}

#[get("/w/{token}")]
pub async fn withdraw_page(state: web::Data<AppState>, visitor: Visitor, token: web::Path<String>) -> PageResult {
    token_page(&state, &visitor, token.into_inner(), TokenAction::Withdraw, None).await
}

#[post("/w/{token}")]
pub async fn withdraw(
    state: web::Data<AppState>,
    visitor: Visitor,
    token: web::Path<String>,
    body: web::Bytes,
) -> PageResult {
    act_on_token(&state, &visitor, token.into_inner(), &body, TokenAction::Withdraw).await
}

/// The button of an email link: confirms or withdraws, then says it is done.
async fn act_on_token(
    state: &AppState,
    visitor: &Visitor,
    token: String,
    body: &[u8],
    action: TokenAction,
) -> PageResult {
    match visitor.check_csrf_form(body) {
        Ok(()) => {}
        // An expired form says so on the page; a body that is not a form is a 400.
        Err(AppError::Csrf) => return token_page(state, visitor, token, action, Some("error-csrf-failed")).await,
        Err(e) => return Err(e.into()),
    }
    let urls = state.fed().urls.clone();
    let public_url = state.config.public_url.clone();
    let (template, done) = state
        .db
        .write_async(move |conn| -> Result<_, AppError> {
            Ok(match action {
                TokenAction::Confirm => match confirm_either(conn, &public_url, &token)? {
                    Confirmation::Confirmed(page) => ("confirmed.html", page),
                    Confirmation::AlreadyConfirmed(page) => ("already_confirmed.html", page),
                    Confirmation::CountedElsewhere(page) => ("counted_elsewhere.html", page),
                },
                TokenAction::Withdraw => ("withdrawn.html", withdraw_either(conn, &urls, &token)?),
            })
        })
        .await?;
    if done.elsewhere.is_some() || matches!(action, TokenAction::Withdraw) {
        // A `Sign` to batch, or an `Undo(Sign)` to deliver.
        signons_federation::sent::after_commit(state.fed());
        state.fed().wake.notify_one();
    }
    let mut context = Context::new();
    context.insert("page", &done);
    context.insert("petition_url", &format!("{}/p/{}", state.config.public_url, done.petition_slug));
    Ok(visitor.render(state, template, context, StatusCode::OK))
}

/// An email link is one of a signature of ours, or else of a signature of another
/// instance's petition (`signons_federation::sent`).
fn confirm_either(
    conn: &mut signons_store::DbConnection,
    public_url: &str,
    token: &str,
) -> Result<Confirmation, AppError> {
    match signing::confirm(conn, public_url, token) {
        Err(SignatureError::TokenInvalid) => {
            signons_federation::sent::confirm(conn, token)?.ok_or(AppError::TokenInvalid)
        }
        other => Ok(other?),
    }
}

fn withdraw_either(
    conn: &mut signons_store::DbConnection,
    urls: &signons_federation::Urls,
    token: &str,
) -> Result<TokenPage, AppError> {
    match signing::withdraw(conn, token) {
        Err(SignatureError::TokenInvalid) => {
            signons_federation::sent::withdraw(conn, urls, token)?.ok_or(AppError::TokenInvalid)
        }
        other => Ok(other?),
    }
}

fn token_page_either(
    conn: &mut signons_store::DbConnection,
    token: &str,
    action: TokenAction,
) -> Result<TokenPage, AppError> {
    let local = match action {
        TokenAction::Confirm => signing::confirm_page(conn, token),
        TokenAction::Withdraw => signing::withdraw_page(conn, token),
    };
    match local {
        Err(SignatureError::TokenInvalid) => match action {
            TokenAction::Confirm => signons_federation::sent::confirm_page(conn, token)?,
            TokenAction::Withdraw => signons_federation::sent::withdraw_page(conn, token)?,
        }
        .ok_or(AppError::TokenInvalid),
        other => Ok(other?),
    }
}

#[derive(Clone, Copy)]
enum TokenAction {
    Confirm,
    Withdraw,
}

async fn token_page(
    state: &AppState,
    visitor: &Visitor,
    token: String,
    action: TokenAction,
    notice: Option<&str>,
) -> PageResult {
    let t = token.clone();
    let page = state.db.read_async(move |conn| token_page_either(conn, &t, action)).await?;
    let mut context = Context::new();
    if matches!(action, TokenAction::Confirm) && page.confirmed {
        // A used link: it did its work, say so (a refused CSRF check changes nothing here).
        context.insert("page", &page);
        context.insert("petition_url", &format!("{}/p/{}", state.config.public_url, page.petition_slug));
        return Ok(visitor.render(state, "already_confirmed.html", context, StatusCode::OK));
    }
    context.insert("page", &page);
    context.insert("token", &token);
    context.insert("notice", &notice.map(|k| visitor.t(k)));
    let (template, status) = match (action, notice) {
        (TokenAction::Confirm, None) => ("confirm.html", StatusCode::OK),
        (TokenAction::Confirm, Some(_)) => ("confirm.html", StatusCode::FORBIDDEN),
        (TokenAction::Withdraw, None) => ("withdraw.html", StatusCode::OK),
        (TokenAction::Withdraw, Some(_)) => ("withdraw.html", StatusCode::FORBIDDEN),
    };
    Ok(visitor.render(state, template, context, status))
}

/// The unsubscribe link of a news email (`signons_signature::news`, and
/// `signons_federation::sent_news` for a petition elsewhere): a page with one
/// button, since link scanners fetch every link of an email and a GET must change nothing.
#[get("/u/{token}")]
pub async fn unsubscribe_page(state: web::Data<AppState>, visitor: Visitor, token: web::Path<String>) -> PageResult {
    let (key, link) = (state.signing.link_key.clone(), token.clone());
    let page = state
        .db
        .read_async(move |conn| -> Result<_, AppError> {
            Ok(signons_federation::sent_news::unsubscribe_page(conn, &key, &link)?)
        })
        .await?;
    unsubscribe_answer(&state, &visitor, &token, &page, false)
}

#[derive(Deserialize)]
struct OneClick {
    #[serde(rename = "List-Unsubscribe", default)]
    list_unsubscribe: String,
}

/// One-click unsubscribe (RFC 8058): mail clients POST `List-Unsubscribe=One-Click` to the
/// link, with no cookie, so there is no CSRF check here; the page's button posts the same.
/// The link's token is its authority, and all it can do is stop news.
#[post("/u/{token}")]
pub async fn unsubscribe(
    state: web::Data<AppState>,
    visitor: Visitor,
    token: web::Path<String>,
    body: web::Bytes,
) -> PageResult {
    let form: OneClick = parse_form(&body)?;
    if form.list_unsubscribe != "One-Click" {
        return Err(AppError::BadRequest("expected List-Unsubscribe=One-Click".into()).into());
    }
    let (key, link) = (state.signing.link_key.clone(), token.clone());
    let page = state
        .db
        .write_async(move |conn| -> Result<_, AppError> {
            Ok(signons_federation::sent_news::unsubscribe(conn, &key, &link)?)
        })
        .await?;
    unsubscribe_answer(&state, &visitor, &token, &page, true)
}

fn unsubscribe_answer(
    state: &AppState,
    visitor: &Visitor,
    token: &str,
    page: &signons_signature::news::UnsubscribePage,
    done: bool,
) -> PageResult {
    let mut context = Context::new();
    context.insert("page", page);
    context.insert("token", token);
    context.insert("done", &done);
    Ok(visitor.render(state, "unsubscribe.html", context, StatusCode::OK))
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// The language links: remember the choice in a cookie and go back.
#[get("/lang/{code}")]
pub async fn set_language(
    state: web::Data<AppState>,
    code: web::Path<String>,
    query: web::Query<NextQuery>,
) -> HttpResponse {
    let Some(locale) = Locale::from_code(&code) else {
        return HttpResponse::NotFound().finish();
    };
    let mut response = redirect(safe_next(query.next.as_deref()));
    let mut c = cookie(LANG_COOKIE, locale.code().to_owned(), state.config.secure_cookies);
    c.set_max_age(actix_web::cookie::time::Duration::days(365));
    if let Err(e) = response.add_cookie(&c) {
        tracing::warn!(error = %e, "cannot set language cookie");
    }
    response
}

/// The cached petition page inside the application: tokens, headers and invalidation.
#[cfg(test)]
mod cached_page_tests {
    use super::*;
    use crate::config::RawConfig;
    use actix_web::dev::Payload;
    use actix_web::{test::TestRequest, FromRequest};
    use signons_petition::{petition, PetitionInput};
    use signons_store::testing::{TempDatabase, TestBackend};

    struct Setup {
        state: web::Data<AppState>,
        slug: String,
        organizer: signons_petition::Organizer,
        _db: TempDatabase,
    }

    async fn setup() -> Setup {
        let temp = TempDatabase::new(TestBackend::Sqlite);
        let db = temp.open();
        let (organizer, petition) = db.write(signons_petition::testing::sample_petition).unwrap();
        let slug = petition.slug;
        let config = RawConfig { database_url: Some(temp.url_string()), ..RawConfig::default() }.validate().unwrap();
        let renderer = signons_render::Renderer::new().unwrap();
        let signing = signons_signature::SigningContext::new(
            renderer.clone(),
            signons_mail::MailQueue::new(),
            config.public_url.clone(),
            chrono::TimeDelta::hours(1),
        );
        let settings = signons_petition::settings::Shared::of_defaults(&config.settings_defaults());
        let federation = crate::federate::configure(&config, &db, &signing, settings).await.unwrap();
        let state = web::Data::new(AppState::new(config, db, renderer, signing, federation));
        Setup { state, slug, organizer, _db: temp }
    }

    /// A GET of the petition page by a visitor with these cookies and headers.
    async fn get_page(s: &Setup, csrf: Option<&str>, headers: &[(&str, &str)]) -> HttpResponse {
        let mut req = TestRequest::get().uri(&format!("/p/{}", s.slug)).app_data(s.state.clone());
        if let Some(token) = csrf {
            req = req.cookie(actix_web::cookie::Cookie::new(crate::page::CSRF_COOKIE, token.to_owned()));
        }
        for (k, v) in headers {
            req = req.insert_header((*k, *v));
        }
        let req = req.to_http_request();
        let visitor = Visitor::from_request(&req, &mut Payload::None).await.unwrap();
        cached_petition_page(&s.state, &visitor, &req, &s.slug).await.unwrap()
    }

    async fn body(response: HttpResponse) -> String {
        let bytes = actix_web::body::to_bytes(response.into_body()).await.unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    fn header(response: &HttpResponse, name: &str) -> Option<String> {
        response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
    }

    #[tokio::test]
    async fn every_visitor_gets_their_own_token_in_the_cached_page() {
        let s = setup().await;
        let (alice, bob) = (signons_store::Token::generate(), signons_store::Token::generate());
        let a = get_page(&s, Some(alice.expose()), &[]).await;
        assert_eq!(a.status(), StatusCode::OK);
        assert_eq!(header(&a, "cache-control").as_deref(), Some(PRIVATE_PAGE));
        assert!(header(&a, "set-cookie").is_none(), "a known visitor keeps their cookie");
        let a = body(a).await;
        let b = body(get_page(&s, Some(bob.expose()), &[]).await).await;
        assert!(a.contains(alice.expose()) && !a.contains(bob.expose()));
        assert!(b.contains(bob.expose()) && !b.contains(alice.expose()));
        assert!(!a.contains(s.state.pages.placeholder()) && !b.contains(s.state.pages.placeholder()));
        assert_eq!(a.replace(alice.expose(), "T"), b.replace(bob.expose(), "T"), "otherwise the same page");

        // A first visit: a new token, set as the cookie and used in the form.
        let first = get_page(&s, None, &[]).await;
        let cookie = header(&first, "set-cookie").expect("a CSRF cookie on the first visit");
        let token = cookie.trim_start_matches("signons_csrf=").split(';').next().unwrap().to_owned();
        let page = body(first).await;
        assert!(page.contains(&format!("value=\"{token}\"")));
        assert!(!page.contains(alice.expose()) && !page.contains(bob.expose()));
    }

    #[tokio::test]
    async fn pages_are_cached_per_language() {
        let s = setup().await;
        let token = signons_store::Token::generate();
        let en = body(get_page(&s, Some(token.expose()), &[("accept-language", "en")]).await).await;
        let fr = body(get_page(&s, Some(token.expose()), &[("accept-language", "fr-FR,fr")]).await).await;
        assert!(en.contains("<html lang=\"en\""), "{en}");
        assert!(fr.contains("<html lang=\"fr\""), "{fr}");
        let en_again = body(get_page(&s, Some(token.expose()), &[("accept-language", "en")]).await).await;
        assert_eq!(en, en_again);
    }

    #[tokio::test]
    async fn etags_give_304_and_change_with_the_visitor_and_the_page() {
        let s = setup().await;
        let token = signons_store::Token::generate();
        let first = get_page(&s, Some(token.expose()), &[]).await;
        let etag = header(&first, "etag").expect("an ETag");
        let again = get_page(&s, Some(token.expose()), &[("if-none-match", etag.as_str())]).await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(header(&again, "etag").as_deref(), Some(etag.as_str()));
        assert!(body(again).await.is_empty());

        let other = signons_store::Token::generate();
        let other_page = get_page(&s, Some(other.expose()), &[("if-none-match", etag.as_str())]).await;
        assert_eq!(other_page.status(), StatusCode::OK, "another visitor's ETag is not theirs");

        // The organizer closes the petition: the page changes at once.
        let (state, slug, organizer) = (s.state.clone(), s.slug.clone(), s.organizer.clone());
        state.db.write(|conn| petition::close(conn, &organizer, &slug)).unwrap();
        state.invalidate_petition(&s.slug);
        let after = get_page(&s, Some(token.expose()), &[("if-none-match", etag.as_str())]).await;
        assert_eq!(after.status(), StatusCode::OK);
        assert_ne!(header(&after, "etag").as_deref(), Some(etag.as_str()));
        assert!(!body(after).await.contains("name=\"email\""), "a closed petition has no sign form");
    }

    #[tokio::test]
    async fn drafts_are_not_found_and_counts_follow_invalidation() {
        let s = setup().await;
        let snapshot = s.state.snapshots.get(&s.state.db, &s.slug).await.unwrap();
        assert_eq!(snapshot.value.count, 0);
        // Counted signatures appear once the cache is invalidated (or after `TTL`).
        let id = snapshot.value.petition.id.clone();
        s.state.db.write(|conn| signons_signature::counts::add(conn, &id, 3).map_err(AppError::from)).unwrap();
        s.state.invalidate_petition(&s.slug);
        assert_eq!(s.state.snapshots.get(&s.state.db, &s.slug).await.unwrap().value.count, 3);

        let draft_slug = s
            .state
            .db
            .write(|conn| -> Result<String, signons_petition::PetitionError> {
                let input = PetitionInput {
                    title: "A draft".into(),
                    target: "Someone".into(),
                    description: "Not published yet, still being written.".into(),
                    goal: "10".into(),
                    ..Default::default()
                };
                let valid = input
                    .validate(chrono::Utc::now().date_naive())
                    .map_err(signons_petition::PetitionError::Invalid)?;
                Ok(petition::create(conn, &s.organizer, valid, false)?.slug)
            })
            .unwrap();
        let req = TestRequest::get().app_data(s.state.clone()).to_http_request();
        let visitor = Visitor::from_request(&req, &mut Payload::None).await.unwrap();
        let result = cached_petition_page(&s.state, &visitor, &req, &draft_slug).await;
        assert!(matches!(result, Err(AppError::NotFound)));
    }
}
