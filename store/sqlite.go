package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/seismo-dev/seismo/alert"
)

// busyTimeoutMS is how long a connection waits for a lock held by another
// connection or process before failing with SQLITE_BUSY.
const busyTimeoutMS = 5000

// sqliteStore is the SQLite Store.
//
// It holds two pools on the same file. SQLite allows one writer at a time,
// so all writes go through a pool of exactly one connection: concurrent
// AppendEvents calls queue inside database/sql instead of racing for the
// file lock and failing with SQLITE_BUSY, and transactions begin IMMEDIATE
// (_txlock) so that one which reads before it writes never has to upgrade
// its lock. Reads use a second, read-only pool of several connections,
// which WAL mode lets run while a write is in progress, so the API stays
// responsive while a job stores a large batch. An in-memory database is
// private to its connection, so there both roles share one connection.
type sqliteStore struct {
	w *sql.DB // the only connection that writes
	r *sql.DB // read-only connections; may be w
}

func openSQLite(ctx context.Context, dsn string) (_ *sqliteStore, err error) {
	d, err := parseSQLiteDSN(dsn)
	if err != nil {
		return nil, err
	}
	if !d.memory {
		if err := os.MkdirAll(filepath.Dir(d.path), 0o750); err != nil {
			return nil, fmt.Errorf("create database folder: %w", err)
		}
	}
	w, err := sql.Open("sqlite", d.uri(false))
	if err != nil {
		return nil, err
	}
	s := &sqliteStore{w: w, r: w}
	defer func() {
		if err != nil {
			err = errors.Join(err, s.Close())
		}
	}()
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0) // an in-memory database dies with its connection
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("%s: %w", d.path, err)
	}
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, w, ms, time.Now); err != nil {
		return nil, fmt.Errorf("%s: %w", d.path, err)
	}
	if !d.memory {
		r, err := sql.Open("sqlite", d.uri(true))
		if err != nil {
			return nil, err
		}
		s.r = r
		n := max(4, runtime.GOMAXPROCS(0))
		r.SetMaxOpenConns(n)
		r.SetMaxIdleConns(n)
		if err := r.PingContext(ctx); err != nil {
			return nil, fmt.Errorf("%s: %w", d.path, err)
		}
	}
	return s, nil
}

// sqliteDSN is a parsed SQLite data source name.
type sqliteDSN struct {
	path   string     // file path, or ":memory:"
	query  url.Values // parameters given by the user
	memory bool
}

// parseSQLiteDSN accepts a plain file path or a "file:" URI, both with
// optional query parameters (modernc.org/sqlite's _pragma, _txlock, ... and
// SQLite's own mode, cache, ...).
func parseSQLiteDSN(dsn string) (sqliteDSN, error) {
	if strings.TrimSpace(dsn) == "" {
		return sqliteDSN{}, errors.New("empty dsn: give a file path such as data/seismo.db")
	}
	rest, isURI := strings.CutPrefix(dsn, "file:")
	p, rawQuery, _ := strings.Cut(rest, "?")
	if isURI {
		// file:///abs/path and file://localhost/abs/path name /abs/path.
		if after, ok := strings.CutPrefix(p, "//"); ok {
			host, tail, _ := strings.Cut(after, "/")
			if host != "" && host != "localhost" {
				return sqliteDSN{}, fmt.Errorf("dsn %q: remote host %q in file URI", dsn, host)
			}
			p = "/" + tail
		}
		unescaped, err := url.PathUnescape(p)
		if err != nil {
			return sqliteDSN{}, fmt.Errorf("dsn %q: %w", dsn, err)
		}
		p = unescaped
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return sqliteDSN{}, fmt.Errorf("dsn %q: query: %w", dsn, err)
	}
	if p == "" {
		return sqliteDSN{}, fmt.Errorf("dsn %q: no file path", dsn)
	}
	return sqliteDSN{
		path:   p,
		query:  q,
		memory: p == ":memory:" || q.Get("mode") == "memory",
	}, nil
}

