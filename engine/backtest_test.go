package engine

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/config"
	"github.com/seismo-dev/seismo/datasets"
	"github.com/seismo-dev/seismo/detector"
	"github.com/seismo-dev/seismo/store"
)

// demoNow is the fixed clock of the demo-based tests: a Wednesday noon in
// Shanghai, so the ranges below hold trading days.
var demoNow = time.Date(2026, 3, 11, 4, 0, 0, 0, time.UTC)

// newDemoEngine builds an engine on the built-in demo configuration with
// its store in dir and the clock at now. It is not started.
func newDemoEngine(t testing.TB, dir string, now time.Time) *Engine {
	t.Helper()
	return newDemoEngineWith(t, dir, now, "")
}

// newDemoEngineWith is newDemoEngine with extra lines in the global
// section of the configuration.
func newDemoEngineWith(t testing.TB, dir string, now time.Time, global string) *Engine {
	t.Helper()
	yaml := bytes.Replace(datasets.DemoConfig(now), []byte(`dsn: "seismo-demo.db"`), []byte(`dsn: "`+filepath.Join(dir, "seismo.db")+`"`), 1)
	yaml = bytes.Replace(yaml, []byte("\nglobal:\n"), []byte("\nglobal:\n"+global), 1)
	cfg, err := config.Parse(yaml, "")
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(context.Background(), cfg, Options{Now: func() time.Time { return now }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

// app selects the demo's app-channel account openings.
var app = []*labels.Matcher{labels.MustNewMatcher(labels.MatchEqual, "channel", "app")}

// appLabels is that series' label set, as the demo source returns it.
var appLabels = labels.FromStrings("__name__", "account_openings", "channel", "app")

// labelInjected stores the demo's injected anomalies of the app series in
// [from, to] as anomaly labels and returns them.
func labelInjected(t *testing.T, e *Engine, from, to time.Time) []store.Label {
	t.Helper()
	demo := datasets.NewDemo(datasets.DemoSeed, e.monitorNamed("account_openings").cal)
	var ls []store.Label
	for _, a := range demo.Anomalies(from, to) {
		if !labels.Equal(a.Labels, appLabels) {
			continue
		}
		ls = append(ls, store.Label{
			Monitor: "account_openings", Series: appLabels, From: a.Start, To: a.End.Add(-time.Minute),
			Kind: store.LabelAnomaly, Author: "test", Note: a.Kind,
		})
	}
	if len(ls) == 0 {
		t.Fatal("the demo injected no anomaly into the app series in the range")
	}
	created, err := e.Store().CreateLabels(context.Background(), "test", ls)
	if err != nil {
		t.Fatal(err)
	}
	return created
}

// TestRethresholdMatchesRun checks the sweep's shortcut: for every
// re-thresholdable family and a spread of gates, re-thresholding the raw
// scores gives exactly what running the gated detector at each
// sensitivity gives.
func TestRethresholdMatchesRun(t *testing.T) {
	e := newDemoEngine(t, t.TempDir(), demoNow)
	ctx := context.Background()
	b, err := e.prepareBacktest(ctx, BacktestRequest{Monitor: "account_openings", Match: app, From: demoNow.Add(-2 * 24 * time.Hour), To: demoNow}, 0)
	if err != nil {
		t.Fatal(err)
	}
	gates := []struct {
		name string
		set  func(*detector.Config)
	}{
		{"no gates", func(c *detector.Config) { c.MinDeviation = detector.MinDeviation{} }},
		{"up", func(c *detector.Config) { c.Direction = detector.DirectionUp; c.MinDeviation = detector.MinDeviation{} }},
		{"down with min_deviation", func(c *detector.Config) {
			c.Direction = detector.DirectionDown
			c.MinDeviation = detector.MinDeviation{Absolute: 3, Relative: 0.2}
		}},
		{"persistence 2 of 3", func(c *detector.Config) { c.Persistence = detector.Persistence{K: 2, N: 3} }},
	}
	for _, typ := range []string{detector.TypeRobust, detector.TypeZScore, detector.TypeRobustZ, detector.TypeRateOfChange} {
		for _, g := range gates {
			t.Run(typ+"/"+g.name, func(t *testing.T) {
				flagged := 0
				for _, s := range []float64{0.05, 0.4, 0.7, 0.95, 1} {
					cfg := b.base
					cfg.Type, cfg.Sensitivity = typ, s
					g.set(&cfg)
					cfg.ApplyDefaults()
					got, err := b.score(ctx, cfg)
					if err != nil {
						t.Fatal(err)
					}
					det, err := detector.New(cfg)
					if err != nil {
						t.Fatal(err)
					}
					want := runChunks(det, b.series[0].chunks)
					sc := got[0]
					if len(sc.t) != len(want.t) || len(sc.t) == 0 {
						t.Fatalf("s=%v: %d points re-thresholded, %d run", s, len(sc.t), len(want.t))
					}
					for i := range sc.t {
						if !sc.t[i].Equal(want.t[i]) || sc.anomaly[i] != want.anomaly[i] || sc.score[i] != want.score[i] ||
							sc.e[i] != want.e[i] || !near(sc.lo[i], want.lo[i]) || !near(sc.hi[i], want.hi[i]) {
							t.Fatalf("s=%v point %d (%s): re-thresholded anomaly=%v score=%v band=[%v, %v]; run anomaly=%v score=%v band=[%v, %v]",
								s, i, sc.t[i], sc.anomaly[i], sc.score[i], sc.lo[i], sc.hi[i], want.anomaly[i], want.score[i], want.lo[i], want.hi[i])
						}
						if sc.anomaly[i] {
							flagged++
						}
					}
				}
				if flagged == 0 {
					t.Error("no sensitivity flagged anything: the comparison proves nothing")
				}
			})
		}
	}
}

func near(a, b float64) bool {
	return a == b || math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b))
}

func TestBacktestAgainstLabels(t *testing.T) {
	e := newDemoEngine(t, t.TempDir(), demoNow)
	ctx := context.Background()
	from, to := demoNow.Add(-5*24*time.Hour), demoNow
	injected := labelInjected(t, e, from, to)

	res, err := e.Backtest(ctx, BacktestRequest{Monitor: "account_openings", Match: app, From: from, To: to, Draft: Draft{Sensitivity: 0.9}})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Metrics
	if !m.Labelled || m.Alert.Ranges != len(injected) {
		t.Fatalf("labelled=%v with %d ranges, want %d injected anomalies", m.Labelled, m.Alert.Ranges, len(injected))
	}
	if res.Detector.Sensitivity != 0.9 || res.Detector.Type != detector.TypeRobust {
		t.Errorf("detector tried = %+v, want robust at 0.9", res.Detector)
	}
	if len(res.Alerts) == 0 {
		t.Fatal("no alerts in five days at sensitivity 0.9")
	}
	paged, matched := 0, 0
	for _, a := range res.Alerts {
		overlaps := false
		for _, l := range injected {
			overlaps = overlaps || l.Overlaps(a.Start, a.LastEvent)
		}
		if overlaps != (a.Verdict == "anomaly") {
			t.Errorf("alert %s–%s has verdict %q, but overlaps an injected anomaly: %v", a.Start, a.LastEvent, a.Verdict, overlaps)
		}
		if a.Verdict != "anomaly" && a.Verdict != "false" {
			t.Errorf("alert verdict %q with anomaly labels only", a.Verdict)
		}
		if !a.Silent {
			paged++
			if overlaps {
				matched++
			}
		}
		if (!a.End.IsZero() && a.End.Before(a.LastEvent)) || a.LastEvent.Before(a.Start) {
			t.Errorf("alert times out of order: %+v", a)
		}
	}
	if m.Alerts != paged || m.Alert.Predicted != paged || m.Alert.Matched != matched {
		t.Errorf("metrics count %d alerts (%d predicted, %d matched), the list %d paged (%d matched)", m.Alerts, m.Alert.Predicted, m.Alert.Matched, paged, matched)
	}
	if want := float64(paged) / 5; math.Abs(m.AlertsPerDay-want) > 1e-9 {
		t.Errorf("alerts per day = %v, want %v", m.AlertsPerDay, want)
	}
	if m.Event.Recall < m.Alert.Recall {
		t.Errorf("event recall %v below alert recall %v: every paging alert holds an event", m.Event.Recall, m.Alert.Recall)
	}
	if m.PointAdjusted.Recall < m.Point.Recall {
		t.Errorf("point-adjusted recall %v below point recall %v", m.PointAdjusted.Recall, m.Point.Recall)
	}
	if len(m.NAB) != 3 {
		t.Errorf("NAB scores %v, want three profiles", m.NAB)
	}

	// A noise label over a false alarm takes it out of precision.
	var fa *BacktestAlert
	for i := range res.Alerts {
		if res.Alerts[i].Verdict == "false" && !res.Alerts[i].Silent {
			fa = &res.Alerts[i]
			break
		}
	}
	if fa == nil {
		t.Fatal("no paging false alarm at 0.9 to label as noise: the demo data changed under this test")
	}
	if _, err := e.Store().CreateLabels(ctx, "test", []store.Label{{
		Monitor: "account_openings", Series: appLabels, From: fa.Start, To: fa.LastEvent, Kind: store.LabelNoise, Author: "test",
	}}); err != nil {
		t.Fatal(err)
	}
	again, err := e.Backtest(ctx, BacktestRequest{Monitor: "account_openings", Match: app, From: from, To: to, Draft: Draft{Sensitivity: 0.9}})
	if err != nil {
		t.Fatal(err)
	}
	if again.Metrics.Alert.Predicted >= m.Alert.Predicted {
		t.Errorf("after labelling a false alarm as noise, %d alerts count for precision, before %d", again.Metrics.Alert.Predicted, m.Alert.Predicted)
	}
}

// TestSweepMatchesBacktest: each point of a sweep is the backtest at its
// sensitivity, and flags only grow with the sensitivity.
func TestSweepMatchesBacktest(t *testing.T) {
	e := newDemoEngine(t, t.TempDir(), demoNow)
	ctx := context.Background()
	from, to := demoNow.Add(-3*24*time.Hour), demoNow
	labelInjected(t, e, from, to)
	grid := []float64{0.5, 0.7, 0.9, 1}
	for _, draft := range []Draft{{}, {Type: detector.TypeSeasonal, Persistence: &DraftPersistence{K: 2, N: 3}}} {
		sw, err := e.Sweep(ctx, SweepRequest{BacktestRequest: BacktestRequest{Monitor: "account_openings", Match: app, From: from, To: to, Draft: draft}, Sensitivities: grid})
		if err != nil {
			t.Fatal(err)
		}
		if sw.Rethresholded != (draft.Type == "") {
			t.Errorf("%+v: rethresholded = %v", draft, sw.Rethresholded)
		}
		if len(sw.Curve) != len(grid) {
			t.Fatalf("%d curve points, want %d", len(sw.Curve), len(grid))
		}
		for i, p := range sw.Curve {
			d := draft
			d.Sensitivity = grid[i]
			bt, err := e.Backtest(ctx, BacktestRequest{Monitor: "account_openings", Match: app, From: from, To: to, Draft: d})
			if err != nil {
				t.Fatal(err)
			}
			if p.Sensitivity != grid[i] || !sameMetrics(p.Metrics, bt.Metrics) || len(p.Alerts) != len(bt.Alerts) {
				t.Errorf("%+v at %v: sweep %+v with %d alerts, backtest %+v with %d", draft, grid[i], p.Metrics, len(p.Alerts), bt.Metrics, len(bt.Alerts))
			}
			if i > 0 {
				q := sw.Curve[i-1].Metrics
				if p.Metrics.Point.TP < q.Point.TP || p.Metrics.Point.TP+p.Metrics.Point.FP < q.Point.TP+q.Point.FP || p.Metrics.Event.Recall < q.Event.Recall {
					t.Errorf("%+v: flags shrank from %v to %v: %+v then %+v", draft, grid[i-1], grid[i], q.Point, p.Metrics.Point)
				}
			}
		}
		rec := sw.Recommended
		if rec.WithinBudget && rec.AlertsPerDay > sw.MaxAlertsPerDay {
			t.Errorf("recommended %+v is over the budget %v", rec, sw.MaxAlertsPerDay)
		}
		if !slices.ContainsFunc(sw.Curve, func(p SweepPoint) bool { return p.Sensitivity == rec.Sensitivity }) {
			t.Errorf("recommended sensitivity %v is not on the curve", rec.Sensitivity)
		}
	}
}

func sameMetrics(a, b Metrics) bool {
	return a.Points == b.Points && a.Alerts == b.Alerts && a.Silent == b.Silent && a.AlertsPerDay == b.AlertsPerDay &&
		a.Alert == b.Alert && a.Event == b.Event && a.Point == b.Point && a.PointAdjusted == b.PointAdjusted
}

func TestBacktestBadRequests(t *testing.T) {
	e := newDemoEngine(t, t.TempDir(), demoNow)
	ctx := context.Background()
	from := demoNow.Add(-24 * time.Hour)
	none := []*labels.Matcher{labels.MustNewMatcher(labels.MatchEqual, "channel", "fax")}
	for _, tc := range []struct {
		name string
		req  BacktestRequest
		want error
	}{
		{"unknown monitor", BacktestRequest{Monitor: "nope", From: from, To: demoNow}, ErrUnknownMonitor},
		{"ends before it starts", BacktestRequest{Monitor: "account_openings", From: demoNow, To: from}, ErrInvalidRequest},
		{"no range", BacktestRequest{Monitor: "account_openings"}, ErrInvalidRequest},
		{"too long", BacktestRequest{Monitor: "account_openings", From: demoNow.Add(-100 * 24 * time.Hour), To: demoNow}, ErrInvalidRequest},
		{"sensitivity out of range", BacktestRequest{Monitor: "account_openings", From: from, To: demoNow, Draft: Draft{Sensitivity: 2}}, ErrInvalidRequest},
		{"unknown type", BacktestRequest{Monitor: "account_openings", From: from, To: demoNow, Draft: Draft{Type: "magic"}}, ErrInvalidRequest},
		{"persistence k > n", BacktestRequest{Monitor: "account_openings", From: from, To: demoNow, Draft: Draft{Persistence: &DraftPersistence{K: 3, N: 2}}}, ErrInvalidRequest},
		{"no series matches", BacktestRequest{Monitor: "account_openings", Match: none, From: from, To: demoNow}, ErrInvalidRequest},
		{"refit shorter than the step", BacktestRequest{Monitor: "account_openings", From: from, To: demoNow, Refit: time.Second}, ErrInvalidRequest},
		{"points for too many series", BacktestRequest{Monitor: "trade_count", From: from, To: demoNow, Points: true}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.Backtest(ctx, tc.req)
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
		})
	}
}

