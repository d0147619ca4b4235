package metric

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seismo-dev/seismo/config/field"
	"github.com/seismo-dev/seismo/source"
)

// promPeer is a real HTTP server speaking Prometheus' /api/v1/query. For
// each request it calls answer with the query and the evaluation instant;
// answer returns the vector as label maps with values, or an error
// message that the server sends as a bad_data error.
type promPeer struct {
	*httptest.Server
	mu     sync.Mutex
	calls  []string // "query@unix"
	answer func(query string, at time.Time) ([]map[string]string, []float64, string)
}

func newPromPeer(t *testing.T, answer func(query string, at time.Time) ([]map[string]string, []float64, string)) *promPeer {
	t.Helper()
	p := &promPeer{answer: answer}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/query" || r.ParseForm() != nil {
			http.NotFound(w, r)
			return
		}
		sec, err := strconv.ParseFloat(r.Form.Get("time"), 64)
		if err != nil {
			http.Error(w, "bad time", http.StatusBadRequest)
			return
		}
		at := time.Unix(int64(sec), 0).UTC()
		q := r.Form.Get("query")
		p.mu.Lock()
		p.calls = append(p.calls, fmt.Sprintf("%s@%d", q, at.Unix()))
		p.mu.Unlock()
		metrics, values, errMsg := p.answer(q, at)
		w.Header().Set("Content-Type", "application/json")
		if errMsg != "" {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"status":"error","errorType":"bad_data","error":%q}`, errMsg)
			return
		}
		result := []map[string]any{}
		for i, m := range metrics {
			result = append(result, map[string]any{"metric": m, "value": []any{at.Unix(), strconv.FormatFloat(values[i], 'g', -1, 64)}})
		}
		json.NewEncoder(w).Encode(map[string]any{"status": "success", "data": map[string]any{"resultType": "vector", "result": result}}) //nolint:errcheck // the client reports it
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *promPeer) queries() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.calls...)
}

func openPeer(t *testing.T, url string) source.InstantQuerier {
	t.Helper()
	src, err := source.Open("vm", source.Config{Type: source.TypePrometheus, URL: url, Retries: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src.(source.InstantQuerier)
}

func TestGroupEval(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	broken := true
	var mu sync.Mutex
	peer := newPromPeer(t, func(q string, at time.Time) ([]map[string]string, []float64, string) {
		mu.Lock()
		defer mu.Unlock()
		switch q {
		case "rejects > 3": // from 09:31 to 09:34
			if !at.Before(t0.Add(time.Minute)) && at.Before(t0.Add(5*time.Minute)) {
				return []map[string]string{{"market": "sh"}}, []float64{4.5}, ""
			}
			return nil, nil, ""
		case "flaky":
			if broken {
				return nil, nil, "1:1: parse error: boom"
			}
			return nil, nil, ""
		}
		return nil, nil, "unexpected query " + q
	})
	g, err := NewGroup(GroupConfig{
		Name: "trading", Interval: field.Duration(time.Minute), Concurrency: 2,
		Labels: map[string]string{"team": "ops"},
		Rules: []RuleConfig{
			{Alert: "Rejects", Expr: "rejects > 3", For: field.Duration(2 * time.Minute),
				Annotations: map[string]string{"summary": "{{ $labels.market }}: {{ $value }} rejects/s"}},
			{Alert: "Flaky", Expr: "flaky"},
		},
	}, openPeer(t, peer.URL))
	if err != nil {
		t.Fatal(err)
	}
	if g.Schedule() != "0 */1 * * * *" {
		t.Errorf("Schedule = %q", g.Schedule())
	}

	type want struct {
		rejects      string // state of the market=sh alert: "", pending, firing, resolved
		flakyFailing time.Time
	}
	steps := []want{
		{"", t0},                              // 09:30
		{"pending", t0},                       // 09:31
		{"pending", t0},                       // 09:32
		{"firing", time.Time{}},               // 09:33: fixed at this step
		{"firing", time.Time{}},               // 09:34
		{"resolved", t0.Add(5 * time.Minute)}, // 09:35: broken again, since 09:35
	}
	for i, w := range steps {
		mu.Lock()
		broken = i != 3 && i != 4
		mu.Unlock()
		// Started 1.5s late (jitter): evaluated at the minute.
		now := t0.Add(time.Duration(i)*time.Minute + 1500*time.Millisecond)
		res := g.Eval(context.Background(), now)
		at := t0.Add(time.Duration(i) * time.Minute)
		if !res.Time.Equal(at) {
			t.Fatalf("step %d: evaluated at %v, want %v", i, res.Time, at)
		}
		rj, fl := res.Rules[0], res.Rules[1]
		if rj.Err != nil {
			t.Fatalf("step %d: Rejects: %v", i, rj.Err)
		}
		got := ""
		if len(rj.Active) == 1 {
			got = rj.Active[0].State.String()
			if s := rj.Active[0].Annotations["summary"]; s != "sh: 4.5 rejects/s" {
				t.Errorf("step %d: summary = %q", i, s)
			}
			if l := rj.Active[0].Labels.String(); l != `{alertname="Rejects", market="sh", team="ops"}` {
				t.Errorf("step %d: labels = %s", i, l)
			}
		}
		if len(rj.Resolved) == 1 {
			got = "resolved"
		}
		if got != w.rejects {
			t.Errorf("step %d: Rejects is %q, want %q", i, got, w.rejects)
		}
		if (fl.Err != nil) != !w.flakyFailing.IsZero() || !fl.FailingSince.Equal(w.flakyFailing) {
			t.Errorf("step %d: Flaky err %v failing since %v, want since %v", i, fl.Err, fl.FailingSince, w.flakyFailing)
		}
		if fl.Err != nil && !strings.Contains(fl.Err.Error(), "boom") {
			t.Errorf("step %d: Flaky err = %v, want the server's message", i, fl.Err)
		}
	}
}

func TestGroupReplay(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	peer := newPromPeer(t, func(q string, at time.Time) ([]map[string]string, []float64, string) {
		// Returned from 09:31 on.
		if at.Before(t0.Add(time.Minute)) {
			return nil, nil, ""
		}
		return []map[string]string{{"i": "a"}}, []float64{1}, ""
	})
	g, err := NewGroup(GroupConfig{Name: "g", Interval: field.Duration(time.Minute), Rules: []RuleConfig{
		{Alert: "Two", Expr: "two", For: field.Duration(2 * time.Minute)},
		{Alert: "Three", Expr: "three", For: field.Duration(3 * time.Minute)},
		{Alert: "Long", Expr: "long", For: field.Duration(24 * time.Hour)},
	}}, openPeer(t, peer.URL))
	if err != nil {
		t.Fatal(err)
	}
	res := g.Replay(context.Background(), t0.Add(3*time.Minute+10*time.Second)) // evaluated at 09:33
	states := map[string]string{}
	for _, r := range res.Rules {
		if r.Err != nil {
			t.Fatalf("%s: %v", r.Alert, r.Err)
		}
		s := "inactive"
		if len(r.Active) == 1 {
			s = r.Active[0].State.String()
		}
		states[r.Alert] = s
	}
	// Two: returned at 09:31, 09:32, 09:33 → 2m → firing. Three: would
	// need 09:30 too. Long: one day at most 60 evaluations, still pending.
	if want := map[string]string{"Two": "firing", "Three": "pending", "Long": "pending"}; fmt.Sprint(states) != fmt.Sprint(want) {
		t.Errorf("replay states = %v, want %v", states, want)
	}
	n := map[string]int{}
	for _, c := range peer.queries() {
		n[strings.SplitN(c, "@", 2)[0]]++
	}
	if n["two"] != 3 || n["three"] != 4 || n["long"] != maxReplaySteps {
		t.Errorf("queries per rule = %v, want two 3, three 4, long %d", n, maxReplaySteps)
	}
	// The group's own state is untouched: a scheduled run starts afresh.
	ev := g.Eval(context.Background(), t0.Add(3*time.Minute))
	if a := ev.Rules[0].Active; len(a) != 1 || a[0].State != StatePending {
		t.Errorf("after a replay, Eval gave %+v, want a new pending alert", a)
	}
}

func TestGroupEvalTime(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 37, 42, 500_000_000, time.UTC)
	tests := []struct {
		cfg  GroupConfig
		want time.Time
	}{
		{GroupConfig{Interval: field.Duration(5 * time.Minute)}, time.Date(2026, 3, 2, 9, 35, 0, 0, time.UTC)},
		{GroupConfig{Interval: field.Duration(15 * time.Second), EvalDelay: field.Duration(30 * time.Second)}, time.Date(2026, 3, 2, 9, 37, 0, 0, time.UTC)},
		{GroupConfig{Schedule: "*/7 * * * *"}, time.Date(2026, 3, 2, 9, 37, 42, 0, time.UTC)},
	}
	for _, tt := range tests {
		tt.cfg.Rules = []RuleConfig{{Alert: "A", Expr: "a"}}
		g, err := NewGroup(tt.cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := g.EvalTime(now); !got.Equal(tt.want) {
			t.Errorf("%+v: EvalTime = %v, want %v", tt.cfg, got, tt.want)
		}
	}
}

func TestGroupCancelled(t *testing.T) {
	peer := newPromPeer(t, func(string, time.Time) ([]map[string]string, []float64, string) { return nil, nil, "" })
	g, err := NewGroup(GroupConfig{Name: "g", Rules: []RuleConfig{{Alert: "A", Expr: "a"}, {Alert: "B", Expr: "b"}}}, openPeer(t, peer.URL))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := g.Eval(ctx, time.Now())
	for _, r := range res.Rules {
		if r.Err == nil || !strings.Contains(r.Err.Error(), "not evaluated: context canceled") {
			t.Errorf("%s: err = %v", r.Alert, r.Err)
		}
	}
	if len(peer.queries()) != 0 {
		t.Errorf("a cancelled run sent %d queries", len(peer.queries()))
	}
}
