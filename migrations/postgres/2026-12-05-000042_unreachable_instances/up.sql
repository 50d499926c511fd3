-- Remote instances whose deliveries fail: since when every delivery there failed (a
-- success deletes the row). After `instance_gone_days` the instance is taken for gone and
-- what is kept for it is purged (federation::health). Expand only: an older binary
-- ignores the table.
CREATE TABLE ap_unreachable_instances (
    host TEXT PRIMARY KEY NOT NULL,
    failing_since TIMESTAMP NOT NULL,
    last_failure_at TIMESTAMP NOT NULL
);
CREATE INDEX ap_unreachable_instances_since_idx ON ap_unreachable_instances (failing_since);
