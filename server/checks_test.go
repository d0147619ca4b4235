package server

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"
)

func TestChecksAPI(t *testing.T) {
	dir := t.TempDir()
	for name, rows := range map[string]string{
		"accounts.db": "('C1','NORMAL'),('C2','NORMAL'),('C3','NORMAL')",
		"trading.db":  "('C1','NORMAL'),('C2','FROZEN'),('C4','NORMAL')",
	} {
		db, err := sql.Open("sqlite", filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"CREATE TABLE cards (card_no TEXT, status TEXT)", "INSERT INTO cards VALUES " + rows} {
			if _, err := db.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		db.Close()
	}
	eng := newTestEngine(t, dir, fmt.Sprintf(`
global: {store: {dsn: %q}}
sources:
  accounts: {type: sqlite, dsn: accounts.db}
  trading: {type: sqlite, dsn: trading.db}
checks:
  - name: cards
    schedule: "@every 1m"
    left: {source: accounts, query: "SELECT * FROM cards"}
    right: {source: trading, query: "SELECT * FROM cards"}
    key: [card_no]
  - name: idle
    schedule: "@every 1h"
    left: {source: accounts, query: "SELECT * FROM cards"}
    right: {source: accounts, query: "SELECT * FROM cards"}
    key: [card_no]
`, filepath.Join(dir, "seismo.db")), nil)
	for range 2 {
		if _, err := eng.RunOnce(context.Background(), "cards"); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(New(Options{Engine: eng, Version: "test"}).Handler())
	t.Cleanup(srv.Close)

	get := func(path string, want int, into any) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("GET %s: %d %s, want %d", path, resp.StatusCode, body, want)
		}
		if into != nil {
			if err := json.Unmarshal(body, into); err != nil {
				t.Fatalf("GET %s: %v: %s", path, err, body)
			}
		}
	}

	type run struct {
		ID           int64   `json:"id"`
		Status       string  `json:"status"`
		Left         int64   `json:"left"`
		MissingLeft  int64   `json:"missing_left"`
		MissingRight int64   `json:"missing_right"`
		Mismatched   int64   `json:"mismatched"`
		Duration     float64 `json:"duration_seconds"`
	}
	var list struct {
		Data struct {
			Checks []struct {
				Name    string `json:"name"`
				Left    string `json:"left_source"`
				LastRun *run   `json:"last_run"`
			} `json:"checks"`
		} `json:"data"`
	}
	get("/api/v1/checks", http.StatusOK, &list)
	cs := list.Data.Checks
	if len(cs) != 2 || cs[0].Name != "cards" || cs[0].Left != "accounts" || cs[0].LastRun == nil || cs[1].LastRun != nil {
		t.Fatalf("checks = %+v", cs)
	}
	if r := cs[0].LastRun; r.Status != "ok" || r.Left != 3 || r.MissingLeft != 1 || r.MissingRight != 1 || r.Mismatched != 1 {
		t.Errorf("last run = %+v", r)
	}

	var runs struct {
		Data struct {
			Runs []run `json:"runs"`
		} `json:"data"`
	}
	get("/api/v1/checks/cards/runs?limit=1", http.StatusOK, &runs)
	if len(runs.Data.Runs) != 1 || runs.Data.Runs[0].ID != cs[0].LastRun.ID {
		t.Errorf("runs = %+v", runs.Data.Runs)
	}
	id := runs.Data.Runs[0].ID

	var diffs struct {
		Data struct {
			Differences []struct {
				Key       map[string]any `json:"key"`
				Kind      string         `json:"kind"`
				Columns   []string       `json:"columns"`
				Left      map[string]any `json:"left"`
				Right     map[string]any `json:"right"`
				FirstSeen string         `json:"first_seen"`
			} `json:"differences"`
		} `json:"data"`
	}
	get(fmt.Sprintf("/api/v1/checks/cards/runs/%d/differences", id), http.StatusOK, &diffs)
	ds := diffs.Data.Differences
	if len(ds) != 3 || ds[0].Key["card_no"] != "C2" || ds[0].Kind != "mismatched" || ds[0].Columns[0] != "status" ||
		ds[0].Left["status"] != "NORMAL" || ds[0].Right["status"] != "FROZEN" || ds[1].Right != nil || ds[2].Left != nil {
		t.Errorf("differences = %+v", ds)
	}
	// Since when: the first of the two runs.
	var first struct {
		Data struct {
			Runs []struct {
				Started string `json:"started"`
			} `json:"runs"`
		} `json:"data"`
	}
	get("/api/v1/checks/cards/runs", http.StatusOK, &first)
	if len(first.Data.Runs) != 2 || ds[0].FirstSeen == "" || ds[0].FirstSeen[:19] != first.Data.Runs[1].Started[:19] {
		t.Errorf("first seen %q, runs %+v", ds[0].FirstSeen, first.Data.Runs)
	}
	get(fmt.Sprintf("/api/v1/checks/cards/runs/%d/differences?kind=missing_left&limit=5", id), http.StatusOK, &diffs)
	if len(diffs.Data.Differences) != 1 || diffs.Data.Differences[0].Key["card_no"] != "C4" {
		t.Errorf("missing_left = %+v", diffs.Data.Differences)
	}

	for _, bad := range []struct {
		path string
		code int
	}{
		{"/api/v1/checks/nope/runs", http.StatusNotFound},
		{"/api/v1/checks/cards/runs?limit=0", http.StatusBadRequest},
		{"/api/v1/checks/cards/runs/x/differences", http.StatusBadRequest},
		{fmt.Sprintf("/api/v1/checks/cards/runs/%d/differences?kind=odd", id), http.StatusBadRequest},
		{fmt.Sprintf("/api/v1/checks/cards/runs/%d/differences?transient=maybe", id), http.StatusBadRequest},
		{fmt.Sprintf("/api/v1/checks/idle/runs/%d/differences", id), http.StatusNotFound}, // another check's run
		{"/api/v1/checks/cards/runs/99999/differences", http.StatusNotFound},
	} {
		get(bad.path, bad.code, nil)
	}
}
