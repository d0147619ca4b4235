package engine

// Results written back as series (global.remote_write): after each
// scheduled monitor run that succeeded, every judged point of every
// series becomes four samples,
//
//	seismo_anomaly_score  the detector's score in [0, 1] (0.5 at the threshold)
//	seismo_expected       the expected value
//	seismo_lower          the band's lower edge
//	seismo_upper          the band's upper edge
//
// labelled with the series' label set (its metric name moved to the label
// "metric") and monitor=<the monitor's name>; a series label already
// called monitor is kept as exported_monitor, as Prometheus does on
// conflicts. Backtests write the same series with backtest="true" added
// when asked to, so that a dashboard can tell a what-if from what ran.
// Non-finite values are skipped. A failed write is logged and counted
// (seismo_remote_write_samples_total{result="failed"}) but does not fail
// the run: the run's events are stored and its cursor moved by then.

import (
	"context"
	"fmt"
	"math"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/detector"
	"github.com/seismo-dev/seismo/series"
	"github.com/seismo-dev/seismo/source"
)

// Names of the result series.
const (
	MetricAnomalyScore = "seismo_anomaly_score"
	MetricExpected     = "seismo_expected"
	MetricLower        = "seismo_lower"
	MetricUpper        = "seismo_upper"
)

// judgedSeries is one series' results of a run, kept for remote write.
type judgedSeries struct {
	ls      labels.Labels
	results []detector.Result
}

// openRemoteWrite builds the engine's remote writer when configured.
func (e *Engine) openRemoteWrite() error {
	rw := e.cfg.Global.RemoteWrite
	if rw == nil {
		return nil
	}
	w, err := source.NewRemoteWriter(*rw, source.RemoteWriterOptions{Logger: e.log.With("component", "remote_write"), Registerer: e.reg})
	if err != nil {
		return err
	}
	e.tuning.writer = w
	for _, m := range e.monitors {
		m.keepResults = true
	}
	return nil
}

// writeResults writes a run's results, if remote write is configured.
func (e *Engine) writeResults(ctx context.Context, m *monitor, res *Result) {
	w := e.tuning.writer
	if w == nil || len(res.judged) == 0 {
		return
	}
	var out []source.WriteSeries
	for _, j := range res.judged {
		out = append(out, resultSeries(m.name(), j.ls, columnsOf(j.results), nil)...)
	}
	if err := w.Write(ctx, out); err != nil {
		e.log.Warn("remote write of the run's results failed", "job", m.name(), "err", err)
	}
}

// columnsOf lays results out as the scored columns resultSeries reads.
func columnsOf(rs []detector.Result) *scoredSeries {
	var sc scoredSeries
	sc.grow(len(rs))
	for _, r := range rs {
		sc.add(r)
	}
	return &sc
}

// resultSeries turns one series' judged points into the four result
// series; extra labels (backtest="true") are added to each.
func resultSeries(monitor string, ls labels.Labels, sc *scoredSeries, extra []labels.Label) []source.WriteSeries {
	b := labels.NewBuilder(ls)
	if name := ls.Get(model.MetricNameLabel); name != "" {
		b.Set("metric", name)
	}
	if v := ls.Get("monitor"); v != "" {
		b.Set("exported_monitor", v)
	}
	b.Set("monitor", monitor)
	for _, l := range extra {
		b.Set(l.Name, l.Value)
	}
	out := make([]source.WriteSeries, 0, 4)
	for _, c := range []struct {
		name string
		vals []float64
	}{{MetricAnomalyScore, sc.score}, {MetricExpected, sc.e}, {MetricLower, sc.lo}, {MetricUpper, sc.hi}} {
		b.Set(model.MetricNameLabel, c.name)
		pts := make([]series.Point, 0, len(c.vals))
		for i, v := range c.vals {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				pts = append(pts, series.Point{T: sc.t[i], V: v})
			}
		}
		if len(pts) > 0 {
			out = append(out, source.WriteSeries{Labels: b.Labels(), Samples: pts})
		}
	}
	return out
}

// writeBacktest writes a backtest's scored series with backtest="true".
func (e *Engine) writeBacktest(ctx context.Context, b *backtest, scored []scoredSeries) error {
	w := e.tuning.writer
	if w == nil {
		return fmt.Errorf("%w: remote_write asked for, but global.remote_write is not configured", ErrInvalidRequest)
	}
	var out []source.WriteSeries
	extra := []labels.Label{{Name: "backtest", Value: "true"}}
	for i, bs := range b.series {
		out = append(out, resultSeries(b.m.name(), bs.ls, &scored[i], extra)...)
	}
	if err := w.Write(ctx, out); err != nil {
		return fmt.Errorf("write backtest results: %w", err)
	}
	return nil
}
