package detector

// The seasonal baseline residual detector ("seasonal") and the Holt–Winters
// residual detector ("holtwinters").
//
// Both judge the residual r = value − expected against an online robust
// scale σ of their own past residuals, z = r / σ, with the z threshold
// k = Threshold(sensitivity) of the robust detector: Score = |z|/(|z|+k),
// 0.5 exactly at |z| = k, band expected ∓ k·σ.
//
// seasonal: expected is the baseline model's expectation when the caller
// passes a model that can judge the instant, else the median of the values
// at the same phase of the last Cycles periods (the median of the last
// Window values for a series without period). Unlike robust, the scale is
// not the model's but measured on the detector's own recent residuals, so
// it tracks how well the baseline actually fits the series now.
//
// holtwinters: expected is the additive Holt–Winters one-step forecast
// (level, trend and a seasonal index per phase; Holt's linear method
// without period). Points beyond the threshold update the state with the
// value clipped to the band edge, so a spike does not drag the level with
// it while a lasting shift is still absorbed, a band-width per step.
//
// The residual scale starts as the robust σ (1.4826·MAD) of the first
// Window residuals and then follows an exponentially weighted mean of the
// absolute residuals, each clipped at k·σ (a Huber-style update: outliers
// widen the band only a little, a lasting change steadily).
//
// The period, in samples, is Period/step when configured, else found in
// the history by autocorrelation (ssPeriod): from Input.History in the
// batch form (Run), from the first Learn points in a bare stream, which
// judges nothing until it has them. Gaps count as missing samples, so the
// phase stays aligned; duplicates and out-of-order points are ignored
// (ok=false); non-finite values are missing samples.

import (
	"fmt"
	"math"
	"time"

	"github.com/seismo-dev/seismo/baseline"
	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/series"
)

// Type names of the seasonal family.
const (
	TypeSeasonal    = "seasonal"
	TypeHoltWinters = "holtwinters"
)

// PeriodNone disables seasonality in SeasonalParams.Period.
const PeriodNone = "none"

// SeasonalParams tunes the seasonal and holtwinters detectors (YAML keys
// `seasonal:` and `holtwinters:`). Zero values mean the defaults.
type SeasonalParams struct {
	// Period is the season: a duration ("1d"), "auto" (default: found by
	// autocorrelation) or "none".
	Period string `yaml:"period,omitempty"`
	// Cycles is how many past periods the seasonal median looks at
	// (default 4).
	Cycles int `yaml:"cycles,omitempty"`
	// Window is the number of residuals that start the scale and, without
	// a period, the number of values in the rolling median (default 60).
	Window int `yaml:"window,omitempty"`
	// ScaleWindow is the memory of the residual scale in points (the
	// weight of a new residual is 2/(ScaleWindow+1)); default 500.
	ScaleWindow int `yaml:"scale_window,omitempty"`
	// Learn is how many points a bare stream collects to find the period
	// when Period is auto (default 1000; Run uses the whole History).
	Learn int `yaml:"learn,omitempty"`
	// Alpha, Beta and Gamma are the Holt–Winters smoothing weights of the
	// level, trend and seasonal index (defaults 0.1, 0.005, 0.1).
	Alpha float64 `yaml:"alpha,omitempty"`
	Beta  float64 `yaml:"beta,omitempty"`
	Gamma float64 `yaml:"gamma,omitempty"`
}

// Seasonal defaults.
const (
	DefaultSeasonalCycles      = 4
	DefaultSeasonalWindow      = 60
	DefaultSeasonalScaleWindow = 500
	DefaultSeasonalLearn       = 1000
	DefaultHWAlpha             = 0.1
	DefaultHWBeta              = 0.005
	DefaultHWGamma             = 0.1
	// maxPeriodSamples bounds the rings: a period longer than this many
	// samples (five weeks of minutes) is treated as no period.
	maxPeriodSamples = 50400
)

// withDefaults returns p with unset fields filled.
func (p SeasonalParams) withDefaults() SeasonalParams {
	if p.Period == "" {
		p.Period = "auto"
	}
	if p.Cycles == 0 {
		p.Cycles = DefaultSeasonalCycles
	}
	if p.Window == 0 {
		p.Window = DefaultSeasonalWindow
	}
	if p.ScaleWindow == 0 {
		p.ScaleWindow = DefaultSeasonalScaleWindow
	}
	if p.Learn == 0 {
		p.Learn = DefaultSeasonalLearn
	}
	if p.Alpha == 0 {
		p.Alpha = DefaultHWAlpha
	}
	if p.Beta == 0 {
		p.Beta = DefaultHWBeta
	}
	if p.Gamma == 0 {
		p.Gamma = DefaultHWGamma
	}
	return p
}

