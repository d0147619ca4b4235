-- The alert router's durable state (alert.StateStore): active alerts,
-- aggregation groups, silences, the notification log (what was last sent
-- per group and integration) and the notification history.
--
-- Timestamps here are unix NANOseconds, unlike the milliseconds of 0001:
-- the Manager compares the times it wrote (an alert's EndsAt against the
-- one it notified), so a reloaded alert must carry exactly the time it was
-- saved with. BIGINT nanoseconds cover the years 1678 to 2262. NULL is the
-- zero time (a firing alert's ends_at, an alert never acknowledged).
-- Fingerprints are 16 hex digits (alert.Fingerprint.String()); label sets
-- and annotations are JSON objects with sorted keys. Portable as 0001 is:
-- PostgreSQL would use BIGINT GENERATED ALWAYS AS IDENTITY for the history
-- id and JSONB for the JSON columns.

CREATE TABLE alert_alerts (
    fingerprint   TEXT PRIMARY KEY,
    labels        TEXT NOT NULL,              -- JSON object
    annotations   TEXT NOT NULL DEFAULT '{}', -- JSON object
    starts_at     BIGINT,                     -- unix ns
    ends_at       BIGINT,                     -- unix ns; NULL while firing
    updated_at    BIGINT,                     -- unix ns
    generator_url TEXT NOT NULL DEFAULT '',
    acked_by      TEXT NOT NULL DEFAULT '',   -- who acknowledged the current episode
    acked_at      BIGINT,                     -- unix ns; NULL when not acknowledged
    ack_comment   TEXT NOT NULL DEFAULT ''
);

CREATE TABLE alert_groups (
    group_key  TEXT PRIMARY KEY, -- route path and group labels
    route_id   TEXT NOT NULL,
    receiver   TEXT NOT NULL,
    labels     TEXT NOT NULL,    -- JSON object: the group_by labels
    created_at BIGINT            -- unix ns
);

CREATE TABLE alert_silences (
    id         TEXT PRIMARY KEY,
    matchers   TEXT NOT NULL, -- JSON array of matchers in Alertmanager syntax, e.g. ["team=\"payments\"","severity=~\"crit.*\""]
    starts_at  BIGINT NOT NULL, -- unix ns
    ends_at    BIGINT NOT NULL, -- unix ns
    created_by TEXT NOT NULL DEFAULT '',
    comment    TEXT NOT NULL DEFAULT '',
    updated_at BIGINT            -- unix ns
);

-- The notification log: one row per group and integration ("ops/webhook[0]"),
-- replaced on every notification. It is what keeps a restart from resending.
CREATE TABLE alert_notify_log (
    group_key   TEXT NOT NULL,
    integration TEXT NOT NULL,
    firing      TEXT NOT NULL DEFAULT '[]', -- JSON array of fingerprints, sorted
    resolved    TEXT NOT NULL DEFAULT '[]', -- JSON array of fingerprints, sorted
    sent_at     BIGINT,                     -- unix ns
    PRIMARY KEY (group_key, integration)
);

-- The notification history: every attempt, for people and the API.
-- AUTOINCREMENT so that an id is never reused after old rows are deleted.
CREATE TABLE alert_notifications (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    ts          BIGINT NOT NULL,            -- unix ns
    receiver    TEXT NOT NULL,
    integration TEXT NOT NULL DEFAULT '',
    group_key   TEXT NOT NULL,
    status      TEXT NOT NULL,              -- sent, failed or dropped
    firing      TEXT NOT NULL DEFAULT '[]', -- JSON array of fingerprints
    resolved    TEXT NOT NULL DEFAULT '[]', -- JSON array of fingerprints
    attempts    INTEGER NOT NULL DEFAULT 0,
    error       TEXT NOT NULL DEFAULT '',
    escalation  INTEGER NOT NULL DEFAULT 0  -- boolean
);

CREATE INDEX alert_notifications_ts ON alert_notifications (ts);
CREATE INDEX alert_notifications_receiver_ts ON alert_notifications (receiver, ts);
CREATE INDEX alert_notifications_status_ts ON alert_notifications (status, ts);
CREATE INDEX alert_notifications_group_ts ON alert_notifications (group_key, ts);
