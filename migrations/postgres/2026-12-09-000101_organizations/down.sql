DROP TABLE invitations;
DROP TABLE memberships;
ALTER TABLE organizations DROP COLUMN website;
ALTER TABLE organizations DROP COLUMN description;
