package detector

import (
	"fmt"
	"math"

	"github.com/seismo-dev/seismo/config/field"
)

// Config selects and tunes a detector.
type Config struct {
	// Type names the detector family (see New for the list). Default robust.
	Type string `yaml:"type,omitempty"`
	// Sensitivity is in [0, 1]; higher flags more. 0 means unset (the
	// default 0.7); for the least sensitive setting use a small positive
	// value such as 0.001. Every family maps it to its own threshold.
	Sensitivity  float64      `yaml:"sensitivity,omitempty"`
	Direction    string       `yaml:"direction,omitempty"` // both (default), up, down
	MinDeviation MinDeviation `yaml:"min_deviation,omitempty"`
	// Persistence turns a crossing into an anomaly only when enough of the
	// last judged points crossed too. Default k = n = 1 (every crossing).
	Persistence Persistence `yaml:"persistence,omitempty"`

	// Parameters of the families, each under its type's own key; only the
	// selected type's key is read.
	Static            StaticConfig            `yaml:"static,omitempty"`
	ZScore            WindowConfig            `yaml:"zscore,omitempty"`
	RobustZ           WindowConfig            `yaml:"robust_z,omitempty"`
	IQR               WindowConfig            `yaml:"iqr,omitempty"`
	EWMA              EWMAConfig              `yaml:"ewma,omitempty"`
	CUSUM             CUSUMConfig             `yaml:"cusum,omitempty"`
	LevelShift        WindowConfig            `yaml:"level_shift,omitempty"`
	Flatline          FlatlineConfig          `yaml:"flatline,omitempty"`
	NoData            NoDataConfig            `yaml:"no_data,omitempty"`
	RateOfChange      WindowConfig            `yaml:"rate_of_change,omitempty"`
	DistributionShift DistributionShiftConfig `yaml:"distribution_shift,omitempty"`
	Seasonal          SeasonalParams          `yaml:"seasonal,omitempty"`
	HoltWinters       SeasonalParams          `yaml:"holtwinters,omitempty"`
	SHESD             SHESDParams             `yaml:"shesd,omitempty"`
	Spectral          SpectralParams          `yaml:"spectral,omitempty"`
	Adaptive          AdaptiveParams          `yaml:"adaptive,omitempty"`
	Auto              AutoParams              `yaml:"auto,omitempty"`

	// Members are the detectors an ensemble combines with Combine
	// (max, mean or vote).
	Members []Config `yaml:"members,omitempty"`
	Combine string   `yaml:"combine,omitempty"`
	// Candidates are the detectors type auto chooses from.
	Candidates []Config `yaml:"candidates,omitempty"`
}

// MinDeviation keeps tiny wiggles from alerting: a point is an anomaly only
// if it is at least this far from the expected value, absolutely and
// relatively (both apply when both are set).
type MinDeviation struct {
	Absolute float64 `yaml:"absolute,omitempty"`
	Relative float64 `yaml:"relative,omitempty"` // fraction of |expected|, e.g. 0.1
}

// Persistence is the k-of-n rule against flapping: a point is an anomaly
// only when it crosses the threshold and at least K of the last N judged
// points (itself included) crossed. Zero values mean 1.
type Persistence struct {
	K int `yaml:"k,omitempty"`
	N int `yaml:"n,omitempty"`
}

// Detector types and directions.
const (
	TypeRobust = "robust"
	// TypeAuto chooses a detector per series by backtesting its
	// candidates on the series' own history (see Auto).
	TypeAuto = "auto"

	DirectionBoth = "both"
	DirectionUp   = "up"
	DirectionDown = "down"

	CombineMax  = "max"
	CombineMean = "mean"
	CombineVote = "vote"
)

// Defaults.
const (
	DefaultType        = TypeRobust
	DefaultSensitivity = 0.7
	DefaultDirection   = DirectionBoth
)

// ApplyDefaults fills unset fields, members' and candidates' included.
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
	if c.Persistence.K == 0 {
		c.Persistence.K = 1
	}
	if c.Persistence.N == 0 {
		c.Persistence.N = max(1, c.Persistence.K)
	}
	for i := range c.Members {
		c.Members[i].ApplyDefaults()
	}
	for i := range c.Candidates {
		c.Candidates[i].ApplyDefaults()
	}
}

// Validate checks the fields; paths in the returned field.List are
// relative ("min_deviation.absolute"). Call ApplyDefaults first. The
// type's constructor checks the type's own parameters and, for ensemble
// and auto, the types and parameters of the members and candidates;
// Validate checks every config's common fields.
func (c Config) Validate() error {
	var errs field.List
	if _, err := build(c); err != nil {
		errs.Add("", err)
	}
	errs.Add("", c.validateCommon())
	return errs.Err()
}

// validateCommon checks the fields every detector has, in c and in its
// members and candidates.
func (c Config) validateCommon() error {
	var errs field.List
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
	const maxN = 1000 // a longer memory is a different detector
	switch p := c.Persistence; {
	case p.N < 1 || p.N > maxN:
		errs.Addf("persistence.n", "n must be between 1 and %d, got %d", maxN, p.N)
	case p.K < 1 || p.K > p.N:
		errs.Addf("persistence.k", "k must be between 1 and n (%d), got %d", p.N, p.K)
	}
	for i, m := range c.Members {
		errs.Add(fmt.Sprintf("members[%d]", i), m.validateCommon())
	}
	for i, m := range c.Candidates {
		errs.Add(fmt.Sprintf("candidates[%d]", i), m.validateCommon())
	}
	return errs.Err()
}
