//! The members of an organization and their roles, the invitations its owners send, an
//! organization's public profile, and signing up on the web (when the instance allows it).
//!
//! Every change here asks `Organizer::may_manage` (owners only); an organization always
//! keeps at least one owner. Invitation links are secrets: only their token's hash is
//! stored, as for password resets.

use crate::account::{HashedPassword, TokenId};
use crate::organization::{add_membership, parse_login_email, Organization, OrganizerRow, Role};
use crate::{FieldErrors, Organizer, PetitionError, Slug};
use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use serde::Serialize;
use signons_store::schema::{invitations, memberships, organizations, organizers};
use signons_store::{DbConnection, Id, TokenHash};

/// How long an invitation link works.
pub const INVITATION_DAYS: i64 = 7;
pub const DESCRIPTION_MAX_CHARS: usize = 2_000;
pub const WEBSITE_MAX_CHARS: usize = 300;

/// One member of an organization, as its members page lists them.
#[derive(Debug, Clone, Serialize, Queryable)]
pub struct Member {
    pub organizer_id: Id,
    pub email: String,
    pub role: Role,
}

/// The members of an organization, by email.
pub fn members(conn: &mut DbConnection, organization: &Id) -> Result<Vec<Member>, PetitionError> {
    Ok(memberships::table
        .inner_join(organizers::table)
        .filter(memberships::organization_id.eq(organization))
        .order(organizers::email.asc())
        .select((organizers::id, organizers::email, memberships::role))
        .load(conn)?)
}

fn role_of(conn: &mut DbConnection, organization: &Id, member: &Id) -> Result<Role, PetitionError> {
    memberships::table
        .filter(memberships::organization_id.eq(organization))
        .filter(memberships::organizer_id.eq(member))
        .select(memberships::role)
        .first(conn)
        .optional()?
        .ok_or(PetitionError::NotFound)
}

fn owner_count(conn: &mut DbConnection, organization: &Id) -> Result<i64, PetitionError> {
    Ok(memberships::table
        .filter(memberships::organization_id.eq(organization))
        .filter(memberships::role.eq(Role::Owner))
        .count()
        .get_result(conn)?)
}

/// Changes a member's role (owners only); the last owner stays an owner.
pub fn set_role(
    conn: &mut DbConnection,
    actor: &Organizer,
    organization: &Id,
    member: &Id,
    role: Role,
) -> Result<(), PetitionError> {
    if !actor.may_manage(organization) {
        return Err(PetitionError::Forbidden);
    }
    let current = role_of(conn, organization, member)?;
    if current == Role::Owner && role != Role::Owner && owner_count(conn, organization)? <= 1 {
        return Err(PetitionError::LastOwner);
    }
    add_membership(conn, member, organization, role)
}

/// Removes a member (owners only), never the last owner. A member whose default
/// organization this was gets another of theirs as default, if they have one.
pub fn remove_member(
    conn: &mut DbConnection,
    actor: &Organizer,
    organization: &Id,
    member: &Id,
) -> Result<(), PetitionError> {
    if !actor.may_manage(organization) {
        return Err(PetitionError::Forbidden);
    }
    let current = role_of(conn, organization, member)?;
    if current == Role::Owner && owner_count(conn, organization)? <= 1 {
        return Err(PetitionError::LastOwner);
    }
    diesel::delete(
        memberships::table
            .filter(memberships::organization_id.eq(organization))
            .filter(memberships::organizer_id.eq(member)),
    )
    .execute(conn)?;
    let other: Option<Id> = memberships::table
        .filter(memberships::organizer_id.eq(member))
        .order(memberships::created_at.asc())
        .select(memberships::organization_id)
        .first(conn)
        .optional()?;
    if let Some(other) = other {
        diesel::update(organizers::table.find(member).filter(organizers::organization_id.eq(organization)))
            .set(organizers::organization_id.eq(other))
            .execute(conn)?;
    }
    Ok(())
}

