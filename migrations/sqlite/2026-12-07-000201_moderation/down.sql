DROP INDEX reports_open_idx;
DROP TABLE reports;
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
ALTER TABLE petitions DROP COLUMN hidden_from;
ALTER TABLE petitions DROP COLUMN hidden_reason;
