-- News of petitions elsewhere, emailed to this instance's signers of them who asked news
-- (issue 11): the petition's own news as it arrives by federation, or the news of our
-- organization when it is one of the petition's partners. One row per news, written in
-- the transaction that keeps it, with the text the emails carry (the sanitized HTML and
-- its plain text). The fan-out job pages through `sent_signatures` of the petition by id,
-- as `news_mailings` does for our petitions: `after_signature` is its keyset cursor,
-- advanced in the transaction that queues the batch and only from the value it read.
-- `id`: the note's URL. Kept in lock-step with migrations/sqlite.
--
-- Expand only: a new table and an index; a binary of the previous release ignores both.
CREATE TABLE sent_news_mailings (
    id TEXT PRIMARY KEY NOT NULL,
    petition_url TEXT NOT NULL,
    organization TEXT NOT NULL,
    html TEXT NOT NULL,
    text TEXT NOT NULL,
    after_signature TEXT,
    queued BIGINT NOT NULL DEFAULT 0,
    done_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);

-- The fan-out's keyset: our signatures of a petition elsewhere, in id order.
CREATE INDEX sent_signatures_petition_id_idx ON sent_signatures (petition_url, id);
