-- Owners may cancel an invitation not yet accepted (issue 11): its link then answers 410.
-- Kept in lock-step with migrations/postgres. Expand only: a nullable column.
ALTER TABLE invitations ADD COLUMN cancelled_at TIMESTAMP;
