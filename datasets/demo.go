// Package datasets generates the deterministic synthetic data behind
// Seismo's demo, tests and benchmarks.
//
// The demo is a small brokerage: account openings per channel, trades per
// market and the order-management system's p99 latency, shaped by a
// trading calendar and laced with labelled anomalies. Every value is a pure
// function of (seed, series, instant), so the data needs no storage and a
// live feed is simply "query up to now".
//
// The package is pure: no I/O, no goroutines, no global state.
package datasets

import (
	"fmt"
	"github.com/prometheus/common/model"
	"math"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/baseline/calendar"
	"github.com/seismo-dev/seismo/series"
)

// MaxPoints caps the points one Range call returns, so that a careless
// range cannot exhaust memory; longer ranges are cut at the end and callers
// split them (about two years of one-minute points).
const MaxPoints = 1 << 20

// spikeMinExtra is the least a count spike adds per minute.
const spikeMinExtra = 15

// Metric names of the demo series.
const (
	MetricAccountOpenings = "account_openings" // accounts opened per minute, by channel
	MetricTradeCount      = "trade_count"      // trades per minute, by market
	MetricOrderLatency    = "order_latency_ms" // p99 order latency in milliseconds, by system
)

// seriesSpec describes how one demo series behaves.
type seriesSpec struct {
	ls labels.Labels
	id uint64 // stable hash of the label set, the series' share of every random key

	latency      bool // a p99 latency (continuous, log-normal noise) instead of a count
	sessionBound bool // exists only inside trading sessions; its anomalies are placed there

	// Counts: expected per-minute rate = allDay·diurnal + session·profile.
	allDay   float64 // scale of the round-the-clock component (online channels)
	session  float64 // scale of the in-session component
	overdisp float64 // log-sd of extra per-minute variation on top of Poisson noise
	daySD    float64 // log-sd of the day-to-day level
}

// Demo is the synthetic brokerage. It is safe for concurrent use: it holds
// only immutable configuration.
type Demo struct {
	seed  uint64
	cal   *calendar.Calendar
	loc   *time.Location
	specs []seriesSpec
}

// NewDemo returns the demo data for seed, shaped by cal: sessions, trading
// weekdays and holidays. A nil cal selects a Chinese-stock-market-like
// calendar (UTC+8, sessions 09:30-11:30 and 13:00-15:00, Monday to Friday,
// no holidays). Give it the same calendar the monitors use, so that the
// holidays they know about look like holidays in the data.
func NewDemo(seed int64, cal *calendar.Calendar) *Demo {
	if cal == nil {
		cal = defaultCalendar()
	}
	d := &Demo{seed: uint64(seed), cal: cal, loc: cal.Location()}
	if d.loc == nil {
		d.loc = time.UTC
	}
	add := func(s seriesSpec, kv ...string) {
		s.ls = labels.FromStrings(kv...)
		s.id = hashString(s.ls.String())
		d.specs = append(d.specs, s)
	}
	// Online channels open accounts around the clock, busiest while the
	// market trades; branches open accounts only while they are open.
	add(seriesSpec{allDay: 5, session: 15, overdisp: 0.05, daySD: 0.05}, model.MetricNameLabel, MetricAccountOpenings, "channel", "app")
	add(seriesSpec{allDay: 2, session: 6, overdisp: 0.05, daySD: 0.05}, model.MetricNameLabel, MetricAccountOpenings, "channel", "web")
	add(seriesSpec{sessionBound: true, session: 4, overdisp: 0.05, daySD: 0.05}, model.MetricNameLabel, MetricAccountOpenings, "channel", "branch")
	add(seriesSpec{sessionBound: true, session: 4000, overdisp: 0.04, daySD: 0.05}, model.MetricNameLabel, MetricTradeCount, "market", "sh")
	add(seriesSpec{sessionBound: true, session: 3500, overdisp: 0.04, daySD: 0.05}, model.MetricNameLabel, MetricTradeCount, "market", "sz")
	add(seriesSpec{latency: true, daySD: 0.03}, model.MetricNameLabel, MetricOrderLatency, "system", "oms")
	return d
}