func TestSaveTuning(t *testing.T) {
	dir := t.TempDir()
	e := newDemoEngine(t, dir, demoNow)
	ctx := context.Background()
	if _, err := e.SaveTuning(ctx, "ana", Tuning{Monitor: "account_openings", Detector: Draft{Sensitivity: 2}}); !errors.Is(err, ErrInvalidRequest) {
		t.Fatalf("an invalid setting saved: %v", err)
	}
	if v, _ := e.TuningOf("account_openings"); v.Saved != nil {
		t.Fatalf("the invalid setting was kept: %+v", v.Saved)
	}
	wq := WindowQuery{Monitor: "account_openings", Series: appLabels, From: demoNow.Add(-6 * time.Hour), To: demoNow}
	before, err := e.SeriesWindow(ctx, wq)
	if err != nil {
		t.Fatal(err)
	}
	v, err := e.SaveTuning(ctx, "ana", Tuning{Monitor: "account_openings", Detector: Draft{Sensitivity: 0.95, Direction: detector.DirectionDown}, Author: "ana", Note: "quieter"})
	if err != nil {
		t.Fatal(err)
	}
	// The series window draws the saved setting's band at once: K falls
	// from 4.4 to 2.4, so the band narrows by that ratio.
	after, err := e.SeriesWindow(ctx, wq)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for i := range before.Times {
		wb, wa := before.Upper[i]-before.Expected[i], after.Upper[i]-after.Expected[i]
		if math.IsNaN(wb) || math.IsNaN(wa) || wb == 0 {
			continue
		}
		if r := wa / wb; math.Abs(r-2.4/4.4) > 1e-6 {
			t.Fatalf("band at %d narrowed by %v after saving, want %v", before.Times[i], r, 2.4/4.4)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no band to compare")
	}
	if v.Effective.Sensitivity != 0.95 || v.Effective.Direction != detector.DirectionDown || v.Configured.Sensitivity != 0.7 {
		t.Errorf("after saving: %+v", v)
	}
	// The next run judges with it: only downward anomalies.
	res, err := e.RunOnce(ctx, "account_openings")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Events) == 0 {
		t.Fatal("no events in the backfill at 0.95: the check below proves nothing")
	}
	for _, ev := range res.Events {
		if ev.Value > ev.Expected {
			t.Errorf("an upward event with direction down saved: %+v", ev)
		}
	}
	audit, err := e.Store().Audit(ctx, store.AuditFilter{Actor: "ana"})
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 1 || audit[0].Action != store.AuditTuningSave || audit[0].Target != "account_openings" {
		t.Errorf("audit log %+v, want one tuning.save", audit)
	}
	e.Close()

	// A restart keeps it.
	e2 := newDemoEngine(t, dir, demoNow)
	v2, err := e2.TuningOf("account_openings")
	if err != nil {
		t.Fatal(err)
	}
	if v2.Saved == nil || v2.Effective.Sensitivity != 0.95 || v2.Saved.Note != "quieter" {
		t.Fatalf("after a restart: %+v", v2)
	}
	v3, err := e2.DeleteTuning(ctx, "ana", "account_openings")
	if err != nil {
		t.Fatal(err)
	}
	if v3.Saved != nil || v3.Effective.Sensitivity != 0.7 {
		t.Errorf("after deleting: %+v", v3)
	}
	if _, err := e2.DeleteTuning(ctx, "ana", "account_openings"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting twice: %v", err)
	}
}

