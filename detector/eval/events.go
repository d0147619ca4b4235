package eval

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// EventCounts are event-level outcomes. A predicted event is a run of
// flagged points (see Events); a labelled anomaly range counts once,
// however many points or events fall in it.
type EventCounts struct {
	// Predicted is the number of predicted events; Matched how many of
	// them overlap at least one anomaly range.
	Predicted, Matched int
	// Ranges is the number of anomaly ranges that contain at least one
	// evaluated point; Detected how many of them at least one predicted
	// event overlaps.
	Ranges, Detected int
}

// Precision is Matched/Predicted: the share of predicted events that were
// real; 0 when nothing was predicted.
func (c EventCounts) Precision() float64 { return ratio(c.Matched, c.Predicted) }

// Recall is Detected/Ranges: the share of anomaly ranges found; 0 when
// there was nothing to find.
func (c EventCounts) Recall() float64 { return ratio(c.Detected, c.Ranges) }

// F1 is the harmonic mean of event precision and recall, 0 when both are 0.
func (c EventCounts) F1() float64 {
	p, r := c.Precision(), c.Recall()
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

// Add returns the element-wise sum, to pool several series.
func (c EventCounts) Add(o EventCounts) EventCounts {
	return EventCounts{Predicted: c.Predicted + o.Predicted, Matched: c.Matched + o.Matched, Ranges: c.Ranges + o.Ranges, Detected: c.Detected + o.Detected}
}

// String formats the counts with precision, recall and F1.
func (c EventCounts) String() string {
	return fmt.Sprintf("events=%d matched=%d ranges=%d detected=%d precision=%.3f recall=%.3f f1=%.3f",
		c.Predicted, c.Matched, c.Ranges, c.Detected, c.Precision(), c.Recall(), c.F1())
}

// Events groups flagged points into predicted events: each run of
// consecutive flagged rows is one event from its first to its last row's
// time, and events separated by at most mergeGap (from one's end to the
// next one's start) are merged. mergeGap = 0 keeps every run separate, so
// a detector that flaps on and off predicts as many events as it would
// raise alerts. times must be sorted and as long as flagged.
func Events(times []time.Time, flagged []bool, mergeGap time.Duration) ([]Window, error) {
	if len(times) != len(flagged) {
		return nil, fmt.Errorf("events: %d timestamps but %d predictions", len(times), len(flagged))
	}
	if err := checkTimes(times); err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	if mergeGap < 0 {
		return nil, fmt.Errorf("events: negative merge gap %s", mergeGap)
	}
	var out []Window
	open := false // the previous row was flagged: extend the last event
	for i, f := range flagged {
		switch {
		case !f:
			open = false
		case open:
			out[len(out)-1].End = times[i]
		case len(out) > 0 && mergeGap > 0 && times[i].Sub(out[len(out)-1].End) <= mergeGap:
			out[len(out)-1].End, open = times[i], true
		default:
			out = append(out, Window{Start: times[i], End: times[i]})
			open = true
		}
	}
	return out, nil
}

// Overlaps reports whether two inclusive windows share an instant.
func (w Window) Overlaps(o Window) bool { return !w.Start.After(o.End) && !o.Start.After(w.End) }

// MergeWindows returns ws sorted, with windows that overlap or touch merged
// into one, so that two people labelling the same incident (or one range
// labelled twice) count as one. Inverted windows are an error.
func MergeWindows(ws []Window) ([]Window, error) {
	out := append([]Window(nil), ws...)
	for i, w := range out {
		if w.End.Before(w.Start) {
			return nil, fmt.Errorf("window %d ends (%s) before it starts (%s)", i, w.End.Format(time.RFC3339), w.Start.Format(time.RFC3339))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	merged := out[:0]
	for _, w := range out {
		if n := len(merged); n > 0 && !w.Start.After(merged[n-1].End) {
			if w.End.After(merged[n-1].End) {
				merged[n-1].End = w.End
			}
			continue
		}
		merged = append(merged, w)
	}
	return merged, nil
}

// CountEvents matches predicted events with anomaly ranges: a predicted
// event is matched when it overlaps any range; a range is detected when
// any predicted event overlaps it. Ranges must be merged (MergeWindows);
// ranges that contain none of times are left out (nothing was judged
// there, so no detector could find them) and returned as unjudged.
func CountEvents(times []time.Time, predicted, ranges []Window) (c EventCounts, unjudged int) {
	c.Predicted = len(predicted)
	for _, p := range predicted {
		for _, r := range ranges {
			if p.Overlaps(r) {
				c.Matched++
				break
			}
		}
	}
	for _, r := range ranges {
		if !containsAny(times, r) {
			unjudged++
			continue
		}
		c.Ranges++
		for _, p := range predicted {
			if p.Overlaps(r) {
				c.Detected++
				break
			}
		}
	}
	return c, unjudged
}

// containsAny reports whether a sorted times has an instant inside w.
func containsAny(times []time.Time, w Window) bool {
	i := sort.Search(len(times), func(i int) bool { return !times[i].Before(w.Start) })
	return i < len(times) && !times[i].After(w.End)
}

// PointAdjust returns the point-adjusted predictions of the literature
// (Xu et al. 2018): when any point of an anomaly range is flagged, every
// point of that range counts as flagged. It rewards one lucky flag in a
// long range as if the whole range had been found, which is why Report
// keeps it apart from the plain point and event metrics. ranges must be
// sorted and must not overlap (MergeWindows).
func PointAdjust(times []time.Time, flagged []bool, ranges []Window) []bool {
	out := append([]bool(nil), flagged...)
	for _, r := range ranges {
		lo := sort.Search(len(times), func(i int) bool { return !times[i].Before(r.Start) })
		hi := lo
		hit := false
		for ; hi < len(times) && !times[hi].After(r.End); hi++ {
			hit = hit || flagged[hi]
		}
		if hit {
			for i := lo; i < hi; i++ {
				out[i] = true
			}
		}
	}
	return out
}

// AlertsPerDay is n alerts over a span, per 24 hours; 0 for an empty span.
func AlertsPerDay(n int, span time.Duration) float64 {
	if span <= 0 {
		return 0
	}
	return float64(n) / (span.Hours() / 24)
}

// Input is one series to evaluate: the judged points' times (sorted), the
// verdict on each (after every gate: what would have raised an event) and
// the labelled ranges.
type Input struct {
	Name    string // for error messages
	Times   []time.Time
	Flagged []bool
	// Anomalies are the ranges labelled anomaly; overlapping ones are
	// merged and count once.
	Anomalies []Window
	// Ignore are ranges labelled noise: their points are left out of
	// every metric, as if they had not been judged (a flag there is
	// neither right nor wrong). Ranges labelled normal need no list:
	// unlabelled points are presumed normal.
	Ignore []Window
	// MergeGap merges predicted events separated by at most this much
	// (see Events).
	MergeGap time.Duration
}

// Report is the evaluation of one series or, from EvaluateCorpus, a
// corpus (counts pooled: micro-averaged).
type Report struct {
	// Points is the number of evaluated points; Ignored how many fell in
	// noise ranges and were left out.
	Points, Ignored int
	// Point compares flags with labels point by point.
	Point Counts
	// Events counts predicted events against anomaly ranges (not point
	// adjusted).
	Events EventCounts
	// PointAdjusted is the point metric after PointAdjust. It flatters:
	// a range of 60 points found by one flag counts 60 true positives.
	// Reported for comparison with papers that use it, never for choosing.
	PointAdjusted Counts
	// Unjudged counts anomaly ranges with no evaluated point in them; they
	// are left out of Events.Ranges.
	Unjudged int
	// NAB holds the NAB scores of the flags (score 1 flagged, 0 not; one
	// per profile, in Profiles order) at the fixed threshold 0.5, i.e. of
	// the verdicts as configured rather than NAB's optimised threshold.
	// Nil when no anomaly range contains an evaluated point (the score's
	// normalisation is undefined).
	NAB []NABScore
}

// Evaluate scores one series against its labels.
func Evaluate(in Input) (Report, error) {
	r, _, err := evaluate(in)
	return r, err
}

// EvaluateCorpus scores every series and returns the pooled report (counts
// summed over series; NAB over the corpus as one benchmark) and the
// per-series reports in input order.
func EvaluateCorpus(ins []Input) (Report, []Report, error) {
	var (
		total  Report
		per    = make([]Report, 0, len(ins))
		corpus []Series
	)
	for _, in := range ins {
		r, s, err := evaluate(in)
		if err != nil {
			return Report{}, nil, err
		}
		per = append(per, r)
		total.Points += r.Points
		total.Ignored += r.Ignored
		total.Point = total.Point.Add(r.Point)
		total.Events = total.Events.Add(r.Events)
		total.PointAdjusted = total.PointAdjusted.Add(r.PointAdjusted)
		total.Unjudged += r.Unjudged
		if len(s.Windows) > 0 {
			corpus = append(corpus, s)
		}
	}
	if len(corpus) > 0 {
		nab, err := nabAt(corpus)
		if err != nil {
			return Report{}, nil, err
		}
		total.NAB = nab
	}
	return total, per, nil
}

// evaluate is Evaluate, also returning the series as NAB sees it (its
// Windows empty when no range holds an evaluated point).
func evaluate(in Input) (Report, Series, error) {
	fail := func(err error) (Report, Series, error) {
		return Report{}, Series{}, fmt.Errorf("evaluate %s: %w", in.Name, err)
	}
	if len(in.Times) != len(in.Flagged) {
		return fail(fmt.Errorf("%d timestamps but %d predictions", len(in.Times), len(in.Flagged)))
	}
	if err := checkTimes(in.Times); err != nil {
		return fail(err)
	}
	anomalies, err := MergeWindows(in.Anomalies)
	if err != nil {
		return fail(fmt.Errorf("anomaly ranges: %w", err))
	}
	ignore, err := MergeWindows(in.Ignore)
	if err != nil {
		return fail(fmt.Errorf("noise ranges: %w", err))
	}
	var r Report
	times := make([]time.Time, 0, len(in.Times))
	flagged := make([]bool, 0, len(in.Flagged))
	for i, t := range in.Times {
		if inAny(ignore, t) {
			r.Ignored++
			continue
		}
		times = append(times, t)
		flagged = append(flagged, in.Flagged[i])
	}
	r.Points = len(times)
	truth := Labels(times, anomalies)
	if r.Point, err = PointCounts(flagged, truth); err != nil {
		return fail(err)
	}
	if r.PointAdjusted, err = PointCounts(PointAdjust(times, flagged, anomalies), truth); err != nil {
		return fail(err)
	}
	events, err := Events(times, flagged, in.MergeGap)
	if err != nil {
		return fail(err)
	}
	r.Events, r.Unjudged = CountEvents(times, events, anomalies)

	s := Series{Name: in.Name, Times: times, Scores: make([]float64, len(times))}
	for i, f := range flagged {
		if f {
			s.Scores[i] = 1
		}
	}
	for _, w := range anomalies {
		if containsAny(times, w) {
			s.Windows = append(s.Windows, w)
		}
	}
	if len(s.Windows) > 0 {
		if r.NAB, err = nabAt([]Series{s}); err != nil {
			return fail(err)
		}
	}
	return r, s, nil
}

// nabAt scores binary flags with NAB at the fixed threshold 0.5, one
// score per profile.
func nabAt(corpus []Series) ([]NABScore, error) {
	n, err := NewNAB(corpus)
	if err != nil {
		return nil, err
	}
	out := make([]NABScore, 0, 3)
	for _, p := range Profiles() {
		s := n.ScoreAt(p, 0.5)
		if math.IsNaN(s.Score) {
			s.Score = 0 // perfect = null: every window in probation
		}
		out = append(out, s)
	}
	return out, nil
}

// inAny reports whether t lies in one of the sorted, merged windows.
func inAny(ws []Window, t time.Time) bool {
	i := sort.Search(len(ws), func(i int) bool { return !ws[i].End.Before(t) })
	return i < len(ws) && !t.Before(ws[i].Start)
}
