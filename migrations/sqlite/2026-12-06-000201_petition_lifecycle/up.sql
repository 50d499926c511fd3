-- The petition lifecycle of issue 11: a published petition can be edited (`edited_at`: when
-- its text last changed after publication), won (`won_at`, and a victory message kept as
-- written and as sanitized HTML), and the status admits 'won'. Remote petitions keep the
-- victory message and the edit time their instance sends. Kept in lock-step with
-- migrations/postgres.
--
-- Expand only: nullable columns, and triggers that admit one more value (SQLite has no
-- CHECK to alter: the triggers of 2026-12-01-000003_state_checks are replaced, under the
-- same names, in this migration's transaction). A binary of the previous release still
-- runs on this schema: it never writes 'won' nor the new columns.
ALTER TABLE petitions ADD COLUMN edited_at TIMESTAMP;
ALTER TABLE petitions ADD COLUMN won_at TIMESTAMP;
ALTER TABLE petitions ADD COLUMN victory_md TEXT;
ALTER TABLE petitions ADD COLUMN victory_html TEXT;
ALTER TABLE remote_petitions ADD COLUMN victory_html TEXT;
ALTER TABLE remote_petitions ADD COLUMN edited_at TIMESTAMP;

DROP TRIGGER petitions_status_check_insert;
DROP TRIGGER petitions_status_check_update;
CREATE TRIGGER petitions_status_check_insert BEFORE INSERT ON petitions
FOR EACH ROW WHEN NEW.status NOT IN ('draft', 'open', 'closed', 'won', 'removed')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: petitions.status');
END;
CREATE TRIGGER petitions_status_check_update BEFORE UPDATE OF status ON petitions
FOR EACH ROW WHEN NEW.status NOT IN ('draft', 'open', 'closed', 'won', 'removed')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: petitions.status');
END;
