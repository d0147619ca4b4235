package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/seismo-dev/seismo/store"
)

func TestGrafanaAnnotations(t *testing.T) {
	ls := newLabelServer(t, true, "")
	from, to := now.Add(-12*time.Hour).UnixMilli(), now.UnixMilli()
	spike := now.Add(-3 * time.Hour)

	// Grafana creates a noise label on a range of the orders series.
	body := fmt.Sprintf(`{"time":%d,"timeEnd":%d,"tags":["monitor:shop","seismo:noise","series:%s"],"text":"deploy","dashboardUID":"abc","panelId":2}`,
		spike.Add(-time.Hour).UnixMilli(), spike.Add(-30*time.Minute).UnixMilli(), strings.ReplaceAll(ordersSel, `"`, `\"`))
	code, resp := ls.do("POST", "/api/annotations", labelerToken, body)
	if code != 200 || !strings.Contains(string(resp), `"message":"Annotation added"`) {
		t.Fatalf("POST /api/annotations: %d %s", code, resp)
	}
	var added struct{ ID int64 }
	if err := json.Unmarshal(resp, &added); err != nil {
		t.Fatal(err)
	}
	l, err := ls.eng.Store().Label(t.Context(), added.ID)
	if err != nil {
		t.Fatal(err)
	}
	if l.Kind != store.LabelNoise || l.Note != "deploy" || l.Author != "ana" || !l.From.Equal(spike.Add(-time.Hour)) || !l.To.Equal(spike.Add(-30*time.Minute)) || l.Series.Get("__name__") != "orders" {
		t.Fatalf("label from Grafana: %+v", l)
	}
	// name:value tags name the series too; the kind defaults to anomaly.
	code, resp = ls.do("POST", "/api/annotations", labelerToken, fmt.Sprintf(`{"time":%d,"tags":["monitor:shop","__name__:refunds","file:shop"],"text":"x"}`, spike.UnixMilli()))
	if code != 200 {
		t.Fatalf("POST with name:value tags: %d %s", code, resp)
	}

	var anns []annotationJSON
	get := func(query string) {
		t.Helper()
		code, resp := ls.do("GET", fmt.Sprintf("/api/annotations?from=%d&to=%d%s", from, to, query), viewerToken, "")
		if code != 200 {
			t.Fatalf("GET /api/annotations%s: %d %s", query, code, resp)
		}
		anns = nil
		if err := json.Unmarshal(resp, &anns); err != nil {
			t.Fatal(err)
		}
	}
	get("")
	events, labels := 0, 0
	for _, a := range anns {
		switch {
		case a.ID < 0:
			events++
			if !contains(a.Tags, "seismo:event") || a.Time != a.TimeEnd {
				t.Errorf("event annotation %+v", a)
			}
		default:
			labels++
		}
	}
	if labels != 2 || events == 0 {
		t.Fatalf("%d label and %d event annotations: %+v", labels, events, anns)
	}
	get("&tags=seismo:noise&tags=monitor:shop")
	if len(anns) != 1 || anns[0].ID != added.ID || anns[0].Time != spike.Add(-time.Hour).UnixMilli() || !contains(anns[0].Tags, "__name__:orders") {
		t.Errorf("tag filter: %+v", anns)
	}
	get("&type=alert")
	for _, a := range anns {
		if a.ID > 0 {
			t.Errorf("type=alert listed label %d", a.ID)
		}
	}
	get("&tags=seismo:noise&tags=seismo:anomaly&matchAny=true&type=annotation")
	if len(anns) != 2 {
		t.Errorf("matchAny: %d annotations", len(anns))
	}

	// Grafana moves and edits it, then deletes it.
	code, resp = ls.do("PATCH", fmt.Sprintf("/api/annotations/%d", added.ID), labelerToken, fmt.Sprintf(`{"time":%d,"text":"deploy v2"}`, spike.Add(-2*time.Hour).UnixMilli()))
	if code != 200 {
		t.Fatalf("PATCH: %d %s", code, resp)
	}
	l, _ = ls.eng.Store().Label(t.Context(), added.ID)
	if !l.From.Equal(spike.Add(-2*time.Hour)) || !l.To.Equal(spike.Add(-90*time.Minute)) || l.Note != "deploy v2" {
		t.Errorf("patched label %+v: the range keeps its length", l)
	}
	if code, resp = ls.do("DELETE", fmt.Sprintf("/api/annotations/%d", -1), labelerToken, ""); code != http.StatusForbidden {
		t.Errorf("DELETE an event's annotation: %d %s", code, resp)
	}
	if code, resp = ls.do("DELETE", fmt.Sprintf("/api/annotations/%d", added.ID), labelerToken, ""); code != 200 {
		t.Errorf("DELETE: %d %s", code, resp)
	}
	if _, err := ls.eng.Store().Label(t.Context(), added.ID); err == nil {
		t.Error("the label survived its annotation's deletion")
	}
}

