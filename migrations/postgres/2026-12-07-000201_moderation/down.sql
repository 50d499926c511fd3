DROP INDEX reports_open_idx;
DROP TABLE reports;
ALTER TABLE petitions DROP CONSTRAINT petitions_status_check;
ALTER TABLE petitions ADD CONSTRAINT petitions_status_check
    CHECK (status IN ('draft', 'open', 'closed', 'won', 'removed')) NOT VALID;
ALTER TABLE petitions DROP COLUMN hidden_from;
ALTER TABLE petitions DROP COLUMN hidden_reason;
