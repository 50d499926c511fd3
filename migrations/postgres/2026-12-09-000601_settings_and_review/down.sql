ALTER TABLE petitions DROP CONSTRAINT petitions_status_check;
ALTER TABLE petitions ADD CONSTRAINT petitions_status_check
    CHECK (status IN ('draft', 'open', 'closed', 'won', 'removed', 'hidden')) NOT VALID;
ALTER TABLE petitions DROP COLUMN review_note;
ALTER TABLE instance_settings DROP CONSTRAINT instance_settings_premoderation_check;
ALTER TABLE instance_settings DROP CONSTRAINT instance_settings_signup_mode_check;
