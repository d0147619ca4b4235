package alert

import (
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/prometheus/model/labels"
	"go.yaml.in/yaml/v3"

	"github.com/seismo-dev/seismo/config/field"
)

// parsePeriod decodes one time interval entry from YAML and compiles it.
func parsePeriod(t *testing.T, src string) (timePeriod, field.List) {
	t.Helper()
	var tp TimePeriod
	dec := yaml.NewDecoder(strings.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&tp); err != nil {
		t.Fatalf("decode %q: %v", src, err)
	}
	return tp.compile()
}

func TestTimePeriodContains(t *testing.T) {
	tests := []struct {
		name   string
		period string
		in     []string // RFC 3339 instants inside
		out    []string // and outside
	}{
		{
			name:   "business hours in Shanghai",
			period: `{weekdays: ['monday:friday'], times: [{start_time: '09:00', end_time: '17:00'}], location: Asia/Shanghai}`,
			// 2026-03-02 is a Monday.
			in:  []string{"2026-03-02T01:00:00Z", "2026-03-06T08:59:00Z"},
			out: []string{"2026-03-02T00:59:00Z", "2026-03-02T09:00:00Z", "2026-03-07T03:00:00Z", "2026-03-01T23:59:00Z"},
		},
		{
			name:   "end of day is exclusive, 24:00 is midnight",
			period: `{times: [{start_time: '22:00', end_time: '24:00'}, {start_time: '00:00', end_time: '06:00'}]}`,
			in:     []string{"2026-01-01T22:00:00Z", "2026-01-01T23:59:59Z", "2026-01-02T00:00:00Z", "2026-01-02T05:59:00Z"},
			out:    []string{"2026-01-01T21:59:59Z", "2026-01-02T06:00:00Z", "2026-01-02T12:00:00Z"},
		},
		{
			name:   "last three days of the month, negative indexes",
			period: `{days_of_month: ['-3:-1']}`,
			in:     []string{"2026-02-26T00:00:00Z", "2026-02-28T12:00:00Z", "2026-03-29T00:00:00Z", "2024-02-27T00:00:00Z"},
			out:    []string{"2026-02-25T23:59:59Z", "2026-03-28T23:59:59Z", "2024-02-26T12:00:00Z", "2026-03-01T00:00:00Z"},
		},
		{
			name:   "first day to the last",
			period: `{days_of_month: ['1:-1'], months: ['february']}`,
			in:     []string{"2026-02-01T00:00:00Z", "2026-02-28T23:59:59Z"},
			out:    []string{"2026-03-01T00:00:00Z", "2026-01-31T00:00:00Z"},
		},
		{
			name:   "day 31 does not exist in April",
			period: `{days_of_month: ['31']}`,
			in:     []string{"2026-03-31T10:00:00Z"},
			out:    []string{"2026-04-30T10:00:00Z", "2026-05-01T10:00:00Z"},
		},
		{
			name:   "months by name and number, years",
			period: `{months: ['january:march', '12'], years: ['2025:2026']}`,
			in:     []string{"2025-01-15T00:00:00Z", "2026-03-31T23:00:00Z", "2026-12-01T00:00:00Z"},
			out:    []string{"2026-04-01T00:00:00Z", "2027-01-01T00:00:00Z", "2024-12-31T00:00:00Z"},
		},
		{
			name:   "weekend as two entries, upper case names",
			period: `{weekdays: ['Saturday', 'SUNDAY']}`,
			in:     []string{"2026-03-07T00:00:00Z", "2026-03-08T23:59:00Z"},
			out:    []string{"2026-03-06T23:59:00Z", "2026-03-09T00:00:00Z"},
		},
		{
			// New York springs forward on 2026-03-08 (02:00 EST → 03:00
			// EDT) and falls back on 2026-11-01: the hours are wall-clock
			// hours on either side.
			name:   "wall-clock hours across DST in New York",
			period: `{times: [{start_time: '09:00', end_time: '10:00'}], location: America/New_York}`,
			in:     []string{"2026-03-07T14:00:00Z", "2026-03-09T13:00:00Z", "2026-10-31T13:30:00Z", "2026-11-02T14:30:00Z"},
			out:    []string{"2026-03-07T13:59:00Z", "2026-03-09T14:00:00Z", "2026-10-31T14:00:00Z", "2026-11-02T13:59:00Z"},
		},
		{
			name:   "the skipped hour of spring forward",
			period: `{times: [{start_time: '02:00', end_time: '03:00'}], location: America/New_York}`,
			in:     []string{"2026-03-07T07:30:00Z"},                         // 02:30 EST the day before
			out:    []string{"2026-03-08T07:00:00Z", "2026-03-08T06:59:00Z"}, // 03:00 EDT, 01:59 EST
		},
		{
			name:   "empty entry is always",
			period: `{}`,
			in:     []string{"2026-03-07T07:30:00Z", "1999-12-31T23:59:59Z"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, errs := parsePeriod(t, tt.period)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			ps := periods{p}
			for _, s := range tt.in {
				if !ps.Contains(mustTime(t, s)) {
					t.Errorf("%s is not in %s", s, tt.period)
				}
			}
			for _, s := range tt.out {
				if ps.Contains(mustTime(t, s)) {
					t.Errorf("%s is in %s", s, tt.period)
				}
			}
		})
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestTimePeriodErrors(t *testing.T) {
	tests := []struct {
		period string
		want   []string // error paths
		msg    string   // substring of the first message
	}{
		{`{times: [{start_time: '17:00', end_time: '09:00'}]}`, []string{"times[0]"}, "not before end_time"},
		{`{times: [{start_time: '24:00', end_time: '24:00'}]}`, []string{"times[0].start_time"}, "invalid time"},
		{`{times: [{start_time: '9h', end_time: '25:00'}]}`, []string{"times[0].start_time", "times[0].end_time"}, "use HH:MM"},
		{`{times: [{start_time: '09:5', end_time: '10:00'}]}`, []string{"times[0].start_time"}, "use HH:MM"},
		{`{weekdays: ['friday:monday']}`, []string{"weekdays[0]"}, "two ranges"},
		{`{weekdays: ['funday']}`, []string{"weekdays[0]"}, `unknown weekday "funday"`},
		{`{days_of_month: ['0', '32', '-32', '5:1', '-1:5', 'x']}`, []string{"days_of_month[0]", "days_of_month[1]", "days_of_month[2]", "days_of_month[3]", "days_of_month[4]", "days_of_month[5]"}, "invalid day of month"},
		{`{months: ['13', 'smarch', 'march:january']}`, []string{"months[0]", "months[1]", "months[2]"}, "invalid month"},
		{`{years: ['0', '2027:2025']}`, []string{"years[0]", "years[1]"}, "invalid year"},
		{`{location: 'Mars/Olympus'}`, []string{"location"}, "unknown time zone"},
	}
	for _, tt := range tests {
		t.Run(tt.period, func(t *testing.T) {
			_, errs := parsePeriod(t, tt.period)
			var got []string
			for _, e := range errs {
				got = append(got, e.Path)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("paths (-want +got):\n%s\n%v", diff, errs)
			}
			if !strings.Contains(errs[0].Error(), tt.msg) {
				t.Errorf("error %q does not say %q", errs[0], tt.msg)
			}
		})
	}
}

// TestTimeIntervalsYAMLIntegers checks that numbers may be written bare,
// as Alertmanager's examples do (days_of_month: [1, 15], years: [2026]).
func TestTimeIntervalsYAMLIntegers(t *testing.T) {
	p, errs := parsePeriod(t, `{days_of_month: [1, -1], months: [12], years: [2026]}`)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if !(periods{p}).Contains(mustTime(t, "2026-12-31T00:00:00Z")) {
		t.Error("2026-12-31 not in days 1 and -1 of December 2026")
	}
}

func TestTimeIntervalNames(t *testing.T) {
	c := validConfig()
	c.TimeIntervals = []TimeIntervalConfig{{Name: "a"}, {Name: "a"}, {Name: ""}, {Name: "cal"}}
	c.MuteTimeIntervals = []TimeIntervalConfig{{Name: "a"}, {Name: "b", TimeIntervals: []TimePeriod{{Weekdays: []string{"x"}}}}}
	c.Calendars = []string{"cal"}
	c.Route.Routes = []Route{{Matchers: []string{"x=y"}, MuteTimeIntervals: []string{"b", "nope", "cal"}, ActiveTimeIntervals: []string{"a", "gone"}}}
	got := errorPaths(t, c.Validate())
	want := []string{
		"mute_time_intervals[0].name",
		"mute_time_intervals[1].time_intervals[0].weekdays[0]",
		"route.routes[0].active_time_intervals[1]",
		"route.routes[0].mute_time_intervals[1]",
		"time_intervals[1].name",
		"time_intervals[2].name",
		"time_intervals[3].name",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paths (-want +got):\n%s\n%v", diff, c.Validate())
	}
}

// errorPaths returns the sorted field paths of a field.List error.
func errorPaths(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var list field.List
	if !errors.As(err, &list) {
		t.Fatalf("error %T is not a field.List: %v", err, err)
	}
	var out []string
	for _, e := range list {
		out = append(out, e.Path)
	}
	slices.Sort(out)
	return out
}

// TestMuteTimeIntervalAcrossDST runs a route muted at night in New York
// through the night the clocks spring forward: the mute ends at 07:00
// local time, which is 11:00 UTC that morning (EDT), not 12:00 (EST).
func TestMuteTimeIntervalAcrossDST(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// 2026-03-08 05:00 UTC is midnight EST; at 07:00 UTC (02:00 EST)
		// the clocks jump to 03:00 EDT.
		offset := time.Until(mustTime(t, "2026-03-08T05:00:00Z"))
		now := func() time.Time { return time.Now().Add(offset) }
		r := startRig(t, `
resolve_timeout: 30d
route:
  receiver: rec
  group_by: [alertname]
  group_wait: 10s
  group_interval: 1m
  repeat_interval: 24h
  routes:
    - matchers: [team="night-owls"]
      mute_time_intervals: [night]
    - matchers: [team="day"]
      active_time_intervals: [night]
time_intervals:
  - name: night
    time_intervals:
      - times: [{start_time: '00:00', end_time: '07:00'}]
        location: America/New_York
receivers: [{name: rec}]
`, Options{Now: now})
		rec := r.recs["rec"]
		r.fire("alertname", "muted", "team", "night-owls")
		r.fire("alertname", "active", "team", "day")
		step(10 * time.Second)
		checkSent(t, rec, []sent{{10 * time.Second, `{alertname="active"}`, "firing", []string{"firing:active"}}})
		a, _ := r.m.Alert(FingerprintOf(labels.FromStrings("alertname", "muted", "team", "night-owls")))
		if a.Status.State != AlertStateSuppressed || len(a.Status.MutedBy) != 1 || a.Status.MutedBy[0] != "night" {
			t.Errorf("status %+v", a.Status)
		}

		// 10:59:10 UTC = 06:59:10 EDT: still night.
		step(5*time.Hour + 59*time.Minute)
		checkSent(t, rec, nil)
		// 11:00:10 UTC = 07:00:10 EDT: the first tick of the day.
		step(time.Minute)
		checkSent(t, rec, []sent{{6*time.Hour + 10*time.Second, `{alertname="muted"}`, "firing", []string{"firing:muted"}}})

		// The "day" route, active only at night, now holds its news back.
		r.resolve("alertname", "active", "team", "day")
		step(time.Hour)
		checkSent(t, rec, nil)
		if len(r.m.Alerts()) != 2 {
			t.Errorf("the resolve of a muted route was dropped: %s", statuses(r.m.Alerts()))
		}
	})
}