/// A live invitation: who is invited, where, with which role.
#[derive(Debug, Clone, Serialize)]
pub struct Invitation {
    pub organization: Organization,
    pub email: String,
    pub role: Role,
    pub expires_at: NaiveDateTime,
}

/// Records an invitation (owners only) to `email`, with `role`; `token` is the link's
/// secret, of which only the hash is stored. An address that is already a member is
/// refused.
pub fn invite(
    conn: &mut DbConnection,
    actor: &Organizer,
    organization: &Id,
    email: &str,
    role: Role,
    token: &TokenHash,
) -> Result<Invitation, PetitionError> {
    if !actor.may_manage(organization) {
        return Err(PetitionError::Forbidden);
    }
    let email = parse_login_email(email).map_err(|e| PetitionError::Invalid(FieldErrors(vec![e])))?;
    let already: i64 = memberships::table
        .inner_join(organizers::table)
        .filter(memberships::organization_id.eq(organization))
        .filter(organizers::email.eq(&email))
        .count()
        .get_result(conn)?;
    if already > 0 {
        let mut errors = FieldErrors::default();
        errors.push("email", "error-already-member", None);
        return Err(PetitionError::Invalid(errors));
    }
    let org: Organization = organizations::table
        .find(organization)
        .select(Organization::as_select())
        .first(conn)
        .optional()?
        .ok_or(PetitionError::OrganizationNotFound)?;
    let now = signons_store::now();
    let expires_at = now + TimeDelta::days(INVITATION_DAYS);
    diesel::insert_into(invitations::table)
        .values((
            invitations::token_hash.eq(token),
            invitations::organization_id.eq(organization),
            invitations::email.eq(&email),
            invitations::role.eq(role),
            invitations::invited_by.eq(&actor.id),
            invitations::created_at.eq(now),
            invitations::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(Invitation { organization: org, email, role, expires_at })
}

/// The invitation of a link, if it is live: unknown or used links and expired ones are
/// told apart, so the page can say which.
pub fn live_invitation(conn: &mut DbConnection, token: &TokenHash) -> Result<Invitation, PetitionError> {
    type Row = (Organization, String, Role, NaiveDateTime, Option<NaiveDateTime>, Option<NaiveDateTime>);
    let row: Option<Row> = invitations::table
        .inner_join(organizations::table)
        .filter(invitations::token_hash.eq(token))
        .select((
            Organization::as_select(),
            invitations::email,
            invitations::role,
            invitations::expires_at,
            invitations::accepted_at,
            invitations::cancelled_at,
        ))
        .first(conn)
        .optional()?;
    match row {
        None | Some((_, _, _, _, Some(_), _)) => Err(PetitionError::InvitationInvalid),
        Some((_, _, _, _, None, Some(_))) => Err(PetitionError::InvitationCancelled),
        Some((_, _, _, expires_at, None, None)) if expires_at <= signons_store::now() => {
            Err(PetitionError::InvitationExpired)
        }
        Some((organization, email, role, expires_at, None, None)) => {
            Ok(Invitation { organization, email, role, expires_at })
        }
    }
}

/// An invitation not yet accepted, cancelled or expired, as its organization's members
/// page lists it. `id` names it for `cancel_invitation`, and says nothing of its link.
#[derive(Debug, Clone, Serialize)]
pub struct PendingInvitation {
    pub id: TokenId,
    pub email: String,
    pub role: Role,
    pub created_at: NaiveDateTime,
}

/// The organization's pending invitations, newest first.
pub fn pending_invitations(
    conn: &mut DbConnection,
    organization: &Id,
) -> Result<Vec<PendingInvitation>, PetitionError> {
    let rows: Vec<(TokenHash, String, Role, NaiveDateTime)> = invitations::table
        .filter(invitations::organization_id.eq(organization))
        .filter(invitations::accepted_at.is_null())
        .filter(invitations::cancelled_at.is_null())
        .filter(invitations::expires_at.gt(signons_store::now()))
        .order(invitations::created_at.desc())
        .select((invitations::token_hash, invitations::email, invitations::role, invitations::created_at))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(hash, email, role, created_at)| PendingInvitation { id: TokenId::of(&hash), email, role, created_at })
        .collect())
}

