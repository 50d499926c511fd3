//! The organizer's account: changing the password, the API tokens (listed, created,
//! revoked), and resetting a forgotten password by email.

use crate::error::AppError;
use crate::page::{errors_context, form_errors, parse_form, Visitor};
use crate::page_error::PageResult;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use signons_petition::account::{self, ApiTokenInfo, NewPassword, TokenId, TokenLifetime, TokenName};
use signons_petition::{FieldErrors, Organizer};
use signons_render::Context;
use signons_signature::links::Nonce;
use signons_store::Token;

/// What the account page shows besides the lists: a notice, a new token, a form's errors.
#[derive(Default)]
struct AccountPage<'a> {
    notice: Option<&'a str>,
    new_token: Option<&'a str>,
    password_errors: Option<&'a FieldErrors>,
    token_errors: Option<&'a FieldErrors>,
    token_form: Option<&'a TokenForm>,
}

/// A token as the page lists it (dates as text: the templates have no date filter).
#[derive(Serialize)]
struct TokenRow {
    id: String,
    name: String,
    created: String,
    last_used: Option<String>,
    expires: Option<String>,
    expired: bool,
}

impl From<ApiTokenInfo> for TokenRow {
    fn from(t: ApiTokenInfo) -> Self {
        let day = |d: chrono::NaiveDateTime| d.format("%Y-%m-%d").to_string();
        TokenRow {
            id: t.id.to_string(),
            name: t.name,
            created: day(t.created_at),
            last_used: t.last_used_at.map(day),
            expires: t.expires_at.map(day),
            expired: t.expired,
        }
    }
}

async fn account_page(
    state: &AppState,
    visitor: &Visitor,
    organizer: &Organizer,
    page: AccountPage<'_>,
    status: StatusCode,
) -> PageResult {
    let id = organizer.id.clone();
    let tokens = state.db.read_async(move |conn| account::list_tokens(conn, &id).map_err(AppError::from)).await?;
    let mut context = Context::new();
    context.insert("tokens", &tokens.into_iter().map(TokenRow::from).collect::<Vec<_>>());
    context.insert("notice", &page.notice.map(|k| visitor.t(k)));
    context.insert("new_token", &page.new_token);
    let errors =
        |e: Option<&FieldErrors>| e.map(|e| errors_context(visitor.locale, e)).unwrap_or_else(|| serde_json::json!({}));
    context.insert("password_errors", &errors(page.password_errors));
    context.insert("token_errors", &errors(page.token_errors));
    context.insert("token_form", &page.token_form);
    Ok(visitor.render(state, "account.html", context, status))
}

#[get("/account")]
pub async fn show(state: web::Data<AppState>, visitor: Visitor) -> PageResult {
    let organizer = visitor.require_organizer()?.clone();
    account_page(&state, &visitor, &organizer, AccountPage::default(), StatusCode::OK).await
}

#[derive(Deserialize, Default)]
struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_again: String,
}

/// Changes the password: the current one, then the new one twice. Every other session of
/// the organizer ends; this one stays.
#[post("/account/password")]
pub async fn change_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    visitor: Visitor,
    body: web::Bytes,
) -> PageResult {
    let organizer = visitor.require_organizer()?.clone();
    let form: PasswordForm = parse_form(&body)?;
    let refused = |key| AccountPage { notice: Some(key), ..AccountPage::default() };
    if visitor.check_csrf(&form.csrf).is_err() {
        return account_page(&state, &visitor, &organizer, refused("error-csrf-failed"), StatusCode::FORBIDDEN).await;
    }
    // The current password can be guessed here as at the login.
    if !crate::rate_limit::allow_account(&state, &req) {
        let page = refused("error-rate-limited");
        return account_page(&state, &visitor, &organizer, page, StatusCode::TOO_MANY_REQUESTS).await;
    }
    let new = NewPassword::parse("new_password", "new_password_again", &form.new_password, &form.new_password_again);
    let (id, current) = (organizer.id.clone(), form.current_password.clone());
    // The hash is read and the connection given back before argon2 runs.
    let stored = state.db.read_async(move |conn| account::password_hash(conn, &id).map_err(AppError::from)).await?;
    let checked = state.passwords.run(move || account::check_password(&stored, "current_password", &current)).await?;
    let mut errors = FieldErrors::default();
    match checked {
        Ok(()) => {}
        Err(signons_petition::PetitionError::Invalid(e)) => errors.0.extend(e.0),
        Err(e) => return Err(e.into()),
    }
    let new = match new {
        Ok(new) if errors.is_empty() => new,
        Ok(_) => return password_refused(&state, &visitor, &organizer, &errors).await,
        Err(e) => {
            errors.0.extend(e.0);
            return password_refused(&state, &visitor, &organizer, &errors).await;
        }
    };
    let hash = hash(&state, new).await?;
    let (id, keep) = (organizer.id.clone(), visitor.session.as_ref().map(Token::hash));
    let ended = state
        .db
        .write_async(move |conn| account::set_password(conn, &id, hash, keep.as_ref()).map_err(AppError::from))
        .await?;
    tracing::info!(sessions_ended = ended, "an organizer changed their password");
    let page = AccountPage { notice: Some("account-password-changed"), ..AccountPage::default() };
    account_page(&state, &visitor, &organizer, page, StatusCode::OK).await
}

