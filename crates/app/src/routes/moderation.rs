//! Moderation: the "Report this petition" form anyone can send, and the admin's queue of
//! reports (`/admin/moderation`), where petitions are hidden with a reason or unhidden.

use crate::error::AppError;
use crate::page::{form_errors, parse_form, redirect, Visitor};
use crate::page_error::PageResult;
use crate::routes::admin::require_admin;
use crate::routes::public::visible_petition;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest};
use serde::{Deserialize, Serialize};
use signons_petition::moderation::{self, HiddenReason, NewReport, ReportReason, ReviewNote};
use signons_petition::FieldErrors;
use signons_render::Context;

const QUEUE: &str = "/admin/moderation";

#[derive(Debug, Default, Deserialize, Serialize)]
struct ReportForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    details: String,
    /// The sign form's honeypot (`bots`): a bot fills it, a person never sees it.
    #[serde(default, skip_serializing)]
    topic: String,
}

/// What the report page shows beside the form: what is wrong with it, a notice
/// (translation key), and whether the report was sent (thanks in place of the form).
type Shown<'a> = (Option<&'a FieldErrors>, Option<&'a str>, bool);

async fn report_page(
    state: &AppState,
    visitor: &Visitor,
    slug: &str,
    form: &ReportForm,
    (errors, notice, done): Shown<'_>,
    status: StatusCode,
) -> PageResult {
    let snapshot = visible_petition(state, visitor, slug).await?;
    if !snapshot.petition.is_public() {
        return Err(AppError::NotFound.into());
    }
    let mut context = Context::new();
    context.insert("slug", &snapshot.petition.slug);
    context.insert("title", &snapshot.petition.title);
    context.insert("reasons", &ReportReason::for_visitors().map(|r| r.as_str()).collect::<Vec<_>>());
    context.insert("form", form);
    context.insert("details_max", &moderation::DETAILS_MAX);
    context.insert("errors", &form_errors(visitor.locale, errors));
    context.insert("notice", &notice.map(|k| visitor.t(k)));
    context.insert("done", &done);
    Ok(visitor.render(state, "report.html", context, status))
}

#[get("/p/{slug}/report")]
pub async fn report_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    visitor: Visitor,
    slug: web::Path<String>,
) -> PageResult {
    // After a report was sent: the same page, with thanks in place of the form.
    let done = req.query_string() == "done=1";
    report_page(&state, &visitor, &slug, &ReportForm::default(), (None, None, done), StatusCode::OK).await
}

