package baseline

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestMedianMatchesSort checks the selection-based median against sorting
// on random, tied, sorted, reversed and heavy-tailed inputs of many
// lengths (below and above the length from which it selects within value
// buckets), and that it leaves its input a permutation of itself: callers
// read the values again.
func TestMedianMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 1; n < 700; n++ {
		for _, kind := range []string{"random", "ties", "sorted", "reversed", "constant", "heavy"} {
			v := make([]float64, n)
			for i := range v {
				switch kind {
				case "random":
					v[i] = rng.NormFloat64()
				case "ties":
					v[i] = float64(rng.IntN(4))
				case "sorted":
					v[i] = float64(i)
				case "reversed":
					v[i] = float64(n - i)
				case "constant":
					v[i] = 7
				case "heavy":
					v[i] = math.Abs(rng.NormFloat64() / rng.Float64())
				}
			}
			s := slices.Sorted(slices.Values(v))
			want := s[n/2]
			if n%2 == 0 {
				want = (s[n/2-1] + s[n/2]) / 2
			}
			if got := median(v); got != want {
				t.Fatalf("median(%s, n=%d) = %g, want %g", kind, n, got, want)
			}
			if slices.Sort(v); !slices.Equal(v, s) {
				t.Fatalf("median(%s, n=%d) left its input no permutation of itself", kind, n)
			}
		}
	}
}

// TestMedianOf checks medianOf against median on inputs whose medians are
// easy and hard for its sample: noise, sorted, reversed, periodic with
// the sample's stride, mostly equal values, and short inputs.
func TestMedianOf(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	gens := map[string]func(i, n int) float64{
		"noise":    func(i, n int) float64 { return rng.NormFloat64() },
		"sorted":   func(i, n int) float64 { return float64(i) },
		"reversed": func(i, n int) float64 { return float64(n - i) },
		"aliased":  func(i, n int) float64 { return float64(i % max(1, n/127)) },
		"ties":     func(i, n int) float64 { return float64(rng.IntN(3)) },
		"zeros":    func(i, n int) float64 { return float64(rng.IntN(50) / 49) },
		// Buckets of the selection: a heavy tail puts most values in a
		// few of them, a range of a few ulps makes the bucket width tiny.
		"heavy": func(i, n int) float64 { return math.Abs(rng.NormFloat64() / rng.Float64()) },
		"ulps":  func(i, n int) float64 { return 1 + 1e-15*float64(rng.IntN(5)) },
		"huge":  func(i, n int) float64 { return 1e307 * rng.NormFloat64() },
	}
	for name, f := range gens {
		for _, n := range []int{1, 2, 511, 512, 513, 4096, 5040, 5041, 20000} {
			v := make([]float64, n)
			for i := range v {
				v[i] = f(i, n)
			}
			orig := slices.Clone(v)
			got, _ := medianOf(v, nil)
			want := median(slices.Clone(v))
			if got != want {
				t.Errorf("%s n=%d: medianOf = %v, median = %v", name, n, got, want)
			}
			if !slices.Equal(v, orig) {
				t.Errorf("%s n=%d: medianOf reordered its input", name, n)
			}
		}
	}
}
