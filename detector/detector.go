package detector

import (
	"fmt"
	"strings"
	"time"

	"github.com/seismo-dev/seismo/baseline"
	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/series"
)

// Input is what a detector judges: cleaned, sorted points.
type Input struct {
	History []series.Point // before Points: warms up stateful detectors (may be empty)
	Points  []series.Point // the points to judge
	Model   baseline.Model // fitted on History by the caller; nil for detectors that need none
}

// Result is the verdict on one point.
type Result struct {
	T            time.Time
	Value        float64
	Expected     float64
	Lower, Upper float64 // the band; its meaning depends on the family
	Score        float64 // in [0, 1], 0.5 at the threshold (see the package doc)
	Anomaly      bool
	// Z is the signed standardised deviation, e.g. (value − expected) / scale.
	Z float64
}

// Detector is one anomaly-detection algorithm, configured.
type Detector interface {
	// Name is the detector type ("robust").
	Name() string
	// NewStream returns the causal, online form: each Push sees only the
	// past. m may be nil for detectors that need no model.
	NewStream(m baseline.Model) Stream
}

// Stream judges points one at a time, in time order.
type Stream interface {
	// Push judges p. ok=false while warming up, when p is not finite or
	// when p is not strictly after the last accepted point (never panics).
	Push(p series.Point) (r Result, ok bool)
}

// Batcher is implemented by detectors whose batch form differs from
// replaying the stream (e.g. S-H-ESD over the whole window). Batch results
// must still be causal-equivalent or documented as look-ahead.
type Batcher interface {
	DetectBatch(in Input) []Result
}

// Warmer is optionally implemented by detectors whose streams need only
// the last few History points: Run then skips the rest. Warmup returns how
// many trailing History points a stream needs; a negative number means
// all of them.
type Warmer interface {
	Warmup() int
}

// Staler is implemented by streams that can judge the absence of data
// (no-data): Stale returns the verdict a point arriving at now would get,
// without changing the stream. ok=false when the stream cannot tell.
type Staler interface {
	Stale(now time.Time) (r Result, ok bool)
}

// Run judges in with d: DetectBatch if d implements Batcher, else a stream
// warmed on History (its last Warmup points when d implements Warmer) and
// pushed Points. It returns the results of the points that were judged, in
// time order.
func Run(d Detector, in Input) []Result {
	if b, ok := d.(Batcher); ok {
		return b.DetectBatch(in)
	}
	s := d.NewStream(in.Model)
	hist := in.History
	if w, ok := d.(Warmer); ok {
		if n := w.Warmup(); n >= 0 && n < len(hist) {
			hist = hist[len(hist)-n:]
		}
	}
	for _, p := range hist {
		s.Push(p)
	}
	out := make([]Result, 0, len(in.Points))
	for _, p := range in.Points {
		if r, ok := s.Push(p); ok {
			out = append(out, r)
		}
	}
	return out
}

// New returns the detector cfg selects, wrapped in the common gates
// (direction, min_deviation, persistence). cfg is used after ApplyDefaults
// on a copy.
func New(cfg Config) (Detector, error) {
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("detector config: %w", err)
	}
	d, err := build(cfg)
	if err != nil {
		return nil, fmt.Errorf("detector config: %w", err)
	}
	return gate(d, cfg), nil
}

// build is the registry: it returns the ungated detector for cfg.Type, or
// a field error. cfg has had ApplyDefaults. Validate calls it too, so a
// family validates its own parameters here.
func build(cfg Config) (Detector, error) {
	k := Threshold(cfg.Sensitivity)
	var errs field.List
	switch cfg.Type {
	case TypeRobust:
		return &Robust{k: k}, nil
	case TypeAuto:
		return newAuto(cfg, cfg.Auto)
	case TypeEnsemble:
		return newEnsemble(cfg)
	case TypeSeasonal:
		return newSeasonal(cfg, cfg.Seasonal)
	case TypeHoltWinters:
		return newHoltWinters(cfg, cfg.HoltWinters)
	case TypeSHESD:
		return newSHESD(cfg, cfg.SHESD)
	case TypeSpectral:
		return newSpectral(cfg, cfg.Spectral)
	case TypeAdaptive:
		s := cfg.Sensitivity
		if !(s >= 0 && s <= 1) {
			s = DefaultSensitivity // Validate reports it
		}
		d, err := NewAdaptive(cfg.Adaptive, s)
		if err != nil {
			errs.Add("adaptive", err)
			return nil, errs.Err()
		}
		return d, nil
	case TypeStatic:
		return newStatic(cfg.Static)
	case TypeZScore:
		return &ZScore{window: cfg.ZScore.window("zscore", DefaultZScoreWindow, &errs), k: k}, errs.Err()
	case TypeRobustZ:
		return &RobustZ{window: cfg.RobustZ.window("robust_z", DefaultRobustZWindow, &errs), k: k}, errs.Err()
	case TypeIQR:
		return &IQR{window: cfg.IQR.window("iqr", DefaultIQRWindow, &errs), k: tukeyK(cfg.Sensitivity)}, errs.Err()
	case TypeEWMA:
		return newEWMA(cfg.EWMA, cfg.Sensitivity)
	case TypeCUSUM:
		return newCUSUM(cfg.CUSUM, cfg.Sensitivity)
	case TypeLevelShift:
		return &LevelShift{window: cfg.LevelShift.window("level_shift", DefaultLevelShiftWindow, &errs), t: 1 + 4*(1-cfg.Sensitivity)}, errs.Err()
	case TypeFlatline:
		return newFlatline(cfg.Flatline, cfg.Sensitivity)
	case TypeNoData:
		return newNoData(cfg.NoData, cfg.Sensitivity)
	case TypeRateOfChange:
		return &RateOfChange{window: cfg.RateOfChange.window("rate_of_change", DefaultRateOfChangeWindow, &errs), k: k}, errs.Err()
	case TypeDistributionShift:
		return newDistributionShift(cfg.DistributionShift, cfg.Sensitivity)
	}
	return nil, field.Errorf("type", "unknown detector type %q (want one of %s)", cfg.Type, strings.Join(types, ", "))
}

// types lists the types build knows, for error messages.
var types = []string{
	TypeRobust, TypeAuto, TypeEnsemble, TypeStatic, TypeZScore, TypeRobustZ, TypeIQR, TypeEWMA,
	TypeCUSUM, TypeLevelShift, TypeFlatline, TypeNoData, TypeRateOfChange, TypeDistributionShift,
	TypeSeasonal, TypeHoltWinters, TypeSHESD, TypeSpectral, TypeAdaptive,
}

// Threshold maps a sensitivity in [0, 1] to the z threshold K = 2 + 8·(1 − s).
func Threshold(sensitivity float64) float64 {
	return 2 + 8*(1-sensitivity)
}
