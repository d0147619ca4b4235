package engine

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/seismo-dev/seismo/config"
)

// TestJobsRunAtStartUp checks that a check scheduled once a year still runs
// as soon as the engine starts, as monitors do.
func TestJobsRunAtStartUp(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"left.db", "right.db"} {
		db, err := sql.Open("sqlite", filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`CREATE TABLE cards (card_no TEXT PRIMARY KEY, status TEXT); INSERT INTO cards VALUES ('C1', 'NORMAL')`); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	cfg, err := config.Parse(fmt.Appendf(nil, `
global:
  store: {driver: sqlite, dsn: %q}
  max_jitter: 0s
sources:
  left: {type: sqlite, dsn: %q}
  right: {type: sqlite, dsn: %q}
checks:
  - name: yearly
    schedule: "0 0 0 1 1 *"
    left: {source: left, query: "SELECT card_no, status FROM cards"}
    right: {source: right, query: "SELECT card_no, status FROM cards"}
    key: [card_no]
`, filepath.Join(dir, "seismo.db"), filepath.Join(dir, "left.db"), filepath.Join(dir, "right.db")), filepath.Join(dir, "seismo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	e := newTestEngine(t, cfg)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	// No signal exists for "a job finished"; poll its status, bounded.
	deadline := time.Now().Add(30 * time.Second)
	for {
		for _, st := range e.Jobs() {
			if st.Name == "yearly" && st.Runs > 0 {
				if st.LastError != "" {
					t.Fatalf("start-up run failed: %s", st.LastError)
				}
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the check did not run at start-up")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
