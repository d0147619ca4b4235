package engine

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/seismo-dev/seismo/alert"
	"github.com/seismo-dev/seismo/config"
	"github.com/seismo-dev/seismo/source"
	"github.com/seismo-dev/seismo/store"
)

// logsStart is when the simulated log stream begins.
var logsStart = time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)

type logsTest struct {
	t   *testing.T
	cfg *config.Config
	e   *Engine
	s   *logStream
	now time.Time
}

func newLogsTest(t *testing.T, dir string, now time.Time) *logsTest {
	t.Helper()
	yaml := fmt.Sprintf(`
global: {store: {dsn: %q}, max_jitter: 0s}
sources:
  applog: {type: file, path: %q, start_at: beginning, poll_interval: 10ms}
logs:
  - name: app
    input: applog
    format: {type: pattern, pattern: "<Level> <Content>"}
    absorption: 30m
    examples: 2
    labels: {team: ops}
    rate:
      step: 1m
      history: 3h
      min_count: 20
      baseline: {seasonality: none}
      detector: {sensitivity: 0.7}
`, filepath.Join(dir, "seismo.db"), filepath.Join(dir, "*.log"))
	cfg, err := config.Parse([]byte(yaml), "")
	if err != nil {
		t.Fatal(err)
	}
	lt := &logsTest{t: t, cfg: cfg, now: now}
	lt.e, err = New(context.Background(), cfg, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return lt.now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lt.e.Close)
	lt.s = lt.e.streams[0]
	return lt
}

// feed hands the stream one minute of records through its sink, as the
// input would.
func (lt *logsTest) feed(minute time.Time, lines map[string]int) {
	lt.t.Helper()
	var b source.LogBatch
	for line, n := range lines {
		level, msg, _ := strings.Cut(line, " ")
		for i := range n {
			b.Records = append(b.Records, source.Record{
				Time: minute.Add(time.Duration(i) * time.Second % time.Minute), Level: level,
				Message: strings.ReplaceAll(msg, "#", fmt.Sprint(1000+i)), Input: "test",
			})
		}
	}
	if err := lt.s.sink(context.Background(), b); err != nil {
		lt.t.Fatal(err)
	}
}

// evaluate runs the stream's scheduled job at lt.now.
func (lt *logsTest) evaluate() *logRun {
	lt.t.Helper()
	run, err := lt.e.evaluate(context.Background(), lt.s, lt.now)
	if err != nil {
		lt.t.Fatal(err)
	}
	return run
}

func (lt *logsTest) events(kind alert.Kind) []alert.Event {
	lt.t.Helper()
	evs, err := lt.e.Store().Events(context.Background(), store.EventFilter{Job: "app", Kind: kind, Limit: 1000})
	if err != nil {
		lt.t.Fatal(err)
	}
	return evs
}

