package baseline

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/seismo-dev/seismo/baseline/calendar"
	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/series"
)

// Model gives the expected value and scale of a series at any instant.
type Model interface {
	// Name is the model kind ("phase").
	Name() string
	// Expect returns the expectation at t, past or future.
	Expect(t time.Time) Expectation
	// Describe says, for humans, what the model learned and which
	// fallbacks it used.
	Describe() string
}

// Expectation is what a model expects at one instant.
type Expectation struct {
	Value float64 // expected value (median)
	Scale float64 // robust standard deviation, > 0 when OK
	OK    bool    // false when the model cannot judge t
	// Samples is how many history samples the estimate rests on.
	Samples int
	// Phase names the key, e.g. "mon 09:30" or "non-trading 02:00".
	Phase string
	// Source is the fallback level used: "bucket", "neighbours",
	// "pooled" or "global".
	Source string
}

// ErrNotEnoughData is returned (wrapped) by Fit when the history has fewer
// finite points than MinSamples.
var ErrNotEnoughData = errors.New("not enough data")

// Level is the fallback level of a phase cell.
type Level uint8

// Fallback levels, from the most to the least specific.
const (
	LevelBucket     Level = iota // the key's own samples
	LevelNeighbours              // same day class, buckets ±1
	LevelPooled                  // pooled days at that bucket (see package doc)
	LevelGlobal                  // the global median and scale
	numLevels
)

var levelNames = [numLevels]string{"bucket", "neighbours", "pooled", "global"}

// String returns the level's name.
func (l Level) String() string {
	if l < numLevels {
		return levelNames[l]
	}
	return fmt.Sprintf("Level(%d)", uint8(l))
}

// cell is the resolved expectation of one (class, bucket) key.
type cell struct {
	Value, Scale float64
	N            int
	Level        Level
}

// classKind tells the fallback rules how a day class behaves.
type classKind uint8

const (
	kindTrading    classKind = iota // a trading weekday, "trading" or "all"
	kindHalfDay                     // calendar half days
	kindNonTrading                  // calendar holidays and non-trading weekdays
)

// Class names.
const (
	classAll        = "all"
	classTrading    = "trading"
	classHalfDay    = "half-day"
	classNonTrading = "non-trading"
)

var weekdayClass = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// PhaseModel is the robust per-phase baseline built by Fit. It is
// immutable, safe for concurrent use, and JSON-serialisable (see
// MarshalJSON and UnmarshalModel).
type PhaseModel struct {
	requested   string // Config.Seasonality
	seasonality string // effective: weekly, daily or none
	bucket      time.Duration
	minSamples  int
	loc         *time.Location
	cal         *calendar.Calendar // nil without a calendar
	from, to    time.Time
	points      int
	notes       []string // cold-start and other remarks for Describe
	quantum     float64  // QuantumScaleFloor for integer data, else 0 (fit time only)
	poisson     bool     // non-negative integer data: Poisson floor sqrt(median) (fit time only)

	classes []string
	kinds   []classKind
	cells   [][]cell // [class][bucket]
	global  cell

	// Derived, not persisted: class index by weekday and by kind,
	// bucket labels for Expectation.Phase.
	byWeekday  [7]int
	halfDay    int        // -1 if none
	nonTrading int        // -1 if none
	labels     []string   // by bucket: "09:30"
	phases     [][]string // by class and bucket: "mon 09:30"
}

