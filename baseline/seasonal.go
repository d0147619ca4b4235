package baseline

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/seismo-dev/seismo/baseline/calendar"
	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/series"
)

// season is one seasonal component: a period of P grid steps divided into
// len(V) equal cells (one cell per step when the history has enough
// samples per phase, coarser otherwise).
type season struct {
	P int       `json:"p"`
	V []float64 `json:"v"`
}

// cell is the cell of phase ph ∈ [0, P).
func (s *season) cell(ph int) int { return int(int64(ph) * int64(len(s.V)) / int64(s.P)) }

// at is the component's value at grid index k.
func (s *season) at(k int64) float64 { return s.V[s.cell(phase(k, s.P))] }

// phase is k mod p in [0, p).
func phase(k int64, p int) int {
	r := int(k % int64(p))
	if r < 0 {
		r += p
	}
	return r
}

// cellsFor is the number of cells for a period of p steps fitted on valid
// samples: one per step when every phase has at least perCell samples,
// else as many as keep perCell samples per cell (at least 1).
func cellsFor(p, valid, perCell int) int {
	if valid >= p*perCell {
		return p
	}
	return max(1, min(p, valid/perCell))
}

// runs returns the first phase of every cell of s, and P at the end, in
// b (len(s.V)+1): cell c covers phases [b[c], b[c+1]), the phases ph
// with cell(ph) = c, whose first is ceil(c·P/len(V)). Fitting loops walk
// these runs instead of dividing per step.
func (s *season) runs(b []int32) []int32 {
	nc := int64(len(s.V))
	for c := range nc {
		b[c] = int32((c*int64(s.P) + nc - 1) / nc)
	}
	b[nc] = int32(s.P)
	return b
}

// floors are the scale floors of the package documentation, in original
// units.
type floors struct {
	Global  float64 `json:"global"`  // GlobalScaleFloor × the robust scale of all values
	Quantum float64 `json:"quantum"` // QuantumScaleFloor for integer data, else 0
	Poisson bool    `json:"poisson"` // non-negative integers: at least sqrt(value) where the data vary
}

func (f floors) apply(value, scale float64) float64 {
	s := max(scale, RelativeScaleFloor*math.Abs(value), f.Global, f.Quantum, MinScale)
	if f.Poisson && scale > 0 {
		s = max(s, math.Sqrt(math.Abs(value)))
	}
	return s
}

// newFloors computes the floors of g's values.
func newFloors(g *grid, sc *scratch) floors {
	vals := sampleInto(sc.smp, g.v, sampleSize)
	var st stat
	st, sc.dev, sc.sel = summarizeOf(vals, sc.dev, sc.sel)
	sc.smp = vals
	f := floors{Global: GlobalScaleFloor * st.scale * g.norm}
	if math.IsNaN(f.Global) || math.IsInf(f.Global, 0) {
		f.Global = 0
	}
	if g.integral {
		f.Quantum = QuantumScaleFloor
		f.Poisson = g.counts
	}
	return f
}

// meta is what every grid-based model (STL, Holt–Winters, EWMA) keeps
// besides its own state: where its grid starts, what it was fitted on,
// the periods it uses, and the calendar fallback.
type meta struct {
	requested string   // Config.Seasonality, or "periods"
	periods   []Period // periods in use
	t0        time.Time
	step      time.Duration
	from, to  time.Time
	points    int
	notes     []string
	fl        floors
	// With a calendar, the model is fitted on full trading days only;
	// other days (holidays, weekends, half days) are answered by a phase
	// model with calendar day classes fitted on the same history.
	cal   *calendar.Calendar
	other *PhaseModel
}

// index is the grid index of t, rounded down.
func (m *meta) index(t time.Time) int64 {
	d := t.Sub(m.t0)
	k := int64(d / m.step)
	if d%m.step < 0 {
		k--
	}
	return k
}

// calendarExpect answers t from the calendar fallback when t is not on a
// full trading day; ok is false when the model itself should answer.
func (m *meta) calendarExpect(t time.Time) (Expectation, bool) {
	if m.cal == nil || m.other == nil || m.cal.DayType(t) == calendar.Trading {
		return Expectation{}, false
	}
	return m.other.Expect(t), true
}

func (m *meta) describe(b *strings.Builder) {
	if len(m.periods) > 0 {
		parts := make([]string, len(m.periods))
		for i, p := range m.periods {
			parts[i] = field.Duration(p.Period).String()
			if p.Strength > 0 {
				parts[i] += fmt.Sprintf(" (strength %.2f)", p.Strength)
			}
		}
		fmt.Fprintf(b, "; periods %s", strings.Join(parts, ", "))
	}
	fmt.Fprintf(b, "; step %s; fitted on %d points from %s to %s", field.Duration(m.step), m.points,
		m.from.UTC().Format(time.RFC3339), m.to.UTC().Format(time.RFC3339))
	if m.cal != nil {
		b.WriteString("; trading calendar: fitted on full trading days, other days use per-phase day classes")
	}
	for _, n := range m.notes {
		b.WriteString("; ")
		b.WriteString(n)
	}
}

