ALTER TABLE signatures DROP COLUMN comment_hidden_at;
