// Package detector scores how far each point is from its baseline.
package detector

// Config selects and tunes a detector.
type Config struct {
	Type         string       `yaml:"type,omitempty"`        // robust (default)
	Sensitivity  float64      `yaml:"sensitivity,omitempty"` // 0..1, higher flags more (default 0.7)
	Direction    string       `yaml:"direction,omitempty"`   // both (default), up, down
	MinDeviation MinDeviation `yaml:"min_deviation,omitempty"`
}

// MinDeviation keeps tiny wiggles from alerting: a point is an anomaly only
// if it is at least this far from the expected value, absolutely and
// relatively (both apply when both are set).
type MinDeviation struct {
	Absolute float64 `yaml:"absolute,omitempty"`
	Relative float64 `yaml:"relative,omitempty"` // fraction of |expected|, e.g. 0.1
}
