package main

import (
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeNABStyleCSV writes 10 days of a daily wave at 10-minute steps with
// one spike, in NAB's timestamp,value format.
func writeNABStyleCSV(t *testing.T, dir string) (path string, spike time.Time) {
	t.Helper()
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	spike = t0.Add(8*24*time.Hour + 14*time.Hour)
	var b strings.Builder
	b.WriteString("timestamp,value\n")
	for i := 0; i < 10*144; i++ {
		ts := t0.Add(time.Duration(i) * 10 * time.Minute)
		v := 200 + 80*math.Sin(2*math.Pi*float64(i%144)/144) + float64(i*7%11) - 5
		if ts.Equal(spike) {
			v += 400
		}
		fmt.Fprintf(&b, "%s,%.2f\n", ts.Format(time.DateTime), v)
	}
	b.WriteString("not a time,3\n") // a bad row: reported, skipped
	path = filepath.Join(dir, "orders.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, spike
}

func TestDetectFindsSpikeAndPlots(t *testing.T) {
	dir := t.TempDir()
	in, spike := writeNABStyleCSV(t, dir)
	img := filepath.Join(dir, "out.png")
	code, out, errOut := runCLI(t, "detect", "--input", in, "--plot", img)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "skipped 1 bad rows") {
		t.Errorf("bad row not reported: %q", errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !strings.HasPrefix(lines[len(lines)-1], "detect "+in+": 1 series, 1440 points") {
		t.Errorf("summary = %q", lines[len(lines)-1])
	}
	if !strings.Contains(out, spike.Format(time.RFC3339)) {
		t.Errorf("spike at %v not reported:\n%s", spike, out)
	}
	if n := len(lines) - 1; n > 5 {
		t.Errorf("%d anomalies on a clean wave with one spike", n)
	}
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Errorf("plot is not a PNG: %v", err)
	}
}

func TestDetectUsageErrors(t *testing.T) {
	dir := t.TempDir()
	in, _ := writeNABStyleCSV(t, dir)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"detect"}, "--input is required"},
		{[]string{"detect", "--input", filepath.Join(dir, "missing.csv")}, "missing.csv"},
		{[]string{"detect", "--input", in, "--detector", "crystal_ball"}, "crystal_ball"},
		{[]string{"detect", "--input", in, "--plot", "x.jpg"}, ".jpg"},
		{[]string{"detect", "--input", in, "--warmup", "1.5"}, "--warmup"},
	}
	for _, tc := range tests {
		code, _, errOut := runCLI(t, tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
}
