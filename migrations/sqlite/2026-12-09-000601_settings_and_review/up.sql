-- Instance settings on the web (issue 11) and review before publication. The admins'
-- settings are rows of instance_settings; the two with a fixed set of values are checked
-- here as the federation mode is. A petition submitted while the instance reviews petitions
-- before publication waits in the status 'review' (not public, no signatures); an admin
-- approves it (it opens) or sends it back to its organizers as a draft with a note
-- (`review_note`). Kept in lock-step with migrations/postgres.
--
-- Expand only: a nullable column, new triggers on values no binary wrote yet, and status
-- triggers that admit one more value (replaced under the same names). A binary of the
-- previous release still runs on this schema.
CREATE TRIGGER instance_settings_choice_check_insert BEFORE INSERT ON instance_settings
FOR EACH ROW WHEN (NEW.name = 'signup_mode' AND NEW.value NOT IN ('open', 'invitation'))
    OR (NEW.name = 'premoderation' AND NEW.value NOT IN ('off', 'on'))
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: instance_settings.value');
END;
CREATE TRIGGER instance_settings_choice_check_update BEFORE UPDATE OF name, value ON instance_settings
FOR EACH ROW WHEN (NEW.name = 'signup_mode' AND NEW.value NOT IN ('open', 'invitation'))
    OR (NEW.name = 'premoderation' AND NEW.value NOT IN ('off', 'on'))
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: instance_settings.value');
END;

ALTER TABLE petitions ADD COLUMN review_note TEXT;
DROP TRIGGER petitions_status_check_insert;
DROP TRIGGER petitions_status_check_update;
CREATE TRIGGER petitions_status_check_insert BEFORE INSERT ON petitions
FOR EACH ROW WHEN NEW.status NOT IN ('draft', 'review', 'open', 'closed', 'won', 'removed', 'hidden')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: petitions.status');
END;
CREATE TRIGGER petitions_status_check_update BEFORE UPDATE OF status ON petitions
FOR EACH ROW WHEN NEW.status NOT IN ('draft', 'review', 'open', 'closed', 'won', 'removed', 'hidden')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: petitions.status');
END;
