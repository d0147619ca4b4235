package main

import (
	"regexp"
	"strings"
	"testing"
)

func TestLogpatternMinerSettings(t *testing.T) {
	spec := minerSpec{Dataset: "X"}
	spec.Settings.Masks = []string{`(?:alice|bob)`}
	spec.Settings.ST, spec.Settings.Depth = 0.5, 4

	spec.Benchmark = true
	m, err := newLogpatternMiner(spec)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Add("session closed for alice"); got != "session closed for <*>" {
		t.Errorf("benchmark settings: template %q, want the published mask applied", got)
	}

	spec.Benchmark = false
	m, err = newLogpatternMiner(spec)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Add("session closed for alice"); got != "session closed for alice" {
		t.Errorf("default settings: template %q, want the dataset's mask ignored", got)
	}

	spec.Benchmark = true
	spec.Settings.Masks = []string{"("}
	if _, err := newLogpatternMiner(spec); err == nil || !strings.Contains(err.Error(), "dataset X") {
		t.Errorf("bad mask: error = %v", err)
	}
}

// TestRunLogpattern runs Seismo's miner end to end; its scores depend on
// the miner, so only the shape of the output is checked here (the
// baseline miner's run in TestRun checks the numbers).
func TestRunLogpattern(t *testing.T) {
	for _, settings := range []string{"benchmark", "default"} {
		t.Run(settings, func(t *testing.T) {
			stdout := runOK(t, "-data", data1+","+data2, "-out", t.TempDir(), "-settings", settings, "-miner", "logpattern", "-bench-time", "0")
			lines := strings.Split(strings.TrimRight(stdout, "\n"), "\n")
			summary := regexp.MustCompile(`^loghub avg GA=[01]\.\d{3} FGA=[01]\.\d{3} PA=[01]\.\d{3} FTA=[01]\.\d{3} lines/s=[1-9][0-9]*$`)
			if last := lines[len(lines)-1]; !summary.MatchString(last) {
				t.Errorf("last line %q does not match %s", last, summary)
			}
		})
	}
}
