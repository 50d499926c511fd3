//! Public pages: the home page, petitions, signing, and the links of the emails.

use crate::cache::PetitionSnapshot;
use crate::error::AppError;
use crate::page::{checkbox, cookie, errors_context, parse_form, redirect, safe_next, Visitor, LANG_COOKIE};
use crate::state::AppState;
use crate::view::PetitionView;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use signons_petition::{FieldErrors, PetitionStatus};
use signons_render::{Context, Locale};
use signons_signature::{signing, Confirmation, SignatureInput};
use std::sync::Arc;

#[get("/")]
pub async fn home(state: web::Data<AppState>, visitor: Visitor) -> HttpResponse {
    let result = async {
        let (petitions, totals, organizers, remote) = state
            .db
            .read_async(|conn| -> Result<_, AppError> {
                let petitions = signons_petition::petition::list_open(conn, 200)?;
                let ids: Vec<_> = petitions.iter().map(|p| p.id.clone()).collect();
                let totals = signons_signature::counts::totals(conn, &ids)?;
                let organizers = signons_petition::organization::organizer_count(conn)?;
                let remote = signons_federation::remote::recent_petitions(conn, 12)?;
                Ok((petitions, totals, organizers, remote))
            })
            .await?;
        let remote: Vec<_> =
            remote.iter().map(|p| crate::view::RemotePetitionView::new(p, &state.config.public_url)).collect();
        let views = PetitionView::all(&petitions, &totals, &state.config.public_url);
        let mut most_signed = views.clone();
        most_signed.sort_by_key(|p| std::cmp::Reverse(p.total_signatures));
        most_signed.truncate(6);
        let mut context = Context::new();
        context.insert("newest", &views.iter().take(12).collect::<Vec<_>>());
        context.insert("most_signed", &most_signed);
        context.insert("fresh_install", &(organizers == 0));
        context.insert("remote", &remote);
        Ok(visitor.render(&state, "home.html", context, StatusCode::OK))
    }
    .await;
    visitor.respond(&state, result)
}

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
}

impl SignForm {
    fn input(&self) -> SignatureInput {
        SignatureInput {
            name: self.name.clone(),
            email: self.email.clone(),
            country: self.country.clone(),
            postal_code: self.postal_code.clone(),
            comment: self.comment.clone(),
            public: self.public,
            opt_in: self.opt_in,
        }
    }
}

