package baseline

import (
	"math"
	"strings"
	"time"
)

// STLModel is a seasonal-trend decomposition y = trend + Σ seasons +
// remainder, in the spirit of STL (Cleveland et al., 1990) but built for
// speed on long regular series:
//
//   - the trend is a moving average over the longest period (which
//     cancels every season whose period divides it), computed with
//     running sums in O(n);
//   - each season is the mean of the detrended, other-seasons-removed
//     values at each of its phases (cells of several steps when a phase
//     has fewer than 8 samples), lightly smoothed around the cycle when a
//     cell has fewer than 30 samples, and centred to mean zero;
//   - trend and seasons are refined by backfitting, then once more with
//     bisquare robustness weights from the remainder (its median taken on
//     a fixed-stride sample of at most 4096 points), so past anomalies
//     barely move the fit;
//   - the scale is the trimmed mean absolute remainder per cell of the
//     shortest period (see scaleProfile; at least 30 remainders per
//     cell), with the scale floors of the package documentation.
//
// Expect(t) is trend(t) + Σ season_i(phase_i(t)): inside the history the
// trend is interpolated between knots (at most 64), after it the trend
// stays at its last value (no extrapolated slope: a baseline should not
// run away on a guess). Phases count grid steps from the first sample, so
// periods are in absolute time (a daylight-saving change shifts local
// patterns by an hour until the next fit; PhaseModel follows local time).
type STLModel struct {
	meta
	seasons  []season // normalised units × norm = original units
	knots    []float64
	knotStep int
	n        int // grid length
	level    float64
	scale    season
}

// Name returns "stl".
func (m *STLModel) Name() string { return ModelSTL }

// Expect is O(1) and does not allocate.
func (m *STLModel) Expect(t time.Time) Expectation {
	if m == nil || len(m.knots) == 0 {
		return Expectation{}
	}
	if e, ok := m.calendarExpect(t); ok {
		return e
	}
	k := m.index(t)
	v := m.trendAt(k)
	for i := range m.seasons {
		v += m.seasons[i].at(k)
	}
	sc := m.scale.at(k)
	if !finite(v, sc) {
		return Expectation{}
	}
	return Expectation{Value: v, Scale: m.fl.apply(v, sc), OK: true, Samples: m.points, Source: ModelSTL}
}

// expectAhead is the expectation as the model sees the future: the final
// level with the seasons, whatever the trend was at t. Re-anchoring at fit
// time measures the recent residuals against it, so that the part of a
// recent shift the trend already absorbed is not counted twice.
func (m *STLModel) expectAhead(t time.Time) Expectation {
	e := m.Expect(t)
	if e.OK && e.Source == ModelSTL {
		k := m.index(t)
		e.Value += m.level - m.trendAt(k)
	}
	return e
}

func (m *STLModel) trendAt(k int64) float64 {
	last := int64(m.n - 1)
	switch {
	case k >= last:
		return m.level
	case k <= 0:
		return m.knots[0]
	}
	i := k / int64(m.knotStep)
	lo := i * int64(m.knotStep)
	hi := min(lo+int64(m.knotStep), last)
	if int(i+1) >= len(m.knots) || hi == lo {
		return m.knots[i]
	}
	f := float64(k-lo) / float64(hi-lo)
	return m.knots[i]*(1-f) + m.knots[i+1]*f
}

// Describe says what the decomposition found.
func (m *STLModel) Describe() string {
	var b strings.Builder
	b.WriteString("seasonal-trend decomposition")
	m.describe(&b)
	b.WriteString("; level ")
	b.WriteString(fmtG(m.level))
	return b.String()
}

// fitSTL decomposes the prepared grid. It needs at least one period.
func fitSTL(p *prepared) *STLModel {
	g := &p.g
	y := g.v
	n := len(y)
	m := &STLModel{meta: p.meta, n: n}
	window := p.steps[len(p.steps)-1]
	w := make([]float64, n)
	for k, v := range y {
		if !math.IsNaN(v) {
			w[k] = 1
		}
	}
	seasons := make([]season, len(p.steps))
	tables := make([][]int32, len(p.steps))
	for i, s := range p.steps {
		seasons[i] = season{P: s, V: make([]float64, cellsFor(s, g.valid, 8))}
		tables[i] = seasons[i].cellTable()
	}
	S := make([]float64, n) // Σ seasons at k
	T := make([]float64, n)
	r := make([]float64, n)
	movingAverage(T, y, S, w, window)
	for _, robust := range []bool{false, true} {
		if robust {
			robustWeights(w, y, T, S, r)
		}
		for i := range seasons {
			updateSeason(&seasons[i], tables[i], y, T, S, w, g.valid)
		}
		movingAverage(T, y, S, w, window)
	}
	for k := range r {
		r[k] = y[k] - T[k] - S[k]
	}
	m.scale = scaleProfile(r, p.steps, g.norm)
	norm := g.norm
	for i := range seasons {
		for c := range seasons[i].V {
			seasons[i].V[c] *= norm
		}
	}
	m.seasons = seasons
	m.knotStep = max(1, (n+63)/64)
	for k := 0; ; k += m.knotStep {
		if k >= n-1 {
			m.knots = append(m.knots, T[n-1]*norm)
			break
		}
		m.knots = append(m.knots, T[k]*norm)
	}
	m.level = T[n-1] * norm
	return m
}

