package engine

// Labels feed back into monitors here: confirmed noise ranges are kept out
// of baseline fitting (and out of the detector's warm-up), every
// confirmed label is handed to type auto's backtest, and Seismo proposes
// noise labels of its own — isolated spikes the detector families
// disagree on, and configured maintenance windows — for a person to
// confirm. The deciding logic is pure functions of points and results;
// only proposeNoise touches the store.

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/robfig/cron/v3"

	"github.com/seismo-dev/seismo/alert"
	"github.com/seismo-dev/seismo/baseline"
	"github.com/seismo-dev/seismo/config"
	"github.com/seismo-dev/seismo/detector"
	"github.com/seismo-dev/seismo/series"
	"github.com/seismo-dev/seismo/store"
)

// AutoAuthor is the author of the labels Seismo proposes.
const AutoAuthor = "seismo"

// runLabels are the confirmed labels of one monitor that overlap a run's
// query range, read once per run.
type runLabels []store.Label

// loadLabels reads the confirmed labels of monitor overlapping [from, to].
func loadLabels(ctx context.Context, st store.LabelStore, monitor string, from, to time.Time) (runLabels, error) {
	if st == nil {
		return nil, nil
	}
	ls, err := st.Labels(ctx, store.LabelFilter{
		Monitor: monitor, From: from, To: to,
		Statuses: []store.LabelStatus{store.StatusConfirmed},
		Limit:    store.MaxLabelLimit,
	})
	if err != nil {
		return nil, fmt.Errorf("read labels: %w", err)
	}
	return ls, nil
}

// exclude returns the noise ranges that apply to the series ls, as the
// half-open ranges baseline.Config.Exclude takes: a label's inclusive end
// becomes an exclusive end one millisecond (the store's precision) later.
func (rl runLabels) exclude(ls labels.Labels) []baseline.TimeRange {
	var out []baseline.TimeRange
	for _, l := range rl {
		if l.Kind == store.LabelNoise && l.Applies(ls) {
			out = append(out, baseline.TimeRange{From: l.From, To: l.To.Add(time.Millisecond)})
		}
	}
	return out
}

// ranges returns every label that applies to ls in the detector
// package's form, for type auto's backtest.
func (rl runLabels) ranges(ls labels.Labels) []detector.LabelRange {
	var out []detector.LabelRange
	for _, l := range rl {
		if l.Applies(ls) {
			out = append(out, detector.LabelRange{Start: l.From, End: l.To, Kind: detector.LabelKind(l.Kind)})
		}
	}
	return out
}

// withoutRanges returns pts without the points inside any of rs (pts
// itself when rs is empty), so that a labelled glitch does not warm a
// stateful detector either.
func withoutRanges(pts []series.Point, rs []baseline.TimeRange) []series.Point {
	if len(rs) == 0 {
		return pts
	}
	out := make([]series.Point, 0, len(pts))
	for _, p := range pts {
		if !inRanges(p.T, rs) {
			out = append(out, p)
		}
	}
	return out
}

func inRanges(t time.Time, rs []baseline.TimeRange) bool {
	for _, r := range rs {
		if r.Contains(t) {
			return true
		}
	}
	return false
}

// rangesSignature identifies a set of label ranges, so that a cached
// model or detector choice made under other labels is not reused. No
// labels is 0, which is also what a choice reloaded from the store has.
func rangesSignature(rs []detector.LabelRange) uint64 {
	if len(rs) == 0 {
		return 0
	}
	h := uint64(14695981039346656037) // FNV-1a
	mix := func(v uint64) {
		for i := 0; i < 8; i++ {
			h ^= v & 0xff
			h *= 1099511628211
			v >>= 8
		}
	}
	for _, r := range rs {
		mix(uint64(r.Start.UnixMilli()))
		mix(uint64(r.End.UnixMilli()))
		for _, c := range []byte(r.Kind) {
			mix(uint64(c))
		}
	}
	mix(uint64(len(rs)))
	return h
}

// SpikeVerdict is the evidence about one flagged point, kept in the
// proposed label's note so that the person reviewing it sees why.
type SpikeVerdict struct {
	T        time.Time
	Value    float64
	Isolated bool     // its neighbours were not flagged
	Reverted bool     // the next point is back inside the band
	Agree    []string // panel detectors that flag it too
	Disagree []string // panel detectors that do not
}

// Noise reports whether the verdict makes the point a noise candidate:
// a single point, back to normal at once, that fewer than half of the
// panel flag. A spike that every family sees is an anomaly, not noise.
func (v SpikeVerdict) Noise() bool {
	return v.Isolated && v.Reverted && len(v.Agree)*2 < len(v.Agree)+len(v.Disagree)
}

