package server

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/engine"
	"github.com/seismo-dev/seismo/store"
)

// Tokens of the labeling tests' server, one per role.
var (
	adminToken   = strings.Repeat("a", 40)
	labelerToken = strings.Repeat("b", 40)
	viewerToken  = strings.Repeat("c", 40)
	otherToken   = strings.Repeat("d", 40) // a second labeler
)

// Series of the fixture (a CSV source labels each column with the file).
const (
	ordersSel  = `{__name__="orders",file="shop"}`
	refundsSel = `{__name__="refunds",file="shop"}`
)

type labelServer struct {
	t   testing.TB
	url string
	eng *engine.Engine
}

// newLabelServer serves an engine over a CSV of two daily waves with one
// spike each, its monitor run once. With auth, four tokens are
// configured (admin, labeler "ana", viewer, labeler "bob"); serverYAML is
// added under server:.
func newLabelServer(t testing.TB, auth bool, serverYAML string) *labelServer {
	t.Helper()
	dir := t.TempDir()
	writeShopCSV(t, dir)
	srv := ""
	if auth {
		t.Setenv("SEISMO_TEST_ADMIN", adminToken)
		t.Setenv("SEISMO_TEST_LABELER", labelerToken)
		t.Setenv("SEISMO_TEST_VIEWER", viewerToken)
		t.Setenv("SEISMO_TEST_OTHER", otherToken)
		srv = `
  tokens:
    - {name: root, role: admin, token: {env: SEISMO_TEST_ADMIN}}
    - {name: ana, role: labeler, token: {env: SEISMO_TEST_LABELER}}
    - {name: grafana, role: viewer, token: {env: SEISMO_TEST_VIEWER}}
    - {name: bob, role: labeler, token: {env: SEISMO_TEST_OTHER}}`
	}
	yaml := fmt.Sprintf(`
global:
  store: {dsn: %q}
sources:
  shop: {type: csv, path: shop.csv}
monitors:
  - name: shop
    schedule: "@every 1h"
    query: {source: shop, expr: "*", step: 10m, history: 3d, backfill: 12h}
    baseline: {seasonality: daily, bucket: 1h}
server:%s
%s`, filepath.Join(dir, "seismo.db"), srv, serverYAML)
	if !auth && serverYAML == "" {
		yaml = strings.Replace(yaml, "server:\n", "", 1)
	}
	eng := newTestEngine(t, dir, yaml, func() time.Time { return now })
	if _, err := eng.RunOnce(context.Background(), "shop"); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(New(Options{Engine: eng, Version: "test", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}).Handler())
	t.Cleanup(hs.Close)
	return &labelServer{t: t, url: hs.URL, eng: eng}
}

// do sends a request with token (none when "") and returns the status and
// the body.
func (ls *labelServer) do(method, path, token, body string) (int, []byte) {
	ls.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, ls.url+path, rd)
	if err != nil {
		ls.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ls.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		ls.t.Fatal(err)
	}
	return resp.StatusCode, b
}

// labels returns every stored label: what the tests check "nothing
// written" against.
func (ls *labelServer) labels() []store.Label {
	ls.t.Helper()
	all, err := ls.eng.Store().Labels(context.Background(), store.LabelFilter{Source: store.SourceHuman})
	if err != nil {
		ls.t.Fatal(err)
	}
	return all
}

func (ls *labelServer) audit() []store.AuditEntry {
	ls.t.Helper()
	all, err := ls.eng.Store().Audit(context.Background(), store.AuditFilter{Limit: store.MaxLimit})
	if err != nil {
		ls.t.Fatal(err)
	}
	return all
}

