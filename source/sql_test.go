package source

import (
	"context"
	"database/sql"
	"log/slog"
	"math"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/series"
)

// newSQLiteDB creates a database file with the given statements run.
func newSQLiteDB(t *testing.T, stmts ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "metrics.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return path
}

func openSQLite(t *testing.T, path string, logger *slog.Logger) *sqlSource {
	t.Helper()
	ts, err := Open("lite", Config{Type: TypeSQLite, DSN: field.Secret{Literal: path}}, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ts.Close() })
	s := ts.(*sqlSource)
	s.retry.initial = time.Millisecond
	return s
}

const ordersSchema = `CREATE TABLE orders (ts DATETIME, unix INTEGER, channel TEXT, region TEXT, value REAL)`

func TestSQLiteQuery(t *testing.T) {
	path := newSQLiteDB(t, ordersSchema,
		`INSERT INTO orders VALUES
			('2024-01-01 00:00:00', 1704067200, 'app', 'sh', 1),
			('2024-01-01 00:01:00', 1704067260, 'app', 'sh', NULL),
			('2024-01-01 00:02:00', 1704067320, 'app', 'sh', 3),
			('2024-01-01 00:00:00', 1704067200, 'web', NULL, 10),
			('2024-01-01 00:01:00', 1704067260, 'web', NULL, 20),
			('2024-01-01 00:03:00', 1704067380, 'web', NULL, 40)`)
	logger, logs := testLogger()
	src := openSQLite(t, path, logger)
	start, end := time.Unix(1704067200, 0), time.Unix(1704067320, 0)
	nan := math.NaN()
	app := labels.FromStrings("channel", "app", "region", "sh")
	web := labels.FromStrings("channel", "web")
	tests := []struct {
		name string
		q    Query
		want []series.Series
	}{
		{
			name: "datetime column named ts, text placeholders",
			q:    Query{Expr: "SELECT ts, channel, region, value FROM orders WHERE ts BETWEEN :start AND :end ORDER BY ts", Start: start, End: end},
			want: []series.Series{{Labels: app, Points: pts(1704067200, 1, 1704067260, nan, 1704067320, 3)}, {Labels: web, Points: pts(1704067200, 10, 1704067260, 20)}},
		},
		{
			name: "unix seconds as the first column, value second",
			q:    Query{Expr: "SELECT unix AS t, value * 2 AS v, channel FROM orders WHERE unix >= :start_unix AND unix < :end_unix AND channel = 'web'", Start: start, End: end},
			want: []series.Series{{Labels: web, Points: pts(1704067200, 20, 1704067260, 40)}},
		},
		{
			name: "aggregation on step buckets",
			q: Query{Expr: `SELECT (unix / :step_seconds) * :step_seconds AS time, sum(value) AS value
				FROM orders WHERE value IS NOT NULL GROUP BY 1 ORDER BY 1`, Step: 2 * time.Minute},
			want: []series.Series{{Labels: labels.EmptyLabels(), Points: pts(1704067200, 31, 1704067320, 43)}},
		},
		{
			name: "text timestamps and text values",
			q:    Query{Expr: `SELECT '2024-01-01T00:00:00Z' AS timestamp, '1.5' AS value UNION ALL SELECT '1704067260000', x'32'`},
			want: []series.Series{{Labels: labels.EmptyLabels(), Points: pts(1704067200, 1.5, 1704067260, 2)}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := src.Query(context.Background(), tc.q)
			if err != nil {
				t.Fatal(err)
			}
			diffSeries(t, tc.want, got)
		})
	}
	if strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("unexpected warnings:\n%s", logs)
	}
}

