package engine

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"math"
	"path/filepath"
	"testing"
	"time"
	_ "time/tzdata" // the test needs Asia/Shanghai wherever it runs

	"github.com/prometheus/prometheus/model/labels"
	"go.yaml.in/yaml/v3"

	"github.com/seismo-dev/seismo/alert"
	"github.com/seismo-dev/seismo/baseline/calendar"
	"github.com/seismo-dev/seismo/chart"
	"github.com/seismo-dev/seismo/config"
	"github.com/seismo-dev/seismo/detector"
	"github.com/seismo-dev/seismo/series"
)

var chartT0 = time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC)

// minutes returns n history points, one a minute from start.
func minutes(start time.Time, n int) []series.Point {
	out := make([]series.Point, n)
	for i := range out {
		out[i] = series.Point{T: start.Add(time.Duration(i) * time.Minute), V: float64(i)}
	}
	return out
}

// judged returns n judged points, one a minute from start, the last an anomaly.
func judged(start time.Time, n int) []detector.Result {
	out := make([]detector.Result, n)
	for i := range out {
		out[i] = detector.Result{T: start.Add(time.Duration(i) * time.Minute), Value: 1000 + float64(i),
			Expected: 10, Lower: 5, Upper: 15, Anomaly: i == n-1}
	}
	return out
}

// describe summarises chart points for comparison: their count, first and
// last times (as minutes after chartT0) and how many carry a band.
func describe(pts []chart.Point) string {
	if len(pts) == 0 {
		return "empty"
	}
	banded, anomalies := 0, 0
	for i, p := range pts {
		if i > 0 && !p.T.After(pts[i-1].T) {
			return fmt.Sprintf("not sorted at %d", i)
		}
		if !math.IsNaN(p.Lower) {
			banded++
		}
		if p.Anomaly {
			anomalies++
		}
	}
	m := func(t time.Time) int { return int(t.Sub(chartT0) / time.Minute) }
	return fmt.Sprintf("%d points, minutes %d..%d, %d banded, %d anomalies", len(pts), m(pts[0].T), m(pts[len(pts)-1].T), banded, anomalies)
}

