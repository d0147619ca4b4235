package datasets_test

import (
	"github.com/prometheus/common/model"
	"math"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/baseline/calendar"
	"github.com/seismo-dev/seismo/datasets"
	"github.com/seismo-dev/seismo/series"
)

// cst is China Standard Time; China has no daylight saving time.
var cst = time.FixedZone("CST", 8*60*60)

// holiday is a Wednesday that testCalendar declares a holiday.
var holiday = time.Date(2026, 3, 18, 0, 0, 0, 0, cst)

// testCalendar is the demo's cn-stock calendar with one weekday holiday.
func testCalendar(t testing.TB, holidays ...time.Time) *calendar.Calendar {
	t.Helper()
	cfg := calendar.Config{
		Sessions: []string{"09:30-11:30", "13:00-15:00"},
		Weekdays: []string{"mon", "tue", "wed", "thu", "fri"},
	}
	for _, h := range holidays {
		cfg.Holidays = append(cfg.Holidays, h.Format(time.DateOnly))
	}
	cal, err := calendar.New(cfg, cst)
	if err != nil {
		t.Fatalf("calendar: %v", err)
	}
	return cal
}

func seriesNamed(t testing.TB, d *datasets.Demo, kv ...string) labels.Labels {
	t.Helper()
	want := labels.FromStrings(kv...)
	for _, ls := range d.Series() {
		if labels.Equal(ls, want) {
			return ls
		}
	}
	t.Fatalf("no demo series %s", want)
	return labels.EmptyLabels()
}

func TestSeries(t *testing.T) {
	d := datasets.NewDemo(42, nil)
	want := []string{
		`{__name__="account_openings", channel="app"}`,
		`{__name__="account_openings", channel="web"}`,
		`{__name__="account_openings", channel="branch"}`,
		`{__name__="trade_count", market="sh"}`,
		`{__name__="trade_count", market="sz"}`,
		`{__name__="order_latency_ms", system="oms"}`,
	}
	got := d.Series()
	if len(got) != len(want) {
		t.Fatalf("got %d series, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("series %d = %s, want %s", i, got[i], want[i])
		}
	}
	if d.Calendar() == nil || d.Calendar().Location().String() != "CST" {
		t.Errorf("default calendar location = %v, want the fixed CST zone", d.Calendar().Location())
	}
}

// TestRangeDeterministic checks that values depend only on (seed, series,
// instant): overlapping ranges from separate Demo values agree, a live feed
// built minute by minute agrees, and another seed gives other data.
func TestRangeDeterministic(t *testing.T) {
	cal := testCalendar(t, holiday)
	a, b := datasets.NewDemo(42, cal), datasets.NewDemo(42, testCalendar(t, holiday))
	other := datasets.NewDemo(43, cal)
	t0 := time.Date(2026, 3, 16, 0, 0, 0, 0, cst)
	for _, ls := range a.Series() {
		t.Run(ls.String(), func(t *testing.T) {
			first := a.Range(ls, t0, t0.Add(3*24*time.Hour), time.Minute)
			second := b.Range(ls, t0.Add(36*time.Hour), t0.Add(5*24*time.Hour), time.Minute)
			byTime := map[int64]float64{}
			for _, p := range first {
				byTime[p.T.Unix()] = p.V
			}
			overlap := 0
			for _, p := range second {
				if v, ok := byTime[p.T.Unix()]; ok {
					overlap++
					if v != p.V {
						t.Fatalf("%s: %g in the first range, %g in the second", p.T, v, p.V)
					}
				}
			}
			if want := 36*60 + 1; overlap != want {
				t.Errorf("overlap of %d points, want %d", overlap, want)
			}

			// A live feed asks for a few minutes at a time.
			for i := 0; i < 120; i += 7 {
				from := t0.Add(24*time.Hour + 9*time.Hour + time.Duration(i)*time.Minute)
				for _, p := range b.Range(ls, from, from.Add(6*time.Minute), time.Minute) {
					if v := byTime[p.T.Unix()]; v != p.V {
						t.Fatalf("live %s: %g, range said %g", p.T, p.V, v)
					}
				}
			}

			// Another seed: most non-zero points differ.
			diff, nonzero := 0, 0
			for i, p := range other.Range(ls, t0, t0.Add(3*24*time.Hour), time.Minute) {
				if p.V != 0 || first[i].V != 0 {
					nonzero++
					if p.V != first[i].V {
						diff++
					}
				}
			}
			if nonzero == 0 || float64(diff) < 0.5*float64(nonzero) {
				t.Errorf("seed 43 differs from seed 42 at %d of %d non-zero points", diff, nonzero)
			}
		})
	}
	win := [2]time.Time{t0, t0.Add(7 * 24 * time.Hour)}
	if sameAnomalies(a.Anomalies(win[0], win[1]), other.Anomalies(win[0], win[1])) {
		t.Error("seeds 42 and 43 inject the same anomalies")
	}
	if !sameAnomalies(a.Anomalies(win[0], win[1]), b.Anomalies(win[0], win[1])) {
		t.Error("seed 42 injects different anomalies on two calls")
	}
}

