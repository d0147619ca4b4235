package detector

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/seismo-dev/seismo/baseline"
	"github.com/seismo-dev/seismo/baseline/calendar"
	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/series"
)

// profile is a deterministic business-activity shape: quiet nights, a
// working-hours hump, Mondays 30% busier, weekends low.
func profile(lt time.Time) float64 {
	h := float64(lt.Hour()) + float64(lt.Minute())/60
	day := 0.0
	if h >= 9 && h < 17 {
		day = 1000 * math.Sin(math.Pi*(h-9)/8)
	}
	switch lt.Weekday() {
	case time.Saturday, time.Sunday:
		return 20 + day/20
	case time.Monday:
		return 50 + 1.3*day
	}
	return 50 + day
}

// gen samples f every step over [from, to) with Gaussian noise of
// relative size rel plus absolute size abs, from a seeded PCG.
func gen(from, to time.Time, step time.Duration, f func(time.Time) float64, rel, abs float64, seed uint64) []series.Point {
	rng := rand.New(rand.NewPCG(seed, 0xde7ec7))
	var pts []series.Point
	for t := from; t.Before(to); t = t.Add(step) {
		v := f(t)
		pts = append(pts, series.Point{T: t, V: v + rng.NormFloat64()*(rel*math.Abs(v)+abs)})
	}
	return pts
}

var (
	histStart = time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC) // a Monday
	histEnd   = histStart.AddDate(0, 0, 28)
)

func fit(t testing.TB, pts []series.Point, cfg baseline.Config, cal *calendar.Calendar) baseline.Model {
	t.Helper()
	cfg.ApplyDefaults()
	m, err := baseline.Fit(pts, cfg, cal)
	if err != nil {
		t.Fatalf("Fit: %v", err)
	}
	return m
}

func newDetector(t testing.TB, cfg Config) Detector {
	t.Helper()
	d, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	return d
}

// seasonalModel fits four weeks of the noisy profile at 5m.
func seasonalModel(t testing.TB) baseline.Model {
	t.Helper()
	return fit(t, gen(histStart, histEnd, 5*time.Minute, profile, 0.03, 2, 1), baseline.Config{}, nil)
}

// anomalies returns the instants flagged in rs.
func anomalies(rs []Result) map[time.Time]bool {
	out := map[time.Time]bool{}
	for _, r := range rs {
		if r.Anomaly {
			out[r.T] = true
		}
	}
	return out
}

func TestConfig(t *testing.T) {
	var c Config
	c.ApplyDefaults()
	if c.Type != "robust" || c.Sensitivity != 0.7 || c.Direction != "both" {
		t.Fatalf("defaults = %+v", c)
	}
	tests := []struct {
		name  string
		cfg   Config
		paths []string
	}{
		{"ok", Config{Type: "auto", Sensitivity: 1, Direction: "down", MinDeviation: MinDeviation{Absolute: 5, Relative: 0.1}}, nil},
		{"type", Config{Type: "lstm"}, []string{"type"}},
		{"sensitivity high", Config{Sensitivity: 1.5}, []string{"sensitivity"}},
		{"sensitivity negative", Config{Sensitivity: -0.1}, []string{"sensitivity"}},
		{"sensitivity NaN", Config{Sensitivity: math.NaN()}, []string{"sensitivity"}},
		{"direction", Config{Direction: "sideways"}, []string{"direction"}},
		{"min deviation", Config{MinDeviation: MinDeviation{Absolute: -1, Relative: math.Inf(1)}}, []string{"min_deviation.absolute", "min_deviation.relative"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.ApplyDefaults()
			err := cfg.Validate()
			_, newErr := New(tt.cfg)
			if tt.paths == nil {
				if err != nil || newErr != nil {
					t.Fatalf("Validate = %v, New = %v", err, newErr)
				}
				return
			}
			var list field.List
			if !errors.As(err, &list) {
				t.Fatalf("Validate = %v, want a field.List", err)
			}
			var paths []string
			for _, e := range list {
				paths = append(paths, e.Path)
			}
			if strings.Join(paths, ",") != strings.Join(tt.paths, ",") {
				t.Errorf("paths = %v, want %v", paths, tt.paths)
			}
			if newErr == nil {
				t.Error("New accepted an invalid config")
			}
		})
	}
}

