// Package detector scores how far each point is from its baseline.
//
// The robust deviation detector standardises every point by its baseline's
// robust scale, z = (value − expected) / scale, and flags it when |z|
// reaches a threshold k derived from the sensitivity s ∈ [0, 1]:
//
//	k = 2 + 8·(1 − s)        s = 1 → k = 2, s = 0.7 → k = 4.4, s = 0 → k = 10
//
// The mapping is linear in k so that analysts moving the sensitivity
// control see the band widen and narrow evenly. For Gaussian noise the
// two-sided tail beyond k is about 4.6% of points at k = 2, 0.27% at k = 3,
// 1·10⁻⁵ at the default 4.4 (one false alarm in about a week of 1m points
// if the baseline were perfect) and nothing at 10; real business series
// have heavier tails, which is why the default sits high.
//
// The band is expected ∓ k·scale. Score = |z| / (|z| + k) maps a deviation
// onto [0, 1): 0 on the expected value, exactly 0.5 on the threshold,
// approaching 1 far outside. Only deviations in the allowed direction
// count: with direction "up" a dip has score 0. A point is an anomaly when
// its score is at least 0.5 and, additionally, its absolute deviation
// reaches min_deviation.absolute and min_deviation.relative·|expected|. The
// minimum deviation is a business filter and does not change the score.
package detector

import (
	"fmt"
	"math"

	"github.com/seismo-dev/seismo/config/field"
)

// Config selects and tunes a detector.
type Config struct {
	Type string `yaml:"type,omitempty"` // robust (default); auto currently means robust
	// Sensitivity is in [0, 1]; higher flags more. 0 means unset (the
	// default 0.7); for the least sensitive setting use a small positive
	// value such as 0.001.
	Sensitivity  float64      `yaml:"sensitivity,omitempty"`
	Direction    string       `yaml:"direction,omitempty"` // both (default), up, down
	MinDeviation MinDeviation `yaml:"min_deviation,omitempty"`
}

// MinDeviation keeps tiny wiggles from alerting: a point is an anomaly only
// if it is at least this far from the expected value, absolutely and
// relatively (both apply when both are set).
type MinDeviation struct {
	Absolute float64 `yaml:"absolute,omitempty"`
	Relative float64 `yaml:"relative,omitempty"` // fraction of |expected|, e.g. 0.1
}

// Detector types and directions.
const (
	TypeRobust = "robust"
	// TypeAuto is accepted for forward compatibility (automatic selection
	// per series); today it resolves to robust.
	TypeAuto = "auto"

	DirectionBoth = "both"
	DirectionUp   = "up"
	DirectionDown = "down"
)

// Defaults.
const (
	DefaultType        = TypeRobust
	DefaultSensitivity = 0.7
	DefaultDirection   = DirectionBoth
)

// ApplyDefaults fills unset fields.
func (c *Config) ApplyDefaults() {
	if c.Type == "" {
		c.Type = DefaultType
	}
	if c.Sensitivity == 0 {
		c.Sensitivity = DefaultSensitivity
	}
	if c.Direction == "" {
		c.Direction = DefaultDirection
	}
}

// Validate checks the fields; paths in the returned field.List are
// relative ("min_deviation.absolute"). Call ApplyDefaults first.
func (c Config) Validate() error {
	var errs field.List
	switch c.Type {
	case TypeRobust, TypeAuto:
	default:
		errs.Addf("type", "unknown detector type %q (want robust or auto)", c.Type)
	}
	if !(c.Sensitivity >= 0 && c.Sensitivity <= 1) { // also rejects NaN
		errs.Addf("sensitivity", "sensitivity must be between 0 and 1, got %v", c.Sensitivity)
	}
	switch c.Direction {
	case DirectionBoth, DirectionUp, DirectionDown:
	default:
		errs.Addf("direction", "unknown direction %q (want both, up or down)", c.Direction)
	}
	for _, f := range []struct {
		path string
		v    float64
	}{{"min_deviation.absolute", c.MinDeviation.Absolute}, {"min_deviation.relative", c.MinDeviation.Relative}} {
		if !(f.v >= 0) || math.IsInf(f.v, 0) {
			errs.Add(f.path, fmt.Errorf("must be a non-negative number, got %v", f.v))
		}
	}
	return errs.Err()
}
