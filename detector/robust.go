package detector

import (
	"math"

	"github.com/seismo-dev/seismo/baseline"
	"github.com/seismo-dev/seismo/series"
)

// Robust is the robust deviation detector (type robust): it standardises
// every point by its baseline's robust scale,
//
//	z = (value − expected) / scale
//
// with expected and scale from the model's Expectation at the point's
// time, and flags it when |z| ≥ K(sensitivity) (see the package doc). The
// band is expected ∓ K·scale and Score = |z| / (|z| + K): 0 on the
// expected value, exactly 0.5 on the threshold, approaching 1 far outside
// (1 when z overflows). It keeps no state, so it needs no History; it
// judges nothing without a model or where the model's expectation is not
// OK, not finite or has no positive scale.
type Robust struct {
	k float64
}

// Name returns "robust".
func (d *Robust) Name() string { return TypeRobust }

// Threshold returns the detector's |z| threshold K.
func (d *Robust) Threshold() float64 { return d.k }

// Warmup returns 0: the detector is stateless.
func (d *Robust) Warmup() int { return 0 }

// NewStream implements Detector.
func (d *Robust) NewStream(m baseline.Model) Stream { return &robustStream{d: d, m: m} }

type robustStream struct {
	d  *Robust
	m  baseline.Model
	ck clock
}

// Push implements Stream.
func (s *robustStream) Push(p series.Point) (r Result, ok bool) {
	if s.m == nil {
		return Result{}, false
	}
	ok = finite(p.V) && s.ck.accept(p.T) && s.push(p, &r)
	return r, ok
}

func (s *robustStream) push(p series.Point, r *Result) bool {
	if s.m == nil {
		return false
	}
	e := s.m.Expect(p.T)
	if !e.OK || !(e.Scale > 0) || math.IsInf(e.Scale, 0) || !finite(e.Value) {
		return false
	}
	s.d.judge(r, p, e)
	return true
}

// judge scores one point against its expectation into *r.
func (d *Robust) judge(r *Result, p series.Point, e baseline.Expectation) {
	z := (p.V - e.Value) / e.Scale
	dz := math.Abs(z)
	score := dz / (dz + d.k)
	if math.IsInf(dz, 0) { // a deviation so large that z overflowed
		score = 1
	}
	*r = Result{
		T:        p.T,
		Value:    p.V,
		Expected: e.Value,
		Lower:    e.Value - d.k*e.Scale,
		Upper:    e.Value + d.k*e.Scale,
		Score:    score,
		Z:        z,
		Anomaly:  dz >= d.k,
	}
}