// fixedModel expects the same thing everywhere. It stands in for a fitted
// model where a test needs exact numbers.
type fixedModel struct{ e baseline.Expectation }

func (f fixedModel) Name() string                          { return "fixed" }
func (f fixedModel) Expect(time.Time) baseline.Expectation { return f.e }
func (f fixedModel) Describe() string                      { return "fixed" }
func at(min int) time.Time                                 { return histEnd.Add(time.Duration(min) * time.Minute) }
func pts(vs ...float64) []series.Point                     { return ptsAt(0, vs...) }
func ptsAt(offset int, vs ...float64) (out []series.Point) {
	for i, v := range vs {
		out = append(out, series.Point{T: at(offset + i), V: v})
	}
	return out
}

func TestThresholdAndScore(t *testing.T) {
	for s, want := range map[float64]float64{1: 2, 0.7: 4.4, 0.5: 6, 0.001: 9.992} {
		if got := Threshold(s); math.Abs(got-want) > 1e-12 {
			t.Errorf("Threshold(%v) = %v, want %v", s, got, want)
		}
	}
	m := fixedModel{baseline.Expectation{Value: 100, Scale: 10, OK: true}}
	k := Threshold(0.7)
	tests := []struct {
		name    string
		cfg     Config
		v       float64
		score   float64
		anomaly bool
	}{
		{"on the expected value", Config{}, 100, 0, false},
		{"just inside", Config{}, 100 + k*10 - 1e-6, 0.5, false},
		{"on the upper threshold", Config{}, 100 + k*10, 0.5, true},
		{"on the lower threshold", Config{}, 100 - k*10, 0.5, true},
		{"far out", Config{}, 100 + 3*k*10, 0.75, true},
		{"up ignores dips", Config{Direction: "up"}, 0, 0, false},
		{"up flags spikes", Config{Direction: "up"}, 200, 10 / (10 + k), true},
		{"down ignores spikes", Config{Direction: "down"}, 200, 0, false},
		{"down flags dips", Config{Direction: "down"}, 0, 10 / (10 + k), true},
		{"absolute minimum not met", Config{MinDeviation: MinDeviation{Absolute: 60}}, 150, 5 / (5 + k), false},
		{"absolute minimum met", Config{MinDeviation: MinDeviation{Absolute: 50}}, 150, 5 / (5 + k), true},
		{"relative minimum not met", Config{MinDeviation: MinDeviation{Relative: 0.6}}, 50, 5 / (5 + k), false},
		{"relative minimum met", Config{MinDeviation: MinDeviation{Relative: 0.5}}, 50, 5 / (5 + k), true},
		{"both minimums, one not met", Config{MinDeviation: MinDeviation{Absolute: 10, Relative: 0.6}}, 150, 5 / (5 + k), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := detect(newDetector(t, tt.cfg), pts(tt.v), m)
			if len(rs) != 1 {
				t.Fatalf("got %d results", len(rs))
			}
			r := rs[0]
			if math.Abs(r.Score-tt.score) > 1e-6 || r.Anomaly != tt.anomaly {
				t.Errorf("score %v anomaly %v, want %v %v", r.Score, r.Anomaly, tt.score, tt.anomaly)
			}
			if r.Expected != 100 || math.Abs(r.Lower-(100-k*10)) > 1e-9 || math.Abs(r.Upper-(100+k*10)) > 1e-9 || r.Value != tt.v {
				t.Errorf("result %+v, want band 100 ∓ %v", r, k*10)
			}
			if want := (tt.v - 100) / 10; math.Abs(r.Z-want) > 1e-9 {
				t.Errorf("Z = %v, want %v", r.Z, want)
			}
		})
	}
}

