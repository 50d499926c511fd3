//! Signers' public comments, shown with their names on the petition page: its organizers
//! can hide one (`comment_hidden_at`), which takes it off the page and the API
//! (`signing::recent_public` leaves it out) and keeps it in the export, marked hidden,
//! and can show it again (`unhide`). `list` is what they review, newest first.

use crate::SignatureError;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use signons_store::schema::signatures as s;
use signons_store::{DbConnection, Id};

/// Hides the comment of signature `signature` of petition `petition`: `false` when the
/// petition has no such signature with a comment (nothing changed). Hiding it again keeps
/// the first time. Who may do it is the caller's to check (the petition's organizers).
pub fn hide(conn: &mut DbConnection, petition: &Id, signature: &Id) -> Result<bool, SignatureError> {
    let found: Option<Option<chrono::NaiveDateTime>> = s::table
        .filter(s::id.eq(signature))
        .filter(s::petition_id.eq(petition))
        .filter(s::comment.is_not_null())
        .select(s::comment_hidden_at)
        .first(conn)
        .optional()?;
    match found {
        None => Ok(false),
        Some(Some(_)) => Ok(true),
        Some(None) => {
            diesel::update(s::table.filter(s::id.eq(signature)).filter(s::petition_id.eq(petition)))
                .set(s::comment_hidden_at.eq(signons_store::now()))
                .execute(conn)?;
            Ok(true)
        }
    }
}

/// Shows again a comment its organizers hid: `false` when the petition has no such
/// signature with a comment. Showing one that is shown changes nothing.
pub fn unhide(conn: &mut DbConnection, petition: &Id, signature: &Id) -> Result<bool, SignatureError> {
    let found = diesel::update(
        s::table.filter(s::id.eq(signature)).filter(s::petition_id.eq(petition)).filter(s::comment.is_not_null()),
    )
    .set(s::comment_hidden_at.eq(None::<NaiveDateTime>))
    .execute(conn)?;
    Ok(found > 0)
}

/// A comment as its organizers review it: one that the petition page shows (a confirmed,
/// public signer's), or would show but for `hidden_at`.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = s)]
pub struct Comment {
    pub id: Id,
    pub name: String,
    pub country: Option<String>,
    pub comment: Option<String>,
    pub confirmed_at: Option<NaiveDateTime>,
    #[diesel(column_name = comment_hidden_at)]
    pub hidden_at: Option<NaiveDateTime>,
}

/// How many comments a page of `list` holds.
pub const PAGE: i64 = 50;

/// The page `page` (from 0) of the petition's public comments, newest first, hidden ones
/// included, and whether there is a next page. Comments of signers who did not make their
/// name public are never shown, so they are not listed: there is nothing to hide.
pub fn list(conn: &mut DbConnection, petition: &Id, page: i64) -> Result<(Vec<Comment>, bool), SignatureError> {
    let mut rows: Vec<Comment> = s::table
        .filter(s::petition_id.eq(petition))
        .filter(s::confirmed_at.is_not_null())
        .filter(s::invalidated_at.is_null())
        .filter(s::public.eq(true))
        .filter(s::name.ne(""))
        .filter(s::comment.is_not_null())
        .filter(s::comment.ne(""))
        .order((s::confirmed_at.desc(), s::id.desc()))
        .offset(page.max(0).saturating_mul(PAGE))
        .limit(PAGE + 1)
        .select(Comment::as_select())
        .load(conn)?;
    let more = rows.len() > usize::try_from(PAGE).unwrap_or(usize::MAX);
    rows.truncate(usize::try_from(PAGE).unwrap_or(usize::MAX));
    Ok((rows, more))
}
