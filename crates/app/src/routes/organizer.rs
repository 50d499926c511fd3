//! The organizer's side: logging in, the dashboard, writing and publishing petitions, and
//! their lifecycle once published: editing, closing (after a confirmation), reopening,
//! declaring a victory.

use crate::error::AppError;
use crate::federate::Tell;
use crate::page::{checkbox, cookie, errors_context, parse_form, redirect, safe_next, Visitor, SESSION_COOKIE};
use crate::page_error::PageResult;
use crate::read_model;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use signons_petition::{petition, FieldErrors, Petition, PetitionInput, PetitionStatus, VictoryMessage};
use signons_render::Context;

const SESSION_DAYS: i64 = 14;

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

#[derive(Deserialize, Serialize, Default)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default, skip_serializing)]
    password: String,
    #[serde(default)]
    next: Option<String>,
}

/// Where a login leads: the page that sent the visitor to it, or else their dashboard
/// (not the public home page, where a new organizer would not find their petitions).
fn after_login(next: Option<&str>) -> &str {
    match next {
        None | Some("") => "/dashboard",
        next => safe_next(next),
    }
}

fn login_page(
    state: &AppState,
    visitor: &Visitor,
    form: &LoginForm,
    error: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let mut context = Context::new();
    context.insert("form", form);
    // Empty when the login was not asked from another page: the dashboard comes next
    // (`after_login`).
    let next = form.next.as_deref().filter(|n| !n.is_empty()).map(|n| safe_next(Some(n))).unwrap_or("");
    context.insert("next", next);
    context.insert("error", &error.map(|k| visitor.t(k)));
    visitor.render(state, "login.html", context, status)
}

#[get("/login")]
pub async fn login_form(state: web::Data<AppState>, visitor: Visitor, query: web::Query<NextQuery>) -> HttpResponse {
    let form = LoginForm { next: query.into_inner().next, ..LoginForm::default() };
    login_page(&state, &visitor, &form, None, StatusCode::OK)
}

