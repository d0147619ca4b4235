package baseline

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/seismo-dev/seismo/baseline/calendar"
	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/series"
	"go.yaml.in/yaml/v3"
)

var t2026 = time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC) // a Monday

func fitModel(t testing.TB, pts []series.Point, cfg Config, cal *calendar.Calendar) Model {
	t.Helper()
	m, err := Fit(pts, cfg, cal)
	if err != nil {
		t.Fatalf("Fit(%+v): %v", cfg, err)
	}
	return m
}

// synth is level + slope·days + amp·sin(2π·phase) sampled every step, with
// Gaussian noise sd, multiplicative when mult.
func synth(days int, step time.Duration, level, slopePerDay, amp, sd float64, period time.Duration, mult bool, seed uint64) ([]series.Point, func(time.Time) float64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	truth := func(t time.Time) float64 {
		d := float64(t.Sub(t2026)) / float64(24*time.Hour)
		s := math.Sin(2 * math.Pi * float64(t.Sub(t2026)%period) / float64(period))
		if mult {
			return (level + slopePerDay*d) * (1 + amp*s)
		}
		return level + slopePerDay*d + amp*s
	}
	n := int(time.Duration(days) * 24 * time.Hour / step)
	pts := make([]series.Point, n)
	for i := range pts {
		ts := t2026.Add(time.Duration(i) * step)
		pts[i] = series.Point{T: ts, V: truth(ts) + sd*rng.NormFloat64()}
	}
	return pts, truth
}

func TestHoltWintersRecovers(t *testing.T) {
	tests := []struct {
		name     string
		mult     bool
		form     string
		slope    float64
		amp      float64
		wantForm string
	}{
		{"additive with trend", false, HWAdditive, 5, 30, HWAdditive},
		{"multiplicative", true, HWMultiplicative, 0, 0.4, HWMultiplicative},
		{"auto picks multiplicative", true, HWAuto, 0, 0.4, HWMultiplicative},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pts, truth := synth(14, 10*time.Minute, 200, tt.slope, tt.amp, 2, 24*time.Hour, tt.mult, 1)
			m := fitModel(t, pts, Config{Model: ModelHoltWinters, Seasonality: SeasonalityDaily, HoltWinters: tt.form}, nil)
			hw, ok := m.(*HWModel)
			if !ok {
				t.Fatalf("model %T: %s", m, m.Describe())
			}
			if hw.Form() != tt.wantForm {
				t.Errorf("form %s, want %s", hw.Form(), tt.wantForm)
			}
			end := pts[len(pts)-1].T
			for _, h := range []time.Duration{10 * time.Minute, 3 * time.Hour, 9 * time.Hour, 17 * time.Hour} {
				at := end.Add(h)
				e := m.Expect(at)
				if !e.OK || math.Abs(e.Value-truth(at)) > 8 {
					t.Errorf("Expect(+%s) = %.2f, truth %.2f", h, e.Value, truth(at))
				}
				if e.Scale < 1 || e.Scale > 6 {
					t.Errorf("scale %.2f, noise sd 2", e.Scale)
				}
			}
			// The final level (trend included) and the season's swing.
			if want := 200 + tt.slope*14; math.Abs(hw.level-want) > 5 {
				t.Errorf("level %.2f, want ≈ %.1f", hw.level, want)
			}
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, s := range hw.season.V {
				lo, hi = min(lo, s), max(hi, s)
			}
			wantSwing := 2 * tt.amp
			if tt.mult {
				wantSwing = 2 * tt.amp // ratios 1±amp
			}
			if swing := hi - lo; math.Abs(swing-wantSwing) > 0.15*wantSwing {
				t.Errorf("season swing %.3f, want ≈ %.3f", swing, wantSwing)
			}
		})
	}
}

