-- Ed25519 key pairs of local actors, for object-integrity proofs (FEP-8b32, eddsa-jcs-2022),
-- published as a Multikey in the actor's assertionMethod (FEP-521a). Kept apart from the RSA
-- keys of ap_local_keys: they are made at another time (only the instance actor needs one
-- now) and an old binary, which knows only ap_local_keys, keeps working. Keyed by actor URL
-- so that organizations or petitions can have one later without a schema change.
CREATE TABLE ap_assertion_keys (
    actor_url TEXT PRIMARY KEY NOT NULL,
    -- The public key as publicKeyMultibase: 'z' + base58-btc(0xed 0x01 + 32 bytes).
    public_key_multibase TEXT NOT NULL,
    -- The 32-byte secret seed as a Multikey secretKeyMultibase: 'z' + base58-btc(0x80 0x26 + seed).
    secret_key_multibase TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- The assertion keys a remote actor publishes, as fetched with its document: a JSON array
-- of {"id", "publicKeyMultibase"}, each checked to be an Ed25519 Multikey the actor
-- controls. NULL for actors fetched before this column existed, or that publish none.
ALTER TABLE ap_remote_actors ADD COLUMN assertion_keys TEXT;
