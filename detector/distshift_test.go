package detector

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/seismo-dev/seismo/series"
)

// naiveDistShift judges the last point of vs from scratch, by the
// definition in the DistributionShift doc: it sorts copies of the recent
// window and the reference, cuts the edges at the reference's quantiles
// and counts both windows below each by a linear scan. The formula's
// arithmetic is written as the stream writes it (1/(w + b·α) as a
// reciprocal, the terms summed in bin order), so that the two can be
// compared bit for bit: what is checked is the stream's incremental
// bookkeeping (the two sorted windows moved by one interleaved search,
// the counts walked from the last point's), not the formula.
func naiveDistShift(vs []float64, w, r, b int, k float64) (res Result, ok bool) {
	if len(vs) < w+r {
		return Result{}, false
	}
	recent := slices.Sorted(slices.Values(vs[len(vs)-w:]))
	ref := slices.Sorted(slices.Values(vs[len(vs)-w-r : len(vs)-w]))
	quantile := func(s []float64, q float64) float64 {
		h := q * float64(len(s)-1)
		i := int(h)
		if i >= len(s)-1 {
			return s[len(s)-1]
		}
		if f := h - float64(i); f != 0 {
			return s[i] + f*(s[i+1]-s[i])
		}
		return s[i]
	}
	median := func(s []float64) float64 {
		if n := len(s); n%2 == 0 {
			return s[n/2-1]/2 + s[n/2]/2
		}
		return s[len(s)/2]
	}
	countLE := func(s []float64, e float64) int {
		n := 0
		for _, x := range s {
			if x <= e {
				n++
			}
		}
		return n
	}
	const alpha = 0.5
	wf, rf, bf := float64(w), float64(r), float64(b)
	invW, lnW, lnR := 1/(wf+bf*alpha), math.Log(wf+bf*alpha), math.Log(rf+bf*alpha)
	var div float64
	prevQ, prevP := 0, 0
	for i := range b {
		cq, cp := w, r
		if i < b-1 {
			e := quantile(ref, float64(i+1)/bf)
			cq, cp = countLE(recent, e), countLE(ref, e)
		}
		nq, np := cq-prevQ, cp-prevP
		prevQ, prevP = cq, cp
		q := (float64(nq) + alpha) * invW
		div += q * (math.Log(float64(nq)+alpha) - lnW - math.Log(float64(np)+alpha) + lnR)
	}
	dof := bf - 1
	g := 2 * wf * div / (1 + wf/rf)
	z := max(0, (g-dof)/math.Sqrt(2*dof))
	mr := median(ref)
	res = Result{Value: vs[len(vs)-1], Expected: mr, Lower: quantile(ref, 0.05), Upper: quantile(ref, 0.95),
		Score: ratio(z, k), Z: z, Anomaly: z >= k}
	if median(recent) < mr {
		res.Z = -z
	}
	return res, true
}

// TestDistShiftMatchesNaive checks every result of the stream, field by
// field and bit for bit, against naiveDistShift, over window shapes
// (window larger and smaller than the reference, more bins than
// reference values) and inputs with ties, constant stretches, level
// changes and values so large that an edge's interpolation overflows.
func TestDistShiftMatchesNaive(t *testing.T) {
	extreme := func(n int, seed uint64) []float64 {
		r := rand.New(rand.NewPCG(seed, 0xd5))
		vs := make([]float64, n)
		for i := range vs {
			switch r.IntN(8) {
			case 0:
				vs[i] = 1e300 * float64(r.IntN(3))
			case 1:
				vs[i] = -math.MaxFloat64
			case 2:
				vs[i] = math.MaxFloat64
			default:
				vs[i] = float64(r.IntN(5))
			}
		}
		return vs
	}
	regime := func(n int, seed uint64) []float64 {
		pts := incSeries(n, seed)
		vs := make([]float64, n)
		for i, p := range pts {
			vs[i] = p.V
		}
		return vs
	}
	ties := func(n int, seed uint64) []float64 {
		r := rand.New(rand.NewPCG(seed, 0x71e))
		vs := make([]float64, n)
		for i := range vs {
			vs[i] = float64(r.IntN(4))
		}
		return vs
	}
	inputs := map[string][]float64{
		"regimes": regime(3000, 1),
		"gauss":   gauss(3000, 100, 5, 3),
		"ties":    ties(3000, 4),
		"extreme": extreme(2000, 5),
	}
	for _, c := range []DistributionShiftConfig{
		{}, {Window: 20, Reference: 60, Bins: 3}, {Window: 3, Reference: 3, Bins: 2},
		{Window: 200, Reference: 50, Bins: 64}, {Window: 7, Reference: 100, Bins: 64}, {Window: 30, Reference: 31, Bins: 5},
	} {
		d, err := newDistributionShift(c, 0.5)
		if err != nil {
			t.Fatal(err)
		}
		for name, vs := range inputs {
			s := d.NewStream(nil)
			judged := 0
			for i, v := range vs {
				p := series.Point{T: t0.Add(time.Duration(i) * time.Minute), V: v}
				got, gotOK := s.Push(p)
				want, wantOK := naiveDistShift(vs[:i+1], d.window, d.reference, d.bins, d.k)
				want.T = p.T
				if gotOK != wantOK || gotOK && !sameResult(got, want) {
					t.Fatalf("%+v %s point %d: got %+v (%v), want %+v (%v)", c, name, i, got, gotOK, want, wantOK)
				}
				if gotOK {
					judged++
				}
			}
			if want := len(vs) - d.window - d.reference + 1; judged != want {
				t.Errorf("%+v %s: judged %d points, want %d", c, name, judged, want)
			}
		}
	}
}

// sameResult compares every field bit for bit (so +0 and −0 differ and NaN
// equals NaN).
func sameResult(a, b Result) bool {
	fs := func(r Result) [6]uint64 {
		return [6]uint64{math.Float64bits(r.Value), math.Float64bits(r.Expected), math.Float64bits(r.Lower),
			math.Float64bits(r.Upper), math.Float64bits(r.Score), math.Float64bits(r.Z)}
	}
	return a.T.Equal(b.T) && a.Anomaly == b.Anomaly && fs(a) == fs(b)
}
