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
		cq:     make([]int, d.bins-1),
		qs:     make([]float64, d.bins-1),
	}
	s.cuts = make([]distCut, d.bins-1)
	for i := range s.qs {
		s.qs[i] = float64(i+1) / float64(d.bins)
		// quantile's arithmetic on a full reference (see sortedWindow.quantile).
		h := s.qs[i] * float64(d.reference-1)
		at := int(h)
		if at >= d.reference-1 {
			s.cuts[i] = distCut{at: d.reference - 1}
		} else {
			s.cuts[i] = distCut{at: at, frac: h - float64(at)}
		}
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
	qs          []float64 // edge i is the qs[i] = (i+1)/b quantile of the reference
	// cq[i] is the number of recent values at or below edge i at the
	// last push: the counts move by a step or two per push, so walking
	// from them beats a binary search per edge.
	cq []int
	// The constants of the divergence: 1/(w + b·α), ln(w + b·α) and
	// ln(r + b·α); of the statistic: 2w, 1 + w/r, b − 1 and √(2(b − 1)).
	invW, lnW, lnR           float64
	twoW, den, dof, sqrt2Dof float64
	cuts                     []distCut // the edges' places in the reference
}

// Push implements Stream.
func (s *distShiftStream) Push(p series.Point) (r Result, ok bool) {
	ok = finite(p.V) && s.ck.accept(p.T) && s.push(p, &r)
	return r, ok
}

func (s *distShiftStream) push(p series.Point, res *Result) bool {
	if old, ok := s.recent.push(p.V); ok {
		s.ref.push(old)
	}
	if !s.ref.full() {
		return false
	}
	d := s.d
	b := d.bins
	ref := s.ref.sorted
	recent := s.recent.sorted
	invW, lnW, lnR := s.invW, s.lnW, s.lnR
	lnc := s.lnc
	var div float64
	prevQ, prevP := 0, 0
	for i := 0; i < b; i++ {
		cq, cp := len(recent), len(ref)
		if i < b-1 {
			// The qs[i]-quantile of the reference, as quantile computes it
			// (the order statistic and fraction are fixed: the
			// reference is full), and the counts at or below it.
			c := &s.cuts[i]
			e := ref[c.at]
			if c.frac != 0 {
				e += c.frac * (ref[c.at+1] - ref[c.at])
			}
			cq = walkGT(recent, e, s.cq[i])
			s.cq[i] = cq
			cp = c.at + 1 // ref[at] ≤ e: count from there, past any ties
			for cp < len(ref) && ref[cp] <= e {
				cp++
			}
		}
		nq, np := cq-prevQ, cp-prevP
		prevQ, prevP = cq, cp
		q := (float64(nq) + distShiftAlpha) * invW
		div += q * (lnc[nq] - lnW - lnc[np] + lnR)
	}
	g := s.twoW * div / s.den
	z := max(0, (g-s.dof)/s.sqrt2Dof)
	mr, mq := s.ref.median(), s.recent.median()
	res.T = p.T
	res.Value = p.V
	res.Expected = mr
	res.Lower = s.ref.quantile(0.05)
	res.Upper = s.ref.quantile(0.95)
	res.Score = ratio(z, d.k)
	res.Z = z
	res.Anomaly = z >= d.k
	if mq < mr {
		res.Z = -z
	}
	return true
}

// distCut is where an edge lies in the full reference: quantile's order
// statistic at and fraction frac towards the next one.
type distCut struct {
	at   int
	frac float64
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
