ALTER TABLE remote_petitions DROP COLUMN partners;
ALTER TABLE petitions DROP COLUMN partners;
