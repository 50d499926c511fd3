-- Instance settings on the web (issue 11) and review before publication. The admins'
-- settings are rows of instance_settings; the two with a fixed set of values are checked
-- here as the federation mode is. A petition submitted while the instance reviews petitions
-- before publication waits in the status 'review' (not public, no signatures); an admin
-- approves it (it opens) or sends it back to its organizers as a draft with a note
-- (`review_note`). Kept in lock-step with migrations/sqlite.
--
-- Expand only: a nullable column, new CHECKs on values no binary wrote yet, and a status
-- CHECK that admits one more value (the wider one added NOT VALID and validated before the
-- narrower one is dropped). A binary of the previous release still runs on this schema.
ALTER TABLE instance_settings ADD CONSTRAINT instance_settings_signup_mode_check
    CHECK (name <> 'signup_mode' OR value IN ('open', 'invitation')) NOT VALID;
ALTER TABLE instance_settings VALIDATE CONSTRAINT instance_settings_signup_mode_check;
ALTER TABLE instance_settings ADD CONSTRAINT instance_settings_premoderation_check
    CHECK (name <> 'premoderation' OR value IN ('off', 'on')) NOT VALID;
ALTER TABLE instance_settings VALIDATE CONSTRAINT instance_settings_premoderation_check;

ALTER TABLE petitions ADD COLUMN review_note TEXT;
ALTER TABLE petitions ADD CONSTRAINT petitions_status_check_next
    CHECK (status IN ('draft', 'review', 'open', 'closed', 'won', 'removed', 'hidden')) NOT VALID;
ALTER TABLE petitions VALIDATE CONSTRAINT petitions_status_check_next;
ALTER TABLE petitions DROP CONSTRAINT petitions_status_check;
ALTER TABLE petitions RENAME CONSTRAINT petitions_status_check_next TO petitions_status_check;