func TestLogStreamEvents(t *testing.T) {
	dir := t.TempDir()
	lt := newLogsTest(t, dir, logsStart)
	rng := rand.New(rand.NewPCG(3, 4))
	spikeAt := logsStart.Add(150 * time.Minute)
	newAt := logsStart.Add(140 * time.Minute)
	for i := range 160 {
		minute := logsStart.Add(time.Duration(i) * time.Minute)
		lines := map[string]int{
			"INFO user # logged in from 10.0.0.1": 40 + rng.IntN(7),
			"INFO order # filled":                 20 + rng.IntN(5),
			"ERROR payment gateway timeout":       1 + rng.IntN(2),
		}
		if minute.Equal(spikeAt) {
			lines["INFO order # filled"] = 400
			lines["ERROR payment gateway timeout"] = 300
		}
		if !minute.Before(newAt) {
			lines["WARN card 6222021234567890128 blocked"] = 1
		}
		lt.feed(minute, lines)
		lt.now = minute.Add(time.Minute + time.Second) // the minute is closed
		lt.evaluate()
	}

	fresh := lt.events(alert.KindNewTemplate)
	if len(fresh) != 4 {
		for _, ev := range fresh {
			t.Logf("new template: %s %s", ev.Time, ev.Annotations["template"])
		}
		t.Fatalf("%d new_template events, want 4 (three at the start, one at %s)", len(fresh), newAt)
	}
	card := fresh[0] // newest first
	if !card.Time.Equal(newAt) || card.Labels.Get("event") != "new_template" || card.Labels.Get("team") != "ops" ||
		card.Labels.Get("alertname") != "app" || card.Labels.Get("template_id") == "" {
		t.Errorf("newest new_template event = %+v", card)
	}
	if strings.Contains(card.Annotations["examples"], "6222021234567890128") || strings.Contains(card.Annotations["template"], "6222021234567890128") {
		t.Errorf("a bank card number reached an event: %q / %q", card.Annotations["template"], card.Annotations["examples"])
	}
	if card.Annotations["examples"] == "" || card.Annotations["count"] != "1" {
		t.Errorf("new_template annotations = %v", card.Annotations)
	}

	rate := lt.events(alert.KindTemplateRate)
	var orderSpike bool
	for _, ev := range rate {
		t.Logf("rate event: %s %s value=%v expected=%v %s", ev.Time, ev.Labels, ev.Value, ev.Expected, ev.Annotations["template"])
		if ev.Time.Equal(spikeAt) && strings.HasPrefix(ev.Annotations["template"], "order") && ev.Value == 400 {
			orderSpike = true
		}
		if ev.Labels.Get("event") != "rate_change" {
			t.Errorf("rate event labels = %s", ev.Labels)
		}
	}
	if !orderSpike {
		t.Errorf("no template_rate event for the order template at %s", spikeAt)
	}
	if len(rate) > 6 {
		t.Errorf("%d rate events, want a handful (the spike, perhaps its neighbours)", len(rate))
	}
	for _, ev := range rate {
		if strings.HasPrefix(ev.Annotations["template"], "card") {
			t.Errorf("a template in its absorption period was judged: %+v", ev)
		}
	}

	ratio := lt.events(alert.KindErrorRatio)
	var ratioSpike bool
	for _, ev := range ratio {
		if ev.Time.Equal(spikeAt) && ev.Value > 0.3 {
			ratioSpike = true
		}
	}
	if !ratioSpike {
		t.Errorf("no error_ratio event at %s: %+v", spikeAt, ratio)
	}

	// The API view: counts over a range, the new template flagged.
	views, err := lt.e.LogTemplates(context.Background(), "app", spikeAt, spikeAt)
	if err != nil {
		t.Fatal(err)
	}
	if len(views) != 4 || !strings.HasPrefix(views[0].Template, "order") || views[0].RangeCount != 400 {
		t.Errorf("templates at the spike = %+v", views)
	}
	for _, v := range views {
		if v.New != strings.HasPrefix(v.Template, "card") {
			t.Errorf("template %q: new = %v", v.Template, v.New)
		}
	}
	if _, err := lt.e.LogTemplates(context.Background(), "nope", time.Time{}, time.Time{}); err == nil {
		t.Error("unknown stream: want an error")
	}
	if n := testutil.ToFloat64(logCollectorFor(lt.e, "seismo_log_templates")); n != 4 {
		t.Errorf("seismo_log_templates = %v, want 4", n)
	}

	// A restart restores the miner: known templates are not new again,
	// and their ids are the same.
	lt.e.Close()
	again := newLogsTest(t, dir, lt.now)
	again.feed(lt.now, map[string]int{"INFO user # logged in from 10.0.0.1": 3, "INFO something else entirely": 1})
	again.now = lt.now.Add(time.Minute)
	if run := again.evaluate(); run.NewTemplates != 1 {
		t.Errorf("after a restart: %d new templates, want 1", run.NewTemplates)
	}
}

