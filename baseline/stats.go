package baseline

import (
	"github.com/seismo-dev/seismo/series"
	"math"
	"slices"
)

// madToSigma turns a median absolute deviation into a standard deviation
// for Gaussian data; meanADToSigma does the same for the mean absolute
// deviation (sqrt(pi/2)).
const (
	madToSigma    = 1.4826
	meanADToSigma = 1.2533
)

// Scale floor parameters; see the package documentation.
const (
	// RelativeScaleFloor is the smallest scale as a fraction of |median|:
	// a constant bucket at 1000 still tolerates ±1% noise per unit of z.
	RelativeScaleFloor = 0.01
	// GlobalScaleFloor is the smallest scale as a fraction of the whole
	// history's robust scale: a bucket that was always 0 in a series that
	// moves by thousands is not infinitely sensitive.
	GlobalScaleFloor = 0.02
	// QuantumScaleFloor is the smallest scale of integer-valued data
	// (counts), in units: the MAD cannot resolve noise finer than the
	// data's own resolution, and a night bucket of a count series that is
	// mostly 0 with the odd 1 must not turn every 1 into a 17σ event.
	QuantumScaleFloor = 1.0
	// MinScale keeps the scale positive for a series that never changed.
	MinScale = 1e-9
)

// stat is the robust summary of a sample set.
type stat struct {
	median, mad float64
	// scale is 1.4826·MAD, or, when the MAD is zero because more than
	// half of the values are equal, 1.2533·mean|x−median|, which still
	// sees the minority (a mostly-zero bucket with a few ones).
	scale float64
	n     int
}

// summarize returns the robust summary of v. It reorders v (callers pass
// scratch copies) and uses buf as scratch for the deviations.
func summarize(v, buf []float64) (stat, []float64) {
	n := len(v)
	if n == 0 {
		return stat{median: math.NaN(), mad: math.NaN(), scale: math.NaN()}, buf
	}
	med := median(v)
	buf = buf[:0]
	var sum float64
	for _, x := range v {
		d := math.Abs(x - med)
		sum += d
		buf = append(buf, d)
	}
	s := stat{median: med, mad: median(buf), n: n}
	s.scale = madToSigma * s.mad
	if s.mad == 0 {
		s.scale = meanADToSigma * sum / float64(n)
	}
	return s, buf
}

// summarizeOf is summarize by medianOf: v keeps its order, dev receives
// the absolute deviations and sel is medianOf's scratch (both returned,
// grown as needed). It gives summarize's median and MAD; the mean
// deviation (used when the MAD is 0) is summed in v's own order.
func summarizeOf(v, dev, sel []float64) (stat, []float64, []float64) {
	n := len(v)
	if n == 0 {
		return stat{median: math.NaN(), mad: math.NaN(), scale: math.NaN()}, dev, sel
	}
	var med float64
	med, sel = medianOf(v, sel)
	dev = dev[:0]
	var sum float64
	for _, x := range v {
		d := math.Abs(x - med)
		sum += d
		dev = append(dev, d)
	}
	s := stat{median: med, n: n}
	s.mad, sel = medianOf(dev, sel)
	s.scale = madToSigma * s.mad
	if s.mad == 0 {
		s.scale = meanADToSigma * sum / float64(n)
	}
	return s, dev, sel
}

// median returns the median of v, reordering v. It selects rather than
// sorts (expected O(n)): fitting spends most of its time here.
func median(v []float64) float64 {
	n := len(v)
	if n >= 64 {
		// Value buckets between the extremes narrow the selection to a
		// few values (see middleRanks): the same median, without most of
		// quickselect's mispredicted branches.
		a, b := v[0], v[0]
		for _, x := range v[1:] {
			a, b = min(a, x), max(b, x)
		}
		if a == b {
			return a
		}
		lo, hi := middleRanks(v, (n-1)/2, n/2, a, b)
		if n%2 == 1 {
			return hi
		}
		return (lo + hi) / 2
	}
	hi := series.Select(v, n/2)
	if n%2 == 1 {
		return hi
	}
	// nth leaves every element before index n/2 no greater than v[n/2].
	lo := v[0]
	for _, x := range v[1 : n/2] {
		lo = max(lo, x)
	}
	return (lo + hi) / 2
}

// selectMinLen is the length from which medianOf narrows the search
// with a sample first; shorter inputs are copied and selected directly.
const selectMinLen = 512

