-- Moderation (issue 11): anyone can report a petition (`reports`: a reason from a short
-- list and an optional text; no email and no address is stored), and an admin can hide a
-- petition with a reason shown to visitors (`hidden_reason`), keeping the status it had
-- (`hidden_from`) so unhiding puts it back. The status admits 'hidden'. Kept in lock-step
-- with migrations/postgres.
--
-- Expand only: nullable columns, a new table, and triggers that admit one more value
-- (replaced under the same names, as 2026-12-06-000201_petition_lifecycle does). A binary
-- of the previous release still runs on this schema: it never writes 'hidden'.
ALTER TABLE petitions ADD COLUMN hidden_reason TEXT;
ALTER TABLE petitions ADD COLUMN hidden_from TEXT;

DROP TRIGGER petitions_status_check_insert;
DROP TRIGGER petitions_status_check_update;
CREATE TRIGGER petitions_status_check_insert BEFORE INSERT ON petitions
FOR EACH ROW WHEN NEW.status NOT IN ('draft', 'open', 'closed', 'won', 'removed', 'hidden')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: petitions.status');
END;
CREATE TRIGGER petitions_status_check_update BEFORE UPDATE OF status ON petitions
FOR EACH ROW WHEN NEW.status NOT IN ('draft', 'open', 'closed', 'won', 'removed', 'hidden')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: petitions.status');
END;

CREATE TABLE reports (
    id TEXT PRIMARY KEY NOT NULL,
    petition_id TEXT NOT NULL REFERENCES petitions (id),
    reason TEXT NOT NULL CHECK (reason IN ('spam', 'hateful', 'misleading', 'personal_data', 'other')),
    details TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    -- Set when an admin dealt with it (dismissed it, or hid the petition): it leaves the queue.
    resolved_at TIMESTAMP
);
CREATE INDEX reports_open_idx ON reports (resolved_at, petition_id);
