package alert_test

import (
	"io"
	"log/slog"
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
