package baseline

import (
	"math"
	"testing"
	"time"

	"github.com/seismo-dev/seismo/series"
)

// TestScanFast checks that the branch-free scan of a series without
// exclusions learns what the general scan learns, and rejects the same
// inputs.
func TestScanFast(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	const same = time.Duration(-1) // a gap that repeats the previous instant
	mk := func(vs []float64, gaps ...time.Duration) []series.Point {
		pts := make([]series.Point, len(vs))
		at := t0
		for i, v := range vs {
			if i > 0 {
				d := time.Minute
				switch {
				case i-1 >= len(gaps) || gaps[i-1] == 0:
				case gaps[i-1] == same:
					d = 0
				default:
					d = gaps[i-1]
				}
				at = at.Add(d)
			}
			pts[i] = series.Point{T: at, V: v}
		}
		return pts
	}
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		name string
		pts  []series.Point
		ok   bool
	}{
		{"regular counts", mk([]float64{0, 1, 2, 3, 4}), true},
		{"fractions", mk([]float64{0, 1.5, 2, 3}), true},
		{"negative", mk([]float64{3, -1, 2}), true},
		{"negative zero", mk([]float64{3, math.Copysign(0, -1), 2}), true},
		{"irregular", mk([]float64{1, 2, 3, 4}, 0, 2*time.Minute), true},
		{"first spacing differs", mk([]float64{1, 2, 3}, 30*time.Second), true},
		{"duplicate time", mk([]float64{1, 2, 3}, 0, same), false},
		{"out of order", mk([]float64{1, 2, 3}, 0, -2*time.Minute), false},
		{"first two equal times", mk([]float64{1, 2, 3}, same), false},
		{"NaN first", mk([]float64{nan, 2, 3}), false},
		{"NaN middle", mk([]float64{1, nan, 3}), false},
		{"NaN then larger", mk([]float64{1, nan, 30}), false},
		{"+Inf", mk([]float64{1, inf, 3}), false},
		{"-Inf last", mk([]float64{1, 2, -inf}), false},
		{"huge", mk([]float64{1e300, -1e308, 3}), true},
		{"large integers", mk([]float64{3e18, -1e19, 0x1p52 + 1, 0x1p53}), true},
		{"large and a fraction", mk([]float64{3e18, 1e19, 2.5}), true},
		{"just below 2^52", mk([]float64{0x1p52 - 0.5, 1}), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, wantOK := scanPoints(tt.pts, nil, nil) // the general scan
			dst := make([]float64, len(tt.pts))
			got, gotOK := scanPoints(tt.pts, nil, dst)
			if wantOK != tt.ok {
				t.Fatalf("general scan ok = %v, want %v", wantOK, tt.ok)
			}
			if gotOK != wantOK || (wantOK && got != want) {
				t.Fatalf("fast scan = %+v, %v; general scan = %+v, %v", got, gotOK, want, wantOK)
			}
			if gotOK {
				for i, p := range tt.pts {
					if dst[i] != p.V {
						t.Fatalf("dst[%d] = %v, want %v", i, dst[i], p.V)
					}
				}
			}
		})
	}
}
