package baseline

import (
	"math"
	"strings"
	"time"
)

// STLModel is a seasonal-trend decomposition y = trend + Σ seasons +
// remainder, in the spirit of STL (Cleveland et al., 1990) but built for
// speed on long regular series:
//
//   - the trend is a moving average over the longest period (which
//     cancels every season whose period divides it), computed with
//     running sums in O(n);
//   - each season is the mean of the detrended, other-seasons-removed
//     values at each of its phases (cells of several steps when a phase
//     has fewer than 8 samples), lightly smoothed around the cycle when a
//     cell has fewer than 30 samples, and centred to mean zero;
//   - trend and seasons are refined by backfitting, then once more with
//     bisquare robustness weights from the remainder (its median taken on
//     a fixed-stride sample of at most 4096 points), so past anomalies
//     barely move the fit;
//   - the scale is the trimmed mean absolute remainder per cell of the
//     shortest period (see scaleProfile; at least 30 remainders per
//     cell), with the scale floors of the package documentation.
//
// Expect(t) is trend(t) + Σ season_i(phase_i(t)): inside the history the
// trend is interpolated between knots (at most 64), after it the trend
// stays at its last value (no extrapolated slope: a baseline should not
// run away on a guess). Phases count grid steps from the first sample, so
// periods are in absolute time (a daylight-saving change shifts local
// patterns by an hour until the next fit; PhaseModel follows local time).
type STLModel struct {
	meta
	seasons  []season // normalised units × norm = original units
	knots    []float64
	knotStep int
	n        int // grid length
	level    float64
	scale    season
}

// Name returns "stl".
func (m *STLModel) Name() string { return ModelSTL }

// Expect is O(1) and does not allocate.
func (m *STLModel) Expect(t time.Time) Expectation {
	if m == nil || len(m.knots) == 0 {
		return Expectation{}
	}
	if e, ok := m.calendarExpect(t); ok {
		return e
	}
	k := m.index(t)
	v := m.trendAt(k)
	for i := range m.seasons {
		v += m.seasons[i].at(k)
	}
	sc := m.scale.at(k)
	if !finite(v, sc) {
		return Expectation{}
	}
	return Expectation{Value: v, Scale: m.fl.apply(v, sc), OK: true, Samples: m.points, Source: ModelSTL}
}

// expectAhead is the expectation as the model sees the future: the final
// level with the seasons, whatever the trend was at t. Re-anchoring at fit
// time measures the recent residuals against it, so that the part of a
// recent shift the trend already absorbed is not counted twice.
func (m *STLModel) expectAhead(t time.Time) Expectation {
	e := m.Expect(t)
	if e.OK && e.Source == ModelSTL {
		k := m.index(t)
		e.Value += m.level - m.trendAt(k)
	}
	return e
}

func (m *STLModel) trendAt(k int64) float64 {
	last := int64(m.n - 1)
	switch {
	case k >= last:
		return m.level
	case k <= 0:
		return m.knots[0]
	}
	i := k / int64(m.knotStep)
	lo := i * int64(m.knotStep)
	hi := min(lo+int64(m.knotStep), last)
	if int(i+1) >= len(m.knots) || hi == lo {
		return m.knots[i]
	}
	f := float64(k-lo) / float64(hi-lo)
	return m.knots[i]*(1-f) + m.knots[i+1]*f
}

// Describe says what the decomposition found.
func (m *STLModel) Describe() string {
	var b strings.Builder
	b.WriteString("seasonal-trend decomposition")
	m.describe(&b)
	b.WriteString("; level ")
	b.WriteString(fmtG(m.level))
	return b.String()
}

