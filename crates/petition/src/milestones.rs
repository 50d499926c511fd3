//! Milestone messages: what a petition's organizers want said when it passes a milestone
//! (100, 1,000, 10,000, … signatures, or its goal), written ahead of time. The periodic
//! tick that announces milestones (`signons_federation::progress`) adds the message to the
//! milestone's note, so it shows on the page and reaches the petition's followers.

use crate::fields::{self, FieldErrors};
use crate::organization::Organizer;
use crate::petition::{owned, Petition};
use crate::{PetitionError, SafeHtml};
use diesel::prelude::*;
use signons_store::schema::milestone_messages as mm;
use signons_store::{DbConnection, Id};

/// The longest message, in characters of Markdown: a few sentences.
pub const MESSAGE_MAX: usize = 2_000;
/// The largest milestone there is (the count is an `i64`, but no petition gets near).
const LAST_POWER: i64 = 1_000_000_000;

/// The milestones of a petition of this goal, in order: the powers of ten from 100 up to a
/// billion, and the goal.
pub fn thresholds(goal: i64) -> Vec<i64> {
    let mut all: Vec<i64> = std::iter::successors(Some(100_i64), |m| (*m < LAST_POWER).then(|| m * 10)).collect();
    if goal > 0 {
        all.push(goal);
    }
    all.sort_unstable();
    all.dedup();
    all
}

/// The milestones worth writing a message for: up to ten times the goal (or 1,000).
pub fn offered(goal: i64) -> Vec<i64> {
    let up_to = goal.max(100).saturating_mul(10);
    thresholds(goal).into_iter().filter(|m| *m <= up_to).collect()
}

/// A message, once checked: for one of the petition's milestones, Markdown rendered and
/// sanitized as petition texts are; `None` removes the message.
pub struct MessageInput {
    reached: i64,
    text: Option<(String, SafeHtml)>,
}

impl MessageInput {
    pub fn parse(petition: &Petition, reached: i64, text: &str) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        if !thresholds(petition.goal).contains(&reached) {
            errors.push("at", "error-milestone-invalid", None);
        }
        let text = errors.check(fields::optional_text("text", Some(text), MESSAGE_MAX, true));
        match text {
            Some(text) if errors.is_empty() => Ok(MessageInput {
                reached,
                text: text.map(|markdown| {
                    let html = SafeHtml::from_markdown(&markdown);
                    (markdown, html)
                }),
            }),
            _ => Err(errors),
        }
    }
}

/// Sets (or removes) the organizers' messages for their petition's milestones, in one
/// transaction of the caller's. A milestone already passed keeps its note as it was said.
pub fn set(
    conn: &mut DbConnection,
    organizer: &Organizer,
    slug: &str,
    messages: &[MessageInput],
) -> Result<Petition, PetitionError> {
    let petition = owned(conn, organizer, slug)?;
    if !(petition.is_unpublished() || petition.is_public()) {
        return Err(PetitionError::InvalidTransition { from: petition.status.as_str(), action: "given milestones" });
    }
    let now = signons_store::now();
    for m in messages {
        let key = mm::table.filter(mm::petition_id.eq(&petition.id)).filter(mm::reached.eq(m.reached));
        match &m.text {
            None => {
                diesel::delete(key).execute(conn)?;
            }
            Some((markdown, html)) => {
                // Update first, then insert: the portable connection has no ON CONFLICT.
                let updated = diesel::update(key)
                    .set((mm::body_md.eq(markdown), mm::body_html.eq(html.as_str()), mm::updated_at.eq(now)))
                    .execute(conn)?;
                if updated == 0 {
                    diesel::insert_into(mm::table)
                        .values((
                            mm::petition_id.eq(&petition.id),
                            mm::reached.eq(m.reached),
                            mm::body_md.eq(markdown),
                            mm::body_html.eq(html.as_str()),
                            mm::updated_at.eq(now),
                        ))
                        .execute(conn)?;
                }
            }
        }
    }
    Ok(petition)
}

/// The petition's messages, by milestone: (milestone, Markdown).
pub fn of(conn: &mut DbConnection, petition: &Id) -> Result<Vec<(i64, String)>, PetitionError> {
    Ok(mm::table
        .filter(mm::petition_id.eq(petition))
        .order(mm::reached.asc())
        .select((mm::reached, mm::body_md))
        .load(conn)?)
}

/// The message to add to the note of `reached`, sanitized, if the organizers wrote one.
pub fn html_for(conn: &mut DbConnection, petition: &Id, reached: i64) -> Result<Option<SafeHtml>, PetitionError> {
    let html: Option<String> = mm::table
        .filter(mm::petition_id.eq(petition))
        .filter(mm::reached.eq(reached))
        .select(mm::body_html)
        .first(conn)
        .optional()?;
    // Sanitized before it was stored, as the petition's text.
    Ok(html.map(SafeHtml::from_stored))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milestones_are_powers_of_ten_and_the_goal() {
        assert_eq!(&thresholds(250)[..4], &[100, 250, 1_000, 10_000]);
        assert_eq!(thresholds(1_000).iter().filter(|m| **m == 1_000).count(), 1);
        assert_eq!(thresholds(0).last(), Some(&LAST_POWER));
        assert_eq!(offered(250), vec![100, 250, 1_000]);
        assert_eq!(offered(2), vec![2, 100, 1_000]);
    }
}
