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
ALTER TABLE petitions DROP COLUMN review_note;
DROP TRIGGER instance_settings_choice_check_update;
DROP TRIGGER instance_settings_choice_check_insert;
