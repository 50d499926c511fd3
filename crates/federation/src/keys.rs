//! Key pairs of local actors, made on first use and kept in the database: generating an
//! RSA key takes a while, and most petitions are never fetched by another server.

use crate::FederationError;
use diesel::prelude::*;
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
