package engine

// Backtests: what a monitor, with a draft detector setting, would have done
// over a past range. The steps follow a live run as closely as a backtest
// can afford:
//
//  1. One query reads [from − history, to] from the monitor's source, and
//     series.Clean cleans it as a run would.
//  2. The range is cut into chunks at every refit instant (by default each
//     local midnight in the monitor's time zone). Each chunk's baseline is
//     fitted on the history before the chunk (noise labels excluded), and
//     the detector's stream is warmed on that history and fed the chunk's
//     points: causal, like a run. A live run refits before every run;
//     refitting once a day costs 30 fits for 30 days instead of 43,200,
//     and the baseline (weeks of history) barely moves within a day. The
//     difference shows after a level shift, which a live baseline
//     re-anchors to within the day and a daily one only the next day.
//  3. The monitor's schedule (cron, its time zone, its calendar gate) is
//     replayed over the range: each run judges the points since the
//     previous one, fires alerts for anomalies within the alert window,
//     resolves when its newest point is normal, and resolve_timeout
//     resolves alerts no run refreshes (replay.go). Alerts are the firing
//     episodes; one that fires and resolves within one run pages nobody
//     (the alert manager never notifies an alert resolved before its
//     group's first notification) and is counted as silent, not as an
//     alert.
//  4. The verdicts, events and alerts are scored against the labels of
//     each series (evaluate.go).
//
// A sweep (sweep.go) computes the baselines once and, for the families
// whose statistic does not depend on the sensitivity, the raw scores once
// too, and only re-thresholds per sensitivity.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/alert"
	"github.com/seismo-dev/seismo/baseline"
	"github.com/seismo-dev/seismo/detector"
	"github.com/seismo-dev/seismo/detector/eval"
	"github.com/seismo-dev/seismo/series"
	"github.com/seismo-dev/seismo/source"
	"github.com/seismo-dev/seismo/store"
)

// Limits on one backtest, so that a request cannot occupy the engine for
// hours or fill its memory.
const (
	// MaxBacktestRange is the longest range one backtest judges.
	MaxBacktestRange = 92 * 24 * time.Hour
	// MaxBacktestSeries is the most series one backtest judges; narrow
	// the series selector for more.
	MaxBacktestSeries = 500
	// MaxBacktestAlerts is the most alerts a result lists (per
	// sensitivity in a sweep); the counts are always complete.
	MaxBacktestAlerts = 1000
	// DefaultRefit is how often a backtest refits the baseline.
	DefaultRefit = 24 * time.Hour
	// maxRunTicks bounds the replayed schedule.
	maxRunTicks = 5_000_000
)

// ErrInvalidRequest wraps every error caused by a backtest, sweep,
// recommendation or tuning request itself (a range that ends before it
// starts, a setting the detector rejects), as opposed to the engine's or a
// source's failure.
var ErrInvalidRequest = errors.New("invalid request")

// Draft is a detector setting to try on a monitor: the fields that are set
// replace the monitor's current setting (its configuration with any saved
// tuning applied); the others keep it.
type Draft struct {
	// Type is the detector type (robust, zscore, ...).
	Type string `json:"type,omitempty"`
	// Sensitivity in (0, 1]; 0 keeps the current one.
	Sensitivity float64 `json:"sensitivity,omitempty"`
	// Direction is both, up or down.
	Direction string `json:"direction,omitempty"`
	// Persistence is the k-of-n rule.
	Persistence *DraftPersistence `json:"persistence,omitempty"`
	// MinDeviation is the business filter on the distance from expected.
	MinDeviation *DraftMinDeviation `json:"min_deviation,omitempty"`
}

// DraftPersistence is detector.Persistence with JSON names.
type DraftPersistence struct {
	K int `json:"k"`
	N int `json:"n"`
}

// DraftMinDeviation is detector.MinDeviation with JSON names.
type DraftMinDeviation struct {
	Absolute float64 `json:"absolute"`
	Relative float64 `json:"relative"`
}

// Apply returns c with the draft's fields put in.
func (d Draft) Apply(c detector.Config) detector.Config {
	if d.Type != "" {
		c.Type = d.Type
	}
	if d.Sensitivity != 0 {
		c.Sensitivity = d.Sensitivity
	}
	if d.Direction != "" {
		c.Direction = d.Direction
	}
	if p := d.Persistence; p != nil {
		c.Persistence = detector.Persistence{K: p.K, N: p.N}
	}
	if m := d.MinDeviation; m != nil {
		c.MinDeviation = detector.MinDeviation{Absolute: m.Absolute, Relative: m.Relative}
	}
	return c
}

