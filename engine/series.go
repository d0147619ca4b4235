package engine

// The series catalogue and series windows behind the labeling API: which
// series each monitor has, and for one series over a range its values,
// expected value and band (re-queried from the monitor's source and judged
// by the monitor's baseline and detector), events and labels.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/alert"
	"github.com/seismo-dev/seismo/baseline"
	"github.com/seismo-dev/seismo/config"
	"github.com/seismo-dev/seismo/detector"
	"github.com/seismo-dev/seismo/series"
	"github.com/seismo-dev/seismo/source"
	"github.com/seismo-dev/seismo/store"
)

// Errors of the series API; the server maps them to 404 and 400.
var (
	ErrUnknownMonitor = errors.New("unknown monitor")
	ErrUnknownSeries  = errors.New("unknown series")
	ErrBadWindow      = errors.New("bad window")
)

// MaxWindowPoints caps the points of one series window: about 140 days
// at one-minute steps, and some 8 MB of JSON.
const MaxWindowPoints = 200_000

// SeriesInfo is one series of a monitor.
type SeriesInfo struct {
	Monitor string        `json:"monitor"`
	Labels  labels.Labels `json:"labels"` // as the monitor's query returns it
	// LastSeen is the end of the newest run (or window) that returned it.
	LastSeen time.Time `json:"last_seen,omitzero"`
}

// catalogue is the set of series a monitor has seen. Its zero value is
// ready to use.
type catalogue struct {
	mu   sync.Mutex
	byFP map[alert.Fingerprint]SeriesInfo
}

func (c *catalogue) saw(ls labels.Labels, t time.Time) {
	fp := alert.FingerprintOf(ls)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byFP == nil {
		c.byFP = map[alert.Fingerprint]SeriesInfo{}
	}
	if old, ok := c.byFP[fp]; ok && !t.After(old.LastSeen) {
		return
	}
	c.byFP[fp] = SeriesInfo{Labels: ls, LastSeen: t}
}

func (c *catalogue) list(monitor string) []SeriesInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]SeriesInfo, 0, len(c.byFP))
	for _, s := range c.byFP {
		s.Monitor = monitor
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b SeriesInfo) int { return labels.Compare(a.Labels, b.Labels) })
	return out
}

// Monitors returns the names of the configured monitors, in config order.
func (e *Engine) Monitors() []string {
	out := make([]string, len(e.monitors))
	for i, m := range e.monitors {
		out[i] = m.name()
	}
	return out
}

// HasMonitor reports whether a monitor of that name is configured.
func (e *Engine) HasMonitor(name string) bool { return e.monitorNamed(name) != nil }

func (e *Engine) monitorNamed(name string) *monitor {
	for _, m := range e.monitors {
		if m.name() == name {
			return m
		}
	}
	return nil
}

func (e *Engine) unknownMonitor(name string) error {
	return fmt.Errorf("%w %q (monitors: %s)", ErrUnknownMonitor, name, strings.Join(e.Monitors(), ", "))
}

// discoverRange is how far back Series looks when a monitor has not run
// since the start: enough to find every series of a source queried at a
// coarse step, short enough to be cheap.
const discoverRange = time.Hour

// Series lists the series of monitor name ("" for every monitor): those its
// runs since start returned. A monitor that has not run yet is asked its
// source over the last hour (or ten steps, whichever is longer).
func (e *Engine) Series(ctx context.Context, name string) ([]SeriesInfo, error) {
	ms := e.monitors
	if name != "" {
		m := e.monitorNamed(name)
		if m == nil {
			return nil, e.unknownMonitor(name)
		}
		ms = []*monitor{m}
	}
	var out []SeriesInfo
	for _, m := range ms {
		list := m.seen.list(m.name())
		if len(list) == 0 {
			step := m.cfg.Query.Step.Std()
			to := e.now().Add(-m.cfg.Query.Delay.Std()).Truncate(step)
			got, err := m.src.Query(ctx, source.Query{Expr: m.cfg.Query.Expr, Start: to.Add(-max(discoverRange, 10*step)), End: to, Step: step})
			if err != nil {
				return nil, fmt.Errorf("monitor %q: query source %q: %w", m.name(), m.cfg.Query.Source, err)
			}
			for _, s := range got {
				m.seen.saw(s.Labels, time.Time{})
			}
			list = m.seen.list(m.name())
		}
		out = append(out, list...)
	}
	return out, nil
}