/// Cancels a pending invitation of the organization (owners only): its link answers that
/// it was cancelled, and its email, if not sent yet, is not sent. `NotFound` when the
/// organization has no pending invitation with this id.
pub fn cancel_invitation(
    conn: &mut DbConnection,
    actor: &Organizer,
    organization: &Id,
    invitation: &TokenId,
) -> Result<(), PetitionError> {
    if !actor.may_manage(organization) {
        return Err(PetitionError::Forbidden);
    }
    let updated = diesel::update(
        invitations::table
            .filter(invitations::organization_id.eq(organization))
            .filter(invitations::token_hash.like(invitation.prefix_pattern()))
            .filter(invitations::accepted_at.is_null())
            .filter(invitations::cancelled_at.is_null()),
    )
    .set(invitations::cancelled_at.eq(signons_store::now()))
    .execute(conn)?;
    if updated == 0 {
        return Err(PetitionError::NotFound);
    }
    Ok(())
}

/// Whether an organizer account has this email.
pub fn has_account(conn: &mut DbConnection, email: &str) -> Result<bool, PetitionError> {
    let n: i64 = organizers::table.filter(organizers::email.eq(email)).count().get_result(conn)?;
    Ok(n > 0)
}

fn mark_accepted(conn: &mut DbConnection, token: &TokenHash) -> Result<(), PetitionError> {
    // Only a live one: two acceptances at once join once.
    let updated = diesel::update(
        invitations::table
            .filter(invitations::token_hash.eq(token))
            .filter(invitations::accepted_at.is_null())
            .filter(invitations::cancelled_at.is_null()),
    )
    .set(invitations::accepted_at.eq(signons_store::now()))
    .execute(conn)?;
    if updated == 0 {
        return Err(PetitionError::InvitationInvalid);
    }
    Ok(())
}

fn insert_organizer(
    conn: &mut DbConnection,
    email: &str,
    organization: &Id,
    hash: HashedPassword,
) -> Result<Id, PetitionError> {
    let id = Id::new();
    diesel::insert_into(organizers::table)
        .values((
            organizers::id.eq(&id),
            organizers::organization_id.eq(organization),
            organizers::email.eq(email),
            organizers::password_hash.eq(hash.0),
            organizers::created_at.eq(signons_store::now()),
            organizers::is_admin.eq(false),
        ))
        .execute(conn)
        .map_err(crate::organization::email_taken)?;
    Ok(id)
}

fn organizer(conn: &mut DbConnection, id: &Id) -> Result<Organizer, PetitionError> {
    let row: OrganizerRow = organizers::table
        .inner_join(organizations::table)
        .filter(organizers::id.eq(id))
        .select(OrganizerRow::as_select())
        .first(conn)?;
    row.with_memberships(conn)
}

/// Accepts an invitation for an address that has no account yet: the account is made
/// with this password and joins the organization.
pub fn accept_new(
    conn: &mut DbConnection,
    token: &TokenHash,
    hash: HashedPassword,
) -> Result<Organizer, PetitionError> {
    let invitation = live_invitation(conn, token)?;
    if has_account(conn, &invitation.email)? {
        return Err(PetitionError::OrganizerExists);
    }
    mark_accepted(conn, token)?;
    let id = insert_organizer(conn, &invitation.email, &invitation.organization.id, hash)?;
    add_membership(conn, &id, &invitation.organization.id, invitation.role)?;
    organizer(conn, &id)
}

