package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// WebhookMessage is the JSON body of a webhook notification: Alertmanager's
// webhook payload, version 4, so receivers written for Alertmanager work
// unchanged.
type WebhookMessage struct {
	Receiver          string            `json:"receiver"`
	Status            string            `json:"status"`
	Alerts            []WebhookAlert    `json:"alerts"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   int               `json:"truncatedAlerts"`
	// Escalation and EscalateAfter are Seismo's additions, present only
	// in a notification to a route's escalation receiver (escalate_to):
	// the firing alerts were not acknowledged within escalateAfter
	// ("30m"). Other notifications are exactly Alertmanager's payload.
	Escalation    bool   `json:"escalation,omitempty"`
	EscalateAfter string `json:"escalateAfter,omitempty"`
}

// WebhookAlert is one alert of a WebhookMessage.
type WebhookAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// maxResponseBody caps how much of a webhook's response is read: enough
// to reuse the connection for a normal reply, not enough to be a problem
// for a hostile one.
const maxResponseBody = 64 << 10

// maxErrorBody caps how much of a response body an error quotes.
const maxErrorBody = 512

// Webhook posts Alertmanager-compatible JSON to a URL.
type Webhook struct {
	url       string // a secret: never logged or put in errors
	maxAlerts int
	timeout   time.Duration
	client    *http.Client
	userAgent string
}

// NewWebhook returns the webhook integration of cfg (defaults applied,
// URL resolved). client nil means a default client.
func NewWebhook(cfg WebhookConfig, client *http.Client) (*Webhook, error) {
	u := cfg.URL.Value()
	if u == "" {
		u = cfg.URL.Literal
	}
	if err := checkHTTPURL(u); err != nil {
		return nil, fmt.Errorf("webhook url: %w", err)
	}
	if client == nil {
		client = &http.Client{}
	}
	timeout := cfg.Timeout.Std()
	if timeout <= 0 {
		timeout = DefaultWebhookTimeout
	}
	return &Webhook{url: u, maxAlerts: cfg.MaxAlerts, timeout: timeout, client: client, userAgent: userAgent()}, nil
}

// userAgent is "Seismo/<module version>".
func userAgent() string {
	v := "dev"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = strings.TrimPrefix(bi.Main.Version, "v")
	}
	return "Seismo/" + v
}

// Payload returns the body the webhook sends for m: at most max_alerts
// alerts, the rest counted in TruncatedAlerts.
func (w *Webhook) Payload(m *Message) *WebhookMessage {
	alerts := m.Alerts
	truncated := 0
	if w.maxAlerts > 0 && len(alerts) > w.maxAlerts {
		truncated = len(alerts) - w.maxAlerts
		alerts = alerts[:w.maxAlerts]
	}
	p := &WebhookMessage{
		Receiver:          m.Receiver,
		Status:            m.Status,
		Alerts:            make([]WebhookAlert, 0, len(alerts)),
		GroupLabels:       m.GroupLabels.Map(),
		CommonLabels:      m.CommonLabels.Map(),
		CommonAnnotations: nonNil(m.CommonAnnotations),
		ExternalURL:       m.ExternalURL,
		Version:           "4",
		GroupKey:          m.GroupKey,
		TruncatedAlerts:   truncated,
	}
	if m.Escalation {
		p.Escalation, p.EscalateAfter = true, model.Duration(m.EscalateAfter).String()
	}
	for _, a := range alerts {
		p.Alerts = append(p.Alerts, WebhookAlert{
			Status:       a.Status(),
			Labels:       a.Labels.Map(),
			Annotations:  nonNil(a.Annotations),
			StartsAt:     a.StartsAt,
			EndsAt:       a.EndsAt,
			GeneratorURL: a.GeneratorURL,
			Fingerprint:  a.Fingerprint.String(),
		})
	}
	return p
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// Notify posts m. Timeouts, network errors, 429 and 5xx are worth a
// retry; other non-2xx answers are not. The body of a 2xx answer is not
// read as anything: Alertmanager's webhook contract has none.
func (w *Webhook) Notify(ctx context.Context, m *Message) (retry bool, err error) {
	body, err := json.Marshal(w.Payload(m))
	if err != nil {
		return false, fmt.Errorf("webhook: encode payload: %w", err)
	}
	return sendParts(ctx, 1, func(ctx context.Context, _ int) (bool, error) {
		reply, err := postHTTP(ctx, w.client, w.timeout, w.url, "application/json", w.userAgent, body)
		if err != nil {
			return true, fmt.Errorf("webhook: %w", err)
		}
		if retry, err := reply.statusError(); err != nil {
			return retry, fmt.Errorf("webhook: %w", err)
		}
		return false, nil
	})
}

// httpReply is a receiver's answer: its status, headers and (a bounded
// part of) its body.
type httpReply struct {
	status int
	header http.Header
	body   []byte
}

// postHTTP posts body to rawURL within timeout. Errors never repeat the
// URL, which may hold a token; they are all worth a retry (the request
// may not have arrived).
func postHTTP(ctx context.Context, client *http.Client, timeout time.Duration, rawURL, contentType, userAgent string, body []byte) (*httpReply, error) {
	return doPost(ctx, client, timeout, rawURL, map[string]string{"Content-Type": contentType, "User-Agent": userAgent}, body)
}

// postHTTPAuth posts JSON with an Authorization header (if auth is set).
func postHTTPAuth(ctx context.Context, client *http.Client, timeout time.Duration, rawURL, auth, userAgent string, body []byte) (*httpReply, error) {
	h := map[string]string{"Content-Type": "application/json", "User-Agent": userAgent}
	if auth != "" {
		h["Authorization"] = auth
	}
	return doPost(ctx, client, timeout, rawURL, h, body)
}

// doPost posts body with the given headers; see postHTTP.
func doPost(ctx context.Context, client *http.Client, timeout time.Duration, rawURL string, headers map[string]string, body []byte) (*httpReply, error) {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return nil, errors.New("cannot build a request for the configured URL")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		// *url.Error repeats the URL, which may hold a token.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if strings.Contains(err.Error(), "malformed HTTP") {
			// Something that is not an HTTP server answered.
			err = fmt.Errorf("%w: %w", ErrBadResponse, err)
		}
		return nil, err
	}
	defer resp.Body.Close()
	// Read (a bounded part of) the body so the connection can be reused.
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	if err != nil {
		return nil, fmt.Errorf("status %s, reading the body: %w", resp.Status, err)
	}
	return &httpReply{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// statusError returns nil for a 2xx answer, and otherwise an error that
// quotes the status and the start of the body. 408, 429 and 5xx are worth
// a retry (429 after its Retry-After); other statuses are not.
func (r *httpReply) statusError() (retry bool, err error) {
	if r.status/100 == 2 {
		return false, nil
	}
	err = fmt.Errorf("unexpected status %d %s: %q", r.status, http.StatusText(r.status), r.quote())
	switch {
	case r.status == http.StatusTooManyRequests:
		return true, withRetryAfter(fmt.Errorf("%w: %w", ErrRateLimited, err), parseRetryAfter(r.header.Get("Retry-After"), time.Now()))
	case r.status/100 == 5:
		return true, fmt.Errorf("%w: %w", errServerError, err)
	case r.status == http.StatusRequestTimeout:
		return true, err
	}
	return false, err
}

// quote returns the start of the body, for errors.
func (r *httpReply) quote() string {
	return strings.TrimSpace(strings.ToValidUTF8(truncateBytes(string(r.body), maxErrorBody), "\uFFFD"))
}
