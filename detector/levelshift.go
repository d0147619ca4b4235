package detector

import (
	"github.com/seismo-dev/seismo/baseline"
	"github.com/seismo-dev/seismo/series"
)

// TypeLevelShift is the level-shift detector.
const TypeLevelShift = "level_shift"

// DefaultLevelShiftWindow is the default length of each of the two
// windows of type level_shift.
const DefaultLevelShiftWindow = 30

// LevelShift detects a lasting change of level (type level_shift): it
// compares the median of the last w points (the point judged included)
// with the median of the w points before them, in units of the earlier
// window's robust scale σ (1.4826·MAD, see robust_z; the recent window's
// would be inflated by the step itself while it straddles it):
//
//	d = (median_after − median_before) / σ
//
// and crosses when |d| ≥ T with T = 1 + 4·(1 − s) (s = 0.7 → 2.2, s = 1
// → 1, s = 0 → 5): a shift of T noise standard deviations. The MAD of w
// points is a noisy σ, so at the default a shift of 3σ is usually seen
// and one of 4σ always. Score =
// |d| / (|d| + T); Expected is the earlier median and the band
// median_before ∓ T·σ. A step is seen once it holds half the recent
// window, and keeps crossing until it holds half the earlier one, about
// w points in all. Parameters: level_shift.window (w, default 30). It
// ignores the model and judges once it has 2w points.
type LevelShift struct {
	window int
	t      float64
}

// Name returns "level_shift".
func (d *LevelShift) Name() string { return TypeLevelShift }

// Warmup returns the two windows.
func (d *LevelShift) Warmup() int { return 2 * d.window }

// NewStream implements Detector; the model is not used.
func (d *LevelShift) NewStream(baseline.Model) Stream {
	return &levelShiftStream{d: d, before: newSortedWindow(d.window), after: newSortedWindow(d.window)}
}

type levelShiftStream struct {
	d             *LevelShift
	ck            clock
	before, after *sortedWindow
}

// Push implements Stream.
func (s *levelShiftStream) Push(p series.Point) (r Result, ok bool) {
	ok = finite(p.V) && s.ck.accept(p.T) && s.push(p, &r)
	return r, ok
}

func (s *levelShiftStream) push(p series.Point, r *Result) bool {
	if old, ok := s.after.push(p.V); ok {
		s.before.push(old)
	}
	if !s.before.full() {
		return false
	}
	mb, ma := s.before.median(), s.after.median()
	sigma := max(s.before.robustScale(mb), scaleFloor(mb))
	if !zResult(r, series.Point{T: p.T, V: ma}, mb, sigma, s.d.t) {
		return false
	}
	r.Value = p.V
	return true
}
