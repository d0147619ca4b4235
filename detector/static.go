package detector

import (
	"math"

	"github.com/seismo-dev/seismo/baseline"
	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/series"
)

// TypeStatic is the static threshold detector.
const TypeStatic = "static"

// StaticConfig holds the bounds of type static; at least one is required.
type StaticConfig struct {
	Upper *float64 `yaml:"upper,omitempty"`
	Lower *float64 `yaml:"lower,omitempty"`
}

// Static flags values at or beyond fixed bounds (type static). It needs
// no history and no model, and ignores the sensitivity: the bounds are the
// threshold.
//
// A point's excess past a bound is measured relative to the bound's
// magnitude, e = (value − upper) / |upper| (or (lower − value) / |lower|;
// the magnitude is upper − lower when the bound is 0 and both are set, 1
// when it is 0 alone). Score is 0.5 + 0.5·e/(1 + e) at or past the bound
// (0.5 on it, 0.75 at twice the bound's magnitude past it, → 1), and
// 0.5·(1 + e) ≥ 0 inside (e < 0), the larger over both bounds. A point is
// an anomaly when it reaches a bound (value ≥ upper or value ≤ lower).
// Z is +e above the upper bound, −e below the lower one, 0 inside;
// Expected is the bound crossed (the value itself inside), so that
// min_deviation measures how far past the bound a point is.
type Static struct {
	upper, lower     float64
	hasUpper, hasLow bool
}

func newStatic(c StaticConfig) (*Static, error) {
	var errs field.List
	d := &Static{}
	if c.Upper != nil {
		d.upper, d.hasUpper = *c.Upper, true
		if !finite(d.upper) {
			errs.Addf("static.upper", "must be a finite number, got %v", d.upper)
		}
	}
	if c.Lower != nil {
		d.lower, d.hasLow = *c.Lower, true
		if !finite(d.lower) {
			errs.Addf("static.lower", "must be a finite number, got %v", d.lower)
		}
	}
	switch {
	case !d.hasUpper && !d.hasLow:
		errs.Addf("static", "type static needs static.upper, static.lower or both")
	case d.hasUpper && d.hasLow && !(d.lower < d.upper):
		errs.Addf("static.lower", "lower (%v) must be below upper (%v)", d.lower, d.upper)
	}
	return d, errs.Err()
}

// Name returns "static".
func (d *Static) Name() string { return TypeStatic }

// Warmup returns 0: the detector is stateless.
func (d *Static) Warmup() int { return 0 }

// NewStream implements Detector; the model is not used.
func (d *Static) NewStream(baseline.Model) Stream { return &staticStream{d: d} }

// magnitude is the scale of a bound's excess.
func (d *Static) magnitude(bound float64) float64 {
	switch {
	case bound != 0:
		return math.Abs(bound)
	case d.hasUpper && d.hasLow:
		return d.upper - d.lower
	}
	return 1
}

// sideScore maps an excess e (negative inside) to a score.
func sideScore(e float64) float64 {
	switch {
	case math.IsNaN(e):
		return 0
	case e >= 0:
		if math.IsInf(e, 1) {
			return 1
		}
		return 0.5 + 0.5*e/(1+e)
	}
	return 0.5 * max(0, 1+e)
}

type staticStream struct {
	d  *Static
	ck clock
}

// Push implements Stream.
func (s *staticStream) Push(p series.Point) (r Result, ok bool) {
	ok = finite(p.V) && s.ck.accept(p.T) && s.push(p, &r)
	return r, ok
}

func (s *staticStream) push(p series.Point, r *Result) bool {
	d := s.d
	*r = Result{T: p.T, Value: p.V, Expected: p.V, Lower: p.V, Upper: p.V}
	if d.hasUpper {
		r.Upper = d.upper
		e := (p.V - d.upper) / d.magnitude(d.upper)
		r.Score = sideScore(e)
		if p.V >= d.upper {
			r.Z, r.Expected, r.Anomaly = e, d.upper, true
		}
	} else {
		r.Upper = max(p.V, d.lower)
	}
	if d.hasLow {
		r.Lower = d.lower
		e := (d.lower - p.V) / d.magnitude(d.lower)
		r.Score = max(r.Score, sideScore(e))
		if p.V <= d.lower {
			r.Z, r.Expected, r.Anomaly = -e, d.lower, true
		}
	} else {
		r.Lower = min(p.V, d.upper)
	}
	return true
}
