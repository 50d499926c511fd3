//! The activities we accept, and what each one does. Each is checked against its sender
//! (the library has already verified the HTTP signature of `actor`): an actor may only
//! undo its own follow, accept a follow sent to it, or create, update and delete objects
//! of its own host.

use crate::actors::{LocalActor, RemoteActor};
use crate::follows::FollowState;
use crate::outgoing::{self, Accept, WithContext};
use crate::remote::{self, GroupJson, NoteJson, RemoteGroup};
use crate::urls::{host_of, same_host};
use crate::{delivery, FederationContext, FederationData, FederationError, Urls};
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::traits::Activity;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use signons_store::schema::{ap_followers as f, ap_following as fing};
use url::Url;

/// The activity types we act on; anything else is acknowledged and ignored.
pub const ACCEPTED_TYPES: [&str; 9] =
    ["Follow", "Accept", "Reject", "Undo", "Create", "Announce", "Update", "Delete", "Sign"];

/// The part every activity shares. `object` is kept as JSON: it may be an id or an
/// embedded object, and each type reads it its own way.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Envelope {
    pub id: Url,
    pub actor: Url,
    pub object: Value,
    /// `Sign`, and the `Accept`/`Reject` of one: the attestations it carries or answers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attestations: Vec<Value>,
    /// Every other member, so that a `Sign` can be kept exactly as received (its proof).
    #[serde(flatten)]
    pub rest: serde_json::Map<String, Value>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(tag = "type")]
pub enum Incoming {
    Follow(Envelope),
    Accept(Envelope),
    Reject(Envelope),
    Undo(Envelope),
    Create(Envelope),
    Announce(Envelope),
    Update(Envelope),
    Delete(Envelope),
    Sign(Envelope),
}

impl Incoming {
    pub fn envelope(&self) -> &Envelope {
        match self {
            Incoming::Follow(e)
            | Incoming::Accept(e)
            | Incoming::Reject(e)
            | Incoming::Undo(e)
            | Incoming::Create(e)
            | Incoming::Announce(e)
            | Incoming::Update(e)
            | Incoming::Delete(e)
            | Incoming::Sign(e) => e,
        }
    }

    /// The body of an inbox request, read as the library reads it, then checked as `verify`
    /// checks it: everything done to an activity before any database or network use. Pure,
    /// so that it can be fuzzed (`fuzz/fuzz_targets/inbox_activity.rs`).
    pub fn parse(body: &[u8]) -> Result<Incoming, FederationError> {
        let incoming: Incoming = serde_json::from_slice(body)?;
        incoming.check()?;
        Ok(incoming)
    }

    /// What `verify` checks, without its context: the object has an id, and what is
    /// created, updated or deleted is the sender's own.
    pub fn check(&self) -> Result<(), FederationError> {
        let e = self.envelope();
        if matches!(self, Incoming::Undo(_)) && object_type(&e.object) == Some("Sign") {
            // Names the attestations it withdraws, not one object (see `sign`).
            return Ok(());
        }
        let object = required_id(&e.object)?;
        match self {
            // What is created, updated or deleted must be the sender's own. (A boost may be
            // of anything: `announce` keeps only boosts of the sender's own posts.)
            Incoming::Create(_) | Incoming::Update(_) | Incoming::Delete(_) => same_host(&e.actor, &object)?,
            Incoming::Announce(_)
            | Incoming::Follow(_)
            | Incoming::Accept(_)
            | Incoming::Reject(_)
            | Incoming::Undo(_)
            | Incoming::Sign(_) => {}
        }
        Ok(())
    }
}

/// The id of an object given as a URL or embedded.
pub fn object_id(object: &Value) -> Option<Url> {
    match object {
        Value::String(s) => Url::parse(s).ok(),
        Value::Object(map) => map.get("id").and_then(Value::as_str).and_then(|s| Url::parse(s).ok()),
        _ => None,
    }
}

fn object_type(object: &Value) -> Option<&str> {
    object.get("type").and_then(Value::as_str)
}

fn required_id(object: &Value) -> Result<Url, FederationError> {
    object_id(object).ok_or_else(|| FederationError::Invalid("object has no id".into()))
}

#[async_trait::async_trait]
impl Activity for Incoming {
    type DataType = FederationData;
    type Error = FederationError;

    fn id(&self) -> &Url {
        &self.envelope().id
    }