// WindowQuery asks for one series of a monitor over [From, To].
type WindowQuery struct {
	Monitor  string
	Series   labels.Labels
	From, To time.Time
	// Step is the spacing of the returned points: 0 or the monitor's step
	// returns every point; a multiple of it keeps the points on that grid
	// (the band is still computed at the monitor's step).
	Step time.Duration
}

// Window is a series over a range as the monitor sees it now: its
// values, and the expected value and band of the monitor's baseline and
// detector, fitted on the history before From (confirmed noise labels
// left out). Expected, Lower and Upper are NaN where the detector gave no
// verdict (warm-up, too little history). Events are the stored events of
// the series in the range, Labels its labels (every status).
type Window struct {
	Monitor  string        `json:"monitor"`
	Series   labels.Labels `json:"series"`
	From     time.Time     `json:"from"`
	To       time.Time     `json:"to"`
	Step     time.Duration `json:"step"`
	Model    string        `json:"model"`    // the baseline, described
	Detector string        `json:"detector"` // the detector that drew the band

	Times    []int64   `json:"times"` // unix ms
	Values   []float64 `json:"values"`
	Expected []float64 `json:"expected"`
	Lower    []float64 `json:"lower"`
	Upper    []float64 `json:"upper"`

	Events []alert.Event  `json:"events"`
	Labels []store.Label  `json:"labels"`
	Key    WindowCacheKey `json:"-"`
	// Band identifies the computed band (Times to Upper, Model, Detector):
	// equal Bands, equal columns. Servers cache their encoding under it.
	Band uint64 `json:"-"`
	// Expires is when the band may have changed (new points at the live
	// edge, late data): a cache of the answer must not outlive it.
	Expires time.Time `json:"-"`
}

// WindowCacheKey identifies a computed band: same key, same arrays.
// Servers use it (with Generation) to cache serialised answers.
type WindowCacheKey struct {
	Monitor  string
	Series   alert.Fingerprint
	From, To int64 // unix ms
	Step     time.Duration
	Labels   uint64 // rangesSignature of the labels that shaped the band
}

// band is the computed part of a window, cached.
type band struct {
	id              uint64 // unique per computation (Window.Band)
	model, detector string
	times           []int64
	values, exp     []float64
	lower, upper    []float64
	expires         time.Time
	used            time.Time
}

// Cache bounds. A 50,000-point band is about 2 MB; 48 of them stay well
// under 100 MB.
const (
	bandCacheEntries = 48
	bandTTLRecent    = 15 * time.Second // the window reaches the live edge: new points arrive
	bandTTLPast      = 10 * time.Minute // entirely in the past: only late data changes it
)

// seriesState is the engine's window machinery: computed bands cached by
// key with single flight, and a generation per monitor that changes when
// its events or labels do. Its zero value is ready to use.
type seriesState struct {
	mu       sync.Mutex
	bands    map[WindowCacheKey]*band
	inflight map[WindowCacheKey]*bandCall
	gens     map[string]uint64
	lastBand uint64 // the id of the newest computed band
}

type bandCall struct {
	done chan struct{}
	b    *band
	err  error
}

// Generation is a counter that changes whenever the events or labels of
// monitor change through this engine (a run stores events, the API
// writes labels). With a WindowCacheKey it names a window's full content.
func (e *Engine) Generation(monitor string) uint64 {
	e.series.mu.Lock()
	defer e.series.mu.Unlock()
	return e.series.gens[monitor]
}

