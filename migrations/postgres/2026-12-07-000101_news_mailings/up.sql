-- News emailed to a petition's signers who asked news (issue 11). One row per news post,
-- written in the transaction that stores the post, with the Markdown as written (the text
-- part of the emails; the post keeps only HTML). The fan-out job pages through the
-- petition's signatures by id and queues one email job each; `after_signature` is its
-- keyset cursor: the last signature whose email is queued, advanced in the very
-- transaction that queues the batch (and only from the value it read), so a re-run of the
-- job after a restart starts after it and queues nobody twice. `done_at`: all queued.
-- Kept in lock-step with migrations/sqlite.
--
-- Expand only: a new table and an index; a binary of the previous release ignores both.
CREATE TABLE news_mailings (
    post_id TEXT PRIMARY KEY NOT NULL REFERENCES petition_posts (id),
    petition_id TEXT NOT NULL REFERENCES petitions (id),
    markdown TEXT NOT NULL,
    after_signature TEXT,
    queued BIGINT NOT NULL DEFAULT 0,
    done_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);

-- The fan-out's keyset: a petition's signatures in id order.
CREATE INDEX signatures_petition_id_idx ON signatures (petition_id, id);
