package baseline

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/seismo-dev/seismo/series"
)

// dailyShape is a smooth daily cycle with a sharp business-hours hump.
func dailyShape(t time.Time) float64 {
	h := float64(t.Hour()) + float64(t.Minute())/60
	v := 100 + 20*math.Sin(2*math.Pi*h/24)
	if h >= 9 && h < 17 {
		v += 80 * math.Sin(math.Pi*(h-9)/8)
	}
	return v
}

func noise(float64) func(time.Time) float64 { return func(time.Time) float64 { return 50 } }

// irregular samples f at jittered instants roughly every step, dropping
// runs of points to make gaps.
func irregular(start time.Time, days int, step time.Duration, f func(time.Time) float64, abs float64, seed uint64) []series.Point {
	rng := rand.New(rand.NewPCG(seed, 0xd1ce))
	var pts []series.Point
	end := start.AddDate(0, 0, days)
	for t := start; t.Before(end); t = t.Add(step) {
		if rng.Float64() < 0.15 { // 15% missing
			continue
		}
		if t.Sub(start)%(3*24*time.Hour) < 3*time.Hour { // a 3h gap every 3 days
			continue
		}
		ts := t.Add(time.Duration(rng.Int64N(int64(step / 3))))
		pts = append(pts, series.Point{T: ts, V: f(ts) + abs*rng.NormFloat64()})
	}
	return pts
}

func TestDetectSeasonality(t *testing.T) {
	start := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC) // a Monday
	tests := []struct {
		name string
		pts  []series.Point
		step time.Duration
		want []time.Duration
	}{
		{"1d on 5m", gen(start, 28, 5*time.Minute, dailyShape, 0.02, 3, 1), 5 * time.Minute, []time.Duration{24 * time.Hour}},
		{"1d+7d on 1m", gen(start, 28, time.Minute, profile, 0.03, 2, 2), time.Minute, []time.Duration{24 * time.Hour, 7 * 24 * time.Hour}},
		{"1d+7d on 1m, two weeks", gen(start, 14, time.Minute, profile, 0.03, 2, 3), 0, []time.Duration{24 * time.Hour, 7 * 24 * time.Hour}},
		{"noise", gen(start, 28, 5*time.Minute, noise(0), 0, 5, 4), 5 * time.Minute, nil},
		{"irregular with gaps", irregular(start, 21, 10*time.Minute, dailyShape, 3, 5), 0, []time.Duration{24 * time.Hour}},
		{"hourly cycle on 1m", gen(start, 3, time.Minute, func(t time.Time) float64 {
			return 10 + 5*math.Sin(2*math.Pi*float64(t.Minute())/60)
		}, 0, 1, 6), time.Minute, []time.Duration{time.Hour}},
		{"constant", gen(start, 7, 5*time.Minute, noise(0), 0, 0, 7), 0, nil},
		{"three points", gen(start, 1, 8*time.Hour, dailyShape, 0, 0, 8), 0, nil},
		{"period longer than half the history", gen(start, 10, 5*time.Minute, func(t time.Time) float64 {
			return 100 + 50*math.Sin(2*math.Pi*float64(t.Sub(start))/float64(7*24*time.Hour))
		}, 0, 1, 9), 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DetectSeasonality(tt.pts, tt.step, DetectOptions{})
			var periods []time.Duration
			for _, p := range got {
				periods = append(periods, p.Period)
				if !(p.Strength >= DefaultMinStrength && p.Strength <= 1.0001) {
					t.Errorf("period %s strength %g out of range", p.Period, p.Strength)
				}
			}
			if len(periods) != len(tt.want) {
				t.Fatalf("periods %v (%+v), want %v", periods, got, tt.want)
			}
			for i := range periods {
				if periods[i] != tt.want[i] {
					t.Errorf("periods %v, want %v", periods, tt.want)
				}
			}
		})
	}
}
