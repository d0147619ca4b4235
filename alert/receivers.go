package alert

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/seismo-dev/seismo/config/field"
)

// ReceiverConfig names a receiver and its integrations. The names of the
// lists follow Alertmanager's where it has the integration (email_configs,
// slack_configs, webhook_configs), so that a pasted Alertmanager receiver
// keeps its shape.
type ReceiverConfig struct {
	Name                string               `yaml:"name"`
	LogConfigs          []LogConfig          `yaml:"log_configs,omitempty"`
	WebhookConfigs      []WebhookConfig      `yaml:"webhook_configs,omitempty"`
	EmailConfigs        []EmailConfig        `yaml:"email_configs,omitempty"`
	SlackConfigs        []SlackConfig        `yaml:"slack_configs,omitempty"`
	WeComConfigs        []WeComConfig        `yaml:"wecom_configs,omitempty"`
	DingTalkConfigs     []DingTalkConfig     `yaml:"dingtalk_configs,omitempty"`
	FeishuConfigs       []FeishuConfig       `yaml:"feishu_configs,omitempty"`
	AlertmanagerConfigs []AlertmanagerConfig `yaml:"alertmanager_configs,omitempty"`
}

// LogConfig writes notifications to the engine's log (the console).
type LogConfig struct {
	Level string `yaml:"level,omitempty"` // debug, info (default), warn or error
}

// WebhookConfig posts Alertmanager-compatible (version 4) JSON to a URL.
type WebhookConfig struct {
	URL          field.Secret   `yaml:"url"`
	MaxAlerts    int            `yaml:"max_alerts,omitempty"`    // 0 = all
	Timeout      field.Duration `yaml:"timeout,omitempty"`       // per request; default 10s
	SendResolved *bool          `yaml:"send_resolved,omitempty"` // default true
	RateLimit    RateLimit      `yaml:"rate_limit,omitempty"`    // default none
}

// Defaults shared by the integrations.
const (
	// DefaultMaxMessages is how many messages a chat integration may split
	// a long group into before it truncates the rest.
	DefaultMaxMessages = 3
	// maxChatTitle caps a chat message's title, in bytes.
	maxChatTitle = 512
	// DefaultEmailTimeout bounds one SMTP conversation.
	DefaultEmailTimeout = 30 * time.Second
)

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
		setBool(&w.SendResolved, true)
	}
	for j := range rc.EmailConfigs {
		rc.EmailConfigs[j].applyDefaults()
	}
	for j := range rc.SlackConfigs {
		rc.SlackConfigs[j].applyDefaults()
	}
	for j := range rc.WeComConfigs {
		rc.WeComConfigs[j].ChatConfig.applyDefaults(DefaultRobotRateLimit)
	}
	for j := range rc.DingTalkConfigs {
		rc.DingTalkConfigs[j].ChatConfig.applyDefaults(DefaultRobotRateLimit)
	}
	for j := range rc.FeishuConfigs {
		rc.FeishuConfigs[j].ChatConfig.applyDefaults(DefaultRobotRateLimit)
	}
	for j := range rc.AlertmanagerConfigs {
		rc.AlertmanagerConfigs[j].applyDefaults()
	}
}

func setBool(b **bool, def bool) {
	if *b == nil {
		*b = &def
	}
}

// ChatConfig holds what the chat robots (WeCom, DingTalk, Feishu) share:
// templates, splitting and pacing.
type ChatConfig struct {
	// Title and Text are Go text/template templates; empty uses Seismo's
	// default for the channel.
	Title string `yaml:"title,omitempty"`
	Text  string `yaml:"text,omitempty"`
	// Timezone of the times in the message (IANA name); default the
	// server's local zone.
	Timezone string `yaml:"timezone,omitempty"`
	// MaxMessages caps how many messages a long group is split into; the
	// last one leaves the rest out and says how many. Default 3.
	MaxMessages  int            `yaml:"max_messages,omitempty"`
	SendResolved *bool          `yaml:"send_resolved,omitempty"` // default true
	Timeout      field.Duration `yaml:"timeout,omitempty"`       // per request; default 10s
	// RateLimit paces the robot; default 20/1m, "none" lifts it.
	RateLimit RateLimit `yaml:"rate_limit,omitempty"`
}

func (c *ChatConfig) applyDefaults(rate RateLimit) {
	setBool(&c.SendResolved, true)
	setDuration(&c.Timeout, DefaultWebhookTimeout)
	if c.MaxMessages == 0 {
		c.MaxMessages = DefaultMaxMessages
	}
	if c.RateLimit.IsZero() {
		c.RateLimit = rate
	}
}

