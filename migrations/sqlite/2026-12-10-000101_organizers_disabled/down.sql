ALTER TABLE organizers DROP COLUMN disabled_at;
