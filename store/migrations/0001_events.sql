-- Events and job cursors.
--
-- Kept portable between SQLite and PostgreSQL on purpose. The differences a
-- PostgreSQL implementation has to make are:
--   * id: BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY (SQLite's INTEGER
--     PRIMARY KEY is its rowid alias and already auto-increments);
--   * labels, annotations: JSONB (queried with labels->>'name' instead of
--     json_extract(labels, '$."name"'));
--   * REAL means single precision in PostgreSQL: use DOUBLE PRECISION, which
--     SQLite also accepts (as REAL affinity). It is used below for that reason.
-- Timestamps are unix milliseconds in BIGINT everywhere, so neither database's
-- time zone handling is involved.
CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    job         TEXT NOT NULL,
    fingerprint TEXT NOT NULL,              -- 16 hex digits, alert.Fingerprint.String()
    labels      TEXT NOT NULL,              -- JSON object, keys sorted
    annotations TEXT NOT NULL DEFAULT '{}', -- JSON object, keys sorted
    ts          BIGINT NOT NULL,            -- unix ms of the sample judged
    value       DOUBLE PRECISION,           -- NULL encodes NaN
    expected    DOUBLE PRECISION,
    lower       DOUBLE PRECISION,
    upper       DOUBLE PRECISION,
    score       DOUBLE PRECISION,
    detector    TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,            -- unix ms
    UNIQUE (job, kind, fingerprint, ts)
);

CREATE INDEX events_ts ON events (ts);
CREATE INDEX events_job_ts ON events (job, ts);

CREATE TABLE cursors (
    job TEXT PRIMARY KEY,
    ts  BIGINT NOT NULL -- unix ms
);