// period parses Period: (d, auto, err); d == 0 and !auto means none.
func (p SeasonalParams) period() (time.Duration, bool, error) {
	switch p.Period {
	case "", "auto":
		return 0, true, nil
	case PeriodNone:
		return 0, false, nil
	}
	d, err := field.ParseDuration(p.Period)
	if err != nil {
		return 0, false, err
	}
	if d.Std() <= 0 {
		return 0, false, fmt.Errorf("must be positive, got %s", p.Period)
	}
	return d.Std(), false, nil
}

// validate checks p (after withDefaults); paths are relative to the
// family's key.
func (p SeasonalParams) validate(key string) error {
	var errs field.List
	if _, _, err := p.period(); err != nil {
		errs.Addf(key+".period", "period must be a duration, auto or none: %v", err)
	}
	for _, f := range []struct {
		path string
		v    int
		min  int
	}{{"cycles", p.Cycles, 1}, {"window", p.Window, 3}, {"scale_window", p.ScaleWindow, 1}, {"learn", p.Learn, 8}} {
		if f.v < f.min || f.v > 1_000_000 {
			errs.Addf(key+"."+f.path, "%s must be between %d and 1000000, got %d", f.path, f.min, f.v)
		}
	}
	for _, f := range []struct {
		path string
		v    float64
	}{{"alpha", p.Alpha}, {"beta", p.Beta}, {"gamma", p.Gamma}} {
		if !(f.v > 0 && f.v < 1) {
			errs.Addf(key+"."+f.path, "%s must be in (0, 1), got %v", f.path, f.v)
		}
	}
	return errs.Err()
}

// resScale is the online robust residual scale described in the file doc.
type resScale struct {
	warm    []float64 // the first window residuals
	window  int
	w       float64 // EWMA weight
	meanAbs float64 // EWMA of clipped |r|
	ready   bool
}

func newResScale(window, scaleWindow int) resScale {
	return resScale{window: window, w: 2 / (float64(scaleWindow) + 1)}
}

// sigma returns the current scale, or 0 before it is ready.
func (s *resScale) sigma() float64 { return meanAbsToSigma * s.meanAbs }

// update feeds residual r; k clips it at k·σ once the scale is ready.
func (s *resScale) update(r, k float64) {
	a := math.Abs(r)
	if !s.ready {
		s.warm = append(s.warm, r)
		if len(s.warm) >= s.window {
			tmp := make([]float64, len(s.warm))
			copy(tmp, s.warm)
			med := ssMedian(tmp)
			copy(tmp, s.warm)
			sig := ssRobustSigma(tmp, med)
			// Residuals are centred on 0 by construction; a biased start
			// (trend) still counts through the median offset.
			sig = math.Hypot(sig, med)
			s.meanAbs = sig / meanAbsToSigma
			s.ready, s.warm = true, nil
		}
		return
	}
	if c := k * s.sigma(); a > c {
		a = c
	}
	s.meanAbs += s.w * (a - s.meanAbs)
}

// judgeResidual writes into *r the Result of a point with expectation
// exp and scale sigma under threshold k.
func judgeResidual(r *Result, p series.Point, exp, sigma, k float64) {
	sigma = max(sigma, ssScaleFloor(exp))
	if !ssFinite(sigma) { // scales of values near ±MaxFloat64 overflow
		sigma = math.MaxFloat64
	}
	z := (p.V - exp) / sigma // ±Inf when the deviation itself overflows: score 1
	az := math.Abs(z)
	score := az / (az + k)
	if math.IsInf(az, 0) || math.IsNaN(score) {
		score = 1
	}
	r.T, r.Value, r.Expected = p.T, p.V, exp
	r.Lower, r.Upper = exp-k*sigma, exp+k*sigma
	r.Score, r.Anomaly, r.Z = score, score >= 0.5, z
}

// seasonalDetector is the "seasonal" (hw=false) or "holtwinters" detector.
type seasonalDetector struct {
	name   string
	p      SeasonalParams
	k      float64
	period time.Duration // 0: none or auto
	auto   bool
}

// newSeasonal is the registry constructor of type seasonal; newHoltWinters
// of type holtwinters. They validate p (field paths under the type's key).
func newSeasonal(cfg Config, p SeasonalParams) (Detector, error) {
	return newSeasonalFamily(TypeSeasonal, cfg, p)
}

