package alert

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
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

	// Alertmanager's integrations that Seismo does not have. They are
	// read only to be refused by Validate with an error that names them
	// and the supported kinds (see unsupportedKinds), rather than as
	// unknown fields.
	PagerdutyConfigs  amOnly `yaml:"pagerduty_configs,omitempty"`
	OpsGenieConfigs   amOnly `yaml:"opsgenie_configs,omitempty"`
	VictorOpsConfigs  amOnly `yaml:"victorops_configs,omitempty"`
	PushoverConfigs   amOnly `yaml:"pushover_configs,omitempty"`
	WeChatConfigs     amOnly `yaml:"wechat_configs,omitempty"`
	SNSConfigs        amOnly `yaml:"sns_configs,omitempty"`
	TelegramConfigs   amOnly `yaml:"telegram_configs,omitempty"`
	DiscordConfigs    amOnly `yaml:"discord_configs,omitempty"`
	WebexConfigs      amOnly `yaml:"webex_configs,omitempty"`
	MSTeamsConfigs    amOnly `yaml:"msteams_configs,omitempty"`
	MSTeamsV2Configs  amOnly `yaml:"msteamsv2_configs,omitempty"`
	JiraConfigs       amOnly `yaml:"jira_configs,omitempty"`
	RocketchatConfigs amOnly `yaml:"rocketchat_configs,omitempty"`
	MattermostConfigs amOnly `yaml:"mattermost_configs,omitempty"`
	IncidentioConfigs amOnly `yaml:"incidentio_configs,omitempty"`
}

// LogConfig writes notifications to the engine's log (the console).
type LogConfig struct {
	Level string `yaml:"level,omitempty"` // debug, info (default), warn or error
}

