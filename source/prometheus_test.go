package source

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/series"
)

// promRequest is what the test server saw of one query_range call.
type promRequest struct {
	query      string
	start, end float64
	step       float64
	header     http.Header
}

// fakeProm is a real HTTP server speaking the query_range API. Its reply
// function decides each response from the request and its 1-based number.
type fakeProm struct {
	*httptest.Server
	mu    sync.Mutex
	reqs  []promRequest
	reply func(w http.ResponseWriter, r *http.Request, req promRequest, n int)
}

func newFakeProm(t *testing.T, reply func(w http.ResponseWriter, r *http.Request, req promRequest, n int)) *fakeProm {
	t.Helper()
	f := &fakeProm{reply: reply}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/query_range" {
			http.NotFound(w, r)
			return
		}
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		num := func(k string) float64 {
			v, _ := strconv.ParseFloat(r.Form.Get(k), 64)
			return v
		}
		req := promRequest{query: r.Form.Get("query"), start: num("start"), end: num("end"), step: num("step"), header: r.Header.Clone()}
		f.mu.Lock()
		f.reqs = append(f.reqs, req)
		n := len(f.reqs)
		f.mu.Unlock()
		f.reply(w, r, req, n)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeProm) requests() []promRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]promRequest(nil), f.reqs...)
}

// writeMatrix answers with the given streams.
func writeMatrix(w http.ResponseWriter, streams []map[string]any, warnings ...string) {
	w.Header().Set("Content-Type", "application/json")
	body := map[string]any{
		"status": "success",
		"data":   map[string]any{"resultType": "matrix", "result": streams},
	}
	if len(warnings) > 0 {
		body["warnings"] = warnings
	}
	json.NewEncoder(w).Encode(body) //nolint:errcheck // the client reports a broken body
}

func stream(metric map[string]string, tv ...float64) map[string]any {
	values := [][]any{}
	for i := 0; i+1 < len(tv); i += 2 {
		values = append(values, []any{tv[i], strconv.FormatFloat(tv[i+1], 'g', -1, 64)})
	}
	return map[string]any{"metric": metric, "values": values}
}

func writeAPIError(w http.ResponseWriter, code int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	fmt.Fprintf(w, `{"status":"error","errorType":%q,"error":%q}`, typ, msg)
}

// openProm opens a prometheus source against url with fast retries.
func openProm(t *testing.T, cfg Config) (*promSource, *logBuffer) {
	t.Helper()
	cfg.Type = TypePrometheus
	logger, logs := testLogger()
	ts, err := Open("vm", cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ts.Close() })
	p := ts.(*promSource)
	p.retry.initial = time.Millisecond
	return p, logs
}

