// Package check runs consistency checks: two queries on two SQL sources
// (PostgreSQL, MySQL/MariaDB, SQLite; the same or different databases)
// joined on key columns and compared column by column, reporting the keys
// missing on either side and the rows that disagree.
//
// How a run works (docs/checks.md has the full account):
//
//   - Each side's query is wrapped as a derived table and ordered by the
//     key with byte-wise collation, and both sides are streamed at once and
//     merged like the two halves of a merge sort, so memory stays bounded
//     by a few batches per side whatever the tables' sizes. Each side's
//     order is verified as it streams: a duplicate key or a key out of
//     order fails the run with a clear error instead of reporting false
//     differences.
//   - Values are normalised across engines (Value): numbers are exact
//     decimals, CHAR padding is dropped, times are instants in UTC, NULL
//     equals NULL only.
//   - A difference counts only if it is still there after the grace
//     period: the keys that differ are read again, and those that agree by
//     then are recorded as transient (replication or batch lag).
//   - For very large tables, checksum mode compares per-key-range counts
//     and hashes computed in each database and merges only the ranges
//     whose checksums differ.
package check

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/seismo-dev/seismo/rules/expr"
	"github.com/seismo-dev/seismo/source"
)

// Kinds of difference.
const (
	KindMissingLeft  = expr.KindMissingLeft  // the key is on the right only
	KindMissingRight = expr.KindMissingRight // the key is on the left only
	KindMismatched   = expr.KindMismatched   // on both sides, with compared columns that disagree
)

