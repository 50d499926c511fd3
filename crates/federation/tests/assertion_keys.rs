#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions
//! The instance actor's Ed25519 assertion key, on both backends: made once, even when many
//! requests ask for it at the same time, then read back as the same key; and which of a
//! remote actor's published Multikeys are kept.

use diesel::prelude::*;
use serde_json::json;
use signons_federation::actors::{published_keys, RemoteActorJson};
use signons_federation::{keys, proof};
use signons_store::schema::ap_assertion_keys as a;
use signons_store::testing::{TempDatabase, TestBackend};
use url::Url;

async fn made_once(backend: TestBackend) {
    let temp = TempDatabase::new(backend);
    let db = temp.open();
    let actor = Url::parse("https://signons.example/actor").unwrap();
    let racing: Vec<_> = (0..8)
        .map(|_| {
            let (db, actor) = (db.clone(), actor.clone());
            tokio::spawn(async move { keys::assertion_key(&db, &actor).await.unwrap() })
        })
        .collect();
    let mut made = Vec::new();
    for task in racing {
        made.push(task.await.unwrap());
    }
    let first = &made[0];
    assert!(first.public_multibase.starts_with("z6Mk"), "{}", first.public_multibase);
    for key in &made {
        assert_eq!(key.public_multibase, first.public_multibase, "every racer got the stored key");
        assert_eq!(key.signing.to_bytes(), first.signing.to_bytes());
    }
    let rows = db
        .read(|conn| -> Result<i64, signons_federation::FederationError> { Ok(a::table.count().get_result(conn)?) })
        .unwrap();
    assert_eq!(rows, 1);
    // Read back later: the same key, and it proves what it signs.
    let again = keys::assertion_key(&db, &actor).await.unwrap();
    assert_eq!(again.public_multibase, first.public_multibase);
    let method = Url::parse("https://signons.example/actor#ed25519-key").unwrap();
    let signed = proof::sign(&json!({"type": "Note"}), &again.signing, &method, chrono::Utc::now()).unwrap();
    let public = proof::decode_public_key_multibase(&first.public_multibase).unwrap();
    proof::verify(&signed, &public).unwrap();
    // Another actor gets another key.
    let other = keys::assertion_key(&db, &Url::parse("https://signons.example/o/friends").unwrap()).await.unwrap();
    assert_ne!(other.public_multibase, first.public_multibase);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn made_once_on_sqlite() {
    made_once(TestBackend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn made_once_on_postgres() {
    made_once(TestBackend::Postgres).await;
}

#[test]
fn only_the_actors_own_ed25519_multikeys_are_kept() {
    let good = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";
    let other = proof::public_key_multibase(&proof::generate_key().verifying_key());
    let actor = "https://petitions.example.org/actor";
    let key = |id: &str, controller: &str, multibase: &str| json!({ "id": id, "type": "Multikey", "controller": controller, "publicKeyMultibase": multibase });
    let document = |method: serde_json::Value| -> RemoteActorJson {
        serde_json::from_value(json!({
            "type": "Application",
            "id": actor,
            "inbox": format!("{actor}/inbox"),
            "publicKey": { "id": format!("{actor}#main-key"), "owner": actor, "publicKeyPem": "-----BEGIN PUBLIC KEY-----" },
            "assertionMethod": method,
        }))
        .unwrap()
    };
    let kept = published_keys(&document(json!([
        key(&format!("{actor}#ed25519-key"), actor, good),
        key(&format!("{actor}#second"), actor, &other),
        // Another actor's document, or controller; no fragment; a duplicate id.
        key("https://petitions.example.org/o/friends#ed25519-key", actor, good),
        key(&format!("{actor}#third"), "https://evil.example/actor", good),
        key(actor, actor, good),
        key(&format!("{actor}#ed25519-key"), actor, &other),
        // Not Ed25519, not a Multikey, a bare reference.
        key(&format!("{actor}#p256"), actor, "zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169"),
        { "id": format!("{actor}#jwk"), "type": "JsonWebKey", "controller": actor },
        format!("{actor}#ed25519-key"),
    ])));
    let ids: Vec<_> = kept.iter().map(|k| (k.id.as_str(), k.public_key_multibase.as_str())).collect();
    assert_eq!(
        ids,
        [(format!("{actor}#ed25519-key").as_str(), good), (format!("{actor}#second").as_str(), other.as_str())]
    );
    // A single object rather than an array, and none at all.
    assert_eq!(published_keys(&document(key(&format!("{actor}#k"), actor, good))).len(), 1);
    assert!(published_keys(&document(serde_json::Value::Null)).is_empty());
}