// FitPhase is Fit returning the concrete model.
func FitPhase(pts []series.Point, cfg Config, cal *calendar.Calendar) (*PhaseModel, error) {
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("baseline config: %w", err)
	}
	m := &PhaseModel{
		requested:  cfg.Seasonality,
		bucket:     cfg.Bucket.Std(),
		minSamples: cfg.MinSamples,
		cal:        cal,
		loc:        time.UTC,
	}
	switch {
	case cal != nil:
		m.loc = cal.Location()
	case cfg.Timezone != "":
		m.loc, _ = time.LoadLocation(cfg.Timezone) // checked by Validate
	}

	if len(cfg.Exclude) > 0 {
		kept := make([]series.Point, 0, len(pts))
		for _, p := range pts {
			if !excluded(p.T, cfg.Exclude) {
				kept = append(kept, p)
			}
		}
		m.notes = append(m.notes, fmt.Sprintf("%d points in %d noise ranges kept out of the fit", len(pts)-len(kept), len(cfg.Exclude)))
		pts = kept
	}

	vals := make([]float64, 0, len(pts))
	integral := true // all values are integers
	counts := true   // and non-negative: event counts
	var gaps []time.Duration
	var prev time.Time
	for _, p := range pts {
		if math.IsNaN(p.V) || math.IsInf(p.V, 0) {
			continue
		}
		if m.points == 0 || p.T.Before(m.from) {
			m.from = p.T
		}
		if m.points == 0 || p.T.After(m.to) {
			m.to = p.T
		}
		if m.points > 0 && p.T.After(prev) {
			gaps = append(gaps, p.T.Sub(prev))
		}
		prev = p.T
		m.points++
		vals = append(vals, p.V)
		integral = integral && p.V == math.Trunc(p.V)
		counts = counts && p.V >= 0
	}
	if m.points < m.minSamples {
		return nil, fmt.Errorf("fit baseline on %d finite points (need %d): %w", m.points, m.minSamples, ErrNotEnoughData)
	}

	// Cold start: the covered history is the span plus one typical step,
	// so 14 days of 1m samples count as 14 days, not 14 days minus 1m.
	covered := m.to.Sub(m.from)
	if len(gaps) > 0 {
		slices.Sort(gaps)
		covered += gaps[len(gaps)/2]
	}
	m.seasonality = cfg.Seasonality
	if m.seasonality == SeasonalityAuto || m.seasonality == SeasonalityPeriods {
		m.seasonality = phaseSeasonality(pts, cfg, &m.notes)
	}
	requested := m.seasonality
	if m.seasonality == SeasonalityWeekly && covered < 14*24*time.Hour {
		m.seasonality = SeasonalityDaily
	}
	if m.seasonality == SeasonalityDaily && covered < 48*time.Hour {
		m.seasonality = SeasonalityNone
	}
	if m.seasonality != requested {
		need := map[string]string{SeasonalityWeekly: "two weeks", SeasonalityDaily: "two days"}[requested]
		using := map[string]string{SeasonalityDaily: "daily seasonality", SeasonalityNone: "the global median"}[m.seasonality]
		m.notes = append(m.notes, fmt.Sprintf("cold start: %s of history is shorter than the %s %s seasonality needs; using %s",
			field.Duration(roundDur(covered)), need, requested, using))
	}
	m.setupClasses()

	// Global summary. summarize reorders its input, so keep vals intact
	// for the mean-deviation fallback and group membership below.
	scratch := slices.Clone(vals)
	gs, buf := summarize(scratch, nil)
	globalScale := gs.scale
	switch {
	case integral && counts:
		m.quantum, m.poisson = QuantumScaleFloor, true
		m.notes = append(m.notes, "non-negative integer values (counts): scale at least max(1, sqrt(median))")
	case integral:
		m.quantum = QuantumScaleFloor
		m.notes = append(m.notes, fmt.Sprintf("integer values: scale at least %g", m.quantum))
	}
	// The global cell is the last resort and the cold-start model: it
	// cannot tell day from night, so its scale also covers the 1st-99th
	// percentile range rather than only the MAD of the majority.
	ts := tailScale(scratch, gs.median)
	m.global = cell{Value: gs.median, Scale: m.floor(gs.median, max(globalScale, ts), globalScale), N: gs.n, Level: LevelGlobal}
	if m.seasonality == SeasonalityNone {
		m.cells = [][]cell{{m.global}}
		return m, nil
	}

	nb := m.buckets()
	nc := len(m.classes)
	groups := make([][]float64, nc*nb)
	i := 0
	for _, p := range pts {
		if math.IsNaN(p.V) || math.IsInf(p.V, 0) {
			continue
		}
		c, b := m.key(p.T)
		groups[c*nb+b] = append(groups[c*nb+b], vals[i])
		i++
	}

	// summary computes a stat over the union of some groups, reusing
	// scratch buffers.
	var pool []float64
	summary := func(keys ...int) stat {
		pool = pool[:0]
		for _, k := range keys {
			pool = append(pool, groups[k]...)
		}
		var s stat
		s, buf = summarize(pool, buf)
		return s
	}
	mk := func(s stat, l Level) cell {
		return cell{Value: s.median, Scale: m.floor(s.median, s.scale, globalScale), N: s.n, Level: l}
	}
	// Every key's own summary, needed for the pooled residual scale.
	own := make([]stat, nc*nb)
	for k := range own {
		own[k] = summary(k)
	}
	// residualScale is 1.4826 × the median absolute residual of the key
	// and its ±residualWindow neighbours in the same class, each residual taken from
	// its own bucket's median (neighbours only when they have MinSamples
	// themselves). The MAD of a dozen samples is a noisy estimate whose
	// low draws cause false alarms; seven buckets' residuals multiply the
	// sample while the trend between buckets stays out of it, and the
	// median ignores a minority of odd neighbours (quiet buckets before
	// the open).
	residualScale := func(c, b int) float64 {
		pool = pool[:0]
		for d := -residualWindow; d <= residualWindow; d++ {
			nbh := ((b+d)%nb + nb) % nb
			k := c*nb + nbh
			if d != 0 && (nb <= 2*residualWindow || own[k].n < m.minSamples) {
				continue
			}
			for _, x := range groups[k] {
				pool = append(pool, math.Abs(x-own[k].median))
			}
		}
		// A new point deviates from the estimated median by its own noise
		// plus the median's error, whose variance is about (π/2)·σ²/n.
		return madToSigma * median(pool) * math.Sqrt(1+math.Pi/2/float64(own[c*nb+b].n))
	}

	var trading []int
	for c, k := range m.kinds {
		if k == kindTrading {
			trading = append(trading, c)
		}
	}
	pooledTrading := make(map[int]cell) // by bucket, computed lazily
	tradingAt := func(b int) cell {
		if c, ok := pooledTrading[b]; ok {
			return c
		}
		keys := make([]int, len(trading))
		for i, c := range trading {
			keys[i] = c*nb + b
		}
		c := m.global
		if s := summary(keys...); s.n >= m.minSamples {
			c = mk(s, LevelPooled)
		}
		pooledTrading[b] = c
		return c
	}
	var classPool cell // the non-trading class over all buckets
	if m.nonTrading >= 0 {
		keys := make([]int, nb)
		for b := range keys {
			keys[b] = m.nonTrading*nb + b
		}
		classPool = m.global
		if s := summary(keys...); s.n >= m.minSamples {
			classPool = mk(s, LevelPooled)
		}
	}

	m.cells = make([][]cell, nc)
	// Half days are resolved last: they borrow resolved cells of the
	// other classes.
	order := make([]int, 0, nc)
	for c := range nc {
		if c != m.halfDay {
			order = append(order, c)
		}
	}
	if m.halfDay >= 0 {
		order = append(order, m.halfDay)
	}
	var sessions []calendar.Session
	if cal != nil {
		sessions = cal.Sessions()
	}
	for _, c := range order {
		m.cells[c] = make([]cell, nb)
		for b := range nb {
			if s := own[c*nb+b]; s.n >= m.minSamples {
				x := mk(s, LevelBucket)
				// The own MAD still counts: a bucket noisier than its
				// neighbours (an opening auction) keeps its wider scale.
				x.Scale = max(x.Scale, residualScale(c, b))
				m.cells[c][b] = x
				continue
			}
			if nb >= 3 {
				if s := summary(c*nb+(b+nb-1)%nb, c*nb+b, c*nb+(b+1)%nb); s.n >= m.minSamples {
					m.cells[c][b] = mk(s, LevelNeighbours)
					continue
				}
			}
			var fb cell
			switch m.kinds[c] {
			case kindTrading:
				fb = m.global
				if len(trading) > 1 {
					fb = tradingAt(b)
				}
			case kindNonTrading:
				fb = classPool
			case kindHalfDay:
				// A half day trades like a trading day inside its (first)
				// session and is quiet like a non-trading day outside it.
				mid := time.Duration(b)*m.bucket + m.bucket/2
				inSession := len(sessions) == 0 || (mid >= sessions[0].Start && mid < sessions[0].End)
				switch {
				case inSession && len(trading) > 1:
					fb = tradingAt(b)
				case inSession && len(trading) == 1:
					fb = m.cells[trading[0]][b]
				case m.nonTrading >= 0:
					fb = m.cells[m.nonTrading][b]
				default:
					fb = m.global
				}
			}
			if fb.Level < LevelPooled {
				fb.Level = LevelPooled
			}
			m.cells[c][b] = fb
		}
	}
	return m, nil
}

