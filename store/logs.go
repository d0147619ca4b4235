package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// LogStore persists what log streams learn: templates, counts per step,
// the steps watched, the miner's snapshot and file offsets.
type LogStore interface {
	// SaveLogFlush stores one flush of a stream in one transaction:
	// templates are inserted or updated (their Count is added to the
	// stored one), counts and steps are added to the stored ones, and the
	// snapshot, when not nil, replaces the stored one.
	SaveLogFlush(ctx context.Context, f LogFlush) error
	// LogTemplates returns the templates of stream, by id, with their
	// total counts and, when from or to is set, their counts over
	// [from, to] in RangeCount.
	LogTemplates(ctx context.Context, stream string, from, to time.Time) ([]LogTemplate, error)
	// LogCounts returns the counts of stream's templates over [from, to],
	// by time then id.
	LogCounts(ctx context.Context, stream string, from, to time.Time) ([]LogCount, error)
	// LogSteps returns the steps stream was watched over [from, to], by time.
	LogSteps(ctx context.Context, stream string, from, to time.Time) ([]LogStep, error)
	// LogSnapshot returns the stored miner snapshot of stream, or nil.
	LogSnapshot(ctx context.Context, stream string) ([]byte, error)
	// SaveLogOffsets replaces the file offsets of stream.
	SaveLogOffsets(ctx context.Context, stream string, offs []LogOffset) error
	// LogOffsets returns the file offsets of stream, by path.
	LogOffsets(ctx context.Context, stream string) ([]LogOffset, error)
}

// LogTemplate is a template of a log stream.
type LogTemplate struct {
	ID         uint64    `json:"id"`
	Template   string    `json:"template"`
	Examples   []string  `json:"examples"` // masked example lines
	FirstSeen  time.Time `json:"first_seen"`
	LastSeen   time.Time `json:"last_seen"`
	Count      int64     `json:"count"`       // all time (in a LogFlush: to add)
	RangeCount int64     `json:"range_count"` // over the range asked for (LogTemplates)
}

// LogCount is how many records of a template a step counted.
type LogCount struct {
	ID    uint64    `json:"id"`
	Time  time.Time `json:"time"` // start of the step
	Count int64     `json:"count"`
}

// LogStep is one step a stream was watched: its records and how many of
// them were at an error level. A step with 0 records is a quiet step, as
// opposed to a step without a row, when nothing was watching.
type LogStep struct {
	Time    time.Time `json:"time"`
	Records int64     `json:"records"`
	Errors  int64     `json:"errors"`
}

// LogOffset is where a file input resumes in one file.
type LogOffset struct {
	Path   string `json:"path"`
	Device uint64 `json:"device"`
	Inode  uint64 `json:"inode"`
	Offset int64  `json:"offset"`
}

// LogFlush is what a stream stores at once.
type LogFlush struct {
	Stream    string
	Templates []LogTemplate // upserted; Count is added
	Counts    []LogCount    // added
	Steps     []LogStep     // added
	Snapshot  []byte        // replaces the stored snapshot when not nil
	SavedAt   time.Time
}

