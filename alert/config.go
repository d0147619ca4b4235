package alert

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/seismo-dev/seismo/config/field"
)

// Config is the alerting section. Its shape is Alertmanager's, so that an
// Alertmanager configuration — global block, templates, route,
// inhibit_rules, time_intervals and receivers — can be pasted in
// unchanged; Seismo adds escalation to routes and keeps silences and the
// notification log in its own store.
type Config struct {
	// Global holds Alertmanager's global defaults (SMTP, Slack, HTTP
	// client, resolve_timeout) that integrations inherit.
	Global GlobalConfig `yaml:"global,omitempty"`
	// Templates are files of Go templates (globs, relative to the config
	// file's folder) whose {{ define }} blocks receivers' title, text and
	// html fields may call, as Alertmanager's templates.
	Templates      []string         `yaml:"templates,omitempty"`
	ResolveTimeout field.Duration   `yaml:"resolve_timeout,omitempty"` // resolve an alert not seen for this long (default 5m; also global.resolve_timeout)
	Route          Route            `yaml:"route"`
	Receivers      []ReceiverConfig `yaml:"receivers"`
	// InhibitRules mute alerts while others fire (a critical alert
	// inhibiting the warnings of the same service).
	InhibitRules []InhibitRule `yaml:"inhibit_rules,omitempty"`
	// TimeIntervals are named periods that routes mute in, or are only
	// active in.
	TimeIntervals []TimeIntervalConfig `yaml:"time_intervals,omitempty"`
	// MuteTimeIntervals is Alertmanager's deprecated name for
	// time_intervals, still accepted; both share one namespace.
	MuteTimeIntervals []TimeIntervalConfig `yaml:"mute_time_intervals,omitempty"`
	// SilenceRetention is how long expired silences are kept, listed as
	// expired, before they are deleted (default 5d, as Alertmanager).
	SilenceRetention field.Duration `yaml:"silence_retention,omitempty"`
	// NotificationRetention is how long the notification history
	// (GET /api/v1/notifications) keeps a delivery record before the
	// Manager deletes it (default 14d; 0 means the default, negative is an
	// error). The notification log that deduplicates is not concerned: it
	// lives as long as its group.
	NotificationRetention field.Duration `yaml:"notification_retention,omitempty"`

	// Calendars names time intervals defined outside this section — the
	// engine's trading calendars — that routes may use in
	// mute_time_intervals and active_time_intervals. It is not read from
	// YAML: the config loader fills it from the calendars section, and
	// NewManager adds the names of Options.Calendars.
	Calendars []string `yaml:"-"`
}