// prepared is a history ready for a grid-based model: the grid, the
// periods in grid steps, and the shared metadata.
type prepared struct {
	g     grid
	steps []int // period lengths in grid steps, ascending
	meta  meta
}

// prepare builds the grid of pts, resolves the seasonality of cfg into
// periods (detecting them for auto), drops the periods the history is too
// short for (cold start), fits the calendar fallback, and masks the days
// that are not full trading days. cfg must have defaults applied.
func prepare(pts []series.Point, cfg Config, cal *calendar.Calendar, sc *scratch) (*prepared, error) {
	g, ok := buildGrid(pts, 0, cfg.Exclude, sc)
	if !ok || g.valid < cfg.MinSamples {
		return nil, fmt.Errorf("fit baseline on %d finite points (need %d): %w", g.valid, cfg.MinSamples, ErrNotEnoughData)
	}
	p := &prepared{g: g}
	m := &p.meta
	m.requested, m.t0, m.step, m.from, m.to, m.points = cfg.Seasonality, g.t0, g.step, g.from, g.to, g.valid
	m.fl = newFloors(&g, sc)
	day := 24 * time.Hour
	var want []Period
	switch cfg.Seasonality {
	case SeasonalityDaily:
		want = []Period{{Period: day}}
	case SeasonalityWeekly:
		want = []Period{{Period: day}, {Period: 7 * day}}
	case SeasonalityPeriods:
		for _, d := range cfg.Periods {
			want = append(want, Period{Period: d.Std()})
		}
	case SeasonalityAuto:
		want = detectGrid(&p.g, DetectOptions{}, sc)
		if len(want) == 0 {
			m.notes = append(m.notes, "seasonality auto found no period")
		}
	}
	span := g.span()
	for _, per := range want {
		s := int((per.Period + g.step/2) / g.step)
		switch {
		case s < 2:
			m.notes = append(m.notes, fmt.Sprintf("period %s is shorter than two steps of %s; ignored", field.Duration(per.Period), field.Duration(g.step)))
		case 2*per.Period > span:
			m.notes = append(m.notes, fmt.Sprintf("cold start: %s of history is shorter than two cycles of the %s period; period dropped",
				field.Duration(roundDur(span)), field.Duration(per.Period)))
		default:
			dup := false
			for _, q := range p.steps {
				dup = dup || q == s
			}
			if !dup {
				p.steps = append(p.steps, s)
				m.periods = append(m.periods, per)
			}
		}
	}
	if cal != nil {
		m.cal = cal
		var err error
		pc := Config{Seasonality: SeasonalityDaily, Bucket: cfg.Bucket, MinSamples: cfg.MinSamples, Exclude: cfg.Exclude}
		if m.other, err = FitPhase(pts, pc, cal); err != nil {
			return nil, fmt.Errorf("fit calendar fallback: %w", err)
		}
		if n := p.g.maskNonTrading(cal); n > 0 {
			m.notes = append(m.notes, fmt.Sprintf("%d points on days that are not full trading days kept out of the fit", n))
		}
		if p.g.valid < cfg.MinSamples {
			return nil, fmt.Errorf("fit baseline on %d points of full trading days (need %d): %w", p.g.valid, cfg.MinSamples, ErrNotEnoughData)
		}
	}
	return p, nil
}

// scaleProfile is the residual scale by cell of the shortest period (one
// cell without seasons), each cell holding at least scalePerCell residuals:
// 1.2533 × the mean |residual| of the cell's residuals within 6 median
// absolute residuals (the median taken on a sample of the whole series).
// For Gaussian noise that is the standard deviation, like 1.4826 × MAD,
// but it takes one pass instead of a selection per cell, and the trimming
// keeps past anomalies out of it. Where more than half of the residuals are
// exactly 0 (a mostly-constant count) nothing is trimmed, so the minority
// still counts. resid is in normalized units; the result is not.
func scaleProfile(resid []float64, steps []int, norm float64, sc *scratch) season {
	return scaleProfileOf(resid, nil, nil, false, steps, norm, sc)
}

