package baseline

import (
	"fmt"
	"math"
	"strings"
	"time"

	"gonum.org/v1/gonum/optimize"
)

// HWModel is Holt–Winters exponential smoothing with a damped trend and one
// season (the shortest period in use), additive (y = level + trend +
// season) or multiplicative (y = (level + trend) × season).
//
// The smoothing parameters α (level), β (trend) and γ (season) minimise
// the one-step-ahead squared error, found by Nelder–Mead
// (gonum/optimize) on unbounded θ mapped into their ranges by a sigmoid:
// α, γ ∈ [0.001, 0.999], β ∈ [0, 0.3]; the damping φ is fixed at 0.98 per
// optimisation step. To keep fitting fast the search runs on the series
// averaged into bins of f steps (f a divisor of the period, so that at most
// about 1,500 bins remain); the parameters are then carried to full
// resolution with the same time constants (α' = 1 − (1−α)^(1/f), likewise β
// and φ; γ is unchanged since each phase is still updated once per cycle),
// and one pass at full resolution yields the states.
//
// The first cycle initialises the level (its mean), the trend (the change
// of means between the first two cycles) and the season; errors count from
// the second cycle on. Missing steps advance the level by the trend and
// leave the season alone.
//
// Expect(t) after the history is the damped forecast level_n + trend·Σφ^i
// plus (or times) the season at t's phase; inside the history it is the
// final level with the season (the model keeps no per-point state). The
// scale is the trimmed mean absolute one-step error per cell of the period
// (see scaleProfile; at least 30 errors per cell), with the package's
// scale floors. With
// "auto" the multiplicative form is used when every value is positive and
// its error is lower.
type HWModel struct {
	meta
	form                     string
	alpha, beta, gamma, phi  float64
	n                        int
	level, trend             float64
	season                   season // per step of the period: an offset or a ratio
	scale                    season
	mse                      float64 // one-step mean squared error in original units², for Describe
	optAlpha, optBeta, optGa float64 // parameters at the optimisation resolution
	optBin                   int
}

// HW parameter ranges.
const (
	hwMin, hwMax = 0.001, 0.999
	hwBetaMax    = 0.3
	hwPhi        = 0.98
	hwOptPoints  = 1500
)

// Name returns "holt_winters".
func (m *HWModel) Name() string { return ModelHoltWinters }

// Form returns "additive" or "multiplicative".
func (m *HWModel) Form() string { return m.form }

// Expect is O(1) and does not allocate.
func (m *HWModel) Expect(t time.Time) Expectation {
	if m == nil || len(m.season.V) == 0 {
		return Expectation{}
	}
	if e, ok := m.calendarExpect(t); ok {
		return e
	}
	k := m.index(t)
	base := m.level
	if h := k - int64(m.n-1); h > 0 {
		base += m.trend * dampedSum(m.phi, h)
	}
	s := m.season.V[phase(k, m.season.P)]
	v := base + s
	if m.form == HWMultiplicative {
		v = base * s
	}
	sc := m.scale.at(k)
	if !finite(v, sc) {
		return Expectation{}
	}
	return Expectation{Value: v, Scale: m.fl.apply(v, sc), OK: true, Samples: m.points, Source: ModelHoltWinters}
}

// dampedSum is φ + φ² + … + φ^h.
func dampedSum(phi float64, h int64) float64 {
	if phi >= 1 {
		return float64(h)
	}
	return phi * (1 - math.Pow(phi, float64(h))) / (1 - phi)
}

// Describe gives the form, the fitted parameters and the error.
func (m *HWModel) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Holt-Winters %s, alpha %.3g, beta %.3g, gamma %.3g (fitted on %s bins: %.3g, %.3g, %.3g), phi %.4g; one-step RMSE %s",
		m.form, m.alpha, m.beta, m.gamma, time.Duration(m.optBin)*m.step, m.optAlpha, m.optBeta, m.optGa, m.phi, fmtG(math.Sqrt(m.mse)))
	m.describe(&b)
	return b.String()
}

// hwState is the running state of the recursion.
type hwState struct {
	level, trend float64
	season       []float64
}

