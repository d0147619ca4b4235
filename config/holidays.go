package config

import (
	"fmt"
	"os"

	"github.com/seismo-dev/seismo/baseline/calendar"
	"github.com/seismo-dev/seismo/config/field"
)

// loadHolidays reads every calendar's holidays_file (relative to the
// configuration's folder) and merges its dates into Holidays, so that
// calendar.New gets one list. Errors name the file and its lines.
func (l *loader) loadHolidays(c *Config) {
	for _, name := range sortedKeys(c.Calendars) {
		cal := c.Calendars[name]
		if cal.HolidaysFile == "" {
			continue
		}
		path := field.Join(field.Join("calendars", name), "holidays_file")
		data, err := os.ReadFile(l.path(cal.HolidaysFile))
		if err != nil {
			l.errs.Add(path, fmt.Errorf("read holidays file: %w", err))
			continue
		}
		dates, err := calendar.ParseHolidays(data)
		if err != nil {
			l.errs.Add(path, fmt.Errorf("holidays file %s: %w", cal.HolidaysFile, err))
			continue
		}
		cal.Holidays = mergeDates(cal.Holidays, dates)
		c.Calendars[name] = cal
	}
}

// mergeDates returns the dates of a followed by those of b missing from a.
func mergeDates(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	seen := make(map[string]bool, len(a)+len(b))
	for _, d := range append(a[:len(a):len(a)], b...) {
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}