// SaveLogFlush stores f in one transaction.
func (s *sqliteStore) SaveLogFlush(ctx context.Context, f LogFlush) (err error) {
	if f.Stream == "" {
		return errors.New("save log flush: no stream")
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save log flush of %q: begin: %w", f.Stream, err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(fmt.Errorf("save log flush of %q: %w", f.Stream, err), rollback(tx))
		}
	}()
	for _, t := range f.Templates {
		ex := t.Examples
		if ex == nil {
			ex = []string{}
		}
		exJSON, err := json.Marshal(ex)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO log_templates (stream, id, template, examples, first_seen, last_seen, count)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (stream, id) DO UPDATE SET template = excluded.template, examples = excluded.examples,
				first_seen = MIN(log_templates.first_seen, excluded.first_seen),
				last_seen = MAX(log_templates.last_seen, excluded.last_seen),
				count = log_templates.count + excluded.count`,
			f.Stream, int64(t.ID), t.Template, string(exJSON), t.FirstSeen.UnixMilli(), t.LastSeen.UnixMilli(), t.Count); err != nil {
			return fmt.Errorf("template %d: %w", t.ID, err)
		}
	}
	for _, c := range f.Counts {
		if _, err := tx.ExecContext(ctx, `INSERT INTO log_counts (stream, id, ts, count) VALUES (?, ?, ?, ?)
			ON CONFLICT (stream, ts, id) DO UPDATE SET count = log_counts.count + excluded.count`,
			f.Stream, int64(c.ID), c.Time.UnixMilli(), c.Count); err != nil {
			return fmt.Errorf("count of template %d: %w", c.ID, err)
		}
	}
	for _, st := range f.Steps {
		if _, err := tx.ExecContext(ctx, `INSERT INTO log_steps (stream, ts, records, errors) VALUES (?, ?, ?, ?)
			ON CONFLICT (stream, ts) DO UPDATE SET records = log_steps.records + excluded.records,
				errors = log_steps.errors + excluded.errors`,
			f.Stream, st.Time.UnixMilli(), st.Records, st.Errors); err != nil {
			return fmt.Errorf("step %s: %w", st.Time.Format(time.RFC3339), err)
		}
	}
	if f.Snapshot != nil {
		at := f.SavedAt
		if at.IsZero() {
			at = time.Now()
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO log_snapshots (stream, data, saved_at) VALUES (?, ?, ?)
			ON CONFLICT (stream) DO UPDATE SET data = excluded.data, saved_at = excluded.saved_at`,
			f.Stream, f.Snapshot, at.UnixMilli()); err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// timeRange returns the SQL condition and arguments for ts in [from, to];
// zero bounds are open.
func timeRange(col string, from, to time.Time) (string, []any) {
	cond, args := "", []any{}
	if !from.IsZero() {
		cond += " AND " + col + " >= ?"
		args = append(args, from.UnixMilli())
	}
	if !to.IsZero() {
		cond += " AND " + col + " <= ?"
		args = append(args, to.UnixMilli())
	}
	return cond, args
}

// LogTemplates returns stream's templates with their counts over the range.
func (s *sqliteStore) LogTemplates(ctx context.Context, stream string, from, to time.Time) ([]LogTemplate, error) {
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		return nil, fmt.Errorf("log templates: time range ends before it starts")
	}
	cond, args := timeRange("c.ts", from, to)
	q := `SELECT t.id, t.template, t.examples, t.first_seen, t.last_seen, t.count,
			COALESCE((SELECT SUM(c.count) FROM log_counts c WHERE c.stream = t.stream AND c.id = t.id` + cond + `), 0)
		FROM log_templates t WHERE t.stream = ? ORDER BY t.id`
	rows, err := s.r.QueryContext(ctx, q, append(args, stream)...)
	if err != nil {
		return nil, fmt.Errorf("log templates of %q: %w", stream, err)
	}
	defer rows.Close()
	var out []LogTemplate
	for rows.Next() {
		var (
			t           LogTemplate
			id          int64
			ex          string
			first, last int64
		)
		if err := rows.Scan(&id, &t.Template, &ex, &first, &last, &t.Count, &t.RangeCount); err != nil {
			return nil, fmt.Errorf("log templates of %q: %w", stream, err)
		}
		if err := json.Unmarshal([]byte(ex), &t.Examples); err != nil {
			return nil, fmt.Errorf("log templates of %q: examples of %d: %w", stream, id, err)
		}
		t.ID = uint64(id)
		t.FirstSeen, t.LastSeen = time.UnixMilli(first).UTC(), time.UnixMilli(last).UTC()
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("log templates of %q: %w", stream, err)
	}
	return out, nil
}

