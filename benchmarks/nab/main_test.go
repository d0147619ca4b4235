package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seismo-dev/seismo/baseline"
	"github.com/seismo-dev/seismo/datasets"
	"github.com/seismo-dev/seismo/detector"
	"github.com/seismo-dev/seismo/detector/eval"
	"github.com/seismo-dev/seismo/series"
)

// jump is a test detector with an obvious causal score: the size of the
// step from the previous point, |Δ|/(|Δ|+1). It fails the test if the
// runner ever uses its batch form (which could look ahead) or pushes points
// out of order.
type jump struct{ t *testing.T }

func (j jump) Name() string { return "jump" }

func (j jump) NewStream(m baseline.Model) detector.Stream {
	if m != nil {
		j.t.Error("NAB streams must get no model")
	}
	return &jumpStream{t: j.t}
}

func (j jump) DetectBatch(detector.Input) []detector.Result {
	j.t.Error("the runner used DetectBatch: NAB scoring must be causal")
	return nil
}

type jumpStream struct {
	t    *testing.T
	prev *series.Point
}

func (s *jumpStream) Push(p series.Point) (detector.Result, bool) {
	if s.prev != nil && p.T.Before(s.prev.T) {
		s.t.Errorf("point %s pushed after %s", p.T, s.prev.T)
	}
	defer func() { s.prev = &p }()
	if s.prev == nil || !p.T.After(s.prev.T) {
		return detector.Result{}, false // warm-up, or a repeated timestamp
	}
	d := math.Abs(p.V - s.prev.V)
	return detector.Result{T: p.T, Value: p.V, Score: d / (d + 1)}, true
}

