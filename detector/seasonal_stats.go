package detector

// Statistics shared by the seasonal family (seasonal, holtwinters, shesd,
// spectral, auto). Every helper here is pure and allocation-free when given
// scratch space; names carry a "ss" prefix so they never collide with the
// helpers of the other detector files.

import (
	"github.com/seismo-dev/seismo/series"
	"math"
	"slices"
	"time"

	"gonum.org/v1/gonum/dsp/fourier"
)

// madToSigma turns a median absolute deviation into a Gaussian standard
// deviation; meanAbsToSigma does the same for a mean absolute deviation.
const (
	madToSigma     = 1.482602218505602
	meanAbsToSigma = 1.2533141373155001 // sqrt(π/2)
)

// ssFinite reports whether v is neither NaN nor ±Inf.
func ssFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// ssMedian returns the median of v, reordering v; NaN for an empty slice.
// v must hold finite values only.
func ssMedian(v []float64) float64 {
	n := len(v)
	switch {
	case n == 0:
		return math.NaN()
	case n <= 8:
		// A few values (the seasonal detector's cycles): insertion sort
		// beats a selection's setup, and the order statistics are the
		// same values.
		for i := 1; i < n; i++ {
			for j := i; j > 0 && v[j] < v[j-1]; j-- {
				v[j], v[j-1] = v[j-1], v[j]
			}
		}
		if n%2 == 1 {
			return v[n/2]
		}
		return v[n/2-1]/2 + v[n/2]/2
	case n%2 == 1:
		return series.Select(v, n/2)
	}
	hi := series.Select(v, n/2)
	lo := v[0]
	for _, x := range v[:n/2] { // after selection the lower half holds the smaller values
		lo = max(lo, x)
	}
	return lo/2 + hi/2 // (lo+hi)/2 would overflow for values near ±MaxFloat64
}

// ssRobustSigma returns the robust standard deviation of v around med:
// 1.4826·MAD, or 1.2533·mean absolute deviation when the MAD is 0 (more
// than half of the values equal, as in a mostly-zero series) so that the
// minority still counts. v is overwritten with absolute deviations.
func ssRobustSigma(v []float64, med float64) float64 {
	if len(v) == 0 {
		return 0
	}
	mean := 0.0
	for i, x := range v {
		v[i] = math.Abs(x - med)
		mean += (v[i] - mean) / float64(i+1) // a running mean cannot overflow
	}
	if mad := ssMedian(v); mad > 0 {
		return madToSigma * mad
	}
	return meanAbsToSigma * mean
}

// ssScaleFloor is the smallest scale a residual may be divided by, so that
// a constant series judges a change as large (but finite) evidence and
// huge levels do not underflow into zero scales.
func ssScaleFloor(level float64) float64 {
	return max(1e-9*math.Abs(level), 1e-12)
}

// stepClock turns timestamps into sample indices for detectors that keep
// index-based state (rings of past cycles). The step is the median of the
// first gaps seen, so a missing sample among the first ones does not halve
// it. A point that is not after the previous one advances nothing.
type stepClock struct {
	last  time.Time
	seen  bool
	diffs []time.Duration // the first clockDiffs gaps
	step  time.Duration
}

const clockDiffs = 15

// advance returns how many steps t lies after the previous point (at least
// 1), or 0 when t is a duplicate or out of order.
func (c *stepClock) advance(t time.Time) int {
	if !c.seen {
		c.seen, c.last = true, t
		return 1
	}
	d := t.Sub(c.last)
	if d <= 0 {
		return 0
	}
	c.last = t
	if len(c.diffs) < clockDiffs {
		c.diffs = append(c.diffs, d)
		s := slices.Clone(c.diffs)
		slices.Sort(s)
		c.step = s[len(s)/2]
		return 1 // too early to call anything a gap
	}
	n := int(math.Round(float64(d) / float64(c.step)))
	return max(n, 1)
}

