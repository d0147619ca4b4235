package alert

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/seismo-dev/seismo/config/field"
)

// deliveryManager returns a Manager (not running) whose only receiver is
// rc, with its metrics on a registry of their own.
func deliveryManager(t *testing.T, rc ReceiverConfig) *Manager {
	t.Helper()
	m, _ := deliveryManagerReg(t, rc)
	return m
}

func deliveryManagerReg(t *testing.T, rc ReceiverConfig) (*Manager, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	cfg := Config{Route: Route{Receiver: rc.Name}, Receivers: []ReceiverConfig{rc}}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	m, err := NewManager(cfg, Options{Logger: quietLogger, Registerer: reg, Client: client})
	if err != nil {
		t.Fatal(err)
	}
	return m, reg
}

func counterValue(t *testing.T, c *prometheus.CounterVec, lvs ...string) float64 {
	t.Helper()
	return testutil.ToFloat64(c.WithLabelValues(lvs...))
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 3, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"7", 7 * time.Second},
		{" 120 ", 2 * time.Minute},
		{"0", 0},
		{"-5", 0},
		{"soon", 0},
		{"1.5", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"99999999999", maxRetryAfter},
		{now.Add(48 * time.Hour).Format(http.TimeFormat), maxRetryAfter},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func webhookReceiver(url string, edit func(*WebhookConfig)) ReceiverConfig {
	c := WebhookConfig{URL: literal(url)}
	if edit != nil {
		edit(&c)
	}
	return ReceiverConfig{Name: "ops", WebhookConfigs: []WebhookConfig{c}}
}

// statusHook answers each request with the next of its replies (status
// and Retry-After), then 200.
type statusHook struct {
	mu      sync.Mutex
	replies []hookReply
	n       int
}

type hookReply struct {
	status     int
	retryAfter string
}

func (h *statusHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.n++
	rep := hookReply{status: http.StatusOK}
	if len(h.replies) > 0 {
		rep, h.replies = h.replies[0], h.replies[1:]
	}
	h.mu.Unlock()
	if rep.retryAfter != "" {
		w.Header().Set("Retry-After", rep.retryAfter)
	}
	w.WriteHeader(rep.status)
}

func (h *statusHook) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

func TestSendHonoursRetryAfter(t *testing.T) {
	h := &statusHook{replies: []hookReply{{http.StatusTooManyRequests, "7"}}}
	srv := httptest.NewServer(h)
	defer srv.Close()
	synctest.Test(t, func(t *testing.T) {
		m := deliveryManager(t, webhookReceiver(srv.URL, nil))
		in := m.receivers["ops"][0]
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		done := make(chan sendResult)
		go func() { done <- m.send(ctx, in, fixedMessage()) }()
		step(6 * time.Second) // the backoff alone (0.5s) would have tried again by now
		if n := h.count(); n != 1 {
			t.Fatalf("%d requests within the Retry-After of 7s, want 1", n)
		}
		step(time.Second)
		res := <-done
		if res.Status != NotificationSent || res.Attempts != 2 || h.count() != 2 {
			t.Errorf("send = %+v after %d requests; want sent on the 2nd", res, h.count())
		}
		if got := counterValue(t, m.metrics.errors, "webhook", reasonRateLimited); got != 1 {
			t.Errorf("rate_limited errors = %v, want 1", got)
		}
		if got := counterValue(t, m.metrics.retried, "webhook"); got != 1 {
			t.Errorf("retried = %v, want 1", got)
		}
	})
}

func TestSendRetryAfterBeyondTheFlush(t *testing.T) {
	h := &statusHook{replies: []hookReply{{http.StatusTooManyRequests, "120"}}}
	srv := httptest.NewServer(h)
	defer srv.Close()
	synctest.Test(t, func(t *testing.T) {
		m := deliveryManager(t, webhookReceiver(srv.URL, nil))
		in := m.receivers["ops"][0]
		flush := func() sendResult {
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			return m.send(ctx, in, fixedMessage())
		}
		start := time.Now()
		res := flush()
		if res.Status != NotificationFailed || res.Attempts != 1 || !errors.Is(res.Err, ErrRateLimited) {
			t.Fatalf("send = %+v; want failed after one attempt, rate limited", res)
		}
		if waited := time.Since(start); waited != 0 {
			t.Errorf("send slept %v for a turn past its deadline", waited)
		}
		// A flush 30s later cannot reach the end of the receiver's 120s
		// within its minute: it makes no request.
		time.Sleep(30 * time.Second)
		res = flush()
		if res.Status != NotificationFailed || res.Attempts != 0 || h.count() != 1 {
			t.Errorf("second flush = %+v, %d requests; want held back without a request", res, h.count())
		}
		// Past the pause, it goes out.
		time.Sleep(90 * time.Second)
		if res = flush(); res.Status != NotificationSent || h.count() != 2 {
			t.Errorf("third flush = %+v, %d requests; want sent", res, h.count())
		}
		if got := counterValue(t, m.metrics.rateLimited, "webhook"); got != 1 {
			t.Errorf("rate-limited waits = %v, want 1 (the held-back flush)", got)
		}
	})
}

