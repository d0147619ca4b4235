package detector

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/seismo-dev/seismo/series"
)

// walk returns n points at 5m steps: a noisy daily wave with a spike at
// spike (when ≥ 0), from a seeded PCG.
func walk(n, spike int, seed uint64) []series.Point {
	rng := rand.New(rand.NewPCG(seed, 0xada))
	t0 := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	pts := make([]series.Point, n)
	for i := range pts {
		v := 100 + 20*math.Sin(2*math.Pi*float64(i)/288) + rng.NormFloat64()*3
		if i == spike {
			v += 80
		}
		pts[i] = series.Point{T: t0.Add(time.Duration(i) * 5 * time.Minute), V: v}
	}
	return pts
}

func newAdaptive(t testing.TB, p AdaptiveParams) *Adaptive {
	t.Helper()
	d, err := NewAdaptive(p, DefaultSensitivity)
	if err != nil {
		t.Fatalf("NewAdaptive(%+v): %v", p, err)
	}
	return d
}

type pushed struct {
	r  Result
	ok bool
}

func pushAll(s Stream, pts []series.Point) []pushed {
	out := make([]pushed, len(pts))
	for i, p := range pts {
		out[i].r, out[i].ok = s.Push(p)
	}
	return out
}

func TestAdaptiveFlagsSpikeOnce(t *testing.T) {
	const spike = 1500
	pts := walk(2000, spike, 1)
	got := pushAll(newAdaptive(t, AdaptiveParams{}).NewStream(nil), pts)
	var flagged []int
	for i, g := range got {
		// The band is where every view stays below 0.5.
		if in := g.r.Lower <= g.r.Value && g.r.Value <= g.r.Upper; g.ok && in && g.r.Anomaly {
			t.Errorf("point %d is an anomaly inside its band: %+v", i, g.r)
		}
		if g.ok && g.r.Anomaly {
			flagged = append(flagged, i)
		}
	}
	if len(flagged) != 1 || flagged[0] != spike {
		t.Fatalf("anomalies at %v, want exactly [%d]", flagged, spike)
	}
	r := got[spike].r
	if !(r.Score >= 0.5 && r.Score <= 1) || !(r.Value > r.Upper) || !(r.Z > 5) {
		t.Errorf("spike result %+v: want score in [0.5, 1], value above the band, Z > 5", r)
	}
}

// TestAdaptiveCausal checks that a prefix's results do not change when
// more points follow, and that two runs agree exactly.
func TestAdaptiveCausal(t *testing.T) {
	pts := walk(1200, 900, 2)
	d := newAdaptive(t, AdaptiveParams{})
	full := pushAll(d.NewStream(nil), pts)
	again := pushAll(d.NewStream(nil), pts)
	for _, cut := range []int{1, 99, 100, 101, 500, 901} {
		prefix := pushAll(d.NewStream(nil), pts[:cut])
		for i := range prefix {
			if prefix[i] != full[i] {
				t.Fatalf("cut %d: point %d = %+v alone, %+v with the rest pushed", cut, i, prefix[i], full[i])
			}
		}
	}
	for i := range full {
		if full[i] != again[i] {
			t.Fatalf("point %d differs between two runs: %+v vs %+v", i, full[i], again[i])
		}
	}
}

