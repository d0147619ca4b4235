package series

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestSelectMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for _, n := range []int{1, 2, 3, 16, 17, 100, 1001} {
		for _, distinct := range []int{2, 10, 1 << 30} { // many ties, some, none
			v := make([]float64, n)
			for i := range v {
				v[i] = float64(rng.IntN(distinct))
			}
			sorted := slices.Sorted(slices.Values(v))
			for _, k := range []int{0, n / 2, n - 1} {
				w := slices.Clone(v)
				if got := Select(w, k); got != sorted[k] {
					t.Fatalf("n=%d distinct=%d: Select(k=%d) = %v, want %v", n, distinct, k, got, sorted[k])
				}
				for i := range w {
					if (i < k && w[i] > w[k]) || (i > k && w[i] < w[k]) {
						t.Fatalf("n=%d k=%d: not partitioned around v[k] at %d", n, k, i)
					}
				}
				if !slices.Equal(slices.Sorted(slices.Values(w)), sorted) {
					t.Fatalf("n=%d: Select lost or changed values", n)
				}
			}
		}
	}
}
