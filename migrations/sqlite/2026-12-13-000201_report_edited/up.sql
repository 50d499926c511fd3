-- Reports take one more reason, 'edited': not a visitor's, the instance's own, when a
-- petition the admins approved (pre-publication review on) changes what it says. SQLite
-- cannot alter a CHECK: the table (small, referenced by none) is rebuilt with the wider one.
-- Kept in lock-step with migrations/postgres.
--
-- Expand only: a CHECK that admits one more value. A binary of the previous release still
-- runs; its queue would not know an 'edited' report.
CREATE TABLE reports_wider (
    id TEXT PRIMARY KEY NOT NULL,
    petition_id TEXT NOT NULL REFERENCES petitions (id),
    reason TEXT NOT NULL CHECK (reason IN ('spam', 'hateful', 'misleading', 'personal_data', 'other', 'edited')),
    details TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    -- Set when an admin dealt with it (dismissed it, or hid the petition): it leaves the queue.
    resolved_at TIMESTAMP
);
INSERT INTO reports_wider (id, petition_id, reason, details, created_at, resolved_at)
    SELECT id, petition_id, reason, details, created_at, resolved_at FROM reports;
DROP TABLE reports;
ALTER TABLE reports_wider RENAME TO reports;
CREATE INDEX reports_open_idx ON reports (resolved_at, petition_id);
