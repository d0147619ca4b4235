package engine

// The alert manager's wiring: its durable state in the engine's store,
// charts of the series behind an alert, and the trading calendars as time
// intervals that routes can mute in or be active in.

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"gonum.org/v1/plot/vg"

	"github.com/seismo-dev/seismo/alert"
	"github.com/seismo-dev/seismo/baseline/calendar"
	"github.com/seismo-dev/seismo/chart"
	"github.com/seismo-dev/seismo/detector"
	"github.com/seismo-dev/seismo/series"
)

// sessionsInterval is a calendar as a time interval: its trading sessions.
// A Calendar is immutable once built, so Contains is safe for concurrent
// use, as the router requires.
type sessionsInterval struct{ cal *calendar.Calendar }

func (s sessionsInterval) Contains(t time.Time) bool { return s.cal.InSession(t) }

// tradingDaysInterval is a calendar as a time interval: its trading days,
// whole.
type tradingDaysInterval struct{ cal *calendar.Calendar }

func (d tradingDaysInterval) Contains(t time.Time) bool { return d.cal.IsTradingDay(t) }

// CalendarIntervals returns the time intervals the calendars offer to the
// alert router, by name: "<calendar>" for its trading sessions and
// "<calendar>:trading_days" (calendar.TradingDaysSuffix) for its trading
// days, whole — the names the config loader lets routes use. A route that
// should stay quiet outside trading hours names the calendar in
// active_time_intervals; one that should not page during them, in
// mute_time_intervals.
func CalendarIntervals(cals map[string]*calendar.Calendar) map[string]alert.TimeInterval {
	out := make(map[string]alert.TimeInterval, 2*len(cals))
	for name, cal := range cals {
		out[name] = sessionsInterval{cal}
		out[name+calendar.TradingDaysSuffix] = tradingDaysInterval{cal}
	}
	return out
}

// Bounds of the chart cache: the points kept per series (six hours at a
// one-minute step) and the series kept. A point is some 64 bytes, so the
// cache stays under 25 MB however many series the monitors have.
const (
	chartPoints = 360
	chartSeries = 1024
)

// chartCache keeps, per alert fingerprint (an anomaly event's label set),
// the newest points the monitor judged, with their bands, so that a
// notification can show what the detector saw without querying the
// source again — which may be slow, or down, just when it matters. It
// starts empty: after a restart, a series has a chart again once its
// monitor has run.
type chartCache struct {
	mu     sync.Mutex
	series map[alert.Fingerprint]*chartEntry
	tick   uint64 // counts updates, for evicting the least recently updated series
}

type chartEntry struct {
	monitor string
	loc     *time.Location
	pts     []chart.Point // by time, at most chartPoints
	updated uint64
}

func newChartCache() *chartCache {
	return &chartCache{series: make(map[alert.Fingerprint]*chartEntry)}
}

// record adds what a run of monitor judged of the series whose alerts
// have the label set ls. Points judged again replace the cached ones;
// when the cache holds fewer than chartPoints, the history before them
// fills the chart with values (without a band). It copies what it keeps,
// so the run's slices are not held on to.
func (c *chartCache) record(monitor string, loc *time.Location, ls labels.Labels, history []series.Point, results []detector.Result) {
	if c == nil || len(results) == 0 {
		return
	}
	fp := alert.FingerprintOf(ls)
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.series[fp]
	if e == nil {
		if len(c.series) >= chartSeries {
			c.evict()
		}
		e = &chartEntry{}
		c.series[fp] = e
	}
	c.tick++
	e.monitor, e.loc, e.updated = monitor, loc, c.tick
	e.pts = mergeChart(e.pts, history, results)
}