func TestLogStreamFlushFailureKeepsCounts(t *testing.T) {
	lt := newLogsTest(t, t.TempDir(), logsStart)
	lt.feed(logsStart, map[string]int{"INFO hello #": 5})
	lt.now = logsStart.Add(time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the store fails: the flush must keep the counts
	if _, err := lt.s.flush(ctx, lt.now); err == nil {
		t.Fatal("flush with a cancelled context: want an error")
	}
	run := lt.evaluate()
	if run.NewTemplates != 1 {
		t.Errorf("after the failed flush: %d new templates, want 1", run.NewTemplates)
	}
	ts, err := lt.e.Store().LogTemplates(context.Background(), "app", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 1 || ts[0].Count != 5 {
		t.Errorf("stored templates = %+v, want one with count 5", ts)
	}
}

// TestLogStreamRun runs the engine on a real file: the lines written to
// it are mined, their templates stored at shutdown, and the file's offset
// saved for a restart.
func TestLogStreamRun(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	if err := writeString(path, "INFO existing line before the start\n"); err != nil {
		t.Fatal(err)
	}
	lt := newLogsTest(t, dir, logsStart)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- lt.e.Run(ctx) }()
	// Lines appended while it runs are read; stopping it flushes what
	// was read, and Run returns only after that.
	waitFor(t, func() bool { return lt.s.input.Stats().Records >= 1 })
	if err := appendString(path, "INFO first line 1\nINFO first line 2\n"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return lt.s.input.Stats().Records >= 3 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), "sqlite", filepath.Join(dir, "seismo.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ts, err := st.LogTemplates(context.Background(), "app", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 2 || ts[1].Count != 2 || ts[1].Template != "first line <*>" {
		t.Errorf("stored templates = %+v, want the first line and first line <*> twice", ts)
	}
	offs, err := st.LogOffsets(context.Background(), "app")
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(len("INFO existing line before the start\nINFO first line 1\nINFO first line 2\n")); len(offs) != 1 || offs[0].Offset != want {
		t.Errorf("offsets = %+v, want %s at %d", offs, path, want)
	}
}

// waitFor polls cond until it holds; the engine's goroutines give no
// signal to wait on. The test's own deadline bounds it.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for !cond() {
		if t.Context().Err() != nil {
			t.Fatal("condition never held")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func writeString(path, s string) error { return os.WriteFile(path, []byte(s), 0o600) }

func appendString(path, s string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(s); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// logCollectorFor returns the engine's log metrics filtered to one name.
func logCollectorFor(e *Engine, name string) prometheus.Collector {
	return filtered{c: logCollector{e}, name: name}
}

type filtered struct {
	c    prometheus.Collector
	name string
}

func (f filtered) Describe(ch chan<- *prometheus.Desc) { f.c.Describe(ch) }

func (f filtered) Collect(ch chan<- prometheus.Metric) {
	all := make(chan prometheus.Metric, 64)
	go func() { f.c.Collect(all); close(all) }()
	for m := range all {
		if strings.Contains(m.Desc().String(), `"`+f.name+`"`) {
			ch <- m
		}
	}
}

// TestLogStreamFollowsMerges feeds one event whose middle word is a user
// name: the miner keeps the first names as separate templates until the
// third shows the word is a variable, then merges them. The stream must
// follow the merge: one new-template event, all occurrences counted under
// the surviving template.
func TestLogStreamFollowsMerges(t *testing.T) {
	lt := newLogsTest(t, t.TempDir(), logsStart)
	users := []string{"alice", "bob", "carol", "dave", "erin"}
	lines := map[string]int{}
	for _, u := range users {
		lines["INFO session opened for user "+u+" by sshd"] = 2
	}
	lt.feed(logsStart, lines)
	lt.now = logsStart.Add(time.Minute)
	run := lt.evaluate()
	if run.NewTemplates != 1 {
		t.Errorf("%d new templates for one event with five user names, want 1", run.NewTemplates)
	}
	ts, err := lt.e.Store().LogTemplates(context.Background(), "app", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 1 || ts[0].Count != 10 || !strings.Contains(ts[0].Template, "<*>") {
		t.Errorf("stored templates = %+v, want one variable template with all 10 lines", ts)
	}
}
