package baseline

import (
	"math"
	"time"

	"github.com/seismo-dev/seismo/baseline/calendar"
	"github.com/seismo-dev/seismo/series"
)

// grid is a series resampled to a regular step: v[k] is the value at
// t0 + k·step, NaN where nothing was observed (a gap, an excluded range,
// a non-finite sample). Values are divided by norm, a power of two, so
// that sums of squares of huge values (1e300) do not overflow; powers of
// two scale exactly, so nothing is lost for ordinary data.
type grid struct {
	t0    time.Time
	step  time.Duration
	v     []float64
	valid int     // finite entries of v
	norm  float64 // original value = v·norm
	// integral and counts describe the original values (for scale floors).
	integral, counts bool
	from, to         time.Time // first and last finite, kept sample
}

// maxGridFactor bounds the grid length to this many times the number of
// samples (plus slack): a few samples far apart must not allocate years of
// empty grid. When the bound is hit, the step is doubled until it fits.
const maxGridFactor = 8

// buildGrid resamples pts to step (the median spacing of the samples when
// step ≤ 0). It accepts unsorted input and duplicate timestamps (the last
// sample in input order wins, as in series.Clean), drops NaN and ±Inf and
// the points inside exclude. g.v is sc.grid. Samples snap to the nearest grid instant; on a
// collision the later sample wins. ok is false with fewer than 2 samples.
func buildGrid(pts []series.Point, step time.Duration, exclude []TimeRange, sc *scratch) (grid, bool) {
	g := grid{norm: 1, integral: true, counts: true}
	// One pass checks that the input is clean and sorted (series.Clean
	// output usually is) and whether it is regular; otherwise clean a copy
	// and read it again. A regular series needs no timestamps after that.
	kept := pts
	// The scan also copies the values into the grid buffer: for a
	// regular series that is the grid, up to the scaling below.
	ps, ok := scanPoints(kept, exclude, floats(&sc.grid, len(kept)))
	copied := ok
	if !ok {
		kept = make([]series.Point, 0, len(pts))
		for _, p := range pts {
			if !math.IsNaN(p.V) && !math.IsInf(p.V, 0) && !excluded(p.T, exclude) {
				kept = append(kept, p)
			}
		}
		kept, _ = series.Clean(kept, 0)
		ps, _ = scanPoints(kept, nil, nil)
	}
	if len(kept) < 2 {
		return g, false
	}
	g.integral, g.counts = ps.integral, ps.counts
	first, last := kept[0].T.UnixNano(), kept[len(kept)-1].T.UnixNano()
	var ts []int64 // sample times, only for irregular series
	if !ps.regular {
		if cap(sc.ts) < len(kept) {
			sc.ts = make([]int64, len(kept))
		}
		ts = sc.ts[:len(kept)]
		for i := range kept {
			ts[i] = kept[i].T.UnixNano()
		}
	}
	if step <= 0 {
		// Regular series: every spacing equal; else the median spacing.
		if ps.regular {
			step = time.Duration(ps.d0)
		} else {
			diffs := make([]float64, len(ts)-1)
			for i := 1; i < len(ts); i++ {
				diffs[i-1] = float64(ts[i] - ts[i-1])
			}
			step = time.Duration(median(diffs))
		}
		if step <= 0 {
			step = time.Nanosecond
		}
	}
	span := time.Duration(last - first)
	for span/step+1 > time.Duration(maxGridFactor*len(kept)+1024) {
		step *= 2
	}
	n := int(span/step) + 1
	if rem := span % step; rem*2 >= step {
		n++
	}
	g.t0, g.step = kept[0].T, step
	g.from, g.to = kept[0].T, kept[len(kept)-1].T
	g.v = floats(&sc.grid, n)
	if ps.maxAbs > 0 {
		_, exp := math.Frexp(ps.maxAbs)
		g.norm = math.Ldexp(1, exp)
	}
	inv := 1 / g.norm
	st := int64(step)
	if ps.regular && st == ps.d0 {
		// Every sample lands on its own grid instant, in order.
		switch {
		case !copied:
			for i := range kept {
				g.v[i] = kept[i].V * inv
			}
		case inv != 1:
			scaleInPlace(g.v, inv)
		}
		g.valid = len(kept)
	} else {
		for i := range g.v {
			g.v[i] = math.NaN()
		}
		for i := range kept {
			var d int64
			if ts != nil {
				d = ts[i] - first
			} else {
				d = kept[i].T.UnixNano() - first
			}
			k := int(d / st)
			if (d%st)*2 >= st {
				k++
			}
			if k < n {
				if math.IsNaN(g.v[k]) {
					g.valid++
				}
				g.v[k] = kept[i].V * inv
			}
		}
	}
	g.counts = g.counts && g.integral
	return g, true
}

// scaleInPlace multiplies every v[i] by f, four at a time.
func scaleInPlace(v []float64, f float64) {
	i := 0
	for ; i+4 <= len(v); i += 4 {
		q := v[i : i+4 : i+4]
		q[0], q[1], q[2], q[3] = q[0]*f, q[1]*f, q[2]*f, q[3]*f
	}
	for ; i < len(v); i++ {
		v[i] *= f
	}
}

// pointScan is what scanPoints learns about a series.
type pointScan struct {
	maxAbs           float64
	integral, counts bool  // every value an integer; every value ≥ 0
	regular          bool  // every spacing equal to d0
	d0               int64 // the first spacing in nanoseconds
}

