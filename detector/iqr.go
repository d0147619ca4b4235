package detector

import (
	"math"

	"github.com/seismo-dev/seismo/baseline"
	"github.com/seismo-dev/seismo/series"
)

// TypeIQR is the rolling interquartile-range detector.
const TypeIQR = "iqr"

// DefaultIQRWindow is the default window of type iqr.
const DefaultIQRWindow = 200

// IQR is the rolling Tukey-fence detector (type iqr): each point is
// judged against the quartiles Q1, Q3 of the window points before it.
// Its excess x is how far past the nearer quartile it lies, in IQRs
// (0 between the quartiles); it crosses when x ≥ k, the Tukey fences
// Q1 − k·IQR and Q3 + k·IQR. k comes from the sensitivity so that, for
// Gaussian data, the fences sit at the same K(s) standard deviations as
// the z-score families: k = (K(s) − 0.6745) / 1.349 (s = 0.7 → 2.76, s = 1
// → 0.98; Tukey's 1.5 is s ≈ 0.9). Score = x / (x + k); the band is the
// fences; Z is the signed excess. When the quartiles coincide (IQR 0) the
// 10–90% range·1.349/2.563 stands in, floored at 1.349e-6·max(1,|median|).
// Parameters: iqr.window (default 200). It ignores the model and judges
// once the window holds a quarter of its points (at least 8).
type IQR struct {
	window int
	k      float64 // fence multiplier
}

// Name returns "iqr".
func (d *IQR) Name() string { return TypeIQR }

// Warmup returns the window size.
func (d *IQR) Warmup() int { return d.window }

// NewStream implements Detector; the model is not used.
func (d *IQR) NewStream(baseline.Model) Stream {
	return &iqrStream{d: d, w: newSortedWindow(d.window)}
}

// tukeyK maps a sensitivity to the fence multiplier.
func tukeyK(sensitivity float64) float64 {
	return (Threshold(sensitivity) - 0.6745) / 1.349
}

type iqrStream struct {
	d  *IQR
	ck clock
	w  *sortedWindow
}

// Push implements Stream.
func (s *iqrStream) Push(p series.Point) (r Result, ok bool) {
	ok = finite(p.V) && s.ck.accept(p.T) && s.push(p, &r)
	return r, ok
}

func (s *iqrStream) push(p series.Point, r *Result) (ok bool) {
	if s.w.len() >= warmFill(s.d.window) {
		ok = s.judge(p, r)
	}
	s.w.push(p.V)
	return ok
}

func (s *iqrStream) judge(p series.Point, r *Result) bool {
	q1, q3, med := s.w.quantile(0.25), s.w.quantile(0.75), s.w.median()
	iqr := q3 - q1
	if !(iqr > 0) {
		iqr = (s.w.quantile(0.9) - s.w.quantile(0.1)) * 1.349 / 2.5631
	}
	iqr = max(iqr, 1.349*scaleFloor(med))
	if !finite(iqr) || !finite(q1) || !finite(q3) {
		return false
	}
	var x float64
	switch {
	case p.V > q3:
		x = (p.V - q3) / iqr
	case p.V < q1:
		x = -(q1 - p.V) / iqr
	}
	k := s.d.k
	ax := math.Abs(x)
	*r = Result{
		T:        p.T,
		Value:    p.V,
		Expected: med,
		Lower:    clampF(q1 - k*iqr),
		Upper:    clampF(q3 + k*iqr),
		Score:    ratio(ax, k),
		Z:        x,
		Anomaly:  ax >= k,
	}
	return true
}