// fitSTL decomposes the prepared grid. It needs at least one period.
// Its working arrays come from sc; the model owns only its seasons,
// knots and scale.
func fitSTL(p *prepared, sc *scratch) *STLModel {
	g := &p.g
	y := g.v
	n := len(y)
	m := &STLModel{meta: p.meta, n: n}
	window := p.steps[len(p.steps)-1]
	buf := floats(&sc.stl, 5*n+2)
	w, S, T, pre := buf[:n], buf[n:2*n], buf[2*n:3*n], buf[3*n:]
	// The first, non-robust iteration weighs every value present by 1.
	// Without gaps that is every value, and its passes need no weights
	// (unit). S holds Σ seasons at k once the first season's change is
	// added; until then it is zero and is neither cleared nor read.
	finite := g.valid == n
	unit := finite
	if !unit {
		for k, v := range y {
			w[k] = 0
			if !math.IsNaN(v) {
				w[k] = 1
			}
		}
	}
	zero := true
	seasons := make([]season, len(p.steps))
	var runs [][]int32
	nruns := 0
	for i, s := range p.steps {
		seasons[i] = season{P: s, V: make([]float64, cellsFor(s, g.valid, 8))}
		nruns += len(seasons[i].V) + 1
	}
	rb := ints(&sc.runs, nruns)
	for i := range seasons {
		nc := len(seasons[i].V)
		runs = append(runs, seasons[i].runs(rb[:nc+1]))
		rb = rb[nc+1:]
	}
	// The passes over the grid are fused where one only feeds the next:
	// robustness weights with the first season's sums, each season's
	// update of S with the next season's sums, and the last season's
	// update with the moving average (which runs window/2 steps behind
	// it). Every value is computed as in separate passes, in the same
	// order.
	maxP := 0
	for _, s := range p.steps {
		maxP = max(maxP, s)
	}
	cb := floats(&sc.cells, 3*maxP)
	sum, cnt, dph := cb[:maxP], cb[maxP:2*maxP], cb[2*maxP:]
	movingAverage(T, y, S, w, window, nil, 1, pre, pass{unit: unit, zero: true, finite: finite})
	for _, robust := range []bool{false, true} {
		h := math.NaN() // no reweighting
		if robust {
			h = robustScale(y, T, S, sc)
			unit = false // the weights are the bisquare's from here on
		}
		for i := range seasons {
			s := &seasons[i]
			var d []float64
			if i > 0 {
				d = dph[:seasons[i-1].P]
			}
			hs := math.NaN() // the first season's pass sets the weights
			if i == 0 {
				hs = h
			}
			seasonSums(s, runs[i], y, T, S, w, sum[:s.P], cnt[:s.P], d, hs, pass{unit: unit, zero: zero, finite: finite})
			zero = zero && d == nil
			finishSeason(s, runs[i], sum[:len(s.V)], cnt[:len(s.V)], dph[:s.P], g.valid)
		}
		last := seasons[len(seasons)-1].P
		movingAverage(T, y, S, w, window, dph[:last], last, pre, pass{unit: unit, zero: zero, finite: finite})
		zero = false
	}
	m.scale = scaleProfileOf(y, T, S, finite, p.steps, g.norm, sc)
	norm := g.norm
	for i := range seasons {
		for c := range seasons[i].V {
			seasons[i].V[c] *= norm
		}
	}
	m.seasons = seasons
	m.knotStep = max(1, (n+63)/64)
	m.knots = make([]float64, 0, (n+m.knotStep-1)/m.knotStep+1)
	for k := 0; ; k += m.knotStep {
		if k >= n-1 {
			m.knots = append(m.knots, T[n-1]*norm)
			break
		}
		m.knots = append(m.knots, T[k]*norm)
	}
	m.level = T[n-1] * norm
	return m
}