/// Accepts an invitation for the organizer who holds its address (they logged in): they
/// join with its role (a member already keeps an owner's role).
pub fn accept_existing(
    conn: &mut DbConnection,
    token: &TokenHash,
    who: &Organizer,
) -> Result<Organizer, PetitionError> {
    let invitation = live_invitation(conn, token)?;
    if invitation.email != who.email {
        return Err(PetitionError::Forbidden);
    }
    mark_accepted(conn, token)?;
    let role = match who.role_in(&invitation.organization.id) {
        Some(Role::Owner) => Role::Owner,
        _ => invitation.role,
    };
    add_membership(conn, &who.id, &invitation.organization.id, role)?;
    organizer(conn, &who.id)
}

/// Forgets invitations past their expiry (used ones too, once expired).
pub fn delete_expired_invitations(conn: &mut DbConnection) -> Result<usize, PetitionError> {
    Ok(diesel::delete(invitations::table.filter(invitations::expires_at.le(signons_store::now()))).execute(conn)?)
}

/// An organization's name, checked.
pub fn parse_organization_name(input: &str) -> Result<String, crate::FieldError> {
    crate::fields::text("org_name", input, 2, 80, false)
}

/// Signs up on the web: a new organizer, owner of a new organization named
/// `organization_name` (its slug made from the name, unused). The caller checked that the
/// instance allows it (`settings::InstanceSettings::signup_open`).
pub fn sign_up(
    conn: &mut DbConnection,
    email: &str,
    organization_name: &str,
    hash: HashedPassword,
) -> Result<Organizer, PetitionError> {
    let mut errors = FieldErrors::default();
    let email = errors.check(parse_login_email(email));
    let name = errors.check(parse_organization_name(organization_name));
    let (Some(email), Some(name)) = (email, name) else {
        return Err(PetitionError::Invalid(errors));
    };
    if has_account(conn, &email)? {
        return Err(PetitionError::OrganizerExists);
    }
    let org = Id::new();
    crate::petition::insert_with_free_slug(conn, org_slug(&name), |conn, slug| {
        diesel::insert_into(organizations::table)
            .values((
                organizations::id.eq(&org),
                organizations::slug.eq(slug.as_str()),
                organizations::name.eq(&name),
                organizations::created_at.eq(signons_store::now()),
            ))
            .execute(conn)
    })?;
    let id = insert_organizer(conn, &email, &org, hash)?;
    add_membership(conn, &id, &org, Role::Owner)?;
    organizer(conn, &id)
}

/// A slug from an organization's name (as a petition's from its title).
fn org_slug(name: &str) -> Slug {
    let slug = Slug::from_title(name);
    if slug.as_str().starts_with("petition-") && !name.to_lowercase().starts_with("petition") {
        return Slug::from_title(&format!("org {}", &Id::new().as_str()[24..]));
    }
    slug
}

/// What the organization's page shows beside its petitions.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Profile {
    pub description: Option<String>,
    pub website: Option<String>,
}

pub fn profile(conn: &mut DbConnection, organization: &Id) -> Result<Profile, PetitionError> {
    let (description, website) = organizations::table
        .find(organization)
        .select((organizations::description, organizations::website))
        .first::<(Option<String>, Option<String>)>(conn)?;
    Ok(Profile { description, website })
}

/// A website address: `http` or `https`, with a host.
pub fn parse_website(input: &str) -> Result<Option<String>, crate::FieldError> {
    let value = input.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let invalid = crate::FieldError { field: "website", code: "error-url-invalid", limit: None };
    if value.chars().count() > WEBSITE_MAX_CHARS {
        return Err(crate::FieldError {
            field: "website",
            code: "error-too-long",
            limit: Some(WEBSITE_MAX_CHARS as u64),
        });
    }
    let url = url::Url::parse(value).map_err(|_| invalid.clone())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(invalid);
    }
    Ok(Some(url.to_string()))
}

