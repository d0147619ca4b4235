package engine

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seismo-dev/seismo/alert"
	"github.com/seismo-dev/seismo/config"
	"github.com/seismo-dev/seismo/store"
)

// delivery is what a webhook receiver got: the notification's status and
// its alerts' statuses by channel label.
type delivery struct {
	Status string
	Alerts string // "app=firing", sorted, comma-separated
}

func (d delivery) String() string { return d.Status + "[" + d.Alerts + "]" }

// recorder is an Alertmanager-style webhook receiver that records what it
// accepts and what it refuses. While busy it answers 429 with a
// Retry-After of an hour, which ends a flush's delivery at once: the
// notification stays owed, as if the engine had stopped before sending.
type recorder struct {
	mu        sync.Mutex
	busy      bool
	delivered []delivery
	refused   []delivery
	got       chan delivery // every accepted delivery
}

func newRecorder(t *testing.T) (*recorder, *httptest.Server) {
	t.Helper()
	rec := &recorder{got: make(chan delivery, 16)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p struct {
			Version string `json:"version"`
			Status  string `json:"status"`
			Alerts  []struct {
				Status string            `json:"status"`
				Labels map[string]string `json:"labels"`
			} `json:"alerts"`
		}
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &p); err != nil || p.Version != "4" {
			t.Errorf("webhook payload is not Alertmanager's version 4: %v: %s", err, body)
		}
		var as []string
		for _, a := range p.Alerts {
			as = append(as, a.Labels["channel"]+"="+a.Status)
		}
		slices.Sort(as)
		d := delivery{Status: p.Status, Alerts: strings.Join(as, ",")}
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if rec.busy {
			rec.refused = append(rec.refused, d)
			w.Header().Set("Retry-After", "3600")
			http.Error(w, "busy", http.StatusTooManyRequests)
			return
		}
		rec.delivered = append(rec.delivered, d)
		rec.got <- d
	}))
	t.Cleanup(srv.Close)
	return rec, srv
}

func (r *recorder) setBusy(b bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.busy = b
}

// state returns what was delivered and refused so far.
func (r *recorder) state() (delivered, refused string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return fmt.Sprint(r.delivered), fmt.Sprint(r.refused)
}

// next waits for the next accepted delivery.
func (r *recorder) next(t *testing.T) delivery {
	t.Helper()
	select {
	case d := <-r.got:
		return d
	case <-time.After(30 * time.Second):
		t.Fatal("no notification within 30s")
	}
	return delivery{}
}

// restartConfig is the payments monitor with a webhook receiver and the
// given group_wait; group_interval is an hour, so that within a test a
// group notifies at most at its first flush and when the engine stops.
func restartConfig(t *testing.T, dir, hookURL, groupWait string) *config.Config {
	t.Helper()
	yaml := fmt.Sprintf(`
global:
  store: {driver: sqlite, dsn: %q}
  max_jitter: 0s
sources:
  db: {type: sqlite, dsn: %q}
monitors:
  - name: payments
    schedule: "0 0 * * * *"
    query: {source: db, expr: "SELECT ts AS time, value, channel FROM payments", step: 5m, history: 7d, backfill: 1d}
    baseline: {seasonality: daily, bucket: 30m}
    detector: {type: robust, sensitivity: 0.7}
alerting:
  resolve_timeout: 1h
  route: {receiver: hook, group_by: [alertname], group_wait: %s, group_interval: 1h}
  receivers:
    - name: hook
      webhook_configs: [{url: %q}]
`, filepath.Join(dir, "seismo.db"), filepath.Join(dir, "data.db"), groupWait, hookURL)
	cfg, err := config.Parse([]byte(yaml), filepath.Join(dir, "seismo.yaml"))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg
}

// testLogger discards the engine's logs, or shows them with -v.
func testLogger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return discardLogger()
}

// runningEngine is an engine started by startEngine.
type runningEngine struct {
	*Engine
	cancel context.CancelFunc
	done   chan error
}

