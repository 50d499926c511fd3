//! Retention: pending signatures never confirmed are deleted once their link has long
//! expired; personal data of closed petitions is anonymized after a set time, and every
//! link to it (confirm and withdraw) dies with it; on a petition that stays open (one
//! without an end date), personal data is anonymized once it reaches a maximum age, and
//! only the keyed digest stays, so that the same person is still counted once. The
//! signatures this instance sent to petitions elsewhere, and the names other instances
//! sent here, follow the same delays. Counts are untouched by all of them. The keyed hash
//! of the signer's network (`network`) is personal data like the rest: erased with it.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use signons_store::schema::{
    petitions, remote_petitions as rp, remote_signatures as rs, sent_signatures as ss, signatures as s, withdraw_tokens,
};
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
    let closed_long_ago = || petitions::table.filter(petitions::closed_at.lt(now - after)).select(petitions::id);
    let ids: Vec<signons_store::Id> = s::table
        .filter(s::petition_id.eq_any(closed_long_ago()))
        .filter(s::anonymized_at.is_null())
        .select(s::id)
        .limit(10_000)
        .load(conn)?;
    anonymize(conn, &ids, now, false)?;
    // Names other instances sent for those petitions go too (their counts stay).
    diesel::update(rs::table.filter(rs::petition_id.eq_any(closed_long_ago())).filter(rs::display_name.is_not_null()))
        .set(rs::display_name.eq(None::<String>))
        .execute(conn)?;
    Ok(ids.len())
}

/// Blanks the personal data of signatures confirmed more than `max_age` ago, whatever
/// their petition's state (a petition without an end date may stay open for years). The
/// digest stays: if the same person signs again, `signing::confirm` finds it and does
/// not count them twice.
pub fn anonymize_aged(conn: &mut DbConnection, now: NaiveDateTime, max_age: TimeDelta) -> QueryResult<usize> {
    let ids: Vec<signons_store::Id> = s::table
        .filter(s::confirmed_at.lt(now - max_age))
        .filter(s::anonymized_at.is_null())
        .select(s::id)
        .limit(10_000)
        .load(conn)?;
    anonymize(conn, &ids, now, true)?;
    Ok(ids.len())
}

fn anonymize(
    conn: &mut DbConnection,
    ids: &[signons_store::Id],
    now: NaiveDateTime,
    keep_digest: bool,
) -> QueryResult<()> {
    for id in ids {
        let target = s::table.filter(s::id.eq(id));
        let blank = (
            s::name.eq(""),
            s::email.eq(""),
            s::email_canonical.eq(format!("anonymized:{id}")),
            s::comment.eq(None::<String>),
            s::confirm_token_hash.eq(None::<String>),
            s::withdraw_token_hash.eq(None::<String>),
            s::anonymized_at.eq(Some(now)),
            s::network_hash.eq(None::<String>),
        );
        match keep_digest {
            true => diesel::update(target).set(blank).execute(conn)?,
            false => diesel::update(target).set((blank, s::digest.eq(None::<String>))).execute(conn)?,
        };
    }
    // The withdraw links sent after the first: once anonymized, no link names the signer.
    diesel::delete(withdraw_tokens::table.filter(withdraw_tokens::signature_id.eq_any(ids))).execute(conn)?;
    Ok(())
}

/// The signatures this instance sent to petitions of other instances (the signer's name
/// and email stay here; the count lives there): deleted once never confirmed and expired
/// for `grace`, once their petition closed or ended more than `after` ago, and once
/// older than `max_age` (if set). Their withdraw links go with them.
pub fn purge_sent(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    grace: TimeDelta,
    after: TimeDelta,
    max_age: Option<TimeDelta>,
) -> QueryResult<usize> {
    let pending =
        diesel::delete(ss::table.filter(ss::confirmed_at.is_null()).filter(ss::token_expires_at.lt(now - grace)))
            .execute(conn)?;
    let over = rp::table
        .filter(rp::status.eq("closed").and(rp::updated_at.lt(now - after)).or(rp::end_at.lt(now - after)))
        .select(rp::url);
    let closed = diesel::delete(ss::table.filter(ss::petition_url.eq_any(over))).execute(conn)?;
    let aged = match max_age {
        Some(max_age) => diesel::delete(ss::table.filter(ss::created_at.lt(now - max_age))).execute(conn)?,
        None => 0,
    };
    Ok(pending + closed + aged)
}
