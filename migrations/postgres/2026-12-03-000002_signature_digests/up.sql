-- The digest of each confirmed signature's canonical email for its petition (the one other
-- instances send in attestations: see docs/federation.md), so that a person counts once
-- whether they signed here or through another instance.
ALTER TABLE signatures ADD COLUMN digest TEXT;
CREATE INDEX signatures_digest_idx ON signatures (petition_id, digest);
