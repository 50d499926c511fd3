-- Social proof (issue 12): once its count reaches the goal, a petition's page shows the next
-- step (100, 200, 500, 1,000, 2,000, 5,000, ...), as Change.org does, unless its organizers
-- fixed the goal. Kept in lock-step with migrations/sqlite. Expand only: a column with a
-- default (an older binary never writes it).
ALTER TABLE petitions ADD COLUMN goal_fixed BOOLEAN NOT NULL DEFAULT FALSE;
