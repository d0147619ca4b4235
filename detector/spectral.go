package detector

// The spectral residual detector ("spectral"), after Ren et al.,
// "Time-Series Anomaly Detection Service at Microsoft", KDD 2019.
//
// For the last Window values x (the newest point last) it
//  1. appends Extend estimated next points so the newest point is not at
//     the edge of the transform (the paper's extension, §4.2):
//     ḡ = (1/m)·Σ_{i=1..m} (x_b − x_{b−i})/i and x_{n+1} = x_{b−m+1} + m·ḡ,
//     repeated Extend times (m = Lookahead), where b = n−1: like
//     Microsoft's reference implementation the estimate leaves the newest
//     point out, or a spike would extend into a plateau and hide;
//  2. takes the FFT, the log amplitude L = log|F(x)|, its moving average
//     A = h_q * L (q = MagWindow), the spectral residual R = L − A;
//  3. returns to the time domain with the original phase:
//     S = |F⁻¹(exp(R + i·P))|, the saliency map.
//
// The newest point's raw score is the paper's relative saliency
// r = (S_n − S̄)/S̄, where S̄ is the mean saliency of the ScoreWindow points
// before it in the same map; Score = max(r, 0)/(max(r, 0) + τ), 0.5 exactly
// at r = τ. τ comes from the sensitivity (SpectralThreshold: 6 at the
// default 0.7); Threshold overrides it. SR finds points that break the
// local shape of a series — sharp spikes above all; a dip into a trough or
// a spike on a steep flank is less salient than the same step on a flat
// stretch, so on smooth seasonal series the residual detectors are more
// sensitive.
//
// The transform says where the series is salient, not by how much: it has
// no expected value or band. For display and for the common gates,
// Expected is the median of the ScoreWindow values before the point and
// Lower/Upper = Expected ∓ k·σ with σ their robust scale and k =
// Threshold(sensitivity); Z = (value − Expected)/σ gives the direction.
//
// The detector is causal by construction: each Push scores the window
// that ends at the pushed point. The residual is scale-free, so the
// spectrum is taken in units of the window's largest magnitude and huge
// values do not overflow. The stream keeps the window's DFT up to date by
// the sliding-DFT recurrence instead of transforming the window again
// (see spectral_sliding.go): per point O(n) for the spectrum and the
// per-frequency weights plus one inverse FFT, O(n log n), with n =
// Window+Extend. A map value below 1e-11 of the map's RMS size is
// rounding noise and counts as 0 (see srFloor).

import (
	"math"
	"math/cmplx"

	"github.com/seismo-dev/seismo/baseline"
	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/series"
	"gonum.org/v1/gonum/dsp/fourier"
)

// TypeSpectral is the type name of the spectral residual detector.
const TypeSpectral = "spectral"

// SpectralParams tunes the spectral detector (YAML key `spectral:`). Zero
// values mean the defaults.
type SpectralParams struct {
	Window      int     `yaml:"window,omitempty"`       // values transformed per point (default 123)
	Extend      int     `yaml:"extend,omitempty"`       // estimated points appended (default 5)
	Lookahead   int     `yaml:"lookahead,omitempty"`    // m, points in the slope estimate (default 5)
	MagWindow   int     `yaml:"mag_window,omitempty"`   // q, moving average of the log amplitude (default 3)
	ScoreWindow int     `yaml:"score_window,omitempty"` // z, saliency points averaged (default 21)
	Threshold   float64 `yaml:"threshold,omitempty"`    // τ on the relative saliency; default from the sensitivity
}

// Spectral residual defaults (Window+Extend = 128, a power of two).
const (
	DefaultSpectralWindow      = 123
	DefaultSpectralExtend      = 5
	DefaultSpectralLookahead   = 5
	DefaultSpectralMagWindow   = 3
	DefaultSpectralScoreWindow = 21
)

// SpectralThreshold maps a sensitivity to τ, the relative-saliency
// threshold: 6 at s = 0.7, halving for every 0.15 of sensitivity above
// (1.5 at s = 1) and doubling for every 0.15 below (150 at s = 0). On
// Gaussian noise and smooth seasonal data the relative saliency of the
// newest point stays under 5 in several thousand points (its 99.9th
// percentile is about 4.3), so 6 keeps clean series quiet.
func SpectralThreshold(sensitivity float64) float64 {
	return 6 * math.Pow(2, (0.7-sensitivity)/0.15)
}

type spectralDetector struct {
	p      SpectralParams
	tau    float64
	k      float64
	tables *srTables // the sliding transform's constants
}

