//! Signatures across instances (`Sign`): a person signs, on their own instance, a petition
//! that lives on another. Their instance keeps their personal data and sends the petition's
//! instance an attestation of only what the petition asks and the signer made public, with
//! a digest of their email that lets the petition's instance count each person once,
//! whichever instance they signed on. This module holds both sides: the documents, the
//! digest, and what the petition's instance does with a `Sign` and an `Undo(Sign)`.
//!
//! The petition's instance keeps every attestation as received (`remote_signatures`, the
//! `Sign` that carried them once, on the first of their rows) and counts them by origin
//! (`petition_origin_counts`, read by `signons_signature::counts`).
//! Withdrawn attestations keep their row, so a replayed `Sign` never counts twice; an
//! origin that gets blocked leaves the count (`counted`), and comes back when unblocked.

use crate::activities::{object_id, Envelope};
use crate::actors::{assertion_key_id, RemoteActor};
use crate::keys::AssertionKey;
use crate::outgoing::{OutgoingActivity, WithContext};
use crate::urls::{host_of, same_host};
use crate::{delivery, policy, FederationContext, FederationError, LocalRef, Urls};
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::kinds::activity::{AcceptType, RejectType, UndoType};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use signons_petition::PetitionStatus;
use signons_store::schema::{petition_origin_counts as oc, remote_signatures as rs};
use signons_store::{DbConnection, Id};
use std::collections::{BTreeMap, HashMap, HashSet};
use url::Url;

/// Attestations one `Sign` may carry (a batch of signatures confirmed together).
pub const MAX_ATTESTATIONS: usize = 500;
const MAX_NAME: usize = 100;
const MAX_COUNTRY: usize = 64;
const MAX_POSTAL_CODE: usize = 16;

/// The digest of a signer's canonical email for one petition (see
/// `signons_signature::digest`).
pub fn digest(petition: &Url, canonical_email: &str) -> Result<String, FederationError> {
    Ok(signons_signature::digest::of(petition.as_str(), canonical_email))
}

fn is_digest(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// One signature, as the signer's instance attests it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attestation {
    /// Stable for the signature, on the signer's instance: what `Undo(Sign)` names.
    pub id: Url,
    /// The display name, only if the signer made it public.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Only if the petition asks it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// When the signer confirmed, to the second.
    pub confirmed: DateTime<Utc>,
    pub digest: String,
}

/// The signer's instance actor sends attestations for a petition.
#[derive(Debug, Clone, Serialize)]
pub struct Sign {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: Url,
    pub actor: Url,
    pub to: [Url; 1],
    pub object: Url,
    pub attestations: Vec<Attestation>,
}

/// The petition's answer to a `Sign`: the attestations it counted (`Accept`), or those it
/// refused, with why (`Reject`).
#[derive(Debug, Clone, Serialize)]
pub struct Answer<K> {
    #[serde(rename = "type")]
    pub kind: K,
    pub id: Url,
    pub actor: Url,
    pub to: [Url; 1],
    /// The `Sign` answered.
    pub object: Url,
    pub attestations: Vec<Url>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<RejectReason>,
}

impl<K: Serialize> OutgoingActivity for Answer<K> {
    fn id(&self) -> &Url {
        &self.id
    }
    fn actor(&self) -> &Url {
        &self.actor
    }
}

signons_store::text_enum! {
    /// Why a petition's instance refused a signature; shown to the signer in their language
    /// by their instance (which keeps it in `sent_signatures.reason`).
    #[derive(PartialOrd, Ord)]
    pub enum RejectReason {
        /// This person (this digest) already signed the petition, on some instance.
        AlreadySigned = "already-signed",
        /// The petition no longer takes signatures.
        PetitionClosed = "petition-closed",
        /// The petition's instance does not accept signatures from the signer's instance.
        InstanceRefused = "instance-refused",
    }
}

impl<'de> Deserialize<'de> for RejectReason {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        RejectReason::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown reason {s:?}")))
    }
}

/// `Sign` of `attestations` for the petition `petition`, by our instance actor, with its
/// object-integrity proof made with `key` (the instance actor's assertion key: see
/// `keys::assertion_key`), as it is sent.
pub fn proven_sign(
    urls: &Urls,
    key: &AssertionKey,
    petition: &Url,
    attestations: Vec<Attestation>,
) -> Result<Proven, FederationError> {
    let sign = sign_activity(urls, &urls.new_activity(), petition, attestations);
    prove(urls, &sign, &key.signing, Utc::now())
}

