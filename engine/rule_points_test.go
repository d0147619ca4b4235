package engine

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/config"
)

// pointRulesConfig is the payments monitor of engine_test.go with analyst
// rules: the 03:00 spike is suppressed as overnight noise, the 12:00 dip
// becomes critical, and a raise rule pages on web at 11:00 whatever the
// detector says.
func pointRulesConfig(t *testing.T, dir, rules string) *config.Config {
	t.Helper()
	cfg, err := config.Parse(fmt.Appendf(nil, `
global:
  store: {driver: sqlite, dsn: %q}
  max_jitter: 0s
sources:
  db: {type: sqlite, dsn: %q}
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
    labels: {team: payments, severity: warning}
    rules:
%s
alerting:
  route: {receiver: log}
  receivers: [{name: log, log_configs: [{level: info}]}]
`, filepath.Join(dir, "seismo.db"), filepath.Join(dir, "data.db"), rules), filepath.Join(dir, "seismo.yaml"))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return cfg
}

func TestMonitorPointRules(t *testing.T) {
	dir := t.TempDir()
	writePayments(t, filepath.Join(dir, "data.db"))
	eng := newTestEngine(t, pointRulesConfig(t, dir, `
      - {name: overnight, when: 'hour(time) < 6', action: suppress}
      - name: dip
        when: 'value < expected && pct_change(value, expected) < -30'
        severity: critical
        annotations: {runbook: "call the payments desk"}
      - {name: web_check, when: 'labels.channel == "web" && clock(time) == "11:00"', action: raise, severity: info}
`))
	defer eng.Close()

	res, err := eng.RunOnce(context.Background(), "payments")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range res.Events {
		got = append(got, fmt.Sprintf("%s %s %s %s", ev.Time.UTC().Format("15:04"), ev.Labels.Get("channel"), ev.Labels.Get("severity"), ev.Annotations["rule"]))
		switch ev.Annotations["rule"] {
		case "dip":
			if ev.Annotations["runbook"] != "call the payments desk" || ev.Detector != "robust" {
				t.Errorf("dip event = %+v", ev)
			}
		case "web_check":
			if ev.Detector != "rule:web_check" || !strings.HasPrefix(ev.Annotations["summary"], "payments: rule web_check matched: ") {
				t.Errorf("raised event = %+v", ev)
			}
		}
	}
	slices.Sort(got)
	// Without rules the monitor flags 03:00 (app) and 12:00 (app): see
	// TestRunOnceFindsInjectedAnomalies.
	want := []string{
		"11:00 web info web_check",
		"12:00 app critical dip",
	}
	if !slices.Equal(got, want) {
		t.Errorf("events:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}

	// web's newest point raised nothing: it resolves under its own label
	// set and each one the rules could give it; app's newest point is the
	// dip, so it does not resolve.
	var healthy []string
	for _, ls := range res.healthy {
		healthy = append(healthy, ls.String())
	}
	base := labels.FromStrings("alertname", "payments", "channel", "web", "team", "payments", "severity", "warning")
	wantHealthy := []string{
		base.String(),
		withLabels(base, map[string]string{"severity": "critical"}).String(),
		withLabels(base, map[string]string{"severity": "info"}).String(),
	}
	if !slices.Equal(healthy, wantHealthy) {
		t.Errorf("healthy:\n  %s\nwant:\n  %s", strings.Join(healthy, "\n  "), strings.Join(wantHealthy, "\n  "))
	}
}

func TestMonitorPointRuleErrors(t *testing.T) {
	dir := t.TempDir()
	writePayments(t, filepath.Join(dir, "data.db"))
	// The first rule runs out of memory budget on every point, so it
	// never matches; the anomalies still go out, labelled by the second.
	eng := newTestEngine(t, pointRulesConfig(t, dir, `
      - {name: heavy, when: 'len(map(1..200000, {#})) > 0', severity: critical}
      - {name: any, when: 'true', severity: warning, labels: {checked: "yes"}}
`))
	defer eng.Close()
	res, err := eng.RunOnce(context.Background(), "payments")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Events) == 0 {
		t.Fatal("no events: a failing rule hid the anomalies")
	}
	for _, ev := range res.Events {
		if ev.Annotations["rule"] != "any" || ev.Labels.Get("checked") != "yes" {
			t.Errorf("event %v %v, want it labelled by rule any", ev.Labels, ev.Annotations)
		}
	}
	// A label rule is only tried on flagged points: one error per event.
	if got := testutil.ToFloat64(eng.points("payments").errors); got != float64(len(res.Events)) {
		t.Errorf("seismo_point_rule_errors_total = %v, want one per flagged point (%d)", got, len(res.Events))
	}
}

// points returns a monitor's analyst rules, for tests.
func (e *Engine) points(name string) *pointRules {
	for _, m := range e.monitors {
		if m.name() == name {
			return m.points
		}
	}
	return nil
}

func TestMonitorWithoutRulesUnchanged(t *testing.T) {
	dir := t.TempDir()
	writePayments(t, filepath.Join(dir, "data.db"))
	eng := newTestEngine(t, testConfig(t, dir, "http://127.0.0.1:1/unused", ""))
	defer eng.Close()
	if p := eng.points("payments"); p != nil {
		t.Errorf("a monitor without rules has point rules %+v", p)
	}
	res, err := eng.RunOnce(context.Background(), "payments")
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range res.Events {
		if _, ok := ev.Annotations["rule"]; ok || ev.Time.Before(dataEnd.Add(-25*time.Hour)) {
			t.Errorf("unexpected event %+v", ev)
		}
	}
}
