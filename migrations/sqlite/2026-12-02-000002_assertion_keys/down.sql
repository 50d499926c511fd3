ALTER TABLE ap_remote_actors DROP COLUMN assertion_keys;
DROP TABLE ap_assertion_keys;
