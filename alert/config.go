package alert

import (
	"fmt"
	"regexp"
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
		c.Receivers[i].applyDefaults()
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

	names, rerrs := validateReceivers(c.Receivers)
	errs = append(errs, rerrs...)

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
