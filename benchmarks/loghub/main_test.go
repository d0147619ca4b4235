package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var (
	data1 = filepath.Join("testdata", "data1") // Alpha and the settings of Alpha and Beta
	data2 = filepath.Join("testdata", "data2") // Beta, no settings file of its own
)

func TestRun(t *testing.T) {
	const betaCSV = "LineId,EventTemplate\n1,job <*> done\n2,job <*> done\n3,\"job <*> failed, <*>\"\n4,ping\n"
	tests := []struct {
		settings string
		rows     []string // table rows, fields joined by one space
		summary  string   // the last line up to lines/s=
		csv      map[string]string
	}{
		{
			// Alpha: the names stay literal, so the two logins split
			// (GA 2/4, PGA 2/4, RGA 2/3, FGA 4/7; only "disk <*> at <*>"
			// is exact: PA 1/4, PTA 1/4, RTA 1/3, FTA 2/7).
			// Beta: line 4 is unlabelled; "code=<*>" is written <*>, so
			// the groups are right (GA 1) but one text is not (PA 2/3,
			// PTA = RTA = FTA = 1/2).
			settings: "default",
			rows: []string{
				"Alpha 4 3 4 0.500 0.500 0.667 0.571 0.250 0.250 0.333 0.286",
				"Beta 3 2 2 1.000 1.000 1.000 1.000 0.667 0.500 0.500 0.500",
				"average 0.750 0.750 0.833 0.786 0.458 0.375 0.417 0.393",
			},
			summary: "loghub avg GA=0.750 FGA=0.786 PA=0.458 FTA=0.393 lines/s=",
			csv: map[string]string{
				"Alpha.csv": "LineId,EventTemplate\n1,login user alice from <*>\n2,login user bob from <*>\n3,disk <*> at <*>\n4,logout user alice\n",
				"Beta.csv":  betaCSV,
			},
		},
		{
			// Alpha's published mask turns the names into variables: all
			// exact. Beta has no masks: as above.
			settings: "benchmark",
			rows: []string{
				"Alpha 4 3 3 1.000 1.000 1.000 1.000 1.000 1.000 1.000 1.000",
				"Beta 3 2 2 1.000 1.000 1.000 1.000 0.667 0.500 0.500 0.500",
				"average 1.000 1.000 1.000 1.000 0.833 0.750 0.750 0.750",
			},
			summary: "loghub avg GA=1.000 FGA=1.000 PA=0.833 FTA=0.750 lines/s=",
			csv: map[string]string{
				"Alpha.csv": "LineId,EventTemplate\n1,login user <*> from <*>\n2,login user <*> from <*>\n3,disk <*> at <*>\n4,logout user <*>\n",
				"Beta.csv":  betaCSV,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.settings, func(t *testing.T) {
			out := t.TempDir()
			stdout := runOK(t, "-data", data1+","+data2, "-out", out, "-settings", tt.settings, "-miner", "baseline", "-bench-time", "0")
			lines := strings.Split(strings.TrimRight(stdout, "\n"), "\n")
			var rows []string
			for _, l := range lines {
				f := strings.Fields(l)
				if len(f) > 0 && (f[0] == "Alpha" || f[0] == "Beta" || f[0] == "average") {
					rows = append(rows, strings.Join(f, " "))
				}
			}
			if diff := cmp.Diff(tt.rows, rows); diff != "" {
				t.Errorf("table rows (-want +got):\n%s\nstdout:\n%s", diff, stdout)
			}
			last := lines[len(lines)-1]
			if !regexp.MustCompile(`^` + regexp.QuoteMeta(tt.summary) + `[1-9][0-9]*$`).MatchString(last) {
				t.Errorf("last line %q, want %q<n> with n > 0", last, tt.summary)
			}
			if n := strings.Count(stdout, "loghub avg"); n != 1 {
				t.Errorf("%d summary lines, want 1", n)
			}
			for name, want := range tt.csv {
				got, err := os.ReadFile(filepath.Join(out, name))
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, string(got)); diff != "" {
					t.Errorf("%s (-want +got):\n%s", name, diff)
				}
			}
		})
	}
}

func runOK(t *testing.T, args ...string) string {
	t.Helper()
	opts, err := parseFlags(args)
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	opts.Stdout, opts.Stderr = &stdout, &stderr
	if err := run(context.Background(), opts); err != nil {
		t.Fatalf("run: %v\nstderr:\n%s", err, stderr.String())
	}
	return stdout.String()
}

func TestRunErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"settings value", []string{"-settings", "tuned"}, "-settings must be benchmark or default"},
		{"miner", []string{"-miner", "nope"}, `-miner "nope" unknown`},
		{"empty data", []string{"-data", " , "}, "-data names no folder"},
		{"stray argument", []string{"extra"}, "unexpected arguments"},
		{"negative bench time", []string{"-bench-time", "-1s"}, "-bench-time must not be negative"},
		{"missing folder", []string{"-data", filepath.Join("testdata", "nope")}, "find loghub datasets"},
		{"no datasets", []string{"-data", filepath.Join("testdata", "data1", "Alpha")}, "no Loghub dataset found"},
		{"no settings", []string{"-data", data2}, "Beta: no entry in any benchmark_settings.json"},
		{"same dataset twice", []string{"-data", data1 + "," + data1}, "dataset Alpha found twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"-out", t.TempDir(), "-miner", "baseline", "-bench-time", "0"}, tt.args...)
			opts, err := parseFlags(args)
			if err == nil {
				var sink bytes.Buffer
				opts.Stdout, opts.Stderr = &sink, &sink
				err = run(context.Background(), opts)
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestBaselineMiner(t *testing.T) {
	tests := []struct {
		name      string
		masks     []string
		benchmark bool
		msg, want string
	}{
		{"digits", nil, false, "took 12ms on node-3 ok", "took <*> on <*> ok"},
		{"spaces collapse", nil, false, "  a   b\tc ", "a b c"},
		{"masks ignored by default", []string{"alice"}, false, "user alice", "user alice"},
		{"masks then digits", []string{`blk_-?\d+`, "alice"}, true, "blk_-12 to alice", "<*> to <*>"},
		{"empty", nil, true, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := minerSpec{Dataset: "X", Benchmark: tt.benchmark}
			spec.Settings.Masks = tt.masks
			m, err := newBaselineMiner(spec)
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Add(tt.msg); got != tt.want {
				t.Errorf("Add(%q) = %q, want %q", tt.msg, got, tt.want)
			}
		})
	}
	spec := minerSpec{Dataset: "X", Benchmark: true}
	spec.Settings.Masks = []string{"("}
	if _, err := newBaselineMiner(spec); err == nil || !strings.Contains(err.Error(), `mask 0 "("`) {
		t.Errorf("bad mask: error = %v", err)
	}
}
