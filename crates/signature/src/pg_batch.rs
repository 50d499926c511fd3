//! PostgreSQL: new signatures are written many per statement. Each signing request for a
//! new address joins a batch; a batch is one data-modifying statement (the signatures,
//! and a confirmation-email job for each one inserted) and so one commit, however many
//! signatures it holds. Under light load a batch holds one signature and adds no wait;
//! under load, requests gather while earlier batches run, so commits per second stay few
//! while signatures per second grow. Every caller gets its answer after the commit.

use crate::emails::SignatureEmail;
use crate::links::Links;
use crate::network::NetworkHash;
use crate::{SignatureError, ValidSignature};
use chrono::TimeDelta;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable, Text, Timestamp};
use signons_petition::Petition;
use signons_render::Locale;
use signons_store::jobs::{JobState, Queue};
use signons_store::{Database, DbConnection, Id, StoreError};
use std::sync::{Arc, OnceLock};
use tokio::sync::{mpsc, oneshot, Semaphore};

/// The most signatures one statement writes (18 parameters each, well under PostgreSQL's
/// 65,535).
const MAX_BATCH: usize = 256;
/// Batches written at once (each on its own pooled connection).
const IN_FLIGHT: usize = 4;

/// One new signature, as the statement needs it.
pub(crate) struct NewSignature<'a> {
    pub petition: &'a Petition,
    pub sig: &'a ValidSignature,
    pub locale: Locale,
    pub prepared: &'a Links,
    pub confirm_ttl: TimeDelta,
    pub network: Option<&'a NetworkHash>,
}

/// A new signature waiting for its batch.
pub(crate) struct Pending {
    pub petition: Arc<Petition>,
    pub sig: ValidSignature,
    pub locale: Locale,
    pub prepared: Arc<Links>,
    pub confirm_ttl: TimeDelta,
    pub network: Option<NetworkHash>,
}

impl Pending {
    fn row(&self) -> NewSignature<'_> {
        NewSignature {
            petition: &self.petition,
            sig: &self.sig,
            locale: self.locale,
            prepared: &self.prepared,
            confirm_ttl: self.confirm_ttl,
            network: self.network.as_ref(),
        }
    }
}

struct Waiting {
    new: Pending,
    reply: oneshot::Sender<bool>,
}

/// The queue new signatures wait in, and the task that writes their batches (started on
/// first use, on the database of that use).
#[derive(Clone, Default)]
pub struct PgSignBatcher {
    sender: Arc<OnceLock<mpsc::Sender<Waiting>>>,
}

impl PgSignBatcher {
    /// Writes `new` in the next batch. `true` if it was inserted; `false` if the address
    /// had signed already (or its batch failed): the caller then takes the general path,
    /// which handles every case one signature at a time.
    pub(crate) async fn insert(&self, db: &Database, new: Pending) -> Result<bool, SignatureError> {
        let sender = self.sender.get_or_init(|| {
            let (sender, inbox) = mpsc::channel(MAX_BATCH * IN_FLIGHT * 4);
            tokio::spawn(write_batches(db.clone(), inbox));
            sender
        });
        let (reply, answer) = oneshot::channel();
        sender.send(Waiting { new, reply }).await.map_err(|_| StoreError::Cancelled)?;
        Ok(answer.await.map_err(|_| StoreError::Cancelled)?)
    }
}

async fn write_batches(db: Database, mut inbox: mpsc::Receiver<Waiting>) {
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    while let Some(first) = inbox.recv().await {
        let Ok(permit) = slots.clone().acquire_owned().await else { return };
        // Everything that arrived while the earlier batches ran joins this one.
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match inbox.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let db = db.clone();
        tokio::spawn(async move {
            let (news, replies): (Vec<Pending>, Vec<oneshot::Sender<bool>>) =
                batch.into_iter().map(|w| (w.new, w.reply)).unzip();
            let n = news.len();
            let written = db
                .autocommit_async(move |conn| match conn {
                    DbConnection::Pg(c) => {
                        let rows: Vec<NewSignature<'_>> = news.iter().map(Pending::row).collect();
                        insert_new(c, &rows).map_err(StoreError::from)
                    }
                    DbConnection::Sqlite(_) => Ok(vec![false; n]),
                })
                .await;
            let inserted = written.unwrap_or_else(|e| {
                tracing::warn!(error = %e, signatures = n, "a batch of new signatures failed; each goes the general way");
                vec![false; n]
            });
            for (reply, inserted) in replies.into_iter().zip(inserted) {
                // The caller may have gone away (request cancelled); the write stands.
                let _ = reply.send(inserted);
            }
            drop(permit);
        });
    }
}

#[derive(QueryableByName)]
struct InsertedId {
    #[diesel(sql_type = Text)]
    id: String,
}

