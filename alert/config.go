package alert

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/seismo-dev/seismo/config/field"
)

// Config is the alerting section: a root route and its receivers. The full
// routing tree, inhibition, silences and time intervals come later; the
// shape already follows Alertmanager's so that configs keep working.
type Config struct {
	ResolveTimeout field.Duration   `yaml:"resolve_timeout,omitempty"` // resolve an alert not seen for this long (default 5m)
	Route          Route            `yaml:"route"`
	Receivers      []ReceiverConfig `yaml:"receivers"`
}

// Route picks the receiver for alerts. Only the root route exists for now.
type Route struct {
	Receiver       string         `yaml:"receiver"`
	GroupBy        []string       `yaml:"group_by,omitempty"`
	GroupWait      field.Duration `yaml:"group_wait,omitempty"`      // default 10s
	GroupInterval  field.Duration `yaml:"group_interval,omitempty"`  // default 1m
	RepeatInterval field.Duration `yaml:"repeat_interval,omitempty"` // default 4h
}

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

// Defaults of the alerting configuration, the same as Alertmanager's.
const (
	DefaultResolveTimeout = 5 * time.Minute
	DefaultGroupWait      = 10 * time.Second
	DefaultGroupInterval  = time.Minute
	DefaultRepeatInterval = 4 * time.Hour
	DefaultWebhookTimeout = 10 * time.Second
	// DefaultReceiver is the receiver added when none is configured: it
	// writes notifications to the console, so a first run shows its alerts.
	DefaultReceiver = "console"
)

// GroupByAll, as the only group_by entry, groups by every label: each
// alert is its own group.
const GroupByAll = "..."

// ApplyDefaults fills unset fields. With no receivers it adds a "console"
// receiver that logs, and points the root route at it if it names none.
func (c *Config) ApplyDefaults() {
	setDuration(&c.ResolveTimeout, DefaultResolveTimeout)
	r := &c.Route
	setDuration(&r.GroupWait, DefaultGroupWait)
	setDuration(&r.GroupInterval, DefaultGroupInterval)
	setDuration(&r.RepeatInterval, DefaultRepeatInterval)
	if len(c.Receivers) == 0 {
		c.Receivers = []ReceiverConfig{{Name: DefaultReceiver, LogConfigs: []LogConfig{{}}}}
		if r.Receiver == "" {
			r.Receiver = DefaultReceiver
		}
	}
	for i := range c.Receivers {
		rc := &c.Receivers[i]
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
}

func setDuration(d *field.Duration, def time.Duration) {
	if *d == 0 {
		*d = field.Duration(def)
	}
}

// legacyLabelName is the classic Prometheus label name syntax. group_by
// keeps to it so that group keys read the same in Alertmanager.
var legacyLabelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// Validate checks the configuration; errors are a field.List with paths
// relative to the alerting section ("route.receiver", "receivers[1].name").
// Webhook URLs are secrets: they are checked once resolved (or as written,
// when literal), and never quoted in errors.
func (c Config) Validate() error {
	var errs field.List
	if c.ResolveTimeout < 0 {
		errs.Addf("resolve_timeout", "must not be negative")
	}

	names := make(map[string]int, len(c.Receivers))
	for i, rc := range c.Receivers {
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

	r := c.Route
	switch _, ok := names[r.Receiver]; {
	case r.Receiver == "":
		errs.Addf("route.receiver", "the root route needs a receiver")
	case !ok:
		errs.Addf("route.receiver", "undefined receiver %q", r.Receiver)
	}
	seen := make(map[string]bool, len(r.GroupBy))
	for i, name := range r.GroupBy {
		p := fmt.Sprintf("route.group_by[%d]", i)
		switch {
		case name == GroupByAll && len(r.GroupBy) > 1:
			errs.Addf(p, "%q groups by all labels and cannot be combined with other label names", GroupByAll)
		case name == GroupByAll:
		case !legacyLabelName.MatchString(name):
			errs.Addf(p, "invalid label name %q", name)
		case seen[name]:
			errs.Addf(p, "duplicate label name %q", name)
		}
		seen[name] = true
	}
	if r.GroupWait < 0 {
		errs.Addf("route.group_wait", "must not be negative")
	}
	if r.GroupInterval < 0 {
		errs.Addf("route.group_interval", "must not be negative")
	}
	if r.RepeatInterval < 0 {
		errs.Addf("route.repeat_interval", "must not be negative")
	}
	return errs.Err()
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
