package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/seismo-dev/seismo/baseline"
	"github.com/seismo-dev/seismo/chart"
	"github.com/seismo-dev/seismo/detector"
	"github.com/seismo-dev/seismo/series"
	"github.com/seismo-dev/seismo/source"
)

// detectOptions are the flags of `seismo detect`.
type detectOptions struct {
	input       string
	columns     string
	detector    string
	sensitivity float64
	direction   string
	seasonality string
	step        time.Duration
	warmup      float64
	refit       time.Duration
	plot        string
	asJSON      bool
}

func cmdDetect(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("detect --input F.csv [--detector TYPE] [--plot out.png]",
		`Scores a CSV file — NAB's timestamp,value or a wide table with one series per
column — and prints its anomalies, one per line; the last line is a summary.

It judges the file walk-forward, as the engine would have: the first --warmup
fraction only teaches the baseline; after it, every --refit period is judged
with a baseline fitted on everything before it. --plot draws the series, its
band and the anomalies (PNG or SVG, by the file's extension).`, stderr)
	var o detectOptions
	fs.StringVar(&o.input, "input", "", "CSV file to score (required; - for standard input)")
	fs.StringVar(&o.columns, "column", "", "comma-separated value columns to score (default: all)")
	fs.StringVar(&o.detector, "detector", detector.DefaultType, "detector type (see docs/configuration.md)")
	fs.Float64Var(&o.sensitivity, "sensitivity", detector.DefaultSensitivity, "sensitivity in (0, 1]; higher flags more")
	fs.StringVar(&o.direction, "direction", detector.DirectionBoth, "both, up or down")
	fs.StringVar(&o.seasonality, "seasonality", baseline.SeasonalityAuto, "baseline seasonality: auto, none, daily or weekly")
	fs.DurationVar(&o.step, "step", 0, "sampling step (default: the median spacing of the file)")
	fs.Float64Var(&o.warmup, "warmup", 0.15, "fraction of the points that only trains the baseline")
	fs.DurationVar(&o.refit, "refit", 24*time.Hour, "refit the baseline this often while walking forward")
	fs.StringVar(&o.plot, "plot", "", "draw the (first) series to this .png or .svg file")
	fs.BoolVar(&o.asJSON, "json", false, "print anomalies and the summary as JSON lines")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if o.input == "" {
		return usageError{errors.New("detect: --input is required")}
	}
	if !(o.warmup >= 0 && o.warmup < 1) || o.refit <= 0 || o.step < 0 {
		return usageError{errors.New("detect: --warmup must be in [0, 1), --refit > 0, --step ≥ 0")}
	}
	var plotFormat string
	if o.plot != "" {
		var err error
		if plotFormat, err = chart.FormatOf(o.plot); err != nil {
			return usageError{err}
		}
	}
	det, err := detector.New(detector.Config{Type: o.detector, Sensitivity: o.sensitivity, Direction: o.direction})
	if err != nil {
		return usageError{err}
	}
	bcfg := baseline.Config{Seasonality: o.seasonality}
	bcfg.ApplyDefaults()
	if err := bcfg.Validate(); err != nil {
		return usageError{fmt.Errorf("--seasonality: %w", err)}
	}

	all, report, err := readDetectInput(o)
	if err != nil {
		return err
	}
	if report.BadRows > 0 {
		fmt.Fprintf(stderr, "seismo: %s: skipped %d bad rows (first: %v)\n", o.input, report.BadRows, report.BadLines)
	}
	enc := json.NewEncoder(stdout)
	var total, judged, anomalies int
	for i, s := range all {
		step := o.step
		if step == 0 {
			step = medianStep(s.Points)
		}
		pts, _ := series.Clean(s.Points, step)
		total += len(pts)
		results := walkForward(pts, o, det, bcfg)
		judged += len(results)
		for _, r := range results {
			if !r.Anomaly {
				continue
			}
			anomalies++
			if o.asJSON {
				if err := enc.Encode(map[string]any{
					"series": s.Labels.String(), "time": r.T.UTC(), "value": r.Value, "expected": jsonNum(r.Expected),
					"lower": jsonNum(r.Lower), "upper": jsonNum(r.Upper), "score": r.Score,
				}); err != nil {
					return fmt.Errorf("write: %w", err)
				}
				continue
			}
			fmt.Fprintf(stdout, "%s %s value=%.6g expected=%.6g band=[%.6g, %.6g] score=%.3f\n",
				r.T.UTC().Format(time.RFC3339), s.Labels, r.Value, r.Expected, r.Lower, r.Upper, r.Score)
		}
		if i == 0 && o.plot != "" {
			if err := plotResults(o.plot, plotFormat, s.Labels.String(), pts, results); err != nil {
				return err
			}
		}
	}
	summary := fmt.Sprintf("detect %s: %d series, %d points, %d judged, %d anomalies (detector %s, sensitivity %.2f)",
		o.input, len(all), total, judged, anomalies, det.Name(), o.sensitivity)
	if o.asJSON {
		return enc.Encode(map[string]any{"summary": summary, "series": len(all), "points": total, "judged": judged, "anomalies": anomalies})
	}
	fmt.Fprintln(stdout, summary)
	return nil
}