// movingAverage sets T to the centred weighted moving average of y − S
// over window steps (shrinking at the ends), skipping zero weights; where
// a window holds no weight, T keeps the previous value. With d (len P) it
// first adds d[k mod P] to S[k], so that the last season's update needs
// no pass of its own. pre (len ≥ 2(n+1)) is scratch.
//
// The window sums are differences of prefix sums: one pass builds them
// (one addition per step on each sum's dependency chain, the weighted
// values computed once), a second takes every window's sums as two
// independent differences and divides. A running window sum needs two
// passes' worth of work in one chain and no fewer divisions. In the
// normalised units of the grid (|y| ≤ 1) the prefix sums stay below n, so
// a difference loses at most a few ulps of n: far below any data's
// resolution.
func movingAverage(T, y, S, w []float64, window int, d []float64, P int, pre []float64, o pass) {
	n := len(y)
	half := window / 2
	ps, pw := pre[:n+1], pre[n+1:2*(n+1)]
	ps[0], pw[0] = 0, 0
	var sum, wsum float64
	if d == nil {
		P = n
	}
	for base := 0; base < n; base += P {
		end := min(base+P, n)
		ys, ss, ws := y[base:end], S[base:end], w[base:end]
		ss, ws = ss[:len(ys)], ws[:len(ys)]
		qs, qw := ps[base+1:end+1], pw[base+1:end+1]
		qs, qw = qs[:len(ys)], qw[:len(ys)]
		var dd []float64 // the season's change, still to add to ss
		switch {
		case d == nil && o.zero:
			ss = nil // zero: not read
		case d != nil && o.zero:
			copy(ss, d[:len(ys)])
		case d != nil && !o.unit && !o.finite:
			dd := d[:len(ys)]
			for i := range ss {
				ss[i] += dd[i]
			}
		case d != nil:
			dd = d[:len(ys)] // added by the prefix loop below
		}
		// Two steps per addition on the running sums' dependency chains
		// (the steps' own prefixes branch off them): the chains, not the
		// arithmetic, bound this loop.
		switch {
		case dd != nil && o.unit:
			sum = updatePrefixPairs(qs, ys, ss, dd, sum)
		case dd != nil:
			sum, wsum = finiteWeightedUpdatePrefixPairs(qs, qw, ys, ss, dd, ws, sum, wsum)
		case o.unit:
			if ss == nil {
				sum = prefixPairs(qs, ys, nil, sum)
			} else {
				sum = prefixPairs(qs, ys, ss, sum)
			}
		case o.finite && ss != nil:
			sum, wsum = finiteWeightedPrefixPairs(qs, qw, ys, ss, ws, sum, wsum)
		default:
			sum, wsum = weightedPrefixPairs(qs, qw, ys, ss, ws, sum, wsum)
		}
	}
	if o.unit {
		unitWindowMeans(T, ps, half)
		return
	}
	if windowMeans(T, ps, pw, half) {
		fillEmpty(T)
	}
}

// unitWindowMeans sets T[k] to the mean of y − S over the window
// [k−half, k+half] ∩ [0, n), from ps, the prefix sums of y − S (len n+1)
// with unit weights. (The output loops are functions of their own: in
// movingAverage their indices and slices were kept on the stack.)
func unitWindowMeans(T, ps []float64, half int) {
	n := len(T)
	// Every weight 1: a window's weight is its length, and no window
	// is empty.
	head := min(half, n)
	if m := n - 2*half; m > 0 {
		// Windows [0, k+half] for k < half, whole windows, windows
		// [k−half, n−1] for k ≥ n−half.
		{
			hs, t := ps[half+1:2*half+1], T[:half]
			t = t[:len(hs)]
			for k, x := range hs {
				t[k] = x / float64(k+half+1)
			}
		}
		hs, ls, t := ps[2*half+1:n+1], ps[:m], T[half:half+m]
		hs, t = hs[:len(ls)], t[:len(ls)]
		inv := 1 / float64(2*half+1)
		for i, l := range ls {
			t[i] = (hs[i] - l) * inv
		}
		ls, t = ps[n-2*half:n-half], T[n-half:]
		t = t[:len(ls)]
		last := ps[n]
		for i, l := range ls {
			t[i] = (last - l) / float64(2*half-i)
		}
		return
	}
	for k := range head {
		hi := min(k+half+1, n)
		T[k] = ps[hi] / float64(hi)
	}
	for k := max(head, n-half); k < n; k++ {
		lo := max(k-half, 0)
		T[k] = (ps[n] - ps[lo]) / float64(n-lo)
	}
}

