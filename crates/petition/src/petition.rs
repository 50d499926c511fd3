//! Petitions: what an organizer writes, its lifecycle, and the queries behind the pages.

use crate::fields::{self, FieldErrors};
use crate::organization::{Organization, Organizer};
use crate::slug::Slug;
use crate::{PetitionError, SafeHtml};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use diesel::prelude::*;
use serde::Serialize;
use signons_store::schema::{organizations, petition_counters, petition_images, petitions, signatures};
use signons_store::{DbConnection, Id};

signons_store::text_enum! {
    /// Where a petition is in its life (`petitions.status`). A value this binary does not
    /// know fails the query: it is never taken for a draft.
    pub enum PetitionStatus {
        Draft = "draft",
        Open = "open",
        Closed = "closed",
        /// Its organizers declared a victory (with a message): it takes no more signatures.
        Won = "won",
        /// Removed by its organizers: its signers' data is gone, its address answers 410.
        Removed = "removed",
        /// Hidden by an admin, with a reason shown to visitors (`moderation`): its address
        /// answers 410, it is in no list, and it takes no signatures. Unhiding puts back the
        /// status it had.
        Hidden = "hidden",
        /// Submitted for publication while the instance reviews petitions first
        /// (`settings::premoderated`): not public and takes no signatures until an admin
        /// approves it (`moderation::approve`) or sends it back as a draft.
        Review = "review",
    }
}

impl PetitionStatus {
    /// Published, and neither removed nor hidden: open, closed or won. Anyone may read a
    /// petition with this status, and see its picture.
    pub fn is_public(self) -> bool {
        matches!(self, PetitionStatus::Open | PetitionStatus::Closed | PetitionStatus::Won)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Petition {
    pub id: Id,
    pub slug: String,
    pub organization: Organization,
    pub title: String,
    pub target: String,
    pub description_md: String,
    pub description_html: SafeHtml,
    pub goal: i64,
    /// Its organizers fixed the goal: it does not step up once reached (`shown_goal`).
    pub goal_fixed: bool,
    pub end_at: Option<NaiveDateTime>,
    pub ask_country: bool,
    pub ask_postal_code: bool,
    pub status: PetitionStatus,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub published_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    /// The organizations that carry it beside its own (see `partners`).
    pub partners: crate::Partners,
    /// When its content (title, text, target, goal, end date) last changed after it was
    /// published: what the page shows as "Updated on". `None` for a text never edited since.
    pub edited_at: Option<NaiveDateTime>,
    pub won_at: Option<NaiveDateTime>,
    /// The victory message, as written and as rendered, once won.
    pub victory: Option<Victory>,
    /// Why the moderators hid it, while it is hidden.
    pub hidden_reason: Option<String>,
    /// What the admin who sent it back from review said, until it is published.
    pub review_note: Option<String>,
    /// Its picture, if its organizers gave one (`picture`).
    pub picture: Option<crate::picture::Picture>,
}

/// What its organizers said when they declared the petition won.
#[derive(Debug, Clone, Serialize)]
pub struct Victory {
    pub markdown: String,
    pub html: SafeHtml,
}

/// A victory message, once checked: Markdown, rendered and sanitized as petition texts are.
#[derive(Debug, Clone)]
pub struct VictoryMessage(Victory);

pub const VICTORY_MAX: usize = 5_000;

impl VictoryMessage {
    pub fn parse(text: &str) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        match errors.check(fields::text("message", text, 10, VICTORY_MAX, true)) {
            Some(markdown) if errors.is_empty() => {
                let html = SafeHtml::from_markdown(&markdown);
                Ok(VictoryMessage(Victory { markdown, html }))
            }
            _ => Err(errors),
        }
    }
}

/// Whether a published petition can be reopened: only a closed one, and only if its end
/// date (if any) has not passed, since the end-of-petition task would close it again.
fn reopenable(p: &Petition, now: NaiveDateTime) -> Result<(), PetitionError> {
    if p.status != PetitionStatus::Closed {
        return Err(PetitionError::InvalidTransition { from: p.status.as_str(), action: "reopened" });
    }
    if p.end_at.is_some_and(|end| end <= now) {
        return Err(PetitionError::EndDatePassed);
    }
    Ok(())
}

impl Petition {
    /// Open, and its end date (if any) not yet passed.
    pub fn accepts_signatures(&self, now: NaiveDateTime) -> bool {
        self.status == PetitionStatus::Open && self.end_at.is_none_or(|end| end > now)
    }