func TestSkipsWhatCannotBeJudged(t *testing.T) {
	d := newDetector(t, Config{})
	in := pts(1, math.NaN(), math.Inf(1), 2, math.Inf(-1), 3)
	good := fixedModel{baseline.Expectation{Value: 0, Scale: 1, OK: true}}
	rs := detect(d, in, good)
	if len(rs) != 3 || rs[0].T != at(0) || rs[1].T != at(3) || rs[2].T != at(5) {
		t.Errorf("results %+v, want the three finite points in order", rs)
	}
	for _, m := range []baseline.Model{
		nil,
		fixedModel{baseline.Expectation{Value: 0, Scale: 1, OK: false}},
		fixedModel{baseline.Expectation{Value: 0, Scale: 0, OK: true}},
		fixedModel{baseline.Expectation{Value: math.NaN(), Scale: 1, OK: true}},
	} {
		if rs := detect(d, in, m); len(rs) != 0 {
			t.Errorf("model %v: got %d results, want none", m, len(rs))
		}
	}
	if rs := detect(d, nil, good); len(rs) != 0 {
		t.Errorf("no points: %v", rs)
	}
	// An overflowing z still scores (1) without NaN.
	huge := detect(d, pts(math.MaxFloat64), fixedModel{baseline.Expectation{Value: -math.MaxFloat64, Scale: 1e-9, OK: true}})
	if len(huge) != 1 || huge[0].Score != 1 || !huge[0].Anomaly {
		t.Errorf("overflow: %+v", huge)
	}
}

func TestNoAnomaliesInNormalData(t *testing.T) {
	// daily is the profile of a Tuesday, every day.
	daily := func(t time.Time) float64 {
		return profile(time.Date(2026, 11, 17, t.Hour(), t.Minute(), 0, 0, time.UTC))
	}
	tests := []struct {
		name        string
		f           func(time.Time) float64
		seasonality string
		step        time.Duration
	}{
		{"weekly 5m", profile, "weekly", 5 * time.Minute},
		{"weekly 1m", profile, "weekly", time.Minute},
		{"daily 5m", daily, "daily", 5 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			flagged, total := 0, 0
			for seed := uint64(1); seed <= 5; seed++ {
				m := fit(t, gen(histStart, histEnd, tt.step, tt.f, 0.03, 2, 10*seed), baseline.Config{Seasonality: tt.seasonality}, nil)
				next := gen(histEnd, histEnd.AddDate(0, 0, 7), tt.step, tt.f, 0.03, 2, 10*seed+1)
				rs := detect(newDetector(t, Config{}), next, m)
				if len(rs) != len(next) {
					t.Fatalf("%d results for %d points", len(rs), len(next))
				}
				flagged += len(anomalies(rs))
				total += len(rs)
			}
			// The Gaussian tail beyond 4.4σ is 1e-5; estimation error of
			// 28 days of history makes it larger. 0.1% at 5m is about one
			// false alarm per week.
			if rate := float64(flagged) / float64(total); rate > 0.001 {
				t.Errorf("false-positive rate %.5f (%d of %d), want ≤ 0.1%%", rate, flagged, total)
			}
			t.Logf("false positives at default sensitivity: %d of %d", flagged, total)
		})
	}
}