// windowMeans is unitWindowMeans with the weights' prefix sums pw: it
// marks windows without weight NaN and reports whether there were any.
func windowMeans(T, ps, pw []float64, half int) bool {
	n := len(T)
	// Windows without weight are marked NaN and filled afterwards: a
	// value carried from step to step would chain every division to the
	// previous one. The windows that shrink at either end are apart from
	// the full ones, whose loop reads four aligned slices.
	empty := false
	head := min(half, n) // lo = 0
	if n > 2*half {
		// hi = k+half+1 < n: no bound to take.
		hs, hw, t := ps[half+1:2*half+1], pw[half+1:2*half+1], T[:half]
		hw, t = hw[:len(hs)], t[:len(hs)]
		for k, x := range hs {
			if ww := hw[k]; ww > 1e-9 {
				t[k] = x / ww
			} else {
				t[k] = math.NaN()
				empty = true
			}
		}
		head = 0
	}
	for k := range head {
		hi := min(k+half+1, n)
		empty = windowMean(T, k, ps[hi]-ps[0], pw[hi]-pw[0]) || empty
	}
	if m := n - 2*half; m > 0 { // k in [half, n−half): lo = k−half, hi = k+half+1
		hs, hw := ps[2*half:n], pw[2*half:n]
		ls, lw, t := ps[:m], pw[:m], T[half:half+m]
		hs, hw, lw, t = hs[1:m+1], hw[1:m+1], lw[:len(ls)], t[:len(ls)]
		for i, l := range ls {
			if ww := hw[i] - lw[i]; ww > 1e-9 {
				t[i] = (hs[i] - l) / ww
			} else {
				t[i] = math.NaN()
				empty = true
			}
		}
	}
	if n > 2*half {
		// lo = k−half ≥ 0.
		ls, lw, t := ps[n-2*half:n-half], pw[n-2*half:n-half], T[n-half:]
		lw, t = lw[:len(ls)], t[:len(ls)]
		sn, wn := ps[n], pw[n]
		for i, l := range ls {
			if ww := wn - lw[i]; ww > 1e-9 {
				t[i] = (sn - l) / ww
			} else {
				t[i] = math.NaN()
				empty = true
			}
		}
	} else {
		for k := max(head, n-half); k < n; k++ { // hi = n
			lo := max(k-half, 0)
			empty = windowMean(T, k, ps[n]-ps[lo], pw[n]-pw[lo]) || empty
		}
	}
	return empty
}

// prefixPairs sets q[i] to sum + Σ_{j≤i} (y[j] − s[j]) (s nil: 0) and
// returns the last, adding two steps at a time to the running sum.
func prefixPairs(q, y, s []float64, sum float64) float64 {
	q = q[:len(y)]
	if s != nil {
		s = s[:len(y)]
	}
	i := 0
	for ; i+1 < len(y); i += 2 {
		a0, a1 := y[i], y[i+1]
		if s != nil {
			a0 -= s[i]
			a1 -= s[i+1]
		}
		q[i] = sum + a0
		sum += a0 + a1
		q[i+1] = sum
	}
	if i < len(y) {
		a := y[i]
		if s != nil {
			a -= s[i]
		}
		sum += a
		q[i] = sum
	}
	return sum
}

// weightedPrefixPairs is prefixPairs of w·(y − s) and of w (s nil: 0),
// skipping zero weights (whose y may be NaN).
func weightedPrefixPairs(qs, qw, y, s, w []float64, sum, wsum float64) (float64, float64) {
	qs, qw, w = qs[:len(y)], qw[:len(y)], w[:len(y)]
	if s != nil {
		s = s[:len(y)]
	}
	term := func(i int) (float64, float64) {
		wk := w[i]
		if !(wk > 0) {
			return 0, 0
		}
		v := y[i]
		if s != nil {
			v -= s[i]
		}
		return wk * v, wk
	}
	i := 0
	for ; i+1 < len(y); i += 2 {
		a0, w0 := term(i)
		a1, w1 := term(i + 1)
		qs[i], qw[i] = sum+a0, wsum+w0
		sum += a0 + a1
		wsum += w0 + w1
		qs[i+1], qw[i+1] = sum, wsum
	}
	if i < len(y) {
		a, wk := term(i)
		sum += a
		wsum += wk
		qs[i], qw[i] = sum, wsum
	}
	return sum, wsum
}

