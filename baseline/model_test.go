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
)

// profile is a deterministic business-activity shape: quiet nights, a
// working-hours plateau, Mondays 30% busier, weekends low.
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

// gen samples f every step for days days from start, with Gaussian noise
// of relative size rel plus absolute size abs, from a seeded PCG.
func gen(start time.Time, days int, step time.Duration, f func(time.Time) float64, rel, abs float64, seed uint64) []series.Point {
	rng := rand.New(rand.NewPCG(seed, 0x5e15))
	n := int(time.Duration(days) * 24 * time.Hour / step)
	pts := make([]series.Point, n)
	for i := range pts {
		t := start.Add(time.Duration(i) * step)
		v := f(t)
		pts[i] = series.Point{T: t, V: v + rng.NormFloat64()*(rel*math.Abs(v)+abs)}
	}
	return pts
}

func defaults(c Config) Config {
	c.ApplyDefaults()
	return c
}

func mustFit(t testing.TB, pts []series.Point, cfg Config, cal *calendar.Calendar) *PhaseModel {
	t.Helper()
	m, err := FitPhase(pts, cfg, cal)
	if err != nil {
		t.Fatalf("Fit: %v", err)
	}
	return m
}

func TestConfig(t *testing.T) {
	var c Config
	c.ApplyDefaults()
	if c.Seasonality != "weekly" || c.Bucket.Std() != 15*time.Minute || c.MinSamples != 8 {
		t.Fatalf("defaults = %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	tests := []struct {
		name string
		cfg  Config
		path string
		msg  string
	}{
		{"seasonality", Config{Seasonality: "hourly"}, "seasonality", "unknown seasonality"},
		{"bucket too small", Config{Bucket: field.Duration(30 * time.Second)}, "bucket", "shorter than 1m"},
		{"bucket does not divide", Config{Bucket: field.Duration(7 * time.Minute)}, "bucket", "divide 24h"},
		{"bucket longer than a day", Config{Bucket: field.Duration(48 * time.Hour)}, "bucket", "divide 24h"},
		{"min samples", Config{MinSamples: 2}, "min_samples", "at least 3"},
		{"timezone", Config{Timezone: "Nowhere/Land"}, "timezone", "unknown time zone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := defaults(tt.cfg)
			err := cfg.Validate()
			var list field.List
			if !errors.As(err, &list) || len(list) != 1 {
				t.Fatalf("Validate = %v, want one field error", err)
			}
			if list[0].Path != tt.path || !strings.Contains(list[0].Error(), tt.msg) {
				t.Errorf("got %q at %q, want %q at %q", list[0].Error(), list[0].Path, tt.msg, tt.path)
			}
			if _, err := Fit(gen(time.Unix(0, 0), 3, time.Hour, profile, 0, 1, 1), tt.cfg, nil); err == nil {
				t.Error("Fit accepted an invalid config")
			}
		})
	}
}

func TestWeeklyLearnsProfile(t *testing.T) {
	start := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC) // a Monday
	pts := gen(start, 28, time.Minute, profile, 0.03, 2, 1)
	m := mustFit(t, pts, defaults(Config{}), nil)
	if m.Seasonality() != "weekly" {
		t.Fatalf("seasonality = %s", m.Seasonality())
	}
	// Future instants at various phases: the expectation tracks the
	// profile within a few noise scales, and the scale is about the noise.
	future := start.AddDate(0, 0, 28)
	for _, off := range []time.Duration{3 * time.Hour, 10 * time.Hour, 13*time.Hour + 7*time.Minute, 24*time.Hour + 12*time.Hour, 5*24*time.Hour + 12*time.Hour} {
		at := future.Add(off)
		e := m.Expect(at)
		want := profile(at)
		// The bucket spans 15 minutes of a moving profile, so allow the
		// profile's change across a bucket on top of the noise.
		tol := 4*(0.03*want+2) + math.Abs(profile(at.Add(7*time.Minute))-profile(at.Add(-7*time.Minute)))
		if !e.OK || math.Abs(e.Value-want) > tol {
			t.Errorf("Expect(%v) = %+v, want value %.1f ± %.1f", at, e, want, tol)
		}
		if e.Scale <= 0 || e.Scale > 3*(0.03*want+2)+tol {
			t.Errorf("Expect(%v).Scale = %.2f, noise sd %.2f", at, e.Scale, 0.03*want+2)
		}
		if e.Source != "bucket" || e.Samples != 4*15 {
			t.Errorf("Expect(%v): source %s samples %d, want bucket with 60 samples", at, e.Source, e.Samples)
		}
	}
	// Weekly seasonality separates Monday from Tuesday at noon.
	mon, tue := m.Expect(future.Add(12*time.Hour)), m.Expect(future.Add(36*time.Hour))
	if mon.Value < 1.2*tue.Value || mon.Phase != "mon 12:00" || tue.Phase != "tue 12:00" {
		t.Errorf("monday %+v vs tuesday %+v", mon, tue)
	}
	if d := m.Describe(); !strings.Contains(d, "weekly seasonality") || !strings.Contains(d, "672 buckets: 672 own samples") {
		t.Errorf("Describe = %q", d)
	}
}

