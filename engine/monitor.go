package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/common/model"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/alert"
	"github.com/seismo-dev/seismo/baseline"
	"github.com/seismo-dev/seismo/baseline/calendar"
	"github.com/seismo-dev/seismo/config"
	"github.com/seismo-dev/seismo/detector"
	"github.com/seismo-dev/seismo/series"
	"github.com/seismo-dev/seismo/source"
	"github.com/seismo-dev/seismo/store"
)

// Result is what one run of a job did. It is printed by `seismo once`,
// exposed by the API and logged.
type Result struct {
	Job       string        `json:"job"`
	Kind      string        `json:"kind"`
	Started   time.Time     `json:"started"`
	Duration  time.Duration `json:"duration_ns"`
	From      time.Time     `json:"evaluated_from"` // first instant judged
	To        time.Time     `json:"evaluated_to"`   // last instant judged
	Series    int           `json:"series"`
	Points    int           `json:"points"`    // samples read, before cleaning
	Evaluated int           `json:"evaluated"` // samples judged by the detector
	Cleaning  series.Report `json:"cleaning"`
	Events    []alert.Event `json:"events"`
	Stored    int           `json:"stored"`            // events newly stored (re-runs store no duplicates)
	Proposed  int           `json:"proposed_labels"`   // noise labels newly proposed for review (noise.go)
	Skipped   string        `json:"skipped,omitempty"` // why the run did nothing, if it did nothing
	// Models describes the baseline fitted for each series, keyed by label set.
	Models map[string]string `json:"models,omitempty"`
	// Choices says which detector type auto uses for each series and why.
	Choices map[string]string `json:"choices,omitempty"`
	// healthy lists series whose newest judged point was normal: their
	// alerts, if any, resolve.
	healthy []labels.Labels
	// judged are the series' results, kept when remote write needs them.
	judged []judgedSeries
	// proposals are the noise labels Seismo proposes from this run
	// (noise.go); the engine stores the new ones.
	proposals []store.Label
	// summary, when set, is the Summary of a Job's run.
	summary string
}

// Summary is a one-line account of the run.
func (r *Result) Summary() string {
	if r.summary != "" {
		return r.summary
	}
	if r.Skipped != "" {
		return fmt.Sprintf("job %s: skipped (%s)", r.Job, r.Skipped)
	}
	return fmt.Sprintf("job %s: %d series, %d points read, %d evaluated, %d events (%d new), %d dropped in cleaning, %s",
		r.Job, r.Series, r.Points, r.Evaluated, len(r.Events), r.Stored, r.Cleaning.Dropped(), r.Duration.Round(time.Millisecond))
}

// monitor is the job for one configured monitor: query → clean → baseline →
// detector → events.
type monitor struct {
	cfg      config.Monitor
	src      source.TimeSeries
	cal      *calendar.Calendar // nil when the monitor has none
	det      detector.Detector
	chooser  *chooser       // for type auto: the detector chosen per series; nil otherwise
	location *time.Location // of its schedule

	// fitter keeps the baseline's working buffers from one fit to the
	// next, so a monitor refitting every minute does not churn memory.
	// Runs of one monitor never overlap in the scheduler; the mutex covers
	// `seismo once` and tests that call run directly.
	fitMu  sync.Mutex
	fitter baseline.Fitter

	// labels is where the monitor reads its confirmed labels from (noise
	// ranges kept out of fitting, labels for type auto); nil reads none.
	labels store.LabelStore
	// noise proposes noise labels for isolated spikes (noise.go); nil
	// proposes none.
	noise *noiseState
	// seen is the catalogue of the series the monitor's runs returned
	// (series.go).
	seen catalogue
	// tuned is the saved tuning's detector, if any (backtest_tuning.go).
	tuned tunedState
	// keepResults keeps every series' results in the Result for remote
	// write (backtest_remotewrite.go).
	keepResults bool
	// charts keeps the newest judged points per series for alert charts
	// (alerting.go); nil keeps none.
	charts *chartCache
	// points are the monitor's analyst rules (rule_points.go); nil when
	// it has none.
	points *pointRules
}

func (m *monitor) name() string { return m.cfg.Name }

// window returns the instants a run at now judges: from the point after
// the cursor (or the backfill start on a first run) to now less the delay,
// aligned to the step. Catch-up after downtime is bounded so that a long
// outage does not make one run judge weeks of data.
func (m *monitor) window(now, cursor time.Time) (from, to time.Time) {
	step := m.cfg.Query.Step.Std()
	to = now.Add(-m.cfg.Query.Delay.Std()).Truncate(step)
	maxCatchUp := max(m.cfg.Query.Backfill.Std(), time.Hour)
	switch {
	case cursor.IsZero():
		from = to.Add(-m.cfg.Query.Backfill.Std())
	default:
		from = cursor.Add(step)
	}
	if lim := to.Add(-maxCatchUp); from.Before(lim) {
		from = lim
	}
	return from, to
}

