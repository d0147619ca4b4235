package alert_test

import (
	"encoding/pem"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seismo-dev/seismo/alert"
	"github.com/seismo-dev/seismo/config"
)

// pasted returns a Seismo configuration whose alerting section is the
// Alertmanager file src, pasted unchanged (indented under alerting:).
func pasted(src string) string {
	var b strings.Builder
	b.WriteString("alerting:\n")
	for line := range strings.Lines(src) {
		b.WriteString("  " + line)
	}
	return b.String()
}

// TestAlertmanagerFileThroughTheConfigLoader loads testdata/alertmanager.yml
// — a production-like Alertmanager file that amtool accepts (see the
// integration suite) — pasted into a Seismo configuration, through the
// config loader: its global block is applied, its template files are
// found relative to the configuration's folder, the settings Seismo has no
// use for are listed, and a Manager is built from it.
func TestAlertmanagerFileThroughTheConfigLoader(t *testing.T) {
	src, err := os.ReadFile("testdata/alertmanager.yml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse([]byte(pasted(string(src))), filepath.Join("testdata", "seismo.yaml"))
	if err != nil {
		t.Fatalf("the pasted Alertmanager file does not load:\n%v", err)
	}
	a := cfg.Alerting
	if diff := cmp.Diff([]string{filepath.Join("testdata", "am-templates", "*.tmpl")}, a.Templates); diff != "" {
		t.Errorf("templates (-want +got):\n%s", diff)
	}
	byName := map[string]alert.ReceiverConfig{}
	for _, r := range a.Receivers {
		byName[r.Name] = r
	}
	// payments-mail sets only its recipient, headers and html.
	pm := byName["payments-mail"].EmailConfigs[0]
	if pm.From != "Alertmanager <alertmanager@bank.example>" || pm.Smarthost != "smtp.bank.example:587" || pm.Hello != "alertmanager.bank.example" ||
		pm.AuthUsername != "alertmanager" || pm.AuthIdentity != "alertmanager" || !*pm.RequireTLS || *pm.ImplicitTLS {
		t.Errorf("payments-mail does not have the global SMTP settings: %+v", pm)
	}
	// clearing-mail has its own smarthost (implicit TLS on 465), sender
	// and require_tls, and the global user.
	cm := byName["clearing-mail"].EmailConfigs[0]
	if cm.From != "clearing-alerts@bank.example" || cm.Smarthost != "mail.clearing.bank.example:465" || *cm.RequireTLS || !*cm.ImplicitTLS ||
		cm.AuthUsername != "alertmanager" || len(cm.To) != 2 {
		t.Errorf("clearing-mail: %+v", cm)
	}
	if a.ResolveTimeout.String() != "5m" {
		t.Errorf("resolve_timeout %s", a.ResolveTimeout)
	}
	wantIgnored := []string{
		"global.pagerduty_url", "global.opsgenie_api_url", "global.wechat_api_url", "global.wechat_api_corp_id",
		"global.victorops_api_url", "global.telegram_api_url", "global.webex_api_url",
		"receivers[6].slack_configs[0].color",
	}
	if diff := cmp.Diff(wantIgnored, a.IgnoredSettings()); diff != "" {
		t.Errorf("IgnoredSettings (-want +got):\n%s", diff)
	}
	if _, err := alert.NewManager(a, alert.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}); err != nil {
		t.Fatalf("NewManager: %v", err)
	}
}

// TestPastedAlertmanagerErrors checks what a pasted Alertmanager file
// that Seismo cannot honour gets: errors with the file, line and field
// path.
func TestPastedAlertmanagerErrors(t *testing.T) {
	const src = `route:
  receiver: pager
templates: ['missing/templates.tmpl']
receivers:
  - name: pager
    pagerduty_configs:
      - routing_key: not-a-real-key
  - name: mail
    email_configs:
      - to: ops@bank.example
`
	_, err := config.Parse([]byte(pasted(src)), "seismo.yaml")
	if err == nil {
		t.Fatal("loaded")
	}
	for _, want := range []string{
		"seismo.yaml:4:15: alerting.templates[0]: no such file: missing/templates.tmpl",
		"seismo.yaml:7:7: alerting.receivers[0].pagerduty_configs: not supported: there is no PagerDuty integration in Seismo",
		"alerting.receivers[1].email_configs[0].from: required (here or as global.smtp_from)",
		"alerting.receivers[1].email_configs[0].smarthost: required (here or as global.smtp_smarthost)",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the errors do not say %q:\n%v", want, err)
		}
	}
}

// yamlBlockAfter returns the first yaml block of a doc after heading.
func yamlBlockAfter(t *testing.T, doc, heading string) string {
	t.Helper()
	_, rest, ok := strings.Cut(doc, heading)
	if !ok {
		t.Fatalf("no %q in the doc", heading)
	}
	_, rest, ok = strings.Cut(rest, "```yaml\n")
	if !ok {
		t.Fatalf("no yaml block after %q", heading)
	}
	block, _, _ := strings.Cut(rest, "```")
	return block
}

// TestAlertingDocExamples loads the pasted-Alertmanager example of
// docs/alerting.md, with the http_config example of docs/receivers.md as
// its global http_config, through the config loader, with their side
// files in place.
func TestAlertingDocExamples(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join("..", "docs", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	example := yamlBlockAfter(t, read("alerting.md"), "## Pasting an Alertmanager configuration")
	httpConfig := yamlBlockAfter(t, read("receivers.md"), "## HTTP client (`http_config`)")
	global, rest, ok := strings.Cut(example, "    http_config:\n      proxy_url: 'http://proxy.bank.example:3128'\n")
	if !ok {
		t.Fatalf("the alerting.md example has no global http_config to replace:\n%s", example)
	}
	for line := range strings.Lines(httpConfig) {
		global += "    " + line
	}
	// A real certificate for the CA file: the loader reads it.
	tlsSrv := httptest.NewTLSServer(http.NotFoundHandler())
	tlsSrv.Close()
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsSrv.Certificate().Raw})
	dir := t.TempDir()
	for name, content := range map[string]string{
		"seismo.yaml":           global + rest,
		"secrets/smtp-password": "pw\n",
		"templates/bank.tmpl":   `{{ define "slack.bank.title" }}{{ .Status | toUpper }}{{ end }}`,
		"certs/proxy-ca.pem":    string(caPEM),
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T0/B0/X")
	cfg, err := config.Load(filepath.Join(dir, "seismo.yaml"))
	if err != nil {
		t.Fatalf("the documented example does not load:\n%v\n%s", err, global+rest)
	}
	a := cfg.Alerting
	if diff := cmp.Diff([]string{"global.pagerduty_url"}, a.IgnoredSettings()); diff != "" {
		t.Errorf("IgnoredSettings (-want +got):\n%s", diff)
	}
	if h := a.Global.HTTPConfig; h == nil || h.NoProxy == "" || h.TLSConfig.CAFile != filepath.Join(dir, "certs/proxy-ca.pem") {
		t.Errorf("global http_config %+v", h)
	}
	if _, err := alert.NewManager(a, alert.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}); err != nil {
		t.Fatalf("NewManager: %v", err)
	}
}
