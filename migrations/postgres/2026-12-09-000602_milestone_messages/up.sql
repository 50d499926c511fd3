-- Milestone messages (issue 11): what a petition's organizers want said when it passes a
-- milestone (100, 1,000, …, or its goal), written ahead and added to the milestone's note
-- (its page, its followers). One per petition and milestone. Kept in lock-step with
-- migrations/sqlite. Expand only: a new table.
CREATE TABLE milestone_messages (
    petition_id TEXT NOT NULL REFERENCES petitions (id),
    reached BIGINT NOT NULL CHECK (reached > 0),
    body_md TEXT NOT NULL,
    body_html TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (petition_id, reached)
);
