package detector

import (
	"github.com/seismo-dev/seismo/baseline"
	"github.com/seismo-dev/seismo/series"
)

// TypeRateOfChange is the rate-of-change detector.
const TypeRateOfChange = "rate_of_change"

// DefaultRateOfChangeWindow is the default rate_of_change.window.
const DefaultRateOfChangeWindow = 200

// RateOfChange flags jumps (type rate_of_change): the first difference
// d = x_t − x_{t−1} (per point, whatever the time between them) is judged
// against the median and robust scale σ of the last window differences,
// z = (d − median_d) / σ (σ as in robust_z, floored at
// 1e-6·max(1, |x_{t−1}|)), crossing when |z| ≥ K(s). Score =
// |z| / (|z| + K); Expected is x_{t−1} + median_d and the band Expected ∓
// K·σ. Unlike the level families it sees a fast move on a slowly varying
// series before the level leaves its band, and forgets a new level at
// once. A difference that overflows float64 is not judged and not
// remembered. Parameters: rate_of_change.window (default 200). It
// ignores the model and judges once the window holds a quarter of its
// differences (at least 8).
type RateOfChange struct {
	window int
	k      float64
}

// Name returns "rate_of_change".
func (d *RateOfChange) Name() string { return TypeRateOfChange }

// Warmup returns the window plus the first point.
func (d *RateOfChange) Warmup() int { return d.window + 1 }

// NewStream implements Detector; the model is not used.
func (d *RateOfChange) NewStream(baseline.Model) Stream {
	return &rocStream{d: d, w: newSortedWindow(d.window)}
}

type rocStream struct {
	d     *RateOfChange
	ck    clock
	w     *sortedWindow
	prev  float64
	begun bool
}

// Push implements Stream.
func (s *rocStream) Push(p series.Point) (r Result, ok bool) {
	ok = finite(p.V) && s.ck.accept(p.T) && s.push(p, &r)
	return r, ok
}

func (s *rocStream) push(p series.Point, r *Result) (ok bool) {
	if s.begun {
		d := p.V - s.prev
		if finite(d) {
			if s.w.len() >= warmFill(s.d.window) {
				m := s.w.median()
				if ok = zResult(r, series.Point{T: p.T, V: d}, m, max(s.w.robustScale(m), scaleFloor(s.prev)), s.d.k); ok {
					r.Value = p.V
					r.Expected = clampF(s.prev + r.Expected)
					r.Lower = clampF(s.prev + r.Lower)
					r.Upper = clampF(s.prev + r.Upper)
				}
			}
			s.w.push(d)
		}
	}
	s.prev, s.begun = p.V, true
	return ok
}
