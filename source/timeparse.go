package source

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// autoLayouts are the textual time layouts tried, in order, when no format
// is configured. Layouts without an offset are read in the caller's
// location. Fractional seconds are accepted after any seconds field.
var autoLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05 -0700 MST", // Go's time.Time.String
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02",
	"2006/01/02 15:04:05",
	"2006/01/02 15:04",
	"2006/01/02",
	"20060102",
}

// timeParser turns one textual timestamp into a time. It remembers the
// last layout that worked, so a file in one format costs one attempt per
// value.
type timeParser struct {
	format string // TimeFormat*, or a Go layout
	loc    *time.Location
	last   int // index into autoLayouts of the last success
}

func newTimeParser(format string, loc *time.Location) *timeParser {
	if loc == nil {
		loc = time.UTC
	}
	return &timeParser{format: format, loc: loc}
}

func (p *timeParser) parse(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, fmt.Errorf("empty timestamp")
	}
	switch p.format {
	case TimeFormatUnix, TimeFormatUnixMs:
		scale := time.Second
		if p.format == TimeFormatUnixMs {
			scale = time.Millisecond
		}
		t, ok, err := unixText(s, scale)
		if !ok {
			return time.Time{}, fmt.Errorf("invalid %s timestamp %q", p.format, s)
		}
		return t, err
	case TimeFormatAuto:
		return p.auto(s)
	}
	t, err := time.ParseInLocation(p.format, s, p.loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("timestamp %q does not match layout %q", s, p.format)
	}
	return t, nil
}

func (p *timeParser) auto(s string) (time.Time, error) {
	// All-digit strings of 8 characters are dates (20240131) — checked
	// before the numeric interpretation, which would read them as 1970.
	if len(s) == 8 && allDigits(s) {
		if t, err := time.ParseInLocation("20060102", s, p.loc); err == nil {
			return t, nil
		}
	}
	if t, ok, err := unixText(s, 0); ok {
		return t, err
	}
	if t, err := time.ParseInLocation(autoLayouts[p.last], s, p.loc); err == nil {
		return t, nil
	}
	for i, layout := range autoLayouts {
		if t, err := time.ParseInLocation(layout, s, p.loc); err == nil {
			p.last = i
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("unrecognised timestamp %q (want RFC 3339, 2006-01-02 15:04:05, a date or unix seconds/milliseconds)", s)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// unixText reads s as a unix time in units of scale, or guesses the unit
// by magnitude if scale is 0. Integers are converted exactly; ok is false
// if s is not a number.
func unixText(s string, scale time.Duration) (t time.Time, ok bool, err error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if scale == 0 {
			scale = unixUnit(math.Abs(float64(n)))
		}
		per := int64(time.Second / scale)
		return time.Unix(n/per, n%per*int64(scale)).UTC(), true, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return time.Time{}, false, nil
	}
	if scale == 0 {
		t, err = unixGuess(f)
		return t, true, err
	}
	t, err = unixFloat(f * scale.Seconds())
	return t, true, err
}

// unixUnit guesses the unit of a unix timestamp of magnitude a.
func unixUnit(a float64) time.Duration {
	switch {
	case a >= 1e17:
		return time.Nanosecond
	case a >= 1e14:
		return time.Microsecond
	case a >= 1e11:
		return time.Millisecond
	}
	return time.Second
}

// unixGuess reads a number as unix seconds, milliseconds, microseconds or
// nanoseconds by its magnitude: 1e11 seconds is the year 5138, while 1e11
// milliseconds is 1973, so the ranges do not overlap for real data.
func unixGuess(f float64) (time.Time, error) {
	return unixFloat(f * unixUnit(math.Abs(f)).Seconds())
}

// unixFloat converts unix seconds to a UTC time, rejecting values that do
// not fit a time.Time.
func unixFloat(f float64) (time.Time, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e12 {
		return time.Time{}, fmt.Errorf("unix time %v out of range", f)
	}
	// Round to microseconds: float64 carries no more precision at
	// present-day magnitudes, and noise digits would defeat deduplication.
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(math.Round(frac*1e6))*1e3).UTC(), nil
}