func TestSTLSeparatesTrendAndSeason(t *testing.T) {
	pts, _ := synth(21, 15*time.Minute, 100, 2, 25, 1, 24*time.Hour, false, 2)
	m := fitModel(t, pts, Config{Model: ModelSTL, Seasonality: SeasonalityDaily, LevelShift: LevelShiftConfig{Disable: true}}, nil)
	s, ok := m.(*STLModel)
	if !ok || len(s.seasons) != 1 {
		t.Fatalf("model %T %s", m, m.Describe())
	}
	// The season is the centred sinusoid; the trend the line.
	se := s.seasons[0]
	for ph := 0; ph < se.P; ph += 7 {
		want := 25 * math.Sin(2*math.Pi*float64(ph)/float64(se.P))
		if got := se.V[se.cell(ph)]; math.Abs(got-want) > 1.5 {
			t.Errorf("season[%d] = %.2f, want %.2f", ph, got, want)
		}
	}
	for _, day := range []float64{4, 10, 16} {
		k := int64(day * 96)
		if got, want := s.trendAt(k), 100+2*day; math.Abs(got-want) > 1.5 {
			t.Errorf("trend at day %g = %.2f, want %.2f", day, got, want)
		}
	}
	if e := m.Expect(pts[len(pts)-1].T.Add(6 * time.Hour)); !e.OK || e.Scale < 0.7 || e.Scale > 2 {
		t.Errorf("Expect = %+v, want scale ≈ 1", e)
	}
}

func TestSTLRobustToAnomalies(t *testing.T) {
	pts, truth := synth(14, 10*time.Minute, 100, 0, 25, 1, 24*time.Hour, false, 3)
	for i := 500; i < 560; i++ { // a 10-hour outage at zero
		pts[i].V = 0
	}
	m := fitModel(t, pts, Config{Model: ModelSTL, Seasonality: SeasonalityDaily}, nil)
	at := pts[len(pts)-1].T.Add(24*time.Hour + 0*time.Hour)
	for i := range 24 {
		at := at.Add(time.Duration(i) * time.Hour)
		if e := m.Expect(at); math.Abs(e.Value-truth(at)) > 3 {
			t.Errorf("Expect(%v) = %.2f, truth %.2f", at, e.Value, truth(at))
		}
	}
}

func TestColdStartModels(t *testing.T) {
	pts := gen(t2026, 1, 5*time.Minute, profile, 0.03, 2, 4)
	for _, model := range []string{ModelSTL, ModelHoltWinters} {
		m := fitModel(t, pts, Config{Model: model, Seasonality: SeasonalityWeekly}, nil)
		d := m.Describe()
		if m.Name() != ModelEWMA || !strings.Contains(d, "cold start") || !strings.Contains(d, "non-seasonal EWMA") {
			t.Errorf("%s on one day: %s: %s", model, m.Name(), d)
		}
		if e := m.Expect(pts[len(pts)-1].T.Add(time.Hour)); !e.OK || e.Scale <= 0 {
			t.Errorf("%s: Expect = %+v", model, e)
		}
	}
}

func TestModelAuto(t *testing.T) {
	tests := []struct {
		name   string
		pts    []series.Point
		choice []string // acceptable winners
	}{
		{"weekly business series", gen(t2026, 21, 5*time.Minute, profile, 0.03, 2, 5), []string{ModelSTL, ModelPhase}},
		{"random walk", func() []series.Point {
			rng := rand.New(rand.NewPCG(9, 9))
			pts := make([]series.Point, 3000)
			v := 100.0
			for i := range pts {
				v += rng.NormFloat64()
				pts[i] = series.Point{T: t2026.Add(time.Duration(i) * time.Minute), V: v}
			}
			return pts
		}(), []string{ModelEWMA}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := fitModel(t, tt.pts, Config{Model: ModelAuto, Seasonality: SeasonalityAuto}, nil)
			d := m.Describe()
			if !strings.Contains(d, "model auto chose "+m.Name()) || !strings.Contains(d, "holdout mean absolute error") {
				t.Errorf("Describe = %s", d)
			}
			ok := false
			for _, c := range tt.choice {
				ok = ok || c == m.Name()
			}
			if !ok {
				t.Errorf("auto chose %s, want one of %v: %s", m.Name(), tt.choice, d)
			}
		})
	}
}

