package alert

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/seismo-dev/seismo/config/field"
)

// TimeInterval is a set of instants, such as "weekdays 09:00–17:00 in
// Shanghai" or "the trading sessions of cn-stock". Routes name them in
// mute_time_intervals and active_time_intervals. The configuration's
// time_intervals implement it, and so can the engine's trading calendars
// (the alert package does not know them; Options.Calendars passes them in).
// Contains is called from the aggregation groups' goroutines at once, so
// implementations must be safe for concurrent use.
type TimeInterval interface {
	Contains(t time.Time) bool
}

// TimeIntervalConfig is a named time interval, as in Alertmanager's
// time_intervals (and its deprecated mute_time_intervals): the union of
// its periods.
type TimeIntervalConfig struct {
	Name          string       `yaml:"name"`
	TimeIntervals []TimePeriod `yaml:"time_intervals"`
}

// TimePeriod is one entry of a time interval: an instant is in it when it
// matches every field that is set (an empty field matches everything).
// Ranges are inclusive and written "start:end".
type TimePeriod struct {
	Times       []TimeRange `yaml:"times,omitempty"`         // times of day, [start, end)
	Weekdays    []string    `yaml:"weekdays,omitempty"`      // "monday", "monday:friday"
	DaysOfMonth []string    `yaml:"days_of_month,omitempty"` // "1", "1:5", "-1" (the last day), "-3:-1"
	Months      []string    `yaml:"months,omitempty"`        // "january", "1:3", "october:december"
	Years       []string    `yaml:"years,omitempty"`         // "2026", "2025:2027"
	Location    string      `yaml:"location,omitempty"`      // IANA zone the fields are read in; default UTC
}

// TimeRange is a time of day range, "HH:MM" to "HH:MM" (end exclusive,
// up to "24:00"). A range that crosses midnight is written as two.
type TimeRange struct {
	StartTime string `yaml:"start_time"`
	EndTime   string `yaml:"end_time"`
}

// intRange is an inclusive range of integers.
type intRange struct{ lo, hi int }

// timePeriod is a compiled TimePeriod.
type timePeriod struct {
	times       []intRange // minutes of the day, [lo, hi)
	weekdays    []intRange // 0 = Sunday
	daysOfMonth []intRange // may be negative: -1 is the last day
	months      []intRange // 1 = January
	years       []intRange
	loc         *time.Location
}

// periods is a compiled TimeIntervalConfig: the union of its periods.
type periods []timePeriod

// Contains reports whether t is in any of the periods.
func (ps periods) Contains(t time.Time) bool {
	for i := range ps {
		if ps[i].contains(t) {
			return true
		}
	}
	return false
}

func (p *timePeriod) contains(t time.Time) bool {
	t = t.In(p.loc)
	if len(p.times) > 0 {
		m := t.Hour()*60 + t.Minute()
		if !inAny(p.times, func(r intRange) bool { return r.lo <= m && m < r.hi }) {
			return false
		}
	}
	if len(p.weekdays) > 0 && !inRanges(p.weekdays, int(t.Weekday())) {
		return false
	}
	if len(p.daysOfMonth) > 0 {
		days := daysIn(t.Year(), t.Month())
		day := t.Day()
		ok := inAny(p.daysOfMonth, func(r intRange) bool {
			lo, hi := dayOfMonth(r.lo, days), dayOfMonth(r.hi, days)
			return max(lo, 1) <= day && day <= min(hi, days)
		})
		if !ok {
			return false
		}
	}
	if len(p.months) > 0 && !inRanges(p.months, int(t.Month())) {
		return false
	}
	if len(p.years) > 0 && !inRanges(p.years, t.Year()) {
		return false
	}
	return true
}

// dayOfMonth turns a day index (negative counts from the end: -1 is the
// last day) into a day of a month with that many days.
func dayOfMonth(d, days int) int {
	if d < 0 {
		return days + d + 1
	}
	return d
}

