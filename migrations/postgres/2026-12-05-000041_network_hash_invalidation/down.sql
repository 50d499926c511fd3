DROP TABLE signature_invalidations;
DROP INDEX signatures_network_idx;
ALTER TABLE signatures DROP COLUMN invalidated_at;
ALTER TABLE signatures DROP COLUMN network_hash;
