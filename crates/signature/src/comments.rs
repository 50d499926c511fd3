//! Signers' public comments, shown with their names on the petition page: its organizers
//! can hide one (`comment_hidden_at`), which takes it off the page and the API
//! (`signing::recent_public` leaves it out) and keeps it in the export, marked hidden.

use crate::SignatureError;
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
