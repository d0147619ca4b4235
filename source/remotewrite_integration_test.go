//go:build integration

package source

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/internal/testpeer"
	"github.com/seismo-dev/seismo/series"
)

// TestRemoteWriteVictoriaMetrics writes Seismo's four result series to a
// real VictoriaMetrics (Debian's package) through its Prometheus remote
// write endpoint and reads them back, raw through /api/v1/export and
// through query_range with the prometheus source.
func TestRemoteWriteVictoriaMetrics(t *testing.T) {
	url := testpeer.StartVictoriaMetrics(t)
	const n = 120
	start := time.Date(2024, 3, 1, 9, 30, 0, 0, time.UTC)
	base := labels.FromStrings("channel", "app", "monitor", "account_openings", "metric", "account_openings")
	with := func(name string) labels.Labels {
		b := labels.NewBuilder(base)
		b.Set("__name__", name)
		return b.Labels()
	}
	want := map[string][]series.Point{}
	var ss []WriteSeries
	for i, name := range []string{"seismo_anomaly_score", "seismo_expected", "seismo_lower", "seismo_upper"} {
		pts := make([]series.Point, n)
		for k := range pts {
			pts[k] = series.Point{T: start.Add(time.Duration(k) * time.Minute), V: float64(i*1000+k) + 0.25}
		}
		want[name] = pts
		ss = append(ss, WriteSeries{Labels: with(name), Samples: pts})
	}
	// 100 samples a request: the 480 samples take 5 requests.
	w, _ := newTestWriter(t, url+"/api/v1/write", func(c *RemoteWriteConfig) { c.MaxSamplesPerSend = 100 })
	ctx := context.Background()
	if err := w.Write(ctx, ss); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(url + "/internal/force_flush")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	// Raw samples, exactly as written.
	resp, err = http.Get(url + `/api/v1/export?match[]={__name__=~"seismo_.*"}&start=` + start.Add(-time.Hour).Format(time.RFC3339) + `&end=` + start.Add(3*time.Hour).Format(time.RFC3339))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got := map[string]int{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var line struct {
			Metric     map[string]string `json:"metric"`
			Values     []float64         `json:"values"`
			Timestamps []int64           `json:"timestamps"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("export line %q: %v", sc.Text(), err)
		}
		name := line.Metric["__name__"]
		pts := want[name]
		if pts == nil || line.Metric["channel"] != "app" || line.Metric["monitor"] != "account_openings" || line.Metric["metric"] != "account_openings" {
			t.Errorf("unexpected series %v", line.Metric)
			continue
		}
		if len(line.Values) != n {
			t.Errorf("%s: %d samples exported, want %d", name, len(line.Values), n)
			continue
		}
		for k := range line.Values {
			if line.Values[k] != pts[k].V || line.Timestamps[k] != pts[k].T.UnixMilli() {
				t.Errorf("%s sample %d = (%d, %v), want (%d, %v)", name, k, line.Timestamps[k], line.Values[k], pts[k].T.UnixMilli(), pts[k].V)
				break
			}
		}
		got[name] = len(line.Values)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("exported %v, want the four result series", got)
	}

	// The same through query_range, as dashboards read them.
	logger, _ := testLogger()
	src, err := Open("vm", Config{Type: TypePrometheus, URL: url}, logger)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	res, err := src.Query(ctx, Query{Expr: `seismo_upper{monitor="account_openings"}`, Start: start, End: start.Add((n - 1) * time.Minute), Step: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	diffSeries(t, []series.Series{{Labels: with("seismo_upper"), Points: want["seismo_upper"]}}, res)

	// A path VictoriaMetrics does not serve is a 4xx: reported, not retried.
	bad, _ := newTestWriter(t, url+"/api/v1/no-such-write", nil)
	if err := bad.Write(ctx, ss[:1]); err == nil {
		t.Error("writing to a wrong path succeeded")
	}
}