    fn actor(&self) -> &Url {
        &self.envelope().actor
    }

    async fn verify(&self, _: &FederationContext) -> Result<(), FederationError> {
        self.check()
    }

    async fn receive(self, data: &FederationContext) -> Result<(), FederationError> {
        match self {
            Incoming::Follow(e) => follow(e, data).await,
            Incoming::Accept(e) if !e.attestations.is_empty() => sign_answer(e, data, None).await,
            Incoming::Reject(e) if !e.attestations.is_empty() => {
                let reason = e.rest.get("reason").cloned().unwrap_or_default();
                let reason: crate::sign::RejectReason = serde_json::from_value(reason)?;
                sign_answer(e, data, Some(reason)).await
            }
            Incoming::Accept(e) => answer(e, data, FollowState::Accepted).await,
            Incoming::Reject(e) => answer(e, data, FollowState::Rejected).await,
            Incoming::Sign(e) => {
                let mut raw = serde_json::to_value(&e)?;
                raw["type"] = "Sign".into();
                // Signed by the sending instance's assertion key, over the whole activity:
                // what is kept can be checked again later, by anyone.
                crate::proof::verify_from(data, &raw, &e.actor).await?;
                crate::sign::receive(e, raw.to_string(), data).await.map(|_| ())
            }
            Incoming::Undo(e) => undo(e, data).await,
            Incoming::Create(e) => create(e.object, &e.actor, data).await,
            Incoming::Announce(e) => announce(e, data).await,
            Incoming::Update(e) => update(e, data).await,
            Incoming::Delete(e) => delete(e, data).await,
        }
    }
}

/// A petition of another instance answers a `Sign` of ours: `reason` is a refusal's. The
/// sender must be the petition: only its answers about its own signatures count.
async fn sign_answer(
    e: Envelope,
    data: &FederationContext,
    reason: Option<crate::sign::RejectReason>,
) -> Result<(), FederationError> {
    let ids: Vec<Url> = e.attestations.iter().filter_map(object_id).collect();
    let answer = if reason.is_some() { crate::sent::SentAnswer::Rejected } else { crate::sent::SentAnswer::Accepted };
    let fed = (**data).clone();
    let petition = e.actor.clone();
    let answered =
        data.db.write_async(move |conn| crate::sent::answered(conn, &fed, &petition, &ids, answer, reason)).await?;
    data.signing.queue.wake();
    tracing::info!(host = host_of(&e.actor).unwrap_or_default(), %answer, answered, "answer to a Sign");
    Ok(())
}

/// Someone follows one of our actors: store them and accept.
async fn follow(e: Envelope, data: &FederationContext) -> Result<(), FederationError> {
    let target = required_id(&e.object)?;
    let reference = data.urls.parse_local(&target).ok_or(FederationError::NotFound)?;
    let local = LocalActor::load(data, &reference).await?.filter(|a| !a.is_gone()).ok_or(FederationError::NotFound)?;
    let follower = ObjectId::<RemoteActor>::from(e.actor.clone()).dereference(data).await?;
    let accept = accept_follow(&data.urls, &data.urls.new_activity(), &local.url, &e);
    let inbox = follower.shared_inbox.clone().unwrap_or_else(|| follower.inbox.clone());
    let local_url = local.url.to_string();
    let cap = data.followers_per_domain;
    data.db
        .write_async(move |conn| -> Result<(), FederationError> {
            let follower_url = follower.url.as_str();
            if !crate::follows::below_domain_cap(conn, &local_url, follower_url, &follower.host, cap)? {
                tracing::info!(follower_host = %follower.host, "follow refused: too many followers from that domain");
                return Err(FederationError::Capped(format!(
                    "{} has {cap} followers of this actor already",
                    crate::follows::registrable_domain(&follower.host)
                )));
            }
            diesel::delete(f::table.filter(f::local_actor.eq(&local_url)).filter(f::follower.eq(follower_url)))
                .execute(conn)?;
            diesel::insert_into(f::table)
                .values((
                    f::local_actor.eq(&local_url),
                    f::follower.eq(follower_url),
                    f::follower_host.eq(&follower.host),
                    f::follow_id.eq(e.id.as_str()),
                    f::created_at.eq(signons_store::now()),
                ))
                .execute(conn)?;
            delivery::enqueue(conn, &accept, &[inbox])?;
            Ok(())
        })
        .await?;
    data.wake.notify_one();
    tracing::info!(actor = ?reference, follower_host = %host_of(&e.actor).unwrap_or_default(), "new follower");
    Ok(())
}