// scaleProfileOf is scaleProfile of y − T − S (T and S non-nil, resid
// nil), computed where it is read instead of stored first, or of resid
// (T and S nil). complete says y has no NaN (with T and S).
func scaleProfileOf(y, T, S []float64, complete bool, steps []int, norm float64, sc *scratch) season {
	var abs []float64
	if T == nil {
		abs = sampleInto(sc.smp, y, sampleSize)
		for i, e := range abs {
			abs[i] = math.Abs(e)
		}
	} else {
		abs = floats(&sc.smp, 0) // the same stride as sampleInto
		stride := max(1, len(y)/sampleSize)
		for k := 0; k < len(y); k += stride {
			if e := y[k] - T[k] - S[k]; !math.IsNaN(e) {
				abs = append(abs, math.Abs(e))
			}
		}
	}
	sc.smp = abs
	P := 1
	if len(steps) > 0 {
		P = steps[0]
	}
	s := season{P: P, V: []float64{0}}
	if len(abs) == 0 {
		if len(steps) > 0 {
			s.V = make([]float64, cellsFor(P, 0, scalePerCell))
		}
		return s
	}
	var h float64
	h, sc.sel = medianOf(abs, sc.sel)
	h *= 6
	if h == 0 {
		h = math.Inf(1)
	}
	// Sums and counts by phase, in loops over whole cycles with no
	// dependency from step to step, then by cell; the residuals present
	// are counted in the same pass.
	cb := floats(&sc.cells, 2*P)
	sum, cnt := cb[:P], cb[P:]
	clear(cb)
	n := len(y)
	valid := 0
	for base := 0; base < n; base += P {
		rs := y[base:min(base+P, n)]
		sm, cn := sum[:len(rs)], cnt[:len(rs)]
		if T == nil {
			for i, e := range rs {
				if a := math.Abs(e); a < h { // false for NaN
					sm[i] += a
					cn[i]++
				}
				if e == e {
					valid++
				}
			}
			continue
		}
		ts, ss := T[base:base+len(rs)], S[base:base+len(rs)]
		if complete {
			trimmedAbsSums(sm, cn, rs, ts, ss, h)
			valid += len(rs)
			continue
		}
		for i, v := range rs {
			e := v - ts[i] - ss[i]
			if a := math.Abs(e); a < h { // false for NaN
				sm[i] += a
				cn[i]++
			}
			if e == e {
				valid++
			}
		}
	}
	if len(steps) > 0 {
		s.V = make([]float64, cellsFor(P, valid, scalePerCell))
	}
	nc := len(s.V)
	runs := s.runs(ints(&sc.runs, nc+1))
	var tsum, tcnt float64
	for c := range nc {
		var sv, cv float64
		for ph := runs[c]; ph < runs[c+1]; ph++ {
			sv += sum[ph]
			cv += cnt[ph]
		}
		sum[c], cnt[c] = sv, cv // cell c starts at phase runs[c] ≥ c
		tsum += sv
		tcnt += cv
	}
	all := tsum / max(tcnt, 1)
	for c := range nc {
		v := all
		if cnt[c] > 0 {
			v = sum[c] / cnt[c]
		}
		s.V[c] = meanADToSigma * v * norm
	}
	return s
}

// trimmedAbsSums adds a = |y[i] − t[i] − s[i]| to sm[i] and 1 to cn[i]
// where a < h (y without NaN). A leaf function, so that its loop keeps
// its slices in registers.
func trimmedAbsSums(sm, cn, y, t, s []float64, h float64) {
	sm, cn, t, s = sm[:len(y)], cn[:len(y)], t[:len(y)], s[:len(y)]
	for i, v := range y {
		if a := math.Abs(v - t[i] - s[i]); a < h {
			sm[i] += a
			cn[i]++
		}
	}
}

// sampleSize bounds the values behind global summaries (scale floors,
// robustness weights): a fixed-stride sample, deterministic, estimates a
// median well enough and keeps the selection off the profile.
const sampleSize = 4096

// sampleInto returns the finite values of v, or an evenly strided sample
// of about n of them, appended to buf[:0].
func sampleInto(buf, v []float64, n int) []float64 {
	stride := max(1, len(v)/n)
	out := buf[:0]
	if cap(out) < min(len(v), n+1) {
		out = make([]float64, 0, min(len(v), n+1))
	}
	for i := 0; i < len(v); i += stride {
		if x := v[i]; !math.IsNaN(x) {
			out = append(out, x)
		}
	}
	return out
}

// scalePerCell is the least number of residuals behind a scale estimate.
const scalePerCell = 30

// finite reports whether every x is finite.
func finite(xs ...float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// modelBytes estimates the memory a fitted model holds (its slices and
// fixed fields; strings and the shared calendar are not counted), for the
// memory benchmark.
func modelBytes(m Model) int {
	const f = 8
	seasonBytes := func(s season) int { return 16 + f*len(s.V) }
	metaBytes := func(m *meta) int {
		n := 256 + 32*len(m.periods)
		if m.other != nil {
			n += modelBytes(m.other)
		}
		return n
	}
	switch m := m.(type) {
	case *Anchored:
		return 48 + modelBytes(m.Base)
	case *STLModel:
		n := metaBytes(&m.meta) + 64 + f*len(m.knots) + seasonBytes(m.scale)
		for _, s := range m.seasons {
			n += seasonBytes(s)
		}
		return n
	case *HWModel:
		return metaBytes(&m.meta) + 128 + seasonBytes(m.season) + seasonBytes(m.scale)
	case *EWMAModel:
		return metaBytes(&m.meta) + 32
	case *PhaseModel:
		n := 512
		for _, row := range m.cells {
			n += 24 + len(row)*32
		}
		for _, row := range m.phases {
			for _, s := range row {
				n += 16 + len(s)
			}
		}
		return n
	}
	return 0
}
