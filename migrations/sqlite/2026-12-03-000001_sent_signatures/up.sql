-- The signer's side of signatures across instances: what a remote petition asks and where
-- its inbox is, and our signers' signatures of petitions that live on other instances.
-- Their personal data stays here; only an attestation (see docs/federation.md) leaves.
ALTER TABLE remote_petitions ADD COLUMN ask_country BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE remote_petitions ADD COLUMN ask_postal_code BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE remote_petitions ADD COLUMN inbox TEXT;

-- No foreign key to remote_petitions: a petition forgotten here (unfollowed, deleted
-- there) leaves its signers' rows, so that each can still withdraw.
CREATE TABLE sent_signatures (
    id TEXT PRIMARY KEY NOT NULL,
    petition_url TEXT NOT NULL,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    email_canonical TEXT NOT NULL,
    country TEXT,
    postal_code TEXT,
    public BOOLEAN NOT NULL,
    opt_in BOOLEAN NOT NULL,
    locale TEXT NOT NULL,
    confirm_token_hash TEXT,
    withdraw_token_hash TEXT,
    token_expires_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    confirmed_at TIMESTAMP,
    -- When the petition's instance took the `Sign` that carried it (HTTP 2xx).
    delivered_at TIMESTAMP,
    -- Its answer (`Accept` or `Reject`, with a reason).
    answer TEXT CHECK (answer IN ('accepted', 'rejected')),
    reason TEXT CHECK (reason IN ('already-signed', 'petition-closed', 'instance-refused')),
    answered_at TIMESTAMP
);
CREATE UNIQUE INDEX sent_signatures_signer_idx ON sent_signatures (petition_url, email_canonical);
CREATE UNIQUE INDEX sent_signatures_confirm_idx ON sent_signatures (confirm_token_hash);
CREATE UNIQUE INDEX sent_signatures_withdraw_idx ON sent_signatures (withdraw_token_hash);
-- What the next `Sign` of a petition carries.
CREATE INDEX sent_signatures_undelivered_idx ON sent_signatures (petition_url, confirmed_at)
    WHERE delivered_at IS NULL AND confirmed_at IS NOT NULL;

-- Withdraw links beyond the first, as withdraw_tokens is for signatures.
CREATE TABLE sent_withdraw_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    signature_id TEXT NOT NULL REFERENCES sent_signatures (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX sent_withdraw_tokens_signature_idx ON sent_withdraw_tokens (signature_id);