func TestPromSplitAndMerge(t *testing.T) {
	const step = 60
	start := time.Unix(1_700_000_000, 0)
	end := start.Add(95 * step * time.Second) // 96 points
	srv := newFakeProm(t, func(w http.ResponseWriter, r *http.Request, req promRequest, n int) {
		// Series "a" has every point; "b" only exists after the first hour,
		// so it first appears in a later chunk.
		var a, b []float64
		for ts := req.start; ts <= req.end; ts += req.step {
			a = append(a, ts, ts/step)
			if ts >= float64(start.Unix()+3600) {
				b = append(b, ts, -ts/step)
			}
		}
		streams := []map[string]any{stream(map[string]string{"__name__": "orders", "channel": "app"}, a...)}
		if len(b) > 0 {
			streams = append(streams, stream(map[string]string{"channel": "web", "__name__": "orders"}, b...))
		}
		writeMatrix(w, streams)
	})
	src, _ := openProm(t, Config{URL: srv.URL, MaxPoints: 10})

	got, err := src.Query(context.Background(), Query{Expr: "orders", Start: start, End: end, Step: step * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var wantA, wantB []series.Point
	for k := 0; k < 96; k++ {
		ts := start.Add(time.Duration(k) * step * time.Second)
		wantA = append(wantA, series.Point{T: ts.UTC(), V: float64(ts.Unix()) / step})
		if ts.Unix() >= start.Unix()+3600 {
			wantB = append(wantB, series.Point{T: ts.UTC(), V: -float64(ts.Unix()) / step})
		}
	}
	diffSeries(t, []series.Series{
		{Labels: labels.FromStrings("__name__", "orders", "channel", "app"), Points: wantA},
		{Labels: labels.FromStrings("__name__", "orders", "channel", "web"), Points: wantB},
	}, got)

	reqs := srv.requests()
	if len(reqs) != 10 {
		t.Fatalf("%d requests, want 10 (96 points in chunks of 10)", len(reqs))
	}
	next := float64(start.Unix())
	for i, r := range reqs {
		if points := (r.end-r.start)/r.step + 1; points > 10 {
			t.Errorf("request %d asks for %v points", i, points)
		}
		if r.start != next || r.step != step {
			t.Errorf("request %d: start %v step %v, want start %v step %v", i, r.start, r.step, next, step)
		}
		next = r.end + step
	}
	if last := reqs[len(reqs)-1].end; last != float64(end.Unix()) {
		t.Errorf("last request ends at %v, want %v", last, end.Unix())
	}
}

func TestSplitRange(t *testing.T) {
	start := time.Unix(0, 0)
	tests := []struct {
		points, max int
		want        int // requests
	}{{1, 10, 1}, {10, 10, 1}, {11, 10, 2}, {20, 10, 2}, {21, 10, 3}, {100, 2, 50}}
	for _, tc := range tests {
		end := start.Add(time.Duration(tc.points-1) * time.Minute)
		rs := splitRange(start, end, time.Minute, tc.max)
		if len(rs) != tc.want {
			t.Errorf("%d points, max %d: %d ranges, want %d", tc.points, tc.max, len(rs), tc.want)
			continue
		}
		total := 0
		for _, r := range rs {
			total += int(r.End.Sub(r.Start)/time.Minute) + 1
		}
		if total != tc.points {
			t.Errorf("%d points, max %d: ranges cover %d points", tc.points, tc.max, total)
		}
	}
}

func TestPromRetriesServerErrors(t *testing.T) {
	srv := newFakeProm(t, func(w http.ResponseWriter, r *http.Request, req promRequest, n int) {
		if n == 1 {
			http.Error(w, "storage overloaded", http.StatusInternalServerError)
			return
		}
		writeMatrix(w, []map[string]any{stream(map[string]string{"job": "api"}, req.start, 42)}, "too many series, result truncated")
	})
	src, logs := openProm(t, Config{URL: srv.URL})
	start := time.Unix(1_700_000_000, 0)
	got, err := src.Query(context.Background(), Query{Expr: "up", Start: start, End: start, Step: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	diffSeries(t, []series.Series{{Labels: labels.FromStrings("job", "api"), Points: pts(1_700_000_000, 42)}}, got)
	if n := len(srv.requests()); n != 2 {
		t.Errorf("%d requests, want 2 (one 500, one retry)", n)
	}
	for _, want := range []string{"retrying after error", "server error: 500", "too many series, result truncated"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
}

func TestPromGivesUpAfterRetries(t *testing.T) {
	srv := newFakeProm(t, func(w http.ResponseWriter, r *http.Request, req promRequest, n int) {
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
	})
	src, _ := openProm(t, Config{URL: srv.URL, Retries: 2})
	start := time.Unix(1_700_000_000, 0)
	_, err := src.Query(context.Background(), Query{Expr: "up", Start: start, End: start, Step: time.Minute})
	if err == nil {
		t.Fatal("query succeeded against a server that always fails")
	}
	for _, want := range []string{`prometheus source "vm"`, "after 3 attempts", "server error: 503", "maintenance"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if n := len(srv.requests()); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
}

func TestPromBadQueryNotRetried(t *testing.T) {
	srv := newFakeProm(t, func(w http.ResponseWriter, r *http.Request, req promRequest, n int) {
		writeAPIError(w, http.StatusBadRequest, "bad_data", `1:6: parse error: unclosed left parenthesis`)
	})
	src, _ := openProm(t, Config{URL: srv.URL})
	start := time.Unix(1_700_000_000, 0)
	_, err := src.Query(context.Background(), Query{Expr: "sum(up", Start: start, End: start, Step: time.Minute})
	if err == nil {
		t.Fatal("bad query succeeded")
	}
	for _, want := range []string{`query_range "sum(up"`, "bad_data", "unclosed left parenthesis"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if n := len(srv.requests()); n != 1 {
		t.Errorf("%d requests, want 1: a bad query must not be retried", n)
	}
}

func TestPromTimeout(t *testing.T) {
	// The server never answers; it returns when the client hangs up.
	srv := newFakeProm(t, func(w http.ResponseWriter, r *http.Request, req promRequest, n int) {
		<-r.Context().Done()
	})
	src, _ := openProm(t, Config{URL: srv.URL, Timeout: field.Duration(50 * time.Millisecond), Retries: 1})
	start := time.Unix(1_700_000_000, 0)
	_, err := src.Query(context.Background(), Query{Expr: "up", Start: start, End: start, Step: time.Minute})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "timed out after 50ms") {
		t.Fatalf("err = %v, want a timeout", err)
	}
	reqs := srv.requests()
	if len(reqs) != 2 {
		t.Errorf("%d requests, want 2 (a timeout is retried)", len(reqs))
	}
}

func TestPromCallerCancelStopsRetries(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	srv := newFakeProm(t, func(w http.ResponseWriter, r *http.Request, req promRequest, n int) {
		cancel() // the caller gives up while the request is in flight
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	src, _ := openProm(t, Config{URL: srv.URL, Retries: 5})
	start := time.Unix(1_700_000_000, 0)
	_, err := src.Query(ctx, Query{Expr: "up", Start: start, End: start, Step: time.Minute})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := len(srv.requests()); n != 1 {
		t.Errorf("%d requests after cancellation, want 1", n)
	}
}

func TestPromHeadersAndToken(t *testing.T) {
	t.Setenv("SEISMO_TEST_VM_TOKEN", "s3cret")
	srv := newFakeProm(t, func(w http.ResponseWriter, r *http.Request, req promRequest, n int) {
		writeMatrix(w, nil)
	})
	src, _ := openProm(t, Config{URL: srv.URL, BearerToken: field.FromEnv("SEISMO_TEST_VM_TOKEN"), Headers: map[string]string{"X-Scope-OrgID": "brokerage"}})
	start := time.Unix(1_700_000_000, 0)
	got, err := src.Query(context.Background(), Query{Expr: "up", Start: start, End: start, Step: time.Minute})
	if err != nil || len(got) != 0 {
		t.Fatalf("got %v, %v; want no series", got, err)
	}
	h := srv.requests()[0].header
	if h.Get("Authorization") != "Bearer s3cret" || h.Get("X-Scope-OrgID") != "brokerage" {
		t.Errorf("headers = %v", h)
	}
}

func TestPromOversizedBody(t *testing.T) {
	srv := newFakeProm(t, func(w http.ResponseWriter, r *http.Request, req promRequest, n int) {
		var tv []float64
		for i := 0; i < 1000; i++ {
			tv = append(tv, float64(1_700_000_000+i), float64(i))
		}
		writeMatrix(w, []map[string]any{stream(map[string]string{"job": "x"}, tv...)})
	})
	src, _ := openProm(t, Config{URL: srv.URL})
	src.rt.maxBody = 1000
	start := time.Unix(1_700_000_000, 0)
	_, err := src.Query(context.Background(), Query{Expr: "up", Start: start, End: start.Add(time.Hour), Step: time.Second})
	if !errors.Is(err, errBodyTooLarge) {
		t.Fatalf("err = %v, want %v", err, errBodyTooLarge)
	}
	if n := len(srv.requests()); n != 1 {
		t.Errorf("%d requests, want 1: an oversized body is not retried", n)
	}
}

func TestPromQueryChecks(t *testing.T) {
	src, _ := openProm(t, Config{URL: "http://127.0.0.1:1"})
	start := time.Unix(1_700_000_000, 0)
	tests := []struct {
		q    Query
		want string
	}{
		{Query{Expr: "up", Start: start, End: start}, "positive step"},
		{Query{Expr: "up", End: start, Step: time.Minute}, "needs a start and an end"},
		{Query{Expr: "up", Start: start, End: start.Add(-time.Second), Step: time.Minute}, "before start"},
	}
	for _, tc := range tests {
		if _, err := src.Query(context.Background(), tc.q); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want %q", tc.q, err, tc.want)
		}
	}
}

func TestMetricToLabels(t *testing.T) {
	got := metricToLabels(model.Metric{"zone": "sh", "__name__": "orders_total", "branch": "0571"})
	want := labels.FromStrings("__name__", "orders_total", "branch", "0571", "zone", "sh")
	if !labels.Equal(got, want) {
		t.Errorf("labels = %v, want %v", got, want)
	}
	if got.String() != `{__name__="orders_total", branch="0571", zone="sh"}` {
		t.Errorf("labels not sorted: %v", got)
	}
	if !metricToLabels(model.Metric{}).IsEmpty() {
		t.Error("empty metric gave non-empty labels")
	}
}
