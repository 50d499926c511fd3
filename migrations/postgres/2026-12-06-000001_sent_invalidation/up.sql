-- Bulk invalidation of the signatures our signers sent to petitions of other instances
-- (docs/security.md): as for our own petitions' signatures, each keeps a keyed hash of
-- the network it was made from (erased with the row by retention), an admin can
-- invalidate them by network, email domain or time window, and each such action is
-- recorded. The petition's instance is told by an Undo(Sign). Kept in lock-step with
-- migrations/sqlite.
--
-- Expand only: two nullable columns and a new table. A binary of the previous release
-- still runs on this schema (it never reads them, and writes NULL into them).
ALTER TABLE sent_signatures ADD COLUMN network_hash TEXT;
ALTER TABLE sent_signatures ADD COLUMN invalidated_at TIMESTAMP;
CREATE INDEX sent_signatures_network_idx ON sent_signatures (petition_url, network_hash);

-- No foreign key, as for sent_signatures: the petition may be forgotten here.
CREATE TABLE sent_signature_invalidations (
    id TEXT PRIMARY KEY NOT NULL,
    petition_url TEXT NOT NULL,
    actor TEXT NOT NULL,
    filter TEXT NOT NULL,
    pending BIGINT NOT NULL,
    confirmed BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX sent_signature_invalidations_petition_idx ON sent_signature_invalidations (petition_url, created_at);