// decodeLabel reads {"data":{"label":...}}.
func decodeLabel(t *testing.T, b []byte) store.Label {
	t.Helper()
	var resp struct {
		Data struct {
			Label store.Label `json:"label"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &resp); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return resp.Data.Label
}

func labelBody(from, to time.Time, kind string) string {
	return fmt.Sprintf(`{"monitor":"shop","series":%q,"from":%q,"to":%q,"kind":%q,"note":"checked with ops"}`,
		ordersSel, from.Format(time.RFC3339), to.Format(time.RFC3339), kind)
}

func TestLabelsLifecycle(t *testing.T) {
	ls := newLabelServer(t, true, "")
	spike := now.Add(-3 * time.Hour)

	code, body := ls.do("POST", "/api/v1/labels", labelerToken, labelBody(spike.Add(-10*time.Minute), spike.Add(10*time.Minute), "anomaly"))
	if code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, body)
	}
	l := decodeLabel(t, body)
	if l.ID == 0 || l.Author != "ana" || l.Source != store.SourceHuman || l.Status != store.StatusConfirmed || !labels.Equal(l.Series, mustSeries(t, ordersSel)) {
		t.Fatalf("created %+v", l)
	}
	// A point given as time, the series as a JSON object.
	code, body = ls.do("POST", "/api/v1/labels", labelerToken, fmt.Sprintf(`{"monitor":"shop","series":{"__name__":"refunds","file":"shop"},"time":%d,"kind":"noise"}`, now.Add(-5*time.Hour).Unix()))
	if code != http.StatusCreated {
		t.Fatalf("create point: %d %s", code, body)
	}
	point := decodeLabel(t, body)
	if !point.From.Equal(point.To) || !point.From.Equal(now.Add(-5*time.Hour)) {
		t.Errorf("point label %v..%v", point.From, point.To)
	}

	code, body = ls.do("GET", fmt.Sprintf("/api/v1/labels/%d", l.ID), viewerToken, "")
	if code != 200 || decodeLabel(t, body).Note != "checked with ops" {
		t.Errorf("get: %d %s", code, body)
	}
	code, body = ls.do("GET", "/api/v1/labels?monitor=shop&kind=noise", viewerToken, "")
	if code != 200 || !strings.Contains(string(body), `"kind":"noise"`) || strings.Contains(string(body), `"kind":"anomaly"`) {
		t.Errorf("list noise: %d %s", code, body)
	}
	code, body = ls.do("GET", "/api/v1/labels?series="+urlq(ordersSel), viewerToken, "")
	if code != 200 || strings.Count(string(body), `"id":`) != 1 {
		t.Errorf("list by series: %d %s", code, body)
	}

	code, body = ls.do("PATCH", fmt.Sprintf("/api/v1/labels/%d", l.ID), labelerToken, `{"kind":"normal","note":"a promotion"}`)
	if code != 200 {
		t.Fatalf("patch: %d %s", code, body)
	}
	if p := decodeLabel(t, body); p.Kind != store.LabelNormal || p.Note != "a promotion" || !p.From.Equal(l.From) {
		t.Errorf("patched %+v", p)
	}
	code, body = ls.do("PUT", fmt.Sprintf("/api/v1/labels/%d", l.ID), labelerToken, labelBody(spike, spike, "anomaly"))
	if code != 200 || !decodeLabel(t, body).To.Equal(spike) {
		t.Errorf("put: %d %s", code, body)
	}
	// bob may not change ana's label; an admin may.
	if code, body = ls.do("DELETE", fmt.Sprintf("/api/v1/labels/%d", l.ID), otherToken, ""); code != http.StatusForbidden || !strings.Contains(errorOf(body), "only its author or an admin") {
		t.Errorf("bob deletes ana's label: %d %s", code, body)
	}
	if code, body = ls.do("DELETE", fmt.Sprintf("/api/v1/labels/%d", l.ID), adminToken, ""); code != http.StatusNoContent {
		t.Errorf("admin deletes: %d %s", code, body)
	}
	if code, _ = ls.do("GET", fmt.Sprintf("/api/v1/labels/%d", l.ID), viewerToken, ""); code != http.StatusNotFound {
		t.Errorf("deleted label: %d, want 404", code)
	}

	// The audit log has every change with its actor; only admins read it.
	code, body = ls.do("GET", "/api/v1/audit", adminToken, "")
	if code != 200 {
		t.Fatalf("audit: %d %s", code, body)
	}
	var audit struct {
		Data struct {
			Entries []store.AuditEntry `json:"entries"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &audit); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range audit.Data.Entries {
		got = append(got, e.Actor+" "+e.Action)
	}
	want := "root label.delete,ana label.update,ana label.update,ana label.create,ana label.create"
	if strings.Join(got, ",") != want {
		t.Errorf("audit = %v, want %s", got, want)
	}
	if code, _ = ls.do("GET", "/api/v1/audit", labelerToken, ""); code != http.StatusForbidden {
		t.Errorf("labeler reads the audit log: %d, want 403", code)
	}
}

// errorOf returns the error message of an API error body (or the body).
func errorOf(body []byte) string {
	var e apiResponse
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		return e.Error
	}
	return string(body)
}

