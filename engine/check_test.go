package engine

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seismo-dev/seismo/alert"
	"github.com/seismo-dev/seismo/config"
	"github.com/seismo-dev/seismo/store"
)

// checkFixture is an engine with one check between two SQLite card tables.
type checkFixture struct {
	e           *Engine
	job         Job
	left, right *sql.DB
}

func newCheckFixture(t *testing.T) *checkFixture {
	t.Helper()
	dir := t.TempDir()
	open := func(name string) *sql.DB {
		db, err := sql.Open("sqlite", filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if _, err := db.Exec(`CREATE TABLE cards (card_no TEXT PRIMARY KEY, status TEXT)`); err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 50; i++ {
			if _, err := db.Exec(`INSERT INTO cards VALUES (?, 'NORMAL')`, fmt.Sprintf("C%03d", i)); err != nil {
				t.Fatal(err)
			}
		}
		return db
	}
	f := &checkFixture{left: open("accounts.db"), right: open("trading.db")}
	cfg, err := config.Parse(fmt.Appendf(nil, `
global:
  store: {driver: sqlite, dsn: %q}
  max_jitter: 0s
sources:
  accounts: {type: sqlite, dsn: %q}
  trading: {type: sqlite, dsn: %q}
checks:
  - name: cards
    schedule: "0 * * * * *"
    left: {source: accounts, query: "SELECT card_no, status FROM cards"}
    right: {source: trading, query: "SELECT card_no, status FROM cards"}
    key: [card_no]
    sample_limit: 2
    labels: {team: ops}
    rules:
      - {name: frozen, when: 'left.status == "NORMAL" && right.status == "FROZEN"', severity: critical}
alerting:
  route: {receiver: log}
  receivers: [{name: log, log_configs: [{level: info}]}]
`, filepath.Join(dir, "seismo.db"), filepath.Join(dir, "accounts.db"), filepath.Join(dir, "trading.db")), filepath.Join(dir, "seismo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	f.e = newTestEngine(t, cfg)
	t.Cleanup(f.e.Close)
	if len(f.e.jobs) != 1 {
		t.Fatalf("jobs = %v", f.e.jobs)
	}
	f.job = f.e.jobs[0]
	return f
}

func (f *checkFixture) exec(t *testing.T, db *sql.DB, q string) {
	t.Helper()
	if _, err := db.Exec(q); err != nil {
		t.Fatal(err)
	}
}

// firing returns the alertname and rule of the firing alerts.
func firing(e *Engine) []string {
	var out []string
	for _, a := range e.Alerts().Alerts() {
		if !a.Resolved() {
			out = append(out, a.Labels.Get("alertname")+"/"+a.Labels.Get("rule")+"/"+a.Labels.Get("severity"))
		}
	}
	return out
}

func TestCheckJob(t *testing.T) {
	f := newCheckFixture(t)
	ctx := context.Background()
	if f.job.Kind() != "check" || f.job.Name() != "cards" || f.job.Timeout() != 2*config.DefaultJobTimeout.Std() {
		t.Errorf("job %s %s, timeout %s", f.job.Kind(), f.job.Name(), f.job.Timeout())
	}

	// seismo once: the summary line, the run stored, nothing sent.
	f.exec(t, f.right, `UPDATE cards SET status = 'FROZEN' WHERE card_no IN ('C002', 'C003')`)
	f.exec(t, f.right, `UPDATE cards SET status = 'CLOSED' WHERE card_no IN ('C004', 'C005', 'C006')`)
	f.exec(t, f.right, `DELETE FROM cards WHERE card_no = 'C010'`)
	res, err := f.e.RunOnce(ctx, "cards")
	if err != nil {
		t.Fatal(err)
	}
	if want := "check cards: left=50 right=49 missing_left=0 missing_right=1 mismatched=5"; res.Summary() != want {
		t.Errorf("summary %q, want %q", res.Summary(), want)
	}
	if got := firing(f.e); len(got) != 0 {
		t.Errorf("seismo once fired %v", got)
	}
	runs, err := f.e.Store().CheckRuns(ctx, "cards", 0)
	if err != nil || len(runs) != 1 || runs[0].Status != store.CheckStatusOK || runs[0].Mismatched != 5 || runs[0].MissingRight != 1 {
		t.Fatalf("runs %+v, %v", runs, err)
	}
	diffs, err := f.e.Store().CheckDifferences(ctx, store.CheckDifferenceFilter{RunID: runs[0].ID})
	if err != nil || len(diffs) != 6 {
		t.Fatalf("differences %+v, %v", diffs, err)
	}
	if d := diffs[0]; string(d.Key) != `{"card_no":"C002"}` || d.Rule != "frozen" || d.Severity != "critical" ||
		string(d.Left) != `{"card_no":"C002","status":"NORMAL"}` || string(d.Right) != `{"card_no":"C002","status":"FROZEN"}` {
		t.Errorf("difference 0: %+v (left %s, right %s)", d, d.Left, d.Right)
	}
	if d := diffs[5]; d.Kind != "missing_right" || d.Right != nil || d.Severity != "warning" {
		t.Errorf("difference 5: %+v", d)
	}

	// A scheduled run fires one event per deciding rule.
	jr, err := f.e.executeJob(ctx, f.job, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(jr.Events) != 2 {
		t.Fatalf("events %+v", jr.Events)
	}
	byRule := map[string]alert.Event{}
	for _, ev := range jr.Events {
		byRule[ev.Labels.Get("rule")] = ev
		if ev.Kind != alert.KindCheckMismatch || ev.Labels.Get("check") != "cards" || ev.Labels.Get("team") != "ops" {
			t.Errorf("event %+v", ev)
		}
	}
	frozen, other := byRule["frozen"], byRule[""]
	if frozen.Value != 2 || frozen.Labels.Get("severity") != "critical" ||
		!strings.Contains(frozen.Annotations["summary"], "2 rows differ between accounts and trading (missing on the left 0, missing on the right 0, mismatched 2), rule frozen") ||
		frozen.Annotations["description"] != "card_no=C002: status: NORMAL ≠ FROZEN\ncard_no=C003: status: NORMAL ≠ FROZEN" {
		t.Errorf("frozen event: value %v, labels %s, annotations %q", frozen.Value, frozen.Labels, frozen.Annotations)
	}
	if other.Value != 4 || other.Labels.Get("severity") != "warning" ||
		other.Annotations["description"] != "card_no=C004: status: NORMAL ≠ CLOSED\ncard_no=C005: status: NORMAL ≠ CLOSED\n… and 2 more" {
		t.Errorf("other event: value %v, annotations %q", other.Value, other.Annotations)
	}
	if got := firing(f.e); len(got) != 2 {
		t.Errorf("firing %v, want the two groups", got)
	}

	// The right table disappears: one failure event, no differences.
	f.exec(t, f.right, `ALTER TABLE cards RENAME TO cards_old`)
	if _, err := f.e.executeJob(ctx, f.job, true); err == nil || !strings.Contains(err.Error(), "no such table: cards") {
		t.Fatalf("run on a missing table: %v", err)
	}
	evs, err := f.e.Store().Events(ctx, store.EventFilter{Job: "cards", Matchers: nil})
	if err != nil {
		t.Fatal(err)
	}
	var failures int
	for _, ev := range evs {
		if ev.Labels.Get("alertname") == CheckFailedAlertName {
			failures++
			if ev.Kind != alert.KindCheckError {
				t.Errorf("failure event of kind %q, want %q", ev.Kind, alert.KindCheckError)
			}
			if !strings.Contains(ev.Annotations["description"], `right (source "trading"): query`) {
				t.Errorf("failure event description %q", ev.Annotations["description"])
			}
		}
	}
	if failures != 1 {
		t.Errorf("%d failure events, want 1", failures)
	}
	runs, _ = f.e.Store().CheckRuns(ctx, "cards", 1)
	if runs[0].Status != store.CheckStatusError || !strings.Contains(runs[0].Error, "no such table") || runs[0].Mismatched != 0 {
		t.Errorf("failed run record %+v", runs[0])
	}
	if got := strings.Join(firing(f.e), ","); !strings.Contains(got, CheckFailedAlertName) {
		t.Errorf("firing %s, want the failure among them", got)
	}

	// Healed: everything resolves.
	f.exec(t, f.right, `ALTER TABLE cards_old RENAME TO cards`)
	f.exec(t, f.right, `UPDATE cards SET status = 'NORMAL'`)
	f.exec(t, f.right, `INSERT INTO cards VALUES ('C010', 'NORMAL')`)
	jr, err = f.e.executeJob(ctx, f.job, true)
	if err != nil {
		t.Fatal(err)
	}
	if jr.Summary() != "check cards: left=50 right=50 missing_left=0 missing_right=0 mismatched=0" || len(jr.Events) != 0 {
		t.Errorf("healed run: %s, %d events", jr.Summary(), len(jr.Events))
	}
	if got := firing(f.e); len(got) != 0 {
		t.Errorf("still firing after healing: %v", got)
	}
	if checks := f.e.Checks(); len(checks) != 1 || checks[0].LeftSource != "accounts" || !f.e.HasCheck("cards") || f.e.HasCheck("nope") {
		t.Errorf("Checks() = %+v", checks)
	}
}