    pub fn end_date(&self) -> Option<NaiveDate> {
        self.end_at.map(|t| t.date())
    }

    /// Not published yet: a draft, or waiting for review. Only its organizers (and, in
    /// review, the admins) see it; no one follows it.
    pub fn is_unpublished(&self) -> bool {
        matches!(self.status, PetitionStatus::Draft | PetitionStatus::Review)
    }

    /// Published, and not removed: open, closed or won.
    pub fn is_public(&self) -> bool {
        self.status.is_public()
    }

    /// Closed, and could take signatures again now (see `reopen`).
    pub fn can_reopen(&self, now: NaiveDateTime) -> bool {
        reopenable(self, now).is_ok()
    }

    /// The goal its pages show with `count` signatures (see `goal_step`).
    pub fn shown_goal(&self, count: i64) -> i64 {
        match self.goal_fixed {
            true => self.goal,
            false => goal_step(self.goal, count),
        }
    }
}

/// The goal shown once `count` reached `goal`, as Change.org does: the next step of 1, 2,
/// 5 times a power of ten above the count (100 → 200 → 500 → 1,000 → 2,000 → 5,000 …);
/// `goal` itself while the count is below it.
pub fn goal_step(goal: i64, count: i64) -> i64 {
    if count < goal {
        return goal;
    }
    let mut power: i64 = 1;
    loop {
        for step in [1, 2, 5] {
            let next = power.saturating_mul(step);
            if next > count {
                return next;
            }
        }
        if power > i64::MAX / 10 {
            return count.saturating_add(1);
        }
        power *= 10;
    }
}

/// Where a page of petitions starts: after the petition it names. Pages walk petitions in
/// id order, which is their creation order (UUIDv7), so they neither skip nor repeat a
/// petition as others are published or closed meanwhile, as an offset would. Written as
/// the id's 32 lowercase hex digits (the API's list and the `petitions` collections).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cursor(pub Id);

impl Cursor {
    pub fn parse(s: &str) -> Option<Cursor> {
        // Only the form `encode` writes, so one position has one cursor (and a collection
        // page, whose id is the URL it is fetched at, one URL).
        let ok = s.len() == 32 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        ok.then(|| Id::parse(s)).flatten().map(Cursor)
    }

    pub fn encode(&self) -> String {
        self.0.as_str().replace('-', "")
    }
}

/// A petition as typed into the form or sent to the API, before validation.
#[derive(Debug, Clone, Default, serde::Deserialize, Serialize)]
pub struct PetitionInput {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub target: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub goal: String,
    #[serde(default)]
    pub end_date: String,
    #[serde(default)]
    pub ask_country: bool,
    #[serde(default)]
    pub ask_postal_code: bool,
    /// The goal stays as it is once reached (no step up).
    #[serde(default)]
    pub goal_fixed: bool,
}

/// A petition's content once every field parsed.
#[derive(Debug, Clone)]
pub struct ValidPetition {
    title: String,
    target: String,
    description_md: String,
    description_html: SafeHtml,
    goal: i64,
    goal_fixed: bool,
    end_at: Option<NaiveDateTime>,
    ask_country: bool,
    ask_postal_code: bool,
}

impl ValidPetition {
    pub fn description_html(&self) -> &SafeHtml {
        &self.description_html
    }
}

pub const TITLE_MAX: usize = 120;
pub const TARGET_MAX: usize = 120;
pub const DESCRIPTION_MAX: usize = 20_000;
pub const GOAL_MAX: i64 = 100_000_000;

impl PetitionInput {
    pub fn validate(&self, today: NaiveDate) -> Result<ValidPetition, FieldErrors> {
        self.validate_edit(today, None)
    }

