package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seismo-dev/seismo/config"
	"github.com/seismo-dev/seismo/engine"
)

var now = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// newTestServer builds an engine over a CSV with a daily wave and one
// spike per column, runs its monitor once so the store holds events, and
// serves it.
func newTestServer(t *testing.T) (*httptest.Server, *engine.Engine) {
	t.Helper()
	dir := t.TempDir()
	writeShopCSV(t, dir)
	yaml := fmt.Sprintf(`
global:
  store: {dsn: %q}
sources:
  shop: {type: csv, path: shop.csv}
monitors:
  - name: shop
    schedule: "@every 1h"
    query: {source: shop, expr: "*", step: 10m, history: 3d, backfill: 12h}
    baseline: {seasonality: daily, bucket: 1h}
`, filepath.Join(dir, "seismo.db"))
	eng := newTestEngine(t, dir, yaml, func() time.Time { return now })
	res, err := eng.RunOnce(context.Background(), "shop")
	if err != nil {
		t.Fatal(err)
	}
	if res.Stored < 2 {
		t.Fatalf("setup: %s; want at least the 2 injected anomalies", res.Summary())
	}
	srv := httptest.NewServer(New(Options{Engine: eng, Version: "test"}).Handler())
	t.Cleanup(srv.Close)
	return srv, eng
}

// writeShopCSV writes the fixture shop.csv into dir: orders and refunds,
// two daily waves every 10 minutes over the four days up to now, with one
// spike each (orders 3h before now, refunds 5h before).
func writeShopCSV(t testing.TB, dir string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("timestamp,orders,refunds\n")
	start := now.Add(-4 * 24 * time.Hour)
	for ts, i := start, 0; !ts.After(now); ts, i = ts.Add(10*time.Minute), i+1 {
		h := float64(ts.Hour()) + float64(ts.Minute())/60
		wave := 50 + 20*math.Sin(2*math.Pi*h/24) + float64(i%5) - 2
		orders, refunds := wave, wave/10+float64(i%3)*0.3
		if ts.Equal(now.Add(-3 * time.Hour)) {
			orders *= 4
		}
		if ts.Equal(now.Add(-5 * time.Hour)) {
			refunds *= 6
		}
		fmt.Fprintf(&b, "%s,%.3f,%.3f\n", ts.Format(time.RFC3339), orders, refunds)
	}
	if err := os.WriteFile(filepath.Join(dir, "shop.csv"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// newTestEngine builds an engine of the configuration yaml, read as if
// from dir/seismo.yaml, that logs nowhere and whose clock is clock (nil:
// the real one). It is closed when the test ends.
func newTestEngine(t testing.TB, dir, yaml string, clock func() time.Time) *engine.Engine {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml), filepath.Join(dir, "seismo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(context.Background(), cfg, engine.Options{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:    clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Close)
	return eng
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

type eventsResponse struct {
	Status string `json:"status"`
	Data   struct {
		Events []struct {
			Job    string            `json:"job"`
			Labels map[string]string `json:"labels"`
			Time   time.Time         `json:"time"`
			Value  *float64          `json:"value"`
			Score  *float64          `json:"score"`
		} `json:"events"`
	} `json:"data"`
	Error string `json:"error"`
}

func TestEventsAPI(t *testing.T) {
	srv, _ := newTestServer(t)
	tests := []struct {
		name   string
		query  string
		check  func(t *testing.T, r eventsResponse)
		status int
	}{
		{name: "all", query: "", status: 200, check: func(t *testing.T, r eventsResponse) {
			if len(r.Data.Events) < 2 {
				t.Errorf("got %d events, want ≥ 2", len(r.Data.Events))
			}
			for i := 1; i < len(r.Data.Events); i++ {
				if r.Data.Events[i].Time.After(r.Data.Events[i-1].Time) {
					t.Errorf("events not newest first")
				}
			}
		}},
		{name: "label matcher", query: `match[]={metric="refunds"}`, status: 200, check: func(t *testing.T, r eventsResponse) {
			if len(r.Data.Events) == 0 {
				t.Fatal("no refunds events")
			}
			for _, e := range r.Data.Events {
				if e.Labels["metric"] != "refunds" {
					t.Errorf("matcher let through %v", e.Labels)
				}
			}
		}},
		{name: "time range", query: fmt.Sprintf("from=%d&to=%s", now.Add(-4*time.Hour).Unix(), now.Format(time.RFC3339)), status: 200, check: func(t *testing.T, r eventsResponse) {
			for _, e := range r.Data.Events {
				if e.Time.Before(now.Add(-4 * time.Hour)) {
					t.Errorf("event at %v outside range", e.Time)
				}
			}
			if len(r.Data.Events) == 0 {
				t.Error("the orders spike 3h ago is missing")
			}
		}},
		{name: "limit", query: "limit=1", status: 200, check: func(t *testing.T, r eventsResponse) {
			if len(r.Data.Events) != 1 {
				t.Errorf("limit=1 gave %d events", len(r.Data.Events))
			}
		}},
		{name: "unknown monitor", query: "monitor=nope", status: 200, check: func(t *testing.T, r eventsResponse) {
			if len(r.Data.Events) != 0 {
				t.Errorf("monitor filter ignored: %d events", len(r.Data.Events))
			}
		}},
		{name: "bad time", query: "from=yesterday", status: 400},
		{name: "bad limit", query: "limit=-3", status: 400},
		{name: "bad matcher", query: "match[]={metric=", status: 400},
		{name: "reversed range", query: "from=2000&to=1000", status: 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := get(t, srv.URL+"/api/v1/events?"+strings.ReplaceAll(tc.query, "{", "%7B"))
			if code != tc.status {
				t.Fatalf("status = %d, want %d: %s", code, tc.status, body)
			}
			var r eventsResponse
			if err := json.Unmarshal([]byte(body), &r); err != nil {
				t.Fatalf("not JSON: %v: %s", err, body)
			}
			if tc.status != 200 {
				if r.Status != "error" || r.Error == "" {
					t.Errorf("error response = %s", body)
				}
				return
			}
			tc.check(t, r)
		})
	}
}

func TestHealthMetricsAndUI(t *testing.T) {
	srv, _ := newTestServer(t)
	if code, body := get(t, srv.URL+"/healthz"); code != 200 || !strings.Contains(body, "ok") {
		t.Errorf("healthz = %d %q", code, body)
	}
	// The engine was never started with Run, so it is not ready.
	if code, _ := get(t, srv.URL+"/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("readyz before Run = %d, want 503", code)
	}
	code, body := get(t, srv.URL+"/metrics")
	if code != 200 || !strings.Contains(body, `seismo_job_runs_total{job="shop",kind="monitor",result="success"} 1`) ||
		!strings.Contains(body, "seismo_events_total") {
		t.Errorf("metrics = %d, missing job metrics:\n%s", code, body)
	}
	code, body = get(t, srv.URL+"/")
	if code != 200 || !strings.Contains(body, "<table id=\"events\">") || !strings.Contains(body, "metric=&#34;orders&#34;") {
		t.Errorf("UI = %d, no events table with the orders event", code)
	}
	if code, _ := get(t, srv.URL+"/api/v1/jobs"); code != 200 {
		t.Errorf("jobs = %d", code)
	}
	if code, _ := get(t, srv.URL+"/api/v1/alerts"); code != 200 {
		t.Errorf("alerts = %d", code)
	}
	resp, err := http.Post(srv.URL+"/api/v1/events", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST events = %d, want 405", resp.StatusCode)
	}
}
