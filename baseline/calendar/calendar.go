// Package calendar models trading calendars: sessions within a day,
// trading weekdays and holidays, in a time zone. It is pure: holiday files
// are read by the config package and passed in as dates.
//
// Every question a Calendar answers is asked of the civil (wall-clock) date
// and time in the calendar's location, never of t.Truncate(24h): a trading
// day in Asia/Shanghai starts at 16:00 UTC the day before, and a day in a
// zone with daylight saving time lasts 23 or 25 hours.
package calendar

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/seismo-dev/seismo/config/field"
)

// Config describes a calendar in YAML.
type Config struct {
	Timezone     string   `yaml:"timezone,omitempty"`      // IANA name; default: global timezone
	Sessions     []string `yaml:"sessions,omitempty"`      // "09:30-11:30"; empty = the whole day
	Weekdays     []string `yaml:"weekdays,omitempty"`      // mon..sun or ranges like mon-fri; default mon-fri
	Holidays     []string `yaml:"holidays,omitempty"`      // YYYY-MM-DD
	HolidaysFile string   `yaml:"holidays_file,omitempty"` // one YYYY-MM-DD per line, # comments
	HalfDays     []string `yaml:"half_days,omitempty"`     // YYYY-MM-DD: only the first session trades
}

// dateLayout is the only accepted date format.
const dateLayout = "2006-01-02"

// Validate checks every field and returns a field.List whose paths are
// relative to the calendar ("sessions[1]", "holidays[2]", "timezone").
// HolidaysFile is not read here: the config loader merges its dates into
// Holidays.
func (c Config) Validate() error {
	var errs field.List
	if c.Timezone != "" {
		if _, err := time.LoadLocation(c.Timezone); err != nil {
			errs.Addf("timezone", "unknown time zone %q", c.Timezone)
		}
	}
	var prev *Session
	for i, s := range c.Sessions {
		path := fmt.Sprintf("sessions[%d]", i)
		sess, err := parseSession(s)
		if err != nil {
			errs.Add(path, err)
			continue
		}
		if prev != nil && sess.Start < prev.End {
			errs.Addf(path, "session %q starts before the previous session ends (sessions must be sorted and must not overlap)", s)
		}
		prev = &sess
	}
	for i, w := range c.Weekdays {
		if _, err := parseWeekdays(w); err != nil {
			errs.Add(fmt.Sprintf("weekdays[%d]", i), err)
		}
	}
	holidays := make(map[string]bool, len(c.Holidays))
	for i, d := range c.Holidays {
		if _, err := parseDate(d); err != nil {
			errs.Add(fmt.Sprintf("holidays[%d]", i), err)
			continue
		}
		holidays[strings.TrimSpace(d)] = true
	}
	for i, d := range c.HalfDays {
		path := fmt.Sprintf("half_days[%d]", i)
		if _, err := parseDate(d); err != nil {
			errs.Add(path, err)
			continue
		}
		if holidays[strings.TrimSpace(d)] {
			errs.Addf(path, "%s is also listed as a holiday", strings.TrimSpace(d))
		}
	}
	return errs.Err()
}

// Session is one trading session of a day, as offsets from local midnight
// (wall clock). End is exclusive and may be 24h.
type Session struct {
	Start, End time.Duration
}

// String formats the session the way it is written in config ("09:30-11:30").
func (s Session) String() string { return clock(s.Start) + "-" + clock(s.End) }

func clock(d time.Duration) string {
	m := int(d / time.Minute)
	return fmt.Sprintf("%02d:%02d", m/60, m%60)
}

func parseSession(s string) (Session, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return Session{}, fmt.Errorf("invalid session %q (want HH:MM-HH:MM)", s)
	}
	start, err1 := parseClock(a)
	end, err2 := parseClock(b)
	if err1 != nil || err2 != nil {
		return Session{}, fmt.Errorf("invalid session %q (want HH:MM-HH:MM, 00:00 to 24:00)", s)
	}
	if start >= end {
		return Session{}, fmt.Errorf("invalid session %q: start must be before end", s)
	}
	return Session{Start: start, End: end}, nil
}

func parseClock(s string) (time.Duration, error) {
	hs, ms, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || len(hs) != 2 || len(ms) != 2 {
		return 0, fmt.Errorf("invalid time %q", s)
	}
	h, err1 := strconv.Atoi(hs)
	m, err2 := strconv.Atoi(ms)
	if err1 != nil || err2 != nil || h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("invalid time %q", s)
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, nil
}