func TestLevelShiftReanchors(t *testing.T) {
	pts, truth := synth(7, 5*time.Minute, 100, 0, 20, 1, 24*time.Hour, false, 6)
	m := fitModel(t, pts, Config{Model: ModelSTL, Seasonality: SeasonalityDaily}, nil)
	if _, anchored := m.(*Anchored); anchored {
		t.Fatalf("anchored without a shift: %s", m.Describe())
	}
	cfg := LevelShiftConfig{Window: 30, Fraction: 0.8, K: 3}
	r := NewReanchorer(m, cfg)
	rng := rand.New(rand.NewPCG(1, 2))
	start := pts[len(pts)-1].T.Add(5 * time.Minute)
	alerts, shiftedAt := 0, -1
	for i := range 200 {
		at := start.Add(time.Duration(i) * 5 * time.Minute)
		v := truth(at) + rng.NormFloat64()
		if i >= 20 {
			v += 40 // a sustained shift of 40 noise scales
		}
		e := r.Expect(at)
		if math.Abs(v-e.Value) > 4*e.Scale {
			alerts++
		}
		if r.Push(series.Point{T: at, V: v}) && shiftedAt < 0 {
			shiftedAt = i
		}
	}
	if shiftedAt < 20 || shiftedAt > 20+30 {
		t.Errorf("re-anchored at point %d, want within 30 points of the shift at 20", shiftedAt)
	}
	if alerts > 30 {
		t.Errorf("%d points alerted, want at most the window (30)", alerts)
	}
	if off := r.Offset(); math.Abs(off-40) > 2 {
		t.Errorf("offset %.2f, want ≈ 40", off)
	}
	// Noise alone never re-anchors.
	r = NewReanchorer(m, cfg)
	for i := range 2000 {
		at := start.Add(time.Duration(i) * 5 * time.Minute)
		if r.Push(series.Point{T: at, V: truth(at) + rng.NormFloat64()}) {
			t.Fatalf("re-anchored on noise at point %d", i)
		}
	}

	// A shift inside the history: Fit returns the model re-anchored.
	for _, model := range []string{ModelSTL, ModelPhase} {
		shifted := append([]series.Point(nil), pts...)
		for i := len(shifted) - 100; i < len(shifted); i++ {
			shifted[i].V += 40
		}
		got := fitModel(t, shifted, Config{Model: model, Seasonality: SeasonalityDaily}, nil)
		a, ok := got.(*Anchored)
		if !ok {
			t.Errorf("%s: %T, want *Anchored: %s", model, got, got.Describe())
			continue
		}
		at := shifted[len(shifted)-1].T.Add(time.Hour)
		if e := a.Expect(at); math.Abs(e.Value-(truth(at)+40)) > 5 {
			t.Errorf("%s: anchored Expect %.2f, want ≈ %.2f (%s)", model, e.Value, truth(at)+40, a.Describe())
		}
		if !strings.Contains(a.Describe(), "re-anchored by +") {
			t.Errorf("Describe = %s", a.Describe())
		}
		off := fitModel(t, shifted, Config{Model: model, Seasonality: SeasonalityDaily, LevelShift: LevelShiftConfig{Disable: true}}, nil)
		if _, ok := off.(*Anchored); ok {
			t.Errorf("%s: anchored with level_shift disabled", model)
		}
	}
}

func TestExcludeNoise(t *testing.T) {
	pts, _ := synth(14, 10*time.Minute, 100, 0, 20, 1, 24*time.Hour, false, 7)
	noisy := append([]series.Point(nil), pts...)
	from, to := pts[len(pts)-300].T, pts[len(pts)-200].T
	for i := range noisy {
		if !noisy[i].T.Before(from) && noisy[i].T.Before(to) {
			noisy[i].V *= 5
		}
	}
	var clean []series.Point
	for _, p := range pts {
		if p.T.Before(from) || !p.T.Before(to) {
			clean = append(clean, p)
		}
	}
	for _, model := range []string{ModelPhase, ModelSTL, ModelHoltWinters, ModelEWMA} {
		t.Run(model, func(t *testing.T) {
			cfg := Config{Model: model, Seasonality: SeasonalityDaily}
			want := fitModel(t, clean, cfg, nil)
			cfg.Exclude = []TimeRange{{From: from, To: to}}
			got := fitModel(t, noisy, cfg, nil)
			dirty := fitModel(t, noisy, Config{Model: model, Seasonality: SeasonalityDaily}, nil)
			differs := false
			for i := range 48 {
				at := pts[len(pts)-1].T.Add(time.Duration(i) * 30 * time.Minute)
				a, b, c := got.Expect(at), want.Expect(at), dirty.Expect(at)
				if math.Abs(a.Value-b.Value) > 1e-9*math.Abs(b.Value) || math.Abs(a.Scale-b.Scale) > 1e-9*b.Scale {
					t.Fatalf("Expect(%v) with the range excluded %+v, fitted without it %+v", at, a, b)
				}
				differs = differs || math.Abs(c.Value-b.Value) > 1e-6 || math.Abs(c.Scale-b.Scale) > 1e-6
			}
			if !differs {
				t.Error("the noise range did not change the model when included: the test proves nothing")
			}
		})
	}
}

