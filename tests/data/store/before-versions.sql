CREATE TABLE IF NOT EXISTS subscribers (
    id INTEGER PRIMARY KEY,
    address TEXT NOT NULL,
    address_key TEXT NOT NULL UNIQUE,          -- lower-cased: de-duplicates case-insensitively
    name TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT '',         -- '' = the site's default edition
    status TEXT NOT NULL DEFAULT 'active'
        CHECK (status IN ('active', 'unsubscribed', 'bounced', 'complained')),
    source TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL,
    changed TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sends (
    issue_id TEXT PRIMARY KEY,
    slug TEXT NOT NULL,
    enqueued TEXT NOT NULL,
    recipients INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    issue_id TEXT NOT NULL,
    subscriber_id INTEGER NOT NULL,
    address TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'skipped')),
    failure TEXT CHECK (failure IN ('temporary', 'permanent')),
    attempts INTEGER NOT NULL DEFAULT 0,
    reply TEXT NOT NULL DEFAULT '',
    changed TEXT NOT NULL,
    PRIMARY KEY (issue_id, subscriber_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pending_signups (
    address_key TEXT PRIMARY KEY,
    address TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT '',
    nonce TEXT NOT NULL,
    requested TEXT NOT NULL,
    last_sent TEXT NOT NULL DEFAULT '',
    sends INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS pending_signups_requested ON pending_signups (requested);
INSERT INTO subscribers VALUES (1, 'lila@example.org', 'lila@example.org', 'Lila', 'de', 'active', 'cli',
    '2025-11-01T08:00:00+00:00', '2025-11-01T08:00:00+00:00');
INSERT INTO subscribers VALUES (2, 'omar@example.org', 'omar@example.org', '', '', 'unsubscribed', 'web',
    '2025-11-02T08:00:00+00:00', '2025-11-03T08:00:00+00:00');
INSERT INTO sends VALUES ('tag:example.org,2025-11-20:x', 'x', '2025-11-20T08:00:00+00:00', 1);
INSERT INTO deliveries VALUES ('tag:example.org,2025-11-20:x', 1, 'lila@example.org', 'sent', NULL, 1,
    '250 ok', '2025-11-20T08:00:01+00:00');
INSERT INTO pending_signups VALUES ('kim@example.org', 'kim@example.org', '', 'fr', 'n0nce',
    '2025-11-21T08:00:00+00:00', '2025-11-21T08:00:00+00:00', 1);
