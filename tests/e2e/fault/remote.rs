//! A remote instance unreachable for a long time, then back, on SQLite and PostgreSQL:
//! first nothing listens on its port (connections refused), then it answers 503, for many
//! attempts each (the backoff made a second by configuration); activities whose order
//! matters (a `Follow`, then its `Undo`, again and again) are queued before and during the
//! outage. When it is back, every one arrives exactly once, in the order queued. Another
//! instance, up all along, gets its own deliveries meanwhile: one instance's outage holds
//! only its own queue.

use super::*;
use signons_federation::{delivery, outgoing, urls::Urls};

on_both_backends! {
    an_instance_down_for_many_attempts_gets_every_activity_once_in_order => an_instance_down_for_many_attempts_gets_every_activity_once_in_order_sqlite, an_instance_down_for_many_attempts_gets_every_activity_once_in_order_postgres;
}

/// Attempts refused in each phase of the outage, at the least.
const ATTEMPTS: i32 = 4;

/// Queues, for each of `objects`, a `Follow` then its `Undo`, to `inbox`; returns their ids
/// in the order queued.
async fn queue_follow_and_undo(
    db: &signons_store::Database,
    urls: &Urls,
    inbox: &url::Url,
    objects: std::ops::Range<usize>,
) -> Vec<String> {
    let (urls, inbox) = (urls.clone(), inbox.clone());
    db.write_async(move |conn| -> Result<Vec<String>, signons_federation::FederationError> {
        let mut ids = Vec::new();
        for n in objects {
            let object = inbox.join(&format!("/o/group-{n}")).unwrap();
            let follow_id = urls.new_activity();
            let follow = outgoing::follow_activity(&urls, &follow_id, &object);
            let undo_id = urls.new_activity();
            let undo = outgoing::undo_follow_activity(&urls, &undo_id, &follow_id, &object);
            assert_eq!(delivery::enqueue(conn, &follow, std::slice::from_ref(&inbox))?, 1);
            assert_eq!(delivery::enqueue(conn, &undo, std::slice::from_ref(&inbox))?, 1);
            ids.extend([follow_id.to_string(), undo_id.to_string()]);
        }
        Ok(ids)
    })
    .await
    .unwrap()
}

/// The attempts made so far at the oldest delivery still queued (the one that holds its
/// instance's queue).
async fn head_attempts(db: &signons_store::Database) -> i32 {
    db.read_async(|conn| -> Result<i32, signons_store::StoreError> {
        Ok(jobs::table
            .filter(jobs::queue.eq(Queue::Delivery))
            .select(diesel::dsl::max(jobs::attempts))
            .first::<Option<i32>>(conn)?
            .unwrap_or(0))
    })
    .await
    .unwrap()
}

async fn an_instance_down_for_many_attempts_gets_every_activity_once_in_order(backend: Backend) {
    let database = test_database(backend);
    let db = signons_store::Database::connect(&database.url, 2).unwrap();
    let port = free_port();
    let public_url = format!("http://localhost:{port}");
    let urls = Urls::new(&public_url).unwrap();
    let mut process = Process::start_with(
        &database.url_string(),
        port,
        &[
            ("SIGNONS_PUBLIC_URL", public_url.clone()),
            ("SIGNONS_FEDERATION_ALLOW_LOCAL", "true".into()),
            ("SIGNONS_FEDERATION_RETRY_SECONDS", "1".into()),
            ("SIGNONS_FEDERATION_MAX_RETRY_SECONDS", "1".into()),
        ],
    );
    process.ready().await;

    // The remote instance is down: its port refuses connections.
    let reserved = signons_smtp_sink::reserve_port();
    let down_url = inbox_url(reserved.port);
    let (up, up_url) = Inbox::start(Duration::ZERO);
    let mut queued = queue_follow_and_undo(&db, &urls, &down_url, 0..3).await;
    let up_queued = queue_follow_and_undo(&db, &urls, &up_url, 0..3).await;
    // The instance that is up gets its activities while the other is down.
    eventually("the instance that is up to get its activities", DEADLINE, || async {
        (up.answered().len() == up_queued.len()).then_some(())
    })
    .await;
    assert_eq!(up.answered(), up_queued, "in order, once each");
    // ATTEMPTS refused connections at least: the attempt after them may be under way.
    eventually("many refused connections", DEADLINE, || async { (head_attempts(&db).await > ATTEMPTS).then_some(()) })
        .await;

    // It listens again but answers 503, for many attempts more; more activities queue.
    let down = Inbox::start_on(reserved, Duration::ZERO);
    down.refuse(true);
    queued.extend(queue_follow_and_undo(&db, &urls, &down_url, 3..5).await);
    eventually("many 503s", DEADLINE, || async { (down.refused() >= ATTEMPTS as usize).then_some(()) }).await;
    queued.extend(queue_follow_and_undo(&db, &urls, &down_url, 5..6).await);
    assert!(down.answered().is_empty(), "nothing was received while it refused");
    let (attempts, refused) = (head_attempts(&db).await, down.refused());
    // The attempt under way at the end of the first phase may be one of the 503s.
    assert!(
        attempts >= 2 * ATTEMPTS,
        "the oldest delivery was tried again and again: {attempts} attempts, {refused} 503s"
    );

    // Back: every activity arrives once, in the order queued, and the queue empties.
    down.refuse(false);
    wait_drained(&db, Queue::Delivery, "every delivery to be made").await;
    assert_eq!(down.answered(), queued, "every activity once, in the order queued");
    assert_eq!(up.answered(), up_queued, "nothing more to the instance that was up");
    assert_eq!(process.child.try_wait().unwrap(), None);
}
