package main

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/seismo-dev/seismo/datasets"
	"github.com/seismo-dev/seismo/detector"
	"github.com/seismo-dev/seismo/detector/eval"
	"github.com/seismo-dev/seismo/series"
)

//go:embed detectors.yaml
var defaultConfig []byte

// referenceDetectors are NAB's published detectors whose results the
// shared corpus carries, printed for comparison when present.
var referenceDetectors = []string{"numenta", "windowedGaussian"}

// entry is one detector with its corpus-wide configuration.
type entry struct {
	Name     string          `yaml:"name"`
	Detector detector.Config `yaml:"detector"`
}

// options configures run.
type options struct {
	Data, Out string
	Detector  string // an entry name or "all"
	Entries   []entry
	Parallel  int
	Verbose   bool // also print a per-category breakdown
	Stdout    io.Writer
	Stderr    io.Writer
	// New builds a detector from its config; nil means detector.New.
	New func(detector.Config) (detector.Detector, error)
}

func (o options) newDetector(cfg detector.Config) (detector.Detector, error) {
	if o.New != nil {
		return o.New(cfg)
	}
	return detector.New(cfg)
}

func newFlagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("nab", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: go run ./benchmarks/nab [-data DIR] [-out OUT] [-detector NAME|all] [-config FILE] [-parallel N] [-v]")
		fs.PrintDefaults()
	}
	return fs
}