/// `Accept` by our actor `local` of the `follow` it received, with id `id`. The follow is
/// restated (its id, its actor, and `local` as its object) so the follower can match it.
pub fn accept_follow(urls: &Urls, id: &Url, local: &Url, follow: &Envelope) -> WithContext<Accept> {
    outgoing::accept_follow(urls, id, local, &follow.id, &follow.actor)
}

/// A server answers a follow of ours.
async fn answer(e: Envelope, data: &FederationContext, state: FollowState) -> Result<(), FederationError> {
    let follow = required_id(&e.object)?;
    let actor = e.actor.to_string();
    let changed = data
        .db
        .write_async(move |conn| -> Result<usize, FederationError> {
            Ok(diesel::update(
                fing::table.filter(fing::follow_id.eq(follow.as_str())).filter(fing::remote_actor.eq(&actor)),
            )
            .set((fing::state.eq(state), fing::updated_at.eq(signons_store::now())))
            .execute(conn)?)
        })
        .await?;
    if changed == 0 {
        return Err(FederationError::Invalid("this answers no follow of ours".into()));
    }
    tracing::info!(host = host_of(&e.actor).unwrap_or_default(), state = %state, "follow answered");
    if state == FollowState::Accepted {
        // What it published before this follow: the activities to come bring only the rest.
        crate::catalog::spawn_backfill(data, e.actor);
    }
    Ok(())
}

/// Unfollow, or the withdrawal of signatures (`Undo(Sign)`). An embedded follow is matched
/// by its follower and the actor it followed: Lemmy restates a follow with a new id.
async fn undo(e: Envelope, data: &FederationContext) -> Result<(), FederationError> {
    if object_type(&e.object) == Some("Sign") {
        return crate::sign::receive_undo(e, data).await.map(|_| ());
    }
    if object_type(&e.object).is_some_and(|t| t != "Follow") {
        return Ok(());
    }
    let follow = required_id(&e.object)?;
    if let Some(inner_actor) = e.object.get("actor").and_then(Value::as_str) {
        if inner_actor != e.actor.as_str() {
            return Err(FederationError::Invalid("an actor can only undo its own follow".into()));
        }
    }
    let followed = e.object.get("object").and_then(object_id);
    let actor = e.actor.to_string();
    data.db.write_async(move |conn| remove_follow(conn, &actor, followed.as_ref(), &follow)).await?;
    Ok(())
}

/// Forgets `follower`'s follow: of `followed` when the `Undo` names it, else the follow
/// with id `follow_id`. Returns how many were forgotten.
pub fn remove_follow(
    conn: &mut signons_store::DbConnection,
    follower: &str,
    followed: Option<&Url>,
    follow_id: &Url,
) -> Result<usize, FederationError> {
    let mine = f::table.filter(f::follower.eq(follower));
    Ok(match followed {
        Some(local) => diesel::delete(mine.filter(f::local_actor.eq(local.as_str()))).execute(conn)?,
        None => diesel::delete(mine.filter(f::follow_id.eq(follow_id.as_str()))).execute(conn)?,
    })
}

