package datasets_test

import (
	"github.com/prometheus/common/model"
	"math"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/datasets"
	"github.com/seismo-dev/seismo/series"
)

// TestAnomaliesPlacement checks where anomalies are, how long they last,
// and that Anomalies returns exactly those that touch the range asked for.
func TestAnomaliesPlacement(t *testing.T) {
	cal := testCalendar(t, holiday)
	d := datasets.NewDemo(42, cal)
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, cst)
	end := start.AddDate(0, 0, 7*12)
	all := d.Anomalies(start, end)
	sessionBound := map[string]bool{
		`{__name__="account_openings", channel="branch"}`: true,
		`{__name__="trade_count", market="sh"}`:           true,
		`{__name__="trade_count", market="sz"}`:           true,
	}
	durations := map[string][2]time.Duration{
		datasets.KindSpike:      {time.Minute, 3 * time.Minute},
		datasets.KindDip:        {15 * time.Minute, 45 * time.Minute},
		datasets.KindLevelShift: {60 * time.Minute, 180 * time.Minute},
		datasets.KindFlatline:   {30 * time.Minute, 60 * time.Minute},
	}
	kinds := map[string]int{}
	perSeries := map[string]int{}
	for i, a := range all {
		kinds[a.Kind]++
		perSeries[a.Labels.String()]++
		if i > 0 && a.Start.Before(all[i-1].Start) {
			t.Errorf("anomaly %d starts before anomaly %d", i, i-1)
		}
		dur := a.End.Sub(a.Start)
		lim, ok := durations[a.Kind]
		switch {
		case !ok:
			t.Errorf("%v: unknown kind %q", a, a.Kind)
		case dur < lim[0] || dur > lim[1]:
			t.Errorf("%s %s at %s lasts %v, want %v to %v", a.Labels, a.Kind, a.Start.In(cst), dur, lim[0], lim[1])
		}
		last := a.End.Add(-time.Minute)
		if sessionBound[a.Labels.String()] {
			if !cal.InSession(a.Start) || !cal.InSession(last) || a.Start.In(cst).Hour() < 12 != (last.In(cst).Hour() < 12) {
				t.Errorf("%s %s %s–%s is not inside one session", a.Labels, a.Kind, a.Start.In(cst), a.End.In(cst))
			}
		} else if !clock(a.Start.In(cst), "08:00", "22:00") || !clock(last.In(cst), "08:00", "22:00") {
			t.Errorf("%s %s %s–%s is not between 08:00 and 22:00", a.Labels, a.Kind, a.Start.In(cst), a.End.In(cst))
		}
	}
	for kind := range durations {
		if kinds[kind] < 5 {
			t.Errorf("%d %s anomalies in 12 weeks, want several", kinds[kind], kind)
		}
	}
	// About one anomaly per series every two days.
	days := end.Sub(start).Hours() / 24
	for _, ls := range d.Series() {
		rate := float64(perSeries[ls.String()]) / days
		if rate < 0.2 || rate > 0.8 {
			t.Errorf("%s: %.2f anomalies a day, want about 0.5", ls, rate)
		}
	}
	if total := float64(len(all)) / days / 6; math.Abs(total-0.5) > 0.05 {
		t.Errorf("%.3f anomalies per series per day, want about 0.5", total)
	}

	// A sub-range returns exactly the anomalies that touch it.
	from, to := start.AddDate(0, 0, 10).Add(10*time.Hour+17*time.Minute), start.AddDate(0, 0, 13).Add(14*time.Hour+3*time.Minute)
	var want []datasets.Injected
	for _, a := range all {
		if !a.Start.After(to) && a.End.After(from) {
			want = append(want, a)
		}
	}
	if got := d.Anomalies(from, to); !sameAnomalies(got, want) || len(want) == 0 {
		t.Errorf("Anomalies(%s, %s) = %d anomalies, want the %d of the long range that touch it", from, to, len(got), len(want))
	}
	if got := d.Anomalies(to, from); got != nil {
		t.Errorf("Anomalies with end before start = %v, want nil", got)
	}
}

