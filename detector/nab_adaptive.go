package detector

import (
	"fmt"
	"math"

	"github.com/seismo-dev/seismo/baseline"
	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/series"
)

// TypeAdaptive names the adaptive streaming detector.
const TypeAdaptive = "adaptive"

// AdaptiveParams tunes the adaptive detector (YAML key "adaptive"). Zero
// fields take the defaults, which were chosen once for the whole NAB corpus
// (see nabtune_test.go) and are meant for any series.
type AdaptiveParams struct {
	// Memory is the number of points over which the robust level and
	// scales are learnt (an exponential weight of 1/Memory). Default 2000.
	Memory int `yaml:"memory,omitempty"`
	// Fast is the number of points of the short level that is compared
	// with the long one to see level shifts. Default 10.
	Fast int `yaml:"fast,omitempty"`
	// Horizon is the number of points after which the memory of the most
	// surprising point seen halves. Default 13863 (decay 0.99995 a point).
	Horizon int `yaml:"horizon,omitempty"`
	// Quiet is the number of points after an alert during which further
	// alerts are damped, so one event alerts once. Default 100.
	Quiet int `yaml:"quiet,omitempty"`
	// Warmup is the number of points before the detector judges
	// anything. Default 200.
	Warmup int `yaml:"warmup,omitempty"`
}

// Default adaptive parameters.
const (
	DefaultAdaptiveMemory  = 2000
	DefaultAdaptiveFast    = 10
	DefaultAdaptiveHorizon = 13863
	DefaultAdaptiveQuiet   = 100
	DefaultAdaptiveWarmup  = 200
)

// ApplyDefaults fills unset fields.
func (p *AdaptiveParams) ApplyDefaults() {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&p.Memory, DefaultAdaptiveMemory)
	def(&p.Fast, DefaultAdaptiveFast)
	def(&p.Horizon, DefaultAdaptiveHorizon)
	def(&p.Quiet, DefaultAdaptiveQuiet)
	def(&p.Warmup, DefaultAdaptiveWarmup)
}

// Validate checks the fields; paths are relative ("memory"). Call
// ApplyDefaults first.
func (p AdaptiveParams) Validate() error {
	var errs field.List
	for _, f := range []struct {
		path     string
		v, lo    int
		describe string
	}{
		{"memory", p.Memory, 2, "at least 2 points"},
		{"fast", p.Fast, 1, "at least 1 point"},
		{"horizon", p.Horizon, 1, "at least 1 point"},
		{"quiet", p.Quiet, 0, "not negative"},
		{"warmup", p.Warmup, 2, "at least 2 points"},
	} {
		if f.v < f.lo {
			errs.Add(f.path, fmt.Errorf("must be %s, got %d", f.describe, f.v))
		}
	}
	if p.Fast >= p.Memory {
		errs.Addf("fast", "must be shorter than memory (%d), got %d", p.Memory, p.Fast)
	}
	return errs.Err()
}

// Adaptive is a model-free streaming detector (type adaptive) built for
// series whose normal behaviour is unknown and drifts: it learns as it
// goes and flags points that are more surprising than anything it has
// seen recently.
//
// Each point is looked at in four views, each a non-negative surprise:
//
//   - level: |x − m| / σ, the distance from a robust running level m in
//     units of a robust running scale σ;
//   - step: |x − x₋₁| / δ, the jump from the previous point in units of
//     the typical jump δ (root mean square of past jumps);
//   - shift: |f − m| / σ, how far a fast running mean f (Fast points) has
//     moved from the slow level, which catches level shifts and trends
//     that no single point gives away;
//   - daily: |x − d_h| / ρ, the distance from the value expected at this
//     hour of the day (d_h, one exponentially weighted mean per hour of
//     the point's timestamp in its own location, weight 0.2, used once
//     the hour has been seen twice) in units of the robust scale ρ of
//     those residuals. It catches a day that looks wrong though every
//     value is in range (a missing jump, a flat afternoon).
//
// m, σ, δ and ρ are exponentially weighted over Memory points with Huber
// clipping at 2σ, so one outlier neither drags the level nor inflates the
// scale. A view's surprise r is judged against R, the largest surprise the
// view has produced so far, decaying by half every Horizon points:
//
//	score = r / (r + K·R)        K = 1.13·4^(0.7 − sensitivity)
//
// so 0.5 means "K times as surprising as the worst thing seen lately",
// and the point's score is the largest of the four. This makes the score
// self-calibrating: a noisy series and a quiet one alert about as often,
// and an alert needs a surprise beyond what the series has already shown.
// After a clear new record (some view at least 1.22 times its R, which
// sensitivity does not move) the next Quiet points are damped (their
// score is scaled by i/Quiet·½ for the i-th), so one event alerts once. The first Warmup points only train the detector (Push returns
// ok = false).
//
// Result.Expected is m and Z is (x − m)/σ. The band [Lower, Upper] is the
// range of values that would have scored below 0.5 in every view, given
// what the stream knew before the point (the damping after an alert
// widens it further and is not shown).
//
// Cost: O(1) time per point and under 1 KiB per stream.
type Adaptive struct {
	p AdaptiveParams
	k float64 // K(sensitivity)
}

