package engine

// Evaluation of backtests against labels. The labels come from the store
// (confirmed ones only: a proposed automatic label counts once a person
// confirms it); a label with no series applies to every series of its
// monitor. Ranges labelled anomaly are what should have been found,
// ranges labelled noise are left out of the metrics and out of baseline
// fitting, and everything else is presumed normal — but only when the
// backtest has anomaly labels at all: without them there is nothing to
// measure precision and recall by, and the result says so (Labelled
// false) rather than reporting every alert as false.

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/detector/eval"
	"github.com/seismo-dev/seismo/store"
)

// Metrics measure a backtest, pooled over its series or for one.
type Metrics struct {
	// Points is the number of judged points.
	Points int `json:"points"`
	// Alerts counts the alerts that would have paged; Silent those that
	// fired and resolved within one run (see BacktestAlert.Silent).
	Alerts       int     `json:"alerts"`
	Silent       int     `json:"silent_alerts"`
	AlertsPerDay float64 `json:"alerts_per_day"`
	// Labelled is true when the range holds anomaly labels with judged
	// points in them; the label metrics below are meaningful only then.
	Labelled bool `json:"labelled"`
	// Alert matches the alerts that paged with the anomaly ranges: the
	// share of alerts that were real (precision) and of labelled
	// incidents that paged someone (recall). Alerts overlapping only
	// noise are left out.
	Alert EventScores `json:"alert"`
	// Event matches runs of flagged points (events) with anomaly ranges,
	// each range counting once.
	Event EventScores `json:"event"`
	// Point compares flags with labels point by point.
	Point PointScores `json:"point"`
	// PointAdjusted is Point after point adjustment (a range counts as
	// entirely found when one point of it is flagged). It flatters; it is
	// here for comparison with the literature only.
	PointAdjusted PointScores `json:"point_adjusted"`
	// NAB is the NAB score per profile of the flags as configured (the
	// fixed verdicts, not NAB's optimised threshold); absent without
	// labels.
	NAB map[string]float64 `json:"nab,omitempty"`
	// UnjudgedRanges counts anomaly ranges without a judged point, left
	// out of every recall.
	UnjudgedRanges int `json:"unjudged_ranges,omitempty"`
}

// EventScores are event-level precision, recall and F1 with their counts.
type EventScores struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Predicted int     `json:"predicted"`
	Matched   int     `json:"matched"`
	Ranges    int     `json:"ranges"`
	Detected  int     `json:"detected"`
}

// PointScores are point-level precision, recall and F1 with their counts.
type PointScores struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	TP        int     `json:"tp"`
	FP        int     `json:"fp"`
	FN        int     `json:"fn"`
	TN        int     `json:"tn"`
}

func eventScores(c eval.EventCounts) EventScores {
	return EventScores{Precision: c.Precision(), Recall: c.Recall(), F1: c.F1(), Predicted: c.Predicted, Matched: c.Matched, Ranges: c.Ranges, Detected: c.Detected}
}

func pointScores(c eval.Counts) PointScores {
	return PointScores{Precision: c.Precision(), Recall: c.Recall(), F1: c.F1(), TP: c.TP, FP: c.FP, FN: c.FN, TN: c.TN}
}

// monitorLabels reads the confirmed labels of a monitor overlapping
// [from, to], every page of them.
func (e *Engine) monitorLabels(ctx context.Context, monitor string, from, to time.Time) ([]store.Label, error) {
	var out []store.Label
	f := store.LabelFilter{
		Monitor:  monitor,
		From:     from,
		To:       to,
		Statuses: []store.LabelStatus{store.StatusConfirmed},
		Limit:    store.MaxLabelLimit,
	}
	for {
		page, err := e.store.Labels(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("read labels of %q: %w", monitor, err)
		}
		out = append(out, page...)
		if len(page) < store.MaxLabelLimit {
			return out, nil
		}
		f.AfterID = page[len(page)-1].ID
	}
}

// labelRanges picks the labels that apply to the series ls and returns
// their anomaly and noise ranges.
func labelRanges(all []store.Label, ls labels.Labels) (anomalies, noise []eval.Window, applying []store.Label) {
	for _, l := range all {
		if !l.Effective() || !l.Applies(ls) {
			continue
		}
		applying = append(applying, l)
		w := eval.Window{Start: l.From, End: l.To}
		switch l.Kind {
		case store.LabelAnomaly:
			anomalies = append(anomalies, w)
		case store.LabelNoise:
			noise = append(noise, w)
		}
	}
	return anomalies, noise, applying
}

