package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seismo-dev/seismo/config/field"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden with the current output")

// golden compares got with testdata/name.golden, or rewrites the file
// under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("output differs from %s (-want +got):\n%s", path, diff)
	}
}

// secretValue is what the tests put in the environment for secrets that
// are set; it must never show up in an error or a printed config.
const secretValue = "hunter2-do-not-print"

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		// wantLines is false for inputs whose problem has no line (an
		// empty file, YAML errors that yaml.v3 reports without one).
		noLine bool
		// contains are substrings the output must have, on top of the
		// golden comparison, so that a careless -update cannot bless a
		// regression of what the case is about.
		contains []string
	}{
		{name: "malformed", contains: []string{"malformed.yaml:5: invalid YAML: did not find expected ',' or '}'"}},
		{name: "empty", noLine: true, contains: []string{"empty.yaml: the configuration is empty"}},
		{name: "comments_only", noLine: true, contains: []string{"the configuration is empty"}},
		{name: "multi_doc", contains: []string{"multi_doc.yaml:2:1: found a second YAML document"}},
		{name: "not_mapping", contains: []string{"not_mapping.yaml:1:1: the configuration must be a mapping"}},
		{name: "unknown_key", contains: []string{
			"unknown_key.yaml:3:5: global.store.drivr: unknown field \"drivr\"",
			"unknown_key.yaml:15:7: monitors[1].query.stpe: unknown field \"stpe\"",
			"monitors[1].detector.treshold: unknown field",
		}},
		{name: "duplicate_key", contains: []string{"duplicate_key.yaml:6:5: monitors[0].name: key \"name\" already defined at line 4"}},
		{name: "wrong_type", contains: []string{
			"sources.vm.retries: expected an integer, got a string \"many\"",
			"monitors[0].query: expected a mapping, got a string \"up\"",
			"monitors[0].labels: expected a mapping, got a list",
			"alerting: expected a mapping",
		}},
		{name: "bad_cron", contains: []string{
			"bad_cron.yaml:5:5: monitors[0].schedule: invalid cron expression \"61 * * * *\"",
			"monitors[1].schedule: invalid cron expression",
			"bad_cron.yaml:10:5: monitors[2].schedule: a monitor needs a schedule",
		}},
		{name: "bad_duration", contains: []string{
			"global.job_timeout: invalid duration \"5 minutes\"",
			"monitors[0].query.history: invalid duration \"4weeks\"",
			"monitors[0].query.backfill: invalid duration \"-1d\"",
			"monitors[1].timeout: expected a duration",
			"monitors[1].query.step: step must be positive",
		}},
		{name: "unknown_source", contains: []string{
			"unknown_source.yaml:8:13: monitors[0].query.source: unknown source \"victoria\" (defined: demo, pg, vm)",
			"unknown_source.yaml:4:22: sources.demo.calendar: unknown calendar \"nyse\" (none are defined)",
			"unknown_source.yaml:11:5: monitors[1].query.source: a query needs a source",
		}},
		{name: "bad_query", contains: []string{
			"bad_query.yaml:8:7: monitors[0].query.expr:",
			"monitors[1].query.expr: a query needs an expr",
		}},
		{name: "missing_secret", contains: []string{
			"global.store.dsn: environment variable SEISMO_TEST_UNSET_STORE_DSN is not set",
			"sources.vm.bearer_token: environment variable SEISMO_TEST_UNSET_TOKEN is not set",
			"missing_secret.yaml:10:5: sources.accounts.dsn_env: environment variable SEISMO_TEST_UNSET_ACCOUNTS_DSN is not set",
			"sources.trading.dsn: read secret file",
			"sources.both.dsn: a secret needs exactly one of env or file",
			"alerting.receivers[0].webhook_configs[0].url: environment variable SEISMO_TEST_UNSET_WEBHOOK is not set",
			"missing_secret.yaml:26:50: alerting.receivers[1].webhook_configs[0].url.fiel: unknown field \"fiel\"",
			"alerting.receivers[2].email_configs[0].auth_password: read secret file",
		}},
		{name: "many_errors", contains: []string{
			"global.timezone: unknown time zone \"Mars/Olympus_Mons\"",
			"global.listen: invalid listen address \"9108\"",
			"global.store.driver: store driver postgres is not supported yet",
			"monitors[0].name: invalid monitor name \"1bad name\"",
			"monitors[0].timezone: unknown time zone \"Nowhere/City\"",
			"monitors[0].calendar: unknown calendar \"nyse\" (defined: cn-stock)",
			"monitors[0].active_in: invalid active_in \"weekends\"",
			"monitors[0].query.history: history (30m) must be longer than step (1h)",
			"monitors[0].query.backfill: backfill (2h) must not exceed history (30m)",
			"monitors[0].labels.alertname: label \"alertname\" is reserved",
			"monitors[0].labels.bad-label: invalid label name \"bad-label\"",
			"monitors[0].labels.__name__: label names starting with __ are reserved",
			"monitors[1].active_in: active_in sessions needs a calendar",
			"monitors[2].name: monitor name \"dup\" is already used by monitors[1]",
			"many_errors.yaml:27:5: monitors[3].name: a monitor needs a name",
			"many_errors.yaml:30:11: alerting.route.receiver: undefined receiver \"nobody\"",
		}},
		{name: "holidays_bad", contains: []string{
			"holidays_bad.yaml:3:5: calendars.cn-stock.holidays_file: holidays file holidays-bad.txt: line 3: invalid date \"2025-13-01\"",
			"line 5: invalid date \"Jan 2\"",
			"line 6: invalid date \"2025-02-30\"",
			"holidays_bad.yaml:6:5: calendars.nyse.holidays_file: read holidays file:",
		}},
	}
	t.Setenv("SEISMO_TEST_SECRET_PRESENT", secretValue)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join("testdata", tc.name+".yaml")
			cfg, err := Load(file)
			if err == nil {
				t.Fatalf("Load(%s) = %+v, want an error", file, cfg)
			}
			if cfg != nil {
				t.Errorf("Load returned a config along with its error")
			}
			var list field.List
			if !errors.As(err, &list) {
				t.Fatalf("error is %T, want field.List: %v", err, err)
			}
			for _, e := range list {
				if e.File != file {
					t.Errorf("error %q has File %q, want %q", e, e.File, file)
				}
				if e.Line == 0 && !tc.noLine {
					t.Errorf("error %q has no line", e)
				}
			}
			for i := 1; i < len(list); i++ {
				if list[i].Line < list[i-1].Line {
					t.Errorf("errors not sorted by line: %q before %q", list[i-1], list[i])
				}
			}
			got := err.Error() + "\n"
			for _, s := range tc.contains {
				if !strings.Contains(got, s) {
					t.Errorf("output lacks %q:\n%s", s, got)
				}
			}
			if strings.Contains(got, secretValue) {
				t.Errorf("secret value leaked into the errors:\n%s", got)
			}
			golden(t, tc.name, got)
		})
	}
}