// scanPoints reads pts once: ok is false at the first non-finite or
// excluded sample or timestamp not after its predecessor. Unless dst is
// nil (else len(pts)), it receives the values.
func scanPoints(pts []series.Point, exclude []TimeRange, dst []float64) (s pointScan, ok bool) {
	if len(exclude) == 0 && dst != nil && len(pts) >= 2 {
		return scanFast(pts, dst)
	}
	integral, counts, regular := true, true, true
	maxAbs := 0.0
	var prev, d0 int64
	for i := range pts {
		p := &pts[i]
		v := p.V
		if v-v != 0 { // NaN or ±Inf
			return s, false
		}
		if len(exclude) > 0 && excluded(p.T, exclude) {
			return s, false
		}
		ns := p.T.UnixNano()
		if i > 0 {
			d := ns - prev
			if d <= 0 {
				return s, false
			}
			if i == 1 {
				d0 = d
			}
			regular = regular && d == d0
		}
		prev = ns
		if dst != nil {
			dst[i] = v
		}
		if a := math.Abs(v); a > maxAbs {
			maxAbs = a
		}
		integral = integral && v == math.Trunc(v)
		counts = counts && v >= 0
	}
	return pointScan{maxAbs: maxAbs, integral: integral, counts: counts, regular: regular, d0: d0}, true
}

// scanFast is scanPoints without exclusions, with dst, for at least two
// points. It learns the same from the same values, but with flags
// accumulated over the whole input instead of a branch per test, in a
// loop with few enough live values to stay in registers: a non-finite
// value makes maxAbs +Inf, a spacing that is not positive makes
// the smallest spacing ≤ 0. So a bad input is read to its end before it
// is rejected, which costs only the inputs that go the slow way anyway.
func scanFast(pts []series.Point, dst []float64) (s pointScan, ok bool) {
	dst = dst[:len(pts)]
	t0 := pts[0].T.UnixNano()
	d0 := pts[1].T.UnixNano() - t0
	prev := t0 - d0 // so the first point's spacing is d0
	minD, irregular := d0, int64(0)
	if d0 <= 0 {
		return s, false
	}
	maxAbs := 0.0
	fraction, negative := 0, 0
	for i := range pts {
		v := pts[i].V
		dst[i] = v
		a := math.Abs(v)
		if !(a <= maxAbs) { // NaN too
			maxAbs = a
			if a != a {
				maxAbs = math.Inf(1) // which sticks
			}
		}
		// v == math.Trunc(v) without the call the compiler keeps for
		// CPUs without SSE4.1, which made it spill the loop's values:
		// every float of magnitude ≥ 2^52 is an integer, and below that
		// the conversion to int64 is exact for integers.
		if fraction == 0 && !(a >= 0x1p52 || v == float64(int64(v))) {
			fraction = 1
		}
		if v < 0 {
			negative = 1
		}
		ns := pts[i].T.UnixNano()
		d := ns - prev
		prev = ns
		minD = min(minD, d)
		irregular |= d ^ d0
	}
	if math.IsInf(maxAbs, 0) || minD <= 0 {
		return s, false
	}
	return pointScan{maxAbs: maxAbs, integral: fraction == 0, counts: negative == 0, regular: irregular == 0, d0: d0}, true
}

// at is the time of grid index k.
func (g *grid) at(k int) time.Time { return g.t0.Add(time.Duration(k) * g.step) }

// span is the covered history: the grid length in time.
func (g *grid) span() time.Duration { return time.Duration(len(g.v)) * g.step }

func excluded(t time.Time, ranges []TimeRange) bool {
	for _, r := range ranges {
		if r.Contains(t) {
			return true
		}
	}
	return false
}

// maskNonTrading sets to NaN every grid entry on a day the calendar does
// not class as a full trading day, and returns how many it masked. Day
// boundaries are found once per civil day, not per point.
func (g *grid) maskNonTrading(cal *calendar.Calendar) int {
	if cal == nil || len(g.v) == 0 {
		return 0
	}
	loc := cal.Location()
	masked := 0
	k := 0
	for k < len(g.v) {
		lt := g.at(k).In(loc)
		y, m, d := lt.Date()
		next := time.Date(y, m, d+1, 0, 0, 0, 0, loc)
		// The first index at or after next midnight.
		end := int((next.Sub(g.t0) + g.step - 1) / g.step)
		end = max(end, k+1)
		end = min(end, len(g.v))
		if cal.DayType(lt) != calendar.Trading {
			for i := k; i < end; i++ {
				if !math.IsNaN(g.v[i]) {
					g.v[i] = math.NaN()
					masked++
					g.valid--
				}
			}
		}
		k = end
	}
	return masked
}

// interpolate fills the gaps of v linearly between the nearest finite
// neighbours; leading and trailing gaps take the nearest finite value.
// Used for period detection, which needs a gapless series; fitting uses
// the gaps as they are.
func interpolate(out []float64) {
	last := -1
	for i, x := range out {
		if math.IsNaN(x) {
			continue
		}
		switch {
		case last < 0:
			for j := 0; j < i; j++ {
				out[j] = x
			}
		case i-last > 1:
			a := out[last]
			for j := last + 1; j < i; j++ {
				out[j] = a + (x-a)*float64(j-last)/float64(i-last)
			}
		}
		last = i
	}
	if last >= 0 {
		for j := last + 1; j < len(out); j++ {
			out[j] = out[last]
		}
	}
}