// phaseSeasonality maps detected (auto) or fixed periods onto what a
// phase model can represent: weekly with a 7d period, daily with 1d or a
// period dividing 1d (time-of-day buckets repeat it), else none. Notes
// record what was found and what was not representable.
func phaseSeasonality(pts []series.Point, cfg Config, notes *[]string) string {
	var periods []time.Duration
	if cfg.Seasonality == SeasonalityPeriods {
		for _, d := range cfg.Periods {
			periods = append(periods, d.Std())
		}
	} else {
		found := DetectSeasonality(pts, 0, DetectOptions{Exclude: cfg.Exclude})
		var parts []string
		for _, p := range found {
			periods = append(periods, p.Period)
			parts = append(parts, fmt.Sprintf("%s (strength %.2f)", field.Duration(p.Period), p.Strength))
		}
		if len(parts) == 0 {
			parts = []string{"no period"}
		}
		*notes = append(*notes, "seasonality auto found "+strings.Join(parts, ", "))
	}
	day := 24 * time.Hour
	out := SeasonalityNone
	for _, p := range periods {
		switch {
		case p == 7*day:
			out = SeasonalityWeekly
		case p <= day && day%p == 0 && out == SeasonalityNone:
			out = SeasonalityDaily
		default:
			*notes = append(*notes, fmt.Sprintf("period %s is not a day or a week; the phase model ignores it", field.Duration(p)))
		}
	}
	return out
}

