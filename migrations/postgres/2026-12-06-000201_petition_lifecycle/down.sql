ALTER TABLE petitions DROP CONSTRAINT petitions_status_check;
ALTER TABLE petitions ADD CONSTRAINT petitions_status_check
    CHECK (status IN ('draft', 'open', 'closed', 'removed')) NOT VALID;
ALTER TABLE remote_petitions DROP COLUMN edited_at;
ALTER TABLE remote_petitions DROP COLUMN victory_html;
ALTER TABLE petitions DROP COLUMN victory_html;
ALTER TABLE petitions DROP COLUMN victory_md;
ALTER TABLE petitions DROP COLUMN won_at;
ALTER TABLE petitions DROP COLUMN edited_at;