func TestCalendarModels(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	cal, err := calendar.New(calendar.Config{Sessions: []string{"09:30-11:30", "13:00-15:00"}, Holidays: []string{"2026-10-21"}, HalfDays: []string{"2026-10-23"}}, sh)
	if err != nil {
		t.Fatal(err)
	}
	trades := func(ts time.Time) float64 {
		if !cal.InSession(ts) {
			return 0
		}
		return 500
	}
	start := time.Date(2026, 10, 5, 0, 0, 0, 0, sh)
	pts := gen(start, 21, 5*time.Minute, trades, 0.05, 1, 8)
	for _, model := range []string{ModelSTL, ModelHoltWinters} {
		m := fitModel(t, pts, Config{Model: model, Seasonality: SeasonalityDaily}, cal)
		if !strings.Contains(m.Describe(), "trading calendar") {
			t.Errorf("%s: Describe = %s", model, m.Describe())
		}
		// A holiday at 10:00 expects the quiet non-trading level, a
		// trading day the session level.
		hol := m.Expect(time.Date(2026, 10, 28, 10, 0, 0, 0, sh).AddDate(0, 0, 0))
		_ = hol
		holiday := time.Date(2026, 11, 2, 10, 0, 0, 0, sh) // a Monday after the history
		trading := time.Date(2026, 10, 27, 10, 0, 0, 0, sh)
		sat := time.Date(2026, 10, 31, 10, 0, 0, 0, sh)
		if e := m.Expect(trading); math.Abs(e.Value-500) > 50 {
			t.Errorf("%s: trading day 10:00 expects %+v", model, e)
		}
		if e := m.Expect(sat); math.Abs(e.Value) > 5 || e.Phase != "non-trading 10:00" {
			t.Errorf("%s: Saturday 10:00 expects %+v", model, e)
		}
		_ = holiday
	}
}

func TestBadInput(t *testing.T) {
	start := t2026
	regular := gen(start, 14, 10*time.Minute, dailyShape, 0.02, 1, 9)
	reversed := make([]series.Point, 0, 2*len(regular))
	for i := len(regular) - 1; i >= 0; i-- {
		reversed = append(reversed, regular[i], regular[i])
	}
	withNaN := append([]series.Point(nil), regular...)
	for i := 0; i < len(withNaN); i += 5 {
		withNaN[i].V = []float64{math.NaN(), math.Inf(1), math.Inf(-1)}[i%3]
	}
	huge := append([]series.Point(nil), regular...)
	for i := range huge {
		huge[i].V *= 1e305
	}
	constant := gen(start, 14, 10*time.Minute, func(time.Time) float64 { return 42 }, 0, 0, 1)
	three := regular[:3]
	tests := []struct {
		name    string
		pts     []series.Point
		wantErr error // else the model must judge the next day
		check   func(t *testing.T, e Expectation)
	}{
		{"NaN and Inf", withNaN, nil, nil},
		{"reversed and duplicated", reversed, nil, nil},
		{"huge values", huge, nil, func(t *testing.T, e Expectation) {
			if e.OK && (math.IsInf(e.Value, 0) || e.Value < 1e306) {
				t.Errorf("huge: %+v", e)
			}
		}},
		{"constant", constant, nil, func(t *testing.T, e Expectation) {
			if !e.OK || math.Abs(e.Value-42) > 1e-9 || e.Scale <= 0 || e.Scale > 1 {
				t.Errorf("constant: %+v", e)
			}
		}},
		{"three points", three, ErrNotEnoughData, nil},
		{"empty", nil, ErrNotEnoughData, nil},
	}
	for _, tt := range tests {
		for _, model := range []string{ModelPhase, ModelSTL, ModelHoltWinters, ModelEWMA, ModelAuto} {
			for _, season := range []string{SeasonalityAuto, SeasonalityWeekly} {
				t.Run(tt.name+"/"+model+"/"+season, func(t *testing.T) {
					m, err := Fit(tt.pts, Config{Model: model, Seasonality: season}, nil)
					if tt.wantErr != nil {
						if !errors.Is(err, tt.wantErr) {
							t.Fatalf("err = %v, want %v", err, tt.wantErr)
						}
						return
					}
					if err != nil {
						t.Fatalf("Fit: %v", err)
					}
					at := start.AddDate(0, 0, 15).Add(13 * time.Hour)
					e := m.Expect(at)
					if tt.check != nil {
						tt.check(t, e)
						return
					}
					if model == ModelEWMA { // not seasonal: a level within the range
						if !e.OK || e.Value < 50 || e.Value > 200 {
							t.Errorf("Expect = %+v (%s)", e, m.Describe())
						}
						return
					}
					if !e.OK || math.Abs(e.Value-dailyShape(at)) > 0.2*dailyShape(at) {
						t.Errorf("Expect = %+v, want ≈ %.1f (%s)", e, dailyShape(at), m.Describe())
					}
				})
			}
		}
	}
	// A fixed period longer than half the history is dropped, said so.
	m := fitModel(t, regular, Config{Model: ModelSTL, Periods: []field.Duration{field.Duration(30 * 24 * time.Hour)}}, nil)
	if d := m.Describe(); m.Name() != ModelEWMA || !strings.Contains(d, "shorter than two cycles of the 30d period") {
		t.Errorf("30d period on 14d: %s %s", m.Name(), d)
	}
}

