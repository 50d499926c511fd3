//! The inbox (shared and per actor): who sent it is checked against the policy before the
//! body is even parsed, and the key must be of the actor's own server; a known actor's
//! signature is checked against its stored key before anything is fetched (`known_key`);
//! then the library verifies the HTTP signature against the sender's key; then the
//! activity id is recorded, so a retried delivery is processed once.

use crate::activities::{Incoming, ACCEPTED_TYPES};
use crate::actors::RemoteActor;
use crate::urls::host_of;
use crate::{known_key, policy, FederationContext, FederationData, FederationError};
use activitypub_federation::actix_web::inbox::{receive_activity_with_hook, ReceiveActivityHook};
use activitypub_federation::config::Data;
use actix_web::web::Bytes;
use actix_web::HttpRequest;
use diesel::prelude::*;
use serde::Deserialize;
use signons_store::schema::ap_received as r;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use url::Url;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Processed,
    /// A type we do not act on.
    Ignored,
    /// Already received.
    Duplicate,
}

/// The server (`host[:port]`) of the `keyId` of a request's `Signature` header: who claims
/// to have signed it, as the inbox's per-host limit counts it.
pub fn signer_host(request: &HttpRequest) -> Option<String> {
    signer(request).as_ref().and_then(host_of)
}

/// The `keyId` of a `Signature` header: who claims to have signed.
fn signer(request: &HttpRequest) -> Option<Url> {
    let header = request.headers().get("signature")?.to_str().ok()?;
    header.split(',').find_map(|part| {
        let value = part.trim().strip_prefix("keyId=")?;
        Url::parse(value.trim_matches('"')).ok()
    })
}

/// What the inbox reads of a body before anything else: enough to apply the policy to the
/// actor and to skip types we do not act on. Public for the fuzz target.
#[derive(Debug, Deserialize)]
pub struct Head {
    pub id: Url,
    #[serde(rename = "type")]
    pub kind: String,
    pub actor: Url,
}

impl Head {
    pub fn parse(body: &[u8]) -> Result<Head, FederationError> {
        Ok(serde_json::from_slice(body)?)
    }

    /// Whether it is of a type we act on (`ACCEPTED_TYPES`); others are acknowledged only.
    pub fn accepted(&self) -> bool {
        ACCEPTED_TYPES.contains(&self.kind.as_str())
    }
}

pub async fn receive(request: HttpRequest, body: Bytes, data: &FederationContext) -> Result<Outcome, FederationError> {
    let key = signer(&request).ok_or(FederationError::Unsigned)?;
    let key_host = host_of(&key).ok_or(FederationError::Unsigned)?;
    if !policy::allows_url(&data.db, &key).await? {
        return Err(FederationError::Blocked(key_host));
    }
    let head = Head::parse(&body)?;
    if !policy::allows_url(&data.db, &head.actor).await? {
        return Err(FederationError::Blocked(host_of(&head.actor).unwrap_or_default()));
    }
    // The library verifies with the actor's key whatever `keyId` says: a key of another
    // server would let one sender pass for another in the per-host limits and the logs.
    if host_of(&head.actor).as_deref() != Some(key_host.as_str()) {
        return Err(FederationError::Invalid("the signing key is not of the actor's server".into()));
    }
    if !head.accepted() {
        return Ok(Outcome::Ignored);
    }
    let id = head.id.to_string();
    let seen = {
        let id = id.clone();
        data.db
            .read_async(move |conn| -> Result<i64, FederationError> {
                Ok(r::table.filter(r::activity_id.eq(id)).count().get_result(conn)?)
            })
            .await?
    };
    if seen > 0 {
        return Ok(Outcome::Duplicate);
    }
    if known_key::check(&request, &head.actor, data).await? == known_key::Verdict::Refused {
        return Err(FederationError::Protocol(activitypub_federation::error::Error::ActivitySignatureInvalid));
    }
    let recorded = Arc::new(AtomicBool::new(false));
    let hook = RecordId { recorded: recorded.clone() };
    match receive_activity_with_hook::<Incoming, RemoteActor, FederationData>(request, body, hook, data).await {
        Ok(_) => Ok(Outcome::Processed),
        Err(FederationError::Duplicate) => Ok(Outcome::Duplicate),
        Err(e) => {
            // Let the sender's retry be processed: forget the id of what failed, but only
            // if this request recorded it. Another delivery of the same activity may have
            // recorded it meanwhile (this one failed before its hook, or lost the race):
            // that one was processed, and a retry must stay a duplicate.
            if recorded.load(Ordering::SeqCst) {
                forget(data, id).await;
            }
            Err(e)
        }
    }
}

async fn forget(data: &FederationContext, id: String) {
    let deleted = data
        .db
        .write_async(move |conn| -> Result<usize, FederationError> {
            Ok(diesel::delete(r::table.filter(r::activity_id.eq(id))).execute(conn)?)
        })
        .await;
    if let Err(e) = deleted {
        tracing::warn!(error = %e, "the id of a failed activity is kept: a retry of it will be ignored");
    }
}

/// Runs once the signature is verified: records the id, or stops a duplicate that raced.
/// `recorded` tells `receive` whether this request's insert is the one that stored it.
struct RecordId {
    recorded: Arc<AtomicBool>,
}

impl ReceiveActivityHook<Incoming, RemoteActor, FederationData> for RecordId {
    async fn hook(
        self,
        activity: &Incoming,
        actor: &RemoteActor,
        data: &Data<FederationData>,
    ) -> Result<(), FederationError> {
        let id = activity.envelope().id.to_string();
        let actor = actor.url.to_string();
        let inserted = data
            .db
            .write_async(move |conn| -> Result<bool, FederationError> {
                // The unique id decides, also when the same activity arrives twice at once.
                let row = (r::activity_id.eq(&id), r::actor.eq(&actor), r::received_at.eq(signons_store::now()));
                let inserted = signons_store::on_each_backend!(conn, |c| diesel::insert_into(r::table)
                    .values(row)
                    .on_conflict(r::activity_id)
                    .do_nothing()
                    .execute(c))?;
                Ok(inserted == 1)
            })
            .await?;
        if inserted {
            self.recorded.store(true, Ordering::SeqCst);
            Ok(())
        } else {
            Err(FederationError::Duplicate)
        }
    }
}

/// Forgets received ids older than `days`: senders stop retrying long before.
pub fn purge_received(conn: &mut signons_store::DbConnection, days: i64) -> Result<usize, FederationError> {
    let before = signons_store::now() - chrono::TimeDelta::days(days);
    Ok(diesel::delete(r::table.filter(r::received_at.lt(before))).execute(conn)?)
}
