//! Organizations (the NGOs that run petitions) and their organizers.

use crate::password::hash_password;
use crate::slug::Slug;
use crate::{FieldError, FieldErrors, PetitionError};
use diesel::prelude::*;
use signons_store::schema::{memberships, organizations, organizers, petitions};
use signons_store::{DbConnection, Id};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Queryable, Selectable)]
#[diesel(table_name = organizations)]
pub struct Organization {
    pub id: Id,
    pub slug: String,
    pub name: String,
}

signons_store::text_enum! {
    /// What a member may do in an organization (`memberships.role`): owners also manage
    /// the organization (its members, invitations, name and profile); editors run its
    /// petitions.
    pub enum Role {
        Owner = "owner",
        Editor = "editor",
    }
}

/// One organization an organizer belongs to, and their role there.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Membership {
    pub organization: Organization,
    pub role: Role,
}

/// An organizer as stored: read with their default organization
/// (`OrganizerRow::as_select()` on organizers joined to organizations), then given their
/// memberships (`OrganizerRow::with_memberships`).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = organizers)]
pub struct OrganizerRow {
    pub id: Id,
    pub email: String,
    pub is_admin: bool,
    #[diesel(embed)]
    pub organization: Organization,
}

impl OrganizerRow {
    /// The organizer, with every organization they belong to (one indexed read).
    pub fn with_memberships(self, conn: &mut DbConnection) -> Result<Organizer, PetitionError> {
        let rows: Vec<(Organization, Role)> = memberships::table
            .inner_join(organizations::table)
            .filter(memberships::organizer_id.eq(&self.id))
            .order((organizations::name.asc(), organizations::slug.asc()))
            .select((Organization::as_select(), memberships::role))
            .load(conn)?;
        let memberships: Vec<Membership> =
            rows.into_iter().map(|(organization, role)| Membership { organization, role }).collect();
        // The default organization is one of theirs whenever they have one.
        let organization = memberships
            .iter()
            .find(|m| m.organization.id == self.organization.id)
            .or_else(|| memberships.first())
            .map(|m| m.organization.clone())
            .unwrap_or(self.organization);
        Ok(Organizer { id: self.id, email: self.email, is_admin: self.is_admin, organization, memberships })
    }
}

/// An organizer and the organizations they belong to.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Organizer {
    pub id: Id,
    pub email: String,
    /// Instance admins also set the federation policy.
    pub is_admin: bool,
    /// Their default organization (new petitions go there unless they choose another).
    pub organization: Organization,
    /// Every organization they belong to, by name.
    pub memberships: Vec<Membership>,
}

impl Organizer {
    /// Whether this organizer may see and change what belongs to `organization` (its
    /// petitions and their signatures): the one question every organizer route and API
    /// endpoint asks, answered here only. Any member may.
    pub fn acts_for(&self, organization: &Id) -> bool {
        self.role_in(organization).is_some()
    }

    /// Whether this organizer manages `organization`: invites, changes roles, removes
    /// members, edits its name and profile. Owners only.
    pub fn may_manage(&self, organization: &Id) -> bool {
        self.role_in(organization) == Some(Role::Owner)
    }

    pub fn role_in(&self, organization: &Id) -> Option<Role> {
        self.memberships.iter().find(|m| m.organization.id == *organization).map(|m| m.role)
    }

    /// The membership in the organization with this slug, if any.
    pub fn membership(&self, slug: &str) -> Option<&Membership> {
        self.memberships.iter().find(|m| m.organization.slug == slug)
    }
}

/// An organizer's login email: a syntactically valid address, kept lowercase.
pub fn parse_login_email(input: &str) -> Result<String, FieldError> {
    let email = input.trim().to_lowercase();
    if email.is_empty() {
        return Err(FieldError { field: "email", code: "error-required", limit: None });
    }
    if email.len() > 254 || !email_address::EmailAddress::is_valid(&email) {
        return Err(FieldError { field: "email", code: "error-email-invalid", limit: None });
    }
    Ok(email)
}

pub const MIN_PASSWORD_CHARS: usize = 10;