func TestRobustToPastAnomalies(t *testing.T) {
	start := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)
	clean := gen(start, 28, time.Minute, profile, 0.03, 2, 2)
	dirty := gen(start, 28, time.Minute, profile, 0.03, 2, 2)
	// A past outage: one Wednesday afternoon went to zero for 2 hours.
	for i := range dirty {
		if lt := dirty[i].T; lt.Day() == 14 && lt.Hour() >= 13 && lt.Hour() < 15 {
			dirty[i].V = 0
		}
	}
	mc, md := mustFit(t, clean, defaults(Config{}), nil), mustFit(t, dirty, defaults(Config{}), nil)
	at := time.Date(2026, 11, 4, 14, 0, 0, 0, time.UTC) // a later Wednesday
	ec, ed := mc.Expect(at), md.Expect(at)
	if math.Abs(ec.Value-ed.Value) > ec.Scale {
		t.Errorf("one bad day in four moved the median by more than one scale: clean %+v dirty %+v", ec, ed)
	}
}

func TestColdStart(t *testing.T) {
	start := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		days   int
		season string
		want   string
		note   string
	}{
		{"two weeks is weekly", 14, "weekly", "weekly", ""},
		{"ten days weekly falls to daily", 10, "weekly", "daily", "10d of history is shorter than the two weeks weekly seasonality needs; using daily seasonality"},
		{"one day falls to global", 1, "weekly", "none", "1d of history is shorter than the two weeks weekly seasonality needs; using the global median"},
		{"one day daily falls to global", 1, "daily", "none", "1d of history is shorter than the two days daily seasonality needs; using the global median"},
		{"two days daily", 2, "daily", "daily", ""},
		{"none stays none", 28, "none", "none", ""},
		{"auto", 28, "auto", "weekly", "seasonality auto found 1d (strength"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pts := gen(start, tt.days, 5*time.Minute, profile, 0.03, 2, 3)
			m := mustFit(t, pts, defaults(Config{Seasonality: tt.season}), nil)
			if m.Seasonality() != tt.want {
				t.Errorf("seasonality = %s, want %s", m.Seasonality(), tt.want)
			}
			d := m.Describe()
			if tt.note != "" && !strings.Contains(d, tt.note) {
				t.Errorf("Describe = %q, want it to mention %q", d, tt.note)
			}
			if tt.note == "" && strings.Contains(d, "cold start") {
				t.Errorf("Describe = %q mentions a cold start", d)
			}
			e := m.Expect(start.Add(time.Duration(tt.days)*24*time.Hour + 12*time.Hour))
			if !e.OK || e.Scale <= 0 {
				t.Errorf("Expect = %+v", e)
			}
			if tt.want == "none" && (e.Source != "global" || e.Phase != "all") {
				t.Errorf("global model Expect = %+v", e)
			}
		})
	}
}