func TestAdaptiveBadInput(t *testing.T) {
	t0 := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	at := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }
	mk := func(n int, f func(i int) float64) []series.Point {
		pts := make([]series.Point, n)
		for i := range pts {
			pts[i] = series.Point{T: at(i), V: f(i)}
		}
		return pts
	}
	tests := []struct {
		name string
		pts  []series.Point
		// wantFlags is the number of anomalies expected, -1 for "any".
		wantFlags int
	}{
		{"constant", mk(500, func(int) float64 { return 7 }), 0},
		{"zeros", mk(500, func(int) float64 { return 0 }), 0},
		{"three points", mk(3, func(i int) float64 { return float64(i) }), 0},
		{"huge", mk(500, func(i int) float64 { return 1e300 * float64(1+i%3) }), -1},
		{"huge spike", mk(500, func(i int) float64 {
			if i == 400 {
				return math.MaxFloat64
			}
			return float64(i % 5)
		}), -1},
		{"alternating extremes", mk(500, func(i int) float64 { return math.MaxFloat64 * float64(1-2*(i%2)) }), -1},
		{"NaN and Inf", mk(500, func(i int) float64 {
			switch i % 7 {
			case 3:
				return math.NaN()
			case 5:
				return math.Inf(1 - 2*(i%2))
			}
			return float64(i % 5)
		}), -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newAdaptive(t, AdaptiveParams{}).NewStream(nil)
			flags := 0
			for i, p := range tt.pts {
				r, ok := s.Push(p)
				if !finite(p.V) && ok {
					t.Fatalf("point %d (%v) judged", i, p.V)
				}
				if !ok {
					continue
				}
				if !(r.Score >= 0 && r.Score <= 1) {
					t.Fatalf("point %d: score %v outside [0, 1]", i, r.Score)
				}
				if r.Anomaly != (r.Score >= 0.5) {
					t.Fatalf("point %d: anomaly %v with score %v", i, r.Anomaly, r.Score)
				}
				if r.Anomaly {
					flags++
				}
			}
			if tt.wantFlags >= 0 && flags != tt.wantFlags {
				t.Errorf("%d anomalies, want %d", flags, tt.wantFlags)
			}
		})
	}
}

func TestAdaptiveDuplicateAndOutOfOrder(t *testing.T) {
	pts := walk(300, -1, 3)
	s := newAdaptive(t, AdaptiveParams{Warmup: 10}).NewStream(nil)
	ref := newAdaptive(t, AdaptiveParams{Warmup: 10}).NewStream(nil)
	for i, p := range pts {
		want, wantOK := ref.Push(p)
		got, ok := s.Push(p)
		if got != want || ok != wantOK {
			t.Fatalf("point %d: %+v %v, want %+v %v", i, got, ok, want, wantOK)
		}
		// A duplicate and an earlier timestamp are ignored and leave the
		// stream as it was.
		if _, ok := s.Push(series.Point{T: p.T, V: 1e9}); ok {
			t.Fatalf("point %d: duplicate timestamp judged", i)
		}
		if _, ok := s.Push(series.Point{T: p.T.Add(-time.Second), V: -1e9}); ok {
			t.Fatalf("point %d: out-of-order point judged", i)
		}
	}
}

func TestAdaptiveParams(t *testing.T) {
	tests := []struct {
		name    string
		p       AdaptiveParams
		sens    float64
		wantErr bool
	}{
		{"defaults", AdaptiveParams{}, 0.7, false},
		{"custom", AdaptiveParams{Memory: 50, Fast: 5, Horizon: 1000, Quiet: 0, Warmup: 20}, 1, false},
		{"negative memory", AdaptiveParams{Memory: -1}, 0.7, true},
		{"fast not shorter", AdaptiveParams{Memory: 10, Fast: 10}, 0.7, true},
		{"negative quiet", AdaptiveParams{Quiet: -5}, 0.7, true},
		{"sensitivity NaN", AdaptiveParams{}, math.NaN(), true},
		{"sensitivity above 1", AdaptiveParams{}, 1.5, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := NewAdaptive(tt.p, tt.sens)
			if (err != nil) != tt.wantErr {
				t.Fatalf("NewAdaptive: err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && d.Name() != TypeAdaptive {
				t.Errorf("Name() = %q", d.Name())
			}
		})
	}
	if a, b := AdaptiveFactor(1), AdaptiveFactor(0); !(a < AdaptiveFactor(0.7) && AdaptiveFactor(0.7) < b) {
		t.Errorf("AdaptiveFactor not decreasing in sensitivity: %v, %v, %v", a, AdaptiveFactor(0.7), b)
	}
}

func BenchmarkAdaptivePush(b *testing.B) {
	pts := walk(1<<14, 9000, 4)
	// Timestamps must increase across b.N iterations: shift each lap.
	lap := pts[len(pts)-1].T.Sub(pts[0].T) + 5*time.Minute
	d := newAdaptive(b, AdaptiveParams{})
	s := d.NewStream(nil)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := pts[i%len(pts)]
		p.T = p.T.Add(time.Duration(i/len(pts)) * lap)
		s.Push(p)
	}
}