// TestErrorsNotRepeated checks that a field that failed to decode is
// reported once, not again by the validation of its zero value.
func TestErrorsNotRepeated(t *testing.T) {
	_, err := Load("testdata/bad_duration.yaml")
	var list field.List
	if !errors.As(err, &list) {
		t.Fatalf("error = %v, want field.List", err)
	}
	seen := map[string]int{}
	for _, e := range list {
		seen[e.Path]++
	}
	for path, n := range seen {
		if n > 1 {
			t.Errorf("%s reported %d times:\n%v", path, n, err)
		}
	}
}

func setValidEnv(t *testing.T) {
	t.Helper()
	t.Setenv("SEISMO_TEST_VM_TOKEN", secretValue)
	t.Setenv("SEISMO_TEST_ACCOUNTS_DSN", "postgres://app:"+secretValue+"@127.0.0.1/accounts")
	t.Setenv("SEISMO_TEST_WEBHOOK_URL", "https://hooks.example.com/"+secretValue)
}

func TestLoadValid(t *testing.T) {
	setValidEnv(t)
	cfg, err := Load("testdata/valid.yaml")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if cfg.File != "testdata/valid.yaml" {
		t.Errorf("File = %q", cfg.File)
	}

	g := cfg.Global
	if g.Timezone != "Asia/Shanghai" || g.Listen != "0.0.0.0:9108" || g.JobTimeout.Std() != 2*time.Minute {
		t.Errorf("global = %+v", g)
	}
	if g.MaxJitter != 0 {
		t.Errorf("explicit max_jitter: 0s became %s", g.MaxJitter)
	}
	if want := filepath.Join("testdata", "data", "seismo.db"); g.Store.DSN.Value() != want {
		t.Errorf("store dsn = %q, want %q (relative to the config file)", g.Store.DSN.Value(), want)
	}

	cal := cfg.Calendars["cn-stock"]
	if diff := cmp.Diff([]string{"2025-01-01", "2025-01-28", "2025-01-29"}, cal.Holidays); diff != "" {
		t.Errorf("holidays not merged with the file (-want +got):\n%s", diff)
	}

	vm := cfg.Sources["vm"]
	if vm.BearerToken.Value() != secretValue {
		t.Errorf("vm bearer token not resolved from the environment")
	}
	acc := cfg.Sources["accounts"]
	if !strings.Contains(acc.DSN.Value(), secretValue) {
		t.Errorf("dsn_env not resolved into dsn")
	}
	if want := filepath.Join("testdata", "trades.csv"); cfg.Sources["trades"].Path != want {
		t.Errorf("csv path = %q, want %q", cfg.Sources["trades"].Path, want)
	}

	if len(cfg.Monitors) != 2 {
		t.Fatalf("%d monitors, want 2", len(cfg.Monitors))
	}
	m0, m1 := cfg.Monitors[0], cfg.Monitors[1]
	if m0.Name != "account_openings" || m0.Calendar != "cn-stock" || m0.ActiveIn != ActiveSessions {
		t.Errorf("monitors[0] = %+v", m0)
	}
	if q := m0.Query; q.Step.Std() != 5*time.Minute || q.History.Std() != 28*24*time.Hour ||
		q.Backfill.Std() != 24*time.Hour || q.Delay.Std() != 30*time.Second {
		t.Errorf("monitors[0].query = %+v", q)
	}
	if m0.Detector.Sensitivity != 0.8 || m0.Detector.MinDeviation.Relative != 0.1 || m0.Baseline.Bucket.Std() != 30*time.Minute {
		t.Errorf("monitors[0] baseline/detector = %+v %+v", m0.Baseline, m0.Detector)
	}
	if m0.Labels["team"] != "accounts" || m0.Annotations["summary"] == "" {
		t.Errorf("monitors[0] labels/annotations = %v %v", m0.Labels, m0.Annotations)
	}
	// Defaults of the second monitor.
	if m1.Query.Step != DefaultStep || m1.Query.History != DefaultHistory || m1.ActiveIn != ActiveAlways ||
		m1.Timeout.Std() != 2*time.Minute || m1.Timezone != "Asia/Shanghai" {
		t.Errorf("monitors[1] defaults = %+v", m1)
	}

	wh := cfg.Alerting.Receivers[0].WebhookConfigs[0]
	if !strings.Contains(wh.URL.Value(), secretValue) || wh.MaxAlerts != 10 || wh.SendResolved == nil || *wh.SendResolved {
		t.Errorf("webhook = %+v", wh)
	}

	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%+v", *cfg)} {
		if strings.Contains(s, secretValue) {
			t.Fatalf("secret value leaked when printing the config:\n%s", s)
		}
	}
}

