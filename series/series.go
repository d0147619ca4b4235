// Package series holds the time-series types shared by every analysis
// package: points, label sets, cleaning of raw samples and resampling.
//
// The package is pure: no I/O, no goroutines, no global state.
package series

import (
	"math"
	"sort"
	"time"

	"github.com/prometheus/prometheus/model/labels"
)

// Point is one sample: a timestamp and a value.
type Point struct {
	T time.Time
	V float64
}

// Series is a label set with its points, sorted by time once cleaned.
type Series struct {
	Labels labels.Labels
	Points []Point
}

// Report counts what Clean changed, so callers can log and expose it.
type Report struct {
	Input      int // points before cleaning
	NaN        int // NaN or ±Inf values dropped
	Duplicates int // points dropped because another point had the same timestamp
	OutOfOrder int // points that arrived earlier than their predecessor (kept, re-sorted)
	Gaps       int // holes longer than 1.5 steps between consecutive points (when a step is known)
}

// Dropped is the number of points Clean removed.
func (r Report) Dropped() int { return r.NaN + r.Duplicates }

// Clean returns a copy of pts sorted by time with non-finite values removed
// and duplicate timestamps collapsed to the last value seen (the latest
// write wins, as in Prometheus). If step > 0 it also counts gaps longer than
// one and a half steps. The input slice is not modified.
func Clean(pts []Point, step time.Duration) ([]Point, Report) {
	rep := Report{Input: len(pts)}
	out := make([]Point, 0, len(pts))
	for i, p := range pts {
		if i > 0 && p.T.Before(pts[i-1].T) {
			rep.OutOfOrder++
		}
		if math.IsNaN(p.V) || math.IsInf(p.V, 0) {
			rep.NaN++
			continue
		}
		out = append(out, p)
	}
	// A stable sort keeps arrival order among equal timestamps, so "last
	// seen wins" below is well defined.
	sort.SliceStable(out, func(i, j int) bool { return out[i].T.Before(out[j].T) })
	dedup := out[:0]
	for _, p := range out {
		if n := len(dedup); n > 0 && dedup[n-1].T.Equal(p.T) {
			dedup[n-1] = p
			rep.Duplicates++
			continue
		}
		dedup = append(dedup, p)
	}
	if step > 0 {
		limit := step + step/2
		for i := 1; i < len(dedup); i++ {
			if dedup[i].T.Sub(dedup[i-1].T) > limit {
				rep.Gaps++
			}
		}
	}
	return dedup, rep
}

// Values returns the values of pts in order.
func Values(pts []Point) []float64 {
	v := make([]float64, len(pts))
	for i, p := range pts {
		v[i] = p.V
	}
	return v
}

// Split returns the points strictly before t and the points at or after t.
// pts must be sorted by time.
func Split(pts []Point, t time.Time) (before, after []Point) {
	i := sort.Search(len(pts), func(i int) bool { return !pts[i].T.Before(t) })
	return pts[:i], pts[i:]
}

// Resample aligns sorted points to a regular grid of the given step starting
// at the first grid instant not before start, up to end inclusive. Each grid
// instant takes the value of the last point within one step before or at it;
// instants with no such point are NaN, so gaps stay visible to callers.
func Resample(pts []Point, start, end time.Time, step time.Duration) []Point {
	if step <= 0 || end.Before(start) {
		return nil
	}
	first := start.Truncate(step)
	if first.Before(start) {
		first = first.Add(step)
	}
	n := int(end.Sub(first)/step) + 1
	out := make([]Point, 0, n)
	j := 0
	for k := 0; k < n; k++ {
		t := first.Add(time.Duration(k) * step)
		for j < len(pts) && !pts[j].T.After(t) {
			j++
		}
		v := math.NaN()
		if j > 0 && t.Sub(pts[j-1].T) < step {
			v = pts[j-1].V
		}
		out = append(out, Point{T: t, V: v})
	}
	return out
}
