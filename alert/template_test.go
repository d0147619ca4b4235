package alert

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

func TestTemplateFuncs(t *testing.T) {
	d := sampleTemplateData(time.UTC)
	tests := []struct {
		tmpl, want string
	}{
		{`{{ "firing" | toUpper }}`, "FIRING"},
		{`{{ "Mixed" | toLower }}`, "mixed"},
		{`{{ "account openings-web" | title }}`, "Account Openings-Web"},
		{`{{ .CommonLabels.Values | join "," }}`, "account_openings,accounts"},
		{`{{ .CommonLabels.Names | join "," }}`, "alertname,team"},
		{`{{ (.CommonLabels.Remove (stringSlice "team")).Names | join "," }}`, "alertname"},
		{`{{ len .Alerts.Firing }}/{{ len .Alerts.Resolved }}`, "1/1"},
		{`{{ humanize 1234567 }}`, "1.235M"},
		{`{{ humanize 0.00123 }}`, "1.23m"},
		{`{{ humanize "42" }}`, "42"},
		{`{{ humanize 0 }}`, "0"},
		{`{{ humanize1024 1048576 }}`, "1Mi"},
		{`{{ humanizeDuration 93784 }}`, "1d 2h 3m 4s"},
		{`{{ humanizeDuration 0.25 }}`, "250ms"},
		{`{{ humanizeDuration 0 }}`, "0s"},
		{`{{ humanizePercentage 0.1234 }}`, "12.34%"},
		{`{{ (index .Alerts 0).StartsAt | since }}`, "30m"},
		{`{{ (index .Alerts 0).StartsAt | tz "Asia/Shanghai" | date "2006-01-02 15:04 MST" }}`, "2025-03-03 17:30 CST"},
		{`{{ match "^acc" "accounts" }}`, "true"},
		{`{{ reReplaceAll "(\\d+)" "<$1>" "a1b22" }}`, "a<1>b<22>"},
		{`{{ "<!channel> & co" | escapeSlack }}`, "&lt;!channel&gt; &amp; co"},
		{`{{ "<font>*b*` + "`c`" + ` [x](http://evil)" | escapeMarkdown }}`, "＜font＞\\*b\\*\\`c\\` [x]\\(http://evil)"},
		{`{{ "账户余额不符" | truncate 4 }}`, "账户余…"},
		{`{{ "short" | truncate 10 }}`, "short"},
		{`{{ include "__numbers" (index .Alerts 0) }}`, "value 3, expected 40, band [31, 49], score 0.97"},
	}
	now := func() time.Time { return time.Date(2025, 3, 3, 10, 0, 0, 0, time.UTC) }
	for _, tt := range tests {
		tm, err := parseTextTemplate(tt.tmpl, now, nil)
		if err != nil {
			t.Errorf("%s: %v", tt.tmpl, err)
			continue
		}
		got, err := tm.execute(d)
		if err != nil || got != tt.want {
			t.Errorf("%s = %q, %v; want %q", tt.tmpl, got, err, tt.want)
		}
	}
}

// TestDefaultTemplatesGolden keeps the default texts of every channel in
// testdata/templates; run with -update after a deliberate change and
// read the diff.
func TestDefaultTemplatesGolden(t *testing.T) {
	msg := fixedMessage()
	d := newTemplateData(msg, msg.Alerts, time.UTC)
	d.Alerts[0].ChartURL = "cid:chart-0000@seismo"
	now := func() time.Time { return time.Date(2025, 3, 3, 10, 0, 0, 0, time.UTC) }
	for _, name := range []string{"email.default.subject", "email.default.text", "email.default.html", "slack.default.title", "slack.default.text",
		"wecom.default.title", "wecom.default.text", "dingtalk.default.title", "dingtalk.default.text", "feishu.default.title", "feishu.default.text"} {
		t.Run(name, func(t *testing.T) {
			parse := parseTextTemplate
			if strings.HasSuffix(name, ".html") {
				parse = parseHTMLTemplate
			}
			tm, err := parse(`{{ template "`+name+`" . }}`, now, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tm.execute(d)
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "templates", name+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from %s:\n%s", name, golden, got)
			}
		})
	}
}

