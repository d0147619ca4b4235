package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/store"
)

// fuzzHandler serves the labeling fixture in-process, open (no tokens)
// to loopback clients.
func fuzzHandler(f *testing.F) (http.Handler, *labelServer) {
	f.Helper()
	ls := newLabelServer(f, false, "")
	h := New(Options{Engine: ls.eng, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}).Handler()
	return h, ls
}

// serveBody sends one request to h as a loopback client.
func serveBody(h http.Handler, method, path, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.RemoteAddr = "127.0.0.1:40000"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// checkWrite is the invariant of every fuzzed write: a 2xx or a 4xx with
// a message, never a 5xx; after a 4xx, no label and no audit entry more.
func checkWrite(t *testing.T, ls *labelServer, rec *httptest.ResponseRecorder, before, beforeAudit int) {
	t.Helper()
	all, err := ls.eng.Store().Labels(context.Background(), store.LabelFilter{Limit: store.MaxLabelLimit})
	if err != nil {
		t.Fatal(err)
	}
	audit, err := ls.eng.Store().Audit(context.Background(), store.AuditFilter{Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case rec.Code >= 500:
		t.Fatalf("%d %s", rec.Code, rec.Body)
	case rec.Code >= 400:
		if len(all) != before || len(audit) != beforeAudit {
			t.Fatalf("%d %s, yet labels went from %d to %d and audit entries from %d to %d", rec.Code, rec.Body, before, len(all), beforeAudit, len(audit))
		}
		if !strings.Contains(rec.Body.String(), `"error":"`) {
			t.Fatalf("%d without an error message: %s", rec.Code, rec.Body)
		}
	default:
		for _, l := range all[before:] {
			if err := l.Validate(); err != nil {
				t.Fatalf("stored an invalid label %+v: %v", l, err)
			}
		}
	}
}

func counts(t *testing.T, ls *labelServer) (int, int) {
	t.Helper()
	all, err := ls.eng.Store().Labels(context.Background(), store.LabelFilter{Limit: store.MaxLabelLimit})
	if err != nil {
		t.Fatal(err)
	}
	audit, err := ls.eng.Store().Audit(context.Background(), store.AuditFilter{Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	return len(all), len(audit)
}

// FuzzLabelJSON posts arbitrary bodies to POST /api/v1/labels.
func FuzzLabelJSON(f *testing.F) {
	for _, s := range []string{
		`{"monitor":"shop","series":{"__name__":"orders","file":"shop"},"from":"2026-03-10T09:00:00Z","to":"2026-03-10T10:00:00Z","kind":"anomaly"}`,
		`{"monitor":"shop","series":"{__name__=\"refunds\",file=\"shop\"}","time":1773133200,"kind":"noise","note":"n"}`,
		`{"monitor":"shop","series":{},"from":1773133200.5,"kind":"normal"}`,
		`{"monitor":"shop","series":{},"from":"2026-03-10T10:00:00Z","to":"2026-03-10T09:00:00Z","kind":"anomaly"}`,
		`{"monitor":"shop","series":null,"time":-1e300,"kind":"noise"}`,
		`[]`, `{`, `null`, `{"series":{"a":1}}`,
	} {
		f.Add(s)
	}
	h, ls := fuzzHandler(f)
	f.Fuzz(func(t *testing.T, body string) {
		n, na := counts(t, ls)
		rec := serveBody(h, "POST", "/api/v1/labels", body)
		checkWrite(t, ls, rec, n, na)
	})
}

// FuzzLabelPatch patches one label with arbitrary bodies.
func FuzzLabelPatch(f *testing.F) {
	for _, s := range []string{`{"kind":"noise"}`, `{"time":1773133200}`, `{"from":"2026-03-10T11:00:00Z"}`, `{"series":{}}`, `{"monitor":"x"}`, `{"note":""}`, `{"to":0}`} {
		f.Add(s)
	}
	h, ls := fuzzHandler(f)
	rec := serveBody(h, "POST", "/api/v1/labels", `{"monitor":"shop","series":{},"from":"2026-03-10T09:00:00Z","to":"2026-03-10T10:00:00Z","kind":"anomaly"}`)
	if rec.Code != http.StatusCreated {
		f.Fatalf("seed label: %d %s", rec.Code, rec.Body)
	}
	f.Fuzz(func(t *testing.T, body string) {
		n, na := counts(t, ls)
		rec := serveBody(h, "PATCH", "/api/v1/labels/1", body)
		checkWrite(t, ls, rec, n, na)
		if l, err := ls.eng.Store().Label(context.Background(), 1); err != nil || l.Validate() != nil {
			t.Fatalf("label 1 after the patch: %+v, %v", l, err)
		}
	})
}

// FuzzLabelImport imports arbitrary bodies in each format.
func FuzzLabelImport(f *testing.F) {
	f.Add("csv", "series,from,to,kind\n\"{__name__=\"\"orders\"\",file=\"\"shop\"\"}\",2026-03-10T09:00:00Z,,noise\n")
	f.Add("json", `[{"monitor":"shop","series":{},"time":1773133200,"kind":"noise"}]`)
	f.Add("nab", `{"a.csv":[["2026-03-10 09:00:00.000000","2026-03-10 10:00:00.000000"],"2026-03-10 11:00:00.000000"]}`)
	f.Add("csv", "series,time\n{},x\n")
	f.Add("nab", `{"a.csv":[[1,2]]}`)
	f.Add(" ", "0")
	h, ls := fuzzHandler(f)
	f.Fuzz(func(t *testing.T, format, body string) {
		n, na := counts(t, ls)
		rec := serveBody(h, "POST", "/api/v1/labels/import?monitor=shop&series=%7B%7D&format="+url.QueryEscape(format), body)
		checkWrite(t, ls, rec, n, na)
	})
}

// FuzzAnnotationJSON posts arbitrary bodies to POST /api/annotations.
func FuzzAnnotationJSON(f *testing.F) {
	for _, s := range []string{
		`{"time":1773133200000,"timeEnd":1773136800000,"tags":["monitor:shop","seismo:noise","series:{}"],"text":"deploy"}`,
		`{"time":1773133200000,"tags":["monitor:shop","__name__:orders","file:shop"]}`,
		`{"time":0,"tags":["monitor:shop","series:{a=\"b\"}"]}`,
		`{"tags":[":"]}`, `{"time":-9223372036854775808,"tags":["monitor:shop","series:"]}`,
		`{"time":-62135596800001,"tags":["monitor:shop","series:{}"]}`,
	} {
		f.Add(s)
	}
	h, ls := fuzzHandler(f)
	f.Fuzz(func(t *testing.T, body string) {
		n, na := counts(t, ls)
		rec := serveBody(h, "POST", "/api/annotations", body)
		checkWrite(t, ls, rec, n, na)
	})
}

// FuzzParseSeries: any string either fails or names a label set that
// reads back the same from its own notation.
func FuzzParseSeries(f *testing.F) {
	for _, s := range []string{`{}`, `orders{file="shop"}`, `{"a":"b"}`, `{"0":""}`, `{"0":"x"}`, `{a="b",c=""}`, `{a=~"x"}`, `{__name__="x"}`, `x`, `{a:"b"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ls, err := parseSeries(s)
		if err != nil {
			return
		}
		again, err := parseSeries(ls.String())
		if err != nil {
			t.Fatalf("%q parsed to %s, which does not parse: %v", s, ls, err)
		}
		if !labels.Equal(ls, again) {
			t.Fatalf("%q parsed to %s, which reads back as %s", s, ls, again)
		}
	})
}