// finiteWeightedPrefixPairs is weightedPrefixPairs for y without NaN
// and s non-nil: a zero weight adds zero, untested.
func finiteWeightedPrefixPairs(qs, qw, y, s, w []float64, sum, wsum float64) (float64, float64) {
	qs, qw, s, w = qs[:len(y)], qw[:len(y)], s[:len(y)], w[:len(y)]
	i := 0
	for ; i+1 < len(y); i += 2 {
		w0, w1 := w[i], w[i+1]
		a0, a1 := w0*(y[i]-s[i]), w1*(y[i+1]-s[i+1])
		qs[i], qw[i] = sum+a0, wsum+w0
		sum += a0 + a1
		wsum += w0 + w1
		qs[i+1], qw[i+1] = sum, wsum
	}
	if i < len(y) {
		sum += w[i] * (y[i] - s[i])
		wsum += w[i]
		qs[i], qw[i] = sum, wsum
	}
	return sum, wsum
}

// updatePrefixPairs is prefixPairs of y − s after adding d to s, in the
// same loop.
func updatePrefixPairs(q, y, s, d []float64, sum float64) float64 {
	q, s, d = q[:len(y)], s[:len(y)], d[:len(y)]
	i := 0
	for ; i+1 < len(y); i += 2 {
		s0, s1 := s[i]+d[i], s[i+1]+d[i+1]
		s[i], s[i+1] = s0, s1
		a0, a1 := y[i]-s0, y[i+1]-s1
		q[i] = sum + a0
		sum += a0 + a1
		q[i+1] = sum
	}
	if i < len(y) {
		s[i] += d[i]
		sum += y[i] - s[i]
		q[i] = sum
	}
	return sum
}

// finiteWeightedUpdatePrefixPairs is finiteWeightedPrefixPairs after
// adding d to s, in the same loop.
func finiteWeightedUpdatePrefixPairs(qs, qw, y, s, d, w []float64, sum, wsum float64) (float64, float64) {
	qs, qw, s, d, w = qs[:len(y)], qw[:len(y)], s[:len(y)], d[:len(y)], w[:len(y)]
	i := 0
	for ; i+1 < len(y); i += 2 {
		s0, s1 := s[i]+d[i], s[i+1]+d[i+1]
		s[i], s[i+1] = s0, s1
		w0, w1 := w[i], w[i+1]
		a0, a1 := w0*(y[i]-s0), w1*(y[i+1]-s1)
		qs[i], qw[i] = sum+a0, wsum+w0
		sum += a0 + a1
		wsum += w0 + w1
		qs[i+1], qw[i+1] = sum, wsum
	}
	if i < len(y) {
		s[i] += d[i]
		sum += w[i] * (y[i] - s[i])
		wsum += w[i]
		qs[i], qw[i] = sum, wsum
	}
	return sum, wsum
}

// windowMean sets T[k] to s/w, or to NaN and reports true when w holds
// no weight.
func windowMean(T []float64, k int, s, w float64) bool {
	if w > 1e-9 {
		T[k] = s / w
		return false
	}
	T[k] = math.NaN()
	return true
}

// fillEmpty replaces every NaN of T with the previous value, a leading
// run with the first value, and all of T with 0 when every value is NaN.
func fillEmpty(T []float64) {
	first := -1
	for k, v := range T {
		switch {
		case !math.IsNaN(v):
			if first < 0 {
				first = k
			}
		case first >= 0:
			T[k] = T[k-1]
		}
	}
	switch {
	case first < 0:
		clear(T)
	case first > 0:
		for j := range first {
			T[j] = T[first]
		}
	}
}

