package eval

import (
	"fmt"
	"sort"
	"time"
)

// Counts is a confusion matrix.
type Counts struct {
	TP, FP, FN, TN int
}

// Precision is TP/(TP+FP), or 0 when nothing was flagged.
func (c Counts) Precision() float64 { return ratio(c.TP, c.TP+c.FP) }

// Recall is TP/(TP+FN), or 0 when there was nothing to find.
func (c Counts) Recall() float64 { return ratio(c.TP, c.TP+c.FN) }

// F1 is the harmonic mean of precision and recall, or 0 when both are 0.
func (c Counts) F1() float64 {
	p, r := c.Precision(), c.Recall()
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

// Add returns the element-wise sum, to pool counts over several series
// (micro-averaging).
func (c Counts) Add(o Counts) Counts {
	return Counts{TP: c.TP + o.TP, FP: c.FP + o.FP, FN: c.FN + o.FN, TN: c.TN + o.TN}
}

// String formats the counts with precision, recall and F1.
func (c Counts) String() string {
	return fmt.Sprintf("tp=%d fp=%d fn=%d tn=%d precision=%.3f recall=%.3f f1=%.3f",
		c.TP, c.FP, c.FN, c.TN, c.Precision(), c.Recall(), c.F1())
}

// ratio is the zero_division=0 convention: an undefined ratio reads as 0,
// so that a metric never turns into NaN inside a table or a sum.
func ratio(num, den int) float64 {
	if den == 0 {
		return 0
	}
	return float64(num) / float64(den)
}

// PointCounts compares flagged points with point labels, index by index.
func PointCounts(flagged, truth []bool) (Counts, error) {
	if len(flagged) != len(truth) {
		return Counts{}, fmt.Errorf("point counts: %d predictions but %d labels", len(flagged), len(truth))
	}
	var c Counts
	for i, f := range flagged {
		switch {
		case f && truth[i]:
			c.TP++
		case f:
			c.FP++
		case truth[i]:
			c.FN++
		default:
			c.TN++
		}
	}
	return c, nil
}

// Window is an anomaly window; both ends are inclusive.
type Window struct {
	Start, End time.Time
}

// Contains reports whether t lies in the window.
func (w Window) Contains(t time.Time) bool { return !t.Before(w.Start) && !t.After(w.End) }

// WindowCounts scores flagged points against anomaly windows: a window is
// a true positive when at least one flagged point lies inside it and a
// false negative otherwise; every flagged point outside all windows is a
// false positive and every unflagged point outside them a true negative.
// Flagged points inside an already detected window neither add nor cost:
// one alert per incident is what an operator needs. times must be sorted
// (repeated timestamps are allowed: each row counts) and as long as
// flagged; windows must not overlap.
func WindowCounts(times []time.Time, flagged []bool, windows []Window) (Counts, error) {
	if len(times) != len(flagged) {
		return Counts{}, fmt.Errorf("window counts: %d timestamps but %d predictions", len(times), len(flagged))
	}
	if err := checkTimes(times); err != nil {
		return Counts{}, fmt.Errorf("window counts: %w", err)
	}
	ws, err := sortedWindows(windows)
	if err != nil {
		return Counts{}, fmt.Errorf("window counts: %w", err)
	}
	hit := make([]bool, len(ws))
	var c Counts
	w := 0
	for i, t := range times {
		for w < len(ws) && ws[w].End.Before(t) {
			w++
		}
		in := w < len(ws) && ws[w].Contains(t)
		switch {
		case in && flagged[i]:
			hit[w] = true
		case in:
		case flagged[i]:
			c.FP++
		default:
			c.TN++
		}
	}
	for _, h := range hit {
		if h {
			c.TP++
		} else {
			c.FN++
		}
	}
	return c, nil
}

// Flag turns scores into predictions: score ≥ threshold.
func Flag(scores []float64, threshold float64) []bool {
	out := make([]bool, len(scores))
	for i, s := range scores {
		out[i] = s >= threshold
	}
	return out
}

// Labels marks the points whose timestamps fall inside any window, the
// point labels that correspond to a set of windows.
func Labels(times []time.Time, windows []Window) []bool {
	out := make([]bool, len(times))
	for i, t := range times {
		for _, w := range windows {
			if w.Contains(t) {
				out[i] = true
				break
			}
		}
	}
	return out
}

func checkTimes(times []time.Time) error {
	for i := 1; i < len(times); i++ {
		if times[i].Before(times[i-1]) {
			return fmt.Errorf("timestamp %d (%s) is before timestamp %d (%s)", i, times[i].Format(time.RFC3339), i-1, times[i-1].Format(time.RFC3339))
		}
	}
	return nil
}

// sortedWindows returns a sorted copy of ws, rejecting inverted and
// overlapping windows.
func sortedWindows(ws []Window) ([]Window, error) {
	out := append([]Window(nil), ws...)
	for i, w := range out {
		if w.End.Before(w.Start) {
			return nil, fmt.Errorf("window %d ends (%s) before it starts (%s)", i, w.End.Format(time.RFC3339), w.Start.Format(time.RFC3339))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	for i := 1; i < len(out); i++ {
		if !out[i].Start.After(out[i-1].End) {
			return nil, fmt.Errorf("windows starting %s and %s overlap", out[i-1].Start.Format(time.RFC3339), out[i].Start.Format(time.RFC3339))
		}
	}
	return out, nil
}
