package alert

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/prometheus/model/labels"
)

const escalationConfig = `
resolve_timeout: 30d
route:
  receiver: ops
  group_by: [alertname]
  group_wait: 10s
  group_interval: 1m
  repeat_interval: 1h
  routes:
    - matchers: [severity="critical"]
      escalate_after: 5m
      escalate_to: boss
receivers: [{name: ops}, {name: boss}]
`

func TestEscalation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := startRig(t, escalationConfig, Options{})
		ops, boss := r.recs["ops"], r.recs["boss"]
		crit := []string{"alertname", "Down", "severity", "critical"}
		r.fire(crit...)
		r.fire("alertname", "Slow", "severity", "warning")
		step(10 * time.Second)
		if got := len(ops.take()); got != 2 {
			t.Fatalf("ops got %d notifications, want 2", got)
		}
		checkSent(t, boss, nil)

		// Escalated at exactly 5m, between group ticks.
		step(5*time.Minute - 10*time.Second - time.Nanosecond)
		checkSent(t, boss, nil)
		step(time.Nanosecond)
		checkSent(t, boss, []sent{{5 * time.Minute, `{alertname="Down"}`, "firing", []string{"firing:Down"}}})
		checkSent(t, ops, nil)

		// Repeated on the route's repeat_interval (from 5m: at the first
		// tick after 1h5m, 1h5m10s), not at every tick.
		step(time.Hour)
		checkSent(t, boss, nil)
		step(10 * time.Second)
		checkSent(t, boss, []sent{{time.Hour + 5*time.Minute + 10*time.Second, `{alertname="Down"}`, "firing", []string{"firing:Down"}}})
		ops.take() // its own repeat

		// The resolve reaches the escalation receiver too.
		r.resolve(crit...)
		step(time.Minute)
		checkSent(t, boss, []sent{{time.Hour + 6*time.Minute + 10*time.Second, `{alertname="Down"}`, "resolved", []string{"resolved:Down"}}})

		recs, err := r.m.Notifications(t.Context(), NotificationFilter{Receiver: "boss"})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 3 {
			t.Fatalf("%d escalation records, want 3", len(recs))
		}
		for _, rec := range recs {
			if !rec.Escalation || rec.Status != NotificationSent {
				t.Errorf("record %+v, want a sent escalation", rec)
			}
		}
		if recs, _ := r.m.Notifications(t.Context(), NotificationFilter{Receiver: "ops"}); len(recs) == 0 || recs[0].Escalation {
			t.Errorf("ops records %+v", recs)
		}
	})
}

func TestAcknowledgedAlertIsNotEscalated(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := startRig(t, escalationConfig, Options{})
		boss := r.recs["boss"]
		a := []string{"alertname", "Down", "severity", "critical", "instance", "1"}
		b := []string{"alertname", "Down", "severity", "critical", "instance", "2"}
		r.fire(a...)
		step(2 * time.Minute)
		r.fire(b...) // starts at 2m: escalates at 7m
		step(time.Minute)
		fpA := FingerprintOf(labels.FromStrings(a...))
		if err := r.m.Acknowledge(t.Context(), fpA, "ann", "looking"); err != nil {
			t.Fatal(err)
		}
		if err := r.m.Acknowledge(t.Context(), 42, "ann", ""); !errors.Is(err, ErrAlertNotFound) {
			t.Errorf("unknown alert: %v", err)
		}
		got, _ := r.m.Alert(fpA)
		if got.Alert.AckedBy != "ann" || got.Alert.AckComment != "looking" || !got.Alert.AckedAt.Equal(time.Now()) {
			t.Errorf("ack fields %+v", got.Alert)
		}
		step(4 * time.Minute) // 7m: only b is escalated
		checkSent(t, boss, []sent{{7 * time.Minute, `{alertname="Down"}`, "firing", []string{"firing:Down"}}})
		recs, _ := r.m.Notifications(t.Context(), NotificationFilter{Receiver: "boss"})
		if len(recs) != 1 || len(recs[0].Firing) != 1 || recs[0].Firing[0] != FingerprintOf(labels.FromStrings(b...)) {
			t.Errorf("escalated %+v, want only b", recs)
		}

		// Acknowledging b too: no repeats to the boss, and its resolve is
		// not told there either — b left the escalation when acked.
		if err := r.m.Acknowledge(t.Context(), FingerprintOf(labels.FromStrings(b...)), "bob", ""); err != nil {
			t.Fatal(err)
		}
		step(2 * time.Hour)
		checkSent(t, boss, nil)

		// A new firing episode clears the acknowledgement and escalates again.
		r.resolve(a...)
		step(time.Minute)
		r.fire(a...)
		if got, _ := r.m.Alert(fpA); got.Alert.Acknowledged() {
			t.Errorf("a new episode kept the acknowledgement: %+v", got.Alert)
		}
		step(5 * time.Minute)
		if got := boss.take(); len(got) != 1 {
			t.Errorf("boss got %+v after a's new episode passed escalate_after", got)
		}
	})
}