// newSpectral is the registry constructor of type spectral; it validates
// p (field paths under "spectral").
func newSpectral(cfg Config, p SpectralParams) (Detector, error) {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&p.Window, DefaultSpectralWindow)
	def(&p.Extend, DefaultSpectralExtend)
	def(&p.Lookahead, DefaultSpectralLookahead)
	def(&p.MagWindow, DefaultSpectralMagWindow)
	def(&p.ScoreWindow, DefaultSpectralScoreWindow)
	var errs field.List
	if p.Window < 8 || p.Window > 1<<16 || p.Window < p.Lookahead+2 || p.Window < p.ScoreWindow+1 {
		errs.Addf("spectral.window", "window must be between 8 and 65536 points and longer than lookahead+1 and score_window, got %d", p.Window)
	}
	for _, f := range []struct {
		path string
		v    int
	}{{"extend", p.Extend}, {"lookahead", p.Lookahead}, {"mag_window", p.MagWindow}, {"score_window", p.ScoreWindow}} {
		if f.v < 1 || f.v >= max(p.Window, 8) {
			errs.Addf("spectral."+f.path, "%s must be between 1 and the window (%d), got %d", f.path, p.Window, f.v)
		}
	}
	if !(p.Threshold >= 0) || math.IsInf(p.Threshold, 0) {
		errs.Addf("spectral.threshold", "threshold must be a positive number, got %v", p.Threshold)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	tau := p.Threshold
	if tau == 0 {
		tau = SpectralThreshold(cfg.Sensitivity)
	}
	return &spectralDetector{p: p, tau: tau, k: Threshold(cfg.Sensitivity), tables: newSRTables(p.Window, p.Window+p.Extend)}, nil
}

// Name returns "spectral".
func (d *spectralDetector) Name() string { return TypeSpectral }

// Warmup implements Warmer: the stream needs only the last Window points.
func (d *spectralDetector) Warmup() int { return d.p.Window }

// NewStream returns the causal form; the model is not used.
func (d *spectralDetector) NewStream(baseline.Model) Stream {
	w, n := d.p.Window, d.p.Window+d.p.Extend
	s := &spectralStream{
		d:      d,
		ring:   make([]float64, w),
		fft:    fourier.NewCmplxFFT(n),
		x:      make([]float64, n),
		c:      make([]complex128, n),
		logA:   make([]float64, n),
		sal:    make([]float64, n),
		tmp:    make([]float64, 0, d.p.ScoreWindow),
		mag:    newMaxDeque(w),
		recent: newSortedWindow(d.p.ScoreWindow),
	}
	s.sliding = newSlidingSR(d.tables)
	return s
}

// spectralStream is the causal spectral residual detector.
//
// Each push needs the saliency map of the window that ends at the new
// point, but only at its last ScoreWindow+1 indices. It keeps the DFT of
// the window up to date by the sliding-DFT recurrence (O(n) per point,
// see slidingSR) instead of transforming the window again, adds the
// extension points' share in closed form, and then does what the map
// needs per frequency: the amplitude, the average of the log amplitude
// over MagWindow neighbours (for MagWindow ≤ 3 as a root of a product of
// amplitudes, which is the exponential of that average without a
// logarithm per bin) and one inverse FFT. The result equals the full
// recomputation up to floating-point rounding (the golden test holds the
// two within 1e-9); windows whose values are beyond ±1e300 or below
// 1e-280 in magnitude take the full recomputation, which rescales first.
type spectralStream struct {
	d    *spectralDetector
	last series.Point
	seen bool
	ring []float64
	pos  int
	n    int
	fft  *fourier.CmplxFFT
	x    []float64
	c    []complex128
	logA []float64
	sal  []float64
	tmp  []float64
	mag  maxDeque // the window's largest magnitude
	// recent holds the ScoreWindow values before the newest point,
	// sorted, for the display band.
	recent  *sortedWindow
	sliding *slidingSR
}

// Push implements Stream.
func (s *spectralStream) Push(p series.Point) (Result, bool) {
	if s.seen && !p.T.After(s.last.T) || !ssFinite(p.V) {
		return Result{}, false
	}
	s.seen, s.last = true, p
	w := len(s.ring)
	old := s.ring[s.pos]
	full := s.n == w
	s.ring[s.pos] = p.V
	s.pos = (s.pos + 1) % w
	s.n = min(s.n+1, w)
	s.mag.push(math.Abs(p.V))
	if s.n < w {
		s.recent.push(p.V)
		return Result{}, false
	}
	exp, sig := s.band()
	s.recent.push(p.V)
	var r float64
	mx := s.mag.max()
	if mx >= srMinMag && mx <= srMaxMag {
		r = s.sliding.score(s, full, old, mx)
	} else {
		for i := range w {
			s.x[i] = s.at(i)
		}
		r = srScore(s.x, w, s.d.p, s.fft, s.c, s.logA, s.sal)
		s.sliding.valid = false
	}
	res := Result{
		T: p.T, Value: p.V, Expected: exp,
		Lower: exp - s.d.k*sig, Upper: exp + s.d.k*sig,
		Z: (p.V - exp) / sig,
	}
	r = max(r, 0)
	res.Score = r / (r + s.d.tau)
	if math.IsNaN(res.Score) || math.IsInf(r, 0) {
		res.Score = 1
	}
	res.Anomaly = res.Score >= 0.5
	return res, true
}

