package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/seismo-dev/seismo/benchmarks/loghub/metrics"
	"github.com/seismo-dev/seismo/datasets"
)

// options configures run.
type options struct {
	Data      []string // Loghub root folders
	Out       string
	Benchmark bool   // -settings benchmark
	Miner     string // key of miners
	BenchTime time.Duration
	Stdout    io.Writer
	Stderr    io.Writer
}

func newFlagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("loghub", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: go run ./benchmarks/loghub [-data DIR[,DIR...]] [-out OUT] [-settings benchmark|default] [-miner NAME] [-bench-time D]")
		fs.PrintDefaults()
	}
	return fs
}

func parseFlags(args []string) (options, error) {
	fs := newFlagSet()
	data := fs.String("data", filepath.Join("..", "shared", "datasets", "loghub-2k"), "comma-separated Loghub-2k style folders (<D>/<D>_2k.log, benchmark_settings.json)")
	out := fs.String("out", filepath.Join(os.TempDir(), "seismo-loghub"), "directory for the per-dataset prediction CSVs")
	settings := fs.String("settings", "benchmark", "benchmark: each dataset's published masks, st and depth; default: Seismo's defaults everywhere")
	minerName := fs.String("miner", defaultMiner, "template miner: "+strings.Join(minerNames(), ", "))
	benchTime := fs.Duration("bench-time", time.Second, "minimum duration of the throughput replay")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	if fs.NArg() > 0 {
		return options{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	opts := options{Out: *out, Miner: *minerName, BenchTime: *benchTime}
	for _, d := range strings.Split(*data, ",") {
		if d = strings.TrimSpace(d); d != "" {
			opts.Data = append(opts.Data, d)
		}
	}
	if len(opts.Data) == 0 {
		return options{}, errors.New("-data names no folder")
	}
	switch *settings {
	case "benchmark":
		opts.Benchmark = true
	case "default":
	default:
		return options{}, fmt.Errorf("-settings must be benchmark or default, got %q", *settings)
	}
	if _, ok := miners[opts.Miner]; !ok {
		return options{}, fmt.Errorf("-miner %q unknown (have %s)", opts.Miner, strings.Join(minerNames(), ", "))
	}
	if opts.BenchTime < 0 {
		return options{}, fmt.Errorf("-bench-time must not be negative, got %s", opts.BenchTime)
	}
	return opts, nil
}

// result is one dataset's run.
type result struct {
	name     string
	contents []string // the messages fed to the miner
	m        miner    // warm after scoring; reused for the throughput replay
	scores   metrics.Scores
}

func run(ctx context.Context, opts options) error {
	newMiner := miners[opts.Miner]
	if newMiner == nil {
		return fmt.Errorf("miner %q unknown", opts.Miner)
	}
	dirs, settings, err := discover(opts.Data)
	if err != nil {
		return err
	}
	if len(dirs) == 0 {
		return fmt.Errorf("no Loghub dataset found under %s", strings.Join(opts.Data, ", "))
	}
	if err := os.MkdirAll(opts.Out, 0o755); err != nil {
		return fmt.Errorf("create -out: %w", err)
	}
	var results []result
	for _, dir := range dirs {
		if err := ctx.Err(); err != nil {
			return err
		}
		s, ok := settings.lookup(dir)
		if !ok {
			return fmt.Errorf("dataset %s: no entry in any %s of %s", dir, datasets.LoghubSettingsFile, strings.Join(opts.Data, ", "))
		}
		start := time.Now()
		r, err := runDataset(dir, s, opts, newMiner)
		if err != nil {
			return err
		}
		fmt.Fprintf(opts.Stderr, "loghub: %s: %d lines in %s\n", r.name, len(r.contents), time.Since(start).Round(time.Millisecond))
		results = append(results, r)
	}
	linesPerSec, allocsPerLine, err := replay(ctx, results, opts.BenchTime)
	if err != nil {
		return err
	}
	return report(opts, results, linesPerSec, allocsPerLine)
}

// settingsIndex finds a dataset's settings: in the settings file of its
// own root first, then in those of the other roots in -data order.
type settingsIndex struct {
	roots []string
	byDir map[string]map[string]datasets.LoghubSettings // root → dataset → settings
}

func (x settingsIndex) lookup(datasetDir string) (datasets.LoghubSettings, bool) {
	name, root := filepath.Base(datasetDir), filepath.Dir(datasetDir)
	if s, ok := x.byDir[root][name]; ok {
		return s, true
	}
	for _, r := range x.roots {
		if s, ok := x.byDir[r][name]; ok {
			return s, true
		}
	}
	return datasets.LoghubSettings{}, false
}

// discover lists the datasets of every root and loads the roots' settings
// files (a root may have none). Two datasets of the same name are an
// error: their outputs would overwrite each other.
func discover(roots []string) ([]string, settingsIndex, error) {
	idx := settingsIndex{roots: roots, byDir: map[string]map[string]datasets.LoghubSettings{}}
	var dirs []string
	seen := map[string]string{}
	for _, root := range roots {
		ds, err := datasets.FindLoghub(root)
		if err != nil {
			return nil, idx, err
		}
		for _, d := range ds {
			name := filepath.Base(d)
			if prev, ok := seen[name]; ok {
				return nil, idx, fmt.Errorf("dataset %s found twice: %s and %s", name, prev, d)
			}
			seen[name] = d
		}
		dirs = append(dirs, ds...)
		path := filepath.Join(root, datasets.LoghubSettingsFile)
		s, err := datasets.LoadLoghubSettings(path)
		switch {
		case errors.Is(err, os.ErrNotExist):
			continue
		case err != nil:
			return nil, idx, err
		}
		idx.byDir[filepath.Clean(root)] = s
	}
	return dirs, idx, nil
}

// runDataset mines one dataset in order with a fresh miner, writes its
// predictions and scores them.
func runDataset(dir string, s datasets.LoghubSettings, opts options, newMiner minerFactory) (result, error) {
	d, err := datasets.LoadLoghub(dir)
	if err != nil {
		return result{}, err
	}
	format, err := datasets.ParseLogFormat(s.LogFormat)
	if err != nil {
		return result{}, fmt.Errorf("dataset %s: %w", d.Name, err)
	}
	m, err := newMiner(minerSpec{Dataset: d.Name, Settings: s, Benchmark: opts.Benchmark})
	if err != nil {
		return result{}, fmt.Errorf("dataset %s: %w", d.Name, err)
	}
	r := result{name: d.Name, m: m, contents: make([]string, len(d.Raw))}
	truth := make([]string, len(d.Raw))
	pred := make([]string, len(d.Raw))
	unmatched, differ := 0, 0
	g, grouped := m.(grouper)
	groups := make([]uint64, len(d.Raw))
	for i, line := range d.Raw {
		content, ok := format.Content(line)
		if !ok {
			// The benchmark's own loader drops such lines; here the
			// whole line stands in so that rows stay aligned.
			unmatched++
			content = strings.TrimSpace(line)
		}
		if content != d.Truth[i].Content {
			differ++
		}
		r.contents[i] = content
		truth[i] = d.Truth[i].EventTemplate
		if grouped {
			groups[i] = g.AddGroup(content)
		} else {
			pred[i] = m.Add(content)
		}
	}
	if grouped {
		for i, id := range groups {
			pred[i] = g.Final(id)
		}
	}
	if unmatched > 0 || differ > 0 {
		fmt.Fprintf(opts.Stderr, "loghub: %s: warning: %d lines do not match the log format, %d messages differ from the ground truth's Content\n", d.Name, unmatched, differ)
	}
	if err := writePredictions(filepath.Join(opts.Out, d.Name+".csv"), pred); err != nil {
		return result{}, fmt.Errorf("dataset %s: %w", d.Name, err)
	}
	if r.scores, err = metrics.Evaluate(truth, pred); err != nil {
		return result{}, fmt.Errorf("dataset %s: %w", d.Name, err)
	}
	return r, nil
}

// writePredictions writes LineId,EventTemplate with RFC 4180 quoting.
func writePredictions(path string, pred []string) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("write %s: %w", path, cerr)
		}
	}()
	w := csv.NewWriter(f)
	if err := w.Write([]string{"LineId", "EventTemplate"}); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	for i, p := range pred {
		if err := w.Write([]string{strconv.Itoa(i + 1), p}); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// replay measures throughput on the calling goroutine: every dataset's
// messages go through its warm miner, round after round, until at least
// minTime has passed (one round at least). It also reports the heap
// allocations per line.
func replay(ctx context.Context, results []result, minTime time.Duration) (linesPerSec, allocsPerLine float64, err error) {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	mallocs := ms.Mallocs
	var lines int
	start := time.Now()
	var elapsed time.Duration
	for {
		for _, r := range results {
			for _, c := range r.contents {
				r.m.Add(c)
			}
			lines += len(r.contents)
		}
		elapsed = time.Since(start)
		if elapsed >= minTime {
			break
		}
		if err := ctx.Err(); err != nil {
			return 0, 0, err
		}
	}
	runtime.ReadMemStats(&ms)
	if lines == 0 || elapsed <= 0 {
		return 0, 0, nil
	}
	return float64(lines) / elapsed.Seconds(), float64(ms.Mallocs-mallocs) / float64(lines), nil
}

// report prints the per-dataset table, the averages and the summary line.
func report(opts options, results []result, linesPerSec, allocsPerLine float64) error {
	tw := tabwriter.NewWriter(opts.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "dataset\tlines\ttruth\tpredicted\tGA\tPGA\tRGA\tFGA\tPA\tPTA\tRTA\tFTA\t")
	var avg metrics.Scores
	for _, r := range results {
		s := r.scores
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t\n", r.name, s.Lines, s.TruthTemplates, s.PredictedTemplates, formatScores(s))
		avg.GA += s.GA
		avg.PGA += s.PGA
		avg.RGA += s.RGA
		avg.FGA += s.FGA
		avg.PA += s.PA
		avg.PTA += s.PTA
		avg.RTA += s.RTA
		avg.FTA += s.FTA
	}
	n := float64(len(results))
	avg.GA, avg.PGA, avg.RGA, avg.FGA = avg.GA/n, avg.PGA/n, avg.RGA/n, avg.FGA/n
	avg.PA, avg.PTA, avg.RTA, avg.FTA = avg.PA/n, avg.PTA/n, avg.RTA/n, avg.FTA/n
	fmt.Fprintf(tw, "average\t\t\t\t%s\t\n", formatScores(avg))
	if err := tw.Flush(); err != nil {
		return err
	}
	settings := "default"
	if opts.Benchmark {
		settings = "benchmark"
	}
	fmt.Fprintf(opts.Stdout, "miner=%s settings=%s datasets=%d allocs/line=%.2f\n", opts.Miner, settings, len(results), allocsPerLine)
	_, err := fmt.Fprintf(opts.Stdout, "loghub avg GA=%.3f FGA=%.3f PA=%.3f FTA=%.3f lines/s=%.0f\n", avg.GA, avg.FGA, avg.PA, avg.FTA, linesPerSec)
	return err
}

func formatScores(s metrics.Scores) string {
	return fmt.Sprintf("%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f", s.GA, s.PGA, s.RGA, s.FGA, s.PA, s.PTA, s.RTA, s.FTA)
}