func TestInjectedAnomalies(t *testing.T) {
	m := seasonalModel(t)
	next := gen(histEnd, histEnd.AddDate(0, 0, 7), 5*time.Minute, profile, 0.03, 2, 3)
	spike := histEnd.Add(24*time.Hour + 10*time.Hour) // Tuesday 10:00
	dip := histEnd.Add(2*24*time.Hour + 14*time.Hour) // Wednesday 14:00
	shiftFrom := histEnd.Add(3*24*time.Hour + 11*time.Hour)
	shiftTo := shiftFrom.Add(2 * time.Hour) // Thursday 11:00-13:00
	injected := map[time.Time]bool{}
	for i := range next {
		p := &next[i]
		switch {
		case p.T.Equal(spike):
			p.V *= 2.5
		case p.T.Equal(dip):
			p.V *= 0.1
		case !p.T.Before(shiftFrom) && p.T.Before(shiftTo):
			p.V *= 1.5
		default:
			continue
		}
		injected[p.T] = true
	}
	tests := []struct {
		name      string
		cfg       Config
		spike     bool
		dip       bool
		minShift  float64 // fraction of the 24 shifted points flagged
		maxOthers int
	}{
		{"both", Config{}, true, true, 0.9, 3},
		{"up", Config{Direction: "up"}, true, false, 0.9, 3},
		{"down", Config{Direction: "down"}, false, true, 0, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			flagged := anomalies(detect(newDetector(t, tt.cfg), next, m))
			if flagged[spike] != tt.spike || flagged[dip] != tt.dip {
				t.Errorf("spike flagged %v (want %v), dip flagged %v (want %v)", flagged[spike], tt.spike, flagged[dip], tt.dip)
			}
			shifted, others := 0, 0
			for ts := range flagged {
				switch {
				case !ts.Before(shiftFrom) && ts.Before(shiftTo):
					shifted++
				case !injected[ts]:
					others++
				}
			}
			if frac := float64(shifted) / 24; frac < tt.minShift || (tt.minShift == 0 && shifted > 0) {
				t.Errorf("level shift: %d of 24 points flagged", shifted)
			}
			if others > tt.maxOthers {
				t.Errorf("%d points flagged outside the injected anomalies", others)
			}
		})
	}
}

func TestMinDeviationSuppressesWiggles(t *testing.T) {
	flat := func(time.Time) float64 { return 100 }
	m := fit(t, gen(histStart, histEnd, 5*time.Minute, flat, 0, 2, 4), baseline.Config{}, nil)
	// Noise sd 2: a +20 wiggle is z ≈ 10, a +80 move z ≈ 40.
	in := ptsAt(12*60, 120, 100, 180)
	tests := []struct {
		name string
		md   MinDeviation
		want []bool
	}{
		{"none", MinDeviation{}, []bool{true, false, true}},
		{"absolute 50", MinDeviation{Absolute: 50}, []bool{false, false, true}},
		{"relative 0.5", MinDeviation{Relative: 0.5}, []bool{false, false, true}},
		{"relative 1", MinDeviation{Relative: 1}, []bool{false, false, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := detect(newDetector(t, Config{MinDeviation: tt.md}), in, m)
			for i, r := range rs {
				if r.Anomaly != tt.want[i] {
					t.Errorf("value %v: anomaly %v, want %v (z %.1f)", r.Value, r.Anomaly, tt.want[i], r.Z)
				}
			}
		})
	}
}

func TestConstantSeries(t *testing.T) {
	tests := []struct {
		name  string
		level float64
		in    []float64
		want  []bool
	}{
		// Scale floor 1% of 100 = 1: 100.5 is z 0.5, 103 z 3, 110 z 10.
		{"constant 100", 100, []float64{100, 100.5, 103, 110, 90}, []bool{false, false, false, true, true}},
		// A count that never moved from 0: integer data keeps a scale of
		// one unit, so 1 is z 1 and 5 is z 5.
		{"constant 0", 0, []float64{0, 1, -1, 5}, []bool{false, false, false, true}},
		// Non-integer data at 0.25: the 1% floor (0.0025) applies.
		{"constant 0.25", 0.25, []float64{0.25, 0.26, 0.3}, []bool{false, false, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			level := func(time.Time) float64 { return tt.level }
			m := fit(t, gen(histStart, histEnd, 5*time.Minute, level, 0, 0, 5), baseline.Config{}, nil)
			rs := detect(newDetector(t, Config{}), ptsAt(600, tt.in...), m)
			if len(rs) != len(tt.in) {
				t.Fatalf("%d results", len(rs))
			}
			for i, r := range rs {
				if r.Anomaly != tt.want[i] || math.IsNaN(r.Score) || math.IsInf(r.Upper, 0) || r.Upper <= r.Lower {
					t.Errorf("value %v: %+v, want anomaly %v", r.Value, r, tt.want[i])
				}
			}
		})
	}
	// min_deviation is the knob for what still counts as news.
	zero := func(time.Time) float64 { return 0 }
	m := fit(t, gen(histStart, histEnd, 5*time.Minute, zero, 0, 0, 5), baseline.Config{}, nil)
	if rs := detect(newDetector(t, Config{MinDeviation: MinDeviation{Absolute: 10}}), ptsAt(600, 5), m); rs[0].Anomaly {
		t.Errorf("min_deviation.absolute 10 should suppress a change of 5: %+v", rs[0])
	}
}