// ssPeriod finds the dominant period of v in samples by autocorrelation,
// computed with an FFT (O(n log n), so two weeks of minutes cost
// milliseconds). v is detrended by a least-squares line first; non-finite
// values count as the mean. The period is the lag in [minLag, len/2] whose
// autocorrelation is the highest local peak, provided it reaches minACF
// and stands prominent (at least 0.1 above the lowest autocorrelation
// between half the lag and the lag) — a random walk's slowly decaying
// autocorrelation has no such peak. It returns 0 and the best
// autocorrelation seen when there is no period.
func ssPeriod(v []float64, minLag int, minACF float64) (period int, strength float64) {
	n := len(v)
	minLag = max(minLag, 2)
	if n < 2*minLag+2 {
		return 0, 0
	}
	// Work on v divided by its largest magnitude: sums of values near
	// ±MaxFloat64 would overflow.
	mx := 0.0
	for _, x := range v {
		if ssFinite(x) {
			mx = max(mx, math.Abs(x))
		}
	}
	if mx == 0 {
		return 0, 0
	}
	// Detrend by least squares over the finite values.
	var sx, sy, sxx, sxy, cnt float64
	for i, x := range v {
		if ssFinite(x) {
			fi := float64(i)
			x /= mx
			sx, sy, sxx, sxy, cnt = sx+fi, sy+x, sxx+fi*fi, sxy+fi*x, cnt+1
		}
	}
	if cnt < float64(2*minLag+2) {
		return 0, 0
	}
	den := cnt*sxx - sx*sx
	slope := 0.0
	if den != 0 {
		slope = (cnt*sxy - sx*sy) / den
	}
	icpt := (sy - slope*sx) / cnt
	size := 1
	for size < 2*n {
		size <<= 1
	}
	buf := make([]float64, size)
	scale := 0.0
	for i, x := range v {
		if ssFinite(x) {
			buf[i] = x/mx - (icpt + slope*float64(i))
			scale = max(scale, math.Abs(buf[i]))
		}
	}
	if !(scale > 0) || math.IsInf(scale, 0) {
		return 0, 0
	}
	for i := range v {
		buf[i] /= scale // huge values must not overflow the power spectrum
	}
	fft := fourier.NewFFT(size)
	coef := fft.Coefficients(nil, buf)
	for i, c := range coef {
		coef[i] = complex(real(c)*real(c)+imag(c)*imag(c), 0)
	}
	acf := fft.Sequence(buf, coef)
	if !(acf[0] > 0) {
		return 0, 0
	}
	maxLag := n / 2
	for lag := minLag; lag <= maxLag; lag++ {
		// Normalise by the number of overlapping pairs so long lags are
		// not penalised just for overlapping less.
		acf[lag] = acf[lag] / acf[0] * float64(n) / float64(n-lag)
	}
	// Collect the prominent local peaks; the best is the highest, except
	// that a shorter lag within 0.05 of it wins (a multiple of the true
	// period peaks about as high, and its overlap is noisier).
	best := math.Inf(-1)
	type peak struct {
		lag int
		r   float64
	}
	var peaks []peak
	for lag := minLag + 1; lag < maxLag; lag++ {
		r := acf[lag]
		if r < acf[lag-1] || r < acf[lag+1] {
			continue
		}
		low := r
		for j := max(lag/2, minLag); j < lag; j++ {
			low = min(low, acf[j])
		}
		if r-low < 0.1 {
			continue
		}
		peaks = append(peaks, peak{lag, r})
		best = max(best, r)
	}
	for _, p := range peaks {
		if p.r >= best-0.05 {
			period, best = p.lag, p.r
			break
		}
	}
	if period == 0 || best < minACF {
		return 0, max(best, 0)
	}
	// The peak of a noisy autocorrelation wanders by a few lags; the
	// multiples of the true period line up, those of a near miss drift
	// apart. Refine within ±10% by the mean autocorrelation at all
	// multiples.
	harmonics := func(p int) float64 {
		sum, n := 0.0, 0
		for l := p; l <= maxLag; l += p {
			sum += acf[l]
			n++
		}
		return sum / float64(n)
	}
	bestH, refined := math.Inf(-1), period
	for p := max(minLag, period*9/10); p <= min(maxLag, period*11/10); p++ {
		if h := harmonics(p); h > bestH {
			bestH, refined = h, p
		}
	}
	return refined, acf[refined]
}