// medianOf returns the median of v, like median, without reordering v;
// buf is scratch (returned, grown as needed). For long inputs it sorts a
// strided sample of 127 values, takes the two sample values about three
// standard errors either side of the sample median as bounds, counts the
// values below the lower bound and collects those between them (about a
// quarter of v) in one branch-light pass, and selects within those: the
// same value as median, in about a third of the time, because the
// quickselect's mispredicted branches over all of v are what cost. When
// the bounds miss the median (an ordering the stride aliases with), it
// falls back to selecting on a copy of v. v must not contain NaN.
func medianOf(v, buf []float64) (float64, []float64) {
	n := len(v)
	if cap(buf) < n {
		buf = make([]float64, n)
	}
	buf = buf[:n]
	if n < selectMinLen {
		copy(buf, v)
		return median(buf), buf
	}
	const m, margin = 127, 17
	var smp [m]float64
	stride := n / m
	for i := range smp {
		smp[i] = v[i*stride]
	}
	slices.Sort(smp[:])
	a, b := smp[m/2-margin], smp[m/2+margin]
	below, j := 0, 0
	for _, x := range v {
		// Set-on-compare flags, no branches: x is below a, above b
		// (a ≤ b, so not both) or between them.
		buf[j] = x
		lt, gt := 0, 0
		if x < a {
			lt = 1
		}
		if x > b {
			gt = 1
		}
		below += lt
		j += 1 - lt - gt
	}
	k2 := n / 2       // the upper middle rank (the median for odd n)
	k1 := (n - 1) / 2 // the lower middle rank
	if k1 < below || k2 >= below+j {
		copy(buf, v)
		return median(buf), buf
	}
	lo, hi := middleRanks(buf[:j], k1-below, k2-below, a, b)
	if k1 == k2 {
		return hi, buf
	}
	return (lo + hi) / 2, buf
}

// middleRanks returns the r1-th and the r2-th smallest of v (r1 ≤ r2 ≤
// r1+1), all of whose values lie in [a, b]; it reorders v (a permutation). Longer inputs
// are first counted into value buckets, so that the selection runs only
// on the one or two buckets holding the ranks: quickselect's
// mispredicted branches are what cost, and a bucket index is a multiply
// and a conversion. Bucketing is monotone in the value (rounding is), so
// the ranks land in the right buckets whatever the rounding.
func middleRanks(v []float64, r1, r2 int, a, b float64) (lo, hi float64) {
	const maxBuckets = 256
	nb := min(maxBuckets, len(v)/2) // about two values a bucket, at most 256
	scale := float64(nb) / (b - a)
	if len(v) >= 64 && scale > 0 && !math.IsInf(scale, 0) {
		var count [maxBuckets + 1]int32
		for _, x := range v {
			count[min(int((x-a)*scale), nb)]++
		}
		// b1 and b2 are the buckets of ranks r1 and r2; below counts the
		// values in the buckets before b1. With r2 = r1+1 the buckets in
		// between are empty.
		b1, below := 0, 0
		for below+int(count[b1]) <= r1 {
			below += int(count[b1])
			b1++
		}
		b2, upto := b1, below+int(count[b1])
		for upto <= r2 {
			b2++
			upto += int(count[b2])
		}
		// Swapped to the front, so that v stays a permutation of its
		// values (median's callers read them again).
		j := 0
		for i, x := range v {
			if k := min(int((x-a)*scale), nb); k == b1 || k == b2 {
				v[i], v[j] = v[j], x
				j++
			}
		}
		v, r1, r2 = v[:j], r1-below, r2-below
	}
	hi = series.Select(v, r2)
	if r1 == r2 {
		return hi, hi
	}
	// nth leaves every element before r2 no greater than hi; the r1-th is
	// their maximum (r1 < r2, so there is one).
	lo = v[0]
	for _, x := range v[1:r2] {
		lo = max(lo, x)
	}
	return lo, hi
}

// z99 is the 99th percentile of the standard normal distribution.
const z99 = 2.3263

// tailScale is the larger distance from the median to the 1st or the 99th
// percentile, divided by z99: the standard deviation for Gaussian data, but
// wide enough to cover a structured minority — the working-day hump of a
// series the MAD sees as outliers. It reorders v.
func tailScale(v []float64, med float64) float64 {
	n := len(v)
	if n == 0 {
		return 0
	}
	lo := series.Select(v, int(0.01*float64(n-1)))
	hi := series.Select(v, int(math.Ceil(0.99*float64(n-1))))
	return max(hi-med, med-lo) / z99
}
