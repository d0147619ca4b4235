package alert

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/seismo-dev/seismo/config/field"
)

// receiversYAML is a receiver of every kind, as a user writes it.
const receiversYAML = `
receivers:
  - name: ops
    email_configs:
      - to: "ops@bank.test, oncall@bank.test"
        from: Seismo <seismo@bank.test>
        smarthost: smtp.bank.test:587
        auth_username: seismo
        auth_password: {env: SMTP_PASSWORD}
        headers: {X-Priority: "1"}
    slack_configs:
      - api_url: https://hooks.slack.com/services/T0/B0/XXXX
        channel: "#ops"
        title: '{{ template "slack.default.title" . }}'
      - app_token: {file: slack-token}
        channel: C0ALERTS
        rate_limit: 1/1s
    wecom_configs:
      - key: 693a91f6-7xxx
        max_messages: 2
    dingtalk_configs:
      - access_token: a1b2c3
        secret: SECxyz
        at_mobiles: ["13800000000"]
    feishu_configs:
      - url: https://open.feishu.cn/open-apis/bot/v2/hook/abc
        secret: s3cret
        msg_type: text
        rate_limit: none
    alertmanager_configs:
      - url: http://alertmanager:9093
        labels: {source: seismo}
    webhook_configs:
      - url: https://hooks.bank.test/seismo
        rate_limit: 10/1m
`

func TestReceiversYAML(t *testing.T) {
	dec := yaml.NewDecoder(bytes.NewReader([]byte(receiversYAML)))
	dec.KnownFields(true)
	var c Config
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	c.Route.Receiver = "ops"
	c.ApplyDefaults()
	r := c.Receivers[0]
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if got := strings.Join(r.EmailConfigs[0].To, "|"); got != "ops@bank.test|oncall@bank.test" {
		t.Errorf("to = %s", got)
	}
	if *r.EmailConfigs[0].RequireTLS != true || *r.EmailConfigs[0].ImplicitTLS || r.EmailConfigs[0].Timeout.Std() != DefaultEmailTimeout {
		t.Errorf("email defaults: %+v", r.EmailConfigs[0])
	}
	if r.SlackConfigs[0].RateLimit != (RateLimit{}) || r.SlackConfigs[1].RateLimit != (RateLimit{N: 1, Per: time.Second}) {
		t.Errorf("slack rate limits %v, %v", r.SlackConfigs[0].RateLimit, r.SlackConfigs[1].RateLimit)
	}
	if r.WeComConfigs[0].RateLimit != DefaultRobotRateLimit || r.WeComConfigs[0].MaxMessages != 2 || r.DingTalkConfigs[0].MaxMessages != DefaultMaxMessages {
		t.Errorf("robot defaults %+v", r.WeComConfigs[0].ChatConfig)
	}
	if !r.FeishuConfigs[0].RateLimit.Off || r.WebhookConfigs[0].RateLimit.N != 10 {
		t.Errorf("rate limits %v %v", r.FeishuConfigs[0].RateLimit, r.WebhookConfigs[0].RateLimit)
	}
	var paths []string
	for _, s := range c.Secrets() {
		paths = append(paths, s.Path)
	}
	want := []string{
		"receivers[0].webhook_configs[0].url", "receivers[0].email_configs[0].auth_password",
		"receivers[0].slack_configs[0].api_url", "receivers[0].slack_configs[1].app_token",
		"receivers[0].wecom_configs[0].key", "receivers[0].dingtalk_configs[0].access_token", "receivers[0].dingtalk_configs[0].secret",
		"receivers[0].feishu_configs[0].url", "receivers[0].feishu_configs[0].secret",
	}
	if !slices.Equal(paths, want) {
		t.Errorf("Secrets() = %v\nwant %v", paths, want)
	}
}

