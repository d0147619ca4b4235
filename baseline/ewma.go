package baseline

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// EWMAModel is a non-seasonal baseline: an exponentially weighted moving
// average of the level. Its smoothing factor α ∈ [0.001, 0.999] minimises
// the one-step-ahead squared error (golden-section search on α, 22
// evaluations); the expectation at any t is the final level, and the scale
// is the trimmed mean absolute one-step error (see scaleProfile) with the
// package's scale floors.
// Fit uses it for series without seasonality and as the cold-start model
// when the history is too short for every period.
type EWMAModel struct {
	meta
	alpha float64
	level float64
	scale float64
	mse   float64
}

// Name returns "ewma".
func (m *EWMAModel) Name() string { return ModelEWMA }

// Expect is O(1) and does not allocate.
func (m *EWMAModel) Expect(t time.Time) Expectation {
	if m == nil || m.step == 0 {
		return Expectation{}
	}
	if e, ok := m.calendarExpect(t); ok {
		return e
	}
	if !finite(m.level, m.scale) {
		return Expectation{}
	}
	return Expectation{Value: m.level, Scale: m.fl.apply(m.level, m.scale), OK: true, Samples: m.points, Source: ModelEWMA}
}

// Describe gives α, the level and the error.
func (m *EWMAModel) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "EWMA level %s, alpha %.3g, one-step RMSE %s, scale %s", fmtG(m.level), m.alpha, fmtG(math.Sqrt(m.mse)), fmtG(m.scale))
	m.describe(&b)
	return b.String()
}

// ewmaRun returns the final level and the one-step SSE and count; resid
// (if not nil) receives the one-step errors.
func ewmaRun(y []float64, a float64, resid []float64) (level, sse float64, cnt int) {
	level = math.NaN()
	b := 1 - a
	for k, v := range y {
		if math.IsNaN(v) {
			if resid != nil {
				resid[k] = math.NaN()
			}
			continue
		}
		if math.IsNaN(level) {
			level = v
			if resid != nil {
				resid[k] = math.NaN()
			}
			continue
		}
		e := v - level
		sse += e * e
		cnt++
		if resid != nil {
			resid[k] = e
		}
		// level + a·e as (1−a)·level + a·v: the product a·v does not
		// wait for the level, so each step's chain is a multiply and an
		// add instead of a subtract, a multiply and an add.
		level = b*level + a*v
	}
	return level, sse, cnt
}

func fitEWMA(p *prepared, sc *scratch) *EWMAModel {
	y := p.g.v
	m := &EWMAModel{meta: p.meta}
	cost := func(a float64) float64 {
		_, sse, _ := ewmaRun(y, a, nil)
		return sse
	}
	// Golden-section search over α.
	lo, hi := 0.001, 0.999
	phi := (math.Sqrt(5) - 1) / 2
	x1, x2 := hi-phi*(hi-lo), lo+phi*(hi-lo)
	f1, f2 := cost(x1), cost(x2)
	for range 20 {
		if f1 <= f2 {
			hi, x2, f2 = x2, x1, f1
			x1 = hi - phi*(hi-lo)
			f1 = cost(x1)
		} else {
			lo, x1, f1 = x1, x2, f2
			x2 = lo + phi*(hi-lo)
			f2 = cost(x2)
		}
	}
	m.alpha = (lo + hi) / 2
	resid := floats(&sc.stl, len(y))
	level, sse, cnt := ewmaRun(y, m.alpha, resid)
	norm := p.g.norm
	m.level = level * norm
	m.mse = sse / float64(max(cnt, 1)) * norm * norm
	m.scale = scaleProfile(resid, nil, norm, sc).V[0]
	return m
}
