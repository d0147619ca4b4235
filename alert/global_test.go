package alert

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// writeFiles writes name → content into dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestGlobalDefaultsAreInherited checks that e-mail and Slack integrations
// take what they leave unset from the global block, as Alertmanager does,
// and keep what they set; that Alertmanager's *_file keys and relative
// paths are read from the config file's folder; and that inherited
// secrets are resolved once, at the global block.
func TestGlobalDefaultsAreInherited(t *testing.T) {
	dir := t.TempDir()
	_, caFile := selfSignedCert(t)
	ca, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, dir, map[string]string{
		"smtp-password": "pw-from-file\n",
		"slack-url":     "https://hooks.slack.com/services/T0/B0/GLOBAL\n",
		"ca.pem":        string(ca),
	})
	c := loadConfigIn(t, `
global:
  resolve_timeout: 10m
  smtp_from: 'Alertmanager <am@bank.test>'
  smtp_smarthost: smtp.bank.test:587
  smtp_hello: am.bank.test
  smtp_auth_username: am
  smtp_auth_password_file: smtp-password
  smtp_auth_secret: cram-secret
  smtp_auth_identity: am-id
  smtp_require_tls: false
  smtp_tls_config: {server_name: smtp.internal, ca_file: ca.pem}
  smtp_force_implicit_tls: true
  slack_api_url_file: slack-url
route: {receiver: r}
receivers:
  - name: r
    email_configs:
      - to: a@bank.test
      - to: b@bank.test
        from: own@bank.test
        smarthost: own.bank.test:25
        hello: own.bank.test
        auth_username: own
        auth_password: own-pw
        auth_secret: own-secret
        auth_identity: own-id
        require_tls: true
        force_implicit_tls: false
        tls_config: {insecure_skip_verify: true}
    slack_configs:
      - channel: '#a'
      - api_url: https://hooks.slack.com/services/T0/B0/OWN
      - app_token: xoxb-own
        channel: C1
`, dir)
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if c.ResolveTimeout.Std() != 10*time.Minute {
		t.Errorf("resolve_timeout %v, want global.resolve_timeout 10m", c.ResolveTimeout)
	}

	type email struct {
		From, Smarthost, Hello, User, Identity, Password, Secret string
		RequireTLS, ImplicitTLS                                  bool
		TLS                                                      TLSConfig
	}
	got := func(e EmailConfig) email {
		e = c.Global.emailWithSecrets(e)
		return email{e.From, e.Smarthost, e.Hello, e.AuthUsername, e.AuthIdentity, e.AuthPassword.Value(), e.AuthSecret.Value(), *e.RequireTLS, *e.ImplicitTLS, e.TLSConfig}
	}
	es := c.Receivers[0].EmailConfigs
	want := []email{
		{"Alertmanager <am@bank.test>", "smtp.bank.test:587", "am.bank.test", "am", "am-id", "pw-from-file", "cram-secret", false, true,
			TLSConfig{ServerName: "smtp.internal", CAFile: filepath.Join(dir, "ca.pem")}},
		{"own@bank.test", "own.bank.test:25", "own.bank.test", "own", "own-id", "own-pw", "own-secret", true, false, TLSConfig{InsecureSkipVerify: true}},
	}
	for i := range want {
		if diff := cmp.Diff(want[i], got(es[i])); diff != "" {
			t.Errorf("email_configs[%d] (-want +got):\n%s", i, diff)
		}
	}

	var slackURLs []string
	for _, s := range c.Receivers[0].SlackConfigs {
		slackURLs = append(slackURLs, c.Global.slackWithSecrets(s).APIURL.Value())
	}
	if diff := cmp.Diff([]string{"https://hooks.slack.com/services/T0/B0/GLOBAL", "https://hooks.slack.com/services/T0/B0/OWN", ""}, slackURLs); diff != "" {
		t.Errorf("slack webhooks (-want +got); a bot token must not get the global webhook:\n%s", diff)
	}

	var paths []string
	for _, ref := range c.Secrets() {
		paths = append(paths, ref.Path)
	}
	wantPaths := []string{
		"global.smtp_auth_password", "global.smtp_auth_secret", "global.slack_api_url",
		"receivers[0].email_configs[1].auth_password", "receivers[0].email_configs[1].auth_secret",
		"receivers[0].slack_configs[1].api_url", "receivers[0].slack_configs[2].app_token",
	}
	if diff := cmp.Diff(wantPaths, paths); diff != "" {
		t.Errorf("Secrets (-want +got): an inherited secret is listed once, at the global block:\n%s", diff)
	}
}