func TestFallbacks(t *testing.T) {
	start := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)
	// Hourly samples in 1h buckets for four weeks: each weekday bucket has
	// 4 samples, below MinSamples 5; with its two neighbours it has 12.
	pts := gen(start, 28, time.Hour, profile, 0.03, 2, 4)
	m := mustFit(t, pts, defaults(Config{MinSamples: 5, Bucket: field.Duration(time.Hour)}), nil)
	at := time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC) // Monday 12:00
	e := m.Expect(at)
	if e.Source != "neighbours" || e.Samples != 12 {
		t.Errorf("Monday 12:00 with 4 own samples: %+v, want neighbours with 12", e)
	}
	if d := m.Describe(); !strings.Contains(d, "fell back to neighbours") {
		t.Errorf("Describe = %q", d)
	}

	// Eight weeks: 8 own samples, 24 with neighbours; MinSamples 30 forces
	// pooling across the seven weekdays (56), MinSamples 100 the global.
	pts = gen(start, 56, time.Hour, profile, 0.03, 2, 5)
	m = mustFit(t, pts, defaults(Config{MinSamples: 30, Bucket: field.Duration(time.Hour)}), nil)
	if e := m.Expect(at); e.Source != "pooled" || e.Samples != 56 {
		t.Errorf("pooled: %+v, want pooled with 56", e)
	}
	m = mustFit(t, pts, defaults(Config{MinSamples: 100, Bucket: field.Duration(time.Hour)}), nil)
	if e := m.Expect(at); e.Source != "global" || e.Samples != len(pts) {
		t.Errorf("global: %+v, want global with %d", e, len(pts))
	}
	if d := m.Describe(); !strings.Contains(d, "168 fell back to global (mon 24, tue 24,") {
		t.Errorf("Describe = %q", d)
	}
}

func TestCalendarClasses(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	cal, err := calendar.New(calendar.Config{
		Sessions: []string{"09:30-11:30", "13:00-15:00"},
		Holidays: []string{"2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07"},
		HalfDays: []string{"2026-10-09"},
	}, sh)
	if err != nil {
		t.Fatal(err)
	}
	trades := func(t time.Time) float64 {
		lt := t.In(sh)
		if !cal.InSession(lt) {
			return 0
		}
		return 500
	}
	start := time.Date(2026, 9, 14, 0, 0, 0, 0, sh)
	pts := gen(start, 35, time.Minute, trades, 0.05, 1, 6)
	m := mustFit(t, pts, defaults(Config{}), cal)
	want := "mon, tue, wed, thu, fri, half-day, non-trading"
	if got := strings.Join(m.classes, ", "); got != want {
		t.Fatalf("classes = %s, want %s", got, want)
	}
	// A future holiday at 10:00 is compared with non-trading days (≈0),
	// a trading Thursday at 10:00 with Thursdays (≈500).
	cal2, _ := calendar.New(calendar.Config{Sessions: cal.Config().Sessions, Holidays: []string{"2026-10-22"}}, sh)
	m2 := mustFit(t, pts, defaults(Config{}), cal2)
	hol := m2.Expect(time.Date(2026, 10, 22, 10, 0, 0, 0, sh))
	thu := m2.Expect(time.Date(2026, 10, 29, 10, 0, 0, 0, sh))
	if hol.Phase != "non-trading 10:00" || math.Abs(hol.Value) > 5 {
		t.Errorf("holiday expectation %+v, want non-trading ≈ 0", hol)
	}
	if thu.Phase != "thu 10:00" || math.Abs(thu.Value-500) > 25 {
		t.Errorf("thursday expectation %+v, want ≈ 500", thu)
	}
	// The one half day in history gives 15 samples per bucket in its
	// morning; its afternoon is quiet: 14:00 borrows nothing from trading.
	halfAM := m.Expect(time.Date(2026, 10, 9, 10, 0, 0, 0, sh))
	if halfAM.Phase != "half-day 10:00" || math.Abs(halfAM.Value-500) > 25 || halfAM.Source != "bucket" {
		t.Errorf("half day morning %+v", halfAM)
	}
	calHD, _ := calendar.New(calendar.Config{Sessions: cal.Config().Sessions, HalfDays: []string{"2026-12-31"}}, sh)
	mHD := mustFit(t, pts, defaults(Config{}), calHD) // no half day in the history
	am, pm := mHD.Expect(time.Date(2026, 12, 31, 10, 0, 0, 0, sh)), mHD.Expect(time.Date(2026, 12, 31, 14, 0, 0, 0, sh))
	if am.Source != "pooled" || math.Abs(am.Value-500) > 25 {
		t.Errorf("half day morning without history: %+v, want pooled trading ≈ 500", am)
	}
	if pm.Source != "pooled" || math.Abs(pm.Value) > 5 {
		t.Errorf("half day afternoon without history: %+v, want non-trading ≈ 0", pm)
	}
	// Daily seasonality with a calendar keeps the trading/non-trading split.
	md := mustFit(t, pts, defaults(Config{Seasonality: "daily"}), cal2)
	if e := md.Expect(time.Date(2026, 10, 22, 10, 0, 0, 0, sh)); e.Phase != "non-trading 10:00" || math.Abs(e.Value) > 5 {
		t.Errorf("daily holiday expectation %+v", e)
	}
}