/// A note from a server we follow: kept, with the petition it is about.
async fn create(object: Value, actor: &Url, data: &FederationContext) -> Result<(), FederationError> {
    if object_type(&object) != Some("Note") {
        return Ok(());
    }
    let note: NoteJson = serde_json::from_value(object)?;
    same_host(actor, &note.id)?;
    // News of a partner of one of our petitions, addressed to it by the partner itself:
    // relayed as the petition's news.
    let ours = note.audience.as_ref().and_then(|a| data.urls.parse_local(a));
    if let (Some(crate::LocalRef::Petition(slug)), true) = (ours, note.attributed_to == *actor) {
        let urls = data.urls.clone();
        let taken = data.db.write_async(move |conn| crate::partners::receive_news(conn, &urls, &slug, &note)).await?;
        if taken {
            data.wake.notify_one();
        }
        return Ok(());
    }
    let host = host_of(actor).unwrap_or_default();
    let followed = data.db.read_async(move |conn| remote::follows_host(conn, &host)).await?;
    if !followed {
        return Ok(());
    }
    // The petition it is about, when it is a Signons petition of the same server; a note
    // about anything else is kept on its own.
    let petition = match &note.audience {
        Some(audience) if same_host(audience, &note.id).is_ok() => {
            match ObjectId::<RemoteGroup>::from(audience.clone()).dereference(data).await {
                Ok(group) => Some(Url::parse(&group.petition.url)?),
                Err(e) => {
                    tracing::info!(error = %e, "a note's audience is not a petition");
                    None
                }
            }
        }
        _ => None,
    };
    // Its news is emailed naming its organization: known here first (fetched once, kept).
    if petition.is_some() && note.post_kind.as_deref() == Some("news") {
        if let Err(e) = ObjectId::<RemoteActor>::from(note.attributed_to.clone()).dereference(data).await {
            tracing::info!(error = %e, "a news note's author could not be fetched");
        }
    }
    let allow_http = data.allow_local;
    let (urls, queue) = (data.urls.clone(), data.signing.queue.clone());
    let mailed = data
        .db
        .write_async(move |conn| -> Result<bool, FederationError> {
            let new = remote::store_post(conn, &note, petition.as_ref(), allow_http)?;
            // Kept once, mailed once: a note delivered again is not new.
            match petition {
                Some(petition) if new => crate::sent_news::petition_news(conn, &urls, &queue, &note, &petition),
                _ => Ok(false),
            }
        })
        .await?;
    if mailed {
        data.signing.queue.wake();
    }
    Ok(())
}

/// A boost: of a note given by id (fetched) or embedded.
async fn announce(e: Envelope, data: &FederationContext) -> Result<(), FederationError> {
    if same_host(&e.actor, &required_id(&e.object)?).is_err() {
        return Ok(()); // a boost of another server's post: not ours to keep
    }
    let object = match &e.object {
        Value::String(_) => {
            let id = required_id(&e.object)?;
            activitypub_federation::fetch::fetch_object_http::<_, Value>(&id, data).await?.object
        }
        // A group's relay of a `Create` (FEP-1b12, as Signons petitions send): its note.
        Value::Object(map) if map.get("type").and_then(Value::as_str) == Some("Create") => {
            map.get("object").cloned().unwrap_or(Value::Null)
        }
        other => other.clone(),
    };
    create(object, &e.actor, data).await
}

/// An actor changed (its own `Update`: a new name, a new key): its copy here is
/// refreshed. A petition changed (its count, its status): refreshed if we keep it.
async fn update(e: Envelope, data: &FederationContext) -> Result<(), FederationError> {
    if required_id(&e.object)? == e.actor {
        // What else the update says (a petition's count) stands without it.
        if let Err(error) = refresh_actor(&e, data).await {
            tracing::info!(actor = %e.actor, %error, "an actor's update was not taken");
        }
    }
    if object_type(&e.object) != Some("Group") || e.object.get("signatureCount").is_none() {
        return Ok(());
    }
    let group: GroupJson = serde_json::from_value(e.object)?;
    same_host(&e.actor, &group.id)?;
    let host = host_of(&group.id).unwrap_or_default();
    let allow_http = data.allow_local;
    data.db
        .write_async(move |conn| -> Result<(), FederationError> {
            if remote::follows_host(conn, &host)? {
                remote::upsert_petition(conn, &group, allow_http)?;
            }
            Ok(())
        })
        .await
}

/// The sender's own document, as its `Update` carries it, checked as a fetched one is.
async fn refresh_actor(e: &Envelope, data: &FederationContext) -> Result<(), FederationError> {
    use activitypub_federation::traits::Object;
    let json: crate::actors::RemoteActorJson = serde_json::from_value(e.object.clone())?;
    RemoteActor::verify(&json, &e.actor, data).await?;
    RemoteActor::from_json(json, data).await?;
    Ok(())
}

/// Something of the sender's was deleted: a petition, a post, or the actor itself.
async fn delete(e: Envelope, data: &FederationContext) -> Result<(), FederationError> {
    let object = required_id(&e.object)?;
    let actor = e.actor.to_string();
    data.db
        .write_async(move |conn| -> Result<(), FederationError> {
            if object.as_str() == actor {
                diesel::delete(f::table.filter(f::follower.eq(&actor))).execute(conn)?;
            }
            remote::forget(conn, &object)?;
            Ok(())
        })
        .await
}