// LabelsChanged tells the engine that monitor's labels changed (the API
// calls it after every write), so that cached windows are rebuilt.
func (e *Engine) LabelsChanged(monitor string) { e.touch(monitor) }

func (e *Engine) touch(monitor string) {
	e.series.mu.Lock()
	defer e.series.mu.Unlock()
	if e.series.gens == nil {
		e.series.gens = map[string]uint64{}
	}
	e.series.gens[monitor]++
}

// SeriesWindow returns the window q asks for. Bands are cached per series
// and range (and the labels that shaped them), so repeated requests cost a
// map lookup and two small store queries.
func (e *Engine) SeriesWindow(ctx context.Context, q WindowQuery) (*Window, error) {
	m := e.monitorNamed(q.Monitor)
	if m == nil {
		return nil, e.unknownMonitor(q.Monitor)
	}
	if err := m.alignWindow(&q); err != nil {
		return nil, err
	}
	history := m.cfg.Query.History.Std()
	lbls, err := loadLabels(ctx, e.store, m.name(), q.From.Add(-history), q.To)
	if err != nil {
		return nil, err
	}
	key := WindowCacheKey{
		Monitor: m.name(), Series: alert.FingerprintOf(q.Series),
		From: q.From.UnixMilli(), To: q.To.UnixMilli(), Step: q.Step,
		Labels: m.bandSignature(lbls, q.Series),
	}
	b, err := e.band(ctx, key, func(ctx context.Context) (*band, error) { return e.computeBand(ctx, m, q, lbls) })
	if err != nil {
		return nil, err
	}
	evs, err := e.store.Events(ctx, store.EventFilter{
		Job: m.name(), From: q.From, To: q.To, Kind: alert.KindAnomaly,
		Matchers: equalMatchers(m.eventLabels(q.Series)), Limit: store.MaxLimit,
	})
	if err != nil {
		return nil, fmt.Errorf("window events: %w", err)
	}
	ls := q.Series
	lab, err := e.store.Labels(ctx, store.LabelFilter{Monitor: m.name(), Series: &ls, From: q.From, To: q.To, Limit: store.MaxLabelLimit})
	if err != nil {
		return nil, fmt.Errorf("window labels: %w", err)
	}
	want := m.eventLabels(q.Series)
	evs = slices.DeleteFunc(evs, func(ev alert.Event) bool { return !labels.Equal(ev.Labels, want) }) // not a superset's
	slices.Reverse(evs)                                                                               // oldest first, as the points
	return &Window{
		Monitor: m.name(), Series: q.Series, From: q.From, To: q.To, Step: q.Step,
		Model: b.model, Detector: b.detector,
		Times: b.times, Values: b.values, Expected: b.exp, Lower: b.lower, Upper: b.upper,
		Events: evs, Labels: lab, Key: key, Band: b.id, Expires: b.expires,
	}, nil
}

// bandSignature identifies the labels that shape a series' band: its
// noise ranges (kept out of the fit), and for type auto every label (they
// steer the choice of detector). Other labels leave the band alone, so a
// new anomaly label does not throw a cached band away.
func (m *monitor) bandSignature(lbls runLabels, ls labels.Labels) uint64 {
	if m.chooser != nil {
		return rangesSignature(lbls.ranges(ls))
	}
	var noise []detector.LabelRange
	for _, r := range lbls.exclude(ls) {
		noise = append(noise, detector.LabelRange{Start: r.From, End: r.To, Kind: detector.LabelNoise})
	}
	return rangesSignature(noise)
}