// Options are a check's collaborators; the zero value is usable.
type Options struct {
	Logger *slog.Logger
	// Sleep waits out the grace period. nil waits on a timer; tests
	// change the data "during" the grace instead of waiting.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Check is a configured consistency check, ready to run. It is safe for
// concurrent use, but the engine never runs one check twice at once.
type Check struct {
	cfg         Config
	left, right source.Config
	rules       *expr.RowRules
	log         *slog.Logger
	sleep       func(ctx context.Context, d time.Duration) error
}

// New prepares a check. sources are the configuration's sources, from
// which the check's two are taken; cfg gets its defaults.
func New(cfg Config, sources map[string]source.Config, opts Options) (*Check, error) {
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Check{cfg: cfg, log: opts.Logger, sleep: opts.Sleep}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.sleep == nil {
		c.sleep = sleep
	}
	for _, s := range []struct {
		label string
		side  Side
		dst   *source.Config
	}{{"left", cfg.Left, &c.left}, {"right", cfg.Right, &c.right}} {
		sc, ok := sources[s.side.Source]
		if !ok {
			return nil, fmt.Errorf("%s: unknown source %q", s.label, s.side.Source)
		}
		if !IsSQLSource(sc.Type) {
			return nil, fmt.Errorf("%s: source %q is of type %s; a check reads postgres, mysql or sqlite sources", s.label, s.side.Source, sc.Type)
		}
		*s.dst = sc
	}
	if len(cfg.Rules) > 0 {
		rules, err := cfg.compileRules()
		if err != nil {
			return nil, fmt.Errorf("rules: %w", err)
		}
		c.rules = rules
	}
	return c, nil
}

// IsSQLSource reports whether a source of type typ can be one side of a check.
func IsSQLSource(typ string) bool {
	return typ == source.TypePostgres || typ == source.TypeMySQL || typ == source.TypeSQLite
}

// Config returns the check's configuration, defaults applied.
func (c *Check) Config() Config { return c.cfg }

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Result is what one run of a check found.
type Result struct {
	Check   string
	Mode    string // the mode that ran: checksum falls back to merge where it cannot run
	Started time.Time
	// Duration of the run, grace included.
	Duration time.Duration
	// Left and Right count the rows of each side (in checksum mode, as
	// counted by the databases).
	Left, Right int64
	// The differences still there after the grace re-check, by kind
	// (with no grace: all found). Suppressed ones are included.
	MissingLeft, MissingRight, Mismatched int64
	// Transient counts the differences that cleared within the grace.
	Transient int64
	// Suppressed counts the differences (after grace) that a suppress
	// rule dropped from alerts.
	Suppressed int64
	// Truncated counts the differences beyond max_differences: counted
	// in the totals above but not kept, re-checked or stored.
	Truncated int64
	// Chunks and ChunksDiffering describe a checksum run.
	Chunks, ChunksDiffering int
	// KeyColumns name the key, LeftColumns and RightColumns the columns
	// of each side's rows in Differences.
	KeyColumns, LeftColumns, RightColumns []string
	// Compared lists the compared columns.
	Compared []string
	// Differences are the kept differences in key order, transient ones
	// included.
	Differences []Difference
	// Notes are remarks about the run worth storing (a fallback, rules
	// that failed to evaluate).
	Notes []string
}

// Summary is the run's one-line account, the last line `seismo once`
// prints.
func (r *Result) Summary() string {
	return fmt.Sprintf("check %s: left=%d right=%d missing_left=%d missing_right=%d mismatched=%d",
		r.Check, r.Left, r.Right, r.MissingLeft, r.MissingRight, r.Mismatched)
}

// Differing returns the number of differences still there after grace.
func (r *Result) Differing() int64 { return r.MissingLeft + r.MissingRight + r.Mismatched }

// Difference is one key on which the two sides disagree.
type Difference struct {
	Kind string  // KindMissingLeft, KindMissingRight or KindMismatched
	Key  []Value // in the order of Result.KeyColumns
	// Columns are the compared columns that disagree (mismatched only).
	Columns []string
	// Left and Right are the whole rows (Result.LeftColumns and
	// RightColumns); nil on the side the key is missing from.
	Left, Right []Value
	// Transient: the difference cleared within the grace period.
	Transient bool
	// Rule is the analyst rule that decided about the difference.
	Rule string
	// Suppressed: a suppress rule dropped it from alerts.
	Suppressed bool
	// Labels and Annotations come from the deciding label rule (severity
	// included).
	Labels, Annotations map[string]string

	// raw key values each side's driver returned, to query the key again.
	leftKey, rightKey []any
}

// Severity returns the difference's severity: its rule's, else def.
func (d *Difference) Severity(def string) string {
	if s := d.Labels["severity"]; s != "" {
		return s
	}
	return def
}

// Row returns a side's row as a map from column name to Value.JSON, for
// storage and display; nil when the key is missing from that side.
func Row(cols []string, vals []Value) map[string]any {
	if vals == nil {
		return nil
	}
	m := make(map[string]any, len(vals))
	for i, v := range vals {
		m[cols[i]] = v.JSON()
	}
	return m
}

// RunError is a failed run: it says what went wrong where, and the counts
// the run had reached are in the Result returned with it.
type RunError struct {
	Check string
	Err   error
}

func (e *RunError) Error() string { return fmt.Sprintf("check %s: %v", e.Check, e.Err) }

// Unwrap returns the cause.
func (e *RunError) Unwrap() error { return e.Err }

// Run runs the check once: it reads and compares both sides, waits out
// the grace period and re-checks the differences, and applies the
// analyst rules. now is the instant of the run (rules see it as now). On
// failure the Result holds what the run had counted and the error is a
// *RunError; no differences are reported then, because a run that
// failed half way cannot tell a difference from a row it did not read.
func (c *Check) Run(ctx context.Context, now time.Time) (*Result, error) {
	start := time.Now()
	res := &Result{Check: c.cfg.Name, Mode: c.cfg.Mode, Started: now, KeyColumns: slices.Clone(c.cfg.Key)}
	err := c.run(ctx, now, res)
	res.Duration = time.Since(start)
	if err != nil {
		res.Differences = nil
		res.MissingLeft, res.MissingRight, res.Mismatched, res.Transient, res.Suppressed, res.Truncated = 0, 0, 0, 0, 0, 0
		return res, &RunError{Check: c.cfg.Name, Err: err}
	}
	return res, nil
}

func (c *Check) run(ctx context.Context, now time.Time, res *Result) (err error) {
	l, r, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer func() {
		err = errors.Join(err, l.db.Close(), r.db.Close())
	}()
	p, err := c.plan(l, r)
	if err != nil {
		return err
	}
	res.LeftColumns, res.RightColumns = l.columnNames(), r.columnNames()
	for _, cr := range p.rules {
		res.Compared = append(res.Compared, cr.name)
	}

	col := p.newCollector(c.cfg.MaxDifferences)
	switch {
	case c.cfg.Mode == ModeChecksum && l.d.typ != source.TypeSQLite && r.d.typ != source.TypeSQLite && p.rangeable():
		if err := p.checksum(ctx, c.cfg.ChunkRows, col, res); err != nil {
			return err
		}
	default:
		if c.cfg.Mode == ModeChecksum {
			res.Mode = ModeMerge
			why := "a side is SQLite, which has no MD5 to hash rows with"
			if l.d.typ != source.TypeSQLite && r.d.typ != source.TypeSQLite {
				why = "its key has a column that is neither an integer nor text, which cannot bound key ranges exactly"
			}
			res.Notes = append(res.Notes, "checksum mode ran as a merge: "+why)
		}
		lr, rr, err := p.merge(ctx, streamSpec{}, streamSpec{}, col)
		res.Left, res.Right = lr, rr
		if err != nil {
			return err
		}
	}

	diffs := col.diffs
	if c.cfg.Grace > 0 && (len(diffs) > 0 || col.dropped > 0) {
		c.log.Debug("waiting out the grace period before re-checking", "check", c.cfg.Name, "differences", len(diffs), "grace", c.cfg.Grace)
		if err := c.sleep(ctx, c.cfg.Grace.Std()); err != nil {
			return fmt.Errorf("waiting out the grace period (%s): %w", c.cfg.Grace, err)
		}
		if len(diffs) > 0 {
			if diffs, err = p.recheck(ctx, diffs, col.dropped > 0, c.cfg.MaxDifferences, res); err != nil {
				return fmt.Errorf("re-check after grace: %w", err)
			}
		}
		if col.dropped > 0 {
			res.Notes = append(res.Notes, fmt.Sprintf("%d differences beyond max_differences (%d) were counted but not re-checked after grace", col.dropped, c.cfg.MaxDifferences))
		}
	}
	res.Truncated = col.dropped
	res.MissingLeft, res.MissingRight, res.Mismatched = col.droppedBy[0], col.droppedBy[1], col.droppedBy[2]
	c.classify(diffs, now, res)
	for i := range diffs {
		d := &diffs[i]
		if d.Transient {
			res.Transient++
			continue
		}
		switch d.Kind {
		case KindMissingLeft:
			res.MissingLeft++
		case KindMissingRight:
			res.MissingRight++
		default:
			res.Mismatched++
		}
		if d.Suppressed {
			res.Suppressed++
		}
	}
	res.Differences = diffs
	return nil
}

// open opens both sides' databases and learns their columns.
func (c *Check) open(ctx context.Context) (l, r *side, err error) {
	mk := func(label string, s Side, sc source.Config) (*side, error) {
		loc := time.UTC
		if s.Timezone != "" {
			var err error
			if loc, err = time.LoadLocation(s.Timezone); err != nil {
				return nil, fmt.Errorf("%s: timezone: %w", label, err)
			}
		}
		db, d, err := openDB(sc)
		if err != nil {
			return nil, fmt.Errorf("%s (source %q): %w", label, s.Source, err)
		}
		return &side{label: label, source: s.Source, sql: trimQuery(s.Query), db: db, d: d, loc: loc}, nil
	}
	if l, err = mk("left", c.cfg.Left, c.left); err != nil {
		return nil, nil, err
	}
	if r, err = mk("right", c.cfg.Right, c.right); err != nil {
		return nil, nil, errors.Join(err, l.db.Close())
	}
	closeBoth := func(err error) error { return errors.Join(err, l.db.Close(), r.db.Close()) }
	if err := l.probe(ctx); err != nil {
		return nil, nil, closeBoth(err)
	}
	if err := r.probe(ctx); err != nil {
		return nil, nil, closeBoth(err)
	}
	return l, r, nil
}

// plan is how a run compares its two sides: which columns are keys and
// which are compared, with which rules.
type plan struct {
	l, r  *side
	rules []colRule
}

// plan finds the key and compared columns on both sides. Without a
// compare list, every column both sides have (keys aside) is compared.
func (c *Check) plan(l, r *side) (*plan, error) {
	p := &plan{l: l, r: r}
	var errs []error
	for _, k := range c.cfg.Key {
		li, lerr := l.find(k)
		ri, rerr := r.find(k)
		if lerr != nil || rerr != nil {
			errs = append(errs, errors.Join(keyErr(lerr), keyErr(rerr)))
			continue
		}
		l.key, r.key = append(l.key, li), append(r.key, ri)
	}
	compare := c.cfg.Compare
	if len(compare) == 0 {
		for _, lc := range l.cols {
			if slices.ContainsFunc(c.cfg.Key, func(k string) bool { return strings.EqualFold(k, lc.name) }) {
				continue
			}
			if _, err := r.find(lc.name); err == nil {
				compare = append(compare, Compare{Column: lc.name})
			}
		}
		if len(compare) == 0 {
			c.log.Debug("no common columns besides the key: only keys are compared", "check", c.cfg.Name)
		}
	}
	for _, cmp := range compare {
		li, lerr := l.find(cmp.Column)
		ri, rerr := r.find(cmp.Column)
		if lerr != nil || rerr != nil {
			errs = append(errs, errors.Join(lerr, rerr))
			continue
		}
		if slices.Contains(l.key, li) || slices.Contains(r.key, ri) {
			errs = append(errs, fmt.Errorf("column %q is a key column: keys are matched, not compared", cmp.Column))
			continue
		}
		if slices.Contains(l.cmp, li) || slices.Contains(r.cmp, ri) {
			errs = append(errs, fmt.Errorf("column %q is compared twice", cmp.Column))
			continue
		}
		l.cmp, r.cmp = append(l.cmp, li), append(r.cmp, ri)
		p.rules = append(p.rules, newColRule(cmp, l.loc, r.loc))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	l.order()
	r.order()
	return p, nil
}

func keyErr(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("key %w", err)
}

// classify applies the analyst rules to the differences.
func (c *Check) classify(diffs []Difference, now time.Time, res *Result) {
	if c.rules.Len() == 0 {
		return
	}
	var failures int
	for i := range diffs {
		d := &diffs[i]
		env := expr.RowEnv{
			Left:    anyRow(res.LeftColumns, d.Left),
			Right:   anyRow(res.RightColumns, d.Right),
			Key:     anyRow(res.KeyColumns, d.Key),
			Kind:    d.Kind,
			Columns: d.Columns,
			Now:     now,
		}
		if env.Left == nil {
			env.Left = map[string]any{}
		}
		if env.Right == nil {
			env.Right = map[string]any{}
		}
		v, err := c.rules.Evaluate(env)
		if err != nil {
			failures++
			if failures == 1 {
				res.Notes = append(res.Notes, fmt.Sprintf("analyst rules failed on key %s: %v", formatKey(res.KeyColumns, d.Key), err))
			}
		}
		d.Rule, d.Suppressed = v.Rule, v.Suppressed
		d.Labels, d.Annotations = maps.Clone(v.Labels), maps.Clone(v.Annotations)
	}
	if failures > 1 {
		res.Notes = append(res.Notes, fmt.Sprintf("analyst rules failed on %d differences in all (failed rules count as not matching)", failures))
	}
}

// anyRow maps column names to plain Go values for analyst rules.
func anyRow(cols []string, vals []Value) map[string]any {
	if vals == nil {
		return nil
	}
	m := make(map[string]any, len(vals))
	for i, v := range vals {
		m[cols[i]] = v.Any()
	}
	return m
}
