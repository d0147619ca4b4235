// Command checkbench measures a consistency check between PostgreSQL and
// MariaDB: the time to only read both sides, the time of the full
// comparison, their ratio, the rows per second and the peak memory, for
// several table sizes, and prints a table and a summary line.
//
//	go run ./benchmarks/checkbench [-rows 100000,1000000] [-diffs 3000] [-runs 3] [-reload] [-drop]
//
// For each size it loads a card table into PostgreSQL (127.0.0.1:5432, db
// test; COPY through pgx) and the same cards with -diffs differences into
// MariaDB (127.0.0.1:3306, db test; multi-row INSERTs): a third of them
// with another status, a third missing from MariaDB, a third only in
// MariaDB. The tables are named after the size and kept, so a second
// invocation reuses them (-reload loads them again, -drop drops them at
// the end).
//
// "read" is check.Drain: the check's own queries (wrapped, ordered by the
// key) on both sides at once, every value scanned and discarded. "compare"
// is a full run (grace 0): the same reading plus normalisation, the merge
// and the differences. Both are medians of -runs alternating runs. Peak
// heap is the largest heap in use (HeapInuse, read through runtime/metrics)
// sampled every 5ms during the comparison;
// peak RSS is the process's high-water mark (VmHWM, reset before each
// comparison). rows/s counts the rows of both sides per second of the
// comparison.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"

	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/rules/check"
	"github.com/seismo-dev/seismo/source"
)

const (
	defaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	defaultMariaDB  = "root@tcp(127.0.0.1:3306)/test"
)

func main() {
	rowsFlag := flag.String("rows", "100000,1000000", "comma-separated table sizes (rows on the left)")
	diffs := flag.Int("diffs", 3000, "differences planted in the right table")
	runs := flag.Int("runs", 3, "repetitions of read and compare (medians are reported)")
	reload := flag.Bool("reload", false, "load the tables again even if they exist")
	drop := flag.Bool("drop", false, "drop the tables at the end")
	pgDSN := flag.String("postgres", defaultPostgres, "PostgreSQL DSN")
	myDSN := flag.String("mariadb", defaultMariaDB, "MariaDB DSN")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the comparisons to this file")
	flag.Parse()
	var sizes []int
	for _, s := range strings.Split(*rowsFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1000 {
			fail(2, fmt.Errorf("-rows: %q is not a size of at least 1000", s))
		}
		sizes = append(sizes, n)
	}
	if *runs < 1 || *diffs < 0 {
		fail(2, errors.New("need -runs ≥ 1 and -diffs ≥ 0"))
	}
	ctx := context.Background()
	b, err := newBench(ctx, *pgDSN, *myDSN)
	if err != nil {
		fail(1, err)
	}
	defer b.close()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fail(1, err)
		}
		defer pprof.StopCPUProfile()
	}

	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "rows\tdifferences\tload s\tread s\tcompare s\tcompare/read\trows/s\tpeak heap MB\tpeak RSS MB\t")
	var results []result
	for _, n := range sizes {
		r, err := b.measure(ctx, n, *diffs, *runs, *reload)
		if err != nil {
			fail(1, fmt.Errorf("%d rows: %w", n, err))
		}
		results = append(results, r)
		fmt.Fprintf(tw, "%d\t%d\t%.1f\t%.2f\t%.2f\t%.2f\t%.0f\t%.1f\t%.1f\t\n", r.rows, r.found, r.load.Seconds(),
			r.read.Seconds(), r.compare.Seconds(), r.compare.Seconds()/r.read.Seconds(), r.rate, mb(r.heap), mb(r.rss))
		if *drop {
			if err := b.dropTables(ctx, n, *diffs); err != nil {
				fail(1, err)
			}
		}
	}
	tw.Flush()
	last := results[len(results)-1]
	var flat []string
	for _, r := range results {
		flat = append(flat, fmt.Sprintf("%s:%.0fMB", short(r.rows), mb(r.heap)))
	}
	fmt.Printf("checkbench: rows=%d compare/read=%.2f rows/s=%.0f peak_heap=%.0fMB peak_rss=%.0fMB (heap by size: %s)\n",
		last.rows, last.compare.Seconds()/last.read.Seconds(), last.rate, mb(last.heap), mb(last.rss), strings.Join(flat, " → "))
}

func fail(code int, err error) {
	fmt.Fprintln(os.Stderr, "checkbench:", err)
	os.Exit(code)
}

func mb(b uint64) float64 { return float64(b) / (1 << 20) }

