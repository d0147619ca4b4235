package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/seismo-dev/seismo/alert"
	"github.com/seismo-dev/seismo/config"
	"github.com/seismo-dev/seismo/store"
)

// queryPeer is a real HTTP server speaking Prometheus' /api/v1/query; its
// answer function decides each reply from the query and the instant.
// An answer with a non-empty error is sent as a bad_data error.
type queryPeer struct {
	*httptest.Server
	mu     sync.Mutex
	answer func(query string, at time.Time) (metrics []map[string]string, values []float64, errMsg string)
}

func newQueryPeer(t *testing.T) *queryPeer {
	t.Helper()
	p := &queryPeer{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/query" || r.ParseForm() != nil {
			http.NotFound(w, r)
			return
		}
		sec, _ := strconv.ParseFloat(r.Form.Get("time"), 64)
		at := time.Unix(int64(sec), 0).UTC()
		p.mu.Lock()
		answer := p.answer
		p.mu.Unlock()
		metrics, values, errMsg := answer(r.Form.Get("query"), at)
		w.Header().Set("Content-Type", "application/json")
		if errMsg != "" {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"status":"error","errorType":"bad_data","error":%q}`, errMsg)
			return
		}
		result := []map[string]any{}
		for i, m := range metrics {
			result = append(result, map[string]any{"metric": m, "value": []any{at.Unix(), strconv.FormatFloat(values[i], 'g', -1, 64)}})
		}
		json.NewEncoder(w).Encode(map[string]any{"status": "success", "data": map[string]any{"resultType": "vector", "result": result}}) //nolint:errcheck // the client reports it
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *queryPeer) set(f func(query string, at time.Time) ([]map[string]string, []float64, string)) {
	p.mu.Lock()
	p.answer = f
	p.mu.Unlock()
}

// ruleFixture is an engine with one rule group against a queryPeer and a
// clock the test moves.
type ruleFixture struct {
	e     *Engine
	job   Job
	peer  *queryPeer
	mu    sync.Mutex
	clock time.Time
}

func newRuleFixture(t *testing.T, groupYAML string) *ruleFixture {
	t.Helper()
	return newRuleFixtureIn(t, t.TempDir(), newQueryPeer(t), time.Time{}, groupYAML)
}

// newRuleFixtureIn builds the fixture's engine on the store in dir (which
// an earlier engine may have used: a restart), against peer, with the
// clock at clock.
func newRuleFixtureIn(t *testing.T, dir string, peer *queryPeer, clock time.Time, groupYAML string) *ruleFixture {
	t.Helper()
	f := &ruleFixture{peer: peer, clock: clock}
	cfg, err := config.Parse(fmt.Appendf(nil, `
global:
  store: {driver: sqlite, dsn: %q}
  max_jitter: 0s
sources:
  vm: {type: prometheus, url: %q, retries: -1, timeout: 5s}
rule_groups:
%s
alerting:
  route: {receiver: log}
  receivers: [{name: log, log_configs: [{level: info}]}]
`, filepath.Join(dir, "seismo.db"), f.peer.URL, groupYAML), filepath.Join(dir, "seismo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	f.e, err = New(context.Background(), cfg, Options{
		Logger: slog.New(slog.DiscardHandler),
		Now: func() time.Time {
			f.mu.Lock()
			defer f.mu.Unlock()
			return f.clock
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.e.Close)
	if len(f.e.jobs) != 1 {
		t.Fatalf("jobs = %v", f.e.jobs)
	}
	f.job = f.e.jobs[0]
	return f
}

// runAt runs the group as the scheduler would at t.
func (f *ruleFixture) runAt(t *testing.T, at time.Time) (*Result, error) {
	t.Helper()
	f.mu.Lock()
	f.clock = at
	f.mu.Unlock()
	return f.e.executeJob(context.Background(), f.job, true)
}

// alertStates returns "alertname{rule}: firing|resolved" for every alert.
func (f *ruleFixture) alertStates() []string {
	var out []string
	for _, a := range f.e.Alerts().Alerts() {
		s := a.Labels.Get("alertname")
		if r := a.Labels.Get("rule"); r != "" {
			s += "{" + r + "}"
		}
		if m := a.Labels.Get("market"); m != "" {
			s += "{" + m + "}"
		}
		out = append(out, s+": "+a.Status())
	}
	slices.Sort(out)
	return out
}

const tradingGroup = `
  - name: trading
    source: vm
    interval: 1m
    labels: {team: ops}
    rules:
      - alert: RejectsHigh
        expr: sum(rate(order_rejects_total[5m])) by (market) > 3
        for: 2m
        labels: {severity: critical}
        annotations:
          summary: '{{ $labels.market }}: {{ $value | humanize }} rejects/s'
      - alert: Flaky
        expr: flaky_metric > 0
`

func TestRuleGroupJob(t *testing.T) {
	f := newRuleFixture(t, tradingGroup)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC)
	if f.job.Kind() != "rule" || f.job.Schedule() != "0 */1 * * * *" || f.job.Location() != time.UTC || f.job.Timeout() != 0 {
		t.Errorf("job: kind %s schedule %q location %s timeout %s", f.job.Kind(), f.job.Schedule(), f.job.Location(), f.job.Timeout())
	}

	// market sh rejects from 01:31 to 01:34; Flaky fails from 01:33 to 01:34.
	f.peer.set(func(q string, at time.Time) ([]map[string]string, []float64, string) {
		switch {
		case strings.HasPrefix(q, "sum(rate(order_rejects_total"):
			if !at.Before(t0.Add(time.Minute)) && at.Before(t0.Add(5*time.Minute)) {
				return []map[string]string{{"market": "sh"}}, []float64{4.25 + float64(at.Sub(t0)/time.Minute)}, ""
			}
			return nil, nil, ""
		case q == "flaky_metric > 0":
			if !at.Before(t0.Add(3*time.Minute)) && at.Before(t0.Add(5*time.Minute)) {
				return nil, nil, "vm overloaded by this query"
			}
			return nil, nil, ""
		}
		return nil, nil, "unexpected query " + q
	})

	steps := []struct {
		events, stored int
		alerts         []string
		summary        string
	}{
		{0, 0, nil, "0 pending, 0 firing, 0 resolved, 0 failed"},           // 01:30
		{0, 0, nil, "1 series, 1 pending, 0 firing, 0 resolved, 0 failed"}, // 01:31
		{0, 0, nil, "1 pending, 0 firing"},                                 // 01:32
		{2, 2, []string{"MetricRuleFailing{Flaky}: firing", "RejectsHigh{sh}: firing"}, "0 pending, 1 firing, 0 resolved, 1 failed (rule Flaky:"}, // 01:33
		{2, 0, []string{"MetricRuleFailing{Flaky}: firing", "RejectsHigh{sh}: firing"}, "1 firing"},                                               // 01:34: the same episodes, nothing new stored
		{0, 0, []string{"MetricRuleFailing{Flaky}: resolved", "RejectsHigh{sh}: resolved"}, "0 firing, 1 resolved, 0 failed"},                     // 01:35
	}
	var firingEvent alert.Event
	for i, s := range steps {
		at := t0.Add(time.Duration(i) * time.Minute)
		res, err := f.runAt(t, at.Add(700*time.Millisecond))
		if err != nil {
			t.Fatalf("%s: %v", at.Format("15:04"), err)
		}
		if len(res.Events) != s.events || res.Stored != s.stored {
			t.Errorf("%s: %d events, %d stored; want %d, %d: %+v", at.Format("15:04"), len(res.Events), res.Stored, s.events, s.stored, res.Events)
		}
		if got := f.alertStates(); !slices.Equal(got, s.alerts) {
			t.Errorf("%s: alerts %v, want %v", at.Format("15:04"), got, s.alerts)
		}
		if !strings.Contains(res.Summary(), s.summary) || !strings.HasPrefix(res.Summary(), "rule group trading: 2 rules evaluated at "+at.Format(time.RFC3339)) {
			t.Errorf("%s: summary %q, want it to contain %q", at.Format("15:04"), res.Summary(), s.summary)
		}
		for _, ev := range res.Events {
			if ev.Kind == alert.KindMetricRule && i == 4 {
				firingEvent = ev
			}
		}
	}

	// The firing alert's event: its episode's start, the latest value and
	// the templated summary; labels without the metric name, with the
	// group's and the rule's.
	if firingEvent.Job != "trading" || !firingEvent.Time.Equal(t0.Add(3*time.Minute)) || firingEvent.Value != 8.25 ||
		firingEvent.Annotations["summary"] != "sh: 8.25 rejects/s" ||
		firingEvent.Labels.String() != `{alertname="RejectsHigh", market="sh", severity="critical", team="ops"}` {
		t.Errorf("firing event = %+v", firingEvent)
	}
	stored, err := f.e.Store().Events(ctx, store.EventFilter{Job: "trading"})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[alert.Kind]int{}
	for _, ev := range stored {
		kinds[ev.Kind]++
	}
	if kinds[alert.KindMetricRule] != 1 || kinds[alert.KindRuleError] != 1 || len(stored) != 2 {
		t.Errorf("stored events by kind = %v, want one of each", kinds)
	}
	for _, ev := range stored {
		if ev.Kind == alert.KindRuleError && (!ev.Time.Equal(t0.Add(3*time.Minute)) || !strings.Contains(ev.Annotations["summary"], "vm overloaded by this query") ||
			ev.Labels.String() != `{alertname="MetricRuleFailing", rule="Flaky", rule_group="trading", team="ops"}`) {
			t.Errorf("rule error event = %+v", ev)
		}
	}
	want := `
# HELP seismo_rule_evaluations_total Evaluations of metric rules by group, rule and result (success or failure).
# TYPE seismo_rule_evaluations_total counter
seismo_rule_evaluations_total{group="trading",result="failure",rule="Flaky"} 2
seismo_rule_evaluations_total{group="trading",result="success",rule="Flaky"} 4
seismo_rule_evaluations_total{group="trading",result="success",rule="RejectsHigh"} 6
# HELP seismo_rule_alerts Active alerts of metric rules by group, rule and state (pending or firing), as of the last scheduled evaluation.
# TYPE seismo_rule_alerts gauge
seismo_rule_alerts{group="trading",rule="Flaky",state="firing"} 0
seismo_rule_alerts{group="trading",rule="Flaky",state="pending"} 0
seismo_rule_alerts{group="trading",rule="RejectsHigh",state="firing"} 0
seismo_rule_alerts{group="trading",rule="RejectsHigh",state="pending"} 0
`
	if err := testutil.GatherAndCompare(f.e.Registry(), strings.NewReader(want), "seismo_rule_evaluations_total", "seismo_rule_alerts"); err != nil {
		t.Error(err)
	}
}

func TestRuleGroupEveryRuleFails(t *testing.T) {
	f := newRuleFixture(t, tradingGroup)
	t0 := time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC)
	f.peer.set(func(string, time.Time) ([]map[string]string, []float64, string) { return nil, nil, "storage is down" })
	_, err := f.runAt(t, t0)
	if err == nil || !strings.Contains(err.Error(), "every rule failed") || !strings.Contains(err.Error(), "storage is down") {
		t.Fatalf("err = %v", err)
	}
	st := f.e.jobStatus("trading")
	f.e.mu.Lock()
	lastErr, failures := st.LastError, st.Failures
	f.e.mu.Unlock()
	if !strings.Contains(lastErr, "rule RejectsHigh") || !strings.Contains(lastErr, "rule Flaky") || failures != 1 {
		t.Errorf("status: last error %q, failures %d", lastErr, failures)
	}
	// The next run proceeds.
	f.peer.set(func(string, time.Time) ([]map[string]string, []float64, string) { return nil, nil, "" })
	if _, err := f.runAt(t, t0.Add(time.Minute)); err != nil {
		t.Errorf("next run: %v", err)
	}
}

func TestRuleGroupTimeout(t *testing.T) {
	f := newRuleFixture(t, `
  - name: slow
    source: vm
    timeout: 200ms
    rules: [{alert: Slow, expr: 'up == 0'}]
`)
	release := make(chan struct{})
	defer close(release)
	f.peer.set(func(string, time.Time) ([]map[string]string, []float64, string) {
		<-release
		return nil, nil, ""
	})
	_, err := f.runAt(t, time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC))
	if err == nil || !strings.Contains(err.Error(), "deadline exceeded") {
		t.Errorf("err = %v, want the job's deadline", err)
	}
}

func TestRuleGroupOnce(t *testing.T) {
	f := newRuleFixture(t, tradingGroup)
	t0 := time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC)
	f.peer.set(func(q string, at time.Time) ([]map[string]string, []float64, string) {
		if strings.HasPrefix(q, "sum(") && !at.Before(t0) {
			return []map[string]string{{"market": "sz"}}, []float64{5}, ""
		}
		return nil, nil, ""
	})
	f.mu.Lock()
	f.clock = t0.Add(2*time.Minute + 5*time.Second)
	f.mu.Unlock()
	res, err := f.e.RunOnce(context.Background(), "trading")
	if err != nil {
		t.Fatal(err)
	}
	// Returned since 01:30, replayed at 01:30, 01:31, 01:32: firing.
	if want := "rule group trading: 2 rules replayed at 2026-03-02T01:32:00Z, 1 series, 0 pending, 1 firing, 0 resolved, 0 failed"; res.Summary() != want {
		t.Errorf("summary %q, want %q", res.Summary(), want)
	}
	if len(res.Events) != 1 || res.Stored != 1 {
		t.Errorf("events %d stored %d, want 1 and 1", len(res.Events), res.Stored)
	}
	if got := f.alertStates(); len(got) != 0 {
		t.Errorf("seismo once fired %v", got)
	}
}
