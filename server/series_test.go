package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seismo-dev/seismo/engine"
	"github.com/seismo-dev/seismo/store"
)

// windowJSON is a window answer as a client reads it.
type windowJSON struct {
	Data struct {
		Monitor  string            `json:"monitor"`
		Series   map[string]string `json:"series"`
		StepMS   int64             `json:"step_ms"`
		Points   int               `json:"points"`
		Model    string            `json:"model"`
		Detector string            `json:"detector"`
		Times    []int64           `json:"times"`
		Values   []*float64        `json:"values"`
		Expected []*float64        `json:"expected"`
		Lower    []*float64        `json:"lower"`
		Upper    []*float64        `json:"upper"`
		Events   []json.RawMessage `json:"events"`
		Labels   []store.Label     `json:"labels"`
	} `json:"data"`
}

func windowURL(from, to time.Time, extra string) string {
	q := url.Values{}
	q.Set("monitor", "shop")
	q.Set("labels", ordersSel)
	q.Set("from", from.Format(time.RFC3339))
	q.Set("to", to.Format(time.RFC3339))
	return "/api/v1/series/window?" + q.Encode() + extra
}

// getWindow fetches a window as a browser would (gzip, optional ETag)
// and decodes it.
func (ls *labelServer) getWindow(path, etag string) (*http.Response, windowJSON) {
	ls.t.Helper()
	req, _ := http.NewRequest("GET", ls.url+path, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	req.Header.Set("Authorization", "Bearer "+viewerToken)
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		ls.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		ls.t.Fatal(err)
	}
	var w windowJSON
	if resp.StatusCode != http.StatusOK {
		return resp, w
	}
	if resp.Header.Get("Content-Encoding") != "gzip" {
		ls.t.Fatalf("window not gzipped for a client that accepts it")
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		ls.t.Fatal(err)
	}
	zr.Multistream(false) // one gzip member, as browsers read it
	raw, err := io.ReadAll(zr)
	if err != nil {
		ls.t.Fatalf("the gzip stream does not decode: %v", err)
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		ls.t.Fatalf("decode window: %v\n%.300s", err, raw)
	}
	return resp, w
}

func TestSeriesAPI(t *testing.T) {
	ls := newLabelServer(t, true, "")
	code, body := ls.do("GET", "/api/v1/series?monitor=shop", viewerToken, "")
	if code != 200 || !strings.Contains(string(body), `"labels":{"__name__":"orders","file":"shop"}`) || !strings.Contains(string(body), `"refunds"`) {
		t.Fatalf("series: %d %s", code, body)
	}
	if code, body = ls.do("GET", "/api/v1/series?monitor=nope", viewerToken, ""); code != 404 || !strings.Contains(errorOf(body), `unknown monitor "nope"`) {
		t.Errorf("unknown monitor: %d %s", code, body)
	}

	from, to := now.Add(-12*time.Hour), now
	spike := now.Add(-3 * time.Hour)
	if code, body = ls.do("POST", "/api/v1/labels", labelerToken, labelBody(spike, spike, "anomaly")); code != 201 {
		t.Fatal(code, string(body))
	}
	resp, w := ls.getWindow(windowURL(from, to, ""), "")
	if resp.StatusCode != 200 {
		t.Fatalf("window: %s", resp.Status)
	}
	d := w.Data
	if d.Monitor != "shop" || d.Series["__name__"] != "orders" || d.StepMS != 600000 || d.Points != 73 || len(d.Times) != 73 || len(d.Upper) != 73 {
		t.Fatalf("window: monitor %q series %v step %d, %d points, %d times, %d uppers", d.Monitor, d.Series, d.StepMS, d.Points, len(d.Times), len(d.Upper))
	}
	if d.Times[0] != from.UnixMilli() || d.Times[72] != to.UnixMilli() || d.Detector != "robust" || d.Model == "" {
		t.Errorf("times %d..%d, detector %q, model %q", d.Times[0], d.Times[72], d.Detector, d.Model)
	}
	i := int(spike.Sub(from) / (10 * time.Minute))
	if *d.Values[i] < *d.Upper[i] || len(d.Events) == 0 || len(d.Labels) != 1 || d.Labels[0].Author != "ana" {
		t.Errorf("at the spike value %.1f, upper %.1f; %d events, labels %+v", *d.Values[i], *d.Upper[i], len(d.Events), d.Labels)
	}
	// The same window from the engine, for the numbers.
	win, err := ls.eng.SeriesWindow(context.Background(), engine.WindowQuery{Monitor: "shop", Series: mustSeries(t, ordersSel), From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	for j := range win.Times {
		if e := win.Expected[j]; !math.IsNaN(e) && (d.Expected[j] == nil || *d.Expected[j] != e) {
			t.Fatalf("point %d: expected %v in the answer, %v in the engine", j, d.Expected[j], e)
		}
	}

	// Unchanged: 304 on the ETag. A label changes the answer (new ETag,
	// the label in it) through the tail only.
	etag := resp.Header.Get("ETag")
	if resp, _ = ls.getWindow(windowURL(from, to, ""), etag); resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match with the current ETag: %s", resp.Status)
	}
	if code, body = ls.do("POST", "/api/v1/labels", labelerToken, labelBody(spike.Add(time.Hour), spike.Add(time.Hour), "normal")); code != 201 {
		t.Fatal(code, string(body))
	}
	resp, w2 := ls.getWindow(windowURL(from, to, ""), etag)
	if resp.StatusCode != 200 || resp.Header.Get("ETag") == etag || len(w2.Data.Labels) != 2 {
		t.Errorf("after a new label: %s, etag changed %v, %d labels", resp.Status, resp.Header.Get("ETag") != etag, len(w2.Data.Labels))
	}

	// Hourly points, and the raw (uncompressed) form for clients that do
	// not ask for gzip.
	code, body = ls.do("GET", windowURL(from, to, "&step=1h"), viewerToken, "")
	var hourly windowJSON
	if err := json.Unmarshal(body, &hourly); err != nil || code != 200 || hourly.Data.Points != 13 {
		t.Errorf("hourly window: %d, %v, %d points", code, err, hourly.Data.Points)
	}
}

func TestSeriesWindowBadInput(t *testing.T) {
	ls := newLabelServer(t, true, "")
	from, to := now.Add(-time.Hour), now
	tests := []struct {
		name, path string
		code       int
		msg        string
	}{
		{"no monitor", "/api/v1/series/window?labels=" + url.QueryEscape(ordersSel), 400, "monitor is required"},
		{"no labels", "/api/v1/series/window?monitor=shop", 400, "labels is required"},
		{"bad labels", "/api/v1/series/window?monitor=shop&labels=" + url.QueryEscape(`{a=~"b"}`), 400, "equalities only"},
		{"unknown series", strings.Replace(windowURL(from, to, ""), "orders", "returns", 1), 404, "unknown series"},
		{"unknown monitor", strings.Replace(windowURL(from, to, ""), "monitor=shop", "monitor=nope", 1), 404, `unknown monitor "nope"`},
		{"end before start", windowURL(to, from, ""), 400, "is before from"},
		{"bad time", "/api/v1/series/window?monitor=shop&from=soon&labels=" + url.QueryEscape(ordersSel), 400, "invalid time"},
		{"bad step", windowURL(from, to, "&step=7m"), 400, "not a multiple"},
		{"negative step", windowURL(from, to, "&step=-5"), 400, "positive number of seconds"},
		{"too many points", windowURL(from.AddDate(-10, 0, 0), to, ""), 400, "at most 200000"},
		{"no token", windowURL(from, to, ""), 401, "missing token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			token := viewerToken
			if tc.code == 401 {
				token = ""
			}
			code, body := ls.do("GET", tc.path, token, "")
			if code != tc.code || !strings.Contains(errorOf(body), tc.msg) {
				t.Errorf("%d %s, want %d containing %q", code, body, tc.code, tc.msg)
			}
		})
	}
}

