//! Organizations on the web: their members and roles (`/o/{slug}/members`), the
//! invitations owners send and the page that accepts one (`/invitations/{token}`), the
//! organization's profile (`/o/{slug}/edit`), and signing up (`/signup`, when the instance
//! allows it).
//!
//! A visitor who is not a member of the organization gets 404 (as for another
//! organization's petition); a member who is not an owner gets 403 on every change.

use crate::error::AppError;
use crate::page::{cookie, form_errors, parse_form, redirect, Visitor, SESSION_COOKIE};
use crate::page_error::PageResult;
use crate::read_model::views::ImageView;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use signons_petition::account::{NewPassword, TokenId};
use signons_petition::{members, FieldErrors, Membership, Organizer, PetitionError, Role};
use signons_render::Context;
use signons_signature::links::Nonce;
use signons_store::{Id, Token};

const SESSION_DAYS: i64 = 14;

/// The visitor's membership of the organization `slug`: 404 if they are not a member.
fn membership(visitor: &Visitor, slug: &str) -> Result<(Organizer, Membership), AppError> {
    let organizer = visitor.require_organizer()?;
    let m = organizer.membership(slug).cloned().ok_or(AppError::NotFound)?;
    Ok((organizer.clone(), m))
}

/// The same, for a change: 403 unless the visitor is an owner.
pub(crate) fn owner(visitor: &Visitor, slug: &str) -> Result<(Organizer, Membership), AppError> {
    let (organizer, m) = membership(visitor, slug)?;
    if m.role != Role::Owner {
        return Err(AppError::Forbidden);
    }
    Ok((organizer, m))
}

/// Logs the organizer in (a new session cookie) and sends them to their dashboard.
async fn start_session(state: &AppState, organizer: &Id) -> PageResult {
    let id = organizer.clone();
    let token = state
        .db
        .write_async(move |conn| {
            signons_petition::auth::create_session(conn, &id, chrono::TimeDelta::days(SESSION_DAYS))
                .map_err(AppError::from)
        })
        .await?;
    let mut response = redirect("/dashboard");
    let mut c = cookie(SESSION_COOKIE, token.expose().to_owned(), state.config.secure_cookies);
    c.set_max_age(actix_web::cookie::time::Duration::days(SESSION_DAYS));
    response.add_cookie(&c).map_err(AppError::internal)?;
    Ok(response)
}

// ---------------------------------------------------------------------------------------
// Members

#[derive(Deserialize, Serialize, Default)]
struct InviteForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

/// A pending invitation as the members page lists it (its day as text, for `day`).
#[derive(Serialize)]
struct PendingRow {
    id: String,
    email: String,
    role: Role,
    sent: String,
}

impl From<members::PendingInvitation> for PendingRow {
    fn from(i: members::PendingInvitation) -> Self {
        PendingRow {
            id: i.id.to_string(),
            email: i.email,
            role: i.role,
            sent: i.created_at.format("%Y-%m-%d").to_string(),
        }
    }
}

struct MembersPage<'a> {
    form: &'a InviteForm,
    errors: Option<&'a FieldErrors>,
    notice: Option<&'a str>,
    /// The notice says why a change was refused (shown as an error, not as done).
    refused: bool,
}

async fn members_page(
    state: &AppState,
    visitor: &Visitor,
    m: &Membership,
    page: MembersPage<'_>,
    status: StatusCode,
) -> PageResult {
    let org = m.organization.id.clone();
    let (list, pending) = state
        .db
        .read_async(move |conn| -> Result<_, AppError> {
            Ok((members::members(conn, &org)?, members::pending_invitations(conn, &org)?))
        })
        .await?;
    let pending: Vec<PendingRow> = pending.into_iter().map(PendingRow::from).collect();
    let mut context = Context::new();
    context.insert("organization", &m.organization);
    context.insert("manage", &(m.role == Role::Owner));
    context.insert("members", &list);
    context.insert("pending", &pending);
    visitor.insert_form(&mut context, page.form, page.errors, page.notice);
    context.insert("refused", &page.refused);
    Ok(visitor.render(state, "members.html", context, status))
}

