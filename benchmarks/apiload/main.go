// Command apiload measures the labeling API under load: it starts an
// engine and the HTTP server on loopback over the demo brokerage, with a
// monitor whose series window holds -points points (one-minute steps),
// its events (the monitor is run over the whole window first) and a few
// hundred labels, then -clients concurrent clients request that window —
// values, expected value, band, events and labels — for -d, each sending
// the next request when the previous answer has been read to its last
// byte. It prints a latency table and a summary line:
//
//	apiload: p99=<x>ms p50=<y>ms rps=<z> (50 clients, 50000 points)
//
//	go run ./benchmarks/apiload [-clients 50] [-points 50000] [-d 10s] [-gzip=true] [-writers 0]
//
// Clients authenticate with a viewer token, as a dashboard would, and ask
// for gzip as browsers do (the body is read, not decompressed: the time
// measured is the server's and the wire's). -writers N adds N labelers
// creating an anomaly label every 200 ms each, so that cached answers are
// invalidated under the readers' feet.
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/config"
	"github.com/seismo-dev/seismo/datasets"
	"github.com/seismo-dev/seismo/engine"
	"github.com/seismo-dev/seismo/server"
	"github.com/seismo-dev/seismo/store"
)

// The fixed "now" of the run: the demo's values are a pure function of
// time, so every run measures the same data.
var now = time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)

// profile is the -cpuprofile file ("" for none).
var profile string

const (
	viewerToken  = "apiload-viewer-token-0123456789abcdef0123456789"
	labelerToken = "apiload-labeler-token-0123456789abcdef012345678"
)

func main() {
	clients := flag.Int("clients", 50, "concurrent clients")
	points := flag.Int("points", 50000, "points in the requested window (one-minute steps)")
	dur := flag.Duration("d", 10*time.Second, "how long the clients run")
	useGzip := flag.Bool("gzip", true, "ask for gzip (Accept-Encoding), as browsers do")
	writers := flag.Int("writers", 0, "labelers creating a label every 200 ms each while the clients read")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the timed phase to this file")
	flag.Parse()
	profile = *cpuprofile
	if *clients < 1 || *points < 2 || *dur <= 0 || *writers < 0 {
		fmt.Fprintln(os.Stderr, "apiload: -clients ≥ 1, -points ≥ 2, -d > 0, -writers ≥ 0")
		os.Exit(2)
	}
	if err := run(*clients, *points, *dur, *useGzip, *writers); err != nil {
		fmt.Fprintln(os.Stderr, "apiload:", err)
		os.Exit(1)
	}
}