func urlq(s string) string {
	r := strings.NewReplacer("{", "%7B", "}", "%7D", `"`, "%22", "=", "%3D", ",", "%2C", " ", "%20")
	return r.Replace(s)
}

// TestLabelsBadInput: every malformed or invalid request gets a 4xx with
// a message that says what is wrong, and nothing is written.
func TestLabelsBadInput(t *testing.T) {
	ls := newLabelServer(t, true, "")
	at := now.Add(-2 * time.Hour)
	good := labelBody(at, at.Add(time.Hour), "anomaly")
	tests := []struct {
		name, method, path, token, body string
		code                            int
		msg                             string
	}{
		{"malformed JSON", "POST", "/api/v1/labels", labelerToken, `{"monitor": "shop",`, 400, "malformed JSON body"},
		{"two values", "POST", "/api/v1/labels", labelerToken, good + good, 400, "data after the first value"},
		{"unknown field", "POST", "/api/v1/labels", labelerToken, `{"monitor":"shop","series":{},"time":1,"kind":"noise","colour":"red"}`, 400, `unknown field "colour"`},
		{"end before start", "POST", "/api/v1/labels", labelerToken, labelBody(at, at.Add(-time.Hour), "anomaly"), 400, "before it starts"},
		{"unknown kind", "POST", "/api/v1/labels", labelerToken, labelBody(at, at, "weird"), 400, `unknown kind "weird"`},
		{"unknown monitor", "POST", "/api/v1/labels", labelerToken, strings.Replace(good, `"shop"`, `"nope"`, 1), 400, `unknown monitor "nope" (monitors: shop)`},
		{"unknown series", "POST", "/api/v1/labels", labelerToken, strings.Replace(good, "orders", "returns", 1), 400, "unknown series"},
		{"no series", "POST", "/api/v1/labels", labelerToken, `{"monitor":"shop","time":1772000000,"kind":"noise"}`, 400, "series is required"},
		{"bad series", "POST", "/api/v1/labels", labelerToken, `{"monitor":"shop","series":"{a=~\"x\"}","time":1772000000,"kind":"noise"}`, 400, "equalities only"},
		{"bad time", "POST", "/api/v1/labels", labelerToken, `{"monitor":"shop","series":{},"time":"yesterday","kind":"noise"}`, 400, "invalid time"},
		{"time and range", "POST", "/api/v1/labels", labelerToken, `{"monitor":"shop","series":{},"time":1772000000,"from":1772000000,"kind":"noise"}`, 400, "not both"},
		{"author not you", "POST", "/api/v1/labels", labelerToken, strings.Replace(good, `"kind"`, `"author":"bob","kind"`, 1), 400, "only an admin may record labels for someone else"},
		{"oversized body", "POST", "/api/v1/labels", labelerToken, `{"note":"` + strings.Repeat("x", 2<<20) + `"}`, 413, "larger than 1048576 bytes"},
		{"no token", "POST", "/api/v1/labels", "", good, 401, "missing token"},
		{"wrong token", "POST", "/api/v1/labels", strings.Repeat("z", 40), good, 401, "invalid token"},
		{"viewer writes", "POST", "/api/v1/labels", viewerToken, good, 403, `token "grafana" has role viewer; POST /api/v1/labels needs labeler`},
		{"labeler makes a token", "POST", "/api/v1/tokens", labelerToken, `{"name":"x","role":"admin"}`, 403, "needs admin"},
		{"bad id", "GET", "/api/v1/labels/abc", viewerToken, "", 400, "not a positive integer"},
		{"missing id", "PATCH", "/api/v1/labels/999", labelerToken, `{"kind":"noise"}`, 404, "label 999: not found"},
		{"bad filter", "GET", "/api/v1/labels?from=2026-03-10T00:00:00Z&to=2026-03-09T00:00:00Z", viewerToken, "", 400, "to is before from"},
		{"bad import format", "POST", "/api/v1/labels/import?format=xml", labelerToken, "<x/>", 400, `unknown format "xml"`},
		{"import bad row", "POST", "/api/v1/labels/import?format=json", labelerToken, "[" + good + "," + labelBody(at, at.Add(-time.Hour), "anomaly") + "]", 400, "row 2: invalid label: range ends"},
		{"nab unmapped file", "POST", "/api/v1/labels/import?format=nab&monitor=shop", labelerToken, `{"a.csv":[["2026-03-10 01:00:00.000000","2026-03-10 02:00:00.000000"]],"b.csv":[]}`, 400, `file "a.csv" has no series`},
		{"confirm a human label", "POST", "/api/v1/labels/1/confirm", labelerToken, "", 404, "not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := ls.do(tc.method, tc.path, tc.token, tc.body)
			if code != tc.code || !strings.Contains(errorOf(body), tc.msg) {
				t.Errorf("%d %s, want %d containing %q", code, body, tc.code, tc.msg)
			}
			if n := len(ls.labels()); n != 0 {
				t.Errorf("%d labels written", n)
			}
			if n := len(ls.audit()); n != 0 {
				t.Errorf("%d audit entries written", n)
			}
		})
	}
}