// uri builds the DSN handed to the driver: always a "file:" URI, so that
// SQLite's own parameters keep working, with the pragmas Seismo relies on
// added unless the user set them.
func (d sqliteDSN) uri(readOnly bool) string {
	q := url.Values{}
	for k, vs := range d.query {
		q[k] = append([]string(nil), vs...)
	}
	has := func(pragma string) bool {
		for _, v := range q["_pragma"] {
			if strings.HasPrefix(strings.ToLower(strings.TrimSpace(v)), pragma) {
				return true
			}
		}
		return false
	}
	if !has("busy_timeout") && q.Get("_busy_timeout") == "" && q.Get("_timeout") == "" {
		q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS))
	}
	if !d.memory && !has("journal_mode") && q.Get("_journal_mode") == "" && q.Get("_journal") == "" {
		q.Add("_pragma", "journal_mode(WAL)")
	}
	if !has("foreign_keys") && q.Get("_foreign_keys") == "" && q.Get("_fk") == "" {
		q.Add("_pragma", "foreign_keys(1)")
	}
	if !has("synchronous") && q.Get("_synchronous") == "" && q.Get("_sync") == "" {
		q.Add("_pragma", "synchronous(NORMAL)") // durable enough in WAL mode, much faster
	}
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else if q.Get("_txlock") == "" {
		q.Set("_txlock", "immediate")
	}
	p := d.path
	if p != ":memory:" {
		p = (&url.URL{Path: p}).EscapedPath()
	}
	return "file:" + p + "?" + q.Encode()
}

