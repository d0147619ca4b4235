//go:build integration

package check

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/internal/testpeer"
	"github.com/seismo-dev/seismo/rules/expr"
	"github.com/seismo-dev/seismo/source"
)

const (
	postgresDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	mariaDBDSN  = "root@tcp(127.0.0.1:3306)/test"
)

// uniqueName returns a table name no concurrent test run will share.
func uniqueName(prefix string) string {
	var b [5]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return prefix + "_" + hex.EncodeToString(b[:])
}

// peers connects to PostgreSQL and MariaDB and returns the sources of a
// check across them.
func peers(t *testing.T) (pg, my *sql.DB, srcs map[string]source.Config) {
	t.Helper()
	testpeer.RequireService(t, "PostgreSQL", "127.0.0.1:5432")
	testpeer.RequireService(t, "MariaDB", "127.0.0.1:3306")
	var err error
	if pg, err = sql.Open("pgx", postgresDSN); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Close() })
	if my, err = sql.Open("mysql", mariaDBDSN); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { my.Close() })
	return pg, my, map[string]source.Config{
		"accounts": {Type: source.TypePostgres, DSN: secret(t, postgresDSN)},
		"trading":  {Type: source.TypeMySQL, DSN: secret(t, mariaDBDSN)},
	}
}

// table creates a table that is dropped when the test ends; {t} in ddl
// and stmts is its name.
func table(t *testing.T, db *sql.DB, name, ddl string, stmts ...string) {
	t.Helper()
	if _, err := db.Exec(strings.ReplaceAll(ddl, "{t}", name)); err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	t.Cleanup(func() {
		if _, err := db.Exec("DROP TABLE " + name); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	})
	for _, s := range stmts {
		if _, err := db.Exec(strings.ReplaceAll(s, "{t}", name)); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// crossEngineTables creates the card tables of the main test: the same
// cards in PostgreSQL and in MariaDB with each engine's own types, and a
// few real differences.
func crossEngineTables(t *testing.T, pg, my *sql.DB) (left, right string) {
	left, right = uniqueName("seismo_check_l"), uniqueName("seismo_check_r")
	table(t, pg, left, `CREATE TABLE {t} (
		card_no VARCHAR(20) NOT NULL, market INT NOT NULL, balance NUMERIC(14,2), qty INTEGER, holder CHAR(12),
		status TEXT, updated TIMESTAMPTZ, opened DATE, vip BOOLEAN, note TEXT)`,
		`INSERT INTO {t} VALUES
		('A001', 1, 100.50, 3, 'Zhang', 'NORMAL', '2026-03-02 08:30:00+00', '2026-03-02', true, NULL),
		('a001', 1, 7, 1, 'Zhang', 'NORMAL', '2026-03-02 08:30:00+00', '2026-03-02', false, NULL),
		('B002', 1, 0, 0, 'Li', 'FROZEN', '2026-03-02 08:30:00+00', '2026-03-02', false, NULL),
		('C003', 2, 10, 5, 'Wang', 'NORMAL', '2026-03-02 08:30:00+00', '2026-03-02', false, NULL),
		('D004', 1, 1, 1, 'Zhao', 'NORMAL', '2026-03-02 08:30:00+00', '2026-03-02', false, NULL),
		('E006', 1, 2.5, 1, 'Chen', 'NORMAL', '2026-03-02 08:30:00.4+00', '2026-03-02', true, 'ok'),
		('É005', 1, 1, 1, 'Liu', 'NORMAL', '2026-03-02 08:30:00+00', '2026-03-02', false, NULL)`)
	// MariaDB: a case-insensitive default collation, DECIMAL with another
	// scale, status codes, Shanghai wall-clock DATETIME, TINYINT(1).
	table(t, my, right, `CREATE TABLE {t} (
		card_no VARCHAR(20) NOT NULL, market BIGINT NOT NULL, balance DECIMAL(16,4), qty DECIMAL(10,0), holder CHAR(12),
		status CHAR(1), updated DATETIME(6), opened DATE, vip TINYINT(1), note VARCHAR(50)
		) DEFAULT CHARSET utf8mb4 COLLATE utf8mb4_general_ci`,
		`INSERT INTO {t} VALUES
		('A001', 1, 100.5000, 3, 'Zhang', 'N', '2026-03-02 16:30:00', '2026-03-02', 1, NULL),
		('a001', 1, 7.0000, 1, 'Zhang', 'N', '2026-03-02 16:30:00', '2026-03-02', 0, NULL),
		('B002', 1, 0.0000, 0, 'Li', 'N', '2026-03-02 16:30:00', '2026-03-02', 0, NULL),
		('C003', 2, 10.0100, 5, 'Wang', 'N', '2026-03-02 16:30:00', '2026-03-02', 0, NULL),
		('D004', 1, 1.0000, 1, 'Zhao', 'N', '2026-03-02 16:30:00', '2026-03-02', 0, 'x'),
		('E006', 1, 2.5000, 1, 'Chen', 'N', '2026-03-02 16:30:00', '2026-03-02', 1, 'ok'),
		('Z009', 1, 1.0000, 1, 'Sun', 'N', '2026-03-02 16:30:00', '2026-03-02', 0, NULL)`)
	return left, right
}

func crossEngineConfig(left, right string) Config {
	return Config{
		Name:  "cards",
		Left:  Side{Source: "accounts", Query: "SELECT * FROM " + left, Timezone: "Asia/Shanghai"},
		Right: Side{Source: "trading", Query: "SELECT * FROM " + right + ";", Timezone: "Asia/Shanghai"},
		Key:   []string{"card_no", "market"},
		Compare: []Compare{
			{Column: "balance", Abs: 0.005},
			{Column: "qty"},
			{Column: "holder"},
			{Column: "status", Map: map[string]string{"NORMAL": "N", "FROZEN": "F"}},
			{Column: "updated", TimeTolerance: field.Duration(time.Second)},
			{Column: "opened"},
			{Column: "vip"},
			{Column: "note"},
		},
		Rules: []expr.RuleConfig{{Name: "frozen", When: `left.status == "FROZEN" && right.status == "N"`, Severity: "critical"}},
	}
}

// The differences the cross-engine tables hold, in key order (byte order:
// upper case, lower case, then "É").
var crossEngineDiffs = []diffSummary{
	{Kind: KindMismatched, Key: "B002/1", Columns: "status", Rule: "frozen"},
	{Kind: KindMismatched, Key: "C003/2", Columns: "balance"},
	{Kind: KindMismatched, Key: "D004/1", Columns: "note"},
	{Kind: KindMissingLeft, Key: "Z009/1"},
	{Kind: KindMissingRight, Key: "É005/1"},
}

// TestCrossEngine is the main integration test: a check between
// PostgreSQL and MariaDB whose tables hold the same cards in each engine's
// types (NUMERIC against DECIMAL against INT, CHAR padding, TIMESTAMPTZ
// against a Shanghai DATETIME, booleans against TINYINT, NULLs, status
// words against codes) and a few real differences.
func TestCrossEngine(t *testing.T) {
	pg, my, srcs := peers(t)
	left, right := crossEngineTables(t, pg, my)
	c, err := New(crossEngineConfig(left, right), srcs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Run(t.Context(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(counts{Left: 7, Right: 7, MissingLeft: 1, MissingRight: 1, Mismatched: 3}, countsOf(res)); d != "" {
		t.Errorf("counts (-want +got):\n%s", d)
	}
	if d := cmp.Diff(crossEngineDiffs, summarize(res)); d != "" {
		t.Errorf("differences (-want +got):\n%s", d)
	}
	if got := res.Differences[0].Severity("warning"); got != "critical" {
		t.Errorf("frozen card severity %q", got)
	}
	if res.Summary() != "check cards: left=7 right=7 missing_left=1 missing_right=1 mismatched=3" {
		t.Errorf("summary %q", res.Summary())
	}
}

func TestCrossEngineGrace(t *testing.T) {
	pg, my, srcs := peers(t)
	left, right := crossEngineTables(t, pg, my)
	cfg := crossEngineConfig(left, right)
	cfg.Grace = field.Duration(time.Minute)
	c, err := New(cfg, srcs, Options{Sleep: func(ctx context.Context, d time.Duration) error {
		// During the grace: the note replicates to PostgreSQL, the
		// missing card arrives there, and the balance stays wrong.
		for _, q := range []string{
			"UPDATE " + left + " SET note = 'x' WHERE card_no = 'D004'",
			"INSERT INTO " + left + " VALUES ('Z009', 1, 1, 1, 'Sun', 'NORMAL', '2026-03-02 08:30:00+00', '2026-03-02', false, NULL)",
		} {
			if _, err := pg.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Run(t.Context(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	want := []diffSummary{
		{Kind: KindMismatched, Key: "B002/1", Columns: "status", Rule: "frozen"},
		{Kind: KindMismatched, Key: "C003/2", Columns: "balance"},
		{Kind: KindMismatched, Key: "D004/1", Columns: "note", Transient: true},
		{Kind: KindMissingLeft, Key: "Z009/1", Transient: true},
		{Kind: KindMissingRight, Key: "É005/1"},
	}
	if d := cmp.Diff(want, summarize(res)); d != "" {
		t.Errorf("differences (-want +got):\n%s", d)
	}
	if d := cmp.Diff(counts{Left: 7, Right: 7, MissingRight: 1, Mismatched: 2, Transient: 2}, countsOf(res)); d != "" {
		t.Errorf("counts (-want +got):\n%s", d)
	}
}

func TestCrossEngineFailures(t *testing.T) {
	pg, my, srcs := peers(t)
	left, right := crossEngineTables(t, pg, my)
	run := func(t *testing.T, cfg Config, ctx context.Context) error {
		t.Helper()
		c, err := New(cfg, srcs, Options{})
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.Run(ctx, time.Now())
		if err == nil {
			t.Fatalf("run succeeded: %s", res.Summary())
		}
		if res.Differing() != 0 || len(res.Differences) != 0 {
			t.Errorf("a failed run reports differences: %+v", countsOf(res))
		}
		return err
	}
	t.Run("query fails", func(t *testing.T) {
		cfg := crossEngineConfig(left, right)
		cfg.Right.Query = "SELECT card_no, market, no_such_column FROM " + right
		err := run(t, cfg, t.Context())
		if !strings.Contains(err.Error(), `right (source "trading"): query: Error 1054 (42S22): Unknown column 'no_such_column'`) {
			t.Errorf("error %v", err)
		}
	})
	t.Run("key column missing", func(t *testing.T) {
		cfg := crossEngineConfig(left, right)
		cfg.Left.Query = "SELECT card_no, balance FROM " + left
		cfg.Compare = []Compare{{Column: "balance"}}
		err := run(t, cfg, t.Context())
		if !strings.Contains(err.Error(), `key column "market" is missing from the left query's result (it has: card_no, balance)`) {
			t.Errorf("error %v", err)
		}
	})
	t.Run("duplicate keys", func(t *testing.T) {
		cfg := crossEngineConfig(left, right)
		cfg.Left.Query = "SELECT * FROM " + left + " UNION ALL SELECT * FROM " + left + " WHERE card_no = 'C003'"
		err := run(t, cfg, t.Context())
		if !strings.Contains(err.Error(), `left (source "accounts"): duplicate key (card_no="C003", market=2)`) {
			t.Errorf("error %v", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		cfg := crossEngineConfig(left, right)
		cfg.Left.Query = "SELECT l.*, pg_sleep(30) AS z FROM " + left + " l"
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		start := time.Now()
		err := run(t, cfg, ctx)
		if !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(err.Error(), "timeout") {
			t.Errorf("error %v, want a deadline", err)
		}
		if time.Since(start) > 20*time.Second {
			t.Errorf("the timeout did not stop the query")
		}
	})
}

// TestConnectionLost kills the PostgreSQL backend of the left side while
// it streams: the run fails with the connection's error and reports no
// differences; the next run proceeds.
func TestConnectionLost(t *testing.T) {
	pg, my, srcs := peers(t)
	left, right := uniqueName("seismo_check_big"), uniqueName("seismo_check_big")
	const n = 300000
	table(t, pg, left, `CREATE TABLE {t} (k BIGINT PRIMARY KEY, v BIGINT)`, fmt.Sprintf(`INSERT INTO {t} SELECT g, g FROM generate_series(1, %d) g`, n))
	table(t, my, right, `CREATE TABLE {t} (k BIGINT PRIMARY KEY, v BIGINT)`)
	if _, err := my.Exec(fmt.Sprintf(`INSERT INTO %s SELECT seq, seq FROM seq_1_to_%d`, right, n)); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Name: "big", Left: Side{Source: "accounts", Query: "SELECT k, v FROM " + left}, Right: Side{Source: "trading", Query: "SELECT k, v FROM " + right}, Key: []string{"k"}}
	c, err := New(cfg, srcs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var (
		wg     sync.WaitGroup
		killed bool
	)
	wg.Go(func() {
		// Terminate the check's backend as soon as it is running.
		for ctx.Err() == nil {
			var k int
			err := pg.QueryRowContext(ctx, `SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
				WHERE pid <> pg_backend_pid() AND state = 'active' AND query LIKE '%`+left+`%' AND query NOT LIKE '%pg_stat_activity%'`).Scan(&k)
			if err == nil && k > 0 {
				killed = true
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
	})
	res, err := c.Run(ctx, time.Now())
	cancel()
	wg.Wait()
	if !killed {
		t.Fatal("the backend finished before it could be terminated: the table is too small to catch it streaming")
	}
	if err == nil || !strings.Contains(err.Error(), `left (source "accounts")`) || res.Differing() != 0 {
		t.Fatalf("run with a lost connection: %v (%+v)", err, countsOf(res))
	}
	t.Logf("lost connection after %d left rows: %v", res.Left, err)
	// The next run proceeds.
	res, err = c.Run(t.Context(), time.Now())
	if err != nil || res.Left != n || res.Right != n || res.Differing() != 0 {
		t.Errorf("next run: %v, %+v", err, countsOf(res))
	}
}

// TestChecksum compares two 20,000-row tables across the engines in
// checksum mode: equal ranges are not read, the differing ones are merged,
// and the differences are those of a full merge.
func TestChecksum(t *testing.T) {
	pg, my, srcs := peers(t)
	left, right := uniqueName("seismo_check_cl"), uniqueName("seismo_check_cr")
	const n = 20000
	table(t, pg, left, `CREATE TABLE {t} (id BIGINT PRIMARY KEY, card_no VARCHAR(12), amount NUMERIC(14,2), holder CHAR(10), status TEXT, updated TIMESTAMPTZ, opened DATE, vip BOOLEAN, note TEXT)`,
		fmt.Sprintf(`INSERT INTO {t} SELECT g, 'C' || lpad(g::text, 8, '0'), (g %% 1000) / 4.0, 'h' || (g %% 97), CASE WHEN g %% 7 = 0 THEN 'FROZEN' ELSE 'NORMAL' END,
			TIMESTAMPTZ '2026-03-02 00:00:00+00' + g * INTERVAL '1 second', DATE '2026-01-01' + (g %% 60), g %% 2 = 0,
			CASE WHEN g %% 5 = 0 THEN NULL ELSE 'n' || g END FROM generate_series(1, %d) g`, n))
	table(t, my, right, `CREATE TABLE {t} (id BIGINT PRIMARY KEY, card_no VARCHAR(12), amount DECIMAL(16,4), holder CHAR(10), status CHAR(1), updated DATETIME(6), opened DATE, vip TINYINT(1), note VARCHAR(20)) DEFAULT CHARSET utf8mb4`)
	if _, err := my.Exec(fmt.Sprintf(`INSERT INTO %s SELECT g, CONCAT('C', LPAD(g, 8, '0')), (g %% 1000) / 4.0, CONCAT('h', g %% 97), IF(g %% 7 = 0, 'F', 'N'),
			TIMESTAMP '2026-03-02 08:00:00' + INTERVAL g SECOND, DATE '2026-01-01' + INTERVAL (g %% 60) DAY, g %% 2 = 0,
			IF(g %% 5 = 0, NULL, CONCAT('n', g)) FROM (SELECT seq AS g FROM seq_1_to_%d) s`, right, n)); err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Name:  "sums",
		Left:  Side{Source: "accounts", Query: "SELECT * FROM " + left, Timezone: "Asia/Shanghai"},
		Right: Side{Source: "trading", Query: "SELECT * FROM " + right, Timezone: "Asia/Shanghai"},
		Key:   []string{"id"},
		Compare: []Compare{
			{Column: "card_no"}, {Column: "amount"}, {Column: "holder"},
			{Column: "status", Map: map[string]string{"FROZEN": "F", "NORMAL": "N"}},
			{Column: "updated"}, {Column: "opened"}, {Column: "vip"}, {Column: "note"},
		},
		Mode:      ModeChecksum,
		ChunkRows: 1000,
	}
	runBoth := func(t *testing.T) (sum, merge *Result) {
		t.Helper()
		var err error
		c, err := New(cfg, srcs, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if sum, err = c.Run(t.Context(), time.Now()); err != nil {
			t.Fatal(err)
		}
		mc := cfg
		mc.Mode, mc.ChunkRows = ModeMerge, 0
		c, err = New(mc, srcs, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if merge, err = c.Run(t.Context(), time.Now()); err != nil {
			t.Fatal(err)
		}
		return sum, merge
	}

	// Equal tables: every range's checksum agrees, so the engines'
	// canonical text of every type agrees, and no row is read.
	sum, merge := runBoth(t)
	if sum.Mode != ModeChecksum || sum.Chunks != n/1000 || sum.ChunksDiffering != 0 || sum.Left != n || sum.Right != n || sum.Differing() != 0 || merge.Differing() != 0 {
		t.Fatalf("equal tables: mode %s, chunks %d, differing %d, counts %+v, notes %q; merge %+v", sum.Mode, sum.Chunks, sum.ChunksDiffering, countsOf(sum), sum.Notes, countsOf(merge))
	}

	// A few differences in three ranges.
	for _, q := range []string{
		"UPDATE " + right + " SET amount = amount + 0.01 WHERE id = 1500",
		"UPDATE " + right + " SET status = 'F' WHERE id = 1501",
		"DELETE FROM " + right + " WHERE id = 7777",
		"INSERT INTO " + right + " (id, card_no) VALUES (25000, 'X')",
		"UPDATE " + right + " SET note = 'changed' WHERE id = 12345",
	} {
		if _, err := my.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	sum, merge = runBoth(t)
	if d := cmp.Diff(summarize(merge), summarize(sum)); d != "" {
		t.Errorf("checksum differences differ from the merge's (-merge +checksum):\n%s", d)
	}
	if sum.Mismatched != 3 || sum.MissingRight != 1 || sum.MissingLeft != 1 || sum.ChunksDiffering != 4 {
		t.Errorf("checksum run: %+v, %d of %d ranges differ", countsOf(sum), sum.ChunksDiffering, sum.Chunks)
	}
}