/// Creates an organizer, and the organization if it does not exist yet.
pub fn create_organizer(
    conn: &mut DbConnection,
    email: &str,
    organization_slug: &str,
    password: &str,
) -> Result<Organizer, PetitionError> {
    let mut errors = FieldErrors::default();
    let email = errors.check(parse_login_email(email));
    let slug = errors.check(Slug::parse("org", organization_slug));
    if password.chars().count() < MIN_PASSWORD_CHARS {
        errors.push("password", "error-too-short", Some(MIN_PASSWORD_CHARS as u64));
    }
    let (Some(email), Some(slug)) = (email, slug) else {
        return Err(PetitionError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(PetitionError::Invalid(errors));
    }
    let exists: i64 = organizers::table.filter(organizers::email.eq(&email)).count().get_result(conn)?;
    if exists > 0 {
        return Err(PetitionError::OrganizerExists);
    }
    let now = signons_store::now();
    let organization = match organizations::table
        .filter(organizations::slug.eq(slug.as_str()))
        .select(Organization::as_select())
        .first(conn)
        .optional()?
    {
        Some(organization) => organization,
        None => {
            // Organization names and petition slugs share one namespace (fediverse handles).
            let taken: i64 = petitions::table.filter(petitions::slug.eq(slug.as_str())).count().get_result(conn)?;
            if taken > 0 {
                errors.push("org", "error-taken", None);
                return Err(PetitionError::Invalid(errors));
            }
            let id = Id::new();
            diesel::insert_into(organizations::table)
                .values((
                    organizations::id.eq(&id),
                    organizations::slug.eq(slug.as_str()),
                    organizations::name.eq(slug.as_str()),
                    organizations::created_at.eq(now),
                ))
                .execute(conn)?;
            Organization { id, slug: slug.as_str().to_owned(), name: slug.as_str().to_owned() }
        }
    };
    let id = Id::new();
    // The first organizer of an instance is its admin.
    let is_admin = organizer_count(conn)? == 0;
    diesel::insert_into(organizers::table)
        .values((
            organizers::id.eq(&id),
            organizers::organization_id.eq(&organization.id),
            organizers::email.eq(&email),
            organizers::password_hash.eq(hash_password(password)?),
            organizers::created_at.eq(now),
            organizers::is_admin.eq(is_admin),
        ))
        .execute(conn)
        .map_err(email_taken)?;
    add_membership(conn, &id, &organization.id, Role::Owner)?;
    OrganizerRow { id, email, is_admin, organization }.with_memberships(conn)
}

/// What inserting an organizer failed with: `OrganizerExists` when another request made
/// the account with this email between the caller's check and its insert (two sign-ups at
/// once), which the unique index on `organizers.email` refuses.
pub(crate) fn email_taken(e: diesel::result::Error) -> PetitionError {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => PetitionError::OrganizerExists,
        other => other.into(),
    }
}

pub fn organizer_by_email(conn: &mut DbConnection, email: &str) -> Result<Option<Organizer>, PetitionError> {
    let row = organizers::table
        .inner_join(organizations::table)
        .filter(organizers::email.eq(email.trim().to_lowercase()))
        .select(OrganizerRow::as_select())
        .first(conn)
        .optional()?;
    row.map(|r| r.with_memberships(conn)).transpose()
}

/// Makes an organizer a member of an organization with `role`, or changes their role if
/// they already are one (update first, then insert: no `ON CONFLICT` here).
pub fn add_membership(
    conn: &mut DbConnection,
    organizer: &Id,
    organization: &Id,
    role: Role,
) -> Result<(), PetitionError> {
    let updated = diesel::update(
        memberships::table
            .filter(memberships::organizer_id.eq(organizer))
            .filter(memberships::organization_id.eq(organization)),
    )
    .set(memberships::role.eq(role))
    .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(memberships::table)
            .values((
                memberships::organizer_id.eq(organizer),
                memberships::organization_id.eq(organization),
                memberships::role.eq(role),
                memberships::created_at.eq(signons_store::now()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// How many organizers the instance has: zero means a fresh install.
pub fn organizer_count(conn: &mut DbConnection) -> Result<i64, PetitionError> {
    Ok(organizers::table.count().get_result(conn)?)
}

/// Sets an organization's display name (its slug is its name until then).
pub fn set_organization_name(conn: &mut DbConnection, slug: &str, name: &str) -> Result<(), PetitionError> {
    let name = crate::fields::text("org_name", name, 2, 80, false)
        .map_err(|e| PetitionError::Invalid(FieldErrors(vec![e])))?;
    let updated = diesel::update(organizations::table.filter(organizations::slug.eq(slug)))
        .set(organizations::name.eq(name))
        .execute(conn)?;
    if updated == 0 {
        return Err(PetitionError::OrganizationNotFound);
    }
    Ok(())
}

/// The organization with this name (its slug), as its public page and its actor show it.
pub fn find_organization(conn: &mut DbConnection, slug: &str) -> Result<Organization, PetitionError> {
    if Slug::parse("organization", slug).is_err() {
        return Err(PetitionError::OrganizationNotFound);
    }
    let row: Option<Organization> = organizations::table
        .filter(organizations::slug.eq(slug))
        .select(Organization::as_select())
        .first(conn)
        .optional()?;
    row.ok_or(PetitionError::OrganizationNotFound)
}

/// Makes an organizer an instance admin, or not.
pub fn set_admin(conn: &mut DbConnection, email: &str, is_admin: bool) -> Result<(), PetitionError> {
    let updated = diesel::update(organizers::table.filter(organizers::email.eq(email.trim().to_lowercase())))
        .set(organizers::is_admin.eq(is_admin))
        .execute(conn)?;
    if updated == 0 {
        return Err(PetitionError::NotFound);
    }
    Ok(())
}
