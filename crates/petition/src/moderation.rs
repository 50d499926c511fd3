//! Moderation: reports anyone can make about a petition, the admin's queue of them, and
//! hiding a petition with a reason (and unhiding it, back to the status it had).

use crate::fields::{self, FieldErrors};
use crate::petition::{self, Petition, PetitionStatus};
use crate::PetitionError;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use signons_store::schema::{petitions, reports};
use signons_store::{DbConnection, Id};

signons_store::text_enum! {
    /// Why someone reports a petition (`reports.reason`): a short list, so the queue can
    /// be read at a glance.
    pub enum ReportReason {
        Spam = "spam",
        Hateful = "hateful",
        Misleading = "misleading",
        PersonalData = "personal_data",
        Other = "other",
        /// Not a visitor's: the instance's own, when a petition the admins approved
        /// (pre-publication review on) changes its public text (`edited_after_review`).
        Edited = "edited",
    }
}

impl ReportReason {
    /// The reasons a visitor may give (the report form's).
    pub fn for_visitors() -> impl Iterator<Item = ReportReason> {
        Self::ALL.iter().copied().filter(|r| *r != ReportReason::Edited)
    }
}

/// The optional text of a report: enough for a sentence or two of context.
pub const DETAILS_MAX: usize = 2_000;
/// The reason shown to visitors of a hidden petition.
pub const HIDDEN_REASON_MAX: usize = 500;

/// A report, once checked. Who made it is not kept: no email, no address.
#[derive(Debug, Clone)]
pub struct NewReport {
    pub reason: ReportReason,
    pub details: String,
}

impl NewReport {
    pub fn parse(reason: &str, details: &str) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let reason = ReportReason::parse(reason.trim()).filter(|r| *r != ReportReason::Edited);
        if reason.is_none() {
            errors.0.push(crate::FieldError { field: "reason", code: "error-required", limit: None });
        }
        let details = errors.check(fields::text("details", details, 0, DETAILS_MAX, true));
        match (reason, details) {
            (Some(reason), Some(details)) if errors.is_empty() => Ok(NewReport { reason, details }),
            _ => Err(errors),
        }
    }
}

/// The reason an admin gives for hiding a petition, once checked.
#[derive(Debug, Clone)]
pub struct HiddenReason(String);

