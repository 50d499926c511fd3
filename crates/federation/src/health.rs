//! Remote instances we cannot reach. The delivery worker notes, per instance (`host[:port]`),
//! since when every delivery there failed, and forgets it at the first one that goes
//! through (or is refused: a 4xx comes from a server that is there). An instance failing
//! for `instance_gone_days` is gone: the maintenance tick purges its queued and dead
//! deliveries, its actors' follows of ours and the actors we keep of it, so that its
//! retries stop filling the queue and its followers stop getting deliveries queued.

use crate::FederationError;
use diesel::prelude::*;
use signons_store::jobs::{self, Queue};
use signons_store::schema::{
    ap_followers as f, ap_following as fing, ap_remote_actors as ra, ap_unreachable_instances as u,
};
use signons_store::DbConnection;

/// A delivery to `host` failed (a network error or a 5xx): it is failing since now,
/// unless it was already.
pub fn failed(conn: &mut DbConnection, host: &str) -> Result<(), FederationError> {
    let now = signons_store::now();
    signons_store::on_each_backend!(conn, |c| diesel::insert_into(u::table)
        .values((u::host.eq(host), u::failing_since.eq(now), u::last_failure_at.eq(now)))
        .on_conflict(u::host)
        .do_update()
        .set(u::last_failure_at.eq(now))
        .execute(c))?;
    Ok(())
}

/// `host` answered a delivery: it is not failing.
pub fn reached(conn: &mut DbConnection, host: &str) -> Result<(), FederationError> {
    diesel::delete(u::table.filter(u::host.eq(host))).execute(conn)?;
    Ok(())
}

/// Since when deliveries to `host` fail, if they do.
pub fn failing_since(conn: &mut DbConnection, host: &str) -> Result<Option<chrono::NaiveDateTime>, FederationError> {
    Ok(u::table.find(host).select(u::failing_since).first(conn).optional()?)
}

/// What `purge_gone` removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Purged {
    pub instances: Vec<String>,
    pub deliveries: usize,
    pub followers: usize,
    pub actors: usize,
}

/// Purges what is kept for the instances every delivery to which failed for `days` days:
/// their deliveries (queued or dead), the follows of our actors by their actors, and
/// their actors (except those this instance follows: an admin unfollows them).
pub fn purge_gone(conn: &mut DbConnection, days: i64) -> Result<Purged, FederationError> {
    let before = signons_store::now() - chrono::TimeDelta::days(days);
    let hosts: Vec<String> = u::table.filter(u::failing_since.lt(before)).select(u::host).load(conn)?;
    if hosts.is_empty() {
        return Ok(Purged::default());
    }
    let deliveries = jobs::drop_partitions(conn, Queue::Delivery, &hosts)?;
    let followers = diesel::delete(f::table.filter(f::follower_host.eq_any(&hosts))).execute(conn)?;
    let followed = fing::table.select(fing::remote_actor);
    let still_following = f::table.select(f::follower);
    let actors = diesel::delete(
        ra::table
            .filter(ra::host.eq_any(&hosts))
            .filter(ra::url.ne_all(followed))
            .filter(ra::url.ne_all(still_following)),
    )
    .execute(conn)?;
    diesel::delete(u::table.filter(u::host.eq_any(&hosts))).execute(conn)?;
    Ok(Purged { instances: hosts, deliveries, followers, actors })
}