func sameAnomalies(x, y []datasets.Injected) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if !labels.Equal(x[i].Labels, y[i].Labels) || x[i].Kind != y[i].Kind || !x[i].Start.Equal(y[i].Start) || !x[i].End.Equal(y[i].End) {
			return false
		}
	}
	return true
}

func TestRangeArguments(t *testing.T) {
	d := datasets.NewDemo(42, nil)
	ls := seriesNamed(t, d, "__name__", "trade_count", "market", "sh")
	at := time.Date(2026, 3, 16, 10, 0, 0, 0, cst)
	tests := []struct {
		name       string
		ls         labels.Labels
		start, end time.Time
		step       time.Duration
		wantLen    int
		wantFirst  time.Time
	}{
		{"unknown series", labels.FromStrings("__name__", "trade_count"), at, at.Add(time.Hour), time.Minute, 0, time.Time{}},
		{"extra label", labels.FromStrings("__name__", "trade_count", "market", "sh", "x", "y"), at, at.Add(time.Hour), time.Minute, 0, time.Time{}},
		{"zero step", ls, at, at.Add(time.Hour), 0, 0, time.Time{}},
		{"negative step", ls, at, at.Add(time.Hour), -time.Minute, 0, time.Time{}},
		{"end before start", ls, at, at.Add(-time.Minute), time.Minute, 0, time.Time{}},
		{"no aligned instant", ls, at.Add(10 * time.Second), at.Add(50 * time.Second), time.Minute, 0, time.Time{}},
		{"single instant", ls, at, at, time.Minute, 1, at},
		{"inclusive end", ls, at, at.Add(time.Hour), time.Minute, 61, at},
		{"start aligned up", ls, at.Add(30 * time.Second), at.Add(time.Hour), time.Minute, 60, at.Add(time.Minute)},
		{"five-minute step", ls, at.Add(-time.Minute), at.Add(time.Hour), 5 * time.Minute, 13, at},
		{"capped", ls, at, at.AddDate(3, 0, 0), time.Minute, datasets.MaxPoints, at},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pts := d.Range(tc.ls, tc.start, tc.end, tc.step)
			if len(pts) != tc.wantLen {
				t.Fatalf("got %d points, want %d", len(pts), tc.wantLen)
			}
			if len(pts) > 0 && !pts[0].T.Equal(tc.wantFirst) {
				t.Errorf("first point at %s, want %s", pts[0].T, tc.wantFirst)
			}
			for i := 1; i < len(pts); i++ {
				if got := pts[i].T.Sub(pts[i-1].T); got != tc.step {
					t.Fatalf("points %d and %d are %v apart, want %v", i-1, i, got, tc.step)
				}
			}
		})
	}

	// Coarser steps sample the same per-minute values.
	fine := d.Range(ls, at, at.Add(time.Hour), time.Minute)
	for i, p := range d.Range(ls, at, at.Add(time.Hour), 5*time.Minute) {
		if p.V != fine[5*i].V {
			t.Errorf("5m point %s = %g, 1m point = %g", p.T, p.V, fine[5*i].V)
		}
	}
	// Sub-minute steps repeat the value of their minute.
	for _, p := range d.Range(ls, at, at.Add(10*time.Minute), 20*time.Second) {
		if want := fine[int(p.T.Sub(at)/time.Minute)].V; p.V != want {
			t.Errorf("20s point %s = %g, its minute = %g", p.T, p.V, want)
		}
	}
}