    /// `validate`, for an edit of a petition whose end date is `kept`: that date is taken
    /// as it is even once passed (a closed petition's text can be corrected without
    /// choosing a new date); any other date must be in the next two years.
    pub fn validate_edit(&self, today: NaiveDate, kept: Option<NaiveDateTime>) -> Result<ValidPetition, FieldErrors> {
        let mut errors = FieldErrors::default();
        let title = errors.check(fields::text("title", &self.title, 5, TITLE_MAX, false));
        let target = errors.check(fields::text("target", &self.target, 2, TARGET_MAX, false));
        let description = errors.check(fields::text("description", &self.description, 20, DESCRIPTION_MAX, true));
        let goal = match self.goal.trim() {
            "" => {
                errors.push("goal", "error-required", None);
                None
            }
            g => match g.replace([' ', ',', '\u{a0}', '\u{202f}'], "").parse::<i64>() {
                Ok(n) if (1..=GOAL_MAX).contains(&n) => Some(n),
                _ => {
                    errors.push("goal", "error-goal-invalid", Some(GOAL_MAX as u64));
                    None
                }
            },
        };
        let end_at = match self.end_date.trim() {
            "" => Some(None),
            d => match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
                Ok(date) if kept.is_some_and(|k| k.date() == date) => Some(kept),
                Ok(date) if date > today && date <= today + chrono::Days::new(730) => {
                    Some(Some(date.and_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or_default())))
                }
                Ok(_) => {
                    errors.push("end_date", "error-end-date-range", None);
                    None
                }
                Err(_) => {
                    errors.push("end_date", "error-date-invalid", None);
                    None
                }
            },
        };
        match (title, target, description, goal, end_at) {
            (Some(title), Some(target), Some(description_md), Some(goal), Some(end_at)) if errors.is_empty() => {
                let description_html = SafeHtml::from_markdown(&description_md);
                Ok(ValidPetition {
                    title,
                    target,
                    description_md,
                    description_html,
                    goal,
                    goal_fixed: self.goal_fixed,
                    end_at,
                    ask_country: self.ask_country,
                    ask_postal_code: self.ask_postal_code,
                })
            }
            _ => Err(errors),
        }
    }
}

/// A petition as stored, with its organization: what every petition query reads, on
/// petitions joined to organizations.
#[derive(Queryable, Selectable)]
#[diesel(table_name = petitions)]
struct PetitionRow {
    id: Id,
    slug: String,
    title: String,
    target: String,
    description_md: String,
    description_html: String,
    goal: i64,
    end_at: Option<NaiveDateTime>,
    ask_country: bool,
    ask_postal_code: bool,
    status: PetitionStatus,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    published_at: Option<NaiveDateTime>,
    closed_at: Option<NaiveDateTime>,
    partners: crate::Partners,
    edited_at: Option<NaiveDateTime>,
    won_at: Option<NaiveDateTime>,
    victory_md: Option<String>,
    victory_html: Option<String>,
    hidden_reason: Option<String>,
    review_note: Option<String>,
    goal_fixed: bool,
    #[diesel(embed)]
    organization: Organization,
    #[diesel(embed)]
    picture: Option<crate::picture::Picture>,
}

fn from_row(row: PetitionRow) -> Petition {
    Petition {
        id: row.id,
        slug: row.slug,
        organization: row.organization,
        title: row.title,
        target: row.target,
        description_md: row.description_md,
        // Sanitized before it was stored.
        description_html: SafeHtml::from_stored(row.description_html),
        goal: row.goal,
        goal_fixed: row.goal_fixed,
        end_at: row.end_at,
        ask_country: row.ask_country,
        ask_postal_code: row.ask_postal_code,
        status: row.status,
        created_at: row.created_at,
        updated_at: row.updated_at,
        published_at: row.published_at,
        closed_at: row.closed_at,
        partners: row.partners,
        edited_at: row.edited_at,
        won_at: row.won_at,
        victory: match (row.victory_md, row.victory_html) {
            // Sanitized before it was stored, as the text.
            (Some(markdown), Some(html)) => Some(Victory { markdown, html: SafeHtml::from_stored(html) }),
            _ => None,
        },
        hidden_reason: row.hidden_reason,
        review_note: row.review_note,
        picture: row.picture,
    }
}

pub fn find(conn: &mut DbConnection, slug: &str) -> Result<Petition, PetitionError> {
    // Every stored slug parsed as one; anything else names no petition (and a NUL byte
    // would make PostgreSQL fail the query).
    if Slug::parse("slug", slug).is_err() {
        return Err(PetitionError::NotFound);
    }
    let row = petitions::table
        .inner_join(organizations::table)
        .left_join(petition_images::table)
        .filter(petitions::slug.eq(slug))
        .select(PetitionRow::as_select())
        .first::<PetitionRow>(conn)
        .optional()?;
    row.map(from_row).ok_or(PetitionError::NotFound)
}