func TestSilencedAlertIsNotEscalated(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := startRig(t, escalationConfig, Options{})
		if _, err := r.m.AddSilence(t.Context(), Silence{Matchers: mustMatchers(t, `alertname="Down"`), EndsAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		r.fire("alertname", "Down", "severity", "critical")
		step(30 * time.Minute)
		checkSent(t, r.recs["boss"], nil)
		checkSent(t, r.recs["ops"], nil)
		// When the silence ends, both hear of it at the next tick.
		step(30*time.Minute + 10*time.Second)
		if len(r.recs["boss"].take()) != 1 || len(r.recs["ops"].take()) != 1 {
			t.Error("not notified after the silence ended")
		}
	})
}

// TestEscalationReachesTheWebhook runs an escalation through real
// webhook endpoints: the route's receiver gets Alertmanager's payload
// unchanged, the escalation receiver the same with escalation and
// escalateAfter.
func TestEscalationReachesTheWebhook(t *testing.T) {
	ops, opsSrv := startHook(t)
	boss, bossSrv := startHook(t)
	synctest.Test(t, func(t *testing.T) {
		cfg := loadConfig(t, `
resolve_timeout: 30d
route:
  receiver: ops
  group_by: [alertname]
  group_wait: 10s
  group_interval: 1m
  repeat_interval: 4h
  routes:
    - matchers: [severity="critical"]
      escalate_after: 30m
      escalate_to: boss
receivers:
  - {name: ops, webhook_configs: [{url: '`+opsSrv.URL+`'}]}
  - {name: boss, webhook_configs: [{url: '`+bossSrv.URL+`'}]}
`)
		// Keep-alives off: an idle connection's reader would keep the
		// bubble from ever being idle.
		client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		m, err := NewManager(cfg, Options{Logger: quietLogger, Client: client})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := m.Run(ctx); err != nil {
				t.Errorf("Run: %v", err)
			}
		}()
		defer func() { cancel(); <-done }()

		m.Fire(Event{Labels: labels.FromStrings("alertname", "Down", "severity", "critical"), Time: time.Now()})
		step(10 * time.Second)
		step(30*time.Minute - 10*time.Second)

		payloads := func(h *hook) []map[string]any {
			var out []map[string]any
			for _, r := range h.requests() {
				var p map[string]any
				if err := json.Unmarshal(r.body, &p); err != nil {
					t.Fatal(err)
				}
				out = append(out, p)
			}
			return out
		}
		got := payloads(ops)
		if len(got) != 1 {
			t.Fatalf("ops got %d notifications, want 1", len(got))
		}
		if _, ok := got[0]["escalation"]; ok {
			t.Errorf("the route's own notification has an escalation key: %v", got[0])
		}
		if _, ok := got[0]["escalateAfter"]; ok {
			t.Errorf("the route's own notification has an escalateAfter key: %v", got[0])
		}
		got = payloads(boss)
		if len(got) != 1 {
			t.Fatalf("boss got %d notifications, want 1 (the escalation at 30m)", len(got))
		}
		if got[0]["escalation"] != true || got[0]["escalateAfter"] != "30m" || got[0]["status"] != "firing" || got[0]["receiver"] != "boss" {
			t.Errorf("escalation payload %v", got[0])
		}
	})
}

