//! The admins' instance settings (`/admin/settings`: name, description, contact, how
//! organizers join, review before publication, how long signers' data is kept) and the
//! privacy page every visitor can read (`/privacy`), written from those settings and the
//! configuration so it says what this instance really does.

use crate::page::{parse_form, redirect, Visitor};
use crate::page_error::PageResult;
use crate::routes::admin::require_admin;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest};
use signons_petition::settings::{self, SettingsForm, SignupMode};
use signons_petition::FieldErrors;
use signons_render::Context;

const PAGE: &str = "/admin/settings";

fn settings_page(
    state: &AppState,
    visitor: &Visitor,
    form: &SettingsForm,
    errors: Option<&FieldErrors>,
    notice: Option<&str>,
    status: StatusCode,
) -> PageResult {
    let mut context = Context::new();
    visitor.insert_form(&mut context, form, errors, notice);
    context.insert("failed", &!status.is_success());
    context.insert("signup_modes", &SignupMode::ALL.iter().map(|m| m.as_str()).collect::<Vec<_>>());
    context.insert("name_max", &settings::NAME_MAX);
    context.insert("description_max", &settings::DESCRIPTION_MAX);
    context.insert("days_max", settings::RETENTION_DAYS.end());
    Ok(visitor.render(state, "admin_settings.html", context, status))
}

#[get("/admin/settings")]
pub async fn settings_form(req: HttpRequest, state: web::Data<AppState>, visitor: Visitor) -> PageResult {
    require_admin(&visitor)?;
    let saved = req.query_string() == "saved";
    let form = SettingsForm::of(&state.settings());
    settings_page(&state, &visitor, &form, None, saved.then_some("settings-saved"), StatusCode::OK)
}

#[post("/admin/settings")]
pub async fn settings_update(state: web::Data<AppState>, visitor: Visitor, body: web::Bytes) -> PageResult {
    require_admin(&visitor)?;
    let current = SettingsForm::of(&state.settings());
    let Ok(form) = parse_form::<SettingsForm>(&body) else {
        return settings_page(&state, &visitor, &current, None, Some("error-bad-request"), StatusCode::BAD_REQUEST);
    };
    let csrf = url::form_urlencoded::parse(&body).find(|(k, _)| k == "csrf").map(|(_, v)| v.into_owned());
    if visitor.check_csrf(csrf.as_deref().unwrap_or_default()).is_err() {
        return settings_page(&state, &visitor, &form, None, Some("error-csrf-failed"), StatusCode::FORBIDDEN);
    }
    let parsed = match form.parse() {
        Ok(parsed) => parsed,
        Err(errors) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return settings_page(&state, &visitor, &form, Some(&errors), Some("error-invalid-input"), status);
        }
    };
    let saved = parsed.clone();
    state.db.write_async(move |conn| settings::save(conn, &saved)).await?;
    state.set_settings(parsed);
    Ok(redirect(&format!("{PAGE}?saved")))
}

#[get("/privacy")]
pub async fn privacy(state: web::Data<AppState>, visitor: Visitor) -> PageResult {
    let settings = state.settings();
    let config = &state.config;
    let mut context = Context::new();
    context.insert("settings", &*settings);
    context.insert("confirm_hours", &config.confirm_link_hours);
    context.insert("max_days", &config.personal_data_max_days);
    context.insert("pending_days", &crate::maintenance::PENDING_GRACE.num_days());
    Ok(visitor.render(&state, "privacy.html", context, StatusCode::OK))
}
