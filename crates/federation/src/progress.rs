//! A petition's progress, told to its followers by a periodic tick: milestones (100,
//! 1,000, 10,000, …, and the goal) as notes, and its count as `Update`s of its actor, at
//! most one per period. What was last told of each petition is its `ap_petition_sync` row.

use crate::actors::{LocalActor, Subject};
use crate::follows::follower_inboxes;
use crate::objects::{thousands, Post, PostKind};
use crate::outgoing::{group_announce, update_group, update_group_by};
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
    let mut body = format!("<p>{} {what}!</p>", petition_link(urls, petition));
    // What the organizers wrote ahead for this milestone, sanitized when it was saved.
    if let Some(message) = signons_petition::milestones::html_for(conn, &petition.id, reached)? {
        body.push_str(message.as_str());
    }
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
    let inboxes = follower_inboxes(conn, urls, &[reference.clone(), org.clone(), LocalRef::Instance])?;
    delivery::enqueue(conn, &update, &inboxes)?;
    // Lemmy takes a community's update only from a moderator (the organization), relayed by
    // the community; it refuses the petition's own, which Mastodon and Signons read.
    let by_org = update_group_by(data, &actor, &urls.actor(&org), &urls.new_activity());
    let announce = group_announce(urls, &petition.slug, &urls.new_activity(), &by_org)?;
    let own = follower_inboxes(conn, urls, &[reference])?;
    delivery::enqueue(conn, &announce, &own)?;
    Ok(())
}

/// How many open petitions the tick reads at a time: a bounded page, so that neither the
/// rows loaded nor the bind parameters of its `IN` lists grow with the instance.
pub const TICK_PAGE: i64 = 500;

/// Periodic: announces milestones and sends the new counts, at most once per
/// `update_every` per petition, for every open petition. Returns how many petitions said
/// something.
pub fn tick(
    conn: &mut DbConnection,
    data: &crate::FederationData,
    update_every: TimeDelta,
) -> Result<usize, FederationError> {
    tick_in_pages(conn, data, update_every, TICK_PAGE)
}

/// `tick`, reading the open petitions `page` at a time, in id order, until all are seen
/// (tests pass a small `page`; production uses `TICK_PAGE`).
fn tick_in_pages(
    conn: &mut DbConnection,
    data: &crate::FederationData,
    update_every: TimeDelta,
    page: i64,
) -> Result<usize, FederationError> {
    let now = signons_store::now();
    let mut after: Option<Id> = None;
    let mut spoke = 0;
    loop {
        let open = signons_petition::petition::list_open_after(conn, after.as_ref(), page)?;
        let Some(last) = open.last() else { break };
        after = Some(last.id.clone());
        let full = open.len() as i64 == page;
        spoke += tick_page(conn, data, update_every, now, open)?;
        if !full {
            break;
        }
    }
    Ok(spoke)
}