// alignWindow checks q against the monitor and aligns it to its step.
func (m *monitor) alignWindow(q *WindowQuery) error {
	step := m.cfg.Query.Step.Std()
	switch {
	case q.From.IsZero() || q.To.IsZero():
		return fmt.Errorf("%w: from and to are required", ErrBadWindow)
	case q.To.Before(q.From):
		return fmt.Errorf("%w: to (%s) is before from (%s)", ErrBadWindow, q.To.UTC().Format(time.RFC3339), q.From.UTC().Format(time.RFC3339))
	case q.Step < 0:
		return fmt.Errorf("%w: negative step", ErrBadWindow)
	case q.Step == 0:
		q.Step = step
	case q.Step%step != 0:
		return fmt.Errorf("%w: step %s is not a multiple of monitor %q's step %s", ErrBadWindow, q.Step, m.name(), step)
	}
	// The first grid instant at or after From, the last at or before To.
	from := q.From.Truncate(step)
	if from.Before(q.From) {
		from = from.Add(step)
	}
	q.From, q.To = from.UTC(), q.To.Truncate(step).UTC()
	if q.To.Before(q.From) {
		return fmt.Errorf("%w: the range holds no instant of monitor %q's %s grid", ErrBadWindow, m.name(), step)
	}
	if n := q.To.Sub(q.From)/q.Step + 1; n > MaxWindowPoints {
		return fmt.Errorf("%w: %d points asked for, at most %d: shorten the range or raise the step", ErrBadWindow, n, MaxWindowPoints)
	}
	return nil
}

