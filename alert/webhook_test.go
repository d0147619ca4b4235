package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/config/field"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// hook is a webhook endpoint that answers with the given statuses in turn
// (200 once they are used up) and records the requests.
type hook struct {
	mu       sync.Mutex
	statuses []int
	reqs     []hookRequest
}

type hookRequest struct {
	header http.Header
	body   []byte
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.reqs = append(h.reqs, hookRequest{header: r.Header.Clone(), body: body})
	status := http.StatusOK
	if len(h.statuses) > 0 {
		status, h.statuses = h.statuses[0], h.statuses[1:]
	}
	h.mu.Unlock()
	w.WriteHeader(status)
	io.WriteString(w, http.StatusText(status))
}

func (h *hook) requests() []hookRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookRequest(nil), h.reqs...)
}

func startHook(t *testing.T, statuses ...int) (*hook, *httptest.Server) {
	t.Helper()
	h := &hook{statuses: statuses}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return h, srv
}

func webhookConfig(url string) WebhookConfig {
	c := Config{Route: Route{Receiver: "r"}, Receivers: []ReceiverConfig{{Name: "r", WebhookConfigs: []WebhookConfig{{URL: literal(url)}}}}}
	c.ApplyDefaults()
	return c.Receivers[0].WebhookConfigs[0]
}

// fixedMessage is a message with fixed times, for the golden payload.
func fixedMessage() *Message {
	t0 := time.Date(2025, 3, 3, 9, 30, 0, 0, time.UTC)
	mk := func(name, channel string, resolved bool) *Alert {
		ls := labels.FromStrings("alertname", name, "channel", channel, "team", "accounts")
		a := &Alert{
			Labels:       ls,
			Annotations:  map[string]string{"summary": "openings are off", "value": "3", "expected": "40"},
			StartsAt:     t0,
			UpdatedAt:    t0.Add(time.Minute),
			GeneratorURL: "http://seismo.example/",
			Fingerprint:  FingerprintOf(ls),
		}
		if resolved {
			a.EndsAt = t0.Add(5 * time.Minute)
			a.Annotations["value"] = "39"
		}
		return a
	}
	alerts := []*Alert{mk("account_openings", "app", false), mk("account_openings", "branch", true), mk("account_openings", "web", false)}
	return newMessage("ops", `{}:{team="accounts"}`, labels.FromStrings("team", "accounts"), "http://seismo.example/", alerts)
}

func TestWebhookGoldenPayload(t *testing.T) {
	h, srv := startHook(t)
	w, err := NewWebhook(webhookConfig(srv.URL+"/hook"), srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	retry, err := w.Notify(t.Context(), fixedMessage())
	if err != nil || retry {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	reqs := h.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	if ct := reqs[0].header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if ua := reqs[0].header.Get("User-Agent"); !strings.HasPrefix(ua, "Seismo/") || len(ua) == len("Seismo/") {
		t.Errorf("User-Agent = %q, want Seismo/<version>", ua)
	}
	var got bytes.Buffer
	if err := json.Indent(&got, reqs[0].body, "", "  "); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, reqs[0].body)
	}
	got.WriteByte('\n')
	golden := filepath.Join("testdata", "webhook_payload.json")
	if *update {
		if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got.String() != string(want) {
		t.Errorf("payload differs from %s:\n%s", golden, got.String())
	}
}

func TestWebhookStatuses(t *testing.T) {
	tests := []struct {
		status    int
		wantErr   bool
		wantRetry bool
	}{
		{http.StatusOK, false, false},
		{http.StatusNoContent, false, false},
		{http.StatusBadRequest, true, false},
		{http.StatusUnauthorized, true, false},
		{http.StatusNotFound, true, false},
		{http.StatusTooManyRequests, true, true},
		{http.StatusInternalServerError, true, true},
		{http.StatusBadGateway, true, true},
		{http.StatusServiceUnavailable, true, true},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			_, srv := startHook(t, tt.status)
			w, err := NewWebhook(webhookConfig(srv.URL+"/hook/s3cr3t"), srv.Client())
			if err != nil {
				t.Fatal(err)
			}
			retry, err := w.Notify(t.Context(), fixedMessage())
			if (err != nil) != tt.wantErr || retry != tt.wantRetry {
				t.Fatalf("Notify = %v, %v; want retry=%v err=%v", retry, err, tt.wantRetry, tt.wantErr)
			}
			if err != nil && (!strings.Contains(err.Error(), http.StatusText(tt.status)) || strings.Contains(err.Error(), "s3cr3t")) {
				t.Errorf("error %q: want the status and not the URL", err)
			}
		})
	}
}