// Route is a node of the routing tree, as in Alertmanager. An alert
// enters at the root, which matches everything, and descends into the
// first child whose matchers it matches (and into later children too
// while the matching ones have continue set); the deepest matching routes
// notify. A child inherits receiver, group_by, group_wait, group_interval,
// repeat_interval, escalate_after and escalate_to from its parent unless
// it sets them; matchers, continue and time intervals are its own.
type Route struct {
	Receiver string   `yaml:"receiver,omitempty"`
	GroupBy  []string `yaml:"group_by,omitempty"` // label names; ["..."] groups by all labels
	Continue bool     `yaml:"continue,omitempty"` // after matching, try the next siblings too
	// Matchers must all match, in Alertmanager's syntax: `severity="critical"`,
	// `service=~"pay|card"`, several per entry as `{a="b",c!="d"}`.
	Matchers []string `yaml:"matchers,omitempty"`
	// Match and MatchRE are Alertmanager's deprecated equality and regex
	// matchers, label name to value, still accepted.
	Match   map[string]string `yaml:"match,omitempty"`
	MatchRE map[string]string `yaml:"match_re,omitempty"`

	GroupWait      field.Duration `yaml:"group_wait,omitempty"`      // default 10s; first notification of a new group
	GroupInterval  field.Duration `yaml:"group_interval,omitempty"`  // default 1m; between notifications of a changed group
	RepeatInterval field.Duration `yaml:"repeat_interval,omitempty"` // default 4h; before repeating an unchanged one

	// MuteTimeIntervals name time intervals (or calendars) in which the
	// route sends nothing; ActiveTimeIntervals, the only ones in which it
	// sends. Alerts wait in their groups meanwhile.
	MuteTimeIntervals   []string `yaml:"mute_time_intervals,omitempty"`
	ActiveTimeIntervals []string `yaml:"active_time_intervals,omitempty"`

	// EscalateAfter and EscalateTo (a receiver) escalate: an alert of this
	// route still firing and not acknowledged EscalateAfter after it
	// started is also sent to EscalateTo, then repeated on the route's
	// repeat_interval until it is acknowledged or resolves. A Seismo
	// extension; Alertmanager has no acknowledgements. Children inherit
	// both, key by key, like the timers; an explicit "escalate_after: 0s"
	// in YAML switches escalation off for the route and the routes below
	// it (they turn it on again by setting both keys).
	EscalateAfter field.Duration `yaml:"escalate_after,omitempty"`
	EscalateTo    string         `yaml:"escalate_to,omitempty"`

	Routes []Route `yaml:"routes,omitempty"`

	// explicit records which durations the YAML set, so that a child's
	// explicit "group_wait: 0s" or "escalate_after: 0s" is not mistaken
	// for "inherit". In Go, a zero duration inherits.
	explicit durationSet
	// decodeErrs are the problems of the YAML it was decoded from.
	decodeErrs []routeDecodeError
}

// durationSet is a set of a Route's duration fields.
type durationSet uint8

const (
	setGroupWait durationSet = 1 << iota
	setGroupInterval
	setRepeatInterval
	setEscalateAfter
)

// routeFields maps the YAML keys of a Route to its fields, from the
// struct tags.
var routeFields = func() map[string]int {
	keys := map[string]int{}
	t := reflect.TypeFor[Route]()
	for i := range t.NumField() {
		if tag := t.Field(i).Tag.Get("yaml"); tag != "" && tag != "-" {
			name, _, _ := strings.Cut(tag, ",")
			keys[name] = i
		}
	}
	return keys
}()

// routeDecodeError is a problem found while decoding a route's key; it is
// reported by Validate, with the key's path.
type routeDecodeError struct {
	key string
	msg string
}

// lineRE is the line prefix of yaml.v3's messages.
var lineRE = regexp.MustCompile(`^line \d+: `)

// UnmarshalYAML decodes a route key by key, noting which durations are
// written. A custom unmarshaler does not inherit the decoder's
// KnownFields, and a failing one makes yaml.v3 drop the route from its
// list — shifting the paths of every later sibling in error messages —
// so unknown keys and undecodable values are kept on the route instead,
// and Validate reports them with their field paths (the config loader
// adds file and line).
func (r *Route) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: cannot unmarshal %s `%s` into alert.Route", n.Line, n.ShortTag(), n.Value)}}
	}
	*r = Route{}
	v := reflect.ValueOf(r).Elem()
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if line, dup := seen[k.Value]; dup {
			r.decodeErrs = append(r.decodeErrs, routeDecodeError{k.Value, fmt.Sprintf("key %q already defined at line %d", k.Value, line)})
			continue
		}
		seen[k.Value] = k.Line
		idx, ok := routeFields[k.Value]
		if !ok {
			r.decodeErrs = append(r.decodeErrs, routeDecodeError{k.Value, fmt.Sprintf("unknown field %q", k.Value)})
			continue
		}
		if val.ShortTag() == "!!null" {
			continue // as if absent: inherited or default
		}
		if err := val.Decode(v.Field(idx).Addr().Interface()); err != nil {
			var te *yaml.TypeError
			if !errors.As(err, &te) {
				r.decodeErrs = append(r.decodeErrs, routeDecodeError{k.Value, err.Error()})
				continue
			}
			for _, msg := range te.Errors {
				r.decodeErrs = append(r.decodeErrs, routeDecodeError{k.Value, lineRE.ReplaceAllString(msg, "")})
			}
			if k.Value != "routes" {
				continue // the routes that decoded are kept
			}
		}
		switch k.Value {
		case "group_wait":
			r.explicit |= setGroupWait
		case "group_interval":
			r.explicit |= setGroupInterval
		case "repeat_interval":
			r.explicit |= setRepeatInterval
		case "escalate_after":
			r.explicit |= setEscalateAfter
		}
	}
	return nil
}