// NewAdaptive returns the adaptive detector for p and a sensitivity in
// [0, 1] (0.7 is the default). p is used after ApplyDefaults.
func NewAdaptive(p AdaptiveParams, sensitivity float64) (*Adaptive, error) {
	p.ApplyDefaults()
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if !(sensitivity >= 0 && sensitivity <= 1) {
		return nil, field.Errorf("sensitivity", "sensitivity must be between 0 and 1, got %v", sensitivity)
	}
	return &Adaptive{p: p, k: AdaptiveFactor(sensitivity)}, nil
}

// AdaptiveFactor maps a sensitivity to K = 1.13·4^(0.7 − s): 1.13 at the
// default 0.7, where the best corpus-wide NAB threshold is 0.50; 0.74 at 1
// and 3.0 at 0.
func AdaptiveFactor(sensitivity float64) float64 {
	return 1.13 * math.Pow(4, 0.7-sensitivity)
}

// Name returns "adaptive".
func (d *Adaptive) Name() string { return TypeAdaptive }

// Params returns the parameters in use, defaults applied.
func (d *Adaptive) Params() AdaptiveParams { return d.p }

// NewStream implements Detector. The model is not used.
func (d *Adaptive) NewStream(baseline.Model) Stream {
	p := d.p
	return &adaptiveStream{
		k:     d.k,
		slow:  1 / float64(p.Memory),
		fast:  1 / float64(p.Fast),
		decay: math.Exp(-math.Ln2 / float64(p.Horizon)),
		quiet: p.Quiet,
		warm:  p.Warmup,
		since: math.MaxInt32,
	}
}

// Adaptive's fixed constants.
const (
	adaptiveHuber = 2.0 // clip deviations at this many σ when learning
	adaptiveViews = 4   // level, step, shift, daily
	// adaptiveRecord is how far past its worst surprise a view must go
	// for an alert to damp the ones after it: a clear new record, so
	// that marginal crossings do not silence the detector.
	adaptiveRecord = 1.22
	// The daily profile: one bucket per hour of the day, learnt with
	// weight adaptiveDayAlpha, used once it has seen adaptiveDayMin days.
	adaptiveDayAlpha = 0.2
	adaptiveDayMin   = 2
	// adaptiveCap bounds a view's surprise so that a value that is huge
	// (or a scale that is 0) cannot blow the running maximum up forever.
	adaptiveCap = 1e6
)

// ewStat is an exponentially weighted mean and variance; add optionally
// clips deviations (Huber) once it has seen enough points to have a scale.
type ewStat struct {
	mean, vari float64
	n          int
}

func (e *ewStat) add(x, alpha float64, clip bool) {
	e.n++
	if e.n == 1 {
		e.mean = x
		return
	}
	alpha = max(alpha, 1/float64(e.n)) // plain averages while young
	d := x - e.mean
	if clip && e.n > 10 {
		if c := adaptiveHuber * math.Sqrt(e.vari); c > 0 {
			d = max(-c, min(c, d))
		}
	}
	e.mean += alpha * d
	e.vari = (1 - alpha) * (e.vari + alpha*d*d)
}