func TestRecommendRanksTypes(t *testing.T) {
	e := newDemoEngine(t, t.TempDir(), demoNow)
	ctx := context.Background()
	from, to := demoNow.Add(-2*24*time.Hour), demoNow
	types := []string{detector.TypeRobust, detector.TypeZScore, detector.TypeCUSUM}
	for _, labelled := range []bool{false, true} {
		if labelled {
			labelInjected(t, e, from, to)
		}
		res, err := e.Recommend(ctx, RecommendRequest{Monitor: "account_openings", Match: app, From: from, To: to, Types: types})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Series) != 1 {
			t.Fatalf("%d series ranked", len(res.Series))
		}
		r := res.Series[0]
		if r.Labelled != labelled || len(r.Ranking) != len(types) || r.Best != r.Ranking[0].Type || r.Reason == "" {
			t.Fatalf("ranking %+v", r)
		}
		for i, d := range r.Ranking {
			if d.Rank != i+1 || len(d.Reasons) == 0 {
				t.Errorf("entry %d: %+v", i, d)
			}
			if i > 0 && better(d, r.Ranking[i-1], labelled) {
				t.Errorf("%s ranks below %s but is better", d.Type, r.Ranking[i-1].Type)
			}
		}
	}
	if _, err := e.Recommend(ctx, RecommendRequest{Monitor: "account_openings", Match: app, From: from, To: to, Types: []string{detector.TypeAuto}}); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("ranking auto: %v", err)
	}
}

