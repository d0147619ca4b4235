package baseline

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestMedianMatchesSort checks the selection-based median against sorting
// on random, tied, sorted and reversed inputs of many lengths.
func TestMedianMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 1; n < 300; n++ {
		for _, kind := range []string{"random", "ties", "sorted", "reversed", "constant"} {
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
		}
	}
}