func TestHolidayNotComparedWithTradingDay(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	cal, err := calendar.New(calendar.Config{
		Sessions: []string{"09:30-11:30", "13:00-15:00"},
		Holidays: []string{"2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07", "2026-10-22"},
	}, sh)
	if err != nil {
		t.Fatal(err)
	}
	trades := func(t time.Time) float64 {
		if cal.InSession(t) {
			return 500
		}
		return 0
	}
	start := time.Date(2026, 9, 14, 0, 0, 0, 0, sh)
	m := fit(t, gen(start, start.AddDate(0, 0, 35), 5*time.Minute, trades, 0.05, 1, 6), baseline.Config{}, cal)
	quiet := func(time.Time) float64 { return 0 } // near zero all day: noise sd 1
	d := newDetector(t, Config{})

	holiday := time.Date(2026, 10, 22, 0, 0, 0, 0, sh) // a Thursday, a holiday
	if n := len(anomalies(detect(d, gen(holiday, holiday.AddDate(0, 0, 1), 5*time.Minute, quiet, 0, 1, 7), m))); n != 0 {
		t.Errorf("quiet holiday: %d anomalies, want none", n)
	}
	trading := time.Date(2026, 10, 21, 0, 0, 0, 0, sh) // a Wednesday, trading
	day := gen(trading, trading.AddDate(0, 0, 1), 5*time.Minute, quiet, 0, 1, 7)
	flagged := anomalies(detect(d, day, m))
	inSession := 0
	for _, p := range day {
		if cal.InSession(p.T) {
			inSession++
			if !flagged[p.T] {
				t.Errorf("quiet trading session at %v not flagged", p.T.In(sh))
			}
		} else if flagged[p.T] {
			t.Errorf("quiet night at %v flagged", p.T.In(sh))
		}
	}
	if inSession != 48 {
		t.Fatalf("%d in-session points, want 48", inSession)
	}
}

func TestSensitivityMonotonic(t *testing.T) {
	m := seasonalModel(t)
	next := gen(histEnd, histEnd.AddDate(0, 0, 7), 5*time.Minute, profile, 0.03, 2, 8)
	// Deviations of graded size every 37 points, so every threshold
	// between 2 and 10 separates some of them.
	rng := rand.New(rand.NewPCG(9, 9))
	for i := 0; i < len(next); i += 37 {
		next[i].V += (rng.Float64()*12 - 6) * (0.03*math.Abs(next[i].V) + 2)
	}
	var prev map[time.Time]bool
	prevCount := -1
	for s := 0.001; s <= 1.0001; s += 0.05 {
		sens := math.Min(s, 1)
		flagged := anomalies(detect(newDetector(t, Config{Sensitivity: sens}), next, m))
		for ts := range prev {
			if !flagged[ts] {
				t.Errorf("sensitivity %.3f drops %v flagged at a lower sensitivity", sens, ts)
			}
		}
		if len(flagged) < prevCount {
			t.Errorf("sensitivity %.3f flags %d < %d", sens, len(flagged), prevCount)
		}
		prev, prevCount = flagged, len(flagged)
	}
	lo := len(anomalies(detect(newDetector(t, Config{Sensitivity: 0.001}), next, m)))
	hi := len(anomalies(detect(newDetector(t, Config{Sensitivity: 1}), next, m)))
	if hi <= lo {
		t.Errorf("sensitivity 1 flags %d, sensitivity 0.001 flags %d: the control does nothing", hi, lo)
	}
}

