DROP TABLE sent_signature_invalidations;
DROP INDEX sent_signatures_network_idx;
ALTER TABLE sent_signatures DROP COLUMN invalidated_at;
ALTER TABLE sent_signatures DROP COLUMN network_hash;