// DraftOf is the draft that states every common field of c.
func DraftOf(c detector.Config) Draft {
	c.ApplyDefaults()
	return Draft{
		Type:         c.Type,
		Sensitivity:  c.Sensitivity,
		Direction:    c.Direction,
		Persistence:  &DraftPersistence{K: c.Persistence.K, N: c.Persistence.N},
		MinDeviation: &DraftMinDeviation{Absolute: c.MinDeviation.Absolute, Relative: c.MinDeviation.Relative},
	}
}

// BacktestRequest asks what a monitor would have done over [From, To].
type BacktestRequest struct {
	Monitor string
	// Match selects the series (all must match the query's label set);
	// empty selects every series of the monitor.
	Match []*labels.Matcher
	// From and To bound the judged range (both inclusive). To after now
	// is cut to now.
	From, To time.Time
	// Draft is the setting to try; its zero value is the current one.
	Draft Draft
	// Refit is how often the baseline is refitted; 0 is DefaultRefit
	// (local midnights). Shorter is closer to a live run and slower.
	Refit time.Duration
	// MergeGap merges predicted events this close for the event metrics
	// (see eval.Events); 0 keeps each run of flagged points apart.
	MergeGap time.Duration
	// Points asks for every judged point (value, expected, band, score)
	// in the result, for charts. Only with at most MaxPointSeries series.
	Points bool
	// RemoteWrite writes the scored points (at the draft setting) to
	// global.remote_write with backtest="true" (backtest_remotewrite.go).
	RemoteWrite bool
	// Progress, when set, is told how many of the total steps (chunks of
	// series, then sensitivities of a sweep) are done.
	Progress func(done, total int)
}

// MaxPointSeries is the most series a request with Points may select.
const MaxPointSeries = 5

// BacktestResult is what a backtest found.
type BacktestResult struct {
	Monitor string    `json:"monitor"`
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Days    float64   `json:"days"`
	// Detector is the setting tried, every common field stated.
	Detector Draft `json:"detector"`
	// Refit is the refit period used.
	Refit string `json:"refit"`
	// Alerts are the would-have-fired alerts of every series, by start
	// (at most MaxBacktestAlerts; Metrics counts them all).
	Alerts          []BacktestAlert `json:"alerts"`
	AlertsTruncated bool            `json:"alerts_truncated,omitempty"`
	// Metrics pool every series.
	Metrics Metrics `json:"metrics"`
	// Series has one entry per series.
	Series []SeriesResult `json:"series"`
	// Duration is how long the backtest took.
	Duration time.Duration `json:"duration_ns"`
}

// SeriesResult is one series' share of a backtest.
type SeriesResult struct {
	Labels labels.Labels `json:"labels"`
	// Detector is the detector type used (auto's choice for type auto).
	Detector string `json:"detector"`
	// NotJudged says why some or all of the range was not judged (too
	// little history for a baseline), empty when everything was.
	NotJudged string  `json:"not_judged,omitempty"`
	Metrics   Metrics `json:"metrics"`
	// Points is the chart data, when asked for.
	Points *ChartPoints `json:"points,omitempty"`
}

// ChartPoints are a series' judged points, column by column (times in
// Unix milliseconds). Scale, when present, is the band's half-width per
// unit of threshold: the band at sensitivity s is Expected ∓ K(s)·Scale
// with K(s) = 2 + 8·(1 − s), so that a chart can follow a sensitivity
// control without asking again. It is present for the families whose band
// is that (robust, zscore, robust_z, rate_of_change).
type ChartPoints struct {
	T        []int64 `json:"t"`
	Value    Floats  `json:"value"`
	Expected Floats  `json:"expected"`
	Lower    Floats  `json:"lower"`
	Upper    Floats  `json:"upper"`
	Score    Floats  `json:"score"`
	Anomaly  []bool  `json:"anomaly"`
	Scale    Floats  `json:"scale,omitempty"`
}

// Floats is a column of numbers that encodes to JSON with null for the
// non-finite ones (JSON has no NaN), and compactly.
type Floats []float64

// MarshalJSON implements json.Marshaler.
func (f Floats) MarshalJSON() ([]byte, error) {
	if f == nil {
		return []byte("null"), nil
	}
	b := make([]byte, 0, 2+len(f)*10)
	b = append(b, '[')
	for i, v := range f {
		if i > 0 {
			b = append(b, ',')
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			b = append(b, "null"...)
			continue
		}
		b = strconv.AppendFloat(b, v, 'g', -1, 64)
	}
	return append(b, ']'), nil
}