func TestRecommendPick(t *testing.T) {
	pt := func(s, perDay, recall float64, labelled bool) SweepPoint {
		return SweepPoint{Sensitivity: s, Metrics: Metrics{AlertsPerDay: perDay, Labelled: labelled, Alert: EventScores{Recall: recall}}}
	}
	for _, tc := range []struct {
		name   string
		curve  []SweepPoint
		want   float64
		within bool
	}{
		{"highest recall within budget", []SweepPoint{pt(0.5, 0.2, 0.4, true), pt(0.7, 1, 0.8, true), pt(0.9, 5, 1, true)}, 0.7, true},
		{"recall ties go to fewer alerts", []SweepPoint{pt(0.5, 0.5, 0.8, true), pt(0.7, 1.5, 0.8, true), pt(0.9, 3, 1, true)}, 0.5, true},
		{"full ties go to the lower sensitivity", []SweepPoint{pt(0.5, 1, 0.8, true), pt(0.7, 1, 0.8, true)}, 0.5, true},
		{"the budget is inclusive", []SweepPoint{pt(0.5, 1, 0.5, true), pt(0.7, 2, 0.9, true)}, 0.7, true},
		{"without labels: the most sensitive within budget", []SweepPoint{pt(0.5, 0.1, 0, false), pt(0.7, 1.9, 0, false), pt(0.9, 2.5, 0, false)}, 0.7, true},
		{"nothing within budget: the quietest", []SweepPoint{pt(0.5, 3, 0.5, true), pt(0.7, 4, 0.9, true)}, 0.5, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := recommend(tc.curve, 2)
			if got.Sensitivity != tc.want || got.WithinBudget != tc.within || got.Reason == "" {
				t.Errorf("recommend = %+v, want %v (within budget %v)", got, tc.want, tc.within)
			}
		})
	}
}

