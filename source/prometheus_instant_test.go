package source

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/prometheus/model/labels"
)

// instantServer is a real HTTP server speaking /api/v1/query: it answers
// with reply(query, n) where n counts the requests from 1.
func instantServer(t *testing.T, reply func(w http.ResponseWriter, query string, at string, n int64)) *httptest.Server {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/query" {
			http.NotFound(w, r)
			return
		}
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		reply(w, r.Form.Get("query"), r.Form.Get("time"), n.Add(1))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func writeResult(w http.ResponseWriter, typ string, result any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{ //nolint:errcheck // the client reports a broken body
		"status": "success",
		"data":   map[string]any{"resultType": typ, "result": result},
	})
}

func TestPromQueryInstant(t *testing.T) {
	at := time.Unix(1_700_000_000, 0).UTC()
	var gotTime atomic.Value
	srv := instantServer(t, func(w http.ResponseWriter, query, ts string, n int64) {
		gotTime.Store(ts)
		switch query {
		case "up == 0":
			writeResult(w, "vector", []map[string]any{
				{"metric": map[string]string{"job": "b", "__name__": "up"}, "value": []any{1_700_000_000, "0"}},
				{"metric": map[string]string{"job": "a", "__name__": "up"}, "value": []any{1_700_000_000, "0"}},
			})
		case "empty":
			writeResult(w, "vector", []any{})
		case "scalar(1)":
			writeResult(w, "scalar", []any{1_700_000_000, "1"})
		case "up[5m]":
			writeResult(w, "matrix", []any{})
		case `"text"`:
			writeResult(w, "string", []any{1_700_000_000, "text"})
		}
	})
	src, _ := openProm(t, Config{URL: srv.URL})
	ctx := context.Background()

	got, err := src.QueryInstant(ctx, "up == 0", at)
	if err != nil {
		t.Fatal(err)
	}
	want := []Sample{
		{Labels: labels.FromStrings("__name__", "up", "job", "a"), T: at, V: 0},
		{Labels: labels.FromStrings("__name__", "up", "job", "b"), T: at, V: 0},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(labels.Equal)); diff != "" {
		t.Errorf("vector (-want +got):\n%s", diff)
	}
	if ts := gotTime.Load().(string); ts != "1700000000" && ts != "1700000000.000" {
		t.Errorf("time sent = %q, want the instant in unix seconds", ts)
	}

	if got, err := src.QueryInstant(ctx, "empty", at); err != nil || len(got) != 0 {
		t.Errorf("empty vector: %v, %v", got, err)
	}
	got, err = src.QueryInstant(ctx, "scalar(1)", at)
	if err != nil || len(got) != 1 || got[0].Labels.Len() != 0 || got[0].V != 1 {
		t.Errorf("scalar: %v, %v; want one sample without labels", got, err)
	}
	// client_golang itself refuses string results; either way the error
	// names the type.
	for q, msg := range map[string]string{"up[5m]": "result is a matrix, want an instant vector or a scalar", `"text"`: `"string"`} {
		_, err := src.QueryInstant(ctx, q, at)
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: err = %v, want one containing %q", q, err, msg)
		}
	}
	if _, err := src.QueryInstant(ctx, "up", time.Time{}); err == nil {
		t.Error("a zero time was accepted")
	}
}

func TestPromQueryInstantErrors(t *testing.T) {
	at := time.Unix(1_700_000_000, 0)
	t.Run("bad query is not retried", func(t *testing.T) {
		var calls atomic.Int64
		srv := instantServer(t, func(w http.ResponseWriter, query, _ string, n int64) {
			calls.Store(n)
			writeAPIError(w, http.StatusBadRequest, "bad_data", `1:5: parse error: unexpected end of input`)
		})
		src, _ := openProm(t, Config{URL: srv.URL, Retries: 3})
		_, err := src.QueryInstant(context.Background(), "sum(", at)
		if err == nil || !strings.Contains(err.Error(), "unexpected end of input") || !strings.Contains(err.Error(), `query "sum("`) {
			t.Errorf("err = %v, want the server's message and the query", err)
		}
		if calls.Load() != 1 {
			t.Errorf("%d requests, want 1", calls.Load())
		}
	})
	t.Run("server error is retried", func(t *testing.T) {
		srv := instantServer(t, func(w http.ResponseWriter, query, _ string, n int64) {
			if n < 3 {
				writeAPIError(w, http.StatusServiceUnavailable, "unavailable", "overloaded")
				return
			}
			writeResult(w, "vector", []any{})
		})
		src, _ := openProm(t, Config{URL: srv.URL, Retries: 3})
		if _, err := src.QueryInstant(context.Background(), "up", at); err != nil {
			t.Errorf("after two 503s: %v", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		release := make(chan struct{})
		srv := instantServer(t, func(w http.ResponseWriter, query, _ string, n int64) {
			<-release
		})
		defer close(release)
		src, _ := openProm(t, Config{URL: srv.URL, Retries: -1})
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := src.QueryInstant(ctx, "up", at)
		if err == nil || !strings.Contains(err.Error(), "deadline exceeded") {
			t.Errorf("err = %v, want a deadline error", err)
		}
	})
}