// TestHTMLEscapesLabelValues: a label value from a log line cannot put
// markup into the mail.
func TestHTMLEscapesLabelValues(t *testing.T) {
	msg := fixedMessage()
	msg.Alerts[0].Annotations["summary"] = `<script>alert(1)</script><img src=x onerror=y>`
	d := newTemplateData(msg, msg.Alerts, time.UTC)
	tm, err := parseHTMLTemplate(emailHTML, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tm.execute(d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(got, "<script>") || strings.Contains(got, "<img src=x") {
		t.Errorf("markup from a value reached the HTML")
	}
	if !strings.Contains(got, "&lt;script&gt;") {
		t.Errorf("the value is not shown escaped")
	}
}

func TestTemplateErrorsNameTheField(t *testing.T) {
	tests := []struct {
		name string
		rc   ReceiverConfig
		path string
		want string
	}{
		{"unclosed action", ReceiverConfig{Name: "r", SlackConfigs: []SlackConfig{{APIURL: literal("https://hooks.slack.com/x"), ChatConfig: ChatConfig{Text: "{{ .Status "}}}},
			"receivers[0].slack_configs[0].text", "invalid template: line 1"},
		{"unknown field", ReceiverConfig{Name: "r", WeComConfigs: []WeComConfig{{Key: literal("k"), ChatConfig: ChatConfig{Title: "{{ .Nope }}"}}}},
			"receivers[0].wecom_configs[0].title", "can't evaluate field Nope"},
		{"unknown function", ReceiverConfig{Name: "r", DingTalkConfigs: []DingTalkConfig{{AccessToken: literal("t"), ChatConfig: ChatConfig{Text: "{{ shout .Status }}"}}}},
			"receivers[0].dingtalk_configs[0].text", `function "shout" not defined`},
		{"html", ReceiverConfig{Name: "r", EmailConfigs: []EmailConfig{{To: AddressList{"a@b.c"}, From: "s@b.c", Smarthost: "mx:25", HTML: "<p>{{ end }}</p>"}}},
			"receivers[0].email_configs[0].html", "invalid template"},
		{"header", ReceiverConfig{Name: "r", EmailConfigs: []EmailConfig{{To: AddressList{"a@b.c"}, From: "s@b.c", Smarthost: "mx:25", Headers: map[string]string{"X-Team": "{{ .Bad"}}}},
			"receivers[0].email_configs[0].headers.X-Team", "invalid template"},
		{"time zone", ReceiverConfig{Name: "r", FeishuConfigs: []FeishuConfig{{URL: literal("https://open.feishu.cn/x"), ChatConfig: ChatConfig{Timezone: "Mars/Olympus"}}}},
			"receivers[0].feishu_configs[0].timezone", "unknown time zone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Config{Route: Route{Receiver: "r"}, Receivers: []ReceiverConfig{tt.rc}}
			c.ApplyDefaults()
			err := c.Validate()
			if err == nil {
				t.Fatal("Validate accepted the template")
			}
			found := false
			for _, line := range strings.Split(err.Error(), "\n") {
				if strings.HasPrefix(line, tt.path+": ") && strings.Contains(line, tt.want) {
					found = true
				}
			}
			if !found {
				t.Errorf("error %q does not name %s with %q", err, tt.path, tt.want)
			}
		})
	}
}

// TestTemplateFallsBackAtRunTime: a configured template that fails on
// real data (humanize of a word) is replaced by the default and logged,
// and the notification still goes out.
func TestTemplateFallsBackAtRunTime(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	ts, err := newTemplateSet([]templateSpec{{name: "text", src: `{{ humanize .CommonAnnotations.value }}`, def: `default {{ .Status }}`}}, nil, "UTC", nil, logger)
	if err != nil {
		t.Fatalf("the template passed on the sample data, yet: %v", err)
	}
	msg := fixedMessage()
	msg.CommonAnnotations = map[string]string{"value": "not a number"}
	got, err := ts.render("text", newTemplateData(msg, msg.Alerts, time.UTC))
	if err != nil || got != "default firing" {
		t.Errorf("render = %q, %v; want the default", got, err)
	}
	if !strings.Contains(logs.String(), "using the default") || !strings.Contains(logs.String(), "not a number") {
		t.Errorf("log: %s", logs.String())
	}
}

func TestTruncateBytesKeepsRunes(t *testing.T) {
	s := "余额a不符€𝄞b" // 3-, 1-, 3-, 3-, 3-, 4-, 1-byte runes
	for n := 0; n <= len(s)+1; n++ {
		got := truncateBytes(s, n)
		if len(got) > n || !utf8.ValidString(got) {
			t.Errorf("truncateBytes(%d) = %q (%d bytes)", n, got, len(got))
		}
		if n >= len(s) && got != s {
			t.Errorf("truncateBytes(%d) = %q, want the whole string", n, got)
		}
		if n < len(s) && got != "" && !strings.HasSuffix(got, "…") {
			t.Errorf("truncateBytes(%d) = %q does not mark the cut", n, got)
		}
	}
}

func FuzzTruncateBytes(f *testing.F) {
	f.Add("余额不符 balance mismatch", 7)
	f.Add("𝄞𝄞𝄞", 5)
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n < 0 || n > 1<<16 || !utf8.ValidString(s) {
			return
		}
		got := truncateBytes(s, n)
		if len(got) > n && len(s) > n || !utf8.ValidString(got) {
			t.Fatalf("truncateBytes(%q, %d) = %q", s, n, got)
		}
		if !strings.HasPrefix(s, strings.TrimSuffix(got, "…")) {
			t.Fatalf("truncateBytes(%q, %d) = %q is not a prefix", s, n, got)
		}
	})
}

func TestAddressListYAML(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []string
	}{
		{`to: ops@bank.test`, []string{"ops@bank.test"}},
		{`to: "a@x.test, \"Doe, Jane\" <jane@x.test>"`, []string{"a@x.test", `"Doe, Jane" <jane@x.test>`}},
		{"to: [a@x.test, b@x.test]", []string{"a@x.test", "b@x.test"}},
	} {
		var c struct {
			To AddressList `yaml:"to"`
		}
		if err := yaml.Unmarshal([]byte(tt.in), &c); err != nil || strings.Join(c.To, "|") != strings.Join(tt.want, "|") {
			t.Errorf("%s → %q, %v; want %q", tt.in, c.To, err, tt.want)
		}
	}
}
