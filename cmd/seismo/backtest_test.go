package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/seismo-dev/seismo/datasets"
)

// demoConfigFile writes the demo configuration with its store in dir.
func demoConfigFile(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	yaml := bytes.Replace(datasets.DemoConfig(time.Now()), []byte(`dsn: "seismo-demo.db"`), []byte(`dsn: "`+filepath.Join(dir, "seismo.db")+`"`), 1)
	return writeFile(t, dir, "seismo.yaml", string(yaml))
}

func TestBacktestCommand(t *testing.T) {
	cfg := demoConfigFile(t)
	code, out, errOut := runCLI(t, "backtest", "--config", cfg, "--monitor", "account_openings", "--series", `{channel="app"}`,
		"--from", "now-2d", "--sensitivity", "0.95", "--persistence", "1/2")
	if code != exitOK {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !strings.HasPrefix(lines[0], "START") {
		t.Errorf("no alert table:\n%s", out)
	}
	last := lines[len(lines)-1]
	if !regexp.MustCompile(`^backtest account_openings .* \(2\.0 days\) with robust sensitivity 0\.95 direction both persistence 1/2: 1 series, \d+ points, \d+ alerts \([\d.]+ a day, \d+ silent\), no anomaly labels, \d+ms$`).MatchString(last) {
		t.Errorf("summary line %q", last)
	}
	// Not a terminal: one progress line per tenth, ending at 100%.
	progress := regexp.MustCompile(`(?m)^progress: +\d+% \(\d+/\d+\)$`).FindAllString(errOut, -1)
	if len(progress) < 2 || !strings.Contains(progress[len(progress)-1], "100%") {
		t.Errorf("progress on stderr: %q", errOut)
	}

	code, out, errOut = runCLI(t, "backtest", "--config", cfg, "--monitor", "account_openings", "--series", `{channel="app"}`, "--from", "now-1d", "--sweep", "--budget", "3")
	if code != exitOK {
		t.Fatalf("sweep: exit %d\n%s\n%s", code, out, errOut)
	}
	rows := regexp.MustCompile(`(?m)^ *(0\.\d\d|1\.00) +[\d.]+ +\d+ +\d+ `).FindAllString(out, -1)
	if len(rows) != 20 || !strings.Contains(out, " ←") {
		t.Errorf("sweep table has %d rows (want 20) and a marked recommendation:\n%s", len(rows), out)
	}
	if !regexp.MustCompile(`(?m)^sweep account_openings .* robust, 20 sensitivities \(re-thresholded one run\): recommended [\d.]+ for 3 alerts a day: .*\d+ms$`).MatchString(out) {
		t.Errorf("sweep summary:\n%s", out)
	}

	code, out, _ = runCLI(t, "backtest", "--config", cfg, "--monitor", "order_latency", "--from", "now-1d", "--json")
	var res struct {
		Monitor string            `json:"monitor"`
		Alerts  []json.RawMessage `json:"alerts"`
		Metrics struct {
			Points int `json:"points"`
		} `json:"metrics"`
	}
	if err := json.Unmarshal([]byte(out), &res); code != exitOK || err != nil || res.Monitor != "order_latency" || res.Metrics.Points == 0 || res.Alerts == nil {
		t.Errorf("--json: exit %d, %v: %.300s", code, err, out)
	}
}

func TestBacktestCommandUsage(t *testing.T) {
	cfg := demoConfigFile(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"backtest"}, "--monitor is required"},
		{[]string{"backtest", "--config", cfg, "--monitor", "nope"}, "unknown monitor"},
		{[]string{"backtest", "--config", cfg, "--monitor", "account_openings", "--from", "now", "--to", "now-1d"}, "before it starts"},
		{[]string{"backtest", "--config", cfg, "--monitor", "account_openings", "--from", "yesterday"}, "--from"},
		{[]string{"backtest", "--config", cfg, "--monitor", "account_openings", "--series", "{channel="}, "--series"},
		{[]string{"backtest", "--config", cfg, "--monitor", "account_openings", "--persistence", "two"}, "want k/n"},
		{[]string{"backtest", "--config", cfg, "--monitor", "account_openings", "--sensitivity", "3"}, "sensitivity"},
		{[]string{"backtest", "--config", cfg, "--monitor", "account_openings", "--sweep", "--sensitivity", "0.5"}, "--sweep tries every sensitivity"},
		{[]string{"backtest", "--config", cfg, "--monitor", "account_openings", "--remote-write"}, "global.remote_write is not configured"},
	} {
		t.Run(strings.Join(tc.args[1:], " "), func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.args...)
			if code != exitUsage || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, want %d with %q\nstdout: %s\nstderr: %s", code, exitUsage, tc.want, out, errOut)
			}
		})
	}
}

func TestParseCLITime(t *testing.T) {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"now", now},
		{"now-7d", now.Add(-7 * 24 * time.Hour)},
		{"now-90m", now.Add(-90 * time.Minute)},
		{"2026-03-01", time.Date(2026, 3, 1, 0, 0, 0, 0, loc)},
		{"2026-03-01 09:30", time.Date(2026, 3, 1, 9, 30, 0, 0, loc)},
		{"2026-03-01T09:30:00Z", time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)},
	} {
		got, err := parseCLITime(tc.in, now, loc)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("parseCLITime(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "soon", "now-", "now+1d", "2026-13-01"} {
		if _, err := parseCLITime(bad, now, loc); err == nil {
			t.Errorf("parseCLITime(%q) accepted", bad)
		}
	}
}
