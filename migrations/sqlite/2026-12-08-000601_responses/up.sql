-- The decision maker's response (issue 11): what the petition's target answered, posted by
-- its organizers and shown at the top of its page, as the UK Parliament's petitions site
-- shows the government's response. One per petition (a later one replaces it). Kept in
-- lock-step with migrations/postgres. Expand only: a new table.
CREATE TABLE petition_responses (
    petition_id TEXT PRIMARY KEY NOT NULL REFERENCES petitions (id),
    responder TEXT NOT NULL,
    body_md TEXT NOT NULL,
    body_html TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