// TestAnswerGzipIsOneStream: the columns (sync-flushed) and the tail
// (final block) make one gzip member that decodes to the raw answer.
func TestAnswerGzipIsOneStream(t *testing.T) {
	w := benchWindow()
	w.Times, w.Values, w.Expected, w.Lower, w.Upper = w.Times[:1000], w.Values[:1000], w.Expected[:1000], w.Lower[:1000], w.Upper[:1000]
	w.Expected[3] = math.NaN()
	cols, err := encodeColumns(w)
	if err != nil {
		t.Fatal(err)
	}
	for _, tail := range []string{`,"events":[],"labels":[]}}` + "\n", strings.Repeat(`,"x":1`, 5000) + "}}\n"} {
		a, err := newAnswer(cols, []byte(tail), time.Now().Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		gz := bytes.Join(a.gz, nil)
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			t.Fatal(err)
		}
		zr.Multistream(false)
		got, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		want := append(append([]byte{}, cols.raw...), tail...)
		if !bytes.Equal(got, want) || len(got) != a.rawLen || !bytes.Equal(bytes.Join(a.raw, nil), want) {
			t.Fatalf("gzip decodes to %d bytes, raw answer is %d", len(got), len(want))
		}
		if !strings.Contains(string(got), `"expected":[`+fmt.Sprint(w.Expected[0])+`,`) || !strings.Contains(string(got), ",null,") {
			t.Errorf("columns not as expected: %.200s", got)
		}
	}
}

// TestWindowConcurrent: many clients at once, with labels written in
// between, all get complete answers (run with -race for the caches).
func TestWindowConcurrent(t *testing.T) {
	ls := newLabelServer(t, true, "")
	from, to := now.Add(-24*time.Hour), now
	path := windowURL(from, to, "")
	errs := make(chan error, 64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 5 {
			at := now.Add(-time.Duration(i+1) * time.Hour)
			if code, body := ls.do("POST", "/api/v1/labels", labelerToken, labelBody(at, at, "noise")); code != 201 {
				errs <- fmt.Errorf("label %d: %d %s", i, code, body)
			}
		}
	}()
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 5 {
				code, body := ls.do("GET", path, viewerToken, "")
				var w windowJSON
				if err := json.Unmarshal(body, &w); code != 200 || err != nil || w.Data.Points != 145 {
					errs <- fmt.Errorf("window: %d %v, %d points", code, err, w.Data.Points)
					return
				}
			}
		})
	}
	wg.Wait()
	<-done
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	_, w := ls.getWindow(path, "")
	if len(w.Data.Labels) != 5 {
		t.Errorf("after the writes the window has %d labels, want 5", len(w.Data.Labels))
	}
}