// BacktestAlert is one would-have-fired alert: a firing episode of one
// series' alert.
type BacktestAlert struct {
	Series labels.Labels `json:"series"`
	// Start is the time of the first anomalous point that fired it;
	// LastEvent that of the last one that refreshed it.
	Start     time.Time `json:"start"`
	LastEvent time.Time `json:"last_event"`
	// FiredAt is the run that fired it; End when it resolved (a run whose
	// newest point was normal, or resolve_timeout), zero when it was still
	// firing at the end of the range.
	FiredAt time.Time `json:"fired_at"`
	End     time.Time `json:"end,omitzero"`
	// Events is how many anomalous points fired or refreshed it.
	Events int `json:"events"`
	// Peak is its most anomalous point.
	PeakTime     time.Time `json:"peak_time"`
	PeakScore    float64   `json:"peak_score"`
	PeakValue    float64   `json:"peak_value"`
	PeakExpected float64   `json:"peak_expected"`
	// Silent is true when it fired and resolved within one run: it pages
	// nobody and is not counted in Alerts.
	Silent bool `json:"silent,omitempty"`
	// Verdict is "anomaly" when it overlaps a range labelled anomaly,
	// "noise" when it overlaps only noise, "false" when it overlaps
	// neither and the series has anomaly labels in the range, and ""
	// when the series has none (nothing to judge it by).
	Verdict string `json:"verdict,omitempty"`
	// Labels are the IDs of the labels it overlaps.
	Labels []int64 `json:"labels,omitempty"`
}

// monitorByName returns the monitor of that name, or an error wrapping
// ErrUnknownMonitor.
func (e *Engine) monitorByName(name string) (*monitor, error) {
	if m := e.monitorNamed(name); m != nil {
		return m, nil
	}
	return nil, e.unknownMonitor(name)
}

