package alert

import (
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/seismo-dev/seismo/config/field"
)

// GlobalConfig is Alertmanager's global block: defaults that receivers'
// integrations inherit when they leave a setting unset, exactly as
// Alertmanager applies them, so that a pasted Alertmanager file with its
// global block loads unchanged.
//
// The settings of integrations Seismo does not have (PagerDuty, OpsGenie,
// VictorOps, Telegram, Webex, Jira, Rocket.Chat, and Alertmanager's WeChat,
// which is WeCom's application API rather than the group robot that
// wecom_configs posts to) are accepted and ignored: NewManager logs each
// one, and Config.IgnoredSettings lists them.
type GlobalConfig struct {
	// ResolveTimeout is Alertmanager's place for resolve_timeout; Seismo
	// also reads it at the top of the alerting section. Setting both to
	// different values is an error.
	ResolveTimeout field.Duration `yaml:"resolve_timeout,omitempty"`
	// HTTPConfig is the HTTP client of every HTTP integration that has no
	// http_config of its own (see HTTPConfig for what applies where).
	HTTPConfig *HTTPConfig `yaml:"http_config,omitempty"`

	// E-mail defaults, for email_configs that leave the field unset.
	SMTPFrom             string       `yaml:"smtp_from,omitempty"`
	SMTPHello            string       `yaml:"smtp_hello,omitempty"`     // default "localhost"
	SMTPSmarthost        string       `yaml:"smtp_smarthost,omitempty"` // host:port
	SMTPAuthUsername     string       `yaml:"smtp_auth_username,omitempty"`
	SMTPAuthPassword     field.Secret `yaml:"smtp_auth_password,omitempty"`
	SMTPAuthPasswordFile string       `yaml:"smtp_auth_password_file,omitempty"` // Alertmanager's form of smtp_auth_password: {file: …}
	SMTPAuthSecret       field.Secret `yaml:"smtp_auth_secret,omitempty"`
	SMTPAuthSecretFile   string       `yaml:"smtp_auth_secret_file,omitempty"`
	SMTPAuthIdentity     string       `yaml:"smtp_auth_identity,omitempty"`
	SMTPRequireTLS       *bool        `yaml:"smtp_require_tls,omitempty"` // default true
	SMTPTLSConfig        *TLSConfig   `yaml:"smtp_tls_config,omitempty"`
	// SMTPForceImplicitTLS is the default of e-mails' implicit_tls
	// (force_implicit_tls); unset, port 465 speaks TLS from the start.
	SMTPForceImplicitTLS *bool `yaml:"smtp_force_implicit_tls,omitempty"`

	// SlackAPIURL is the incoming webhook of slack_configs that have
	// neither api_url nor app_token.
	SlackAPIURL     field.Secret `yaml:"slack_api_url,omitempty"`
	SlackAPIURLFile string       `yaml:"slack_api_url_file,omitempty"`

	// Alertmanager settings of integrations Seismo does not have:
	// accepted, so that a pasted global block loads, and ignored.
	PagerdutyURL          amOnly `yaml:"pagerduty_url,omitempty"`
	OpsGenieAPIURL        amOnly `yaml:"opsgenie_api_url,omitempty"`
	OpsGenieAPIKey        amOnly `yaml:"opsgenie_api_key,omitempty"`
	OpsGenieAPIKeyFile    amOnly `yaml:"opsgenie_api_key_file,omitempty"`
	WeChatAPIURL          amOnly `yaml:"wechat_api_url,omitempty"`
	WeChatAPISecret       amOnly `yaml:"wechat_api_secret,omitempty"`
	WeChatAPICorpID       amOnly `yaml:"wechat_api_corp_id,omitempty"`
	VictorOpsAPIURL       amOnly `yaml:"victorops_api_url,omitempty"`
	VictorOpsAPIKey       amOnly `yaml:"victorops_api_key,omitempty"`
	VictorOpsAPIKeyFile   amOnly `yaml:"victorops_api_key_file,omitempty"`
	TelegramAPIURL        amOnly `yaml:"telegram_api_url,omitempty"`
	WebexAPIURL           amOnly `yaml:"webex_api_url,omitempty"`
	JiraAPIURL            amOnly `yaml:"jira_api_url,omitempty"`
	RocketchatAPIURL      amOnly `yaml:"rocketchat_api_url,omitempty"`
	RocketchatToken       amOnly `yaml:"rocketchat_token,omitempty"`
	RocketchatTokenFile   amOnly `yaml:"rocketchat_token_file,omitempty"`
	RocketchatTokenID     amOnly `yaml:"rocketchat_token_id,omitempty"`
	RocketchatTokenIDFile amOnly `yaml:"rocketchat_token_id_file,omitempty"`
}