/// Inserts the signatures of new addresses and queues a confirmation-email job for each
/// one inserted (a reference to the signature: `emails::SignatureEmail`), in one statement (data-modifying CTEs: all of it or nothing). An address
/// that already signed (or is pending, or comes twice in `rows`) is skipped; the answer
/// says, for each row, whether it was inserted.
///
/// Kept in step with `signing::sign_in` (the signature row) and `MailQueue::enqueue_reference`
/// (the email job); a test proves both paths write the same rows.
pub(crate) fn insert_new(conn: &mut diesel::PgConnection, rows: &[NewSignature<'_>]) -> QueryResult<Vec<bool>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let now = signons_store::now();
    let mut ids = Vec::with_capacity(rows.len());
    let mut payloads = Vec::with_capacity(rows.len());
    for row in rows {
        let (id, job_id) = (Id::new(), Id::new());
        let payload = SignatureEmail::confirm(&id, &row.prepared.nonce)
            .to_payload()
            .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
        ids.push((id, job_id));
        payloads.push(payload);
    }
    let mut query = diesel::sql_query(
        "WITH input (id, petition_id, name, email, email_canonical, country, postal_code, comment, public, opt_in, \
                     locale, confirm_token_hash, withdraw_token_hash, token_expires_at, created_at, network_hash, \
                     source, job_id, job_payload) AS (VALUES ",
    )
    .into_boxed::<Pg>();
    // Placeholders are numbered by hand: a raw query's binds fill `$1`, `$2`, … in order.
    let mut n = 0usize;
    let mut next = || {
        n += 1;
        format!("${n}")
    };
    for (i, (row, ((id, job_id), payload))) in rows.iter().zip(ids.iter().zip(payloads.iter())).enumerate() {
        let (sig, prepared) = (row.sig, row.prepared);
        let placeholders: Vec<String> = (0..19).map(|_| next()).collect();
        query = query
            .sql(format!("{}({})", if i == 0 { "" } else { ", " }, placeholders.join(", ")))
            .bind::<Text, _>(id)
            .bind::<Text, _>(&row.petition.id)
            .bind::<Text, _>(&sig.name)
            .bind::<Text, _>(sig.email.address())
            .bind::<Text, _>(sig.email.canonical())
            .bind::<Nullable<Text>, _>(&sig.country)
            .bind::<Nullable<Text>, _>(&sig.postal_code)
            .bind::<Nullable<Text>, _>(&sig.comment)
            .bind::<Bool, _>(sig.public)
            .bind::<Bool, _>(sig.opt_in)
            .bind::<Text, _>(row.locale.code())
            .bind::<Text, _>(prepared.confirm.hash())
            .bind::<Text, _>(prepared.withdraw.hash())
            .bind::<Timestamp, _>(now + row.confirm_ttl)
            .bind::<Timestamp, _>(now)
            .bind::<Nullable<Text>, _>(row.network.map(NetworkHash::as_str))
            .bind::<Text, _>(sig.source)
            .bind::<Text, _>(job_id)
            .bind::<Text, _>(payload);
    }
    let (queue, state) = (next(), next());
    let inserted: Vec<InsertedId> = query
        .sql(format!(
            "), new_signature AS ( \
               INSERT INTO signatures (id, petition_id, name, email, email_canonical, country, postal_code, \
                                       comment, public, opt_in, locale, confirm_token_hash, withdraw_token_hash, \
                                       token_expires_at, created_at, network_hash, source) \
               SELECT id, petition_id, name, email, email_canonical, country, postal_code, comment, public, \
                      opt_in, locale, confirm_token_hash, withdraw_token_hash, token_expires_at, created_at, \
                      network_hash, source \
               FROM input \
               ON CONFLICT (petition_id, email_canonical) DO NOTHING \
               RETURNING id), \
             new_job AS ( \
               INSERT INTO jobs (id, queue, partition_key, payload, state, attempts, run_at, created_at) \
               SELECT input.job_id, {queue}, NULL, input.job_payload, {state}, 0, input.created_at, input.created_at \
               FROM input JOIN new_signature ON new_signature.id = input.id) \
             SELECT id FROM new_signature"
        ))
        .bind::<Text, _>(Queue::Email)
        .bind::<Text, _>(JobState::Queued)
        .load(conn)?;
    let inserted: std::collections::HashSet<&str> = inserted.iter().map(|r| r.id.as_str()).collect();
    Ok(ids.iter().map(|(id, _)| inserted.contains(id.as_str())).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SignatureInput;
    use signons_store::testing::{TempDatabase, TestBackend};

    fn context() -> crate::SigningContext {
        crate::SigningContext {
            renderer: signons_render::Renderer::new().unwrap(),
            queue: signons_mail::MailQueue::new(),
            public_url: "http://petitions.test".into(),
            confirm_ttl: TimeDelta::hours(1),
            pg_batch: PgSignBatcher::default(),
            recipients: crate::recipients::RecipientLimits::unlimited(),
            link_key: crate::links::LinkKey::generate(),
        }
    }

    /// Many new signers at once on PostgreSQL (so in shared batches): each address is
    /// one row with one email job, and a repeated address (in one batch or not) is one row.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn many_new_signers_at_once_postgres() {
        use signons_store::schema::signatures as s;
        let temp = TempDatabase::new(TestBackend::Postgres);
        let db = temp.open();
        let ctx = context();
        let petition = db.write(signons_petition::testing::sample_petition).unwrap().1;
        let mut tasks = Vec::new();
        for i in 0..300 {
            let (db, ctx, petition) = (db.clone(), ctx.clone(), petition.clone());
            let email = if i % 50 == 0 { "twice@example.org".to_owned() } else { format!("new{i}@example.org") };
            tasks.push(tokio::spawn(async move {
                let input = SignatureInput { name: format!("Signer {i}"), email, ..Default::default() };
                crate::signing::sign_petition(&db, &ctx, &petition, &input, Locale::En, None).await
            }));
        }
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        let (rows, twice, emails) = db
            .read(|conn| -> Result<_, SignatureError> {
                Ok((
                    s::table.filter(s::petition_id.eq(&petition.id)).count().get_result::<i64>(conn)?,
                    s::table.filter(s::email_canonical.eq("twice@example.org")).count().get_result::<i64>(conn)?,
                    signons_mail::queue::pending_count(conn)?,
                ))
            })
            .unwrap();
        assert_eq!(rows, 295, "294 distinct addresses and the repeated one");
        assert_eq!(twice, 1);
        assert_eq!(emails, 300, "one email per signing: a confirmation, or 'already signed'");
    }
}
