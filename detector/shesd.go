package detector

// The seasonal hybrid ESD detector ("shesd"), after Twitter's S-H-ESD
// (Hochenbaum, Vallis, Kejariwal 2017, "Automatic Anomaly Detection in the
// Cloud Via Statistical Learning"; the AnomalyDetection R package).
//
// Over a window of values it
//  1. removes the season: each value minus the median of its phase over the
//     window (the periodic seasonal component plus the median of the
//     series, Twitter's "hybrid" choice of the median over the trend), when
//     the window holds at least three periods. The phase median pools the
//     neighbouring phases and leaves the point itself out, so that a few
//     cycles suffice (with the point inside, the median of four values
//     hugs it and ordinary noise looks extreme);
//  2. runs the generalized ESD test (Rosner 1983) on the residuals with the
//     median and the MAD in place of the mean and the standard deviation:
//     at step i = 1..⌊MaxAnomalies·n⌋ the most extreme residual,
//     R_i = max|r − median| / (1.4826·MAD), is removed and compared with
//     the critical value
//     λ_i = (n−i)·t_{p, n−i−1} / sqrt((n−i−1+t²)(n−i+1)),
//     p = 1 − α/(2(n−i+1)) (one-sided with direction up or down:
//     p = 1 − α/(n−i+1)); the anomalies are the residuals removed up to the
//     largest i with R_i > λ_i. So at most MaxAnomalies of a window is ever
//     flagged.
//
// When the MAD of the remaining residuals is 0 (a mostly constant series)
// the scale is 1.2533·mean absolute deviation instead, so a single spike on
// a flat line is still found. The test runs in O(n log n): the residuals
// are sorted once, the extreme is always at one end of the remaining
// range, and the MAD of a sorted range is a selection in two sorted runs.
//
// Score. Every residual is standardised by the median m and robust scale σ
// of the residuals that are not anomalies, z = (r − m)/σ, and
// Score = |z|/(|z|+c) where c is the critical value of the last accepted
// step (λ_1 when nothing is flagged), moved, if needed, strictly between
// the largest |z| of the normal residuals and the smallest of the flagged
// ones — so Score ≥ 0.5 exactly for the flagged points, and the band
// expected ∓ c·σ is the decision boundary. α comes from the sensitivity s:
// α = 0.5·10^(−(1−s)/0.3), 0.05 at the default 0.7 (Twitter's default),
// 0.5 at s = 1, 2·10⁻⁴ at s = 0; Alpha overrides it.
//
// Forms. The batch form (Run) is Twitter's piecewise-window mode and looks
// ahead: Points are cut into chunks of Window points, and each chunk is
// judged together with the History and points that precede it, up to
// Window points in all, so a point is judged with the rest of its chunk.
// The stream is causal: each Push judges the newest point within the last
// Window points (O(Window·log Window) per point, see the benchmarks).

import (
	"math"
	"slices"
	"time"

	"github.com/seismo-dev/seismo/baseline"
	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/series"
	"gonum.org/v1/gonum/stat/distuv"
)

// TypeSHESD is the type name of the seasonal hybrid ESD detector.
const TypeSHESD = "shesd"

// SHESDParams tunes the shesd detector (YAML key `shesd:`). Zero values
// mean the defaults.
type SHESDParams struct {
	// Period is the season: a duration, "auto" (default) or "none".
	Period string `yaml:"period,omitempty"`
	// MaxAnomalies is the largest fraction of a window that may be
	// flagged, in (0, 0.5] (default 0.02).
	MaxAnomalies float64 `yaml:"max_anomalies,omitempty"`
	// Alpha is the significance level of the ESD test, in (0, 1);
	// default from the sensitivity (see the file doc).
	Alpha float64 `yaml:"alpha,omitempty"`
	// Window is the number of points judged together (default: four
	// periods, at least 500; 1000 without a period; at most 20160).
	Window int `yaml:"window,omitempty"`
	// Learn is how many points a bare stream collects to find the period
	// when Period is auto (default 1000).
	Learn int `yaml:"learn,omitempty"`
}

// S-H-ESD defaults.
const (
	DefaultSHESDMaxAnomalies = 0.02
	DefaultSHESDLearn        = 1000
	shesdMaxWindow           = 20160
)

// SHESDAlpha maps a sensitivity to the ESD significance level.
func SHESDAlpha(sensitivity float64) float64 {
	return 0.5 * math.Pow(10, -(1-sensitivity)/0.3)
}