func short(n int) string {
	switch {
	case n >= 1000000 && n%1000000 == 0:
		return fmt.Sprintf("%dM", n/1000000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return strconv.Itoa(n)
}

type bench struct {
	pgDSN, myDSN string
	pg           *pgx.Conn
	my           *sql.DB
}

func newBench(ctx context.Context, pgDSN, myDSN string) (*bench, error) {
	pg, err := pgx.Connect(ctx, pgDSN)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	my, err := sql.Open("mysql", myDSN)
	if err == nil {
		err = my.PingContext(ctx)
	}
	if err != nil {
		pg.Close(ctx)
		return nil, fmt.Errorf("mariadb: %w", err)
	}
	return &bench{pgDSN: pgDSN, myDSN: myDSN, pg: pg, my: my}, nil
}

func (b *bench) close() {
	b.pg.Close(context.Background())
	b.my.Close()
}

// result is one size's measurements.
type result struct {
	rows, found   int
	load          time.Duration
	read, compare time.Duration
	rate          float64
	heap, rss     uint64
}

func tableNames(n, diffs int) (left, right string) {
	return fmt.Sprintf("seismo_checkbench_l_%d", n), fmt.Sprintf("seismo_checkbench_r_%d_%d", n, diffs)
}

func (b *bench) measure(ctx context.Context, n, diffs, runs int, reload bool) (result, error) {
	r := result{rows: n}
	left, right := tableNames(n, diffs)
	t0 := time.Now()
	if err := b.loadLeft(ctx, left, n, reload); err != nil {
		return r, err
	}
	if err := b.loadRight(ctx, right, n, diffs, reload); err != nil {
		return r, err
	}
	r.load = time.Since(t0)

	srcs := map[string]source.Config{
		"pg": {Type: source.TypePostgres, DSN: secret(b.pgDSN)},
		"my": {Type: source.TypeMySQL, DSN: secret(b.myDSN)},
	}
	cfg := check.Config{
		Name:           "checkbench",
		Left:           check.Side{Source: "pg", Query: "SELECT id, card_no, status, balance, holder, updated FROM " + left},
		Right:          check.Side{Source: "my", Query: "SELECT id, card_no, status, balance, holder, updated FROM " + right},
		Key:            []string{"id"},
		MaxDifferences: max(check.DefaultMaxDifferences, diffs),
	}
	c, err := check.New(cfg, srcs, check.Options{})
	if err != nil {
		return r, err
	}
	var reads, compares []time.Duration
	var rowsRead int64
	for range runs {
		freeMemory()
		t := time.Now()
		ln, rn, err := c.Drain(ctx)
		if err != nil {
			return r, err
		}
		reads = append(reads, time.Since(t))

		freeMemory()
		resetPeakRSS()
		stop := sampleHeap()
		t = time.Now()
		res, err := c.Run(ctx, time.Now())
		d := time.Since(t)
		heap := stop()
		if err != nil {
			return r, err
		}
		compares = append(compares, d)
		r.heap = max(r.heap, heap)
		r.rss = max(r.rss, peakRSS())
		r.found = int(res.Differing())
		rowsRead = res.Left + res.Right
		if res.Left != ln || res.Right != rn {
			return r, fmt.Errorf("read %d/%d rows, compared %d/%d", ln, rn, res.Left, res.Right)
		}
	}
	r.read, r.compare = median(reads), median(compares)
	r.rate = float64(rowsRead) / r.compare.Seconds()
	return r, nil
}

func secret(v string) field.Secret {
	s := field.Secret{Literal: v}
	_ = s.Resolve("") // a literal always resolves
	return s
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// freeMemory returns the previous run's garbage, so that each measurement
// starts from the same heap.
func freeMemory() {
	runtime.GC()
	debug.FreeOSMemory()
}

// heapMetrics make up HeapInuse: live and not yet swept objects, and the
// free space in spans holding objects. runtime/metrics reads them without
// stopping the world, so sampling does not slow the comparison.
var heapMetrics = []string{"/memory/classes/heap/objects:bytes", "/memory/classes/heap/unused:bytes"}

// sampleHeap samples the heap in use every 5ms until the returned function
// is called, which returns the peak.
func sampleHeap() func() uint64 {
	var (
		peak    atomic.Uint64
		done    = make(chan struct{})
		wg      sync.WaitGroup
		samples = make([]metrics.Sample, len(heapMetrics))
	)
	for i, name := range heapMetrics {
		samples[i].Name = name
	}
	read := func() {
		metrics.Read(samples)
		var inUse uint64
		for _, s := range samples {
			if s.Value.Kind() == metrics.KindUint64 {
				inUse += s.Value.Uint64()
			}
		}
		if inUse > peak.Load() {
			peak.Store(inUse)
		}
	}
	wg.Go(func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				read()
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		read()
		return peak.Load()
	}
}

// resetPeakRSS resets the process's RSS high-water mark (Linux).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS returns the process's RSS high-water mark (VmHWM), 0 where unknown.
func peakRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}