func TestReceiversValidate(t *testing.T) {
	mk := func(rc ReceiverConfig) Config {
		rc.Name = "r"
		c := Config{Route: Route{Receiver: "r"}, Receivers: []ReceiverConfig{rc}}
		c.ApplyDefaults()
		return c
	}
	okEmail := EmailConfig{To: AddressList{"ops@bank.test"}, From: "s@bank.test", Smarthost: "mx.bank.test:25"}
	email := func(edit func(*EmailConfig)) ReceiverConfig {
		e := okEmail
		edit(&e)
		return ReceiverConfig{EmailConfigs: []EmailConfig{e}}
	}
	tests := []struct {
		name string
		rc   ReceiverConfig
		want []string // field paths, under receivers[0]
	}{
		{"email: no recipient", email(func(e *EmailConfig) { e.To = nil }), []string{"email_configs[0].to"}},
		{"email: bad recipient", email(func(e *EmailConfig) { e.To = AddressList{"ops", "ok@x.test"} }), []string{"email_configs[0].to[0]"}},
		{"email: no from", email(func(e *EmailConfig) { e.From = "" }), []string{"email_configs[0].from"}},
		{"email: smarthost without port", email(func(e *EmailConfig) { e.Smarthost = "mx.bank.test" }), []string{"email_configs[0].smarthost"}},
		{"email: bad mechanism", email(func(e *EmailConfig) { e.AuthUsername, e.AuthMechanism = "u", "xoauth9" }), []string{"email_configs[0].auth_mechanism"}},
		{"email: password without user", email(func(e *EmailConfig) { e.AuthPassword = literal("pw") }), []string{"email_configs[0].auth_username"}},
		{"email: missing ca_file", email(func(e *EmailConfig) { e.TLSConfig.CAFile = "/nonexistent/ca.pem" }), []string{"email_configs[0].tls_config.ca_file"}},
		{"slack: neither", ReceiverConfig{SlackConfigs: []SlackConfig{{}}}, []string{"slack_configs[0].api_url"}},
		{"slack: both", ReceiverConfig{SlackConfigs: []SlackConfig{{APIURL: literal("https://hooks.slack.com/x"), AppToken: literal("xoxb"), Channel: "C1"}}}, []string{"slack_configs[0].app_token"}},
		{"slack: token without channel", ReceiverConfig{SlackConfigs: []SlackConfig{{AppToken: literal("xoxb")}}}, []string{"slack_configs[0].channel"}},
		{"slack: bad webhook", ReceiverConfig{SlackConfigs: []SlackConfig{{APIURL: literal("hooks.slack.com/x")}}}, []string{"slack_configs[0].api_url"}},
		{"wecom: nothing", ReceiverConfig{WeComConfigs: []WeComConfig{{}}}, []string{"wecom_configs[0].url"}},
		{"wecom: negative max_messages", ReceiverConfig{WeComConfigs: []WeComConfig{{Key: literal("k"), ChatConfig: ChatConfig{MaxMessages: -1}}}}, []string{"wecom_configs[0].max_messages"}},
		{"dingtalk: both", ReceiverConfig{DingTalkConfigs: []DingTalkConfig{{URL: literal("https://oapi.dingtalk.com/robot/send?access_token=x"), AccessToken: literal("x")}}}, []string{"dingtalk_configs[0].access_token"}},
		{"dingtalk: bad mobile", ReceiverConfig{DingTalkConfigs: []DingTalkConfig{{AccessToken: literal("x"), AtMobiles: []string{"138 0000"}}}}, []string{"dingtalk_configs[0].at_mobiles[0]"}},
		{"feishu: no url", ReceiverConfig{FeishuConfigs: []FeishuConfig{{}}}, []string{"feishu_configs[0].url"}},
		{"feishu: msg_type", ReceiverConfig{FeishuConfigs: []FeishuConfig{{URL: literal("https://open.feishu.cn/x"), MsgType: "post"}}}, []string{"feishu_configs[0].msg_type"}},
		{"alertmanager: no url", ReceiverConfig{AlertmanagerConfigs: []AlertmanagerConfig{{}}}, []string{"alertmanager_configs[0].url"}},
		{"alertmanager: bad label", ReceiverConfig{AlertmanagerConfigs: []AlertmanagerConfig{{URL: "http://am:9093", Labels: map[string]string{"bad-name": "x"}}}}, []string{"alertmanager_configs[0].labels.bad-name"}},
		{"alertmanager: two auths", ReceiverConfig{AlertmanagerConfigs: []AlertmanagerConfig{{URL: "http://am:9093", BearerToken: literal("t"), BasicAuth: BasicAuth{Username: "u"}}}}, []string{"alertmanager_configs[0].bearer_token"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := mk(tt.rc).Validate()
			var list field.List
			if err == nil {
				t.Fatal("Validate accepted it")
			}
			list, _ = err.(field.List)
			var got []string
			for _, e := range list {
				got = append(got, strings.TrimPrefix(e.Path, "receivers[0]."))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("errors at %v, want %v:\n%v", got, tt.want, err)
			}
			if strings.Contains(err.Error(), "access_token=x") || strings.Contains(err.Error(), "xoxb") {
				t.Errorf("the error shows a secret: %v", err)
			}
		})
	}
}

