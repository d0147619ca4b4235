package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/seismo-dev/seismo/engine"
	"github.com/seismo-dev/seismo/store"
)

// tuningBodyJSON is a backtest body over the fixture's last day.
func tuningBodyJSON(extra string) string {
	return fmt.Sprintf(`{"monitor": "shop", "series": %q, "from": %q, "to": %q%s}`,
		ordersSel, now.Add(-24*time.Hour).Format(time.RFC3339), now.Format(time.RFC3339), extra)
}

func decodeData[T any](t *testing.T, b []byte) T {
	t.Helper()
	var resp struct {
		Status string `json:"status"`
		Data   T      `json:"data"`
	}
	if err := json.Unmarshal(b, &resp); err != nil || resp.Status != "success" {
		t.Fatalf("answer %s: %v", b, err)
	}
	return resp.Data
}

func TestBacktestAPI(t *testing.T) {
	ls := newLabelServer(t, true, "")
	code, b := ls.do("POST", "/api/v1/backtest", viewerToken, tuningBodyJSON(`, "detector": {"sensitivity": 0.95}, "points": true`))
	if code != http.StatusOK {
		t.Fatalf("backtest: %d %s", code, b)
	}
	res := decodeData[engine.BacktestResult](t, b)
	if res.Monitor != "shop" || len(res.Series) != 1 || res.Detector.Sensitivity != 0.95 || res.Metrics.Points == 0 {
		t.Fatalf("backtest answer %+v", res)
	}
	if p := res.Series[0].Points; p == nil || len(p.T) != res.Metrics.Points || len(p.Scale) != len(p.T) {
		t.Fatalf("chart points missing or short: %+v", p)
	}
	// The fixture's spike three hours before now is flagged. (It pages
	// nobody: the hourly run that judges it fires only the last 30
	// minutes' anomalies, and the replay says so.)
	p := res.Series[0].Points
	spike := now.Add(-3 * time.Hour).UnixMilli()
	flagged := false
	for i, ms := range p.T {
		flagged = flagged || (ms == spike && p.Anomaly[i])
	}
	if !flagged || res.Metrics.Event.Predicted == 0 {
		t.Errorf("the spike at now−3h is not flagged (%d events)", res.Metrics.Event.Predicted)
	}

	code, b = ls.do("POST", "/api/v1/sweep", viewerToken, tuningBodyJSON(`, "max_alerts_per_day": 3`))
	if code != http.StatusOK {
		t.Fatalf("sweep: %d %s", code, b)
	}
	sw := decodeData[engine.SweepResult](t, b)
	if len(sw.Curve) != len(engine.DefaultSweepGrid()) || sw.MaxAlertsPerDay != 3 || sw.Recommended.Reason == "" || !sw.Rethresholded {
		t.Errorf("sweep answer: %d points, budget %v, recommendation %+v", len(sw.Curve), sw.MaxAlertsPerDay, sw.Recommended)
	}

	code, b = ls.do("POST", "/api/v1/evaluate", viewerToken, tuningBodyJSON(""))
	if code != http.StatusOK || !strings.Contains(string(b), `"point_adjusted"`) || strings.Contains(string(b), `"alerts":[`) {
		t.Errorf("evaluate: %d %s", code, b)
	}

	code, b = ls.do("GET", `/api/v1/recommend?monitor=shop&labels=`+ordersSel+`&types=robust,zscore&from=`+now.Add(-24*time.Hour).Format(time.RFC3339)+`&to=`+now.Format(time.RFC3339), viewerToken, "")
	if code != http.StatusOK {
		t.Fatalf("recommend: %d %s", code, b)
	}
	rec := decodeData[engine.RecommendResult](t, b)
	if len(rec.Series) != 1 || len(rec.Series[0].Ranking) != 2 || rec.Series[0].Best == "" {
		t.Errorf("recommend answer %+v", rec)
	}
}

