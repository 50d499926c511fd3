-- An organization's logo (issue 11): the owner's upload, through the same pipeline as a
-- petition's picture (re-encoded, resized to a few small widths, files named by
-- `image_id`: data/media/{image_id}-{w}.jpg); this row says which, the largest width
-- stored and its height. Its alternative text is the organization's name. Kept in
-- lock-step with migrations/postgres. Expand only: a new table and an index.
CREATE TABLE organization_logos (
    organization_id TEXT PRIMARY KEY NOT NULL REFERENCES organizations (id),
    image_id TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX organization_logos_image ON organization_logos (image_id);
-- GET /media/{file} finds the petition an image belongs to, to serve it only while the
-- petition is public.
CREATE INDEX petition_images_image ON petition_images (image_id);
