// Package baseline learns what normal looks like for a series: an expected
// value and a robust scale for every timestamp.
//
// The model is a robust per-phase profile. Every sample falls in a phase
// key (day class, bucket of the local time of day); each key keeps the
// median and the MAD of its samples, so a few past anomalies in the history
// do not move the baseline. Day classes separate the days that behave
// differently: with weekly seasonality the weekday, with daily seasonality
// one class; with a trading calendar, holidays and non-trading weekdays pool
// into a "non-trading" class and half days into "half-day", so a holiday is
// never compared with a normal trading day.
//
// Keys with fewer than MinSamples samples fall back, in order, to: the same
// day class pooled over the neighbouring buckets (±1); the pooled trading
// days at that bucket (for a non-trading class: the whole class; for a half
// day: trading days inside its session, non-trading days outside it); the
// global median and scale. History too short for the requested seasonality
// degrades it: weekly needs two weeks, daily two days, else the model is a
// non-seasonal global median. Describe reports every fallback.
//
// Scale is 1.4826·MAD (the standard deviation for Gaussian noise) with a
// floor, so a bucket whose history is constant — zero trades at night —
// does not turn every tiny change into an infinite deviation:
//
//	floor = max(RelativeScaleFloor·|median|, GlobalScaleFloor·global scale,
//	            QuantumScaleFloor if every value is an integer, MinScale)
//
// where the global scale is the robust scale of all the history. Every
// robust scale here is 1.4826·MAD, or 1.2533·mean absolute deviation from
// the median when more than half of the values are equal (a mostly-zero
// series), where the MAD is 0 but the minority still matters. Noise finer
// than one unit of integer data cannot be measured, so a night bucket that
// is mostly 0 with the odd 1 keeps a scale of 1. Non-negative integer data
// is taken for event counts, whose noise is at least Poisson: where such
// a key varies at all, its scale is also at least sqrt(median) (the MAD of
// small integers is quantised and underestimates it).
//
// A key's scale is not its own MAD alone: the MAD of a dozen samples is a
// noisy estimate, and its low draws are false alarms at a 4σ threshold. It
// is the larger of the key's own scale and the pooled residual scale of the
// key and its ±3 neighbouring buckets (each residual from its own bucket's
// median), inflated by sqrt(1 + π/(2n)) for the error of the estimated
// median. The global cell (last fallback and cold-start model) cannot tell
// day from night, so its scale also covers the distance from the median to
// the 1st and 99th percentiles (divided by 2.326, exact for Gaussian data).
package baseline

import (
	"fmt"
	"time"

	"github.com/seismo-dev/seismo/config/field"
)

// Seasonality values.
const (
	SeasonalityNone   = "none"
	SeasonalityDaily  = "daily"
	SeasonalityWeekly = "weekly"
	// SeasonalityAuto is accepted for forward compatibility; today it
	// resolves like weekly (with the same cold-start degradation).
	SeasonalityAuto = "auto"
)

// Config selects and tunes a baseline model.
type Config struct {
	Seasonality string         `yaml:"seasonality,omitempty"` // none, daily, weekly (default weekly), auto
	Bucket      field.Duration `yaml:"bucket,omitempty"`      // phase bucket width (default 15m)
	MinSamples  int            `yaml:"min_samples,omitempty"` // per bucket before falling back to a coarser one (default 8)
	// Timezone places the time-of-day buckets when no calendar is given
	// (with a calendar its zone is used). Default UTC.
	Timezone string `yaml:"timezone,omitempty"`
}

// Defaults.
const (
	DefaultSeasonality = SeasonalityWeekly
	DefaultBucket      = 15 * time.Minute
	DefaultMinSamples  = 8
)

// ApplyDefaults fills unset fields.
func (c *Config) ApplyDefaults() {
	if c.Seasonality == "" {
		c.Seasonality = DefaultSeasonality
	}
	if c.Bucket == 0 {
		c.Bucket = field.Duration(DefaultBucket)
	}
	if c.MinSamples == 0 {
		c.MinSamples = DefaultMinSamples
	}
}

// Validate checks the fields; paths in the returned field.List are
// relative ("bucket"). Call ApplyDefaults first.
func (c Config) Validate() error {
	var errs field.List
	switch c.Seasonality {
	case SeasonalityNone, SeasonalityDaily, SeasonalityWeekly, SeasonalityAuto:
	default:
		errs.Addf("seasonality", "unknown seasonality %q (want none, daily, weekly or auto)", c.Seasonality)
	}
	b := c.Bucket.Std()
	switch {
	case b < time.Minute:
		errs.Addf("bucket", "bucket %s is shorter than 1m", c.Bucket)
	case (24*time.Hour)%b != 0:
		errs.Addf("bucket", "bucket %s does not divide 24h evenly", c.Bucket)
	}
	if c.MinSamples < 3 {
		errs.Addf("min_samples", "min_samples must be at least 3, got %d", c.MinSamples)
	}
	if c.Timezone != "" {
		if _, err := time.LoadLocation(c.Timezone); err != nil {
			errs.Add("timezone", fmt.Errorf("unknown time zone %q", c.Timezone))
		}
	}
	return errs.Err()
}