func TestBacktestAPIBadRequests(t *testing.T) {
	ls := newLabelServer(t, true, "")
	for _, tc := range []struct {
		name, method, path, token, body string
		code                            int
		msg                             string
	}{
		{"no token", "POST", "/api/v1/backtest", "", tuningBodyJSON(""), 401, "missing token"},
		{"wrong token", "POST", "/api/v1/backtest", strings.Repeat("z", 40), tuningBodyJSON(""), 401, "invalid token"},
		{"malformed JSON", "POST", "/api/v1/backtest", viewerToken, `{"monitor": "shop",`, 400, "malformed JSON"},
		{"unknown field", "POST", "/api/v1/backtest", viewerToken, tuningBodyJSON(`, "sensitivity": 0.9`), 400, "unknown field"},
		{"no range", "POST", "/api/v1/backtest", viewerToken, `{"monitor": "shop"}`, 400, "from and to are required"},
		{"ends before it starts", "POST", "/api/v1/backtest", viewerToken, fmt.Sprintf(`{"monitor": "shop", "from": %q, "to": %q}`, now.Format(time.RFC3339), now.Add(-time.Hour).Format(time.RFC3339)), 400, "before it starts"},
		{"unknown monitor", "POST", "/api/v1/backtest", viewerToken, strings.Replace(tuningBodyJSON(""), `"shop"`, `"nope"`, 1), 404, "unknown monitor"},
		{"unknown series", "POST", "/api/v1/backtest", viewerToken, strings.Replace(tuningBodyJSON(""), "orders", "payments", 1), 400, "no series"},
		{"bad selector", "POST", "/api/v1/backtest", viewerToken, `{"monitor": "shop", "series": "{x=", "from": 1, "to": 2}`, 400, "selector"},
		{"sensitivity out of range", "POST", "/api/v1/backtest", viewerToken, tuningBodyJSON(`, "detector": {"sensitivity": 1.5}`), 400, "sensitivity"},
		{"unknown detector", "POST", "/api/v1/backtest", viewerToken, tuningBodyJSON(`, "detector": {"type": "magic"}`), 400, "unknown detector type"},
		{"bad duration", "POST", "/api/v1/backtest", viewerToken, tuningBodyJSON(`, "refit": "soon"`), 400, "malformed JSON"},
		{"sweep fields on a backtest", "POST", "/api/v1/backtest", viewerToken, tuningBodyJSON(`, "sensitivities": [0.5]`), 400, "belong to"},
		{"remote write needs a labeler", "POST", "/api/v1/backtest", viewerToken, tuningBodyJSON(`, "remote_write": true`), 403, "needs role labeler"},
		{"remote write not configured", "POST", "/api/v1/backtest", labelerToken, tuningBodyJSON(`, "remote_write": true`), 400, "not configured"},
		{"grid value out of range", "POST", "/api/v1/sweep", viewerToken, tuningBodyJSON(`, "sensitivities": [0, 0.5]`), 400, "not in (0, 1]"},
		{"negative budget", "POST", "/api/v1/sweep", viewerToken, tuningBodyJSON(`, "max_alerts_per_day": -1`), 400, "max_alerts_per_day"},
		{"oversized body", "POST", "/api/v1/sweep", viewerToken, tuningBodyJSON(`, "sensitivities": [` + strings.Repeat("0.5,", 300000) + `0.5]`), 413, "larger than"},
		{"recommend without monitor", "GET", "/api/v1/recommend", viewerToken, "", 400, "monitor is required"},
		{"recommend of auto", "GET", "/api/v1/recommend?monitor=shop&types=auto", viewerToken, "", 400, "cannot be ranked"},
		{"tuning of an unknown monitor", "GET", "/api/v1/monitors/nope/tuning", viewerToken, "", 404, "unknown monitor"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, b := ls.do(tc.method, tc.path, tc.token, tc.body)
			if code != tc.code || !strings.Contains(string(b), tc.msg) {
				t.Errorf("%d %s, want %d with %q", code, b, tc.code, tc.msg)
			}
		})
	}
}

