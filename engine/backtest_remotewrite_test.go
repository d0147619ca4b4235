package engine

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/snappy"
	"google.golang.org/protobuf/encoding/protowire"
)

// writtenSeries is one TimeSeries a receiver got.
type writtenSeries struct {
	labels map[string]string
	values []float64
}

// rwSink is a remote write receiver keeping what it was sent. The wire
// format itself is checked against the protobuf runtime in package
// source; here protowire reads the fields back.
type rwSink struct {
	mu  sync.Mutex
	got []writtenSeries
	err error
}

func (s *rwSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	raw, err := snappy.Decode(nil, body)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		err = s.decode(raw)
	}
	if err != nil && s.err == nil {
		s.err = err
	}
	w.WriteHeader(http.StatusNoContent)
}

// fields calls f for each field of a protobuf message.
func fields(b []byte, f func(num protowire.Number, typ protowire.Type, v []byte, fixed uint64) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		var (
			v     []byte
			fixed uint64
		)
		switch typ {
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		case protowire.Fixed64Type:
			fixed, n = protowire.ConsumeFixed64(b)
		case protowire.VarintType:
			fixed, n = protowire.ConsumeVarint(b)
		default:
			return fmt.Errorf("unexpected wire type %d", typ)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if err := f(num, typ, v, fixed); err != nil {
			return err
		}
	}
	return nil
}

func (s *rwSink) decode(req []byte) error {
	return fields(req, func(_ protowire.Number, _ protowire.Type, ts []byte, _ uint64) error {
		w := writtenSeries{labels: map[string]string{}}
		err := fields(ts, func(num protowire.Number, _ protowire.Type, sub []byte, _ uint64) error {
			switch num {
			case 1:
				var name, value string
				err := fields(sub, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
					if num == 1 {
						name = string(v)
					} else {
						value = string(v)
					}
					return nil
				})
				w.labels[name] = value
				return err
			case 2:
				var v float64
				err := fields(sub, func(num protowire.Number, typ protowire.Type, _ []byte, x uint64) error {
					if num == 1 && typ == protowire.Fixed64Type {
						v = math.Float64frombits(x)
					}
					return nil
				})
				w.values = append(w.values, v)
				return err
			}
			return nil
		})
		s.got = append(s.got, w)
		return err
	})
}

// byKey merges what was received per label set (a series may be split
// across requests).
func (s *rwSink) byKey() map[string]writtenSeries {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]writtenSeries{}
	for _, w := range s.got {
		k := fmt.Sprint(w.labels)
		m := out[k]
		m.labels = w.labels
		m.values = append(m.values, w.values...)
		out[k] = m
	}
	return out
}

func TestRunWritesResults(t *testing.T) {
	sink := &rwSink{}
	srv := httptest.NewServer(sink)
	defer srv.Close()
	e := newDemoEngineWith(t, t.TempDir(), demoNow, fmt.Sprintf("  remote_write: {url: %q, max_samples_per_send: 2000}\n", srv.URL+"/api/v1/write"))
	ctx := context.Background()
	m := e.monitorNamed("account_openings")
	res, err := e.execute(ctx, m, demoNow, true)
	if err != nil {
		t.Fatal(err)
	}
	if sink.err != nil {
		t.Fatal(sink.err)
	}
	got := sink.byKey()
	perSeries := map[string]int{}
	for _, j := range res.judged {
		perSeries[j.ls.Get("channel")] = len(j.results)
	}
	if len(got) != 4*len(perSeries) || len(perSeries) != 3 {
		t.Fatalf("received %d series for %d judged series, want four each", len(got), len(perSeries))
	}
	names := map[string]int{}
	for _, w := range got {
		names[w.labels["__name__"]]++
		if w.labels["monitor"] != "account_openings" || w.labels["metric"] != "account_openings" || w.labels["channel"] == "" || w.labels["backtest"] != "" {
			t.Errorf("labels %v", w.labels)
		}
		if n := perSeries[w.labels["channel"]]; len(w.values) != n {
			t.Errorf("%v: %d samples, want one per judged point (%d)", w.labels, len(w.values), n)
		}
		if w.labels["__name__"] == MetricAnomalyScore {
			for _, v := range w.values {
				if !(v >= 0 && v <= 1) {
					t.Fatalf("score %v out of [0, 1]", v)
				}
			}
		}
	}
	for _, n := range []string{MetricAnomalyScore, MetricExpected, MetricLower, MetricUpper} {
		if names[n] != 3 {
			t.Errorf("%s written for %d series, want 3", n, names[n])
		}
	}

	// A backtest writes with backtest="true" when asked.
	sink.mu.Lock()
	sink.got = nil
	sink.mu.Unlock()
	if _, err := e.Backtest(ctx, BacktestRequest{Monitor: "account_openings", Match: app, From: demoNow.Add(-24 * time.Hour), To: demoNow, RemoteWrite: true}); err != nil {
		t.Fatal(err)
	}
	got = sink.byKey()
	if len(got) != 4 {
		t.Fatalf("backtest wrote %d series, want 4", len(got))
	}
	for _, w := range got {
		if w.labels["backtest"] != "true" || w.labels["channel"] != "app" {
			t.Errorf("backtest series labels %v", w.labels)
		}
	}
}

func TestBacktestRemoteWriteNotConfigured(t *testing.T) {
	e := newDemoEngine(t, t.TempDir(), demoNow)
	_, err := e.Backtest(context.Background(), BacktestRequest{Monitor: "account_openings", From: demoNow.Add(-time.Hour), To: demoNow, RemoteWrite: true})
	if err == nil {
		t.Fatal("remote write without global.remote_write accepted")
	}
}