func startEngine(t *testing.T, cfg *config.Config, now time.Time) *runningEngine {
	t.Helper()
	eng, err := New(context.Background(), cfg, Options{Logger: testLogger(), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatalf("engine: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &runningEngine{Engine: eng, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- eng.Run(ctx) }()
	return r
}

// stop stops the engine and waits for Run to return: its last flush is
// then over, and the store closed.
func (r *runningEngine) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Run did not return within a minute of stopping")
	}
}

// waitForRun waits until the monitor's start-up run has finished (its
// events are fired, its resolutions made). There is no signal for it,
// so this polls the job status, which the run updates as its last step.
func (r *runningEngine) waitForRun(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st := r.jobStatus("payments")
		r.mu.Lock()
		runs, lastErr := st.Runs, st.LastError
		r.mu.Unlock()
		if runs > 0 {
			if lastErr != "" {
				t.Fatalf("monitor run failed: %s", lastErr)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the monitor did not run within 30s of start")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitForSent waits until the notification history holds n sent records:
// the delivery is then complete on the engine's side too (the receiver
// answered, the notification log is being written), and stopping cannot
// catch it in flight.
func (r *runningEngine) waitForSent(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		recs, err := r.Alerts().Notifications(context.Background(), alert.NotificationFilter{Status: alert.NotificationSent})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sent notifications in the history after 30s, want %d", len(recs), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// storedState summarises the alert state in the store file, read through
// a store of its own while no engine runs.
func storedState(t *testing.T, dir string) string {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, "sqlite", filepath.Join(dir, "seismo.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	alerts, err := s.LoadAlerts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	groups, err := s.LoadGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	log, err := s.LoadNotificationLog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var as []string
	for _, a := range alerts {
		as = append(as, a.Labels.Get("channel")+"="+a.Status())
	}
	var told []string
	for _, e := range log {
		told = append(told, fmt.Sprintf("firing:%d resolved:%d", len(e.Firing), len(e.Resolved)))
	}
	return fmt.Sprintf("alerts %v, groups %d, log %v", as, len(groups), told)
}

// addNormalPoint appends a sample on the daily wave at t for both
// channels: judged normal, it resolves the alert of channel app.
func addNormalPoint(t *testing.T, dir string, at time.Time) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, "data.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	hour := float64(at.Hour()) + float64(at.Minute())/60
	for _, ch := range []string{"app", "web"} {
		if _, err := db.Exec(`INSERT INTO payments VALUES (?, ?, ?)`, at.Unix(), 100+60*math.Sin(2*math.Pi*hour/24), ch); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRestartDeliversExactlyOnce stops and starts the engine on the same
// store file at the awkward moments: while an alert waits in its group,
// right after its notification, and after it resolved but before the
// resolve was told. Every notification arrives exactly once.
func TestRestartDeliversExactlyOnce(t *testing.T) {
	dir := t.TempDir()
	writePayments(t, filepath.Join(dir, "data.db"))
	rec, hook := newRecorder(t)
	const firing, resolved = "firing[app=firing]", "resolved[app=resolved]"
	check := func(phase, wantDelivered, wantRefused, wantStored string) {
		t.Helper()
		gotDelivered, gotRefused := rec.state()
		if gotDelivered != wantDelivered || gotRefused != wantRefused {
			t.Errorf("%s: delivered %s, refused %s; want %s and %s", phase, gotDelivered, gotRefused, wantDelivered, wantRefused)
		}
		if got := storedState(t, dir); got != wantStored {
			t.Errorf("%s: stored %s\nwant %s", phase, got, wantStored)
		}
	}

	// 1. The start-up run fires the alert of the dip at dataEnd; the
	// engine stops during group_wait, and the last flush it makes on the
	// way out cannot deliver: the notification is owed.
	e := startEngine(t, restartConfig(t, dir, hook.URL, "1h"), dataEnd)
	e.waitForRun(t)
	if d, _ := rec.state(); d != "[]" {
		t.Fatalf("notified during group_wait: %s", d)
	}
	rec.setBusy(true)
	e.stop(t)
	check("stopped during group_wait", "[]", "["+firing+"]", "alerts [app=firing], groups 1, log []")

	// 2. The next engine keeps the group's creation time: its group_wait
	// (now short) is over, it delivers at once. Stopping right after
	// must not send it again.
	rec.setBusy(false)
	e = startEngine(t, restartConfig(t, dir, hook.URL, "1ms"), dataEnd)
	if d := rec.next(t); d.String() != firing {
		t.Fatalf("after restart: got %s, want %s", d, firing)
	}
	e.waitForSent(t, 1)
	e.stop(t)
	check("delivered after restart", "["+firing+"]", "["+firing+"]", "alerts [app=firing], groups 1, log [firing:1 resolved:0]")

	// 3. Another restart: what was sent is not sent again.
	e = startEngine(t, restartConfig(t, dir, hook.URL, "1ms"), dataEnd)
	e.stop(t)
	check("restart after delivery", "["+firing+"]", "["+firing+"]", "alerts [app=firing], groups 1, log [firing:1 resolved:0]")

	// 4. A normal point five minutes later resolves the alert; the engine
	// stops before the group's next flush, and its last flush cannot
	// deliver the resolve.
	addNormalPoint(t, dir, dataEnd.Add(5*time.Minute))
	e = startEngine(t, restartConfig(t, dir, hook.URL, "1h"), dataEnd.Add(5*time.Minute))
	e.waitForRun(t)
	rec.setBusy(true)
	e.stop(t)
	check("stopped after the resolve", "["+firing+"]", "["+firing+" "+resolved+"]", "alerts [app=resolved], groups 1, log [firing:1 resolved:0]")

	// 5. The next engine tells the resolve, once, and forgets the alert.
	rec.setBusy(false)
	e = startEngine(t, restartConfig(t, dir, hook.URL, "1ms"), dataEnd.Add(5*time.Minute))
	if d := rec.next(t); d.String() != resolved {
		t.Fatalf("after restart: got %s, want %s", d, resolved)
	}
	e.waitForSent(t, 2)
	e.stop(t)
	check("resolve delivered after restart", "["+firing+" "+resolved+"]", "["+firing+" "+resolved+"]", "alerts [], groups 0, log []")

	// 6. Nothing is left to send; the history tells the whole story,
	// newest first.
	e = startEngine(t, restartConfig(t, dir, hook.URL, "1ms"), dataEnd.Add(5*time.Minute))
	recs, err := e.Alerts().Notifications(context.Background(), alert.NotificationFilter{})
	if err != nil {
		t.Fatal(err)
	}
	e.stop(t)
	check("final restart", "["+firing+" "+resolved+"]", "["+firing+" "+resolved+"]", "alerts [], groups 0, log []")
	var hist []string
	for _, r := range recs {
		hist = append(hist, fmt.Sprintf("%s firing:%d resolved:%d", r.Status, len(r.Firing), len(r.Resolved)))
	}
	want := []string{"sent firing:0 resolved:1", "failed firing:0 resolved:1", "sent firing:1 resolved:0", "failed firing:1 resolved:0"}
	if !slices.Equal(hist, want) {
		t.Errorf("notification history %v\nwant %v", hist, want)
	}
}
