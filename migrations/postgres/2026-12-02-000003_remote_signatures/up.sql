-- Signatures collected by other instances for our petitions (`Sign` activities), one row
-- per attestation, kept as received; and their counts by origin. A withdrawn one keeps
-- its row (withdrawn_at) so a replayed `Sign` cannot count it again.
CREATE TABLE remote_signatures (
    attestation_id TEXT PRIMARY KEY NOT NULL,
    petition_id TEXT NOT NULL REFERENCES petitions (id) ON DELETE CASCADE,
    origin_host TEXT NOT NULL,
    sign_activity_id TEXT NOT NULL,
    digest TEXT NOT NULL,
    display_name TEXT,
    country TEXT,
    postal_code TEXT,
    confirmed_at TIMESTAMP NOT NULL,
    received_at TIMESTAMP NOT NULL,
    withdrawn_at TIMESTAMP,
    activity TEXT NOT NULL
);
-- One person (one digest) counts once per petition, whichever instance they signed on.
CREATE UNIQUE INDEX remote_signatures_digest_idx ON remote_signatures (petition_id, digest) WHERE withdrawn_at IS NULL;
CREATE INDEX remote_signatures_petition_idx ON remote_signatures (petition_id, received_at);

-- Confirmed remote signatures by petition and origin. `counted` is false while the origin
-- is blocked: its signatures leave the count, and come back when it is unblocked.
CREATE TABLE petition_origin_counts (
    petition_id TEXT NOT NULL REFERENCES petitions (id) ON DELETE CASCADE,
    origin_host TEXT NOT NULL,
    signatures BIGINT NOT NULL,
    counted BOOLEAN NOT NULL,
    PRIMARY KEY (petition_id, origin_host)
);
CREATE INDEX petition_origin_counts_host_idx ON petition_origin_counts (origin_host);
