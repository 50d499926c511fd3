//! Key pairs of local actors, made on first use and kept in the database: generating an
//! RSA key takes a while, and most petitions are never fetched by another server.

use crate::FederationError;
use diesel::prelude::*;
use signons_store::schema::ap_assertion_keys as a;
use signons_store::schema::ap_local_keys as k;
use signons_store::{Database, DbConnection};
use url::Url;

#[derive(Debug, Clone)]
pub struct KeyPair {
    pub public_pem: String,
    pub private_pem: String,
}

pub async fn for_actor(db: &Database, actor: &Url) -> Result<KeyPair, FederationError> {
    let id = actor.to_string();
    if let Some(keys) = stored_async(db, id.clone()).await? {
        return Ok(keys);
    }
    let pair = tokio::task::spawn_blocking(activitypub_federation::http_signatures::generate_actor_keypair)
        .await
        .map_err(|e| FederationError::Keys(e.to_string()))?
        .map_err(|e| FederationError::Keys(e.to_string()))?;
    let (public_pem, private_pem) = (pair.public_key, pair.private_key);
    let row_id = id.clone();
    // Two requests may race to make the key: the first one stored wins, and the loser's
    // insert does nothing.
    let saved = db
        .write_async(move |conn| -> Result<(), FederationError> {
            let row = (
                k::actor_url.eq(&row_id),
                k::public_key_pem.eq(&public_pem),
                k::private_key_pem.eq(&private_pem),
                k::created_at.eq(signons_store::now()),
            );
            signons_store::on_each_backend!(conn, |c| diesel::insert_into(k::table)
                .values(row)
                .on_conflict(k::actor_url)
                .do_nothing()
                .execute(c))?;
            Ok(())
        })
        .await;
    if let Err(e) = saved {
        tracing::debug!(error = %e, "key pair not stored (made concurrently?)");
    }
    stored_async(db, id).await?.ok_or(FederationError::NotFound)
}

async fn stored_async(db: &Database, id: String) -> Result<Option<KeyPair>, FederationError> {
    db.read_async(move |conn| stored(conn, &id)).await
}

/// The actor's keys, if they were made.
pub fn stored(conn: &mut DbConnection, actor: &str) -> Result<Option<KeyPair>, FederationError> {
    let row: Option<(String, String)> = k::table
        .filter(k::actor_url.eq(actor))
        .select((k::public_key_pem, k::private_key_pem))
        .first(conn)
        .optional()?;
    Ok(row.map(|(public_pem, private_pem)| KeyPair { public_pem, private_pem }))
}

/// A local actor's Ed25519 key pair, for object-integrity proofs; its public half is
/// published as a `Multikey` in the actor's `assertionMethod`.
#[derive(Clone)]
pub struct AssertionKey {
    pub signing: ed25519_dalek::SigningKey,
    /// `publicKeyMultibase` of the public key.
    pub public_multibase: String,
}

impl std::fmt::Debug for AssertionKey {
    // Never the secret key, in logs or panics.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AssertionKey").field("public_multibase", &self.public_multibase).finish_non_exhaustive()
    }
}

/// The actor's assertion key, made and stored the first time it is asked for. Like the RSA
/// keys, two processes (or requests) may race: each inserts its own, only the first insert
/// is kept (the others do nothing), and every one of them returns the stored key.
pub async fn assertion_key(db: &Database, actor: &Url) -> Result<AssertionKey, FederationError> {
    let id = actor.to_string();
    if let Some(key) = stored_assertion_async(db, id.clone()).await? {
        return Ok(key);
    }
    // Cheap, unlike RSA: no need for a blocking thread.
    let signing = crate::proof::generate_key();
    let public = crate::proof::public_key_multibase(&signing.verifying_key());
    let secret = crate::proof::secret_key_multibase(&signing);
    let row_id = id.clone();
    let saved = db
        .write_async(move |conn| -> Result<(), FederationError> {
            let row = (
                a::actor_url.eq(&row_id),
                a::public_key_multibase.eq(&public),
                a::secret_key_multibase.eq(&secret),
                a::created_at.eq(signons_store::now()),
            );
            signons_store::on_each_backend!(conn, |c| diesel::insert_into(a::table)
                .values(row)
                .on_conflict(a::actor_url)
                .do_nothing()
                .execute(c))?;
            Ok(())
        })
        .await;
    if let Err(e) = saved {
        tracing::debug!(error = %e, "assertion key not stored (made concurrently?)");
    }
    stored_assertion_async(db, id).await?.ok_or(FederationError::NotFound)
}

async fn stored_assertion_async(db: &Database, id: String) -> Result<Option<AssertionKey>, FederationError> {
    db.read_async(move |conn| stored_assertion(conn, &id)).await
}

/// The actor's assertion key, if it was made.
pub fn stored_assertion(conn: &mut DbConnection, actor: &str) -> Result<Option<AssertionKey>, FederationError> {
    let row: Option<(String, String)> = a::table
        .filter(a::actor_url.eq(actor))
        .select((a::public_key_multibase, a::secret_key_multibase))
        .first(conn)
        .optional()?;
    let Some((public_multibase, secret)) = row else {
        return Ok(None);
    };
    let signing = crate::proof::decode_secret_key_multibase(&secret)?;
    // A row whose halves disagree would publish one key and sign with another.
    if crate::proof::public_key_multibase(&signing.verifying_key()) != public_multibase {
        return Err(FederationError::Keys(format!(
            "the stored assertion key of {actor} does not match its public key"
        )));
    }
    Ok(Some(AssertionKey { signing, public_multibase }))
}
