-- The petition lifecycle of issue 11: a published petition can be edited (`edited_at`: when
-- its text last changed after publication), won (`won_at`, and a victory message kept as
-- written and as sanitized HTML), and the status admits 'won'. Remote petitions keep the
-- victory message and the edit time their instance sends. Kept in lock-step with
-- migrations/sqlite.
--
-- Expand only: nullable columns, and a CHECK that admits one more value. A binary of the
-- previous release still runs on this schema: it never writes 'won' nor the new columns.
-- The wider CHECK is added NOT VALID and validated (a brief lock, no long scan) before the
-- narrower one is dropped, then takes its name, so no write goes unchecked meanwhile.
ALTER TABLE petitions ADD COLUMN edited_at TIMESTAMP;
ALTER TABLE petitions ADD COLUMN won_at TIMESTAMP;
ALTER TABLE petitions ADD COLUMN victory_md TEXT;
ALTER TABLE petitions ADD COLUMN victory_html TEXT;
ALTER TABLE remote_petitions ADD COLUMN victory_html TEXT;
ALTER TABLE remote_petitions ADD COLUMN edited_at TIMESTAMP;

ALTER TABLE petitions ADD CONSTRAINT petitions_status_check_next
    CHECK (status IN ('draft', 'open', 'closed', 'won', 'removed')) NOT VALID;
ALTER TABLE petitions VALIDATE CONSTRAINT petitions_status_check_next;
ALTER TABLE petitions DROP CONSTRAINT petitions_status_check;
ALTER TABLE petitions RENAME CONSTRAINT petitions_status_check_next TO petitions_status_check;