// hwInit initialises from the first two cycles; ok is false when the
// first cycle has no data or (multiplicative) a non-positive level.
func hwInit(y []float64, P int, mult bool, st *hwState) bool {
	mean := func(lo, hi int) (float64, bool) {
		s, c := 0.0, 0
		for _, v := range y[lo:min(hi, len(y))] {
			if !math.IsNaN(v) {
				s += v
				c++
			}
		}
		return s / float64(max(c, 1)), c > 0
	}
	l0, ok0 := mean(0, P)
	l1, ok1 := mean(P, 2*P)
	if !ok0 || (mult && l0 <= 0) {
		return false
	}
	st.level, st.trend = l0, 0
	if ok1 {
		st.trend = (l1 - l0) / float64(P)
	}
	st.season = st.season[:0]
	for ph := range P {
		v := y[ph]
		ref := l0
		if math.IsNaN(v) && ph+P < len(y) && ok1 {
			v, ref = y[ph+P], l1
		}
		switch {
		case math.IsNaN(v) && mult:
			st.season = append(st.season, 1)
		case math.IsNaN(v):
			st.season = append(st.season, 0)
		case mult:
			st.season = append(st.season, v/ref)
		default:
			st.season = append(st.season, v-ref)
		}
	}
	// The recursion starts at the second cycle; the level estimated over
	// the first cycle sits at its middle.
	st.level += st.trend * float64(P) / 2
	return true
}

