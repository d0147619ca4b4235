package calendar

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/seismo-dev/seismo/config/field"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return loc
}

func mustNew(t *testing.T, cfg Config, tz *time.Location) *Calendar {
	t.Helper()
	c, err := New(cfg, tz)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	return c
}

// cnStock is a Shanghai-style calendar used by several tests.
func cnStock() Config {
	return Config{
		Timezone: "Asia/Shanghai",
		Sessions: []string{"09:30-11:30", "13:00-15:00"},
		Weekdays: []string{"mon-fri"},
		Holidays: []string{"2026-10-01", "2026-10-02"},
		HalfDays: []string{"2026-12-31"},
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		paths []string // expected error paths, in order
		msg   string   // substring of the first message
	}{
		{name: "ok", cfg: cnStock()},
		{name: "ok full names and single days", cfg: Config{Weekdays: []string{"Monday", "wed", "sat-sun"}, Sessions: []string{"00:00-24:00"}}},
		{name: "bad timezone", cfg: Config{Timezone: "Mars/Olympus"}, paths: []string{"timezone"}, msg: "unknown time zone"},
		{name: "bad session syntax", cfg: Config{Sessions: []string{"09:30-11:30", "1300-1500"}}, paths: []string{"sessions[1]"}, msg: "HH:MM-HH:MM"},
		{name: "bad session clock", cfg: Config{Sessions: []string{"09:60-11:30"}}, paths: []string{"sessions[0]"}, msg: "invalid session"},
		{name: "start after end", cfg: Config{Sessions: []string{"15:00-13:00"}}, paths: []string{"sessions[0]"}, msg: "start must be before end"},
		{name: "overlap", cfg: Config{Sessions: []string{"09:30-11:30", "11:00-15:00"}}, paths: []string{"sessions[1]"}, msg: "overlap"},
		{name: "unsorted", cfg: Config{Sessions: []string{"13:00-15:00", "09:30-11:30"}}, paths: []string{"sessions[1]"}, msg: "sorted"},
		{name: "bad weekday", cfg: Config{Weekdays: []string{"mon", "funday"}}, paths: []string{"weekdays[1]"}, msg: "invalid weekday"},
		{name: "backwards range", cfg: Config{Weekdays: []string{"fri-mon"}}, paths: []string{"weekdays[0]"}, msg: "mon..sun"},
		{name: "bad holiday", cfg: Config{Holidays: []string{"2026-01-01", "2026-02-30", "01/05/2026"}}, paths: []string{"holidays[1]", "holidays[2]"}, msg: "YYYY-MM-DD"},
		{name: "half day also holiday", cfg: Config{Holidays: []string{"2026-01-01"}, HalfDays: []string{"2026-01-01"}}, paths: []string{"half_days[0]"}, msg: "also listed"},
		{name: "several", cfg: Config{Timezone: "X/Y", Weekdays: []string{"xx"}, Holidays: []string{"x"}}, paths: []string{"timezone", "weekdays[0]", "holidays[0]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if len(tt.paths) == 0 {
				if err != nil {
					t.Fatalf("Validate: unexpected error %v", err)
				}
				return
			}
			var list field.List
			if !errors.As(err, &list) {
				t.Fatalf("Validate: want field.List, got %T %v", err, err)
			}
			var paths []string
			for _, e := range list {
				paths = append(paths, e.Path)
			}
			if diff := cmp.Diff(tt.paths, paths); diff != "" {
				t.Errorf("paths (-want +got):\n%s", diff)
			}
			if !strings.Contains(list[0].Error(), tt.msg) {
				t.Errorf("first error %q does not contain %q", list[0].Error(), tt.msg)
			}
			if _, err := New(tt.cfg, nil); err == nil {
				t.Errorf("New accepted an invalid config")
			}
		})
	}
}