// masked returns the points of ls in [start, end) at one-minute steps,
// with the points inside injected anomalies removed.
func masked(d *datasets.Demo, ls labels.Labels, start, end time.Time) []series.Point {
	ans := d.Anomalies(start, end)
	var out []series.Point
	for _, p := range d.Range(ls, start, end.Add(-time.Minute), time.Minute) {
		inside := false
		for _, a := range ans {
			if labels.Equal(a.Labels, ls) && !p.T.Before(a.Start) && p.T.Before(a.End) {
				inside = true
				break
			}
		}
		if !inside {
			out = append(out, p)
		}
	}
	return out
}

// meanWhere averages the points whose local time satisfies keep.
func meanWhere(pts []series.Point, keep func(t time.Time) bool) float64 {
	var sum float64
	n := 0
	for _, p := range pts {
		if keep(p.T.In(cst)) {
			sum += p.V
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// clock reports whether t's wall clock is in [from, to), given as "15:04".
func clock(t time.Time, from, to string) bool {
	hm := t.Format("15:04")
	return hm >= from && hm < to
}

// TestShape checks the business shape of the data over three weeks that
// include a weekday holiday.
func TestShape(t *testing.T) {
	cal := testCalendar(t, holiday)
	d := datasets.NewDemo(42, cal)
	start := time.Date(2026, 3, 9, 0, 0, 0, 0, cst) // a Monday
	end := start.AddDate(0, 0, 21)
	isHoliday := func(t time.Time) bool { return t.Format(time.DateOnly) == holiday.Format(time.DateOnly) }
	tradingDay := func(t time.Time) bool { return cal.IsTradingDay(t) }

	for _, ls := range d.Series() {
		name := ls.Get(model.MetricNameLabel)
		pts := d.Range(ls, start, end.Add(-time.Minute), time.Minute)
		if len(pts) != 21*24*60 {
			t.Fatalf("%s: %d points, want %d", ls, len(pts), 21*24*60)
		}
		for _, p := range pts {
			switch {
			case math.IsNaN(p.V) || math.IsInf(p.V, 0):
				t.Fatalf("%s at %s: %g", ls, p.T, p.V)
			case name != datasets.MetricOrderLatency && (p.V < 0 || p.V != math.Trunc(p.V)):
				t.Fatalf("%s at %s: %g is not a count", ls, p.T, p.V)
			case name == datasets.MetricOrderLatency && p.V <= 0:
				t.Fatalf("%s at %s: latency %g", ls, p.T, p.V)
			}
		}
	}

	// Session-bound series are exactly zero outside sessions, and so on
	// weekends and the holiday, anomalies included.
	for _, kv := range [][]string{
		{"__name__", "trade_count", "market", "sh"},
		{"__name__", "trade_count", "market", "sz"},
		{"__name__", "account_openings", "channel", "branch"},
	} {
		ls := seriesNamed(t, d, kv...)
		var inSession float64
		for _, p := range d.Range(ls, start, end.Add(-time.Minute), time.Minute) {
			if !cal.InSession(p.T) && p.V != 0 {
				t.Fatalf("%s at %s (%s): %g outside a session", ls, p.T.In(cst), cal.DayType(p.T), p.V)
			}
			if cal.InSession(p.T) {
				inSession += p.V
			}
		}
		if inSession == 0 {
			t.Errorf("%s: nothing in sessions", ls)
		}
	}

	sh := masked(d, seriesNamed(t, d, "__name__", "trade_count", "market", "sh"), start, end)
	app := masked(d, seriesNamed(t, d, "__name__", "account_openings", "channel", "app"), start, end)
	lat := masked(d, seriesNamed(t, d, "__name__", "order_latency_ms", "system", "oms"), start, end)
	trading := func(from, to string) func(time.Time) bool {
		return func(t time.Time) bool { return tradingDay(t) && clock(t, from, to) }
	}
	on := func(wd time.Weekday, from, to string) func(time.Time) bool {
		return func(t time.Time) bool { return tradingDay(t) && t.Weekday() == wd && clock(t, from, to) }
	}
	inSession := func(t time.Time) bool { return cal.InSession(t) }
	nonTradingDaytime := func(t time.Time) bool { return !tradingDay(t) && clock(t, "09:30", "15:00") }
	holidayDaytime := func(t time.Time) bool { return isHoliday(t) && clock(t, "09:30", "15:00") }

	// Phases are compared over short windows where the intraday profile is
	// flat, so that leaving anomalies out does not bias the means.
	checks := []struct {
		name          string
		pts           []series.Point
		higher, lower func(time.Time) bool
		ratio         float64 // mean(higher) ≥ ratio × mean(lower)
	}{
		{"trades: the open is busier than mid-morning", sh, trading("09:30", "09:45"), trading("10:30", "11:00"), 1.5},
		{"trades: the close is busier than mid-afternoon", sh, trading("14:45", "15:00"), trading("14:00", "14:30"), 1.15},
		{"trades: Monday is busier than Wednesday", sh, on(time.Monday, "10:00", "11:00"), on(time.Wednesday, "10:00", "11:00"), 1.08},
		{"trades: Thursday afternoon is busier than Friday afternoon", sh, on(time.Thursday, "13:30", "14:30"), on(time.Friday, "13:30", "14:30"), 1.15},
		{"app openings: sessions are busier than lunch", app, trading("09:30", "11:30"), trading("11:30", "13:00"), 2},
		{"app openings: trading days are busier than the holiday", app, inSession, holidayDaytime, 2},
		{"app openings: daytime is busier than the night", app, nonTradingDaytime, func(t time.Time) bool { return clock(t, "02:00", "05:00") }, 3},
		{"latency: the open is slower than mid-morning", lat, trading("09:30", "09:35"), trading("10:30", "11:00"), 2},
		{"latency: sessions are slower than the holiday", lat, trading("10:00", "11:00"), holidayDaytime, 1.2},
	}
	for _, c := range checks {
		hi, lo := meanWhere(c.pts, c.higher), meanWhere(c.pts, c.lower)
		if !(hi >= c.ratio*lo) || lo == 0 && hi == 0 {
			t.Errorf("%s: %.2f vs %.2f, want a ratio ≥ %g", c.name, hi, lo, c.ratio)
		}
	}
	// Counts are noisy like counts: at least Poisson dispersion (the
	// variance of minute-to-minute differences is twice the variance),
	// with trades somewhat overdispersed.
	for _, c := range []struct {
		name     string
		pts      []series.Point
		min, max float64
	}{
		{"trades", sh, 2, 30},
		{"app openings", app, 0.8, 2},
	} {
		var diffs, sum float64
		n := 0
		for i := 1; i < len(c.pts); i++ {
			p, q := c.pts[i-1], c.pts[i]
			if !tradingDay(q.T) || !clock(q.T.In(cst), "10:00", "11:00") || q.T.Sub(p.T) != time.Minute {
				continue
			}
			diffs += (q.V - p.V) * (q.V - p.V)
			sum += q.V
			n++
		}
		if index := diffs / 2 / float64(n) / (sum / float64(n)); index < c.min || index > c.max {
			t.Errorf("%s: dispersion index %.2f, want in [%g, %g]", c.name, index, c.min, c.max)
		}
	}

	// Online channels keep a small off-hours level; the holiday looks
	// like a weekend day.
	if m := meanWhere(app, func(t time.Time) bool { return !tradingDay(t) }); !(m > 0.5) {
		t.Errorf("app openings on non-trading days: mean %.2f per minute, want some", m)
	}
	weekend := meanWhere(app, func(t time.Time) bool { return t.Weekday() == time.Saturday && clock(t, "09:30", "15:00") })
	if h := meanWhere(app, holidayDaytime); math.Abs(h/weekend-1) > 0.25 {
		t.Errorf("app openings: holiday daytime mean %.2f, Saturday %.2f; want alike", h, weekend)
	}
}