type adaptiveStream struct {
	k, slow, fast, decay float64
	quiet, warm          int

	ck    clock
	n     int
	prev  float64
	level ewStat // robust slow level and scale of x
	step  ewStat // robust mean and scale of x − x₋₁
	short ewStat // fast mean of x
	worst [adaptiveViews]float64
	since int // points since the last alert that damps

	day    [24]float64 // expected value per hour of the day
	dayN   [24]int     // points seen per hour
	dayRes ewStat      // robust scale of x − day[hour]
}

// fastAlpha is the weight the fast mean gives the next point.
func (s *adaptiveStream) fastAlpha() float64 {
	return max(s.fast, 1/float64(s.short.n+1))
}

// Push implements Stream.
func (s *adaptiveStream) Push(p series.Point) (r Result, ok bool) {
	ok = finite(p.V) && s.ck.accept(p.T) && s.push(p, &r)
	return r, ok
}

func (s *adaptiveStream) push(p series.Point, res *Result) bool {
	x := p.V
	s.n++
	if s.n == 1 {
		s.prev = x
		s.level.add(x, 1, false)
		s.short.add(x, 1, false)
		return false
	}
	m, sd := s.level.mean, math.Sqrt(s.level.vari)
	// A floor relative to the level keeps a constant series from turning
	// rounding noise into infinite surprise.
	eps := 1e-9 + 1e-6*math.Abs(m)
	sd += eps
	dscale := math.Sqrt(s.step.vari+s.step.mean*s.step.mean) + eps
	f0 := s.short.mean // before x
	dx := x - s.prev
	s.short.add(x, s.fast, false)
	h := p.T.Hour()
	dayOK := s.dayN[h] >= adaptiveDayMin
	dsd := math.Sqrt(s.dayRes.vari) + eps
	r := [adaptiveViews]float64{
		math.Abs(x-m) / sd,
		math.Abs(dx) / dscale,
		math.Abs(s.short.mean-m) / sd,
		0,
	}
	if dayOK {
		r[3] = math.Abs(x-s.day[h]) / dsd
	}
	// The band is where the first view would cross 0.5 given the state
	// before x: the tightest of the four views' limits on x.
	w := s.worst
	lower, upper := m-s.k*w[0]*sd, m+s.k*w[0]*sd
	lower, upper = max(lower, s.prev-s.k*w[1]*dscale), min(upper, s.prev+s.k*w[1]*dscale)
	if a := s.fastAlpha(); a > 0 {
		lower = max(lower, f0+(m-s.k*w[2]*sd-f0)/a)
		upper = min(upper, f0+(m+s.k*w[2]*sd-f0)/a)
	}
	if dayOK {
		lower = max(lower, s.day[h]-s.k*w[3]*dsd)
		upper = min(upper, s.day[h]+s.k*w[3]*dsd)
		s.dayRes.add(x-s.day[h], s.slow, true)
	}
	if s.dayN[h] == 0 {
		s.day[h] = x
	} else {
		s.day[h] += max(adaptiveDayAlpha, 1/float64(s.dayN[h]+1)) * (x - s.day[h])
	}
	s.dayN[h]++
	s.level.add(x, s.slow, true)
	s.step.add(dx, s.slow, true)
	s.prev = x

	half := s.warm / 2 // first half: statistics; second: the worst surprises
	// unit is the score at K = 1, on which the damping decision rests so
	// that it does not move with the sensitivity.
	score, unit := 0.0, 0.0
	for i, v := range r {
		if !(v <= adaptiveCap) { // also NaN from overflowing arithmetic
			v = adaptiveCap
		}
		if s.n <= half {
			continue
		}
		if s.n > s.warm {
			score = max(score, v/(v+s.k*s.worst[i]+1e-12))
			unit = max(unit, v/(v+s.worst[i]+1e-12))
		}
		s.worst[i] = max(s.worst[i]*s.decay, v)
	}
	if s.n <= s.warm {
		return false
	}
	s.since++
	if s.since <= s.quiet {
		damp := float64(s.since) / float64(s.quiet) / 2
		score *= damp
		unit *= damp
	}
	if unit >= adaptiveRecord/(1+adaptiveRecord) {
		s.since = 0
	}
	z := (x - m) / sd
	*res = Result{
		T:        p.T,
		Value:    x,
		Expected: m,
		Lower:    lower,
		Upper:    upper,
		Score:    score,
		Anomaly:  score >= 0.5,
		Z:        z,
	}
	return true
}