/// One page of the tick: what each of `open` reached, against what was last said of it.
fn tick_page(
    conn: &mut DbConnection,
    data: &crate::FederationData,
    update_every: TimeDelta,
    now: NaiveDateTime,
    open: Vec<Petition>,
) -> Result<usize, FederationError> {
    let ids: Vec<Id> = open.iter().map(|p| p.id.clone()).collect();
    let totals = signons_signature::counts::totals(conn, &ids)?;
    // What was last said of each, in one query rather than one per petition.
    let rows: Vec<(Id, i64, i64, NaiveDateTime)> = sync::table
        .filter(sync::petition_id.eq_any(&ids))
        .select((sync::petition_id, sync::last_milestone, sync::last_count_sent, sync::updated_at))
        .load(conn)?;
    let said: HashMap<Id, (i64, i64, NaiveDateTime)> =
        rows.into_iter().map(|(id, m, c, at)| (id, (m, c, at))).collect();
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
    use crate::objects::PostKind;
    use crate::{lifecycle, posts, FederationData, LocalRef};
    use signons_petition::{PetitionError, PetitionInput};
    use signons_store::testing::{TempDatabase, TestBackend};

    /// Open petitions of a goal of one signature, each just published (so followed from
    /// zero).
    fn publish_petitions(conn: &mut DbConnection, urls: &Urls, how_many: usize) -> Result<(), FederationError> {
        let organizer = signons_petition::organization::create_organizer(
            conn,
            "org@example.org",
            "the-org",
            "long enough password",
        )?;
        for n in 1..=how_many {
            let input = PetitionInput {
                title: format!("Petition number {n}"),
                target: "The mayor".into(),
                description: "Shade for the children, and birds.".into(),
                goal: "1".into(),
                ..Default::default()
            };
            let valid = input.validate(chrono::Utc::now().date_naive()).map_err(PetitionError::Invalid)?;
            let petition = signons_petition::petition::create(conn, &organizer, valid, true)?;
            lifecycle::petition_published(conn, urls, &petition)?;
        }
        Ok(())
    }

    fn federation_data(db: &signons_store::Database) -> FederationData {
        FederationData {
            db: db.clone(),
            urls: Urls::new("https://signons.example").unwrap(),
            settings: signons_petition::settings::Shared::named("Signons Example"),
            wake: Default::default(),
            metrics: Default::default(),
            signing: signons_signature::SigningContext::new(
                signons_render::Renderer::new().unwrap(),
                signons_mail::MailQueue::new(),
                "https://signons.example".into(),
                chrono::TimeDelta::hours(1),
            ),
            allow_local: false,
            followers_per_domain: 0,
        }
    }

    #[test]
    fn the_tick_reaches_the_last_page_of_open_petitions() {
        const PAGE: i64 = 2;
        for backend in [TestBackend::Sqlite, TestBackend::Postgres] {
            let temp = TempDatabase::new(backend);
            let db = temp.open();
            let data = federation_data(&db);
            let urls = data.urls.clone();
            // Five open petitions: three pages of two, the last page not full.
            db.write(move |conn| publish_petitions(conn, &urls, 5)).unwrap();
            let open = db.read(|conn| signons_petition::petition::list_open_after(conn, None, 100)).unwrap();
            assert_eq!(open.len(), 5);
            // The one the tick sees last (on the third page) reaches its goal.
            let last = open[4].clone();
            let id = last.id.clone();
            db.write(move |conn| -> Result<(), FederationError> { Ok(signons_signature::counts::add(conn, &id, 1)?) })
                .unwrap();

            let spoke = db.write(move |conn| tick_in_pages(conn, &data, TimeDelta::zero(), PAGE)).unwrap();
            assert_eq!(spoke, 2, "{backend:?}: the last petition's milestone and its count update");
            let slug = last.slug.clone();
            let said = db.read(move |conn| posts::posts_by(conn, &LocalRef::Petition(slug), 10)).unwrap();
            assert_eq!(said.len(), 1, "{backend:?}");
            assert_eq!(said[0].kind, PostKind::Milestone);
            assert!(said[0].body_html.contains("reached its goal of 1 signatures"), "{}", said[0].body_html);
            // Every open petition was looked at; only the last one moved.
            let rows: Vec<(Id, i64, i64)> = db
                .read(|conn| -> Result<_, FederationError> {
                    Ok(sync::table
                        .select((sync::petition_id, sync::last_milestone, sync::last_count_sent))
                        .load(conn)?)
                })
                .unwrap();
            let rows: HashMap<Id, (i64, i64)> = rows.into_iter().map(|(id, m, c)| (id, (m, c))).collect();
            for petition in &open {
                let expected = if petition.id == last.id { (1, 1) } else { (0, 0) };
                assert_eq!(rows.get(&petition.id), Some(&expected), "{backend:?}: {}", petition.slug);
            }
            // Said once: the next tick has nothing new to say.
            let data = federation_data(&db);
            let again = db.write(move |conn| tick_in_pages(conn, &data, TimeDelta::zero(), PAGE)).unwrap();
            assert_eq!(again, 0, "{backend:?}");
        }
    }

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
