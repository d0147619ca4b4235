package detector

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/seismo-dev/seismo/series"
)

// Synthetic data shared by the seasonal family's tests: a daily cycle
// sampled every 10 minutes (144 samples a day) with a weekday/weekend
// difference optional, Gaussian noise σ = 1 from a seeded PCG.
var ssStart = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC) // a Monday

const (
	ssStep   = 10 * time.Minute
	ssPerDay = 144
)

// ssSeries returns days of a daily cycle of amplitude amp around level
// 100 plus N(0, noise²) noise.
func ssSeries(days int, amp, noise float64, seed uint64) []series.Point {
	rng := rand.New(rand.NewPCG(seed, 0x5ea5))
	pts := make([]series.Point, days*ssPerDay)
	for i := range pts {
		ph := 2 * math.Pi * float64(i%ssPerDay) / ssPerDay
		v := 100 + amp*math.Sin(ph) + 0.5*amp*math.Max(0, math.Sin(2*ph))
		pts[i] = series.Point{T: ssStart.Add(time.Duration(i) * ssStep), V: v + noise*rng.NormFloat64()}
	}
	return pts
}

// ssNoise returns n points of white noise around 50.
func ssNoise(n int, seed uint64) []series.Point {
	rng := rand.New(rand.NewPCG(seed, 0x0015e))
	pts := make([]series.Point, n)
	for i := range pts {
		pts[i] = series.Point{T: ssStart.Add(time.Duration(i) * ssStep), V: 50 + 2*rng.NormFloat64()}
	}
	return pts
}

// ssInject adds delta to pts[i] for each i in at (on a copy).
func ssInject(pts []series.Point, delta map[int]float64) []series.Point {
	out := slices.Clone(pts)
	for i, d := range delta {
		out[i].V += d
	}
	return out
}

// ssSplit cuts pts at history days.
func ssSplit(pts []series.Point, days int) Input {
	return Input{History: pts[:days*ssPerDay], Points: pts[days*ssPerDay:]}
}

// ssFlagged returns the indices (into pts) of the anomalous results.
func ssFlagged(pts []series.Point, rs []Result) []int {
	idx := map[time.Time]int{}
	for i, p := range pts {
		idx[p.T] = i
	}
	var out []int
	for _, r := range rs {
		if r.Anomaly {
			out = append(out, idx[r.T])
		}
	}
	slices.Sort(out)
	return out
}

// ssCheckContract checks the score semantics every result must honour.
func ssCheckContract(t *testing.T, rs []Result) {
	t.Helper()
	for _, r := range rs {
		if !(r.Score >= 0 && r.Score <= 1) {
			t.Fatalf("%v: score %v outside [0, 1]", r.T, r.Score)
		}
		if r.Anomaly != (r.Score >= 0.5) {
			t.Fatalf("%v: anomaly %v with score %v", r.T, r.Anomaly, r.Score)
		}
	}
}

// ssBatch runs d on in: its batch form when it has one, else the stream.
func ssBatch(d Detector, in Input) []Result {
	if b, ok := d.(Batcher); ok {
		return b.DetectBatch(in)
	}
	return replay(d.NewStream(in.Model), in)
}

func mustSeasonal(t testing.TB, name string, p SeasonalParams) Detector {
	t.Helper()
	cfg := Config{Type: name, Sensitivity: DefaultSensitivity, Direction: DirectionBoth}
	var d Detector
	var err error
	if name == TypeHoltWinters {
		d, err = newHoltWinters(cfg, p)
	} else {
		d, err = newSeasonal(cfg, p)
	}
	if err != nil {
		t.Fatalf("%s(%+v): %v", name, p, err)
	}
	return d
}

