//go:build integration

package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/internal/testpeer"
)

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
	// A receiver that sends nowhere: the test reads the alerts back.
	base := testpeer.StartAlertmanager(t, "route:\n  receiver: blackhole\n  group_wait: 1h\nreceivers:\n  - name: blackhole\n")
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