// newHoltWinters: see newSeasonal.
func newHoltWinters(cfg Config, p SeasonalParams) (Detector, error) {
	return newSeasonalFamily(TypeHoltWinters, cfg, p)
}

func newSeasonalFamily(name string, cfg Config, p SeasonalParams) (*seasonalDetector, error) {
	p = p.withDefaults()
	if err := p.validate(name); err != nil {
		return nil, err
	}
	d, auto, _ := p.period()
	return &seasonalDetector{name: name, p: p, k: Threshold(cfg.Sensitivity), period: d, auto: auto}, nil
}

// Name returns the type.
func (d *seasonalDetector) Name() string { return d.name }

// NewStream returns the causal form; with period auto it learns the
// period from its first Learn points.
func (d *seasonalDetector) NewStream(m baseline.Model) Stream {
	if d.auto && !(d.name == TypeSeasonal && m != nil) {
		return &learnStream{learn: d.p.Learn, start: func(vals []float64) Stream {
			per, _ := ssPeriod(vals, 4, ssMinACF)
			return d.stream(m, per)
		}}
	}
	return d.stream(m, -1)
}

// DetectBatch finds the period in in.History (when auto), then replays a
// stream warmed on History over Points: causal-equivalent, except that the
// period was chosen on the whole History.
func (d *seasonalDetector) DetectBatch(in Input) []Result {
	per := -1
	if d.auto && !(d.name == TypeSeasonal && in.Model != nil) {
		per, _ = ssPeriod(pointValues(in.History), 4, ssMinACF)
	}
	return replay(d.stream(in.Model, per), in)
}

// stream returns a stream with period per samples; per < 0 means derive
// it from d.period and the sampling step.
func (d *seasonalDetector) stream(m baseline.Model, per int) Stream {
	if d.name == TypeHoltWinters {
		return &hwStream{d: d, per: per, scale: newResScale(d.p.Window, d.p.ScaleWindow)}
	}
	return &seasonalStream{d: d, m: m, per: per, scale: newResScale(d.p.Window, d.p.ScaleWindow)}
}

// ssMinACF is the autocorrelation a period must reach to count.
const ssMinACF = 0.3

// pointValues returns the values of pts (non-finite ones included).
func pointValues(pts []series.Point) []float64 {
	v := make([]float64, len(pts))
	for i, p := range pts {
		v[i] = p.V
	}
	return v
}

// replay warms s on in.History and returns its verdicts on in.Points.
func replay(s Stream, in Input) []Result {
	for _, p := range in.History {
		s.Push(p)
	}
	out := make([]Result, 0, len(in.Points))
	for _, p := range in.Points {
		if r, ok := s.Push(p); ok {
			out = append(out, r)
		}
	}
	return out
}

// resolvePeriod turns the configured period into samples once the step is
// known; 0 means none.
func resolvePeriod(d time.Duration, step time.Duration) int {
	if d <= 0 || step <= 0 {
		return 0
	}
	n := int(math.Round(float64(d) / float64(step)))
	if n < 2 || n > maxPeriodSamples {
		return 0
	}
	return n
}

// learnStream buffers the first learn points, then starts the real stream
// on their values (to find a period) and replays them into it.
type learnStream struct {
	learn int
	start func(vals []float64) Stream
	buf   []series.Point
	s     Stream
}

// Push implements Stream.
func (l *learnStream) Push(p series.Point) (Result, bool) {
	if l.s != nil {
		return l.s.Push(p)
	}
	if n := len(l.buf); n > 0 && !p.T.After(l.buf[n-1].T) {
		return Result{}, false
	}
	l.buf = append(l.buf, p)
	if len(l.buf) < l.learn {
		return Result{}, false
	}
	l.s = l.start(pointValues(l.buf))
	var r Result
	var ok bool
	for _, q := range l.buf {
		r, ok = l.s.Push(q)
	}
	l.buf = nil
	return r, ok
}

// seasonalStream is the causal seasonal residual detector.
type seasonalStream struct {
	d     *seasonalDetector
	m     baseline.Model
	per   int // samples; < 0 until resolved, 0 none
	clk   stepClock
	ring  []float64 // the last len(ring) samples, NaN where missing
	pos   int       // index of the next write
	n     int       // samples written (capped at len(ring))
	scale resScale
	tmp   []float64
	// sorted holds the finite values of ring in order when there is no
	// period, so that the rolling median costs O(1) and a write a binary
	// search and a short memmove instead of a selection over the window.
	sorted []float64
}