func TestReviewProposals(t *testing.T) {
	ls := newLabelServer(t, true, "")
	ctx := context.Background()
	at := now.Add(-3 * time.Hour)
	auto, err := ls.eng.Store().CreateLabels(ctx, "seismo", []store.Label{
		{Monitor: "shop", Series: mustSeries(t, ordersSel), From: at, To: at, Kind: store.LabelNoise, Source: store.SourceAuto, Author: "seismo"},
		{Monitor: "shop", Series: mustSeries(t, ordersSel), From: at, To: at, Kind: store.LabelNoise, Source: store.SourceAuto, Author: "seismo"},
	})
	if err != nil {
		t.Fatal(err)
	}
	gen := ls.eng.Generation("shop")
	code, body := ls.do("POST", fmt.Sprintf("/api/v1/labels/%d/confirm", auto[0].ID), labelerToken, "")
	if code != 200 || decodeLabel(t, body).Status != store.StatusConfirmed {
		t.Fatalf("confirm: %d %s", code, body)
	}
	if ls.eng.Generation("shop") == gen {
		t.Error("confirming did not tell the engine")
	}
	if code, body = ls.do("POST", fmt.Sprintf("/api/v1/labels/%d/reject", auto[1].ID), otherToken, ""); code != 200 || decodeLabel(t, body).Status != store.StatusRejected {
		t.Fatalf("reject: %d %s", code, body)
	}
	if code, _ = ls.do("POST", fmt.Sprintf("/api/v1/labels/%d/confirm", auto[1].ID), viewerToken, ""); code != http.StatusForbidden {
		t.Errorf("viewer confirms: %d", code)
	}
	code, body = ls.do("POST", "/api/v1/labels", labelerToken, labelBody(at, at, "anomaly"))
	if code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, body)
	}
	human := decodeLabel(t, body)
	if code, body = ls.do("POST", fmt.Sprintf("/api/v1/labels/%d/confirm", human.ID), labelerToken, ""); code != http.StatusConflict || !strings.Contains(errorOf(body), "made by a person") {
		t.Errorf("confirm a human label: %d %s", code, body)
	}
	entries := ls.audit()
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Actor+" "+e.Action)
	}
	if !strings.Contains(strings.Join(actions, ","), "bob label.reject,ana label.confirm") {
		t.Errorf("audit %v lacks the review", actions)
	}
}

