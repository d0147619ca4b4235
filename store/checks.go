package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// CheckStore persists the runs of consistency checks and the differences
// they found.
type CheckStore interface {
	// SaveCheckRun stores a run and its differences in one transaction
	// and returns the run's ID. Each difference's FirstSeen is carried
	// over from the newest earlier successful run of the same check that
	// recorded the same key as a lasting (not transient) difference; when
	// there is none it is the run's start. Old runs of the check are
	// pruned (see CheckRunsKept and CheckDifferenceRunsKept).
	SaveCheckRun(ctx context.Context, run CheckRun, diffs []CheckDifference) (int64, error)
	// CheckRuns returns the newest runs of check, newest first: at most
	// limit (0 = DefaultLimit, capped at MaxLimit).
	CheckRuns(ctx context.Context, check string, limit int) ([]CheckRun, error)
	// CheckRun returns one run of check, or ErrNotFound.
	CheckRun(ctx context.Context, check string, id int64) (CheckRun, error)
	// CheckDifferences returns the differences of one run in key order.
	CheckDifferences(ctx context.Context, f CheckDifferenceFilter) ([]CheckDifference, error)
}

// Retention of check results, per check.
const (
	// CheckRunsKept is how many runs of a check are kept (a week of runs
	// every minute).
	CheckRunsKept = 10080
	// CheckDifferenceRunsKept is how many of the newest runs keep their
	// differences; older runs keep only their counts.
	CheckDifferenceRunsKept = 100
)

// Statuses of a check run.
const (
	CheckStatusOK    = "ok"
	CheckStatusError = "error"
)

// CheckRun is one run of a consistency check.
type CheckRun struct {
	ID       int64         `json:"id"`
	Check    string        `json:"check"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"-"`
	Status   string        `json:"status"` // ok or error
	Mode     string        `json:"mode"`   // the mode that ran: merge or checksum
	// Rows read on each side.
	Left  int64 `json:"left"`
	Right int64 `json:"right"`
	// Differences after the grace re-check.
	MissingLeft  int64 `json:"missing_left"`
	MissingRight int64 `json:"missing_right"`
	Mismatched   int64 `json:"mismatched"`
	// Transient differences cleared within the grace.
	Transient  int64 `json:"transient"`
	Suppressed int64 `json:"suppressed"` // dropped from alerts by a suppress rule
	Truncated  int64 `json:"truncated"`  // beyond max_differences: counted, not kept
	// Error says why a run failed.
	Error string   `json:"error,omitempty"`
	Notes []string `json:"notes,omitempty"`
}

// CheckDifference is one key on which a run found the two sides
// disagreeing. Key, Left and Right are JSON objects (column → value);
// Left or Right is nil when the key is missing from that side.
type CheckDifference struct {
	RunID      int64           `json:"run_id"`
	Seq        int             `json:"seq"`
	Key        json.RawMessage `json:"key"`
	Kind       string          `json:"kind"` // missing_left, missing_right or mismatched
	Columns    []string        `json:"columns,omitempty"`
	Left       json.RawMessage `json:"left,omitempty"`
	Right      json.RawMessage `json:"right,omitempty"`
	Transient  bool            `json:"transient"`
	Rule       string          `json:"rule,omitempty"`
	Severity   string          `json:"severity,omitempty"`
	Suppressed bool            `json:"suppressed,omitempty"`
	// FirstSeen is when the key was first found differing in the current
	// streak of runs: "since when".
	FirstSeen time.Time `json:"first_seen"`
}

// CheckDifferenceFilter selects the differences of one run.
type CheckDifferenceFilter struct {
	RunID int64
	Kind  string // "" for every kind
	// Transient: nil for both, else only transient (true) or lasting
	// (false) differences.
	Transient *bool
	Limit     int // 0 = DefaultLimit, capped at MaxLimit
}

func checkLimit(n int) (int, error) { return effectiveLimit(n, DefaultLimit, MaxLimit) }