type shesdDetector struct {
	p      SHESDParams
	alpha  float64
	dir    string
	period time.Duration
	auto   bool
}

// newSHESD is the registry constructor of type shesd; it validates p
// (field paths under "shesd").
func newSHESD(cfg Config, p SHESDParams) (Detector, error) {
	if p.Period == "" {
		p.Period = "auto"
	}
	if p.MaxAnomalies == 0 {
		p.MaxAnomalies = DefaultSHESDMaxAnomalies
	}
	if p.Learn == 0 {
		p.Learn = DefaultSHESDLearn
	}
	var errs field.List
	per, auto, err := SeasonalParams{Period: p.Period}.period()
	if err != nil {
		errs.Addf("shesd.period", "period must be a duration, auto or none: %v", err)
	}
	if !(p.MaxAnomalies > 0 && p.MaxAnomalies <= 0.5) {
		errs.Addf("shesd.max_anomalies", "max_anomalies must be in (0, 0.5], got %v", p.MaxAnomalies)
	}
	if !(p.Alpha >= 0 && p.Alpha < 1) {
		errs.Addf("shesd.alpha", "alpha must be in (0, 1), got %v", p.Alpha)
	}
	if p.Window != 0 && (p.Window < 10 || p.Window > shesdMaxWindow) {
		errs.Addf("shesd.window", "window must be between 10 and %d points, got %d", shesdMaxWindow, p.Window)
	}
	if p.Learn < 10 || p.Learn > 1_000_000 {
		errs.Addf("shesd.learn", "learn must be between 10 and 1000000 points, got %d", p.Learn)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	alpha := p.Alpha
	if alpha == 0 {
		alpha = SHESDAlpha(cfg.Sensitivity)
	}
	return &shesdDetector{p: p, alpha: alpha, dir: cfg.Direction, period: per, auto: auto}, nil
}

// Name returns "shesd".
func (d *shesdDetector) Name() string { return TypeSHESD }

// window returns the window length for a period of per samples.
func (d *shesdDetector) window(per int) int {
	if d.p.Window > 0 {
		return d.p.Window
	}
	if per > 0 {
		return min(max(4*per, 500), shesdMaxWindow)
	}
	return 1000
}

// NewStream returns the causal form.
func (d *shesdDetector) NewStream(baseline.Model) Stream {
	if d.auto {
		return &learnStream{learn: d.p.Learn, start: func(vals []float64) Stream {
			per, _ := ssPeriod(vals, 4, ssMinACF)
			return d.stream(per, min(d.p.Learn, d.window(per)))
		}}
	}
	return d.stream(-1, 0)
}

// stream returns a stream with a period of per samples (< 0: from the
// configured duration once the step is known) that starts judging once it
// holds minN points (0: the full window).
func (d *shesdDetector) stream(per, minN int) *shesdStream {
	return &shesdStream{d: d, per: per, minN: minN, work: &shesdWork{}}
}

// DetectBatch implements Batcher: the piecewise windows of the file doc.
func (d *shesdDetector) DetectBatch(in Input) []Result {
	all := make([]series.Point, 0, len(in.History)+len(in.Points))
	var last time.Time
	for _, p := range slices.Concat(in.History, in.Points) {
		if ssFinite(p.V) && (len(all) == 0 || p.T.After(last)) {
			all = append(all, p)
			last = p.T
		}
	}
	first := len(all)
	if len(in.Points) > 0 {
		first, _ = slices.BinarySearchFunc(all, in.Points[0].T, func(p series.Point, t time.Time) int { return p.T.Compare(t) })
	}
	per := 0
	switch {
	case d.auto:
		per, _ = ssPeriod(pointValues(all[:max(first, min(len(all), d.p.Learn))]), 4, ssMinACF)
	case d.period > 0:
		per = resolvePeriod(d.period, medianStep(all))
	}
	w := d.window(per)
	work := &shesdWork{}
	out := make([]Result, 0, len(all)-first)
	vals := make([]float64, 0, w)
	for cs := first; cs < len(all); cs += w {
		ce := min(cs+w, len(all))
		ws := max(0, ce-w)
		vals = vals[:0]
		for _, p := range all[ws:ce] {
			vals = append(vals, p.V)
		}
		res := work.run(vals, per, d.p.MaxAnomalies, d.alpha, d.dir)
		for i := cs; i < ce; i++ {
			out = append(out, res.result(all[i], i-ws))
		}
	}
	return out
}

// medianStep is the median spacing of pts (0 with fewer than two).
func medianStep(pts []series.Point) time.Duration {
	if len(pts) < 2 {
		return 0
	}
	d := make([]time.Duration, 0, min(len(pts)-1, 101))
	for i := 1; i < len(pts) && len(d) < cap(d); i++ {
		d = append(d, pts[i].T.Sub(pts[i-1].T))
	}
	slices.Sort(d)
	return d[len(d)/2]
}

// shesdStream is the causal S-H-ESD.
type shesdStream struct {
	d    *shesdDetector
	per  int
	minN int
	clk  stepClock
	vals []float64 // ring of the last window values (finite only)
	pos  int
	n    int
	buf  []float64
	work *shesdWork
	mag  maxDeque  // the window's largest magnitude
	inc  *shesdInc // the incremental test, once the window is full
}

// Push implements Stream.
func (s *shesdStream) Push(p series.Point) (Result, bool) {
	if s.clk.advance(p.T) == 0 || !ssFinite(p.V) {
		return Result{}, false
	}
	if s.vals == nil {
		if s.per < 0 {
			if s.d.period > 0 && s.clk.step == 0 {
				return Result{}, false // the step is known from the second point
			}
			s.per = resolvePeriod(s.d.period, s.clk.step)
		}
		s.vals = make([]float64, s.d.window(s.per))
		if s.minN <= 0 || s.minN > len(s.vals) {
			s.minN = len(s.vals)
		}
		s.mag = newMaxDeque(len(s.vals))
	}
	s.vals[s.pos] = p.V
	s.pos = (s.pos + 1) % len(s.vals)
	s.n = min(s.n+1, len(s.vals))
	s.mag.push(math.Abs(p.V))
	if s.n == len(s.vals) {
		if r, ok := s.pushInc(p); ok {
			return r, true
		}
	} else if s.inc != nil {
		s.inc.built = false
	}
	if s.n < s.minN {
		return Result{}, false
	}
	// Unroll the ring, oldest first, so phases stay aligned.
	s.buf = s.buf[:0]
	start := (s.pos - s.n + len(s.vals)) % len(s.vals)
	for i := range s.n {
		s.buf = append(s.buf, s.vals[(start+i)%len(s.vals)])
	}
	res := s.work.run(s.buf, s.per, s.d.p.MaxAnomalies, s.d.alpha, s.d.dir)
	return res.result(p, len(s.buf)-1), true
}

// pushInc judges p with the incremental test once the window is full;
// ok=false when the window's magnitudes need the full form.
func (s *shesdStream) pushInc(p series.Point) (Result, bool) {
	mx := s.mag.max()
	if mx > 1e300 || mx != 0 && mx < 1e-280 {
		if s.inc != nil {
			s.inc.built = false
		}
		return Result{}, false
	}
	w := len(s.vals)
	if s.inc == nil {
		s.inc = newSHESDInc(w, s.per)
	}
	var slot int
	if s.inc.built {
		slot = s.inc.push(p.V)
	} else {
		s.buf = s.buf[:0]
		for i := range w {
			s.buf = append(s.buf, s.vals[(s.pos+i)%w])
		}
		s.inc.build(s.buf)
		slot = (s.inc.next - 1) % w
	}
	unit := mx
	if unit == 0 {
		unit = 1
	}
	m, sigma, c := s.work.esd(s.inc.sorted, s.d.p.MaxAnomalies, s.d.alpha, s.d.dir, unit)
	return shesdJudge(p, s.inc.resid[slot], s.inc.level[slot], m, sigma, c, s.d.dir, 1), true
}

// shesdWork holds the scratch space and the critical values of one
// detector instance, so steady-state pushes allocate nothing.
type shesdWork struct {
	norm   []float64 // the window divided by its largest magnitude
	resid  []float64 // residual per window index (NaN if none)
	phase  []float64 // phase median per window index
	tmp    []float64
	sorted []float64
	prefix []float64
	// prefixFor is the residual array prefix holds the sums of (nil:
	// none yet in this test).
	prefixFor []float64
	lambda    map[lambdaKey][]float64
	lastKey   lambdaKey // the last lookup, answered without the map
	lastLam   []float64
	madHint   int // where kthDist found its split last time
	res       shesdResult
}

type lambdaKey struct {
	n        int
	alpha    float64
	oneSided bool
}

// shesdResult is the verdict on a window.
type shesdResult struct {
	resid []float64 // window residuals
	phase []float64 // window phase medians (the expected value minus m)
	m     float64   // median of the normal residuals
	sigma float64   // their robust scale
	c     float64   // the |z| threshold
	dir   string
	scale float64 // the window was divided by this; levels are scaled back
}

// result judges the point p at window index i.
func (r *shesdResult) result(p series.Point, i int) Result {
	return shesdJudge(p, r.resid[i], r.phase[i], r.m, r.sigma, r.c, r.dir, r.scale)
}

// shesdJudge judges p, whose residual is resid and expected level (less
// the residuals' median) level, against the test's median m, scale sigma
// and threshold c, in a window divided by scale.
func shesdJudge(p series.Point, resid, level, m, sigma, c float64, dir string, scale float64) Result {
	exp := (level + m) * scale
	z := (resid - m) / sigma
	dz := math.Abs(z)
	switch {
	case dir == DirectionUp && z < 0, dir == DirectionDown && z > 0:
		dz = 0
	}
	score := dz / (dz + c)
	if math.IsInf(dz, 0) || math.IsNaN(score) {
		score = 1
	}
	return Result{
		T: p.T, Value: p.V, Expected: exp,
		Lower: (level + m - c*sigma) * scale, Upper: (level + m + c*sigma) * scale,
		Score: score, Anomaly: score >= 0.5, Z: z,
	}
}

// run decomposes vals (finite) with period per and runs the ESD test.
func (w *shesdWork) run(vals []float64, per int, maxFrac, alpha float64, dir string) *shesdResult {
	n := len(vals)
	// The test is scale-free: run it on vals divided by their largest
	// magnitude, so residuals of values near ±MaxFloat64 cannot overflow,
	// and scale the levels back in result.
	mx := 0.0
	for _, v := range vals {
		mx = max(mx, math.Abs(v))
	}
	if mx == 0 || !ssFinite(mx) {
		mx = 1
	}
	w.norm = ssGrow(w.norm, n)
	for i, v := range vals {
		w.norm[i] = v / mx
	}
	vals = w.norm
	w.resid = ssGrow(w.resid, n)
	w.phase = ssGrow(w.phase, n)
	if per > 0 && n >= 3*per {
		// Phases are counted from the newest point backwards so that a
		// sliding window keeps each point in its phase. A point's level
		// is the median of its phase and the neighbouring phases (±1)
		// over the window, leaving the point itself out: the median of
		// three or four cycles with the point among them hugs the point,
		// shrinks the MAD and makes ordinary noise look extreme.
		for i := range n {
			j := (n - 1 - i) % per
			w.tmp = w.tmp[:0]
			for _, jj := range [3]int{j - 1, j, j + 1} {
				if per < 3 && jj != j {
					continue
				}
				jj = (jj + per) % per
				for k := n - 1 - jj; k >= 0; k -= per {
					if k != i {
						w.tmp = append(w.tmp, vals[k])
					}
				}
			}
			w.phase[i] = ssMedian(w.tmp)
		}
	} else {
		w.tmp = append(w.tmp[:0], vals...)
		med := ssMedian(w.tmp)
		for i := range w.phase {
			w.phase[i] = med
		}
	}
	w.sorted = w.sorted[:0]
	for i, v := range vals {
		w.resid[i] = v - w.phase[i]
		w.sorted = append(w.sorted, w.resid[i])
	}
	slices.Sort(w.sorted)
	r := &w.res
	r.resid, r.phase, r.dir, r.scale = w.resid[:n], w.phase[:n], dir, mx
	r.m, r.sigma, r.c = w.esd(w.sorted, maxFrac, alpha, dir, 1)
	return r
}

// esd runs the generalized ESD test on the sorted residuals a and returns
// the median and robust scale of the residuals it keeps as normal and the
// |z| threshold (see the file doc). unit is the magnitude the residuals
// are measured in (1 when the window was divided by its largest
// magnitude, that magnitude otherwise): the scale floors' absolute part
// is 1e-12 of it, so that the test does not depend on the units.
func (w *shesdWork) esd(a []float64, maxFrac, alpha float64, dir string, unit float64) (med, sigma, thr float64) {
	n := len(a)
	w.prefixFor = nil // built by rangeSigma when a MAD is 0
	floor := func(level float64) float64 { return max(1e-9*math.Abs(level), 1e-12*unit) }
	k := int(math.Floor(maxFrac * float64(n)))
	k = min(k, n-3) // the t quantile needs n−i−1 ≥ 1 degrees of freedom
	lam := w.lambdas(n, k, alpha, dir != DirectionBoth)

	// Generalized ESD: remove the extreme end k times, remember where
	// the range stood after each removal.
	lo, hi := 0, n-1
	na, naLo, naHi := 0, lo, hi
	for i := 1; i <= k; i++ {
		m := sortedMedian(a, lo, hi)
		sig := w.medianSigma(a, lo, hi, m)
		if !(sig > 0) {
			break // the rest is constant
		}
		up, down := a[hi]-m, m-a[lo]
		var R float64
		switch {
		case dir == DirectionUp:
			R = up / sig
			hi--
		case dir == DirectionDown:
			R = down / sig
			lo++
		case up >= down:
			R = up / sig
			hi--
		default:
			R = down / sig
			lo++
		}
		if R > lam[i-1] {
			na, naLo, naHi = i, lo, hi
		}
	}
	med = sortedMedian(a, naLo, naHi)
	sigma = max(w.medianSigma(a, naLo, naHi, med), floor(med), floor(a[naHi]-a[naLo]))
	// Threshold: the largest |z| of the normal residuals and the smallest
	// of the flagged ones bound it.
	zof := func(v float64) float64 {
		z := (v - med) / sigma
		switch {
		case dir == DirectionUp:
			return max(z, 0)
		case dir == DirectionDown:
			return max(-z, 0)
		}
		return math.Abs(z)
	}
	cLo := max(zof(a[naLo]), zof(a[naHi]))
	cHi := math.Inf(1)
	for i := 0; i < naLo; i++ {
		cHi = min(cHi, zof(a[i]))
	}
	for i := naHi + 1; i < n; i++ {
		cHi = min(cHi, zof(a[i]))
	}
	c := 3.0 // only for windows too short to test
	if len(lam) > 0 {
		c = lam[max(na, 1)-1]
	}
	// Strictly above the normal residuals, with a margin that rounding
	// in Score cannot eat.
	above := cLo*(1+1e-6) + 1e-9
	// A flagged point whose |z| equals a normal one's up to rounding
	// (equal residuals, differently rounded) counts as a tie.
	tie := cLo >= cHi*(1-1e-12)
	if !tie {
		above = min(above, cLo+(cHi-cLo)/2)
	}
	switch {
	case tie: // the clean scale re-ordered a flagged point below a normal one, or tied them
		c = above
	case c <= cLo:
		c = above
	case c > cHi:
		c = cHi
	}
	return med, sigma, max(c, 1e-9)
}

// lambdas returns the ESD critical values λ_1..λ_k for n residuals,
// cached per window size.
func (w *shesdWork) lambdas(n, k int, alpha float64, oneSided bool) []float64 {
	if k <= 0 {
		return nil
	}
	key := lambdaKey{n, alpha, oneSided}
	if key == w.lastKey && len(w.lastLam) >= k {
		return w.lastLam
	}
	if l, ok := w.lambda[key]; ok && len(l) >= k {
		w.lastKey, w.lastLam = key, l
		return l
	}
	if w.lambda == nil || len(w.lambda) > 64 { // a filling window passes many sizes
		w.lambda = map[lambdaKey][]float64{}
	}
	l := make([]float64, k)
	for i := 1; i <= k; i++ {
		ni := float64(n - i + 1)
		p := 1 - alpha/(2*ni)
		if oneSided {
			p = 1 - alpha/ni
		}
		nu := float64(n - i - 1)
		t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: nu}.Quantile(p)
		l[i-1] = t * float64(n-i) / math.Sqrt((nu+t*t)*ni)
	}
	w.lambda[key] = l
	w.lastKey, w.lastLam = key, l
	return l
}

