-- Signons initial schema (SQLite). Kept in lock-step with migrations/postgres.
-- Portable types only: TEXT, INTEGER, BIGINT, BOOLEAN, BLOB, TIMESTAMP (UTC).

CREATE TABLE organizations (
    id TEXT PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX organizations_slug_key ON organizations (slug);

CREATE TABLE organizers (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    email TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX organizers_email_key ON organizers (email);
CREATE INDEX organizers_organization_idx ON organizers (organization_id);

CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    organizer_id TEXT NOT NULL REFERENCES organizers (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX api_tokens_organizer_idx ON api_tokens (organizer_id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    organizer_id TEXT NOT NULL REFERENCES organizers (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_organizer_idx ON sessions (organizer_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

CREATE TABLE petitions (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    slug TEXT NOT NULL,
    title TEXT NOT NULL,
    target TEXT NOT NULL,
    description_md TEXT NOT NULL,
    description_html TEXT NOT NULL,
    goal BIGINT NOT NULL,
    end_at TIMESTAMP,
    ask_country BOOLEAN NOT NULL,
    ask_postal_code BOOLEAN NOT NULL,
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    published_at TIMESTAMP,
    closed_at TIMESTAMP
);
CREATE UNIQUE INDEX petitions_slug_key ON petitions (slug);
CREATE INDEX petitions_status_published_idx ON petitions (status, published_at);
CREATE INDEX petitions_organization_idx ON petitions (organization_id);

CREATE TABLE signatures (
    id TEXT PRIMARY KEY NOT NULL,
    petition_id TEXT NOT NULL REFERENCES petitions (id),
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    email_canonical TEXT NOT NULL,
    country TEXT,
    postal_code TEXT,
    comment TEXT,
    public BOOLEAN NOT NULL,
    opt_in BOOLEAN NOT NULL,
    locale TEXT NOT NULL,
    confirm_token_hash TEXT,
    withdraw_token_hash TEXT,
    token_expires_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    confirmed_at TIMESTAMP,
    anonymized_at TIMESTAMP
);
CREATE UNIQUE INDEX signatures_petition_email_key ON signatures (petition_id, email_canonical);
CREATE UNIQUE INDEX signatures_confirm_token_key ON signatures (confirm_token_hash);
CREATE UNIQUE INDEX signatures_withdraw_token_key ON signatures (withdraw_token_hash);
CREATE INDEX signatures_petition_confirmed_idx ON signatures (petition_id, confirmed_at);
CREATE INDEX signatures_expiry_idx ON signatures (token_expires_at);

-- Counts are sharded so that concurrent confirmations do not all update one hot row.
CREATE TABLE petition_counters (
    petition_id TEXT NOT NULL REFERENCES petitions (id),
    shard INTEGER NOT NULL,
    signatures BIGINT NOT NULL,
    PRIMARY KEY (petition_id, shard)
);

CREATE TABLE outgoing_emails (
    id TEXT PRIMARY KEY NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT
);
CREATE INDEX outgoing_emails_due_idx ON outgoing_emails (next_attempt_at);