// parseEntries decodes a YAML list of entries, rejecting unknown keys,
// empty, duplicate or path-unsafe names.
func parseEntries(b []byte) ([]entry, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var es []entry
	if err := dec.Decode(&es); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if len(es) == 0 {
		return nil, errors.New("no detectors listed")
	}
	seen := map[string]bool{}
	for i, e := range es {
		switch {
		case e.Name == "":
			return nil, fmt.Errorf("entry %d has no name", i)
		case strings.ContainsAny(e.Name, `/\`) || e.Name == "." || e.Name == "..":
			return nil, fmt.Errorf("entry %d: name %q cannot be a directory name", i, e.Name)
		case seen[e.Name]:
			return nil, fmt.Errorf("entry %d: duplicate name %q", i, e.Name)
		}
		for _, r := range referenceDetectors {
			if e.Name == r {
				return nil, fmt.Errorf("entry %d: name %q is a reference detector's", i, e.Name)
			}
		}
		seen[e.Name] = true
	}
	return es, nil
}

// selected is a detector chosen to run.
type selected struct {
	name string
	cfg  detector.Config
}

// selectDetectors resolves opts.Detector. With "all", entries whose config
// detector.New rejects (a family not registered yet) are skipped with a
// note; a named entry that does not build is an error.
func selectDetectors(opts options) ([]selected, error) {
	var out []selected
	for _, e := range opts.Entries {
		if opts.Detector != "all" && e.Name != opts.Detector {
			continue
		}
		if _, err := opts.newDetector(e.Detector); err != nil {
			if opts.Detector != "all" {
				return nil, fmt.Errorf("detector %q: %w", e.Name, err)
			}
			fmt.Fprintf(opts.Stderr, "nab: skipping %s: %v\n", e.Name, err)
			continue
		}
		out = append(out, selected{name: e.Name, cfg: e.Detector})
	}
	if len(out) == 0 {
		if opts.Detector != "all" {
			names := make([]string, len(opts.Entries))
			for i, e := range opts.Entries {
				names[i] = e.Name
			}
			return nil, fmt.Errorf("no detector %q (have %s)", opts.Detector, strings.Join(names, ", "))
		}
		return nil, errors.New("none of the configured detectors is available")
	}
	return out, nil
}

// scoreStream is the one place a detector touches the data: a fresh
// causal stream, no model, every point pushed in order; a point the stream
// does not judge scores 0.
func scoreStream(d detector.Detector, pts []series.Point) ([]float64, error) {
	s := d.NewStream(nil)
	scores := make([]float64, len(pts))
	for i, p := range pts {
		r, ok := s.Push(p)
		if !ok {
			continue
		}
		if math.IsNaN(r.Score) || math.IsInf(r.Score, 0) {
			return nil, fmt.Errorf("row %d (%s): score %v is not finite", i, p.T.Format(datasets.NABTimeLayout), r.Score)
		}
		scores[i] = r.Score
	}
	return scores, nil
}

// row is one line of the table.
type row struct {
	name      string
	reference bool
	scores    []eval.NABScore // in eval.Profiles order
	nab       *eval.NAB
}

// scoreRow scores one detector's corpus under every profile.
func scoreRow(name string, reference bool, files []datasets.NABFile, scores [][]float64) (row, error) {
	n, err := eval.NewNAB(corpus(files, scores))
	if err != nil {
		return row{}, fmt.Errorf("score %s: %w", name, err)
	}
	r := row{name: name, reference: reference, nab: n}
	for _, p := range eval.Profiles() {
		r.scores = append(r.scores, n.Score(p))
	}
	return r, nil
}

// run loads the corpus, runs the selected detectors, writes their results,
// scores them and prints the table and the summary line.
func run(ctx context.Context, opts options) error {
	files, err := datasets.LoadNAB(opts.Data)
	if err != nil {
		return err
	}
	dets, err := selectDetectors(opts)
	if err != nil {
		return err
	}
	points := 0
	for _, f := range files {
		points += len(f.Points)
	}
	fmt.Fprintf(opts.Stderr, "nab: %d files, %d points from %s\n", len(files), points, opts.Data)

	var rows []row
	for _, name := range referenceDetectors {
		r, err := scoreReference(opts.Data, name, files)
		if err != nil {
			fmt.Fprintf(opts.Stderr, "nab: no reference %s: %v\n", name, err)
			continue
		}
		rows = append(rows, r)
	}
	for _, d := range dets {
		start := time.Now()
		scores, err := runDetector(ctx, d, files, opts)
		if err != nil {
			return err
		}
		fmt.Fprintf(opts.Stderr, "nab: %s: %d points in %v\n", d.name, points, time.Since(start).Round(time.Millisecond))
		r, err := scoreRow(d.name, false, files, scores)
		if err != nil {
			return err
		}
		rows = append(rows, r)
	}
	if opts.Verbose {
		if err := breakdown(opts.Stdout, rows, files); err != nil {
			return err
		}
	}
	return report(opts.Stdout, rows)
}

// runDetector scores every file with d, Parallel files at a time, and
// writes the result CSVs. scores[i] belongs to files[i].
func runDetector(ctx context.Context, d selected, files []datasets.NABFile, opts options) ([][]float64, error) {
	scores := make([][]float64, len(files))
	errs := make([]error, len(files))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(opts.Parallel, len(files)) {
		wg.Go(func() {
			for i := range next {
				if err := ctx.Err(); err != nil {
					errs[i] = err
					continue
				}
				scores[i], errs[i] = runFile(d, files[i], opts)
			}
		})
	}
feed:
	for i := range files {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return scores, errors.Join(errs...)
}

// runFile scores one file with a detector of its own and writes the
// result CSV.
func runFile(d selected, f datasets.NABFile, opts options) ([]float64, error) {
	det, err := opts.newDetector(d.cfg) // a detector per file: nothing is shared between goroutines
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.name, err)
	}
	scores, err := scoreStream(det, f.Points)
	if err != nil {
		return nil, fmt.Errorf("%s on %s: %w", d.name, f.Key(), err)
	}
	path := filepath.Join(opts.Out, d.name, f.Category, d.name+"_"+f.Name+".csv")
	if err := writeResults(path, f.Points, scores); err != nil {
		return nil, fmt.Errorf("%s on %s: %w", d.name, f.Key(), err)
	}
	return scores, nil
}

func writeResults(path string, pts []series.Point, scores []float64) (err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create results directory: %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create results: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("close results %q: %w", path, cerr)
		}
	}()
	w := bufio.NewWriterSize(f, 1<<16)
	if err := datasets.WriteNABResults(w, pts, scores); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write results %q: %w", path, err)
	}
	return nil
}

// corpus pairs the files' timestamps and windows with scores.
func corpus(files []datasets.NABFile, scores [][]float64) []eval.Series {
	out := make([]eval.Series, len(files))
	for i, f := range files {
		s := eval.Series{Name: f.Key(), Scores: scores[i], Times: make([]time.Time, len(f.Points))}
		for j, p := range f.Points {
			s.Times[j] = p.T
		}
		for _, w := range f.Windows {
			s.Windows = append(s.Windows, eval.Window{Start: w.Start, End: w.End})
		}
		out[i] = s
	}
	return out
}

// scoreReference scores a published detector's results from
// DIR/reference-results/<name>, which must cover every corpus file row
// for row.
func scoreReference(dir, name string, files []datasets.NABFile) (row, error) {
	results, err := datasets.LoadNABResults(filepath.Join(dir, "reference-results", name), name)
	if err != nil {
		return row{}, err
	}
	byKey := make(map[string]datasets.NABResult, len(results))
	for _, r := range results {
		byKey[r.Key()] = r
	}
	scores := make([][]float64, len(files))
	for i, f := range files {
		r, ok := byKey[f.Key()]
		if !ok {
			return row{}, fmt.Errorf("no result for %s", f.Key())
		}
		if len(r.Points) != len(f.Points) {
			return row{}, fmt.Errorf("%s: %d result rows for %d data rows", f.Key(), len(r.Points), len(f.Points))
		}
		for j, p := range r.Points {
			if !p.T.Equal(f.Points[j].T) {
				return row{}, fmt.Errorf("%s row %d: result at %s, data at %s", f.Key(), j,
					p.T.Format(datasets.NABTimeLayout), f.Points[j].T.Format(datasets.NABTimeLayout))
			}
		}
		scores[i] = r.Scores
	}
	return scoreRow(name, true, files, scores)
}

// breakdown prints each row's standard score per category at the row's
// corpus-wide standard threshold. A category's score is normalised with
// its own null and perfect raw scores; one without windows shows "-" and
// only its false positives' cost in raw.
func breakdown(w io.Writer, rows []row, files []datasets.NABFile) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "detector\tcategory\tstandard\traw\tnull\tperfect\thit\tfp")
	for _, r := range rows {
		std := r.scores[0]
		per := r.nab.Breakdown(std.Profile, std.Threshold)
		var cats []string
		sums := map[string]*eval.SeriesScore{}
		for i, f := range files {
			c, ok := sums[f.Category]
			if !ok {
				c = &eval.SeriesScore{}
				sums[f.Category] = c
				cats = append(cats, f.Category)
			}
			b := per[i]
			c.Raw, c.Null, c.Perfect = c.Raw+b.Raw, c.Null+b.Null, c.Perfect+b.Perfect
			c.TP, c.FP, c.FN = c.TP+b.TP, c.FP+b.FP, c.FN+b.FN
		}
		for _, cat := range cats {
			c := sums[cat]
			norm := "-"
			if c.Perfect > c.Null {
				norm = fmt.Sprintf("%.1f", 100*(c.Raw-c.Null)/(c.Perfect-c.Null))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f\t%.0f\t%.2f\t%d/%d\t%d\n", r.name, cat, norm, c.Raw, c.Null, c.Perfect, c.TP, c.TP+c.FN, c.FP)
		}
	}
	fmt.Fprintln(tw)
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("print breakdown: %w", err)
	}
	return nil
}

// report prints the table and the summary line for the best non-reference
// row by standard score (the first one on ties).
func report(w io.Writer, rows []row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "detector\t")
	for _, p := range eval.Profiles() {
		fmt.Fprintf(tw, "%s\t", p.Name)
	}
	for _, p := range eval.Profiles() {
		fmt.Fprintf(tw, "thr_%s\t", p.Name)
	}
	fmt.Fprintln(tw, "hit\tfp")
	var best *row
	for i, r := range rows {
		name := r.name
		if r.reference {
			name += " (reference)"
		} else if best == nil || r.scores[0].Score > best.scores[0].Score {
			best = &rows[i]
		}
		fmt.Fprintf(tw, "%s\t", name)
		for _, s := range r.scores {
			fmt.Fprintf(tw, "%.1f\t", s.Score)
		}
		for _, s := range r.scores {
			fmt.Fprintf(tw, "%.4g\t", s.Threshold)
		}
		fmt.Fprintf(tw, "%d/%d\t%d\n", r.scores[0].TP, r.scores[0].TP+r.scores[0].FN, r.scores[0].FP)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("print table: %w", err)
	}
	if best == nil {
		return errors.New("no detector was scored")
	}
	_, err := fmt.Fprintf(w, "NAB best=%s standard=%.1f low_fp=%.1f low_fn=%.1f\n",
		best.name, best.scores[0].Score, best.scores[1].Score, best.scores[2].Score)
	return err
}
