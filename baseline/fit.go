package baseline

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/seismo-dev/seismo/baseline/calendar"
	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/series"
)

// Fit learns the model cfg.Model selects from pts: cleaned and sorted
// points are best (series.Clean), but NaN, ±Inf, duplicate and
// out-of-order samples are handled anyway (see buildGrid). Points in
// cfg.Exclude (ranges labelled noise) are not used. cal may be nil. cfg is
// used after ApplyDefaults on a copy.
//
// Fewer finite points than cfg.MinSamples is ErrNotEnoughData. A seasonal
// model (stl, holt_winters) without a usable period — none found, or the
// history shorter than two cycles of every period — is fitted as EWMA and
// says so in Describe. Unless cfg.LevelShift.Disable, a phase or stl
// model whose last points show a sustained level shift comes back
// re-anchored as *Anchored (see Reanchorer).
func Fit(pts []series.Point, cfg Config, cal *calendar.Calendar) (Model, error) {
	var f Fitter
	return f.Fit(pts, cfg, cal)
}

// Fitter fits models like Fit, reusing its working buffers (the grid,
// the decomposition's arrays, the detection's FFT buffers: about 1 MB for
// 20,160 points) from one fit to the next, so that a worker fitting many
// series allocates little more than the models it returns. The zero value
// is ready to use. A Fitter is not safe for concurrent use: give each
// worker its own.
type Fitter struct {
	sc scratch
}

// Fit is the package-level Fit with f's buffers.
func (f *Fitter) Fit(pts []series.Point, cfg Config, cal *calendar.Calendar) (Model, error) {
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("baseline config: %w", err)
	}
	var m Model
	var err error
	if cfg.Model == ModelAuto {
		m, err = fitAuto(pts, cfg, cal, &f.sc)
	} else {
		m, err = fitOne(pts, cfg, cal, &f.sc)
	}
	if err != nil {
		return nil, err
	}
	switch m.Name() {
	case ModelPhase, ModelSTL:
		m = anchorTail(m, pts, cfg.LevelShift, cfg.Exclude)
	}
	return m, nil
}

// fitOne fits cfg.Model (not auto) without anchoring.
func fitOne(pts []series.Point, cfg Config, cal *calendar.Calendar, sc *scratch) (Model, error) {
	if cfg.Model == ModelPhase {
		return FitPhase(pts, cfg, cal)
	}
	p, err := prepare(pts, cfg, cal, sc)
	if err != nil {
		return nil, err
	}
	if cfg.Model != ModelEWMA && len(p.steps) == 0 {
		why := "no seasonality"
		if len(p.meta.notes) > 0 {
			why = "no usable period"
		}
		p.meta.notes = append(p.meta.notes, fmt.Sprintf("%s asked for, %s: fitted a non-seasonal EWMA instead", cfg.Model, why))
		return fitEWMA(p, sc), nil
	}
	switch cfg.Model {
	case ModelSTL:
		return fitSTL(p, sc), nil
	case ModelHoltWinters:
		m, err := fitHW(p, cfg.HoltWinters, sc)
		if err != nil {
			p.meta.notes = append(p.meta.notes, fmt.Sprintf("Holt-Winters failed (%v): fitted the seasonal-trend decomposition instead", err))
			return fitSTL(p, sc), nil
		}
		return m, nil
	}
	return fitEWMA(p, sc), nil
}

// fitAuto chooses the model by holdout error: every candidate is fitted on
// the first 7/8 of the history and judged by its mean absolute error on
// the last 1/8 (the expectations it would have given, without refitting);
// the winner is refitted on the whole history. Candidates are stl,
// holt_winters and phase when the history has a usable period, else ewma
// and phase. Periods are resolved once, on the whole history.
//
// The candidates reuse sc, so the grid values of the whole history's p
// are gone once the first candidate is fitted; only p's times and periods
// are read after that.
func fitAuto(pts []series.Point, cfg Config, cal *calendar.Calendar, sc *scratch) (Model, error) {
	p, err := prepare(pts, cfg, cal, sc)
	if err != nil {
		return nil, err
	}
	fixed := cfg
	if len(p.meta.periods) > 0 {
		fixed.Seasonality = SeasonalityPeriods
		fixed.Periods = nil
		for _, per := range p.meta.periods {
			fixed.Periods = append(fixed.Periods, field.Duration(per.Period))
		}
	} else {
		fixed.Seasonality, fixed.Periods = SeasonalityNone, nil
	}
	candidates := []string{ModelEWMA, ModelPhase}
	if len(p.steps) > 0 {
		candidates = []string{ModelSTL, ModelHoltWinters, ModelPhase}
	}
	split := p.g.from.Add(p.g.to.Sub(p.g.from) * 7 / 8)
	var train, hold []series.Point
	for _, q := range pts {
		switch {
		case !finite(q.V) || excluded(q.T, cfg.Exclude):
		case q.T.Before(split):
			train = append(train, q)
		default:
			hold = append(hold, q)
		}
	}
	type score struct {
		name string
		mae  float64
		why  string
	}
	var scores []score
	for _, c := range candidates {
		cc := fixed
		cc.Model = c
		m, err := fitOne(train, cc, cal, sc)
		if err != nil {
			scores = append(scores, score{c, math.Inf(1), err.Error()})
			continue
		}
		sum, n := 0.0, 0
		for _, q := range hold {
			if e := m.Expect(q.T); e.OK {
				sum += math.Abs(q.V - e.Value)
				n++
			}
		}
		if n < max(1, len(hold)/2) {
			scores = append(scores, score{c, math.Inf(1), "cannot judge the holdout"})
			continue
		}
		scores = append(scores, score{name: c, mae: sum / float64(n)})
	}
	best := slices.MinFunc(scores, func(a, b score) int {
		switch {
		case a.mae < b.mae:
			return -1
		case a.mae > b.mae:
			return 1
		}
		return 0
	})
	chosen := fixed
	chosen.Model = best.name
	if math.IsInf(best.mae, 0) {
		chosen.Model = ModelPhase // the most forgiving with short histories
	}
	m, err := fitOne(pts, chosen, cal, sc)
	if err != nil {
		return nil, err
	}
	parts := make([]string, len(scores))
	for i, s := range scores {
		if math.IsInf(s.mae, 0) {
			parts[i] = fmt.Sprintf("%s failed (%s)", s.name, s.why)
		} else {
			parts[i] = fmt.Sprintf("%s %.4g", s.name, s.mae)
		}
	}
	note := fmt.Sprintf("model auto chose %s: holdout mean absolute error over the last %s (%d points): %s",
		chosen.Model, field.Duration(roundDur(p.g.to.Sub(split))), len(hold), strings.Join(parts, ", "))
	addNote(m, note)
	return m, nil
}

// addNote appends a remark to a model's Describe.
func addNote(m Model, note string) {
	switch m := m.(type) {
	case *PhaseModel:
		m.notes = append(m.notes, note)
	case *STLModel:
		m.notes = append(m.notes, note)
	case *HWModel:
		m.notes = append(m.notes, note)
	case *EWMAModel:
		m.notes = append(m.notes, note)
	}
}