// calendarFunc is a TimeInterval made of a function, standing in for the
// engine's trading calendars.
type calendarFunc func(time.Time) bool

func (f calendarFunc) Contains(t time.Time) bool { return f(t) }

func TestCalendarsAsTimeIntervals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var inSession atomic.Bool
		inSession.Store(true)
		cal := calendarFunc(func(time.Time) bool { return inSession.Load() })
		src := `
resolve_timeout: 30d
route:
  receiver: rec
  group_wait: 10s
  group_interval: 1m
  routes:
    - matchers: [kind="trading"]
      active_time_intervals: [cn-stock]
receivers: [{name: rec}]
`
		// Validation knows calendar names from Config.Calendars.
		c := loadConfig(t, src)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), `unknown time interval "cn-stock"`) {
			t.Errorf("Validate without calendars: %v", err)
		}
		c.Calendars = []string{"cn-stock"}
		if err := c.Validate(); err != nil {
			t.Errorf("Validate with the calendar named: %v", err)
		}
		if _, err := NewManager(c, Options{Logger: quietLogger}); err == nil || !strings.Contains(err.Error(), "not provided") {
			t.Errorf("NewManager without the calendar: %v", err)
		}

		r := startRig(t, src, Options{Calendars: map[string]TimeInterval{"cn-stock": cal}})
		rec := r.recs["rec"]
		r.fire("alertname", "x", "kind", "trading")
		step(10 * time.Second)
		if len(rec.take()) != 1 {
			t.Fatal("not notified in session")
		}
		inSession.Store(false)
		r.resolve("alertname", "x", "kind", "trading")
		step(time.Hour)
		checkSent(t, rec, nil)
		inSession.Store(true)
		step(time.Minute)
		if got := rec.take(); len(got) != 1 || got[0].status != "resolved" {
			t.Errorf("after the session reopened: %+v", got)
		}
	})
}