// Backtest runs a draft setting of a monitor over a past range; see the
// file comment for the method.
func (e *Engine) Backtest(ctx context.Context, req BacktestRequest) (*BacktestResult, error) {
	start := time.Now()
	release, err := e.tuning.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	b, err := e.prepareBacktest(ctx, req, 0)
	if err != nil {
		return nil, err
	}
	cfg := req.Draft.Apply(b.base)
	cfg.ApplyDefaults()
	scored, err := b.score(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if req.RemoteWrite {
		if err := e.writeBacktest(ctx, b, scored); err != nil {
			return nil, err
		}
	}
	out := b.result(cfg, scored, req.Points)
	b.progress.finish()
	out.Duration = time.Since(start)
	return out, nil
}

// backtest is a prepared backtest: the series read, their chunks fitted,
// the schedule replayed into run ticks and the labels read. Scoring it
// with several settings shares all of that.
type backtest struct {
	e        *Engine
	m        *monitor
	base     detector.Config // the monitor's current detector setting
	from, to time.Time
	refit    time.Duration
	mergeGap time.Duration
	series   []*btSeries
	ticks    []runTick
	window   time.Duration // the alert window of notify
	timeout  time.Duration // resolve_timeout
	progress *progress

	raw map[string][]rawSeries // raw scores per re-thresholdable family, computed once
}

// btSeries is one series of a backtest.
type btSeries struct {
	ls     labels.Labels // the series' label set as the query returned it
	chunks []btChunk
	// notJudged says why chunks lack a model.
	notJudged string
	// labelled ranges (merged by eval) and the labels for verdicts.
	anomalies, noise []eval.Window
	marks            []store.Label // the labels that apply to the series in the range
	// choice is auto's choice for the series, made once per backtest on
	// the history before the range.
	choice *detector.Choice
}

// btChunk is the part of a series judged with one baseline: hist is the
// history before it (noise left out) that warms the detector up.
type btChunk struct {
	hist, pts []series.Point
	model     baseline.Model // nil: not judged (too little history)
}

// prepareBacktest validates req, reads the series, fits every chunk's
// baseline and replays the schedule. extraSteps are progress steps the
// caller adds after preparation (a sweep's sensitivities).
func (e *Engine) prepareBacktest(ctx context.Context, req BacktestRequest, extraSteps int) (*backtest, error) {
	m, err := e.monitorByName(req.Monitor)
	if err != nil {
		return nil, err
	}
	now := e.now()
	if req.To.After(now) {
		req.To = now
	}
	switch {
	case req.From.IsZero() || req.To.IsZero():
		return nil, fmt.Errorf("%w: from and to are required", ErrInvalidRequest)
	case !req.To.After(req.From):
		return nil, fmt.Errorf("%w: the range ends (%s) before it starts (%s)", ErrInvalidRequest, req.To.Format(time.RFC3339), req.From.Format(time.RFC3339))
	case req.To.Sub(req.From) > MaxBacktestRange:
		return nil, fmt.Errorf("%w: the range is %s long, at most %s allowed", ErrInvalidRequest, req.To.Sub(req.From).Round(time.Minute), MaxBacktestRange)
	case req.Refit < 0 || req.MergeGap < 0:
		return nil, fmt.Errorf("%w: refit and merge_gap must not be negative", ErrInvalidRequest)
	case req.RemoteWrite && e.tuning.writer == nil:
		return nil, fmt.Errorf("%w: remote_write asked for, but global.remote_write is not configured", ErrInvalidRequest)
	}
	step := m.cfg.Query.Step.Std()
	refit := req.Refit
	if refit == 0 {
		refit = DefaultRefit
	}
	if refit < step {
		return nil, fmt.Errorf("%w: refit %s is shorter than the monitor's step %s", ErrInvalidRequest, refit, step)
	}
	base := m.detectorConfig()
	draft := req.Draft.Apply(base)
	if _, err := detector.New(draft); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	b := &backtest{
		e: e, m: m, base: base, from: req.From, to: req.To, refit: refit, mergeGap: req.MergeGap,
		window:  max(10*time.Minute, 3*step),
		timeout: e.cfg.Alerting.ResolveTimeout.Std(),
		raw:     map[string][]rawSeries{},
	}
	if b.timeout == 0 {
		b.timeout = alert.DefaultResolveTimeout
	}
	got, err := m.src.Query(ctx, source.Query{
		Expr:  m.cfg.Query.Expr,
		Start: req.From.Add(-m.cfg.Query.History.Std()),
		End:   req.To,
		Step:  step,
	})
	if err != nil {
		return nil, fmt.Errorf("query source %q: %w", m.cfg.Query.Source, err)
	}
	got = slices.DeleteFunc(got, func(s series.Series) bool { return !matchesAll(req.Match, s.Labels) })
	sort.Slice(got, func(i, j int) bool { return labels.Compare(got[i].Labels, got[j].Labels) < 0 })
	switch {
	case len(got) == 0:
		return nil, fmt.Errorf("%w: no series of monitor %q matches the selector in the range", ErrInvalidRequest, m.name())
	case len(got) > MaxBacktestSeries:
		return nil, fmt.Errorf("%w: %d series match, at most %d allowed: narrow the series selector", ErrInvalidRequest, len(got), MaxBacktestSeries)
	case req.Points && len(got) > MaxPointSeries:
		return nil, fmt.Errorf("%w: points asked for %d series, at most %d allowed: select fewer series", ErrInvalidRequest, len(got), MaxPointSeries)
	}
	bounds := chunkBounds(req.From, req.To, refit, m.location)
	b.progress = newProgress(req.Progress, len(got)*(len(bounds)-1)+extraSteps)
	if b.ticks, err = b.schedule(); err != nil {
		return nil, err
	}
	all, err := e.monitorLabels(ctx, m.name(), req.From, req.To)
	if err != nil {
		return nil, err
	}
	var fitter baseline.Fitter
	for _, s := range got {
		bs := &btSeries{ls: s.Labels}
		bs.anomalies, bs.noise, bs.marks = labelRanges(all, s.Labels)
		if err := b.fitSeries(ctx, &fitter, s, bs, bounds); err != nil {
			return nil, fmt.Errorf("series %s: %w", s.Labels, err)
		}
		b.series = append(b.series, bs)
	}
	return b, nil
}

// fitSeries cleans a series, cuts it at the chunk bounds and fits each
// chunk's baseline on the history before it.
func (b *backtest) fitSeries(ctx context.Context, f *baseline.Fitter, s series.Series, bs *btSeries, bounds []time.Time) error {
	m := b.m
	pts, _ := series.Clean(s.Points, m.cfg.Query.Step.Std())
	history := m.cfg.Query.History.Std()
	bcfg := m.cfg.Baseline
	bcfg.Exclude = runLabels(bs.marks).exclude(bs.ls)
	notJudged := 0
	var why string
	for i := 0; i+1 < len(bounds); i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		c0, c1 := bounds[i], bounds[i+1]
		lo := searchTime(pts, c0.Add(-history))
		mid := searchTime(pts, c0)
		hi := searchTime(pts, c1)
		if i+2 == len(bounds) { // the last chunk includes To itself
			hi = searchAfter(pts, b.to)
		}
		ch := btChunk{hist: pts[lo:mid:mid], pts: pts[mid:hi:hi]}
		if len(ch.pts) > 0 {
			model, err := f.Fit(ch.hist, bcfg, m.cal)
			// As in a run, noise is kept out of the detector's warm-up too.
			ch.hist = withoutRanges(ch.hist, bcfg.Exclude)
			switch {
			case errors.Is(err, baseline.ErrNotEnoughData):
				notJudged += len(ch.pts)
				why = err.Error()
			case err != nil:
				return fmt.Errorf("fit baseline: %w", err)
			default:
				ch.model = model
			}
		}
		bs.chunks = append(bs.chunks, ch)
		b.progress.step()
	}
	if notJudged > 0 {
		bs.notJudged = fmt.Sprintf("%d points not judged: %s", notJudged, why)
	}
	return nil
}