/// Open petitions, newest first.
pub fn list_open(conn: &mut DbConnection, limit: i64) -> Result<Vec<Petition>, PetitionError> {
    let rows = petitions::table
        .inner_join(organizations::table)
        .left_join(petition_images::table)
        .filter(petitions::status.eq(PetitionStatus::Open))
        .order(petitions::published_at.desc())
        .limit(limit)
        .select(PetitionRow::as_select())
        .load::<PetitionRow>(conn)?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// The statuses of a published petition that anyone may read.
pub const PUBLISHED: [PetitionStatus; 3] = [PetitionStatus::Open, PetitionStatus::Closed, PetitionStatus::Won];

/// A page anyone may read, for the sitemap: a petition that is open or closed (never a
/// draft or a removed one), its organization, and when it last changed.
#[derive(Debug, Clone, Queryable)]
pub struct PublicPage {
    pub slug: String,
    pub organization_slug: String,
    pub updated_at: NaiveDateTime,
}

/// Up to `limit` public petitions, most recently changed first.
pub fn public_pages(conn: &mut DbConnection, limit: i64) -> Result<Vec<PublicPage>, PetitionError> {
    Ok(petitions::table
        .inner_join(organizations::table)
        .filter(petitions::status.eq_any(PUBLISHED))
        .order(petitions::updated_at.desc())
        .limit(limit)
        .select((petitions::slug, organizations::slug, petitions::updated_at))
        .load::<PublicPage>(conn)?)
}

/// The petitions of these ids (in no particular order; unknown ids are left out).
pub fn by_ids(conn: &mut DbConnection, ids: &[Id]) -> Result<Vec<Petition>, PetitionError> {
    let rows = petitions::table
        .inner_join(organizations::table)
        .left_join(petition_images::table)
        .filter(petitions::id.eq_any(ids))
        .select(PetitionRow::as_select())
        .load::<PetitionRow>(conn)?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// Up to `limit` open petitions in id order, after the petition `after` (a keyset page):
/// how a task that must see every open petition walks them without loading them all, and
/// without skipping any as the set changes between pages (an offset would).
pub fn list_open_after(
    conn: &mut DbConnection,
    after: Option<&Id>,
    limit: i64,
) -> Result<Vec<Petition>, PetitionError> {
    list_open_page(conn, None, after, limit, false)
}

/// Open petitions, newest first (by id: ids are time-ordered), those older than `before`
/// if given: a page of the API's list.
pub fn list_open_before(
    conn: &mut DbConnection,
    before: Option<&Id>,
    limit: i64,
) -> Result<Vec<Petition>, PetitionError> {
    list_open_page(conn, None, before, limit, true)
}

/// The same pages, of one organization's open petitions only when `organization` is given:
/// the petitions an instance or an organization serves to the servers that follow it.
pub fn list_open_of(
    conn: &mut DbConnection,
    organization: Option<&Id>,
    before: Option<&Id>,
    limit: i64,
) -> Result<Vec<Petition>, PetitionError> {
    list_open_page(conn, organization, before, limit, true)
}

/// How many petitions are open, on the instance or in one organization.
pub fn count_open(conn: &mut DbConnection, organization: Option<&Id>) -> Result<i64, PetitionError> {
    let mut query = petitions::table.filter(petitions::status.eq(PetitionStatus::Open)).into_boxed();
    if let Some(org) = organization {
        query = query.filter(petitions::organization_id.eq(org));
    }
    Ok(query.count().get_result(conn)?)
}

/// One keyset page of open petitions (of one organization, if given), past `cursor` in
/// the direction asked.
fn list_open_page(
    conn: &mut DbConnection,
    organization: Option<&Id>,
    cursor: Option<&Id>,
    limit: i64,
    newest_first: bool,
) -> Result<Vec<Petition>, PetitionError> {
    let mut query = petitions::table
        .inner_join(organizations::table)
        .left_join(petition_images::table)
        .filter(petitions::status.eq(PetitionStatus::Open))
        .limit(limit)
        .select(PetitionRow::as_select())
        .into_boxed();
    if let Some(org) = organization {
        query = query.filter(petitions::organization_id.eq(org));
    }
    query = match (newest_first, cursor) {
        (false, None) => query.order(petitions::id.asc()),
        (false, Some(c)) => query.order(petitions::id.asc()).filter(petitions::id.gt(c)),
        (true, None) => query.order(petitions::id.desc()),
        (true, Some(c)) => query.order(petitions::id.desc()).filter(petitions::id.lt(c)),
    };
    let rows = query.load::<PetitionRow>(conn)?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// Every petition of an organization, newest first.
pub fn list_for_organization(conn: &mut DbConnection, organization: &Id) -> Result<Vec<Petition>, PetitionError> {
    let rows = petitions::table
        .inner_join(organizations::table)
        .left_join(petition_images::table)
        .filter(petitions::organization_id.eq(organization))
        .filter(petitions::status.ne(PetitionStatus::Removed))
        .order(petitions::created_at.desc())
        .select(PetitionRow::as_select())
        .load::<PetitionRow>(conn)?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// A slug not yet used by a petition or an organization (they share one namespace).
pub(crate) fn free_slug(conn: &mut DbConnection, base: Slug) -> Result<Slug, PetitionError> {
    for n in 1..100 {
        let candidate = if n == 1 { base.0.clone() } else { format!("{}-{n}", base.0) };
        let taken_by_petition: i64 =
            petitions::table.filter(petitions::slug.eq(&candidate)).count().get_result(conn)?;
        let taken_by_org: i64 =
            organizations::table.filter(organizations::slug.eq(&candidate)).count().get_result(conn)?;
        if taken_by_petition == 0 && taken_by_org == 0 {
            return Ok(Slug(candidate));
        }
    }
    Ok(Slug(format!("{}-{}", base.0, &Id::new().as_str()[24..])))
}

/// Inserts a row under the slug `free_slug` finds for `base`. Two transactions at once
/// (PostgreSQL) may find the same one: the second insert then meets the unique index, and
/// is made again under a slug with a random suffix, rather than failing the request.
pub(crate) fn insert_with_free_slug(
    conn: &mut DbConnection,
    base: Slug,
    mut insert: impl FnMut(&mut DbConnection, &Slug) -> diesel::QueryResult<usize>,
) -> Result<Slug, PetitionError> {
    use diesel::result::{DatabaseErrorKind, Error};
    let slug = free_slug(conn, base.clone())?;
    // SQLite undoes only the failed statement (and its one writer runs transactions one
    // after the other, so it never meets this); PostgreSQL aborts the whole transaction
    // unless the statement ran in a savepoint.
    let first = match conn {
        DbConnection::Pg(_) => conn.transaction(|c| insert(c, &slug)),
        DbConnection::Sqlite(_) => insert(conn, &slug),
    };
    match first {
        Ok(_) => Ok(slug),
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            let slug = Slug(format!("{}-{}", base.0, &Id::new().as_str()[24..]));
            insert(conn, &slug)?;
            Ok(slug)
        }
        Err(e) => Err(e.into()),
    }
}

/// Creates a petition of the organizer's default organization.
pub fn create(
    conn: &mut DbConnection,
    organizer: &Organizer,
    petition: ValidPetition,
    publish: bool,
) -> Result<Petition, PetitionError> {
    let organization = organizer.organization.id.clone();
    create_in(conn, organizer, &organization, petition, publish)
}

/// The organization a new petition of the organizer goes to, as a form or the API names it
/// (its slug): one they are a member of (owner or editor), or their default one when none
/// is named. `Forbidden` for an organization of which they are not a member; `Invalid` on
/// the field `organization` for a name no organization has.
pub fn organization_for_new(
    conn: &mut DbConnection,
    organizer: &Organizer,
    slug: Option<&str>,
) -> Result<Id, PetitionError> {
    let Some(slug) = slug else { return Ok(organizer.organization.id.clone()) };
    if let Some(m) = organizer.membership(slug) {
        return Ok(m.organization.id.clone());
    }
    match crate::organization::find_organization(conn, slug) {
        Ok(_) => Err(PetitionError::Forbidden),
        Err(PetitionError::OrganizationNotFound) => {
            let mut errors = FieldErrors::default();
            errors.push("organization", "error-organization-unknown", None);
            Err(PetitionError::Invalid(errors))
        }
        Err(e) => Err(e),
    }
}

/// Creates a petition of one of the organizer's organizations (`Forbidden` for another).
pub fn create_in(
    conn: &mut DbConnection,
    organizer: &Organizer,
    organization: &Id,
    petition: ValidPetition,
    publish: bool,
) -> Result<Petition, PetitionError> {
    if !organizer.acts_for(organization) {
        return Err(PetitionError::Forbidden);
    }
    let now = signons_store::now();
    let status = if publish { publishing_status(conn, organizer)? } else { PetitionStatus::Draft };
    let id = Id::new();
    let slug = insert_with_free_slug(conn, Slug::from_title(&petition.title), |conn, slug| {
        diesel::insert_into(petitions::table)
            .values((
                (
                    petitions::id.eq(&id),
                    petitions::organization_id.eq(organization),
                    petitions::slug.eq(slug.as_str()),
                    petitions::title.eq(&petition.title),
                    petitions::target.eq(&petition.target),
                    petitions::description_md.eq(&petition.description_md),
                    petitions::description_html.eq(petition.description_html.as_str()),
                    petitions::goal.eq(petition.goal),
                ),
                (
                    petitions::end_at.eq(petition.end_at),
                    petitions::ask_country.eq(petition.ask_country),
                    petitions::ask_postal_code.eq(petition.ask_postal_code),
                    petitions::status.eq(status),
                    petitions::created_at.eq(now),
                    petitions::updated_at.eq(now),
                    petitions::published_at.eq((status == PetitionStatus::Open).then_some(now)),
                    petitions::goal_fixed.eq(petition.goal_fixed),
                ),
            ))
            .execute(conn)
    })?;
    find(conn, slug.as_str())
}

pub(crate) fn owned(conn: &mut DbConnection, organizer: &Organizer, slug: &str) -> Result<Petition, PetitionError> {
    let petition = find(conn, slug)?;
    if !organizer.acts_for(&petition.organization.id) {
        return Err(PetitionError::Forbidden);
    }
    Ok(petition)
}

/// The organizer's petition, if it is in `status`; otherwise why `action` cannot happen.
fn owned_in(
    conn: &mut DbConnection,
    organizer: &Organizer,
    slug: &str,
    status: PetitionStatus,
    action: &'static str,
) -> Result<Petition, PetitionError> {
    let current = owned(conn, organizer, slug)?;
    if current.status != status {
        return Err(PetitionError::InvalidTransition { from: current.status.as_str(), action });
    }
    Ok(current)
}

/// The organizer's petition as it stands, for an edit: any but a removed one, or one the
/// moderators hid (an edit would go out to followers while it is hidden; unhidden, it can
/// be edited again).
pub fn editable(conn: &mut DbConnection, organizer: &Organizer, slug: &str) -> Result<Petition, PetitionError> {
    let current = owned(conn, organizer, slug)?;
    if matches!(current.status, PetitionStatus::Removed | PetitionStatus::Hidden) {
        return Err(PetitionError::InvalidTransition { from: current.status.as_str(), action: "edited" });
    }
    Ok(current)
}

/// Edits a petition: a draft wholly; a published one (open, closed or won) in its title,
/// text, target, goal and end date, under the same slug (its address, which followers and
/// links know), and the date of the change is kept (`edited_at`). The fields signers are
/// asked stay as they were once published: signatures already given have only those.
/// With pre-publication review on, a published petition that says something else goes to
/// the admins' queue (`moderation::edited_after_review`).
pub fn update(
    conn: &mut DbConnection,
    organizer: &Organizer,
    slug: &str,
    petition: ValidPetition,
) -> Result<Petition, PetitionError> {
    let current = editable(conn, organizer, slug)?;
    // Unpublished (a draft, or awaiting review) is edited wholly: no signer has seen it yet.
    let draft = current.is_unpublished();
    let (ask_country, ask_postal_code) = match draft {
        true => (petition.ask_country, petition.ask_postal_code),
        false => (current.ask_country, current.ask_postal_code),
    };
    let now = signons_store::now();
    diesel::update(petitions::table.filter(petitions::id.eq(&current.id)))
        .set((
            petitions::title.eq(&petition.title),
            petitions::target.eq(&petition.target),
            petitions::description_md.eq(&petition.description_md),
            petitions::description_html.eq(petition.description_html.as_str()),
            petitions::goal.eq(petition.goal),
            petitions::goal_fixed.eq(petition.goal_fixed),
            petitions::end_at.eq(petition.end_at),
            petitions::ask_country.eq(ask_country),
            petitions::ask_postal_code.eq(ask_postal_code),
            petitions::updated_at.eq(now),
            petitions::edited_at.eq(if draft { current.edited_at } else { Some(now) }),
        ))
        .execute(conn)?;
    let says_else = current.title != petition.title
        || current.target != petition.target
        || current.description_md != petition.description_md;
    if !draft && says_else && !organizer.is_admin && crate::settings::premoderated(conn)? {
        crate::moderation::edited_after_review(conn, &current.id)?;
    }
    find(conn, slug)
}

/// Reopens a closed petition: it takes signatures again. Its end date must not have
/// passed (change it first with `update`).
pub fn reopen(conn: &mut DbConnection, organizer: &Organizer, slug: &str) -> Result<Petition, PetitionError> {
    let current = owned(conn, organizer, slug)?;
    let now = signons_store::now();
    reopenable(&current, now)?;
    diesel::update(petitions::table.filter(petitions::id.eq(&current.id)))
        .set((
            petitions::status.eq(PetitionStatus::Open),
            petitions::closed_at.eq(None::<NaiveDateTime>),
            petitions::updated_at.eq(now),
        ))
        .execute(conn)?;
    find(conn, slug)
}

/// Declares an open or closed petition won, with its message: signing stops, and the
/// petition counts as closed for retention (its signers' data is anonymized in time).
pub fn win(
    conn: &mut DbConnection,
    organizer: &Organizer,
    slug: &str,
    message: VictoryMessage,
) -> Result<Petition, PetitionError> {
    let current = owned(conn, organizer, slug)?;
    if !matches!(current.status, PetitionStatus::Open | PetitionStatus::Closed) {
        return Err(PetitionError::InvalidTransition { from: current.status.as_str(), action: "won" });
    }
    let now = signons_store::now();
    let Victory { markdown, html } = message.0;
    diesel::update(petitions::table.filter(petitions::id.eq(&current.id)))
        .set((
            petitions::status.eq(PetitionStatus::Won),
            petitions::won_at.eq(Some(now)),
            petitions::victory_md.eq(Some(markdown)),
            petitions::victory_html.eq(Some(html.as_str().to_owned())),
            petitions::closed_at.eq(Some(current.closed_at.unwrap_or(now))),
            petitions::updated_at.eq(now),
        ))
        .execute(conn)?;
    find(conn, slug)
}

/// Publishes a draft; where the instance reviews petitions first, submits it for review
/// instead (an admin's own petitions are not reviewed).
pub fn publish(conn: &mut DbConnection, organizer: &Organizer, slug: &str) -> Result<Petition, PetitionError> {
    let current = owned_in(conn, organizer, slug, PetitionStatus::Draft, "published")?;
    if publishing_status(conn, organizer)? == PetitionStatus::Review {
        diesel::update(petitions::table.filter(petitions::id.eq(&current.id)))
            .set((petitions::status.eq(PetitionStatus::Review), petitions::updated_at.eq(signons_store::now())))
            .execute(conn)?;
        return find(conn, slug);
    }
    open_now(conn, &current.id)?;
    find(conn, slug)
}

/// What publishing a draft of `organizer` makes of it: open, or waiting for review.
fn publishing_status(conn: &mut DbConnection, organizer: &Organizer) -> Result<PetitionStatus, PetitionError> {
    let reviewed = !organizer.is_admin && crate::settings::premoderated(conn)?;
    Ok(if reviewed { PetitionStatus::Review } else { PetitionStatus::Open })
}

/// Opens a petition from now: published, taking signatures; a review note is done with.
pub(crate) fn open_now(conn: &mut DbConnection, id: &Id) -> Result<(), PetitionError> {
    let now = signons_store::now();
    diesel::update(petitions::table.filter(petitions::id.eq(id)))
        .set((
            petitions::status.eq(PetitionStatus::Open),
            petitions::published_at.eq(Some(now)),
            petitions::review_note.eq(None::<String>),
            petitions::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn close(conn: &mut DbConnection, organizer: &Organizer, slug: &str) -> Result<Petition, PetitionError> {
    let current = owned_in(conn, organizer, slug, PetitionStatus::Open, "closed")?;
    let now = signons_store::now();
    diesel::update(petitions::table.filter(petitions::id.eq(&current.id)))
        .set((
            petitions::status.eq(PetitionStatus::Closed),
            petitions::closed_at.eq(Some(now)),
            petitions::updated_at.eq(now),
        ))
        .execute(conn)?;
    find(conn, slug)
}

/// Removes a petition: every signature (and so every signer's personal data) is deleted
/// and the count drops to zero; the row stays, so its address keeps answering "gone" and
/// its slug is not given to another petition.
pub fn remove(conn: &mut DbConnection, organizer: &Organizer, slug: &str) -> Result<Petition, PetitionError> {
    let current = owned(conn, organizer, slug)?;
    if current.status == PetitionStatus::Removed {
        return Err(PetitionError::InvalidTransition { from: current.status.as_str(), action: "removed" });
    }
    diesel::delete(signatures::table.filter(signatures::petition_id.eq(&current.id))).execute(conn)?;
    diesel::delete(petition_counters::table.filter(petition_counters::petition_id.eq(&current.id))).execute(conn)?;
    let now = signons_store::now();
    diesel::update(petitions::table.filter(petitions::id.eq(&current.id)))
        .set((
            petitions::status.eq(PetitionStatus::Removed),
            petitions::closed_at.eq(Some(current.closed_at.unwrap_or(now))),
            petitions::updated_at.eq(now),
        ))
        .execute(conn)?;
    find(conn, slug)
}

/// Names the organizations that carry the organizer's petition beside their own (the
/// whole list, replacing the last one). Any petition but a removed one.
pub fn set_partners(
    conn: &mut DbConnection,
    organizer: &Organizer,
    slug: &str,
    partners: &crate::Partners,
) -> Result<Petition, PetitionError> {
    let current = owned(conn, organizer, slug)?;
    if matches!(current.status, PetitionStatus::Removed | PetitionStatus::Hidden) {
        return Err(PetitionError::InvalidTransition { from: current.status.as_str(), action: "changed" });
    }
    diesel::update(petitions::table.filter(petitions::id.eq(&current.id)))
        .set((petitions::partners.eq(partners.to_json()), petitions::updated_at.eq(signons_store::now())))
        .execute(conn)?;
    find(conn, slug)
}

/// Closes open petitions whose end date has passed; returns them, closed, so that the
/// caller tells their followers in the same transaction.
pub fn close_ended(conn: &mut DbConnection, now: NaiveDateTime) -> Result<Vec<Petition>, PetitionError> {
    let ended: Vec<Id> = petitions::table
        .filter(petitions::status.eq(PetitionStatus::Open))
        .filter(petitions::end_at.le(now))
        .select(petitions::id)
        .load(conn)?;
    if ended.is_empty() {
        return Ok(Vec::new());
    }
    diesel::update(petitions::table.filter(petitions::id.eq_any(&ended)))
        .set((
            petitions::status.eq(PetitionStatus::Closed),
            petitions::closed_at.eq(Some(now)),
            petitions::updated_at.eq(now),
        ))
        .execute(conn)?;
    let rows = petitions::table
        .inner_join(organizations::table)
        .left_join(petition_images::table)
        .filter(petitions::id.eq_any(&ended))
        .select(PetitionRow::as_select())
        .load::<PetitionRow>(conn)?;
    Ok(rows.into_iter().map(from_row).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reached_goal_steps_up_to_the_next_of_one_two_five() {
        let cases = [
            (100, 0, 100),
            (100, 99, 100),
            (100, 100, 200),
            (100, 199, 200),
            (100, 200, 500),
            (100, 999, 1_000),
            (100, 1_000, 2_000),
            (100, 4_321, 5_000),
            (100, 5_000, 10_000),
            (150, 160, 200),
            (1, 1, 2),
            (1, 3, 5),
            (7, 7, 10),
        ];
        for (goal, count, shown) in cases {
            assert_eq!(goal_step(goal, count), shown, "goal {goal}, count {count}");
        }
        assert!(goal_step(1, i64::MAX - 1) > i64::MAX - 1);
    }

    #[test]
    fn petition_input_reports_every_bad_field() {
        let today = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let input = PetitionInput { goal: "lots".into(), end_date: "2025-01-01".into(), ..Default::default() };
        let errors = input.validate(today).unwrap_err();
        let fields: Vec<_> = errors.0.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["title", "target", "description", "goal", "end_date"]);
        let ok = PetitionInput {
            title: "Save the park".into(),
            target: "City council".into(),
            description: "The park is **ours** and must stay green.".into(),
            goal: "10 000".into(),
            end_date: "2026-06-01".into(),
            ..Default::default()
        };
        let valid = ok.validate(today).unwrap();
        assert_eq!(valid.goal, 10_000);
        assert!(valid.description_html.as_str().contains("<strong>ours</strong>"));
    }
}
