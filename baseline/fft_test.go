package baseline

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"
)

// TestRealFFT checks the transforms against the direct DFT.
func TestRealFFT(t *testing.T) {
	for _, m := range []int{8, 16, 64, 256, 2048} {
		rng := rand.New(rand.NewPCG(uint64(m), 1))
		x := make([]float64, m)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		var buf []complex128
		f := newRealFFT(m, &buf)
		X := make([]complex128, m/2+1)
		f.forward(X, x)
		tol := 1e-9 * float64(m)
		for k := range X {
			var want complex128
			for j, v := range x {
				want += complex(v, 0) * cmplx.Exp(complex(0, -2*math.Pi*float64(j*k%m)/float64(m)))
			}
			if cmplx.Abs(X[k]-want) > tol {
				t.Fatalf("m=%d: X[%d] = %v, want %v", m, k, X[k], want)
			}
		}
		back := make([]float64, m)
		f.inverse(back, X)
		for j := range x {
			if got := back[j] / float64(m); math.Abs(got-x[j]) > tol {
				t.Fatalf("m=%d: inverse[%d]/m = %v, want %v", m, j, got, x[j])
			}
		}
	}
}
