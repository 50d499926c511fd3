-- Coalitions: the partner organizations that carry a petition with its own organization,
-- of this instance or of others (a JSON array of {id, name, handle}), on our petitions and
-- as other instances' petitions name them.
ALTER TABLE petitions ADD COLUMN partners TEXT NOT NULL DEFAULT '[]';
ALTER TABLE remote_petitions ADD COLUMN partners TEXT NOT NULL DEFAULT '[]';
