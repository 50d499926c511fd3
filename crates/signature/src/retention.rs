//! Retention: pending signatures never confirmed are deleted once their link has long
//! expired; personal data of closed petitions is anonymized after a set time, and every
//! link to it (confirm and withdraw) dies with it. Counts are untouched by both.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use signons_store::schema::{petitions, signatures as s, withdraw_tokens};
use signons_store::DbConnection;

/// Deletes pending signatures whose link expired more than `grace` ago (their extra
/// withdraw links go with them: `ON DELETE CASCADE`). The grace period lets a late click
/// still say "expired" rather than "unknown link".
pub fn purge_unconfirmed(conn: &mut DbConnection, now: NaiveDateTime, grace: TimeDelta) -> QueryResult<usize> {
    diesel::delete(s::table.filter(s::confirmed_at.is_null()).filter(s::token_expires_at.lt(now - grace))).execute(conn)
}

/// Blanks the personal data of signatures on petitions closed more than `after` ago.
/// Country and postal code stay (they feed aggregate statistics and name no one).
pub fn anonymize_closed(conn: &mut DbConnection, now: NaiveDateTime, after: TimeDelta) -> QueryResult<usize> {
    let closed_long_ago = petitions::table.filter(petitions::closed_at.lt(now - after)).select(petitions::id);
    let ids: Vec<String> = s::table
        .filter(s::petition_id.eq_any(closed_long_ago))
        .filter(s::anonymized_at.is_null())
        .select(s::id)
        .limit(10_000)
        .load::<signons_store::Id>(conn)?
        .into_iter()
        .map(|id| id.to_string())
        .collect();
    for id in &ids {
        diesel::update(s::table.filter(s::id.eq(id)))
            .set((
                s::name.eq(""),
                s::email.eq(""),
                s::email_canonical.eq(format!("anonymized:{id}")),
                s::comment.eq(None::<String>),
                s::confirm_token_hash.eq(None::<String>),
                s::withdraw_token_hash.eq(None::<String>),
                s::digest.eq(None::<String>),
                s::anonymized_at.eq(Some(now)),
            ))
            .execute(conn)?;
    }
    // The withdraw links sent after the first: once anonymized, no link names the signer.
    diesel::delete(withdraw_tokens::table.filter(withdraw_tokens::signature_id.eq_any(&ids))).execute(conn)?;
    Ok(ids.len())
}
