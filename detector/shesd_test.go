package detector

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func mustSHESD(t testing.TB, cfg Config, p SHESDParams) Detector {
	t.Helper()
	if cfg.Sensitivity == 0 {
		cfg.Sensitivity = DefaultSensitivity
	}
	if cfg.Direction == "" {
		cfg.Direction = DirectionBoth
	}
	d, err := newSHESD(cfg, p)
	if err != nil {
		t.Fatalf("newSHESD(%+v): %v", p, err)
	}
	return d
}

func TestKthOfTwoAndRangeSigma(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 300 {
		n := 1 + rng.IntN(40)
		a := make([]float64, n)
		for i := range a {
			a[i] = float64(rng.IntN(12)) // ties, and often MAD 0
			if trial%3 == 0 {
				a[i] = rng.NormFloat64()
			}
		}
		slices.Sort(a)
		w := &shesdWork{prefix: make([]float64, n+1)}
		for i, v := range a {
			w.prefix[i+1] = w.prefix[i] + v
		}
		lo := rng.IntN(n)
		hi := lo + rng.IntN(n-lo)
		m := sortedMedian(a, lo, hi)
		dev := append([]float64(nil), a[lo:hi+1]...)
		want := ssRobustSigma(dev, m)
		if got := w.rangeSigma(a, lo, hi, m); math.Abs(got-want) > 1e-9*(1+want) {
			t.Fatalf("rangeSigma(%v[%d:%d]) = %v, want %v", a, lo, hi, got, want)
		}
	}
}

func TestSHESDFindsSpikesAndDips(t *testing.T) {
	clean := ssSeries(14, 20, 1, 21)
	const hist = 10
	at := map[int]float64{
		hist*ssPerDay + 30:  10,
		hist*ssPerDay + 200: -10,
		hist*ssPerDay + 400: 12,
		hist*ssPerDay + 500: -9,
	}
	dirty := ssInject(clean, at)
	for _, tc := range []struct {
		name string
		p    SHESDParams
		dir  string
		want []int // flagged among at
	}{
		{"auto", SHESDParams{}, DirectionBoth, []int{1470, 1640, 1840, 1940}},
		{"1d", SHESDParams{Period: "1d"}, DirectionBoth, []int{1470, 1640, 1840, 1940}},
		{"up", SHESDParams{}, DirectionUp, []int{1470, 1840}},
		{"down", SHESDParams{}, DirectionDown, []int{1640, 1940}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := mustSHESD(t, Config{Direction: tc.dir}, tc.p)
			rs := ssBatch(d, ssSplit(dirty, hist))
			ssCheckContract(t, rs)
			if len(rs) != 4*ssPerDay {
				t.Errorf("judged %d of %d points", len(rs), 4*ssPerDay)
			}
			got := ssFlagged(dirty, rs)
			if !slices.Equal(got, tc.want) {
				t.Errorf("flagged %v, want %v", got, tc.want)
			}
			if quiet := ssFlagged(clean, ssBatch(d, ssSplit(clean, hist))); len(quiet) > 0 {
				t.Errorf("clean data flagged at %v", quiet)
			}
		})
	}
}

// TestSHESDMaxAnomalies floods a window with anomalies: no more than
// MaxAnomalies of each window may be flagged.
func TestSHESDMaxAnomalies(t *testing.T) {
	pts := ssSeries(8, 20, 1, 31)
	delta := map[int]float64{}
	rng := rand.New(rand.NewPCG(9, 9))
	for len(delta) < len(pts)/10 { // 10% of the points
		delta[rng.IntN(len(pts))] = 30 + 10*rng.Float64()
	}
	pts = ssInject(pts, delta)
	for _, frac := range []float64{0.01, 0.02, 0.05, 0.2} {
		d := mustSHESD(t, Config{}, SHESDParams{MaxAnomalies: frac, Period: "1d", Window: 4 * ssPerDay})
		rs := ssBatch(d, Input{Points: pts})
		ssCheckContract(t, rs)
		// Two windows of 4 days each.
		for w := range 2 {
			n := 0
			for _, r := range rs[w*4*ssPerDay : (w+1)*4*ssPerDay] {
				if r.Anomaly {
					n++
				}
			}
			limit := int(math.Floor(frac * 4 * ssPerDay))
			if n > limit || n < limit*9/10 && frac < 0.1 {
				t.Errorf("max_anomalies %v: window %d flagged %d, limit %d", frac, w, n, limit)
			}
		}
	}
}

// TestSHESDStreamNewestPoint checks the causal form judges the newest
// point: a spike is flagged the moment it arrives.
func TestSHESDStreamNewestPoint(t *testing.T) {
	pts := ssInject(ssSeries(9, 20, 1, 41), map[int]float64{8*ssPerDay + 50: 9})
	s := mustSHESD(t, Config{}, SHESDParams{Period: "1d"}).NewStream(nil)
	var flagged []int
	for i, p := range pts {
		if r, ok := s.Push(p); ok && r.Anomaly {
			flagged = append(flagged, i)
		}
	}
	// At α = 0.05 a window of 576 Gaussian points holds a false alarm
	// 5% of the time; over the ~750 points judged one is tolerable.
	if !slices.Contains(flagged, 8*ssPerDay+50) || len(flagged) > 2 {
		t.Errorf("flagged %v, want %d and at most one other", flagged, 8*ssPerDay+50)
	}
}

func TestSHESDConfigErrors(t *testing.T) {
	for _, p := range []SHESDParams{
		{MaxAnomalies: 0.7}, {MaxAnomalies: -1}, {Alpha: 1.5}, {Alpha: math.NaN()},
		{Window: 3}, {Period: "sometimes"}, {Learn: 2},
	} {
		if _, err := newSHESD(Config{Sensitivity: 0.7}, p); err == nil {
			t.Errorf("newSHESD(%+v): no error", p)
		}
	}
}