// seasonSums sets sum and cnt (len s.P on entry), by cell of s, to the
// weighted sums of y − T − (S − s) and of the weights, and returns them
// in sum[:len(s.V)] and cnt[:len(s.V)]. With d (the previous season's
// change by phase, len(d) its period) it first adds d[k mod len(d)] to
// S[k]; unless h is NaN it first sets the bisquare weights,
// w = (1 − (r/h)²)² with r = y − T − S (0 where y is missing, 1 for all
// when h ≤ 0).
//
// The sums are taken per phase, in a loop over each cycle with no
// dependency from one step to the next, and only then per cell (runs are
// the cells' boundaries, season.runs); s's own value enters once per
// cell as V[c]·Σw instead of once per step.
func seasonSums(s *season, runs []int32, y, T, S, w, sum, cnt, d []float64, h float64, o pass) {
	n := len(y)
	P := s.P
	clear(sum)
	clear(cnt)
	ih := 1 / h
	for base := 0; base < n; base += P {
		end := min(base+P, n)
		ys, ts, ss, ws := y[base:end], T[base:end], S[base:end], w[base:end]
		ts, ss, ws = ts[:len(ys)], ss[:len(ys)], ws[:len(ys)]
		sm, cn := sum[:len(ys)], cnt[:len(ys)]
		switch {
		case d == nil && o.zero:
			ss = nil // zero: not read
		case d != nil && o.finite && math.IsNaN(h):
			// The previous season's change added in the summing loop,
			// in runs without a wrap of its phase.
			ph := base % len(d)
			for lo := 0; lo < len(ys); {
				hi := min(lo+len(d)-ph, len(ys))
				updateSums(sm[lo:hi], cn[lo:hi], ys[lo:hi], ts[lo:hi], ss[lo:hi], ws[lo:hi], d[ph:], o)
				lo, ph = hi, 0
			}
			continue
		case d != nil && o.zero:
			copyPeriodic(ss, d, base)
		case d != nil:
			addPeriodic(ss, d, base)
		}
		if o.finite && ss != nil && h > 0 {
			robustSums(sm, cn, ys, ts, ss, ws, ih)
			continue
		}
		switch {
		case math.IsNaN(h):
		case h > 0:
			for i, v := range ys {
				r := v - ts[i]
				if ss != nil {
					r -= ss[i]
				}
				u := r * ih
				wk := 0.0
				if u2 := u * u; u2 < 1 { // false for NaN
					wk = (1 - u2) * (1 - u2)
				}
				ws[i] = wk
			}
		default:
			for i, v := range ys {
				ws[i] = 0
				if !math.IsNaN(v) {
					ws[i] = 1
				}
			}
		}
		switch {
		case o.unit && ss == nil:
			unitSums(sm, ys, ts)
		case o.unit:
			unitSumsLess(sm, ys, ts, ss)
		case ss == nil:
			for i, wk := range ws {
				if wk > 0 {
					sm[i] += wk * (ys[i] - ts[i])
					cn[i] += wk
				}
			}
		case o.finite:
			for i, wk := range ws {
				sm[i] += wk * (ys[i] - ts[i] - ss[i])
				cn[i] += wk
			}
		default:
			for i, wk := range ws {
				if wk > 0 {
					sm[i] += wk * (ys[i] - ts[i] - ss[i])
					cn[i] += wk
				}
			}
		}
	}
	if o.unit {
		// Every weight 1: a phase's weight is the number of cycles that
		// reach it.
		full, rest := float64(n/P), n%P
		for ph := range cnt {
			cnt[ph] = full
		}
		for ph := range rest {
			cnt[ph]++
		}
	}
	nc := len(s.V)
	if nc != P {
		// Cells of several phases: the cell sums overwrite the phase sums
		// in place (cell c starts at phase runs[c] ≥ c).
		if P == 4*nc {
			// Four phases a cell (a week of 1m steps on two weeks of
			// history): the same additions, unrolled.
			for c := range nc {
				q, r := sum[4*c:4*c+4:4*c+4], cnt[4*c:4*c+4:4*c+4]
				sum[c] = q[0] + q[1] + q[2] + q[3]
				cnt[c] = r[0] + r[1] + r[2] + r[3]
			}
		} else {
			for c := range nc {
				var sv, cv float64
				for ph := runs[c]; ph < runs[c+1]; ph++ {
					sv += sum[ph]
					cv += cnt[ph]
				}
				sum[c], cnt[c] = sv, cv
			}
		}
	}
	for c, v := range s.V {
		sum[c] += v * cnt[c]
	}
}

