//! The instance admin's pages: the federation policy, the web side of `signons federation …`
//! (mode, domain rules, follows). Only organizers with `is_admin` see or change it.

use crate::error::AppError;
use crate::page::{parse_form, redirect, Visitor};
use crate::page_error::PageResult;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use signons_federation::policy::{self, DomainPolicy, Mode};
use signons_federation::{delivery, follows, FederationError};
use signons_petition::Organizer;
use signons_render::{Context, Renderer};

const PAGE: &str = "/admin/federation";
/// Longer than any address anyone would type; longer input is refused before any request.
const TARGET_MAX: usize = 2048;

/// The one form of the page: `action` says which button; the other fields are that button's.
#[derive(Deserialize, Serialize, Default)]
struct FederationForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    /// `mode`, `block`, `allow`, `forget`, `follow` or `unfollow`.
    #[serde(default)]
    action: String,
    /// `open` or `allowlist`.
    #[serde(default)]
    mode: String,
    #[serde(default)]
    domain: String,
    /// What to follow: an instance's or an organization's URL, or a handle.
    #[serde(default)]
    target: String,
    /// The actor to unfollow, as the list gives it.
    #[serde(default)]
    actor: String,
}

/// A change that was not made: the page again, the form kept, and why.
struct Refused {
    status: StatusCode,
    key: &'static str,
    args: Vec<(&'static str, Value)>,
    /// What another server answered, when one was asked.
    detail: Option<String>,
}

impl Refused {
    fn new(key: &'static str) -> Self {
        Refused { status: StatusCode::UNPROCESSABLE_ENTITY, key, args: Vec::new(), detail: None }
    }

    fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    fn arg(mut self, name: &'static str, value: impl Into<Value>) -> Self {
        self.args.push((name, value.into()));
        self
    }

    fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

enum Failure {
    Refused(Refused),
    App(AppError),
}

impl From<Refused> for Failure {
    fn from(r: Refused) -> Self {
        Failure::Refused(r)
    }
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        Failure::App(e)
    }
}

impl From<FederationError> for Failure {
    fn from(e: FederationError) -> Self {
        Failure::App(e.into())
    }
}

pub(crate) fn require_admin(visitor: &Visitor) -> Result<&Organizer, AppError> {
    let organizer = visitor.require_organizer()?;
    if !organizer.is_admin {
        return Err(AppError::Forbidden);
    }
    Ok(organizer)
}

#[derive(Serialize)]
struct FollowerHost {
    host: String,
    count: i64,
}

/// The page: the current policy, follows, followers and queue, with the form (kept after
/// a refusal), a refusal's message or a notice.
async fn federation_view(
    state: &AppState,
    visitor: &Visitor,
    form: &FederationForm,
    refused: Option<Refused>,
    notice: Option<&str>,
) -> PageResult {
    let (mode, rules, following, followers, pending) = state
        .db
        .read_async(|conn| -> Result<_, FederationError> {
            Ok((
                policy::mode(conn)?,
                policy::rules(conn)?,
                follows::following(conn)?,
                follows::followers_by_host(conn)?,
                delivery::pending_count(conn)?,
            ))
        })
        .await?;
    let followers: Vec<FollowerHost> =
        followers.into_iter().map(|(host, count)| FollowerHost { host, count }).collect();
    let mut context = Context::new();
    context.insert("mode", &mode);
    context.insert("rules", &rules);
    context.insert("following", &following);
    context.insert("followers", &followers);
    context.insert("pending", &pending);
    context.insert("form", form);
    // The radio button checked: the admin's choice when its form comes back, else the mode.
    let choice = Mode::parse(form.mode.trim()).filter(|_| form.action == "mode").unwrap_or(mode);
    context.insert("mode_choice", choice.as_str());
    context.insert("notice", &notice.map(|k| visitor.t(k)));
    let status = refused.as_ref().map_or(StatusCode::OK, |r| r.status);
    let error = refused.as_ref().map(|r| Renderer::translate(visitor.locale, r.key, &r.args));
    let detail = refused
        .as_ref()
        .and_then(|r| r.detail.as_ref())
        .map(|d| Renderer::translate(visitor.locale, "admin-error-detail", &[("detail", Value::from(d.as_str()))]));
    // The form the message is about: its field is marked invalid and points at the message.
    let error_field = match (refused.is_some(), form.action.as_str()) {
        (true, "block") => "block-domain",
        (true, "allow") => "allow-domain",
        (true, "follow") => "follow-target",
        _ => "",
    };
    context.insert("error", &error);
    context.insert("error_detail", &detail);
    context.insert("error_field", error_field);
    Ok(visitor.render(state, "admin_federation.html", context, status))
}

/// The notice after a change, from the `done` of the redirect (only known values).
fn done_notice(query: &str) -> Option<&'static str> {
    let done = url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "done")?.1;
    Some(match done.as_ref() {
        "mode" => "admin-done-mode",
        "block" => "admin-done-block",
        "allow" => "admin-done-allow",
        "forget" => "admin-done-forget",
        "follow" => "admin-done-follow",
        "unfollow" => "admin-done-unfollow",
        _ => return None,
    })
}

