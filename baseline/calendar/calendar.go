// Package calendar models trading calendars: sessions within a day,
// trading weekdays and holidays, in a time zone. It is pure: holiday files
// are read by the config package and passed in as dates.
package calendar

// Config describes a calendar in YAML.
type Config struct {
	Timezone     string   `yaml:"timezone,omitempty"`      // IANA name; default: global timezone
	Sessions     []string `yaml:"sessions,omitempty"`      // "09:30-11:30"; empty = the whole day
	Weekdays     []string `yaml:"weekdays,omitempty"`      // mon..sun; default mon-fri
	Holidays     []string `yaml:"holidays,omitempty"`      // YYYY-MM-DD
	HolidaysFile string   `yaml:"holidays_file,omitempty"` // one YYYY-MM-DD per line, # comments
	HalfDays     []string `yaml:"half_days,omitempty"`     // YYYY-MM-DD: only the first session trades
}