// BenchmarkBacktest30d measures a backtest of 30 days of one-minute data
// (43,200 points judged, 21 days of history before them) of one demo
// series with the demo's robust detector: the query, 31 baseline fits,
// scoring, the alert replay and the evaluation.
func BenchmarkBacktest30d(b *testing.B) {
	e := newDemoEngine(b, b.TempDir(), demoNow)
	ctx := context.Background()
	req := BacktestRequest{Monitor: "account_openings", Match: app, From: demoNow.Add(-30 * 24 * time.Hour), To: demoNow}
	var points int
	cpu0 := cpuTime()
	for b.Loop() {
		res, err := e.Backtest(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		points = res.Metrics.Points
	}
	b.ReportMetric(float64(points), "points")
	// On a shared machine the CPU time is the figure that does not depend
	// on the neighbours.
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkSweep30d is BenchmarkBacktest30d at the 20 sensitivities of the
// default grid: the raw scores are shared, so it should cost little more
// than one backtest.
func BenchmarkSweep30d(b *testing.B) {
	e := newDemoEngine(b, b.TempDir(), demoNow)
	ctx := context.Background()
	req := SweepRequest{BacktestRequest: BacktestRequest{Monitor: "account_openings", Match: app, From: demoNow.Add(-30 * 24 * time.Hour), To: demoNow}}
	cpu0 := cpuTime()
	for b.Loop() {
		if _, err := e.Sweep(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}
