package alert

import "github.com/seismo-dev/seismo/config/field"

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
	Level string `yaml:"level,omitempty"` // info (default) or warn
}

// WebhookConfig posts Alertmanager-compatible (version 4) JSON to a URL.
type WebhookConfig struct {
	URL          field.Secret   `yaml:"url"`
	MaxAlerts    int            `yaml:"max_alerts,omitempty"`    // 0 = all
	Timeout      field.Duration `yaml:"timeout,omitempty"`       // default 10s
	SendResolved *bool          `yaml:"send_resolved,omitempty"` // default true
}
