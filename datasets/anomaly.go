package datasets

import (
	"math"
	"sort"
	"time"

	"github.com/prometheus/prometheus/model/labels"
)

// Anomaly kinds injected into the demo data.
const (
	KindSpike      = "spike"       // 1–3 minutes at 3–5× the normal value (counts: at least +15)
	KindDip        = "dip"         // 15–45 minutes at about 30% of normal
	KindLevelShift = "level_shift" // 1–3 hours at −50% (counts) or +60% (latency), then back
	KindFlatline   = "flatline"    // 30–60 minutes frozen at the value of the first minute
)

// anomaliesPerDay is how many series get an anomaly on a day where every
// series can have one: half of the six, about one per series every two
// days. A fixed number per day (rather than a coin per series) guarantees
// that any two-day window holds at least one full day's worth.
const anomaliesPerDay = 3

// maxAnomalyDays bounds the days one Anomalies call walks (about ten years).
const maxAnomalyDays = 3660

// Injected is an anomaly put into the demo data: which series, what, and
// the half-open interval [Start, End) of the minutes it affects.
type Injected struct {
	Labels labels.Labels
	Kind   string // KindSpike, KindDip, KindLevelShift or KindFlatline
	Start  time.Time
	End    time.Time
}

// injected is an Injected with its magnitude, a multiplier of the normal
// level (unused by flatlines).
type injected struct {
	Injected
	factor float64
	spec   *seriesSpec
}

// Anomalies returns the injected anomalies that affect at least one
// instant in [start, end], sorted by start time then label set. Like the
// values, they are a pure function of the seed, the calendar and the day.
// Each stays within one local day: inside a trading session for series that
// exist only in sessions (branch openings, trades), between 08:00 and 22:00
// for the others.
func (d *Demo) Anomalies(start, end time.Time) []Injected {
	if end.Before(start) {
		return nil
	}
	var out []Injected
	day := d.day(start)
	for i := 0; i < maxAnomalyDays && !day.start.After(end); i++ {
		for _, a := range d.dayAnomalies(day) {
			if a.Start.After(end) || !a.End.After(start) {
				continue
			}
			a.Labels = a.Labels.Copy()
			out = append(out, a.Injected)
		}
		day = d.day(day.end)
	}
	return out
}

// seriesAnomalies returns the anomalies of one series on a day.
func (d *Demo) seriesAnomalies(day *dayInfo, s *seriesSpec) []injected {
	var out []injected
	for _, a := range d.dayAnomalies(day) {
		if a.spec == s {
			out = append(out, a)
		}
	}
	return out
}

// dayAnomalies returns all anomalies of a day, sorted by start time.
func (d *Demo) dayAnomalies(day *dayInfo) []injected {
	k := uint64(day.key)
	// Series that can have an anomaly today: session-bound ones only when
	// there is a session.
	var cand []*seriesSpec
	for i := range d.specs {
		if s := &d.specs[i]; !s.sessionBound || len(day.sessions) > 0 {
			cand = append(cand, s)
		}
	}
	// Pick anomaliesPerDay of them with a partial Fisher–Yates shuffle
	// driven by the day's hash.
	for i := 0; i < len(cand) && i < anomaliesPerDay; i++ {
		j := i + int(uniform(mix(d.seed, k, streamPick, uint64(i)))*float64(len(cand)-i))
		cand[i], cand[j] = cand[j], cand[i]
	}
	if len(cand) > anomaliesPerDay {
		cand = cand[:anomaliesPerDay]
	}
	out := make([]injected, 0, len(cand))
	for _, s := range cand {
		if a, ok := d.place(day, s); ok {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Start.Equal(out[j].Start) {
			return out[i].Start.Before(out[j].Start)
		}
		return labels.Compare(out[i].Labels, out[j].Labels) < 0
	})
	return out
}

// place draws the kind, duration, position and magnitude of series s's
// anomaly on day.
func (d *Demo) place(day *dayInfo, s *seriesSpec) (injected, bool) {
	k := uint64(day.key)
	u := func(stream uint64) float64 { return uniform(mix(d.seed, s.id, k, stream)) }

	var kind string
	var minMin, maxMin int
	switch uk := u(streamKind); {
	case uk < 0.30:
		kind, minMin, maxMin = KindSpike, 1, 3
	case uk < 0.55:
		kind, minMin, maxMin = KindDip, 15, 45
	case uk < 0.75:
		kind, minMin, maxMin = KindLevelShift, 60, 180
	default:
		kind, minMin, maxMin = KindFlatline, 30, 60
	}
	dur := time.Duration(minMin+int(u(streamDuration)*float64(maxMin-minMin+1))) * time.Minute

	// The window the anomaly must fit in.
	var w span
	if s.sessionBound {
		if len(day.sessions) == 0 {
			return injected{}, false
		}
		// A session chosen in proportion to its length.
		var total time.Duration
		for _, ss := range day.sessions {
			total += ss.end.Sub(ss.start)
		}
		pick := time.Duration(u(streamPlace2) * float64(total))
		w = day.sessions[len(day.sessions)-1]
		for _, ss := range day.sessions {
			if l := ss.end.Sub(ss.start); pick < l {
				w = ss
				break
			} else {
				pick -= l
			}
		}
	} else {
		y, m, dd := day.start.Date()
		w = span{time.Date(y, m, dd, 8, 0, 0, 0, d.loc), time.Date(y, m, dd, 22, 0, 0, 0, d.loc)}
	}
	var start, end time.Time
	if room := w.end.Sub(w.start); dur >= room {
		// Longer than the session: it lasts the whole session.
		start, end = w.start, w.end
	} else {
		slots := int((room-dur)/time.Minute) + 1
		start = w.start.Add(time.Duration(int(u(streamPlace)*float64(slots))) * time.Minute)
		end = start.Add(dur)
	}

	um := u(streamMagnitude)
	var factor float64
	switch kind {
	case KindSpike:
		factor = 3 + 2*um
	case KindDip:
		factor = 0.25 + 0.1*um
	case KindLevelShift:
		factor = 0.5
		if s.latency {
			factor = 1.6
		}
	default:
		factor = 1
	}
	return injected{
		Injected: Injected{Labels: s.ls, Kind: kind, Start: start, End: end},
		factor:   math.Round(factor*1000) / 1000,
		spec:     s,
	}, true
}
