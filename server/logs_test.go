package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/seismo-dev/seismo/store"
)

type groupJSON struct {
	Template string   `json:"template"`
	IDs      []uint64 `json:"ids"`
	Count    uint64   `json:"count"`
}

func TestLogTemplatesAPI(t *testing.T) {
	dir := t.TempDir()
	eng := newTestEngine(t, dir, fmt.Sprintf(`
global: {store: {dsn: %q}}
sources:
  applog: {type: file, path: "app.log"}
logs:
  - {name: app, input: applog, absorption: 1h}
`, filepath.Join(dir, "seismo.db")), func() time.Time { return now })
	old, recent := now.Add(-48*time.Hour), now.Add(-10*time.Minute)
	if err := eng.Store().SaveLogFlush(context.Background(), store.LogFlush{
		Stream: "app",
		Templates: []store.LogTemplate{
			{ID: 1, Template: "login <*>", Examples: []string{"login alice"}, FirstSeen: old, LastSeen: recent, Count: 30},
			{ID: 2, Template: "disk <*> full", Examples: []string{"disk sda full"}, FirstSeen: recent, LastSeen: recent, Count: 5},
			{ID: 3, Template: "disk <*> nearly full", Examples: []string{"disk sdb nearly full"}, FirstSeen: recent, LastSeen: recent, Count: 3},
			{ID: 4, Template: "disk <*> degraded now", Examples: []string{"disk sdc degraded now"}, FirstSeen: recent, LastSeen: recent, Count: 1},
		},
		Counts: []store.LogCount{{ID: 1, Time: old, Count: 28}, {ID: 1, Time: recent, Count: 2}, {ID: 2, Time: recent, Count: 5},
			{ID: 3, Time: recent, Count: 3}, {ID: 4, Time: recent, Count: 1}},
	}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(Options{Engine: eng, Version: "test"}).Handler())
	t.Cleanup(srv.Close)

	type tmpl struct {
		ID         uint64   `json:"id"`
		Template   string   `json:"template"`
		Examples   []string `json:"examples"`
		Count      int64    `json:"count"`
		RangeCount int64    `json:"range_count"`
		New        bool     `json:"new"`
	}
	get := func(query string, wantCode int) []tmpl {
		t.Helper()
		resp, err := http.Get(srv.URL + "/api/v1/logs/" + query)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != wantCode {
			t.Fatalf("GET %s: status %d, want %d", query, resp.StatusCode, wantCode)
		}
		var body struct {
			Status string `json:"status"`
			Data   struct {
				Templates []tmpl `json:"templates"`
			} `json:"data"`
			Error string `json:"error"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		if wantCode != http.StatusOK && body.Error == "" {
			t.Errorf("GET %s: no error message", query)
		}
		return body.Data.Templates
	}

	all := get("app/templates", http.StatusOK)
	if len(all) != 4 || all[0].ID != 1 || all[0].RangeCount != 30 || all[0].New || !all[1].New || all[1].Examples[0] != "disk sda full" {
		t.Errorf("all time = %+v", all)
	}
	lastHour := get(fmt.Sprintf("app/templates?from=%d&to=%s", now.Add(-time.Hour).Unix(), now.Format(time.RFC3339)), http.StatusOK)
	if len(lastHour) != 4 || lastHour[0].ID != 2 || lastHour[0].RangeCount != 5 || lastHour[2].RangeCount != 2 || lastHour[2].Count != 30 {
		t.Errorf("last hour = %+v, want disk full (5), nearly full (3), then login (2 of 30)", lastHour)
	}

	// Coarser views of the same templates: at 0.5 the two four-token disk
	// templates (they agree on "disk" and "<*>", 2 of 4 positions) become
	// one group; at 0.6 and at 1 nothing merges.
	groups := func(query string) []groupJSON {
		t.Helper()
		resp, err := http.Get(srv.URL + "/api/v1/logs/" + query)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct {
			Data struct {
				Groups []groupJSON `json:"groups"`
			} `json:"data"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		return body.Data.Groups
	}
	coarse := groups("app/templates?similarity=0.5")
	if len(coarse) != 3 || coarse[0].Template != "login <*>" || coarse[2].Template != "disk <*> <*> <*>" ||
		coarse[2].Count != 4 || fmt.Sprint(coarse[2].IDs) != "[3 4]" {
		t.Errorf("similarity 0.5 = %+v, want login (30), disk full (5), then the two four-token disk templates as one group of 4", coarse)
	}
	for _, level := range []string{"0.6", "1"} {
		if fine := groups("app/templates?similarity=" + level); len(fine) != 4 {
			t.Errorf("similarity %s = %+v, want the 4 templates apart", level, fine)
		}
	}
	get("app/templates?similarity=1.5", http.StatusBadRequest)
	get("nope/templates", http.StatusNotFound)
	get("app/templates?from=yesterday", http.StatusBadRequest)
	get(fmt.Sprintf("app/templates?from=%d&to=%d", now.Unix(), now.Add(-time.Hour).Unix()), http.StatusBadRequest)
}