func TestMergeChart(t *testing.T) {
	at := func(m int) time.Time { return chartT0.Add(time.Duration(m) * time.Minute) }
	tests := []struct {
		name    string
		cached  []chart.Point
		history []series.Point
		results []detector.Result
		want    string
	}{
		{
			name:    "first run fills with history",
			history: minutes(at(0), 1000),
			results: judged(at(1000), 10),
			want:    fmt.Sprintf("%d points, minutes %d..1009, 10 banded, 1 anomalies", chartPoints, 1010-chartPoints),
		},
		{
			name:    "short history",
			history: minutes(at(0), 5),
			results: judged(at(5), 3),
			want:    "8 points, minutes 0..7, 3 banded, 1 anomalies",
		},
		{
			name:    "a long judged window keeps its newest points",
			results: judged(at(0), chartPoints+50),
			want:    fmt.Sprintf("%d points, minutes 50..%d, %d banded, 1 anomalies", chartPoints, chartPoints+49, chartPoints),
		},
		{
			name:    "next run appends, keeping cached bands",
			cached:  mergeChart(nil, minutes(at(0), 20), judged(at(20), 10)),
			history: minutes(at(0), 30),
			results: judged(at(30), 1),
			want:    "31 points, minutes 0..30, 11 banded, 2 anomalies",
		},
		{
			name:    "points judged again replace the cached ones",
			cached:  mergeChart(nil, nil, judged(at(0), 10)),
			history: minutes(at(0), 5),
			results: judged(at(5), 2),
			want:    "7 points, minutes 0..6, 7 banded, 1 anomalies",
		},
		{
			// History fills before the cached points only: minute 110,
			// judged by no run, stays a gap.
			name:    "history never overlaps the cached points",
			cached:  mergeChart(nil, nil, judged(at(100), 10)),
			history: minutes(at(0), 111),
			results: judged(at(111), 1),
			want:    "111 points, minutes 0..111, 11 banded, 2 anomalies",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := describe(mergeChart(tc.cached, tc.history, tc.results))
			if got != tc.want {
				t.Errorf("got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestChartCacheIsBounded(t *testing.T) {
	c := newChartCache()
	for i := range chartSeries + 10 {
		ls := labels.FromStrings("alertname", "m", "i", fmt.Sprint(i))
		c.record("m", time.UTC, ls, nil, judged(chartT0, 2))
	}
	if n := len(c.series); n != chartSeries {
		t.Fatalf("%d series cached, want the bound %d", n, chartSeries)
	}
	// The first ten were the least recently updated: evicted.
	for i, want := range map[int]bool{0: false, 9: false, 10: true, chartSeries + 9: true} {
		fp := alert.FingerprintOf(labels.FromStrings("alertname", "m", "i", fmt.Sprint(i)))
		if _, _, pts := c.points(fp); (pts != nil) != want {
			t.Errorf("series %d cached = %v, want %v", i, pts != nil, want)
		}
	}
	var nilCache *chartCache
	nilCache.record("m", time.UTC, labels.EmptyLabels(), nil, judged(chartT0, 1)) // must not panic
	if _, _, pts := nilCache.points(1); pts != nil {
		t.Error("nil cache returned points")
	}
}

func TestCalendarIntervals(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal("time zone:", err)
	}
	cal, err := calendar.New(calendar.Config{
		Timezone: "Asia/Shanghai",
		Sessions: []string{"09:30-11:30", "13:00-15:00"},
		Weekdays: []string{"mon", "tue", "wed", "thu", "fri"},
		Holidays: []string{"2026-04-06"},
	}, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	ivs := CalendarIntervals(map[string]*calendar.Calendar{"cn-stock": cal})
	if len(ivs) != 2 {
		t.Fatalf("%d intervals, want 2", len(ivs))
	}
	at := func(day, hhmm string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", day+" "+hhmm, sh)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, tc := range []struct {
		when                time.Time
		session, tradingDay bool
	}{
		{at("2026-03-10", "10:00"), true, true},   // Tuesday morning session
		{at("2026-03-10", "12:00"), false, true},  // lunch break
		{at("2026-03-10", "15:00"), false, true},  // the close is exclusive
		{at("2026-03-14", "10:00"), false, false}, // Saturday
		{at("2026-04-06", "10:00"), false, false}, // holiday
	} {
		if got := ivs["cn-stock"].Contains(tc.when); got != tc.session {
			t.Errorf("cn-stock contains %s = %v, want %v", tc.when, got, tc.session)
		}
		if got := ivs["cn-stock"+calendar.TradingDaysSuffix].Contains(tc.when.UTC()); got != tc.tradingDay {
			t.Errorf("cn-stock:trading_days contains %s = %v, want %v", tc.when, got, tc.tradingDay)
		}
	}
}

// TestChartOfAnAlert runs a monitor and renders the chart of the alert
// its newest anomaly raises: a PNG of the configured size.
func TestChartOfAnAlert(t *testing.T) {
	dir := t.TempDir()
	writePayments(t, filepath.Join(dir, "data.db"))
	hook, _ := webhookSink(t)
	eng := newTestEngine(t, testConfig(t, dir, hook.URL, ""))
	defer eng.Close()
	res, err := eng.RunOnce(context.Background(), "payments")
	if err != nil {
		t.Fatal(err)
	}
	var ev alert.Event
	for _, e := range res.Events {
		if e.Time.Equal(lastDip) {
			ev = e
		}
	}
	if ev.Labels.IsEmpty() {
		t.Fatalf("no event at the newest point: %s", res.Summary())
	}
	a := &alert.Alert{Labels: ev.Labels, Fingerprint: ev.Fingerprint()}
	img, err := eng.Chart(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(img))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if wantW := int(chartWidth.Dots(96)); cfg.Width < wantW/2 || cfg.Height >= cfg.Width {
		t.Errorf("chart is %dx%d, want a wide chart about %d pixels across", cfg.Width, cfg.Height, wantW)
	}
	// The run judged one day (289 points at 5m) of the series: all of
	// them, with their bands, and history before them up to the bound.
	_, _, pts := eng.charts.points(a.Fingerprint)
	banded, anomalies := 0, 0
	for _, p := range pts {
		if !math.IsNaN(p.Lower) {
			banded++
		}
		if p.Anomaly {
			anomalies++
		}
	}
	switch last := pts[len(pts)-1]; {
	case len(pts) != chartPoints:
		t.Errorf("%d points cached, want %d", len(pts), chartPoints)
	case !last.T.Equal(lastDip) || !last.Anomaly:
		t.Errorf("last point %v (anomaly %v), want the dip at %v", last.T, last.Anomaly, lastDip)
	case banded != res.Evaluated/2:
		t.Errorf("%d points with a band, want the %d judged", banded, res.Evaluated/2)
	case anomalies != countAnomalies(res.Events, ev.Labels):
		t.Errorf("%d anomalies drawn, want %d", anomalies, countAnomalies(res.Events, ev.Labels))
	}

	// No chart for what the engine has not judged: an alert of another
	// label set.
	other := &alert.Alert{Labels: labels.FromStrings("alertname", "check"), Fingerprint: alert.FingerprintOf(labels.FromStrings("alertname", "check"))}
	if img, err := eng.Chart(context.Background(), other); img != nil || err != nil {
		t.Errorf("unknown series: %d bytes, %v; want nil, nil", len(img), err)
	}
}

func countAnomalies(evs []alert.Event, ls labels.Labels) int {
	n := 0
	for _, e := range evs {
		if labels.Equal(e.Labels, ls) {
			n++
		}
	}
	return n
}

// TestCalendarsMuteRoutes hands the calendars to a real alert manager, as
// the engine does, and checks that routes are muted by them: one route
// pages only during trading sessions, another is muted on trading days.
func TestCalendarsMuteRoutes(t *testing.T) {
	cal, err := calendar.New(calendar.Config{
		Timezone: "Asia/Shanghai",
		Sessions: []string{"09:30-11:30", "13:00-15:00"},
		Weekdays: []string{"mon", "tue", "wed", "thu", "fri"},
	}, time.UTC)
	if err != nil {
		t.Fatal("time zone:", err)
	}
	var cfg alert.Config
	if err := yaml.Unmarshal([]byte(`
route:
  receiver: ops
  routes:
    - {matchers: [team=trading], active_time_intervals: [cn-stock]}
    - {matchers: [team=batch], mute_time_intervals: ["cn-stock:trading_days"]}
receivers: [{name: ops, log_configs: [{}]}]
`), &cfg); err != nil {
		t.Fatal(err)
	}
	sh := cal.Location()
	for _, tc := range []struct {
		name                string
		now                 time.Time
		tradingMuted, batch bool
	}{
		{"in a session", time.Date(2026, 3, 10, 10, 0, 0, 0, sh), false, true},
		{"lunch break", time.Date(2026, 3, 10, 12, 0, 0, 0, sh), true, true},
		{"weekend", time.Date(2026, 3, 14, 10, 0, 0, 0, sh), true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := alert.NewManager(cfg, alert.Options{
				Logger: discardLogger(), Now: func() time.Time { return tc.now },
				Calendars: CalendarIntervals(map[string]*calendar.Calendar{"cn-stock": cal}),
			})
			if err != nil {
				t.Fatal(err)
			}
			trading := labels.FromStrings("alertname", "a", "team", "trading")
			batch := labels.FromStrings("alertname", "b", "team", "batch")
			m.Fire(alert.Event{Labels: trading, Time: tc.now}, alert.Event{Labels: batch, Time: tc.now})
			for ls, wantMuted := range map[string]bool{trading.String(): tc.tradingMuted, batch.String(): tc.batch} {
				var st alert.AlertWithStatus
				for _, a := range m.AlertsWithStatus() {
					if a.Alert.Labels.String() == ls {
						st = a
					}
				}
				if muted := len(st.Status.MutedBy) > 0; muted != wantMuted {
					t.Errorf("%s: muted by %v, want muted %v", ls, st.Status.MutedBy, wantMuted)
				}
			}
		})
	}
}

// TestConfigNamesCalendars: a configuration whose routes name calendars
// loads, and the engine hands the calendars to its router (NewManager
// would refuse a name it is not given).
func TestConfigNamesCalendars(t *testing.T) {
	dir := t.TempDir()
	cfg, err := config.Parse([]byte(fmt.Sprintf(`
global: {store: {dsn: %q}}
calendars:
  cn-stock: {timezone: Asia/Shanghai, sessions: ["09:30-11:30", "13:00-15:00"], weekdays: [mon, tue, wed, thu, fri]}
sources:
  applog: {type: file, path: app.log}
logs:
  - {name: app, input: applog}
alerting:
  route:
    receiver: ops
    routes:
      - {matchers: [team=trading], active_time_intervals: [cn-stock]}
      - {matchers: [team=batch], mute_time_intervals: ["cn-stock:trading_days"]}
  receivers: [{name: ops, log_configs: [{}]}]
`, filepath.Join(dir, "seismo.db"))), filepath.Join(dir, "seismo.yaml"))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	eng, err := New(context.Background(), cfg, Options{Logger: discardLogger(), Now: func() time.Time { return chartT0 }})
	if err != nil {
		t.Fatalf("engine: %v", err)
	}
	defer eng.Close()
	// 09:30 UTC is 17:30 in Shanghai: outside the sessions, on a trading day.
	eng.Alerts().Fire(alert.Event{Labels: labels.FromStrings("alertname", "a", "team", "trading"), Time: chartT0})
	as := eng.Alerts().AlertsWithStatus()
	if len(as) != 1 || fmt.Sprint(as[0].Status.MutedBy) != "[outside cn-stock]" {
		t.Errorf("alerts %+v, want one muted by [outside cn-stock]", as)
	}
}
