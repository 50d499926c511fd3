//! What every HTML request needs: the visitor's language, the CSRF token of their forms,
//! the organizer they are logged in as (if any); and rendering pages and error pages.

use crate::error::AppError;
use crate::state::AppState;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use serde::de::DeserializeOwned;
use signons_petition::Organizer;
use signons_render::{Context, Locale, Renderer};
use signons_store::Token;
use std::future::Future;
use std::pin::Pin;

pub const SESSION_COOKIE: &str = "signons_session";
/// The CSRF cookie on plain http (development, tests).
pub const CSRF_COOKIE: &str = "signons_csrf";
/// The CSRF cookie on https: browsers accept a `__Host-` cookie only if it is `Secure`,
/// has `Path=/` and no `Domain`, so a neighbouring subdomain cannot plant one of its own.
pub const CSRF_COOKIE_HOST: &str = "__Host-signons_csrf";

/// The CSRF cookie's name for this instance (`__Host-` requires https).
pub fn csrf_cookie_name(secure: bool) -> &'static str {
    if secure {
        CSRF_COOKIE_HOST
    } else {
        CSRF_COOKIE
    }
}
pub const LANG_COOKIE: &str = "signons_lang";

pub struct Visitor {
    pub locale: Locale,
    /// The token the visitor's forms carry: for a logged-in organizer, bound to their
    /// session (`session_csrf`); otherwise the cookie's value (double submit).
    pub csrf: String,
    /// The CSRF cookie's value.
    csrf_cookie: String,
    csrf_is_new: bool,
    pub organizer: Option<Organizer>,
    pub session: Option<Token>,
    path: String,
    secure: bool,
}

impl FromRequest for Visitor {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("no app state")))?;
            let locale = request_locale(&req);
            let secure = state.config.secure_cookies;
            let cookie_name = csrf_cookie_name(secure);
            let (csrf_cookie, csrf_is_new) = match req.cookie(cookie_name).and_then(|c| Token::parse(c.value())) {
                Some(t) => (t.expose().to_owned(), false),
                None => (Token::generate().expose().to_owned(), true),
            };
            let session = req.cookie(SESSION_COOKIE).and_then(|c| Token::parse(c.value()));
            let organizer = match &session {
                Some(token) => {
                    let token = token.clone();
                    state
                        .db
                        .read_async(move |conn| signons_petition::auth::session_organizer(conn, &token))
                        .await
                        .map_err(AppError::from)?
                }
                None => None,
            };
            let csrf = match (&organizer, &session) {
                (Some(_), Some(session)) => session_csrf(session, &csrf_cookie),
                _ => csrf_cookie.clone(),
            };
            Ok(Visitor {
                locale,
                csrf,
                csrf_cookie,
                csrf_is_new,
                organizer,
                session,
                path: req.uri().path().to_owned(),
                secure,
            })
        })
    }
}

/// The CSRF token of a logged-in organizer's forms: an HMAC of the CSRF cookie keyed with
/// their session token. A form of another session (the attacker's own, say) carries
/// another token and is refused, and computing it needs the session cookie, which scripts
/// cannot read (`HttpOnly`).
fn session_csrf(session: &Token, csrf_cookie: &str) -> String {
    use base64::Engine;
    use hmac::{Hmac, Mac};
    // HMAC takes a key of any length; `new_from_slice` fails for none.
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(session.expose().as_bytes()) else {
        return String::new();
    };
    mac.update(b"signons-csrf-v1\0");
    mac.update(csrf_cookie.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// `signons_lang` cookie first (set by the language links), then `Accept-Language`.
pub fn request_locale(req: &HttpRequest) -> Locale {
    req.cookie(LANG_COOKIE).and_then(|c| Locale::from_code(c.value())).unwrap_or_else(|| {
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map(Locale::negotiate)
            .unwrap_or_default()
    })
}

pub fn cookie<'a>(name: &'a str, value: String, secure: bool) -> Cookie<'a> {
    Cookie::build(name, value).path("/").http_only(true).secure(secure).same_site(SameSite::Lax).finish()
}

impl Visitor {
    pub fn t(&self, key: &str) -> String {
        signons_render::Renderer::translate(self.locale, key, &[])
    }

    pub fn require_organizer(&self) -> Result<&Organizer, AppError> {
        self.organizer.as_ref().ok_or(AppError::Unauthorized)
    }