func TestSQLiteSkipsBadRows(t *testing.T) {
	path := newSQLiteDB(t, `CREATE TABLE m (ts TEXT, value TEXT)`,
		`INSERT INTO m VALUES ('2024-01-01 00:00:00', '1'), (NULL, '2'), ('yesterday', '3'), ('2024-01-01 00:03:00', 'many')`)
	logger, logs := testLogger()
	src := openSQLite(t, path, logger)
	got, err := src.Query(context.Background(), Query{Expr: "SELECT ts, value FROM m"})
	if err != nil {
		t.Fatal(err)
	}
	diffSeries(t, []series.Series{{Labels: labels.EmptyLabels(), Points: pts(1704067200, 1)}}, got)
	for _, want := range []string{"skipped SQL rows", "skipped=3", "NULL time"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
}

func TestSQLiteErrors(t *testing.T) {
	path := newSQLiteDB(t, ordersSchema)
	logger, logs := testLogger()
	src := openSQLite(t, path, logger)
	tests := []struct {
		name string
		q    Query
		want string
	}{
		{"syntax error", Query{Expr: "SELECT ts, value FROM orders WHERE"}, "incomplete input"},
		{"syntax error 2", Query{Expr: "SELECT ts, value FROM orders ORDER ts"}, "syntax error"},
		{"unknown table", Query{Expr: "SELECT ts, value FROM nope"}, "no such table"},
		{"not a select", Query{Expr: "DELETE FROM orders"}, "only SELECT or WITH"},
		{"two statements", Query{Expr: "SELECT 1, 2; DROP TABLE orders"}, "only one statement"},
		{"write in a CTE", Query{Expr: "WITH x AS (SELECT 1) DELETE FROM orders"}, "readonly"},
		{"one column", Query{Expr: "SELECT ts FROM orders"}, "need a time and a value column"},
		{"no start", Query{Expr: "SELECT ts, value FROM orders WHERE ts > :start"}, "uses :start but the range has no start"},
		{"no step", Query{Expr: "SELECT ts, value / :step_seconds FROM orders"}, "step is not set"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := src.Query(context.Background(), tc.q)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), `sqlite source "lite"`) {
				t.Errorf("error %q does not name the source", err)
			}
		})
	}
	if strings.Contains(logs.String(), "retrying") {
		t.Errorf("a permanent error was retried:\n%s", logs)
	}
}

// hookHandler calls fn for every log record, so a test can react to a
// retry as it happens instead of sleeping.
type hookHandler struct {
	slog.Handler
	fn func(slog.Record)
}

func (h hookHandler) Handle(ctx context.Context, r slog.Record) error {
	h.fn(r)
	return h.Handler.Handle(ctx, r)
}

func TestSQLiteRetriesBusy(t *testing.T) {
	path := newSQLiteDB(t, ordersSchema, `INSERT INTO orders VALUES ('2024-01-01 00:00:00', 1704067200, 'app', 'sh', 1)`)

	// Another connection holds an exclusive lock: readers get SQLITE_BUSY
	// until it commits.
	locker, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close()
	conn, err := locker.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release := func() {
		once.Do(func() {
			if _, err := conn.ExecContext(context.Background(), "COMMIT"); err != nil {
				t.Error(err)
			}
		})
	}
	defer release()

	_, logs := testLogger()
	logger := slog.New(hookHandler{slog.NewTextHandler(logs, nil), func(r slog.Record) {
		if r.Message == "retrying after error" {
			release()
		}
	}})
	src := openSQLite(t, path, logger)
	got, err := src.Query(context.Background(), Query{Expr: "SELECT ts, value FROM orders"})
	if err != nil {
		t.Fatal(err)
	}
	diffSeries(t, []series.Series{{Labels: labels.EmptyLabels(), Points: pts(1704067200, 1)}}, got)
	if !strings.Contains(logs.String(), "database is locked") {
		t.Errorf("no retry of the locked database was logged:\n%s", logs)
	}
}

func TestSQLiteCancelled(t *testing.T) {
	path := newSQLiteDB(t, ordersSchema)
	src := openSQLite(t, path, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := src.Query(ctx, Query{Expr: "SELECT ts, value FROM orders"}); err == nil {
		t.Fatal("query with a cancelled context succeeded")
	}
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"invalid", Config{Type: TypePrometheus}, `open source "x": url: required`},
		{"demo", Config{Type: TypeDemo}, "wired by the engine"},
		{"unset env", Config{Type: TypePostgres, DSNEnv: "SEISMO_TEST_UNSET_DSN"}, "dsn: environment variable SEISMO_TEST_UNSET_DSN is not set"},
		{"bad mysql dsn", Config{Type: TypeMySQL, DSN: field.Secret{Literal: "no-slash"}}, "invalid mysql dsn"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open("x", tc.cfg, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
