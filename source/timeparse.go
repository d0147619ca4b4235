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
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("invalid %s timestamp %q", p.format, s)
		}
		if p.format == TimeFormatUnixMs {
			f /= 1e3
		}
		return unixFloat(f)
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
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return unixGuess(f)
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

// unixGuess reads a number as unix seconds, milliseconds, microseconds or
// nanoseconds by its magnitude: 1e11 seconds is the year 5138, while 1e11
// milliseconds is 1973, so the ranges do not overlap for real data.
func unixGuess(f float64) (time.Time, error) {
	a := math.Abs(f)
	switch {
	case a >= 1e17:
		f /= 1e9
	case a >= 1e14:
		f /= 1e6
	case a >= 1e11:
		f /= 1e3
	}
	return unixFloat(f)
}

// unixFloat converts unix seconds to a UTC time, rejecting values that do
// not fit a time.Time.
func unixFloat(f float64) (time.Time, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e12 {
		return time.Time{}, fmt.Errorf("unix time %v out of range", f)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(math.Round(frac*1e9))).UTC(), nil
}
