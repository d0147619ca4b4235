package datasets

import (
	"time"
)

// span is a half-open interval of time [start, end).
type span struct{ start, end time.Time }

// dayInfo is what the generator needs to know about one local day.
type dayInfo struct {
	key        int64     // days since 1970-01-01 of the local date: the day's share of random keys
	start, end time.Time // local midnight and the next one (23 or 25 hours apart on DST changes)
	weekday    time.Weekday
	trading    bool
	sessions   []span // trading sessions, in order; none on non-trading days
}

// day describes the local day containing t. Sessions are read from the
// calendar minute by minute, so half days and any session layout the
// calendar supports come out right without the demo knowing about them.
func (d *Demo) day(t time.Time) *dayInfo {
	y, m, dd := t.In(d.loc).Date()
	di := &dayInfo{
		start: time.Date(y, m, dd, 0, 0, 0, 0, d.loc),
		end:   time.Date(y, m, dd+1, 0, 0, 0, 0, d.loc),
	}
	di.key = floorDiv(time.Date(y, m, dd, 0, 0, 0, 0, time.UTC).Unix(), 86400)
	di.weekday = di.start.Weekday()
	di.trading = d.cal.IsTradingDay(di.start.Add(12 * time.Hour))
	if !di.trading {
		return di
	}
	var open time.Time
	in := false
	for tm := di.start; tm.Before(di.end); tm = tm.Add(time.Minute) {
		switch now := d.cal.InSession(tm); {
		case now && !in:
			open, in = tm, true
		case !now && in:
			di.sessions = append(di.sessions, span{open, tm})
			in = false
		}
	}
	if in {
		di.sessions = append(di.sessions, span{open, di.end})
	}
	return di
}

// phase locates a minute within the day's sessions.
type phase struct {
	in        bool
	idx, n    int     // which session, of how many
	sinceOpen float64 // minutes since the session opened
	toClose   float64 // minutes until it closes, counting the current minute's end
}

func (di *dayInfo) phase(tm time.Time) phase {
	for i, s := range di.sessions {
		if !tm.Before(s.start) && tm.Before(s.end) {
			return phase{
				in:        true,
				idx:       i,
				n:         len(di.sessions),
				sinceOpen: tm.Sub(s.start).Minutes(),
				toClose:   s.end.Sub(tm).Minutes() - 1,
			}
		}
	}
	return phase{n: len(di.sessions)}
}

// floorDiv divides rounding towards minus infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
