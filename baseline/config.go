// Package baseline learns what normal looks like for a series: an expected
// value and a robust scale for every timestamp.
//
// Fit builds the model Config.Model selects; every model implements Model,
// answers Expect in O(1) without allocating, and serialises to JSON
// (UnmarshalModel restores any of them without refitting):
//
//   - phase (PhaseModel, the default, described below): robust per-phase
//     median and MAD by time of day and day class;
//   - stl (STLModel): a seasonal-trend decomposition with several periods
//     at once (a day and a week);
//   - holt_winters (HWModel): additive or multiplicative Holt–Winters on the
//     shortest period, parameters fitted by Nelder–Mead;
//   - ewma (EWMAModel): a non-seasonal exponentially weighted level, also
//     the cold-start model when the history is too short for any period;
//   - auto: the model with the lowest holdout error (see fitAuto).
//
// Seasonality is configured (daily, weekly, a list of periods) or found:
// DetectSeasonality reads an FFT periodogram and confirms its peaks by
// autocorrelation. Ranges labelled noise (Config.Exclude) are left out of
// fitting. After a sustained level shift the baseline re-anchors rather
// than alerting for days (Reanchorer, Anchored). The grid-based models
// (stl, holt_winters, ewma) run on the series resampled to its median
// step; with a calendar they are fitted on full trading days and answer
// the other days from a phase model's day classes.
//
// Bad input has defined behaviour: NaN and ±Inf samples are ignored;
// duplicate timestamps keep the last sample and out-of-order samples are
// sorted; fewer than MinSamples finite points is ErrNotEnoughData; a
// constant series gets the scale floors (never a zero scale); values near
// the float64 limits are fitted after an exact power-of-two rescaling, and
// an expectation that would overflow is returned with OK false; a period
// longer than half the history is never detected, and a configured one is
// dropped (said so in Describe) when the history has fewer than two cycles.
//
// The phase model is a robust per-phase profile. Every sample falls in a phase
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
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/seismo-dev/seismo/config/field"
)

// Seasonality values.
const (
	SeasonalityNone   = "none"
	SeasonalityDaily  = "daily"
	SeasonalityWeekly = "weekly"
	// SeasonalityAuto finds the periods with DetectSeasonality (an FFT
	// periodogram confirmed by autocorrelation). The phase model maps
	// them to weekly (a 7d period), daily (1d, or a period dividing 1d) or
	// none; the other models use the periods as found.
	SeasonalityAuto = "auto"
	// SeasonalityPeriods fixes the periods to Config.Periods; in YAML it
	// is written as a list: seasonality: [1d, 7d].
	SeasonalityPeriods = "periods"
)

// Model values.
const (
	ModelAuto        = "auto"         // pick by holdout error (see FitAuto)
	ModelPhase       = "phase"        // robust per-phase median/MAD (PhaseModel)
	ModelHoltWinters = "holt_winters" // Holt–Winters, additive or multiplicative (HWModel)
	ModelSTL         = "stl"          // seasonal-trend decomposition (STLModel)
	ModelEWMA        = "ewma"         // exponentially weighted level, no season (EWMAModel)
)

// Holt–Winters seasonal forms.
const (
	HWAuto           = "auto" // multiplicative when it fits better and the data are positive
	HWAdditive       = "additive"
	HWMultiplicative = "multiplicative"
)

// TimeRange is a half-open interval [From, To).
type TimeRange struct {
	From, To time.Time
}

// Contains reports whether t is in [From, To).
func (r TimeRange) Contains(t time.Time) bool { return !t.Before(r.From) && t.Before(r.To) }

// LevelShiftConfig tunes re-anchoring after a sustained level shift (see
// Anchor).
type LevelShiftConfig struct {
	// Disable turns re-anchoring off.
	Disable bool `yaml:"disable,omitempty"`
	// Window is N, the number of most recent points examined (default 30).
	Window int `yaml:"window,omitempty"`
	// Fraction of the N points that must lie on one side of the
	// expectation beyond K scales (default 0.8).
	Fraction float64 `yaml:"fraction,omitempty"`
	// K is the distance in scales (default 3).
	K float64 `yaml:"k,omitempty"`
}