func TestParseHolidays(t *testing.T) {
	in := "\ufeff# China 2026\n2026-01-01\n\n  2026-02-17  # spring festival\r\n2026-13-01\n#2026-05-01\nnot a date\n"
	_, err := ParseHolidays([]byte(in))
	if err == nil {
		t.Fatal("want error for bad lines")
	}
	for _, want := range []string{`line 5: invalid date "2026-13-01"`, `line 7: invalid date "not a date"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	good := "# comment\n2026-01-01\n\n  2026-02-17  # spring festival\r\n"
	got, err := ParseHolidays([]byte(good))
	if err != nil {
		t.Fatalf("ParseHolidays: %v", err)
	}
	if diff := cmp.Diff([]string{"2026-01-01", "2026-02-17"}, got); diff != "" {
		t.Errorf("dates (-want +got):\n%s", diff)
	}
	if got, err := ParseHolidays(nil); err != nil || len(got) != 0 {
		t.Errorf("empty file: got %v, %v", got, err)
	}
}

func TestDayTypeAndSessions(t *testing.T) {
	sh := mustLoc(t, "Asia/Shanghai")
	c := mustNew(t, cnStock(), time.UTC) // the config's timezone wins over the default
	if c.Location().String() != "Asia/Shanghai" {
		t.Fatalf("location = %v", c.Location())
	}
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, sh) }
	tests := []struct {
		name      string
		t         time.Time
		day       DayType
		trading   bool
		inSession bool
	}{
		{"monday morning session", at(2026, 11, 23, 10, 0), Trading, true, true},
		{"lunch break", at(2026, 11, 23, 12, 0), Trading, true, false},
		{"session end is exclusive", at(2026, 11, 23, 15, 0), Trading, true, false},
		{"afternoon", at(2026, 11, 23, 14, 59), Trading, true, true},
		{"saturday", at(2026, 11, 21, 10, 0), Weekend, false, false},
		{"holiday", at(2026, 10, 1, 10, 0), Holiday, false, false},
		{"half day morning", at(2026, 12, 31, 10, 0), HalfDay, true, true},
		{"half day afternoon", at(2026, 12, 31, 14, 0), HalfDay, true, false},
		// 2026-11-23 01:30 UTC is Monday 09:30 in Shanghai, while UTC's date
		// is still Monday; 2026-11-22 17:00 UTC is Monday 01:00 in Shanghai
		// but Sunday in UTC: the civil date in the calendar's zone decides.
		{"UTC instant, Shanghai Monday", time.Date(2026, 11, 22, 17, 0, 0, 0, time.UTC), Trading, true, false},
		{"UTC instant in session", time.Date(2026, 11, 23, 1, 30, 0, 0, time.UTC), Trading, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.DayType(tt.t); got != tt.day {
				t.Errorf("DayType = %v, want %v", got, tt.day)
			}
			if got := c.IsTradingDay(tt.t); got != tt.trading {
				t.Errorf("IsTradingDay = %v, want %v", got, tt.trading)
			}
			if got := c.InSession(tt.t); got != tt.inSession {
				t.Errorf("InSession = %v, want %v", got, tt.inSession)
			}
		})
	}
}

func TestWholeDayAndDefaults(t *testing.T) {
	c := mustNew(t, Config{}, nil)
	if c.Location() != time.UTC {
		t.Errorf("default location = %v, want UTC", c.Location())
	}
	mon := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	if !c.InSession(mon) || !c.InSession(mon.Add(24*time.Hour-time.Nanosecond)) {
		t.Error("no sessions configured: the whole trading day should be in session")
	}
	if c.InSession(mon.AddDate(0, 0, 5)) {
		t.Error("default weekdays are mon-fri: Saturday is not in session")
	}
	ny := mustLoc(t, "America/New_York")
	c = mustNew(t, Config{Weekdays: []string{"sat-sun"}}, ny)
	if c.Location() != ny || c.DayType(time.Date(2026, 11, 21, 12, 0, 0, 0, ny)) != Trading ||
		c.DayType(time.Date(2026, 11, 23, 12, 0, 0, 0, ny)) != Weekend {
		t.Error("sat-sun calendar: Saturday should trade and Monday not")
	}
}

func TestDSTSafety(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	c := mustNew(t, Config{Sessions: []string{"09:30-16:00"}, Weekdays: []string{"mon-sun"}}, ny)
	// 2026-03-08 is the spring-forward Sunday in New York (23-hour day);
	// 2026-11-01 the fall-back Sunday (25 hours). 09:30 local is in session
	// on both, and 23:30 local is the same day, not the next.
	for _, day := range []int{8, 9} {
		in := time.Date(2026, 3, day, 9, 30, 0, 0, ny)
		if !c.InSession(in) {
			t.Errorf("%v: want in session", in)
		}
	}
	late := time.Date(2026, 11, 1, 23, 30, 0, 0, ny)
	if c.InSession(late) || c.DayType(late) != Trading {
		t.Errorf("%v: want trading day, out of session", late)
	}
	// NextSessionStart across the spring-forward night lands on 09:30 local.
	got := c.NextSessionStart(time.Date(2026, 3, 7, 17, 0, 0, 0, ny))
	if want := time.Date(2026, 3, 8, 9, 30, 0, 0, ny); !got.Equal(want) {
		t.Errorf("NextSessionStart = %v, want %v", got, want)
	}
}

func TestNextSessionStart(t *testing.T) {
	sh := mustLoc(t, "Asia/Shanghai")
	c := mustNew(t, cnStock(), nil)
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, sh) }
	tests := []struct {
		name     string
		from     time.Time
		want     time.Time
		location *time.Location
	}{
		{"before the morning session", at(2026, 11, 23, 8, 0), at(2026, 11, 23, 9, 30), sh},
		{"at the start: strictly after", at(2026, 11, 23, 9, 30), at(2026, 11, 23, 13, 0), sh},
		{"lunch", at(2026, 11, 23, 12, 0), at(2026, 11, 23, 13, 0), sh},
		{"friday evening skips the weekend", at(2026, 11, 27, 16, 0), at(2026, 11, 30, 9, 30), sh},
		{"skips the holidays", at(2026, 9, 30, 16, 0), at(2026, 10, 5, 9, 30), sh},
		{"half day has one session", at(2026, 12, 31, 10, 0), at(2027, 1, 1, 9, 30), sh},
		{"from a UTC instant", time.Date(2026, 11, 23, 3, 31, 0, 0, time.UTC), at(2026, 11, 23, 13, 0), sh},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.NextSessionStart(tt.from)
			if !got.Equal(tt.want) || got.Location().String() != tt.location.String() {
				t.Errorf("NextSessionStart(%v) = %v, want %v", tt.from, got, tt.want)
			}
		})
	}
	never := mustNew(t, Config{Weekdays: []string{"sat"}, Sessions: []string{"10:00-11:00"}}, nil)
	if got := never.NextSessionStart(time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)); !got.Equal(time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("saturday-only calendar: got %v", got)
	}
}

func TestConfigRoundTrip(t *testing.T) {
	c := mustNew(t, Config{Sessions: []string{"09:00-17:00"}, Holidays: []string{"2026-12-25"}}, mustLoc(t, "Europe/London"))
	cfg := c.Config()
	if cfg.Timezone != "Europe/London" {
		t.Fatalf("Config().Timezone = %q", cfg.Timezone)
	}
	c2 := mustNew(t, cfg, nil)
	xmas := time.Date(2026, 12, 25, 10, 0, 0, 0, time.UTC)
	if c2.DayType(xmas) != Holiday || c2.Location().String() != "Europe/London" {
		t.Errorf("rebuilt calendar differs: %v %v", c2.DayType(xmas), c2.Location())
	}
}

func TestDayTypeString(t *testing.T) {
	for d, want := range map[DayType]string{Trading: "trading", HalfDay: "half-day", Weekend: "weekend", Holiday: "holiday", 9: "DayType(9)"} {
		if d.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(d), d.String(), want)
		}
	}
}
