-- Metric rule groups' alert state (store.RuleStateStore), so that a
-- restart carries on where the previous process stopped: a pending alert
-- does not wait its `for` again and a firing one keeps its start (docs/rules.md).
--
-- rule_group_state holds one row per group: the instant of its latest
-- evaluation whose state was saved, which tells how old the saved state is.
-- rule_alert_state holds one row per active (pending or firing) alert.
-- rule is the rule's key: its alert name and a hash of its definition, so
-- that a changed rule does not pick up another rule's state. Times are unix
-- NANOseconds, as in 0004, so that a restored firing start is exactly the
-- time of the event already stored; NULL is the zero time. Labels are a JSON
-- object with sorted keys.
CREATE TABLE rule_group_state (
    group_name   TEXT PRIMARY KEY,
    evaluated_at BIGINT NOT NULL -- unix ns
);

CREATE TABLE rule_alert_state (
    group_name        TEXT NOT NULL,
    rule              TEXT NOT NULL,
    labels            TEXT NOT NULL,   -- JSON object
    state             TEXT NOT NULL,   -- pending or firing
    active_at         BIGINT NOT NULL, -- unix ns
    fired_at          BIGINT,          -- unix ns; NULL while pending
    keep_firing_since BIGINT,          -- unix ns; NULL unless keep_firing_for keeps it firing
    PRIMARY KEY (group_name, rule, labels)
);