func TestSendDropsRejected(t *testing.T) {
	h := &statusHook{replies: []hookReply{{http.StatusBadRequest, ""}}}
	srv := httptest.NewServer(h)
	defer srv.Close()
	m := deliveryManager(t, webhookReceiver(srv.URL, nil))
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	res := m.send(ctx, m.receivers["ops"][0], fixedMessage())
	if res.Status != NotificationDropped || res.Attempts != 1 || h.count() != 1 || !strings.Contains(res.Error(), "400") {
		t.Errorf("send = %+v; want dropped after one attempt with the 400", res)
	}
	if got := counterValue(t, m.metrics.dropped, "webhook"); got != 1 {
		t.Errorf("dropped = %v", got)
	}
	if got := counterValue(t, m.metrics.errors, "webhook", reasonRejected); got != 1 {
		t.Errorf("rejected errors = %v", got)
	}
}

// TestSendCutsAHangingReceiver: a receiver that accepts the request and
// never answers is cut by the integration's timeout, retried, and the
// delivery ends (failed) with the flush.
func TestSendCutsAHangingReceiver(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	m := deliveryManager(t, webhookReceiver(srv.URL, func(c *WebhookConfig) { c.Timeout = field.Duration(100 * time.Millisecond) }))
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	res := m.send(ctx, m.receivers["ops"][0], fixedMessage())
	if res.Status != NotificationFailed || res.Attempts < 2 {
		t.Errorf("send = %+v; want failed after several timed-out attempts", res)
	}
	if got := counterValue(t, m.metrics.errors, "webhook", reasonTimeout); got < 2 {
		t.Errorf("timeout errors = %v, want ≥ 2", got)
	}
}

// garbageServer answers every connection with bytes that are not HTTP.
func garbageServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				br.ReadString('\n') //nolint:errcheck // read a little, then answer nonsense
				fmt.Fprint(c, "SSH-2.0-OpenSSH_9.6\r\nProtocol mismatch.\r\n\r\n")
			}()
		}
	}()
	return "http://" + l.Addr().String() + "/hook"
}

func TestSendGarbageIsABadResponse(t *testing.T) {
	m := deliveryManager(t, webhookReceiver(garbageServer(t), nil))
	ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond)
	defer cancel()
	res := m.send(ctx, m.receivers["ops"][0], fixedMessage())
	if res.Status != NotificationFailed || !errors.Is(res.Err, ErrBadResponse) {
		t.Errorf("send = %+v; want failed with a bad response", res)
	}
	if got := counterValue(t, m.metrics.errors, "webhook", reasonBadResponse); got < 1 {
		t.Errorf("bad_response errors = %v", got)
	}
}

// flakyNotifier fails with the given errors in turn, then succeeds, and
// records when it was called.
type flakyNotifier struct {
	errs  []error
	calls []time.Time
}

func (f *flakyNotifier) Notify(ctx context.Context, _ *Message) (bool, error) {
	return sendParts(ctx, 1, func(context.Context, int) (bool, error) {
		f.calls = append(f.calls, time.Now())
		if len(f.calls) <= len(f.errs) {
			return true, f.errs[len(f.calls)-1]
		}
		return false, nil
	})
}

func TestSendBackoffIsExponential(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := deliveryManager(t, webhookReceiver("http://unused.test/", nil))
		f := &flakyNotifier{errs: []error{errServerError, errServerError, errServerError, errServerError}}
		in := integration{name: "webhook", notifier: f}
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		res := m.send(ctx, in, fixedMessage())
		if res.Status != NotificationSent || res.Attempts != 5 {
			t.Fatalf("send = %+v", res)
		}
		// Gaps grow about ×1.5 from 0.5s, each within backoff's ±50%
		// randomisation.
		lo, hi := 250*time.Millisecond, 750*time.Millisecond
		for i := 1; i < len(f.calls); i++ {
			gap := f.calls[i].Sub(f.calls[i-1])
			if gap < lo || gap > hi {
				t.Errorf("gap %d = %v, want within [%v, %v]", i, gap, lo, hi)
			}
			lo, hi = lo*3/2, hi*3/2
		}
	})
}

func TestSendUnderTheRateLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := deliveryManager(t, webhookReceiver("http://unused.test/", nil))
		f := &flakyNotifier{}
		// 4 a minute: a bucket of 1, refilled at 3 a minute (every 20s).
		in := integration{name: "webhook", notifier: f, limiter: newLimiter(RateLimit{N: 4, Per: time.Minute})}
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
		defer cancel()
		for range 4 {
			if res := m.send(ctx, in, fixedMessage()); res.Status != NotificationSent {
				t.Fatalf("send = %+v", res)
			}
		}
		start := f.calls[0]
		var at []string
		for _, c := range f.calls {
			at = append(at, c.Sub(start).String())
		}
		if got := strings.Join(at, " "); got != "0s 20s 40s 1m0s" {
			t.Errorf("sent at %s, want every 20s", got)
		}
		if got := counterValue(t, m.metrics.rateLimited, "webhook"); got != 3 {
			t.Errorf("rate-limited waits = %v, want 3", got)
		}
		if got := counterValue(t, m.metrics.rateLimitWait, "webhook"); got != 60 {
			t.Errorf("seconds waited = %v, want 60", got)
		}
	})
}
