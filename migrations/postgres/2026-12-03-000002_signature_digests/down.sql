DROP INDEX signatures_digest_idx;
ALTER TABLE signatures DROP COLUMN digest;