func TestGlobalValidate(t *testing.T) {
	junk := filepath.Join(t.TempDir(), "junk.pem")
	writeFiles(t, filepath.Dir(junk), map[string]string{"junk.pem": "-----BEGIN CERTIFICATE-----\n"})
	tests := []struct {
		name  string
		src   string
		want  []string // error paths
		words string   // in the error
	}{
		{"e-mail without global", `
receivers: [{name: r, email_configs: [{to: a@bank.test}]}]`,
			[]string{"receivers[0].email_configs[0].from", "receivers[0].email_configs[0].smarthost"}, "global.smtp_smarthost"},
		{"slack without global", `
receivers: [{name: r, slack_configs: [{channel: '#a'}]}]`,
			[]string{"receivers[0].slack_configs[0].api_url"}, "global.slack_api_url"},
		{"password and password file", `
global: {smtp_auth_password: a, smtp_auth_password_file: /x}`,
			[]string{"global.smtp_auth_password_file"}, "at most one"},
		{"slack url and url file", `
global: {slack_api_url: 'https://hooks.slack.com/x', slack_api_url_file: /x}`,
			[]string{"global.slack_api_url_file"}, "at most one"},
		{"bad smarthost and from", `
global: {smtp_smarthost: mx.bank.test, smtp_from: 'not an address'}`,
			[]string{"global.smtp_from", "global.smtp_smarthost"}, "host:port"},
		{"bad slack url", `
global: {slack_api_url: 'ftp://hooks/s3cr3t'}`,
			[]string{"global.slack_api_url"}, "http or https"},
		{"resolve_timeout twice", `
resolve_timeout: 5m
global: {resolve_timeout: 10m}`,
			[]string{"global.resolve_timeout"}, "one place"},
		{"oauth2", `
global: {http_config: {oauth2: {client_id: x, client_secret: y, token_url: 'https://t'}}}`,
			[]string{"global.http_config.oauth2"}, "not supported"},
		{"two authentications", `
global: {http_config: {bearer_token: t, basic_auth: {username: u, password: p}}}`,
			[]string{"global.http_config"}, "at most one"},
		{"no_proxy without proxy_url", `
global: {http_config: {no_proxy: localhost}}`,
			[]string{"global.http_config.no_proxy"}, "proxy_url"},
		{"bad proxy", `
global: {http_config: {proxy_url: 'ftp://u:s3cr3t@proxy'}}`,
			[]string{"global.http_config.proxy_url"}, "socks5"},
		{"proxy twice", `
global: {http_config: {proxy_url: 'http://proxy:3128', proxy_from_environment: true}}`,
			[]string{"global.http_config.proxy_from_environment"}, "not both"},
		{"webhook basic auth without user", `
receivers: [{name: r, webhook_configs: [{url: 'http://h', http_config: {basic_auth: {password: p}}}]}]`,
			[]string{"receivers[0].webhook_configs[0].http_config.basic_auth.username"}, "required"},
		{"tls files", `
receivers: [{name: r, wecom_configs: [{key: k, http_config: {tls_config: {cert_file: /nonexistent/c.pem, min_version: TLS9}}}]}]`,
			[]string{"receivers[0].wecom_configs[0].http_config.tls_config.cert_file", "receivers[0].wecom_configs[0].http_config.tls_config.cert_file",
				"receivers[0].wecom_configs[0].http_config.tls_config.min_version"}, "key_file"},
		{"a CA file without a certificate", `
global: {smtp_tls_config: {ca_file: '` + junk + `'}}`,
			[]string{"global.smtp_tls_config.ca_file"}, "no PEM certificate"},
		{"implicit TLS under both names", `
receivers: [{name: r, email_configs: [{to: a@b.test, from: s@b.test, smarthost: 'mx:465', implicit_tls: true, force_implicit_tls: false}]}]`,
			[]string{"receivers[0].email_configs[0].force_implicit_tls"}, "contradicts"},
		{"forwarding with two sets of credentials", `
receivers: [{name: r, alertmanager_configs: [{url: 'http://am:9093', bearer_token: t, http_config: {bearer_token: u}}]}]`,
			[]string{"receivers[0].alertmanager_configs[0].http_config"}, "not both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := tt.src
			if !strings.Contains(src, "receivers:") {
				src += "\nreceivers: [{name: r, log_configs: [{}]}]"
			}
			err := loadConfig(t, "route: {receiver: r}\n"+src).Validate()
			if diff := cmp.Diff(tt.want, errorPaths(t, err)); diff != "" {
				t.Fatalf("error paths (-want +got):\n%s\n%v", diff, err)
			}
			if !strings.Contains(err.Error(), tt.words) {
				t.Errorf("error does not say %q: %v", tt.words, err)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("error shows a secret: %v", err)
			}
		})
	}
}