var weekdayNames = map[string]time.Weekday{
	"sun": time.Sunday, "sunday": time.Sunday,
	"mon": time.Monday, "monday": time.Monday,
	"tue": time.Tuesday, "tuesday": time.Tuesday,
	"wed": time.Wednesday, "wednesday": time.Wednesday,
	"thu": time.Thursday, "thursday": time.Thursday,
	"fri": time.Friday, "friday": time.Friday,
	"sat": time.Saturday, "saturday": time.Saturday,
}

// parseWeekdays parses "mon" or a range "mon-fri" (Monday-first week, so
// "sat-sun" is the weekend and "fri-mon" is rejected).
func parseWeekdays(s string) ([]time.Weekday, error) {
	a, b, isRange := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "-")
	from, ok1 := weekdayNames[a]
	to, ok2 := from, true
	if isRange {
		to, ok2 = weekdayNames[b]
	}
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("invalid weekday %q (want mon..sun or a range like mon-fri)", s)
	}
	// Monday-first index: mon=0 .. sun=6.
	fi, ti := (int(from)+6)%7, (int(to)+6)%7
	if fi > ti {
		return nil, fmt.Errorf("invalid weekday range %q: the week runs mon..sun", s)
	}
	var out []time.Weekday
	for i := fi; i <= ti; i++ {
		out = append(out, time.Weekday((i+1)%7))
	}
	return out, nil
}

// date is a civil date, comparable and usable as a map key.
type date struct {
	y int
	m time.Month
	d int
}

func dateOf(t time.Time) date {
	y, m, d := t.Date()
	return date{y, m, d}
}

func parseDate(s string) (date, error) {
	t, err := time.Parse(dateLayout, strings.TrimSpace(s))
	if err != nil {
		return date{}, fmt.Errorf("invalid date %q (want YYYY-MM-DD)", s)
	}
	return dateOf(t), nil
}