// sortedMedian is the median of the sorted range a[lo..hi].
func sortedMedian(a []float64, lo, hi int) float64 {
	cnt := hi - lo + 1
	if cnt%2 == 1 {
		return a[lo+cnt/2]
	}
	return a[lo+cnt/2-1]/2 + a[lo+cnt/2]/2 // no overflow near ±MaxFloat64
}

// rangeSigma is the robust scale of the sorted range a[lo..hi] around its
// median m: 1.4826·MAD, or 1.2533·mean absolute deviation when the MAD is
// 0. The absolute deviations of a sorted range are two sorted runs (left
// of m, descending values; right of m, ascending), so their median is a
// selection in two sorted arrays: O(log n).
func (w *shesdWork) rangeSigma(a []float64, lo, hi int, m float64) float64 {
	cnt := hi - lo + 1
	// p: number of values ≤ m in the range.
	p, _ := slices.BinarySearchFunc(a[lo:hi+1], m, func(v, m float64) int {
		if v <= m {
			return -1
		}
		return 1
	})
	nl, nr := p, cnt-p
	left := func(j int) float64 { return m - a[lo+p-1-j] }
	right := func(j int) float64 { return a[lo+p+j] - m }
	mad := kthOfTwo(nl, nr, left, right, cnt/2)
	if cnt%2 == 0 {
		mad = (mad + kthOfTwo(nl, nr, left, right, cnt/2-1)) / 2
	}
	if mad > 0 {
		return madToSigma * mad
	}
	if w.prefixFor == nil || &w.prefixFor[0] != &a[0] || len(w.prefixFor) != len(a) {
		w.prefix = ssGrow(w.prefix, len(a)+1)
		w.prefix[0] = 0
		for i, v := range a {
			w.prefix[i+1] = w.prefix[i] + v
		}
		w.prefixFor = a
	}
	sumL := m*float64(nl) - (w.prefix[lo+p] - w.prefix[lo])
	sumR := (w.prefix[hi+1] - w.prefix[lo+p]) - m*float64(nr)
	if mean := (sumL + sumR) / float64(cnt); ssFinite(mean) {
		return meanAbsToSigma * mean
	}
	// The prefix sums overflowed (values near ±MaxFloat64): a running
	// mean, O(n), on this rare path.
	mean := 0.0
	for i, v := range a[lo : hi+1] {
		mean += (math.Abs(v-m) - mean) / float64(i+1)
	}
	return meanAbsToSigma * mean
}

