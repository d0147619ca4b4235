-- Log streams: mined templates, their counts per step, the steps the
-- stream was watched (so that a step without records reads as 0 and a step
-- Seismo was down reads as a gap), the miner's snapshot and the offsets of
-- file inputs.
--
-- Template ids and inodes are unsigned 64-bit in Go and stored as the
-- BIGINT with the same bits. Portable as 0001 is: PostgreSQL would use
-- BYTEA for the snapshot.
CREATE TABLE log_templates (
    stream     TEXT NOT NULL,
    id         BIGINT NOT NULL,            -- the miner's cluster id
    template   TEXT NOT NULL,
    examples   TEXT NOT NULL DEFAULT '[]', -- JSON array of masked example lines
    first_seen BIGINT NOT NULL,            -- unix ms
    last_seen  BIGINT NOT NULL,            -- unix ms
    count      BIGINT NOT NULL,
    PRIMARY KEY (stream, id)
);

CREATE TABLE log_counts (
    stream TEXT NOT NULL,
    id     BIGINT NOT NULL, -- template id; 0 counts records the miner did not mine (empty, binary)
    ts     BIGINT NOT NULL, -- unix ms of the step's start
    count  BIGINT NOT NULL,
    PRIMARY KEY (stream, ts, id)
);

CREATE TABLE log_steps (
    stream  TEXT NOT NULL,
    ts      BIGINT NOT NULL, -- unix ms of the step's start
    records BIGINT NOT NULL,
    errors  BIGINT NOT NULL, -- records at an error level
    PRIMARY KEY (stream, ts)
);

CREATE TABLE log_snapshots (
    stream   TEXT PRIMARY KEY,
    data     BLOB NOT NULL,  -- logpattern.Miner.Snapshot
    saved_at BIGINT NOT NULL -- unix ms
);

CREATE TABLE log_offsets (
    stream TEXT NOT NULL,
    path   TEXT NOT NULL,
    device BIGINT NOT NULL,
    inode  BIGINT NOT NULL,
    offset BIGINT NOT NULL,
    PRIMARY KEY (stream, path)
);