func TestSSPeriod(t *testing.T) {
	walk := make([]float64, 3000)
	rng := rand.New(rand.NewPCG(7, 7))
	for i := 1; i < len(walk); i++ {
		walk[i] = walk[i-1] + rng.NormFloat64()
	}
	for _, tc := range []struct {
		name string
		v    []float64
		want int
	}{
		{"daily", pointValues(ssSeries(14, 20, 1, 1)), ssPerDay},
		{"daily noisy", pointValues(ssSeries(14, 5, 3, 2)), ssPerDay},
		{"white noise", pointValues(ssNoise(3000, 3)), 0},
		{"random walk", walk, 0},
		{"constant", make([]float64, 500), 0},
		{"three points", []float64{1, 2, 3}, 0},
		{"NaN and Inf", []float64{math.NaN(), math.Inf(1), 1, math.Inf(-1), 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, strength := ssPeriod(tc.v, 4, ssMinACF)
			if got != tc.want {
				t.Errorf("period = %d (strength %.2f), want %d", got, strength, tc.want)
			}
		})
	}
}

func TestSSMedianSelect(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 1; n < 60; n++ {
		v := make([]float64, n)
		for i := range v {
			v[i] = float64(rng.IntN(10)) // many ties
		}
		s := slices.Clone(v)
		slices.Sort(s)
		want := s[n/2]
		if n%2 == 0 {
			want = (s[n/2-1] + s[n/2]) / 2
		}
		if got := ssMedian(slices.Clone(v)); got != want {
			t.Fatalf("n=%d: median %v, want %v (%v)", n, got, want, v)
		}
	}
}

func TestSeasonalFamilyFindsSpikesAndDips(t *testing.T) {
	clean := ssSeries(14, 20, 1, 11)
	const hist = 10
	at := map[int]float64{
		hist*ssPerDay + 30:  12,  // a spike at night
		hist*ssPerDay + 200: -12, // a dip
		hist*ssPerDay + 400: 15,
		hist*ssPerDay + 500: -10,
	}
	dirty := ssInject(clean, at)
	for _, tc := range []struct {
		name string
		p    SeasonalParams
	}{
		{TypeSeasonal, SeasonalParams{}},
		{TypeSeasonal, SeasonalParams{Period: "1d"}},
		{TypeHoltWinters, SeasonalParams{}},
		{TypeHoltWinters, SeasonalParams{Period: "1d"}},
	} {
		t.Run(tc.name+"/"+tc.p.Period, func(t *testing.T) {
			d := mustSeasonal(t, tc.name, tc.p)
			rs := ssBatch(d, ssSplit(dirty, hist))
			ssCheckContract(t, rs)
			if len(rs) < 4*ssPerDay-10 {
				t.Errorf("judged %d of %d points", len(rs), 4*ssPerDay)
			}
			got := ssFlagged(dirty, rs)
			for i := range at {
				if !slices.Contains(got, i) {
					t.Errorf("injected anomaly at %d not flagged; flagged %v", i, got)
				}
			}
			if extra := len(got) - len(at); extra > 2 {
				t.Errorf("%d false alarms: %v", extra, got)
			}
			quiet := ssFlagged(clean, ssBatch(d, ssSplit(clean, hist)))
			if len(quiet) > 1 {
				t.Errorf("clean seasonal data flagged at %v", quiet)
			}
		})
	}
}

// TestSeasonalStreamLearnsPeriod checks the bare stream: it judges nothing
// while it learns the period, then flags a spike causally.
func TestSeasonalStreamLearnsPeriod(t *testing.T) {
	pts := ssInject(ssSeries(12, 20, 1, 5), map[int]float64{11*ssPerDay + 7: 14})
	for _, name := range []string{TypeSeasonal, TypeHoltWinters} {
		t.Run(name, func(t *testing.T) {
			s := mustSeasonal(t, name, SeasonalParams{Learn: 7 * ssPerDay}).NewStream(nil)
			var flagged []int
			for i, p := range pts {
				r, ok := s.Push(p)
				if ok && i < 7*ssPerDay-1 {
					t.Fatalf("judged point %d while learning", i)
				}
				if ok && r.Anomaly {
					flagged = append(flagged, i)
				}
			}
			if !slices.Equal(flagged, []int{11*ssPerDay + 7}) {
				t.Errorf("flagged %v, want [%d]", flagged, 11*ssPerDay+7)
			}
		})
	}
}