#[get("/o/{slug}/members")]
pub async fn members_list(state: web::Data<AppState>, visitor: Visitor, slug: web::Path<String>) -> PageResult {
    let (_, m) = membership(&visitor, &slug)?;
    let form = InviteForm { role: "editor".into(), ..InviteForm::default() };
    members_page(
        &state,
        &visitor,
        &m,
        MembersPage { form: &form, errors: None, notice: None, refused: false },
        StatusCode::OK,
    )
    .await
}

/// Invites an address (owners): the invitation is stored and its email queued in one
/// transaction; the email carries the link, which only its hash in the database matches.
#[post("/o/{slug}/members/invite")]
pub async fn invite(
    req: HttpRequest,
    state: web::Data<AppState>,
    visitor: Visitor,
    slug: web::Path<String>,
    body: web::Bytes,
) -> PageResult {
    let (organizer, m) = owner(&visitor, &slug)?;
    let form: InviteForm = parse_form(&body)?;
    visitor.check_csrf(&form.csrf)?;
    if !crate::rate_limit::allow_account(&state, &req) {
        return Err(AppError::RateLimited.into());
    }
    let Some(role) = Role::parse(&form.role) else {
        let mut errors = FieldErrors::default();
        errors.push("role", "error-role-invalid", None);
        let page = MembersPage { form: &form, errors: Some(&errors), notice: None, refused: false };
        return members_page(&state, &visitor, &m, page, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let (email, org, key, queue, locale) = (
        form.email.clone(),
        m.organization.id.clone(),
        state.signing.link_key.clone(),
        state.signing.queue.clone(),
        visitor.locale,
    );
    let invited = state
        .db
        .write_async(move |conn| -> Result<(), AppError> {
            let nonce = Nonce::generate();
            let token = crate::accounts::invitation_token(&key, &nonce);
            members::invite(conn, &organizer, &org, &email, role, &token.hash())?;
            let reference = crate::accounts::InvitationEmail::new(nonce, locale);
            queue.enqueue_reference(conn, &reference).map_err(AppError::internal)?;
            Ok(())
        })
        .await;
    match invited {
        Ok(()) => {
            state.signing.queue.wake();
            tracing::info!("an owner invited someone to their organization");
            let fresh = InviteForm { role: "editor".into(), ..InviteForm::default() };
            let page =
                MembersPage { form: &fresh, errors: None, notice: Some("members-invitation-sent"), refused: false };
            members_page(&state, &visitor, &m, page, StatusCode::OK).await
        }
        Err(AppError::Invalid(errors)) => {
            let page = MembersPage { form: &form, errors: Some(&errors), notice: None, refused: false };
            members_page(&state, &visitor, &m, page, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct RoleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    role: String,
}

/// What a change of members answers: the page again, with a notice.
async fn after_change(
    state: &AppState,
    visitor: &Visitor,
    m: &Membership,
    outcome: Result<(), PetitionError>,
    done: &str,
) -> PageResult {
    let form = InviteForm { role: "editor".into(), ..InviteForm::default() };
    match outcome {
        Ok(()) => {
            // The change may have been the visitor's own (stepping down, leaving): the page
            // shows what they may do now, or their dashboard once they are not a member.
            let me = visitor.require_organizer()?.id.clone();
            let org = m.organization.id.clone();
            let members = state.db.read_async(move |conn| members::members(conn, &org)).await?;
            let Some(role) = members.into_iter().find(|member| member.organizer_id == me).map(|member| member.role)
            else {
                return Ok(redirect("/dashboard"));
            };
            let m = Membership { role, ..m.clone() };
            let page = MembersPage { form: &form, errors: None, notice: Some(done), refused: false };
            members_page(state, visitor, &m, page, StatusCode::OK).await
        }
        Err(PetitionError::LastOwner) => {
            let page = MembersPage { form: &form, errors: None, notice: Some("members-last-owner"), refused: true };
            members_page(state, visitor, m, page, StatusCode::CONFLICT).await
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}

/// An owner's change of members (a role, a removal, an invitation cancelled): refused to
/// anyone but an owner and without the form's CSRF token, then made, and answered with the
/// members page and `done`, or why it was refused.
async fn owner_change(
    state: &AppState,
    visitor: &Visitor,
    slug: &str,
    body: &[u8],
    done: &'static str,
    needs_role: bool,
    change: impl FnOnce(&mut signons_store::DbConnection, &Organizer, &Id, Option<Role>) -> Result<(), PetitionError>
        + Send
        + 'static,
) -> PageResult {
    let (organizer, m) = owner(visitor, slug)?;
    let form: RoleForm = parse_form(body)?;
    visitor.check_csrf(&form.csrf)?;
    let role = match (form.role.as_str(), needs_role) {
        ("", false) => None,
        (r, _) => Some(Role::parse(r).ok_or_else(|| AppError::BadRequest("role: owner or editor".into()))?),
    };
    let org = m.organization.id.clone();
    let outcome = state.db.write_async(move |conn| Ok::<_, AppError>(change(conn, &organizer, &org, role))).await?;
    after_change(state, visitor, &m, outcome, done).await
}

#[post("/o/{slug}/members/{member}/role")]
pub async fn set_role(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> PageResult {
    let (slug, member) = path.into_inner();
    let member = Id::parse(&member).ok_or(PetitionError::NotFound);
    owner_change(&state, &visitor, &slug, &body, "members-role-changed", true, move |conn, organizer, org, role| {
        members::set_role(conn, organizer, org, &member?, role.ok_or(PetitionError::NotFound)?)
    })
    .await
}

#[post("/o/{slug}/members/{member}/remove")]
pub async fn remove_member(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> PageResult {
    let (slug, member) = path.into_inner();
    let member = Id::parse(&member).ok_or(PetitionError::NotFound);
    owner_change(&state, &visitor, &slug, &body, "members-removed", false, move |conn, organizer, org, _| {
        members::remove_member(conn, organizer, org, &member?)
    })
    .await
}

/// Cancels a pending invitation (owners): its link then says it was cancelled (410), and
/// its email, if still queued, is not sent.
#[post("/o/{slug}/invitations/{invitation}/cancel")]
pub async fn cancel_invitation(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> PageResult {
    let (slug, invitation) = path.into_inner();
    let invitation = TokenId::parse(&invitation).ok_or(PetitionError::NotFound);
    owner_change(
        &state,
        &visitor,
        &slug,
        &body,
        "members-invitation-cancelled",
        false,
        move |conn, organizer, org, _| {
            members::cancel_invitation(conn, organizer, org, &invitation?)?;
            tracing::info!("an owner cancelled an invitation");
            Ok(())
        },
    )
    .await
}

// ---------------------------------------------------------------------------------------
// The organization's profile

#[derive(Deserialize, Serialize, Default)]
struct ProfileForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    website: String,
}

/// The profile's form, and the logo's: the logo shown, and why an upload was refused (a
/// translation key).
struct ProfilePage<'a> {
    form: &'a ProfileForm,
    errors: Option<&'a FieldErrors>,
    logo: Option<signons_petition::logo::Logo>,
    logo_error: Option<&'a str>,
}

fn profile_page(
    state: &AppState,
    visitor: &Visitor,
    m: &Membership,
    page: ProfilePage<'_>,
    status: StatusCode,
) -> HttpResponse {
    let mut context = Context::new();
    context.insert("organization", &m.organization);
    visitor.insert_form(&mut context, page.form, page.errors, None);
    let logo = page.logo.map(|l| ImageView::logo(&l, &m.organization.name, &state.config.public_url));
    context.insert("logo", &logo);
    context.insert("logo_error", &page.logo_error.map(|k| visitor.t(k)));
    visitor.render(state, "organization_edit.html", context, status)
}

/// The organization's profile and logo, as stored.
async fn profile_and_logo(
    state: &AppState,
    m: &Membership,
) -> Result<(members::Profile, Option<signons_petition::logo::Logo>), AppError> {
    let org = m.organization.id.clone();
    state
        .db
        .read_async(move |conn| -> Result<_, AppError> {
            Ok((members::profile(conn, &org)?, signons_petition::logo::of(conn, &org)?))
        })
        .await
}

fn stored_form(m: &Membership, profile: members::Profile) -> ProfileForm {
    ProfileForm {
        name: m.organization.name.clone(),
        description: profile.description.unwrap_or_default(),
        website: profile.website.unwrap_or_default(),
        ..ProfileForm::default()
    }
}

/// The edit page again, the logo's form saying why an upload was refused.
pub(crate) async fn logo_error_page(
    state: &AppState,
    visitor: &Visitor,
    m: &Membership,
    key: &str,
    status: StatusCode,
) -> PageResult {
    let (profile, logo) = profile_and_logo(state, m).await?;
    let form = stored_form(m, profile);
    let page = ProfilePage { form: &form, errors: None, logo, logo_error: Some(key) };
    Ok(profile_page(state, visitor, m, page, status))
}

#[get("/o/{slug}/edit")]
pub async fn edit_profile(state: web::Data<AppState>, visitor: Visitor, slug: web::Path<String>) -> PageResult {
    let (_, m) = owner(&visitor, &slug)?;
    let (profile, logo) = profile_and_logo(&state, &m).await?;
    let form = stored_form(&m, profile);
    let page = ProfilePage { form: &form, errors: None, logo, logo_error: None };
    Ok(profile_page(&state, &visitor, &m, page, StatusCode::OK))
}

#[post("/o/{slug}/edit")]
pub async fn update_profile(
    state: web::Data<AppState>,
    visitor: Visitor,
    slug: web::Path<String>,
    body: web::Bytes,
) -> PageResult {
    let (organizer, m) = owner(&visitor, &slug)?;
    let form: ProfileForm = parse_form(&body)?;
    visitor.check_csrf(&form.csrf)?;
    let (org, name, description, website) =
        (m.organization.id.clone(), form.name.clone(), form.description.clone(), form.website.clone());
    let (org_slug, fed) = (m.organization.slug.clone(), state.fed().clone());
    let saved = state
        .db
        .write_async(move |conn| -> Result<(), AppError> {
            members::update_profile(conn, &organizer, &org, &name, &description, &website)?;
            Ok(signons_federation::lifecycle::organization_changed(conn, &fed, &org_slug)?)
        })
        .await;
    match saved {
        Ok(()) => {
            state.fed().wake.notify_one();
            // Its name is on its petitions' cached pages.
            state.invalidate_petitions();
            Ok(redirect(&format!("/o/{}", m.organization.slug)))
        }
        Err(AppError::Invalid(errors)) => {
            let (_, logo) = profile_and_logo(&state, &m).await?;
            let page = ProfilePage { form: &form, errors: Some(&errors), logo, logo_error: None };
            Ok(profile_page(&state, &visitor, &m, page, StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------
// Accepting an invitation

#[derive(Deserialize, Default)]
struct AcceptForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_again: String,
}

/// The invitation page: `state` is `new` (choose a password), `existing` (log in to
/// join), `invalid`, `expired` or `cancelled`.
fn invitation_page(
    state: &AppState,
    visitor: &Visitor,
    path: &str,
    invitation: Option<&members::Invitation>,
    page_state: &str,
    (errors, notice): (Option<&FieldErrors>, Option<&str>),
    status: StatusCode,
) -> HttpResponse {
    let mut context = Context::new();
    context.insert("action", path);
    context.insert("state", page_state);
    context.insert("invitation", &invitation);
    context.insert("errors", &form_errors(visitor.locale, errors));
    context.insert("notice", &notice.map(|k| visitor.t(k)));
    visitor.render(state, "invitation.html", context, status)
}

/// The live invitation and whether its address has an account, or the page that says why
/// the link does not work.
async fn read_invitation(
    state: &AppState,
    visitor: &Visitor,
    path: &str,
    token: &str,
) -> Result<Result<(Token, members::Invitation, bool), HttpResponse>, AppError> {
    let refused = |e: &AppError| match e {
        AppError::TokenExpired => {
            Some(invitation_page(state, visitor, path, None, "expired", (None, None), StatusCode::GONE))
        }
        AppError::TokenInvalid => {
            Some(invitation_page(state, visitor, path, None, "invalid", (None, None), StatusCode::NOT_FOUND))
        }
        AppError::InvitationCancelled => {
            Some(invitation_page(state, visitor, path, None, "cancelled", (None, None), StatusCode::GONE))
        }
        _ => None,
    };
    let Some(token) = Token::parse(token) else {
        return Ok(Err(invitation_page(state, visitor, path, None, "invalid", (None, None), StatusCode::NOT_FOUND)));
    };
    let hash = token.hash();
    let read = state
        .db
        .read_async(move |conn| -> Result<_, AppError> {
            let invitation = members::live_invitation(conn, &hash)?;
            let exists = members::has_account(conn, &invitation.email)?;
            Ok((invitation, exists))
        })
        .await;
    match read {
        Ok((invitation, exists)) => Ok(Ok((token, invitation, exists))),
        Err(e) => match refused(&e) {
            Some(page) => Ok(Err(page)),
            None => Err(e),
        },
    }
}

/// Opening the link only shows the form: mail scanners that fetch links must not use it.
#[get("/invitations/{token}")]
pub async fn invitation_form(state: web::Data<AppState>, visitor: Visitor, token: web::Path<String>) -> PageResult {
    let path = format!("/invitations/{token}");
    let (_, invitation, exists) = match read_invitation(&state, &visitor, &path, &token).await? {
        Ok(found) => found,
        Err(page) => return Ok(page),
    };
    let page_state = if exists { "existing" } else { "new" };
    Ok(invitation_page(&state, &visitor, &path, Some(&invitation), page_state, (None, None), StatusCode::OK))
}

/// Accepts: an address without an account chooses its password (the account is made); one
/// with an account gives its password (a login). Either way the organizer joins and is
/// logged in.
#[post("/invitations/{token}")]
pub async fn accept_invitation(
    req: HttpRequest,
    state: web::Data<AppState>,
    visitor: Visitor,
    token: web::Path<String>,
    body: web::Bytes,
) -> PageResult {
    let path = format!("/invitations/{token}");
    let (token, invitation, exists) = match read_invitation(&state, &visitor, &path, &token).await? {
        Ok(found) => found,
        Err(page) => return Ok(page),
    };
    let page_state = if exists { "existing" } else { "new" };
    let form: AcceptForm = parse_form(&body)?;
    let page = |errors: Option<&FieldErrors>, notice: Option<&str>, status| {
        invitation_page(&state, &visitor, &path, Some(&invitation), page_state, (errors, notice), status)
    };
    if visitor.check_csrf(&form.csrf).is_err() {
        return Ok(page(None, Some("error-csrf-failed"), StatusCode::FORBIDDEN));
    }
    if !crate::rate_limit::allow_login(&state, &req) {
        return Ok(page(None, Some("error-rate-limited"), StatusCode::TOO_MANY_REQUESTS));
    }
    let hash = token.hash();
    let joined = if exists {
        let email = invitation.email.clone();
        let candidate = state
            .db
            .read_async(move |conn| signons_petition::auth::login_candidate(conn, &email).map_err(AppError::from))
            .await?;
        let password = form.password.clone();
        let who = match state.passwords.run(move || candidate.verify(&password)).await? {
            Ok(who) => who,
            Err(PetitionError::BadCredentials) => {
                return Ok(page(None, Some("error-bad-credentials"), StatusCode::UNAUTHORIZED));
            }
            Err(PetitionError::AccountDisabled) => {
                return Ok(page(None, Some("error-account-disabled"), StatusCode::FORBIDDEN));
            }
            Err(e) => return Err(AppError::from(e).into()),
        };
        state.db.write_async(move |conn| members::accept_existing(conn, &hash, &who).map_err(AppError::from)).await
    } else {
        let new = match NewPassword::parse(
            "new_password",
            "new_password_again",
            &form.new_password,
            &form.new_password_again,
        ) {
            Ok(new) => new,
            Err(errors) => return Ok(page(Some(&errors), None, StatusCode::UNPROCESSABLE_ENTITY)),
        };
        let hashed = state.passwords.run(move || new.hash()).await?.map_err(AppError::from)?;
        state.db.write_async(move |conn| members::accept_new(conn, &hash, hashed).map_err(AppError::from)).await
    };
    match joined {
        Ok(organizer) => {
            tracing::info!("an invitation was accepted");
            start_session(&state, &organizer.id).await
        }
        // Used by a request that ran meanwhile, or cancelled meanwhile.
        Err(AppError::TokenInvalid) => {
            Ok(invitation_page(&state, &visitor, &path, None, "invalid", (None, None), StatusCode::NOT_FOUND))
        }
        Err(AppError::InvitationCancelled) => {
            Ok(invitation_page(&state, &visitor, &path, None, "cancelled", (None, None), StatusCode::GONE))
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------
// Signing up

#[derive(Deserialize, Serialize, Default)]
struct SignupForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default, skip_serializing)]
    password: String,
    #[serde(default)]
    organization: String,
}

fn signup_page(
    state: &AppState,
    visitor: &Visitor,
    open: bool,
    form: &SignupForm,
    errors: Option<&FieldErrors>,
    notice: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let mut context = Context::new();
    context.insert("open", &open);
    visitor.insert_form(&mut context, form, errors, notice);
    visitor.render(state, "signup.html", context, status)
}

async fn signup_open(state: &AppState) -> Result<bool, AppError> {
    Ok(state.settings().signup_open())
}

/// The sign-up form, or (the default) a page saying accounts are by invitation only (404).
#[get("/signup")]
pub async fn signup_form(state: web::Data<AppState>, visitor: Visitor) -> PageResult {
    let open = signup_open(&state).await?;
    let status = if open { StatusCode::OK } else { StatusCode::NOT_FOUND };
    Ok(signup_page(&state, &visitor, open, &SignupForm::default(), None, None, status))
}

#[post("/signup")]
pub async fn signup(req: HttpRequest, state: web::Data<AppState>, visitor: Visitor, body: web::Bytes) -> PageResult {
    let form: SignupForm = parse_form(&body)?;
    if !signup_open(&state).await? {
        return Ok(signup_page(&state, &visitor, false, &form, None, None, StatusCode::NOT_FOUND));
    }
    if visitor.check_csrf(&form.csrf).is_err() {
        return Ok(signup_page(&state, &visitor, true, &form, None, Some("error-csrf-failed"), StatusCode::FORBIDDEN));
    }
    if !crate::rate_limit::allow_account(&state, &req) {
        let status = StatusCode::TOO_MANY_REQUESTS;
        return Ok(signup_page(&state, &visitor, true, &form, None, Some("error-rate-limited"), status));
    }
    let invalid = |errors: &FieldErrors| {
        signup_page(&state, &visitor, true, &form, Some(errors), None, StatusCode::UNPROCESSABLE_ENTITY)
    };
    // Every field checked at once, before the (slow) hash.
    let mut errors = FieldErrors::default();
    errors.check(signons_petition::organization::parse_login_email(&form.email));
    errors.check(members::parse_organization_name(&form.organization));
    let new = NewPassword::parse("password", "password", &form.password, &form.password);
    if let Err(e) = &new {
        errors.0.extend(e.0.iter().cloned());
    }
    let new = match new {
        Ok(new) if errors.is_empty() => new,
        _ => return Ok(invalid(&errors)),
    };
    let hashed = state.passwords.run(move || new.hash()).await?.map_err(AppError::from)?;
    let (email, name) = (form.email.clone(), form.organization.clone());
    let made =
        state.db.write_async(move |conn| Ok::<_, AppError>(members::sign_up(conn, &email, &name, hashed))).await?;
    match made {
        Ok(organizer) => {
            tracing::info!("an organizer signed up");
            start_session(&state, &organizer.id).await
        }
        Err(PetitionError::OrganizerExists) => {
            let mut errors = FieldErrors::default();
            errors.push("email", "error-account-exists", None);
            Ok(invalid(&errors))
        }
        Err(PetitionError::Invalid(errors)) => Ok(invalid(&errors)),
        Err(e) => Err(AppError::from(e).into()),
    }
}
