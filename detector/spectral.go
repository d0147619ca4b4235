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
// The detector is causal by construction: each Push transforms the window
// that ends at the pushed point. Values are divided by the window's
// largest magnitude first (the residual is scale-free) so huge values do
// not overflow. Cost: one complex FFT of Window+Extend points per point.

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
	p   SpectralParams
	tau float64
	k   float64
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
	return &spectralDetector{p: p, tau: tau, k: Threshold(cfg.Sensitivity)}, nil
}

// Name returns "spectral".
func (d *spectralDetector) Name() string { return TypeSpectral }

// Warmup implements Warmer: the stream needs only the last Window points.
func (d *spectralDetector) Warmup() int { return d.p.Window }

// NewStream returns the causal form; the model is not used.
func (d *spectralDetector) NewStream(baseline.Model) Stream {
	n := d.p.Window + d.p.Extend
	return &spectralStream{
		d:    d,
		ring: make([]float64, d.p.Window),
		fft:  fourier.NewCmplxFFT(n),
		x:    make([]float64, n),
		c:    make([]complex128, n),
		logA: make([]float64, n),
		sal:  make([]float64, n),
		tmp:  make([]float64, 0, d.p.ScoreWindow),
	}
}

// spectralStream is the causal spectral residual detector.
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
}

// Push implements Stream.
func (s *spectralStream) Push(p series.Point) (Result, bool) {
	if s.seen && !p.T.After(s.last.T) || !ssFinite(p.V) {
		return Result{}, false
	}
	s.seen, s.last = true, p
	w := len(s.ring)
	s.ring[s.pos] = p.V
	s.pos = (s.pos + 1) % w
	s.n = min(s.n+1, w)
	if s.n < w {
		return Result{}, false
	}
	for i := range w {
		s.x[i] = s.ring[(s.pos+i)%w]
	}
	// Display band from the ScoreWindow values before the point (before
	// srScore rescales x).
	s.tmp = append(s.tmp[:0], s.x[w-1-s.d.p.ScoreWindow:w-1]...)
	exp := ssMedian(s.tmp)
	s.tmp = append(s.tmp[:0], s.x[w-1-s.d.p.ScoreWindow:w-1]...)
	sig := max(ssRobustSigma(s.tmp, exp), ssScaleFloor(exp))
	r := srScore(s.x, w, s.d.p, s.fft, s.c, s.logA, s.sal)
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
	fft.Sequence(c, c)
	for i, v := range c {
		sal[i] = cmplx.Abs(v)
	}
	z := p.ScoreWindow
	mean := 0.0
	for _, v := range sal[w-1-z : w-1] {
		mean += v
	}
	mean /= float64(z)
	if !(mean > eps*sal[w-1]) {
		if sal[w-1] > 0 {
			return math.Inf(1)
		}
		return 0
	}
	return (sal[w-1] - mean) / mean
}
