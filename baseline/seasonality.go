package baseline

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/seismo-dev/seismo/series"
)

// Period is a seasonal period found in a series.
type Period struct {
	Period time.Duration
	// Strength is the autocorrelation of the detrended series at the
	// period's lag, in (0, 1]: 1 is a perfectly repeating pattern.
	Strength float64
}

// DetectOptions tunes DetectSeasonality. The zero value uses the defaults.
type DetectOptions struct {
	// MaxPeriods is the most periods reported, strongest first before
	// sorting (default 3).
	MaxPeriods int
	// MinStrength is the autocorrelation a period needs (default 0.3).
	MinStrength float64
	// MaxPoints bounds the series analysed: longer series are averaged
	// into bins of whole steps first (default 1024: 2 weeks of 1m data
	// become 20m bins). The shortest period that can be found is two
	// bins.
	MaxPoints int
	// Exclude lists ranges whose points are ignored (treated as gaps).
	Exclude []TimeRange
}

// Detection defaults.
const (
	DefaultMaxPeriods  = 3
	DefaultMinStrength = 0.3
	DefaultMaxPoints   = 1024
	// multipleGain is how much more autocorrelation a multiple kP of an
	// accepted period P needs to be reported too: a daily series is as
	// similar to itself a week later as a day later, and that does not
	// make it weekly.
	multipleGain = 0.1
)

// minDiffCorrelation is the autocorrelation of the first differences a
// period's lag needs (over 1024 bins, noise alone stays within about
// ±0.06 at two standard errors).
const minDiffCorrelation = 0.1

func (o *DetectOptions) defaults() {
	if o.MaxPeriods <= 0 {
		o.MaxPeriods = DefaultMaxPeriods
	}
	if o.MinStrength <= 0 {
		o.MinStrength = DefaultMinStrength
	}
	if o.MaxPoints < 16 {
		o.MaxPoints = DefaultMaxPoints
	}
}

// DetectSeasonality finds the seasonal periods of pts, shortest first.
//
// The series is resampled to step (the median spacing when step ≤ 0);
// duplicates, out-of-order samples, NaN and ±Inf are handled as in
// buildGrid. Longer series are averaged into bins so that at most
// MaxPoints remain (2 weeks of 1m data: 20m bins; each bin the mean of the
// samples in it), bins left empty by gaps are filled by linear
// interpolation between their neighbours, the linear trend is removed,
// and then:
//
//  1. the periodogram of the Hann-windowed series (FFT zero-padded to the
//     power of two at least twice the length) gives
//     candidate periods at its local maxima, strongest first;
//  2. each candidate is refined to the integer lag, within the
//     periodogram's resolution around the peak, where the autocorrelation
//     (computed by FFT, unbiased) is highest; it is kept if that lag is a
//     local maximum of the autocorrelation, reaches MinStrength, and rises
//     MinStrength above the lowest autocorrelation at shorter lags, and
//     the first differences correlate at that lag too (at least 0.1): a
//     random walk's slowly decaying autocorrelation has wiggles that look
//     like periods, but its changes are uncorrelated;
//  3. multiples kP of a kept period are tested too (a week is seven days)
//     and kept when their autocorrelation exceeds P's by multipleGain;
//  4. a period within half a bin of a whole number of days, hours or
//     minutes (in that order) is snapped to it.
//
// A period longer than half the covered history is never reported, nor
// one shorter than two bins. A constant series, pure noise or fewer than
// 16 samples give no periods. The result is deterministic.
func DetectSeasonality(pts []series.Point, step time.Duration, opts DetectOptions) []Period {
	var sc scratch
	g, ok := buildGrid(pts, step, opts.Exclude, &sc)
	if !ok {
		return nil
	}
	return detectGrid(&g, opts, &sc)
}