func mustSeries(t *testing.T, s string) labels.Labels {
	t.Helper()
	ls, err := parseSeries(s)
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

func TestImportExport(t *testing.T) {
	ls := newLabelServer(t, true, "")
	var csvBuf strings.Builder
	cw := csv.NewWriter(&csvBuf)
	_ = cw.WriteAll([][]string{
		{"series", "from", "to", "kind", "note"},
		{ordersSel, "2026-03-10T09:00:00Z", "2026-03-10T09:30:00Z", "anomaly", "spike, confirmed"},
		{refundsSel, "2026-03-10T07:00:00Z", "", "noise", ""},
	})
	csvBody := csvBuf.String()
	code, body := ls.do("POST", "/api/v1/labels/import?format=csv&monitor=shop", labelerToken, csvBody)
	if code != http.StatusCreated || !strings.Contains(string(body), `"imported":2`) {
		t.Fatalf("csv import: %d %s", code, body)
	}
	nab := `{"realKnownCause/shop.csv": [["2026-03-10 10:00:00.000000", "2026-03-10 10:40:00.000000"]]}`
	code, body = ls.do("POST", "/api/v1/labels/import?format=nab&monitor=shop&series="+urlq(ordersSel), labelerToken, nab)
	if code != http.StatusCreated {
		t.Fatalf("nab import: %d %s", code, body)
	}
	jsonBody := `[{"monitor":"shop","series":{},"from":"2026-03-09T02:00:00Z","to":"2026-03-09T03:00:00Z","kind":"noise","note":"maintenance"}]`
	if code, body = ls.do("POST", "/api/v1/labels/import?format=json", labelerToken, jsonBody); code != http.StatusCreated {
		t.Fatalf("json import: %d %s", code, body)
	}
	all := ls.labels()
	if len(all) != 4 || all[0].Note != "spike, confirmed" || !all[1].From.Equal(all[1].To) || all[2].Note != "NAB realKnownCause/shop.csv" || !all[3].Series.IsEmpty() {
		t.Fatalf("imported %+v", all)
	}

	code, body = ls.do("GET", "/api/v1/labels/export?format=nab&key=label:__name__", viewerToken, "")
	want := `{"orders":[["2026-03-10 09:00:00.000000","2026-03-10 09:30:00.000000"],["2026-03-10 10:00:00.000000","2026-03-10 10:40:00.000000"]]}`
	if code != 200 || strings.TrimSpace(string(body)) != want {
		t.Errorf("nab export: %d %s\nwant %s", code, body, want)
	}
	code, csvOut := ls.do("GET", "/api/v1/labels/export?format=csv", viewerToken, "")
	if code != 200 || !strings.HasPrefix(string(csvOut), strings.Join(csvHeader, ",")+"\n") || strings.Count(string(csvOut), "\n") != 5 {
		t.Fatalf("csv export: %d %s", code, csvOut)
	}
	// What an export wrote, an import reads back: round trip into a
	// second server.
	other := newLabelServer(t, true, "")
	if code, body = other.do("POST", "/api/v1/labels/import?format=csv", adminToken, string(csvOut)); code != http.StatusCreated {
		t.Fatalf("re-import: %d %s", code, body)
	}
	again := other.labels()
	for i := range all {
		a, b := all[i], again[i]
		if a.Monitor != b.Monitor || a.Series.String() != b.Series.String() || !a.From.Equal(b.From) || !a.To.Equal(b.To) || a.Kind != b.Kind || a.Note != b.Note || a.Author != b.Author {
			t.Errorf("label %d after the round trip: %+v, was %+v", i, b, a)
		}
	}
}

// TestOpenServerIsLoopbackOnly: without tokens the API is open, to
// loopback clients only, and refuses to listen elsewhere.
func TestOpenServerIsLoopbackOnly(t *testing.T) {
	ls := newLabelServer(t, false, "")
	code, body := ls.do("POST", "/api/v1/labels", "", labelBody(now.Add(-time.Hour), now, "anomaly"))
	if code != http.StatusCreated || decodeLabel(t, body).Author != Anonymous {
		t.Fatalf("open server: %d %s", code, body)
	}
	s := New(Options{Engine: ls.eng, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/api/v1/labels", nil)
	req.RemoteAddr = "10.1.2.3:5555"
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "loopback clients only") {
		t.Errorf("remote client on an open server: %d %s", rec.Code, rec.Body)
	}
	if err := s.checkListen(&net.TCPAddr{IP: net.ParseIP("0.0.0.0")}); err == nil || !strings.Contains(err.Error(), "refusing to serve an API without tokens") {
		t.Errorf("open server on 0.0.0.0: %v", err)
	}
	if err := s.checkListen(&net.TCPAddr{IP: net.ParseIP("127.0.0.1")}); err != nil {
		t.Errorf("open server on loopback: %v", err)
	}
	// Health and metrics stay open whatever the client.
	req = httptest.NewRequest("GET", "/healthz", nil)
	req.RemoteAddr = "10.1.2.3:5555"
	rec = httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Errorf("healthz from a remote client: %d", rec.Code)
	}
}

func TestTokensAPI(t *testing.T) {
	ls := newLabelServer(t, true, "")
	code, body := ls.do("POST", "/api/v1/tokens", adminToken, `{"name":"ci","role":"labeler"}`)
	if code != http.StatusCreated {
		t.Fatalf("create token: %d %s", code, body)
	}
	var created struct {
		Data struct {
			Token tokenJSON `json:"token"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &created); err != nil {
		t.Fatal(err)
	}
	secret := created.Data.Token.Token
	if len(secret) != 64 {
		t.Fatalf("token secret %q: want 64 hex digits", secret)
	}
	// It works at once, with its role.
	if code, body = ls.do("POST", "/api/v1/labels", secret, labelBody(now.Add(-time.Hour), now, "anomaly")); code != http.StatusCreated || decodeLabel(t, body).Author != "ci" {
		t.Errorf("label with the new token: %d %s", code, body)
	}
	// Listing shows no secret.
	code, body = ls.do("GET", "/api/v1/tokens", adminToken, "")
	if code != 200 || strings.Contains(string(body), secret) || strings.Contains(string(body), adminToken) || !strings.Contains(string(body), `"name":"ci"`) {
		t.Errorf("list tokens: %d %s", code, body)
	}
	if code, body = ls.do("POST", "/api/v1/tokens", adminToken, `{"name":"root","role":"viewer"}`); code != http.StatusConflict {
		t.Errorf("token named like a configured one: %d %s", code, body)
	}
	if code, body = ls.do("POST", "/api/v1/tokens", adminToken, `{"name":"x","role":"superuser"}`); code != http.StatusBadRequest || !strings.Contains(errorOf(body), "unknown role") {
		t.Errorf("bad role: %d %s", code, body)
	}
	if code, _ = ls.do("DELETE", "/api/v1/tokens/ci", adminToken, ""); code != http.StatusNoContent {
		t.Errorf("delete token: %d", code)
	}
	if code, _ = ls.do("GET", "/api/v1/labels", secret, ""); code != http.StatusUnauthorized {
		t.Errorf("deleted token still works: %d", code)
	}
	// Basic authentication with the token as password also works (browsers).
	req, _ := http.NewRequest("GET", ls.url+"/api/v1/labels", nil)
	req.SetBasicAuth("anyone", viewerToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("basic auth: %d", resp.StatusCode)
	}
	resp, err = http.Get(ls.url + "/api/v1/labels")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Values("WWW-Authenticate"); resp.StatusCode != 401 || len(got) != 2 {
		t.Errorf("401 without a challenge: %d %v", resp.StatusCode, got)
	}
}

func TestBodyLimitConfigurable(t *testing.T) {
	ls := newLabelServer(t, false, "  max_body_bytes: 2048")
	big := `[` + strings.Repeat(labelBody(now.Add(-time.Hour), now, "anomaly")+",", 30) + labelBody(now.Add(-time.Hour), now, "anomaly") + `]`
	code, body := ls.do("POST", "/api/v1/labels/import", "", big)
	if code != http.StatusRequestEntityTooLarge || !strings.Contains(errorOf(body), "larger than 2048 bytes") {
		t.Errorf("import over the configured cap: %d %s", code, body)
	}
	if n := len(ls.labels()); n != 0 {
		t.Errorf("%d labels written", n)
	}
}