#[post("/p/{slug}/report")]
pub async fn report_petition(
    req: HttpRequest,
    state: web::Data<AppState>,
    visitor: Visitor,
    slug: web::Path<String>,
    body: web::Bytes,
) -> PageResult {
    let form: ReportForm = parse_form(&body)?;
    if visitor.check_csrf(&form.csrf).is_err() {
        return report_page(
            &state,
            &visitor,
            &slug,
            &form,
            (None, Some("error-csrf-failed"), false),
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    // The sign form's limiter: reports and signatures share one budget per client address.
    if !crate::rate_limit::allow_sign(&state, &req) {
        let status = StatusCode::TOO_MANY_REQUESTS;
        return report_page(&state, &visitor, &slug, &form, (None, Some("error-rate-limited"), false), status).await;
    }
    let thanks = format!("/p/{}/report?done=1", slug.as_str());
    if !form.topic.is_empty() {
        tracing::info!("a report form came with its honeypot filled: nothing written");
        return Ok(redirect(&thanks));
    }
    let report = match NewReport::parse(&form.reason, &form.details) {
        Ok(report) => report,
        Err(errors) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return report_page(
                &state,
                &visitor,
                &slug,
                &form,
                (Some(&errors), Some("report-fix-errors"), false),
                status,
            )
            .await;
        }
    };
    let s = slug.clone();
    state.db.write_async(move |conn| moderation::report(conn, &s, &report)).await?;
    Ok(redirect(&thanks))
}

#[derive(Debug, Default, Deserialize)]
struct QueueForm {
    #[serde(default)]
    csrf: String,
    /// `dismiss`, `hide`, `unhide`, `approve` or `send_back`.
    #[serde(default)]
    action: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    hidden_reason: String,
    #[serde(default)]
    review_note: String,
}

#[derive(Serialize)]
struct HiddenRow {
    slug: String,
    title: String,
    reason: Option<String>,
}

async fn queue_view(
    state: &AppState,
    visitor: &Visitor,
    notice: Option<&str>,
    error: Option<(StatusCode, &str)>,
) -> PageResult {
    let (queue, hidden, in_review) = state
        .db
        .read_async(|conn| -> Result<_, AppError> {
            Ok((moderation::queue(conn)?, moderation::hidden(conn)?, moderation::in_review(conn)?))
        })
        .await?;
    let hidden: Vec<HiddenRow> =
        hidden.into_iter().map(|(slug, title, reason)| HiddenRow { slug, title, reason }).collect();
    let mut context = Context::new();
    context.insert("queue", &queue);
    context.insert("hidden", &hidden);
    context.insert("in_review", &in_review);
    context.insert("reason_max", &moderation::HIDDEN_REASON_MAX);
    context.insert("notice", &notice.map(|k| visitor.t(k)));
    context.insert("error", &error.map(|(_, k)| visitor.t(k)));
    let status = error.map_or(StatusCode::OK, |(s, _)| s);
    Ok(visitor.render(state, "admin_moderation.html", context, status))
}

#[get("/admin/moderation")]
pub async fn queue_page(req: HttpRequest, state: web::Data<AppState>, visitor: Visitor) -> PageResult {
    require_admin(&visitor)?;
    let done = url::form_urlencoded::parse(req.query_string().as_bytes()).find(|(k, _)| k == "done").map(|(_, v)| v);
    let notice = match done.as_deref() {
        Some("dismiss") => Some("moderation-done-dismiss"),
        Some("hide") => Some("moderation-done-hide"),
        Some("unhide") => Some("moderation-done-unhide"),
        Some("approve") => Some("moderation-done-approve"),
        Some("send_back") => Some("moderation-done-send-back"),
        _ => None,
    };
    queue_view(&state, &visitor, notice, None).await
}

#[post("/admin/moderation")]
pub async fn queue_update(state: web::Data<AppState>, visitor: Visitor, body: web::Bytes) -> PageResult {
    require_admin(&visitor)?;
    let Ok(form) = parse_form::<QueueForm>(&body) else {
        return queue_view(&state, &visitor, None, Some((StatusCode::BAD_REQUEST, "error-bad-request"))).await;
    };
    if visitor.check_csrf(&form.csrf).is_err() {
        return queue_view(&state, &visitor, None, Some((StatusCode::FORBIDDEN, "error-csrf-failed"))).await;
    }
    let slug = form.slug.trim().to_owned();
    let fed = state.fed().clone();
    let done = match form.action.as_str() {
        "dismiss" => {
            let s = slug.clone();
            state.db.write_async(move |conn| moderation::dismiss(conn, &s)).await?;
            "dismiss"
        }
        "hide" | "unhide" => {
            let reason = match (form.action.as_str(), HiddenReason::parse(&form.hidden_reason)) {
                ("hide", Ok(reason)) => Some(reason),
                ("hide", Err(_)) => {
                    let error = (StatusCode::UNPROCESSABLE_ENTITY, "moderation-error-reason");
                    return queue_view(&state, &visitor, None, Some(error)).await;
                }
                _ => None,
            };
            let s = slug.clone();
            let action = if reason.is_some() { "hide" } else { "unhide" };
            state
                .db
                .write_async(move |conn| -> Result<(), AppError> {
                    let petition = match &reason {
                        Some(reason) => moderation::hide(conn, &s, reason)?,
                        None => moderation::unhide(conn, &s)?,
                    };
                    // Hidden: an `Update` saying so (see `federate::announce`); unhidden:
                    // an `Update` with the status it has again.
                    match petition.status {
                        signons_petition::PetitionStatus::Hidden => crate::federate::announce(conn, &fed, &petition)?,
                        _ => crate::federate::announce_change(conn, &fed, &petition)?,
                    }
                    Ok(())
                })
                .await?;
            state.fed().wake.notify_one();
            action
        }
        "approve" => {
            let s = slug.clone();
            state
                .db
                .write_async(move |conn| -> Result<(), AppError> {
                    // Published now: its organization's followers hear of it as of any launch.
                    let petition = moderation::approve(conn, &s)?;
                    crate::federate::announce(conn, &fed, &petition)
                })
                .await?;
            state.fed().wake.notify_one();
            "approve"
        }
        "send_back" => {
            let Ok(note) = ReviewNote::parse(&form.review_note) else {
                let error = (StatusCode::UNPROCESSABLE_ENTITY, "moderation-error-note");
                return queue_view(&state, &visitor, None, Some(error)).await;
            };
            let s = slug.clone();
            state.db.write_async(move |conn| moderation::send_back(conn, &s, &note)).await?;
            "send_back"
        }
        _ => return queue_view(&state, &visitor, None, Some((StatusCode::BAD_REQUEST, "admin-error-action"))).await,
    };
    state.invalidate_petition(&slug);
    Ok(redirect(&format!("{QUEUE}?done={done}")))
}
