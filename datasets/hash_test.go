package datasets

import (
	"math"
	"testing"
	"time"
	_ "time/tzdata" // the DST case needs America/New_York everywhere

	"github.com/seismo-dev/seismo/baseline/calendar"
)

// TestPoisson checks that the counter-based Poisson draws have the right
// mean and variance on both sides of the inversion/normal switch.
func TestPoisson(t *testing.T) {
	for _, lambda := range []float64{0.3, 2, 12, 29.9, 30, 150, 4000} {
		const n = 40000
		var sum, sum2 float64
		for i := range uint64(n) {
			v := poisson(lambda, uniform(mix(7, i, 1)), uniform(mix(7, i, 2)))
			if v < 0 || v != math.Trunc(v) {
				t.Fatalf("lambda %g: draw %g is not a non-negative integer", lambda, v)
			}
			sum += v
			sum2 += v * v
		}
		mean := sum / n
		variance := sum2/n - mean*mean
		if se := math.Sqrt(lambda / n); math.Abs(mean-lambda) > 4*se {
			t.Errorf("lambda %g: mean %g, want within %g", lambda, mean, 4*se)
		}
		if math.Abs(variance/lambda-1) > 0.06 {
			t.Errorf("lambda %g: variance %g, want about %g", lambda, variance, lambda)
		}
	}
	if v := poisson(0, 0.5, 0.5); v != 0 {
		t.Errorf("poisson(0) = %g, want 0", v)
	}
	if v := poisson(math.NaN(), 0.5, 0.5); v != 0 {
		t.Errorf("poisson(NaN) = %g, want 0", v)
	}
}

func TestUniformOpenInterval(t *testing.T) {
	for _, h := range []uint64{0, 1, math.MaxUint64} {
		if u := uniform(h); !(u > 0 && u < 1) {
			t.Errorf("uniform(%#x) = %g, want in (0, 1)", h, u)
		}
	}
}

// TestDaySessions checks that sessions are read from the calendar,
// including on a day when the clocks change.
func TestDaySessions(t *testing.T) {
	d := NewDemo(1, nil)
	mon := time.Date(2026, 3, 2, 10, 0, 0, 0, d.loc)
	di := d.day(mon)
	if !di.trading || len(di.sessions) != 2 {
		t.Fatalf("Monday: trading %v, sessions %v; want trading with 2 sessions", di.trading, di.sessions)
	}
	want := []string{"09:30-11:30", "13:00-15:00"}
	for i, s := range di.sessions {
		if got := s.start.Format("15:04") + "-" + s.end.Format("15:04"); got != want[i] {
			t.Errorf("session %d = %s, want %s", i, got, want[i])
		}
	}
	if sat := d.day(mon.AddDate(0, 0, 5)); sat.trading || len(sat.sessions) != 0 {
		t.Errorf("Saturday: trading %v, sessions %v; want none", sat.trading, sat.sessions)
	}
	if got := di.end.Sub(di.start); got != 24*time.Hour {
		t.Errorf("day length %v, want 24h", got)
	}
}

func TestDaySessionsDST(t *testing.T) {
	cal, err := calendar.New(calendar.Config{
		Timezone: "America/New_York",
		Sessions: []string{"09:30-16:00"},
		Weekdays: []string{"mon-sun"},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := NewDemo(1, cal)
	di := d.day(time.Date(2026, 3, 8, 12, 0, 0, 0, d.loc)) // clocks go forward at 02:00
	if got := di.end.Sub(di.start); got != 23*time.Hour {
		t.Errorf("day length %v, want 23h", got)
	}
	if len(di.sessions) != 1 || di.sessions[0].start.Format("15:04") != "09:30" || di.sessions[0].end.Format("15:04") != "16:00" {
		t.Errorf("sessions %v, want one 09:30-16:00", di.sessions)
	}
	pts := d.Range(d.Series()[0], di.start, di.end.Add(-time.Minute), time.Minute)
	if len(pts) != 23*60 {
		t.Errorf("%d one-minute points on a 23h day, want %d", len(pts), 23*60)
	}
}
