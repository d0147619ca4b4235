package detector

import (
	"math"

	"github.com/seismo-dev/seismo/baseline"
	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/series"
)

// TypeFlatline is the stuck-value detector.
const TypeFlatline = "flatline"

// FlatlineConfig tunes type flatline.
type FlatlineConfig struct {
	// MinRun is the shortest run of equal values that may alert; default 10.
	MinRun int `yaml:"min_run,omitempty"`
	// Tolerance is how far (absolute) a value may be from the first value
	// of its run and still count as the same; default 0: equal up to
	// 1e-9 relative.
	Tolerance float64 `yaml:"tolerance,omitempty"`
}

// DefaultFlatlineMinRun is the default flatline.min_run.
const DefaultFlatlineMinRun = 10

// Flatline detects a series that got stuck (type flatline): a run of
// identical or near-identical values longer than the series' own history
// makes plausible. A run continues while values stay within the tolerance
// of the run's first value. The allowed length is
//
//	a = max(min_run, m·longest + 1)      m = 1 + 2·(1 − s)
//
// where longest is the longest run that ended so far without alerting
// (History included; s = 0.7 → m = 1.6), so a count that is 0 every
// night is not a flatline at night. A point crosses when its run has
// lasted r ≥ a points; Score = r / (r + a). Nothing crosses until the
// series has varied (at least 3 completed runs): a series that has always
// been constant is not "stuck". Expected, Lower and Upper are the run's
// value; Z is 0. Direction and min_deviation do not apply. Parameters:
// flatline.min_run (10), flatline.tolerance (0). It ignores the model and
// judges from the 10th point.
type Flatline struct {
	minRun int
	tol    float64
	mult   float64
}

func newFlatline(c FlatlineConfig, sensitivity float64) (*Flatline, error) {
	var errs field.List
	d := &Flatline{minRun: c.MinRun, tol: c.Tolerance, mult: 1 + 2*(1-sensitivity)}
	if d.minRun == 0 {
		d.minRun = DefaultFlatlineMinRun
	}
	if d.minRun < 2 || d.minRun > 1_000_000 {
		errs.Addf("flatline.min_run", "must be between 2 and 1000000, got %d", c.MinRun)
	}
	if !(d.tol >= 0) || math.IsInf(d.tol, 0) {
		errs.Addf("flatline.tolerance", "must be a non-negative number, got %v", c.Tolerance)
	}
	return d, errs.Err()
}

// Name returns "flatline".
func (d *Flatline) Name() string { return TypeFlatline }

// Warmup returns -1: the typical run length comes from all of History.
func (d *Flatline) Warmup() int { return -1 }

func (d *Flatline) exempt() (direction, deviation bool) { return true, true }

// NewStream implements Detector; the model is not used.
func (d *Flatline) NewStream(baseline.Model) Stream { return &flatlineStream{d: d} }

type flatlineStream struct {
	d       *Flatline
	ck      clock
	n       int     // points seen
	ref     float64 // the run's first value
	run     int     // length of the current run
	alerted bool    // the current run crossed
	longest int     // longest completed run that did not cross
	runs    int     // completed runs
}

// Push implements Stream.
func (s *flatlineStream) Push(p series.Point) (r Result, ok bool) {
	ok = finite(p.V) && s.ck.accept(p.T) && s.push(p, &r)
	return r, ok
}

func (s *flatlineStream) push(p series.Point, r *Result) bool {
	s.n++
	if s.n > 1 && math.Abs(p.V-s.ref) <= max(s.d.tol, 1e-9*math.Abs(s.ref)) {
		s.run++
	} else {
		if s.n > 1 {
			s.runs++
			if !s.alerted {
				s.longest = max(s.longest, s.run)
			}
		}
		s.ref, s.run, s.alerted = p.V, 1, false
	}
	if s.n < 10 {
		return false
	}
	*r = Result{T: p.T, Value: p.V, Expected: s.ref, Lower: s.ref, Upper: s.ref}
	if s.runs < 3 {
		return true
	}
	a := max(float64(s.d.minRun), s.d.mult*float64(s.longest)+1)
	r.Score = ratio(float64(s.run), a)
	if float64(s.run) >= a {
		r.Anomaly, s.alerted = true, true
	}
	return true
}