func TestJSONRoundTripModels(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	cal, err := calendar.New(calendar.Config{Sessions: []string{"09:30-11:30", "13:00-15:00"}, Holidays: []string{"2026-10-21"}}, sh)
	if err != nil {
		t.Fatal(err)
	}
	pts := gen(t2026, 21, 5*time.Minute, profile, 0.03, 2, 10)
	shifted := append([]series.Point(nil), pts...)
	for i := len(shifted) - 60; i < len(shifted); i++ {
		shifted[i].V += 5000
	}
	positive := gen(t2026, 14, 10*time.Minute, dailyShape, 0.02, 1, 11)
	tests := []struct {
		name  string
		pts   []series.Point
		cfg   Config
		cal   *calendar.Calendar
		model string
	}{
		{"phase", pts, Config{}, nil, "*baseline.PhaseModel"},
		{"stl weekly", pts, Config{Model: ModelSTL}, nil, "*baseline.STLModel"},
		{"stl calendar", pts, Config{Model: ModelSTL, Seasonality: SeasonalityDaily}, cal, "*baseline.STLModel"},
		{"hw additive", pts, Config{Model: ModelHoltWinters, HoltWinters: HWAdditive, Seasonality: SeasonalityDaily}, nil, "*baseline.HWModel"},
		{"hw multiplicative", positive, Config{Model: ModelHoltWinters, HoltWinters: HWMultiplicative, Seasonality: SeasonalityDaily}, nil, "*baseline.HWModel"},
		{"ewma", pts, Config{Model: ModelEWMA}, nil, "*baseline.EWMAModel"},
		{"anchored", shifted, Config{Model: ModelSTL, Seasonality: SeasonalityDaily}, nil, "*baseline.Anchored"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := fitModel(t, tt.pts, tt.cfg, tt.cal)
			if got := typeName(m); got != tt.model {
				t.Fatalf("model %s, want %s: %s", got, tt.model, m.Describe())
			}
			data, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			got, err := UnmarshalModel(data)
			if err != nil {
				t.Fatalf("UnmarshalModel: %v", err)
			}
			if got.Describe() != m.Describe() || got.Name() != m.Name() {
				t.Errorf("after reload:\n%s\nwant\n%s", got.Describe(), m.Describe())
			}
			for i := range 2000 {
				at := t2026.Add(time.Duration(i)*17*time.Minute + 3*time.Second)
				if a, b := m.Expect(at), got.Expect(at); a != b {
					t.Fatalf("Expect(%v): fitted %+v, reloaded %+v", at, a, b)
				}
			}
			again, _ := json.Marshal(got)
			if string(again) != string(data) {
				t.Error("re-marshalled model differs")
			}
		})
	}
	bad := []string{
		`{"model":"stl","version":1,"step_ns":0}`,
		`{"model":"stl","version":1,"step_ns":60000000000,"n":10,"knot_step":1,"knots":[1],"level":1,"scale":{"p":1,"v":[1]}}`,
		`{"model":"holt_winters","version":1,"step_ns":60000000000,"form":"cubic"}`,
		`{"model":"ewma","version":1,"step_ns":60000000000,"scale":-1}`,
		`{"model":"anchored","offset":1,"base":{"model":"anchored","offset":1,"base":{}}}`,
		`{"model":"arima"}`,
	}
	for _, b := range bad {
		if _, err := UnmarshalModel([]byte(b)); err == nil {
			t.Errorf("UnmarshalModel(%s) accepted bad input", b)
		}
	}
}

