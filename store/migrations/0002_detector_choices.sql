-- What type auto chose for each series of a monitor, and why.
--
-- The choice is kept as the detector package's JSON (detector, candidate,
-- reasons, scores) so that the store stays free of analysis types; the
-- chosen detector's name is a column of its own for listing and filtering.
-- Portable as 0001 is: PostgreSQL would use JSONB for labels and choice.
CREATE TABLE detector_choices (
    job         TEXT NOT NULL,
    fingerprint TEXT NOT NULL,  -- of the series' label set, 16 hex digits
    labels      TEXT NOT NULL,  -- JSON object, keys sorted
    detector    TEXT NOT NULL,  -- the chosen candidate's name
    choice      TEXT NOT NULL,  -- JSON: detector.Choice
    chosen_at   BIGINT NOT NULL, -- unix ms
    PRIMARY KEY (job, fingerprint)
);
