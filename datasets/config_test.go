package datasets_test

import (
	"github.com/prometheus/common/model"
	"strings"
	"testing"
	"time"

	"github.com/seismo-dev/seismo/baseline/calendar"
	"github.com/seismo-dev/seismo/config"
	"github.com/seismo-dev/seismo/datasets"
)

func TestDemoHoliday(t *testing.T) {
	tests := []struct {
		now  time.Time
		want string
	}{
		{time.Date(2026, 3, 18, 10, 0, 0, 0, cst), "2026-03-17"},  // Wednesday → Tuesday
		{time.Date(2026, 3, 16, 0, 0, 0, 0, cst), "2026-03-13"},   // Monday midnight → Friday
		{time.Date(2026, 3, 15, 23, 59, 0, 0, cst), "2026-03-13"}, // Sunday → Friday
		{time.Date(2026, 3, 14, 12, 0, 0, 0, cst), "2026-03-13"},  // Saturday → Friday
		{time.Date(2026, 3, 17, 1, 0, 0, 0, cst), "2026-03-16"},   // Tuesday → Monday
		// 2026-03-17 17:00 UTC is already Wednesday in Shanghai.
		{time.Date(2026, 3, 17, 17, 0, 0, 0, time.UTC), "2026-03-17"},
	}
	for _, tc := range tests {
		if got := datasets.DemoHoliday(tc.now).Format(time.DateOnly); got != tc.want {
			t.Errorf("DemoHoliday(%s) = %s, want %s", tc.now, got, tc.want)
		}
	}
}

// TestDemoConfig checks that the demo configuration parses and validates,
// says what `make run` needs, and that the demo data honours its holiday.
func TestDemoConfig(t *testing.T) {
	now := time.Date(2026, 3, 18, 10, 7, 0, 0, cst) // a Wednesday
	data := datasets.DemoConfig(now)
	cfg, err := config.Parse(data, "")
	if err != nil {
		t.Fatalf("config.Parse: %v\n%s", err, data)
	}
	if cfg.Global.Timezone != "Asia/Shanghai" || cfg.Global.Listen != "127.0.0.1:9108" || cfg.Global.Store.Driver != "sqlite" {
		t.Errorf("global = %+v", cfg.Global)
	}
	if src := cfg.Sources["demo"]; src.Type != "demo" || src.Seed != datasets.DemoSeed {
		t.Errorf("demo source = %+v", src)
	}
	calCfg, ok := cfg.Calendars["cn-stock"]
	if !ok {
		t.Fatal("no cn-stock calendar")
	}
	if want := []string{"2026-03-17"}; strings.Join(calCfg.Holidays, ",") != strings.Join(want, ",") {
		t.Errorf("holidays = %v, want %v", calCfg.Holidays, want)
	}
	wantExpr := map[string]string{
		"account_openings": datasets.MetricAccountOpenings,
		"trade_count":      datasets.MetricTradeCount,
		"order_latency":    datasets.MetricOrderLatency,
	}
	if len(cfg.Monitors) != len(wantExpr) {
		t.Fatalf("%d monitors, want %d", len(cfg.Monitors), len(wantExpr))
	}
	d0 := datasets.NewDemo(datasets.DemoSeed, nil)
	for _, m := range cfg.Monitors {
		if m.Query.Expr != wantExpr[m.Name] {
			t.Errorf("monitor %s: expr %q, want %q", m.Name, m.Query.Expr, wantExpr[m.Name])
		}
		found := false
		for _, ls := range d0.Series() {
			found = found || ls.Get(model.MetricNameLabel) == m.Query.Expr
		}
		if !found {
			t.Errorf("monitor %s: no demo series named %q", m.Name, m.Query.Expr)
		}
		if m.Schedule != "0 * * * * *" || m.Calendar != "cn-stock" || m.Query.Source != "demo" {
			t.Errorf("monitor %s: schedule %q, calendar %q, source %q", m.Name, m.Schedule, m.Calendar, m.Query.Source)
		}
		if time.Duration(m.Query.Backfill) != 5*24*time.Hour || time.Duration(m.Query.History) != 21*24*time.Hour || time.Duration(m.Query.Step) != time.Minute {
			t.Errorf("monitor %s: query %+v", m.Name, m.Query)
		}
		if m.Detector.Type != "robust" || m.Baseline.Seasonality != "weekly" || m.Labels["team"] == "" || m.Labels["severity"] == "" {
			t.Errorf("monitor %s: detector %+v, baseline %+v, labels %v", m.Name, m.Detector, m.Baseline, m.Labels)
		}
	}
	if r := cfg.Alerting.Route; r.Receiver != "console" || len(r.GroupBy) != 1 || r.GroupBy[0] != "alertname" || time.Duration(r.GroupWait) != 10*time.Second {
		t.Errorf("route = %+v", r)
	}

	// The engine hands the monitors' calendar to the demo: the holiday,
	// inside the five-day backfill, has no trades.
	cal, err := calendar.New(calCfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := datasets.NewDemo(datasets.DemoSeed, cal)
	hol := time.Date(2026, 3, 17, 0, 0, 0, 0, cst)
	if !hol.After(now.Add(-48 * time.Hour)) {
		t.Fatalf("holiday %s is not inside the backfill from %s", hol, now)
	}
	ls := seriesNamed(t, d, "__name__", "trade_count", "market", "sh")
	var total float64
	for _, p := range d.Range(ls, hol, hol.Add(24*time.Hour-time.Minute), time.Minute) {
		total += p.V
	}
	if total != 0 {
		t.Errorf("%g trades on the holiday, want 0", total)
	}
	var before float64
	for _, p := range d.Range(ls, hol.Add(-24*time.Hour), hol.Add(-time.Minute), time.Minute) {
		before += p.V
	}
	if before == 0 {
		t.Error("no trades on the trading day before the holiday")
	}
}