func run(clients, points int, dur time.Duration, useGzip bool, writers int) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir, err := os.MkdirTemp("", "apiload")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	window := time.Duration(points-1) * time.Minute
	from, to := now.Add(-window), now
	eng, series, err := setup(ctx, dir, window)
	if err != nil {
		return err
	}
	defer eng.Close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := server.New(server.Options{Engine: eng, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "apiload"})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	defer func() {
		cancel()
		<-served
	}()
	base := "http://" + ln.Addr().String()
	q := url.Values{}
	q.Set("monitor", "openings")
	q.Set("labels", series.String())
	q.Set("from", from.Format(time.RFC3339))
	q.Set("to", to.Format(time.RFC3339))
	target := base + "/api/v1/series/window?" + q.Encode()

	tr := &http.Transport{MaxIdleConns: clients + writers + 4, MaxIdleConnsPerHost: clients + writers + 4, DisableCompression: true}
	client := &http.Client{Transport: tr, Timeout: time.Minute}

	// The first request computes the band (cold); check what it holds.
	t0 := time.Now()
	body, err := get(ctx, client, target, false)
	if err != nil {
		return err
	}
	cold := time.Since(t0)
	if err := check(body, points); err != nil {
		return err
	}
	gz, err := get(ctx, client, target, true)
	if err != nil {
		return err
	}
	fmt.Printf("window: %d points, %d bytes of JSON (%d gzipped); first (cold) request %.1f ms\n", points, len(body), len(gz), ms(cold))

	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	lctx, stop := context.WithTimeout(ctx, dur)
	defer stop()
	var (
		mu        sync.Mutex
		latencies []time.Duration
		failures  int
		bytesRead int64
		wg        sync.WaitGroup
	)
	start := time.Now()
	for range clients {
		wg.Go(func() {
			var mine []time.Duration
			var n int64
			fails := 0
			for lctx.Err() == nil {
				t := time.Now()
				size, err := fetch(lctx, client, target, useGzip)
				if lctx.Err() != nil {
					break // the run ended mid-request: not a sample
				}
				if err != nil {
					fails++
					continue
				}
				mine = append(mine, time.Since(t))
				n += size
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			failures += fails
			bytesRead += n
			mu.Unlock()
		})
	}
	written := 0
	for w := range writers {
		wg.Go(func() {
			tick := time.NewTicker(200 * time.Millisecond)
			defer tick.Stop()
			for i := 0; ; i++ {
				select {
				case <-lctx.Done():
					return
				case <-tick.C:
				}
				at := from.Add(time.Duration((w*7919+i*104729)%points) * time.Minute)
				lb := fmt.Sprintf(`{"monitor":"openings","series":%q,"time":%q,"kind":"anomaly","note":"apiload writer %d"}`, series.String(), at.Format(time.RFC3339), w)
				if err := post(lctx, client, base+"/api/v1/labels", lb); err == nil {
					mu.Lock()
					written++
					mu.Unlock()
				} else if lctx.Err() == nil {
					mu.Lock()
					failures++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if len(latencies) == 0 {
		return fmt.Errorf("no request completed in %s (%d failures)", dur, failures)
	}
	slices.Sort(latencies)
	pct := func(p float64) time.Duration { return latencies[min(len(latencies)-1, int(p*float64(len(latencies))))] }
	var sum time.Duration
	for _, l := range latencies {
		sum += l
	}
	rps := float64(len(latencies)) / elapsed.Seconds()

	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "clients\trequests\tfailures\treq/s\tMB/s\tmean ms\tp50 ms\tp90 ms\tp99 ms\tmax ms\t")
	fmt.Fprintf(tw, "%d\t%d\t%d\t%.0f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t\n", clients, len(latencies), failures, rps,
		float64(bytesRead)/elapsed.Seconds()/1e6, ms(sum/time.Duration(len(latencies))), ms(pct(0.50)), ms(pct(0.90)), ms(pct(0.99)), ms(latencies[len(latencies)-1]))
	tw.Flush()
	if writers > 0 {
		fmt.Printf("writers: %d labels created by %d labelers during the run\n", written, writers)
	}
	fmt.Printf("apiload: p99=%.1fms p50=%.1fms rps=%.0f (%d clients, %d points)\n", ms(pct(0.99)), ms(pct(0.50)), rps, clients, points)
	if failures > 0 {
		return fmt.Errorf("%d requests failed", failures)
	}
	return nil
}

// setup builds the engine: the demo source, one monitor on
// account_openings{channel="app"} with 21 days of history (or the
// window's length, if longer), run once over the window so that its
// events are stored, and 200 labels over the window.
func setup(ctx context.Context, dir string, window time.Duration) (*engine.Engine, labels.Labels, error) {
	yaml := fmt.Sprintf(`
global:
  timezone: Asia/Shanghai
  store: {dsn: %q}
calendars:
  cn-stock:
    timezone: Asia/Shanghai
    sessions: ["09:30-11:30", "13:00-15:00"]
    weekdays: [mon, tue, wed, thu, fri]
sources:
  demo: {type: demo, seed: %d, calendar: cn-stock}
monitors:
  - name: openings
    schedule: "0 * * * * *"
    calendar: cn-stock
    query: {source: demo, expr: 'account_openings{channel="app"}', step: 1m, history: %s, backfill: %s}
    baseline: {seasonality: weekly, bucket: 15m}
    detector: {type: robust, sensitivity: 0.7, min_deviation: {relative: 0.2}}
server:
  tokens:
    - {name: dashboard, role: viewer, token: {env: APILOAD_VIEWER}}
    - {name: labeler, role: labeler, token: {env: APILOAD_LABELER}}
`, filepath.Join(dir, "seismo.db"), datasets.DemoSeed, max(window, 21*24*time.Hour).String(), window.String())
	os.Setenv("APILOAD_VIEWER", viewerToken)
	os.Setenv("APILOAD_LABELER", labelerToken)
	cfg, err := config.Parse([]byte(yaml), filepath.Join(dir, "seismo.yaml"))
	if err != nil {
		return nil, labels.EmptyLabels(), err
	}
	eng, err := engine.New(ctx, cfg, engine.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return now }})
	if err != nil {
		return nil, labels.EmptyLabels(), err
	}
	res, err := eng.RunOnce(ctx, "openings")
	if err != nil {
		eng.Close()
		return nil, labels.EmptyLabels(), err
	}
	list, err := eng.Series(ctx, "openings")
	if err != nil || len(list) != 1 {
		eng.Close()
		return nil, labels.EmptyLabels(), fmt.Errorf("series of the monitor: %v %v", list, err)
	}
	series := list[0].Labels
	var ls []store.Label
	for i := range 200 {
		at := now.Add(-window).Add(time.Duration(i) * window / 200)
		kind := []store.LabelKind{store.LabelAnomaly, store.LabelNormal}[i%2]
		ls = append(ls, store.Label{Monitor: "openings", Series: series, From: at, To: at.Add(30 * time.Minute), Kind: kind, Author: "labeler", Note: "apiload fixture"})
	}
	if _, err := eng.Store().CreateLabels(ctx, "labeler", ls); err != nil {
		eng.Close()
		return nil, labels.EmptyLabels(), err
	}
	fmt.Printf("setup: monitor run over %s: %s\n", window, res.Summary())
	return eng, series, nil
}

func get(ctx context.Context, c *http.Client, u string, useGzip bool) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+viewerToken)
	if useGzip {
		req.Header.Set("Accept-Encoding", "gzip")
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", u, resp.Status, b)
	}
	return b, nil
}