// Push implements Stream.
func (s *seasonalStream) Push(p series.Point) (r Result, ok bool) {
	if ok = s.push(p, &r); !ok {
		return Result{}, false
	}
	return r, true
}

// push is Push writing into *r (the gates' fast path, see pusher); *r
// may be written when it returns false.
func (s *seasonalStream) push(p series.Point, res *Result) bool {
	steps := s.clk.advance(p.T)
	if steps == 0 {
		return false
	}
	if s.ring == nil {
		if s.per < 0 {
			if s.d.period > 0 && s.clk.step == 0 {
				return false // the step, needed to count the period in samples, is known from the second point
			}
			s.per = resolvePeriod(s.d.period, s.clk.step)
		}
		size := s.d.p.Window
		if s.per > 0 {
			size = s.per * s.d.p.Cycles
		}
		s.ring = make([]float64, size)
		for i := range s.ring {
			s.ring[i] = math.NaN()
		}
		s.tmp = make([]float64, 0, max(s.d.p.Cycles, s.d.p.Window))
		if s.per == 0 {
			s.sorted = make([]float64, 0, size)
		}
	}
	for i := 1; i < min(steps, len(s.ring)+1); i++ { // missing samples
		s.write(math.NaN())
	}
	var exp float64
	ok := false
	if s.m != nil {
		if e := s.m.Expect(p.T); e.OK && ssFinite(e.Value) {
			exp, ok = e.Value, true
		}
	}
	if !ok {
		exp, ok = s.expect()
	}
	v := p.V
	if !ssFinite(v) {
		s.write(math.NaN())
		return false
	}
	s.write(v)
	if !ok {
		return false
	}
	ready := s.scale.ready
	judgeResidual(res, p, exp, s.scale.sigma(), s.d.k)
	s.scale.update(v-exp, s.d.k)
	return ready
}

// write appends one sample to the ring.
func (s *seasonalStream) write(v float64) {
	old := s.ring[s.pos]
	s.ring[s.pos] = v
	if s.sorted != nil {
		switch fo, fv := ssFinite(old), ssFinite(v); {
		case fo && fv:
			replaceSorted(s.sorted, old, v)
		case fo:
			s.sorted = removeSorted(s.sorted, old)
		case fv:
			s.sorted = insertSorted(s.sorted, v)
		}
	}
	s.pos = (s.pos + 1) % len(s.ring)
	s.n = min(s.n+1, len(s.ring))
}

// expect returns the median of the same phase over the past cycles, or of
// the last Window values; ok=false with too little data (fewer than two
// past cycles, or half a window).
func (s *seasonalStream) expect() (float64, bool) {
	s.tmp = s.tmp[:0]
	L := len(s.ring)
	if s.per > 0 {
		for c := 1; c <= s.d.p.Cycles && c*s.per <= s.n; c++ {
			if v := s.ring[(s.pos-c*s.per+L*2)%L]; ssFinite(v) {
				s.tmp = append(s.tmp, v)
			}
		}
		if len(s.tmp) < min(2, s.d.p.Cycles) {
			return 0, false
		}
		return ssMedian(s.tmp), true
	}
	// No period: the median of the finite values in the ring (the last
	// Window samples), kept sorted by write.
	n := len(s.sorted)
	if n < max(3, s.d.p.Window/2) {
		return 0, false
	}
	if n%2 == 1 {
		return s.sorted[n/2], true
	}
	return s.sorted[n/2-1]/2 + s.sorted[n/2]/2, true
}

// hwStream is the causal additive Holt–Winters residual detector.
type hwStream struct {
	d     *seasonalDetector
	per   int // samples; < 0 until resolved, 0 none
	clk   stepClock
	init  []float64 // samples before the state is initialised
	level float64
	trend float64
	seas  []float64 // by phase
	phase int
	ready bool
	scale resScale
}

// Push implements Stream.
func (s *hwStream) Push(p series.Point) (r Result, ok bool) {
	if ok = s.push(p, &r); !ok {
		return Result{}, false
	}
	return r, true
}

