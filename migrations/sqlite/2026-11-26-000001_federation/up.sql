-- Federation (ActivityPub). Kept in lock-step with migrations/postgres.

-- Key pairs of this instance's actors (instance, organizations, petitions), made on first use.
CREATE TABLE ap_local_keys (
    actor_url TEXT PRIMARY KEY NOT NULL,
    public_key_pem TEXT NOT NULL,
    private_key_pem TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- Remote actors we have fetched: where to deliver, and the key their requests are signed with.
CREATE TABLE ap_remote_actors (
    url TEXT PRIMARY KEY NOT NULL,
    host TEXT NOT NULL,
    kind TEXT NOT NULL,
    username TEXT NOT NULL,
    name TEXT,
    inbox TEXT NOT NULL,
    shared_inbox TEXT,
    public_key_pem TEXT NOT NULL,
    fetched_at TIMESTAMP NOT NULL
);
CREATE INDEX ap_remote_actors_host_idx ON ap_remote_actors (host);

-- Remote actors following one of ours.
CREATE TABLE ap_followers (
    local_actor TEXT NOT NULL,
    follower TEXT NOT NULL REFERENCES ap_remote_actors (url),
    follower_host TEXT NOT NULL,
    follow_id TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (local_actor, follower)
);
CREATE INDEX ap_followers_host_idx ON ap_followers (follower_host);

-- Remote actors this instance follows (signons federation follow).
CREATE TABLE ap_following (
    remote_actor TEXT PRIMARY KEY NOT NULL,
    host TEXT NOT NULL,
    follow_id TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX ap_following_follow_key ON ap_following (follow_id);

-- Outgoing activities, one row per (activity, inbox), deleted once delivered.
CREATE TABLE ap_deliveries (
    id TEXT PRIMARY KEY NOT NULL,
    activity_id TEXT NOT NULL,
    actor_url TEXT NOT NULL,
    inbox TEXT NOT NULL,
    host TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    last_error TEXT
);
CREATE INDEX ap_deliveries_host_idx ON ap_deliveries (host, id);
CREATE INDEX ap_deliveries_due_idx ON ap_deliveries (next_attempt_at);

-- Ids of activities already received, so a retried delivery is processed once.
CREATE TABLE ap_received (
    activity_id TEXT PRIMARY KEY NOT NULL,
    actor TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL
);
CREATE INDEX ap_received_at_idx ON ap_received (received_at);

-- Admin policy per domain ('allow' or 'block'); the mode (open or allowlist) is a setting.
CREATE TABLE ap_domain_policies (
    domain TEXT PRIMARY KEY NOT NULL,
    policy TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE instance_settings (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

-- What a petition says to its followers: news by its organizers, milestones, its launch.
CREATE TABLE petition_posts (
    id TEXT PRIMARY KEY NOT NULL,
    petition_id TEXT NOT NULL REFERENCES petitions (id),
    kind TEXT NOT NULL,
    body_html TEXT NOT NULL,
    milestone BIGINT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX petition_posts_petition_idx ON petition_posts (petition_id, created_at);

-- Per petition: the last milestone announced and the last count sent in an Update.
CREATE TABLE ap_petition_sync (
    petition_id TEXT PRIMARY KEY NOT NULL REFERENCES petitions (id),
    last_milestone BIGINT NOT NULL,
    last_count_sent BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Petitions and posts received from the instances and organizations this one follows.
CREATE TABLE remote_petitions (
    url TEXT PRIMARY KEY NOT NULL,
    host TEXT NOT NULL,
    slug TEXT NOT NULL,
    title TEXT NOT NULL,
    summary_html TEXT NOT NULL,
    target TEXT NOT NULL,
    page_url TEXT NOT NULL,
    attributed_to TEXT NOT NULL,
    signature_count BIGINT NOT NULL,
    signature_goal BIGINT NOT NULL,
    status TEXT NOT NULL,
    end_at TIMESTAMP,
    received_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX remote_petitions_handle_key ON remote_petitions (slug, host);

CREATE TABLE remote_posts (
    url TEXT PRIMARY KEY NOT NULL,
    actor TEXT NOT NULL,
    host TEXT NOT NULL,
    petition_url TEXT,
    content_html TEXT NOT NULL,
    published_at TIMESTAMP NOT NULL,
    received_at TIMESTAMP NOT NULL
);
CREATE INDEX remote_posts_received_idx ON remote_posts (received_at);

-- Instance admins (federation policy); the first organizer of an instance is one.
ALTER TABLE organizers ADD COLUMN is_admin BOOLEAN NOT NULL DEFAULT FALSE;