// LogCounts returns the counts over [from, to].
func (s *sqliteStore) LogCounts(ctx context.Context, stream string, from, to time.Time) ([]LogCount, error) {
	cond, args := timeRange("ts", from, to)
	rows, err := s.r.QueryContext(ctx, `SELECT id, ts, count FROM log_counts WHERE stream = ?`+cond+` ORDER BY ts, id`,
		append([]any{stream}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("log counts of %q: %w", stream, err)
	}
	defer rows.Close()
	var out []LogCount
	for rows.Next() {
		var id, ts, n int64
		if err := rows.Scan(&id, &ts, &n); err != nil {
			return nil, fmt.Errorf("log counts of %q: %w", stream, err)
		}
		out = append(out, LogCount{ID: uint64(id), Time: time.UnixMilli(ts).UTC(), Count: n})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("log counts of %q: %w", stream, err)
	}
	return out, nil
}

// LogSteps returns the watched steps over [from, to].
func (s *sqliteStore) LogSteps(ctx context.Context, stream string, from, to time.Time) ([]LogStep, error) {
	cond, args := timeRange("ts", from, to)
	rows, err := s.r.QueryContext(ctx, `SELECT ts, records, errors FROM log_steps WHERE stream = ?`+cond+` ORDER BY ts`,
		append([]any{stream}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("log steps of %q: %w", stream, err)
	}
	defer rows.Close()
	var out []LogStep
	for rows.Next() {
		var st LogStep
		var ts int64
		if err := rows.Scan(&ts, &st.Records, &st.Errors); err != nil {
			return nil, fmt.Errorf("log steps of %q: %w", stream, err)
		}
		st.Time = time.UnixMilli(ts).UTC()
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("log steps of %q: %w", stream, err)
	}
	return out, nil
}

// LogSnapshot returns the stored snapshot, or nil.
func (s *sqliteStore) LogSnapshot(ctx context.Context, stream string) ([]byte, error) {
	var data []byte
	err := s.r.QueryRowContext(ctx, `SELECT data FROM log_snapshots WHERE stream = ?`, stream).Scan(&data)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("log snapshot of %q: %w", stream, err)
	}
	return data, nil
}

// SaveLogOffsets replaces stream's offsets in one transaction.
func (s *sqliteStore) SaveLogOffsets(ctx context.Context, stream string, offs []LogOffset) (err error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save log offsets of %q: begin: %w", stream, err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(fmt.Errorf("save log offsets of %q: %w", stream, err), rollback(tx))
		}
	}()
	if _, err := tx.ExecContext(ctx, `DELETE FROM log_offsets WHERE stream = ?`, stream); err != nil {
		return err
	}
	for _, o := range offs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO log_offsets (stream, path, device, inode, offset) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (stream, path) DO UPDATE SET device = excluded.device, inode = excluded.inode, offset = excluded.offset`,
			stream, o.Path, int64(o.Device), int64(o.Inode), o.Offset); err != nil {
			return fmt.Errorf("offset of %s: %w", o.Path, err)
		}
	}
	return tx.Commit()
}

// LogOffsets returns stream's offsets by path.
func (s *sqliteStore) LogOffsets(ctx context.Context, stream string) ([]LogOffset, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT path, device, inode, offset FROM log_offsets WHERE stream = ? ORDER BY path`, stream)
	if err != nil {
		return nil, fmt.Errorf("log offsets of %q: %w", stream, err)
	}
	defer rows.Close()
	var out []LogOffset
	for rows.Next() {
		var o LogOffset
		var dev, ino int64
		if err := rows.Scan(&o.Path, &dev, &ino, &o.Offset); err != nil {
			return nil, fmt.Errorf("log offsets of %q: %w", stream, err)
		}
		o.Device, o.Inode = uint64(dev), uint64(ino)
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("log offsets of %q: %w", stream, err)
	}
	return out, nil
}