// mergeChart returns the chart points of a series after a run: the cached
// points older than the run's first judged point, the judged points, and
// history values before them all to fill up to chartPoints.
func mergeChart(cached []chart.Point, history []series.Point, results []detector.Result) []chart.Point {
	first := results[0].T
	keep := 0
	for keep < len(cached) && cached[keep].T.Before(first) {
		keep++
	}
	fresh := make([]chart.Point, 0, min(chartPoints, keep+len(results)))
	for _, r := range results {
		fresh = append(fresh, chart.Point{T: r.T, Value: r.Value, Expected: r.Expected, Lower: r.Lower, Upper: r.Upper, Anomaly: r.Anomaly})
	}
	if len(fresh) > chartPoints {
		return fresh[len(fresh)-chartPoints:]
	}
	older := cached[max(0, keep-(chartPoints-len(fresh))):keep]
	out := make([]chart.Point, 0, chartPoints)
	if room := chartPoints - len(fresh) - len(older); room > 0 {
		// Fill with the history just before the oldest point kept.
		limit := first
		if len(older) > 0 {
			limit = older[0].T
		}
		end := len(history)
		for end > 0 && !history[end-1].T.Before(limit) {
			end--
		}
		nan := math.NaN()
		for _, p := range history[max(0, end-room):end] {
			out = append(out, chart.Point{T: p.T, Value: p.V, Expected: nan, Lower: nan, Upper: nan})
		}
	}
	out = append(out, older...)
	return append(out, fresh...)
}

// evict drops the least recently updated series. c.mu must be held.
func (c *chartCache) evict() {
	var (
		oldest alert.Fingerprint
		tick   uint64
		found  bool
	)
	for fp, e := range c.series {
		if !found || e.updated < tick {
			oldest, tick, found = fp, e.updated, true
		}
	}
	delete(c.series, oldest)
}

// points returns a copy of the cached points of the alert's series.
func (c *chartCache) points(fp alert.Fingerprint) (string, *time.Location, []chart.Point) {
	if c == nil {
		return "", nil, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.series[fp]
	if e == nil {
		return "", nil, nil
	}
	return e.monitor, e.loc, slices.Clone(e.pts)
}

// Size of an alert's chart: readable inline in an e-mail or a chat
// message, small enough (some 40 KB) for every receiver.
const (
	chartWidth  = 8 * vg.Inch
	chartHeight = 3 * vg.Inch
)

// Chart renders the chart of the series behind an alert as a PNG: its
// recent values, band and anomalies as its monitor judged them. It
// returns nil, nil when the engine knows no such series (an alert of a
// log stream or a check, or one restored before its monitor ran again).
// It is the alert manager's ChartFunc.
func (e *Engine) Chart(ctx context.Context, a *alert.Alert) ([]byte, error) {
	monitor, loc, pts := e.charts.points(a.Fingerprint)
	if len(pts) == 0 {
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	err := chart.Render(&buf, "png", pts, chart.Options{
		Title: chartTitle(monitor, a.Labels), Width: chartWidth, Height: chartHeight, Location: loc,
	})
	if err != nil {
		return nil, fmt.Errorf("chart of alert %s: %w", a.Fingerprint, err)
	}
	return buf.Bytes(), nil
}

// chartTitle names the series: the monitor and the labels that tell its
// series apart (alertname, being the monitor, is left out).
func chartTitle(monitor string, ls labels.Labels) string {
	b := labels.NewBuilder(ls)
	b.Del(labels.AlertName)
	rest := b.Labels()
	if rest.IsEmpty() {
		return monitor
	}
	return monitor + " " + rest.String()
}

// Now returns the engine's clock, the one alerts and silences are judged by.
func (e *Engine) Now() time.Time { return e.now() }

// alertOptions returns the alert manager's options for this engine: the
// store keeps its state, the engine draws its charts, the calendars are
// its time intervals.
func (e *Engine) alertOptions(cals map[string]*calendar.Calendar) alert.Options {
	return alert.Options{
		Logger:      e.log.With("component", "alert"),
		Registerer:  e.reg,
		ExternalURL: "http://" + e.cfg.Global.Listen,
		Now:         e.now,
		State:       e.store,
		Charts:      e.Chart,
		Calendars:   CalendarIntervals(cals),
	}
}
