package detector

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/seismo-dev/seismo/baseline"
	"github.com/seismo-dev/seismo/baseline/calendar"
	"github.com/seismo-dev/seismo/series"
)

// sessionCounts returns a count every 5 minutes for days from histStart
// (a Monday): Poisson-like around rate inside cal's sessions, 0 outside.
func sessionCounts(cal *calendar.Calendar, days int, rate float64, seed uint64) []series.Point {
	r := rand.New(rand.NewPCG(seed, 0xf1a7))
	var pts []series.Point
	for t := histStart; t.Before(histStart.AddDate(0, 0, days)); t = t.Add(5 * time.Minute) {
		v := 0.0
		if cal.InSession(t) {
			v = max(0, math.Round(rate+math.Sqrt(rate)*r.NormFloat64()))
		}
		pts = append(pts, series.Point{T: t, V: v})
	}
	return pts
}

// TestFlatlineWithModel checks the model-aware flatline: nights, weekends
// and a holiday, where the baseline expects 0, never alert; a feed frozen
// inside a session does, within the allowed run.
func TestFlatlineWithModel(t *testing.T) {
	// Weekday sessions 09:30–15:00; the Wednesday of the fifth week is a
	// holiday, which the baseline knows from the calendar.
	holiday := histStart.AddDate(0, 0, 30)
	cal, err := calendar.New(calendar.Config{Sessions: []string{"09:30-15:00"}, Holidays: []string{holiday.Format(time.DateOnly)}}, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	all := sessionCounts(cal, 35, 40, 2)
	hist := all[:21*288]
	m := fit(t, hist, baseline.Config{}, cal)
	d := newDetector(t, Config{Type: TypeFlatline})

	// The Thursday after the holiday is frozen at 41 from 10:00 to 11:00
	// (12 points).
	pts := all[len(hist):]
	frozenFrom := holiday.AddDate(0, 0, 1).Add(10 * time.Hour)
	frozenTo := frozenFrom.Add(time.Hour)
	for i := range pts {
		switch {
		case !pts[i].T.Before(frozenFrom) && pts[i].T.Before(frozenTo):
			pts[i].V = 41
		case pts[i].T.Equal(frozenTo) && pts[i].V == 41:
			pts[i].V = 42 // the freeze ends at 11:00
		}
	}
	rs := Run(d, Input{History: hist, Points: pts, Model: m})
	var inside, outside int
	var first time.Time
	for _, r := range rs {
		if !r.Anomaly {
			continue
		}
		if !r.T.Before(frozenFrom) && r.T.Before(frozenTo) {
			if inside == 0 {
				first = r.T
			}
			inside++
		} else {
			outside++
			t.Errorf("alert outside the frozen hour at %s (value %v)", r.T.Format("Mon 01-02 15:04"), r.Value)
		}
	}
	// min_run 10 points of 5 minutes: the first alert 45 minutes in.
	if inside == 0 {
		t.Fatalf("the frozen hour was not flagged")
	}
	if want := frozenFrom.Add(45 * time.Minute); first.After(want) {
		t.Errorf("first alert at %s, want by %s", first.Format("15:04"), want.Format("15:04"))
	}

	// The same data without a model: every run counts, and the weekend's
	// zeros, longer than any night's, alert.
	free := 0
	for _, r := range Run(d, Input{History: hist, Points: pts}) {
		if r.Anomaly && (r.T.Before(frozenFrom) || !r.T.Before(frozenTo)) {
			free++
		}
	}
	if free == 0 {
		t.Errorf("without a model the closed days did not alert; the comparison above proves nothing")
	}
	t.Logf("alerts outside the frozen hour: %d with the model, %d without", outside, free)
}

// TestFlatLengthsQuantile checks the run-length summary.
func TestFlatLengthsQuantile(t *testing.T) {
	var f flatLengths
	for i := 1; i <= 50; i++ {
		f.add(i)
	}
	if got := f.q99(); got != 50 {
		t.Errorf("q99 of 1..50 = %d, want the longest, 50", got)
	}
	for range 250 {
		f.add(1)
	}
	if got := f.q99(); got != 47 { // 300 runs: the 4th longest, 3 (1%) above it
		t.Errorf("q99 of 300 runs = %d, want 47", got)
	}
}
