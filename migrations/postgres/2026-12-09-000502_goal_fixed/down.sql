ALTER TABLE petitions DROP COLUMN goal_fixed;