func TestTuningAPI(t *testing.T) {
	ls := newLabelServer(t, true, "")
	get := func() engine.TuningView {
		code, b := ls.do("GET", "/api/v1/monitors/shop/tuning", viewerToken, "")
		if code != http.StatusOK {
			t.Fatalf("get tuning: %d %s", code, b)
		}
		return decodeData[engine.TuningView](t, b)
	}
	if v := get(); v.Saved != nil || v.Effective.Sensitivity != v.Configured.Sensitivity {
		t.Fatalf("before saving: %+v", v)
	}
	body := `{"detector": {"sensitivity": 0.9, "direction": "up", "persistence": {"k": 2, "n": 3}}, "note": "fewer pages"}`
	for _, tc := range []struct {
		name, token, body string
		code              int
	}{
		{"a viewer may not save", viewerToken, body, 403},
		{"no detector", labelerToken, `{"note": "x"}`, 400},
		{"an invalid setting", labelerToken, `{"detector": {"persistence": {"k": 4, "n": 2}}}`, 400},
		{"malformed", labelerToken, `{"detector": `, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, b := ls.do("PUT", "/api/v1/monitors/shop/tuning", tc.token, tc.body); code != tc.code {
				t.Errorf("%d %s, want %d", code, b, tc.code)
			}
			if v := get(); v.Saved != nil {
				t.Errorf("a rejected save was kept: %+v", v.Saved)
			}
		})
	}
	code, b := ls.do("PUT", "/api/v1/monitors/shop/tuning", labelerToken, body)
	if code != http.StatusOK {
		t.Fatalf("save: %d %s", code, b)
	}
	v := get()
	if v.Saved == nil || v.Saved.Author != "ana" || v.Saved.Note != "fewer pages" || v.Effective.Sensitivity != 0.9 ||
		v.Effective.Direction != "up" || v.Effective.Persistence.K != 2 || v.Configured.Direction != "both" {
		t.Fatalf("after saving: %+v", v)
	}
	var saved *store.AuditEntry
	for _, e := range ls.audit() {
		if e.Action == store.AuditTuningSave {
			saved = &e
		}
	}
	if saved == nil || saved.Actor != "ana" || saved.Target != "shop" {
		t.Errorf("audit of the save: %+v", saved)
	}
	// A backtest without a draft now tries the saved setting.
	code, b = ls.do("POST", "/api/v1/backtest", viewerToken, tuningBodyJSON(""))
	if code != http.StatusOK {
		t.Fatalf("backtest: %d %s", code, b)
	}
	if d := decodeData[engine.BacktestResult](t, b).Detector; d.Sensitivity != 0.9 || d.Direction != "up" {
		t.Errorf("backtest of the saved setting tried %+v", d)
	}
	if code, b := ls.do("DELETE", "/api/v1/monitors/shop/tuning", viewerToken, ""); code != 403 {
		t.Errorf("a viewer deleted: %d %s", code, b)
	}
	if code, b := ls.do("DELETE", "/api/v1/monitors/shop/tuning", labelerToken, ""); code != 200 {
		t.Errorf("delete: %d %s", code, b)
	}
	if code, b := ls.do("DELETE", "/api/v1/monitors/shop/tuning", labelerToken, ""); code != 404 {
		t.Errorf("delete again: %d %s", code, b)
	}
	if v := get(); v.Saved != nil {
		t.Errorf("after deleting: %+v", v)
	}
}

func TestTuningPageServed(t *testing.T) {
	ls := newLabelServer(t, true, "")
	for _, tc := range []struct{ path, contentType, contains string }{
		{"/tuning", "text/html", `<script src="/ui/tuning.js">`},
		{"/ui/tuning.js", "text/javascript", "/api/v1/sweep"},
		{"/ui/tuning.css", "text/css", "#chart"},
	} {
		req, _ := http.NewRequest("GET", ls.url+tc.path, nil)
		req.SetBasicAuth("", viewerToken) // what a browser sends after the prompt
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var sb strings.Builder
		_, _ = fmt.Fprint(&sb, resp.Header.Get("Content-Type"))
		buf := make([]byte, 1<<20)
		n, _ := resp.Body.Read(buf)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.contentType) {
			t.Errorf("%s: %d %s", tc.path, resp.StatusCode, sb.String())
		}
		if n == 0 {
			t.Errorf("%s: empty", tc.path)
		}
	}
	// No external resource: the page works offline.
	b, err := tuningFiles.ReadFile("ui/tuning.html")
	if err != nil {
		t.Fatal(err)
	}
	js, _ := tuningFiles.ReadFile("ui/tuning.js")
	for _, f := range [][]byte{b, js} {
		if strings.Contains(string(f), "http://") && !strings.Contains(string(f), "http://www.w3.org/2000/svg") || strings.Contains(string(f), "https://") {
			t.Errorf("the page refers to an external URL")
		}
	}
}

// FuzzBacktestBody feeds arbitrary bodies to the tuning API's JSON
// decoding: it must never panic, and what it accepts must be a range that
// does not end before it starts, for a named monitor.
func FuzzBacktestBody(f *testing.F) {
	f.Add([]byte(tuningBodyJSON(`, "detector": {"type": "robust", "sensitivity": 0.8, "persistence": {"k": 2, "n": 3}}`)))
	f.Add([]byte(`{"monitor": "m", "series": {"a": "b"}, "from": 1, "to": 2, "refit": "1d"}`))
	f.Add([]byte(`{"monitor": "m", "series": "{a=~\"x.*\"}", "from": "2026-01-01T00:00:00Z", "to": 1e10}`))
	f.Add([]byte(`{"series": null, "from": null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var body backtestBody
		if err := json.Unmarshal(data, &body); err != nil {
			return
		}
		req, err := body.request()
		if err != nil {
			return
		}
		if req.Monitor == "" || req.To.Before(req.From) || req.From.IsZero() {
			t.Errorf("accepted %s as %+v", data, req)
		}
	})
}
