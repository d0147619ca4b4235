package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/prometheus/model/labels"

	"github.com/seismo-dev/seismo/alert"
	"github.com/seismo-dev/seismo/engine"
	"github.com/seismo-dev/seismo/store"
)

// newAlertServer serves a real engine (SQLite store in a temp dir, a log
// stream as its only job) with the given alerting section, whose clock is
// the fixed `now`. The engine does not run: tests fire alerts and run the
// Manager themselves.
func newAlertServer(t *testing.T, alerting string) (*httptest.Server, *engine.Engine) {
	t.Helper()
	return newAlertServerWith(t, alerting, "")
}

// newAlertServerWith is newAlertServer with more top-level configuration
// (a server section with tokens).
func newAlertServerWith(t *testing.T, alerting, extra string) (*httptest.Server, *engine.Engine) {
	t.Helper()
	dir := t.TempDir()
	eng := newTestEngine(t, dir, fmt.Sprintf(`
global: {store: {dsn: %q}}
sources:
  applog: {type: file, path: "app.log"}
logs:
  - {name: app, input: applog}
alerting:
%s
%s
`, filepath.Join(dir, "seismo.db"), alerting, extra), func() time.Time { return now })
	srv := httptest.NewServer(New(Options{Engine: eng, Version: "test"}).Handler())
	t.Cleanup(srv.Close)
	return srv, eng
}

const consoleAlerting = `
  route: {receiver: ops, group_by: [alertname]}
  receivers: [{name: ops, log_configs: [{}]}]
`

// call makes a request and decodes the JSON envelope into out (which may
// be nil). It returns the status code and the envelope's error message.
func call(t *testing.T, method, url, body string, out any) (int, string) {
	t.Helper()
	return callAs(t, "", method, url, body, out)
}

