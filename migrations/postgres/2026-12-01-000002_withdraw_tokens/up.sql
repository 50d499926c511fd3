-- Withdraw links beyond the first. Each signing sends a withdraw link; a signature keeps
-- its first in signatures.withdraw_token_hash and every later one here, so that signing
-- again never kills a link sent before. They go with the signature (withdrawal, purge).
CREATE TABLE withdraw_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    signature_id TEXT NOT NULL REFERENCES signatures (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX withdraw_tokens_signature_idx ON withdraw_tokens (signature_id);
