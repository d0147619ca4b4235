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
// retry; other non-2xx answers are not.
func (w *Webhook) Notify(ctx context.Context, m *Message) (retry bool, err error) {
	body, err := json.Marshal(w.Payload(m))
	if err != nil {
		return false, fmt.Errorf("webhook: encode payload: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return false, errors.New("webhook: cannot build request for the configured URL")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", w.userAgent)
	resp, err := w.client.Do(req)
	if err != nil {
		// *url.Error repeats the URL, which may hold a token.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return true, fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	// Read (a bounded part of) the body so the connection can be reused.
	b, readErr := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	if resp.StatusCode/100 == 2 {
		return false, nil
	}
	msg := strings.TrimSpace(string(b[:min(len(b), maxErrorBody)]))
	if readErr != nil {
		msg = "(reading the body failed: " + readErr.Error() + ")"
	}
	err = fmt.Errorf("webhook: unexpected status %s: %q", resp.Status, msg)
	return resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode/100 == 5, err
}