// The magnitudes within which the sliding transform is used: its sums of
// up to 65,536 values cannot overflow, and its products of amplitudes
// cannot underflow.
const (
	srMaxMag = 1e300
	srMinMag = 1e-280
)

// band returns the display band's centre and scale from the ScoreWindow
// values before the newest point (which is in the ring but not yet in
// recent): their median and robust σ, as ssMedian and ssRobustSigma
// compute them, without copying and selecting.
func (s *spectralStream) band() (exp, sig float64) {
	exp = s.recent.median()
	if mad := s.recent.mad(exp); mad > 0 {
		sig = madToSigma * mad
	} else {
		// The mean absolute deviation, as a running mean in time order.
		w, z := len(s.ring), s.d.p.ScoreWindow
		mean := 0.0
		for i := range z {
			mean += (math.Abs(s.at(w-1-z+i)-exp) - mean) / float64(i+1)
		}
		sig = meanAbsToSigma * mean
	}
	return exp, max(sig, ssScaleFloor(exp))
}

// at returns the i-th value of the window, oldest first.
func (s *spectralStream) at(i int) float64 {
	j := s.pos + i
	if j >= len(s.ring) {
		j -= len(s.ring)
	}
	return s.ring[j]
}

// srScore computes the saliency map of x[:w] extended to len(x) in place
// and returns the relative saliency of x[w-1]. fft, c, logA and sal have
// length len(x).
func srScore(x []float64, w int, p SpectralParams, fft *fourier.CmplxFFT, c []complex128, logA, sal []float64) float64 {
	n := len(x)
	// Scale to the largest magnitude: the residual is scale-free, the
	// transform of 1e300 is not finite.
	mx := 0.0
	for _, v := range x[:w] {
		mx = max(mx, math.Abs(v))
	}
	if mx == 0 {
		return 0 // all zero: nothing is salient
	}
	for i := range w {
		x[i] /= mx
	}
	// Estimated next points (Ren et al. eq. 7–8), extrapolated, as in the
	// reference implementation, from the points before the newest: a
	// spike extrapolated from itself would extend into a plateau and no
	// longer stand out.
	b := w - 2
	m := min(p.Lookahead, b)
	g := 0.0
	for i := 1; i <= m; i++ {
		g += (x[b] - x[b-i]) / float64(i)
	}
	g /= float64(m)
	next := x[b-m+1] + g*float64(m)
	for i := w; i < n; i++ {
		x[i] = next
	}
	for i, v := range x {
		c[i] = complex(v, 0)
	}
	fft.Coefficients(c, c)
	const eps = 1e-8
	for i, v := range c {
		a := cmplx.Abs(v)
		sal[i] = a // the amplitude, kept for the loop below until sal is filled
		logA[i] = math.Log(max(a, eps))
	}
	// Trailing moving average of the log amplitude (as in the reference
	// implementation: the first q−1 entries average what exists).
	q := p.MagWindow
	sum := 0.0
	for i := range n {
		sum += logA[i]
		if i >= q {
			sum -= logA[i-q]
		}
		avg := sum / float64(min(i+1, q))
		a := sal[i]
		if a < eps {
			c[i] = 0
			continue
		}
		// exp(R + iP) = exp(L − A)·(c/|c|) = c·exp(−A)/... with exp(L) = |c|:
		// exp(R)·e^{iP} = (|c|·e^{−A}) · c/|c| = c·e^{−A}.
		c[i] *= complex(math.Exp(-avg), 0)
	}
	floor := srFloor(c)
	fft.Sequence(c, c)
	return srRelSaliency(c, w, p.ScoreWindow, floor)
}

// srFloor is the saliency below which a value of the map counts as 0:
// 1e-11 of the map's root-mean-square size (√Σ|Y_k|², by Parseval, for
// the unnormalised inverse of Y). Values that small are rounding noise
// (about 1e-15 of it): where the whole map but a few points is noise, as
// for a phase-only map (mag_window 1) of a constant window with one
// spike, their ratio would be an arbitrary score.
func srFloor(y []complex128) float64 {
	e := 0.0
	for _, v := range y {
		e += real(v)*real(v) + imag(v)*imag(v)
	}
	return 1e-11 * math.Sqrt(e)
}

// srRelSaliency is the relative saliency of map index w−1 against the
// mean of the z indices before it; sal holds the (complex) map, values
// under floor count as 0.
func srRelSaliency(sal []complex128, w, z int, floor float64) float64 {
	const eps = 1e-8
	abs := func(v complex128) float64 {
		if a := cmplx.Abs(v); a >= floor {
			return a
		}
		return 0
	}
	mean := 0.0
	for _, v := range sal[w-1-z : w-1] {
		mean += abs(v)
	}
	mean /= float64(z)
	last := abs(sal[w-1])
	if !(mean > eps*last) {
		if last > 0 {
			return math.Inf(1)
		}
		return 0
	}
	return (last - mean) / mean
}
