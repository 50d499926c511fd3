-- An admin may disable an organizer's account (issue 11): while disabled_at is set they
-- cannot log in, their sessions and API tokens are refused and no reset email is sent.
-- Kept in lock-step with migrations/sqlite. Expand only: a nullable column.
ALTER TABLE organizers ADD COLUMN disabled_at TIMESTAMP;