func readDetectInput(o detectOptions) ([]series.Series, source.CSVReport, error) {
	var r io.Reader = os.Stdin
	name := "stdin"
	if o.input != "-" {
		f, err := os.Open(o.input)
		if err != nil {
			return nil, source.CSVReport{}, usageError{fmt.Errorf("detect: %w", err)}
		}
		defer f.Close()
		r, name = f, o.input
	}
	opts := source.CSVOptions{File: strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))}
	if o.columns != "" {
		opts.Columns = strings.Split(o.columns, ",")
	}
	all, report, err := source.ReadCSV(r, opts)
	if err != nil {
		return nil, report, fmt.Errorf("read %s: %w", name, err)
	}
	if len(all) == 0 {
		return nil, report, fmt.Errorf("read %s: no series with data", name)
	}
	return all, report, nil
}

// walkForward judges pts after the warm-up, one refit period at a time,
// each with a baseline fitted on everything before it.
func walkForward(pts []series.Point, o detectOptions, det detector.Detector, bcfg baseline.Config) []detector.Result {
	start := int(o.warmup * float64(len(pts)))
	if start >= len(pts) {
		return nil
	}
	var (
		out    []detector.Result
		fitter baseline.Fitter // reuses its buffers across the refits
	)
	for start < len(pts) {
		chunkEnd := pts[start].T.Add(o.refit)
		end := start
		for end < len(pts) && pts[end].T.Before(chunkEnd) {
			end++
		}
		history := pts[:start]
		var model baseline.Model
		if len(history) > 0 {
			m, err := fitter.Fit(history, bcfg, nil)
			if err == nil {
				model = m
			}
		}
		out = append(out, detector.Run(det, detector.Input{History: history, Points: pts[start:end], Model: model})...)
		start = end
	}
	return out
}

// medianStep is the median spacing of sorted points (1m if unknown).
func medianStep(pts []series.Point) time.Duration {
	if len(pts) < 2 {
		return time.Minute
	}
	d := make([]time.Duration, 0, len(pts)-1)
	for i := 1; i < len(pts); i++ {
		if dt := pts[i].T.Sub(pts[i-1].T); dt > 0 {
			d = append(d, dt)
		}
	}
	if len(d) == 0 {
		return time.Minute
	}
	slices.Sort(d)
	return d[len(d)/2]
}

func plotResults(path, format, title string, pts []series.Point, results []detector.Result) error {
	byTime := make(map[time.Time]detector.Result, len(results))
	for _, r := range results {
		byTime[r.T] = r
	}
	cps := make([]chart.Point, len(pts))
	for i, p := range pts {
		cp := chart.Point{T: p.T, Value: p.V, Expected: nan, Lower: nan, Upper: nan}
		if r, ok := byTime[p.T]; ok {
			cp.Expected, cp.Lower, cp.Upper, cp.Anomaly = r.Expected, r.Lower, r.Upper, r.Anomaly
		}
		cps[i] = cp
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	if err := chart.Render(f, format, cps, chart.Options{Title: title}); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	return nil
}

var nan = math.NaN()

// jsonNum returns v, or nil for values JSON cannot carry (NaN, ±Inf).
func jsonNum(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return v
}