// fetch is get for the timed phase: the body is read to its last byte
// into a pooled buffer and counted, not kept, so that the load generator
// (in the same process as the server) spends as little as it can.
func fetch(ctx context.Context, c *http.Client, u string, useGzip bool) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+viewerToken)
	if useGzip {
		req.Header.Set("Accept-Encoding", "gzip")
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return n, err
	}
	if resp.StatusCode != http.StatusOK {
		return n, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return n, nil
}

func post(ctx context.Context, c *http.Client, u, body string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+labelerToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("POST %s: %s: %s", u, resp.Status, b)
	}
	return nil
}

// check decodes an answer and verifies it holds the window: every point,
// a band on most of them, events and labels.
func check(body []byte, points int) error {
	if len(body) > 2 && body[0] == 0x1f && body[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return err
		}
		if body, err = io.ReadAll(zr); err != nil {
			return err
		}
	}
	var resp struct {
		Data struct {
			Points   int               `json:"points"`
			Times    []int64           `json:"times"`
			Values   []*float64        `json:"values"`
			Upper    []*float64        `json:"upper"`
			Events   []json.RawMessage `json:"events"`
			Labels   []json.RawMessage `json:"labels"`
			Detector string            `json:"detector"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return fmt.Errorf("decode window: %w", err)
	}
	d := resp.Data
	banded := 0
	for _, u := range d.Upper {
		if u != nil {
			banded++
		}
	}
	switch {
	case d.Points != points || len(d.Times) != points || len(d.Values) != points:
		return fmt.Errorf("window has %d points (%d times, %d values), want %d", d.Points, len(d.Times), len(d.Values), points)
	case banded < points*9/10:
		return fmt.Errorf("only %d of %d points have a band", banded, points)
	case len(d.Labels) == 0:
		return errors.New("the window has no labels")
	}
	fmt.Printf("window check: %d points, %d with a band (detector %s), %d events, %d labels\n", points, banded, d.Detector, len(d.Events), len(d.Labels))
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
