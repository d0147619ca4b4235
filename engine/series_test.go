package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/config"
	"github.com/seismo-dev/seismo/series"
	"github.com/seismo-dev/seismo/source"
	"github.com/seismo-dev/seismo/store"
)

// The labelled-noise fixture: a daily wave at 10-minute steps whose 10:00
// to 11:50 was lifted by 200 on three of the four history days (a batch
// job since switched off). The judged day is normal.
var (
	noiseNow   = time.Date(2026, 3, 10, 23, 50, 0, 0, time.UTC)
	noiseDays  = []time.Time{day(7), day(8), day(9)}
	judgedFrom = day(10)
)

func day(d int) time.Time { return time.Date(2026, 3, d, 0, 0, 0, 0, time.UTC) }

func wave(ts time.Time, i int) float64 {
	h := float64(ts.Hour()) + float64(ts.Minute())/60
	return 100 + 40*math.Sin(2*math.Pi*h/24) + float64(i%5) - 2
}

func inNoise(ts time.Time) bool {
	for _, d := range noiseDays {
		if !ts.Before(d.Add(10*time.Hour)) && ts.Before(d.Add(12*time.Hour)) {
			return true
		}
	}
	return false
}

// noiseEngine writes the fixture as a CSV and builds an engine on it;
// extra is appended to the monitor's YAML.
func noiseEngine(t *testing.T, detectorYAML, extra string) *Engine {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("timestamp,orders\n")
	for ts, i := day(5), 0; !ts.After(noiseNow); ts, i = ts.Add(10*time.Minute), i+1 {
		v := wave(ts, i)
		if inNoise(ts) {
			v += 200
		}
		fmt.Fprintf(&b, "%s,%.3f\n", ts.Format(time.RFC3339), v)
	}
	if err := os.WriteFile(filepath.Join(dir, "shop.csv"), []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	yaml := fmt.Sprintf(`
global:
  store: {dsn: %q}
  max_jitter: 0s
sources:
  shop: {type: csv, path: shop.csv}
monitors:
  - name: shop
    schedule: "@every 1h"
    query: {source: shop, expr: "*", step: 10m, history: 4d, backfill: 1d}
    baseline: {seasonality: daily, bucket: 1h}
    detector: %s
%s`, filepath.Join(dir, "seismo.db"), detectorYAML, extra)
	cfg, err := config.Parse([]byte(yaml), filepath.Join(dir, "seismo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := New(context.Background(), cfg, Options{Logger: discardLogger(), Now: func() time.Time { return noiseNow }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Close)
	return eng
}

var orders = labels.FromStrings("__name__", "orders", "file", "shop")

// labelNoiseDays stores the three distorted ranges as confirmed noise.
func labelNoiseDays(t *testing.T, eng *Engine) {
	t.Helper()
	var ls []store.Label
	for _, d := range noiseDays {
		ls = append(ls, store.Label{Monitor: "shop", Series: orders, From: d.Add(10 * time.Hour), To: d.Add(11*time.Hour + 50*time.Minute), Kind: store.LabelNoise, Author: "ana"})
	}
	if _, err := eng.Store().CreateLabels(context.Background(), "ana", ls); err != nil {
		t.Fatal(err)
	}
	eng.LabelsChanged("shop")
}

// eventsAt10 counts the run's events in the judged day's 10:00-11:50.
func eventsAt10(res *Result) int {
	n := 0
	for _, ev := range res.Events {
		if !ev.Time.Before(judgedFrom.Add(10*time.Hour)) && ev.Time.Before(judgedFrom.Add(12*time.Hour)) {
			n++
		}
	}
	return n
}

// TestNoiseLabelsKeepTheBandClean shows labelled noise no longer
// distorting the band: without labels the lifted hours teach the baseline
// that 10:00-12:00 is 200 higher, so the normal judged day reads as a dip;
// with the three ranges labelled noise the band is the wave again.
func TestNoiseLabelsKeepTheBandClean(t *testing.T) {
	ctx := context.Background()
	eng := noiseEngine(t, "{type: robust, sensitivity: 0.7}", "")
	at := judgedFrom.Add(10*time.Hour + 30*time.Minute)
	win := func() *Window {
		w, err := eng.SeriesWindow(ctx, WindowQuery{Monitor: "shop", Series: orders, From: judgedFrom, To: noiseNow})
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	expectedAt := func(w *Window) float64 {
		for i, ms := range w.Times {
			if ms == at.UnixMilli() {
				return w.Expected[i]
			}
		}
		t.Fatalf("window has no point at %v", at)
		return 0
	}
	truth := 100 + 40*math.Sin(2*math.Pi*10.5/24)

	before, err := eng.RunOnce(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	distorted := expectedAt(win())
	if distorted-truth < 150 || eventsAt10(before) < 6 {
		t.Fatalf("fixture: unlabelled noise should lift the band at 10:30 by ~200 (got %+.1f) and flag the judged hours (got %d events)", distorted-truth, eventsAt10(before))
	}

	gen := eng.Generation("shop")
	labelNoiseDays(t, eng)
	if eng.Generation("shop") == gen {
		t.Error("LabelsChanged did not move the monitor's generation")
	}
	clean := expectedAt(win())
	if math.Abs(clean-truth) > 10 {
		t.Errorf("with noise labelled the band at 10:30 expects %.1f, want the wave's %.1f ± 10 (unlabelled: %.1f)", clean, truth, distorted)
	}
	after, err := eng.RunOnce(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	if n := eventsAt10(after); n != 0 {
		t.Errorf("with noise labelled the run still flags %d points of the normal 10:00-12:00", n)
	}
	if !strings.Contains(after.Models[orders.String()], "noise ranges kept out of the fit") {
		t.Errorf("the model does not say noise was left out: %s", after.Models[orders.String()])
	}
}

// TestProposedNoiseDoesNotCount: an automatic label counts only once
// confirmed; a rejected one never does.
func TestProposedNoiseDoesNotCount(t *testing.T) {
	ctx := context.Background()
	eng := noiseEngine(t, "{type: robust, sensitivity: 0.7}", "")
	var ls []store.Label
	for _, d := range noiseDays {
		ls = append(ls, store.Label{Monitor: "shop", Series: orders, From: d.Add(10 * time.Hour), To: d.Add(12 * time.Hour), Kind: store.LabelNoise, Source: store.SourceAuto})
	}
	created, err := eng.Store().CreateLabels(ctx, "seismo", ls)
	if err != nil {
		t.Fatal(err)
	}
	res, err := eng.RunOnce(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	if eventsAt10(res) < 6 {
		t.Fatalf("proposed labels were used: %d events at 10:00-12:00", eventsAt10(res))
	}
	for _, l := range created {
		l.Status = store.StatusConfirmed
		if _, err := eng.Store().UpdateLabel(ctx, "ana", l); err != nil {
			t.Fatal(err)
		}
	}
	if res, err = eng.RunOnce(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	if n := eventsAt10(res); n != 0 {
		t.Errorf("confirmed labels were not used: %d events at 10:00-12:00", n)
	}
}

// TestLabelsReachTheAutoChoice: type auto's backtest scores candidates on
// the series' labelled anomalies, and a label change makes it choose again.
func TestLabelsReachTheAutoChoice(t *testing.T) {
	ctx := context.Background()
	eng := noiseEngine(t, "{type: auto}", "")
	if _, err := eng.RunOnce(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	first, err := eng.Store().Choices(ctx, "shop")
	if err != nil || len(first) != 1 {
		t.Fatalf("choices %v, %v", first, err)
	}
	if strings.Contains(string(first[0].Detail), "labelled anomalies") {
		t.Fatalf("a choice without labels mentions labelled anomalies: %s", first[0].Detail)
	}
	// Label the lifted hours as anomalies instead (the test half of the
	// history the backtest judges).
	var ls []store.Label
	for _, d := range noiseDays[1:] {
		ls = append(ls, store.Label{Monitor: "shop", Series: orders, From: d.Add(10 * time.Hour), To: d.Add(12 * time.Hour), Kind: store.LabelAnomaly})
	}
	if _, err := eng.Store().CreateLabels(ctx, "ana", ls); err != nil {
		t.Fatal(err)
	}
	res, err := eng.RunOnce(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	again, _ := eng.Store().Choices(ctx, "shop")
	if !strings.Contains(string(again[0].Detail), "labelled anomalies") {
		t.Errorf("after labelling, the choice was not made again with the labels: %s", again[0].Detail)
	}
	if !strings.Contains(res.Choices[orders.String()], "labelled anomalies") {
		t.Errorf("the run's choice does not use the labels: %s", res.Choices[orders.String()])
	}
}

func TestSeriesCatalogueAndWindowErrors(t *testing.T) {
	ctx := context.Background()
	eng := noiseEngine(t, "{type: robust}", "")
	// Not run yet: the catalogue asks the source.
	got, err := eng.Series(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !labels.Equal(got[0].Labels, orders) || got[0].Monitor != "shop" {
		t.Fatalf("series %+v, want shop's orders", got)
	}
	if _, err := eng.Series(ctx, "nope"); !errors.Is(err, ErrUnknownMonitor) || !strings.Contains(err.Error(), "monitors: shop") {
		t.Errorf("unknown monitor: %v", err)
	}
	tests := []struct {
		name string
		q    WindowQuery
		want error
		msg  string
	}{
		{"unknown monitor", WindowQuery{Monitor: "nope", Series: orders, From: judgedFrom, To: noiseNow}, ErrUnknownMonitor, `"nope"`},
		{"unknown series", WindowQuery{Monitor: "shop", Series: labels.FromStrings("__name__", "refunds"), From: judgedFrom, To: noiseNow}, ErrUnknownSeries, `{__name__="refunds"}`},
		{"end before start", WindowQuery{Monitor: "shop", Series: orders, From: noiseNow, To: judgedFrom}, ErrBadWindow, "is before from"},
		{"no range", WindowQuery{Monitor: "shop", Series: orders}, ErrBadWindow, "from and to are required"},
		{"odd step", WindowQuery{Monitor: "shop", Series: orders, From: judgedFrom, To: noiseNow, Step: 15 * time.Minute}, ErrBadWindow, "not a multiple"},
		{"too long", WindowQuery{Monitor: "shop", Series: orders, From: day(1).AddDate(-10, 0, 0), To: noiseNow}, ErrBadWindow, "at most 200000"},
		{"between grid instants", WindowQuery{Monitor: "shop", Series: orders, From: judgedFrom.Add(time.Minute), To: judgedFrom.Add(2 * time.Minute)}, ErrBadWindow, "no instant"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := eng.SeriesWindow(ctx, tc.q)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %v, want %v containing %q", err, tc.want, tc.msg)
			}
		})
	}
}

func TestWindowStepEventsAndCache(t *testing.T) {
	ctx := context.Background()
	eng := noiseEngine(t, "{type: robust, sensitivity: 0.7}", "")
	res, err := eng.RunOnce(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	q := WindowQuery{Monitor: "shop", Series: orders, From: judgedFrom.Add(-30 * time.Second), To: noiseNow.Add(time.Minute)}
	w, err := eng.SeriesWindow(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if !w.From.Equal(judgedFrom) || !w.To.Equal(noiseNow) || w.Step != 10*time.Minute {
		t.Errorf("window aligned to %v..%v step %v, want %v..%v step 10m", w.From, w.To, w.Step, judgedFrom, noiseNow)
	}
	if len(w.Times) != 144 || len(w.Values) != 144 || len(w.Upper) != 144 {
		t.Fatalf("%d times, %d values, %d uppers; want 144 of each", len(w.Times), len(w.Values), len(w.Upper))
	}
	for i := range w.Times {
		if !(w.Lower[i] <= w.Expected[i] && w.Expected[i] <= w.Upper[i]) {
			t.Fatalf("point %d: band %.1f..%.1f does not hold expected %.1f", i, w.Lower[i], w.Upper[i], w.Expected[i])
		}
	}
	if len(w.Events) != len(res.Events) || len(w.Events) == 0 {
		t.Errorf("window has %d events, the run stored %d", len(w.Events), len(res.Events))
	}
	hourly, err := eng.SeriesWindow(ctx, WindowQuery{Monitor: "shop", Series: orders, From: judgedFrom, To: noiseNow, Step: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if len(hourly.Times) != 24 || hourly.Times[1]-hourly.Times[0] != time.Hour.Milliseconds() {
		t.Errorf("hourly window: %d points starting %v", len(hourly.Times), hourly.Times[:2])
	}
	// The same window again is the cached band: the very same arrays.
	w2, err := eng.SeriesWindow(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if &w2.Values[0] != &w.Values[0] || w2.Key != w.Key {
		t.Error("the second request recomputed the band")
	}
	// An anomaly label does not shape a robust band: same band, and the
	// window lists the label.
	if _, err := eng.Store().CreateLabels(ctx, "ana", []store.Label{{Monitor: "shop", Series: orders, From: judgedFrom.Add(time.Hour), To: judgedFrom.Add(time.Hour), Kind: store.LabelAnomaly}}); err != nil {
		t.Fatal(err)
	}
	wa, err := eng.SeriesWindow(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if wa.Key != w.Key || &wa.Values[0] != &w.Values[0] || len(wa.Labels) != 1 {
		t.Errorf("an anomaly label: key changed %v, %d labels in the window", wa.Key != w.Key, len(wa.Labels))
	}
	// A noise label changes the key and the band.
	labelNoiseDays(t, eng)
	w3, err := eng.SeriesWindow(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if w3.Key == w.Key || &w3.Values[0] == &w.Values[0] {
		t.Error("a new noise label did not give a new band")
	}
}

// TestWindowKeepsOffGridPoints: a source whose timestamps are not on the
// step's grid (an SQL table stamped at :17) still gives every point; only
// a coarser step thins them.
func TestWindowKeepsOffGridPoints(t *testing.T) {
	ls := labels.FromStrings("channel", "app")
	src := funcSource(func(_ context.Context, q source.Query) ([]series.Series, error) {
		var pts []series.Point
		for ts := q.Start.Truncate(q.Step); !ts.After(q.End); ts = ts.Add(q.Step) {
			at := ts.Add(17 * time.Second)
			h := float64(at.Hour()) + float64(at.Minute())/60
			pts = append(pts, series.Point{T: at, V: 100 + 30*math.Sin(2*math.Pi*h/24)})
		}
		return []series.Series{{Labels: ls, Points: pts}}, nil
	})
	eng, _ := engineWithSource(t, src)
	w, err := eng.SeriesWindow(context.Background(), WindowQuery{Monitor: "payments", Series: ls, From: dataEnd.Add(-2 * time.Hour), To: dataEnd})
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Times) != 24 || w.Times[0]%(5*60*1000) != 17000 {
		t.Errorf("%d points from %v, want the 24 points stamped at :17", len(w.Times), w.Times)
	}
}
