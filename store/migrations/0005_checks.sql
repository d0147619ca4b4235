-- Consistency checks: one row per run of a check (its counts, or the error
-- that stopped it) and the differences a run kept, with the key, the rows
-- on each side and since when the key has differed.
--
-- Portable as 0001 is: PostgreSQL would use BIGINT GENERATED ALWAYS AS
-- IDENTITY for the id and JSONB for the JSON columns. "check" is a
-- reserved word in SQL, hence check_name.
CREATE TABLE check_runs (
    id            INTEGER PRIMARY KEY,
    check_name    TEXT NOT NULL,
    started       BIGINT NOT NULL,            -- unix ms
    duration_ms   BIGINT NOT NULL,
    status        TEXT NOT NULL,              -- ok | error
    mode          TEXT NOT NULL,              -- merge | checksum (the mode that ran)
    left_rows     BIGINT NOT NULL DEFAULT 0,
    right_rows    BIGINT NOT NULL DEFAULT 0,
    missing_left  BIGINT NOT NULL DEFAULT 0,  -- after the grace re-check
    missing_right BIGINT NOT NULL DEFAULT 0,
    mismatched    BIGINT NOT NULL DEFAULT 0,
    transient     BIGINT NOT NULL DEFAULT 0,  -- cleared within the grace
    suppressed    BIGINT NOT NULL DEFAULT 0,  -- dropped from alerts by a suppress rule
    truncated     BIGINT NOT NULL DEFAULT 0,  -- beyond max_differences: counted, not kept
    error         TEXT NOT NULL DEFAULT '',
    notes         TEXT NOT NULL DEFAULT '[]'  -- JSON array of strings
);

CREATE INDEX check_runs_check ON check_runs (check_name, id);

CREATE TABLE check_differences (
    run_id       BIGINT NOT NULL REFERENCES check_runs (id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,           -- position in the run, in key order
    key          TEXT NOT NULL,              -- JSON object: key column -> value
    kind         TEXT NOT NULL,              -- missing_left | missing_right | mismatched
    columns      TEXT NOT NULL DEFAULT '[]', -- JSON array: compared columns that differ
    left_values  TEXT,                       -- JSON object of the left row; NULL when missing there
    right_values TEXT,
    transient    INTEGER NOT NULL DEFAULT 0, -- 1: cleared within the grace
    rule         TEXT NOT NULL DEFAULT '',   -- the analyst rule that decided
    severity     TEXT NOT NULL DEFAULT '',
    suppressed   INTEGER NOT NULL DEFAULT 0,
    first_seen   BIGINT NOT NULL,            -- unix ms: start of the first run in a row that found the key differing
    PRIMARY KEY (run_id, seq)
);

CREATE INDEX check_differences_key ON check_differences (run_id, key);
