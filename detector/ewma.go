package detector

import (
	"math"

	"github.com/seismo-dev/seismo/baseline"
	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/series"
)

// TypeEWMA is the EWMA control chart.
const TypeEWMA = "ewma"

// EWMAConfig tunes type ewma.
type EWMAConfig struct {
	// Lambda is the weight of the newest point, in (0, 1]; default 0.2.
	// Smaller values see smaller, longer shifts.
	Lambda float64 `yaml:"lambda,omitempty"`
	// Window is the number of past points whose median and robust scale
	// are the chart's centre line and σ; default 200.
	Window int `yaml:"window,omitempty"`
}

// Defaults of type ewma.
const (
	DefaultEWMALambda = 0.2
	DefaultEWMAWindow = 200
)

// EWMA is the exponentially weighted moving average control chart (type
// ewma). The statistic e_t = λ·x_t + (1 − λ)·e_{t−1} (e_0 = x_0) is
// compared with the centre line μ, the median of the window points before
// x_t, in units of its own standard deviation
//
//	σ_e = σ·√(λ/(2 − λ)·(1 − (1 − λ)^(2t)))
//
// where σ is the window's robust scale (1.4826·MAD, see robust_z) and t
// the points seen. z = (e − μ)/σ_e crosses when |z| ≥ L, with
// L = 2.5 + 5·(1 − s) (s = 0.7 → 4, s = 1 → 2.5, s = 0 → 7.5); Score =
// |z| / (|z| + L). Lower and Upper are the control limits μ ∓ L·σ_e of the
// statistic, not of raw values. Because μ follows the window's median, a
// lasting shift stops alerting once it fills half the window.
// Parameters: ewma.lambda (0.2), ewma.window (200). It ignores the model
// and judges once the window holds a quarter of its points (at least 8).
type EWMA struct {
	lambda float64
	window int
	l      float64
	steady float64 // √(λ/(2−λ)·(1 − 0)): σ_e/σ once (1 − λ)^(2t) has underflowed
}

func newEWMA(c EWMAConfig, sensitivity float64) (*EWMA, error) {
	var errs field.List
	d := &EWMA{lambda: c.Lambda, l: 2.5 + 5*(1-sensitivity)}
	if d.lambda == 0 {
		d.lambda = DefaultEWMALambda
	}
	if !(d.lambda > 0 && d.lambda <= 1) {
		errs.Addf("ewma.lambda", "must be in (0, 1], got %v", c.Lambda)
	}
	d.window = checkWindow(c.Window, "ewma.window", DefaultEWMAWindow, &errs)
	d.steady = math.Sqrt(d.lambda / (2 - d.lambda) * (1 - 0.0))
	return d, errs.Err()
}

// Name returns "ewma".
func (d *EWMA) Name() string { return TypeEWMA }

// Warmup is the window plus the points after which the statistic has
// forgotten its start (weight below 1e-6).
func (d *EWMA) Warmup() int {
	if d.lambda >= 1 {
		return d.window
	}
	return d.window + int(math.Ceil(math.Log(1e-6)/math.Log1p(-d.lambda)))
}

// NewStream implements Detector; the model is not used.
func (d *EWMA) NewStream(baseline.Model) Stream {
	return &ewmaStream{d: d, w: newSortedWindow(d.window), decay: 1}
}

type ewmaStream struct {
	d     *EWMA
	ck    clock
	w     *sortedWindow
	e     float64
	decay float64 // (1 − λ)^(2t)
	seen  bool
}

// Push implements Stream.
func (s *ewmaStream) Push(p series.Point) (r Result, ok bool) {
	ok = finite(p.V) && s.ck.accept(p.T) && s.push(p, &r)
	return r, ok
}

func (s *ewmaStream) push(p series.Point, r *Result) (ok bool) {
	lam := s.d.lambda
	if !s.seen || !finite(s.e) {
		s.e, s.seen = p.V, true
	} else {
		s.e = lam*p.V + (1-lam)*s.e
	}
	if s.decay != 0 { // once it underflows to 0 it stays 0
		s.decay *= (1 - lam) * (1 - lam)
	}
	if s.w.len() >= warmFill(s.d.window) {
		ok = s.judge(p, r)
	}
	s.w.push(p.V)
	return ok
}

func (s *ewmaStream) judge(p series.Point, r *Result) bool {
	lam, l := s.d.lambda, s.d.l
	mu := s.w.median()
	sigma := max(s.w.robustScale(mu), scaleFloor(mu))
	f := s.d.steady // √(λ/(2−λ)), the same bits as the expression at decay 0
	if s.decay != 0 {
		f = math.Sqrt(lam / (2 - lam) * (1 - s.decay))
	}
	se := sigma * f
	if !finite(se) || !(se > 0) || !finite(s.e) {
		return false
	}
	z := (s.e - mu) / se
	if math.IsNaN(z) {
		return false
	}
	dz := math.Abs(z)
	*r = Result{
		T:        p.T,
		Value:    p.V,
		Expected: mu,
		Lower:    clampF(mu - l*se),
		Upper:    clampF(mu + l*se),
		Score:    ratio(dz, l),
		Z:        z,
		Anomaly:  dz >= l,
	}
	return true
}
