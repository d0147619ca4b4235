package detector

import (
	"math"
	"time"

	"github.com/seismo-dev/seismo/baseline"
	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/series"
)

// TypeNoData is the missing-data detector.
const TypeNoData = "no_data"

// NoDataConfig tunes type no_data.
type NoDataConfig struct {
	// Missing is how many consecutive missing points alert; 0 means
	// K(sensitivity) (4.4 at the default 0.7, so 5 missing points).
	Missing float64 `yaml:"missing,omitempty"`
	// Step is the expected interval between points; 0 means the median
	// of the last 31 observed intervals.
	Step field.Duration `yaml:"step,omitempty"`
}

// noDataIntervals is how many recent intervals estimate the step.
const noDataIntervals = 31

// NoData detects gaps (type no_data): when a point arrives Δ after the
// previous one, m = Δ/step − 1 points are missing, and it crosses when
// m ≥ M, the configured number (default K(s)). Score = m / (m + M). The
// step is configured or the median of the last 31 intervals (so it needs
// 3 intervals before it can judge). The streaming form judges a gap when
// the next point arrives; the engine asks Stale(now) between points,
// which judges the gap up to now as if a point arrived then, without
// changing the stream. Expected, Lower and Upper are the previous value;
// Z is 0; direction and min_deviation do not apply. Parameters:
// no_data.missing, no_data.step. It ignores the model.
type NoData struct {
	missing float64
	step    time.Duration
}

func newNoData(c NoDataConfig, sensitivity float64) (*NoData, error) {
	var errs field.List
	d := &NoData{missing: c.Missing, step: c.Step.Std()}
	if d.missing == 0 {
		d.missing = Threshold(sensitivity)
	}
	if !(d.missing > 0) || math.IsInf(d.missing, 0) {
		errs.Addf("no_data.missing", "must be a positive number, got %v", c.Missing)
	}
	if d.step < 0 {
		errs.Addf("no_data.step", "must not be negative, got %v", c.Step)
	}
	return d, errs.Err()
}

// Name returns "no_data".
func (d *NoData) Name() string { return TypeNoData }

// Warmup returns enough points to estimate the step.
func (d *NoData) Warmup() int { return noDataIntervals + 1 }

func (d *NoData) exempt() (direction, deviation bool) { return true, true }

// NewStream implements Detector; the model is not used.
func (d *NoData) NewStream(baseline.Model) Stream {
	return &noDataStream{d: d, iv: newSortedWindow(noDataIntervals)}
}

type noDataStream struct {
	d     *NoData
	ck    clock
	last  series.Point
	iv    *sortedWindow // recent intervals in seconds
	begun bool
}

// Push implements Stream.
func (s *noDataStream) Push(p series.Point) (r Result, ok bool) {
	ok = finite(p.V) && s.ck.accept(p.T) && s.push(p, &r)
	return r, ok
}

func (s *noDataStream) push(p series.Point, r *Result) (ok bool) {
	if s.begun {
		ok = s.judge(r, p.T, p.V)
		s.iv.push(p.T.Sub(s.last.T).Seconds())
	}
	s.last, s.begun = p, true
	return ok
}

// Stale implements Staler: the verdict on the gap from the last point to
// now, as if a point arrived at now with the last value.
func (s *noDataStream) Stale(now time.Time) (r Result, ok bool) {
	if !s.begun || !now.After(s.last.T) || !s.judge(&r, now, s.last.V) {
		return Result{}, false
	}
	return r, true
}

func (s *noDataStream) judge(r *Result, t time.Time, v float64) bool {
	step := s.d.step.Seconds()
	if step == 0 {
		if s.iv.len() < 3 {
			return false
		}
		step = s.iv.median()
	}
	if !(step > 0) {
		return false
	}
	m := max(0, t.Sub(s.last.T).Seconds()/step-1)
	*r = Result{
		T:        t,
		Value:    v,
		Expected: s.last.V,
		Lower:    s.last.V,
		Upper:    s.last.V,
		Score:    ratio(m, s.d.missing),
		Anomaly:  m >= s.d.missing,
	}
	return true
}