async fn password_refused(
    state: &AppState,
    visitor: &Visitor,
    organizer: &Organizer,
    errors: &FieldErrors,
) -> PageResult {
    let page = AccountPage { password_errors: Some(errors), ..AccountPage::default() };
    account_page(state, visitor, organizer, page, StatusCode::UNPROCESSABLE_ENTITY).await
}

/// argon2 on a blocking thread, away from the HTTP workers and from the database, a few at
/// a time with the logins.
async fn hash(state: &AppState, password: NewPassword) -> Result<account::HashedPassword, AppError> {
    state.passwords.run(move || password.hash()).await?.map_err(AppError::from)
}

#[derive(Deserialize, Serialize, Default)]
struct TokenForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    expires_in_days: String,
}

/// Creates an API token and shows it, this once.
#[post("/account/tokens")]
pub async fn create_token(state: web::Data<AppState>, visitor: Visitor, body: web::Bytes) -> PageResult {
    let organizer = visitor.require_organizer()?.clone();
    let form: TokenForm = parse_form(&body)?;
    if visitor.check_csrf(&form.csrf).is_err() {
        let page = AccountPage { notice: Some("error-csrf-failed"), token_form: Some(&form), ..AccountPage::default() };
        return account_page(&state, &visitor, &organizer, page, StatusCode::FORBIDDEN).await;
    }
    let mut errors = FieldErrors::default();
    let name = errors.check(TokenName::parse(&form.name));
    let lifetime = errors.check(TokenLifetime::parse_days(&form.expires_in_days));
    let (Some(name), Some(lifetime)) = (name, lifetime) else {
        let page = AccountPage { token_errors: Some(&errors), token_form: Some(&form), ..AccountPage::default() };
        return account_page(&state, &visitor, &organizer, page, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let id = organizer.id.clone();
    let (_, token) = state
        .db
        .write_async(move |conn| account::create_token(conn, &id, &name, lifetime).map_err(AppError::from))
        .await?;
    let page = AccountPage { new_token: Some(token.expose()), ..AccountPage::default() };
    account_page(&state, &visitor, &organizer, page, StatusCode::OK).await
}

#[post("/account/tokens/{id}/revoke")]
pub async fn revoke_token(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
    body: web::Bytes,
) -> PageResult {
    let organizer = visitor.require_organizer()?.clone();
    visitor.check_csrf_form(&body)?;
    let id = TokenId::parse(&id).ok_or(AppError::NotFound)?;
    let owner = organizer.id.clone();
    let revoked =
        state.db.write_async(move |conn| account::revoke_token(conn, &owner, &id).map_err(AppError::from)).await?;
    if !revoked {
        return Err(AppError::NotFound.into());
    }
    let page = AccountPage { notice: Some("account-token-revoked"), ..AccountPage::default() };
    account_page(&state, &visitor, &organizer, page, StatusCode::OK).await
}

// ---------------------------------------------------------------------------------------
// A forgotten password

#[derive(Deserialize, Serialize, Default)]
struct ForgotForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    email: String,
}

fn forgot_page(
    state: &AppState,
    visitor: &Visitor,
    form: &ForgotForm,
    errors: Option<&FieldErrors>,
    notice: Option<&str>,
    sent: bool,
    status: StatusCode,
) -> HttpResponse {
    let mut context = Context::new();
    visitor.insert_form(&mut context, form, errors, notice);
    context.insert("sent", &sent);
    context.insert("minutes", &account::RESET_LINK_MINUTES);
    visitor.render(state, "password_forgot.html", context, status)
}

#[get("/password/forgot")]
pub async fn forgot_form(state: web::Data<AppState>, visitor: Visitor) -> HttpResponse {
    forgot_page(&state, &visitor, &ForgotForm::default(), None, None, false, StatusCode::OK)
}

/// Sends a reset link if the address has an account (at most `RESETS_PER_HOUR` an hour);
/// the answer is the same whether it has one or not.
#[post("/password/forgot")]
pub async fn forgot(req: HttpRequest, state: web::Data<AppState>, visitor: Visitor, body: web::Bytes) -> PageResult {
    let form: ForgotForm = parse_form(&body)?;
    if visitor.check_csrf(&form.csrf).is_err() {
        return Ok(forgot_page(&state, &visitor, &form, None, Some("error-csrf-failed"), false, StatusCode::FORBIDDEN));
    }
    if !crate::rate_limit::allow_account(&state, &req) {
        let status = StatusCode::TOO_MANY_REQUESTS;
        return Ok(forgot_page(&state, &visitor, &form, None, Some("error-rate-limited"), false, status));
    }
    if let Err(e) = signons_petition::organization::parse_login_email(&form.email) {
        let errors = FieldErrors(vec![e]);
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return Ok(forgot_page(&state, &visitor, &form, Some(&errors), None, false, status));
    }
    let (email, key, queue, locale) =
        (form.email.clone(), state.signing.link_key.clone(), state.signing.queue.clone(), visitor.locale);
    state
        .db
        .write_async(move |conn| -> Result<(), AppError> {
            let nonce = Nonce::generate();
            let token = crate::accounts::reset_token(&key, &nonce);
            if let Some(organizer) = account::request_password_reset(conn, &email, &token.hash())? {
                let reference = crate::accounts::ResetEmail::new(&organizer.id, nonce, locale);
                queue.enqueue_reference(conn, &reference).map_err(AppError::internal)?;
            }
            Ok(())
        })
        .await?;
    state.signing.queue.wake();
    Ok(forgot_page(&state, &visitor, &form, None, None, true, StatusCode::OK))
}

#[derive(Deserialize, Default)]
struct ResetForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_again: String,
}