func TestScaleFloor(t *testing.T) {
	start := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)
	constant := func(v float64) func(time.Time) float64 { return func(time.Time) float64 { return v } }
	tests := []struct {
		name  string
		pts   []series.Point
		at    time.Time
		value float64
		scale float64
	}{
		{"constant 200", gen(start, 28, time.Minute, constant(200), 0, 0, 7), start.AddDate(0, 0, 30), 200, RelativeScaleFloor * 200},
		{"constant 0.5", gen(start, 28, time.Minute, constant(0.5), 0, 0, 7), start.AddDate(0, 0, 30), 0.5, RelativeScaleFloor * 0.5},
		{"constant 0: integers", gen(start, 28, time.Minute, constant(0), 0, 0, 7), start.AddDate(0, 0, 30), 0, QuantumScaleFloor},
		{"constant 0 global: integers", gen(start, 1, time.Minute, constant(0), 0, 0, 7), start.AddDate(0, 0, 30), 0, QuantumScaleFloor},
		{"constant tiny", gen(start, 28, time.Minute, constant(1e-12), 0, 0, 7), start.AddDate(0, 0, 30), 1e-12, MinScale},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := mustFit(t, tt.pts, defaults(Config{}), nil).Expect(tt.at)
			if e.Value != tt.value || math.Abs(e.Scale-tt.scale) > 1e-12 {
				t.Errorf("Expect = %+v, want value %g scale %g", e, tt.value, tt.scale)
			}
		})
	}
	// Zero at night in a busy series: the night bucket's MAD is 0, and its
	// scale is GlobalScaleFloor of the global robust scale.
	busy := func(t time.Time) float64 {
		if h := t.Hour(); h >= 8 && h < 20 {
			return 1000
		}
		return 0
	}
	pts := gen(start, 28, time.Minute, busy, 0.02, 0, 8) // noise proportional: nights stay exactly 0
	m := mustFit(t, pts, defaults(Config{}), nil)
	night := m.Expect(start.AddDate(0, 0, 30).Add(3 * time.Hour))
	gs := robustScaleOf(series.Values(pts))
	if night.Value != 0 || math.Abs(night.Scale-GlobalScaleFloor*gs) > 1e-9 || night.Scale < 1 {
		t.Errorf("night %+v, want scale %g", night, GlobalScaleFloor*gs)
	}
}

func robustScaleOf(v []float64) float64 {
	s, _ := summarize(append([]float64(nil), v...), nil)
	return s.scale
}

func TestRobustScale(t *testing.T) {
	tests := []struct {
		v    []float64
		want float64
	}{
		{[]float64{1, 2, 3, 4, 100}, 1.4826},               // MAD 1
		{[]float64{0, 0, 0, 0, 0, 0, 10}, 1.2533 * 10 / 7}, // MAD 0: mean absolute deviation
		{[]float64{5, 5, 5}, 0},
	}
	for _, tt := range tests {
		if got := robustScaleOf(tt.v); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("robustScale(%v) = %g, want %g", tt.v, got, tt.want)
		}
	}
}

func TestNaNAndErrors(t *testing.T) {
	start := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)
	pts := gen(start, 28, 5*time.Minute, profile, 0.03, 2, 9)
	clean := mustFit(t, pts, defaults(Config{}), nil)
	dirty := append([]series.Point(nil), pts...)
	for i := 0; i < len(dirty); i += 7 {
		dirty[i].V = []float64{math.NaN(), math.Inf(1), math.Inf(-1)}[i%3]
	}
	m := mustFit(t, dirty, defaults(Config{}), nil)
	e, ec := m.Expect(start.AddDate(0, 0, 29).Add(12*time.Hour)), clean.Expect(start.AddDate(0, 0, 29).Add(12*time.Hour))
	if !e.OK || math.IsNaN(e.Value) || math.IsNaN(e.Scale) || math.Abs(e.Value-ec.Value) > 2*ec.Scale {
		t.Errorf("with NaN/Inf: %+v, clean %+v", e, ec)
	}
	nan := []series.Point{{T: start, V: math.NaN()}, {T: start.Add(time.Minute), V: math.NaN()}}
	if _, err := Fit(nan, Config{}, nil); !errors.Is(err, ErrNotEnoughData) {
		t.Errorf("all NaN: err = %v, want ErrNotEnoughData", err)
	}
	if _, err := Fit(nil, Config{}, nil); !errors.Is(err, ErrNotEnoughData) {
		t.Errorf("empty: err = %v", err)
	}
	// Unsorted and duplicated input still fits (values only go to keys).
	rev := make([]series.Point, 0, 2*len(pts))
	for i := len(pts) - 1; i >= 0; i-- {
		rev = append(rev, pts[i], pts[i])
	}
	if m := mustFit(t, rev, defaults(Config{}), nil); m.Seasonality() != "weekly" {
		t.Errorf("reversed input: seasonality %s", m.Seasonality())
	}
}