// TestAnomaliesVisible checks that every anomaly is in the data: compared
// with the same minutes on up to three earlier weeks' same weekday (when
// that day was of the same kind and clean), spikes are higher, dips and
// count level shifts lower, latency level shifts higher, and flatlines
// repeat one value.
func TestAnomaliesVisible(t *testing.T) {
	cal := testCalendar(t, holiday)
	d := datasets.NewDemo(42, cal)
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, cst)
	end := start.AddDate(0, 0, 7*12)
	all := d.Anomalies(start.AddDate(0, 0, -21), end)
	checked, skipped := 0, 0
	for _, a := range d.Anomalies(start, end) {
		in := d.Range(a.Labels, a.Start, a.End.Add(-time.Minute), time.Minute)
		if a.Kind == datasets.KindFlatline {
			for _, p := range in {
				if p.V != in[0].V {
					t.Errorf("%s flatline at %s: %g then %g", a.Labels, a.Start.In(cst), in[0].V, p.V)
					break
				}
			}
			checked++
			continue
		}
		var refs []float64
		for w := 1; w <= 3; w++ {
			s, e := a.Start.AddDate(0, 0, -7*w), a.End.AddDate(0, 0, -7*w)
			if cal.DayType(s) != cal.DayType(a.Start) || overlaps(all, a.Labels, s, e) {
				continue
			}
			refs = append(refs, mean(d.Range(a.Labels, s, e.Add(-time.Minute), time.Minute)))
		}
		if len(refs) == 0 {
			skipped++
			continue
		}
		ref := mean(pointsOf(refs))
		got := mean(in)
		// Poisson noise hides small anomalies in small counts: judge only
		// those whose reference window holds enough events.
		latency := a.Labels.Get(model.MetricNameLabel) == datasets.MetricOrderLatency
		if !latency && ref*float64(len(in)) < 30 {
			skipped++
			continue
		}
		checked++
		var ok bool
		switch {
		case a.Kind == datasets.KindSpike:
			ok = got >= 2*ref
		case a.Kind == datasets.KindDip:
			ok = got <= 0.6*ref
		case a.Kind == datasets.KindLevelShift && latency:
			ok = got >= 1.3*ref
		case a.Kind == datasets.KindLevelShift:
			ok = got <= 0.75*ref
		}
		if !ok {
			t.Errorf("%s %s at %s: mean %.2f, same minutes in earlier weeks %.2f", a.Labels, a.Kind, a.Start.In(cst), got, ref)
		}
	}
	if checked < 3*skipped {
		t.Errorf("checked %d anomalies, skipped %d: too few checked", checked, skipped)
	}
	t.Logf("checked %d anomalies, skipped %d", checked, skipped)
}

func overlaps(all []datasets.Injected, ls labels.Labels, s, e time.Time) bool {
	for _, a := range all {
		if labels.Equal(a.Labels, ls) && a.Start.Before(e) && a.End.After(s) {
			return true
		}
	}
	return false
}

func pointsOf(vs []float64) []series.Point {
	pts := make([]series.Point, len(vs))
	for i, v := range vs {
		pts[i].V = v
	}
	return pts
}

func mean(pts []series.Point) float64 {
	var s float64
	for _, p := range pts {
		s += p.V
	}
	return s / float64(len(pts))
}

// TestAnomalyDensity checks that the two days before any "now" hold
// several finished anomalies, so that a demo's two-day backfill shows
// events at once — also when those days are a weekend or the holiday
// DemoConfig declares.
func TestAnomalyDensity(t *testing.T) {
	base := time.Date(2026, 2, 2, 7, 11, 0, 0, cst)
	for i := range 30 {
		now := base.Add(time.Duration(i) * (17*time.Hour + 13*time.Minute + 7*time.Second))
		d := datasets.NewDemo(datasets.DemoSeed, testCalendar(t, datasets.DemoHoliday(now)))
		n := 0
		for _, a := range d.Anomalies(now.Add(-48*time.Hour), now) {
			if !a.Start.Before(now.Add(-48*time.Hour)) && !a.End.After(now) {
				n++
			}
		}
		if n < 3 {
			t.Errorf("now %s: %d anomalies in the two days before, want ≥ 3", now.Format("Mon 2006-01-02 15:04"), n)
		}
	}
}