/// The reset page: `state` is `form`, `done`, `invalid` or `expired`.
fn reset_page(
    state: &AppState,
    visitor: &Visitor,
    path: &str,
    page_state: &str,
    errors: Option<&FieldErrors>,
    notice: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let mut context = Context::new();
    context.insert("action", path);
    context.insert("state", page_state);
    context.insert("errors", &form_errors(visitor.locale, errors));
    context.insert("notice", &notice.map(|k| visitor.t(k)));
    visitor.render(state, "password_reset.html", context, status)
}

/// A link's token as typed: anything that does not parse is a link that never existed.
fn reset_link(token: &str) -> Option<Token> {
    Token::parse(token)
}

fn link_refused(state: &AppState, visitor: &Visitor, path: &str, e: AppError) -> PageResult {
    match e {
        AppError::TokenInvalid => Ok(reset_page(state, visitor, path, "invalid", None, None, StatusCode::NOT_FOUND)),
        AppError::TokenExpired => Ok(reset_page(state, visitor, path, "expired", None, None, StatusCode::GONE)),
        other => Err(other.into()),
    }
}

/// Opening the link only shows the form: mail scanners that fetch links must not use it.
#[get("/password/reset/{token}")]
pub async fn reset_form(state: web::Data<AppState>, visitor: Visitor, token: web::Path<String>) -> PageResult {
    let path = format!("/password/reset/{token}");
    let Some(token) = reset_link(&token) else {
        return link_refused(&state, &visitor, &path, AppError::TokenInvalid);
    };
    let hash = token.hash();
    let live =
        state.db.read_async(move |conn| account::reset_link_organizer(conn, &hash).map_err(AppError::from)).await;
    match live {
        Ok(_) => Ok(reset_page(&state, &visitor, &path, "form", None, None, StatusCode::OK)),
        Err(e) => link_refused(&state, &visitor, &path, e),
    }
}

/// Sets the new password: the link is used up, every session of the account ends (the
/// visitor logs in again with the new password).
#[post("/password/reset/{token}")]
pub async fn reset(
    state: web::Data<AppState>,
    visitor: Visitor,
    token: web::Path<String>,
    body: web::Bytes,
) -> PageResult {
    let path = format!("/password/reset/{token}");
    let Some(token) = reset_link(&token) else {
        return link_refused(&state, &visitor, &path, AppError::TokenInvalid);
    };
    let form: ResetForm = parse_form(&body)?;
    if visitor.check_csrf(&form.csrf).is_err() {
        let status = StatusCode::FORBIDDEN;
        return Ok(reset_page(&state, &visitor, &path, "form", None, Some("error-csrf-failed"), status));
    }
    let new =
        match NewPassword::parse("new_password", "new_password_again", &form.new_password, &form.new_password_again) {
            Ok(new) => new,
            Err(errors) => {
                let status = StatusCode::UNPROCESSABLE_ENTITY;
                return Ok(reset_page(&state, &visitor, &path, "form", Some(&errors), None, status));
            }
        };
    let hash = hash(&state, new).await?;
    let token_hash = token.hash();
    let reset = state
        .db
        .write_async(move |conn| account::reset_password(conn, &token_hash, hash).map_err(AppError::from))
        .await;
    match reset {
        Ok(_) => {
            tracing::info!("an organizer reset their password");
            // Any session this browser had is gone with the others: its cookie goes too.
            let mut response = reset_page(&state, &visitor, &path, "done", None, None, StatusCode::OK);
            if visitor.session.is_some() {
                let mut c =
                    crate::page::cookie(crate::page::SESSION_COOKIE, String::new(), state.config.secure_cookies);
                c.make_removal();
                response.add_cookie(&c).map_err(AppError::internal)?;
            }
            Ok(response)
        }
        Err(e) => link_refused(&state, &visitor, &path, e),
    }
}