func TestGrafanaAnnotationBadInput(t *testing.T) {
	ls := newLabelServer(t, true, "")
	at := now.Add(-time.Hour).UnixMilli()
	tests := []struct {
		name, body string
		code       int
		msg        string
	}{
		{"no time", `{"tags":["monitor:shop","series:{}"]}`, 400, "time is required"},
		{"no series", fmt.Sprintf(`{"time":%d,"tags":["monitor:shop"]}`, at), 400, "name the series"},
		{"no monitor", fmt.Sprintf(`{"time":%d,"tags":["series:{}"]}`, at), 400, "monitor is required"},
		{"unknown monitor", fmt.Sprintf(`{"time":%d,"tags":["monitor:nope","series:{}"]}`, at), 400, `unknown monitor "nope"`},
		{"bad kind", fmt.Sprintf(`{"time":%d,"tags":["monitor:shop","series:{}","seismo:odd"]}`, at), 400, `unknown kind "odd"`},
		{"tag without colon", fmt.Sprintf(`{"time":%d,"tags":["monitor:shop","series:{}","urgent"]}`, at), 400, `tag "urgent" is not name:value`},
		{"end before start", fmt.Sprintf(`{"time":%d,"timeEnd":%d,"tags":["monitor:shop","series:{}"]}`, at, at-1000), 400, "before it starts"},
		{"malformed", `{"time":`, 400, "malformed JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := ls.do("POST", "/api/annotations", labelerToken, tc.body)
			if code != tc.code || !strings.Contains(errorOf(body), tc.msg) {
				t.Errorf("%d %s, want %d containing %q", code, body, tc.code, tc.msg)
			}
			if n := len(ls.labels()); n != 0 {
				t.Errorf("%d labels written", n)
			}
		})
	}
	if code, _ := ls.do("POST", "/api/annotations", viewerToken, `{"time":1,"tags":["monitor:shop","series:{}"]}`); code != http.StatusForbidden {
		t.Errorf("viewer creates an annotation: %d", code)
	}
}

func TestGrafanaJSONDatasource(t *testing.T) {
	ls := newLabelServer(t, true, "")
	if code, body := ls.do("GET", "/grafana/", viewerToken, ""); code != 200 || strings.TrimSpace(string(body)) != "ok" {
		t.Fatalf("connection test: %d %s", code, body)
	}
	code, body := ls.do("POST", "/grafana/metrics", viewerToken, `{}`)
	var metrics []struct{ Label, Value string }
	if err := json.Unmarshal(body, &metrics); err != nil || code != 200 || len(metrics) != 2 {
		t.Fatalf("metrics: %d %s", code, body)
	}
	target := metrics[0].Value
	if !strings.HasPrefix(target, "shop {") {
		t.Fatalf("target %q", target)
	}
	q := fmt.Sprintf(`{"range":{"from":%q,"to":%q},"maxDataPoints":20,"targets":[{"target":%q,"refId":"A"}]}`,
		now.Add(-12*time.Hour).Format(time.RFC3339), now.Format(time.RFC3339), target)
	code, body = ls.do("POST", "/grafana/query", viewerToken, q)
	var series []struct {
		Target     string
		Datapoints [][2]any
	}
	if err := json.Unmarshal(body, &series); err != nil || code != 200 {
		t.Fatalf("query: %d %s", code, body)
	}
	if len(series) != 4 || !strings.HasSuffix(series[0].Target, " value") || !strings.HasSuffix(series[3].Target, " upper") {
		t.Fatalf("query answered %d series: %+v", len(series), series)
	}
	if n := len(series[0].Datapoints); n > 20 || n < 10 {
		t.Errorf("%d datapoints for maxDataPoints 20 over 73 points", n)
	}
	if ms, ok := series[0].Datapoints[0][1].(float64); !ok || int64(ms) != now.Add(-12*time.Hour).UnixMilli() {
		t.Errorf("first datapoint %v", series[0].Datapoints[0])
	}
	code, body = ls.do("POST", "/grafana/query", viewerToken, `{"targets":[{"target":"shop"}]}`)
	if code != 400 || !strings.Contains(errorOf(body), "<monitor> <label set>") {
		t.Errorf("bad target: %d %s", code, body)
	}
	code, body = ls.do("POST", "/grafana/annotations", viewerToken, fmt.Sprintf(`{"range":{"from":%q,"to":%q},"annotation":{"name":"seismo","query":"seismo:event"}}`,
		now.Add(-12*time.Hour).Format(time.RFC3339), now.Format(time.RFC3339)))
	if code != 200 || !strings.Contains(string(body), `"annotation":{"name":"seismo"`) || !strings.Contains(string(body), "seismo:event") {
		t.Errorf("annotations: %d %s", code, body)
	}
}

func contains(tags []string, t string) bool {
	for _, x := range tags {
		if x == t {
			return true
		}
	}
	return false
}