func TestDST(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	// Activity follows New York office hours across the November DST
	// change; buckets in the local zone keep 10:00 at 10:00.
	start := time.Date(2026, 10, 19, 0, 0, 0, 0, ny)
	local := func(t time.Time) float64 {
		lt := t.In(ny)
		return profile(time.Date(2026, 11, 17, lt.Hour(), lt.Minute(), 0, 0, time.UTC)) // every day a Tuesday
	}
	pts := gen(start, 28, 5*time.Minute, local, 0.02, 1, 10)
	m := mustFit(t, pts, defaults(Config{Timezone: "America/New_York", Seasonality: "daily"}), nil)
	for _, day := range []int{16, 17} { // after the change on 2026-11-01
		at := time.Date(2026, 11, day, 13, 0, 0, 0, ny)
		if e := m.Expect(at); math.Abs(e.Value-local(at)) > 0.1*local(at) || e.Phase != "all 13:00" {
			t.Errorf("Expect(%v) = %+v, want ≈ %.0f", at, e, local(at))
		}
	}
	// Buckets in UTC would smear the pattern by an hour across the change.
	utc := mustFit(t, pts, defaults(Config{Seasonality: "daily"}), nil)
	if !strings.Contains(utc.Describe(), "in UTC") || !strings.Contains(m.Describe(), "in America/New_York") {
		t.Errorf("Describe does not name the zone: %q / %q", utc.Describe(), m.Describe())
	}
}

func TestJSONRoundTrip(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	cal, err := calendar.New(calendar.Config{Sessions: []string{"09:30-11:30", "13:00-15:00"}, Holidays: []string{"2026-10-01"}, HalfDays: []string{"2026-10-30"}}, sh)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 9, 14, 0, 0, 0, 0, sh)
	tests := []struct {
		name string
		days int
		cfg  Config
		cal  *calendar.Calendar
	}{
		{"weekly", 28, Config{}, nil},
		{"weekly calendar", 28, Config{}, cal},
		{"daily 1m buckets", 5, Config{Seasonality: "daily", Bucket: field.Duration(time.Minute), Timezone: "Europe/Berlin"}, nil},
		{"cold start global", 1, Config{}, cal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pts := gen(start, tt.days, 5*time.Minute, profile, 0.03, 2, 11)
			m := mustFit(t, pts, defaults(tt.cfg), tt.cal)
			data, err := json.Marshal(m)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			got, err := UnmarshalModel(data)
			if err != nil {
				t.Fatalf("UnmarshalModel: %v", err)
			}
			if got.Describe() != m.Describe() || got.Name() != m.Name() {
				t.Errorf("Describe after reload:\n%s\nwant\n%s", got.Describe(), m.Describe())
			}
			for i := 0; i < 14*24*4; i++ {
				at := start.AddDate(0, 0, 14).Add(time.Duration(i)*15*time.Minute + 7*time.Minute)
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
		`not json`,
		`{"kind":"arima","version":1}`,
		`{"kind":"phase","version":2}`,
		`{"kind":"phase","version":1,"seasonality":"weekly","bucket":"7m","timezone":"UTC"}`,
		`{"kind":"phase","version":1,"seasonality":"none","bucket":"15m","timezone":"UTC","classes":["all"],"global":[1,0,1,3],"cells":[[[1,0,1,3]]]}`,
		`{"kind":"phase","version":1,"seasonality":"none","bucket":"15m","timezone":"UTC","classes":["mon"],"global":[1,1,1,3],"cells":[[[1,1,1,3]]]}`,
		`{"kind":"phase","version":1,"seasonality":"daily","bucket":"15m","timezone":"UTC","classes":["all"],"global":[1,1,1,3],"cells":[[[1,1,1,3]]]}`,
	}
	for _, b := range bad {
		if _, err := UnmarshalModel([]byte(b)); err == nil {
			t.Errorf("UnmarshalModel(%s) accepted bad input", b)
		}
	}
}

func BenchmarkFit(b *testing.B) {
	start := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)
	pts := gen(start, 28, time.Minute, profile, 0.03, 2, 12) // 40320 points
	cfg := defaults(Config{})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Fit(pts, cfg, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFitCalendar(b *testing.B) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	cal, _ := calendar.New(calendar.Config{Sessions: []string{"09:30-11:30", "13:00-15:00"}, Holidays: []string{"2026-10-01"}}, sh)
	pts := gen(time.Date(2026, 9, 14, 0, 0, 0, 0, sh), 28, time.Minute, profile, 0.03, 2, 13)
	cfg := defaults(Config{})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Fit(pts, cfg, cal); err != nil {
			b.Fatal(err)
		}
	}
}