// movingAverage sets T to the centred weighted moving average of y − S
// over window steps (shrinking at the ends), skipping zero weights; where
// a window holds no weight, T keeps the previous value.
func movingAverage(T, y, S, w []float64, window int) {
	n := len(y)
	half := window / 2
	// Weighted values once, so the window loop only adds and subtracts.
	var sum, wsum float64
	for k := 0; k < min(half, n); k++ {
		if wk := w[k]; wk > 0 {
			sum += wk * (y[k] - S[k])
			wsum += wk
		}
	}
	prev := math.NaN()
	for k := range n {
		if j := k + half; j < n {
			if wj := w[j]; wj > 0 {
				sum += wj * (y[j] - S[j])
				wsum += wj
			}
		}
		if j := k - half - 1; j >= 0 {
			if wj := w[j]; wj > 0 {
				sum -= wj * (y[j] - S[j])
				wsum -= wj
			}
		}
		if wsum > 1e-9 {
			T[k] = sum / wsum
			if math.IsNaN(prev) {
				// Fill a leading empty stretch with the first value.
				for j := 0; j < k; j++ {
					T[j] = T[k]
				}
			}
		} else {
			T[k] = prev
		}
		prev = T[k]
	}
	if math.IsNaN(prev) {
		clear(T)
	}
}

// updateSeason re-estimates s from y − T − (S − s) and updates S.
func updateSeason(s *season, table []int32, y, T, S, w []float64, valid int) {
	nc := len(s.V)
	sum := make([]float64, nc)
	cnt := make([]float64, nc)
	ph := 0
	for k, v := range y {
		if wk := w[k]; wk > 0 {
			c := table[ph]
			sum[c] += wk * (v - T[k] - S[k] + s.V[c])
			cnt[c] += wk
		}
		if ph++; ph == s.P {
			ph = 0
		}
	}
	nv := make([]float64, nc)
	for c := range nv {
		if cnt[c] > 0 {
			nv[c] = sum[c] / cnt[c]
		} else {
			nv[c] = s.V[c]
		}
	}
	// Light smoothing around the cycle when cells are thin.
	if per := valid / nc; per < scalePerCell && nc >= 24 {
		width := min(5, (scalePerCell+per-1)/max(per, 1))
		if width%2 == 0 {
			width++
		}
		nv = circularMean(nv, width)
	}
	// Centre: a season carries no level.
	mean := 0.0
	for ph := range s.P {
		mean += nv[table[ph]]
	}
	mean /= float64(s.P)
	for c := range nv {
		nv[c] -= mean
	}
	ph = 0
	for k := range S {
		c := table[ph]
		S[k] += nv[c] - s.V[c]
		if ph++; ph == s.P {
			ph = 0
		}
	}
	s.V = nv
}

// circularMean is the moving mean of v over width cells, wrapping around.
func circularMean(v []float64, width int) []float64 {
	n := len(v)
	half := width / 2
	out := make([]float64, n)
	sum := 0.0
	for d := -half; d <= half; d++ {
		sum += v[(d%n+n)%n]
	}
	for i := range n {
		out[i] = sum / float64(width)
		sum -= v[((i-half)%n+n)%n]
		sum += v[(i+half+1)%n]
	}
	return out
}

// robustWeights sets bisquare weights from the remainder y − T − S:
// w = (1 − (r/6M)²)² with M the median |r|; missing values keep 0.
func robustWeights(w, y, T, S, r []float64) {
	for k, v := range y {
		r[k] = math.Abs(v - T[k] - S[k]) // NaN where missing
	}
	h := 6 * median(sample(r, sampleSize))
	for k, v := range y {
		if math.IsNaN(v) {
			w[k] = 0
			continue
		}
		if h <= 0 {
			w[k] = 1
			continue
		}
		u := (v - T[k] - S[k]) / h
		if u >= 1 || u <= -1 {
			w[k] = 0
		} else {
			w[k] = (1 - u*u) * (1 - u*u)
		}
	}
}
