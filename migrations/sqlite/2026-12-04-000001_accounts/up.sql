-- Accounts and sessions: API tokens get a name, an optional expiry and the time they were
-- last used (kept to within an hour); forgotten passwords are reset through single-use
-- links whose tokens are stored hashed, as every other token is. Expand only: an older
-- binary still inserts tokens without these columns.
ALTER TABLE api_tokens ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE api_tokens ADD COLUMN expires_at TIMESTAMP;
ALTER TABLE api_tokens ADD COLUMN last_used_at TIMESTAMP;

CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY NOT NULL,
    organizer_id TEXT NOT NULL REFERENCES organizers (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
-- The per-account cap counts an organizer's recent requests.
CREATE INDEX password_resets_organizer_idx ON password_resets (organizer_id, created_at);
CREATE INDEX password_resets_expires_idx ON password_resets (expires_at);
