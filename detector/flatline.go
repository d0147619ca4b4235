package detector

import (
	"math"
	"time"

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
// of the run's first value (flatline.tolerance, at least 1e-9 of the
// run's magnitude). The margin m = 1 + 2·(1 − s) (s = 0.7 → 1.6) scales
// the plausible length into the allowed one.
//
// With a baseline model (the form monitors use), only points where the
// baseline expects the series to move count: its expectation at the
// point is OK, and both |expected| and the scale exceed the tolerance. A
// session-bound count whose expected value outside the session is 0 is
// not stuck at night, at weekends or on holidays, but a feed frozen while
// the session should be moving is. The run's length r is the number of
// such points in it, and the allowed length at the point's phase (the
// model's Expectation.Phase, e.g. "mon 09:30") is
//
//	a = max(min_run, m·q + 1)
//
// where q is the 99th percentile of the lengths that runs in normal time
// (runs that did not alert) had reached in that phase; with fewer than 3
// such runs in the phase, of the run lengths over all phases. Nothing
// crosses until 3 runs have been seen.
//
// Without a model every point counts and the allowed length is
// max(min_run, m·longest + 1), where longest is the longest run that
// ended so far without alerting (History included), so a count that is 0
// every night is not a flatline at night; nothing crosses until the
// series has varied (at least 3 completed runs): a series that has always
// been constant is not "stuck".
//
// A point crosses when r ≥ a; Score = r / (r + a). Expected, Lower and
// Upper are the run's value; Z is 0. Direction and min_deviation do not
// apply. Parameters: flatline.min_run (10), flatline.tolerance (0). It
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

// NewStream implements Detector; with a model, runs count only where it
// expects the series to move.
func (d *Flatline) NewStream(m baseline.Model) Stream {
	s := &flatlineStream{d: d}
	if m != nil {
		s.phased = &flatPhased{m: m, index: map[string]int{}, last: -1}
	}
	return s
}

type flatlineStream struct {
	d       *Flatline
	ck      clock
	n       int     // points seen
	ref     float64 // the run's first value
	run     int     // length of the current run
	alerted bool    // the current run crossed
	longest int     // longest completed run that did not cross
	runs    int     // completed runs
	phased  *flatPhased
}

// flatPhased is the model-aware state of a flatline stream.
type flatPhased struct {
	m     baseline.Model
	eff   int            // points of the current run where the model expects movement
	index map[string]int // phase name → stats index
	stats []flatLengths  // by phase
	all   flatLengths    // every phase
	last  int            // the previous point's phase index (−1: none)
	lastP string         // and its name
	// covered lists the phases the current run's counted points fell in,
	// with the run's length at its last point in each.
	covered []flatCovered
}

type flatCovered struct{ phase, eff int }

// flatTop is how many of the longest run lengths a phase remembers: the
// 99th percentile of up to 800 runs.
const flatTop = 8

// flatLengths summarises the run lengths seen in normal time: their count
// and the longest flatTop, longest first.
type flatLengths struct {
	n   int
	top [flatTop]int32
}

func (f *flatLengths) add(l int) {
	f.n++
	v := int32(min(l, math.MaxInt32))
	for i := range f.top {
		if v > f.top[i] {
			v, f.top[i] = f.top[i], v
		}
	}
}

// q99 is the 99th percentile of the lengths: the (⌊n/100⌋+1)-th longest
// of n, so that 1% of the runs were longer (the flatTop-th longest once
// n reaches 100·flatTop, where it underestimates and errs towards
// alerting).
func (f *flatLengths) q99() int {
	return int(f.top[min(f.n/100, flatTop-1)])
}

// phase returns the stats index of a phase name.
func (ph *flatPhased) phase(name string) int {
	if ph.last >= 0 && name == ph.lastP {
		return ph.last
	}
	i, ok := ph.index[name]
	if !ok {
		i = len(ph.stats)
		ph.index[name] = i
		ph.stats = append(ph.stats, flatLengths{})
	}
	ph.last, ph.lastP = i, name
	return i
}

// endRun records the finished run's lengths, when it was normal.
func (ph *flatPhased) endRun(alerted bool) {
	if !alerted && ph.eff > 0 {
		for _, c := range ph.covered {
			ph.stats[c.phase].add(c.eff)
		}
		ph.all.add(ph.eff)
	}
	ph.eff, ph.covered = 0, ph.covered[:0]
}

// count notes a point of the current run; it reports whether the model
// expects the series to move there (and the phase's index if so).
func (ph *flatPhased) count(t time.Time, tol float64) (int, bool) {
	e := ph.m.Expect(t)
	if !e.OK || !finite(e.Value) || !finite(e.Scale) || !(e.Scale > tol) || !(math.Abs(e.Value) > tol) {
		return 0, false
	}
	i := ph.phase(e.Phase)
	ph.eff++
	if n := len(ph.covered); n > 0 && ph.covered[n-1].phase == i {
		ph.covered[n-1].eff = ph.eff
	} else if n < 256 { // a run across more phases keeps its first ones
		ph.covered = append(ph.covered, flatCovered{i, ph.eff})
	}
	return i, true
}

// Push implements Stream.
func (s *flatlineStream) Push(p series.Point) (r Result, ok bool) {
	ok = finite(p.V) && s.ck.accept(p.T) && s.push(p, &r)
	return r, ok
}

func (s *flatlineStream) push(p series.Point, r *Result) bool {
	if s.phased != nil {
		return s.pushPhased(p, r)
	}
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

// pushPhased is push with a model (see Flatline).
func (s *flatlineStream) pushPhased(p series.Point, r *Result) bool {
	ph := s.phased
	s.n++
	if s.n > 1 && math.Abs(p.V-s.ref) <= max(s.d.tol, 1e-9*math.Abs(s.ref)) {
		s.run++
	} else {
		if s.n > 1 {
			s.runs++
			ph.endRun(s.alerted)
		}
		s.ref, s.run, s.alerted = p.V, 1, false
	}
	phase, moving := ph.count(p.T, max(s.d.tol, 1e-9*math.Abs(s.ref)))
	if s.n < 10 {
		return false
	}
	*r = Result{T: p.T, Value: p.V, Expected: s.ref, Lower: s.ref, Upper: s.ref}
	if s.runs < 3 || ph.all.n < 3 || !moving {
		return true
	}
	q := ph.all.q99()
	if st := &ph.stats[phase]; st.n >= 3 {
		q = st.q99()
	}
	a := max(float64(s.d.minRun), s.d.mult*float64(q)+1)
	r.Score = ratio(float64(ph.eff), a)
	if float64(ph.eff) >= a {
		r.Anomaly, s.alerted = true, true
	}
	return true
}
