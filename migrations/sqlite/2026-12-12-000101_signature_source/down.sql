ALTER TABLE signatures DROP COLUMN source;
