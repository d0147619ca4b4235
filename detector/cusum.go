package detector

import (
	"math"

	"github.com/seismo-dev/seismo/baseline"
	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/series"
)

// TypeCUSUM is the two-sided CUSUM change detector.
const TypeCUSUM = "cusum"

// CUSUMConfig tunes type cusum.
type CUSUMConfig struct {
	// Drift is the allowance k in robust standard deviations: shifts
	// smaller than about 2k are ignored. Default 0.5 (tuned for a shift
	// of one σ).
	Drift float64 `yaml:"drift,omitempty"`
	// Window is the number of past points whose median and robust scale
	// standardise new points; default 200.
	Window int `yaml:"window,omitempty"`
}

// Defaults of type cusum.
const (
	DefaultCUSUMDrift  = 0.5
	DefaultCUSUMWindow = 200
)

// CUSUM is the two-sided cumulative-sum change detector (type cusum).
// Each point is standardised by the median μ and robust scale σ
// (1.4826·MAD, see robust_z) of the window points before it, u = (x − μ)/σ,
// and accumulated:
//
//	S⁺ = max(0, S⁺ + u − k)      S⁻ = max(0, S⁻ − u − k)
//
// A point crosses when max(S⁺, S⁻) ≥ h, the decision interval, with
// h = 4 + 12·(1 − s) (s = 0.7 → 7.6, s = 1 → 4, s = 0 → 16); both sums then
// restart at 0, so a lasting shift alarms again every few points until the
// window's median has followed it. With k = 0.5 and Gaussian noise the
// in-control run between false alarms is about 6,000 points at h = 7.6
// (Siegmund's approximation), and a one-σ shift is found after about
// 16 points. Estimating μ and σ from a finite window makes false alarms
// somewhat more frequent than that. Score = S / (S + h) with S = max(S⁺, S⁻); Z is S⁺ or −S⁻,
// whichever is larger; the band holds the values that would not cross at
// this point, from the sums before it: μ + σ·(h − S⁺ + k) above and
// μ − σ·(h − S⁻ + k) below.
// Parameters: cusum.drift (0.5), cusum.window (200). It ignores the model
// and judges once the window holds a quarter of its points (at least 8).
type CUSUM struct {
	drift  float64
	window int
	h      float64
}

func newCUSUM(c CUSUMConfig, sensitivity float64) (*CUSUM, error) {
	var errs field.List
	d := &CUSUM{drift: c.Drift, h: 4 + 12*(1-sensitivity)}
	if d.drift == 0 {
		d.drift = DefaultCUSUMDrift
	}
	if !(d.drift > 0 && d.drift <= 10) {
		errs.Addf("cusum.drift", "must be in (0, 10], got %v", c.Drift)
	}
	d.window = checkWindow(c.Window, "cusum.window", DefaultCUSUMWindow, &errs)
	return d, errs.Err()
}

// Name returns "cusum".
func (d *CUSUM) Name() string { return TypeCUSUM }

// Warmup returns twice the window: the sums start at 0 and forget the
// start within a window.
func (d *CUSUM) Warmup() int { return 2 * d.window }

// NewStream implements Detector; the model is not used.
func (d *CUSUM) NewStream(baseline.Model) Stream {
	return &cusumStream{d: d, w: newSortedWindow(d.window)}
}

type cusumStream struct {
	d        *CUSUM
	ck       clock
	w        *sortedWindow
	pos, neg float64
}

// Push implements Stream.
func (s *cusumStream) Push(p series.Point) (r Result, ok bool) {
	ok = finite(p.V) && s.ck.accept(p.T) && s.push(p, &r)
	return r, ok
}

func (s *cusumStream) push(p series.Point, r *Result) (ok bool) {
	if s.w.len() >= warmFill(s.d.window) {
		ok = s.judge(p, r)
	}
	s.w.push(p.V)
	return ok
}

func (s *cusumStream) judge(p series.Point, r *Result) bool {
	k, h := s.d.drift, s.d.h
	mu := s.w.median()
	sigma := max(s.w.robustScale(mu), scaleFloor(mu))
	u := (p.V - mu) / sigma
	if !finite(mu) || !finite(sigma) || math.IsNaN(u) {
		return false
	}
	*r = Result{ // the band from the sums before this point: crossing ⇔ outside it
		T:        p.T,
		Value:    p.V,
		Expected: mu,
		Upper:    clampF(mu + sigma*(h-s.pos+k)),
		Lower:    clampF(mu - sigma*(h-s.neg+k)),
	}
	s.pos = max(0, s.pos+u-k)
	s.neg = max(0, s.neg-u-k)
	r.Z = s.pos
	if s.neg > s.pos {
		r.Z = -s.neg
	}
	sum := math.Abs(r.Z)
	r.Score = ratio(sum, h)
	if sum >= h {
		r.Anomaly = true
		s.pos, s.neg = 0, 0
	}
	return true
}