/// `Sign` of `attestations` for the petition `petition`, by our instance actor, with id
/// `id`, before its proof.
pub fn sign_activity(urls: &Urls, id: &Url, petition: &Url, attestations: Vec<Attestation>) -> WithContext<Sign> {
    WithContext::new(
        urls,
        Sign {
            kind: "Sign",
            id: id.clone(),
            actor: urls.actor(&LocalRef::Instance),
            to: [petition.clone()],
            object: petition.clone(),
            attestations,
        },
    )
}

/// `sign` with its proof by our instance actor's assertion key `key`, made at `created`.
pub fn prove(
    urls: &Urls,
    sign: &WithContext<Sign>,
    key: &ed25519_dalek::SigningKey,
    created: chrono::DateTime<Utc>,
) -> Result<Proven, FederationError> {
    let actor = urls.actor(&LocalRef::Instance);
    let body = crate::proof::sign(&serde_json::to_value(sign)?, key, &assertion_key_id(&actor), created)?;
    Ok(Proven { body, id: sign.activity.id.clone(), actor })
}

/// An activity with its proof, sent exactly as it was proven.
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct Proven {
    pub body: Value,
    #[serde(skip)]
    pub id: Url,
    #[serde(skip)]
    pub actor: Url,
}

impl OutgoingActivity for Proven {
    fn id(&self) -> &Url {
        &self.id
    }
    fn actor(&self) -> &Url {
        &self.actor
    }
}

/// Queues `sign` (see `proven_sign`) for the petition's `inbox`, in the caller's
/// transaction.
pub fn enqueue_sign(conn: &mut DbConnection, sign: &Proven, inbox: &Url) -> Result<(), FederationError> {
    delivery::enqueue(conn, sign, std::slice::from_ref(inbox))?;
    Ok(())
}

crate::outgoing::outgoing_activity!(Sign, UndoSign);

/// The withdrawal of attestations (`Undo` of a `Sign` naming them).
#[derive(Debug, Clone, Serialize)]
pub struct UndoSign {
    #[serde(rename = "type")]
    pub kind: UndoType,
    pub id: Url,
    pub actor: Url,
    pub to: [Url; 1],
    pub object: SignRef,
}

/// The signatures withdrawn: the petition, and the attestations by id.
#[derive(Debug, Clone, Serialize)]
pub struct SignRef {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub actor: Url,
    pub object: Url,
    pub attestations: Vec<Url>,
}

/// `Undo(Sign)` of the attestations `ids` of ours for `petition`, queued for its `inbox`
/// in the caller's transaction.
pub fn enqueue_undo(
    conn: &mut DbConnection,
    urls: &Urls,
    petition: &Url,
    inbox: &Url,
    ids: Vec<Url>,
) -> Result<Url, FederationError> {
    let undo = undo_sign(urls, &urls.new_activity(), petition, ids);
    delivery::enqueue(conn, &undo, std::slice::from_ref(inbox))?;
    Ok(undo.activity.id)
}

/// `Undo(Sign)` of the attestations `ids` of ours for `petition`, with id `id`.
pub fn undo_sign(urls: &Urls, id: &Url, petition: &Url, ids: Vec<Url>) -> WithContext<UndoSign> {
    let actor = urls.actor(&LocalRef::Instance);
    WithContext::new(
        urls,
        UndoSign {
            kind: UndoType::Undo,
            id: id.clone(),
            actor: actor.clone(),
            to: [petition.clone()],
            object: SignRef { kind: "Sign", actor, object: petition.clone(), attestations: ids },
        },
    )
}