// TestUnsupportedReceiverKinds checks that Alertmanager integrations
// Seismo does not have are refused with an error naming the field and
// the kinds it has, rather than as unknown fields or silently.
func TestUnsupportedReceiverKinds(t *testing.T) {
	c := loadConfig(t, `
route: {receiver: pager}
receivers:
  - name: pager
    pagerduty_configs:
      - routing_key: s3cr3t
  - name: wechat
    wechat_configs:
      - corp_id: ww0
        agent_id: '1000002'
    email_configs:
      - {to: a@bank.test, from: s@bank.test, smarthost: 'mx:25'}
  - name: teams
    msteams_configs: [{webhook_url: 'https://outlook.office.com/webhook/x'}]
    opsgenie_configs: []   # nothing configured: no error
`)
	err := c.Validate()
	if diff := cmp.Diff([]string{"receivers[0].pagerduty_configs", "receivers[1].wechat_configs", "receivers[2].msteams_configs"}, errorPaths(t, err)); diff != "" {
		t.Fatalf("error paths (-want +got):\n%s\n%v", diff, err)
	}
	msg := err.Error()
	for _, w := range []string{"no PagerDuty integration", "email_configs, slack_configs, webhook_configs, wecom_configs, dingtalk_configs, feishu_configs, alertmanager_configs, log_configs",
		"forward to an Alertmanager", "WeCom group robot, use wecom_configs", "Microsoft Teams"} {
		if !strings.Contains(msg, w) {
			t.Errorf("error does not say %q:\n%s", w, msg)
		}
	}
	if strings.Contains(msg, "s3cr3t") {
		t.Errorf("error shows a secret: %v", err)
	}
}

