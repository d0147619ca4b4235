package alert

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestTemplateFiles delivers through the Slack and SMTP test peers with
// receivers whose fields call the definitions of template files: a custom
// Slack title, a redefined default Slack text, an e-mail subject header
// built on a default piece, and an HTML body that escapes a value and
// keeps safeHtml's.
func TestTemplateFiles(t *testing.T) {
	slackPeer := startSlack(t)
	smtp := startSMTP(t, smtpPeerOptions{})
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"tmpl/slack.tmpl": `{{ define "slack.bank.title" }}[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}{{ end }}
{{/* Redefining a default, as Alertmanager allows. */}}
{{ define "slack.default.text" }}overridden: {{ len .Alerts }} alerts{{ end }}
`,
		"tmpl/email.tmpl": `{{ define "email.bank.subject" }}Bank: {{ template "__subject" . }}{{ end }}
{{ define "email.bank.html" }}<p>{{ .CommonLabels.team }} {{ "<b>trusted</b>" | safeHtml }} {{ "<i>escaped</i>" }}</p>{{ end }}
`,
		"tmpl/README": "not a template",
	})
	c := loadConfigIn(t, `
templates: ['tmpl/*.tmpl']
route: {receiver: r}
receivers:
  - name: r
    slack_configs:
      - api_url: '`+slackPeer.webhookURL()+`'
        title: '{{ template "slack.bank.title" . }}'
    email_configs:
      - to: ops@bank.test
        from: seismo@bank.test
        smarthost: '`+smtp.addr+`'
        require_tls: false
        headers: {Subject: '{{ template "email.bank.subject" . }}'}
        html: '{{ template "email.bank.html" . }}'
`, dir)
	if c.Templates[0] != filepath.Join(dir, "tmpl/*.tmpl") {
		t.Errorf("templates %v: not relative to the config's folder", c.Templates)
	}
	m, err := NewManager(c, Options{Logger: quietLogger, Client: slackPeer.srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{filepath.Join(dir, "tmpl/email.tmpl"), filepath.Join(dir, "tmpl/slack.tmpl")}, m.rt.templates.files); diff != "" {
		t.Errorf("template files read (-want +got):\n%s", diff)
	}
	for _, in := range m.receivers["r"] {
		if retry, err := in.notifier.Notify(t.Context(), fixedMessage()); err != nil {
			t.Fatalf("%s: Notify = %v, %v", in.name, retry, err)
		}
	}

	slackPeer.mu.Lock()
	hooks := slackPeer.hooks
	slackPeer.mu.Unlock()
	if len(hooks) != 1 {
		t.Fatalf("%d Slack messages, want 1", len(hooks))
	}
	if hooks[0].Text != "[FIRING] account_openings" {
		t.Errorf("Slack title %q, want the file's slack.bank.title", hooks[0].Text)
	}
	blocks, err := json.Marshal(hooks[0].Blocks)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(blocks), "overridden: 3 alerts") {
		t.Errorf("Slack blocks do not carry the redefined slack.default.text: %s", blocks)
	}

	mails := smtp.received()
	if len(mails) != 1 {
		t.Fatalf("%d mails, want 1", len(mails))
	}
	msg, parts, _ := parseMail(t, mails[0].data)
	if got := msg.Header.Get("Subject"); got != "Bank: [FIRING:2] accounts (account_openings)" {
		t.Errorf("Subject %q", got)
	}
	html := partOf(parts, "text/html")
	if html == nil {
		t.Fatal("no HTML part")
	}
	if want := "<p>accounts <b>trusted</b> &lt;i&gt;escaped&lt;/i&gt;</p>"; string(html.body) != want {
		t.Errorf("HTML %q, want %q", html.body, want)
	}
}

// TestTemplateFileErrors checks that problems with template files are
// configuration errors naming the file and line, or the receiver field
// that calls a template no file defines; a pattern matching no file is
// accepted, as by Alertmanager, and logged.
func TestTemplateFileErrors(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"bad/bad.tmpl": "{{ define \"ok\" }}fine{{ end }}\n\n{{ define \"bad\" }}{{ .Status | nope }}{{ end }}\n",
		"good/a.tmpl":  `{{ define "a" }}a{{ end }}`,
	})
	tests := []struct {
		name      string
		templates string
		title     string
		want      []string // error paths
		words     []string
	}{
		{"parse error", `[good/*.tmpl, bad/*.tmpl]`, "", []string{"templates[1]"},
			[]string{filepath.Join(dir, "bad/bad.tmpl") + ":3:", `function "nope" not defined`}},
		{"missing file", `[good/a.tmpl, nothing/here.tmpl]`, "", []string{"templates[1]"}, []string{"no such file", "here.tmpl"}},
		{"bad pattern", `['good/[.tmpl']`, "", []string{"templates[0]"}, []string{"invalid pattern"}},
		{"undefined template", `[good/*.tmpl]`, `{{ template "slack.missing" . }}`, []string{"receivers[0].slack_configs[0].title"},
			[]string{`"slack.missing" not defined`}},
		{"defined in a file", `[good/*.tmpl]`, `{{ template "a" . }}`, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "templates: " + tt.templates + `
route: {receiver: r}
receivers: [{name: r, slack_configs: [{api_url: 'https://hooks.slack.com/services/T/B/X', title: '` + tt.title + `'}]}]`
			err := loadConfigIn(t, src, dir).Validate()
			if diff := cmp.Diff(tt.want, errorPaths(t, err)); diff != "" {
				t.Fatalf("error paths (-want +got):\n%s\n%v", diff, err)
			}
			for _, w := range tt.words {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q: %v", w, err)
				}
			}
		})
	}

	t.Run("pattern matching nothing", func(t *testing.T) {
		c := loadConfigIn(t, "templates: ['none/*.tmpl']\nroute: {receiver: r}\nreceivers: [{name: r}]\n", dir)
		if err := c.Validate(); err != nil {
			t.Fatalf("Validate: %v", err)
		}
		var logs bytes.Buffer
		if _, err := NewManager(c, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(logs.String(), "matches no file") || !strings.Contains(logs.String(), "templates[0]") {
			t.Errorf("no warning logged:\n%s", logs.String())
		}
	})
}

// FuzzTemplateFile checks that any template file either parses or is an
// error that names it, and never panics.
func FuzzTemplateFile(f *testing.F) {
	for _, s := range []string{
		`{{ define "a" }}{{ .Status | toUpper }}{{ end }}`,
		"{{ define \"x\" }}\n{{ nope }}\n{{ end }}",
		`{{ define "email.default.html" }}<b>{{ . }}</b>{{ end }}`,
		`{{ template "a" . }}{{ block "b" . }}{{ end }}`,
		"{{", "}}", "{{/* */}}{{- end }}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		file := filepath.Join(t.TempDir(), "f.tmpl")
		writeFiles(t, filepath.Dir(file), map[string]string{"f.tmpl": src})
		_, _, errs := newTemplateLib([]string{file})
		for _, e := range errs {
			if e.Path != "templates[0]" || !strings.Contains(e.Error(), file) {
				t.Errorf("error %v does not name the file", e)
			}
		}
	})
}
