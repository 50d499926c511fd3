DROP TRIGGER petitions_status_check_insert;
DROP TRIGGER petitions_status_check_update;
CREATE TRIGGER petitions_status_check_insert BEFORE INSERT ON petitions
FOR EACH ROW WHEN NEW.status NOT IN ('draft', 'open', 'closed', 'removed')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: petitions.status');
END;
CREATE TRIGGER petitions_status_check_update BEFORE UPDATE OF status ON petitions
FOR EACH ROW WHEN NEW.status NOT IN ('draft', 'open', 'closed', 'removed')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: petitions.status');
END;
ALTER TABLE remote_petitions DROP COLUMN edited_at;
ALTER TABLE remote_petitions DROP COLUMN victory_html;
ALTER TABLE petitions DROP COLUMN victory_html;
ALTER TABLE petitions DROP COLUMN victory_md;
ALTER TABLE petitions DROP COLUMN won_at;
ALTER TABLE petitions DROP COLUMN edited_at;
