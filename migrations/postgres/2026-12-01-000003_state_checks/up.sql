-- The TEXT columns that hold a state take only the values the Rust enums know
-- (signons_store::text_enum!): petition status, follow state, post kind, domain rule, and
-- the federation mode setting. Kept in lock-step with migrations/sqlite.
--
-- Expand-then-contract: each constraint is added NOT VALID, which takes only a brief lock
-- and checks new writes from then on without scanning the table, then VALIDATE CONSTRAINT
-- checks the existing rows under a lock that lets reads and writes go on, so a big table
-- is never locked for long. A binary of the previous release still runs on this schema: it
-- never writes any other value.
ALTER TABLE petitions ADD CONSTRAINT petitions_status_check
    CHECK (status IN ('draft', 'open', 'closed', 'removed')) NOT VALID;
ALTER TABLE petitions VALIDATE CONSTRAINT petitions_status_check;

ALTER TABLE ap_following ADD CONSTRAINT ap_following_state_check
    CHECK (state IN ('pending', 'accepted', 'rejected')) NOT VALID;
ALTER TABLE ap_following VALIDATE CONSTRAINT ap_following_state_check;

ALTER TABLE petition_posts ADD CONSTRAINT petition_posts_kind_check
    CHECK (kind IN ('published', 'news', 'milestone')) NOT VALID;
ALTER TABLE petition_posts VALIDATE CONSTRAINT petition_posts_kind_check;

ALTER TABLE ap_domain_policies ADD CONSTRAINT ap_domain_policies_policy_check
    CHECK (policy IN ('allow', 'block')) NOT VALID;
ALTER TABLE ap_domain_policies VALIDATE CONSTRAINT ap_domain_policies_policy_check;

-- Settings are name/value pairs: only the federation mode's value is constrained.
ALTER TABLE instance_settings ADD CONSTRAINT instance_settings_federation_mode_check
    CHECK (name <> 'federation_mode' OR value IN ('open', 'allowlist')) NOT VALID;
ALTER TABLE instance_settings VALIDATE CONSTRAINT instance_settings_federation_mode_check;