// evalInput is the evaluation input of one scored series.
func (b *backtest) evalInput(bs *btSeries, sc *scoredSeries) eval.Input {
	return eval.Input{
		Name:      bs.ls.String(),
		Times:     sc.t,
		Flagged:   sc.anomaly,
		Anomalies: bs.anomalies,
		Ignore:    bs.noise,
		MergeGap:  b.mergeGap,
	}
}

// judgeAlerts sets each alert's Verdict and Labels from the labels of its
// series; labelled says whether the backtest has anomaly labels at all
// (else an alert overlapping no label is not called false).
func judgeAlerts(as []BacktestAlert, marks []store.Label, labelled bool) {
	for i := range as {
		a := &as[i]
		a.Verdict, a.Labels = "", nil
		var anomaly, noise, normal bool
		for _, l := range marks {
			if !l.Overlaps(a.Start, a.LastEvent) {
				continue
			}
			a.Labels = append(a.Labels, l.ID)
			switch l.Kind {
			case store.LabelAnomaly:
				anomaly = true
			case store.LabelNoise:
				noise = true
			case store.LabelNormal:
				normal = true
			}
		}
		switch {
		case anomaly:
			a.Verdict = "anomaly"
		case noise && !normal:
			a.Verdict = "noise"
		case normal || labelled:
			a.Verdict = "false"
		}
	}
}

// alertCounts matches the paged alerts of one series (noise-only ones
// left out) with its anomaly ranges.
func alertCounts(times []time.Time, as []BacktestAlert, anomalies []eval.Window) (eval.EventCounts, error) {
	var ws []eval.Window
	for _, a := range as {
		if !a.Silent && a.Verdict != "noise" {
			ws = append(ws, eval.Window{Start: a.Start, End: a.LastEvent})
		}
	}
	merged, err := eval.MergeWindows(anomalies)
	if err != nil {
		return eval.EventCounts{}, err
	}
	c, _ := eval.CountEvents(times, ws, merged)
	return c, nil
}

// metrics measures one or more series (ins, alerts and bss are
// parallel), judging the alerts first.
func (b *backtest) metrics(ins []eval.Input, alerts [][]BacktestAlert, bss []*btSeries) Metrics {
	var flat []BacktestAlert
	labelled := b.labelled()
	for i := range alerts {
		judgeAlerts(alerts[i], bss[i].marks, labelled)
		flat = append(flat, alerts[i]...)
	}
	return b.measure(ins, alerts, flat)
}

// metricsPooled measures every series of the backtest (ins in series
// order), given their alerts already judged (flat, in any order).
func (b *backtest) metricsPooled(ins []eval.Input, flat []BacktestAlert) Metrics {
	per := make([][]BacktestAlert, len(b.series))
	index := make(map[string]int, len(b.series))
	for i, bs := range b.series {
		index[bs.ls.String()] = i
	}
	for _, a := range flat {
		i := index[a.Series.String()]
		per[i] = append(per[i], a)
	}
	return b.measure(ins, per, flat)
}

// measure computes Metrics from evaluation inputs and judged alerts per
// series (parallel to ins).
func (b *backtest) measure(ins []eval.Input, per [][]BacktestAlert, flat []BacktestAlert) Metrics {
	var m Metrics
	for _, a := range flat {
		if a.Silent {
			m.Silent++
		} else {
			m.Alerts++
		}
	}
	m.AlertsPerDay = eval.AlertsPerDay(m.Alerts, b.to.Sub(b.from))
	total, _, err := eval.EvaluateCorpus(ins)
	if err != nil {
		// The inputs are built from sorted points and validated labels;
		// an error here is a bug, reported in the result rather than
		// failing the whole backtest.
		b.e.log.Error("backtest: evaluation failed", "monitor", b.m.name(), "err", err)
		return m
	}
	m.Points = total.Points
	m.Event = eventScores(total.Events)
	m.Point = pointScores(total.Point)
	m.PointAdjusted = pointScores(total.PointAdjusted)
	m.UnjudgedRanges = total.Unjudged
	m.Labelled = total.Events.Ranges > 0
	if total.NAB != nil {
		m.NAB = map[string]float64{}
		for _, s := range total.NAB {
			m.NAB[s.Profile.Name] = s.Score
		}
	}
	var ac eval.EventCounts
	for i, in := range ins {
		c, err := alertCounts(in.Times, per[i], in.Anomalies)
		if err != nil {
			b.e.log.Error("backtest: alert evaluation failed", "monitor", b.m.name(), "err", err)
			continue
		}
		ac = ac.Add(c)
	}
	m.Alert = eventScores(ac)
	return m
}

// labelled reports whether any series of the backtest has anomaly labels.
func (b *backtest) labelled() bool {
	for _, bs := range b.series {
		if len(bs.anomalies) > 0 {
			return true
		}
	}
	return false
}