// defaultCalendar builds the calendar NewDemo uses when given none. China
// has no daylight saving time, so a fixed UTC+8 zone is exact and needs no
// time zone database.
func defaultCalendar() *calendar.Calendar {
	cal, err := calendar.New(calendar.Config{
		Sessions: []string{"09:30-11:30", "13:00-15:00"},
		Weekdays: []string{"mon", "tue", "wed", "thu", "fri"},
	}, time.FixedZone("CST", 8*60*60))
	if err != nil {
		// The configuration is a constant: failing here is a bug, not bad input.
		panic(fmt.Sprintf("datasets: default calendar: %v", err))
	}
	return cal
}

// Calendar returns the calendar that shapes the data.
func (d *Demo) Calendar() *calendar.Calendar { return d.cal }

// Series returns the label sets of the demo series, each with __name__:
// account_openings{channel="app"|"web"|"branch"}, trade_count{market="sh"|"sz"}
// and order_latency_ms{system="oms"}.
func (d *Demo) Series() []labels.Labels {
	out := make([]labels.Labels, len(d.specs))
	for i, s := range d.specs {
		out[i] = s.ls.Copy()
	}
	return out
}

// spec returns the series with exactly the label set ls, or nil.
func (d *Demo) spec(ls labels.Labels) *seriesSpec {
	for i := range d.specs {
		if labels.Equal(d.specs[i].ls, ls) {
			return &d.specs[i]
		}
	}
	return nil
}

// Range returns the values of the series ls at every multiple of step
// (counted from Go's zero time, which for steps dividing a day means from
// the Unix epoch) within [start, end]. Values are per-minute quantities: an
// instant takes the value of the minute it falls in. The injected anomalies
// (see Anomalies) are part of the data.
//
// Range returns nil for an unknown label set, a step that is not positive
// or an end before start, and at most MaxPoints points.
func (d *Demo) Range(ls labels.Labels, start, end time.Time, step time.Duration) []series.Point {
	s := d.spec(ls)
	if s == nil || step <= 0 || end.Before(start) {
		return nil
	}
	first := start.Truncate(step)
	if first.Before(start) {
		first = first.Add(step)
	}
	if first.After(end) {
		return nil
	}
	n := int64(end.Sub(first)/step) + 1
	if n > MaxPoints {
		n = MaxPoints
	}
	out := make([]series.Point, 0, n)
	var (
		day *dayInfo
		ans []injected
	)
	for k := range n {
		t := first.Add(time.Duration(k) * step)
		tm := t.Truncate(time.Minute)
		if day == nil || !tm.Before(day.end) || tm.Before(day.start) {
			day = d.day(tm)
			ans = d.seriesAnomalies(day, s)
		}
		var an *injected
		for i := range ans {
			if !tm.Before(ans[i].Start) && tm.Before(ans[i].End) {
				an = &ans[i]
				break
			}
		}
		out = append(out, series.Point{T: t.In(d.loc), V: d.value(s, day, tm, an)})
	}
	return out
}