// Config selects and tunes a baseline model.
type Config struct {
	// Seasonality is none, daily, weekly (default), auto, or "periods"
	// with Periods set (YAML: a list of durations, seasonality: [1d, 7d]).
	Seasonality string           `yaml:"seasonality,omitempty"`
	Periods     []field.Duration `yaml:"-"`
	// Model is phase (default), holt_winters, stl, ewma or auto.
	Model string `yaml:"model,omitempty"`
	// HoltWinters is additive, multiplicative or auto (default).
	HoltWinters string         `yaml:"holt_winters,omitempty"`
	Bucket      field.Duration `yaml:"bucket,omitempty"`      // phase bucket width (default 15m)
	MinSamples  int            `yaml:"min_samples,omitempty"` // per bucket before falling back to a coarser one (default 8)
	// Timezone places the time-of-day buckets when no calendar is given
	// (with a calendar its zone is used). Default UTC.
	Timezone string `yaml:"timezone,omitempty"`
	// LevelShift tunes re-anchoring after a sustained level shift.
	LevelShift LevelShiftConfig `yaml:"level_shift,omitempty"`
	// Exclude lists ranges labelled as noise: their points are not used
	// for fitting. Not read from YAML: labels come from the labeling API.
	Exclude []TimeRange `yaml:"-"`
}

// configYAML mirrors Config for decoding, with a seasonality that may be
// a scalar or a list. Keep the two in step (TestConfigYAMLMirror).
type configYAML struct {
	Seasonality seasonalityYAML  `yaml:"seasonality,omitempty"`
	Model       string           `yaml:"model,omitempty"`
	HoltWinters string           `yaml:"holt_winters,omitempty"`
	Bucket      field.Duration   `yaml:"bucket,omitempty"`
	MinSamples  int              `yaml:"min_samples,omitempty"`
	Timezone    string           `yaml:"timezone,omitempty"`
	LevelShift  LevelShiftConfig `yaml:"level_shift,omitempty"`
}

type seasonalityYAML struct {
	name    string
	periods []field.Duration
}

func (s *seasonalityYAML) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		s.name = n.Value
		return nil
	case yaml.SequenceNode:
		s.name = SeasonalityPeriods
		return n.Decode(&s.periods)
	}
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: seasonality: expected auto, none, daily, weekly or a list of periods such as [1d, 7d]", n.Line)}}
}

// UnmarshalYAML decodes a Config, accepting seasonality as a word or a
// list of periods. It uses the caller's decoder, so unknown keys are still
// rejected with their lines.
func (c *Config) UnmarshalYAML(unmarshal func(any) error) error {
	var y configYAML
	if err := unmarshal(&y); err != nil {
		return err
	}
	*c = Config{Seasonality: y.Seasonality.name, Periods: y.Seasonality.periods, Model: y.Model,
		HoltWinters: y.HoltWinters, Bucket: y.Bucket, MinSamples: y.MinSamples, Timezone: y.Timezone, LevelShift: y.LevelShift}
	return nil
}

// MarshalYAML writes seasonality back as a list when periods are fixed.
func (c Config) MarshalYAML() (any, error) {
	y := configYAML{Seasonality: seasonalityYAML{name: c.Seasonality, periods: c.Periods}, Model: c.Model,
		HoltWinters: c.HoltWinters, Bucket: c.Bucket, MinSamples: c.MinSamples, Timezone: c.Timezone, LevelShift: c.LevelShift}
	return y, nil
}

// MarshalYAML writes a word or a list.
func (s seasonalityYAML) MarshalYAML() (any, error) {
	if s.name == SeasonalityPeriods {
		return s.periods, nil
	}
	return s.name, nil
}

