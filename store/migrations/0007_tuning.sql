-- Tuning: the detector setting an analyst saved for a monitor from the
-- tuning page or API, applied by the engine over the configuration's own
-- (type, sensitivity, direction, persistence, min_deviation) until it is
-- deleted. One row per monitor; every save and delete is also written to
-- label_audit (action tuning.save / tuning.delete, target = the monitor).
CREATE TABLE monitor_tuning (
    monitor  TEXT PRIMARY KEY,
    detector TEXT NOT NULL,               -- JSON of the setting (engine.Draft), opaque to the store
    author   TEXT NOT NULL DEFAULT '',
    note     TEXT NOT NULL DEFAULT '',
    saved_at BIGINT NOT NULL              -- unix ms
);