/// The petition as this visitor may see it: drafts only for their own organization.
/// Logged-in organizers always read the database; everyone else reads the cache.
pub(crate) async fn visible_petition(
    state: &AppState,
    visitor: &Visitor,
    slug: &str,
) -> Result<Arc<PetitionSnapshot>, AppError> {
    let snapshot = match &visitor.organizer {
        Some(_) => Arc::new(PetitionSnapshot::load(state, slug).await?),
        None => state.cache.petition(state, slug).await?.value,
    };
    let own = visitor.organizer.as_ref().is_some_and(|o| o.organization.id == snapshot.petition.organization.id);
    if snapshot.petition.status == PetitionStatus::Draft && !own {
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
    form: Option<(&SignForm, Option<&FieldErrors>, Option<&str>)>,
) -> Context {
    let mut context = Context::new();
    context.insert("petition", &PetitionView::new(&snapshot.petition, snapshot.count, &state.config.public_url));
    context.insert("signers", &snapshot.signers);
    context.insert("news", &snapshot.news);
    context.insert("own", &own);
    let empty = SignForm { public: true, ..SignForm::default() };
    let (values, errors, notice) = form.unwrap_or((&empty, None, None));
    context.insert("form", values);
    context.insert("errors", &errors.map(|e| errors_context(locale, e)).unwrap_or_else(|| serde_json::json!({})));
    context.insert("notice", &notice.map(|k| signons_render::Renderer::translate(locale, k, &[])));
    context
}

/// The petition page, rendered for this visitor (not cached: organizers, and the sign
/// form shown again with errors).
async fn petition_page(
    state: &AppState,
    visitor: &Visitor,
    slug: &str,
    form: Option<(&SignForm, Option<&FieldErrors>, Option<&str>)>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let snapshot = visible_petition(state, visitor, slug).await?;
    let own = visitor.organizer.as_ref().is_some_and(|o| o.organization.id == snapshot.petition.organization.id);
    let context = petition_context(state, visitor.locale, &snapshot, own, form);
    Ok(visitor.render(state, "petition.html", context, status))
}

#[get("/p/{slug}")]
pub async fn show_petition(
    req: HttpRequest,
    state: web::Data<AppState>,
    visitor: Visitor,
    slug: web::Path<String>,
) -> HttpResponse {
    if crate::routes::federation::wants_activity_json(&req) {
        return crate::routes::federation::actor_response(
            &state,
            signons_federation::LocalRef::Petition(slug.into_inner()),
        )
        .await;
    }
    if slug.contains('@') {
        let result = async {
            let (petition, posts) = crate::view::load_remote(&state, &slug).await?;
            let mut context = Context::new();
            context.insert("petition", &petition);
            context.insert("posts", &posts);
            Ok(visitor.render(&state, "remote_petition.html", context, StatusCode::OK))
        }
        .await;
        return visitor.respond(&state, result);
    }
    let result = match visitor.organizer {
        None => state.cache.petition_page(&state, &visitor, &req, &slug).await,
        Some(_) => petition_page(&state, &visitor, &slug, None, StatusCode::OK).await,
    };
    visitor.respond(&state, result)
}

#[post("/p/{slug}/sign")]
pub async fn sign_petition(
    req: HttpRequest,
    state: web::Data<AppState>,
    visitor: Visitor,
    slug: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let result = async {
        let form: SignForm = parse_form(&body)?;
        let notice = |key: &'static str| Some((&form, None, Some(key)));
        if visitor.check_csrf(&form.csrf).is_err() {
            return petition_page(&state, &visitor, &slug, notice("error-csrf-failed"), StatusCode::FORBIDDEN).await;
        }
        if !crate::rate_limit::allow_sign(&state, &req) {
            return petition_page(&state, &visitor, &slug, notice("error-rate-limited"), StatusCode::TOO_MANY_REQUESTS)
                .await;
        }
        let signed = match &visitor.organizer {
            None => {
                let snapshot = state.cache.petition(&state, &slug).await?;
                signing::sign_petition(
                    &state.db,
                    &state.signing,
                    &snapshot.value.petition,
                    &form.input(),
                    visitor.locale,
                )
                .await
            }
            Some(_) => signing::sign(&state.db, &state.signing, &slug, &form.input(), visitor.locale).await,
        };
        match signed {
            Ok(()) => Ok(redirect(&format!("/p/{}/thanks", slug.as_str()))),
            Err(signons_signature::SignatureError::Invalid(errors)) => {
                let again = Some((&form, Some(&errors), Some("sign-fix-errors")));
                petition_page(&state, &visitor, &slug, again, StatusCode::UNPROCESSABLE_ENTITY).await
            }
            Err(e) => Err(e.into()),
        }
    }
    .await;
    visitor.respond(&state, result)
}

#[get("/p/{slug}/thanks")]
pub async fn thanks(state: web::Data<AppState>, visitor: Visitor, slug: web::Path<String>) -> HttpResponse {
    let result = async {
        let snapshot = visible_petition(&state, &visitor, &slug).await?;
        let mut context = Context::new();
        context.insert("petition", &PetitionView::new(&snapshot.petition, snapshot.count, &state.config.public_url));
        Ok(visitor.render(&state, "thanks.html", context, StatusCode::OK))
    }
    .await;
    visitor.respond(&state, result)
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// The email link: shows what is about to be confirmed and a button. Mail scanners that
/// fetch links therefore confirm nothing and burn nothing.
#[get("/s/{token}")]
pub async fn confirm_page(state: web::Data<AppState>, visitor: Visitor, token: web::Path<String>) -> HttpResponse {
    let result = token_page(&state, &visitor, token.into_inner(), TokenAction::Confirm, None).await;
    visitor.respond(&state, result)
}

#[post("/s/{token}")]
pub async fn confirm(
    state: web::Data<AppState>,
    visitor: Visitor,
    token: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let result = act_on_token(&state, &visitor, token.into_inner(), &body, TokenAction::Confirm).await;
    visitor.respond(&state, result)
}

#[get("/w/{token}")]
pub async fn withdraw_page(state: web::Data<AppState>, visitor: Visitor, token: web::Path<String>) -> HttpResponse {
    let result = token_page(&state, &visitor, token.into_inner(), TokenAction::Withdraw, None).await;
    visitor.respond(&state, result)
}

#[post("/w/{token}")]
pub async fn withdraw(
    state: web::Data<AppState>,
    visitor: Visitor,
    token: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let result = act_on_token(&state, &visitor, token.into_inner(), &body, TokenAction::Withdraw).await;
    visitor.respond(&state, result)
}

/// The button of an email link: confirms or withdraws, then says it is done.
async fn act_on_token(
    state: &AppState,
    visitor: &Visitor,
    token: String,
    body: &[u8],
    action: TokenAction,
) -> Result<HttpResponse, AppError> {
    let form: CsrfForm = parse_form(body)?;
    if visitor.check_csrf(&form.csrf).is_err() {
        return token_page(state, visitor, token, action, Some("error-csrf-failed")).await;
    }
    let (template, done) = state
        .db
        .write_async(move |conn| -> Result<_, AppError> {
            Ok(match action {
                TokenAction::Confirm => match signing::confirm(conn, &token)? {
                    Confirmation::Confirmed(page) => ("confirmed.html", page),
                    Confirmation::AlreadyConfirmed(page) => ("already_confirmed.html", page),
                },
                TokenAction::Withdraw => ("withdrawn.html", signing::withdraw(conn, &token)?),
            })
        })
        .await?;
    let mut context = Context::new();
    context.insert("page", &done);
    context.insert("petition_url", &format!("{}/p/{}", state.config.public_url, done.petition_slug));
    Ok(visitor.render(state, template, context, StatusCode::OK))
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
) -> Result<HttpResponse, AppError> {
    let t = token.clone();
    let page = state
        .db
        .read_async(move |conn| {
            match action {
                TokenAction::Confirm => signing::confirm_page(conn, &t),
                TokenAction::Withdraw => signing::withdraw_page(conn, &t),
            }
            .map_err(AppError::from)
        })
        .await?;
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