// InhibitRule mutes the alerts matching the target matchers while an
// alert matching the source matchers fires with the same values of the
// equal labels (both absent counts as the same). An alert that matches
// both sides is not inhibited by other alerts that do, so that a rule
// cannot silence every member of a group.
type InhibitRule struct {
	// Name labels the rule for people (newer Alertmanagers have it);
	// Seismo does not use it.
	Name           string   `yaml:"name,omitempty"`
	SourceMatchers []string `yaml:"source_matchers,omitempty"`
	TargetMatchers []string `yaml:"target_matchers,omitempty"`
	Equal          []string `yaml:"equal,omitempty"`
	// Alertmanager's deprecated forms, label name to value (or regex).
	SourceMatch   map[string]string `yaml:"source_match,omitempty"`
	SourceMatchRE map[string]string `yaml:"source_match_re,omitempty"`
	TargetMatch   map[string]string `yaml:"target_match,omitempty"`
	TargetMatchRE map[string]string `yaml:"target_match_re,omitempty"`
}

// Defaults of the alerting configuration. resolve_timeout and
// repeat_interval are Alertmanager's; group_wait and group_interval are
// shorter than its 30s and 5m, because Seismo's events already come from
// scheduled evaluations rather than from scrapes that need settling.
const (
	DefaultResolveTimeout   = 5 * time.Minute
	DefaultGroupWait        = 10 * time.Second
	DefaultGroupInterval    = time.Minute
	DefaultRepeatInterval   = 4 * time.Hour
	DefaultWebhookTimeout   = 10 * time.Second
	DefaultSilenceRetention = 5 * 24 * time.Hour
	// DefaultNotificationRetention keeps two weeks of delivery records:
	// enough for the review of an incident and of the last two on-call
	// weeks (a long public holiday included), while a noisy receiver
	// cannot grow the table without bound. An audit that needs longer
	// sets notification_retention; a record is a few hundred bytes.
	DefaultNotificationRetention = 14 * 24 * time.Hour
	// DefaultReceiver is the receiver added when none is configured: it
	// writes notifications to the console, so a first run shows its alerts.
	DefaultReceiver = "console"
)

// GroupByAll, as the only group_by entry, groups by every label: each
// alert is its own group.
const GroupByAll = "..."

// ApplyDefaults fills unset fields: integrations' settings from the
// global block first, as Alertmanager does (secrets excepted: see
// Secrets), then Seismo's defaults. Alertmanager's *_file keys become
// {file: ...} secrets. With no receivers it adds a "console" receiver
// that logs, and points the root route at it if it names none. Child
// routes are left as written: they inherit from their parents when the
// tree is compiled. It may be called more than once.
func (c *Config) ApplyDefaults() {
	c.Global.applyDefaults()
	if c.ResolveTimeout == 0 {
		c.ResolveTimeout = c.Global.ResolveTimeout
	}
	setDuration(&c.ResolveTimeout, DefaultResolveTimeout)
	setDuration(&c.SilenceRetention, DefaultSilenceRetention)
	setDuration(&c.NotificationRetention, DefaultNotificationRetention)
	r := &c.Route
	if r.explicit&setGroupWait == 0 {
		setDuration(&r.GroupWait, DefaultGroupWait)
	}
	setDuration(&r.GroupInterval, DefaultGroupInterval)
	setDuration(&r.RepeatInterval, DefaultRepeatInterval)
	if len(c.Receivers) == 0 {
		c.Receivers = []ReceiverConfig{{Name: DefaultReceiver, LogConfigs: []LogConfig{{}}}}
		if r.Receiver == "" {
			r.Receiver = DefaultReceiver
		}
	}
	for i := range c.Receivers {
		c.Receivers[i].applyDefaults(&c.Global)
	}
}

