DELETE FROM reports WHERE reason = 'edited';
CREATE TABLE reports_narrower (
    id TEXT PRIMARY KEY NOT NULL,
    petition_id TEXT NOT NULL REFERENCES petitions (id),
    reason TEXT NOT NULL CHECK (reason IN ('spam', 'hateful', 'misleading', 'personal_data', 'other')),
    details TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP
);
INSERT INTO reports_narrower (id, petition_id, reason, details, created_at, resolved_at)
    SELECT id, petition_id, reason, details, created_at, resolved_at FROM reports;
DROP TABLE reports;
ALTER TABLE reports_narrower RENAME TO reports;
CREATE INDEX reports_open_idx ON reports (resolved_at, petition_id);
