// Command nab runs Seismo's detectors on the Numenta Anomaly Benchmark
// (NAB) and scores them with detector/eval's NAB scorer.
//
//	go run ./benchmarks/nab [-data DIR] [-out OUT] [-detector NAME|all] [-config FILE] [-parallel N] [-v]
//
// DIR is laid out like NAB (data/<category>/*.csv,
// labels/combined_windows.json); it defaults to ../shared/datasets/nab
// relative to the repository root. Every detector runs as NAB requires:
// causally (a fresh Stream per file, points pushed in order, so each score
// sees only the past; Batcher forms are never used), with one
// configuration for the whole corpus and no labels. Rows the stream does
// not judge (warm-up, a repeated timestamp) get score 0. Scores are
// written to OUT/<detector>/<category>/<detector>_<file>.csv with the
// header timestamp,value,anomaly_score.
//
// The table on stdout scores each detector under the three NAB profiles,
// next to the reference detectors found in DIR/reference-results (numenta,
// windowedGaussian), and the last line names the best of Seismo's
// detectors by standard score (thr_* are the corpus-wide thresholds NAB's
// optimiser chose, hit the windows detected and fp the false-positive rows
// at the standard threshold):
//
//	NAB best=<detector> standard=<x> low_fp=<y> low_fn=<z>
//
// The detectors and their corpus-wide configurations come from the
// embedded detectors.yaml, or from -config. With -v a per-category
// breakdown at the corpus-wide standard threshold precedes the table. Files are scored in parallel;
// the output does not depend on the order in which they finish.
// Progress and timings go to stderr.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runMain(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "nab:", err)
		stop()
		os.Exit(1)
	}
}

func runMain(ctx context.Context, args []string) error {
	opts, err := parseFlags(args)
	if err != nil {
		return err
	}
	return run(ctx, opts)
}

func parseFlags(args []string) (options, error) {
	fs := newFlagSet()
	data := fs.String("data", filepath.Join("..", "shared", "datasets", "nab"), "NAB-style corpus directory (data/<category>/*.csv, labels/combined_windows.json)")
	out := fs.String("out", filepath.Join(os.TempDir(), "seismo-nab"), "directory for the per-file result CSVs")
	det := fs.String("detector", "all", "detector name from the configuration, or all")
	cfgPath := fs.String("config", "", "YAML list of {name, detector} entries (default: the embedded detectors.yaml)")
	verbose := fs.Bool("v", false, "also print each detector's standard score per category")
	parallel := fs.Int("parallel", runtime.GOMAXPROCS(0), "files scored at once")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	if fs.NArg() > 0 {
		return options{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *parallel < 1 {
		return options{}, fmt.Errorf("-parallel must be at least 1, got %d", *parallel)
	}
	raw := defaultConfig
	if *cfgPath != "" {
		b, err := os.ReadFile(*cfgPath)
		if err != nil {
			return options{}, fmt.Errorf("read -config: %w", err)
		}
		raw = b
	}
	entries, err := parseEntries(raw)
	if err != nil {
		return options{}, fmt.Errorf("detector configuration %s: %w", configName(*cfgPath), err)
	}
	return options{
		Data:     *data,
		Out:      *out,
		Detector: *det,
		Entries:  entries,
		Parallel: *parallel,
		Verbose:  *verbose,
		Stdout:   os.Stdout,
		Stderr:   os.Stderr,
	}, nil
}

func configName(path string) string {
	if path == "" {
		return "(embedded detectors.yaml)"
	}
	return path
}