func TestWebhookTruncation(t *testing.T) {
	tests := []struct {
		max, wantAlerts, wantTruncated int
	}{{0, 3, 0}, {1, 1, 2}, {3, 3, 0}, {5, 3, 0}}
	for _, tt := range tests {
		cfg := webhookConfig("http://x")
		cfg.MaxAlerts = tt.max
		w, err := NewWebhook(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		p := w.Payload(fixedMessage())
		if len(p.Alerts) != tt.wantAlerts || p.TruncatedAlerts != tt.wantTruncated {
			t.Errorf("max_alerts %d: %d alerts, %d truncated; want %d, %d", tt.max, len(p.Alerts), p.TruncatedAlerts, tt.wantAlerts, tt.wantTruncated)
		}
	}
}

func TestWebhookNetworkErrors(t *testing.T) {
	t.Run("connection refused", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL + "/hook?token=s3cr3t"
		srv.Close()
		w, err := NewWebhook(webhookConfig(url), nil)
		if err != nil {
			t.Fatal(err)
		}
		retry, err := w.Notify(t.Context(), fixedMessage())
		if err == nil || !retry {
			t.Fatalf("Notify = %v, %v; want a retryable error", retry, err)
		}
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("error reveals the URL: %v", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}))
		defer srv.Close()
		defer close(release)
		cfg := webhookConfig(srv.URL)
		cfg.Timeout = field.Duration(50 * time.Millisecond)
		w, err := NewWebhook(cfg, srv.Client())
		if err != nil {
			t.Fatal(err)
		}
		retry, err := w.Notify(t.Context(), fixedMessage())
		if err == nil || !retry {
			t.Fatalf("Notify = %v, %v; want a retryable timeout", retry, err)
		}
	})
	t.Run("huge response body", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
			chunk := bytes.Repeat([]byte("x"), 1<<20)
			for range 64 { // 64 MiB, far more than is read
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}))
		defer srv.Close()
		w, err := NewWebhook(webhookConfig(srv.URL), srv.Client())
		if err != nil {
			t.Fatal(err)
		}
		retry, err := w.Notify(t.Context(), fixedMessage())
		if err == nil || !retry {
			t.Fatalf("Notify = %v, %v; want a retryable error", retry, err)
		}
		if len(err.Error()) > 2*maxErrorBody {
			t.Errorf("error quotes %d bytes of the body", len(err.Error()))
		}
	})
}

func TestNewWebhookRejectsBadURL(t *testing.T) {
	for _, u := range []string{"", "ftp://x", "http://", "::"} {
		if _, err := NewWebhook(WebhookConfig{URL: literal(u)}, nil); err == nil {
			t.Errorf("NewWebhook(%q) succeeded", u)
		}
	}
}