// SaveCheckRun stores run and diffs in one transaction.
func (s *sqliteStore) SaveCheckRun(ctx context.Context, run CheckRun, diffs []CheckDifference) (id int64, err error) {
	if run.Check == "" {
		return 0, errors.New("save check run: no check name")
	}
	if run.Started.IsZero() {
		return 0, fmt.Errorf("save check run of %q: no start time", run.Check)
	}
	notes, err := json.Marshal(checkNonNil(run.Notes))
	if err != nil {
		return 0, fmt.Errorf("save check run of %q: notes: %w", run.Check, err)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("save check run of %q: begin: %w", run.Check, err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(fmt.Errorf("save check run of %q: %w", run.Check, err), rollback(tx))
		}
	}()
	var prev sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT MAX(id) FROM check_runs WHERE check_name = ? AND status = ?`,
		run.Check, CheckStatusOK).Scan(&prev); err != nil {
		return 0, fmt.Errorf("previous run: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `INSERT INTO check_runs
		(check_name, started, duration_ms, status, mode, left_rows, right_rows, missing_left, missing_right,
		 mismatched, transient, suppressed, truncated, error, notes)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		run.Check, run.Started.UnixMilli(), run.Duration.Milliseconds(), run.Status, run.Mode,
		run.Left, run.Right, run.MissingLeft, run.MissingRight, run.Mismatched, run.Transient,
		run.Suppressed, run.Truncated, run.Error, string(notes)).Scan(&id); err != nil {
		return 0, fmt.Errorf("insert run: %w", err)
	}
	if len(diffs) > 0 {
		if err := insertDifferences(ctx, tx, id, prev, run.Started, diffs); err != nil {
			return 0, err
		}
	}
	if err := pruneCheckRuns(ctx, tx, run.Check); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("commit: %w", err)
	}
	return id, nil
}