#[get("/admin/federation")]
pub async fn federation_page(req: HttpRequest, state: web::Data<AppState>, visitor: Visitor) -> PageResult {
    require_admin(&visitor)?;
    let notice = done_notice(req.query_string());
    federation_view(&state, &visitor, &FederationForm::default(), None, notice).await
}

#[post("/admin/federation")]
pub async fn federation_update(state: web::Data<AppState>, visitor: Visitor, body: web::Bytes) -> PageResult {
    require_admin(&visitor)?;
    let form: FederationForm = match parse_form(&body) {
        Ok(form) => form,
        Err(_) => {
            let refused = Refused::new("error-bad-request").status(StatusCode::BAD_REQUEST);
            return federation_view(&state, &visitor, &FederationForm::default(), Some(refused), None).await;
        }
    };
    if visitor.check_csrf(&form.csrf).is_err() {
        let refused = Refused::new("error-csrf-failed").status(StatusCode::FORBIDDEN);
        return federation_view(&state, &visitor, &form, Some(refused), None).await;
    }
    match apply(&state, &form).await {
        Ok(done) => Ok(redirect(&format!("{PAGE}?done={done}"))),
        Err(Failure::Refused(refused)) => federation_view(&state, &visitor, &form, Some(refused), None).await,
        Err(Failure::App(e)) => Err(e.into()),
    }
}

/// Makes the change the form asks for; returns what was done, for the notice.
async fn apply(state: &AppState, form: &FederationForm) -> Result<&'static str, Failure> {
    match form.action.as_str() {
        "mode" => {
            let mode = Mode::parse(form.mode.trim()).ok_or_else(|| Refused::new("admin-error-mode"))?;
            state.db.write_async(move |conn| policy::set_mode(conn, mode)).await?;
            Ok("mode")
        }
        "block" => set_rule(state, &form.domain, Some(DomainPolicy::Block)).await.map(|()| "block"),
        "allow" => set_rule(state, &form.domain, Some(DomainPolicy::Allow)).await.map(|()| "allow"),
        "forget" => set_rule(state, &form.domain, None).await.map(|()| "forget"),
        "follow" => follow(state, &form.target).await.map(|()| "follow"),
        "unfollow" => {
            let actor = form.actor.trim().to_owned();
            if actor.is_empty() {
                return Err(Refused::new("error-required").into());
            }
            let urls = state.fed().urls.clone();
            let found = state.db.write_async(move |conn| follows::unfollow(conn, &urls, &actor)).await?;
            if !found {
                return Err(Refused::new("admin-error-not-following").into());
            }
            state.fed().wake.notify_one();
            Ok("unfollow")
        }
        _ => Err(Refused::new("admin-error-action").status(StatusCode::BAD_REQUEST).into()),
    }
}

async fn set_rule(state: &AppState, input: &str, rule: Option<DomainPolicy>) -> Result<(), Failure> {
    if input.trim().is_empty() {
        return Err(Refused::new("error-required").into());
    }
    let domain = policy::parse_domain(input).map_err(|_| Refused::new("admin-error-domain"))?;
    state.db.write_async(move |conn| policy::set_rule(conn, &domain, rule)).await?;
    Ok(())
}

/// What `signons federation follow` does: fetch the actor (over the network), then store
/// the follow, allow its domain and queue the `Follow` for the delivery worker.
async fn follow(state: &AppState, input: &str) -> Result<(), Failure> {
    let input = input.trim();
    if input.is_empty() {
        return Err(Refused::new("error-required").into());
    }
    if input.len() > TARGET_MAX || input.chars().any(char::is_whitespace) {
        return Err(Refused::new("admin-error-follow-invalid").into());
    }
    let (target, host) = follows::follow_target(input);
    // A domain the policy refuses is named as such, rather than as a failed fetch.
    if let Some(host) = host {
        let h = host.clone();
        if !state.db.read_async(move |conn| policy::allows(conn, &h)).await? {
            return Err(Refused::new("admin-error-follow-refused").arg("domain", host).into());
        }
    }
    let data = state.federation.to_request_data();
    let actor = follows::resolve_followable(&target, &data).await.map_err(|e| -> Failure {
        match e {
            FederationError::Invalid(reason) => Refused::new("admin-error-follow-invalid").detail(reason).into(),
            FederationError::Blocked(domain) => Refused::new("admin-error-follow-refused").arg("domain", domain).into(),
            FederationError::Unreachable { reason, .. } => {
                Refused::new("admin-error-follow-unreachable").detail(reason).into()
            }
            e @ (FederationError::Protocol(_) | FederationError::NotFound) => {
                Refused::new("admin-error-follow-unreachable").detail(e.to_string()).into()
            }
            other => other.into(),
        }
    })?;
    let urls = data.urls.clone();
    state.db.write_async(move |conn| follows::follow(conn, &urls, &actor)).await?;
    state.fed().wake.notify_one();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_come_from_known_values_only() {
        assert_eq!(done_notice("done=block"), Some("admin-done-block"));
        assert_eq!(done_notice("x=1&done=follow"), Some("admin-done-follow"));
        assert_eq!(done_notice("done=%3Cscript%3E"), None);
        assert_eq!(done_notice(""), None);
    }
}