/// An attestation checked against its sender and the petition: what is stored.
fn check(
    value: &Value,
    sender: &Url,
    asks_country: bool,
    asks_postal_code: bool,
    allow_http: bool,
) -> Result<Attestation, FederationError> {
    let mut a: Attestation = serde_json::from_value(value.clone())?;
    // An instance attests only its own signers.
    same_host(sender, &a.id)?;
    crate::urls::remote_link(&a.id, allow_http)?;
    if !is_digest(&a.digest) {
        return Err(FederationError::Invalid("an attestation's digest is not 64 hex digits".into()));
    }
    let text = |v: Option<String>, max: usize, what: &str| -> Result<Option<String>, FederationError> {
        match v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()) {
            Some(s) if s.chars().count() > max || s.chars().any(char::is_control) => {
                Err(FederationError::Invalid(format!("an attestation's {what} is too long or not text")))
            }
            other => Ok(other),
        }
    };
    a.name = text(a.name, MAX_NAME, "name")?;
    // What the petition does not ask is not kept, whatever the sender put there.
    a.country = if asks_country { text(a.country, MAX_COUNTRY, "country")? } else { None };
    a.postal_code = if asks_postal_code { text(a.postal_code, MAX_POSTAL_CODE, "postal code")? } else { None };
    Ok(a)
}

/// What became of each attestation of one `Sign`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub accepted: Vec<Url>,
    pub rejected: BTreeMap<RejectReason, Vec<Url>>,
    /// Received before (a replay or a retry): changed nothing, answered nothing.
    pub repeated: usize,
}

/// A `Sign` for one of our petitions: each attestation is counted under its origin, or
/// refused; the sender gets an `Accept` and/or `Reject`s.
pub async fn receive(e: Envelope, raw: String, data: &FederationContext) -> Result<Outcome, FederationError> {
    let petition_url = object_id(&e.object).ok_or_else(|| FederationError::Invalid("Sign has no object".into()))?;
    let Some(LocalRef::Petition(slug)) = data.urls.parse_local(&petition_url) else {
        return Err(FederationError::NotFound);
    };
    if e.attestations.is_empty() || e.attestations.len() > MAX_ATTESTATIONS {
        return Err(FederationError::Invalid(format!("a Sign carries 1 to {MAX_ATTESTATIONS} attestations")));
    }
    let origin = host_of(&e.actor).ok_or_else(|| FederationError::Invalid("the actor has no host".into()))?;
    let sender = ObjectId::<RemoteActor>::from(e.actor.clone()).dereference(data).await?;
    let inbox = sender.shared_inbox.clone().unwrap_or_else(|| sender.inbox.clone());
    let (urls, sign_id, actor) = (data.urls.clone(), e.id.clone(), e.actor.clone());
    let allow_http = data.allow_local;
    let outcome = data
        .db
        .write_async(move |conn| -> Result<Outcome, FederationError> {
            let petition = match signons_petition::petition::find(conn, &slug) {
                Err(signons_petition::PetitionError::NotFound) => return Err(FederationError::NotFound),
                found => found?,
            };
            if matches!(
                petition.status,
                PetitionStatus::Draft | PetitionStatus::Review | PetitionStatus::Removed | PetitionStatus::Hidden
            ) {
                return Err(FederationError::NotFound);
            }
            let checked = e
                .attestations
                .iter()
                .map(|v| check(v, &actor, petition.ask_country, petition.ask_postal_code, allow_http))
                .collect::<Result<Vec<_>, _>>()?;
            let allowed = policy::allows(conn, &origin)?;
            let open = petition.status == PetitionStatus::Open;
            // What this `Sign`'s attestations already are here, in a few queries whatever
            // their number (up to 500): ids received before, and people already counted.
            let ids: Vec<&str> = checked.iter().map(|a| a.id.as_str()).collect();
            let mut known = received_ids(conn, &ids)?;
            let mut counted = if open && allowed {
                let digests: Vec<&str> = checked.iter().map(|a| a.digest.as_str()).collect();
                counted_digests(conn, &petition.id, &digests)?
            } else {
                HashSet::new()
            };
            let mut outcome = Outcome::default();
            let mut new_rows = Vec::new();
            for a in checked {
                if known.contains(a.id.as_str()) {
                    outcome.repeated += 1;
                    continue;
                }
                let reason = if !open {
                    Some(RejectReason::PetitionClosed)
                } else if !allowed {
                    Some(RejectReason::InstanceRefused)
                } else if counted.contains(&a.digest) {
                    Some(RejectReason::AlreadySigned)
                } else {
                    None
                };
                if let Some(reason) = reason {
                    outcome.rejected.entry(reason).or_default().push(a.id);
                    continue;
                }
                // Taken: the same id or person later in this `Sign` is a repeat.
                known.insert(a.id.to_string());
                counted.insert(a.digest.clone());
                outcome.accepted.push(a.id.clone());
                new_rows.push(a);
            }
            let received_at = signons_store::now();
            for (c, chunk) in new_rows.chunks(INSERT_CHUNK).enumerate() {
                let rows: Vec<_> = chunk
                    .iter()
                    .enumerate()
                    .map(|(i, a)| {
                        // The `Sign` as received, on its first row only (see `received`):
                        // 500 copies of 100 KiB would be written for each full one.
                        let activity = if c == 0 && i == 0 { raw.as_str() } else { KEPT_ON_FIRST_ROW };
                        (
                            rs::attestation_id.eq(a.id.as_str()),
                            rs::petition_id.eq(&petition.id),
                            rs::origin_host.eq(&origin),
                            rs::sign_activity_id.eq(sign_id.as_str()),
                            rs::digest.eq(&a.digest),
                            rs::display_name.eq(&a.name),
                            rs::country.eq(&a.country),
                            rs::postal_code.eq(&a.postal_code),
                            rs::confirmed_at.eq(a.confirmed.naive_utc()),
                            rs::received_at.eq(received_at),
                            rs::activity.eq(activity),
                        )
                    })
                    .collect();
                signons_store::on_each_backend!(&mut *conn, |c| diesel::insert_into(rs::table)
                    .values(&rows)
                    .execute(c))?;
            }
            bump(conn, &petition.id, &origin, outcome.accepted.len() as i64)?;
            answer(conn, &urls, &petition_url, &sign_id, &actor, &inbox, &outcome)?;
            Ok(outcome)
        })
        .await?;
    data.wake.notify_one();
    tracing::info!(
        origin = %host_of(&e.id).unwrap_or_default(),
        accepted = outcome.accepted.len(),
        rejected = outcome.rejected.values().map(Vec::len).sum::<usize>(),
        repeated = outcome.repeated,
        "signatures received"
    );
    Ok(outcome)
}