// Note is the proposed label's note.
func (v SpikeVerdict) Note() string {
	return fmt.Sprintf("isolated spike of %.4g that reverted at once; flagged by the monitor's detector but not by %v (agreeing: %v)",
		v.Value, v.Disagree, v.Agree)
}

// noisePanel is the set of detector families a flagged point is put to:
// one baseline family and three that learn from the series' recent points
// (rolling median/MAD, Tukey fences, an EWMA control chart), so that
// "the detectors disagree" means families with different assumptions.
type noisePanel []detector.Detector

// newNoisePanel builds the panel at the monitor's sensitivity.
func newNoisePanel(sensitivity float64) (noisePanel, error) {
	var p noisePanel
	for _, typ := range []string{detector.TypeRobust, detector.TypeRobustZ, detector.TypeIQR, detector.TypeEWMA} {
		d, err := detector.New(detector.Config{Type: typ, Sensitivity: sensitivity})
		if err != nil {
			return nil, fmt.Errorf("noise panel %s: %w", typ, err)
		}
		p = append(p, d)
	}
	return p, nil
}

// judgeSpikes examines the anomalies among results (the monitor's verdicts
// on the points after history, in time order) and returns a verdict for
// each that has a following point to tell whether it reverted. pts are
// every cleaned point of the series (history included), model the
// baseline fitted on the history. The last result, if anomalous, has no
// successor yet and is returned as pending.
func (p noisePanel) judgeSpikes(pts []series.Point, results []detector.Result, model baseline.Model) (verdicts []SpikeVerdict, pending *detector.Result) {
	for i, r := range results {
		if !r.Anomaly {
			continue
		}
		if i == len(results)-1 {
			rr := r
			return verdicts, &rr
		}
		v := SpikeVerdict{T: r.T, Value: r.Value}
		v.Isolated = (i == 0 || !results[i-1].Anomaly) && !results[i+1].Anomaly
		next := results[i+1]
		v.Reverted = !next.Anomaly && inBand(next)
		if v.Isolated && v.Reverted {
			p.vote(&v, pts, model)
		}
		verdicts = append(verdicts, v)
	}
	return verdicts, nil
}

// judgePending finishes the verdict on a point that was the newest of the
// previous run, now that its successor next is known.
func (p noisePanel) judgePending(pts []series.Point, prev detector.Result, prevPrevAnomaly bool, next detector.Result, model baseline.Model) SpikeVerdict {
	v := SpikeVerdict{T: prev.T, Value: prev.Value}
	v.Isolated = !prevPrevAnomaly && !next.Anomaly
	v.Reverted = !next.Anomaly && inBand(next)
	if v.Isolated && v.Reverted {
		p.vote(&v, pts, model)
	}
	return v
}

// inBand reports whether r's value lies inside its band (a result
// without a band counts as inside when it is not an anomaly).
func inBand(r detector.Result) bool {
	if math.IsNaN(r.Lower) || math.IsNaN(r.Upper) || r.Lower == 0 && r.Upper == 0 {
		return !r.Anomaly
	}
	return r.Value >= r.Lower && r.Value <= r.Upper
}

// vote asks each panel detector about the point at v.T, warmed on the
// points before it.
func (p noisePanel) vote(v *SpikeVerdict, pts []series.Point, model baseline.Model) {
	i, found := slices.BinarySearchFunc(pts, v.T, func(pt series.Point, t time.Time) int { return pt.T.Compare(t) })
	if !found {
		return
	}
	for _, d := range p {
		rs := detector.Run(d, detector.Input{History: pts[:i], Points: pts[i : i+1], Model: model})
		if len(rs) == 1 && rs[0].Anomaly {
			v.Agree = append(v.Agree, d.Name())
		} else {
			v.Disagree = append(v.Disagree, d.Name())
		}
	}
}

// maintenanceWindows returns the windows of mws that overlap [from, to]
// (each [start, start+duration]), in loc, sorted by start.
func maintenanceWindows(mws []config.Maintenance, loc *time.Location, from, to time.Time) ([]store.Label, error) {
	var out []store.Label
	for i, mw := range mws {
		sched, err := config.ScheduleParser.Parse(mw.Schedule)
		if err != nil {
			return nil, fmt.Errorf("maintenance[%d]: %w", i, err)
		}
		if s, ok := sched.(*cron.SpecSchedule); ok && loc != nil && s.Location == time.Local {
			s.Location = loc
		}
		d := mw.Duration.Std()
		// A window that started up to d before from still overlaps.
		for start := sched.Next(from.Add(-d).Add(-time.Nanosecond)); !start.After(to); start = sched.Next(start) {
			out = append(out, store.Label{
				From: start.UTC(), To: start.Add(d).UTC(), Kind: store.LabelNoise,
				Note: maintenanceNote(mw), Source: store.SourceAuto, Author: AutoAuthor,
			})
			if len(out) > 10000 {
				return nil, fmt.Errorf("maintenance[%d]: more than 10000 windows in %s..%s", i, from.Format(time.RFC3339), to.Format(time.RFC3339))
			}
		}
	}
	slices.SortFunc(out, func(a, b store.Label) int { return a.From.Compare(b.From) })
	return out, nil
}

