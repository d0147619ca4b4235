package detector

import (
	"fmt"
	"math"
	"time"

	"github.com/seismo-dev/seismo/baseline"
	"github.com/seismo-dev/seismo/series"
)

// Detector judges points against a baseline model.
type Detector interface {
	// Name is the detector type ("robust").
	Name() string
	// Detect returns one Result per finite point the model could judge,
	// in input order. Non-finite points and points whose expectation is
	// not OK are skipped.
	Detect(pts []series.Point, m baseline.Model) []Result
}

// Result is the verdict on one point.
type Result struct {
	T            time.Time
	Value        float64
	Expected     float64
	Lower, Upper float64 // the band: expected ∓ k·scale
	Score        float64 // in [0, 1], 0.5 at the threshold, 1 only if z overflows (see package doc)
	Anomaly      bool
	// Z is the signed standardised deviation (value − expected) / scale.
	Z float64
}

// New returns the detector cfg selects. cfg is used after ApplyDefaults on
// a copy.
func New(cfg Config) (Detector, error) {
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("detector config: %w", err)
	}
	return &Robust{cfg: cfg, k: Threshold(cfg.Sensitivity)}, nil
}

// Threshold maps a sensitivity in [0, 1] to the |z| threshold k = 2 + 8·(1 − s).
func Threshold(sensitivity float64) float64 {
	return 2 + 8*(1-sensitivity)
}

// Robust is the robust deviation detector described in the package doc.
type Robust struct {
	cfg Config
	k   float64
}

// Name returns "robust".
func (d *Robust) Name() string { return TypeRobust }

// Threshold returns the detector's |z| threshold k.
func (d *Robust) Threshold() float64 { return d.k }

// Detect implements Detector. A nil model judges nothing.
func (d *Robust) Detect(pts []series.Point, m baseline.Model) []Result {
	if m == nil {
		return nil
	}
	out := make([]Result, 0, len(pts))
	for _, p := range pts {
		if math.IsNaN(p.V) || math.IsInf(p.V, 0) {
			continue
		}
		e := m.Expect(p.T)
		if !e.OK || !(e.Scale > 0) || math.IsInf(e.Scale, 0) || math.IsNaN(e.Value) || math.IsInf(e.Value, 0) {
			continue
		}
		out = append(out, d.judge(p, e))
	}
	return out
}

// judge scores one point against its expectation.
func (d *Robust) judge(p series.Point, e baseline.Expectation) Result {
	dev := p.V - e.Value
	z := dev / e.Scale
	dz := math.Abs(z) // deviation in the allowed direction
	switch {
	case d.cfg.Direction == DirectionUp && z < 0, d.cfg.Direction == DirectionDown && z > 0:
		dz = 0
	}
	score := dz / (dz + d.k)
	if math.IsInf(dz, 0) { // a deviation so large that z overflowed
		score = 1
	}
	return Result{
		T:        p.T,
		Value:    p.V,
		Expected: e.Value,
		Lower:    e.Value - d.k*e.Scale,
		Upper:    e.Value + d.k*e.Scale,
		Score:    score,
		Z:        z,
		Anomaly: dz >= d.k &&
			math.Abs(dev) >= d.cfg.MinDeviation.Absolute &&
			math.Abs(dev) >= d.cfg.MinDeviation.Relative*math.Abs(e.Value),
	}
}
