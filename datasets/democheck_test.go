package datasets_test

import (
	"database/sql"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/seismo-dev/seismo/datasets"
)

// loadDemoCards writes the demo's card databases with SQLite's clock
// replaced by at, so that the lagging view answers as it would then.
func loadDemoCards(t *testing.T, seed int64, at string) (accounts, trading *sql.DB) {
	t.Helper()
	dir := t.TempDir()
	acc, trd := datasets.DemoCardDatabases(seed)
	open := func(d datasets.DemoCardDatabase) *sql.DB {
		db, err := sql.Open("sqlite", filepath.Join(dir, d.File))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		for _, s := range d.Statements {
			if at != "" {
				s = strings.ReplaceAll(s, "'now'", "'"+at+"'")
			}
			if _, err := db.Exec(s); err != nil {
				t.Fatalf("%.80s: %v", s, err)
			}
		}
		return db
	}
	return open(acc), open(trd)
}

func cardSet(t *testing.T, db *sql.DB, q string) map[string]string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		out[k] = v
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDemoCards(t *testing.T) {
	codes := map[string]string{"NORMAL": "0", "FROZEN": "1", "CLOSED": "9"}
	count := func(at string) (frozen, closed, notInTrading, notInAccounts, lagging int) {
		accDB, trdDB := loadDemoCards(t, datasets.DemoSeed, at)
		acc := cardSet(t, accDB, `SELECT card_no, status FROM shareholder_card`)
		trd := cardSet(t, trdDB, `SELECT card_no, status_code FROM sh_card_live`)
		for no, st := range acc {
			code, ok := trd[no]
			switch {
			case !ok:
				notInTrading++
			case st == "FROZEN" && code == "0":
				frozen++
			case st == "CLOSED" && code == "0":
				closed++
			case codes[st] != code:
				lagging++
			}
		}
		for no := range trd {
			if _, ok := acc[no]; !ok {
				notInAccounts++
			}
		}
		return
	}
	// 2026-03-02 08:30 UTC is unix minute 29540670: lag group 0.
	for _, tt := range []struct {
		at      string
		lagging int
	}{
		{"2026-03-02 08:30:05", datasets.DemoCardsLagging / 10}, // inside the lag window
		{"2026-03-02 08:30:20", 0},                              // the grace re-check: healed
		{"2026-03-02 08:31:05", datasets.DemoCardsLagging / 10}, // the next group's turn
	} {
		f, c, nt, na, l := count(tt.at)
		if f != datasets.DemoCardsFrozen || c != datasets.DemoCardsClosed || nt != datasets.DemoCardsNotInTrading ||
			na != datasets.DemoCardsNotInAccounts || l != tt.lagging {
			t.Errorf("at %s: frozen %d, closed %d, not in trading %d, not in accounts %d, lagging %d (want %d)",
				tt.at, f, c, nt, na, l, tt.lagging)
		}
	}

	// Deterministic: the same seed writes the same statements; another
	// seed other cards.
	a1, t1 := datasets.DemoCardDatabases(datasets.DemoSeed)
	a2, t2 := datasets.DemoCardDatabases(datasets.DemoSeed)
	a3, _ := datasets.DemoCardDatabases(datasets.DemoSeed + 1)
	if !slices.Equal(a1.Statements, a2.Statements) || !slices.Equal(t1.Statements, t2.Statements) {
		t.Error("the same seed wrote different cards")
	}
	if slices.Equal(a1.Statements, a3.Statements) {
		t.Error("another seed wrote the same cards")
	}
}
