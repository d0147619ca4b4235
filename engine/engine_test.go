package engine

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	_ "modernc.org/sqlite"

	"github.com/seismo-dev/seismo/config"
	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/store"
)

// dataEnd is the fixed "now" of these tests: the last sample's time.
var dataEnd = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// Two injected anomalies: one inside the backfill window, long past, and
// one at the newest point, which must page.
var (
	pastSpike = dataEnd.Add(-9 * time.Hour)
	lastDip   = dataEnd
)

// writePayments fills an SQLite database with 8 days of a daily-seasonal
// series at 5-minute steps for two channels, with noise and the two
// anomalies on channel "app".
func writePayments(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE payments (ts INTEGER, value REAL, channel TEXT)`); err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, ch := range []string{"app", "web"} {
		for ts := dataEnd.Add(-8 * 24 * time.Hour); !ts.After(dataEnd); ts = ts.Add(5 * time.Minute) {
			hour := float64(ts.Hour()) + float64(ts.Minute())/60
			v := 100 + 60*math.Sin(2*math.Pi*hour/24) + rng.NormFloat64()*4
			if ch == "app" && ts.Equal(pastSpike) {
				v += 150
			}
			if ch == "app" && ts.Equal(lastDip) {
				v -= 120
			}
			if _, err := tx.Exec(`INSERT INTO payments VALUES (?, ?, ?)`, ts.Unix(), v, ch); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// webhookSink is a real HTTP receiver that hands each payload to a channel.
func webhookSink(t *testing.T) (*httptest.Server, <-chan map[string]any) {
	t.Helper()
	got := make(chan map[string]any, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var payload map[string]any
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &payload); err != nil {
			t.Errorf("webhook payload is not JSON: %v: %s", err, body)
		}
		got <- payload
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func testConfig(t *testing.T, dir, webhookURL, extraSource string) *config.Config {
	t.Helper()
	yaml := fmt.Sprintf(`
global:
  store: {driver: sqlite, dsn: %q}
  max_jitter: 0s
sources:
  db: {type: sqlite, dsn: %q}
%s
monitors:
  - name: payments
    schedule: "0 0 * * * *"
    query:
      source: db
      expr: "SELECT ts AS time, value, channel FROM payments"
      step: 5m
      history: 7d
      backfill: 1d
    baseline: {seasonality: daily, bucket: 30m}
    detector: {type: robust, sensitivity: 0.7}
    labels: {team: payments}
alerting:
  route: {receiver: hook, group_by: [alertname], group_wait: 1ms, group_interval: 1s}
  receivers:
    - name: hook
      webhook_configs: [{url: %q}]
`, filepath.Join(dir, "seismo.db"), filepath.Join(dir, "data.db"), extraSource, webhookURL)
	cfg, err := config.Parse([]byte(yaml), filepath.Join(dir, "seismo.yaml"))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newTestEngine(t *testing.T, cfg *config.Config) *Engine {
	t.Helper()
	var w io.Writer = io.Discard
	if testing.Verbose() {
		w = os.Stderr
	}
	eng, err := New(context.Background(), cfg, Options{
		Logger: slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:    func() time.Time { return dataEnd },
	})
	if err != nil {
		t.Fatalf("engine: %v", err)
	}
	return eng
}

func TestRunOnceFindsInjectedAnomalies(t *testing.T) {
	dir := t.TempDir()
	writePayments(t, filepath.Join(dir, "data.db"))
	hook, _ := webhookSink(t)
	eng := newTestEngine(t, testConfig(t, dir, hook.URL, ""))
	defer eng.Close()

	res, err := eng.RunOnce(context.Background(), "payments")
	if err != nil {
		t.Fatal(err)
	}
	if res.Series != 2 {
		t.Errorf("series = %d, want 2", res.Series)
	}
	wantEvaluated := 2 * (24*12 + 1) // one day at 5m, both ends included, two series
	if res.Evaluated != wantEvaluated {
		t.Errorf("evaluated = %d, want %d", res.Evaluated, wantEvaluated)
	}
	found := map[time.Time]bool{}
	for _, ev := range res.Events {
		if ev.Labels.Get("channel") != "app" {
			t.Errorf("event on a normal series: %v at %v (value %.1f expected %.1f)", ev.Labels, ev.Time, ev.Value, ev.Expected)
			continue
		}
		found[ev.Time.UTC()] = true
		if ev.Labels.Get("alertname") != "payments" || ev.Labels.Get("team") != "payments" {
			t.Errorf("event labels = %v, want alertname and team", ev.Labels)
		}
		if !(ev.Lower <= ev.Expected && ev.Expected <= ev.Upper) || ev.Score <= 0 || ev.Score > 1 {
			t.Errorf("event band/score inconsistent: %+v", ev)
		}
	}
	for _, want := range []time.Time{pastSpike, lastDip} {
		if !found[want] {
			t.Errorf("no event at injected anomaly %v; events: %d", want, len(res.Events))
		}
	}
	if len(res.Events) > 4 {
		t.Errorf("%d events for 2 injected anomalies in 578 points: too many false positives", len(res.Events))
	}
	if res.Stored != len(res.Events) {
		t.Errorf("stored = %d, want %d", res.Stored, len(res.Events))
	}

	// A second run finds the same events and stores no duplicates.
	again, err := eng.RunOnce(context.Background(), "payments")
	if err != nil {
		t.Fatal(err)
	}
	if again.Stored != 0 || len(again.Events) != len(res.Events) {
		t.Errorf("re-run stored %d of %d events, want 0 of %d", again.Stored, len(again.Events), len(res.Events))
	}
	stored, err := eng.Store().Events(context.Background(), store.EventFilter{Job: "payments"})
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != len(res.Events) {
		t.Errorf("store holds %d events, want %d", len(stored), len(res.Events))
	}
}

func TestRunSchedulesNotifiesAndStops(t *testing.T) {
	dir := t.TempDir()
	writePayments(t, filepath.Join(dir, "data.db"))
	hook, payloads := webhookSink(t)
	eng := newTestEngine(t, testConfig(t, dir, hook.URL, ""))

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- eng.Run(ctx) }()

	// The start-up run judges the backfill day; only the anomaly at the
	// newest point is recent enough to page.
	var payload map[string]any
	select {
	case payload = <-payloads:
	case <-time.After(30 * time.Second):
		t.Fatal("no webhook notification within 30s of start")
	}
	alerts, _ := payload["alerts"].([]any)
	if payload["version"] != "4" || payload["status"] != "firing" || len(alerts) != 1 {
		t.Fatalf("payload = %v, want one firing alert, version 4", payload)
	}
	a := alerts[0].(map[string]any)
	if lbl := a["labels"].(map[string]any); lbl["channel"] != "app" || lbl["alertname"] != "payments" {
		t.Errorf("alert labels = %v", lbl)
	}
	cursor, err := eng.Store().Cursor(context.Background(), "payments")
	if err != nil || !cursor.Equal(dataEnd) {
		t.Errorf("cursor = %v, %v; want %v", cursor, err, dataEnd)
	}
	if got := testutil.ToFloat64(eng.metrics.runs.WithLabelValues("payments", "monitor", "success")); got != 1 {
		t.Errorf("successful runs = %v, want 1", got)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func TestFailingSourceProducesNoEvents(t *testing.T) {
	var calls int
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls++
		http.Error(w, "boom", http.StatusInternalServerError)
	}))
	defer failing.Close()
	dir := t.TempDir()
	writePayments(t, filepath.Join(dir, "data.db"))
	hook, _ := webhookSink(t)
	cfg := testConfig(t, dir, hook.URL, fmt.Sprintf("  prom: {type: prometheus, url: %q, retries: 1, timeout: 5s}", failing.URL))
	cfg.Monitors[0].Query.Source = "prom"
	cfg.Monitors[0].Query.Expr = "sum(rate(payments_total[5m]))"
	eng := newTestEngine(t, cfg)
	defer eng.Close()

	_, err := eng.RunOnce(context.Background(), "payments")
	if err == nil || !strings.Contains(err.Error(), "500") {
		t.Fatalf("err = %v, want the source's 500", err)
	}
	if calls != 2 {
		t.Errorf("source called %d times, want 2 (one retry)", calls)
	}
	if got := testutil.ToFloat64(eng.metrics.runs.WithLabelValues("payments", "monitor", "failure")); got != 1 {
		t.Errorf("failures = %v, want 1", got)
	}
	evs, err := eng.Store().Events(context.Background(), store.EventFilter{})
	if err != nil || len(evs) != 0 {
		t.Errorf("events after a failed run = %d (%v), want 0", len(evs), err)
	}
}

func TestWindow(t *testing.T) {
	m := &monitor{cfg: config.Monitor{Query: config.Query{}}}
	m.cfg.Query.Step = field.Duration(time.Minute)
	m.cfg.Query.Backfill = field.Duration(2 * time.Hour)
	now := time.Date(2026, 3, 10, 12, 0, 30, 0, time.UTC)
	aligned := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name           string
		cursor         time.Time
		wantFrom, want time.Time
	}{
		{"first run judges the backfill", time.Time{}, aligned.Add(-2 * time.Hour), aligned},
		{"next run starts after the cursor", aligned.Add(-time.Minute), aligned, aligned},
		{"catch-up is bounded", aligned.Add(-30 * 24 * time.Hour), aligned.Add(-2 * time.Hour), aligned},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			from, to := m.window(now, tc.cursor)
			if !from.Equal(tc.wantFrom) || !to.Equal(tc.want) {
				t.Errorf("window = [%v, %v], want [%v, %v]", from, to, tc.wantFrom, tc.want)
			}
		})
	}
}
