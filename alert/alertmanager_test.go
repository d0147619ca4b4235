package alert

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// amPeer speaks Alertmanager's POST /api/v2/alerts: it validates the
// postable alerts as Alertmanager does (labels required, endsAt not
// before startsAt) and answers 400 with its error text otherwise.
type amPeer struct {
	srv    *httptest.Server
	mu     sync.Mutex
	posts  [][]PostableAlert
	auth   []string
	status int // when set, the answer to every request
}

func startAMPeer(t *testing.T) *amPeer {
	t.Helper()
	p := &amPeer{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /prefix/api/v2/alerts", func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.auth = append(p.auth, r.Header.Get("Authorization"))
		status := p.status
		p.mu.Unlock()
		if status != 0 {
			w.WriteHeader(status)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var alerts []PostableAlert
		if err := json.Unmarshal(body, &alerts); err != nil || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, `"parsing alerts body from \"\" failed"`, http.StatusBadRequest)
			return
		}
		for _, a := range alerts {
			if len(a.Labels) == 0 || a.EndsAt != nil && a.EndsAt.Before(a.StartsAt) {
				http.Error(w, `"start time must be before end time"`, http.StatusBadRequest)
				return
			}
		}
		p.mu.Lock()
		p.posts = append(p.posts, alerts)
		p.mu.Unlock()
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func TestAlertmanagerPayload(t *testing.T) {
	p := startAMPeer(t)
	a, err := NewAlertmanager(AlertmanagerConfig{URL: p.srv.URL + "/prefix/", BearerToken: literal("t0ken"), Labels: map[string]string{"source": "seismo", "team": "overridden"}}, p.srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	if retry, err := a.Notify(t.Context(), fixedMessage()); err != nil {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	if len(p.posts) != 1 || len(p.posts[0]) != 3 || p.auth[0] != "Bearer t0ken" {
		t.Fatalf("posts %+v, auth %v", p.posts, p.auth)
	}
	for _, al := range p.posts[0] {
		if al.Labels["source"] != "seismo" || al.Labels["team"] != "accounts" || al.Labels["alertname"] != "account_openings" {
			t.Errorf("labels %v: want the alert's own, plus source", al.Labels)
		}
		if al.Annotations["summary"] != "openings are off" || al.GeneratorURL != "http://seismo.example/" || al.StartsAt.IsZero() {
			t.Errorf("alert %+v", al)
		}
		resolved := al.Labels["channel"] == "branch"
		if resolved != (al.EndsAt != nil) {
			t.Errorf("%s: endsAt %v; want it only on the resolved alert", al.Labels["channel"], al.EndsAt)
		}
	}
}

func TestAlertmanagerStatuses(t *testing.T) {
	for _, tt := range []struct {
		status    int
		wantRetry bool
	}{{http.StatusBadRequest, false}, {http.StatusInternalServerError, true}, {http.StatusServiceUnavailable, true}} {
		p := startAMPeer(t)
		p.status = tt.status
		a, err := NewAlertmanager(AlertmanagerConfig{URL: p.srv.URL + "/prefix", BasicAuth: BasicAuth{Username: "u", Password: literal("pw")}}, p.srv.Client())
		if err != nil {
			t.Fatal(err)
		}
		retry, err := a.Notify(t.Context(), fixedMessage())
		if err == nil || retry != tt.wantRetry {
			t.Errorf("status %d: Notify = %v, %v", tt.status, retry, err)
		}
		if p.auth[0] != "Basic dTpwdw==" {
			t.Errorf("Authorization %q", p.auth[0])
		}
	}
}

func TestAlertmanagerRejectsInvertedTimes(t *testing.T) {
	p := startAMPeer(t)
	a, err := NewAlertmanager(AlertmanagerConfig{URL: p.srv.URL + "/prefix"}, p.srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	msg := fixedMessage()
	msg.Alerts[1].EndsAt = msg.Alerts[1].StartsAt.Add(-time.Minute)
	retry, err := a.Notify(t.Context(), msg)
	if err == nil || retry || !strings.Contains(err.Error(), "start time must be before end time") {
		t.Errorf("Notify = %v, %v; want Alertmanager's 400, not retried", retry, err)
	}
}
