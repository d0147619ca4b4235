package detector

import (
	"math"

	"github.com/seismo-dev/seismo/baseline"
	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/series"
)

// Types of the rolling z-score detectors.
const (
	TypeZScore  = "zscore"
	TypeRobustZ = "robust_z"
)

// WindowConfig is the parameter of the families that judge a point
// against a rolling window of the points before it.
type WindowConfig struct {
	// Window is the number of past points; 0 means the family's default.
	Window int `yaml:"window,omitempty"`
}

// Window sizes.
const (
	DefaultZScoreWindow  = 100
	DefaultRobustZWindow = 200
	minWindow            = 3
	maxWindow            = 100_000
)

// window validates c.Window (0 → def) under path.
func (c WindowConfig) window(path string, def int, errs *field.List) int {
	return checkWindow(c.Window, path+".window", def, errs)
}

func checkWindow(n int, path string, def int, errs *field.List) int {
	if n == 0 {
		return def
	}
	if n < minWindow || n > maxWindow {
		errs.Addf(path, "must be between %d and %d, got %d", minWindow, maxWindow, n)
	}
	return n
}

// ZScore is the rolling z-score detector (type zscore): each point is
// judged against the mean and standard deviation of the window points
// before it, z = (value − mean) / sd, and crosses when |z| ≥ K(s).
// Score = |z| / (|z| + K); the band is mean ∓ K·sd. Parameters:
// zscore.window (default 100). It ignores the model. It judges once the
// window holds a quarter of its points (at least 8). sd is floored at
// 1e-6·max(1, |mean|), so a constant series judges any real change as
// far out. While the window's sums overflow float64 (values beyond about
// 1e154) points are not judged.
type ZScore struct {
	window int
	k      float64
}

// Name returns "zscore".
func (d *ZScore) Name() string { return TypeZScore }

// Warmup returns the window size.
func (d *ZScore) Warmup() int { return d.window }

// NewStream implements Detector; the model is not used.
func (d *ZScore) NewStream(baseline.Model) Stream {
	return &zscoreStream{d: d, ring: make([]float64, 0, d.window)}
}

// zscoreStream keeps the window's sum and sum of squares around a shift
// c (against cancellation), recomputed exactly every window pushes
// (against drift) and whenever they stop being finite.
type zscoreStream struct {
	d          *ZScore
	ck         clock
	ring       []float64
	head       int
	c          float64
	sum, sumsq float64
}

// Push implements Stream.
func (s *zscoreStream) Push(p series.Point) (r Result, ok bool) {
	ok = finite(p.V) && s.ck.accept(p.T) && s.push(p, &r)
	return r, ok
}

func (s *zscoreStream) push(p series.Point, r *Result) (ok bool) {
	if n := len(s.ring); n >= warmFill(s.d.window) {
		fn := float64(n)
		mean := s.c + s.sum/fn
		v := (s.sumsq - s.sum*s.sum/fn) / (fn - 1)
		sd := math.Sqrt(max(v, 0))
		ok = zResult(r, p, mean, max(sd, scaleFloor(mean)), s.d.k)
	}
	s.add(p.V)
	return ok
}

func (s *zscoreStream) add(v float64) {
	if len(s.ring) < cap(s.ring) {
		if len(s.ring) == 0 {
			s.c = v
		}
		s.ring = append(s.ring, v)
	} else {
		old := s.ring[s.head]
		s.ring[s.head] = v
		s.head = (s.head + 1) % len(s.ring)
		s.sum -= old - s.c
		s.sumsq -= (old - s.c) * (old - s.c)
		if s.head == 0 {
			s.recompute()
			return
		}
	}
	d := v - s.c
	s.sum += d
	s.sumsq += d * d
	if !finite(s.sum) || !finite(s.sumsq) {
		s.recompute()
	}
}

// recompute sets the shift to the latest value and the sums exactly.
func (s *zscoreStream) recompute() {
	last := s.ring[(s.head+len(s.ring)-1)%len(s.ring)]
	s.c, s.sum, s.sumsq = last, 0, 0
	for _, v := range s.ring {
		d := v - s.c
		s.sum += d
		s.sumsq += d * d
	}
}

// RobustZ is the rolling robust z-score detector (type robust_z): each
// point is judged against the median and MAD of the window points before
// it, z = (value − median) / (1.4826·MAD), and crosses when |z| ≥ K(s).
// When more than half the window is one value (MAD 0) the scale is the
// 10–90% inter-quantile range / 2.563, floored at 1e-6·max(1, |median|).
// Score = |z| / (|z| + K); the band is median ∓ K·scale. Parameters:
// robust_z.window (default 200). It ignores the model, judges once the
// window holds a quarter of its points (at least 8), and keeps the
// window sorted (binary insertion, MAD from the last push's split; see
// the package doc for its cost).
type RobustZ struct {
	window int
	k      float64
}

// Name returns "robust_z".
func (d *RobustZ) Name() string { return TypeRobustZ }

// Warmup returns the window size.
func (d *RobustZ) Warmup() int { return d.window }

// NewStream implements Detector; the model is not used.
func (d *RobustZ) NewStream(baseline.Model) Stream {
	return &robustZStream{d: d, w: newSortedWindow(d.window)}
}

type robustZStream struct {
	d  *RobustZ
	ck clock
	w  *sortedWindow
}

// Push implements Stream.
func (s *robustZStream) Push(p series.Point) (r Result, ok bool) {
	ok = finite(p.V) && s.ck.accept(p.T) && s.push(p, &r)
	return r, ok
}

func (s *robustZStream) push(p series.Point, r *Result) (ok bool) {
	if s.w.len() >= warmFill(s.d.window) {
		m := s.w.median()
		ok = zResult(r, p, m, max(s.w.robustScale(m), scaleFloor(m)), s.d.k)
	}
	s.w.push(p.V)
	return ok
}
