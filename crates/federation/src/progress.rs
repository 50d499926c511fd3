//! A petition's progress, told to its followers by a periodic tick: milestones (100,
//! 1,000, 10,000, …, and the goal) as notes, and its count as `Update`s of its actor, at
//! most one per period. What was last told of each petition is its `ap_petition_sync` row.

use crate::actors::{LocalActor, Subject};
use crate::follows::follower_inboxes;
use crate::objects::{thousands, Post, PostKind};
use crate::outgoing::update_group;
use crate::posts::{petition_link, say};
use crate::{delivery, keys, FederationError, LocalRef, Urls};
use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use signons_petition::Petition;
use signons_store::schema::ap_petition_sync as sync;
use signons_store::{DbConnection, Id};
use std::collections::HashMap;

/// A petition just published is followed from zero: its first milestone is announced.
pub(crate) fn start_from_zero(conn: &mut DbConnection, petition: &Id) -> Result<(), FederationError> {
    diesel::delete(sync::table.find(petition)).execute(conn)?;
    diesel::insert_into(sync::table)
        .values((
            sync::petition_id.eq(petition),
            sync::last_milestone.eq(0),
            sync::last_count_sent.eq(0),
            sync::updated_at.eq(signons_store::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// A removed petition has no progress left to tell.
pub(crate) fn forget(conn: &mut DbConnection, petition: &Id) -> Result<(), FederationError> {
    diesel::delete(sync::table.find(petition)).execute(conn)?;
    Ok(())
}

/// 100, 1,000, 10,000, … and the goal.
pub fn highest_milestone(count: i64, goal: i64) -> i64 {
    let mut best = if goal > 0 && count >= goal { goal } else { 0 };
    let mut m: i64 = 100;
    while m <= count {
        best = best.max(m);
        m = match m.checked_mul(10) {
            Some(next) => next,
            None => break,
        };
    }
    best
}

fn milestone(conn: &mut DbConnection, urls: &Urls, petition: &Petition, reached: i64) -> Result<Post, FederationError> {
    let what = if reached == petition.goal {
        format!("reached its goal of {} signatures", thousands(reached))
    } else {
        format!("passed {} signatures", thousands(reached))
    };
    let body = format!("<p>{} {what}!</p>", petition_link(urls, petition));
    say(conn, urls, petition, PostKind::Milestone, body, Some(reached))
}

/// `Update` of the petition's actor (count, status) to everyone who follows it, its
/// organization or the instance. Without a key nobody ever fetched it: nothing to send.
pub fn petition_updated(
    conn: &mut DbConnection,
    data: &crate::FederationData,
    petition: &Petition,
    count: i64,
) -> Result<(), FederationError> {
    let urls = &data.urls;
    let reference = LocalRef::Petition(petition.slug.clone());
    let url = urls.actor(&reference);
    let Some(keys) = keys::stored(conn, url.as_str())? else { return Ok(()) };
    let subject = Subject::Petition { petition: Box::new(petition.clone()), count };
    let actor = LocalActor::new(urls, reference.clone(), subject, keys);
    let update = update_group(data, &actor, &urls.new_activity());
    let org = LocalRef::Organization(petition.organization.slug.clone());
    let inboxes = follower_inboxes(conn, urls, &[reference, org, LocalRef::Instance])?;
    delivery::enqueue(conn, &update, &inboxes)?;
    Ok(())
}

/// Periodic: announces milestones and sends the new counts, at most once per
/// `update_every` per petition. Returns how many petitions said something.
pub fn tick(
    conn: &mut DbConnection,
    data: &crate::FederationData,
    update_every: TimeDelta,
) -> Result<usize, FederationError> {
    let open = signons_petition::petition::list_open(conn, 1000)?;
    let ids: Vec<Id> = open.iter().map(|p| p.id.clone()).collect();
    let totals = signons_signature::counts::totals(conn, &ids)?;
    // What was last said of each, in one query rather than one per petition.
    let mut said: HashMap<Id, (i64, i64, NaiveDateTime)> = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(Id, i64, i64, NaiveDateTime)> = sync::table
            .filter(sync::petition_id.eq_any(chunk))
            .select((sync::petition_id, sync::last_milestone, sync::last_count_sent, sync::updated_at))
            .load(conn)?;
        said.extend(rows.into_iter().map(|(id, m, c, at)| (id, (m, c, at))));
    }
    let now = signons_store::now();
    let mut spoke = 0;
    for petition in open {
        let count = totals.get(&petition.id).copied().unwrap_or(0);
        let Some(&(last_milestone, last_sent, sent_at)) = said.get(&petition.id) else {
            // First sight: start from here, without announcing the past.
            diesel::insert_into(sync::table)
                .values((
                    sync::petition_id.eq(&petition.id),
                    sync::last_milestone.eq(highest_milestone(count, petition.goal)),
                    sync::last_count_sent.eq(count),
                    sync::updated_at.eq(now),
                ))
                .execute(conn)?;
            continue;
        };
        let reached = highest_milestone(count, petition.goal);
        let mut new_milestone = last_milestone;
        if reached > last_milestone {
            milestone(conn, &data.urls, &petition, reached)?;
            new_milestone = reached;
            spoke += 1;
        }
        let (mut new_sent, mut new_at) = (last_sent, sent_at);
        if count != last_sent && now - sent_at >= update_every {
            petition_updated(conn, data, &petition, count)?;
            (new_sent, new_at) = (count, now);
            spoke += 1;
        }
        if (new_milestone, new_sent) != (last_milestone, last_sent) {
            diesel::update(sync::table.find(&petition.id))
                .set((
                    sync::last_milestone.eq(new_milestone),
                    sync::last_count_sent.eq(new_sent),
                    sync::updated_at.eq(new_at),
                ))
                .execute(conn)?;
        }
    }
    Ok(spoke)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milestones_are_powers_of_ten_and_the_goal() {
        assert_eq!(highest_milestone(99, 500), 0);
        assert_eq!(highest_milestone(100, 500), 100);
        assert_eq!(highest_milestone(499, 500), 100);
        assert_eq!(highest_milestone(500, 500), 500);
        assert_eq!(highest_milestone(999, 500), 500);
        assert_eq!(highest_milestone(1_000, 500), 1_000);
        assert_eq!(highest_milestone(12_345, 0), 10_000);
        assert_eq!(highest_milestone(i64::MAX, 0), 1_000_000_000_000_000_000);
    }
}
