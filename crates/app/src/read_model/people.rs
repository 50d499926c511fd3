//! The admins' list of the instance's people (`/admin/people`): its organizers, with their
//! organizations and roles and whether they are disabled, and its organizations, with how
//! many members and petitions each has. Both are searched by the same box (an organizer's
//! email, an organization's name or slug) and paged `PAGE_SIZE` at a time, for instances
//! with many accounts; the search and the page are a `lists::Listing`'s.

use super::lists::{like_pattern, lower, Listing};
use diesel::prelude::*;
use serde::Serialize;
use signons_petition::Role;
use signons_store::schema::{memberships, organizations, organizers, petitions};
use signons_store::{Database, Id, StoreError};
use std::collections::HashMap;

pub const PAGE_SIZE: i64 = 50;

#[derive(Debug, Serialize)]
pub struct MembershipView {
    pub name: String,
    pub slug: String,
    pub role: Role,
}

#[derive(Debug, Serialize)]
pub struct PersonView {
    pub id: String,
    pub email: String,
    pub is_admin: bool,
    /// `YYYY-MM-DD`, for the templates' `day` filter.
    pub created: String,
    pub disabled: bool,
    pub memberships: Vec<MembershipView>,
}

#[derive(Debug, Serialize)]
pub struct OrganizationView {
    pub name: String,
    pub slug: String,
    pub created: String,
    pub members: i64,
    pub petitions: i64,
}

/// One page of each list, and whether either goes on past it.
#[derive(Debug)]
pub struct People {
    pub organizers: Vec<PersonView>,
    pub organizations: Vec<OrganizationView>,
    pub more: bool,
}

fn day(t: chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%d").to_string()
}

type OrganizerRow = (Id, String, bool, chrono::NaiveDateTime, Option<chrono::NaiveDateTime>);

/// The page `listing.page` of both lists (its other filters do not apply here).
pub async fn people(db: &Database, listing: &Listing) -> Result<People, StoreError> {
    let pattern = listing.search.as_deref().map(like_pattern);
    let offset = (listing.page - 1) * PAGE_SIZE;
    db.read_async(move |conn| -> Result<People, StoreError> {
        // One row past the page says whether there is another.
        let mut found = organizers::table.into_boxed();
        if let Some(p) = pattern.as_deref() {
            // Stored emails are lowercase already.
            found = found.filter(organizers::email.like(p).escape('\\'));
        }
        let mut rows: Vec<OrganizerRow> = found
            .order((organizers::created_at.asc(), organizers::id.asc()))
            .limit(PAGE_SIZE + 1)
            .offset(offset)
            .select((
                organizers::id,
                organizers::email,
                organizers::is_admin,
                organizers::created_at,
                organizers::disabled_at,
            ))
            .load(conn)?;
        let more_organizers = rows.len() as i64 > PAGE_SIZE;
        rows.truncate(PAGE_SIZE as usize);
        let ids: Vec<Id> = rows.iter().map(|r| r.0.clone()).collect();
        let mut roles: HashMap<Id, Vec<MembershipView>> = HashMap::new();
        let memberships: Vec<(Id, String, String, Role)> = memberships::table
            .inner_join(organizations::table)
            .filter(memberships::organizer_id.eq_any(&ids))
            .order((organizations::name.asc(), organizations::slug.asc()))
            .select((memberships::organizer_id, organizations::name, organizations::slug, memberships::role))
            .load(conn)?;
        for (organizer, name, slug, role) in memberships {
            roles.entry(organizer).or_default().push(MembershipView { name, slug, role });
        }
        let organizers = rows
            .into_iter()
            .map(|(id, email, is_admin, created_at, disabled_at)| PersonView {
                memberships: roles.remove(&id).unwrap_or_default(),
                id: id.to_string(),
                email,
                is_admin,
                created: day(created_at),
                disabled: disabled_at.is_some(),
            })
            .collect();

        let mut found = organizations::table.into_boxed();
        if let Some(p) = pattern.as_deref() {
            found = found
                .filter(lower(organizations::name).like(p).escape('\\').or(organizations::slug.like(p).escape('\\')));
        }
        let mut rows: Vec<(Id, String, String, chrono::NaiveDateTime)> = found
            .order((organizations::name.asc(), organizations::slug.asc()))
            .limit(PAGE_SIZE + 1)
            .offset(offset)
            .select((organizations::id, organizations::name, organizations::slug, organizations::created_at))
            .load(conn)?;
        let more_organizations = rows.len() as i64 > PAGE_SIZE;
        rows.truncate(PAGE_SIZE as usize);
        let ids: Vec<Id> = rows.iter().map(|r| r.0.clone()).collect();
        let members: HashMap<Id, i64> = memberships::table
            .filter(memberships::organization_id.eq_any(&ids))
            .group_by(memberships::organization_id)
            .select((memberships::organization_id, diesel::dsl::count_star()))
            .load::<(Id, i64)>(conn)?
            .into_iter()
            .collect();
        // Removed petitions are gone for everyone but the count of history: not counted.
        let petition_counts: HashMap<Id, i64> = petitions::table
            .filter(petitions::organization_id.eq_any(&ids))
            .filter(petitions::status.ne(signons_petition::PetitionStatus::Removed))
            .group_by(petitions::organization_id)
            .select((petitions::organization_id, diesel::dsl::count_star()))
            .load::<(Id, i64)>(conn)?
            .into_iter()
            .collect();
        let organizations = rows
            .into_iter()
            .map(|(id, name, slug, created_at)| OrganizationView {
                members: members.get(&id).copied().unwrap_or(0),
                petitions: petition_counts.get(&id).copied().unwrap_or(0),
                name,
                slug,
                created: day(created_at),
            })
            .collect();
        Ok(People { organizers, organizations, more: more_organizers || more_organizations })
    })
    .await
}