impl HiddenReason {
    pub fn parse(text: &str) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        match errors.check(fields::text("hidden_reason", text, 3, HIDDEN_REASON_MAX, false)) {
            Some(text) if errors.is_empty() => Ok(HiddenReason(text)),
            _ => Err(errors),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Stores a report about a public petition (a draft, removed or hidden one takes none).
pub fn report(conn: &mut DbConnection, slug: &str, report: &NewReport) -> Result<(), PetitionError> {
    let petition = petition::find(conn, slug)?;
    if !petition.is_public() {
        return Err(PetitionError::NotFound);
    }
    diesel::insert_into(reports::table)
        .values((
            reports::id.eq(Id::new()),
            reports::petition_id.eq(&petition.id),
            reports::reason.eq(report.reason),
            reports::details.eq(&report.details),
            reports::created_at.eq(signons_store::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// A published petition changed its title, target or text while pre-publication review
/// is on: the admins approved what it said, so what it says now goes to their queue (the
/// petition stays up; they may hide it). One open entry per petition, dated by the last
/// change. Admins' own petitions are not reviewed, nor their edits.
pub(crate) fn edited_after_review(conn: &mut DbConnection, petition: &Id) -> Result<(), PetitionError> {
    let open = reports::table
        .filter(reports::petition_id.eq(petition))
        .filter(reports::reason.eq(ReportReason::Edited))
        .filter(reports::resolved_at.is_null());
    let now = signons_store::now();
    if diesel::update(open).set(reports::created_at.eq(now)).execute(conn)? == 0 {
        diesel::insert_into(reports::table)
            .values((
                reports::id.eq(Id::new()),
                reports::petition_id.eq(petition),
                reports::reason.eq(ReportReason::Edited),
                reports::details.eq(""),
                reports::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = reports)]
struct ReportRow {
    reason: ReportReason,
    details: String,
    created_at: NaiveDateTime,
}

/// One report as the queue shows it.
#[derive(Debug, Clone, Serialize)]
pub struct QueuedReport {
    pub reason: ReportReason,
    pub details: String,
    pub created_at: NaiveDateTime,
}

/// How many reports about a petition gave one reason.
#[derive(Debug, Clone, Serialize)]
pub struct ReasonCount {
    pub reason: ReportReason,
    pub count: usize,
}

/// The open reports about one petition.
#[derive(Debug, Clone, Serialize)]
pub struct QueueItem {
    pub slug: String,
    pub title: String,
    pub status: PetitionStatus,
    pub count: usize,
    /// Each reason given, with how many times, in the order of `ReportReason`.
    pub reasons: Vec<ReasonCount>,
    /// Newest first.
    pub reports: Vec<QueuedReport>,
    pub latest: NaiveDateTime,
}

/// Every open report, grouped by petition, the petition reported last first.
pub fn queue(conn: &mut DbConnection) -> Result<Vec<QueueItem>, PetitionError> {
    let rows: Vec<(String, String, PetitionStatus, ReportRow)> = reports::table
        .inner_join(petitions::table)
        .filter(reports::resolved_at.is_null())
        .order(reports::created_at.desc())
        .select((petitions::slug, petitions::title, petitions::status, ReportRow::as_select()))
        .load(conn)?;
    let mut items: Vec<QueueItem> = Vec::new();
    for (slug, title, status, row) in rows {
        let report = QueuedReport { reason: row.reason, details: row.details, created_at: row.created_at };
        match items.iter_mut().find(|i| i.slug == slug) {
            Some(item) => item.reports.push(report),
            // Rows come newest first: the first one of a petition is its latest.
            None => items.push(QueueItem {
                slug,
                title,
                status,
                count: 0,
                reasons: Vec::new(),
                latest: report.created_at,
                reports: vec![report],
            }),
        }
    }
    for item in &mut items {
        item.count = item.reports.len();
        item.reasons = ReportReason::ALL
            .iter()
            .map(|r| ReasonCount { reason: *r, count: item.reports.iter().filter(|q| q.reason == *r).count() })
            .filter(|c| c.count > 0)
            .collect();
    }
    Ok(items)
}

/// Closes the open reports about a petition (dismissed, or dealt with by hiding it);
/// returns how many.
pub fn resolve_reports(conn: &mut DbConnection, petition_id: &Id) -> Result<usize, PetitionError> {
    Ok(diesel::update(
        reports::table.filter(reports::petition_id.eq(petition_id)).filter(reports::resolved_at.is_null()),
    )
    .set(reports::resolved_at.eq(Some(signons_store::now())))
    .execute(conn)?)
}

/// Dismisses the open reports about a petition, leaving it as it is.
pub fn dismiss(conn: &mut DbConnection, slug: &str) -> Result<usize, PetitionError> {
    let petition = petition::find(conn, slug)?;
    resolve_reports(conn, &petition.id)
}

/// Hides a published petition: visitors get its reason with a 410, it leaves every list,
/// and the status it had is kept for `unhide`. Its reports are resolved.
pub fn hide(conn: &mut DbConnection, slug: &str, reason: &HiddenReason) -> Result<Petition, PetitionError> {
    let current = petition::find(conn, slug)?;
    if !current.is_public() {
        return Err(PetitionError::InvalidTransition { from: current.status.as_str(), action: "hidden" });
    }
    diesel::update(petitions::table.filter(petitions::id.eq(&current.id)))
        .set((
            petitions::status.eq(PetitionStatus::Hidden),
            petitions::hidden_from.eq(Some(current.status.as_str())),
            petitions::hidden_reason.eq(Some(reason.as_str())),
            petitions::updated_at.eq(signons_store::now()),
        ))
        .execute(conn)?;
    resolve_reports(conn, &current.id)?;
    petition::find(conn, slug)
}

/// Puts a hidden petition back in the status it had when it was hidden.
pub fn unhide(conn: &mut DbConnection, slug: &str) -> Result<Petition, PetitionError> {
    let current = petition::find(conn, slug)?;
    if current.status != PetitionStatus::Hidden {
        return Err(PetitionError::InvalidTransition { from: current.status.as_str(), action: "unhidden" });
    }
    let from: Option<String> =
        petitions::table.filter(petitions::id.eq(&current.id)).select(petitions::hidden_from).first(conn)?;
    // Only a public status was ever stored (see `hide`); anything else reopens nothing.
    let back = from
        .as_deref()
        .and_then(PetitionStatus::parse)
        .filter(|s| petition::PUBLISHED.contains(s))
        .unwrap_or(PetitionStatus::Closed);
    diesel::update(petitions::table.filter(petitions::id.eq(&current.id)))
        .set((
            petitions::status.eq(back),
            petitions::hidden_from.eq(None::<String>),
            petitions::hidden_reason.eq(None::<String>),
            petitions::updated_at.eq(signons_store::now()),
        ))
        .execute(conn)?;
    petition::find(conn, slug)
}

/// The hidden petitions, for the admin to unhide: slug, title and reason.
pub fn hidden(conn: &mut DbConnection) -> Result<Vec<(String, String, Option<String>)>, PetitionError> {
    Ok(petitions::table
        .filter(petitions::status.eq(PetitionStatus::Hidden))
        .order(petitions::updated_at.desc())
        .select((petitions::slug, petitions::title, petitions::hidden_reason))
        .load(conn)?)
}

/// What an admin tells the organizers of a petition sent back from review.
pub struct ReviewNote(String);

impl ReviewNote {
    pub fn parse(text: &str) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        match errors.check(fields::text("review_note", text, 3, HIDDEN_REASON_MAX, true)) {
            Some(text) if errors.is_empty() => Ok(ReviewNote(text)),
            _ => Err(errors),
        }
    }
}

/// A petition waiting for review, as the queue lists it.
#[derive(Debug, Clone, Serialize)]
pub struct InReview {
    pub slug: String,
    pub title: String,
    pub organization: String,
    pub submitted_at: NaiveDateTime,
}

/// The petitions waiting for review, the longest waiting first.
pub fn in_review(conn: &mut DbConnection) -> Result<Vec<InReview>, PetitionError> {
    use signons_store::schema::organizations;
    let rows: Vec<(String, String, String, NaiveDateTime)> = petitions::table
        .inner_join(organizations::table)
        .filter(petitions::status.eq(PetitionStatus::Review))
        .order(petitions::updated_at.asc())
        .select((petitions::slug, petitions::title, organizations::name, petitions::updated_at))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(slug, title, organization, submitted_at)| InReview { slug, title, organization, submitted_at })
        .collect())
}

fn awaiting_review(conn: &mut DbConnection, slug: &str, action: &'static str) -> Result<Petition, PetitionError> {
    let current = petition::find(conn, slug)?;
    if current.status != PetitionStatus::Review {
        return Err(PetitionError::InvalidTransition { from: current.status.as_str(), action });
    }
    Ok(current)
}

/// Publishes a petition waiting for review: it opens now.
pub fn approve(conn: &mut DbConnection, slug: &str) -> Result<Petition, PetitionError> {
    let current = awaiting_review(conn, slug, "approved")?;
    petition::open_now(conn, &current.id)?;
    petition::find(conn, slug)
}

/// Sends a petition waiting for review back to its organizers: a draft again, with the
/// admin's note shown to them until they publish it.
pub fn send_back(conn: &mut DbConnection, slug: &str, note: &ReviewNote) -> Result<Petition, PetitionError> {
    let current = awaiting_review(conn, slug, "sent back")?;
    diesel::update(petitions::table.filter(petitions::id.eq(&current.id)))
        .set((
            petitions::status.eq(PetitionStatus::Draft),
            petitions::review_note.eq(Some(note.0.as_str())),
            petitions::updated_at.eq(signons_store::now()),
        ))
        .execute(conn)?;
    petition::find(conn, slug)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_parse_known_reasons_and_bounded_text() {
        assert!(NewReport::parse("spam", "").is_ok());
        assert_eq!(NewReport::parse(" personal_data ", "my phone number").unwrap().reason, ReportReason::PersonalData);
        assert!(NewReport::parse("boring", "").is_err());
        assert!(NewReport::parse("", "").is_err());
        assert!(NewReport::parse("other", &"x".repeat(DETAILS_MAX + 1)).is_err());
        assert!(HiddenReason::parse("").is_err());
        assert!(HiddenReason::parse("Spam campaign").is_ok());
    }
}