// writeCorpus creates a small NAB-style corpus: flat series with a spike
// on the first row of every window, so the jump detector is perfect.
func writeCorpus(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	start := time.Date(2015, 3, 1, 0, 0, 0, 0, time.UTC)
	type file struct {
		key     string
		n       int
		windows [][2]int
	}
	files := []file{
		{"catA/flat.csv", 800, nil},
		{"catA/spiky.csv", 1000, [][2]int{{300, 349}, {700, 779}}},
		{"catB/one.csv", 1200, [][2]int{{1000, 1099}}},
	}
	var labels []string
	for _, f := range files {
		var b strings.Builder
		b.WriteString("timestamp,value\n")
		spike := map[int]bool{}
		var ws []string
		for _, w := range f.windows {
			spike[w[0]] = true
			ws = append(ws, fmt.Sprintf(`["%s.000000", "%s.000000"]`,
				start.Add(time.Duration(w[0])*5*time.Minute).Format(datasets.NABTimeLayout),
				start.Add(time.Duration(w[1])*5*time.Minute).Format(datasets.NABTimeLayout)))
		}
		for i := range f.n {
			v := 10.0
			if spike[i] {
				v = 100
			}
			fmt.Fprintf(&b, "%s,%g\n", start.Add(time.Duration(i)*5*time.Minute).Format(datasets.NABTimeLayout), v)
		}
		writeFile(t, filepath.Join(dir, "data", filepath.FromSlash(f.key)), b.String())
		labels = append(labels, fmt.Sprintf("%q: [%s]", f.key, strings.Join(ws, ", ")))
	}
	writeFile(t, filepath.Join(dir, "labels", "combined_windows.json"), "{"+strings.Join(labels, ",\n")+"}")
	return dir
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func testOptions(t *testing.T, data string, parallel int) (options, *bytes.Buffer) {
	t.Helper()
	entries, err := parseEntries([]byte("- name: jumpy\n  detector: {type: robust, sensitivity: 0.5}\n- name: other\n  detector: {type: robust}\n"))
	if err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	return options{
		Data: data, Out: t.TempDir(), Detector: "jumpy", Entries: entries, Parallel: parallel,
		Stdout: &stdout, Stderr: io.Discard,
		New: func(detector.Config) (detector.Detector, error) { return jump{t}, nil },
	}, &stdout
}

func TestRunPerfectDetector(t *testing.T) {
	opts, stdout := testOptions(t, writeCorpus(t), 2)
	if err := run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if got, want := lines[len(lines)-1], "NAB best=jumpy standard=100.0 low_fp=100.0 low_fn=100.0"; got != want {
		t.Errorf("last line %q, want %q\n%s", got, want, stdout)
	}
	if !strings.HasPrefix(lines[0], "detector") || len(lines) != 3 {
		t.Errorf("want a header, one row and the summary line, got:\n%s", stdout)
	}

	// The written files are NAB results that score the same.
	results, err := datasets.LoadNABResults(filepath.Join(opts.Out, "jumpy"), "jumpy")
	if err != nil {
		t.Fatal(err)
	}
	files, err := datasets.LoadNAB(opts.Data)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != len(files) {
		t.Fatalf("%d result files for %d data files", len(results), len(files))
	}
	scores := make([][]float64, len(files))
	for i, r := range results {
		if r.Key() != files[i].Key() || len(r.Points) != len(files[i].Points) {
			t.Fatalf("result %s with %d rows for data %s with %d", r.Key(), len(r.Points), files[i].Key(), len(files[i].Points))
		}
		scores[i] = r.Scores
	}
	res, err := eval.ScoreNAB(corpus(files, scores))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res {
		if math.Abs(s.Score-100) > 1e-9 {
			t.Errorf("%s from the written files: %v, want 100", s.Profile.Name, s.Score)
		}
	}
	if got := results[1].Scores[:3]; got[0] != 0 || got[1] != 0 || got[2] != 0 {
		t.Errorf("warm-up and flat rows score %v, want 0", got)
	}
}

// TestRunDeterministic: the table and every file are the same whatever the
// parallelism.
func TestRunDeterministic(t *testing.T) {
	data := writeCorpus(t)
	var outs []string
	var dirs []string
	for _, parallel := range []int{1, 3} {
		opts, stdout := testOptions(t, data, parallel)
		opts.Detector = "all"
		if err := run(context.Background(), opts); err != nil {
			t.Fatal(err)
		}
		outs = append(outs, stdout.String())
		dirs = append(dirs, opts.Out)
	}
	if outs[0] != outs[1] {
		t.Errorf("output differs with parallelism:\n%s\nvs\n%s", outs[0], outs[1])
	}
	err := filepath.WalkDir(dirs[0], func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dirs[0], path)
		a, _ := os.ReadFile(path)
		b, err := os.ReadFile(filepath.Join(dirs[1], rel))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs with parallelism (%v)", rel, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRunCancelled(t *testing.T) {
	opts, _ := testOptions(t, writeCorpus(t), 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := run(ctx, opts); err == nil {
		t.Error("cancelled run: no error")
	}
}

func TestRunErrors(t *testing.T) {
	data := writeCorpus(t)
	for _, tc := range []struct {
		name    string
		modify  func(*options)
		wantErr string
	}{
		{"unknown detector", func(o *options) { o.Detector = "nope" }, `no detector "nope" (have jumpy, other)`},
		{"detector that does not build", func(o *options) {
			o.New = func(detector.Config) (detector.Detector, error) { return nil, fmt.Errorf("no such family") }
		}, "no such family"},
		{"no corpus", func(o *options) { o.Data = t.TempDir() }, "combined_windows.json"},
		{"NaN score", func(o *options) {
			o.New = func(detector.Config) (detector.Detector, error) { return nanDetector{}, nil }
		}, "not finite"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts, _ := testOptions(t, data, 2)
			tc.modify(&opts)
			err := run(context.Background(), opts)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

type nanDetector struct{}

func (nanDetector) Name() string                             { return "nan" }
func (nanDetector) NewStream(baseline.Model) detector.Stream { return nanStream{} }

type nanStream struct{}

func (nanStream) Push(p series.Point) (detector.Result, bool) {
	return detector.Result{T: p.T, Score: math.NaN()}, true
}

func TestParseEntries(t *testing.T) {
	if _, err := parseEntries(defaultConfig); err != nil {
		t.Errorf("embedded detectors.yaml: %v", err)
	}
	for _, tc := range []struct{ name, in, wantErr string }{
		{"empty", "", "no detectors"},
		{"unknown key", "- name: a\n  detector: {type: robust, bogus: 1}\n", "bogus"},
		{"no name", "- detector: {type: robust}\n", "no name"},
		{"duplicate", "- name: a\n- name: a\n", "duplicate"},
		{"path", "- name: a/b\n", "directory name"},
		{"reference name", "- name: numenta\n", "reference"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseEntries([]byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestParseFlags(t *testing.T) {
	for _, args := range [][]string{{"-parallel", "0"}, {"extra"}, {"-config", "/nonexistent/x.yaml"}} {
		if _, err := parseFlags(args); err == nil {
			t.Errorf("parseFlags(%q): no error", args)
		}
	}
	opts, err := parseFlags([]string{"-data", "d", "-out", "o", "-detector", "seasonal"})
	if err != nil {
		t.Fatal(err)
	}
	if opts.Data != "d" || opts.Out != "o" || opts.Detector != "seasonal" || len(opts.Entries) == 0 {
		t.Errorf("parseFlags = %+v", opts)
	}
}

func TestRunVerbose(t *testing.T) {
	opts, stdout := testOptions(t, writeCorpus(t), 2)
	opts.Verbose = true
	if err := run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"jumpy catA 100.0 2.00 -2 2.00 2/2 0",
		"jumpy catB 100.0 1.00 -1 1.00 1/1 0",
	} {
		found := false
		for _, l := range strings.Split(stdout.String(), "\n") {
			found = found || strings.Join(strings.Fields(l), " ") == want
		}
		if !found {
			t.Errorf("breakdown lacks %q:\n%s", want, stdout)
		}
	}
}
