-- Waiting jobs go back to the tables the previous release reads.
INSERT INTO outgoing_emails (id, recipient, subject, text_body, html_body, created_at, attempts, next_attempt_at, last_error)
SELECT id, payload::json->>'to', payload::json->>'subject', payload::json->>'text', payload::json->>'html',
       created_at, attempts, run_at, last_error
FROM jobs WHERE queue = 'email' AND state <> 'dead';
INSERT INTO ap_deliveries (id, activity_id, actor_url, inbox, host, body, created_at, attempts, next_attempt_at, last_error)
SELECT id, payload::json->>'activity_id', payload::json->>'actor', payload::json->>'inbox', partition_key,
       payload::json->>'body', created_at, attempts, run_at, last_error
FROM jobs WHERE queue = 'delivery' AND state <> 'dead';
DROP TABLE jobs;
