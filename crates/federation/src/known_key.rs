//! The HTTP signature of an inbox request, checked against the key we already keep for
//! its actor, before the library may fetch anything. The library reads the stored actor
//! first too (`read_from_id`), but when its copy is older than its refresh interval (a
//! day in release builds, 20 seconds in debug ones) it fetches the actor again before it
//! verifies, and when that fetch fails (the actor's server is down) it fetches again at
//! the next request: a forger sending requests in a known actor's name would make us
//! fetch from that server at each one. Here a bad signature from a known actor is refused
//! at once, without any request, unless the stored key is older than `RECHECK_AFTER`
//! and no such refetch was let through for that actor within `RECHECK_AFTER`: then the
//! library may fetch it once (the actor may have changed its key) and verify with that.

use crate::actors::RemoteActor;
use crate::{FederationContext, FederationError};
use actix_web::HttpRequest;
use base64::Engine as _;
use rsa::pkcs8::DecodePublicKey;
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};
use url::Url;

/// How long a stored key is trusted to be the actor's current one: after that, a request
/// it does not verify may fetch the actor again (once: the fetch refreshes the copy).
pub const RECHECK_AFTER: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// The library's window for the `Date` of a signed request (an hour either way of a
/// clock error, see `activitypub_federation::http_signatures`).
const EXPIRES_AFTER: Duration = Duration::from_secs(60 * 60);

/// What the stored key says of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// We keep no key for that actor: the library fetches it.
    Unknown,
    /// Signed with the stored key.
    Verified,
    /// Not signed with the stored key, which is recent (or was refetched lately): refused
    /// without a fetch.
    Refused,
    /// Not signed with the stored key, which is old: the library may fetch the actor again.
    Stale,
}

/// Checks the request's signature with `actor`'s stored key, if we keep one.
pub async fn check(request: &HttpRequest, actor: &Url, data: &FederationContext) -> Result<Verdict, FederationError> {
    let url = actor.to_string();
    let Some(stored) = data.db.read_async(move |conn| RemoteActor::find(conn, &url)).await? else {
        return Ok(Verdict::Unknown);
    };
    if verifies(request, &stored.public_key_pem, &data.urls) {
        return Ok(Verdict::Verified);
    }
    let age = signons_store::now() - stored.fetched_at;
    Ok(if age >= RECHECK_AFTER && may_refetch(actor.as_str()) { Verdict::Stale } else { Verdict::Refused })
}

/// Actors a failing signature was let through to a refetch for, and when: at most one
/// per actor per `RECHECK_AFTER`, in this process. Bounded: entries past their hour are
/// dropped, and a full map refuses refetches until some are.
static REFETCHED: LazyLock<Mutex<HashMap<String, Instant>>> = LazyLock::new(Mutex::default);
const REFETCHED_MAX: usize = 10_000;

fn may_refetch(actor: &str) -> bool {
    let window = RECHECK_AFTER.to_std().unwrap_or(Duration::from_secs(3600));
    let now = Instant::now();
    // Every update leaves the map consistent: a poisoned lock is still usable.
    let mut refetched = REFETCHED.lock().unwrap_or_else(|e| e.into_inner());
    if refetched.get(actor).is_some_and(|at| now.duration_since(*at) < window) {
        return false;
    }
    if refetched.len() >= REFETCHED_MAX {
        refetched.retain(|_, at| now.duration_since(*at) < window);
        if refetched.len() >= REFETCHED_MAX {
            return false;
        }
    }
    refetched.insert(actor.to_owned(), now);
    true
}

/// Whether the request carries a valid draft-cavage signature (as the library checks
/// it: signed `digest`, an unexpired `Date`) by the RSA key `pem`.
fn verifies(request: &HttpRequest, pem: &str, urls: &crate::Urls) -> bool {
    static CONFIG: LazyLock<http_signature_normalization::Config> =
        LazyLock::new(|| http_signature_normalization::Config::new().set_expiration(EXPIRES_AFTER).require_digest());
    let Ok(key) = RsaPublicKey::from_public_key_pem(pem) else { return false };
    let mut headers = BTreeMap::new();
    for (name, value) in request.headers() {
        if let Ok(value) = value.to_str() {
            headers.insert(name.to_string(), value.to_owned());
        }
    }
    // As the library does: a proxy may drop `Host`; the request was sent to us.
    headers.entry("host".to_owned()).or_insert_with(|| urls.host().to_owned());
    let path_and_query = request.uri().path_and_query().map_or("", |p| p.as_str());
    let Ok(unverified) = CONFIG.begin_verify(request.method().as_str(), path_and_query, headers) else {
        return false;
    };
    unverified.verify(|signature, signing_string| {
        let Ok(signature) = base64::engine::general_purpose::STANDARD.decode(signature) else { return false };
        key.verify(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(signing_string.as_bytes()), &signature).is_ok()
    })
}
