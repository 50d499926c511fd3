//! Signature counts, kept in sharded counter rows updated in the same transaction as the
//! confirmation or withdrawal, so they are always right and no single row is updated by
//! every signer. A count is the sum of at most `SHARDS` rows, never a COUNT(*), plus the
//! signatures other instances collected for the petition (`petition_origin_counts`, one
//! row per origin, kept by the federation crate), except those of blocked origins.

use diesel::prelude::*;
use rand::Rng;
use signons_store::schema::petition_counters as pc;
use signons_store::schema::petition_origin_counts as oc;
use signons_store::{DbConnection, Id};
use std::collections::HashMap;

pub const SHARDS: i32 = 16;

pub fn add(conn: &mut DbConnection, petition: &Id, delta: i64) -> Result<(), diesel::result::Error> {
    let shard = rand::rng().random_range(0..SHARDS);
    let row = (pc::petition_id.eq(petition), pc::shard.eq(shard), pc::signatures.eq(delta));
    let bump = pc::signatures.eq(pc::signatures + delta);
    // Upserts do not go through the multi-backend connection: the same one on each backend.
    signons_store::on_each_backend!(conn, |c| diesel::insert_into(pc::table)
        .values(row)
        .on_conflict((pc::petition_id, pc::shard))
        .do_update()
        .set(bump)
        .execute(c))?;
    Ok(())
}

/// Confirmed signatures of the petition: its own and those of other instances that count.
pub fn total(conn: &mut DbConnection, petition: &Id) -> Result<i64, diesel::result::Error> {
    Ok(total_by_origin(conn, petition)?.0)
}

/// `total`, and the part of it other instances collected, by origin (`by_origin`).
pub fn total_by_origin(
    conn: &mut DbConnection,
    petition: &Id,
) -> Result<(i64, Vec<(String, i64)>), diesel::result::Error> {
    let origins = by_origin(conn, petition)?;
    Ok((local(conn, petition)? + origins.iter().map(|(_, n)| n).sum::<i64>(), origins))
}

/// Confirmed signatures collected here.
pub fn local(conn: &mut DbConnection, petition: &Id) -> Result<i64, diesel::result::Error> {
    let shards: Vec<i64> = pc::table.filter(pc::petition_id.eq(petition)).select(pc::signatures).load(conn)?;
    Ok(shards.into_iter().sum())
}

/// Confirmed signatures collected by other instances that count (their origin is not
/// blocked), by origin host.
pub fn by_origin(conn: &mut DbConnection, petition: &Id) -> Result<Vec<(String, i64)>, diesel::result::Error> {
    Ok(by_origin_many(conn, std::slice::from_ref(petition))?.remove(petition).unwrap_or_default())
}

/// `by_origin` of several petitions, in one read.
pub fn by_origin_many(
    conn: &mut DbConnection,
    petitions: &[Id],
) -> Result<HashMap<Id, Vec<(String, i64)>>, diesel::result::Error> {
    let rows: Vec<(Id, String, i64)> = oc::table
        .filter(oc::petition_id.eq_any(petitions))
        .filter(oc::counted.eq(true))
        .filter(oc::signatures.gt(0))
        .order((oc::petition_id.asc(), oc::origin_host.asc()))
        .select((oc::petition_id, oc::origin_host, oc::signatures))
        .load(conn)?;
    let mut by = HashMap::new();
    for (id, host, n) in rows {
        by.entry(id).or_insert_with(Vec::new).push((host, n));
    }
    Ok(by)
}

pub fn totals(conn: &mut DbConnection, petitions: &[Id]) -> Result<HashMap<Id, i64>, diesel::result::Error> {
    let rows: Vec<(Id, i64)> =
        pc::table.filter(pc::petition_id.eq_any(petitions)).select((pc::petition_id, pc::signatures)).load(conn)?;
    let remote: Vec<(Id, i64)> = oc::table
        .filter(oc::petition_id.eq_any(petitions))
        .filter(oc::counted.eq(true))
        .select((oc::petition_id, oc::signatures))
        .load(conn)?;
    let mut totals = HashMap::with_capacity(petitions.len());
    for (id, n) in rows.into_iter().chain(remote) {
        *totals.entry(id).or_insert(0) += n;
    }
    Ok(totals)
}

/// The open petitions with the most confirmed signatures, most first (ties: newest first),
/// at most `limit`. One aggregate over the counter rows of open petitions: callers keep the
/// answer for a while (the home page's cache) rather than asking on every request.
pub fn most_signed_open(conn: &mut DbConnection, limit: i64) -> Result<Vec<Id>, diesel::result::Error> {
    use diesel::dsl::sum;
    use signons_petition::PetitionStatus;
    use signons_store::schema::petitions;
    pc::table
        .inner_join(petitions::table)
        .filter(petitions::status.eq(PetitionStatus::Open))
        .group_by(pc::petition_id)
        .select(pc::petition_id)
        .order((sum(pc::signatures).desc(), pc::petition_id.desc()))
        .limit(limit)
        .load(conn)
}
