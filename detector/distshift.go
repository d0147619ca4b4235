package detector

import (
	"math"

	"github.com/seismo-dev/seismo/baseline"
	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/series"
)

// TypeDistributionShift is the distribution-shift detector.
const TypeDistributionShift = "distribution_shift"

// DistributionShiftConfig tunes type distribution_shift.
type DistributionShiftConfig struct {
	// Window is the number of recent points compared; default 50.
	Window int `yaml:"window,omitempty"`
	// Reference is the number of points before them that define normal;
	// default 200.
	Reference int `yaml:"reference,omitempty"`
	// Bins is the number of histogram bins, cut at the reference's
	// quantiles; default 10, between 2 and 64.
	Bins int `yaml:"bins,omitempty"`
}

// Defaults of type distribution_shift.
const (
	DefaultDistShiftWindow    = 50
	DefaultDistShiftReference = 200
	DefaultDistShiftBins      = 10
)

// DistributionShift detects a change in the distribution of values, not
// only in their level (type distribution_shift): a new variance, a new
// mode, a series that turned bimodal. It compares the histogram q of the
// last w points (the point judged included) with the histogram p of the r
// points before them, over b bins cut at the reference's quantiles (so p
// is about uniform), both smoothed with half a count per bin, by the
// relative entropy (Kullback–Leibler divergence)
//
//	D = Σ q_i·ln(q_i / p_i)
//
// For independent points from one distribution, G = 2·w·D / (1 + w/r) is
// about χ² with b − 1 degrees of freedom (the G-test of the two samples),
// so it is standardised as z = (G − (b − 1)) / √(2(b − 1)) and crosses
// when z ≥ K(s). Score = z / (z + K) (0 when z ≤ 0). Z is z with the sign
// of median_recent − median_reference (so direction applies); Expected is
// the reference's median and the band its 5% and 95% quantiles.
// min_deviation does not apply. Strongly autocorrelated series break the
// independence the calibration assumes and alert more: raise window or
// lower the sensitivity. Parameters: distribution_shift.window (50),
// .reference (200), .bins (10). It ignores the model and judges once it
// has window + reference points.
type DistributionShift struct {
	window, reference, bins int
	k                       float64
}

func newDistributionShift(c DistributionShiftConfig, sensitivity float64) (*DistributionShift, error) {
	var errs field.List
	d := &DistributionShift{
		window:    checkWindow(c.Window, "distribution_shift.window", DefaultDistShiftWindow, &errs),
		reference: checkWindow(c.Reference, "distribution_shift.reference", DefaultDistShiftReference, &errs),
		bins:      c.Bins,
		k:         Threshold(sensitivity),
	}
	if d.bins == 0 {
		d.bins = DefaultDistShiftBins
	}
	if d.bins < 2 || d.bins > 64 {
		errs.Addf("distribution_shift.bins", "must be between 2 and 64, got %d", c.Bins)
	}
	return d, errs.Err()
}

// Name returns "distribution_shift".
func (d *DistributionShift) Name() string { return TypeDistributionShift }

// Warmup returns both windows.
func (d *DistributionShift) Warmup() int { return d.window + d.reference }

func (d *DistributionShift) exempt() (direction, deviation bool) { return false, true }

// NewStream implements Detector; the model is not used.
func (d *DistributionShift) NewStream(baseline.Model) Stream {
	s := &distShiftStream{
		d:      d,
		recent: newSortedWindow(d.window),
		ref:    newSortedWindow(d.reference),
		lnc:    make([]float64, max(d.window, d.reference)+1),
		edges:  make([]distEdge, d.bins-1),
		lower:  newDistCut(0.05, d.reference),
		upper:  newDistCut(0.95, d.reference),
	}
	for i := range s.edges {
		s.edges[i].distCut = newDistCut(float64(i+1)/float64(d.bins), d.reference)
	}
	dof := float64(d.bins - 1)
	s.dof, s.sqrt2Dof = dof, math.Sqrt(2*dof)
	w, r, b := float64(d.window), float64(d.reference), float64(d.bins)
	s.twoW, s.den = 2*w, 1+w/r
	s.invW = 1 / (w + b*distShiftAlpha)
	s.lnW = math.Log(w + b*distShiftAlpha)
	s.lnR = math.Log(r + b*distShiftAlpha)
	for c := range s.lnc {
		s.lnc[c] = math.Log(float64(c) + distShiftAlpha)
	}
	return s
}

// distShiftAlpha is the smoothing count added to every bin.
const distShiftAlpha = 0.5

type distShiftStream struct {
	d           *DistributionShift
	ck          clock
	recent, ref *sortedWindow
	lnc         []float64 // ln(c + α) for every count c, so no logarithm per point
	// edges[i] is the (i+1)/b quantile of the reference, where bin i
	// ends.
	edges []distEdge
	// lower and upper are the reference's 5% and 95% quantiles, the band.
	lower, upper distCut
	// The constants of the divergence: 1/(w + b·α), ln(w + b·α) and
	// ln(r + b·α); of the statistic: 2w, 1 + w/r, b − 1 and √(2(b − 1)).
	invW, lnW, lnR           float64
	twoW, den, dof, sqrt2Dof float64
}