func TestDefaults(t *testing.T) {
	const minimal = `
sources:
  demo: {type: demo}
monitors:
  - name: m
    schedule: "*/5 * * * *"
    query: {source: demo, expr: x}
`
	cfg, err := Parse([]byte(minimal), "")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	g := cfg.Global
	checks := []struct {
		what      string
		got, want any
	}{
		{"global.timezone", g.Timezone, "UTC"},
		{"global.listen", g.Listen, "127.0.0.1:9108"},
		{"global.store.driver", g.Store.Driver, "sqlite"},
		{"global.store.dsn", g.Store.DSN.Value(), "seismo.db"}, // embedded: the working directory
		{"global.job_timeout", g.JobTimeout.Std(), time.Minute},
		{"global.max_jitter", g.MaxJitter.Std(), 2 * time.Second},
		{"query.step", cfg.Monitors[0].Query.Step.Std(), time.Minute},
		{"query.history", cfg.Monitors[0].Query.History.Std(), 28 * 24 * time.Hour},
		{"query.backfill", cfg.Monitors[0].Query.Backfill.Std(), time.Duration(0)},
		{"active_in", cfg.Monitors[0].ActiveIn, "always"},
		{"timeout", cfg.Monitors[0].Timeout.Std(), time.Minute},
		{"timezone", cfg.Monitors[0].Timezone, "UTC"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
}

func TestMonitorTimezoneFromCalendar(t *testing.T) {
	const in = `
global: {timezone: Europe/London}
calendars:
  nyse: {timezone: America/New_York}
sources:
  demo: {type: demo}
monitors:
  - {name: a, schedule: "@hourly", calendar: nyse, query: {source: demo, expr: x}}
  - {name: b, schedule: "@hourly", query: {source: demo, expr: x}}
  - {name: c, schedule: "@hourly", calendar: nyse, timezone: Asia/Tokyo, query: {source: demo, expr: x}}
`
	cfg, err := Parse([]byte(in), "")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	for i, want := range []string{"America/New_York", "Europe/London", "Asia/Tokyo"} {
		if got := cfg.Monitors[i].Timezone; got != want {
			t.Errorf("monitors[%d].timezone = %q, want %q", i, got, want)
		}
		if got := cfg.Monitors[i].Baseline.Timezone; got != want {
			t.Errorf("monitors[%d].baseline.timezone = %q, want %q", i, got, want)
		}
	}
}

func TestSQLiteDSNRelativeToConfig(t *testing.T) {
	tests := []struct {
		dsn, file, want string
	}{
		{"", "etc/seismo.yaml", filepath.Join("etc", "seismo.db")},
		{"state.db", "/srv/seismo/seismo.yaml", "/srv/seismo/state.db"},
		{"/var/lib/seismo.db", "etc/seismo.yaml", "/var/lib/seismo.db"},
		{"file:state.db?_pragma=busy_timeout(5000)", "/srv/s.yaml", "file:/srv/state.db?_pragma=busy_timeout(5000)"},
		{"file::memory:?cache=shared", "/srv/s.yaml", "file::memory:?cache=shared"},
		{":memory:", "/srv/s.yaml", ":memory:"},
		{"state.db", "", "state.db"},
	}
	for _, tc := range tests {
		in := "global: {store: {driver: sqlite}}\n"
		if tc.dsn != "" {
			in = fmt.Sprintf("global: {store: {driver: sqlite, dsn: %q}}\n", tc.dsn)
		}
		cfg, err := Parse([]byte(in), tc.file)
		if err != nil {
			t.Errorf("%q in %q: %v", tc.dsn, tc.file, err)
			continue
		}
		if got := cfg.Global.Store.DSN.Value(); got != tc.want {
			t.Errorf("%q in %q: dsn = %q, want %q", tc.dsn, tc.file, got, tc.want)
		}
	}
}

// TestEmbeddedErrors checks the error format of a configuration that has
// no file: positions only.
func TestEmbeddedErrors(t *testing.T) {
	_, err := Parse([]byte("monitors:\n  - name: x\n    schedule: \"61 * * * *\"\n"), "")
	if err == nil {
		t.Fatal("no error")
	}
	want := `3:5: monitors[0].schedule: invalid cron expression "61 * * * *": `
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error = %q, want it to contain %q", err, want)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v, want os.ErrNotExist", err)
	}
}