// hwRun runs the recursion from the second cycle, returning the sum of
// squared one-step errors and their count; resid (if not nil) receives the
// errors (NaN where missing or in the first cycle). It stops with +Inf on
// a degenerate multiplicative state.
func hwRun(y []float64, P int, mult bool, a, b, g, phi float64, st *hwState, resid []float64) (float64, int) {
	sse, cnt := 0.0, 0
	if resid != nil {
		for k := 0; k < min(P, len(resid)); k++ {
			resid[k] = math.NaN()
		}
	}
	l, tr, season := st.level, st.trend, st.season
	ph := 0
	for k := P; k < len(y); k++ {
		s := season[ph]
		fc := l + phi*tr
		v := y[k]
		if math.IsNaN(v) {
			l, tr = fc, phi*tr
			if resid != nil {
				resid[k] = math.NaN()
			}
		} else {
			var e, nl float64
			if mult {
				if s <= 1e-9 || fc <= 0 {
					return math.Inf(1), cnt
				}
				e = v - fc*s
				nl = a*(v/s) + (1-a)*fc
				if nl <= 0 {
					return math.Inf(1), cnt
				}
				season[ph] = g*(v/nl) + (1-g)*s
			} else {
				e = v - fc - s
				nl = a*(v-s) + (1-a)*fc
				season[ph] = g*(v-nl) + (1-g)*s
			}
			tr = b*(nl-l) + (1-b)*phi*tr
			l = nl
			sse += e * e
			cnt++
			if resid != nil {
				resid[k] = e
			}
		}
		if ph++; ph == P {
			ph = 0
		}
	}
	st.level, st.trend = l, tr
	return sse, cnt
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func logit(p float64) float64 { return math.Log(p / (1 - p)) }

func hwParams(x []float64) (a, b, g float64) {
	a = hwMin + (hwMax-hwMin)*sigmoid(x[0])
	b = hwBetaMax * sigmoid(x[1])
	g = hwMin + (hwMax-hwMin)*sigmoid(x[2])
	return
}

// hwOptimise finds the parameters minimising the one-step SSE of y.
func hwOptimise(y []float64, P int, mult bool) (a, b, g, sse float64, ok bool) {
	var st hwState
	st.season = make([]float64, 0, P)
	var init hwState
	if !hwInit(y, P, mult, &init) {
		return 0, 0, 0, math.Inf(1), false
	}
	f := func(x []float64) float64 {
		a, b, g := hwParams(x)
		st.level, st.trend = init.level, init.trend
		st.season = append(st.season[:0], init.season...)
		sse, cnt := hwRun(y, P, mult, a, b, g, hwPhi, &st, nil)
		if cnt == 0 || math.IsNaN(sse) {
			return math.Inf(1)
		}
		return sse
	}
	x0 := []float64{logit((0.2 - hwMin) / (hwMax - hwMin)), logit(0.01 / hwBetaMax), logit((0.1 - hwMin) / (hwMax - hwMin))}
	settings := &optimize.Settings{
		FuncEvaluations: 250,
		Converger:       &optimize.FunctionConverge{Absolute: 1e-10, Relative: 1e-6, Iterations: 30},
	}
	res, err := optimize.Minimize(optimize.Problem{Func: f}, x0, settings, &optimize.NelderMead{})
	x := x0
	best := f(x0)
	if err == nil || res != nil {
		if res != nil && res.F < best {
			x, best = res.X, res.F
		}
	}
	a, b, g = hwParams(x)
	return a, b, g, best, !math.IsInf(best, 0)
}

// binMeans averages y into bins of f steps (NaN for an empty bin).
func binMeans(y []float64, f int) []float64 {
	if f == 1 {
		return y
	}
	out := make([]float64, (len(y)+f-1)/f)
	for i := range out {
		s, c := 0.0, 0
		for _, v := range y[i*f : min((i+1)*f, len(y))] {
			if !math.IsNaN(v) {
				s += v
				c++
			}
		}
		out[i] = math.NaN()
		if c > 0 {
			out[i] = s / float64(c)
		}
	}
	return out
}

// optBin is the largest divisor f of P with f ≤ ceil(n/hwOptPoints) that
// keeps at least 8 bins per period.
func optBin(n, P int) int {
	limit := (n + hwOptPoints - 1) / hwOptPoints
	best := 1
	for f := 2; f <= limit && P/f >= 8; f++ {
		if P%f == 0 {
			best = f
		}
	}
	return best
}

// fitHW fits Holt–Winters of the given form (additive, multiplicative or
// auto) on the shortest period. It needs at least one period of two
// cycles; ok is false when no form could be fitted (multiplicative asked
// for data that are not positive, or a degenerate history).
func fitHW(p *prepared, form string, sc *scratch) (*HWModel, error) {
	g := &p.g
	P := p.steps[0]
	f := optBin(len(g.v), P)
	yd := binMeans(g.v, f)
	positive := true
	for _, v := range g.v {
		if !math.IsNaN(v) && v <= 0 {
			positive = false
			break
		}
	}
	var forms []bool // multiplicative?
	var notes []string
	switch form {
	case HWAdditive:
		forms = []bool{false}
	case HWMultiplicative:
		if !positive {
			notes = append(notes, "multiplicative Holt-Winters needs positive values; using additive")
			forms = []bool{false}
		} else {
			forms = []bool{true}
		}
	default:
		forms = []bool{false}
		if positive {
			forms = append(forms, true)
		}
	}
	bestSSE := math.Inf(1)
	var bestMult bool
	var ba, bb, bg float64
	for _, mult := range forms {
		a, b, gm, sse, ok := hwOptimise(yd, P/f, mult)
		if ok && sse < bestSSE {
			bestSSE, bestMult, ba, bb, bg = sse, mult, a, b, gm
		}
	}
	if math.IsInf(bestSSE, 0) {
		return nil, fmt.Errorf("fit Holt-Winters: no parameters give a finite error: %w", ErrNotEnoughData)
	}
	m := &HWModel{meta: p.meta, n: len(g.v), optAlpha: ba, optBeta: bb, optGa: bg, optBin: f}
	m.notes = append(m.notes, notes...)
	m.form = HWAdditive
	if bestMult {
		m.form = HWMultiplicative
	}
	inv := 1 / float64(f)
	m.alpha = 1 - math.Pow(1-ba, inv)
	m.beta = 1 - math.Pow(1-bb, inv)
	m.gamma = bg
	m.phi = math.Pow(hwPhi, inv)
	var st hwState
	if !hwInit(g.v, P, bestMult, &st) {
		return nil, fmt.Errorf("fit Holt-Winters: first cycle has no usable data: %w", ErrNotEnoughData)
	}
	resid := floats(&sc.stl, len(g.v))
	sse, cnt := hwRun(g.v, P, bestMult, m.alpha, m.beta, m.gamma, m.phi, &st, resid)
	if math.IsInf(sse, 0) || cnt == 0 {
		return nil, fmt.Errorf("fit Holt-Winters: degenerate %s state at full resolution: %w", m.form, ErrNotEnoughData)
	}
	norm := g.norm
	m.mse = sse / float64(cnt) * norm * norm
	m.level, m.trend = st.level*norm, st.trend*norm
	m.season = season{P: P, V: st.season}
	if !bestMult {
		for i := range m.season.V {
			m.season.V[i] *= norm
		}
	}
	m.scale = scaleProfile(resid, p.steps[:1], norm, sc)
	if !finite(m.level, m.trend) {
		return nil, fmt.Errorf("fit Holt-Winters: state overflowed")
	}
	return m, nil
}

func fmtG(x float64) string { return fmt.Sprintf("%.6g", x) }