// chunkBounds returns the refit instants cutting [from, to]: from, then
// every local midnight (refit of a day) or every multiple of refit, and a
// last bound after to.
func chunkBounds(from, to time.Time, refit time.Duration, loc *time.Location) []time.Time {
	out := []time.Time{from}
	next := func(t time.Time) time.Time {
		if refit == 24*time.Hour {
			y, mo, d := t.In(loc).Date()
			return time.Date(y, mo, d+1, 0, 0, 0, 0, loc)
		}
		return t.Truncate(refit).Add(refit)
	}
	for t := next(from); !t.After(to); t = next(t) {
		out = append(out, t)
	}
	return append(out, to.Add(time.Nanosecond))
}

// searchTime is the index of the first point at or after t.
func searchTime(pts []series.Point, t time.Time) int {
	return sort.Search(len(pts), func(i int) bool { return !pts[i].T.Before(t) })
}

// searchAfter is the index of the first point after t.
func searchAfter(pts []series.Point, t time.Time) int {
	return sort.Search(len(pts), func(i int) bool { return pts[i].T.After(t) })
}

// matchesAll reports whether ls satisfies every matcher.
func matchesAll(ms []*labels.Matcher, ls labels.Labels) bool {
	for _, m := range ms {
		if !m.Matches(ls.Get(m.Name)) {
			return false
		}
	}
	return true
}

// result assembles a BacktestResult from scored series.
func (b *backtest) result(cfg detector.Config, scored []scoredSeries, points bool) *BacktestResult {
	out := &BacktestResult{
		Monitor:  b.m.name(),
		From:     b.from,
		To:       b.to,
		Days:     b.to.Sub(b.from).Hours() / 24,
		Detector: DraftOf(cfg),
		Refit:    b.refit.String(),
	}
	var evIn []eval.Input
	var alerts []BacktestAlert
	for i, bs := range b.series {
		sc := &scored[i]
		as := b.replay(bs, sc)
		in := b.evalInput(bs, sc)
		evIn = append(evIn, in)
		sr := SeriesResult{Labels: bs.ls, Detector: sc.detector, NotJudged: bs.notJudged}
		sr.Metrics = b.metrics([]eval.Input{in}, [][]BacktestAlert{as}, []*btSeries{bs})
		if points {
			sr.Points = sc.chart()
		}
		out.Series = append(out.Series, sr)
		alerts = append(alerts, as...)
	}
	out.Metrics = b.metricsPooled(evIn, alerts)
	sortAlerts(alerts)
	if len(alerts) > MaxBacktestAlerts {
		alerts, out.AlertsTruncated = alerts[:MaxBacktestAlerts], true
	}
	if alerts == nil {
		alerts = []BacktestAlert{}
	}
	out.Alerts = alerts
	return out
}

// sortAlerts orders alerts by start, then series.
func sortAlerts(as []BacktestAlert) {
	sort.SliceStable(as, func(i, j int) bool {
		if !as[i].Start.Equal(as[j].Start) {
			return as[i].Start.Before(as[j].Start)
		}
		return labels.Compare(as[i].Series, as[j].Series) < 0
	})
}

// progress reports steps to a callback, if any.
type progress struct {
	fn          func(done, total int)
	done, total int
}

func newProgress(fn func(done, total int), total int) *progress {
	p := &progress{fn: fn, total: max(total, 1)}
	if fn != nil {
		fn(0, p.total)
	}
	return p
}

func (p *progress) step() {
	p.done = min(p.done+1, p.total)
	if p.fn != nil {
		p.fn(p.done, p.total)
	}
}

func (p *progress) finish() {
	if p.fn != nil && p.done < p.total {
		p.done = p.total
		p.fn(p.done, p.total)
	}
}