// callAs is call with a bearer token ("" for none).
func callAs(t *testing.T, token, method, url, body string, out any) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Status string          `json:"status"`
		Data   json.RawMessage `json:"data"`
		Error  string          `json:"error"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatalf("%s %s: answer is not JSON: %v: %s", method, url, err, raw)
	}
	if (resp.StatusCode == http.StatusOK) != (env.Status == "success") {
		t.Errorf("%s %s: code %d with status %q", method, url, resp.StatusCode, env.Status)
	}
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(env.Data, out); err != nil {
			t.Fatalf("%s %s: data: %v: %s", method, url, err, env.Data)
		}
	}
	return resp.StatusCode, env.Error
}

type silenceList struct {
	Silences []silenceJSON `json:"silences"`
}

func postSilence(t *testing.T, base, body string) string {
	t.Helper()
	var got struct {
		ID string `json:"silenceID"`
	}
	if code, msg := call(t, "POST", base+"/api/v1/silences", body, &got); code != 200 || got.ID == "" {
		t.Fatalf("POST silence: %d %s (id %q)", code, msg, got.ID)
	}
	return got.ID
}

func silenceStates(t *testing.T, base, state string) map[string]alert.SilenceState {
	t.Helper()
	var list silenceList
	if code, msg := call(t, "GET", base+"/api/v1/silences?state="+state, "", &list); code != 200 {
		t.Fatalf("list silences: %d %s", code, msg)
	}
	out := map[string]alert.SilenceState{}
	for _, s := range list.Silences {
		out[s.ID] = s.Status.State
	}
	return out
}

func TestSilenceLifecycle(t *testing.T) {
	srv, eng := newAlertServer(t, consoleAlerting)
	base := srv.URL
	end := now.Add(2 * time.Hour).Format(time.RFC3339)

	// Matchers as Alertmanager's objects and as strings, mixed.
	id := postSilence(t, base, fmt.Sprintf(`{
		"matchers": [
			{"name": "team", "value": "payments", "isRegex": false},
			{"name": "env", "value": "dev|test", "isRegex": true, "isEqual": false},
			"{severity=~\"warn.*\", channel!=\"branch\"}"
		],
		"startsAt": %q, "endsAt": %q, "createdBy": "alice", "comment": "deploy"}`,
		now.Add(-time.Minute).Format(time.RFC3339), end))
	var one struct {
		Silence silenceJSON `json:"silence"`
	}
	if code, msg := call(t, "GET", base+"/api/v1/silences/"+id, "", &one); code != 200 {
		t.Fatalf("GET silence: %d %s", code, msg)
	}
	want := []matcherJSON{
		{Name: "team", Value: "payments", IsEqual: true},
		{Name: "env", Value: "dev|test", IsRegex: true},
		{Name: "severity", Value: "warn.*", IsRegex: true, IsEqual: true},
		{Name: "channel", Value: "branch"},
	}
	sortMatchers := func(ms []matcherJSON) []matcherJSON {
		ms = slices.Clone(ms)
		slices.SortFunc(ms, func(a, b matcherJSON) int { return strings.Compare(a.Name, b.Name) })
		return ms
	}
	if diff := cmp.Diff(sortMatchers(want), sortMatchers(one.Silence.Matchers)); diff != "" {
		t.Errorf("matchers (-want +got):\n%s", diff)
	}
	if s := one.Silence; s.Status.State != alert.SilenceActive || s.CreatedBy != "alice" || s.Comment != "deploy" ||
		!s.StartsAt.Equal(now) || s.EndsAt.Format(time.RFC3339) != end {
		// A start in the past becomes now, as in Alertmanager.
		t.Errorf("silence = %+v, want active from now (%s) to %s by alice", s, now, end)
	}

	// Only the end changes: updated in place, same ID.
	later := now.Add(3 * time.Hour).Format(time.RFC3339)
	same := postSilence(t, base, fmt.Sprintf(`{"id": %q, "matchers": ["team=payments", "env!~\"dev|test\"", "severity=~\"warn.*\"", "channel!=branch"],
		"startsAt": %q, "endsAt": %q, "createdBy": "alice", "comment": "longer"}`, id, now.Format(time.RFC3339Nano), later))
	if same != id {
		t.Errorf("updating the end gave a new ID %s, want %s", same, id)
	}

	// A silence in the future is pending; GET filters by state.
	pending := postSilence(t, base, fmt.Sprintf(`{"matchers": ["alertname=x"], "startsAt": %q, "endsAt": %q, "createdBy": "bob"}`,
		now.Add(time.Hour).Format(time.RFC3339), later))
	for state, want := range map[string]map[string]alert.SilenceState{
		"":        {id: alert.SilenceActive, pending: alert.SilencePending},
		"active":  {id: alert.SilenceActive},
		"pending": {pending: alert.SilencePending},
		"expired": {},
	} {
		if diff := cmp.Diff(want, silenceStates(t, base, state)); diff != "" {
			t.Errorf("state=%q (-want +got):\n%s", state, diff)
		}
	}

	// Expire: 200, then it is listed as expired; again: 409; unknown: 404.
	if code, msg := call(t, "DELETE", base+"/api/v1/silences/"+id, "", nil); code != 200 {
		t.Fatalf("DELETE: %d %s", code, msg)
	}
	if diff := cmp.Diff(map[string]alert.SilenceState{id: alert.SilenceExpired}, silenceStates(t, base, "expired")); diff != "" {
		t.Errorf("after DELETE (-want +got):\n%s", diff)
	}
	if code, _ := call(t, "DELETE", base+"/api/v1/silences/"+id, "", nil); code != http.StatusConflict {
		t.Errorf("DELETE expired: %d, want 409", code)
	}
	if code, _ := call(t, "DELETE", base+"/api/v1/silences/no-such-id", "", nil); code != http.StatusNotFound {
		t.Errorf("DELETE unknown: %d, want 404", code)
	}
	if code, _ := call(t, "GET", base+"/api/v1/silences/no-such-id", "", nil); code != http.StatusNotFound {
		t.Errorf("GET unknown: %d, want 404", code)
	}

	// Every change is in the audit log; an update names the silence's
	// state before and after.
	entries, err := eng.Store().Audit(context.Background(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Actor+" "+e.Action+" "+e.Target)
		if e.Action == "silence.update" && (!strings.Contains(string(e.Before), `"comment":"deploy"`) || !strings.Contains(string(e.After), `"comment":"longer"`)) {
			t.Errorf("update audit entry: before %s, after %s", e.Before, e.After)
		}
	}
	if diff := cmp.Diff([]string{
		"anonymous silence.expire " + id, "anonymous silence.create " + pending,
		"anonymous silence.update " + id, "anonymous silence.create " + id,
	}, actions); diff != "" {
		t.Errorf("audit log, newest first (-want +got):\n%s", diff)
	}

	// What the API shows is what the store keeps.
	stored, err := eng.Store().LoadSilences(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]alert.Silence{}
	for _, s := range stored {
		byID[s.ID] = s
	}
	if s, ok := byID[id]; !ok || s.Comment != "longer" || !s.EndsAt.Equal(now) {
		t.Errorf("stored silence %s = %+v, want the expired update", id, s)
	}
	if _, ok := byID[pending]; !ok || len(stored) != 2 {
		t.Errorf("stored silences = %d (%v), want 2", len(stored), stored)
	}
}

func TestSilenceBadRequests(t *testing.T) {
	srv, eng := newAlertServer(t, consoleAlerting)
	base := srv.URL
	end := now.Add(time.Hour).Format(time.RFC3339)
	ok := func(matchers string) string {
		return fmt.Sprintf(`{"matchers": %s, "endsAt": %q, "createdBy": "a"}`, matchers, end)
	}
	tests := []struct {
		name, body string
		code       int
		wantErr    string
	}{
		{"not JSON", `{"matchers": [`, 400, "invalid JSON"},
		{"trailing data", ok(`["a=b"]`) + `{}`, 400, "unexpected data"},
		{"misspelt field", `{"matchers": ["a=b"], "endAt": "` + end + `"}`, 400, `unknown field "endAt"`},
		{"no matchers", ok(`[]`), 400, "at least one matcher"},
		{"empty matcher string", ok(`["{}"]`), 400, "matchers[0]"},
		{"bad matcher string", ok(`["team==x"]`), 400, "matchers[0]"},
		{"bad regex in string", ok(`["a=b", "team=~\"(\""]`), 400, "matchers[1]"},
		{"bad regex in object", ok(`[{"name": "a", "value": "(", "isRegex": true}]`), 400, "invalid regex"},
		{"object without name", ok(`[{"value": "x"}]`), 400, "name is required"},
		{"object without value", ok(`[{"name": "x"}]`), 400, "value is required"},
		{"object with unknown field", ok(`[{"name": "x", "value": "y", "regex": true}]`), 400, "matchers[0]"},
		{"matcher of the wrong type", ok(`[42]`), 400, "matchers[0]"},
		{"no end", `{"matchers": ["a=b"]}`, 400, "endsAt"},
		{"bad time", `{"matchers": ["a=b"], "endsAt": "tomorrow"}`, 400, "endsAt: invalid time"},
		{"end before start", fmt.Sprintf(`{"matchers": ["a=b"], "startsAt": %q, "endsAt": %q}`, end, now.Format(time.RFC3339)), 400, "must be after"},
		{"end in the past", `{"matchers": ["a=b"], "endsAt": "2020-01-01T00:00:00Z", "createdBy": "a"}`, 400, "in the past"},
		{"no author on an open server", `{"matchers": ["a=b"], "endsAt": "` + end + `"}`, 400, "createdBy: say who you are"},
		{"matches everything", ok(`["a=~\".*\"", "b=\"\""]`), 400, "every matcher matches the empty value"},
		{"update of an unknown silence", `{"id": "nope", "matchers": ["a=b"], "endsAt": "` + end + `", "createdBy": "a"}`, 404, "not found"},
		{"too large", strings.Repeat(" ", maxBodyBytes) + ok(`["a=b"]`), 413, "larger than"},
		{"end beyond the storable range", `{"matchers": ["a=b"], "endsAt": "9999-12-31T00:00:00Z"}`, 400, "endsAt: must be before 2200"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, msg := call(t, "POST", base+"/api/v1/silences", tc.body, nil)
			if code != tc.code || !strings.Contains(msg, tc.wantErr) {
				t.Errorf("got %d %q, want %d with %q", code, msg, tc.code, tc.wantErr)
			}
		})
	}
	if code, _ := call(t, "GET", base+"/api/v1/silences?state=gone", "", nil); code != 400 {
		t.Errorf("invalid state: %d, want 400", code)
	}
	// Nothing was written.
	if got := eng.Alerts().Silences(""); len(got) != 0 {
		t.Errorf("bad requests created %d silences", len(got))
	}
	if stored, err := eng.Store().LoadSilences(context.Background()); err != nil || len(stored) != 0 {
		t.Errorf("bad requests stored %d silences (%v)", len(stored), err)
	}
}

func fire(eng *engine.Engine, kv ...string) alert.Fingerprint {
	ls := labels.FromStrings(kv...)
	eng.Alerts().Fire(alert.Event{Kind: alert.KindAnomaly, Job: "m", Labels: ls, Time: now, Value: 3, Expected: 40, Lower: 30, Upper: 50, Score: 0.9})
	return alert.FingerprintOf(ls)
}

type alertList struct {
	Alerts []alertJSON `json:"alerts"`
}

func listedFingerprints(t *testing.T, url string) []string {
	t.Helper()
	var list alertList
	if code, msg := call(t, "GET", url, "", &list); code != 200 {
		t.Fatalf("GET %s: %d %s", url, code, msg)
	}
	var out []string
	for _, a := range list.Alerts {
		out = append(out, a.Fingerprint)
	}
	slices.Sort(out)
	return out
}

func TestAlertsStatusAndAck(t *testing.T) {
	srv, eng := newAlertServer(t, consoleAlerting+`
  inhibit_rules:
    - {source_matchers: [severity=critical], target_matchers: [severity=warning], equal: [team]}
`)
	base := srv.URL
	app := fire(eng, "alertname", "openings", "channel", "app", "team", "accounts", "severity", "warning")
	web := fire(eng, "alertname", "openings", "channel", "web", "team", "accounts", "severity", "warning")
	fx := fire(eng, "alertname", "fx", "team", "fx", "severity", "warning")
	crit := fire(eng, "alertname", "fx_down", "team", "fx", "severity", "critical")
	sil := postSilence(t, base, fmt.Sprintf(`{"matchers": ["channel=web"], "endsAt": %q, "createdBy": "alice"}`, now.Add(time.Hour).Format(time.RFC3339)))

	var list alertList
	if code, msg := call(t, "GET", base+"/api/v1/alerts", "", &list); code != 200 {
		t.Fatalf("GET alerts: %d %s", code, msg)
	}
	got := map[string]alertJSON{}
	for _, a := range list.Alerts {
		got[a.Fingerprint] = a
	}
	for _, tc := range []struct {
		fp                      alert.Fingerprint
		state                   string
		silencedBy, inhibitedBy []string
	}{
		{app, alert.AlertStateActive, []string{}, []string{}},
		{web, alert.AlertStateSuppressed, []string{sil}, []string{}},
		{fx, alert.AlertStateSuppressed, []string{}, []string{crit.String()}},
		{crit, alert.AlertStateActive, []string{}, []string{}},
	} {
		a, ok := got[tc.fp.String()]
		if !ok {
			t.Errorf("alert %s not listed", tc.fp)
			continue
		}
		if a.State != tc.state || !slices.Equal(a.SilencedBy, tc.silencedBy) || !slices.Equal(a.InhibitedBy, tc.inhibitedBy) ||
			a.Status != alert.StatusFiring || !slices.Equal(a.Receivers, []string{"ops"}) {
			t.Errorf("alert %s = state %s, silenced by %v, inhibited by %v, status %s, receivers %v; want %s, %v, %v, firing, [ops]",
				a.Labels, a.State, a.SilencedBy, a.InhibitedBy, a.Status, a.Receivers, tc.state, tc.silencedBy, tc.inhibitedBy)
		}
		if a.Annotations[alert.AnnotationValue] != "3" {
			t.Errorf("alert %s annotations = %v", a.Labels, a.Annotations)
		}
	}

	fps := func(fs ...alert.Fingerprint) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.String())
		}
		slices.Sort(out)
		return out
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{`filter=alertname="openings"`, fps(app, web)},
		{`filter=team="fx"&filter=severity=warning`, fps(fx)},
		{`filter={team="fx",severity!="warning"}`, fps(crit)},
		{`silenced=false`, fps(app, fx, crit)},
		{`inhibited=false`, fps(app, web, crit)},
		{`active=false`, fps(web, fx)},
		{`active=false&silenced=false`, fps(fx)},
	} {
		if diff := cmp.Diff(tc.want, listedFingerprints(t, base+"/api/v1/alerts?"+tc.query)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.query, diff)
		}
	}
	for _, q := range []string{`filter=team==x`, `filter=a=~"("`, `active=maybe`} {
		if code, _ := call(t, "GET", base+"/api/v1/alerts?"+q, "", nil); code != 400 {
			t.Errorf("%s: %d, want 400", q, code)
		}
	}

	// Acknowledge: recorded, shown, stored.
	if code, msg := call(t, "POST", base+"/api/v1/alerts/"+app.String()+"/ack", `{"by": "bob", "comment": "looking"}`, nil); code != 200 {
		t.Fatalf("ack: %d %s", code, msg)
	}
	var one struct {
		Alert alertJSON `json:"alert"`
	}
	if code, msg := call(t, "GET", base+"/api/v1/alerts/"+app.String(), "", &one); code != 200 {
		t.Fatalf("GET alert: %d %s", code, msg)
	}
	if a := one.Alert.Acked; a == nil || a.By != "bob" || a.Comment != "looking" || !a.At.Equal(now) {
		t.Errorf("acknowledged = %+v, want bob at %s", a, now)
	}
	stored, err := eng.Store().LoadAlerts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range stored {
		if (a.Fingerprint == app) != (a.AckedBy == "bob") {
			t.Errorf("stored alert %s acked by %q", a.Labels, a.AckedBy)
		}
	}
	for _, tc := range []struct {
		fp, body string
		code     int
	}{
		{"0123456789abcdef", `{"by": "bob"}`, 404},
		{"xyz", `{"by": "bob"}`, 400},
		{app.String(), `{"comment": "who?"}`, 400},
		{app.String(), `{"by": "bob", "extra": 1}`, 400},
		{app.String(), `not json`, 400},
	} {
		if code, msg := call(t, "POST", base+"/api/v1/alerts/"+tc.fp+"/ack", tc.body, nil); code != tc.code {
			t.Errorf("ack %s %s: %d %s, want %d", tc.fp, tc.body, code, msg, tc.code)
		}
	}
	if code, _ := call(t, "GET", base+"/api/v1/alerts/0123456789abcdef", "", nil); code != 404 {
		t.Errorf("GET unknown alert: %d, want 404", code)
	}
}

// TestAlertAPIWithTokens: with tokens, a viewer cannot silence or
// acknowledge, a labeler can; the token's name stands in for a missing
// author; and every change is in the audit log under the token's name.
func TestAlertAPIWithTokens(t *testing.T) {
	t.Setenv("SEISMO_TEST_LABELER", labelerToken)
	t.Setenv("SEISMO_TEST_VIEWER", viewerToken)
	srv, eng := newAlertServerWith(t, consoleAlerting, `
server:
  tokens:
    - {name: ana, role: labeler, token: {env: SEISMO_TEST_LABELER}}
    - {name: grafana, role: viewer, token: {env: SEISMO_TEST_VIEWER}}
`)
	base := srv.URL
	fp := fire(eng, "alertname", "openings", "channel", "app")
	body := fmt.Sprintf(`{"matchers": ["channel=app"], "endsAt": %q}`, now.Add(time.Hour).Format(time.RFC3339))

	for _, tc := range []struct {
		token, method, path, body string
		code                      int
	}{
		{"", "GET", "/api/v1/silences", "", 401},
		{viewerToken, "GET", "/api/v1/silences", "", 200},
		{viewerToken, "GET", "/api/v1/alerts", "", 200},
		{viewerToken, "GET", "/api/v1/notifications", "", 200},
		{viewerToken, "POST", "/api/v1/silences", body, 403},
		{viewerToken, "POST", "/api/v1/alerts/" + fp.String() + "/ack", `{}`, 403},
		{viewerToken, "DELETE", "/api/v1/silences/x", "", 403},
	} {
		if code, msg := callAs(t, tc.token, tc.method, base+tc.path, tc.body, nil); code != tc.code {
			t.Errorf("%s %s as %q: %d %s, want %d", tc.method, tc.path, tc.token, code, msg, tc.code)
		}
	}

	var created struct {
		ID string `json:"silenceID"`
	}
	if code, msg := callAs(t, labelerToken, "POST", base+"/api/v1/silences", body, &created); code != 200 {
		t.Fatalf("POST silence as labeler: %d %s", code, msg)
	}
	if sil, ok := eng.Alerts().Silence(created.ID); !ok || sil.CreatedBy != "ana" {
		t.Errorf("silence created by %q, want the token's name ana", sil.CreatedBy)
	}
	if code, msg := callAs(t, labelerToken, "POST", base+"/api/v1/alerts/"+fp.String()+"/ack", `{"comment": "mine"}`, nil); code != 200 {
		t.Fatalf("ack as labeler: %d %s", code, msg)
	}
	if a, ok := eng.Alerts().Alert(fp); !ok || a.Alert.AckedBy != "ana" {
		t.Errorf("acknowledged by %q, want ana", a.Alert.AckedBy)
	}
	if code, msg := callAs(t, labelerToken, "DELETE", base+"/api/v1/silences/"+created.ID, "", nil); code != 200 {
		t.Fatalf("DELETE as labeler: %d %s", code, msg)
	}

	entries, err := eng.Store().Audit(context.Background(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Actor+" "+e.Action+" "+e.Target)
	}
	want := []string{
		"ana silence.expire " + created.ID,
		"ana alert.ack " + fp.String(),
		"ana silence.create " + created.ID,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit log, newest first (-want +got):\n%s", diff)
	}
}

// TestNotificationHistory delivers one notification to a real webhook
// receiver and reads it back through the API.
func TestNotificationHistory(t *testing.T) {
	got := make(chan struct{}, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		got <- struct{}{}
	}))
	defer hook.Close()
	srv, eng := newAlertServer(t, fmt.Sprintf(`
  route: {receiver: hook, group_by: [alertname], group_wait: 1ms}
  receivers: [{name: hook, webhook_configs: [{url: %q}]}]
`, hook.URL))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- eng.Alerts().Run(ctx) }()
	fp := fire(eng, "alertname", "openings", "channel", "app")
	select {
	case <-got:
	case <-time.After(30 * time.Second):
		t.Fatal("no notification within 30s")
	}
	// The receiver has it; wait until the engine has its answer too (the
	// history records it), so that stopping does not catch it in flight.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		recs, err := eng.Alerts().Notifications(ctx, alert.NotificationFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no notification recorded within 30s")
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	var hist struct {
		Notifications []notificationJSON `json:"notifications"`
	}
	if code, msg := call(t, "GET", srv.URL+"/api/v1/notifications", "", &hist); code != 200 {
		t.Fatalf("GET notifications: %d %s", code, msg)
	}
	if len(hist.Notifications) != 1 {
		t.Fatalf("%d records, want 1: %+v", len(hist.Notifications), hist.Notifications)
	}
	r := hist.Notifications[0]
	if r.Receiver != "hook" || r.Status != alert.NotificationSent || !slices.Equal(r.Firing, []string{fp.String()}) ||
		len(r.Resolved) != 0 || r.Attempts != 1 || r.GroupKey == "" || !strings.Contains(r.Integration, "webhook") {
		t.Errorf("record = %+v, want one sent webhook notification of %s", r, fp)
	}
	for _, tc := range []struct {
		query string
		n     int
	}{
		{"receiver=hook", 1},
		{"receiver=other", 0},
		{"status=sent&limit=1", 1},
		{"status=failed", 0},
		{"group=" + r.GroupKey, 1},
		{fmt.Sprintf("from=%d", r.Time.Add(time.Second).Unix()+1), 0},
		{"to=" + r.Time.Add(time.Second).Format(time.RFC3339), 1},
	} {
		hist.Notifications = nil
		if code, msg := call(t, "GET", srv.URL+"/api/v1/notifications?"+tc.query, "", &hist); code != 200 || len(hist.Notifications) != tc.n {
			t.Errorf("%s: %d %s, %d records; want %d", tc.query, code, msg, len(hist.Notifications), tc.n)
		}
	}
	for _, q := range []string{"status=lost", "limit=0", "limit=10001", "from=yesterday", "from=2026-03-10T12:00:00Z&to=2026-03-10T11:00:00Z"} {
		if code, _ := call(t, "GET", srv.URL+"/api/v1/notifications?"+q, "", nil); code != 400 {
			t.Errorf("%s: %d, want 400", q, code)
		}
	}
}

// FuzzSilenceJSON feeds the silence body parser arbitrary input: it must
// not panic, and what it accepts must survive the API's own encoding:
// parsed, shown as JSON and parsed again, it is the same silence.
func FuzzSilenceJSON(f *testing.F) {
	for _, seed := range []string{
		`{"matchers": [{"name": "team", "value": "fx", "isRegex": false, "isEqual": true}], "startsAt": "2026-03-10T12:00:00Z", "endsAt": "2026-03-10T14:00:00Z", "createdBy": "a", "comment": "c"}`,
		`{"matchers": ["{a=\"b\", c=~\"d|e\"}", "x!=y"], "endsAt": "1773151200", "id": "abc"}`,
		`{"matchers": [{"name": "交易所", "value": "上海\n", "isRegex": true, "isEqual": false}], "endsAt": "2026-03-10T14:00:00.123456789+08:00"}`,
		`{"matchers": ["\"odd name\"=\"v\""], "endsAt": "1e9"}`,
		`{"matchers": [], "endsAt": ""}`,
		`[1, 2]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		sil, err := parseSilence(body)
		if err != nil {
			return
		}
		if len(sil.Matchers) == 0 || sil.EndsAt.IsZero() {
			t.Fatalf("accepted a silence without matchers or end: %+v", sil)
		}
		for _, m := range sil.Matchers {
			if m == nil || m.Name == "" {
				t.Fatalf("accepted a matcher without a name: %v", sil.Matchers)
			}
		}
		shown := toSilenceJSON(sil, now)
		enc, err := json.Marshal(struct {
			ID        string        `json:"id"`
			Matchers  []matcherJSON `json:"matchers"`
			StartsAt  time.Time     `json:"startsAt,omitzero"`
			EndsAt    time.Time     `json:"endsAt"`
			CreatedBy string        `json:"createdBy"`
			Comment   string        `json:"comment"`
		}{sil.ID, shown.Matchers, sil.StartsAt, sil.EndsAt, sil.CreatedBy, sil.Comment})
		if err != nil {
			t.Fatal(err)
		}
		again, err := parseSilence(enc)
		if err != nil {
			t.Fatalf("%s does not parse again: %v", enc, err)
		}
		str := func(ms []*labels.Matcher) []string {
			out := make([]string, len(ms))
			for i, m := range ms {
				out[i] = m.String()
			}
			return out
		}
		if !slices.Equal(str(sil.Matchers), str(again.Matchers)) || !sil.StartsAt.Equal(again.StartsAt) || !sil.EndsAt.Equal(again.EndsAt) ||
			sil.ID != again.ID || sil.CreatedBy != again.CreatedBy || sil.Comment != again.Comment {
			t.Fatalf("round trip changed the silence:\n%+v\n%+v", sil, again)
		}
	})
}