// detectGrid is DetectSeasonality on a grid, with its working arrays
// from sc.det and sc.fft.
func detectGrid(g *grid, opts DetectOptions, sc *scratch) []Period {
	opts.defaults()
	if g.valid < 16 {
		return nil
	}
	// Bin to at most MaxPoints (means of the samples present), then fill
	// empty bins by linear interpolation: cheaper than interpolating at
	// full resolution first, and the same where bins are not empty.
	x := g.v
	f := (len(x) + opts.MaxPoints - 1) / opts.MaxPoints
	nd := (len(x) + f - 1) / f
	if nd < 16 {
		return nil
	}
	m := fastSize(2 * nd)
	maxLag := nd / 2
	// All the float buffers in one piece of sc.det.
	fb := floats(&sc.det, nd+m+3*(maxLag+1)+nd+m/2+1)
	take := func(k int) []float64 {
		v := fb[:k:k]
		fb = fb[k:]
		return v
	}
	xd, buf, acf, dacf, lowest, diff, power := take(nd), take(m), take(maxLag+1), take(maxLag+1), take(maxLag+1), take(nd-1), take(m/2+1)
	binMeansInto(xd, x, f, g.valid == len(x))
	interpolate(xd)
	detrend(xd)
	var energy float64
	for _, v := range xd {
		energy += v * v
	}
	if !(energy > 1e-24*float64(nd)) || math.IsInf(energy, 0) {
		return nil // constant (after detrending) or overflowing
	}

	fft := newRealFFT(m, &sc.fft)
	if cap(sc.spec) < m/2+1 {
		sc.spec = make([]complex128, m/2+1)
	}
	coef := sc.spec[:m/2+1]

	// Autocorrelation by Wiener–Khinchin; zero padding to 2n keeps it
	// linear rather than circular.
	copy(buf, xd)
	clear(buf[nd:])
	fft.forward(coef, buf)
	for i, c := range coef {
		coef[i] = complex(real(c)*real(c)+imag(c)*imag(c), 0)
	}
	acov := buf
	fft.inverse(acov, coef)
	r0 := acov[0] / float64(nd)
	for k := 0; k <= maxLag; k++ {
		acf[k] = acov[k] / float64(nd-k) / r0
	}
	// The autocorrelation of the first differences, computed directly at
	// the few lags that pass the other tests: a seasonal shape repeats in
	// its changes too, while a random walk's changes are white noise with
	// no correlation at any lag, however periodic its level may look.
	var d0 float64
	for i := range diff {
		diff[i] = xd[i+1] - xd[i]
		d0 += diff[i] * diff[i]
	}
	d0 /= float64(len(diff))
	for i := range dacf {
		dacf[i] = math.NaN()
	}
	dacfAt := func(L int) float64 {
		if math.IsNaN(dacf[L]) {
			dacf[L] = 0
			if d0 > 0 && L < len(diff) {
				var c float64
				for i := L; i < len(diff); i++ {
					c += diff[i] * diff[i-L]
				}
				dacf[L] = c / float64(len(diff)-L) / d0
			}
		}
		return dacf[L]
	}
	// Periodogram of the Hann-windowed series (the window as in
	// gonum/dsp/window.Hann, symmetric, so half the cosines suffice).
	copy(buf, xd)
	clear(buf[nd:])
	k := 2 * math.Pi / float64(nd-1)
	for i := 0; i <= (nd-1)/2; i++ {
		h := 0.5 * (1 - math.Cos(k*float64(i)))
		buf[i] *= h
		if j := nd - 1 - i; j != i {
			buf[j] *= h
		}
	}
	fft.forward(coef, buf)
	for i, c := range coef {
		power[i] = real(c)*real(c) + imag(c)*imag(c)
	}
	type peak struct {
		j int
		p float64
	}
	// The strongest local maxima, strongest first (the earlier of equal
	// ones first), kept by insertion: there are a few hundred maxima and
	// only a few are wanted.
	keep := 4*opts.MaxPeriods + 4
	peaks := make([]peak, 0, keep+1)
	for j := 1; j < len(power)-1; j++ {
		period := float64(m) / float64(j)
		if period < 2 || period > float64(maxLag) {
			continue
		}
		p := power[j]
		if !(p > power[j-1] && p >= power[j+1]) || (len(peaks) == keep && !(p > peaks[keep-1].p)) {
			continue
		}
		i := len(peaks)
		for i > 0 && p > peaks[i-1].p {
			i--
		}
		peaks = slices.Insert(peaks, i, peak{j, p})
		if len(peaks) > keep {
			peaks = peaks[:keep]
		}
	}

	// lowest[L] is the smallest autocorrelation at lags 1..L: a real
	// period's autocorrelation dips between 0 and its lag (to −1 at half
	// the lag for a sinusoid), while a random walk's decays smoothly and
	// wiggles, so a peak must rise MinStrength above that dip.
	lowest[0] = 1
	for k := 1; k <= maxLag; k++ {
		lowest[k] = min(lowest[k-1], acf[k])
	}
	isMax := func(L int) bool {
		if L < 2 || L > maxLag {
			return false
		}
		if acf[L] < acf[L-1] || acf[L]-lowest[L] < opts.MinStrength || (L < maxLag && acf[L] < acf[L+1]) {
			return false
		}
		return dacfAt(L) >= minDiffCorrelation
	}
	type cand struct {
		lag int
		s   float64
	}
	var found []cand
	near := func(L int) bool {
		for _, c := range found {
			if abs(c.lag-L) <= max(1, c.lag/50) {
				return true
			}
		}
		return false
	}
	for _, pk := range peaks {
		lo := int(math.Floor(float64(m) / float64(pk.j+1)))
		hi := maxLag
		if pk.j > 1 {
			hi = min(hi, int(math.Ceil(float64(m)/float64(pk.j-1))))
		}
		best := -1
		for L := max(lo, 2); L <= hi; L++ {
			if isMax(L) && (best < 0 || acf[L] > acf[best]) {
				best = L
			}
		}
		if best < 0 || acf[best] < opts.MinStrength || near(best) {
			continue
		}
		found = append(found, cand{best, acf[best]})
	}
	// Multiples of the periods found, shortest base first.
	slices.SortFunc(found, func(a, b cand) int { return cmp.Compare(a.lag, b.lag) })
	for i := 0; i < len(found); i++ {
		base := found[i]
		bestL := -1
		for k := 2; k*base.lag <= maxLag+1; k++ {
			// Search ±1 bin around the multiple: the base lag is rounded.
			for L := k*base.lag - 1; L <= k*base.lag+1; L++ {
				if isMax(L) && acf[L] >= base.s+multipleGain && (bestL < 0 || acf[L] > acf[bestL]) {
					bestL = L
				}
			}
		}
		if bestL >= 0 && !near(bestL) {
			found = append(found, cand{bestL, acf[bestL]})
		}
	}
	// A multiple of a shorter period must add similarity to be kept,
	// whether it came from the periodogram or from step 3.
	slices.SortFunc(found, func(a, b cand) int { return cmp.Compare(a.lag, b.lag) })
	kept := found[:0]
	for _, c := range found {
		redundant := false
		for _, b := range kept {
			k := (c.lag + b.lag/2) / b.lag
			if k >= 2 && abs(c.lag-k*b.lag) <= max(1, k*b.lag/50) && c.s < b.s+multipleGain {
				redundant = true
				break
			}
		}
		if !redundant {
			kept = append(kept, c)
		}
	}
	found = kept
	slices.SortFunc(found, func(a, b cand) int { return cmp.Compare(b.s, a.s) })
	if len(found) > opts.MaxPeriods {
		found = found[:opts.MaxPeriods]
	}
	bin := time.Duration(f) * g.step
	limit := g.span() / 2
	var out []Period
	for _, c := range found {
		p := snapPeriod(time.Duration(c.lag)*bin, bin/2)
		if p > limit || p < 2*bin {
			continue
		}
		out = append(out, Period{Period: p, Strength: c.s})
	}
	slices.SortFunc(out, func(a, b Period) int { return cmp.Compare(a.Period, b.Period) })
	return out
}