// ResolvePaths makes the relative file paths of the section relative to
// dir, the config file's folder: the template globs and the TLS files of
// e-mail, smtp_tls_config and http_config. Secrets' files are not
// concerned: the config loader resolves them with the same base. Call it
// once, after ApplyDefaults.
func (c *Config) ResolvePaths(dir string) {
	for i, t := range c.Templates {
		c.Templates[i] = joinDir(dir, t)
	}
	g := &c.Global
	if g.SMTPTLSConfig != nil {
		g.SMTPTLSConfig.resolvePaths(dir)
	}
	http := func(h *HTTPConfig) {
		if h != nil {
			h.TLSConfig.resolvePaths(dir)
		}
	}
	http(g.HTTPConfig)
	for i := range c.Receivers {
		r := &c.Receivers[i]
		for j := range r.EmailConfigs {
			// A tls_config that ApplyDefaults copied from
			// smtp_tls_config is a copy: rebased here, once, like the
			// e-mail's own.
			r.EmailConfigs[j].TLSConfig.resolvePaths(dir)
		}
		for j := range r.WebhookConfigs {
			http(r.WebhookConfigs[j].HTTPConfig)
		}
		for j := range r.SlackConfigs {
			http(r.SlackConfigs[j].HTTPConfig)
		}
		for j := range r.WeComConfigs {
			http(r.WeComConfigs[j].HTTPConfig)
		}
		for j := range r.DingTalkConfigs {
			http(r.DingTalkConfigs[j].HTTPConfig)
		}
		for j := range r.FeishuConfigs {
			http(r.FeishuConfigs[j].HTTPConfig)
		}
		for j := range r.AlertmanagerConfigs {
			http(r.AlertmanagerConfigs[j].HTTPConfig)
		}
	}
}

// IgnoredSettings lists the Alertmanager settings of the section that
// Seismo accepts and does not use (the global settings of integrations it
// does not have, the attachment settings of slack_configs, e-mail
// threading), as field
// paths relative to the section, so that the engine can tell the user
// (NewManager logs them).
func (c *Config) IgnoredSettings() []string {
	var out []string
	for _, k := range setAMOnly(reflect.ValueOf(c.Global)) {
		out = append(out, "global."+k)
	}
	for i, r := range c.Receivers {
		for j, e := range r.EmailConfigs {
			for _, k := range setAMOnly(reflect.ValueOf(e)) {
				out = append(out, fmt.Sprintf("receivers[%d].email_configs[%d].%s", i, j, k))
			}
		}
		for j, s := range r.SlackConfigs {
			for _, k := range setAMOnly(reflect.ValueOf(s)) {
				out = append(out, fmt.Sprintf("receivers[%d].slack_configs[%d].%s", i, j, k))
			}
		}
	}
	return out
}

func setDuration(d *field.Duration, def time.Duration) {
	if *d == 0 {
		*d = field.Duration(def)
	}
}

// legacyLabelName is the classic Prometheus label name syntax. group_by
// and equal keep to it so that group keys read the same in Alertmanager.
var legacyLabelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// Validate checks the configuration; errors are a field.List with paths
// relative to the alerting section ("route.routes[2].matchers[0]",
// "receivers[1].name"). It checks matchers and regexes, receiver and time
// interval names wherever they are used, routes that can never match, and
// the time intervals themselves. Webhook URLs and other secrets are never
// quoted in errors.
func (c Config) Validate() error {
	intervals := make(map[string]TimeInterval, len(c.Calendars))
	for _, name := range c.Calendars {
		intervals[name] = nil // a placeholder: only the name is checked
	}
	_, errs := compileConfig(&c, intervals)
	return errs.Err()
}