// value is the observed value of series s at minute tm, with anomaly an
// (nil for none) applied.
func (d *Demo) value(s *seriesSpec, day *dayInfo, tm time.Time, an *injected) float64 {
	factor := 1.0
	if an != nil {
		if an.Kind == KindFlatline {
			// A stuck counter repeats the value of the first frozen minute.
			tm = an.Start
		} else {
			factor = an.factor
		}
	}
	level, inSession := d.level(s, day, tm)
	switch {
	case an != nil && an.Kind == KindSpike && !s.latency:
		// A burst (a campaign, a bot, a retry storm) adds at least a fixed
		// number of events, so spikes show even where counts are low.
		level = max(level*factor, level+spikeMinExtra)
	default:
		level *= factor
	}
	minute := uint64(tm.Unix() / 60)
	if s.latency {
		sd := 0.12
		if inSession {
			sd = 0.08
		}
		z := normal(uniform(mix(d.seed, s.id, minute, streamLatency)), uniform(mix(d.seed, s.id, minute, streamLatency2)))
		return math.Round(level*math.Exp(sd*z-sd*sd/2)*10) / 10
	}
	if level <= 0 {
		return 0
	}
	z := normal(uniform(mix(d.seed, s.id, minute, streamOverdisp)), uniform(mix(d.seed, s.id, minute, streamOverdisp+100)))
	level *= math.Exp(s.overdisp*z - s.overdisp*s.overdisp/2)
	return poisson(level, uniform(mix(d.seed, s.id, minute, streamCount)), uniform(mix(d.seed, s.id, minute, streamCountNorm)))
}

// level is the noise-free expected value of series s at minute tm and
// whether tm is inside a trading session.
func (d *Demo) level(s *seriesSpec, day *dayInfo, tm time.Time) (float64, bool) {
	ph := day.phase(tm)
	local := tm.In(d.loc)
	hour := float64(local.Hour()) + float64(local.Minute())/60
	dayFactor := d.dayFactor(s, day)
	if s.latency {
		v := 28.0
		if ph.in {
			open := 0.6 // the afternoon re-open is a smaller rush
			if ph.idx == 0 {
				open = 2.0
			}
			v = 40 * (1 + open*math.Exp(-ph.sinceOpen/6) + 0.2*math.Exp(-ph.toClose/10))
			if day.weekday == time.Monday {
				v *= 1.05
			}
		}
		return v * dayFactor, ph.in
	}
	weekly := 0.7 // weekends and holidays
	if day.trading {
		weekly = weekdayFactor(day.weekday, hour)
	}
	v := s.allDay * diurnal(hour) * weekly
	if ph.in {
		v += s.session * sessionProfile(ph) * weekly
	}
	return v * dayFactor, ph.in
}

// dayFactor is the series' level on a day relative to its typical level:
// real businesses have good and bad days.
func (d *Demo) dayFactor(s *seriesSpec, day *dayInfo) float64 {
	k := uint64(day.key)
	z := normal(uniform(mix(d.seed, s.id, k, streamDay)), uniform(mix(d.seed, s.id, k, streamDay+100)))
	return math.Exp(s.daySD*z - s.daySD*s.daySD/2)
}

// weekdayFactor is the weekly pattern of a trading day: Mondays are busier
// (weekend backlog), Friday afternoons quieter.
func weekdayFactor(wd time.Weekday, hour float64) float64 {
	switch wd {
	case time.Monday:
		return 1.2
	case time.Tuesday:
		return 1.05
	case time.Friday:
		if hour >= 12 {
			return 0.95 * 0.8
		}
		return 0.95
	}
	return 1
}

// diurnal is the round-the-clock activity of online channels, relative to
// the daytime level: quiet at night, a ramp in the morning, an evening peak.
func diurnal(hour float64) float64 {
	sig := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	day := sig((hour-7.5)/0.8) * (1 - sig((hour-22.5)/0.7))
	evening := math.Exp(-math.Pow((hour-20.5)/1.2, 2))
	return 0.15 + 0.85*day + 0.3*evening
}

// sessionProfile is the intraday shape of trading activity: the open is the
// busiest, the afternoon re-open and the close are busier than mid-session,
// and mornings trade more than afternoons.
func sessionProfile(ph phase) float64 {
	var p float64
	if ph.idx == 0 {
		p = 1.1 + 1.5*math.Exp(-ph.sinceOpen/20)
	} else {
		p = 0.9 + 0.4*math.Exp(-ph.sinceOpen/15)
	}
	if ph.idx == ph.n-1 {
		p += 0.5 * math.Exp(-ph.toClose/20)
	} else {
		p += 0.15 * math.Exp(-ph.toClose/15)
	}
	return p
}