func TestScaleIsLocal(t *testing.T) {
	// A flat series whose 09:30 bucket (an opening auction) is far
	// noisier than the rest: it keeps its own wide scale, and its
	// neighbours do not inherit it (the pooled residual is a median).
	start := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(3, 4))
	pts := gen(start, 28, 5*time.Minute, func(time.Time) float64 { return 100 }, 0, 2, 14)
	for i := range pts {
		if h, m, _ := pts[i].T.Clock(); h == 9 && m >= 30 && m < 45 {
			pts[i].V = 100 + 50*rng.NormFloat64()
		}
	}
	m := mustFit(t, pts, defaults(Config{Seasonality: "daily"}), nil)
	day := start.AddDate(0, 0, 30)
	auction := m.Expect(day.Add(9*time.Hour + 35*time.Minute))
	before, after := m.Expect(day.Add(9*time.Hour+20*time.Minute)), m.Expect(day.Add(9*time.Hour+50*time.Minute))
	if auction.Scale < 35 || auction.Scale > 70 {
		t.Errorf("auction bucket scale %.1f, want ≈ 50", auction.Scale)
	}
	for _, e := range []Expectation{before, after} {
		if e.Scale < 1.5 || e.Scale > 3 {
			t.Errorf("%s scale %.1f, want ≈ 2", e.Phase, e.Scale)
		}
	}
}

func TestTailScale(t *testing.T) {
	// 70 values at 0 and 30 at 100: the MAD is 0, the tail scale covers
	// the hundreds.
	v := make([]float64, 100)
	for i := 70; i < 100; i++ {
		v[i] = 100
	}
	if got := tailScale(v, 0); math.Abs(got-100/z99) > 1e-9 {
		t.Errorf("tailScale = %g, want %g", got, 100/z99)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	g := make([]float64, 100000)
	for i := range g {
		g[i] = 10 + 3*rng.NormFloat64()
	}
	if got := tailScale(g, 10); math.Abs(got-3) > 0.1 {
		t.Errorf("tailScale of N(10, 3) = %g, want ≈ 3", got)
	}
}

func TestCountsKeepUnitScale(t *testing.T) {
	// A count series that is 0 at night with the odd 1 or 2 (Poisson, mean
	// 0.1): the night buckets' MAD is 0, but integer data keeps a scale of
	// at least one unit, so a 1 is not an outlier; a large count still is.
	start := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(7, 8))
	var pts []series.Point
	for i := range 28 * 24 * 60 {
		ts := start.Add(time.Duration(i) * time.Minute)
		mean := 0.1
		if h := ts.Hour(); h >= 9 && h < 17 {
			mean = 30
		}
		pts = append(pts, series.Point{T: ts, V: poisson(rng, mean)})
	}
	m := mustFit(t, pts, defaults(Config{}), nil)
	night := m.Expect(start.AddDate(0, 0, 28).Add(3 * time.Hour))
	if night.Value != 0 || night.Scale != QuantumScaleFloor {
		t.Errorf("night %+v, want 0 with scale 1", night)
	}
	day := m.Expect(start.AddDate(0, 0, 28).Add(12 * time.Hour))
	if math.Abs(day.Value-30) > 2 || day.Scale < math.Sqrt(day.Value) || day.Scale > 8 {
		t.Errorf("day %+v, want ≈ 30 with scale at least sqrt(30)", day)
	}
	if d := m.Describe(); !strings.Contains(d, "integer values") {
		t.Errorf("Describe = %q", d)
	}
}

// poisson draws a Poisson variate by inversion (small means only).
func poisson(rng *rand.Rand, mean float64) float64 {
	u, p, k := rng.Float64(), math.Exp(-mean), 0
	for c := p; u > c; c += p {
		k++
		p *= mean / float64(k)
	}
	return float64(k)
}