func TestTypeErrorPosition(t *testing.T) {
	// Both bad durations share line 1; each error must name its own field.
	in := "global: {job_timeout: 1x, max_jitter: 2q}\n"
	_, err := Parse([]byte(in), "")
	var list field.List
	if !errors.As(err, &list) {
		t.Fatalf("err = %v", err)
	}
	var got []string
	for _, e := range list {
		got = append(got, fmt.Sprintf("%d:%d %s", e.Line, e.Column, e.Path))
	}
	want := []string{"1:10 global.job_timeout", "1:27 global.max_jitter"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("positions (-want +got):\n%s\n%v", diff, err)
	}
}

func TestParent(t *testing.T) {
	tests := map[string]string{
		"monitors[1].query.step": "monitors[1].query",
		"monitors[1]":            "monitors",
		"monitors":               "",
		"":                       "",
	}
	for in, want := range tests {
		if got := parent(in); got != want {
			t.Errorf("parent(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWithin(t *testing.T) {
	tests := []struct {
		path, prefix string
		want         bool
	}{
		{"monitors[1].query.step", "monitors[1]", true},
		{"monitors[1]", "monitors[1]", true},
		{"monitors[10]", "monitors[1]", false},
		{"monitors[1].query", "", true},
		{"sources.vm2", "sources.vm", false},
	}
	for _, tc := range tests {
		if got := within(tc.path, tc.prefix); got != tc.want {
			t.Errorf("within(%q, %q) = %v", tc.path, tc.prefix, got)
		}
	}
}
