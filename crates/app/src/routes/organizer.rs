//! The organizer's side: logging in, the dashboard, writing and publishing petitions, and
//! their lifecycle once published: editing, closing (after a confirmation), reopening,
//! declaring a victory.

use crate::error::AppError;
use crate::federate::Tell;
use crate::page::{checkbox, cookie, form_errors, parse_form, redirect, safe_next, Visitor, SESSION_COOKIE};
use crate::page_error::PageResult;
use crate::read_model;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use signons_petition::{petition, FieldErrors, Organizer, Petition, PetitionInput, PetitionStatus, VictoryMessage};
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
        // Said only after the right password: a guess learns nothing of the account.
        Err(AppError::AccountDisabled) => {
            Ok(login_page(&state, &visitor, &form, Some("error-account-disabled"), StatusCode::FORBIDDEN))
        }
        Err(e) => Err(e.into()),
    }
}

#[post("/logout")]
pub async fn logout(state: web::Data<AppState>, visitor: Visitor, body: web::Bytes) -> PageResult {
    visitor.check_csrf_form(&body)?;
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

/// One organization on the dashboard: the organizer's role there and its petitions.
#[derive(Serialize)]
struct DashboardGroup {
    organization: signons_petition::Organization,
    role: signons_petition::Role,
    petitions: Vec<read_model::views::PetitionView>,
}

/// The petitions of every organization the organizer belongs to, grouped by organization.
#[get("/dashboard")]
pub async fn dashboard(state: web::Data<AppState>, visitor: Visitor) -> PageResult {
    let organizer = visitor.require_organizer()?.clone();
    let mut groups = Vec::with_capacity(organizer.memberships.len());
    for m in &organizer.memberships {
        let petitions =
            read_model::lists::organization_petitions(&state.db, &state.config.public_url, m.organization.id.clone())
                .await?;
        groups.push(DashboardGroup { organization: m.organization.clone(), role: m.role, petitions });
    }
    let mut context = Context::new();
    context.insert("any_petition", &groups.iter().any(|g| !g.petitions.is_empty()));
    context.insert("groups", &groups);
    context.insert("is_admin", &organizer.is_admin);
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
    #[serde(default, deserialize_with = "checkbox")]
    goal_fixed: bool,
    /// Which button: `preview`, `draft` or `publish`.
    #[serde(default)]
    action: String,
    /// A new petition's organization (its slug), when the organizer has several; empty
    /// for their default one.
    #[serde(default)]
    organization: String,
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
            goal_fixed: self.goal_fixed,
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
            goal_fixed: p.goal_fixed,
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
    /// The petition's picture, and why an upload was refused (a translation key) with the
    /// alternative text typed.
    picture: Option<&'a signons_petition::picture::Picture>,
    picture_error: Option<(&'a str, &'a str)>,
}

fn editor_page(state: &AppState, visitor: &Visitor, editor: Editor<'_>, status: StatusCode) -> HttpResponse {
    let mut context = Context::new();
    context.insert("form", editor.form);
    context.insert("slug", &editor.slug);
    context.insert("published", &editor.published);
    context.insert("errors", &form_errors(visitor.locale, editor.errors));
    context.insert("preview", &editor.preview);
    context.insert("notice", &editor.notice.map(|k| visitor.t(k)));
    let picture = editor.picture.map(|p| crate::read_model::views::ImageView::picture(p, &state.config.public_url));
    context.insert("picture", &picture);
    context.insert("picture_error", &editor.picture_error.map(|(k, _)| visitor.t(k)));
    context.insert("picture_alt", &editor.picture_error.map(|(_, alt)| alt).unwrap_or_default());
    context.insert("picture_alt_max", &signons_petition::picture::ALT_MAX);
    visitor.render(state, "petition_form.html", context, status)
}

/// The edit page again, the picture's form saying why an upload was refused.
pub(crate) fn picture_error_page(
    state: &AppState,
    visitor: &Visitor,
    p: &Petition,
    key: &str,
    alt: &str,
    status: StatusCode,
) -> HttpResponse {
    let form = PetitionForm::from_petition(p);
    let editor = Editor {
        form: &form,
        slug: Some(&p.slug),
        published: !p.is_unpublished(),
        errors: None,
        preview: None,
        notice: None,
        picture: p.picture.as_ref(),
        picture_error: Some((key, alt)),
    };
    editor_page(state, visitor, editor, status)
}

#[get("/petitions/new")]
pub async fn new_petition(state: web::Data<AppState>, visitor: Visitor) -> PageResult {
    visitor.require_organizer()?;
    let form = PetitionForm { goal: "1000".into(), ..PetitionForm::default() };
    Ok(editor_page(
        &state,
        &visitor,
        Editor {
            form: &form,
            slug: None,
            published: false,
            errors: None,
            preview: None,
            notice: None,
            picture: None,
            picture_error: None,
        },
        StatusCode::OK,
    ))
}

#[post("/petitions/new")]
pub async fn create_petition(state: web::Data<AppState>, visitor: Visitor, body: web::Bytes) -> PageResult {
    save_petition(&state, &visitor, None, &body).await
}

/// The organizer's own petition, read fresh: another organization's is not found (404),
/// whatever it is, and a removed one is gone (410).
pub(crate) async fn own_petition(state: &AppState, visitor: &Visitor, slug: &str) -> Result<Petition, AppError> {
    own_petition_of(state, visitor.require_organizer()?, slug).await
}

/// The same for an organizer known otherwise (an API token's).
pub(crate) async fn own_petition_of(state: &AppState, organizer: &Organizer, slug: &str) -> Result<Petition, AppError> {
    let (organizer, slug) = (organizer.clone(), slug.to_owned());
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
            published: !p.is_unpublished(),
            errors: None,
            preview: None,
            notice: None,
            picture: p.picture.as_ref(),
            picture_error: None,
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
    let published = current.as_ref().is_some_and(|p| !p.is_unpublished());
    let picture = current.as_ref().and_then(|p| p.picture.as_ref());
    let editor = |errors, preview, notice| Editor {
        form: &form,
        slug: slug.as_deref(),
        published,
        errors,
        preview,
        notice,
        picture,
        picture_error: None,
    };
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
    // A new petition goes to one of the organizer's organizations, as the API's does.
    let asked = (!form.organization.is_empty()).then(|| form.organization.clone());
    let fed = state.fed().clone();
    let edited = slug.clone();
    let saved = state
        .db
        .write_async(move |conn| -> Result<_, AppError> {
            let saved = match edited {
                None => {
                    let organization = petition::organization_for_new(conn, &organizer, asked.as_deref())?;
                    let p = petition::create_in(conn, &organizer, &organization, valid, publish)?;
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
        .await;
    let saved = match saved {
        Ok(saved) => saved,
        Err(AppError::Invalid(errors)) => {
            return Ok(editor_page(
                state,
                visitor,
                editor(Some(&errors), None, None),
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
        Err(e) => return Err(e.into()),
    };
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
    visitor.insert_form(&mut context, form, errors, None);
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

#[derive(Deserialize, Serialize, Default)]
struct ResponseForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    /// Who answered.
    #[serde(default)]
    responder: String,
    /// What they answered, Markdown.
    #[serde(default)]
    text: String,
}

fn response_page(
    state: &AppState,
    visitor: &Visitor,
    p: &Petition,
    form: &ResponseForm,
    errors: Option<&FieldErrors>,
    status: StatusCode,
) -> HttpResponse {
    let mut context = Context::new();
    context.insert("slug", &p.slug);
    context.insert("title", &p.title);
    context.insert("target", &p.target);
    visitor.insert_form(&mut context, form, errors, None);
    visitor.render(state, "petition_response.html", context, status)
}

/// The decision maker's response form, filled with the response already posted (a new one
/// replaces it).
#[get("/p/{slug}/response")]
pub async fn response_form(state: web::Data<AppState>, visitor: Visitor, slug: web::Path<String>) -> PageResult {
    let p = own_petition(&state, &visitor, &slug).await?;
    if !p.is_public() {
        return Err(AppError::InvalidState(format!("a {} petition cannot be given a response", p.status)).into());
    }
    let id = p.id.clone();
    let current = state.db.read_async(move |conn| signons_petition::response::of(conn, &id)).await?;
    let form = current
        .map(|r| ResponseForm { csrf: String::new(), responder: r.responder, text: r.markdown })
        .unwrap_or_default();
    Ok(response_page(&state, &visitor, &p, &form, None, StatusCode::OK))
}

/// Posts the decision maker's response: shown at the top of the petition, and said as news
/// (followers, and the signers who asked news). A refused one is shown again, as typed.
#[post("/p/{slug}/response")]
pub async fn post_response(
    state: web::Data<AppState>,
    visitor: Visitor,
    slug: web::Path<String>,
    body: web::Bytes,
) -> PageResult {
    let organizer = visitor.require_organizer()?.clone();
    let form: ResponseForm = parse_form(&body)?;
    let p = own_petition(&state, &visitor, &slug).await?;
    visitor.check_csrf(&form.csrf)?;
    let input = match signons_petition::response::ResponseInput::parse(&form.responder, &form.text) {
        Ok(input) => input,
        Err(errors) => {
            return Ok(response_page(&state, &visitor, &p, &form, Some(&errors), StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    let post = crate::federate::post_response(&state, organizer, p.slug, input).await?;
    Ok(redirect(&format!("/p/{}#response-title", post.petition_slug)))
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
    visitor.check_csrf_form(body)?;
    let p = crate::federate::change_with(state, organizer, slug, tell, step).await?;
    Ok(match p.status {
        signons_petition::PetitionStatus::Removed => redirect("/dashboard"),
        _ => redirect(&format!("/p/{}", p.slug)),
    })
}

/// One comment of the organizers' list: who, when, and whether it is hidden.
#[derive(Serialize)]
struct CommentRow {
    id: String,
    name: String,
    country: Option<String>,
    comment: String,
    ago: String,
    confirmed_at: String,
    hidden: bool,
}

#[derive(Deserialize)]
struct PageQuery {
    #[serde(default)]
    page: Option<String>,
}

/// The petition's public comments for its organizers, newest first, hidden ones included
/// (each with its button to hide or show it again), fifty a page.
#[get("/p/{slug}/comments")]
pub async fn comments(
    state: web::Data<AppState>,
    visitor: Visitor,
    slug: web::Path<String>,
    query: web::Query<PageQuery>,
) -> PageResult {
    let organizer = visitor.require_organizer()?.clone();
    // A page number that is not one is the first page, not an error: it comes from a link.
    let page =
        query.page.as_deref().and_then(|p| p.parse::<i64>().ok()).filter(|p| (0..100_000).contains(p)).unwrap_or(0);
    let slug = slug.into_inner();
    let (p, (rows, more)) = state
        .db
        .read_async(move |conn| -> Result<_, AppError> {
            let p = read_model::own::petition(conn, &organizer, &slug)?;
            let rows = signons_signature::comments::list(conn, &p.id, page)?;
            Ok((p, rows))
        })
        .await?;
    let now = signons_store::now();
    let rows: Vec<CommentRow> = rows
        .into_iter()
        .filter_map(|c| {
            let confirmed_at = c.confirmed_at?;
            Some(CommentRow {
                id: c.id.to_string(),
                name: c.name,
                country: c.country,
                comment: c.comment.unwrap_or_default(),
                ago: signons_render::relative_time(visitor.locale, confirmed_at, now),
                confirmed_at: signons_federation::objects::timestamp(confirmed_at),
                hidden: c.hidden_at.is_some(),
            })
        })
        .collect();
    let mut context = Context::new();
    context.insert("slug", &p.slug);
    context.insert("title", &p.title);
    context.insert("comments", &rows);
    context.insert("page", &page);
    context.insert("more", &more);
    Ok(visitor.render(&state, "petition_comments.html", context, StatusCode::OK))
}

/// What the organizers' buttons beside a comment send: the CSRF token, and `back`, set by
/// the comments list to come back to its page (the petition page's button leaves it out).
#[derive(Deserialize)]
struct CommentForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    back: Option<String>,
}

/// Hides a signer's public comment (a button beside each on the petition page and on the
/// comments list, for its organizers): it leaves the page and the API at once, and stays in
/// the export marked hidden. Another organization's petition, or a signature that is not
/// one of this petition's with a comment, is not found.
#[post("/p/{slug}/comments/{signature}/hide")]
pub async fn hide_comment(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> PageResult {
    comment_action(&state, &visitor, path.into_inner(), &body, signons_signature::comments::hide).await
}

/// Shows again a comment its organizers hid.
#[post("/p/{slug}/comments/{signature}/unhide")]
pub async fn unhide_comment(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> PageResult {
    comment_action(&state, &visitor, path.into_inner(), &body, signons_signature::comments::unhide).await
}

type CommentChange = fn(
    &mut signons_store::DbConnection,
    &signons_store::Id,
    &signons_store::Id,
) -> Result<bool, signons_signature::SignatureError>;

async fn comment_action(
    state: &AppState,
    visitor: &Visitor,
    (slug, signature): (String, String),
    body: &[u8],
    change: CommentChange,
) -> PageResult {
    let organizer = visitor.require_organizer()?.clone();
    let form: CommentForm = parse_form(body)?;
    visitor.check_csrf(&form.csrf)?;
    let signature = signons_store::Id::parse(&signature).ok_or(AppError::NotFound)?;
    let anchor = format!("comment-{signature}");
    let slug = state
        .db
        .write_async(move |conn| -> Result<String, AppError> {
            let p = read_model::own::petition(conn, &organizer, &slug)?;
            match change(conn, &p.id, &signature)? {
                true => Ok(p.slug),
                false => Err(AppError::NotFound),
            }
        })
        .await?;
    state.invalidate_petition(&slug);
    // Back to the list's page the button was on; a `back` that is not a page number is the
    // petition page, as from its own button.
    Ok(match form.back.as_deref().and_then(|b| b.parse::<u32>().ok()) {
        Some(page) => redirect(&format!("/p/{slug}/comments?page={page}#{anchor}")),
        None => redirect(&format!("/p/{slug}#signers")),
    })
}