// amOnly is an Alertmanager setting that Seismo accepts and does not use:
// its value is not kept (it may be a secret), only that it was written.
type amOnly struct{ set bool }

// UnmarshalYAML records that the key was written with a value, whatever
// it is; null and an empty list count as absent.
func (a *amOnly) UnmarshalYAML(n *yaml.Node) error {
	a.set = n.ShortTag() != "!!null" && !(n.Kind == yaml.SequenceNode && len(n.Content) == 0)
	return nil
}

// IsZero reports whether the key was absent (for omitempty).
func (a amOnly) IsZero() bool { return !a.set }

// MarshalYAML writes nothing back: the value was not kept.
func (a amOnly) MarshalYAML() (any, error) { return nil, nil }

// setAMOnly returns the YAML names of v's amOnly fields that were written,
// in declaration order; v is a struct.
func setAMOnly(v reflect.Value) []string {
	var out []string
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Type != reflect.TypeFor[amOnly]() || !v.Field(i).Interface().(amOnly).set {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		out = append(out, name)
	}
	return out
}

// fileSecret turns Alertmanager's "<name>_file: path" into the secret's
// {file: path} form, when the secret itself is not set (validate reports
// both being set).
func fileSecret(s *field.Secret, file string) {
	if file != "" && s.IsZero() {
		*s = field.Secret{File: file}
	}
}

// checkFileSecret reports "<key>" and "<key>_file" both set. After
// fileSecret, a secret read from the _file key has exactly that File.
func checkFileSecret(errs *field.List, key string, s field.Secret, file string) {
	if file != "" && !(s.File == file && s.Literal == "" && s.Env == "") {
		errs.Addf(key+"_file", "at most one of %s and %s_file may be set", key, key)
	}
}

func (g *GlobalConfig) applyDefaults() {
	fileSecret(&g.SMTPAuthPassword, g.SMTPAuthPasswordFile)
	fileSecret(&g.SMTPAuthSecret, g.SMTPAuthSecretFile)
	fileSecret(&g.SlackAPIURL, g.SlackAPIURLFile)
	if g.SMTPHello == "" {
		g.SMTPHello = "localhost"
	}
	setBool(&g.SMTPRequireTLS, true)
	if g.HTTPConfig != nil {
		g.HTTPConfig.applyDefaults()
	}
}

func (g GlobalConfig) validate() error {
	var errs field.List
	checkFileSecret(&errs, "smtp_auth_password", g.SMTPAuthPassword, g.SMTPAuthPasswordFile)
	checkFileSecret(&errs, "smtp_auth_secret", g.SMTPAuthSecret, g.SMTPAuthSecretFile)
	checkFileSecret(&errs, "slack_api_url", g.SlackAPIURL, g.SlackAPIURLFile)
	if g.ResolveTimeout < 0 {
		errs.Addf("resolve_timeout", "must not be negative")
	}
	if g.SMTPSmarthost != "" {
		if _, _, err := splitSmarthost(g.SMTPSmarthost); err != nil {
			errs.Add("smtp_smarthost", err)
		}
	}
	if g.SMTPFrom != "" {
		if err := checkAddress(g.SMTPFrom); err != nil {
			errs.Add("smtp_from", err)
		}
	}
	errs.Add("slack_api_url", checkSecretURL(g.SlackAPIURL, false))
	if g.SMTPTLSConfig != nil {
		errs.Add("smtp_tls_config", g.SMTPTLSConfig.validate())
	}
	if g.HTTPConfig != nil {
		errs.Add("http_config", g.HTTPConfig.validate())
	}
	return errs.Err()
}