// TestIgnoredSettings checks that Alertmanager settings Seismo has no use
// for load, are listed, and are logged by NewManager without their
// values.
func TestIgnoredSettings(t *testing.T) {
	c := loadConfig(t, `
global:
  pagerduty_url: 'https://events.pagerduty.com/v2/enqueue'
  opsgenie_api_key: s3cr3t
  wechat_api_secret: s3cr3t
  wechat_api_corp_id: ww0
  telegram_api_url: 'https://api.telegram.org'
  smtp_hello: am.bank.test
route: {receiver: r}
inhibit_rules:
  - name: critical mutes warnings   # newer Alertmanagers name their rules
    source_matchers: [severity="critical"]
    target_matchers: [severity="warning"]
receivers:
  - name: r
    slack_configs:
      - api_url: 'https://hooks.slack.com/services/T0/B0/X'
        color: '{{ if eq .Status "firing" }}danger{{ else }}good{{ end }}'
        title_link: 'https://grafana.bank.test'
        actions: [{type: button, text: Runbook, url: 'https://runbooks'}]
    email_configs:
      - {to: a@bank.test, from: s@bank.test, smarthost: 'mx:25', threading: {enabled: true}}
`)
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	want := []string{
		"global.pagerduty_url", "global.opsgenie_api_key", "global.wechat_api_secret", "global.wechat_api_corp_id", "global.telegram_api_url",
		"receivers[0].email_configs[0].threading",
		"receivers[0].slack_configs[0].color", "receivers[0].slack_configs[0].title_link", "receivers[0].slack_configs[0].actions",
	}
	if diff := cmp.Diff(want, c.IgnoredSettings()); diff != "" {
		t.Errorf("IgnoredSettings (-want +got):\n%s", diff)
	}
	var logs bytes.Buffer
	if _, err := NewManager(c, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))}); err != nil {
		t.Fatal(err)
	}
	for _, w := range want {
		if !strings.Contains(logs.String(), "field=alerting."+w) {
			t.Errorf("NewManager did not log %s:\n%s", w, logs.String())
		}
	}
	if strings.Contains(logs.String(), "s3cr3t") {
		t.Errorf("the log shows an ignored secret:\n%s", logs.String())
	}
}

// TestGlobalSMTPDelivery sends a mail through the in-process SMTP server
// with an e-mail integration that sets only its recipient: smarthost,
// sender, STARTTLS with a CA from a relative file, PLAIN with an
// authorization identity and a password from a relative file all come
// from the global block.
func TestGlobalSMTPDelivery(t *testing.T) {
	p := startSMTP(t, smtpPeerOptions{tls: true, mechs: []string{"PLAIN"}, users: map[string]string{"am": "pw-from-file"}})
	ca, err := os.ReadFile(p.caFile)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"secrets/smtp-password": "pw-from-file\n", "smtp-ca.pem": string(ca)})
	c := loadConfigIn(t, `
global:
  smtp_from: 'Alertmanager <am@bank.test>'
  smtp_smarthost: '`+p.addr+`'
  smtp_hello: am.bank.test
  smtp_auth_username: am
  smtp_auth_password_file: secrets/smtp-password
  smtp_auth_identity: am-identity
  smtp_tls_config: {ca_file: smtp-ca.pem}
route: {receiver: mail}
receivers:
  - name: mail
    email_configs: [{to: ops@bank.test, timezone: UTC}]
`, dir)
	m, err := NewManager(c, Options{Logger: quietLogger})
	if err != nil {
		t.Fatal(err)
	}
	if retry, err := m.receivers["mail"][0].notifier.Notify(t.Context(), fixedMessage()); err != nil {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	mails := p.received()
	if len(mails) != 1 {
		t.Fatalf("%d mails, want 1", len(mails))
	}
	if mails[0].from != "am@bank.test" || strings.Join(mails[0].to, ",") != "ops@bank.test" {
		t.Errorf("envelope from %s to %v", mails[0].from, mails[0].to)
	}
	p.mu.Lock()
	authed, identities := slices.Clone(p.authed), slices.Clone(p.identities)
	p.mu.Unlock()
	if diff := cmp.Diff([]string{"PLAIN:am"}, authed); diff != "" {
		t.Errorf("authentications (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"am-identity"}, identities); diff != "" {
		t.Errorf("PLAIN identities (-want +got):\n%s", diff)
	}
}

// TestGlobalSlackAPIURL posts through the global Slack webhook.
func TestGlobalSlackAPIURL(t *testing.T) {
	p := startSlack(t)
	c := loadConfig(t, `
global: {slack_api_url: '`+p.webhookURL()+`'}
route: {receiver: slack}
receivers: [{name: slack, slack_configs: [{channel: '#ops'}]}]
`)
	m, err := NewManager(c, Options{Logger: quietLogger, Client: p.srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if retry, err := m.receivers["slack"][0].notifier.Notify(t.Context(), fixedMessage()); err != nil {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.hooks) != 1 || p.hooks[0].Channel != "#ops" {
		t.Errorf("webhook messages %+v, want one to #ops", p.hooks)
	}
}