/// Changes an organization's name, description and website (owners only).
pub fn update_profile(
    conn: &mut DbConnection,
    actor: &Organizer,
    organization: &Id,
    name: &str,
    description: &str,
    website: &str,
) -> Result<(), PetitionError> {
    if !actor.may_manage(organization) {
        return Err(PetitionError::Forbidden);
    }
    let mut errors = FieldErrors::default();
    let name = errors.check(parse_organization_name(name));
    let description =
        errors.check(crate::fields::optional_text("description", Some(description), DESCRIPTION_MAX_CHARS, true));
    let website = errors.check(parse_website(website));
    let (Some(name), Some(description), Some(website)) = (name, description, website) else {
        return Err(PetitionError::Invalid(errors));
    };
    diesel::update(organizations::table.find(organization))
        .set((
            organizations::name.eq(name),
            organizations::description.eq(description),
            organizations::website.eq(website),
        ))
        .execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use signons_store::testing::{TempDatabase, TestBackend};

    /// Two sign-ups with one address at once: the second's insert meets the unique index
    /// after its own check found no account. It is told the account exists (the form says
    /// so), never a database error (a 500).
    /// Two sign-ups of one organization name at once (PostgreSQL): both find the same free
    /// slug, and the second's insert meets the unique index. Played here by taking the slug
    /// between the search and the insert: the sign-up gets another slug, not an error, and
    /// its transaction goes on to make the account.
    #[test]
    fn a_slug_taken_meanwhile_gives_another_slug() {
        for backend in [TestBackend::Sqlite, TestBackend::Postgres] {
            let tmp = TempDatabase::new(backend);
            let db = tmp.open();
            let made = db.write(|conn| -> Result<_, PetitionError> {
                let mut first_try = true;
                let slug =
                    crate::petition::insert_with_free_slug(conn, Slug::from_title("Race friends"), |conn, slug| {
                        if std::mem::take(&mut first_try) {
                            // Another sign-up commits this slug first.
                            diesel::insert_into(organizations::table)
                                .values((
                                    organizations::id.eq(Id::new()),
                                    organizations::slug.eq(slug.as_str()),
                                    organizations::name.eq("Race friends"),
                                    organizations::created_at.eq(signons_store::now()),
                                ))
                                .execute(conn)?;
                        }
                        diesel::insert_into(organizations::table)
                            .values((
                                organizations::id.eq(Id::new()),
                                organizations::slug.eq(slug.as_str()),
                                organizations::name.eq("Race friends"),
                                organizations::created_at.eq(signons_store::now()),
                            ))
                            .execute(conn)
                    })?;
                let count: i64 = organizations::table.count().get_result(conn)?;
                Ok((slug, count))
            });
            let (slug, count) = made.expect("a sign-up that met a taken slug");
            assert!(
                slug.as_str().starts_with("race-friends-") && slug.as_str().len() > "race-friends-".len(),
                "{slug:?}"
            );
            // The transaction went on (it counted). The row made "meanwhile" was made here in
            // the same transaction, so PostgreSQL's savepoint undid it with the failed insert;
            // SQLite undid only the failed statement.
            let expected = if backend == TestBackend::Postgres { 1 } else { 2 };
            assert_eq!(count, expected, "{backend:?}");
        }
    }

    #[test]
    fn an_account_made_meanwhile_is_an_existing_account() {
        for backend in [TestBackend::Sqlite, TestBackend::Postgres] {
            let tmp = TempDatabase::new(backend);
            let db = tmp.open();
            let made = db.write(|conn| -> Result<_, PetitionError> {
                let first = sign_up(conn, "race@example.org", "Race friends", HashedPassword("x".into()))?;
                Ok(first.organization.id)
            });
            let org = made.expect("the first sign-up");
            let second = db.write(|conn| insert_organizer(conn, "race@example.org", &org, HashedPassword("y".into())));
            assert!(matches!(second, Err(PetitionError::OrganizerExists)), "{backend:?}: {second:?}");
            let again = db.write(|conn| sign_up(conn, "race@example.org", "Other friends", HashedPassword("z".into())));
            assert!(matches!(again, Err(PetitionError::OrganizerExists)), "{backend:?}: {again:?}");
        }
    }
}