// pass describes the state of a fitting pass's inputs.
type pass struct {
	unit   bool // every weight is 1 (no gaps, not robust): w is not read
	zero   bool // S is zero: not read; a season's change is copied to it, not added
	finite bool // y has no gap (NaN): a zero weight needs no test
}

// copyPeriodic sets ss[i] to d[(base+i) mod len(d)], in runs without a
// wrap.
func copyPeriodic(ss, d []float64, base int) {
	ph := base % len(d)
	for len(ss) > 0 {
		n := copy(ss, d[ph:])
		ss = ss[n:]
		ph = 0
	}
}

// The summing loops of seasonSums are functions of their own: in the
// large function their index and slices were kept on the stack.

// robustSums sets w[i] to the bisquare weight of r = y[i] − t[i] − s[i]
// at scale 1/ih and adds w·r to sm[i] and w to cn[i], for y without NaN.
func robustSums(sm, cn, y, t, s, w []float64, ih float64) {
	sm, cn, t, s, w = sm[:len(y)], cn[:len(y)], t[:len(y)], s[:len(y)], w[:len(y)]
	for i, v := range y {
		r := v - t[i] - s[i]
		u := r * ih
		wk := 0.0
		if u2 := u * u; u2 < 1 {
			wk = (1 - u2) * (1 - u2)
		}
		w[i] = wk
		sm[i] += wk * r
		cn[i] += wk
	}
}

// unitSums adds y[i] − t[i] to sm[i].
func unitSums(sm, y, t []float64) {
	sm, t = sm[:len(y)], t[:len(y)]
	for i, v := range y {
		sm[i] += v - t[i]
	}
}

// unitSumsLess adds y[i] − t[i] − s[i] to sm[i].
func unitSumsLess(sm, y, t, s []float64) {
	sm, t, s = sm[:len(y)], t[:len(y)], s[:len(y)]
	for i, v := range y {
		sm[i] += v - t[i] - s[i]
	}
}

// updateSums adds d[i] to s[i] (o.zero: sets s[i] to d[i]), then
// y[i] − t[i] − s[i] to sm[i] (o.unit) or w[i] times it to sm[i] and
// w[i] to cn[i], for y without NaN.
func updateSums(sm, cn, y, t, s, w, d []float64, o pass) {
	sm, cn, t, s, w, d = sm[:len(y)], cn[:len(y)], t[:len(y)], s[:len(y)], w[:len(y)], d[:len(y)]
	switch {
	case o.zero && o.unit:
		for i, v := range y {
			si := d[i]
			s[i] = si
			sm[i] += v - t[i] - si
		}
		return
	case o.zero:
		for i, v := range y {
			si := d[i]
			s[i] = si
			wk := w[i]
			sm[i] += wk * (v - t[i] - si)
			cn[i] += wk
		}
		return
	}
	if o.unit {
		for i, v := range y {
			si := s[i] + d[i]
			s[i] = si
			sm[i] += v - t[i] - si
		}
		return
	}
	for i, v := range y {
		si := s[i] + d[i]
		s[i] = si
		wk := w[i]
		sm[i] += wk * (v - t[i] - si)
		cn[i] += wk
	}
}

