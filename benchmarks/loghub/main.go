// Command loghub scores Seismo's log template miner on the Loghub-2k
// log-parsing benchmark.
//
//	go run ./benchmarks/loghub [-data DIR[,DIR...]] [-out OUT] [-settings benchmark|default] [-miner NAME] [-bench-time D]
//
// Every dataset folder found under each DIR (laid out like
// ../shared/datasets/loghub-2k, the default: <D>/<D>_2k.log with its
// corrected ground-truth CSVs) is run through a fresh miner: each line's
// message, extracted with the dataset's log format from the
// benchmark_settings.json of its DIR (or of another -data DIR when its own
// has no entry), is added in order and the template the miner returns for
// it is the line's prediction. Predictions go to OUT/<D>.csv (columns
// LineId,EventTemplate). The table on stdout scores each dataset with the
// benchmark's GA, FGA, PA and FTA (see package metrics) and their
// averages over the datasets.
//
// With -settings benchmark each dataset's miner gets the benchmark's
// published masks (as user masks) and its similarity threshold and depth;
// with -settings default every miner uses Seismo's defaults, as a user
// would (the log format still extracts the message, as a user configures
// it for a stream).
//
// Throughput is then measured on one goroutine: the messages of all
// datasets are replayed through the already warm miners, round after round,
// for at least -bench-time; reading files and splitting headers are not
// timed. The last line is
//
//	loghub avg GA=<a> FGA=<b> PA=<c> FTA=<d> lines/s=<n>
//
// -miner picks the miner: logpattern (Seismo's, the default) or baseline,
// a floor without clustering that writes every token holding a digit as
// <*> (after the published masks, with -settings benchmark). The line
// before the summary names the miner and the settings and gives the heap
// allocations per replayed line. Progress and warnings go to stderr.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runMain(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "loghub:", err)
		stop()
		os.Exit(1)
	}
}

func runMain(ctx context.Context, args []string) error {
	opts, err := parseFlags(args)
	if err != nil {
		return err
	}
	opts.Stdout, opts.Stderr = os.Stdout, os.Stderr
	return run(ctx, opts)
}