// band returns the cached band for key, or computes it once however many
// requests ask at the same time. The computation runs on a context of its
// own (bounded by the monitor's timeout), so one client hanging up does
// not fail the others waiting for it.
func (e *Engine) band(ctx context.Context, key WindowCacheKey, compute func(context.Context) (*band, error)) (*band, error) {
	s := &e.series
	now := time.Now()
	s.mu.Lock()
	if b, ok := s.bands[key]; ok && now.Before(b.expires) {
		b.used = now
		s.mu.Unlock()
		return b, nil
	}
	if c, ok := s.inflight[key]; ok {
		s.mu.Unlock()
		select {
		case <-c.done:
			return c.b, c.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	c := &bandCall{done: make(chan struct{})}
	if s.inflight == nil {
		s.inflight = map[WindowCacheKey]*bandCall{}
	}
	s.inflight[key] = c
	s.mu.Unlock()

	timeout := time.Minute
	if m := e.monitorNamed(key.Monitor); m != nil && m.cfg.Timeout > 0 {
		timeout = m.cfg.Timeout.Std()
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	c.b, c.err = compute(cctx)
	cancel()

	s.mu.Lock()
	delete(s.inflight, key)
	if c.err == nil {
		s.lastBand++
		c.b.id = s.lastBand
		if s.bands == nil {
			s.bands = map[WindowCacheKey]*band{}
		}
		c.b.used = time.Now()
		s.bands[key] = c.b
		evictBands(s.bands, now)
	}
	s.mu.Unlock()
	close(c.done)
	return c.b, c.err
}

// evictBands drops expired bands, then the least recently used ones
// beyond the cache's size.
func evictBands(bands map[WindowCacheKey]*band, now time.Time) {
	for k, b := range bands {
		if !now.Before(b.expires) {
			delete(bands, k)
		}
	}
	for len(bands) > bandCacheEntries {
		var oldest WindowCacheKey
		first := true
		for k, b := range bands {
			if first || b.used.Before(bands[oldest].used) {
				oldest, first = k, false
			}
		}
		delete(bands, oldest)
	}
}

// computeBand queries the series with its history, fits the baseline on
// the history before q.From without the noise ranges, and runs the
// monitor's detector (for type auto, the one chosen for the series) over
// the window.
func (e *Engine) computeBand(ctx context.Context, m *monitor, q WindowQuery, lbls runLabels) (*band, error) {
	step := m.cfg.Query.Step.Std()
	got, err := m.src.Query(ctx, source.Query{Expr: m.cfg.Query.Expr, Start: q.From.Add(-m.cfg.Query.History.Std()), End: q.To, Step: step})
	if err != nil {
		return nil, fmt.Errorf("query source %q: %w", m.cfg.Query.Source, err)
	}
	var s *series.Series
	for i := range got {
		m.seen.saw(got[i].Labels, time.Time{})
		if labels.Equal(got[i].Labels, q.Series) {
			s = &got[i]
		}
	}
	if s == nil {
		return nil, fmt.Errorf("%w %s in monitor %q (its query returned %d series; GET /api/v1/series lists them)", ErrUnknownSeries, q.Series, m.name(), len(got))
	}
	pts, _ := series.Clean(s.Points, step)
	history, recent := series.Split(pts, q.From)
	if i, found := slices.BinarySearchFunc(recent, q.To, func(p series.Point, t time.Time) int { return p.T.Compare(t) }); found {
		recent = recent[:i+1]
	} else {
		recent = recent[:i]
	}
	b := &band{expires: time.Now().Add(bandTTLRecent)}
	if q.To.Before(e.now().Add(-m.cfg.Query.Delay.Std() - 2*step)) {
		b.expires = time.Now().Add(bandTTLPast)
	}
	cfg := m.cfg.Baseline
	cfg.Exclude = lbls.exclude(q.Series)
	var results []detector.Result
	model, err := baseline.Fit(history, cfg, m.cal)
	switch {
	case errors.Is(err, baseline.ErrNotEnoughData):
		b.model = "not judged: " + err.Error()
	case err != nil:
		return nil, fmt.Errorf("fit baseline: %w", err)
	default:
		b.model = model.Describe()
		det, chooser := m.current() // the saved tuning's, if any (backtest_tuning.go)
		if chooser != nil {
			ch, err := chooser.detectorFor(ctx, m.eventLabels(q.Series), history, model, lbls.ranges(q.Series))
			if err != nil {
				return nil, fmt.Errorf("choose detector: %w", err)
			}
			det = ch.det
		}
		b.detector = det.Name()
		results = detector.Run(det, detector.Input{History: withoutRanges(history, cfg.Exclude), Points: recent, Model: model})
	}
	thin := q.Step // keep the points on the coarser grid asked for
	if thin == step {
		thin = 0 // every point, on the grid or not (a source's own timestamps)
	}
	fillBand(b, recent, results, thin)
	return b, nil
}

// fillBand lays the points and the detector's results out in columns,
// keeping only the points on the step's grid when step is not 0. Results
// are a subsequence of the points (a detector skips what it cannot
// judge), matched by time.
func fillBand(b *band, pts []series.Point, results []detector.Result, step time.Duration) {
	n := len(pts)
	b.times = make([]int64, 0, n)
	b.values = make([]float64, 0, n)
	b.exp = make([]float64, 0, n)
	b.lower = make([]float64, 0, n)
	b.upper = make([]float64, 0, n)
	stepMS := step.Milliseconds()
	j := 0
	for _, p := range pts {
		for j < len(results) && results[j].T.Before(p.T) {
			j++
		}
		ms := p.T.UnixMilli()
		if stepMS > 0 && ms%stepMS != 0 {
			continue
		}
		exp, lo, hi := math.NaN(), math.NaN(), math.NaN()
		if j < len(results) && results[j].T.Equal(p.T) {
			r := results[j]
			exp, lo, hi = r.Expected, r.Lower, r.Upper
		}
		b.times = append(b.times, ms)
		b.values = append(b.values, p.V)
		b.exp = append(b.exp, exp)
		b.lower = append(b.lower, lo)
		b.upper = append(b.upper, hi)
	}
}

// equalMatchers matches exactly the label set ls.
func equalMatchers(ls labels.Labels) []*labels.Matcher {
	var out []*labels.Matcher
	ls.Range(func(l labels.Label) {
		out = append(out, labels.MustNewMatcher(labels.MatchEqual, l.Name, l.Value))
	})
	return out
}

// ServerConfig returns the configuration's server section (API tokens,
// body size cap) for the HTTP server.
func (e *Engine) ServerConfig() config.Server { return e.cfg.Server }
