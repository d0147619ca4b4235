package detector

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// bruteQuantile is type-7 quantile by sorting.
func bruteQuantile(vs []float64, q float64) float64 {
	s := slices.Clone(vs)
	slices.Sort(s)
	h := q * float64(len(s)-1)
	i := int(math.Floor(h))
	if i >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[i] + (h-float64(i))*(s[i+1]-s[i])
}

func bruteMAD(vs []float64) float64 {
	m := bruteQuantile(vs, 0.5)
	d := make([]float64, len(vs))
	for i, v := range vs {
		d[i] = math.Abs(v - m)
	}
	return bruteQuantile(d, 0.5)
}

func TestSortedWindowMatchesSorting(t *testing.T) {
	tests := []struct {
		name string
		n    int
		gen  func(r *rand.Rand) float64
	}{
		{"normal 1", 1, func(r *rand.Rand) float64 { return r.NormFloat64() }},
		{"normal 2", 2, func(r *rand.Rand) float64 { return r.NormFloat64() }},
		{"normal 7", 7, func(r *rand.Rand) float64 { return r.NormFloat64() }},
		{"normal 64", 64, func(r *rand.Rand) float64 { return r.NormFloat64() }},
		{"ties 33", 33, func(r *rand.Rand) float64 { return float64(r.IntN(4)) }},
		{"skewed 50", 50, func(r *rand.Rand) float64 { return math.Exp(3 * r.NormFloat64()) }},
		// The MAD's split walks from the last push's: regime changes move it far.
		{"regimes 40", 40, regimes()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, uint64(tt.n)))
			w := newSortedWindow(tt.n)
			var all []float64
			for i := range 500 {
				v := tt.gen(r)
				all = append(all, v)
				w.push(v)
				win := all[max(0, len(all)-tt.n):]
				if !slices.IsSorted(w.sorted) || w.len() != len(win) {
					t.Fatalf("step %d: sorted %v for window %v", i, w.sorted, win)
				}
				for _, q := range []float64{0, 0.1, 0.25, 0.5, 0.75, 0.9, 1} {
					if got, want := w.quantile(q), bruteQuantile(win, q); math.Abs(got-want) > 1e-9*max(1, math.Abs(want)) {
						t.Fatalf("step %d: quantile(%v) = %v, want %v", i, q, got, want)
					}
				}
				if got, want := w.mad(w.median()), bruteMAD(win); math.Abs(got-want) > 1e-9*max(1, want) {
					t.Fatalf("step %d: mad = %v, want %v (window %v)", i, got, want, win)
				}
			}
		})
	}
}

func TestCountLE(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for _, n := range []int{1, 2, 5, 50, 200} {
		w := newSortedWindow(n)
		for range 400 {
			w.push(float64(r.IntN(6))) // many ties
			for b := 2; b <= 12; b++ {
				for i := 1; i < b; i++ {
					q := float64(i) / float64(b)
					e := w.quantile(q)
					if got, want := countLE(w.sorted, e, q), searchGT(w.sorted, e); got != want {
						t.Fatalf("n %d q %v: countLE = %d, want %d (%v)", n, q, got, want, w.sorted)
					}
				}
			}
		}
	}
}

// regimes returns a generator whose level and spread change every 60
// values, and which sometimes repeats a value.
func regimes() func(r *rand.Rand) float64 {
	i := 0
	return func(r *rand.Rand) float64 {
		i++
		level, sd := float64(i/60%3)*100, math.Pow(10, float64(i/60%4)-1)
		if i%7 == 0 {
			return level
		}
		return level + sd*r.NormFloat64()
	}
}

func TestWalkGTAndSortedEdits(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	var s []float64
	for step := range 2000 {
		v := float64(r.IntN(20)) / 4 // ties
		switch {
		case len(s) > 0 && r.IntN(3) == 0:
			s = removeSorted(s, s[r.IntN(len(s))])
		default:
			s = insertSorted(slices.Grow(s, 1), v)
		}
		if !slices.IsSorted(s) {
			t.Fatalf("step %d: not sorted: %v", step, s)
		}
		for _, e := range []float64{-1, v, v + 0.1, 6} {
			want := searchGT(s, e)
			for _, hint := range []int{-3, 0, want - 2, want, want + 1, len(s), len(s) + 4} {
				if got := walkGT(s, e, hint); got != want {
					t.Fatalf("step %d: walkGT(%v, hint %d) = %d, want %d (%v)", step, e, hint, got, want, s)
				}
			}
		}
	}
}
