// Package baseline learns what normal looks like for a series: an expected
// value and a robust scale for every timestamp.
package baseline

import "github.com/seismo-dev/seismo/config/field"

// Config selects and tunes a baseline model.
type Config struct {
	Seasonality string         `yaml:"seasonality,omitempty"` // none, daily, weekly (default weekly)
	Bucket      field.Duration `yaml:"bucket,omitempty"`      // phase bucket width (default 15m)
	MinSamples  int            `yaml:"min_samples,omitempty"` // per bucket before falling back to a coarser one (default 8)
}