// WebhookConfig posts Alertmanager-compatible (version 4) JSON to a URL.
type WebhookConfig struct {
	URL field.Secret `yaml:"url"`
	// URLFile is Alertmanager's form of url: {file: path}.
	URLFile      string         `yaml:"url_file,omitempty"`
	HTTPConfig   *HTTPConfig    `yaml:"http_config,omitempty"`   // default the global http_config
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

// applyDefaults fills the unset fields of the receiver's integrations:
// first from the global block g, as Alertmanager does, then with Seismo's
// defaults.
func (rc *ReceiverConfig) applyDefaults(g *GlobalConfig) {
	for j := range rc.LogConfigs {
		if rc.LogConfigs[j].Level == "" {
			rc.LogConfigs[j].Level = "info"
		}
	}
	for j := range rc.WebhookConfigs {
		w := &rc.WebhookConfigs[j]
		fileSecret(&w.URL, w.URLFile)
		setDuration(&w.Timeout, DefaultWebhookTimeout)
		setBool(&w.SendResolved, true)
		if w.HTTPConfig != nil {
			w.HTTPConfig.applyDefaults()
		}
	}
	for j := range rc.EmailConfigs {
		g.inheritEmail(&rc.EmailConfigs[j])
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
	// HTTPConfig is the HTTP client (proxy, TLS, authentication);
	// default the global http_config.
	HTTPConfig *HTTPConfig `yaml:"http_config,omitempty"`

	// defs are the definitions of Config.Templates that the title and
	// text may call; set by the Manager (and Validate) when it builds
	// the integration, nil for the defaults alone.
	defs *templateLib
}

func (c *ChatConfig) applyDefaults(rate RateLimit) {
	if c.HTTPConfig != nil {
		c.HTTPConfig.applyDefaults()
	}
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
	if c.HTTPConfig != nil {
		errs.Add("http_config", c.HTTPConfig.validate())
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
	}, c.defs, c.Timezone, now, logger)
}

// renderer returns the chat renderer of c for a channel's size limit.
func (c ChatConfig) renderer(tmpl *templateSet, fits func(chatPart) bool, cut func(chatPart) string) *chatRenderer {
	return &chatRenderer{tmpl: tmpl, maxParts: max(c.MaxMessages, 1), maxTitle: maxChatTitle, fits: fits, cut: cut}
}

// validateReceivers checks the receivers, with what they inherit from
// the global block g and the template definitions defs they may call, and
// returns the index of each name, for the routes to refer to.
func validateReceivers(rcs []ReceiverConfig, g *GlobalConfig, defs *templateLib) (map[string]int, field.List) {
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
		for _, key := range setAMOnly(reflect.ValueOf(rc)) {
			errs.Add(p+"."+key, unsupportedKindError(key))
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
			c = g.emailWithSecrets(c)
			c.defs = defs
			errs.Add(fmt.Sprintf("%s.email_configs[%d]", p, j), c.validate())
		}
		for j, c := range rc.SlackConfigs {
			c = g.slackWithSecrets(c)
			c.defs = defs
			errs.Add(fmt.Sprintf("%s.slack_configs[%d]", p, j), c.validate())
		}
		for j, c := range rc.WeComConfigs {
			c.defs = defs
			errs.Add(fmt.Sprintf("%s.wecom_configs[%d]", p, j), c.validate())
		}
		for j, c := range rc.DingTalkConfigs {
			c.defs = defs
			errs.Add(fmt.Sprintf("%s.dingtalk_configs[%d]", p, j), c.validate())
		}
		for j, c := range rc.FeishuConfigs {
			c.defs = defs
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
	checkFileSecret(&errs, "url", w.URL, w.URLFile)
	errs.Add("url", checkSecretURL(w.URL, true))
	if w.HTTPConfig != nil {
		errs.Add("http_config", w.HTTPConfig.validate())
	}
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

// Secrets returns every secret of the global block and the receivers
// (URLs, tokens, passwords, http_config credentials), so that the config
// loader can resolve them with the config file's folder as the base of
// {file: ...} — and of Alertmanager's *_file keys, which ApplyDefaults
// turns into {file: ...} secrets, so call it after ApplyDefaults.
// Secrets that integrations inherit from the global block are listed
// once, at the global block: the integrations take the resolved values
// when they are built.
func (c *Config) Secrets() []SecretRef {
	var out []SecretRef
	add := func(path string, s *field.Secret) {
		if !s.IsZero() {
			out = append(out, SecretRef{Path: path, Secret: s})
		}
	}
	c.Global.secrets(add)
	for i := range c.Receivers {
		r := &c.Receivers[i]
		p := fmt.Sprintf("receivers[%d]", i)
		for j := range r.WebhookConfigs {
			w := &r.WebhookConfigs[j]
			q := fmt.Sprintf("%s.webhook_configs[%d]", p, j)
			add(q+".url", &w.URL)
			if w.HTTPConfig != nil {
				w.HTTPConfig.secrets(q+".http_config", add)
			}
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
			chatHTTPSecrets(q, &s.ChatConfig, add)
		}
		for j := range r.WeComConfigs {
			q := fmt.Sprintf("%s.wecom_configs[%d]", p, j)
			add(q+".url", &r.WeComConfigs[j].URL)
			add(q+".key", &r.WeComConfigs[j].Key)
			chatHTTPSecrets(q, &r.WeComConfigs[j].ChatConfig, add)
		}
		for j := range r.DingTalkConfigs {
			q := fmt.Sprintf("%s.dingtalk_configs[%d]", p, j)
			add(q+".url", &r.DingTalkConfigs[j].URL)
			add(q+".access_token", &r.DingTalkConfigs[j].AccessToken)
			add(q+".secret", &r.DingTalkConfigs[j].Secret)
			chatHTTPSecrets(q, &r.DingTalkConfigs[j].ChatConfig, add)
		}
		for j := range r.FeishuConfigs {
			q := fmt.Sprintf("%s.feishu_configs[%d]", p, j)
			add(q+".url", &r.FeishuConfigs[j].URL)
			add(q+".secret", &r.FeishuConfigs[j].Secret)
			chatHTTPSecrets(q, &r.FeishuConfigs[j].ChatConfig, add)
		}
		for j := range r.AlertmanagerConfigs {
			a := &r.AlertmanagerConfigs[j]
			q := fmt.Sprintf("%s.alertmanager_configs[%d]", p, j)
			add(q+".bearer_token", &a.BearerToken)
			add(q+".basic_auth.password", &a.BasicAuth.Password)
			if a.HTTPConfig != nil {
				a.HTTPConfig.secrets(q+".http_config", add)
			}
		}
	}
	return out
}

// chatHTTPSecrets lists the secrets of a chat integration's http_config.
func chatHTTPSecrets(prefix string, c *ChatConfig, add func(string, *field.Secret)) {
	if c.HTTPConfig != nil {
		c.HTTPConfig.secrets(prefix+".http_config", add)
	}
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
// of its configuration, with what they inherit from the global block g
// (its secrets and http_config) and the template definitions defs.
func buildIntegrations(rc ReceiverConfig, g *GlobalConfig, defs *templateLib, opts Options, logger *slog.Logger) ([]integration, error) {
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
	// client returns the HTTP client of an integration: its own
	// http_config, else the global one (whole for Alertmanager's
	// integrations, transport only for Seismo's own).
	client := func(own *HTTPConfig, amKind bool) (*http.Client, error) {
		h := own
		if h == nil {
			h = g.HTTPConfig
			if !amKind {
				h = h.transportOnly()
			}
		}
		c, err := h.client(opts.Client)
		if err != nil {
			return nil, fmt.Errorf("http_config: %w", err)
		}
		return c, nil
	}
	for i, c := range rc.LogConfigs {
		n, err := NewLogNotifier(c, logger)
		if err := add("log", i, nil, RateLimit{}, n, err); err != nil {
			return nil, err
		}
	}
	for i, c := range rc.WebhookConfigs {
		hc, err := client(c.HTTPConfig, true)
		var n Notifier
		if err == nil {
			n, err = NewWebhook(c, hc)
		}
		if err := add("webhook", i, c.SendResolved, c.RateLimit, n, err); err != nil {
			return nil, err
		}
	}
	for i, c := range rc.EmailConfigs {
		c = g.emailWithSecrets(c)
		c.defs = defs
		n, err := NewEmail(c, opts.Now, logger)
		if err := add("email", i, c.SendResolved, c.RateLimit, n, err); err != nil {
			return nil, err
		}
	}
	for i, c := range rc.SlackConfigs {
		c = g.slackWithSecrets(c)
		c.defs = defs
		hc, err := client(c.HTTPConfig, true)
		var n Notifier
		if err == nil {
			n, err = NewSlack(c, hc, opts.Now, logger)
		}
		if err := add("slack", i, c.SendResolved, c.RateLimit, n, err); err != nil {
			return nil, err
		}
	}
	for i, c := range rc.WeComConfigs {
		c.defs = defs
		hc, err := client(c.HTTPConfig, false)
		var n Notifier
		if err == nil {
			n, err = NewWeCom(c, hc, opts.Now, logger)
		}
		if err := add("wecom", i, c.SendResolved, c.RateLimit, n, err); err != nil {
			return nil, err
		}
	}
	for i, c := range rc.DingTalkConfigs {
		c.defs = defs
		hc, err := client(c.HTTPConfig, false)
		var n Notifier
		if err == nil {
			n, err = NewDingTalk(c, hc, opts.Now, logger)
		}
		if err := add("dingtalk", i, c.SendResolved, c.RateLimit, n, err); err != nil {
			return nil, err
		}
	}
	for i, c := range rc.FeishuConfigs {
		c.defs = defs
		hc, err := client(c.HTTPConfig, false)
		var n Notifier
		if err == nil {
			n, err = NewFeishu(c, hc, opts.Now, logger)
		}
		if err := add("feishu", i, c.SendResolved, c.RateLimit, n, err); err != nil {
			return nil, err
		}
	}
	for i, c := range rc.AlertmanagerConfigs {
		hc, err := client(c.HTTPConfig, false)
		var n Notifier
		if err == nil {
			n, err = NewAlertmanager(c, hc)
		}
		if err := add("alertmanager", i, c.SendResolved, c.RateLimit, n, err); err != nil {
			return nil, err
		}
	}
	return ints, nil
}
