//go:build integration

package engine

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seismo-dev/seismo/config"
	"github.com/seismo-dev/seismo/internal/testpeer"
	"github.com/seismo-dev/seismo/store"
)

// TestMetricRulesVictoriaMetrics runs a rule group against a real
// VictoriaMetrics at chosen instants of synthetic data: pending → firing →
// resolved with for: 2m, templated annotations, MetricsQL-only syntax
// (WITH templates, range_median) and a rule that fails while the others
// succeed.
func TestMetricRulesVictoriaMetrics(t *testing.T) {
	url := testpeer.StartVictoriaMetrics(t)

	// One sample a minute from base−30m to base+30m. Latency is 0.2s but
	// 0.9s from base+5m to base+9m; rejects count 1 a minute but 200 a
	// minute over the same minutes. latency_copy duplicates latency under
	// another metric name.
	base := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	var ts []int64
	var latency, rejects []float64
	total := 0.0
	for k := -30; k <= 30; k++ {
		ts = append(ts, base.Add(time.Duration(k)*time.Minute).UnixMilli())
		incident := k >= 5 && k <= 9
		l, r := 0.2, 1.0
		if incident {
			l, r = 0.9, 200
		}
		total += r
		latency = append(latency, l)
		rejects = append(rejects, total)
	}
	testpeer.ImportVictoriaMetrics(t, url, []map[string]any{
		{"metric": map[string]string{"__name__": "latency_seconds", "system": "oms"}, "values": latency, "timestamps": ts},
		{"metric": map[string]string{"__name__": "latency_copy", "system": "oms"}, "values": latency, "timestamps": ts},
		{"metric": map[string]string{"__name__": "order_rejects_total", "market": "sh"}, "values": rejects, "timestamps": ts},
	})

	rulesYAML := `
rule_groups:
  - name: trading
    source: vm
    interval: 1m
    concurrency: 2
    labels: {team: ops}
    rules:
      - alert: LatencyHigh
        expr: latency_seconds{system="oms"} > 0.5
        for: 2m
        labels: {severity: critical}
        annotations:
          summary: '{{ $labels.system }} p99 is {{ $value | humanizeDuration }}'
          description: 'pending since {{ $activeAt.Format "15:04" }}'
      - alert: RejectRateHigh
        expr: 'WITH (rejects(m) = sum(rate(order_rejects_total{market=m}[2m])) by (market)) rejects("sh") > 1'
        annotations: {summary: '{{ $labels.market }}: {{ $value | humanize }} rejects/s'}
      - alert: LatencyMedianHigh
        expr: range_median(latency_seconds{system="oms"}) > 0.5
      - alert: Clash
        expr: '{__name__=~"latency_seconds|latency_copy"} > 0'
`
	dir := t.TempDir()
	cfgText := fmt.Sprintf(`
global:
  store: {driver: sqlite, dsn: %q}
  max_jitter: 0s
sources:
  vm: {type: prometheus, url: %q, retries: -1}
%s
alerting:
  route: {receiver: log}
  receivers: [{name: log, log_configs: [{level: info}]}]
`, filepath.Join(dir, "seismo.db"), url, rulesYAML)

	// The same rules against a promql source do not load: range_median
	// and WITH are MetricsQL, and the error says where.
	_, err := config.Parse([]byte(strings.Replace(cfgText, "retries: -1}", "retries: -1, dialect: promql}", 1)), "seismo.yaml")
	if err == nil || !strings.Contains(err.Error(), `rule_groups[0].rules[2].expr: 1:1: invalid PromQL: unknown function with name "range_median"`) ||
		!strings.Contains(err.Error(), `rule_groups[0].rules[1].expr: 1:7: invalid PromQL: unknown function with name "rejects"`) {
		t.Errorf("promql dialect: err = %v", err)
	}

	cfg, err := config.Parse([]byte(cfgText), filepath.Join(dir, "seismo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	clock := base
	e, err := New(context.Background(), cfg, Options{
		Logger: slog.New(slog.DiscardHandler),
		Now:    func() time.Time { mu.Lock(); defer mu.Unlock(); return clock },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	job := e.jobs[0]

	state := func() map[string]string {
		out := map[string]string{}
		for _, a := range e.Alerts().Alerts() {
			name := a.Labels.Get("alertname")
			if r := a.Labels.Get("rule"); r != "" {
				name += "/" + r
			}
			out[name] = a.Status()
		}
		return out
	}
	type want struct {
		events []string // alertname of each event, sorted
		alerts map[string]string
	}
	steps := map[int]want{
		4:  {[]string{"MetricRuleFailing"}, map[string]string{"MetricRuleFailing/Clash": "firing"}},
		5:  {[]string{"LatencyMedianHigh", "MetricRuleFailing", "RejectRateHigh"}, map[string]string{"MetricRuleFailing/Clash": "firing", "LatencyMedianHigh": "firing", "RejectRateHigh": "firing"}},
		6:  {[]string{"LatencyMedianHigh", "MetricRuleFailing", "RejectRateHigh"}, nil}, // LatencyHigh pending
		7:  {[]string{"LatencyHigh", "LatencyMedianHigh", "MetricRuleFailing", "RejectRateHigh"}, map[string]string{"MetricRuleFailing/Clash": "firing", "LatencyHigh": "firing", "LatencyMedianHigh": "firing", "RejectRateHigh": "firing"}},
		10: {nil, nil},
		14: {[]string{"MetricRuleFailing"}, map[string]string{"MetricRuleFailing/Clash": "firing", "LatencyHigh": "resolved", "LatencyMedianHigh": "resolved", "RejectRateHigh": "resolved"}},
	}
	var latencyEvents []string
	for k := 4; k <= 14; k++ {
		at := base.Add(time.Duration(k) * time.Minute)
		mu.Lock()
		clock = at.Add(1200 * time.Millisecond) // a late start evaluates at the minute
		mu.Unlock()
		res, err := e.executeJob(context.Background(), job, true)
		if err != nil {
			t.Fatalf("%s: %v", at.Format("15:04"), err)
		}
		var names []string
		for _, ev := range res.Events {
			names = append(names, ev.Labels.Get("alertname"))
			if ev.Labels.Get("alertname") == "LatencyHigh" {
				latencyEvents = append(latencyEvents, fmt.Sprintf("%s %s|%s|%s", ev.Time.Format("15:04"), ev.Labels, ev.Annotations["summary"], ev.Annotations["description"]))
			}
		}
		slices.Sort(names)
		w, ok := steps[k]
		if !ok {
			continue
		}
		if w.events != nil && !slices.Equal(names, w.events) {
			t.Errorf("%s: events %v, want %v (%s)", at.Format("15:04"), names, w.events, res.Summary())
		}
		if w.alerts != nil {
			if got := state(); fmt.Sprint(got) != fmt.Sprint(w.alerts) {
				t.Errorf("%s: alerts %v, want %v", at.Format("15:04"), got, w.alerts)
			}
		}
		if k == 6 && !strings.Contains(res.Summary(), "1 pending") {
			t.Errorf("10:06: summary %q, want LatencyHigh pending", res.Summary())
		}
		if k == 10 && !strings.Contains(res.Summary(), "LatencyHigh") && !strings.Contains(res.Summary(), "resolved") {
			t.Errorf("10:10: summary %q", res.Summary())
		}
	}
	// LatencyHigh fired at 10:07 (pending since 10:05, for 2m) and was
	// resent at 10:08 and 10:09 with the same episode time.
	wantLatency := []string{
		`10:07 {alertname="LatencyHigh", severity="critical", system="oms", team="ops"}|oms p99 is 900ms|pending since 10:05`,
		`10:07 {alertname="LatencyHigh", severity="critical", system="oms", team="ops"}|oms p99 is 900ms|pending since 10:05`,
		`10:07 {alertname="LatencyHigh", severity="critical", system="oms", team="ops"}|oms p99 is 900ms|pending since 10:05`,
	}
	if !slices.Equal(latencyEvents, wantLatency) {
		t.Errorf("LatencyHigh events:\n  %s\nwant:\n  %s", strings.Join(latencyEvents, "\n  "), strings.Join(wantLatency, "\n  "))
	}

	stored, err := e.Store().Events(context.Background(), store.EventFilter{Job: "trading", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	perAlert := map[string]int{}
	for _, ev := range stored {
		perAlert[ev.Labels.Get("alertname")]++
		if ev.Labels.Get("alertname") == "MetricRuleFailing" && !strings.Contains(ev.Annotations["summary"], "two series with the label set") {
			t.Errorf("rule error event summary = %q", ev.Annotations["summary"])
		}
		if ev.Labels.Get("alertname") == "RejectRateHigh" && !strings.HasPrefix(ev.Annotations["summary"], "sh: ") {
			t.Errorf("RejectRateHigh summary = %q", ev.Annotations["summary"])
		}
	}
	// One stored event per firing episode, however many evaluations.
	if want := map[string]int{"LatencyHigh": 1, "LatencyMedianHigh": 1, "RejectRateHigh": 1, "MetricRuleFailing": 1}; fmt.Sprint(perAlert) != fmt.Sprint(want) {
		t.Errorf("stored events per alert = %v, want %v", perAlert, want)
	}

	// seismo once at 10:08 replays 10:06..10:08 from no state: LatencyHigh
	// (returned since 10:05) is firing there too.
	mu.Lock()
	clock = base.Add(8 * time.Minute)
	mu.Unlock()
	once, err := e.RunOnce(context.Background(), "trading")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(once.Summary(), "4 rules replayed at 2024-03-01T10:08:00Z") || !strings.Contains(once.Summary(), "3 firing") {
		t.Errorf("once: %s", once.Summary())
	}
}