func insertDifferences(ctx context.Context, tx *sql.Tx, id int64, prev sql.NullInt64, started time.Time, diffs []CheckDifference) error {
	var lookup *sql.Stmt
	if prev.Valid {
		var err error
		lookup, err = tx.PrepareContext(ctx, `SELECT first_seen FROM check_differences WHERE run_id = ? AND key = ? AND transient = 0 LIMIT 1`)
		if err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
		defer lookup.Close()
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO check_differences
		(run_id, seq, key, kind, columns, left_values, right_values, transient, rule, severity, suppressed, first_seen)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	defer ins.Close()
	for i, d := range diffs {
		if len(d.Key) == 0 || !json.Valid(d.Key) {
			return fmt.Errorf("difference %d: key is not JSON", i)
		}
		first := started.UnixMilli()
		if lookup != nil {
			var prevFirst int64
			switch err := lookup.QueryRowContext(ctx, prev.Int64, string(d.Key)).Scan(&prevFirst); {
			case err == nil:
				first = prevFirst
			case !errors.Is(err, sql.ErrNoRows):
				return fmt.Errorf("difference %d: first seen: %w", i, err)
			}
		}
		cols, err := json.Marshal(checkNonNil(d.Columns))
		if err != nil {
			return fmt.Errorf("difference %d: columns: %w", i, err)
		}
		if _, err := ins.ExecContext(ctx, id, i, string(d.Key), d.Kind, string(cols), checkRawOrNull(d.Left), checkRawOrNull(d.Right),
			d.Transient, d.Rule, d.Severity, d.Suppressed, first); err != nil {
			return fmt.Errorf("difference %d: %w", i, err)
		}
	}
	return nil
}

// pruneCheckRuns drops the differences of runs older than the newest
// CheckDifferenceRunsKept and the runs older than the newest CheckRunsKept.
func pruneCheckRuns(ctx context.Context, tx *sql.Tx, check string) error {
	cutoff := func(keep int) (int64, bool, error) {
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM check_runs WHERE check_name = ? ORDER BY id DESC LIMIT 1 OFFSET ?`, check, keep).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, false, nil
		}
		return id, err == nil, err
	}
	id, ok, err := cutoff(CheckDifferenceRunsKept)
	if err != nil {
		return fmt.Errorf("prune: %w", err)
	}
	if ok {
		if _, err := tx.ExecContext(ctx, `DELETE FROM check_differences WHERE run_id IN
			(SELECT id FROM check_runs WHERE check_name = ? AND id <= ?)`, check, id); err != nil {
			return fmt.Errorf("prune differences: %w", err)
		}
	}
	id, ok, err = cutoff(CheckRunsKept)
	if err != nil {
		return fmt.Errorf("prune: %w", err)
	}
	if ok {
		if _, err := tx.ExecContext(ctx, `DELETE FROM check_runs WHERE check_name = ? AND id <= ?`, check, id); err != nil {
			return fmt.Errorf("prune runs: %w", err)
		}
	}
	return nil
}

func checkNonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func checkRawOrNull(m json.RawMessage) any {
	if len(m) == 0 {
		return nil
	}
	return string(m)
}

const checkRunColumns = `id, check_name, started, duration_ms, status, mode, left_rows, right_rows,
	missing_left, missing_right, mismatched, transient, suppressed, truncated, error, notes`

// CheckRuns returns the newest runs of check.
func (s *sqliteStore) CheckRuns(ctx context.Context, check string, limit int) ([]CheckRun, error) {
	n, err := checkLimit(limit)
	if err != nil {
		return nil, fmt.Errorf("check runs: %w", err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+checkRunColumns+` FROM check_runs WHERE check_name = ? ORDER BY id DESC LIMIT ?`, check, n)
	if err != nil {
		return nil, fmt.Errorf("check runs of %q: %w", check, err)
	}
	defer rows.Close()
	var out []CheckRun
	for rows.Next() {
		r, err := scanCheckRun(rows)
		if err != nil {
			return nil, fmt.Errorf("check runs of %q: %w", check, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("check runs of %q: %w", check, err)
	}
	return out, nil
}

// CheckRun returns one run of check.
func (s *sqliteStore) CheckRun(ctx context.Context, check string, id int64) (CheckRun, error) {
	row := s.r.QueryRowContext(ctx, `SELECT `+checkRunColumns+` FROM check_runs WHERE check_name = ? AND id = ?`, check, id)
	r, err := scanCheckRun(row)
	if errors.Is(err, sql.ErrNoRows) {
		return CheckRun{}, fmt.Errorf("run %d of check %q: %w", id, check, ErrNotFound)
	}
	if err != nil {
		return CheckRun{}, fmt.Errorf("run %d of check %q: %w", id, check, err)
	}
	return r, nil
}

type checkRunScanner interface{ Scan(dest ...any) error }

func scanCheckRun(sc checkRunScanner) (CheckRun, error) {
	var (
		r              CheckRun
		started, durMS int64
		notes          string
	)
	if err := sc.Scan(&r.ID, &r.Check, &started, &durMS, &r.Status, &r.Mode, &r.Left, &r.Right,
		&r.MissingLeft, &r.MissingRight, &r.Mismatched, &r.Transient, &r.Suppressed, &r.Truncated, &r.Error, &notes); err != nil {
		return r, err
	}
	r.Started = time.UnixMilli(started).UTC()
	r.Duration = time.Duration(durMS) * time.Millisecond
	if err := json.Unmarshal([]byte(notes), &r.Notes); err != nil {
		return r, fmt.Errorf("run %d: notes: %w", r.ID, err)
	}
	if len(r.Notes) == 0 {
		r.Notes = nil
	}
	return r, nil
}

// CheckDifferences returns the differences of one run in key order.
func (s *sqliteStore) CheckDifferences(ctx context.Context, f CheckDifferenceFilter) ([]CheckDifference, error) {
	n, err := checkLimit(f.Limit)
	if err != nil {
		return nil, fmt.Errorf("check differences: %w", err)
	}
	where := []string{"run_id = ?"}
	args := []any{f.RunID}
	if f.Kind != "" {
		where, args = append(where, "kind = ?"), append(args, f.Kind)
	}
	if f.Transient != nil {
		where, args = append(where, "transient = ?"), append(args, *f.Transient)
	}
	args = append(args, n)
	rows, err := s.r.QueryContext(ctx, `SELECT run_id, seq, key, kind, columns, left_values, right_values, transient,
		rule, severity, suppressed, first_seen FROM check_differences WHERE `+strings.Join(where, " AND ")+` ORDER BY seq LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("differences of run %d: %w", f.RunID, err)
	}
	defer rows.Close()
	var out []CheckDifference
	for rows.Next() {
		var (
			d           CheckDifference
			key, cols   string
			left, right sql.NullString
			first       int64
		)
		if err := rows.Scan(&d.RunID, &d.Seq, &key, &d.Kind, &cols, &left, &right, &d.Transient,
			&d.Rule, &d.Severity, &d.Suppressed, &first); err != nil {
			return nil, fmt.Errorf("differences of run %d: %w", f.RunID, err)
		}
		d.Key = json.RawMessage(key)
		if left.Valid {
			d.Left = json.RawMessage(left.String)
		}
		if right.Valid {
			d.Right = json.RawMessage(right.String)
		}
		if err := json.Unmarshal([]byte(cols), &d.Columns); err != nil {
			return nil, fmt.Errorf("differences of run %d: columns: %w", f.RunID, err)
		}
		if len(d.Columns) == 0 {
			d.Columns = nil
		}
		d.FirstSeen = time.UnixMilli(first).UTC()
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("differences of run %d: %w", f.RunID, err)
	}
	return out, nil
}