// validate checks the shared fields, templates included.
func (c ChatConfig) validate(titleDef, textDef string) error {
	var errs field.List
	if c.MaxMessages < 0 {
		errs.Addf("max_messages", "must not be negative")
	}
	if c.Timeout < 0 {
		errs.Addf("timeout", "must not be negative")
	}
	if _, err := c.templates(titleDef, textDef, nil, nil); err != nil {
		errs.Add("", err)
	}
	return errs.Err()
}

// templates parses the title and text templates.
func (c ChatConfig) templates(titleDef, textDef string, now func() time.Time, logger *slog.Logger) (*templateSet, error) {
	return newTemplateSet([]templateSpec{
		{name: "title", src: c.Title, def: titleDef},
		{name: "text", src: c.Text, def: textDef},
	}, c.Timezone, now, logger)
}

// renderer returns the chat renderer of c for a channel's size limit.
func (c ChatConfig) renderer(tmpl *templateSet, fits func(chatPart) bool, cut func(chatPart) string) *chatRenderer {
	return &chatRenderer{tmpl: tmpl, maxParts: max(c.MaxMessages, 1), maxTitle: maxChatTitle, fits: fits, cut: cut}
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
		for j, c := range rc.WebhookConfigs {
			errs.Add(fmt.Sprintf("%s.webhook_configs[%d]", p, j), c.validate())
		}
		for j, c := range rc.EmailConfigs {
			errs.Add(fmt.Sprintf("%s.email_configs[%d]", p, j), c.validate())
		}
		for j, c := range rc.SlackConfigs {
			errs.Add(fmt.Sprintf("%s.slack_configs[%d]", p, j), c.validate())
		}
		for j, c := range rc.WeComConfigs {
			errs.Add(fmt.Sprintf("%s.wecom_configs[%d]", p, j), c.validate())
		}
		for j, c := range rc.DingTalkConfigs {
			errs.Add(fmt.Sprintf("%s.dingtalk_configs[%d]", p, j), c.validate())
		}
		for j, c := range rc.FeishuConfigs {
			errs.Add(fmt.Sprintf("%s.feishu_configs[%d]", p, j), c.validate())
		}
		for j, c := range rc.AlertmanagerConfigs {
			errs.Add(fmt.Sprintf("%s.alertmanager_configs[%d]", p, j), c.validate())
		}
	}
	return names, errs
}

func (w WebhookConfig) validate() error {
	var errs field.List
	errs.Add("url", checkSecretURL(w.URL, true))
	if w.MaxAlerts < 0 {
		errs.Addf("max_alerts", "must not be negative (0 sends all alerts)")
	}
	if w.Timeout < 0 {
		errs.Addf("timeout", "must not be negative")
	}
	return errs.Err()
}

// secretValue returns a secret's value, or its literal before resolution.
func secretValue(s field.Secret) string {
	if v := s.Value(); v != "" {
		return v
	}
	return s.Literal
}