func maintenanceNote(mw config.Maintenance) string {
	n := fmt.Sprintf("maintenance window %q for %s", mw.Schedule, mw.Duration)
	if mw.Note != "" {
		n += ": " + mw.Note
	}
	return n
}

// proposeNoise stores the proposals that are new: a proposal is dropped
// when any label (of any status, so a rejected proposal is not made
// again) already covers the same series and overlaps its range.
func proposeNoise(ctx context.Context, st store.LabelStore, monitor string, proposals []store.Label) (int, error) {
	var fresh []store.Label
	for _, p := range proposals {
		ls := p.Series
		f := store.LabelFilter{Monitor: monitor, Series: &ls, From: p.From, To: p.To, Limit: 1}
		have, err := st.Labels(ctx, f)
		if err != nil {
			return 0, fmt.Errorf("propose noise: %w", err)
		}
		if len(have) == 0 {
			p.Monitor = monitor
			fresh = append(fresh, p)
		}
	}
	if len(fresh) == 0 {
		return 0, nil
	}
	if _, err := st.CreateLabels(ctx, AutoAuthor, fresh); err != nil {
		return 0, fmt.Errorf("propose noise: %w", err)
	}
	return len(fresh), nil
}

// noiseState is a monitor's spike-candidate machinery: the panel and the
// anomalies found at the newest point of a run, which wait for the next
// run's first point to tell whether they reverted.
type noiseState struct {
	panel noisePanel

	mu      sync.Mutex
	pending map[alert.Fingerprint]pendingSpike
}

type pendingSpike struct {
	r           detector.Result
	prevAnomaly bool // the point before it was flagged too
}

func newNoiseState(sensitivity float64) (*noiseState, error) {
	p, err := newNoisePanel(sensitivity)
	if err != nil {
		return nil, err
	}
	return &noiseState{panel: p, pending: map[alert.Fingerprint]pendingSpike{}}, nil
}

// candidates returns the noise labels to propose for the series ls from
// one run's results (see judgeSpikes), finishing the verdict on the
// previous run's pending point first.
func (n *noiseState) candidates(ls labels.Labels, pts []series.Point, results []detector.Result, model baseline.Model) []store.Label {
	fp := alert.FingerprintOf(ls)
	var verdicts []SpikeVerdict
	n.mu.Lock()
	prev, hasPrev := n.pending[fp]
	delete(n.pending, fp)
	n.mu.Unlock()
	if hasPrev && len(results) > 0 && results[0].T.After(prev.r.T) {
		verdicts = append(verdicts, n.panel.judgePending(pts, prev.r, prev.prevAnomaly, results[0], model))
	}
	vs, pending := n.panel.judgeSpikes(pts, results, model)
	verdicts = append(verdicts, vs...)
	if pending != nil {
		k := len(results)
		n.mu.Lock()
		n.pending[fp] = pendingSpike{r: *pending, prevAnomaly: k > 1 && results[k-2].Anomaly}
		n.mu.Unlock()
	}
	var out []store.Label
	for _, v := range verdicts {
		if v.Noise() {
			out = append(out, store.Label{
				Series: ls, From: v.T.UTC(), To: v.T.UTC(), Kind: store.LabelNoise,
				Note: v.Note(), Source: store.SourceAuto, Author: AutoAuthor,
			})
		}
	}
	return out
}

// afterRun stores the run's new noise proposals — spikes, and the
// maintenance windows of the judged range — and moves the monitor's
// generation when its events or labels changed. A failure to propose is
// logged, not a failure of the run: the events are stored already.
func (e *Engine) afterRun(ctx context.Context, m *monitor, res *Result) {
	proposals := res.proposals
	if len(m.cfg.Maintenance) > 0 {
		ws, err := maintenanceWindows(m.cfg.Maintenance, m.location, res.From, res.To)
		if err != nil {
			e.log.Warn("maintenance windows", "job", m.name(), "err", err)
		}
		proposals = append(proposals, ws...)
	}
	if len(proposals) > 0 {
		n, err := proposeNoise(ctx, e.store, m.name(), proposals)
		if err != nil {
			e.log.Warn("propose noise labels", "job", m.name(), "err", err)
		}
		if n > 0 {
			res.Proposed = n
			e.log.Info("noise labels proposed for review", "job", m.name(), "count", n)
		}
	}
	if res.Stored > 0 || res.Proposed > 0 {
		e.touch(m.name())
	}
}