    /// The form's hidden field must be the visitor's token: the cookie's value, bound to
    /// the session when logged in. Compared in constant time, so the answer's timing says
    /// nothing of how much of a guess was right.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), AppError> {
        use subtle::ConstantTimeEq;
        let matches: bool = submitted.as_bytes().ct_eq(self.csrf.as_bytes()).into();
        if self.csrf_is_new || self.csrf.is_empty() || !matches {
            return Err(AppError::Csrf);
        }
        Ok(())
    }

    pub fn render(&self, state: &AppState, template: &str, mut context: Context, status: StatusCode) -> HttpResponse {
        self.fill_context(state, &mut context, &self.csrf, &self.path);
        match state.renderer.render(template, self.locale, &context) {
            Ok(html) => self.html_response(status, "no-store").body(html),
            Err(e) => {
                tracing::error!(error = %e, template, "cannot render page");
                HttpResponse::InternalServerError().content_type("text/plain").body("internal error")
            }
        }
    }

    /// What every page's context holds besides its own data. `csrf` is the visitor's
    /// token, or a placeholder where the page is cached for every visitor (`cache.rs`).
    pub fn fill_context(&self, state: &AppState, context: &mut Context, csrf: &str, path: &str) {
        context.insert("csrf", csrf);
        context.insert("organizer", &self.organizer);
        context.insert("instance_name", &state.settings().name);
        context.insert("instance_host", state.fed().urls.host());
        context.insert("path", path);
        context.insert("path_encoded", &signons_render::encode_query_value(path));
        // Every other language the interface speaks, each a link in the footer.
        let others: Vec<&str> = Locale::all().filter(|l| *l != self.locale).map(Locale::code).collect();
        context.insert("other_langs", &others);
    }

    /// An HTML response's headers, and the CSRF cookie on a visitor's first page.
    pub fn html_response(&self, status: StatusCode, cache_control: &'static str) -> actix_web::HttpResponseBuilder {
        let mut response = HttpResponse::build(status);
        response
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CONTENT_LANGUAGE, self.locale.code()))
            .insert_header((header::CACHE_CONTROL, cache_control))
            .insert_header((header::VARY, "Accept-Language, Cookie"));
        if self.csrf_is_new {
            response.cookie(cookie(csrf_cookie_name(self.secure), self.csrf_cookie.clone(), self.secure));
        }
        response
    }

    /// True on the visitor's first request (no CSRF cookie yet): the response sets one.
    pub fn csrf_is_new(&self) -> bool {
        self.csrf_is_new
    }

    /// An error as a page: the status of the error, its message in the visitor's language;
    /// `Unauthorized` sends to the login page. Internal errors are logged where they
    /// become a response (`PageError`), not here.
    pub fn error_page(&self, state: &AppState, err: &AppError) -> HttpResponse {
        use actix_web::ResponseError;
        if matches!(err, AppError::Unauthorized) {
            return redirect(&format!("/login?next={}", signons_render::encode_query_value(&self.path)));
        }
        let mut context = Context::new();
        context.insert("status", &err.status_code().as_u16());
        let message = match err {
            AppError::Hidden(reason) => Renderer::translate(
                self.locale,
                "error-hidden",
                &[("reason", serde_json::Value::from(reason.as_str()))],
            ),
            _ => self.t(&err.message_key()),
        };
        context.insert("message", &message);
        let mut page = self.render(state, "error.html", context, err.status_code());
        if let Some(seconds) = err.retry_after() {
            page.headers_mut().insert(actix_web::http::header::RETRY_AFTER, seconds.into());
        }
        page
    }
}

pub fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, to)).finish()
}

/// A local path to go back to after login or a language change; anything else goes home.
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        // No backslash (browsers read it as a slash), no control character (not in a header).
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains(|c: char| c == '\\' || c.is_control()) => {
            n
        }
        _ => "/",
    }
}

/// A form that carries nothing but its CSRF token: a button (confirm, remove, log out…).
#[derive(serde::Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

impl Visitor {
    /// What a form's page shows of its form: the fields as typed, their errors and a
    /// notice, both in the visitor's language.
    pub fn insert_form(
        &self,
        context: &mut Context,
        form: &impl serde::Serialize,
        errors: Option<&signons_petition::FieldErrors>,
        notice: Option<&str>,
    ) {
        context.insert("form", form);
        context.insert("errors", &form_errors(self.locale, errors));
        context.insert("notice", &notice.map(|k| self.t(k)));
    }

    /// Checks a button's form: its body holds only the CSRF token.
    pub fn check_csrf_form(&self, body: &[u8]) -> Result<(), AppError> {
        let form: CsrfForm = parse_form(body)?;
        self.check_csrf(&form.csrf)
    }
}

/// Parses a urlencoded form body, refusing bytes that are not UTF-8 (raw or
/// percent-encoded) instead of silently replacing them.
pub fn parse_form<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    let text = std::str::from_utf8(body).map_err(|_| AppError::BadRequest("the form is not valid UTF-8".into()))?;
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(text.as_bytes()).into_owned().collect();
    if pairs.iter().any(|(k, v)| k.contains('\u{FFFD}') || v.contains('\u{FFFD}')) {
        return Err(AppError::BadRequest("the form is not valid UTF-8".into()));
    }
    serde_urlencoded::from_str(text).map_err(|e| AppError::BadRequest(format!("invalid form: {e}")))
}

/// HTML checkboxes send a value (usually "on") when ticked and nothing otherwise.
pub fn checkbox<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let v: Option<String> = serde::Deserialize::deserialize(d)?;
    Ok(matches!(v.as_deref(), Some("on" | "true" | "1" | "yes")))
}

/// The field errors of a form, keyed by field, for templates.
/// A form's errors for its template: each wrong field's message, or none.
pub fn form_errors(locale: Locale, errors: Option<&signons_petition::FieldErrors>) -> serde_json::Value {
    errors.map(|e| errors_context(locale, e)).unwrap_or_else(|| serde_json::json!({}))
}

pub fn errors_context(locale: Locale, errors: &signons_petition::FieldErrors) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for e in &errors.0 {
        let args: Vec<(&'static str, serde_json::Value)> =
            e.limit.map(|l| vec![("max", l.into()), ("min", l.into())]).unwrap_or_default();
        map.insert(e.field.to_owned(), signons_render::Renderer::translate(locale, e.code, &args).into());
    }
    serde_json::Value::Object(map)
}
