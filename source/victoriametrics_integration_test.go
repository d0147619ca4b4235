//go:build integration

package source

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	neturl "net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/internal/testpeer"
	"github.com/seismo-dev/seismo/series"
)

func TestVictoriaMetricsIntegration(t *testing.T) {
	url := testpeer.StartVictoriaMetrics(t)

	// Two series of 1000 one-minute samples: app = k, web = 2k + 0.5.
	const n = 1000
	start := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	var ts []int64
	var app, web []float64
	for k := 0; k < n; k++ {
		ts = append(ts, start.Add(time.Duration(k)*time.Minute).UnixMilli())
		app = append(app, float64(k))
		web = append(web, 2*float64(k)+0.5)
	}
	testpeer.ImportVictoriaMetrics(t, url, []map[string]any{
		{"metric": map[string]string{"__name__": "account_open_total", "channel": "app", "branch": "0571"}, "values": app, "timestamps": ts},
		{"metric": map[string]string{"__name__": "account_open_total", "channel": "web", "branch": "0571"}, "values": web, "timestamps": ts},
	})

	logger, _ := testLogger()
	// 250 points per request: the 1000-point range needs 4 requests.
	proxy := newCountingProxy(t, url)
	src, err := Open("vm", Config{Type: TypePrometheus, URL: proxy.URL, MaxPoints: 250}, logger)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ctx := context.Background()
	end := start.Add((n - 1) * time.Minute)

	want := func(f func(k int) float64) []series.Point {
		out := make([]series.Point, n)
		for k := range out {
			out[k] = series.Point{T: start.Add(time.Duration(k) * time.Minute), V: f(k)}
		}
		return out
	}
	tests := []struct {
		expr string
		want []series.Series
	}{
		{
			expr: `account_open_total`,
			want: []series.Series{
				{Labels: labels.FromStrings("__name__", "account_open_total", "branch", "0571", "channel", "app"), Points: want(func(k int) float64 { return float64(k) })},
				{Labels: labels.FromStrings("__name__", "account_open_total", "branch", "0571", "channel", "web"), Points: want(func(k int) float64 { return 2*float64(k) + 0.5 })},
			},
		},
		{
			// MetricsQL: sum without a range, grouped.
			expr: `sum(account_open_total) by (branch)`,
			want: []series.Series{
				{Labels: labels.FromStrings("branch", "0571"), Points: want(func(k int) float64 { return 3*float64(k) + 0.5 })},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			got, err := src.Query(ctx, Query{Expr: tc.expr, Start: start, End: end, Step: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			diffSeries(t, tc.want, got)
		})
	}

	// Each query above was split into 4 requests of at most 250 points.
	if got := int(proxy.n.Load()); got != 8 {
		t.Errorf("VictoriaMetrics served %d query_range requests, want 8", got)
	}

	// A bad query is reported with VictoriaMetrics' own message (it sends
	// HTTP 422 with errorType "422") and is not retried.
	_, err = src.Query(ctx, Query{Expr: "sum(account_open_total", Start: start, End: end, Step: time.Minute})
	if err == nil || !strings.Contains(err.Error(), "unexpected token") {
		t.Errorf("bad query: err = %v, want the parser's message", err)
	}
	if got := int(proxy.n.Load()); got != 9 {
		t.Errorf("VictoriaMetrics served %d query_range requests, want 9: a bad query must not be retried", got)
	}
}

// countingProxy forwards to target and counts query_range requests, so
// the test can see how the source split its ranges.
type countingProxy struct {
	*httptest.Server
	n atomic.Int64
}

func newCountingProxy(t *testing.T, target string) *countingProxy {
	t.Helper()
	u, err := neturl.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &countingProxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/query_range" {
			p.n.Add(1)
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}