// TestBuildEveryIntegration builds a Manager with a receiver of every
// kind, resolving {file} secrets the loader has not resolved.
func TestBuildEveryIntegration(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "slack-token")
	if err := os.WriteFile(tokenFile, []byte("xoxb-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SMTP_PASSWORD", "pw")
	var c Config
	if err := yaml.Unmarshal([]byte(strings.Replace(receiversYAML, "{file: slack-token}", "{file: "+tokenFile+"}", 1)), &c); err != nil {
		t.Fatal(err)
	}
	c.Route.Receiver = "ops"
	m, err := NewManager(c, Options{Logger: quietLogger})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, in := range m.receivers["ops"] {
		kinds = append(kinds, in.name)
		if in.limiter == nil {
			t.Errorf("%s has no limiter", in.name)
		}
		if in.resendFiring != (in.name == "alertmanager") {
			t.Errorf("%s: resendFiring %v", in.name, in.resendFiring)
		}
	}
	want := "webhook email slack slack wecom dingtalk feishu alertmanager"
	if got := strings.Join(kinds, " "); got != want {
		t.Errorf("integrations %s, want %s", got, want)
	}
}

func TestResendFiring(t *testing.T) {
	now := time.Date(2025, 3, 3, 12, 0, 0, 0, time.UTC)
	prev := NotifyEntry{Firing: []Fingerprint{1}, Timestamp: now.Add(-time.Minute)}
	am := integration{name: "alertmanager", sendResolved: true, resendFiring: true}
	hook := integration{name: "webhook", sendResolved: true}
	if !am.needsUpdate(prev, true, []Fingerprint{1}, nil, time.Hour, now) {
		t.Error("forwarding does not resend firing alerts at every flush")
	}
	if hook.needsUpdate(prev, true, []Fingerprint{1}, nil, time.Hour, now) {
		t.Error("a webhook resends an unchanged group before its repeat interval")
	}
	if am.needsUpdate(NotifyEntry{}, false, nil, []Fingerprint{1}, time.Hour, now) {
		t.Error("forwarding sends alerts that resolved before they were ever sent")
	}
}

// TestReceiversDocExamples keeps the examples of docs/receivers.md valid:
// the receiver of the first example with the integration lists of the
// others, decoded strictly and validated.
func TestReceiversDocExamples(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "receivers.md"))
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	for _, part := range strings.Split(string(doc), "```yaml\n")[1:] {
		block, _, _ := strings.Cut(part, "```")
		blocks = append(blocks, block)
	}
	if len(blocks) < 7 || !strings.HasPrefix(blocks[0], "receivers:") {
		t.Fatalf("%d yaml blocks; the first must start with receivers:", len(blocks))
	}
	_, ca := selfSignedCert(t)
	all := strings.ReplaceAll(blocks[0], "/etc/seismo/smtp-ca.pem", ca)
	lists := 0
	for _, b := range blocks[1:] {
		if strings.HasPrefix(b, "    ") && !strings.HasPrefix(b, "     ") { // an integration list of the receiver
			all += b
			lists++
		}
	}
	if lists < 6 {
		t.Fatalf("%d integration lists in the examples", lists)
	}
	dec := yaml.NewDecoder(strings.NewReader(all))
	dec.KnownFields(true)
	var c Config
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("the examples do not decode: %v\n%s", err, all)
	}
	c.Route.Receiver = "ops"
	c.ApplyDefaults()
	if err := c.Validate(); err != nil {
		t.Fatalf("the examples do not validate: %v", err)
	}
	if n := len(c.Receivers[0].EmailConfigs) + len(c.Receivers[0].SlackConfigs) + len(c.Receivers[0].WeComConfigs) +
		len(c.Receivers[0].DingTalkConfigs) + len(c.Receivers[0].FeishuConfigs) + len(c.Receivers[0].WebhookConfigs) +
		len(c.Receivers[0].AlertmanagerConfigs); n < 8 {
		t.Errorf("%d integrations in the examples", n)
	}
}
