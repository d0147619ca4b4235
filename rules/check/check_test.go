package check

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/rules/expr"
	"github.com/seismo-dev/seismo/source"
)

// newTableCheck makes check "t" of cfg between two new SQLite databases,
// source "l" made by the statements left and "r" by right. Unset in cfg,
// each side's query is SELECT * FROM t and the key is column k.
func newTableCheck(t *testing.T, cfg Config, left, right []string) *Check {
	t.Helper()
	dir := t.TempDir()
	lsrc, _ := sqliteDB(t, dir, "left", left...)
	rsrc, _ := sqliteDB(t, dir, "right", right...)
	cfg.Name = "t"
	cfg.Left.Source, cfg.Right.Source = "l", "r"
	if cfg.Left.Query == "" {
		cfg.Left.Query = "SELECT * FROM t"
	}
	if cfg.Right.Query == "" {
		cfg.Right.Query = "SELECT * FROM t"
	}
	if cfg.Key == nil {
		cfg.Key = []string{"k"}
	}
	c, err := New(cfg, map[string]source.Config{"l": lsrc, "r": rsrc}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sqliteDB creates an SQLite database file in dir, runs stmts in it and
// returns a source reading it and a handle to change it later.
func sqliteDB(t *testing.T, dir, name string, stmts ...string) (source.Config, *sql.DB) {
	t.Helper()
	p := filepath.Join(dir, name+".db")
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return source.Config{Type: source.TypeSQLite, DSN: secret(t, p)}, db
}

func secret(t *testing.T, v string) field.Secret {
	t.Helper()
	s := field.Secret{Literal: v}
	if err := s.Resolve(""); err != nil {
		t.Fatal(err)
	}
	return s
}

// diffSummary is a difference as the tests compare it.
type diffSummary struct {
	Kind      string
	Key       string
	Columns   string
	Transient bool
	Rule      string
}

func summarize(res *Result) []diffSummary {
	var out []diffSummary
	for _, d := range res.Differences {
		keys := make([]string, len(d.Key))
		for i, k := range d.Key {
			keys[i] = k.String()
		}
		out = append(out, diffSummary{Kind: d.Kind, Key: strings.Join(keys, "/"), Columns: strings.Join(d.Columns, ","), Transient: d.Transient, Rule: d.Rule})
	}
	return out
}

type counts struct{ Left, Right, MissingLeft, MissingRight, Mismatched, Transient int64 }

func countsOf(r *Result) counts {
	return counts{r.Left, r.Right, r.MissingLeft, r.MissingRight, r.Mismatched, r.Transient}
}

func TestMerge(t *testing.T) {
	tests := []struct {
		name        string
		left, right []string // statements creating and filling table t
		cfg         Config   // Left and Right queries default to SELECT * FROM t
		want        counts
		diffs       []diffSummary
	}{
		{
			name:  "identical",
			left:  []string{"CREATE TABLE t (k INTEGER, v TEXT)", "INSERT INTO t VALUES (1,'a'),(2,'b')"},
			right: []string{"CREATE TABLE t (k INTEGER, v TEXT)", "INSERT INTO t VALUES (2,'b'),(1,'a')"},
			want:  counts{Left: 2, Right: 2},
		},
		{
			name:  "missing on each side and mismatched",
			left:  []string{"CREATE TABLE t (k TEXT, status TEXT)", "INSERT INTO t VALUES ('A1','NORMAL'),('A2','FROZEN'),('A3','NORMAL')"},
			right: []string{"CREATE TABLE t (k TEXT, status TEXT)", "INSERT INTO t VALUES ('A1','NORMAL'),('A2','NORMAL'),('A4','NORMAL')"},
			want:  counts{Left: 3, Right: 3, MissingLeft: 1, MissingRight: 1, Mismatched: 1},
			diffs: []diffSummary{
				{Kind: KindMismatched, Key: "A2", Columns: "status"},
				{Kind: KindMissingRight, Key: "A3"},
				{Kind: KindMissingLeft, Key: "A4"},
			},
		},
		{
			name:  "one side empty",
			left:  []string{"CREATE TABLE t (k INTEGER, v TEXT)", "INSERT INTO t VALUES (1,'a'),(2,'b')"},
			right: []string{"CREATE TABLE t (k INTEGER, v TEXT)"},
			want:  counts{Left: 2, MissingRight: 2},
			diffs: []diffSummary{{Kind: KindMissingRight, Key: "1"}, {Kind: KindMissingRight, Key: "2"}},
		},
		{
			name: "types normalised: integers, decimals, numeric text, CHAR padding",
			left: []string{"CREATE TABLE t (k INTEGER, amount NUMERIC, qty INTEGER, name TEXT)",
				"INSERT INTO t VALUES (1, 1.5, 1, 'ab   '), (2, 2, 2, 'x')"},
			right: []string{"CREATE TABLE t (k INTEGER, amount TEXT, qty REAL, name TEXT)",
				"INSERT INTO t VALUES (1, '1.50', 1.0, 'ab'), (2, '2.00', 2.0, 'x')"},
			want: counts{Left: 2, Right: 2},
		},
		{
			name:  "NULLs: equal to NULL, different from a value",
			left:  []string{"CREATE TABLE t (k INTEGER, v TEXT, w TEXT)", "INSERT INTO t VALUES (1, NULL, NULL), (2, NULL, 'x'), (3, '', 'y')"},
			right: []string{"CREATE TABLE t (k INTEGER, v TEXT, w TEXT)", "INSERT INTO t VALUES (1, NULL, NULL), (2, NULL, NULL), (3, NULL, 'y')"},
			want:  counts{Left: 3, Right: 3, Mismatched: 2},
			diffs: []diffSummary{{Kind: KindMismatched, Key: "2", Columns: "w"}, {Kind: KindMismatched, Key: "3", Columns: "v"}},
		},
		{
			name:  "composite key, any order in the tables",
			left:  []string{"CREATE TABLE t (market TEXT, card INTEGER, status TEXT)", "INSERT INTO t VALUES ('sz',1,'N'),('sh',2,'N'),('sh',1,'F'),('sz',2,'N')"},
			right: []string{"CREATE TABLE t (market TEXT, card INTEGER, status TEXT)", "INSERT INTO t VALUES ('sh',1,'N'),('sh',2,'N'),('sz',1,'N'),('sz',3,'N')"},
			cfg:   Config{Key: []string{"market", "card"}},
			want:  counts{Left: 4, Right: 4, MissingLeft: 1, MissingRight: 1, Mismatched: 1},
			diffs: []diffSummary{
				{Kind: KindMismatched, Key: "sh/1", Columns: "status"},
				{Kind: KindMissingRight, Key: "sz/2"},
				{Kind: KindMissingLeft, Key: "sz/3"},
			},
		},
		{
			name:  "text keys in byte order, not by a collation",
			left:  []string{"CREATE TABLE t (k TEXT COLLATE NOCASE, v INTEGER)", "INSERT INTO t VALUES ('b',1),('B',1),('a',1),('é',1),('A',1)"},
			right: []string{"CREATE TABLE t (k TEXT, v INTEGER)", "INSERT INTO t VALUES ('A',1),('B',1),('a',1),('b',2),('é',1)"},
			want:  counts{Left: 5, Right: 5, Mismatched: 1},
			diffs: []diffSummary{{Kind: KindMismatched, Key: "b", Columns: "v"}},
		},
		{
			name:  "compare rules and a status mapping",
			left:  []string{"CREATE TABLE t (k INTEGER, status TEXT, name TEXT, amount REAL)", "INSERT INTO t VALUES (1,'FROZEN','Alice',10.004),(2,'NORMAL','bob',20),(3,'FROZEN','Carol',30)"},
			right: []string{"CREATE TABLE t (k INTEGER, status TEXT, name TEXT, amount REAL)", "INSERT INTO t VALUES (1,'F','ALICE',10),(2,'N','Bob',20.5),(3,'N','carol',30)"},
			cfg: Config{Compare: []Compare{
				{Column: "status", Map: map[string]string{"FROZEN": "F", "NORMAL": "N"}},
				{Column: "name", Rule: RuleCI},
				{Column: "amount", Abs: 0.01},
			}},
			want:  counts{Left: 3, Right: 3, Mismatched: 2},
			diffs: []diffSummary{{Kind: KindMismatched, Key: "2", Columns: "amount"}, {Kind: KindMismatched, Key: "3", Columns: "status"}},
		},
		{
			name:  "times across zones",
			left:  []string{"CREATE TABLE t (k INTEGER, at DATETIME)", "INSERT INTO t VALUES (1,'2026-03-02 16:30:00'),(2,'2026-03-02 16:30:00')"},
			right: []string{"CREATE TABLE t (k INTEGER, at DATETIME)", "INSERT INTO t VALUES (1,'2026-03-02 08:30:00'),(2,'2026-03-02 08:31:00')"},
			cfg:   Config{Left: Side{Timezone: "Asia/Shanghai"}},
			want:  counts{Left: 2, Right: 2, Mismatched: 1},
			diffs: []diffSummary{{Kind: KindMismatched, Key: "2", Columns: "at"}},
		},
		{
			name:  "only the listed columns are compared; aliases line sides up",
			left:  []string{"CREATE TABLE t (k INTEGER, status TEXT, noise TEXT)", "INSERT INTO t VALUES (1,'N','x')"},
			right: []string{"CREATE TABLE u (card INTEGER, card_status TEXT, noise TEXT)", "INSERT INTO u VALUES (1,'N','y')"},
			cfg: Config{Right: Side{Query: "SELECT card AS k, card_status AS status, noise FROM u"},
				Compare: []Compare{{Column: "status"}}},
			want: counts{Left: 1, Right: 1},
		},
		{
			name:  "NULL keys match each other",
			left:  []string{"CREATE TABLE t (a TEXT, b INTEGER, v INTEGER)", "INSERT INTO t VALUES (NULL, 1, 1), ('x', NULL, 2), ('x', 1, 3), (NULL, 2, 4), ('y', 1, 1)"},
			right: []string{"CREATE TABLE t (a TEXT, b INTEGER, v INTEGER)", "INSERT INTO t VALUES ('x', 1, 3), ('x', NULL, 2), (NULL, 1, 9), ('y', NULL, 1), ('y', 1, 1)"},
			cfg:   Config{Key: []string{"a", "b"}},
			want:  counts{Left: 5, Right: 5, MissingLeft: 1, MissingRight: 1, Mismatched: 1},
			diffs: []diffSummary{ // after the others, the left ones first
				{Kind: KindMismatched, Key: "NULL/1", Columns: "v"},
				{Kind: KindMissingRight, Key: "NULL/2"},
				{Kind: KindMissingLeft, Key: "y/NULL"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTableCheck(t, tt.cfg, tt.left, tt.right)
			res, err := c.Run(t.Context(), time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, countsOf(res)); d != "" {
				t.Errorf("counts (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.diffs, summarize(res)); d != "" {
				t.Errorf("differences (-want +got):\n%s", d)
			}
			if got := res.Summary(); !strings.HasPrefix(got, "check t: left=") {
				t.Errorf("summary %q", got)
			}
		})
	}
}

func TestMergeErrors(t *testing.T) {
	tests := []struct {
		name        string
		left, right []string
		cfg         Config
		want        string // in the error
	}{
		{
			name:  "duplicate key on the left",
			left:  []string{"CREATE TABLE t (k INTEGER, v TEXT)", "INSERT INTO t VALUES (1,'a'),(2,'b'),(2,'c'),(3,'d')"},
			right: []string{"CREATE TABLE t (k INTEGER, v TEXT)", "INSERT INTO t VALUES (1,'a'),(2,'b'),(3,'d')"},
			want:  `left (source "l"): duplicate key (k=2)`,
		},
		{
			name:  "duplicate key on the right after normalisation",
			left:  []string{"CREATE TABLE t (k TEXT, v TEXT)", "INSERT INTO t VALUES ('a','x')"},
			right: []string{"CREATE TABLE t (k TEXT, v TEXT)", "INSERT INTO t VALUES ('a','x'),('a  ','y')"},
			want:  `right (source "r"): duplicate key (k="a")`,
		},
		{
			name:  "duplicate key with a NULL",
			left:  []string{"CREATE TABLE t (a TEXT, b INTEGER)", "INSERT INTO t VALUES ('x',NULL),('x',NULL)"},
			right: []string{"CREATE TABLE t (a TEXT, b INTEGER)", "INSERT INTO t VALUES ('x',1)"},
			cfg:   Config{Key: []string{"a", "b"}},
			want:  `left (source "l"): duplicate key (a="x", b=NULL)`,
		},
		{
			name:  "duplicate composite key",
			left:  []string{"CREATE TABLE t (a TEXT, b INTEGER)", "INSERT INTO t VALUES ('x',1),('x',1)"},
			right: []string{"CREATE TABLE t (a TEXT, b INTEGER)", "INSERT INTO t VALUES ('x',1)"},
			cfg:   Config{Key: []string{"a", "b"}},
			want:  `duplicate key (a="x", b=1)`,
		},
		{
			name:  "key out of order",
			left:  []string{"CREATE TABLE t (k TEXT)", "INSERT INTO t VALUES ('a'),('a' || char(1)),('a ')"},
			right: []string{"CREATE TABLE t (k TEXT)", "INSERT INTO t VALUES ('a')"},
			want:  `key (k="a") came after (k="a\x01")`,
		},
		{
			name:  "key column missing from one side",
			left:  []string{"CREATE TABLE t (k INTEGER, v TEXT)"},
			right: []string{"CREATE TABLE t (card INTEGER, v TEXT)"},
			want:  `key column "k" is missing from the right query's result (it has: card, v)`,
		},
		{
			name:  "compared column missing",
			left:  []string{"CREATE TABLE t (k INTEGER, v TEXT)"},
			right: []string{"CREATE TABLE t (k INTEGER, v TEXT)"},
			cfg:   Config{Compare: []Compare{{Column: "status"}}},
			want:  `column "status" is missing from the left query's result (it has: k, v)`,
		},
		{
			name:  "key of different kinds on the two sides",
			left:  []string{"CREATE TABLE t (k INTEGER)", "INSERT INTO t VALUES (10)"},
			right: []string{"CREATE TABLE t (k TEXT)", "INSERT INTO t VALUES ('10')"},
			want:  `key column "k" holds a number on the left`,
		},
		{
			name:  "query fails",
			left:  []string{"CREATE TABLE t (k INTEGER)"},
			right: []string{"CREATE TABLE t (k INTEGER)"},
			cfg:   Config{Right: Side{Query: "SELECT * FROM no_such_table"}},
			want:  `right (source "r"): query: SQL logic error: no such table: no_such_table`,
		},
		{
			name:  "value that does not normalise",
			left:  []string{"CREATE TABLE t (k INTEGER, at DATETIME)", "INSERT INTO t VALUES (1, 'yesterday')"},
			right: []string{"CREATE TABLE t (k INTEGER, at DATETIME)", "INSERT INTO t VALUES (1, '2026-03-02')"},
			want:  `left (source "l"): after 1 rows: row 1: column "at": not a time: "yesterday"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTableCheck(t, tt.cfg, tt.left, tt.right)
			res, err := c.Run(t.Context(), time.Now())
			var re *RunError
			if !errors.As(err, &re) {
				t.Fatalf("error %v (%T), want a *RunError", err, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q\nwant it to contain %q", err, tt.want)
			}
			if res == nil || len(res.Differences) != 0 || res.Differing() != 0 {
				t.Errorf("a failed run reports differences: %+v", res)
			}
		})
	}
}

// cardsDBs builds a left and a right card table of n cards each; diff
// lists card numbers whose right status differs.
func cardsDBs(t *testing.T, n int, diff ...int) (map[string]source.Config, *sql.DB) {
	t.Helper()
	dir := t.TempDir()
	var left, right strings.Builder
	for i := 1; i <= n; i++ {
		if i > 1 {
			left.WriteString(",")
			right.WriteString(",")
		}
		fmt.Fprintf(&left, "('C%05d','NORMAL')", i)
		status := "NORMAL"
		if slices.Contains(diff, i) {
			status = "FROZEN"
		}
		fmt.Fprintf(&right, "('C%05d','%s')", i, status)
	}
	lsrc, _ := sqliteDB(t, dir, "left", "CREATE TABLE cards (card_no TEXT, status TEXT)", "INSERT INTO cards VALUES "+left.String())
	rsrc, rdb := sqliteDB(t, dir, "right", "CREATE TABLE cards (card_no TEXT, status TEXT)", "INSERT INTO cards VALUES "+right.String())
	return map[string]source.Config{"accounts": lsrc, "trading": rsrc}, rdb
}

func cardsConfig() Config {
	return Config{
		Name:  "cards",
		Left:  Side{Source: "accounts", Query: "SELECT card_no, status FROM cards"},
		Right: Side{Source: "trading", Query: "SELECT card_no, status FROM cards"},
		Key:   []string{"card_no"},
	}
}

func TestGraceRecheck(t *testing.T) {
	srcs, rdb := cardsDBs(t, 2000, 10, 20, 30, 40)
	exec := func(q string) {
		t.Helper()
		if _, err := rdb.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	cfg := cardsConfig()
	cfg.Grace = field.Duration(30 * time.Second)
	var slept time.Duration
	c, err := New(cfg, srcs, Options{Sleep: func(ctx context.Context, d time.Duration) error {
		// What happens during the grace: C00010 heals, C00020 is deleted
		// on the right (now missing there), C00040 heals and C00050
		// breaks (too late: it is not re-checked, the next run sees it).
		slept = d
		exec("UPDATE cards SET status = 'NORMAL' WHERE card_no IN ('C00010', 'C00040')")
		exec("DELETE FROM cards WHERE card_no = 'C00020'")
		exec("UPDATE cards SET status = 'FROZEN' WHERE card_no = 'C00050'")
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Run(t.Context(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if slept != 30*time.Second {
		t.Errorf("slept %s, want the grace", slept)
	}
	if d := cmp.Diff(counts{Left: 2000, Right: 2000, MissingRight: 1, Mismatched: 1, Transient: 2}, countsOf(res)); d != "" {
		t.Errorf("counts (-want +got):\n%s", d)
	}
	want := []diffSummary{
		{Kind: KindMismatched, Key: "C00010", Columns: "status", Transient: true},
		{Kind: KindMissingRight, Key: "C00020"},
		{Kind: KindMismatched, Key: "C00030", Columns: "status"},
		{Kind: KindMismatched, Key: "C00040", Columns: "status", Transient: true},
	}
	if d := cmp.Diff(want, summarize(res)); d != "" {
		t.Errorf("differences (-want +got):\n%s", d)
	}
	// The confirmed difference carries the fresh rows.
	if got := Row(res.RightColumns, res.Differences[2].Right)["status"]; got != "FROZEN" {
		t.Errorf("re-checked right status = %v", got)
	}

	// No differences: no wait.
	srcs2, _ := cardsDBs(t, 10)
	c2, err := New(cfg, srcs2, Options{Sleep: func(context.Context, time.Duration) error {
		t.Error("slept although nothing differed")
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c2.Run(t.Context(), time.Now()); err != nil {
		t.Fatal(err)
	}
}

func TestGraceRecheckWholeComparison(t *testing.T) {
	// A time key cannot be bound exactly on every engine: the re-check
	// runs the whole comparison again.
	dir := t.TempDir()
	lsrc, _ := sqliteDB(t, dir, "l", "CREATE TABLE t (at DATETIME, v INTEGER)", "INSERT INTO t VALUES ('2026-03-02 09:30:00',1),('2026-03-02 09:31:00',2),('2026-03-02 09:32:00',3)")
	rsrc, rdb := sqliteDB(t, dir, "r", "CREATE TABLE t (at DATETIME, v INTEGER)", "INSERT INTO t VALUES ('2026-03-02 09:30:00',1),('2026-03-02 09:31:00',9),('2026-03-02 09:32:00',9)")
	cfg := Config{Name: "ticks", Left: Side{Source: "l", Query: "SELECT * FROM t"}, Right: Side{Source: "r", Query: "SELECT * FROM t"},
		Key: []string{"at"}, Grace: field.Duration(time.Minute)}
	c, err := New(cfg, map[string]source.Config{"l": lsrc, "r": rsrc}, Options{Sleep: func(context.Context, time.Duration) error {
		_, err := rdb.Exec("UPDATE t SET v = 2 WHERE v = 9 AND at = '2026-03-02 09:31:00'")
		return err
	}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Run(t.Context(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if res.Mismatched != 1 || res.Transient != 1 || len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "running the comparison again") {
		t.Errorf("counts %+v, notes %q", countsOf(res), res.Notes)
	}
}

func TestGraceInterrupted(t *testing.T) {
	srcs, _ := cardsDBs(t, 10, 3)
	cfg := cardsConfig()
	cfg.Grace = field.Duration(time.Hour)
	ctx, cancel := context.WithCancel(t.Context())
	c, err := New(cfg, srcs, Options{Sleep: func(ctx context.Context, d time.Duration) error {
		cancel() // shutting down during the grace
		return sleep(ctx, d)
	}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Run(ctx, time.Now())
	if !errors.Is(err, context.Canceled) || res.Differing() != 0 {
		t.Errorf("Run = %+v, %v; want a cancelled run without differences", countsOf(res), err)
	}
}

func TestMaxDifferences(t *testing.T) {
	srcs, _ := cardsDBs(t, 100, 1, 2, 3, 4, 5)
	cfg := cardsConfig()
	cfg.MaxDifferences = 2
	cfg.Grace = field.Duration(time.Second)
	c, err := New(cfg, srcs, Options{Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Run(t.Context(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if res.Mismatched != 5 || res.Truncated != 3 || len(res.Differences) != 2 || len(res.Notes) != 1 {
		t.Errorf("mismatched %d, truncated %d, kept %d, notes %q", res.Mismatched, res.Truncated, len(res.Differences), res.Notes)
	}
}

func TestRules(t *testing.T) {
	srcs, rdb := cardsDBs(t, 20, 3, 4)
	if _, err := rdb.Exec("UPDATE cards SET status = 'CLOSED' WHERE card_no = 'C00004'; DELETE FROM cards WHERE card_no = 'C00005'"); err != nil {
		t.Fatal(err)
	}
	cfg := cardsConfig()
	cfg.Rules = []expr.RuleConfig{
		{Name: "closed_ok", When: `right.status == "CLOSED"`, Action: expr.ActionSuppress},
		{Name: "frozen_vs_normal", When: `left.status == "NORMAL" && right.status == "FROZEN"`, Severity: "critical"},
		{Name: "missing", When: `kind == "missing_right" && key.card_no startsWith "C"`, Severity: "info", Annotations: map[string]string{"runbook": "resend the card"}},
	}
	c, err := New(cfg, srcs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Run(t.Context(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	want := []diffSummary{
		{Kind: KindMismatched, Key: "C00003", Columns: "status", Rule: "frozen_vs_normal"},
		{Kind: KindMismatched, Key: "C00004", Columns: "status", Rule: "closed_ok"},
		{Kind: KindMissingRight, Key: "C00005", Rule: "missing"},
	}
	if d := cmp.Diff(want, summarize(res)); d != "" {
		t.Errorf("differences (-want +got):\n%s", d)
	}
	d := res.Differences
	if d[0].Severity("warning") != "critical" || d[1].Severity("warning") != "warning" || !d[1].Suppressed || d[2].Annotations["runbook"] != "resend the card" {
		t.Errorf("verdicts: %+v", d)
	}
	if res.Suppressed != 1 || res.Mismatched != 2 {
		t.Errorf("suppressed %d, mismatched %d", res.Suppressed, res.Mismatched)
	}
}

func TestChecksumFallsBackOnSQLite(t *testing.T) {
	srcs, _ := cardsDBs(t, 300, 7)
	cfg := cardsConfig()
	cfg.Mode = ModeChecksum
	c, err := New(cfg, srcs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Run(t.Context(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if res.Mode != ModeMerge || res.Mismatched != 1 || len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "SQLite") {
		t.Errorf("mode %s, mismatched %d, notes %q", res.Mode, res.Mismatched, res.Notes)
	}
}

func TestManyRowsStream(t *testing.T) {
	// More rows than the readers' queues hold, so that the merge runs
	// while both sides stream.
	n := 20 * batchRows * queueBatches
	srcs, _ := cardsDBs(t, n, 1, n/2, n)
	c, err := New(cardsConfig(), srcs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Run(t.Context(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if res.Left != int64(n) || res.Right != int64(n) || res.Mismatched != 3 {
		t.Errorf("counts %+v", countsOf(res))
	}
}

func TestNewRejects(t *testing.T) {
	srcs := map[string]source.Config{
		"db":  {Type: source.TypeSQLite, DSN: secret(t, "x.db")},
		"vm":  {Type: source.TypePrometheus, URL: "http://127.0.0.1:8428"},
		"csv": {Type: source.TypeCSV, Path: "x.csv"},
	}
	base := Config{Name: "c", Left: Side{Source: "db", Query: "SELECT 1 AS k"}, Right: Side{Source: "db", Query: "SELECT 1 AS k"}, Key: []string{"k"}}
	for _, tt := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"unknown source", func(c *Config) { c.Left.Source = "nope" }, `left: unknown source "nope"`},
		{"not SQL", func(c *Config) { c.Right.Source = "vm" }, `right: source "vm" is of type prometheus`},
		{"csv", func(c *Config) { c.Right.Source = "csv" }, `right: source "csv" is of type csv`},
		{"invalid", func(c *Config) { c.Key = nil }, `key: a check needs at least one key column`},
	} {
		cfg := base
		tt.edit(&cfg)
		if _, err := New(cfg, srcs, Options{}); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: New = %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestGraceRecheckTrailingSpaces(t *testing.T) {
	// SQLite compares trailing spaces: the re-check binds keys as each
	// side stored them, not only as normalised.
	dir := t.TempDir()
	lsrc, _ := sqliteDB(t, dir, "l", "CREATE TABLE t (k TEXT, v TEXT)", "INSERT INTO t VALUES ('A1  ','x'),('B2','x')")
	rsrc, _ := sqliteDB(t, dir, "r", "CREATE TABLE t (k TEXT, v TEXT)", "INSERT INTO t VALUES ('A1','y'),('B2 ','y')")
	cfg := Config{Name: "pad", Left: Side{Source: "l", Query: "SELECT * FROM t"}, Right: Side{Source: "r", Query: "SELECT * FROM t"},
		Key: []string{"k"}, Grace: field.Duration(time.Second)}
	c, err := New(cfg, map[string]source.Config{"l": lsrc, "r": rsrc}, Options{Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Run(t.Context(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	want := []diffSummary{{Kind: KindMismatched, Key: "A1", Columns: "v"}, {Kind: KindMismatched, Key: "B2", Columns: "v"}}
	if d := cmp.Diff(want, summarize(res)); d != "" {
		t.Errorf("differences after the re-check (-want +got):\n%s", d)
	}
}