func typeName(m Model) string {
	switch m.(type) {
	case *PhaseModel:
		return "*baseline.PhaseModel"
	case *STLModel:
		return "*baseline.STLModel"
	case *HWModel:
		return "*baseline.HWModel"
	case *EWMAModel:
		return "*baseline.EWMAModel"
	case *Anchored:
		return "*baseline.Anchored"
	}
	return "?"
}

func TestExpectDoesNotAllocate(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	cal, _ := calendar.New(calendar.Config{Sessions: []string{"09:30-11:30", "13:00-15:00"}}, sh)
	pts := gen(t2026, 14, 5*time.Minute, profile, 0.03, 2, 12)
	for _, cfg := range []Config{{}, {Model: ModelSTL}, {Model: ModelHoltWinters}, {Model: ModelEWMA}} {
		for _, c := range []*calendar.Calendar{nil, cal} {
			m := fitModel(t, pts, cfg, c)
			r := NewReanchorer(m, LevelShiftConfig{})
			at := t2026.AddDate(0, 0, 15)
			if n := testing.AllocsPerRun(100, func() {
				at = at.Add(time.Minute)
				m.Expect(at)
				r.Push(series.Point{T: at, V: 1})
			}); n != 0 {
				t.Errorf("%s (calendar %v): %.0f allocations per Expect+Push", m.Name(), c != nil, n)
			}
		}
	}
}

func TestConfigYAML(t *testing.T) {
	tests := []struct {
		in   string
		want Config
		err  string
	}{
		{"seasonality: auto\nmodel: stl", Config{Seasonality: "auto", Model: "stl"}, ""},
		{"seasonality: [1d, 7d]\nmodel: holt_winters\nholt_winters: multiplicative", Config{Seasonality: "periods",
			Periods: []field.Duration{field.Duration(24 * time.Hour), field.Duration(7 * 24 * time.Hour)}, Model: "holt_winters", HoltWinters: "multiplicative"}, ""},
		{"seasonality: weekly\nbucket: 30m\nmin_samples: 5\ntimezone: UTC\nlevel_shift: {window: 20, fraction: 0.9, k: 4}",
			Config{Seasonality: "weekly", Bucket: field.Duration(30 * time.Minute), MinSamples: 5, Timezone: "UTC", LevelShift: LevelShiftConfig{Window: 20, Fraction: 0.9, K: 4}}, ""},
		{"seasonality: [1x]", Config{}, "invalid duration"},
		{"seasonality: {a: 1}", Config{}, "seasonality: expected"},
		{"sesonality: auto", Config{}, "field sesonality not found"},
	}
	for _, tt := range tests {
		var c Config
		dec := yaml.NewDecoder(strings.NewReader(tt.in))
		dec.KnownFields(true)
		err := dec.Decode(&c)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: err = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if c.Seasonality != tt.want.Seasonality || c.Model != tt.want.Model || c.HoltWinters != tt.want.HoltWinters || c.Bucket != tt.want.Bucket ||
			c.MinSamples != tt.want.MinSamples || c.Timezone != tt.want.Timezone || c.LevelShift != tt.want.LevelShift || len(c.Periods) != len(tt.want.Periods) {
			t.Errorf("%q: got %+v, want %+v", tt.in, c, tt.want)
		}
		out, err := yaml.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		var back Config
		if err := yaml.Unmarshal(out, &back); err != nil || back.Seasonality != c.Seasonality || len(back.Periods) != len(c.Periods) {
			t.Errorf("%q: YAML round trip %q gave %+v (%v)", tt.in, out, back, err)
		}
		c.ApplyDefaults()
		if err := c.Validate(); err != nil {
			t.Errorf("%q: Validate: %v", tt.in, err)
		}
	}
	bad := []Config{{Model: "arima"}, {HoltWinters: "cubic"}, {Seasonality: "periods"}, {Seasonality: "daily", Periods: []field.Duration{1}},
		{LevelShift: LevelShiftConfig{Fraction: 0.3}}, {Exclude: []TimeRange{{From: t2026, To: t2026}}}}
	for _, c := range bad {
		c.ApplyDefaults()
		if c.Validate() == nil {
			t.Errorf("Validate(%+v) accepted", c)
		}
	}
}
