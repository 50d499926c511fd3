//! The decision maker's response: what the petition's target answered, posted by its
//! organizers and shown at the top of its page (as the UK Parliament's petitions site shows
//! the government's). One per petition: a later one replaces it.

use crate::fields::{self, FieldErrors};
use crate::organization::Organizer;
use crate::petition::{owned, Petition};
use crate::{PetitionError, SafeHtml};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use signons_store::schema::petition_responses as pr;
use signons_store::{DbConnection, Id};
use std::collections::HashMap;

/// The longest name of who answered, in characters.
pub const RESPONDER_MAX: usize = 120;
/// The longest response, in characters of Markdown.
pub const RESPONSE_MAX: usize = 10_000;

/// A response as stored and shown.
#[derive(Debug, Clone, Serialize)]
pub struct Response {
    /// Who answered ("The Mayor of Lyon").
    pub responder: String,
    pub markdown: String,
    pub html: SafeHtml,
    /// When it was first posted, and when last replaced.
    pub posted_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A response, once checked: who answered, and the text in Markdown, rendered and
/// sanitized as petition texts are.
#[derive(Debug, Clone)]
pub struct ResponseInput {
    responder: String,
    markdown: String,
    html: SafeHtml,
}

impl ResponseInput {
    pub fn parse(responder: &str, text: &str) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let responder = errors.check(fields::text("responder", responder, 2, RESPONDER_MAX, false));
        let markdown = errors.check(fields::text("text", text, 10, RESPONSE_MAX, true));
        match (responder, markdown) {
            (Some(responder), Some(markdown)) if errors.is_empty() => {
                let html = SafeHtml::from_markdown(&markdown);
                Ok(ResponseInput { responder, markdown, html })
            }
            _ => Err(errors),
        }
    }

    pub fn responder(&self) -> &str {
        &self.responder
    }

    pub fn markdown(&self) -> &str {
        &self.markdown
    }
}

/// Records the response on a published petition (open, closed or won), replacing any
/// earlier one. Drafts have no decision maker listening yet; hidden and removed petitions
/// take no change.
pub fn record(
    conn: &mut DbConnection,
    organizer: &Organizer,
    slug: &str,
    input: &ResponseInput,
) -> Result<Petition, PetitionError> {
    let petition = owned(conn, organizer, slug)?;
    if !petition.is_public() {
        return Err(PetitionError::InvalidTransition { from: petition.status.as_str(), action: "given a response" });
    }
    let now = signons_store::now();
    // Replaced in place, or added: update first (the connection is for both backends, and
    // diesel's portable connection has no ON CONFLICT); the caller's transaction holds both.
    let replaced = diesel::update(pr::table.filter(pr::petition_id.eq(&petition.id)))
        .set((
            pr::responder.eq(&input.responder),
            pr::body_md.eq(&input.markdown),
            pr::body_html.eq(input.html.as_str()),
            pr::updated_at.eq(now),
        ))
        .execute(conn)?;
    if replaced == 0 {
        diesel::insert_into(pr::table)
            .values((
                pr::petition_id.eq(&petition.id),
                pr::responder.eq(&input.responder),
                pr::body_md.eq(&input.markdown),
                pr::body_html.eq(input.html.as_str()),
                pr::created_at.eq(now),
                pr::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(petition)
}

/// The petition's response, if one was posted.
pub fn of(conn: &mut DbConnection, petition: &Id) -> Result<Option<Response>, PetitionError> {
    Ok(of_many(conn, std::slice::from_ref(petition))?.remove(petition))
}

/// The responses posted to any of `petitions` (a page of a list), by petition.
pub fn of_many(conn: &mut DbConnection, petitions: &[Id]) -> Result<HashMap<Id, Response>, PetitionError> {
    let rows = pr::table
        .filter(pr::petition_id.eq_any(petitions))
        .select((pr::petition_id, pr::responder, pr::body_md, pr::body_html, pr::created_at, pr::updated_at))
        .load::<(Id, String, String, String, NaiveDateTime, NaiveDateTime)>(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, responder, markdown, html, posted_at, updated_at)| {
            // Sanitized before it was stored, as the petition's text.
            let html = SafeHtml::from_stored(html);
            (id, Response { responder, markdown, html, posted_at, updated_at })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn who_and_what_are_both_required() {
        let errors = ResponseInput::parse("", "short").unwrap_err();
        let fields: Vec<_> = errors.0.iter().map(|e| (e.field, e.code)).collect();
        assert_eq!(fields, [("responder", "error-required"), ("text", "error-too-short")]);
    }

    #[test]
    fn the_text_is_markdown_made_safe() {
        let input = ResponseInput::parse("The Mayor", "We **agree**. <script>alert(1)</script>").unwrap();
        assert!(input.html.as_str().contains("<strong>agree</strong>"), "{}", input.html.as_str());
        assert!(!input.html.as_str().contains("<script"), "{}", input.html.as_str());
        assert_eq!(input.responder(), "The Mayor");
    }
}