/// `remote_signatures.activity` of every row of a `Sign` but the first, which holds it.
const KEPT_ON_FIRST_ROW: &str = "";

/// Rows one statement inserts (11 values each: under SQLite's oldest limit of 999).
const INSERT_CHUNK: usize = 64;

/// Which of these attestation ids were received before (withdrawn or not).
fn received_ids(conn: &mut DbConnection, ids: &[&str]) -> Result<HashSet<String>, FederationError> {
    let found: Vec<String> = rs::table.filter(rs::attestation_id.eq_any(ids)).select(rs::attestation_id).load(conn)?;
    Ok(found.into_iter().collect())
}

/// Which of these people (digests) already count for the petition: through another
/// instance, or signed here and confirmed; for many digests in one query.
fn counted_digests(
    conn: &mut DbConnection,
    petition: &Id,
    digests: &[&str],
) -> Result<HashSet<String>, FederationError> {
    use signons_store::schema::signatures as s;
    let remote: Vec<String> = rs::table
        .filter(rs::petition_id.eq(petition))
        .filter(rs::digest.eq_any(digests))
        .filter(rs::withdrawn_at.is_null())
        .select(rs::digest)
        .load(conn)?;
    let here: Vec<Option<String>> = s::table
        .filter(s::petition_id.eq(petition))
        .filter(s::digest.eq_any(digests))
        .filter(s::confirmed_at.is_not_null())
        .select(s::digest)
        .load(conn)?;
    Ok(remote.into_iter().chain(here.into_iter().flatten()).collect())
}

/// Adds `delta` to the petition's count from `origin`.
fn bump(conn: &mut DbConnection, petition: &Id, origin: &str, delta: i64) -> Result<(), FederationError> {
    if delta == 0 {
        return Ok(());
    }
    let row =
        (oc::petition_id.eq(petition), oc::origin_host.eq(origin), oc::signatures.eq(delta), oc::counted.eq(true));
    signons_store::on_each_backend!(conn, |c| diesel::insert_into(oc::table)
        .values(row)
        .on_conflict((oc::petition_id, oc::origin_host))
        .do_update()
        .set(oc::signatures.eq(oc::signatures + delta))
        .execute(c))?;
    Ok(())
}