// run performs one evaluation at now. cursor is the last instant judged by
// an earlier run (zero if none).
func (m *monitor) run(ctx context.Context, now, cursor time.Time) (*Result, error) {
	res := &Result{Job: m.cfg.Name, Kind: "monitor", Started: now, Models: map[string]string{}, Choices: map[string]string{}}
	from, to := m.window(now, cursor)
	res.From, res.To = from, to
	if to.Before(from) {
		res.Skipped = "no new points since the last run"
		return res, nil
	}
	q := source.Query{
		Expr:  m.cfg.Query.Expr,
		Start: from.Add(-m.cfg.Query.History.Std()),
		End:   to,
		Step:  m.cfg.Query.Step.Std(),
	}
	got, err := m.src.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("query source %q: %w", m.cfg.Query.Source, err)
	}
	res.Series = len(got)
	lbls, err := loadLabels(ctx, m.labels, m.cfg.Name, q.Start, to)
	if err != nil {
		return nil, err
	}
	for _, s := range got {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		m.seen.saw(s.Labels, to)
		if err := m.judge(ctx, s, from, lbls, res); err != nil {
			return nil, fmt.Errorf("series %s: %w", s.Labels, err)
		}
	}
	return res, nil
}

// judge fits the baseline on the history before from and judges the points
// from there on.
// Confirmed noise labels of the series are kept out of the fit and out of
// the detector's warm-up; its labels are handed to type auto's choice.
func (m *monitor) judge(ctx context.Context, s series.Series, from time.Time, lbls runLabels, res *Result) error {
	pts, rep := series.Clean(s.Points, m.cfg.Query.Step.Std())
	res.Points += rep.Input
	res.Cleaning = addReports(res.Cleaning, rep)
	history, recent := series.Split(pts, from)
	if len(recent) == 0 {
		return nil
	}
	cfg := m.cfg.Baseline
	cfg.Exclude = lbls.exclude(s.Labels)
	m.fitMu.Lock()
	model, err := m.fitter.Fit(history, cfg, m.cal)
	m.fitMu.Unlock()
	switch {
	case errors.Is(err, baseline.ErrNotEnoughData):
		// A new series: nothing to compare with yet. Not a failure of the
		// run, and certainly not an anomaly.
		res.Models[s.Labels.String()] = "not judged: " + err.Error()
		return nil
	case err != nil:
		return fmt.Errorf("fit baseline: %w", err)
	}
	res.Models[s.Labels.String()] = model.Describe()
	ls := m.eventLabels(s.Labels)
	det, chooser := m.current() // the saved tuning's, if any
	if chooser != nil {
		ch, err := chooser.detectorFor(ctx, ls, history, model, lbls.ranges(s.Labels))
		if err != nil {
			return fmt.Errorf("choose detector: %w", err)
		}
		det = ch.det
		res.Choices[s.Labels.String()] = ch.detail.String()
	}
	results := detector.Run(det, detector.Input{History: withoutRanges(history, cfg.Exclude), Points: recent, Model: model})
	res.Evaluated += len(results)
	if m.keepResults {
		res.judged = append(res.judged, judgedSeries{ls: s.Labels, results: results})
	}
	m.charts.record(m.name(), m.location, ls, history, results)
	if m.noise != nil {
		res.proposals = append(res.proposals, m.noise.candidates(s.Labels, pts, results, model)...)
	}
	m.addEvents(ls, det.Name(), results, res) // with the analyst rules, if any (rule_points.go)
	return nil
}

// eventLabels is the identity of a series' alerts: its label set with the
// metric name moved to "metric" (alert label names may not start with
// "__"), the monitor's labels, and alertname = the monitor's name.
func (m *monitor) eventLabels(ls labels.Labels) labels.Labels {
	b := labels.NewBuilder(ls)
	if name := ls.Get(model.MetricNameLabel); name != "" {
		b.Del(model.MetricNameLabel)
		b.Set("metric", name)
	}
	for k, v := range m.cfg.Labels {
		b.Set(k, v)
	}
	b.Set("alertname", m.cfg.Name)
	return b.Labels()
}

func (m *monitor) event(ls labels.Labels, detectorName string, r detector.Result) alert.Event {
	ann := make(map[string]string, len(m.cfg.Annotations)+1)
	for k, v := range m.cfg.Annotations {
		ann[k] = v
	}
	if _, ok := ann["summary"]; !ok {
		dir := "above"
		if r.Value < r.Expected {
			dir = "below"
		}
		ann["summary"] = fmt.Sprintf("%s is %s its normal band: %.4g (expected %.4g, band %.4g..%.4g)",
			m.cfg.Name, dir, r.Value, r.Expected, r.Lower, r.Upper)
	}
	return alert.Event{
		Kind:        alert.KindAnomaly,
		Job:         m.cfg.Name,
		Labels:      ls,
		Annotations: ann,
		Time:        r.T,
		Value:       r.Value,
		Expected:    r.Expected,
		Lower:       r.Lower,
		Upper:       r.Upper,
		Score:       r.Score,
		Detector:    detectorName,
	}
}

func addReports(a, b series.Report) series.Report {
	return series.Report{
		Input:      a.Input + b.Input,
		NaN:        a.NaN + b.NaN,
		Duplicates: a.Duplicates + b.Duplicates,
		OutOfOrder: a.OutOfOrder + b.OutOfOrder,
		Gaps:       a.Gaps + b.Gaps,
	}
}
