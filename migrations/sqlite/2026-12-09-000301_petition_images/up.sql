-- A picture per petition (issue 12): the organizer's upload, re-encoded and resized to a
-- few widths, stored as files named by `image_id` (data/media/{image_id}-{w}.jpg); this row
-- says which, the largest width stored and its height, and the alternative text. Kept in
-- lock-step with migrations/postgres. Expand only: a new table.
CREATE TABLE petition_images (
    petition_id TEXT PRIMARY KEY NOT NULL REFERENCES petitions (id),
    image_id TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    alt TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