// ParseHolidays parses the content of a holidays file: one YYYY-MM-DD date
// per line; '#' starts a comment (whole-line or trailing); blank lines are
// ignored. Every bad line is reported, each naming its line number
// ("line 4: invalid date ..."), joined in one error.
func ParseHolidays(data []byte) ([]string, error) {
	text := strings.TrimPrefix(string(data), "\ufeff")
	var dates []string
	var errs []string
	for i, line := range strings.Split(text, "\n") {
		if c := strings.IndexByte(line, '#'); c >= 0 {
			line = line[:c]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if _, err := parseDate(line); err != nil {
			errs = append(errs, fmt.Sprintf("line %d: %v", i+1, err))
			continue
		}
		dates = append(dates, line)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return dates, nil
}

// DayType classifies a civil date of a calendar.
type DayType int

// Day types. A date listed as a holiday is a Holiday even when it falls on
// a weekend; a date listed as a half day trades (its first session only)
// even when it falls on a non-trading weekday, since exchanges announce such
// days explicitly.
const (
	Trading DayType = iota // a full trading day
	HalfDay                // trades only its first session
	Weekend                // a weekday the calendar does not trade
	Holiday                // a listed holiday
)

// String returns "trading", "half-day", "weekend" or "holiday".
func (d DayType) String() string {
	switch d {
	case Trading:
		return "trading"
	case HalfDay:
		return "half-day"
	case Weekend:
		return "weekend"
	case Holiday:
		return "holiday"
	}
	return "DayType(" + strconv.Itoa(int(d)) + ")"
}

// Trades reports whether a day of this type has trading sessions.
func (d DayType) Trades() bool { return d == Trading || d == HalfDay }

// Calendar answers trading-day and session questions in its location.
// It is immutable and safe for concurrent use.
type Calendar struct {
	cfg      Config // as given, with Timezone resolved; for Config()
	loc      *time.Location
	sessions []Session
	weekdays [7]bool
	holidays map[date]bool
	halfDays map[date]bool
}

// New builds a calendar from a validated-or-not config. The location is
// cfg.Timezone, else defaultTZ, else UTC. Weekdays default to mon-fri.
func New(cfg Config, defaultTZ *time.Location) (*Calendar, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Calendar{cfg: cfg, loc: defaultTZ, holidays: map[date]bool{}, halfDays: map[date]bool{}}
	if cfg.Timezone != "" {
		c.loc, _ = time.LoadLocation(cfg.Timezone) // checked by Validate
	}
	if c.loc == nil {
		c.loc = time.UTC
	}
	c.cfg.Timezone = c.loc.String()
	c.cfg.Sessions = slices.Clone(cfg.Sessions)
	c.cfg.Weekdays = slices.Clone(cfg.Weekdays)
	c.cfg.Holidays = slices.Clone(cfg.Holidays)
	c.cfg.HalfDays = slices.Clone(cfg.HalfDays)
	for _, s := range cfg.Sessions {
		sess, _ := parseSession(s)
		c.sessions = append(c.sessions, sess)
	}
	weekdays := cfg.Weekdays
	if len(weekdays) == 0 {
		weekdays = []string{"mon-fri"}
	}
	for _, w := range weekdays {
		days, _ := parseWeekdays(w)
		for _, d := range days {
			c.weekdays[d] = true
		}
	}
	for _, s := range cfg.Holidays {
		d, _ := parseDate(s)
		c.holidays[d] = true
	}
	for _, s := range cfg.HalfDays {
		d, _ := parseDate(s)
		c.halfDays[d] = true
	}
	return c, nil
}

// Config returns the configuration the calendar was built from, with
// Timezone set to the resolved location name, so that New(c.Config(), nil)
// rebuilds an equal calendar (used to persist fitted baselines).
func (c *Calendar) Config() Config {
	cfg := c.cfg
	cfg.Sessions = slices.Clone(cfg.Sessions)
	cfg.Weekdays = slices.Clone(cfg.Weekdays)
	cfg.Holidays = slices.Clone(cfg.Holidays)
	cfg.HalfDays = slices.Clone(cfg.HalfDays)
	return cfg
}

// Location returns the calendar's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// TradesOn reports whether the calendar's week trades on wd (holidays and
// half days aside).
func (c *Calendar) TradesOn(wd time.Weekday) bool { return c.weekdays[wd] }

// Sessions returns the configured sessions (nil = the whole day trades).
func (c *Calendar) Sessions() []Session { return slices.Clone(c.sessions) }

// DayType classifies the civil date of t in the calendar's location.
func (c *Calendar) DayType(t time.Time) DayType {
	lt := t.In(c.loc)
	return c.dayType(dateOf(lt), lt.Weekday())
}

func (c *Calendar) dayType(d date, wd time.Weekday) DayType {
	switch {
	case c.holidays[d]:
		return Holiday
	case c.halfDays[d]:
		return HalfDay
	case !c.weekdays[wd]:
		return Weekend
	}
	return Trading
}

// IsTradingDay reports whether the civil date of t trades (fully or half).
func (c *Calendar) IsTradingDay(t time.Time) bool { return c.DayType(t).Trades() }

// daySessions returns the sessions that trade on a day of type dt.
func (c *Calendar) daySessions(dt DayType) []Session {
	switch {
	case !dt.Trades():
		return nil
	case len(c.sessions) == 0:
		return []Session{{Start: 0, End: 24 * time.Hour}}
	case dt == HalfDay:
		return c.sessions[:1]
	}
	return c.sessions
}

// sinceMidnight is the wall-clock offset of lt from its civil midnight.
// It reads the clock rather than subtracting instants, so 10:00 is 10h
// even on a day that started with a DST jump.
func sinceMidnight(lt time.Time) time.Duration {
	h, m, s := lt.Clock()
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute +
		time.Duration(s)*time.Second + time.Duration(lt.Nanosecond())
}

// InSession reports whether t falls inside a trading session of a trading
// day. A half day trades only its first session; with no sessions
// configured the whole trading day is in session.
func (c *Calendar) InSession(t time.Time) bool {
	lt := t.In(c.loc)
	off := sinceMidnight(lt)
	for _, s := range c.daySessions(c.DayType(lt)) {
		if off >= s.Start && off < s.End {
			return true
		}
	}
	return false
}

// maxSearchDays bounds NextSessionStart: a calendar whose every weekday is
// a holiday for years is a configuration mistake, not a loop.
const maxSearchDays = 3 * 366

// NextSessionStart returns the first session start strictly after t, in
// the calendar's location, or the zero time if none exists within three
// years. A session starting at a wall-clock time skipped by a DST jump is
// normalised by time.Date (02:30 becomes 03:30).
func (c *Calendar) NextSessionStart(t time.Time) time.Time {
	lt := t.In(c.loc)
	y, m, d := lt.Date()
	for i := 0; i <= maxSearchDays; i++ {
		// time.Date normalises day overflow, and noon avoids DST edges
		// when asking for the weekday.
		noon := time.Date(y, m, d+i, 12, 0, 0, 0, c.loc)
		for _, s := range c.daySessions(c.dayType(dateOf(noon), noon.Weekday())) {
			h, mm := int(s.Start/time.Hour), int(s.Start%time.Hour/time.Minute)
			start := time.Date(y, m, d+i, h, mm, 0, 0, c.loc)
			if start.After(t) {
				return start
			}
		}
	}
	return time.Time{}
}
