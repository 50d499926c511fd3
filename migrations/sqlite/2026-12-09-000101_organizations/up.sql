-- Organizations of several organizers with roles, and invitations (issue 11). Kept in
-- lock-step with migrations/postgres. Expand only: organizers.organization_id stays, the
-- organizer's default organization; every organizer is the owner of it.
ALTER TABLE organizations ADD COLUMN description TEXT;
ALTER TABLE organizations ADD COLUMN website TEXT;

CREATE TABLE memberships (
    organizer_id TEXT NOT NULL REFERENCES organizers (id) ON DELETE CASCADE,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    role TEXT NOT NULL CHECK (role IN ('owner', 'editor')),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (organizer_id, organization_id)
);
CREATE INDEX memberships_organization_idx ON memberships (organization_id);
INSERT INTO memberships (organizer_id, organization_id, role, created_at)
    SELECT id, organization_id, 'owner', created_at FROM organizers;

-- Only the token's hash is kept, as for password resets.
CREATE TABLE invitations (
    token_hash TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    email TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('owner', 'editor')),
    invited_by TEXT NOT NULL REFERENCES organizers (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    accepted_at TIMESTAMP
);
CREATE INDEX invitations_organization_idx ON invitations (organization_id);
