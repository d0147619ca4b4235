package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUsageAndVersion(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string // in stdout+stderr
	}{
		{nil, exitUsage, "Commands:"},
		{[]string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{[]string{"version"}, exitOK, "seismo "},
		{[]string{"help"}, exitOK, "Commands:"},
		{[]string{"validate"}, exitUsage, "--config is required"},
		{[]string{"once"}, exitUsage, "--job is required"},
		{[]string{"run", "--bogus"}, exitUsage, "flag provided but not defined"},
		{[]string{"once", "--help"}, exitOK, "last line is a one-line summary"},
		{[]string{"validate", "--config", "/nonexistent/seismo.yaml"}, exitUsage, "/nonexistent/seismo.yaml"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit = %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
			if !strings.Contains(out+errOut, tc.want) {
				t.Errorf("output lacks %q\nstdout: %s\nstderr: %s", tc.want, out, errOut)
			}
		})
	}
}

func TestValidateReportsEveryErrorWithLine(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "bad.yaml", `global:
  timezone: UTC
sources:
  vm: {type: prometheus, url: "http://127.0.0.1:8428"}
monitors:
  - name: orders
    schedule: "61 * * * *"
    query: {source: vm, expr: "sum(rate(orders_total[5m])", step: 1m}
  - name: refunds
    schedule: "0 * * * * *"
    query: {source: nowhere, expr: "refunds", step: 5 minutes}
    colour: blue
`)
	code, out, errOut := runCLI(t, "validate", "--config", p)
	if code != exitUsage {
		t.Fatalf("exit = %d, want %d; stdout %s", code, exitUsage, out)
	}
	for _, want := range []string{
		"bad.yaml:7", "schedule", // bad cron
		"bad.yaml:8", "expr", // invalid MetricsQL
		"bad.yaml:11",           // bad duration and unknown source
		"bad.yaml:12", "colour", // unknown key
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("errors lack %q:\n%s", want, errOut)
		}
	}
}

func TestValidateGoodConfig(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "good.yaml", `sources:
  vm: {type: prometheus, url: "http://127.0.0.1:8428"}
monitors:
  - name: orders
    schedule: "0 * * * * *"
    query: {source: vm, expr: "sum(rate(orders_total[5m]))"}
`)
	code, out, errOut := runCLI(t, "validate", "--config", p)
	if code != exitOK || !strings.Contains(out, "valid: 1 monitors") {
		t.Fatalf("exit = %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SEISMO_TEST_HOOK", "https://hooks.example.invalid/s3cr3t-t0ken")
	p := writeFile(t, dir, "s.yaml", `sources:
  vm: {type: prometheus, url: "http://127.0.0.1:8428"}
monitors:
  - name: orders
    schedule: "not a schedule"
    query: {source: vm, expr: "up"}
alerting:
  route: {receiver: hook}
  receivers:
    - name: hook
      webhook_configs: [{url: {env: SEISMO_TEST_HOOK}}]
`)
	_, out, errOut := runCLI(t, "validate", "--config", p)
	if strings.Contains(out+errOut, "s3cr3t") {
		t.Fatalf("secret printed:\n%s%s", out, errOut)
	}
}

// TestOnceOnDemo runs the built-in demo's monitors the way a new user would
// and checks that the injected anomalies produce events, with the summary
// as the last line.
func TestOnceOnDemo(t *testing.T) {
	t.Chdir(t.TempDir()) // the demo's store file is created in the working directory
	summary := regexp.MustCompile(`^job account_openings: 3 series, \d+ points read, \d+ evaluated, (\d+) events`)
	code, out, errOut := runCLI(t, "once", "--job", "account_openings")
	if code != exitOK {
		t.Fatalf("exit = %d\nstderr: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := lines[len(lines)-1]
	m := summary.FindStringSubmatch(last)
	if m == nil {
		t.Fatalf("last line %q is not the summary", last)
	}
	if m[1] == "0" {
		t.Errorf("the demo's two-day backfill produced no events: %s", last)
	}
	if n, _ := strconv.Atoi(m[1]); len(lines)-1 != n {
		t.Errorf("%d event lines, summary says %s", len(lines)-1, m[1])
	}

	code, out, _ = runCLI(t, "once", "--job", "trade_count", "--json")
	if code != exitOK {
		t.Fatalf("--json exit = %d", code)
	}
	lines = strings.Split(strings.TrimSpace(out), "\n")
	for i, l := range lines {
		var v map[string]any
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("line %d is not JSON: %q", i+1, l)
		}
		if i == len(lines)-1 {
			if _, ok := v["summary"]; !ok {
				t.Errorf("last JSON line has no summary: %v", v)
			}
		} else if v["kind"] != "anomaly" {
			t.Errorf("event line %d: kind = %v", i+1, v["kind"])
		}
	}

	if code, _, errOut := runCLI(t, "once", "--job", "nope"); code != exitUsage || !strings.Contains(errOut, "no job named") {
		t.Errorf("unknown job: exit %d, %s", code, errOut)
	}
}
