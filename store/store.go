// Package store persists what Seismo finds — events and the per-job cursors
// that say how far each job has looked — behind a small interface, so that
// the embedded SQLite database used by default can be swapped for a shared
// PostgreSQL one.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/alert"
)

// Store persists events and job cursors. Implementations are safe for
// concurrent use.
type Store interface {
	// AppendEvents stores evs and returns how many were new. Events that
	// duplicate a stored one (same job, kind, fingerprint and time) are
	// ignored, so re-running a job over the same range is harmless. The ID
	// of each inserted event is set in evs; the others are left untouched.
	AppendEvents(ctx context.Context, evs []alert.Event) (inserted int, err error)
	// Events returns the events matching f, newest first.
	Events(ctx context.Context, f EventFilter) ([]alert.Event, error)
	// Cursor returns the time up to which job has processed its input, or
	// the zero time if it never recorded one.
	Cursor(ctx context.Context, job string) (time.Time, error)
	// SetCursor records the time up to which job has processed its input.
	SetCursor(ctx context.Context, job string, t time.Time) error
	// SaveChoice records (or replaces) the detector chosen for one series
	// of a job.
	SaveChoice(ctx context.Context, c Choice) error
	// Choices returns the detector choices of job ("" for every job),
	// ordered by job and label set.
	Choices(ctx context.Context, job string) ([]Choice, error)
	// LogStore persists log streams' templates, counts and state.
	LogStore
	// LabelStore persists labels, their audit log and API tokens.
	LabelStore
	// TuningStore persists the detector settings saved per monitor.
	TuningStore
	// CheckStore persists consistency checks' runs and differences.
	CheckStore
	// RuleStateStore persists metric rule groups' alert state.
	RuleStateStore
	// StateStore persists the alert router's state: alerts, aggregation
	// groups, silences, the notification log and history.
	alert.StateStore
	// Close releases the store's resources.
	Close() error
}

// Choice is a detector chosen for one series by type auto. Detail is the
// detector package's JSON of the choice, reasons included; the store keeps
// it opaque.
type Choice struct {
	Job      string          `json:"job"`
	Labels   labels.Labels   `json:"labels"`
	Detector string          `json:"detector"`
	Detail   json.RawMessage `json:"detail"`
	ChosenAt time.Time       `json:"chosen_at"`
}

// EventFilter selects events. Zero fields do not filter.
type EventFilter struct {
	From, To time.Time         // inclusive time range of Event.Time; zero = open
	Job      string            // only this job's events
	Kind     alert.Kind        // only events of this kind
	Matchers []*labels.Matcher // all must match the event's label set
	Limit    int               // at most this many events; 0 = DefaultLimit, capped at MaxLimit
}

// Limits on the number of events one Events call returns.
const (
	DefaultLimit = 100
	MaxLimit     = 10000
)

// limit returns the effective limit of f.
func (f EventFilter) limit() (int, error) { return effectiveLimit(f.Limit, DefaultLimit, MaxLimit) }

func (f EventFilter) validate() error { return validateFilter(f.From, f.To, f.Matchers, f.Limit) }

// effectiveLimit returns the number of rows a query that asked for n
// returns: def for 0, at most max; a negative n is an error.
func effectiveLimit(n, def, max int) (int, error) {
	switch {
	case n < 0:
		return 0, fmt.Errorf("negative limit %d", n)
	case n == 0:
		return def, nil
	case n > max:
		return max, nil
	}
	return n, nil
}

// checkTimeRange refuses a range [from, to] that ends before it starts;
// a zero end is open.
func checkTimeRange(from, to time.Time) error {
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		return fmt.Errorf("time range ends (%s) before it starts (%s)", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	return nil
}

// validateFilter checks what the filters of events and labels share: the
// time range, no nil matcher, and a limit that is not negative.
func validateFilter(from, to time.Time, matchers []*labels.Matcher, limit int) error {
	if err := checkTimeRange(from, to); err != nil {
		return err
	}
	for i, m := range matchers {
		if m == nil {
			return fmt.Errorf("matcher %d is nil", i)
		}
	}
	if limit < 0 {
		return fmt.Errorf("negative limit %d", limit)
	}
	return nil
}

// ErrUnsupportedDriver is returned by Open for a driver that Seismo does
// not implement.
var ErrUnsupportedDriver = errors.New("unsupported store driver")

// Open opens the store of the given driver and brings its schema up to date.
// driver is "sqlite"; dsn is then a file path or a "file:" URI (the parent
// folder is created).
func Open(ctx context.Context, driver, dsn string) (Store, error) {
	switch driver {
	case "sqlite", "sqlite3", "":
		s, err := openSQLite(ctx, dsn)
		if err != nil {
			return nil, fmt.Errorf("open sqlite store: %w", err)
		}
		return s, nil
	case "postgres", "postgresql", "pgx":
		return nil, fmt.Errorf("%w: %q is not supported yet (use sqlite)", ErrUnsupportedDriver, driver)
	}
	return nil, fmt.Errorf("%w: %q (use sqlite)", ErrUnsupportedDriver, driver)
}
