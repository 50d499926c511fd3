-- One background-job queue for every kind of work (email, federation delivery, and the
-- jobs to come). Kept in lock-step with migrations/postgres.
--
-- Expand-then-contract: the rows waiting in outgoing_emails and ap_deliveries move here,
-- and the two old tables stay (empty) for one release, so that a binary of the previous
-- release still runs against this schema while a deployment rolls over; the new binary
-- adopts, each time it starts, whatever such a binary still wrote there. A later migration drops them.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY NOT NULL,
    queue TEXT NOT NULL CHECK (queue IN ('email', 'delivery')),
    -- Jobs of one partition (a remote instance, for deliveries) run one at a time, in order.
    partition_key TEXT,
    payload TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'dead')),
    attempts INTEGER NOT NULL,
    run_at TIMESTAMP NOT NULL,
    -- The worker holding a running job, and until when: a live worker renews it, a killed
    -- one lets it lapse and the job is taken up again.
    locked_by TEXT,
    locked_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    -- Set when an admin retries a dead job: the give-up delay counts from then.
    revived_at TIMESTAMP
);
CREATE INDEX jobs_due_idx ON jobs (queue, state, run_at);
CREATE INDEX jobs_partition_idx ON jobs (queue, partition_key, id);

INSERT INTO jobs (id, queue, partition_key, payload, state, attempts, run_at, last_error, created_at)
SELECT id, 'email', NULL,
       json_object('to', recipient, 'subject', subject, 'text', text_body, 'html', html_body),
       'queued', attempts, next_attempt_at, last_error, created_at
FROM outgoing_emails;
DELETE FROM outgoing_emails;

INSERT INTO jobs (id, queue, partition_key, payload, state, attempts, run_at, last_error, created_at)
SELECT id, 'delivery', host,
       json_object('activity_id', activity_id, 'actor', actor_url, 'inbox', inbox, 'body', body),
       'queued', attempts, next_attempt_at, last_error, created_at
FROM ap_deliveries;
DELETE FROM ap_deliveries;
