package detector

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/seismo-dev/seismo/series"
	"gonum.org/v1/gonum/dsp/fourier"
)

// incSeries returns n points of a regime-switching series: seasonal,
// integer counts with ties and zeros, a trend that moves the window's
// largest magnitude at every point, constant stretches and spikes.
func incSeries(n int, seed uint64) []series.Point {
	r := rand.New(rand.NewPCG(seed, 0x1c))
	pts := make([]series.Point, n)
	level := 100.0
	for i := range pts {
		var v float64
		switch (i / 300) % 4 {
		case 0:
			v = level + 10*math.Sin(2*math.Pi*float64(i)/24) + r.NormFloat64()
		case 1:
			v = math.Round(max(0, 5*r.NormFloat64()))
		case 2:
			level += 0.5
			v = level + r.NormFloat64()
		default:
			v = 7
		}
		if r.IntN(60) == 0 {
			v += 40 * r.NormFloat64()
		}
		pts[i] = series.Point{T: t0.Add(time.Duration(i) * time.Minute), V: v}
	}
	return pts
}

// TestSHESDIncrementalMatchesFull checks the incremental window test
// against the full one at every point of several shapes of window and
// period: scores within 1e-9, flags equal unless the score is within
// 1e-9 of 0.5.
func TestSHESDIncrementalMatchesFull(t *testing.T) {
	for _, tc := range []struct {
		period string
		window int
		dir    string
	}{
		{"24m", 100, DirectionBoth}, {"24m", 50, DirectionUp}, {"2m", 40, DirectionBoth},
		{"1m", 30, DirectionDown}, {PeriodNone, 80, DirectionBoth}, {"30m", 70, DirectionBoth},
	} {
		d := mustSHESD(t, Config{Direction: tc.dir}, SHESDParams{Period: tc.period, Window: tc.window, MaxAnomalies: 0.1}).(*shesdDetector)
		s := d.stream(-1, 0)
		full := &shesdWork{}
		for i, p := range incSeries(1500, uint64(tc.window)) {
			got, ok := s.Push(p)
			if !ok {
				continue
			}
			w := len(s.vals)
			buf := make([]float64, w)
			for j := range w {
				buf[j] = s.vals[(s.pos+j)%w]
			}
			want := full.run(buf, s.per, d.p.MaxAnomalies, d.alpha, d.dir).result(p, w-1)
			if math.Abs(got.Score-want.Score) > 1e-9 || got.Anomaly != want.Anomaly && math.Abs(want.Score-0.5) > 1e-9 ||
				math.Abs(got.Expected-want.Expected) > 1e-9*max(1, math.Abs(want.Expected)) {
				t.Fatalf("%+v point %d: got score %v expected %v, want %v %v", tc, i, got.Score, got.Expected, want.Score, want.Expected)
			}
		}
		if s.inc == nil || !s.inc.built {
			t.Errorf("%+v: the incremental test never ran", tc)
		}
	}
}

// TestSpectralSlidingMatchesFull checks the sliding transform against the
// full one at every point.
func TestSpectralSlidingMatchesFull(t *testing.T) {
	for _, p := range []SpectralParams{{}, {Window: 40, Extend: 3, Lookahead: 2, MagWindow: 1, ScoreWindow: 10}, {Window: 50, MagWindow: 6}, {Window: 30, MagWindow: 2, Extend: 2}} {
		d := mustSpectral(t, p).(*spectralDetector)
		s := d.NewStream(nil).(*spectralStream)
		ref := d.NewStream(nil).(*spectralStream)
		pts := incSeries(1500, 9)
		pts[700].V, pts[701].V = 1e301, -3 // the full form takes over, then hands back
		for i, pt := range pts {
			got, ok := s.Push(pt)
			ref.Push(pt)
			if !ok {
				continue
			}
			w := len(ref.ring)
			for j := range w {
				ref.x[j] = ref.at(j)
			}
			r := max(srScore(ref.x, w, d.p, ref.fft, ref.c, ref.logA, ref.sal), 0)
			want := r / (r + d.tau)
			if math.IsNaN(want) || math.IsInf(r, 0) {
				want = 1
			}
			if math.Abs(got.Score-want) > 1e-9 {
				t.Fatalf("%+v point %d: score %v, want %v", p, i, got.Score, want)
			}
		}
	}
}

// TestMedianSigmaMatchesRangeSigma checks the walking MAD against the
// binary-search one on ranges that shrink as the ESD steps do.
func TestMedianSigmaMatchesRangeSigma(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	w := &shesdWork{}
	for trial := range 300 {
		n := 3 + r.IntN(200)
		a := make([]float64, n)
		for i := range a {
			switch trial % 3 {
			case 0:
				a[i] = r.NormFloat64()
			case 1:
				a[i] = float64(r.IntN(4)) // ties, MAD often 0
			default:
				a[i] = math.Exp(3 * r.NormFloat64())
			}
		}
		slices.Sort(a)
		lo, hi := 0, n-1
		for hi-lo >= 2 {
			m := sortedMedian(a, lo, hi)
			got, want := w.medianSigma(a, lo, hi, m), w.rangeSigma(a, lo, hi, m)
			if got != want {
				t.Fatalf("a=%v [%d, %d]: medianSigma %v, rangeSigma %v", a, lo, hi, got, want)
			}
			if r.IntN(2) == 0 {
				lo++
			} else {
				hi--
			}
		}
	}
}

// TestRadix2MatchesFFT checks the power-of-two inverse transform against
// gonum's.
func TestRadix2MatchesFFT(t *testing.T) {
	if newRadix2(12) != nil || newRadix2(1) != nil {
		t.Errorf("radix2 made for a length that is not a power of two")
	}
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{2, 4, 8, 64, 128, 1024} {
		x := make([]complex128, n)
		for i := range x {
			x[i] = complex(r.NormFloat64(), r.NormFloat64())
		}
		want := fourier.NewCmplxFFT(n).Sequence(nil, x)
		got := slices.Clone(x)
		newRadix2(n).inverse(got)
		for i := range got {
			if d := cmplx.Abs(got[i] - want[i]); d > 1e-12*float64(n) {
				t.Fatalf("n=%d: [%d] = %v, want %v", n, i, got[i], want[i])
			}
		}
	}
}