// TestEscalationInDefaultTemplates checks that the default templates say
// an alert was escalated: a mail through the SMTP test peer, and the
// chat defaults.
func TestEscalationInDefaultTemplates(t *testing.T) {
	p := startSMTP(t, smtpPeerOptions{})
	e, err := NewEmail(emailConfig(p, nil), nil, quietLogger)
	if err != nil {
		t.Fatal(err)
	}
	msg := fixedMessage()
	msg.Escalation, msg.EscalateAfter = true, 30*time.Minute
	if retry, err := e.Notify(t.Context(), msg); err != nil {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	mails := p.received()
	if len(mails) != 1 {
		t.Fatalf("%d mails, want 1", len(mails))
	}
	m, parts, _ := parseMail(t, mails[0].data)
	const why = "ESCALATED: not acknowledged within 30m"
	if got := m.Header.Get("Subject"); got != "[ESCALATED] [FIRING:2] accounts (account_openings)" {
		t.Errorf("Subject %q", got)
	}
	for _, mt := range []string{"text/plain", "text/html"} {
		if part := partOf(parts, mt); part == nil || !strings.Contains(string(part.body), why) {
			t.Errorf("the %s part does not say %q", mt, why)
		}
	}

	// The chat defaults, and that an ordinary message says nothing of it.
	for _, name := range []string{"slack", "wecom", "dingtalk", "feishu"} {
		for _, escalated := range []bool{true, false} {
			msg := fixedMessage()
			msg.Escalation, msg.EscalateAfter = escalated, 30*time.Minute
			d := newTemplateData(msg, msg.Alerts, time.UTC)
			render := func(field string) string {
				tm, err := parseTextTemplate(`{{ template "`+name+`.default.`+field+`" . }}`, nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				s, err := tm.execute(d)
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
			title, text := render("title"), render("text")
			if got := strings.HasPrefix(title, "[ESCALATED] ") && strings.Contains(text, why); got != escalated {
				t.Errorf("%s, escalation %v: title %q, text %q", name, escalated, title, text)
			}
			if !escalated && strings.Contains(title+text, "ESCALATED") {
				t.Errorf("%s: an ordinary message mentions escalation: %q %q", name, title, text)
			}
		}
	}
}

// TestEscalationInheritance compiles a tree from YAML and checks each
// route's resolved escalation: children inherit escalate_after and
// escalate_to key by key, override either, and an explicit
// "escalate_after: 0s" switches escalation off below it until a route
// sets both keys again.
func TestEscalationInheritance(t *testing.T) {
	c := loadConfig(t, `
route:
  receiver: ops
  escalate_after: 30m
  escalate_to: boss
  routes:
    - matchers: [team="pay"]
      receiver: pay
      routes:
        - matchers: [severity="critical"]
          escalate_after: 5m
        - matchers: [severity="warning"]
          escalate_to: duty
        - matchers: [severity="info"]
          escalate_after: null
    - matchers: [team="batch"]
      escalate_after: 0s
      routes:
        - matchers: [severity="critical"]
        - matchers: [severity="warning"]
          escalate_after: 1h
          escalate_to: duty
    - matchers: [team="fx"]
      escalate_after: 10m
      escalate_to: duty
receivers: [{name: ops}, {name: pay}, {name: boss}, {name: duty}]
`)
	rt := compileOrFail(t, c)
	got := map[string]string{}
	for _, r := range rt.routes {
		got[r.path] = "off"
		if r.escalateTo != "" {
			got[r.path] = fmt.Sprintf("%s after %s", r.escalateTo, r.escalateAfter)
		}
	}
	want := map[string]string{
		"route":                     "boss after 30m0s",
		"route.routes[0]":           "boss after 30m0s", // inherits both
		"route.routes[0].routes[0]": "boss after 5m0s",  // its own delay, the inherited receiver
		"route.routes[0].routes[1]": "duty after 30m0s", // its own receiver, the inherited delay
		"route.routes[0].routes[2]": "boss after 30m0s", // null is as absent
		"route.routes[1]":           "off",              // explicit 0s
		"route.routes[1].routes[0]": "off",              // inherits off
		"route.routes[1].routes[1]": "duty after 1h0m0s",
		"route.routes[2]":           "duty after 10m0s",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("resolved escalation (-want +got):\n%s", diff)
	}
}

// TestEscalationInheritanceErrors: the pair each route resolves to must
// be whole, and an explicit 0s cannot come with a receiver.
func TestEscalationInheritanceErrors(t *testing.T) {
	const head = `
receivers: [{name: ops}, {name: boss}]
route:
  receiver: ops
`
	tests := []struct {
		name   string
		routes string
		want   []string
		msg    string
	}{
		{"off with a receiver", `
  escalate_after: 30m
  escalate_to: boss
  routes:
    - {matchers: [a="1"], escalate_after: 0s, escalate_to: boss}
`, []string{"route.routes[0].escalate_to"}, "switches escalation off"},
		{"a delay below an off route", `
  escalate_after: 30m
  escalate_to: boss
  routes:
    - matchers: [a="1"]
      escalate_after: 0s
      routes:
        - {matchers: [b="1"], escalate_after: 1h}
`, []string{"route.routes[0].routes[0].escalate_to"}, "no escalation to inherit"},
		{"a receiver below a route without escalation", `
  routes:
    - {matchers: [a="1"], escalate_to: boss}
`, []string{"route.routes[0].escalate_after"}, "no escalation to inherit"},
		{"an undefined receiver overriding a good one", `
  escalate_after: 30m
  escalate_to: boss
  routes:
    - {matchers: [a="1"], escalate_to: nobody}
`, []string{"route.routes[0].escalate_to"}, `undefined receiver "nobody"`},
		{"explicit 0s at the root is no escalation", `
  escalate_after: 0s
  routes:
    - {matchers: [a="1"]}
`, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := loadConfig(t, head+strings.TrimPrefix(tt.routes, "\n"))
			err := c.Validate()
			if diff := cmp.Diff(tt.want, errorPaths(t, err)); diff != "" {
				t.Fatalf("error paths (-want +got):\n%s\nerror: %v", diff, err)
			}
			if err != nil && !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
		})
	}
}

// TestChildRouteEscalatesByParentSetting routes alerts to children that
// set no escalation of their own: the one under the root's escalation
// escalates at the root's escalate_after to the root's escalate_to; the
// one that switched it off with "escalate_after: 0s" never does.
func TestChildRouteEscalatesByParentSetting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := startRig(t, `
resolve_timeout: 30d
route:
  receiver: ops
  group_by: [alertname]
  group_wait: 10s
  group_interval: 1m
  repeat_interval: 4h
  escalate_after: 5m
  escalate_to: boss
  routes:
    - matchers: [team="pay"]
      receiver: pay
    - matchers: [team="batch"]
      receiver: batch
      escalate_after: 0s
receivers: [{name: ops}, {name: pay}, {name: batch}, {name: boss}]
`, Options{})
		r.fire("alertname", "Down", "team", "pay")
		r.fire("alertname", "Late", "team", "batch")
		step(10 * time.Second)
		checkSent(t, r.recs["pay"], []sent{{10 * time.Second, `{alertname="Down"}`, "firing", []string{"firing:Down"}}})
		checkSent(t, r.recs["batch"], []sent{{10 * time.Second, `{alertname="Late"}`, "firing", []string{"firing:Late"}}})
		checkSent(t, r.recs["boss"], nil)

		step(5*time.Minute - 10*time.Second)
		checkSent(t, r.recs["boss"], []sent{{5 * time.Minute, `{alertname="Down"}`, "firing", []string{"firing:Down"}}})
		step(time.Hour)
		checkSent(t, r.recs["boss"], nil) // batch's alert: never
		checkSent(t, r.recs["ops"], nil)  // the root's own receiver routes nothing here

		recs, err := r.m.Notifications(t.Context(), NotificationFilter{Receiver: "boss"})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 1 || !recs[0].Escalation || !strings.Contains(recs[0].GroupKey, `team="pay"`) {
			t.Errorf("boss records %+v, want one escalation of the pay route's group", recs)
		}
	})
}