// checkSecretURL checks a URL held in a secret. required: it must be set.
// An {env} or {file} secret that is not resolved yet (or empty) passes:
// the config loader reports resolution failures itself.
func checkSecretURL(s field.Secret, required bool) error {
	raw := secretValue(s)
	switch {
	case s.IsZero() && required:
		return errors.New("required")
	case raw == "":
		return nil
	}
	return checkHTTPURL(raw)
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

// SecretRef is a secret of the alerting configuration and its path
// relative to the alerting section, for the config loader to resolve.
type SecretRef struct {
	Path   string
	Secret *field.Secret
}

// Secrets returns every secret of the receivers (URLs, tokens,
// passwords), so that the config loader can resolve them with the config
// file's folder as the base of {file: ...}.
func (c *Config) Secrets() []SecretRef {
	var out []SecretRef
	add := func(path string, s *field.Secret) {
		if !s.IsZero() {
			out = append(out, SecretRef{Path: path, Secret: s})
		}
	}
	for i := range c.Receivers {
		r := &c.Receivers[i]
		p := fmt.Sprintf("receivers[%d]", i)
		for j := range r.WebhookConfigs {
			add(fmt.Sprintf("%s.webhook_configs[%d].url", p, j), &r.WebhookConfigs[j].URL)
		}
		for j := range r.EmailConfigs {
			e := &r.EmailConfigs[j]
			q := fmt.Sprintf("%s.email_configs[%d]", p, j)
			add(q+".auth_password", &e.AuthPassword)
			add(q+".auth_secret", &e.AuthSecret)
		}
		for j := range r.SlackConfigs {
			s := &r.SlackConfigs[j]
			q := fmt.Sprintf("%s.slack_configs[%d]", p, j)
			add(q+".api_url", &s.APIURL)
			add(q+".app_token", &s.AppToken)
		}
		for j := range r.WeComConfigs {
			add(fmt.Sprintf("%s.wecom_configs[%d].url", p, j), &r.WeComConfigs[j].URL)
			add(fmt.Sprintf("%s.wecom_configs[%d].key", p, j), &r.WeComConfigs[j].Key)
		}
		for j := range r.DingTalkConfigs {
			add(fmt.Sprintf("%s.dingtalk_configs[%d].url", p, j), &r.DingTalkConfigs[j].URL)
			add(fmt.Sprintf("%s.dingtalk_configs[%d].access_token", p, j), &r.DingTalkConfigs[j].AccessToken)
			add(fmt.Sprintf("%s.dingtalk_configs[%d].secret", p, j), &r.DingTalkConfigs[j].Secret)
		}
		for j := range r.FeishuConfigs {
			add(fmt.Sprintf("%s.feishu_configs[%d].url", p, j), &r.FeishuConfigs[j].URL)
			add(fmt.Sprintf("%s.feishu_configs[%d].secret", p, j), &r.FeishuConfigs[j].Secret)
		}
		for j := range r.AlertmanagerConfigs {
			a := &r.AlertmanagerConfigs[j]
			q := fmt.Sprintf("%s.alertmanager_configs[%d]", p, j)
			add(q+".bearer_token", &a.BearerToken)
			add(q+".basic_auth.password", &a.BasicAuth.Password)
		}
	}
	return out
}

// resolved returns s's value, resolving an {env}/{file} secret the config
// loader has not resolved (a Config built in code); relative files are
// then relative to the working directory.
func resolved(s field.Secret) (string, error) {
	if v := secretValue(s); v != "" || s.IsZero() {
		return v, nil
	}
	if err := s.Resolve(""); err != nil {
		return "", err
	}
	return s.Value(), nil
}

// buildIntegrations returns the integrations of a receiver, in the order
// of its configuration.
func buildIntegrations(rc ReceiverConfig, opts Options, logger *slog.Logger) ([]integration, error) {
	var ints []integration
	add := func(kind string, i int, sendResolved *bool, rate RateLimit, n Notifier, err error) error {
		if err != nil {
			return fmt.Errorf("receiver %q: %s_configs[%d]: %w", rc.Name, kind, i, err)
		}
		ints = append(ints, integration{
			name: kind, index: i, sendResolved: sendResolved == nil || *sendResolved,
			resendFiring: kind == "alertmanager", notifier: n, limiter: newLimiter(rate),
		})
		return nil
	}
	for i, c := range rc.LogConfigs {
		n, err := NewLogNotifier(c, logger)
		if err := add("log", i, nil, RateLimit{}, n, err); err != nil {
			return nil, err
		}
	}
	for i, c := range rc.WebhookConfigs {
		n, err := NewWebhook(c, opts.Client)
		if err := add("webhook", i, c.SendResolved, c.RateLimit, n, err); err != nil {
			return nil, err
		}
	}
	for i, c := range rc.EmailConfigs {
		n, err := NewEmail(c, opts.Now, logger)
		if err := add("email", i, c.SendResolved, c.RateLimit, n, err); err != nil {
			return nil, err
		}
	}
	for i, c := range rc.SlackConfigs {
		n, err := NewSlack(c, opts.Client, opts.Now, logger)
		if err := add("slack", i, c.SendResolved, c.RateLimit, n, err); err != nil {
			return nil, err
		}
	}
	for i, c := range rc.WeComConfigs {
		n, err := NewWeCom(c, opts.Client, opts.Now, logger)
		if err := add("wecom", i, c.SendResolved, c.RateLimit, n, err); err != nil {
			return nil, err
		}
	}
	for i, c := range rc.DingTalkConfigs {
		n, err := NewDingTalk(c, opts.Client, opts.Now, logger)
		if err := add("dingtalk", i, c.SendResolved, c.RateLimit, n, err); err != nil {
			return nil, err
		}
	}
	for i, c := range rc.FeishuConfigs {
		n, err := NewFeishu(c, opts.Client, opts.Now, logger)
		if err := add("feishu", i, c.SendResolved, c.RateLimit, n, err); err != nil {
			return nil, err
		}
	}
	for i, c := range rc.AlertmanagerConfigs {
		n, err := NewAlertmanager(c, opts.Client)
		if err := add("alertmanager", i, c.SendResolved, c.RateLimit, n, err); err != nil {
			return nil, err
		}
	}
	return ints, nil
}
