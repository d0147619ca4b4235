// Command pipeline measures the speed of a monitor's analysis path —
// series.Clean, baseline.Fit and detector.Detect — on the demo brokerage
// data, for several history lengths, and prints a table and a summary line.
//
//	go run ./benchmarks/pipeline [-runs 9] [-step 1m]
//
// Each cell is the median of -runs repetitions, measured in one process so
// that rows can be compared as ratios.
package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/seismo-dev/seismo/baseline"
	"github.com/seismo-dev/seismo/datasets"
	"github.com/seismo-dev/seismo/detector"
	"github.com/seismo-dev/seismo/series"
)

func main() {
	runs := flag.Int("runs", 9, "repetitions per measurement (the median is reported)")
	step := flag.Duration("step", time.Minute, "sampling step of the series")
	flag.Parse()
	if *runs < 1 || *step <= 0 {
		fmt.Fprintln(os.Stderr, "pipeline: -runs must be ≥ 1 and -step > 0")
		os.Exit(2)
	}

	demo := datasets.NewDemo(datasets.DemoSeed, nil)
	ls := demo.Series()[0] // account_openings{channel="app"}: sessions, weekly shape, night lull
	end := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	judge := 24 * time.Hour

	det, err := detector.New(detector.Config{Type: "robust", Sensitivity: 0.7})
	if err != nil {
		fmt.Fprintln(os.Stderr, "pipeline:", err)
		os.Exit(1)
	}
	cfg := baseline.Config{Seasonality: "weekly"}
	cfg.ApplyDefaults()

	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "history\tpoints\tclean ms\tfit ms\tdetect ms (1 day)\ttotal ms\tpoints/s\t")
	var last float64
	for _, days := range []int{7, 14, 28, 56} {
		history := time.Duration(days) * 24 * time.Hour
		raw := demo.Range(ls, end.Add(-history-judge), end, *step)
		var clean, fit, detect []time.Duration
		for range *runs {
			t0 := time.Now()
			pts, _ := series.Clean(raw, *step)
			t1 := time.Now()
			hist, recent := series.Split(pts, end.Add(-judge))
			model, err := baseline.Fit(hist, cfg, demo.Calendar())
			if err != nil {
				fmt.Fprintln(os.Stderr, "pipeline: fit:", err)
				os.Exit(1)
			}
			t2 := time.Now()
			detector.Run(det, detector.Input{History: hist, Points: recent, Model: model})
			t3 := time.Now()
			clean, fit, detect = append(clean, t1.Sub(t0)), append(fit, t2.Sub(t1)), append(detect, t3.Sub(t2))
		}
		total := median(clean) + median(fit) + median(detect)
		rate := float64(len(raw)) / total.Seconds()
		last = rate
		fmt.Fprintf(tw, "%dd\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%.0f\t\n", days, len(raw),
			ms(median(clean)), ms(median(fit)), ms(median(detect)), ms(total), rate)
	}
	tw.Flush()
	fmt.Printf("pipeline: median of %d runs, 56d history at %s: %.0f points/s through clean+fit+detect\n", *runs, *step, last)
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