// IsZero lets omitempty drop an unset seasonality.
func (s seasonalityYAML) IsZero() bool { return s.name == "" && len(s.periods) == 0 }

// Defaults.
const (
	DefaultSeasonality = SeasonalityWeekly
	DefaultModel       = ModelPhase
	DefaultBucket      = 15 * time.Minute
	DefaultMinSamples  = 8

	DefaultShiftWindow   = 30
	DefaultShiftFraction = 0.8
	DefaultShiftK        = 3.0
)

// ApplyDefaults fills unset fields.
func (c *Config) ApplyDefaults() {
	if c.Seasonality == "" {
		c.Seasonality = DefaultSeasonality
		if len(c.Periods) > 0 {
			c.Seasonality = SeasonalityPeriods
		}
	}
	if c.Model == "" {
		c.Model = DefaultModel
	}
	if c.HoltWinters == "" {
		c.HoltWinters = HWAuto
	}
	if c.Bucket == 0 {
		c.Bucket = field.Duration(DefaultBucket)
	}
	if c.MinSamples == 0 {
		c.MinSamples = DefaultMinSamples
	}
	if c.LevelShift.Window == 0 {
		c.LevelShift.Window = DefaultShiftWindow
	}
	if c.LevelShift.Fraction == 0 {
		c.LevelShift.Fraction = DefaultShiftFraction
	}
	if c.LevelShift.K == 0 {
		c.LevelShift.K = DefaultShiftK
	}
}

// Validate checks the fields; paths in the returned field.List are
// relative ("bucket"). Call ApplyDefaults first.
func (c Config) Validate() error {
	var errs field.List
	switch c.Seasonality {
	case SeasonalityNone, SeasonalityDaily, SeasonalityWeekly, SeasonalityAuto:
		if len(c.Periods) > 0 {
			errs.Addf("seasonality", "periods are given but seasonality is %q", c.Seasonality)
		}
	case SeasonalityPeriods:
		if len(c.Periods) == 0 {
			errs.Addf("seasonality", "an empty list of periods (use none)")
		}
		for i, p := range c.Periods {
			if p.Std() < time.Minute {
				errs.Addf(fmt.Sprintf("seasonality[%d]", i), "period %s is shorter than 1m", p)
			}
		}
	default:
		// The wording predates lists of periods; config goldens quote it.
		errs.Addf("seasonality", "unknown seasonality %q (want none, daily, weekly or auto)", c.Seasonality)
	}
	switch c.Model {
	case ModelAuto, ModelPhase, ModelHoltWinters, ModelSTL, ModelEWMA:
	default:
		errs.Addf("model", "unknown model %q (want %s)", c.Model, strings.Join([]string{ModelAuto, ModelPhase, ModelHoltWinters, ModelSTL, ModelEWMA}, ", "))
	}
	switch c.HoltWinters {
	case HWAuto, HWAdditive, HWMultiplicative:
	default:
		errs.Addf("holt_winters", "unknown Holt-Winters form %q (want additive, multiplicative or auto)", c.HoltWinters)
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
	if c.LevelShift.Window < 3 {
		errs.Addf("level_shift.window", "window must be at least 3 points, got %d", c.LevelShift.Window)
	}
	if !(c.LevelShift.Fraction > 0.5 && c.LevelShift.Fraction <= 1) {
		errs.Addf("level_shift.fraction", "fraction must be in (0.5, 1], got %g", c.LevelShift.Fraction)
	}
	if !(c.LevelShift.K > 0) {
		errs.Addf("level_shift.k", "k must be positive, got %g", c.LevelShift.K)
	}
	for i, r := range c.Exclude {
		if !r.To.After(r.From) {
			errs.Addf(fmt.Sprintf("exclude[%d]", i), "range %s to %s is empty", r.From.Format(time.RFC3339), r.To.Format(time.RFC3339))
		}
	}
	return errs.Err()
}