// addPeriodic adds d[(base+i) mod len(d)] to ss[i], in runs without a
// wrap.
func addPeriodic(ss, d []float64, base int) {
	ph := base % len(d)
	for len(ss) > 0 {
		dd := d[ph:]
		if len(dd) > len(ss) {
			dd = dd[:len(ss)]
		}
		for i, x := range dd {
			ss[i] += x
		}
		ss = ss[len(dd):]
		ph = 0
	}
}

// finishSeason turns the sums into s's new cell values (the mean per
// cell, lightly smoothed around the cycle when cells are thin, centred),
// sets d (len P) to the change at every phase, for the caller to add to
// S, and stores the new values in s. sum and cnt are overwritten.
func finishSeason(s *season, runs []int32, sum, cnt, d []float64, valid int) {
	nc := len(s.V)
	nv := sum // the new cell values, in place of their sums
	for c := range nv {
		if cnt[c] > 0 {
			nv[c] = sum[c] / cnt[c]
		} else {
			nv[c] = s.V[c]
		}
	}
	if per := valid / nc; per < scalePerCell && nc >= 24 {
		width := min(5, (scalePerCell+per-1)/max(per, 1))
		if width%2 == 0 {
			width++
		}
		circularMean(cnt, nv, width)
		nv = cnt
	}
	// Centre: a season carries no level (the mean over phases, each cell
	// counted once per phase it covers).
	mean := 0.0
	if nc == s.P {
		for _, x := range nv {
			mean += x
		}
	} else {
		for c := range nc {
			mean += nv[c] * float64(runs[c+1]-runs[c])
		}
	}
	mean /= float64(s.P)
	for c := range nv {
		nv[c] -= mean
	}
	if nc == s.P {
		for ph, x := range nv {
			d[ph] = x - s.V[ph]
		}
	} else if s.P == 4*nc {
		for c := range nc {
			dc := nv[c] - s.V[c]
			q := d[4*c : 4*c+4 : 4*c+4]
			q[0], q[1], q[2], q[3] = dc, dc, dc, dc
		}
	} else {
		for c := range nc {
			dc := nv[c] - s.V[c]
			for ph := runs[c]; ph < runs[c+1]; ph++ {
				d[ph] = dc
			}
		}
	}
	copy(s.V, nv)
}

// circularMean sets out to the moving mean of v over width cells,
// wrapping around.
func circularMean(out, v []float64, width int) {
	n := len(v)
	half := width / 2
	if half >= n { // not with the widths fitSTL uses (≤ 5 of ≥ 24 cells)
		mod := func(i int) int { return (i%n + n) % n }
		sum := 0.0
		for d := -half; d <= half; d++ {
			sum += v[mod(d)]
		}
		for i := range out[:n] {
			out[i] = sum / float64(width)
			sum += v[mod(i+half+1)] - v[mod(i-half)]
		}
		return
	}
	sum := 0.0
	for d := -half; d <= half; d++ {
		sum += v[(d+n)%n]
	}
	inv := 1 / float64(width)
	lo, hi := n-half, half+1 // the leaving and the entering cell
	if hi == n {
		hi = 0
	}
	for i := range out[:n] {
		out[i] = sum * inv
		sum += v[hi] - v[lo]
		if lo++; lo == n {
			lo = 0
		}
		if hi++; hi == n {
			hi = 0
		}
	}
}

// robustScale is the bisquare scale 6M, M the median |y − T − S| taken
// on a fixed-stride sample (see sample) of the steps where y is present.
func robustScale(y, T, S []float64, sc *scratch) float64 {
	n := len(y)
	stride := max(1, n/sampleSize)
	abs := floats(&sc.smp, 0)
	for k := 0; k < n; k += stride {
		if v := y[k]; !math.IsNaN(v) {
			abs = append(abs, math.Abs(v-T[k]-S[k]))
		}
	}
	sc.smp = abs
	var m float64
	m, sc.sel = medianOf(abs, sc.sel)
	return 6 * m
}