func TestColdStart(t *testing.T) {
	// One day of history: the baseline is a global median; only gross
	// deviations are flagged.
	m := fit(t, gen(histStart.AddDate(0, 0, 1), histStart.AddDate(0, 0, 2), 5*time.Minute, profile, 0.03, 2, 10), baseline.Config{}, nil)
	if !strings.Contains(m.Describe(), "cold start") {
		t.Fatalf("Describe = %q, want a cold start", m.Describe())
	}
	next := gen(histStart.AddDate(0, 0, 2), histStart.AddDate(0, 0, 3), 5*time.Minute, profile, 0.03, 2, 11)
	spike := len(next) / 2
	next[spike].V = 20000
	rs := detect(newDetector(t, Config{}), next, m)
	flagged := anomalies(rs)
	if !flagged[next[spike].T] {
		t.Errorf("spike of 20000 not flagged: %+v", rs[spike])
	}
	if len(flagged) > 1 {
		t.Errorf("%d points flagged, want only the spike", len(flagged))
	}
}

func TestNaNHistoryAndInput(t *testing.T) {
	hist := gen(histStart, histEnd, 5*time.Minute, profile, 0.03, 2, 12)
	for i := 0; i < len(hist); i += 5 {
		hist[i].V = math.NaN()
	}
	m := fit(t, hist, baseline.Config{}, nil)
	next := gen(histEnd, histEnd.AddDate(0, 0, 1), 5*time.Minute, profile, 0.03, 2, 13)
	finite := 0
	for i := range next {
		if i%3 == 0 {
			next[i].V = math.NaN()
		} else {
			finite++
		}
	}
	rs := detect(newDetector(t, Config{}), next, m)
	if len(rs) != finite {
		t.Errorf("%d results for %d finite points", len(rs), finite)
	}
	for _, r := range rs {
		if math.IsNaN(r.Score) || math.IsNaN(r.Expected) || math.IsNaN(r.Lower) || math.IsNaN(r.Upper) {
			t.Fatalf("NaN in result %+v", r)
		}
	}
}

func BenchmarkDetect(b *testing.B) {
	hist := gen(histStart, histEnd, time.Minute, profile, 0.03, 2, 14)
	m := fit(b, hist, baseline.Config{}, nil)
	d := newDetector(b, Config{})
	b.ReportAllocs()
	for b.Loop() {
		detect(d, hist, m) // 40320 points
	}
}

// detect judges pts with d and m, with no history.
func detect(d Detector, pts []series.Point, m baseline.Model) []Result {
	return Run(d, Input{Points: pts, Model: m})
}

// checkPaths validates cfg after ApplyDefaults and compares the error
// paths with want (nil: valid). New must agree.
func checkPaths(t *testing.T, cfg Config, want []string) {
	t.Helper()
	_, newErr := New(cfg)
	cfg.ApplyDefaults()
	err := cfg.Validate()
	if want == nil {
		if err != nil || newErr != nil {
			t.Fatalf("Validate = %v, New = %v", err, newErr)
		}
		return
	}
	var list field.List
	if !errors.As(err, &list) {
		t.Fatalf("Validate = %v, want a field.List", err)
	}
	var paths []string
	for _, e := range list {
		paths = append(paths, e.Path)
	}
	if strings.Join(paths, ",") != strings.Join(want, ",") {
		t.Errorf("paths = %v, want %v", paths, want)
	}
	if newErr == nil {
		t.Error("New accepted an invalid config")
	}
}
