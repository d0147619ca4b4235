package detector

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/seismo-dev/seismo/series"
)

// ssFamily returns one detector of each type this file family owns, with
// default parameters and fast-learning variants.
func ssFamily(t *testing.T) map[string]Detector {
	t.Helper()
	seas := mustSeasonal(t, TypeSeasonal, SeasonalParams{Learn: 20})
	hw := mustSeasonal(t, TypeHoltWinters, SeasonalParams{Learn: 20})
	esd := mustSHESD(t, Config{}, SHESDParams{Learn: 20})
	sr := mustSpectral(t, SpectralParams{Window: 24, ScoreWindow: 8})
	return map[string]Detector{
		"seasonal":       seas,
		"seasonal/1d":    mustSeasonal(t, TypeSeasonal, SeasonalParams{Period: "1d"}),
		"holtwinters":    hw,
		"holtwinters/1h": mustSeasonal(t, TypeHoltWinters, SeasonalParams{Period: "1h"}),
		"shesd":          esd,
		"shesd/1h":       mustSHESD(t, Config{}, SHESDParams{Period: "1h", Window: 30}),
		"spectral":       sr,
		"ensemble":       newEnsembleOf([]Detector{seas, hw, esd, sr}, CombineVote),
		"auto":           mustAuto(t, AutoParams{Learn: 20}),
	}
}

// TestSeasonalFamilyBadInput feeds every detector NaN, ±Inf, constants,
// three points, huge values, duplicates and out-of-order samples, in both
// forms: no panic, every result well-formed and in time order.
func TestSeasonalFamilyBadInput(t *testing.T) {
	at := func(i int) time.Time { return ssStart.Add(time.Duration(i) * ssStep) }
	mk := func(n int, f func(i int) float64) []series.Point {
		pts := make([]series.Point, n)
		for i := range pts {
			pts[i] = series.Point{T: at(i), V: f(i)}
		}
		return pts
	}
	inf, nan := math.Inf(1), math.NaN()
	cases := map[string][]series.Point{
		"empty":        nil,
		"three points": mk(3, func(i int) float64 { return float64(i) }),
		"constant":     mk(600, func(int) float64 { return 7 }),
		"zeros":        mk(600, func(int) float64 { return 0 }),
		"NaN and Inf": mk(600, func(i int) float64 {
			switch i % 7 {
			case 1:
				return nan
			case 3:
				return inf
			case 5:
				return -inf
			}
			return math.Sin(float64(i))
		}),
		"huge":       mk(600, func(i int) float64 { return 1e307 * (1 + 0.5*math.Sin(float64(i)/5)) }),
		"huge swing": mk(600, func(i int) float64 { return math.Pow(-1, float64(i)) * 1.7e308 }),
		"tiny":       mk(600, func(i int) float64 { return 1e-300 * float64(i%5) }),
		"duplicates and out of order": func() []series.Point {
			pts := mk(600, func(i int) float64 { return float64(i % 13) })
			for i := 10; i < len(pts); i += 10 {
				pts[i].T = pts[i-1].T // duplicate
				pts[i-5], pts[i-4] = pts[i-4], pts[i-5]
			}
			return pts
		}(),
		"gaps": func() []series.Point {
			pts := mk(600, func(i int) float64 { return math.Sin(float64(i) / 3) })
			for i := range pts {
				pts[i].T = at(i + (i/50)*37) // a 37-step hole every 50 points
			}
			return pts
		}(),
	}
	for dname, d := range ssFamily(t) {
		for cname, pts := range cases {
			t.Run(dname+"/"+cname, func(t *testing.T) {
				check := func(form string, rs []Result) {
					t.Helper()
					var last time.Time
					for i, r := range rs {
						if !(r.Score >= 0 && r.Score <= 1) || r.Anomaly != (r.Score >= 0.5) {
							t.Fatalf("%s result %d: score %v anomaly %v", form, i, r.Score, r.Anomaly)
						}
						if i > 0 && !r.T.After(last) {
							t.Fatalf("%s result %d at %v not after %v", form, i, r.T, last)
						}
						last = r.T
					}
				}
				half := len(pts) / 2
				check("batch", ssBatch(d, Input{History: pts[:half], Points: pts[half:]}))
				s := d.NewStream(nil)
				var rs []Result
				for _, p := range pts {
					if r, ok := s.Push(p); ok {
						if !ssFinite(p.V) {
							t.Fatalf("judged the non-finite point %v", p)
						}
						rs = append(rs, r)
					}
				}
				check("stream", rs)
			})
		}
	}
}

// TestSeasonalFamilyConstantWithSpike: on a flat line a step away from
// the constant is a (finite-score) anomaly, the flat line itself is not.
func TestSeasonalFamilyConstantWithSpike(t *testing.T) {
	pts := make([]series.Point, 1200)
	for i := range pts {
		pts[i] = series.Point{T: ssStart.Add(time.Duration(i) * ssStep), V: 42}
	}
	pts[1100].V = 43
	for _, name := range []string{"seasonal", "holtwinters", "shesd"} {
		d := ssFamily(t)[name]
		rs := ssBatch(d, Input{History: pts[:1000], Points: pts[1000:]})
		got := ssFlagged(pts, rs)
		if fmt.Sprint(got) != "[1100]" {
			t.Errorf("%s: flagged %v, want [1100]", name, got)
		}
	}
}