// webhookManager starts a Manager whose receiver posts to url, inside a
// synctest bubble. Keep-alives are off: an idle connection's reader would
// keep the bubble from ever being idle.
func webhookManager(t *testing.T, url string, sendResolved bool) (*Manager, func()) {
	t.Helper()
	cfg := testConfig()
	cfg.Receivers = []ReceiverConfig{{Name: "rec", WebhookConfigs: []WebhookConfig{{URL: literal(url), SendResolved: &sendResolved}}}}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	m, err := NewManager(cfg, Options{Logger: quietLogger, Client: client, ExternalURL: "http://seismo.example/"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := m.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	return m, func() { cancel(); <-done }
}

func decode(t *testing.T, r hookRequest) WebhookMessage {
	t.Helper()
	var p WebhookMessage
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("payload: %v", err)
	}
	return p
}

func TestManagerWebhookRetriesThenSucceeds(t *testing.T) {
	h, srv := startHook(t, http.StatusInternalServerError, http.StatusServiceUnavailable)
	synctest.Test(t, func(t *testing.T) {
		m, stop := webhookManager(t, srv.URL, true)
		defer stop()
		m.Fire(ev("a", "x", time.Now()))
		step(10 * time.Second) // group_wait
		step(time.Minute)      // enough for the backoff
		reqs := h.requests()
		if len(reqs) != 3 {
			t.Fatalf("%d requests, want 3 (two 5xx, then success)", len(reqs))
		}
		for i, r := range reqs {
			if !bytes.Equal(r.body, reqs[0].body) {
				t.Errorf("attempt %d sent a different body", i)
			}
		}
		p := decode(t, reqs[2])
		if p.Version != "4" || p.Status != "firing" || p.GroupKey != `{}:{team="x"}` || len(p.Alerts) != 1 || p.ExternalURL != "http://seismo.example/" {
			t.Errorf("payload %+v", p)
		}
		// Delivered: nothing more until it resolves by resolve_timeout
		// (5m after the event, at the tick of 5m10s).
		step(3 * time.Minute)
		if n := len(h.requests()); n != 3 {
			t.Errorf("%d requests after delivery, want 3", n)
		}
		step(time.Minute)
		reqs = h.requests()
		if len(reqs) != 4 || decode(t, reqs[3]).Status != "resolved" {
			t.Errorf("%d requests; want a 4th, resolved, after resolve_timeout", len(reqs))
		}
	})
}

func TestManagerWebhookNoRetryOn4xx(t *testing.T) {
	h, srv := startHook(t, http.StatusBadRequest)
	synctest.Test(t, func(t *testing.T) {
		m, stop := webhookManager(t, srv.URL, true)
		defer stop()
		m.Fire(ev("a", "x", time.Now()))
		step(10 * time.Second)
		step(time.Minute - time.Nanosecond)
		if n := len(h.requests()); n != 1 {
			t.Errorf("%d requests within one group interval, want 1 (400 is not retried)", n)
		}
	})
}

func TestManagerWebhookSendResolved(t *testing.T) {
	for _, sendResolved := range []bool{true, false} {
		t.Run(map[bool]string{true: "send_resolved", false: "no send_resolved"}[sendResolved], func(t *testing.T) {
			h, srv := startHook(t)
			synctest.Test(t, func(t *testing.T) {
				m, stop := webhookManager(t, srv.URL, sendResolved)
				defer stop()
				m.Fire(ev("a", "x", time.Now()), ev("b", "x", time.Now()))
				step(10 * time.Second)
				m.Resolve(labels.FromStrings("alertname", "a", "team", "x"))
				step(time.Minute)
				m.Resolve(labels.FromStrings("alertname", "b", "team", "x"))
				step(time.Minute)
				var got []string
				for _, r := range h.requests() {
					p := decode(t, r)
					s := p.Status + ":"
					for _, a := range p.Alerts {
						s += " " + a.Status + "/" + a.Labels["alertname"]
					}
					got = append(got, s)
				}
				want := []string{"firing: firing/a firing/b"}
				if sendResolved {
					want = append(want, "firing: resolved/a firing/b", "resolved: resolved/b")
				}
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("notifications:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
			})
		})
	}
}

func TestWebhookContextCanceled(t *testing.T) {
	_, srv := startHook(t)
	w, err := NewWebhook(webhookConfig(srv.URL), srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := w.Notify(ctx, fixedMessage()); err == nil {
		t.Error("Notify succeeded with a canceled context")
	}
}
