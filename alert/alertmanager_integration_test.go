//go:build integration

package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"
)

const alertmanagerBin = "/usr/bin/prometheus-alertmanager"

// startAlertmanager runs Debian's Alertmanager on a free loopback port
// with a temporary storage directory and returns its URL.
func startAlertmanager(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(alertmanagerBin); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI (Debian package prometheus-alertmanager): %v", alertmanagerBin, err)
		}
		t.Skipf("%s not installed (apt-get install prometheus-alertmanager)", alertmanagerBin)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "alertmanager.yml")
	// A receiver that sends nowhere: the test reads the alerts back.
	if err := os.WriteFile(cfg, []byte("route:\n  receiver: blackhole\n  group_wait: 1h\nreceivers:\n  - name: blackhole\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, alertmanagerBin, "--config.file="+cfg, "--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--cluster.listen-address=")
	out, err := os.Create(filepath.Join(dir, "alertmanager.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait() //nolint:errcheck // killed
		out.Close()
		if t.Failed() {
			b, _ := os.ReadFile(out.Name())
			t.Logf("alertmanager log:\n%s", b)
		}
	})
	base := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("alertmanager not ready at %s: %v", base, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// gettableAlert is the part of Alertmanager's GET /api/v2/alerts the test reads.
type gettableAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Status       struct {
		State string `json:"state"`
	} `json:"status"`
}

func getAlerts(t *testing.T, base string, active bool) map[string]gettableAlert {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("%s/api/v2/alerts?active=%v&silenced=true&inhibited=true&unprocessed=true", base, active))
	if err == nil && resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		err = fmt.Errorf("status %s", resp.Status)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var as []gettableAlert
	if err := json.NewDecoder(resp.Body).Decode(&as); err != nil {
		t.Fatal(err)
	}
	out := map[string]gettableAlert{}
	for _, a := range as {
		out[a.Labels["channel"]] = a
	}
	return out
}

func TestAlertmanagerForwardingIntegration(t *testing.T) {
	base := startAlertmanager(t)
	now := time.Now().UTC().Truncate(time.Second)
	mk := func(channel string, resolved bool) *Alert {
		ls := labels.FromStrings("alertname", "account_openings", "channel", channel, "team", "accounts")
		a := &Alert{Labels: ls, Annotations: map[string]string{"summary": "openings are off", "value": "3"},
			StartsAt: now.Add(-10 * time.Minute), GeneratorURL: "http://seismo.example/", Fingerprint: FingerprintOf(ls)}
		if resolved {
			a.EndsAt = now.Add(-time.Minute)
		}
		return a
	}
	msg := newMessage("ops", `{}:{team="accounts"}`, labels.FromStrings("team", "accounts"), "http://seismo.example/",
		[]*Alert{mk("app", false), mk("branch", true)})

	m := deliveryManager(t, ReceiverConfig{Name: "ops", AlertmanagerConfigs: []AlertmanagerConfig{{URL: base, Labels: map[string]string{"source": "seismo"}}}})
	in := m.receivers["ops"][0]
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if res := m.send(ctx, in, msg); res.Status != NotificationSent {
		t.Fatalf("send = %+v", res)
	}

	all := getAlerts(t, base, true)
	app, ok := all["app"]
	if !ok {
		t.Fatalf("the firing alert is not in Alertmanager: %+v", all)
	}
	if app.Status.State != "active" || app.Labels["source"] != "seismo" || app.Labels["team"] != "accounts" ||
		app.Annotations["summary"] != "openings are off" || app.GeneratorURL != "http://seismo.example/" || !app.StartsAt.Equal(now.Add(-10*time.Minute)) {
		t.Errorf("firing alert as Alertmanager has it: %+v", app)
	}
	// Without an end time from us, Alertmanager gives it its resolve_timeout.
	if !app.EndsAt.After(now) {
		t.Errorf("firing alert ends at %v, before now", app.EndsAt)
	}
	// Alertmanager lists no resolved alert: the one sent with its end time
	// in the past is not there.
	if br, ok := all["branch"]; ok {
		t.Errorf("the resolved alert is listed by Alertmanager: %+v", br)
	}

	// Resolving the firing one: Alertmanager takes its end time and stops
	// listing it.
	msg2 := newMessage("ops", `{}:{team="accounts"}`, labels.FromStrings("team", "accounts"), "http://seismo.example/", []*Alert{mk("app", true)})
	if res := m.send(ctx, in, msg2); res.Status != NotificationSent {
		t.Fatalf("send resolved = %+v", res)
	}
	if a, ok := getAlerts(t, base, true)["app"]; ok {
		t.Errorf("the resolved alert is still listed: %+v", a)
	}
}