// Close closes both pools.
func (s *sqliteStore) Close() error {
	var errs []error
	if s.r != nil && s.r != s.w {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	return errors.Join(errs...)
}

// The queries use ? placeholders; PostgreSQL's pgx needs $1, $2, ...
// ON CONFLICT ... DO NOTHING RETURNING and the upsert are the same there.
const insertEventSQL = `INSERT INTO events
	(kind, job, fingerprint, labels, annotations, ts, value, expected, lower, upper, score, detector, created_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (job, kind, fingerprint, ts) DO NOTHING
	RETURNING id`

// AppendEvents stores evs in one transaction.
func (s *sqliteStore) AppendEvents(ctx context.Context, evs []alert.Event) (inserted int, err error) {
	if len(evs) == 0 {
		return 0, nil
	}
	rows := make([][]any, len(evs))
	now := time.Now()
	for i, ev := range evs {
		args, err := eventArgs(ev, now)
		if err != nil {
			return 0, fmt.Errorf("event %d (job %q): %w", i, ev.Job, err)
		}
		rows[i] = args
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("append events: begin: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, rollback(tx))
		}
	}()
	stmt, err := tx.PrepareContext(ctx, insertEventSQL)
	if err != nil {
		return 0, fmt.Errorf("append events: prepare: %w", err)
	}
	defer stmt.Close()
	ids := make([]int64, len(evs))
	for i, args := range rows {
		err := stmt.QueryRowContext(ctx, args...).Scan(&ids[i])
		switch {
		case errors.Is(err, sql.ErrNoRows):
			ids[i] = 0 // a duplicate
		case err != nil:
			return 0, fmt.Errorf("append events: event %d (job %q): %w", i, evs[i].Job, err)
		default:
			inserted++
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("append events: commit: %w", err)
	}
	// Only now that the rows are durable do the events learn their IDs.
	for i, id := range ids {
		if id != 0 {
			evs[i].ID = id
		}
	}
	return inserted, nil
}

// eventArgs returns the column values of ev in insertEventSQL's order.
// created_at defaults to now when the producer left it zero.
func eventArgs(ev alert.Event, now time.Time) ([]any, error) {
	if ev.Time.IsZero() {
		return nil, errors.New("event has no time")
	}
	if ev.Kind == "" {
		return nil, errors.New("event has no kind")
	}
	ls, err := json.Marshal(ev.Labels) // a JSON object; encoding/json sorts map keys
	if err != nil {
		return nil, fmt.Errorf("encode labels: %w", err)
	}
	ann := []byte("{}")
	if len(ev.Annotations) > 0 {
		if ann, err = json.Marshal(ev.Annotations); err != nil {
			return nil, fmt.Errorf("encode annotations: %w", err)
		}
	}
	created := ev.CreatedAt
	if created.IsZero() {
		created = now
	}
	return []any{
		string(ev.Kind), ev.Job, ev.Fingerprint().String(), string(ls), string(ann),
		ev.Time.UnixMilli(),
		encodeFloat(ev.Value), encodeFloat(ev.Expected), encodeFloat(ev.Lower), encodeFloat(ev.Upper), encodeFloat(ev.Score),
		ev.Detector, created.UnixMilli(),
	}, nil
}

// encodeFloat stores NaN as NULL. SQLite would turn NaN into NULL anyway,
// and PostgreSQL's NaN does not compare like Go's; ±Inf are stored as they
// are, which both databases support.
func encodeFloat(v float64) sql.NullFloat64 {
	return sql.NullFloat64{Float64: v, Valid: !math.IsNaN(v)}
}

func decodeFloat(v sql.NullFloat64) float64 {
	if !v.Valid {
		return math.NaN()
	}
	return v.Float64
}

// pageSize is how many rows Events reads at a time when matchers have to
// be applied in Go and it cannot know in advance how many rows it needs.
const pageSize = 500

// Events returns the events matching f, newest first (ties by ID,
// descending). Equality matchers are evaluated by SQLite; the others are
// applied in Go on pages of rows, so a selective regexp costs reading the
// rows it rejects, but never more than necessary to fill the limit.
func (s *sqliteStore) Events(ctx context.Context, f EventFilter) ([]alert.Event, error) {
	if err := f.validate(); err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	limit, _ := f.limit()
	var (
		where []string
		args  []any
		inGo  []*labels.Matcher
	)
	if !f.From.IsZero() {
		where, args = append(where, "ts >= ?"), append(args, f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		where, args = append(where, "ts <= ?"), append(args, f.To.UnixMilli())
	}
	if f.Job != "" {
		where, args = append(where, "job = ?"), append(args, f.Job)
	}
	if f.Kind != "" {
		where, args = append(where, "kind = ?"), append(args, string(f.Kind))
	}
	for _, m := range f.Matchers {
		// name="" also matches a missing label, which json_extract's NULL
		// would not; names with quotes or backslashes cannot be put in a
		// JSON path safely. Both are left to Go.
		if m.Type == labels.MatchEqual && m.Value != "" && !strings.ContainsAny(m.Name, `"\`) {
			where = append(where, "json_extract(labels, ?) = ?")
			args = append(args, `$."`+m.Name+`"`, m.Value)
			continue
		}
		inGo = append(inGo, m)
	}
	batch := limit
	if len(inGo) > 0 {
		batch = max(limit, pageSize)
	}

	var (
		out      []alert.Event
		afterTS  int64
		afterID  int64
		paginate bool
	)
	for {
		w, a := where, args
		if paginate {
			w = append(w[:len(w):len(w)], "(ts < ? OR (ts = ? AND id < ?))")
			a = append(a[:len(a):len(a)], afterTS, afterTS, afterID)
		}
		q := `SELECT id, kind, job, labels, annotations, ts, value, expected, lower, upper, score, detector, created_at FROM events`
		if len(w) > 0 {
			q += " WHERE " + strings.Join(w, " AND ")
		}
		q += " ORDER BY ts DESC, id DESC LIMIT ?"
		a = append(a[:len(a):len(a)], batch)

		n, lastTS, lastID, err := s.scanEvents(ctx, q, a, func(ev alert.Event) bool {
			if matchAll(inGo, ev.Labels) {
				out = append(out, ev)
			}
			return len(out) < limit
		})
		if err != nil {
			return nil, fmt.Errorf("events: %w", err)
		}
		if len(out) >= limit || n < batch {
			return out, nil
		}
		afterTS, afterID, paginate = lastTS, lastID, true
	}
}

// scanEvents runs q and calls yield for each event until it returns false.
// It returns the number of rows read and the ts and id of the last one.
func (s *sqliteStore) scanEvents(ctx context.Context, q string, args []any, yield func(alert.Event) bool) (n int, lastTS, lastID int64, err error) {
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return 0, 0, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			ev                      alert.Event
			kind, ls, ann           string
			ts, created             int64
			val, exp, lo, hi, score sql.NullFloat64
		)
		if err := rows.Scan(&ev.ID, &kind, &ev.Job, &ls, &ann, &ts, &val, &exp, &lo, &hi, &score, &ev.Detector, &created); err != nil {
			return n, lastTS, lastID, err
		}
		n, lastTS, lastID = n+1, ts, ev.ID
		ev.Kind = alert.Kind(kind)
		if err := json.Unmarshal([]byte(ls), &ev.Labels); err != nil {
			return n, lastTS, lastID, fmt.Errorf("event %d: decode labels: %w", ev.ID, err)
		}
		if ann != "" && ann != "{}" {
			if err := json.Unmarshal([]byte(ann), &ev.Annotations); err != nil {
				return n, lastTS, lastID, fmt.Errorf("event %d: decode annotations: %w", ev.ID, err)
			}
		}
		ev.Time = time.UnixMilli(ts).UTC()
		ev.CreatedAt = time.UnixMilli(created).UTC()
		ev.Value, ev.Expected, ev.Lower, ev.Upper, ev.Score = decodeFloat(val), decodeFloat(exp), decodeFloat(lo), decodeFloat(hi), decodeFloat(score)
		if !yield(ev) {
			break
		}
	}
	return n, lastTS, lastID, rows.Err()
}

func matchAll(ms []*labels.Matcher, ls labels.Labels) bool {
	for _, m := range ms {
		if !m.Matches(ls.Get(m.Name)) {
			return false
		}
	}
	return true
}

// Cursor returns job's cursor, or the zero time.
func (s *sqliteStore) Cursor(ctx context.Context, job string) (time.Time, error) {
	var ts int64
	err := s.r.QueryRowContext(ctx, `SELECT ts FROM cursors WHERE job = ?`, job).Scan(&ts)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return time.Time{}, nil
	case err != nil:
		return time.Time{}, fmt.Errorf("cursor of job %q: %w", job, err)
	}
	return time.UnixMilli(ts).UTC(), nil
}

// SetCursor records job's cursor (millisecond precision). The zero time
// removes it.
func (s *sqliteStore) SetCursor(ctx context.Context, job string, t time.Time) error {
	var err error
	if t.IsZero() {
		_, err = s.w.ExecContext(ctx, `DELETE FROM cursors WHERE job = ?`, job)
	} else {
		_, err = s.w.ExecContext(ctx, `INSERT INTO cursors (job, ts) VALUES (?, ?)
			ON CONFLICT (job) DO UPDATE SET ts = excluded.ts`, job, t.UnixMilli())
	}
	if err != nil {
		return fmt.Errorf("set cursor of job %q: %w", job, err)
	}
	return nil
}

// SaveChoice records or replaces the choice for (job, label set).
func (s *sqliteStore) SaveChoice(ctx context.Context, c Choice) error {
	if c.Job == "" || c.Detector == "" || !json.Valid(c.Detail) {
		return fmt.Errorf("save choice: job, detector and a JSON detail are required")
	}
	ls, err := json.Marshal(c.Labels)
	if err != nil {
		return fmt.Errorf("save choice: labels: %w", err)
	}
	at := c.ChosenAt
	if at.IsZero() {
		at = time.Now()
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO detector_choices (job, fingerprint, labels, detector, choice, chosen_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (job, fingerprint) DO UPDATE SET labels = excluded.labels, detector = excluded.detector,
			choice = excluded.choice, chosen_at = excluded.chosen_at`,
		c.Job, alert.FingerprintOf(c.Labels).String(), string(ls), c.Detector, string(c.Detail), at.UnixMilli())
	if err != nil {
		return fmt.Errorf("save choice of job %q: %w", c.Job, err)
	}
	return nil
}

// Choices returns the stored choices of job, or of every job when job is "".
func (s *sqliteStore) Choices(ctx context.Context, job string) ([]Choice, error) {
	q := `SELECT job, labels, detector, choice, chosen_at FROM detector_choices`
	var args []any
	if job != "" {
		q += ` WHERE job = ?`
		args = append(args, job)
	}
	rows, err := s.r.QueryContext(ctx, q+` ORDER BY job, labels`, args...)
	if err != nil {
		return nil, fmt.Errorf("list choices: %w", err)
	}
	defer rows.Close()
	var out []Choice
	for rows.Next() {
		var (
			c          Choice
			ls, detail string
			at         int64
		)
		if err := rows.Scan(&c.Job, &ls, &c.Detector, &detail, &at); err != nil {
			return nil, fmt.Errorf("list choices: %w", err)
		}
		if err := json.Unmarshal([]byte(ls), &c.Labels); err != nil {
			return nil, fmt.Errorf("list choices: labels of job %q: %w", c.Job, err)
		}
		c.Detail = json.RawMessage(detail)
		c.ChosenAt = time.UnixMilli(at).UTC()
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list choices: %w", err)
	}
	return out, nil
}
