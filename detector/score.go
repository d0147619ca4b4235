package detector

import (
	"math"

	"github.com/seismo-dev/seismo/series"
)

// ratio maps a statistic x ≥ 0 and its threshold t > 0 to x / (x + t):
// 0 at 0, exactly 0.5 at t, approaching 1 as x grows, 1 at +Inf.
func ratio(x, t float64) float64 {
	switch {
	case !(x > 0):
		return 0
	case math.IsInf(x, 1):
		return 1
	}
	return x / (x + t)
}

// clampF keeps a band edge finite so that results stay JSON-encodable.
func clampF(v float64) float64 {
	// Two compares instead of min and max, which must also order ±0 and
	// propagate NaN; the results are the same (NaN stays NaN).
	if v > math.MaxFloat64 {
		return math.MaxFloat64
	}
	if v < -math.MaxFloat64 {
		return -math.MaxFloat64
	}
	return v
}

// zResult judges p as z = (p.V − center) / scale against the threshold k
// into *r: the common result of the window families. It returns false
// (and leaves *r alone) when the window's statistics are not finite (they
// overflowed).
func zResult(r *Result, p series.Point, center, scale, k float64) bool {
	if !finite(center) || !finite(scale) || !(scale > 0) {
		return false
	}
	z := (p.V - center) / scale
	if math.IsNaN(z) {
		return false
	}
	dz := math.Abs(z)
	// Field by field: a composite literal through a pointer is built on
	// the stack and copied, twice the stores on the hot path.
	r.T = p.T
	r.Value = p.V
	r.Expected = center
	r.Lower = clampF(center - k*scale)
	r.Upper = clampF(center + k*scale)
	r.Score = ratio(dz, k)
	r.Z = z
	r.Anomaly = dz >= k
	return true
}

// warmFill is how many values a window of n needs before its statistics
// are trusted: a quarter of it, at least 8 (all of it when n is smaller).
func warmFill(n int) int {
	return min(n, max(8, n/4))
}