// distEdge is one bin edge: where it lies in the full reference, and its
// value and the number of recent values at or below it at the last
// judged point.
type distEdge struct {
	distCut
	e  float64
	cq int
}

// Push implements Stream.
func (s *distShiftStream) Push(p series.Point) (r Result, ok bool) {
	ok = finite(p.V) && s.ck.accept(p.T) && s.push(p, &r)
	return r, ok
}

func (s *distShiftStream) push(p series.Point, res *Result) bool {
	v := p.V
	var o float64 // the value that leaves recent for the reference
	if s.ref.full() {
		o = s.slide(v)
	} else {
		old, ok := s.recent.push(v)
		if !ok {
			return false
		}
		s.ref.push(old)
		if !s.ref.full() {
			return false
		}
		o = old
	}
	d := s.d
	ref := s.ref.sorted
	recent := s.recent.sorted
	invW, lnW, lnR := s.invW, s.lnW, s.lnR
	lnc := s.lnc
	var div float64
	prevQ, prevP := 0, 0
	for i := range s.edges {
		c := &s.edges[i]
		// The edge as quantile computes it: the order statistic and
		// fraction are fixed, the reference is full.
		e := c.of(ref)
		// The recent values at or below it. c.cq counted them at the last
		// point against the old edge c.e; corrected for the value that
		// left recent and the one that entered, it is where the old edge
		// falls in recent now. The order statistics the edge is cut from
		// shift by at most one place per point, past w/r recent values
		// on average, so the walk from there mostly stops at once, a
		// well-predicted branch (and it is right from any start, as at
		// the first judged point).
		cq := walkGT(recent, e, c.cq+b2i(v <= c.e)-b2i(o <= c.e))
		c.e, c.cq = e, cq
		// The reference values at or below it: ref[at] ≤ e, so count from
		// there, past any ties.
		cp := c.at + 1
		for cp < len(ref) && ref[cp] <= e {
			cp++
		}
		nq, np := cq-prevQ, cp-prevP
		prevQ, prevP = cq, cp
		q := (float64(nq) + distShiftAlpha) * invW
		div += q * (lnc[nq] - lnW - lnc[np] + lnR)
	}
	// The last bin, above every edge.
	nq, np := len(recent)-prevQ, len(ref)-prevP
	q := (float64(nq) + distShiftAlpha) * invW
	div += q * (lnc[nq] - lnW - lnc[np] + lnR)

	g := s.twoW * div / s.den
	z := max(0, (g-s.dof)/s.sqrt2Dof)
	mr, mq := s.ref.median(), s.recent.median()
	res.T = p.T
	res.Value = p.V
	res.Expected = mr
	res.Lower = s.lower.of(ref)
	res.Upper = s.upper.of(ref)
	res.Score = ratio(z, d.k)
	res.Z = z
	res.Anomaly = z >= d.k
	if mq < mr {
		res.Z = -z
	}
	return true
}

// slide moves both full windows on by v, returning the value that left
// recent for the reference: v enters recent, recent's oldest value o
// enters the reference and the reference's oldest leaves. All three are
// known before any window changes, so the four places (o's and v's in
// recent, the leaving value's and o's in the reference) are found by one
// interleaved search instead of two in turn.
func (s *distShiftStream) slide(v float64) float64 {
	rc, rf := s.recent, s.ref
	o, o2 := rc.oldest(), rf.oldest()
	io, iv, i2, jo := searchGE2x2(rc.sorted, o, v, rf.sorted, o2, o)
	moveSorted(rc.sorted, io, iv, o, v)
	moveSorted(rf.sorted, i2, jo, o2, o)
	rc.cycle(v)
	rf.cycle(o)
	return o
}

// distCut is where a quantile lies in the full reference: quantile's
// order statistic at and fraction frac towards the next one.
type distCut struct {
	at   int
	frac float64
}

// newDistCut returns where the q-quantile of n sorted values lies, with
// quantile's arithmetic (see sortedWindow.quantile).
func newDistCut(q float64, n int) distCut {
	h := q * float64(n-1)
	at := int(h)
	if at >= n-1 {
		return distCut{at: n - 1}
	}
	return distCut{at: at, frac: h - float64(at)}
}

// of returns the quantile of the sorted s (of the length the cut was made
// for), as quantile computes it.
func (c *distCut) of(s []float64) float64 {
	e := s[c.at]
	if c.frac != 0 {
		e += c.frac * (s[c.at+1] - s[c.at])
	}
	return e
}

// walkGT returns the first index i with s[i] > v (len(s) if none), as
// searchGT does, walking from the guess i.
func walkGT(s []float64, v float64, i int) int {
	i = min(max(i, 0), len(s))
	for i > 0 && s[i-1] > v {
		i--
	}
	for i < len(s) && s[i] <= v {
		i++
	}
	return i
}

// countLE counts the values of the sorted s at or below e, its
// q-quantile: from the order statistic e was interpolated from, past any
// ties, which is O(1) unless many values are equal.
func countLE(s []float64, e, q float64) int {
	i := int(q*float64(len(s)-1)) + 1 // s[i−1] ≤ e
	for i < len(s) && s[i] <= e {
		i++
	}
	return i
}