func daysIn(year int, month time.Month) int {
	return time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func inRanges(rs []intRange, v int) bool {
	return inAny(rs, func(r intRange) bool { return r.lo <= v && v <= r.hi })
}

func inAny(rs []intRange, f func(intRange) bool) bool {
	for _, r := range rs {
		if f(r) {
			return true
		}
	}
	return false
}

var weekdayNames = map[string]int{
	"sunday": 0, "monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6,
}

var monthNames = map[string]int{
	"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6,
	"july": 7, "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
}

// compile checks a period and returns its compiled form; errors are a
// field.List relative to the period.
func (tp TimePeriod) compile() (timePeriod, field.List) {
	var errs field.List
	p := timePeriod{loc: time.UTC}
	for i, tr := range tp.Times {
		path := fmt.Sprintf("times[%d]", i)
		lo, err := parseClock(tr.StartTime, false)
		if err != nil {
			errs.Add(path+".start_time", err)
		}
		hi, err2 := parseClock(tr.EndTime, true)
		if err2 != nil {
			errs.Add(path+".end_time", err2)
		}
		if err == nil && err2 == nil {
			if lo >= hi {
				errs.Addf(path, "start_time %s is not before end_time %s (write a range across midnight as two ranges)", tr.StartTime, tr.EndTime)
				continue
			}
			p.times = append(p.times, intRange{lo, hi})
		}
	}
	p.weekdays = parseRanges(&errs, "weekdays", tp.Weekdays, func(s string) (int, error) {
		if d, ok := weekdayNames[strings.ToLower(s)]; ok {
			return d, nil
		}
		return 0, fmt.Errorf("unknown weekday %q (use monday … sunday)", s)
	}, "a week runs from sunday to saturday: write a range across the weekend as two ranges")
	p.daysOfMonth = parseRanges(&errs, "days_of_month", tp.DaysOfMonth, func(s string) (int, error) {
		d, err := strconv.Atoi(s)
		if err != nil || d == 0 || d < -31 || d > 31 {
			return 0, fmt.Errorf("invalid day of month %q (use 1 … 31, or -1 … -31 counting from the end)", s)
		}
		return d, nil
	}, "")
	p.months = parseRanges(&errs, "months", tp.Months, func(s string) (int, error) {
		if m, ok := monthNames[strings.ToLower(s)]; ok {
			return m, nil
		}
		m, err := strconv.Atoi(s)
		if err != nil || m < 1 || m > 12 {
			return 0, fmt.Errorf("invalid month %q (use january … december or 1 … 12)", s)
		}
		return m, nil
	}, "")
	p.years = parseRanges(&errs, "years", tp.Years, func(s string) (int, error) {
		y, err := strconv.Atoi(s)
		if err != nil || y < 1 {
			return 0, fmt.Errorf("invalid year %q", s)
		}
		return y, nil
	}, "")
	if tp.Location != "" {
		loc, err := time.LoadLocation(tp.Location)
		if err != nil {
			errs.Addf("location", "unknown time zone %q", tp.Location)
		} else {
			p.loc = loc
		}
	}
	return p, errs
}

// parseClock parses "HH:MM"; "24:00" only as an end. It returns minutes.
func parseClock(s string, end bool) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	switch {
	case !ok || err1 != nil || err2 != nil || len(m) != 2 || len(h) == 0 || len(h) > 2:
		return 0, fmt.Errorf("invalid time %q (use HH:MM)", s)
	case hh == 24 && mm == 0 && end:
		return 24 * 60, nil
	case hh < 0 || hh > 23 || mm < 0 || mm > 59:
		return 0, fmt.Errorf("invalid time %q (use 00:00 … 23:59, or 24:00 as an end)", s)
	}
	return hh*60 + mm, nil
}

// parseRanges parses "a" and "a:b" entries with parse, checking that each
// range is in order. wrapHint explains how to write a range that wraps.
func parseRanges(errs *field.List, path string, items []string, parse func(string) (int, error), wrapHint string) []intRange {
	var out []intRange
	for i, item := range items {
		p := fmt.Sprintf("%s[%d]", path, i)
		a, b, isRange := strings.Cut(strings.TrimSpace(item), ":")
		lo, err := parse(strings.TrimSpace(a))
		if err != nil {
			errs.Add(p, err)
			continue
		}
		hi := lo
		if isRange {
			if hi, err = parse(strings.TrimSpace(b)); err != nil {
				errs.Add(p, err)
				continue
			}
		}
		if !rangeInOrder(path, lo, hi) {
			msg := fmt.Sprintf("range %q ends before it starts", item)
			if wrapHint != "" {
				msg += " (" + wrapHint + ")"
			}
			errs.Add(p, errors.New(msg))
			continue
		}
		out = append(out, intRange{lo, hi})
	}
	return out
}

// rangeInOrder reports whether lo:hi is a valid range. Days of month may
// go from a day counted from the start to one counted from the end
// ("1:-1" is the whole month), not the other way round.
func rangeInOrder(path string, lo, hi int) bool {
	if path == "days_of_month" && (lo < 0) != (hi < 0) {
		return lo > 0
	}
	return lo <= hi
}

// compile checks a named interval and compiles its periods.
func (tc TimeIntervalConfig) compile() (periods, field.List) {
	var errs field.List
	ps := make(periods, 0, len(tc.TimeIntervals))
	for i, tp := range tc.TimeIntervals {
		p, perrs := tp.compile()
		errs.Add(fmt.Sprintf("time_intervals[%d]", i), perrs.Err())
		ps = append(ps, p)
	}
	return ps, errs
}
