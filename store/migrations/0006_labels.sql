-- Labels: people's (and Seismo's proposed) judgements on points and ranges
-- of a monitor's series, the audit log of every change to them, and the
-- API tokens created through the admin endpoint (hashed; configured tokens
-- are never stored).
--
-- Portable as 0001 is: PostgreSQL would use BIGINT GENERATED ALWAYS AS
-- IDENTITY for the ids and JSONB for series, before and after.
CREATE TABLE labels (
    id          INTEGER PRIMARY KEY,
    monitor     TEXT NOT NULL,
    fingerprint TEXT NOT NULL,   -- of the series' label set, 16 hex digits
    series      TEXT NOT NULL,   -- JSON object, keys sorted; {} = every series of the monitor
    from_ts     BIGINT NOT NULL, -- unix ms, inclusive
    to_ts       BIGINT NOT NULL, -- unix ms, inclusive; = from_ts for a point
    kind        TEXT NOT NULL,   -- anomaly | noise | normal
    author      TEXT NOT NULL DEFAULT '',
    note        TEXT NOT NULL DEFAULT '',
    source      TEXT NOT NULL,   -- human | auto
    status      TEXT NOT NULL,   -- proposed | confirmed | rejected
    created_at  BIGINT NOT NULL, -- unix ms
    updated_at  BIGINT NOT NULL  -- unix ms
);

CREATE INDEX labels_monitor_range ON labels (monitor, from_ts, to_ts);
CREATE INDEX labels_monitor_fingerprint ON labels (monitor, fingerprint);

CREATE TABLE label_audit (
    id        INTEGER PRIMARY KEY,
    ts        BIGINT NOT NULL, -- unix ms
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    label_id  BIGINT NOT NULL DEFAULT 0, -- 0 for an action on no label
    target    TEXT NOT NULL DEFAULT '',
    before    TEXT,            -- JSON of the label before, NULL when created
    after     TEXT             -- JSON of the label after, NULL when deleted
);

CREATE INDEX label_audit_label ON label_audit (label_id);

CREATE TABLE api_tokens (
    name       TEXT PRIMARY KEY,
    role       TEXT NOT NULL,  -- viewer | labeler | admin
    hash       TEXT NOT NULL,  -- hex SHA-256 of the secret
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL DEFAULT ''
);
