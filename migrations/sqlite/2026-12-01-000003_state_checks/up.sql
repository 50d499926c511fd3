-- The TEXT columns that hold a state take only the values the Rust enums know
-- (signons_store::text_enum!): petition status, follow state, post kind, domain rule, and
-- the federation mode setting. Kept in lock-step with migrations/postgres.
--
-- SQLite cannot add a CHECK to an existing table without rebuilding it (copying every row
-- under the write lock), so triggers refuse what a CHECK would: on insert, and on an
-- update of the column. Existing rows are neither rewritten nor checked (no release ever
-- wrote another value); a binary of the previous release still runs on this schema, as it
-- never writes any other value.
CREATE TRIGGER petitions_status_check_insert BEFORE INSERT ON petitions
FOR EACH ROW WHEN NEW.status NOT IN ('draft', 'open', 'closed', 'removed')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: petitions.status');
END;
CREATE TRIGGER petitions_status_check_update BEFORE UPDATE OF status ON petitions
FOR EACH ROW WHEN NEW.status NOT IN ('draft', 'open', 'closed', 'removed')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: petitions.status');
END;

CREATE TRIGGER ap_following_state_check_insert BEFORE INSERT ON ap_following
FOR EACH ROW WHEN NEW.state NOT IN ('pending', 'accepted', 'rejected')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: ap_following.state');
END;
CREATE TRIGGER ap_following_state_check_update BEFORE UPDATE OF state ON ap_following
FOR EACH ROW WHEN NEW.state NOT IN ('pending', 'accepted', 'rejected')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: ap_following.state');
END;

CREATE TRIGGER petition_posts_kind_check_insert BEFORE INSERT ON petition_posts
FOR EACH ROW WHEN NEW.kind NOT IN ('published', 'news', 'milestone')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: petition_posts.kind');
END;
CREATE TRIGGER petition_posts_kind_check_update BEFORE UPDATE OF kind ON petition_posts
FOR EACH ROW WHEN NEW.kind NOT IN ('published', 'news', 'milestone')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: petition_posts.kind');
END;

CREATE TRIGGER ap_domain_policies_policy_check_insert BEFORE INSERT ON ap_domain_policies
FOR EACH ROW WHEN NEW.policy NOT IN ('allow', 'block')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: ap_domain_policies.policy');
END;
CREATE TRIGGER ap_domain_policies_policy_check_update BEFORE UPDATE OF policy ON ap_domain_policies
FOR EACH ROW WHEN NEW.policy NOT IN ('allow', 'block')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: ap_domain_policies.policy');
END;

-- Settings are name/value pairs: only the federation mode's value is constrained.
CREATE TRIGGER instance_settings_value_check_insert BEFORE INSERT ON instance_settings
FOR EACH ROW WHEN NEW.name = 'federation_mode' AND NEW.value NOT IN ('open', 'allowlist')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: instance_settings.value');
END;
CREATE TRIGGER instance_settings_value_check_update BEFORE UPDATE OF name, value ON instance_settings
FOR EACH ROW WHEN NEW.name = 'federation_mode' AND NEW.value NOT IN ('open', 'allowlist')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: instance_settings.value');
END;
