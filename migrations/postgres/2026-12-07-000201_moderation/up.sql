-- Moderation (issue 11): anyone can report a petition (`reports`: a reason from a short
-- list and an optional text; no email and no address is stored), and an admin can hide a
-- petition with a reason shown to visitors (`hidden_reason`), keeping the status it had
-- (`hidden_from`) so unhiding puts it back. The status admits 'hidden'. Kept in lock-step
-- with migrations/sqlite.
--
-- Expand only: nullable columns, a new table, and a CHECK that admits one more value (the
-- wider one added NOT VALID and validated before the narrower one is dropped, as
-- 2026-12-06-000201_petition_lifecycle does). A binary of the previous release still runs
-- on this schema: it never writes 'hidden'.
ALTER TABLE petitions ADD COLUMN hidden_reason TEXT;
ALTER TABLE petitions ADD COLUMN hidden_from TEXT;

ALTER TABLE petitions ADD CONSTRAINT petitions_status_check_next
    CHECK (status IN ('draft', 'open', 'closed', 'won', 'removed', 'hidden')) NOT VALID;
ALTER TABLE petitions VALIDATE CONSTRAINT petitions_status_check_next;
ALTER TABLE petitions DROP CONSTRAINT petitions_status_check;
ALTER TABLE petitions RENAME CONSTRAINT petitions_status_check_next TO petitions_status_check;

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
