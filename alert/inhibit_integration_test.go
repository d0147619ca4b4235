//go:build integration

package alert

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/internal/testpeer"
)

// TestMutingMatchesAlertmanager runs Debian's Alertmanager with inhibit
// rules, posts alerts and silences to it, and compares which alerts it
// reports inhibited (and by which) and silenced with what the Manager
// computes for the same alerts, rules and silences.
func TestMutingMatchesAlertmanager(t *testing.T) {
	const rules = `
inhibit_rules:
  - source_matchers: [severity="critical"]
    target_matchers: [severity="warning"]
    equal: [service, cluster]
  - source_matchers: ['severity=~"critical|warning"', 'kind="dup"']
    target_matchers: ['severity=~"critical|warning"', 'kind="dup"']
  - source_match: {alertname: DatacenterDown}
    target_match_re: {alertname: '.+'}
    equal: [dc]
`
	base := testpeer.StartAlertmanager(t, "route: {receiver: blackhole, group_wait: 0s, group_interval: 1s}\nreceivers: [{name: blackhole}]\n"+rules)
	m, err := NewManager(loadConfig(t, "route: {receiver: rec}\nreceivers: [{name: rec}]\n"+rules), Options{Logger: quietLogger})
	if err != nil {
		t.Fatal(err)
	}

	sets := [][]string{
		{"alertname", "A", "severity", "critical", "service", "pay"},
		{"alertname", "B", "severity", "warning", "service", "pay"},
		{"alertname", "C", "severity", "warning", "service", "card"},
		{"alertname", "D", "severity", "warning"},
		{"alertname", "E", "severity", "critical", "kind", "dup", "service", "x", "cluster", "1"},
		{"alertname", "F", "severity", "warning", "kind", "dup", "service", "x", "cluster", "1"},
		{"alertname", "G", "severity", "warning", "kind", "dup", "service", "y"},
		{"alertname", "DatacenterDown", "dc", "sh"},
		{"alertname", "H", "dc", "sh", "severity", "info"},
		{"alertname", "I", "dc", "bj", "severity", "warning", "kind", "dup"},
		{"alertname", "J", "severity", "critical", "cluster", "2"},
		{"alertname", "K", "severity", "warning", "cluster", "2", "team", "db"},
	}
	silences := []string{`team="db"`, `{alertname=~"C|Z", service="card"}`, `alertname="nope"`}

	var posted []map[string]string
	for _, kv := range sets {
		m.Fire(Event{Labels: labels.FromStrings(kv...)})
		posted = append(posted, labels.FromStrings(kv...).Map())
	}
	var body []map[string]any
	for _, ls := range posted {
		body = append(body, map[string]any{"labels": ls, "startsAt": time.Now().Add(-time.Minute)})
	}
	amPost(t, base+"/api/v2/alerts", body)
	for _, s := range silences {
		ms := mustMatchers(t, s)
		if _, err := m.AddSilence(t.Context(), Silence{Matchers: ms, EndsAt: time.Now().Add(time.Hour), CreatedBy: "t", Comment: "t"}); err != nil {
			t.Fatal(err)
		}
		var jm []map[string]any
		for _, x := range ms {
			jm = append(jm, map[string]any{"name": x.Name, "value": x.Value,
				"isRegex": x.Type == labels.MatchRegexp || x.Type == labels.MatchNotRegexp,
				"isEqual": x.Type == labels.MatchEqual || x.Type == labels.MatchRegexp})
		}
		amPost(t, base+"/api/v2/silences", map[string]any{"matchers": jm, "startsAt": time.Now().Add(-time.Second),
			"endsAt": time.Now().Add(time.Hour), "createdBy": "t", "comment": "t"})
	}

	// Seismo's verdicts, as label-set strings.
	want := map[string]string{}
	for _, a := range m.AlertsWithStatus() {
		var by []string
		for _, fp := range a.Status.InhibitedBy {
			for _, kv := range sets {
				if ls := labels.FromStrings(kv...); FingerprintOf(ls).String() == fp {
					by = append(by, ls.String())
				}
			}
		}
		slices.Sort(by)
		want[a.Alert.Labels.String()] = fmt.Sprintf("inhibited by %v, silenced %v", by, len(a.Status.SilencedBy) > 0)
	}

	// Alertmanager evaluates muting as its groups flush: poll until its
	// answer settles.
	var got map[string]string
	deadline := time.Now().Add(20 * time.Second)
	for {
		prev := got
		got = amVerdicts(t, base)
		if len(got) == len(sets) && fmt.Sprint(prev) == fmt.Sprint(got) {
			break
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(1500 * time.Millisecond)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: Seismo says %s, Alertmanager %s", k, w, got[k])
		}
	}
	if t.Failed() || testing.Verbose() {
		for k, w := range want {
			t.Logf("%s: %s", k, w)
		}
	}
}

// amVerdicts returns, per alert label set, which alerts inhibit it and
// whether it is silenced, as Alertmanager's API reports them.
func amVerdicts(t *testing.T, base string) map[string]string {
	t.Helper()
	resp, err := http.Get(base + "/api/v2/alerts?active=true&silenced=true&inhibited=true&unprocessed=true")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var as []struct {
		Fingerprint string            `json:"fingerprint"`
		Labels      map[string]string `json:"labels"`
		Status      struct {
			InhibitedBy []string `json:"inhibitedBy"`
			SilencedBy  []string `json:"silencedBy"`
		} `json:"status"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&as); err != nil {
		t.Fatal(err)
	}
	byFP := map[string]string{}
	for _, a := range as {
		byFP[a.Fingerprint] = labels.FromMap(a.Labels).String()
	}
	out := map[string]string{}
	for _, a := range as {
		var by []string
		for _, fp := range a.Status.InhibitedBy {
			by = append(by, byFP[fp])
		}
		slices.Sort(by)
		out[labels.FromMap(a.Labels).String()] = fmt.Sprintf("inhibited by %v, silenced %v", by, len(a.Status.SilencedBy) > 0)
	}
	return out
}

func amPost(t *testing.T, url string, body any) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var msg bytes.Buffer
		msg.ReadFrom(resp.Body) //nolint:errcheck // for the message only
		t.Fatalf("POST %s: %s: %s", url, resp.Status, strings.TrimSpace(msg.String()))
	}
}