// push is Push writing into *r (see seasonalStream.push).
func (s *hwStream) push(p series.Point, r *Result) bool {
	steps := s.clk.advance(p.T)
	if steps == 0 {
		return false
	}
	if s.per < 0 {
		if s.d.period > 0 && s.clk.step == 0 {
			return false // need the step to turn the period into samples
		}
		s.per = resolvePeriod(s.d.period, s.clk.step)
	}
	if !s.ready {
		for i := 1; i < min(steps, s.per+2); i++ {
			s.init = append(s.init, math.NaN())
		}
		v := p.V
		if !ssFinite(v) {
			v = math.NaN()
		}
		s.init = append(s.init, v)
		if s.initialise() {
			s.init = nil
		}
		return false
	}
	gap := min(steps-1, max(2*s.per, 2*s.d.p.Window))
	for range gap { // missing samples: follow the forecast
		s.step(s.forecast())
	}
	exp := s.forecast()
	if !ssFinite(p.V) {
		s.step(exp)
		return false
	}
	sig := s.scale.sigma()
	judgeResidual(r, p, exp, sig, s.d.k)
	ready := s.scale.ready
	s.scale.update(p.V-exp, s.d.k)
	y := p.V
	if ready { // clip the update at the band edge
		y = min(max(y, r.Lower), r.Upper)
	}
	s.step(y)
	if !ssFinite(s.level) || !ssFinite(s.trend) { // overflow: start again
		*s = hwStream{d: s.d, per: s.per, clk: s.clk, scale: newResScale(s.d.p.Window, s.d.p.ScaleWindow)}
		return false
	}
	return ready
}

// forecast is the one-step-ahead forecast.
func (s *hwStream) forecast() float64 {
	f := s.level + s.trend
	if s.per > 0 {
		f += s.seas[s.phase]
	}
	return f
}

// step updates the state with observation y.
func (s *hwStream) step(y float64) {
	a, b, g := s.d.p.Alpha, s.d.p.Beta, s.d.p.Gamma
	si := 0.0
	if s.per > 0 {
		si = s.seas[s.phase]
	}
	prev := s.level
	s.level = a*(y-si) + (1-a)*(s.level+s.trend)
	s.trend = b*(s.level-prev) + (1-b)*s.trend
	if s.per > 0 {
		s.seas[s.phase] = g*(y-s.level) + (1-g)*si
		s.phase = (s.phase + 1) % s.per
	}
}

// initialise sets the state from two periods of samples (Window samples
// without a period), then runs the rest of the buffer through it. It
// reports whether it succeeded.
func (s *hwStream) initialise() bool {
	need := max(2*s.per, s.d.p.Window)
	if len(s.init) < need {
		return false
	}
	x := s.init
	if s.per == 0 {
		m1, n1 := nanMean(x[:len(x)/2])
		m2, n2 := nanMean(x[len(x)/2:])
		if n1 == 0 || n2 == 0 {
			s.init = x[len(x)/2:] // mostly missing: wait for more
			return false
		}
		s.level, s.trend = m1, (m2-m1)/float64(len(x)/2)
		s.level += s.trend * float64(len(x)/4) // at the middle of the first half
		s.ready = true
		for i := len(x) / 2; i < len(x); i++ {
			s.pushInit(x[i], i-len(x)/2)
		}
		return true
	}
	P := s.per
	c1, n1 := nanMean(x[:P])
	c2, n2 := nanMean(x[P : 2*P])
	if n1 < P/2 || n2 < P/2 {
		s.init = x[P:]
		return false
	}
	s.trend = (c2 - c1) / float64(P)
	s.seas = make([]float64, P)
	for j := range P {
		sum, n := 0.0, 0
		for c, cm := range []float64{c1, c2} {
			if v := x[c*P+j]; ssFinite(v) {
				sum += v - cm
				n++
			}
		}
		if n > 0 {
			s.seas[j] = sum / float64(n)
		}
	}
	// Level at the end of the first cycle; the second is replayed to warm
	// the residual scale.
	s.level = c1 + s.trend*float64(P-1)/2
	s.phase = 0
	s.ready = true
	for i := P; i < len(x); i++ {
		s.pushInit(x[i], i-P)
	}
	return true
}

// pushInit replays one buffered sample after initialisation.
func (s *hwStream) pushInit(v float64, _ int) {
	f := s.forecast()
	if !ssFinite(v) {
		s.step(f)
		return
	}
	s.scale.update(v-f, s.d.k)
	s.step(v)
}

// nanMean returns the mean of the finite values of x and their count.
func nanMean(x []float64) (float64, int) {
	mean, n := 0.0, 0
	for _, v := range x {
		if ssFinite(v) {
			n++
			mean += (v - mean) / float64(n) // a running mean cannot overflow
		}
	}
	if n == 0 {
		return math.NaN(), 0
	}
	return mean, n
}
