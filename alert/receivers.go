package alert

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"github.com/seismo-dev/seismo/config/field"
)

// ReceiverConfig names a receiver and its integrations.
type ReceiverConfig struct {
	Name           string          `yaml:"name"`
	LogConfigs     []LogConfig     `yaml:"log_configs,omitempty"`
	WebhookConfigs []WebhookConfig `yaml:"webhook_configs,omitempty"`
}

// LogConfig writes notifications to the engine's log (the console).
type LogConfig struct {
	Level string `yaml:"level,omitempty"` // debug, info (default), warn or error
}

// WebhookConfig posts Alertmanager-compatible (version 4) JSON to a URL.
type WebhookConfig struct {
	URL          field.Secret   `yaml:"url"`
	MaxAlerts    int            `yaml:"max_alerts,omitempty"`    // 0 = all
	Timeout      field.Duration `yaml:"timeout,omitempty"`       // default 10s
	SendResolved *bool          `yaml:"send_resolved,omitempty"` // default true
}

// applyDefaults fills the unset fields of the receiver's integrations.
func (rc *ReceiverConfig) applyDefaults() {
	for j := range rc.LogConfigs {
		if rc.LogConfigs[j].Level == "" {
			rc.LogConfigs[j].Level = "info"
		}
	}
	for j := range rc.WebhookConfigs {
		w := &rc.WebhookConfigs[j]
		setDuration(&w.Timeout, DefaultWebhookTimeout)
		if w.SendResolved == nil {
			t := true
			w.SendResolved = &t
		}
	}
}

// validateReceivers checks the receivers and returns the index of each
// name, for the routes to refer to.
func validateReceivers(rcs []ReceiverConfig) (map[string]int, field.List) {
	var errs field.List
	names := make(map[string]int, len(rcs))
	for i, rc := range rcs {
		p := fmt.Sprintf("receivers[%d]", i)
		switch j, dup := names[rc.Name]; {
		case rc.Name == "":
			errs.Addf(p+".name", "a receiver needs a name")
		case dup:
			errs.Addf(p+".name", "receiver name %q is already used by receivers[%d]", rc.Name, j)
		default:
			names[rc.Name] = i
		}
		for j, lc := range rc.LogConfigs {
			if _, err := parseLevel(lc.Level); err != nil {
				errs.Add(fmt.Sprintf("%s.log_configs[%d].level", p, j), err)
			}
		}
		for j, wc := range rc.WebhookConfigs {
			errs.Add(fmt.Sprintf("%s.webhook_configs[%d]", p, j), wc.validate())
		}
	}

	return names, errs
}

func (w WebhookConfig) validate() error {
	var errs field.List
	raw := w.URL.Value()
	if raw == "" {
		raw = w.URL.Literal
	}
	switch {
	case w.URL.IsZero():
		errs.Addf("url", "a webhook needs a url")
	case raw == "":
		// An {env} or {file} secret not resolved yet (or empty): the
		// config loader reports resolution failures itself.
	default:
		if err := checkHTTPURL(raw); err != nil {
			errs.Add("url", err)
		}
	}
	if w.MaxAlerts < 0 {
		errs.Addf("max_alerts", "must not be negative (0 sends all alerts)")
	}
	if w.Timeout < 0 {
		errs.Addf("timeout", "must not be negative")
	}
	return errs.Err()
}

// checkHTTPURL checks that raw is an absolute http(s) URL. The URL may
// carry a token, so the error never repeats it.
func checkHTTPURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return errors.New("the URL scheme must be http or https")
	}
	if u.Host == "" {
		return errors.New("the URL has no host")
	}
	return nil
}

// parseLevel parses a log receiver's level.
func parseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "", "info":
		return slog.LevelInfo, nil
	case "debug":
		return slog.LevelDebug, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("unknown level %q (use debug, info, warn or error)", s)
}

// buildIntegrations returns the integrations of a receiver, in the order
// of its configuration.
func buildIntegrations(rc ReceiverConfig, opts Options, logger *slog.Logger) ([]integration, error) {
	var ints []integration
	for i, lc := range rc.LogConfigs {
		n, err := NewLogNotifier(lc, logger)
		if err != nil {
			return nil, fmt.Errorf("receiver %q: log_configs[%d]: %w", rc.Name, i, err)
		}
		ints = append(ints, integration{name: "log", index: i, sendResolved: true, notifier: n})
	}
	for i, wc := range rc.WebhookConfigs {
		n, err := NewWebhook(wc, opts.Client)
		if err != nil {
			return nil, fmt.Errorf("receiver %q: webhook_configs[%d]: %w", rc.Name, i, err)
		}
		ints = append(ints, integration{name: "webhook", index: i, sendResolved: wc.SendResolved == nil || *wc.SendResolved, notifier: n})
	}
	return ints, nil
}
