package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/prometheus/model/labels"
)

// States of a saved metric rule alert, as package rules/metric names them.
const (
	RuleAlertPending = "pending"
	RuleAlertFiring  = "firing"
)

// RuleAlertState is the saved state of one active alert of a metric rule
// group: what a restart needs to carry on where the previous process
// stopped.
type RuleAlertState struct {
	Rule            string        // the rule's key in its group (alert name and definition hash)
	Labels          labels.Labels // the alert's label set
	State           string        // RuleAlertPending or RuleAlertFiring
	ActiveAt        time.Time     // start of pending
	FiredAt         time.Time     // start of firing; zero while pending
	KeepFiringSince time.Time     // zero unless keep_firing_for keeps it firing
}

// RuleGroupState is what is saved of one metric rule group.
type RuleGroupState struct {
	// EvaluatedAt is the latest evaluation whose state was saved; zero
	// when the group never saved any.
	EvaluatedAt time.Time
	Alerts      []RuleAlertState // by rule and label set
}

// RuleStateUpdate is what changed in a group's state at one evaluation.
type RuleStateUpdate struct {
	Group       string
	EvaluatedAt time.Time
	// Replace deletes every saved alert of the group before Put is
	// written: the whole state is being written, not a change.
	Replace bool
	Put     []RuleAlertState // new or changed alerts
	Delete  []RuleAlertState // alerts no longer active, by Rule and Labels
}

// RuleStateStore persists the alert state of metric rule groups.
type RuleStateStore interface {
	// RuleState returns what is saved of group.
	RuleState(ctx context.Context, group string) (RuleGroupState, error)
	// SaveRuleState applies u in one transaction.
	SaveRuleState(ctx context.Context, u RuleStateUpdate) error
}

// validate checks an update before anything is written.
func (u RuleStateUpdate) validate() error {
	if u.Group == "" {
		return fmt.Errorf("%w rule state: group is required", ErrInvalid)
	}
	if u.EvaluatedAt.IsZero() {
		return fmt.Errorf("%w rule state of %q: evaluation time is required", ErrInvalid, u.Group)
	}
	if err := checkNanos("rule state of "+u.Group, u.EvaluatedAt); err != nil {
		return fmt.Errorf("%w %w", ErrInvalid, err)
	}
	for _, a := range u.Put {
		if err := a.validate(); err != nil {
			return fmt.Errorf("%w rule state of %q: %w", ErrInvalid, u.Group, err)
		}
	}
	for _, a := range u.Delete {
		if a.Rule == "" {
			return fmt.Errorf("%w rule state of %q: deleted alert %s has no rule", ErrInvalid, u.Group, a.Labels)
		}
	}
	return nil
}

func (a RuleAlertState) validate() error {
	switch {
	case a.Rule == "":
		return fmt.Errorf("alert %s has no rule", a.Labels)
	case a.State != RuleAlertPending && a.State != RuleAlertFiring:
		return fmt.Errorf("alert %s: state %q is neither %s nor %s", a.Labels, a.State, RuleAlertPending, RuleAlertFiring)
	case a.ActiveAt.IsZero():
		return fmt.Errorf("alert %s has no active time", a.Labels)
	}
	return checkNanos(fmt.Sprintf("alert %s", a.Labels), a.ActiveAt, a.FiredAt, a.KeepFiringSince)
}

// RuleState implements RuleStateStore.
func (s *sqliteStore) RuleState(ctx context.Context, group string) (RuleGroupState, error) {
	var (
		out RuleGroupState
		at  int64
	)
	err := s.r.QueryRowContext(ctx, `SELECT evaluated_at FROM rule_group_state WHERE group_name = ?`, group).Scan(&at)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return out, nil
	case err != nil:
		return out, fmt.Errorf("rule state of %q: %w", group, err)
	}
	out.EvaluatedAt = time.Unix(0, at).UTC()
	rows, err := s.r.QueryContext(ctx, `SELECT rule, labels, state, active_at, fired_at, keep_firing_since
		FROM rule_alert_state WHERE group_name = ? ORDER BY rule, labels`, group)
	if err != nil {
		return out, fmt.Errorf("rule state of %q: %w", group, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			a                  RuleAlertState
			ls                 string
			activeAt           int64
			firedAt, keepSince sql.NullInt64
		)
		if err := rows.Scan(&a.Rule, &ls, &a.State, &activeAt, &firedAt, &keepSince); err != nil {
			return out, fmt.Errorf("rule state of %q: %w", group, err)
		}
		if err := json.Unmarshal([]byte(ls), &a.Labels); err != nil {
			return out, fmt.Errorf("rule state of %q: labels of rule %s: %w", group, a.Rule, err)
		}
		a.ActiveAt, a.FiredAt, a.KeepFiringSince = time.Unix(0, activeAt).UTC(), decodeNanos(firedAt), decodeNanos(keepSince)
		out.Alerts = append(out.Alerts, a)
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("rule state of %q: %w", group, err)
	}
	return out, nil
}

// SaveRuleState implements RuleStateStore.
func (s *sqliteStore) SaveRuleState(ctx context.Context, u RuleStateUpdate) (err error) {
	if err := u.validate(); err != nil {
		return err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save rule state of %q: begin: %w", u.Group, err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, rollback(tx))
		}
	}()
	if _, err := tx.ExecContext(ctx, `INSERT INTO rule_group_state (group_name, evaluated_at) VALUES (?, ?)
		ON CONFLICT (group_name) DO UPDATE SET evaluated_at = excluded.evaluated_at`,
		u.Group, u.EvaluatedAt.UnixNano()); err != nil {
		return fmt.Errorf("save rule state of %q: %w", u.Group, err)
	}
	if u.Replace {
		if _, err := tx.ExecContext(ctx, `DELETE FROM rule_alert_state WHERE group_name = ?`, u.Group); err != nil {
			return fmt.Errorf("save rule state of %q: %w", u.Group, err)
		}
	}
	for _, a := range u.Delete {
		ls, err := json.Marshal(a.Labels)
		if err != nil {
			return fmt.Errorf("save rule state of %q: %w", u.Group, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM rule_alert_state WHERE group_name = ? AND rule = ? AND labels = ?`,
			u.Group, a.Rule, string(ls)); err != nil {
			return fmt.Errorf("save rule state of %q: %w", u.Group, err)
		}
	}
	for _, a := range u.Put {
		ls, err := json.Marshal(a.Labels) // a JSON object with sorted keys: the same label set is the same text
		if err != nil {
			return fmt.Errorf("save rule state of %q: %w", u.Group, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO rule_alert_state
			(group_name, rule, labels, state, active_at, fired_at, keep_firing_since) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (group_name, rule, labels) DO UPDATE SET state = excluded.state, active_at = excluded.active_at,
				fired_at = excluded.fired_at, keep_firing_since = excluded.keep_firing_since`,
			u.Group, a.Rule, string(ls), a.State, a.ActiveAt.UnixNano(), encodeNanos(a.FiredAt), encodeNanos(a.KeepFiringSince)); err != nil {
			return fmt.Errorf("save rule state of %q: %w", u.Group, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save rule state of %q: commit: %w", u.Group, err)
	}
	return nil
}