#[post("/login")]
pub async fn login(req: HttpRequest, state: web::Data<AppState>, visitor: Visitor, body: web::Bytes) -> PageResult {
    let form: LoginForm = parse_form(&body)?;
    if visitor.check_csrf(&form.csrf).is_err() {
        return Ok(login_page(&state, &visitor, &form, Some("error-csrf-failed"), StatusCode::FORBIDDEN));
    }
    if !crate::rate_limit::allow_login(&state, &req) {
        return Ok(login_page(&state, &visitor, &form, Some("error-rate-limited"), StatusCode::TOO_MANY_REQUESTS));
    }
    // Per account too, whatever the addresses: the same answer for an address that has no
    // account, so this says nothing about which do.
    let account = crate::rate_limit::LoginFailures::key(&form.email);
    if !state.login_failures.begin(&account) {
        return Ok(login_page(&state, &visitor, &form, Some("error-login-throttled"), StatusCode::TOO_MANY_REQUESTS));
    }
    let (email, password) = (form.email.clone(), form.password.clone());
    // The hash is read, the connection given back, and only then is the password checked
    // (argon2, slow on purpose), a few at a time: logins never hold the connections pages
    // need, nor the one writer of SQLite.
    let db = state.db.clone();
    let passwords = state.passwords.clone();
    let session = async move {
        let candidate = db
            .read_async(move |conn| signons_petition::auth::login_candidate(conn, &email).map_err(AppError::from))
            .await?;
        let organizer = passwords.run(move || candidate.verify(&password)).await??;
        db.write_async(move |conn| {
            signons_petition::auth::create_session(conn, &organizer.id, chrono::TimeDelta::days(SESSION_DAYS))
                .map_err(AppError::from)
        })
        .await
    }
    .await;
    if session.is_ok() {
        state.login_failures.succeeded(&account);
    }
    match session {
        Ok(token) => {
            let mut response = redirect(after_login(form.next.as_deref()));
            let mut c = cookie(SESSION_COOKIE, token.expose().to_owned(), state.config.secure_cookies);
            c.set_max_age(actix_web::cookie::time::Duration::days(SESSION_DAYS));
            response.add_cookie(&c).map_err(AppError::internal)?;
            Ok(response)
        }
        Err(AppError::BadCredentials) => {
            Ok(login_page(&state, &visitor, &form, Some("error-bad-credentials"), StatusCode::UNAUTHORIZED))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

#[post("/logout")]
pub async fn logout(state: web::Data<AppState>, visitor: Visitor, body: web::Bytes) -> PageResult {
    let form: CsrfForm = parse_form(&body)?;
    visitor.check_csrf(&form.csrf)?;
    if let Some(token) = visitor.session.clone() {
        state
            .db
            .write_async(move |conn| signons_petition::auth::delete_session(conn, &token).map_err(AppError::from))
            .await?;
    }
    let mut response = redirect("/");
    let mut c = cookie(SESSION_COOKIE, String::new(), state.config.secure_cookies);
    c.make_removal();
    response.add_cookie(&c).map_err(AppError::internal)?;
    Ok(response)
}

#[get("/dashboard")]
pub async fn dashboard(state: web::Data<AppState>, visitor: Visitor) -> PageResult {
    let organizer = visitor.require_organizer()?.clone();
    let views =
        read_model::lists::organization_petitions(&state.db, &state.config.public_url, organizer.organization.id)
            .await?;
    let mut context = Context::new();
    context.insert("petitions", &views);
    context.insert("is_admin", &visitor.organizer.as_ref().is_some_and(|o| o.is_admin));
    Ok(visitor.render(&state, "dashboard.html", context, StatusCode::OK))
}

/// The petition editor's fields.
#[derive(Deserialize, Serialize, Default)]
struct PetitionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    goal: String,
    #[serde(default)]
    end_date: String,
    #[serde(default, deserialize_with = "checkbox")]
    ask_country: bool,
    #[serde(default, deserialize_with = "checkbox")]
    ask_postal_code: bool,
    /// Which button: `preview`, `draft` or `publish`.
    #[serde(default)]
    action: String,
}

impl PetitionForm {
    fn input(&self) -> PetitionInput {
        PetitionInput {
            title: self.title.clone(),
            target: self.target.clone(),
            description: self.description.clone(),
            goal: self.goal.clone(),
            end_date: self.end_date.clone(),
            ask_country: self.ask_country,
            ask_postal_code: self.ask_postal_code,
        }
    }

    fn from_petition(p: &signons_petition::Petition) -> Self {
        PetitionForm {
            title: p.title.clone(),
            target: p.target.clone(),
            description: p.description_md.clone(),
            goal: p.goal.to_string(),
            end_date: p.end_date().map(|d| d.to_string()).unwrap_or_default(),
            ask_country: p.ask_country,
            ask_postal_code: p.ask_postal_code,
            ..PetitionForm::default()
        }
    }
}

struct Editor<'a> {
    form: &'a PetitionForm,
    /// `None` for a new petition.
    slug: Option<&'a str>,
    /// A published petition is edited (saved as it is, its signers' fields fixed).
    published: bool,
    errors: Option<&'a FieldErrors>,
    preview: Option<&'a str>,
    notice: Option<&'a str>,
}

fn editor_page(state: &AppState, visitor: &Visitor, editor: Editor<'_>, status: StatusCode) -> HttpResponse {
    let mut context = Context::new();
    context.insert("form", editor.form);
    context.insert("slug", &editor.slug);
    context.insert("published", &editor.published);
    context.insert(
        "errors",
        &editor.errors.map(|e| errors_context(visitor.locale, e)).unwrap_or_else(|| serde_json::json!({})),
    );
    context.insert("preview", &editor.preview);
    context.insert("notice", &editor.notice.map(|k| visitor.t(k)));
    visitor.render(state, "petition_form.html", context, status)
}

#[get("/petitions/new")]
pub async fn new_petition(state: web::Data<AppState>, visitor: Visitor) -> PageResult {
    visitor.require_organizer()?;
    let form = PetitionForm { goal: "1000".into(), ..PetitionForm::default() };
    Ok(editor_page(
        &state,
        &visitor,
        Editor { form: &form, slug: None, published: false, errors: None, preview: None, notice: None },
        StatusCode::OK,
    ))
}

#[post("/petitions/new")]
pub async fn create_petition(state: web::Data<AppState>, visitor: Visitor, body: web::Bytes) -> PageResult {
    save_petition(&state, &visitor, None, &body).await
}

/// The organizer's own petition, read fresh: another organization's is not found (404),
/// whatever it is, and a removed one is gone (410).
async fn own_petition(state: &AppState, visitor: &Visitor, slug: &str) -> Result<Petition, AppError> {
    let (organizer, slug) = (visitor.require_organizer()?.clone(), slug.to_owned());
    state.db.read_async(move |conn| crate::read_model::own::petition(conn, &organizer, &slug)).await
}

#[get("/p/{slug}/edit")]
pub async fn edit_petition(state: web::Data<AppState>, visitor: Visitor, slug: web::Path<String>) -> PageResult {
    let slug = slug.into_inner();
    let p = own_petition(&state, &visitor, &slug).await?;
    let form = PetitionForm::from_petition(&p);
    Ok(editor_page(
        &state,
        &visitor,
        Editor {
            form: &form,
            slug: Some(&slug),
            published: p.status != PetitionStatus::Draft,
            errors: None,
            preview: None,
            notice: None,
        },
        StatusCode::OK,
    ))
}

#[post("/p/{slug}/edit")]
pub async fn update_petition(
    state: web::Data<AppState>,
    visitor: Visitor,
    slug: web::Path<String>,
    body: web::Bytes,
) -> PageResult {
    save_petition(&state, &visitor, Some(slug.into_inner()), &body).await
}

/// Preview, save as draft, or publish, for a new petition or an edited draft; preview or
/// save, for an edited published petition (its followers then get an `Update` of it).
async fn save_petition(state: &AppState, visitor: &Visitor, slug: Option<String>, body: &[u8]) -> PageResult {
    let organizer = visitor.require_organizer()?.clone();
    let form: PetitionForm = parse_form(body)?;
    let current = match &slug {
        Some(s) => Some(own_petition(state, visitor, s).await?),
        None => None,
    };
    let published = current.as_ref().is_some_and(|p| p.status != PetitionStatus::Draft);
    let editor =
        |errors, preview, notice| Editor { form: &form, slug: slug.as_deref(), published, errors, preview, notice };
    if visitor.check_csrf(&form.csrf).is_err() {
        return Ok(editor_page(state, visitor, editor(None, None, Some("error-csrf-failed")), StatusCode::FORBIDDEN));
    }
    let kept_end = current.as_ref().and_then(|p| p.end_at);
    let valid = match form.input().validate_edit(chrono::Utc::now().date_naive(), kept_end) {
        Ok(v) => v,
        Err(errors) => {
            return Ok(editor_page(
                state,
                visitor,
                editor(Some(&errors), None, None),
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
    };
    let publish = match form.action.as_str() {
        "preview" => {
            let html = valid.description_html().as_str().to_owned();
            return Ok(editor_page(state, visitor, editor(None, Some(&html), None), StatusCode::OK));
        }
        "publish" => true,
        _ => false,
    };
    let fed = state.fed().clone();
    let saved = state
        .db
        .write_async(move |conn| -> Result<_, AppError> {
            let saved = match slug {
                None => {
                    let p = petition::create(conn, &organizer, valid, publish)?;
                    crate::federate::announce(conn, &fed, &p)?;
                    p
                }
                Some(slug) => {
                    let p = petition::update(conn, &organizer, &slug, valid)?;
                    match p.status {
                        PetitionStatus::Draft if publish => {
                            let p = petition::publish(conn, &organizer, &p.slug)?;
                            crate::federate::announce(conn, &fed, &p)?;
                            p
                        }
                        // A published petition edited: an `Update`, not a new launch.
                        _ => {
                            crate::federate::announce_change(conn, &fed, &p)?;
                            p
                        }
                    }
                }
            };
            Ok(saved)
        })
        .await?;
    state.fed().wake.notify_one();
    state.invalidate_petition(&saved.slug);
    Ok(redirect(&format!("/p/{}", saved.slug)))
}

#[post("/p/{slug}/publish")]
pub async fn publish_petition(
    state: web::Data<AppState>,
    visitor: Visitor,
    slug: web::Path<String>,
    body: web::Bytes,
) -> PageResult {
    transition(&state, &visitor, slug.into_inner(), &body, Tell::ByStatus, petition::publish).await
}

/// "Close this petition?": the confirmation closing asks, a page of its own (no script).
#[get("/p/{slug}/close")]
pub async fn confirm_close(state: web::Data<AppState>, visitor: Visitor, slug: web::Path<String>) -> PageResult {
    let p = own_petition(&state, &visitor, &slug).await?;
    if p.status != PetitionStatus::Open {
        return Err(AppError::InvalidState(format!("a {} petition cannot be closed", p.status)).into());
    }
    let mut context = Context::new();
    context.insert("slug", &p.slug);
    context.insert("title", &p.title);
    Ok(visitor.render(&state, "petition_close.html", context, StatusCode::OK))
}

#[derive(Deserialize)]
struct CloseForm {
    #[serde(default)]
    csrf: String,
    /// `yes` from the confirmation page's button.
    #[serde(default)]
    confirm: String,
}

/// Closes once confirmed; a form without the confirmation (an old page's button) is sent
/// to the confirmation page.
#[post("/p/{slug}/close")]
pub async fn close_petition(
    state: web::Data<AppState>,
    visitor: Visitor,
    slug: web::Path<String>,
    body: web::Bytes,
) -> PageResult {
    visitor.require_organizer()?;
    let form: CloseForm = parse_form(&body)?;
    if form.confirm != "yes" {
        visitor.check_csrf(&form.csrf)?;
        return Ok(redirect(&format!("/p/{}/close", slug.as_str())));
    }
    transition(&state, &visitor, slug.into_inner(), &body, Tell::ByStatus, petition::close).await
}

/// Reopens a closed petition (its end date not passed): signing starts again.
#[post("/p/{slug}/reopen")]
pub async fn reopen_petition(
    state: web::Data<AppState>,
    visitor: Visitor,
    slug: web::Path<String>,
    body: web::Bytes,
) -> PageResult {
    // Open again, as before closing: followers get an `Update`, not a new launch.
    transition(&state, &visitor, slug.into_inner(), &body, Tell::Changed, petition::reopen).await
}

#[derive(Deserialize, Serialize, Default)]
struct WinForm {
    #[serde(default)]
    csrf: String,
    /// The victory message, Markdown.
    #[serde(default)]
    message: String,
}

fn win_page(
    state: &AppState,
    visitor: &Visitor,
    p: &Petition,
    form: &WinForm,
    errors: Option<&FieldErrors>,
    status: StatusCode,
) -> HttpResponse {
    let mut context = Context::new();
    context.insert("slug", &p.slug);
    context.insert("title", &p.title);
    context.insert("form", form);
    context
        .insert("errors", &errors.map(|e| errors_context(visitor.locale, e)).unwrap_or_else(|| serde_json::json!({})));
    visitor.render(state, "petition_win.html", context, status)
}

/// The victory form: the message signers and followers will read at the top of the page.
#[get("/p/{slug}/win")]
pub async fn win_form(state: web::Data<AppState>, visitor: Visitor, slug: web::Path<String>) -> PageResult {
    let p = own_petition(&state, &visitor, &slug).await?;
    if !matches!(p.status, PetitionStatus::Open | PetitionStatus::Closed) {
        return Err(AppError::InvalidState(format!("a {} petition cannot be won", p.status)).into());
    }
    Ok(win_page(&state, &visitor, &p, &WinForm::default(), None, StatusCode::OK))
}

/// Declares the petition won: signing stops, the message shows at the top of its page, and
/// followers get an `Update` of it. A refused message is shown again, as typed.
#[post("/p/{slug}/win")]
pub async fn win_petition(
    state: web::Data<AppState>,
    visitor: Visitor,
    slug: web::Path<String>,
    body: web::Bytes,
) -> PageResult {
    let organizer = visitor.require_organizer()?.clone();
    let form: WinForm = parse_form(&body)?;
    let p = own_petition(&state, &visitor, &slug).await?;
    visitor.check_csrf(&form.csrf)?;
    let message = match VictoryMessage::parse(&form.message) {
        Ok(m) => m,
        Err(errors) => {
            return Ok(win_page(&state, &visitor, &p, &form, Some(&errors), StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    let tell = Tell::ByStatus;
    let won = crate::federate::change_with(&state, organizer, p.slug, tell, move |conn, organizer, slug| {
        petition::win(conn, organizer, slug, message)
    })
    .await?;
    Ok(redirect(&format!("/p/{}", won.slug)))
}

#[derive(Deserialize, Default)]
struct NewsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    text: String,
}

/// News from the petition page: shown there, sent to its followers on the fediverse, and
/// emailed to its confirmed signers who asked news.
/// A refused text is shown again with what is wrong.
#[post("/p/{slug}/news")]
pub async fn post_news(
    state: web::Data<AppState>,
    visitor: Visitor,
    slug: web::Path<String>,
    body: web::Bytes,
) -> PageResult {
    let organizer = visitor.require_organizer()?.clone();
    let form: NewsForm = parse_form(&body)?;
    visitor.check_csrf(&form.csrf)?;
    let text = signons_petition::fields::text("text", &form.text, 1, signons_federation::posts::NEWS_MAX, true);
    let text = match text {
        Ok(text) => text,
        Err(e) => {
            let snapshot = crate::routes::public::visible_petition(&state, &visitor, &slug).await?;
            let own = organizer.acts_for(&snapshot.petition.organization.id);
            let mut context = crate::routes::public::petition_context(&state, visitor.locale, &snapshot, own, None);
            let errors = crate::page::errors_context(visitor.locale, &signons_petition::FieldErrors(vec![e]));
            context.insert("news_error", &errors["text"]);
            context.insert("news_text", &form.text);
            return Ok(visitor.render(&state, "petition.html", context, StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    let slug = slug.into_inner();
    crate::federate::post_news(&state, organizer, slug.clone(), text).await?;
    Ok(redirect(&format!("/p/{slug}")))
}

/// Removes the petition (its signatures are deleted); the organizer lands on the dashboard.
#[post("/p/{slug}/remove")]
pub async fn remove_petition(
    state: web::Data<AppState>,
    visitor: Visitor,
    slug: web::Path<String>,
    body: web::Bytes,
) -> PageResult {
    transition(&state, &visitor, slug.into_inner(), &body, Tell::ByStatus, petition::remove).await
}

/// A button's step on the petition, its followers told as `tell` says.
async fn transition(
    state: &AppState,
    visitor: &Visitor,
    slug: String,
    body: &[u8],
    tell: Tell,
    step: crate::federate::Step,
) -> PageResult {
    let organizer = visitor.require_organizer()?.clone();
    let form: CsrfForm = parse_form(body)?;
    visitor.check_csrf(&form.csrf)?;
    let p = crate::federate::change_with(state, organizer, slug, tell, step).await?;
    Ok(match p.status {
        signons_petition::PetitionStatus::Removed => redirect("/dashboard"),
        _ => redirect(&format!("/p/{}", p.slug)),
    })
}