// residualWindow is how many buckets either side of a key contribute
// residuals to its scale. Measured on the weekly synthetic profile (20
// seeds × one week of 5m points at default sensitivity) the false-positive
// rate was 0.2% with the key's own MAD alone, 0.08% with ±1 buckets and
// 0.02% with ±3 (with the median-error term below in both of the latter).
const residualWindow = 3

// floor applies the scale floor of the package documentation.
func (m *PhaseModel) floor(med, scale, globalScale float64) float64 {
	f := max(scale, RelativeScaleFloor*math.Abs(med), GlobalScaleFloor*globalScale, m.quantum, MinScale)
	if m.poisson && scale > 0 {
		// Only where the counts vary: a count stuck at 100 for weeks is
		// not Poisson noise, and 110 is news.
		f = max(f, math.Sqrt(math.Abs(med)))
	}
	return f
}

func roundDur(d time.Duration) time.Duration {
	if d >= time.Hour {
		return d.Round(time.Hour)
	}
	return d.Round(time.Minute)
}

// buckets is the number of time-of-day buckets (1 without seasonality).
func (m *PhaseModel) buckets() int {
	if m.seasonality == SeasonalityNone {
		return 1
	}
	return int(24 * time.Hour / m.bucket)
}

// setupClasses derives the day classes from the effective seasonality and
// the calendar, and the lookup tables that Expect uses.
func (m *PhaseModel) setupClasses() {
	m.classes, m.kinds = nil, nil
	add := func(name string, k classKind) int {
		m.classes = append(m.classes, name)
		m.kinds = append(m.kinds, k)
		return len(m.classes) - 1
	}
	m.halfDay, m.nonTrading = -1, -1
	switch {
	case m.seasonality == SeasonalityNone:
		all := add(classAll, kindTrading)
		m.byWeekday = [7]int{all, all, all, all, all, all, all}
	case m.seasonality == SeasonalityWeekly:
		// Monday first, for readable descriptions.
		for i := range 7 {
			wd := time.Weekday((i + 1) % 7)
			m.byWeekday[wd] = -1
			if m.cal == nil || m.cal.TradesOn(wd) {
				m.byWeekday[wd] = add(weekdayClass[wd], kindTrading)
			}
		}
	default: // daily
		name := classAll
		if m.cal != nil {
			name = classTrading
		}
		c := add(name, kindTrading)
		m.byWeekday = [7]int{c, c, c, c, c, c, c}
	}
	if m.cal != nil && m.seasonality != SeasonalityNone {
		m.halfDay = add(classHalfDay, kindHalfDay)
		m.nonTrading = add(classNonTrading, kindNonTrading)
	}
	nb := m.buckets()
	m.labels = make([]string, nb)
	for b := range nb {
		d := time.Duration(b) * m.bucket
		m.labels[b] = fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	// Phase names are built once so that Expect does not allocate.
	m.phases = make([][]string, len(m.classes))
	for c, name := range m.classes {
		m.phases[c] = make([]string, nb)
		for b := range nb {
			m.phases[c][b] = name
			if m.seasonality != SeasonalityNone {
				m.phases[c][b] += " " + m.labels[b]
			}
		}
	}
}

// key returns the (class, bucket) of t.
func (m *PhaseModel) key(t time.Time) (class, bucket int) {
	if m.seasonality == SeasonalityNone {
		return 0, 0
	}
	lt := t.In(m.loc)
	h, mi, s := lt.Clock()
	off := time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute + time.Duration(s)*time.Second
	bucket = int(off / m.bucket)
	if m.cal != nil {
		switch m.cal.DayType(lt) {
		case calendar.Holiday, calendar.Weekend:
			return m.nonTrading, bucket
		case calendar.HalfDay:
			return m.halfDay, bucket
		}
	}
	class = m.byWeekday[lt.Weekday()]
	if class < 0 {
		// A calendar weekday that trades only through an explicit date
		// cannot reach here (half days are their own class); be safe.
		class = m.nonTrading
	}
	return class, bucket
}

// Name returns "phase".
func (m *PhaseModel) Name() string { return "phase" }

// Seasonality returns the effective seasonality after cold-start
// degradation: "weekly", "daily" or "none".
func (m *PhaseModel) Seasonality() string { return m.seasonality }

// Expect returns the resolved expectation of t's phase key. It is OK for
// every t once the model is fitted.
func (m *PhaseModel) Expect(t time.Time) Expectation {
	if m == nil || len(m.cells) == 0 {
		return Expectation{}
	}
	c, b := m.key(t)
	if c < 0 || c >= len(m.cells) || b < 0 || b >= len(m.cells[c]) {
		return Expectation{}
	}
	x := m.cells[c][b]
	return Expectation{Value: x.Value, Scale: x.Scale, OK: true, Samples: x.N, Phase: m.phases[c][b], Source: x.Level.String()}
}

// Describe summarises the model: seasonality, classes, buckets per
// fallback level, and any cold-start degradation.
func (m *PhaseModel) Describe() string {
	var b strings.Builder
	if m.seasonality == SeasonalityNone {
		b.WriteString("no seasonality (global median)")
	} else {
		fmt.Fprintf(&b, "%s seasonality, %s buckets in %s", m.seasonality, field.Duration(m.bucket), m.loc)
		if m.cal != nil {
			b.WriteString(" with trading calendar")
		}
		fmt.Fprintf(&b, "; day classes %s", strings.Join(m.classes, ", "))
	}
	fmt.Fprintf(&b, "; fitted on %d points from %s to %s", m.points, m.from.UTC().Format(time.RFC3339), m.to.UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "; global median %.6g, scale %.6g", m.global.Value, m.global.Scale)
	if m.seasonality != SeasonalityNone {
		var count [numLevels]int
		byClass := make([][numLevels]int, len(m.classes))
		total := 0
		for c, row := range m.cells {
			for _, x := range row {
				count[x.Level]++
				byClass[c][x.Level]++
				total++
			}
		}
		fmt.Fprintf(&b, "; %d buckets: %d own samples", total, count[LevelBucket])
		for l := LevelNeighbours; l < numLevels; l++ {
			if count[l] == 0 {
				continue
			}
			var parts []string
			for c, n := range byClass {
				if n[l] > 0 {
					parts = append(parts, fmt.Sprintf("%s %d", m.classes[c], n[l]))
				}
			}
			fmt.Fprintf(&b, ", %d fell back to %s (%s)", count[l], l, strings.Join(parts, ", "))
		}
	}
	for _, n := range m.notes {
		b.WriteString("; ")
		b.WriteString(n)
	}
	return b.String()
}

// modelJSON is the persisted form of a PhaseModel. Cells are stored as
// [value, scale, samples, level] arrays to keep 1m-bucket models compact.
type modelJSON struct {
	Model       string           `json:"model"`
	Kind        string           `json:"kind"`
	Version     int              `json:"version"`
	Requested   string           `json:"requested_seasonality"`
	Seasonality string           `json:"seasonality"`
	Bucket      string           `json:"bucket"`
	MinSamples  int              `json:"min_samples"`
	Timezone    string           `json:"timezone"`
	Calendar    *calendar.Config `json:"calendar,omitempty"`
	From        time.Time        `json:"from"`
	To          time.Time        `json:"to"`
	Points      int              `json:"points"`
	Notes       []string         `json:"notes,omitempty"`
	Classes     []string         `json:"classes"`
	Global      [4]float64       `json:"global"`
	Cells       [][][4]float64   `json:"cells"`
}

const modelVersion = 1

func (c cell) array() [4]float64 { return [4]float64{c.Value, c.Scale, float64(c.N), float64(c.Level)} }

func cellFrom(a [4]float64) (cell, error) {
	if math.IsNaN(a[0]) || math.IsNaN(a[1]) || a[1] <= 0 || a[2] < 0 || a[3] < 0 || a[3] >= float64(numLevels) {
		return cell{}, fmt.Errorf("invalid cell %v", a)
	}
	return cell{Value: a[0], Scale: a[1], N: int(a[2]), Level: Level(a[3])}, nil
}

// MarshalJSON persists the fitted model, including the calendar it was
// fitted with, so UnmarshalModel can restore it without refitting.
func (m *PhaseModel) MarshalJSON() ([]byte, error) {
	j := modelJSON{
		Model: m.Name(), Kind: m.Name(), Version: modelVersion,
		Requested: m.requested, Seasonality: m.seasonality,
		Bucket: m.bucket.String(), MinSamples: m.minSamples, Timezone: m.loc.String(),
		From: m.from, To: m.to, Points: m.points, Notes: m.notes,
		Classes: m.classes, Global: m.global.array(),
	}
	if m.cal != nil {
		cfg := m.cal.Config()
		j.Calendar = &cfg
	}
	j.Cells = make([][][4]float64, len(m.cells))
	for c, row := range m.cells {
		j.Cells[c] = make([][4]float64, len(row))
		for b, x := range row {
			j.Cells[c][b] = x.array()
		}
	}
	return json.Marshal(j)
}

// UnmarshalJSON restores a model written by MarshalJSON.
func (m *PhaseModel) UnmarshalJSON(data []byte) error {
	var j modelJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return fmt.Errorf("decode baseline model: %w", err)
	}
	if j.Kind != "phase" || (j.Model != "" && j.Model != "phase") || j.Version != modelVersion {
		return fmt.Errorf("decode baseline model: unsupported kind %q version %d", j.Kind, j.Version)
	}
	n := PhaseModel{requested: j.Requested, seasonality: j.Seasonality, minSamples: j.MinSamples,
		from: j.From, to: j.To, points: j.Points, notes: j.Notes}
	var err error
	if n.bucket, err = time.ParseDuration(j.Bucket); err != nil || n.bucket < time.Minute || (24*time.Hour)%n.bucket != 0 {
		return fmt.Errorf("decode baseline model: invalid bucket %q", j.Bucket)
	}
	switch n.seasonality {
	case SeasonalityNone, SeasonalityDaily, SeasonalityWeekly:
	default:
		return fmt.Errorf("decode baseline model: invalid seasonality %q", j.Seasonality)
	}
	if n.loc, err = time.LoadLocation(j.Timezone); err != nil {
		return fmt.Errorf("decode baseline model: %w", err)
	}
	if j.Calendar != nil {
		if n.cal, err = calendar.New(*j.Calendar, n.loc); err != nil {
			return fmt.Errorf("decode baseline model: calendar: %w", err)
		}
	}
	n.setupClasses()
	if !slices.Equal(n.classes, j.Classes) {
		return fmt.Errorf("decode baseline model: classes %v do not match the calendar and seasonality (want %v)", j.Classes, n.classes)
	}
	if n.global, err = cellFrom(j.Global); err != nil {
		return fmt.Errorf("decode baseline model: global: %w", err)
	}
	nb := n.buckets()
	if len(j.Cells) != len(n.classes) {
		return fmt.Errorf("decode baseline model: %d cell rows for %d classes", len(j.Cells), len(n.classes))
	}
	n.cells = make([][]cell, len(j.Cells))
	for c, row := range j.Cells {
		if len(row) != nb {
			return fmt.Errorf("decode baseline model: class %s has %d buckets, want %d", n.classes[c], len(row), nb)
		}
		n.cells[c] = make([]cell, nb)
		for b, a := range row {
			if n.cells[c][b], err = cellFrom(a); err != nil {
				return fmt.Errorf("decode baseline model: %s %s: %w", n.classes[c], n.labels[b], err)
			}
		}
	}
	*m = n
	return nil
}