// secrets lists the global block's secrets, for Config.Secrets.
func (g *GlobalConfig) secrets(add func(path string, s *field.Secret)) {
	add("global.smtp_auth_password", &g.SMTPAuthPassword)
	add("global.smtp_auth_secret", &g.SMTPAuthSecret)
	add("global.slack_api_url", &g.SlackAPIURL)
	if g.HTTPConfig != nil {
		g.HTTPConfig.secrets("global.http_config", add)
	}
}

// inheritEmail fills the settings e leaves unset from the global block,
// as Alertmanager does when it loads its configuration. Secrets are not
// copied here but by withSecrets, once the config loader has resolved
// them: a copy made before would be an unresolved duplicate.
func (g *GlobalConfig) inheritEmail(e *EmailConfig) {
	if e.From == "" {
		e.From = g.SMTPFrom
	}
	if e.Smarthost == "" {
		e.Smarthost = g.SMTPSmarthost
	}
	if e.Hello == "" {
		e.Hello = g.SMTPHello
	}
	if e.AuthUsername == "" {
		e.AuthUsername = g.SMTPAuthUsername
	}
	if e.AuthIdentity == "" {
		e.AuthIdentity = g.SMTPAuthIdentity
	}
	if e.RequireTLS == nil && g.SMTPRequireTLS != nil {
		v := *g.SMTPRequireTLS
		e.RequireTLS = &v
	}
	if e.TLSConfig == (TLSConfig{}) && g.SMTPTLSConfig != nil {
		e.TLSConfig = *g.SMTPTLSConfig
	}
	if e.ImplicitTLS == nil && e.ForceImplicitTLS == nil && g.SMTPForceImplicitTLS != nil {
		v := *g.SMTPForceImplicitTLS
		e.ImplicitTLS = &v
	}
}

// emailWithSecrets returns e with the global SMTP secrets in the fields
// it leaves unset (resolved, when the loader has resolved the global
// ones).
func (g *GlobalConfig) emailWithSecrets(e EmailConfig) EmailConfig {
	if e.AuthPassword.IsZero() {
		e.AuthPassword = g.SMTPAuthPassword
	}
	if e.AuthSecret.IsZero() {
		e.AuthSecret = g.SMTPAuthSecret
	}
	return e
}

// slackWithSecrets returns s with the global Slack webhook when it has
// neither a webhook nor a bot token of its own.
func (g *GlobalConfig) slackWithSecrets(s SlackConfig) SlackConfig {
	if s.APIURL.IsZero() && s.AppToken.IsZero() {
		s.APIURL = g.SlackAPIURL
	}
	return s
}

// unsupportedKinds are Alertmanager's integrations that Seismo does not
// have, as ReceiverConfig fields: a receiver using one is a configuration
// error (silently dropping a pager would be worse than refusing to load).
var unsupportedKinds = map[string]string{
	"pagerduty_configs":  "PagerDuty",
	"opsgenie_configs":   "OpsGenie",
	"victorops_configs":  "VictorOps",
	"pushover_configs":   "Pushover",
	"wechat_configs":     "WeChat (WeCom application messages)",
	"sns_configs":        "Amazon SNS",
	"telegram_configs":   "Telegram",
	"discord_configs":    "Discord",
	"webex_configs":      "Webex",
	"msteams_configs":    "Microsoft Teams",
	"msteamsv2_configs":  "Microsoft Teams (Workflows)",
	"jira_configs":       "Jira",
	"rocketchat_configs": "Rocket.Chat",
	"mattermost_configs": "Mattermost",
	"incidentio_configs": "incident.io",
}

// supportedKinds names the integrations a receiver may have, for errors.
const supportedKinds = "email_configs, slack_configs, webhook_configs, wecom_configs, dingtalk_configs, feishu_configs, alertmanager_configs, log_configs"

// unsupportedKindError explains why key is refused and what to do instead.
func unsupportedKindError(key string) error {
	name := unsupportedKinds[key]
	hint := "forward to an Alertmanager that has it with alertmanager_configs, or post to a bridge with webhook_configs"
	if key == "wechat_configs" {
		hint = "to post to a WeCom group robot, use wecom_configs"
	}
	return fmt.Errorf("not supported: there is no %s integration in Seismo (a receiver may have %s); %s", name, supportedKinds, hint)
}
