-- Bulk invalidation (docs/security.md): each signature keeps a keyed hash of the network
-- it was made from (the /24 of an IPv4 address, the /48 of an IPv6 one), never the address;
-- an admin can invalidate the signatures of a petition by network, email domain or time
-- window, and each such action is recorded. Kept in lock-step with migrations/postgres.
--
-- Expand only: two nullable columns and a new table. A binary of the previous release
-- still runs on this schema (it never reads them, and writes NULL into them).
ALTER TABLE signatures ADD COLUMN network_hash TEXT;
-- Set when an admin invalidated the signature: it no longer counts or shows, its links
-- are dead, and its address cannot sign that petition again.
ALTER TABLE signatures ADD COLUMN invalidated_at TIMESTAMP;
CREATE INDEX signatures_network_idx ON signatures (petition_id, network_hash);

CREATE TABLE signature_invalidations (
    id TEXT PRIMARY KEY NOT NULL,
    petition_id TEXT NOT NULL REFERENCES petitions (id),
    -- Who did it: an admin's email, or "command line".
    actor TEXT NOT NULL,
    -- The filter as the admin gave it, normalized (JSON: network, domain, from, until).
    filter TEXT NOT NULL,
    pending BIGINT NOT NULL,
    confirmed BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX signature_invalidations_petition_idx ON signature_invalidations (petition_id, created_at);