// medianSigma is rangeSigma for m = sortedMedian(a, lo, hi), the only
// centre the test uses, found faster: the distances below and above the
// median are two sorted runs read off a, and the k-th smallest of their
// union is walked to from where it was at the last call (the ESD steps
// shrink the range by one value, and consecutive windows differ by a
// few), about one or two comparisons instead of a binary search through
// accessor calls. The result is the same value rangeSigma returns.
func (w *shesdWork) medianSigma(a []float64, lo, hi int, m float64) float64 {
	cnt := hi - lo + 1
	s := a[lo : hi+1]
	var mad float64
	if cnt%2 == 1 {
		mad, _ = w.kthDist(s, m, cnt/2)
	} else {
		l, h := w.kthDist(s, m, cnt/2-1)
		mad = (h + l) / 2
	}
	if mad > 0 {
		return madToSigma * mad
	}
	return w.rangeSigma(a, lo, hi, m)
}

// kthDist returns the k-th and (k+1)-th smallest (from 0) of |s[i] − m|
// for the sorted s whose median is m, walking from w.madHint (see
// sortedWindow.kthDist).
func (w *shesdWork) kthDist(s []float64, m float64, k int) (kth, next float64) {
	return kthDist(s, m, k, &w.madHint)
}

// kthOfTwo returns the k-th smallest (0-based) of the union of two sorted
// sequences A (length na) and B (length nb), given as accessors.
func kthOfTwo(na, nb int, A, B func(int) float64, k int) float64 {
	lo, hi := max(0, k+1-nb), min(k+1, na)
	for lo <= hi {
		i := lo + (hi-lo)/2 // taken from A
		j := k + 1 - i      // taken from B
		switch {
		case i < na && j > 0 && B(j-1) > A(i):
			lo = i + 1
		case i > 0 && j < nb && A(i-1) > B(j):
			hi = i - 1
		default:
			v := math.Inf(-1)
			if i > 0 {
				v = A(i - 1)
			}
			if j > 0 {
				v = max(v, B(j-1))
			}
			return v
		}
	}
	return math.NaN() // unreachable for 0 ≤ k < na+nb
}

// ssGrow returns s resized to n, reusing its array when it can.
func ssGrow(s []float64, n int) []float64 {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]float64, n)
}