/// Queues the petition's `Accept` of what it counted and a `Reject` per reason.
fn answer(
    conn: &mut DbConnection,
    urls: &Urls,
    petition: &Url,
    sign: &Url,
    sender: &Url,
    inbox: &Url,
    outcome: &Outcome,
) -> Result<(), FederationError> {
    let to = std::slice::from_ref(inbox);
    if !outcome.accepted.is_empty() {
        let accept = accept_sign(urls, &urls.new_activity(), petition, sign, sender, outcome.accepted.clone());
        delivery::enqueue(conn, &accept, to)?;
    }
    for (reason, ids) in &outcome.rejected {
        let reject = reject_sign(urls, &urls.new_activity(), petition, sign, sender, ids.clone(), *reason);
        delivery::enqueue(conn, &reject, to)?;
    }
    Ok(())
}

/// The petition `petition`'s `Accept` of the attestations `ids` of the `Sign` `sign`
/// from `sender`.
pub fn accept_sign(
    urls: &Urls,
    id: &Url,
    petition: &Url,
    sign: &Url,
    sender: &Url,
    ids: Vec<Url>,
) -> WithContext<Answer<AcceptType>> {
    answer_activity(urls, AcceptType::Accept, id, petition, sign, sender, ids, None)
}

/// The petition's `Reject`, with `reason`, of the attestations `ids`.
pub fn reject_sign(
    urls: &Urls,
    id: &Url,
    petition: &Url,
    sign: &Url,
    sender: &Url,
    ids: Vec<Url>,
    reason: RejectReason,
) -> WithContext<Answer<RejectType>> {
    answer_activity(urls, RejectType::Reject, id, petition, sign, sender, ids, Some(reason))
}

#[allow(clippy::too_many_arguments)] // the fields of the answer, each named at the call
fn answer_activity<K>(
    urls: &Urls,
    kind: K,
    id: &Url,
    petition: &Url,
    sign: &Url,
    sender: &Url,
    attestations: Vec<Url>,
    reason: Option<RejectReason>,
) -> WithContext<Answer<K>> {
    let answer = Answer {
        kind,
        id: id.clone(),
        actor: petition.clone(),
        to: [sender.clone()],
        object: sign.clone(),
        attestations,
        reason,
    };
    WithContext::new(urls, answer)
}

/// `Undo(Sign)`: the signer withdrew. Only attestations of the sender's own host are
/// withdrawn; returns how many were.
pub async fn receive_undo(e: Envelope, data: &FederationContext) -> Result<usize, FederationError> {
    let origin = host_of(&e.actor).ok_or_else(|| FederationError::Invalid("the actor has no host".into()))?;
    let ids: Vec<Url> = e
        .object
        .get("attestations")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(object_id).collect())
        .unwrap_or_default();
    if ids.is_empty() || ids.len() > MAX_ATTESTATIONS {
        return Err(FederationError::Invalid(format!("an Undo(Sign) names 1 to {MAX_ATTESTATIONS} attestations")));
    }
    let withdrawn = data
        .db
        .write_async(move |conn| -> Result<usize, FederationError> {
            let mut withdrawn = 0;
            for id in ids.iter().filter(|id| host_of(id).as_deref() == Some(origin.as_str())) {
                let petition: Option<Id> = diesel::update(
                    rs::table
                        .filter(rs::attestation_id.eq(id.as_str()))
                        .filter(rs::origin_host.eq(&origin))
                        .filter(rs::withdrawn_at.is_null()),
                )
                .set(rs::withdrawn_at.eq(signons_store::now()))
                .returning(rs::petition_id)
                .get_result(conn)
                .optional()?;
                if let Some(petition) = petition {
                    bump(conn, &petition, &origin, -1)?;
                    withdrawn += 1;
                }
            }
            Ok(withdrawn)
        })
        .await?;
    tracing::info!(origin = %host_of(&e.actor).unwrap_or_default(), withdrawn, "signatures withdrawn");
    Ok(withdrawn)
}

/// What a petition's organizers see of the attestations it received: each `Sign` as it
/// was received, proof included, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct Received {
    pub attestation: String,
    pub origin: String,
    pub received_at: chrono::NaiveDateTime,
    pub withdrawn: bool,
    pub activity: Value,
}

