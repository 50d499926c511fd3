-- Social proof (issue 12): a signer's public comment shows on the petition page beside
-- their name, and the petition's organizers can hide it. Hidden: when (null while shown).
-- A hidden comment leaves the page and the API and stays in the export, marked hidden.
-- Kept in lock-step with migrations/sqlite. Expand only: a nullable column.
ALTER TABLE signatures ADD COLUMN comment_hidden_at TIMESTAMP;
