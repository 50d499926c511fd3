//! Object-integrity proofs (FEP-8b32): W3C Data Integrity proofs with the cryptosuite
//! `eddsa-jcs-2022` ("Data Integrity EdDSA Cryptosuites v1.0", §3.3), and Ed25519 public keys
//! as FEP-521a `Multikey`s (`publicKeyMultibase`).
//!
//! A proof travels inside the document it proves, so that whoever keeps the document can
//! prove later, to a third party, who made it: an HTTP signature proves only one request.
//! This is what lets a petition's home instance keep the `Sign` activities of other
//! instances as evidence.
//!
//! JCS (RFC 8785) is `serde_json_canonicalizer` rather than `serde_jcs`: it is released
//! regularly, formats numbers with the current `ryu-js` (ECMAScript's number serialization,
//! which RFC 8785 requires), and its own tests run the RFC's examples and the reference
//! implementation's test data; `serde_jcs` went four years between its two releases and
//! pins an older `ryu-js`.

use crate::actors::RemoteActor;
use crate::{FederationContext, FederationError};
use activitypub_federation::fetch::object_id::ObjectId;
use chrono::{DateTime, SecondsFormat, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use thiserror::Error;
use url::Url;

pub const PROOF_TYPE: &str = "DataIntegrityProof";
pub const CRYPTOSUITE: &str = "eddsa-jcs-2022";
pub const PROOF_PURPOSE: &str = "assertionMethod";
/// The contexts that define `assertionMethod`/`Multikey` and `DataIntegrityProof`, for
/// documents that carry them.
pub const MULTIKEY_CONTEXT: &str = "https://w3id.org/security/multikey/v1";
pub const DATA_INTEGRITY_CONTEXT: &str = "https://w3id.org/security/data-integrity/v2";

/// Multicodec `ed25519-pub` (0xed) as an unsigned varint.
const ED25519_PUB: [u8; 2] = [0xed, 0x01];
/// Multicodec `ed25519-priv` (0x1300) as an unsigned varint.
const ED25519_PRIV: [u8; 2] = [0x80, 0x26];
/// Longest multibase strings decoded: base58 decoding is quadratic, and these values come
/// from other servers. A 64-byte signature is at most 88 characters, a 34-byte key 47.
const PROOF_VALUE_MAX: usize = 100;
const KEY_MULTIBASE_MAX: usize = 60;

/// Why a proof cannot be made or is not accepted.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ProofError {
    #[error("the document is not a JSON object")]
    NotAnObject,
    #[error("the document already has a proof")]
    AlreadyProven,
    #[error("the document has no proof")]
    Missing,
    #[error("the proof is not one JSON object")]
    NotOneProof,
    #[error("the proof is not a DataIntegrityProof with cryptosuite eddsa-jcs-2022")]
    Unsupported,
    #[error("the proof's purpose is not assertionMethod")]
    WrongPurpose,
    #[error("invalid proof option: {0}")]
    BadOption(&'static str),
    #[error("the proof has expired")]
    Expired,
    #[error("the proof's @context is not the start of the document's")]
    ContextMismatch,
    #[error("the proofValue is not a base58-btc multibase Ed25519 signature")]
    BadProofValue,
    #[error("the signature does not match the document and the key")]
    BadSignature,
    #[error("not an Ed25519 Multikey: {0}")]
    BadKey(&'static str),
    #[error("the verification method {0} is not an assertion key of {1}")]
    UnknownKey(String, String),
    #[error("JCS canonicalization failed: {0}")]
    Canonicalization(String),
}

/// `document` with a `proof` made by `key`, per eddsa-jcs-2022 "Create Proof" (§3.3.1).
/// `verification_method` is the key's id, as its controller publishes it.
pub fn sign(
    document: &Value,
    key: &SigningKey,
    verification_method: &Url,
    created: DateTime<Utc>,
) -> Result<Value, ProofError> {
    let Value::Object(unsecured) = document else {
        return Err(ProofError::NotAnObject);
    };
    // A second proof would make a proof set, which this suite's verifier here does not
    // handle: refusing is better than replacing a proof someone else made.
    if unsecured.contains_key("proof") {
        return Err(ProofError::AlreadyProven);
    }
    let mut proof = Map::new();
    proof.insert("type".into(), PROOF_TYPE.into());
    proof.insert("cryptosuite".into(), CRYPTOSUITE.into());
    proof.insert("verificationMethod".into(), verification_method.as_str().into());
    proof.insert("proofPurpose".into(), PROOF_PURPOSE.into());
    proof.insert("created".into(), created.to_rfc3339_opts(SecondsFormat::Secs, true).into());
    // Step 2: the proof carries the document's context, so that it means the same thing
    // when it is part of a proof set or chain; it is then part of what is signed.
    if let Some(context) = unsecured.get("@context") {
        proof.insert("@context".into(), context.clone());
    }
    let hash = hash_data(&proof, unsecured)?;
    let signature = key.sign(&hash);
    proof.insert("proofValue".into(), multibase(&signature.to_bytes()).into());
    let mut secured = unsecured.clone();
    secured.insert("proof".into(), Value::Object(proof));
    Ok(Value::Object(secured))
}

/// Checks `document`'s proof against `key`, per eddsa-jcs-2022 "Verify Proof" (§3.3.2). It
/// does not check that `key` is the one the proof's `verificationMethod` names: that is
/// the caller's business (`verify_from` does it for remote actors).
pub fn verify(document: &Value, key: &VerifyingKey) -> Result<(), ProofError> {
    let Value::Object(secured) = document else {
        return Err(ProofError::NotAnObject);
    };
    let options = proof_options(secured)?;
    let mut options = options.clone();
    let proof_value = match options.remove("proofValue") {
        Some(Value::String(value)) => value,
        _ => return Err(ProofError::BadProofValue),
    };
    check_options(&options)?;
    let signature = decode_signature(&proof_value)?;
    let mut unsecured = secured.clone();
    unsecured.remove("proof");
    if let Some(proof_context) = options.get("@context") {
        let Some(document_context) = secured.get("@context") else {
            return Err(ProofError::ContextMismatch);
        };
        if !as_list(document_context).starts_with(as_list(proof_context)) {
            return Err(ProofError::ContextMismatch);
        }
        unsecured.insert("@context".into(), proof_context.clone());
    }
    let hash = hash_data(&options, &unsecured)?;
    // Strict: refuses the malleable signatures and small-order keys that RFC 8032's plain
    // check lets through, so one signed document has one valid proofValue.
    key.verify_strict(&hash, &signature).map_err(|_| ProofError::BadSignature)
}

/// The `verificationMethod` of a document's proof, without checking anything else.
pub fn verification_method(document: &Value) -> Result<Url, ProofError> {
    let Value::Object(secured) = document else {
        return Err(ProofError::NotAnObject);
    };
    match proof_options(secured)?.get("verificationMethod") {
        Some(Value::String(id)) => Url::parse(id).map_err(|_| ProofError::BadOption("verificationMethod")),
        _ => Err(ProofError::BadOption("verificationMethod")),
    }
}

fn proof_options(secured: &Map<String, Value>) -> Result<&Map<String, Value>, ProofError> {
    match secured.get("proof") {
        None => Err(ProofError::Missing),
        Some(Value::Object(proof)) => Ok(proof),
        Some(_) => Err(ProofError::NotOneProof),
    }
}

fn check_options(options: &Map<String, Value>) -> Result<(), ProofError> {
    let text = |name: &str| options.get(name).and_then(Value::as_str);
    if text("type") != Some(PROOF_TYPE) || text("cryptosuite") != Some(CRYPTOSUITE) {
        return Err(ProofError::Unsupported);
    }
    if text("proofPurpose") != Some(PROOF_PURPOSE) {
        return Err(ProofError::WrongPurpose);
    }
    if text("verificationMethod").is_none_or(|id| Url::parse(id).is_err()) {
        return Err(ProofError::BadOption("verificationMethod"));
    }
    if let Some(created) = options.get("created") {
        date(created).ok_or(ProofError::BadOption("created"))?;
    }
    if let Some(expires) = options.get("expires") {
        if date(expires).ok_or(ProofError::BadOption("expires"))? <= Utc::now() {
            return Err(ProofError::Expired);
        }
    }
    Ok(())
}

/// An XML Schema dateTime as proofs write them; RFC 3339 is the form every implementation
/// emits, and a date without a time zone has no single meaning.
fn date(value: &Value) -> Option<DateTime<Utc>> {
    let text = value.as_str()?;
    DateTime::parse_from_rfc3339(text).ok().map(|d| d.with_timezone(&Utc))
}

/// A `@context` as a list: a single value is a list of one.
fn as_list(context: &Value) -> &[Value] {
    match context {
        Value::Array(items) => items,
        other => std::slice::from_ref(other),
    }
}

/// §3.3.4-3.3.5: SHA-256 of the canonical proof configuration, then SHA-256 of the
/// canonical document, joined.
fn hash_data(proof_config: &Map<String, Value>, document: &Map<String, Value>) -> Result<Vec<u8>, ProofError> {
    let mut hash = Sha256::digest(canonical(proof_config)?).to_vec();
    hash.extend_from_slice(&Sha256::digest(canonical(document)?));
    Ok(hash)
}

/// RFC 8785 bytes of a JSON object.
pub fn canonical(value: &Map<String, Value>) -> Result<Vec<u8>, ProofError> {
    serde_json_canonicalizer::to_vec(value).map_err(|e| ProofError::Canonicalization(e.to_string()))
}

/// Multibase base58-btc: 'z' then the base58 (Bitcoin alphabet) digits.
fn multibase(bytes: &[u8]) -> String {
    format!("z{}", bs58::encode(bytes).into_string())
}

fn decode_multibase(text: &str, max: usize) -> Option<Vec<u8>> {
    if text.len() > max {
        return None;
    }
    bs58::decode(text.strip_prefix('z')?).into_vec().ok()
}

fn decode_signature(proof_value: &str) -> Result<Signature, ProofError> {
    let bytes = decode_multibase(proof_value, PROOF_VALUE_MAX).ok_or(ProofError::BadProofValue)?;
    let bytes: [u8; 64] = bytes.try_into().map_err(|_| ProofError::BadProofValue)?;
    Ok(Signature::from_bytes(&bytes))
}

// ---------------------------------------------------------------------------------------
// Multikeys

/// An Ed25519 public key as a Multikey's `publicKeyMultibase` (`z6Mk…`).
pub fn public_key_multibase(key: &VerifyingKey) -> String {
    let mut bytes = ED25519_PUB.to_vec();
    bytes.extend_from_slice(key.as_bytes());
    multibase(&bytes)
}

/// The Ed25519 public key of a `publicKeyMultibase`; refuses other encodings, other key
/// types, other lengths, bytes that are no curve point, and small-order (weak) keys.
pub fn decode_public_key_multibase(text: &str) -> Result<VerifyingKey, ProofError> {
    let bytes = decode_multibase(text, KEY_MULTIBASE_MAX).ok_or(ProofError::BadKey("not base58-btc multibase"))?;
    let raw = bytes.strip_prefix(&ED25519_PUB[..]).ok_or(ProofError::BadKey("not an ed25519-pub multicodec"))?;
    let raw: &[u8; 32] = raw.try_into().map_err(|_| ProofError::BadKey("not 32 bytes"))?;
    let key = VerifyingKey::from_bytes(raw).map_err(|_| ProofError::BadKey("not a point of the curve"))?;
    if key.is_weak() {
        return Err(ProofError::BadKey("a weak key"));
    }
    Ok(key)
}

/// An Ed25519 secret key (its 32-byte seed) as a Multikey's `secretKeyMultibase`, the form
/// it is stored in.
pub fn secret_key_multibase(key: &SigningKey) -> String {
    let mut bytes = ED25519_PRIV.to_vec();
    bytes.extend_from_slice(key.as_bytes());
    multibase(&bytes)
}

pub fn decode_secret_key_multibase(text: &str) -> Result<SigningKey, ProofError> {
    let bytes = decode_multibase(text, KEY_MULTIBASE_MAX).ok_or(ProofError::BadKey("not base58-btc multibase"))?;
    let raw = bytes.strip_prefix(&ED25519_PRIV[..]).ok_or(ProofError::BadKey("not an ed25519-priv multicodec"))?;
    let raw: &[u8; 32] = raw.try_into().map_err(|_| ProofError::BadKey("not 32 bytes"))?;
    Ok(SigningKey::from_bytes(raw))
}

/// A new Ed25519 key pair. The seed comes from `rand`'s thread generator, a CSPRNG seeded
/// from the operating system (as the session tokens are).
pub fn generate_key() -> SigningKey {
    use rand::RngCore;
    let mut seed = [0u8; 32];
    rand::rng().fill_bytes(&mut seed);
    SigningKey::from_bytes(&seed)
}

// ---------------------------------------------------------------------------------------
// Remote actors' keys

/// Checks a document proven by `expected_actor`: the proof's `verificationMethod` must be
/// one of the assertion keys that actor publishes (kept from its document; fetched if the
/// actor is unknown, refetched once if the key is unknown), then the proof must verify
/// with that key.
pub async fn verify_from(
    data: &FederationContext,
    document_with_proof: &Value,
    expected_actor: &Url,
) -> Result<(), FederationError> {
    let method = verification_method(document_with_proof)?;
    // A key id is `{actor}#fragment`: one that names another document cannot be this
    // actor's, and nothing is fetched for it.
    let mut owner = method.clone();
    owner.set_fragment(None);
    if &owner != expected_actor || method.fragment().is_none() {
        return Err(ProofError::UnknownKey(method.to_string(), expected_actor.to_string()).into());
    }
    let id = ObjectId::<RemoteActor>::from(expected_actor.clone());
    let before = signons_store::now();
    let mut actor = id.dereference(data).await?;
    // The actor may have added a key since we kept its document: one refetch, unless the
    // document was just fetched anyway.
    if actor.assertion_key(&method).is_none() && actor.fetched_at < before {
        actor = id.dereference_forced(data).await?;
    }
    let key = actor
        .assertion_key(&method)
        .ok_or_else(|| ProofError::UnknownKey(method.to_string(), expected_actor.to_string()))?;
    verify(document_with_proof, &key)?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    // The W3C vc-di-eddsa test vectors for eddsa-jcs-2022 (see fixtures/proofs/README.md).
    const KEY_PAIR: &str = include_str!("../fixtures/proofs/keyPair.json");
    const UNSIGNED: &str = include_str!("../fixtures/proofs/unsigned.json");
    const CANON_DOC: &str = include_str!("../fixtures/proofs/canonDocJCS.txt");
    const DOC_HASH: &str = include_str!("../fixtures/proofs/docHashJCS.txt");
    const PROOF_CONFIG: &str = include_str!("../fixtures/proofs/proofConfigJCS.json");
    const PROOF_CANON: &str = include_str!("../fixtures/proofs/proofCanonJCS.txt");
    const PROOF_HASH: &str = include_str!("../fixtures/proofs/proofHashJCS.txt");
    const COMBINED_HASH: &str = include_str!("../fixtures/proofs/combinedHashJCS.txt");
    const SIG_HEX: &str = include_str!("../fixtures/proofs/sigHexJCS.txt");
    const SIG_BTC58: &str = include_str!("../fixtures/proofs/sigBTC58JCS.txt");
    const SIGNED: &str = include_str!("../fixtures/proofs/signedJCS.json");

    fn parse(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    fn object(text: &str) -> Map<String, Value> {
        match parse(text) {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn vector_key() -> SigningKey {
        decode_secret_key_multibase(parse(KEY_PAIR)["privateKeyMultibase"].as_str().unwrap()).unwrap()
    }

    fn vector_public() -> VerifyingKey {
        decode_public_key_multibase(parse(KEY_PAIR)["publicKeyMultibase"].as_str().unwrap()).unwrap()
    }

    fn vector_method() -> Url {
        Url::parse(parse(PROOF_CONFIG)["verificationMethod"].as_str().unwrap()).unwrap()
    }

    fn vector_created() -> DateTime<Utc> {
        date(&parse(PROOF_CONFIG)["created"]).unwrap()
    }

    #[test]
    fn key_pair_of_the_vectors() {
        let key = vector_key();
        assert_eq!(public_key_multibase(&key.verifying_key()), parse(KEY_PAIR)["publicKeyMultibase"]);
        assert_eq!(key.verifying_key(), vector_public());
        assert_eq!(secret_key_multibase(&key), parse(KEY_PAIR)["privateKeyMultibase"]);
        assert!(public_key_multibase(&vector_public()).starts_with("z6Mk"));
    }

    #[test]
    fn canonical_forms_and_hashes_of_the_vectors() {
        let document = object(UNSIGNED);
        let canonical_document = canonical(&document).unwrap();
        assert_eq!(String::from_utf8(canonical_document.clone()).unwrap(), CANON_DOC.trim());
        assert_eq!(hex(&Sha256::digest(&canonical_document)), DOC_HASH.trim());
        let config = object(PROOF_CONFIG);
        let canonical_config = canonical(&config).unwrap();
        assert_eq!(String::from_utf8(canonical_config.clone()).unwrap(), PROOF_CANON.trim());
        assert_eq!(hex(&Sha256::digest(&canonical_config)), PROOF_HASH.trim());
        assert_eq!(hex(&hash_data(&config, &document).unwrap()), COMBINED_HASH.trim());
    }

    #[test]
    fn signing_reproduces_the_vectors_byte_for_byte() {
        let signed = sign(&parse(UNSIGNED), &vector_key(), &vector_method(), vector_created()).unwrap();
        let proof_value = signed["proof"]["proofValue"].as_str().unwrap();
        assert_eq!(proof_value, SIG_BTC58.trim());
        assert_eq!(hex(&bs58::decode(&proof_value[1..]).into_vec().unwrap()), SIG_HEX.trim());
        // The whole signed credential, proof options and copied @context included.
        assert_eq!(signed, parse(SIGNED));
    }

    #[test]
    fn the_vectors_signed_credential_verifies() {
        verify(&parse(SIGNED), &vector_public()).unwrap();
        assert_eq!(verification_method(&parse(SIGNED)).unwrap(), vector_method());
    }

    #[test]
    fn a_document_without_context_gets_a_proof_without_context() {
        let key = generate_key();
        let method = Url::parse("https://signons.example/actor#ed25519-key").unwrap();
        let document = json!({ "type": "Sign", "actor": "https://signons.example/actor", "n": 1.5e300 });
        let signed = sign(&document, &key, &method, Utc::now()).unwrap();
        assert!(signed["proof"].get("@context").is_none());
        assert_eq!(signed["proof"]["type"], "DataIntegrityProof");
        assert_eq!(signed["proof"]["cryptosuite"], "eddsa-jcs-2022");
        assert_eq!(signed["proof"]["proofPurpose"], "assertionMethod");
        assert_eq!(signed["proof"]["verificationMethod"], method.as_str());
        assert!(signed["proof"]["created"].as_str().unwrap().ends_with('Z'));
        verify(&signed, &key.verifying_key()).unwrap();
        assert_eq!(verify(&signed, &generate_key().verifying_key()), Err(ProofError::BadSignature));
    }

    #[test]
    fn sign_refuses_what_it_cannot_prove() {
        let method = vector_method();
        assert_eq!(sign(&json!([1]), &vector_key(), &method, Utc::now()), Err(ProofError::NotAnObject));
        let signed = parse(SIGNED);
        assert_eq!(sign(&signed, &vector_key(), &method, Utc::now()), Err(ProofError::AlreadyProven));
    }

    /// Every change to the document, anywhere, breaks the proof.
    #[test]
    fn tampering_with_the_document_fails() {
        let signed = parse(SIGNED);
        let key = vector_public();
        type Change = Box<dyn Fn(&mut Value)>;
        let changes: Vec<(&str, Change)> = vec![
            ("id", Box::new(|d| d["id"] = json!("urn:uuid:00000000-d8ba-11ed-83dd-0b3aef56cc33"))),
            ("type", Box::new(|d| d["type"] = json!(["VerifiableCredential"]))),
            ("name", Box::new(|d| d["name"] = json!("Alumni Credential "))),
            ("description", Box::new(|d| d["description"] = json!(null))),
            ("issuer", Box::new(|d| d["issuer"] = json!("https://vc.example/issuers/5679"))),
            ("validFrom", Box::new(|d| d["validFrom"] = json!("2023-01-01T00:00:01Z"))),
            ("nested", Box::new(|d| d["credentialSubject"]["alumniOf"] = json!("Another School"))),
            ("added", Box::new(|d| d["extra"] = json!(true))),
            ("removed", Box::new(|d| _ = d.as_object_mut().unwrap().remove("name"))),
            ("number type", Box::new(|d| d["credentialSubject"]["id"] = json!(1))),
            // The document's context must still start with the proof's.
            ("context replaced", Box::new(|d| d["@context"] = json!(["https://www.w3.org/ns/credentials/v2"]))),
        ];
        for (what, change) in changes {
            let mut tampered = signed.clone();
            change(&mut tampered);
            assert!(verify(&tampered, &key).is_err(), "{what}");
        }
        // Removing the document's context too.
        let mut tampered = signed.clone();
        tampered.as_object_mut().unwrap().remove("@context");
        assert_eq!(verify(&tampered, &key), Err(ProofError::ContextMismatch));
    }

    /// Every proof option is signed: changing, adding or removing one breaks the proof, and
    /// the wrong type, cryptosuite or purpose are refused as such.
    #[test]
    fn tampering_with_the_proof_options_fails() {
        let signed = parse(SIGNED);
        let key = vector_public();
        let with = |name: &str, value: Value| {
            let mut d = signed.clone();
            d["proof"][name] = value;
            verify(&d, &key)
        };
        let without = |name: &str| {
            let mut d = signed.clone();
            d["proof"].as_object_mut().unwrap().remove(name);
            verify(&d, &key)
        };
        assert_eq!(with("type", json!("Ed25519Signature2020")), Err(ProofError::Unsupported));
        assert_eq!(with("cryptosuite", json!("eddsa-rdfc-2022")), Err(ProofError::Unsupported));
        assert_eq!(with("cryptosuite", json!(["eddsa-jcs-2022"])), Err(ProofError::Unsupported));
        assert_eq!(without("type"), Err(ProofError::Unsupported));
        assert_eq!(without("cryptosuite"), Err(ProofError::Unsupported));
        assert_eq!(with("proofPurpose", json!("authentication")), Err(ProofError::WrongPurpose));
        assert_eq!(without("proofPurpose"), Err(ProofError::WrongPurpose));
        assert_eq!(with("created", json!("2023-02-24T23:36:39Z")), Err(ProofError::BadSignature));
        assert_eq!(with("created", json!("yesterday")), Err(ProofError::BadOption("created")));
        assert_eq!(without("created"), Err(ProofError::BadSignature));
        assert_eq!(
            with("verificationMethod", json!("https://signons.example/actor#ed25519-key")),
            Err(ProofError::BadSignature)
        );
        assert_eq!(with("verificationMethod", json!("not a url")), Err(ProofError::BadOption("verificationMethod")));
        assert_eq!(without("verificationMethod"), Err(ProofError::BadOption("verificationMethod")));
        assert_eq!(with("nonce", json!("1234")), Err(ProofError::BadSignature));
        assert_eq!(with("expires", json!("2020-01-01T00:00:00Z")), Err(ProofError::Expired));
        assert_eq!(with("expires", json!("2999-01-01T00:00:00Z")), Err(ProofError::BadSignature));
        // A shorter proof context that the document still starts with: the hash changes.
        assert_eq!(with("@context", json!(["https://www.w3.org/ns/credentials/v2"])), Err(ProofError::BadSignature));
        assert_eq!(with("@context", json!(["https://example.org/other"])), Err(ProofError::ContextMismatch));
        assert_eq!(without("@context"), Err(ProofError::BadSignature));
    }

    #[test]
    fn malformed_proofs_are_refused() {
        let signed = parse(SIGNED);
        let key = vector_public();
        let value = SIG_BTC58.trim();
        let with_value = |v: Value| {
            let mut d = signed.clone();
            d["proof"]["proofValue"] = v;
            verify(&d, &key)
        };
        // One character changed, still base58: another signature.
        let mut changed = value.to_owned();
        changed.replace_range(10..11, if &value[10..11] == "A" { "B" } else { "A" });
        assert!(matches!(with_value(json!(changed)), Err(ProofError::BadSignature | ProofError::BadProofValue)));
        assert_eq!(with_value(json!(&value[1..])), Err(ProofError::BadProofValue), "no multibase prefix");
        assert_eq!(with_value(json!(format!("u{}", &value[1..]))), Err(ProofError::BadProofValue));
        assert_eq!(with_value(json!(&value[..value.len() - 4])), Err(ProofError::BadProofValue), "short");
        assert_eq!(with_value(json!(format!("{value}2"))), Err(ProofError::BadProofValue), "long");
        assert_eq!(with_value(json!("z0OIl")), Err(ProofError::BadProofValue), "not base58");
        assert_eq!(with_value(json!(42)), Err(ProofError::BadProofValue));
        assert_eq!(with_value(json!("z".repeat(10_000))), Err(ProofError::BadProofValue));
        let mut d = signed.clone();
        d["proof"].as_object_mut().unwrap().remove("proofValue");
        assert_eq!(verify(&d, &key), Err(ProofError::BadProofValue));
        let mut d = signed.clone();
        d.as_object_mut().unwrap().remove("proof");
        assert_eq!(verify(&d, &key), Err(ProofError::Missing));
        let mut d = signed.clone();
        d["proof"] = json!([signed["proof"].clone()]);
        assert_eq!(verify(&d, &key), Err(ProofError::NotOneProof));
        assert_eq!(verify(&json!("text"), &key), Err(ProofError::NotAnObject));
    }

    #[test]
    fn another_key_fails() {
        assert_eq!(verify(&parse(SIGNED), &generate_key().verifying_key()), Err(ProofError::BadSignature));
    }

    /// The spec lets a document add contexts after the ones its proof was made with.
    #[test]
    fn a_longer_document_context_still_verifies() {
        let mut d = parse(SIGNED);
        d["@context"].as_array_mut().unwrap().push(json!("https://w3id.org/security/data-integrity/v2"));
        verify(&d, &vector_public()).unwrap();
    }

    #[test]
    fn multikeys_are_ed25519_public_keys_only() {
        let good = parse(KEY_PAIR)["publicKeyMultibase"].as_str().unwrap().to_owned();
        let raw = bs58::decode(&good[1..]).into_vec().unwrap();
        assert_eq!(&raw[..2], &[0xed, 0x01]);
        let encode = |bytes: &[u8]| format!("z{}", bs58::encode(bytes).into_string());
        let bad = |text: &str| decode_public_key_multibase(text).unwrap_err();
        // secp256k1-pub (0xe7 0x01), P-256 (0x80 0x24), the secret-key prefix.
        assert_eq!(
            bad(&encode(&[&[0xe7, 0x01], &raw[2..]].concat())),
            ProofError::BadKey("not an ed25519-pub multicodec")
        );
        assert_eq!(
            bad(&encode(&[&[0x80, 0x24], &raw[2..]].concat())),
            ProofError::BadKey("not an ed25519-pub multicodec")
        );
        assert_eq!(
            bad(parse(KEY_PAIR)["privateKeyMultibase"].as_str().unwrap()),
            ProofError::BadKey("not an ed25519-pub multicodec")
        );
        assert_eq!(bad(&encode(&raw[..33])), ProofError::BadKey("not 32 bytes"));
        assert_eq!(bad(&encode(&[raw.as_slice(), &[0]].concat())), ProofError::BadKey("not 32 bytes"));
        assert_eq!(bad(&good[1..]), ProofError::BadKey("not base58-btc multibase"));
        assert_eq!(bad(""), ProofError::BadKey("not base58-btc multibase"));
        assert_eq!(bad("z"), ProofError::BadKey("not an ed25519-pub multicodec"));
        assert_eq!(bad(&format!("{good}{}", "1".repeat(100))), ProofError::BadKey("not base58-btc multibase"));
        // The identity point is on the curve but of small order.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(bad(&encode(&[&[0xed, 0x01], &identity[..]].concat())), ProofError::BadKey("a weak key"));
        for _ in 0..20 {
            let key = generate_key().verifying_key();
            let text = public_key_multibase(&key);
            assert!(text.starts_with("z6Mk"), "{text}");
            assert_eq!(decode_public_key_multibase(&text).unwrap(), key);
        }
    }

    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
            ".{0,40}".prop_map(Value::from),
            "z[1-9A-HJ-NP-Za-km-z]{0,100}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
                prop::collection::btree_map(
                    prop_oneof![
                        Just("proof".to_owned()),
                        Just("@context".to_owned()),
                        Just("proofValue".to_owned()),
                        ".{0,8}"
                    ],
                    inner,
                    0..6
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Whatever arrives, verify answers (and never says yes to garbage).
        #[test]
        fn verify_never_panics_on_garbage(document in any_json()) {
            prop_assert!(verify(&document, &vector_public()).is_err());
            let _ = verification_method(&document);
        }

        /// A genuine proof with one option or the value replaced by garbage: still no panic,
        /// and no success.
        #[test]
        fn verify_never_panics_on_a_damaged_proof(
            name in prop_oneof![
                Just("type"), Just("cryptosuite"), Just("proofPurpose"), Just("created"),
                Just("verificationMethod"), Just("proofValue"), Just("@context"), Just("expires"),
            ],
            garbage in any_json(),
        ) {
            let mut d = parse(SIGNED);
            prop_assume!(d["proof"][name] != garbage);
            d["proof"][name] = garbage;
            prop_assert!(verify(&d, &vector_public()).is_err());
        }

        #[test]
        fn multikey_decoding_never_panics(text in ".{0,80}", bytes in prop::collection::vec(any::<u8>(), 0..40)) {
            let _ = decode_public_key_multibase(&text);
            let _ = decode_secret_key_multibase(&text);
            let encoded = format!("z{}", bs58::encode(&bytes).into_string());
            let _ = decode_public_key_multibase(&encoded);
            let _ = decode_secret_key_multibase(&encoded);
        }
    }
}