// binMeansInto sets xd[i] to the mean of the non-NaN values of
// x[i·f:(i+1)·f] (the last bin may be shorter), NaN when there are none.
// With full (x has no NaN) the sums are split over four accumulators, so
// that the additions do not wait on each other.
func binMeansInto(xd, x []float64, f int, full bool) {
	for i := range xd {
		bin := x[i*f : min((i+1)*f, len(x))]
		if full {
			var s0, s1, s2, s3 float64
			k := 0
			for ; k+4 <= len(bin); k += 4 {
				b := bin[k : k+4 : k+4]
				s0 += b[0]
				s1 += b[1]
				s2 += b[2]
				s3 += b[3]
			}
			for _, v := range bin[k:] {
				s0 += v
			}
			xd[i] = ((s0 + s1) + (s2 + s3)) / float64(len(bin))
			continue
		}
		s, c := 0.0, 0
		for _, v := range bin {
			if !math.IsNaN(v) {
				s += v
				c++
			}
		}
		xd[i] = math.NaN()
		if c > 0 {
			xd[i] = s / float64(c)
		}
	}
}

// snapPeriod rounds p to a whole number of days, hours or minutes when one
// is within tol: the bins quantise the period, and business cycles are
// whole days and hours.
func snapPeriod(p, tol time.Duration) time.Duration {
	for _, unit := range []time.Duration{24 * time.Hour, time.Hour, time.Minute} {
		r := p.Round(unit)
		if r > 0 && (r-p).Abs() <= tol {
			return r
		}
	}
	return p
}

// detrend removes the least-squares line from v.
func detrend(v []float64) {
	n := float64(len(v))
	var sx, sy, sxx, sxy float64
	for i, y := range v {
		x := float64(i)
		sx += x
		sy += y
		sxx += x * x
		sxy += x * y
	}
	den := n*sxx - sx*sx
	b := 0.0
	if den != 0 {
		b = (n*sxy - sx*sy) / den
	}
	a := (sy - b*sx) / n
	for i := range v {
		v[i] -= a + b*float64(i)
	}
}

// fastSize is the smallest power of two ≥ n: the radix-2 and radix-4
// passes of the FFT are several times faster than the radix-3 and
// radix-5 ones a smaller 5-smooth size would need.
func fastSize(n int) int {
	m := 1
	for m < n {
		m *= 2
	}
	return m
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