/// The columns `received` reads.
#[derive(Queryable, Selectable)]
#[diesel(table_name = rs)]
struct ReceivedRow {
    attestation_id: String,
    origin_host: String,
    received_at: chrono::NaiveDateTime,
    withdrawn_at: Option<chrono::NaiveDateTime>,
    sign_activity_id: String,
    activity: String,
}

pub fn received(conn: &mut DbConnection, petition: &Id, limit: i64) -> Result<Vec<Received>, FederationError> {
    let rows: Vec<ReceivedRow> = rs::table
        .filter(rs::petition_id.eq(petition))
        .order((rs::received_at.desc(), rs::attestation_id.desc()))
        .limit(limit)
        .select(ReceivedRow::as_select())
        .load(conn)?;
    // Each `Sign` is kept on its first row; the others name it by id.
    let elsewhere: Vec<&str> =
        rows.iter().filter(|r| r.activity == KEPT_ON_FIRST_ROW).map(|r| r.sign_activity_id.as_str()).collect();
    let mut signs: HashMap<String, Value> = HashMap::new();
    if !elsewhere.is_empty() {
        let kept: Vec<(String, String)> = rs::table
            .filter(rs::sign_activity_id.eq_any(&elsewhere))
            .filter(rs::activity.ne(KEPT_ON_FIRST_ROW))
            .select((rs::sign_activity_id, rs::activity))
            .load(conn)?;
        for (id, activity) in kept {
            signs.entry(id).or_insert_with(|| serde_json::from_str(&activity).unwrap_or(Value::Null));
        }
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let activity = match r.activity.as_str() {
                KEPT_ON_FIRST_ROW => signs.get(&r.sign_activity_id).cloned().unwrap_or(Value::Null),
                own => serde_json::from_str(own).unwrap_or(Value::Null),
            };
            Received {
                attestation: r.attestation_id,
                origin: r.origin_host,
                received_at: r.received_at,
                withdrawn: r.withdrawn_at.is_some(),
                activity,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_is_keyed_by_the_petition() {
        let a = Url::parse("https://alpha.example/p/trees").unwrap();
        let b = Url::parse("https://alpha.example/p/bees").unwrap();
        let d = digest(&a, "jeanne@example.org").unwrap();
        assert!(is_digest(&d), "{d}");
        assert_eq!(d, digest(&a, "jeanne@example.org").unwrap());
        assert_ne!(d, digest(&b, "jeanne@example.org").unwrap());
        assert_ne!(d, digest(&a, "jeanne2@example.org").unwrap());
        // The construction itself is checked in `signons_signature::digest`.
    }

    #[test]
    fn attestations_keep_only_what_the_petition_asks() {
        let sender = Url::parse("https://beta.example/actor").unwrap();
        let value = serde_json::json!({
            "id": "https://beta.example/attestations/1",
            "name": "  Jeanne L. ",
            "country": "France",
            "postalCode": "75011",
            "confirmed": "2026-12-02T10:00:00Z",
            "digest": "a".repeat(64),
            "email": "jeanne@example.org",
        });
        let checked = check(&value, &sender, true, false, false).unwrap();
        assert_eq!(checked.name.as_deref(), Some("Jeanne L."));
        assert_eq!(checked.country.as_deref(), Some("France"));
        assert_eq!(checked.postal_code, None);
        let other = Url::parse("https://gamma.example/actor").unwrap();
        assert!(check(&value, &other, true, true, false).is_err(), "an instance attests only its own signers");
        let mut bad = value.clone();
        bad["digest"] = "xyz".into();
        assert!(check(&bad, &sender, true, true, false).is_err());
        let mut long = value.clone();
        long["name"] = "n".repeat(101).into();
        assert!(check(&long, &sender, true, true, false).is_err());
        for scheme in ["javascript://beta.example/%0aalert(1)", "http://beta.example/attestations/1"] {
            let mut unsafe_id = value.clone();
            unsafe_id["id"] = scheme.into();
            assert!(check(&unsafe_id, &sender, true, true, false).is_err(), "{scheme}");
        }
        let mut local = value.clone();
        local["id"] = "http://beta.example/attestations/1".into();
        let http_sender = Url::parse("http://beta.example/actor").unwrap();
        assert!(check(&local, &http_sender, true, true, true).is_ok(), "http with federation_allow_local");
    }
}
