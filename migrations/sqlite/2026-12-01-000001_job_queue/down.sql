-- Waiting jobs go back to the tables the previous release reads.
INSERT INTO outgoing_emails (id, recipient, subject, text_body, html_body, created_at, attempts, next_attempt_at, last_error)
SELECT id, json_extract(payload, '$.to'), json_extract(payload, '$.subject'), json_extract(payload, '$.text'), json_extract(payload, '$.html'),
       created_at, attempts, run_at, last_error
FROM jobs WHERE queue = 'email' AND state <> 'dead';
INSERT INTO ap_deliveries (id, activity_id, actor_url, inbox, host, body, created_at, attempts, next_attempt_at, last_error)
SELECT id, json_extract(payload, '$.activity_id'), json_extract(payload, '$.actor'), json_extract(payload, '$.inbox'), partition_key,
       json_extract(payload, '$.body'), created_at, attempts, run_at, last_error
FROM jobs WHERE queue = 'delivery' AND state <> 'dead';
DROP TABLE jobs;
